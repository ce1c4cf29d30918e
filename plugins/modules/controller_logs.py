#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: controller_logs
short_description: Scan the karmada-controller-manager logs for binding sync errors and RBAC denials
version_added: 0.1.0
description:
  - Runbook step 3, and the log side of step 5. Reads the logs of B(every) pod that matches the
    controller-manager selector on the host cluster, and every container of each, in one streamed pass
    per container. Memory stays flat however long the logs are; only counts and a few samples are kept.
  - Keeps the lines the runbook's C(grep -i "binding\|work\|error\|failed") keeps, parses klog text
    and JSON lines, and maps every error line (its C(err) when it has one) to a probable cause.
  - Counts the lines the runbook's C(grep -i "forbidden\|unauthorized\|rbac") keeps apart, with the
    users the API server denied, and returns them as RV(rbac) for the M(karmada.runbooks.access_review)
    module.
  - C(kubectl logs -l) reads only some pods and C(kubernetes.core.k8s_log) only the first matching pod;
    the replica that leads, and so logs the errors, may be any of them.
  - Never fails on API errors; the finding is C(unknown) with the reason instead. A pod whose log cannot
    be read is listed with the reason and the others are still scanned.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  namespace:
    description: The host cluster namespace of the controller-manager.
    type: str
    default: karmada-system
  label_selectors:
    description:
      - Label selectors tried in order; the first one that matches any pod is used.
      - The default covers both installs (facts 5.1). Helm, karmadactl and hack/local-up label the pods
        C(app=karmada-controller-manager); karmada-operator labels them
        C(app.kubernetes.io/name=karmada-controller-manager).
    type: list
    elements: str
    default: [app=karmada-controller-manager, app.kubernetes.io/name=karmada-controller-manager]
  container:
    description:
      - Only read this container. By default every container of every matching pod is read.
      - Init containers are never read; they finish before the controller starts.
    type: str
  since:
    description:
      - Read log lines written at or after this RFC 3339 time (for example the alert's C(startsAt)).
      - When neither O(since) nor O(tail_lines) is set, the last hour is read.
    type: str
  tail_lines:
    description:
      - Read at most this many of the newest lines of each container (C(kubectl logs --tail)).
      - With O(since), the newest lines within the window.
    type: int
  max_samples:
    description: How many distinct sample lines to keep per cause, for unexplained errors and for RBAC lines.
    type: int
    default: 3
  request_timeout:
    description: Seconds to wait for each API request, and at most between two chunks of a log stream.
    type: int
    default: 30
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.HOST
"""

EXAMPLES = r"""
- name: Scan the controller-manager logs since the alert started
  karmada.runbooks.controller_logs:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-host
    since: "2026-11-25T03:00:00Z"
  register: logs

- name: Show the causes the logs point at
  ansible.builtin.debug:
    msg: "{{ logs.finding.details.by_cause | dict2items | map(attribute='key') }}"

- name: The last 200 lines of an operator install, as the runbook reads them
  karmada.runbooks.controller_logs:
    label_selectors: [app.kubernetes.io/name=karmada-controller-manager]
    tail_lines: 200
"""

RETURN = r"""
rbac:
  description:
    - The forbidden/unauthorized/rbac lines (runbook step 5), for M(karmada.runbooks.access_review)'s
      O(karmada.runbooks.access_review#module:log_denials).
    - C(lines) how many, C(samples) a few distinct ones, C(users) the users the API server denied (most
      often first), C(namespaces) the execution namespaces named in denials, C(scanned) whether any log
      was read at all, and when none was, C(error) why (for example a 403 on C(pods/log)).
  returned: always
  type: dict
  sample:
    lines: 12
    users: ["system:karmada:karmada-controller-manager"]
    namespaces: [karmada-es-member3]
    samples: []
    scanned: true
finding:
  description:
    - The check's finding for the report (see docs/report-schema.md, check C(controller_logs)).
    - C(details) holds C(pods) (name, containers, lines, error), C(selector), C(format) (text, json or
      mixed), C(lines_scanned), C(lines_matched) (kept by the runbook's grep), C(errors) (error lines among
      them), C(by_cause) (count, bindings, clusters, samples), C(unclassified), C(unclassified_samples),
      C(excluded_federated_resource_quota) (FederatedResourceQuota controller lines, not in C(errors)),
      C(rbac_lines) and C(rbac).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _logscan as logscan
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CONTROLLER_MANAGER_LABELS, CONTROLLER_MANAGER_NAMESPACE
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        namespace={"type": "str", "default": CONTROLLER_MANAGER_NAMESPACE},
        label_selectors={"type": "list", "elements": "str", "default": list(CONTROLLER_MANAGER_LABELS)},
        container={"type": "str"},
        since={"type": "str"},
        tail_lines={"type": "int"},
        max_samples={"type": "int", "default": logscan.MAX_SAMPLES},
        request_timeout=request_timeout_option(),
    )
    return spec


ENTRY = check_entry(logscan, argument_spec, results=lambda finding, options: {"rbac": logscan.rbac_result(finding)})


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
