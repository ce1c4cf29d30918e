#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_controller_manager
short_description: Check the karmada-controller-manager Deployment and the restarts of its containers
version_added: 0.1.0
description:
  - Part of C(playbooks/audit.yml). On the host cluster, reads the controller-manager Deployment (available
    replicas against C(spec.replicas)) and its pods (the restart count of every container).
  - Drift - the Deployment is missing, has fewer available replicas than desired, or a container restarted at
    least O(restart_threshold) times, the last of them within O(restart_window) seconds.
  - Never fails on API errors; the check is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  namespace:
    description: Namespace of the controller-manager on the host cluster.
    type: str
    default: karmada-system
  deployment:
    description: Name of the controller-manager Deployment.
    type: str
    default: karmada-controller-manager
  label_selectors:
    description: Label selectors of its pods, tried in order until one matches.
    type: list
    elements: str
    default: ["app=karmada-controller-manager", "app.kubernetes.io/name=karmada-controller-manager"]
  restart_threshold:
    description: Restarts of one container that count as drift.
    type: int
    default: 3
  restart_window:
    description:
      - Seconds. The restarts count only when the last of them ended this recently (C(lastState.terminated.finishedAt)),
        because C(restartCount) never goes down while a pod lives. A restart without a recorded end counts as recent.
    type: int
    default: 3600
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.HOST
"""

EXAMPLES = r"""
- name: Check the controller-manager's health
  karmada.runbooks.audit_controller_manager:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-host
    restart_threshold: 5
  register: controller
"""

RETURN = r"""
check:
  description:
    - The audit check C(controller_manager) - C(status), C(summary), C(drift) (C(controller_manager_missing),
      C(controller_manager_unavailable), C(controller_container_restarts) with subject C(<pod>/<container>)) and
      C(details) (C(deployment) replicas, C(pods) with their containers' restarts, C(thresholds)).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_controller
from ansible_collections.karmada.runbooks.plugins.module_utils._audit import unknown_check
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_RESTART_THRESHOLD, AUDIT_RESTART_WINDOW
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CONTROLLER_MANAGER, CONTROLLER_MANAGER_LABELS, CONTROLLER_MANAGER_NAMESPACE
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        request_timeout=request_timeout_option(),
        namespace={"type": "str", "default": CONTROLLER_MANAGER_NAMESPACE},
        deployment={"type": "str", "default": CONTROLLER_MANAGER},
        label_selectors={"type": "list", "elements": "str", "default": list(CONTROLLER_MANAGER_LABELS)},
        restart_threshold={"type": "int", "default": AUDIT_RESTART_THRESHOLD},
        restart_window={"type": "int", "default": AUDIT_RESTART_WINDOW},
    )
    return spec


ENTRY = check_entry(_audit_controller, argument_spec, make_unknown=unknown_check, key="check")


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
