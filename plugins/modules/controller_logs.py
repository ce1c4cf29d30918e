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
      was read at all.
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
      them), C(by_cause) (count, bindings, clusters, samples), C(unclassified), C(rbac_lines) and C(rbac).
  returned: always
  type: dict
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.karmada.runbooks.plugins.module_utils._checks import request_timeout_option, run_check, time_option
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable, auth_argument_spec, map_exception, resource_path
from ansible_collections.karmada.runbooks.plugins.module_utils._logscan import LogScan, log_finding
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339 as format_time  # MERGE-SHIM

DEFAULT_WINDOW_SECONDS = 3600
NOTHING_READ = {"lines": 0, "samples": [], "users": [], "namespaces": [], "scanned": False}
DEFAULT_SELECTORS = ["app=karmada-controller-manager", "app.kubernetes.io/name=karmada-controller-manager"]


def find_pods(client, namespace, selectors):
    """(selector, pods) for the first selector that matches any pod; (None, []) if none does."""
    path = resource_path("", "v1", "pods", namespace=namespace)
    for selector in selectors:
        pods = list(client.list(path, {"labelSelector": selector}))
        if pods:
            return selector, sorted(pods, key=lambda p: p["metadata"]["name"])
    return None, []


def log_query(container, since, tail_lines):
    query = {"container": container}
    if since is not None:
        query["sinceTime"] = format_time(since)
    if tail_lines is not None:
        query["tailLines"] = tail_lines
    if since is None and tail_lines is None:
        query["sinceSeconds"] = DEFAULT_WINDOW_SECONDS
    return query


def make_check(params, since, now):
    namespace = params["namespace"]
    selectors = params["label_selectors"]

    def check(client):
        selector, pods = find_pods(client, namespace, selectors)
        if not pods:
            raise CheckUnavailable("no pod in namespace %s matches %s; set the controller-manager namespace and "
                                   "labels of this install" % (namespace, " or ".join(selectors)))
        scan = LogScan(now=now, max_samples=params["max_samples"])
        failures = []
        for pod in pods:
            name = pod["metadata"]["name"]
            containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
            if params["container"]:
                containers = [c for c in containers if c == params["container"]]
            before, errors = scan.lines, []
            for container in containers:
                path = resource_path("", "v1", "pods", namespace=namespace, name=name, subresource="log")
                try:
                    scan.scan(client.stream_lines(path, log_query(container, since, params["tail_lines"])),
                              name, container)
                except Exception as exc:  # pylint: disable=broad-except
                    errors.append("%s: %s" % (container, map_exception(exc).reason))
            scan.add_pod(name, containers, scan.lines - before, "; ".join(errors) or None)
            failures.extend(errors)
        if params["container"] and not any(p["containers"] for p in scan.pods):
            raise CheckUnavailable("no pod matching %s has a container named %s" % (selector, params["container"]))
        if failures and not scan.lines:
            raise CheckUnavailable("could not read any controller-manager log: %s" % failures[0])
        details = scan.details()
        details.update(namespace=namespace, selector=selector, requests=client.requests,
                       window={"since": format_time(since) if since else None, "tail_lines": params["tail_lines"],
                               "since_seconds": None if since or params["tail_lines"] is not None
                               else DEFAULT_WINDOW_SECONDS})
        where = "%d pod(s) matching %s" % (len(pods), selector)
        return log_finding(details, where)
    return check


def main():
    argument_spec = auth_argument_spec()
    argument_spec.update(
        namespace={"type": "str", "default": "karmada-system"},
        label_selectors={"type": "list", "elements": "str", "default": list(DEFAULT_SELECTORS)},
        container={"type": "str"},
        since={"type": "str"},
        tail_lines={"type": "int"},
        max_samples={"type": "int", "default": 3},
        request_timeout=request_timeout_option(),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params["namespace"]:
        module.fail_json(msg="namespace must not be empty (it is the controller-manager's namespace)")
    if not params["label_selectors"] or not all(s and s.strip() for s in params["label_selectors"]):
        module.fail_json(msg="label_selectors must be a non-empty list of non-empty label selectors, got %r"
                         % (params["label_selectors"],))
    if params["tail_lines"] is not None and params["tail_lines"] < 0:
        module.fail_json(msg="tail_lines must be 0 or more, got %d" % params["tail_lines"])
    if params["max_samples"] < 1:
        module.fail_json(msg="max_samples must be at least 1, got %d" % params["max_samples"])
    now = datetime.datetime.now(datetime.timezone.utc)
    since = time_option(module, "since")
    result = run_check(module, "controller_logs", make_check(params, since, now))
    # An unknown finding has no details: the rbac role then learns that no log was read.
    rbac = result.get("details", {}).get("rbac") or dict(NOTHING_READ)
    module.exit_json(changed=False, finding=result, rbac=rbac)


if __name__ == "__main__":
    main()
