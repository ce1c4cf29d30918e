#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_leader_lease
short_description: Check that the karmada-controller-manager leader Lease is held and renewed
version_added: 0.1.0
description:
  - Part of C(playbooks/audit.yml). Reads the controller-manager's leader-election Lease on the Karmada API server
    (Karmada v1.18.2 - C(karmada-controller-manager) in C(--leader-elect-resource-namespace), default
    C(karmada-system)) and compares its C(renewTime) with now.
  - Drift - the Lease is missing, has no holder, or was renewed longer than O(max_age) seconds ago (the leader
    renews every 2 seconds; the Lease expires after 15).
  - Never fails on API errors; the check is C(unknown) with the reason instead. Needs synchronized clocks.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  namespace:
    description: Namespace of the Lease on the Karmada API server (the controller-manager's C(--leader-elect-resource-namespace)).
    type: str
    default: karmada-system
  name:
    description: Name of the Lease.
    type: str
    default: karmada-controller-manager
  max_age:
    description: Seconds since the last renewal after which the Lease counts as stale.
    type: int
    default: 60
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Check the leader Lease
  karmada.runbooks.audit_leader_lease:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
  register: lease
"""

RETURN = r"""
check:
  description:
    - The audit check C(leader_lease) - C(status), C(summary), C(drift) (C(leader_lease_missing) or
      C(leader_lease_stale), subject C(<namespace>/<name>)) and C(details) (C(holder), C(renew_time),
      C(age_seconds), C(thresholds)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_lease
from ansible_collections.karmada.runbooks.plugins.module_utils._audit import unknown_check
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_LEASE_MAX_AGE
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import LEADER_LEASE_NAME, LEADER_LEASE_NAMESPACE
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        request_timeout=request_timeout_option(),
        namespace={"type": "str", "default": LEADER_LEASE_NAMESPACE},
        name={"type": "str", "default": LEADER_LEASE_NAME},
        max_age={"type": "int", "default": AUDIT_LEASE_MAX_AGE},
    )
    return spec


ENTRY = check_entry(_audit_lease, argument_spec, make_unknown=unknown_check, key="check")


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
