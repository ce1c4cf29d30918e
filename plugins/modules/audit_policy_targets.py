#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_policy_targets
short_description: Find override policies whose resource selectors match no resource template
version_added: 0.1.0
description:
  - Part of C(playbooks/audit.yml). Lists the OverridePolicies and ClusterOverridePolicies on the Karmada API
    server and the resource templates of every kind they select, and reports each policy whose
    C(resourceSelectors) match no existing template (Karmada v1.18.2 semantics - apiVersion, kind, namespace,
    then name or label selector; a policy without selectors applies to every template and never drifts).
  - Requests follow the policies' reach (one discovery per API version, one list per kind and namespace
    selected), not the number of member clusters.
  - Never fails on API errors; the check is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Find override policies that no longer apply
  karmada.runbooks.audit_policy_targets:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
  register: policies

- name: Show them
  ansible.builtin.debug:
    msg: "{{ policies.check.drift | map(attribute='subject') | list }}"
"""

RETURN = r"""
check:
  description:
    - The audit check C(override_policy_targets) (docs/report-schema.md, audit section) - C(status) V(ok), V(drift)
      or V(unknown), C(summary), C(drift) (one item per unmatched policy, C(subject) C(OverridePolicy/<ns>/<name>)
      or C(ClusterOverridePolicy/<name>)) and C(details).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_policies
from ansible_collections.karmada.runbooks.plugins.module_utils._audit import unknown_check
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(request_timeout=request_timeout_option())
    return spec


ENTRY = check_entry(_audit_policies, argument_spec, make_unknown=unknown_check, key="check")


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
