#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: execution_namespaces
short_description: Find missing, terminating and orphaned Karmada execution namespaces
version_added: 0.1.0
description:
  - Runbook step 4. Every member cluster needs its execution namespace C(karmada-es-<cluster>) on the
    Karmada API server; Works are created there and creation fails while it is missing or terminating.
  - Compares the registered Clusters with the namespaces in a constant number of paginated list
    requests, however many clusters there are (the runbook's shell loop makes one request per cluster).
  - Never fails on API errors; the finding is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Find missing execution namespaces
  karmada.runbooks.execution_namespaces:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
  register: namespaces

- name: Show them
  ansible.builtin.debug:
    msg: "{{ namespaces.missing }}"
"""

RETURN = r"""
missing:
  description: Execution namespaces of registered clusters that do not exist.
  returned: always
  type: list
  elements: str
  sample: [karmada-es-member2]
terminating:
  description: Execution namespaces that exist but are being deleted (new Works are refused there).
  returned: always
  type: list
  elements: str
orphaned:
  description: C(karmada-es-*) namespaces whose cluster is not registered (left behind, harmless for sync).
  returned: always
  type: list
  elements: str
finding:
  description: The check's finding for the report (see docs/report-schema.md, check C(execution_namespaces)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _namespaces as namespaces
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def _results(finding, options):
    details = finding.get("details", {})
    return {"missing": details.get("missing", []), "terminating": details.get("terminating", []),
            "orphaned": details.get("orphaned", [])}


def argument_spec():
    spec = auth_argument_spec()
    spec.update(request_timeout=request_timeout_option())
    return spec


ENTRY = check_entry(namespaces, argument_spec, results=_results)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
