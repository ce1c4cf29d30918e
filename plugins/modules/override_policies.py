#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: override_policies
short_description: Find Karmada override policies whose overriders cannot be applied
version_added: 0.1.0
description:
  - Runbook step 6. Lists OverridePolicies (all namespaces) and ClusterOverridePolicies, works out which
    bound resource templates and target clusters each one applies to (resource selectors, cluster
    affinity, Karmada's application order), and dry-checks every overrider against the template, so a
    broken policy is named with its rule, path, operation, bindings and clusters.
  - Plaintext paths follow Karmada's json-patch rules (C(replace) and C(remove) need the whole path,
    C(add) needs the parent, C(-) appends to an array); image predicate, field and command/args paths
    must exist too.
  - C(ApplyOverridePolicyFailed) events are read as corroboration.
  - Requests do not grow with the number of member clusters; templates are fetched one by one only when
    few of a kind share a namespace, else listed.
  - Never fails on API errors; the finding is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  since:
    description:
      - Leave out C(ApplyOverridePolicyFailed) events last seen before this time (RFC 3339), as they
        belong to an earlier episode.
      - All events are read when omitted.
    type: str
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Check the override policies against the templates they select
  karmada.runbooks.override_policies:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    since: "2026-11-25T03:00:00Z"
  register: overrides

- name: Show what is broken
  ansible.builtin.debug:
    msg: "{{ item.policy }} {{ item.field }}: {{ item.error }}"
  loop: "{{ overrides.broken }}"
"""

RETURN = r"""
policies:
  description: The override policies found, with how many bound templates each one selects.
  returned: always
  type: list
  elements: dict
  sample: [{kind: OverridePolicy, namespace: default, name: nginx-tuning, rules: 1, bindings: 1}]
broken:
  description:
    - Overrider steps that cannot be applied, one entry per policy rule and overrider step, with the
      bindings and clusters it breaks and the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: OverridePolicy
      policy: default/nginx-tuning
      rule: 0
      field: spec.overrideRules[0].overriders.plaintext[0]
      overrider: plaintext
      path: /spec/template/spec/containers/0/resources/limits/cpu
      operation: replace
      bindings: [default/nginx-deployment]
      clusters: [member1, member2]
      error: >-
        path /spec/template/spec/containers/0/resources/limits/cpu does not exist in Deployment
        default/nginx: /spec/template/spec/containers/0 has no key "resources"
finding:
  description: The check's finding for the report (see docs/report-schema.md, check C(override_policies)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _overrides as overrides
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def _results(finding, options):
    details = finding.get("details", {})
    return {"policies": details.get("policies", []), "broken": details.get("broken", [])}


def argument_spec():
    spec = auth_argument_spec()
    spec.update(request_timeout=request_timeout_option(), since={"type": "str"})
    return spec


ENTRY = check_entry(overrides, argument_spec, results=_results)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
