#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: recovery_status
short_description: Poll the evidence until Karmada binding sync has recovered after a mitigation
version_added: 0.1.0
description:
  - The verification step of C(playbooks/mitigate.yml). After a fix, it polls every O(interval) seconds until the
    evidence shows recovery or O(timeout) seconds pass, and returns what it found and how long it took.
  - Evidence counts from O(since), the instant after the last change. Recovery takes three criteria, read with the
    same code as the diagnosis.
  - C(bindings) - every scheduled ResourceBinding and ClusterResourceBinding has its Work in the execution namespace
    of each target cluster (as M(karmada.runbooks.binding_status) finds them).
  - C(events) - no C(SyncWorkFailed) event was last seen after O(since) (as M(karmada.runbooks.sync_events) reads
    them, FederatedResourceQuota events left out). An old event that repeats after O(since) counts.
  - C(metric) - the binding sync error counter C(binding_sync_work_duration_seconds_count{result="error"}) did not
    rise in Prometheus over the time since O(since). The PromQL function C(increase) measures it, which absorbs the
    counter reset of a controller-manager restart. It is only judged once at least O(metric_range) seconds have
    passed since O(since); until then it is C(waiting).
  - The bindings and the events must be read and clean. The metric must be clean too, unless Prometheus is not
    configured or cannot be asked. Then the criterion is C(ok=null) with the reason, and the other two decide.
  - Each poll makes two binding lists, one Work list (only while some binding is not fully applied), one event
    list (selected by reason) and one Prometheus query, whatever the number of member clusters.
  - Never fails on what it finds or cannot reach. It returns C(recovered=false) with the reason, and the play
    decides (mitigate.yml writes the report first, then fails). It fails only for invalid options.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  since:
    description:
      - The instant after the last change (RFC 3339), for example when the controller-manager rollout finished.
        Events and errors before it are not counted.
    type: str
    required: true
  timeout:
    description:
      - Seconds to keep polling before declaring the binding sync not recovered. V(0) makes one poll.
    type: int
    default: 600
  interval:
    description: Seconds between two polls.
    type: int
    default: 10
  metric_range:
    description:
      - The shortest range, in seconds, over which the increase of the error counter is measured. The range grows
        with the time since O(since), and the metric is judged only once the whole range lies after O(since).
      - Give it at least twice the Prometheus scrape interval, so that the range holds two scrapes.
    type: int
    default: 60
  prometheus:
    description:
      - The Prometheus connection, with the options of the Prometheus modules (see M(karmada.runbooks.prometheus_query)),
        so the play's C(karmada_prometheus_auth) can be given as it is.
      - Without O(prometheus.url) (and without E(PROMETHEUS_URL)) the metric criterion is not measured.
    type: dict
    suboptions:
      url:
        description:
          - Base URL of the Prometheus HTTP API, without C(/api/v1), for example V(http://prometheus.monitoring:9090).
          - If not set, the environment variable E(PROMETHEUS_URL) is used.
          - Empty means no Prometheus.
        type: str
      bearer_token:
        description:
          - "Token sent as C(Authorization: Bearer <token>)."
          - If not set, the environment variable E(PROMETHEUS_TOKEN) is used.
          - Mutually exclusive with O(prometheus.username).
        type: str
        aliases: [token]
      username:
        description:
          - User name for HTTP basic authentication; needs O(prometheus.password).
          - If not set, the environment variable E(PROMETHEUS_USERNAME) is used.
        type: str
      password:
        description:
          - Password for HTTP basic authentication.
          - If not set, the environment variable E(PROMETHEUS_PASSWORD) is used.
        type: str
      ca_cert:
        description:
          - Path of a PEM file with the CA certificate(s) to verify the server with.
          - If not set, the environment variable E(PROMETHEUS_CA_CERT) is used.
        type: path
      client_cert:
        description:
          - Path of a PEM client certificate for mutual TLS. It may contain the private key too.
          - If not set, the environment variable E(PROMETHEUS_CLIENT_CERT) is used.
        type: path
      client_key:
        description:
          - Path of the PEM private key of O(prometheus.client_cert), when the certificate file does not contain it.
          - If not set, the environment variable E(PROMETHEUS_CLIENT_KEY) is used.
        type: path
      validate_certs:
        description: Verify the server's TLS certificate. Only switch this off for a test server.
        type: bool
        default: true
      use_proxy:
        description:
          - Use the proxy that the environment variables E(https_proxy) and E(http_proxy) name (E(no_proxy) is honoured).
        type: bool
        default: true
      headers:
        description:
          - Extra HTTP headers sent with every query, for example C(X-Scope-OrgID) to pick a Mimir or Cortex tenant.
        type: dict
        default: {}
      request_timeout:
        description: Seconds to wait for each query.
        type: int
        default: 15
        aliases: [timeout]
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes
  - karmada.runbooks.attributes.APISERVER
attributes:
  check_mode:
    support: full
    details:
      - The module only reads. In check mode it makes one poll and does not wait, because nothing was changed
        to wait for.
  diff_mode:
    support: N/A
    details: The module never changes anything.
seealso:
  - module: karmada.runbooks.binding_status
  - module: karmada.runbooks.sync_events
  - module: karmada.runbooks.controller_metrics
"""

EXAMPLES = r"""
- name: Verify that binding sync recovered after the controller-manager restart
  karmada.runbooks.recovery_status:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    since: "{{ restart_finished_at }}"
    timeout: 600
    prometheus:
      url: http://prometheus.monitoring:9090
  register: recovery

- name: As mitigate.yml calls it, with the connection from module_defaults and the play's Prometheus settings
  karmada.runbooks.recovery_status:
    since: "{{ mitigation_last_change }}"
    prometheus: "{{ karmada_prometheus_auth }}"
  register: recovery

- name: Fail with the evidence when binding sync did not recover
  ansible.builtin.fail:
    msg: "{{ recovery.verification.reason }}"
  when: not recovery.recovered
"""

RETURN = r"""
recovered:
  description: Whether the evidence showed recovery before the timeout.
  returned: always
  type: bool
  sample: true
verification:
  description:
    - The C(mitigation.verification) section of report.json.
  returned: always
  type: dict
  contains:
    recovered:
      description: Whether the evidence showed recovery before the timeout.
      type: bool
      sample: true
    status:
      description: V(recovered) or V(not_recovered).
      type: str
      sample: recovered
    started_at:
      description: When polling started (RFC 3339, UTC).
      type: str
      sample: "2026-11-25T15:02:10Z"
    finished_at:
      description: When polling ended (RFC 3339, UTC).
      type: str
      sample: "2026-11-25T15:02:51Z"
    elapsed_seconds:
      description: Seconds from the first poll to the end of the last.
      type: float
      sample: 41.2
    timeout_seconds:
      description: The O(timeout) in force.
      type: int
      sample: 600
    interval_seconds:
      description: The O(interval) in force.
      type: int
      sample: 10
    polls:
      description: How many times the evidence was read.
      type: int
      sample: 5
    requests:
      description:
        - Requests made over all polls, by server - C(karmada_apiserver) (list pages, retries included) and
          C(prometheus) (queries).
      type: dict
      sample: {karmada_apiserver: 20, prometheus: 5}
    poll_seconds:
      description: How long one poll took on average (reading every source and judging), in seconds.
      type: float
      sample: 0.142
    since:
      description: The O(since) the evidence was counted from (RFC 3339, UTC).
      type: str
      sample: "2026-11-25T15:02:08Z"
    criteria:
      description:
        - The last poll's three criteria, each with C(ok) (V(true), V(false), or V(null) when it could not be
          measured, the reason in C(error)).
        - C(bindings) has C(scheduled), C(without_works), C(not_fully_applied) and C(samples) (at most 5 of
          C({binding, clusters_without_work})).
        - C(events) has C(new_failures) (events last seen after O(since)), C(bindings) (how many bindings they
          name) and C(samples) (at most 5 lines, newest first).
        - C(metric) has C(increase), C(range_seconds), C(query) and C(waiting) (true while the range still
          reaches back before O(since)).
      type: dict
      sample:
        bindings: {ok: true, scheduled: 5, without_works: 0, not_fully_applied: 0, samples: [], error: null}
        events: {ok: true, new_failures: 0, bindings: 0, samples: [], error: null}
        metric:
          ok: true
          increase: 0
          range_seconds: 41
          waiting: false
          error: null
          query: >-
            sum(increase(binding_sync_work_duration_seconds_count{result="error"}[41s]))
            or sum(increase(binding_sync_work_duration_seconds_count[41s])) * 0
    reason:
      description: One line saying why the binding sync counts as recovered or not.
      type: str
      sample: >-
        Recovered after 41.2 s (5 polls): all 5 scheduled bindings have their Works and no SyncWorkFailed
        event came after 2026-11-25T15:02:08Z; the binding sync error counter did not rise over the 41 s since.
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _recovery as recovery
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import (
    connect_kube,
    connect_prometheus,
    request_timeout_option,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import (
    VERIFY_INTERVAL,
    VERIFY_METRIC_RANGE,
    VERIFY_TIMEOUT,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import prometheus_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        request_timeout=request_timeout_option(),
        since={"type": "str", "required": True},
        timeout={"type": "int", "default": VERIFY_TIMEOUT},
        interval={"type": "int", "default": VERIFY_INTERVAL},
        metric_range={"type": "int", "default": VERIFY_METRIC_RANGE},
        # apply_defaults: the suboptions' environment fallbacks apply when the option is left out.
        prometheus={"type": "dict", "options": prometheus_argument_spec(), "apply_defaults": True},
    )
    return spec


def clients(params):
    """(Karmada API client, Prometheus client); one that cannot be built is a recovery.Missing with the reason.

    Invalid Prometheus settings are not fatal here: the fix is already applied, and the report must still
    be written; the metric criterion says why it was not measured.
    """
    try:
        kube = connect_kube(params)
    except Exception as exc:  # pylint: disable=broad-except
        kube = recovery.Missing(map_exception(exc).reason)
    try:
        prometheus = connect_prometheus(params.get("prometheus") or {})
    except CheckUnavailable as exc:
        prometheus = recovery.Missing(exc.reason)
    except InputError as exc:
        prometheus = recovery.Missing("invalid Prometheus settings: %s" % exc)
    return kube, prometheus


def run(params, check_mode):
    try:
        options = recovery.options_from_params(params, check_mode=check_mode)
    except InputError as exc:
        raise ModuleFailure(str(exc)) from exc
    kube, prometheus = clients(params)
    verification = recovery.verify(kube, prometheus, options)
    return {"changed": False, "recovered": verification["recovered"], "verification": verification}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
