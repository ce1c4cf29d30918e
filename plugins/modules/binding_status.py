#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: binding_status
short_description: Find scheduled Karmada bindings that are not fully applied and the Works they lack
version_added: 0.1.0
description:
  - Runbook step 8, the binding side. Lists ResourceBindings and ClusterResourceBindings and reports the
    scheduled ones (C(spec.clusters) not empty) whose C(FullyApplied) condition is not C(True), with the
    target clusters that have no Work for them.
  - Works are matched by the name Karmada generates for them in C(karmada-es-<cluster>) and by the
    binding's permanent-id label, from one paginated list of all Works, so the number of list requests
    does not depend on the number of member clusters.
  - Bindings left without Works after the failures stopped are what a stuck workqueue looks like; the
    finding is evidence for the verdict, with no cause of its own.
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
- name: Find bindings that are not fully applied
  karmada.runbooks.binding_status:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
  register: bindings

- name: Show the clusters that lack Works
  ansible.builtin.debug:
    msg: "{{ item.namespace }}/{{ item.name }}: {{ item.clusters_without_work }}"
  loop: "{{ bindings.not_fully_applied }}"
"""

RETURN = r"""
not_fully_applied:
  description:
    - Scheduled bindings whose C(FullyApplied) condition is not C(True), those lacking Works first (at
      most 100), each with C(kind), C(namespace), C(name), C(clusters), C(clusters_without_work),
      C(clusters_not_applied), the expected C(work_name), and the condition's C(reason), C(message) and C(since).
  returned: always
  type: list
  elements: dict
  sample:
    - kind: ResourceBinding
      namespace: default
      name: nginx-deployment
      clusters: [member1, member2, member3]
      clusters_without_work: [member2]
      clusters_not_applied: [member2]
      work_name: nginx-687f7fb96f
      reason: FullyAppliedFailed
      message: Failed to apply all works, see status.aggregatedStatus for details
      since: "2026-11-25T14:49:19Z"
finding:
  description: The check's finding for the report (see docs/report-schema.md, check C(binding_status)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _bindings as bindings
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(request_timeout=request_timeout_option())
    return spec


ENTRY = check_entry(bindings, argument_spec, results=lambda finding, options: {"not_fully_applied": bindings.not_fully_applied(finding)})


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
