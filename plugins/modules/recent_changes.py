#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: recent_changes
short_description: List recent changes on the Karmada API server that can break binding sync
version_added: 0.1.0
description:
  - Runbook step 9. Answers "were override policies modified, were member clusters registered, were
    execution namespaces deleted?" from the objects themselves (creation and deletion times,
    C(metadata.generation) with the newest C(managedFields) time, the Ready condition's last
    transition) and from the cluster controller's execution-space events in namespace C(default).
  - Missing or terminating execution namespaces and clusters being removed are listed whatever their
    age, because they are still in effect; everything else only when it happened in the window.
  - Changes are evidence. The one signal is weak (0.3, C(override_policy_failure)) and only raised
    when the override manager began failing on a policy within 15 minutes after it was created or changed.
  - A constant number of paginated list requests, whatever the number of member clusters.
  - Never fails on API errors; the finding is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  since:
    description:
      - Start of the window (RFC 3339), usually when the alert started.
      - Defaults to 24 hours before now.
    type: str
  lookback_minutes:
    description:
      - Also look this many minutes before O(since). A change shows up as an alert only after the
        burn-rate windows fill (the page alert's long window is one hour), so the change that broke
        things usually precedes the alert.
    type: int
    default: 0
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: What changed in the hour before the alert and since
  karmada.runbooks.recent_changes:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    since: "2026-11-25T03:00:00Z"
    lookback_minutes: 60
  register: changes

- name: Show them, newest first
  ansible.builtin.debug:
    msg: "{{ item.time }} {{ item.kind }} {{ item.name }}: {{ item.what }}"
  loop: "{{ changes.changes }}"
"""

RETURN = r"""
changes:
  description:
    - Changes newest first (at most 50), damage still in effect without a known time first. Each has
      C(time) (RFC 3339 or null), C(kind), C(namespace), C(name), C(what), C(current) (still in effect)
      and C(source) (C(object) or C(event)).
  returned: always
  type: list
  elements: dict
  sample:
    - {time: null, kind: Namespace, namespace: "", name: karmada-es-member2,
       what: "missing: cluster member2 has no execution namespace", current: true, source: object}
    - {time: "2026-11-25T14:49:19Z", kind: OverridePolicy, namespace: default, name: nginx-tuning,
       what: created, current: false, source: object}
since:
  description: The start of the window actually used (after the lookback), RFC 3339.
  returned: always
  type: str
  sample: "2026-11-25T02:00:00Z"
finding:
  description: The check's finding for the report (see docs/report-schema.md, check C(recent_changes)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _changes as changes
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339


def _results(finding, options):
    return {"since": format_rfc3339(options["since"]), "changes": finding.get("details", {}).get("changes", [])}


def argument_spec():
    spec = auth_argument_spec()
    spec.update(request_timeout=request_timeout_option(), since={"type": "str"},
                lookback_minutes={"type": "int", "default": 0})
    return spec


ENTRY = check_entry(changes, argument_spec, results=_results)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
