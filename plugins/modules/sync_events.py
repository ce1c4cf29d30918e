#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sync_events
short_description: Summarize Karmada binding sync failure events by cause and binding
version_added: 0.1.0
description:
  - Runbook step 2. Lists the C(SyncWorkFailed), C(ApplyOverridePolicyFailed) and C(CleanupWorkFailed)
    events on the Karmada API server, maps every message to a probable cause and groups them by cause
    and by binding.
  - Looks in B(all namespaces) by default. The runbook's C(kubectl get events -n karmada-system) misses
    most failures, because events land in the namespace of the binding and its resource template (the
    workload's namespace), and in C(default) for cluster-scoped objects; only workloads that live in
    C(karmada-system) have their failures there. O(scope=namespace) keeps the runbook's behaviour.
  - Makes one paginated list request per reason with a field selector, whatever the number of
    namespaces, bindings or clusters.
  - Events on a binding and on its resource template are both counted, but name the same binding once.
    FederatedResourceQuota events that reuse the C(SyncWorkFailed) reason are left out and counted
    apart.
  - Never fails on API errors; the finding is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  scope:
    description:
      - V(all) looks in every namespace of the Karmada API server.
      - V(namespace) looks only in O(namespace), as the runbook's command does.
    type: str
    choices: [all, namespace]
    default: all
  namespace:
    description: The namespace to look in when O(scope=namespace).
    type: str
    default: karmada-system
  since:
    description:
      - Ignore events whose last occurrence is older than this RFC 3339 time (for example the alert's
        C(startsAt)).
      - By default every stored event counts (the API server keeps events for about an hour).
    type: str
  max_failures:
    description: How many of the newest failure events the finding lists in C(details.failures).
    type: int
    default: 50
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Summarize binding sync failures since the alert started
  karmada.runbooks.sync_events:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    since: "2026-11-25T03:00:00Z"
  register: sync_failures

- name: Show the bindings per cause
  ansible.builtin.debug:
    msg: "{{ sync_failures.finding.details.by_cause }}"

- name: Only what the runbook's command would show
  karmada.runbooks.sync_events:
    scope: namespace
    namespace: karmada-system
"""

RETURN = r"""
total:
  description: Binding failure events found (after leaving out FederatedResourceQuota events and old events).
  returned: always
  type: int
  sample: 6
causes:
  description: The cause ids the events point at, most bindings first.
  returned: always
  type: list
  elements: str
  sample: [execution_namespace_missing]
finding:
  description:
    - The check's finding for the report (see docs/report-schema.md, check C(sync_failure_events)).
    - C(details) holds C(scope), C(total), C(failures) (newest first), C(by_cause) (events, occurrences,
      bindings, binding_count, clusters, samples per cause), C(unclassified),
      C(excluded_federated_resource_quota), C(ignored_before_since) and C(last_failure).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _events as events
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CONTROLLER_MANAGER_NAMESPACE
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        scope={"type": "str", "choices": list(events.SCOPES), "default": "all"},
        namespace={"type": "str", "default": CONTROLLER_MANAGER_NAMESPACE},
        since={"type": "str"},
        max_failures={"type": "int", "default": events.MAX_FAILURES},
        request_timeout=request_timeout_option(),
    )
    return spec


ENTRY = check_entry(events, argument_spec, results=lambda finding, options: events.module_result(finding))


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
