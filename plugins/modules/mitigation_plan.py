#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mitigation_plan
short_description: Turn a diagnosis report into the runbook's mitigation actions
version_added: 0.2.0
description:
  - First step of C(playbooks/mitigate.yml). Reads a diagnosis C(report.json), reads the live state the
    plan depends on from the Karmada API server (Clusters and execution namespaces, the Works that hold a
    terminating namespace, the override policies that failed), and returns the ordered actions with a
    status each (C(planned) or C(skipped) with the reason).
  - Follows the runbook's mitigation table. API server errors stop the mitigation; missing execution
    namespaces are restored only for Clusters that exist and whose names Karmada accepts; RBAC is repaired
    only for a known identity outside C(system:masters); every other cause is reported with its next step.
    A controller-manager restart is planned only when something calls for it (a stuck workqueue or a fix)
    and no root cause remains unfixed, and never inside the cooldown read from the Deployment's
    C(kubectl.kubernetes.io/restartedAt) annotation.
  - Reads only. The writes are made by the action roles with kubernetes.core's modules.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  report:
    description: Path of the diagnosis C(report.json).
    type: path
    required: true
  report_source:
    description: Whether the report comes from this run's diagnosis (V(run)) or a given file (V(file)).
    type: str
    choices: [run, file]
    default: run
  mode:
    description: V(apply) to apply with O(approve), V(plan) to only plan.
    type: str
    choices: [plan, apply]
    default: apply
  approve:
    description: Approval to apply (the playbook's C(karmada_mitigate_approve)).
    type: bool
    default: false
  allow:
    description: Action ids that may change something; defaults to all of them.
    type: list
    elements: str
  restart_cooldown:
    description: Seconds that must pass between two controller-manager restarts.
    type: int
    default: 900
  namespace_restore:
    description:
      - How a missing execution namespace is restored - V(create) it, or V(touch_cluster) (annotate the
        Cluster so Karmada's cluster controller recreates it).
    type: str
    choices: [create, touch_cluster]
    default: create
  controller_user:
    description: The user karmada-controller-manager authenticates as, when the diagnosis could not tell.
    type: str
  controller_groups:
    description: Its groups.
    type: list
    elements: str
  deployment_error:
    description:
      - Why the controller-manager Deployment could not be read from the host cluster; no restart is planned
        then, and the plan says why.
    type: str
  deployment:
    description:
      - The controller-manager Deployment as read from the host cluster just before (for the restart
        cooldown). Without it no restart is planned.
    type: dict
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Plan the mitigation of the diagnosis in ./out
  karmada.runbooks.mitigation_plan:
    report: ./out/report.json
    mode: plan
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
  register: plan

- name: Show the actions
  ansible.builtin.debug:
    msg: "{{ plan.plan.actions | map(attribute='id') | list }}"
"""

RETURN = r"""
plan:
  description:
    - C(actions) (each with C(id), C(kind), C(cause), C(status), C(changed), C(reason), C(targets), C(next_step),
      C(details)), C(apply) (inputs of each action role that is to run), C(effective_mode), C(stopped),
      C(restart_blockers) and a one-line C(summary). See docs/report-schema.md, C(mitigation).
  returned: success
  type: dict
diagnosis:
  description: C(source), C(path), C(generated_at), C(status) and C(summary) of the diagnosis planned from.
  returned: success
  type: dict
lines:
  description: The plan for the job log - the summary, then one line per action (status, id, reason).
  returned: success
  type: list
  elements: str
requests:
  description: API requests the plan needed.
  returned: success
  type: int
"""

import json

from ansible_collections.karmada.runbooks.plugins.module_utils import _mitigation as mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import connect_kube, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import RESTART_COOLDOWN
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import utcnow

# Module option -> the playbook variable a user sets (errors name the variable).
_INPUTS = {"mode": "karmada_mitigate_mode", "approve": "karmada_mitigate_approve", "allow": "karmada_mitigate_allow",
           "restart_cooldown": "karmada_restart_cooldown", "namespace_restore": "karmada_namespace_restore",
           "controller_user": "karmada_controller_user", "controller_groups": "karmada_controller_groups"}


def load_report(path):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except OSError as exc:
        raise InputError("karmada_diagnosis_report: cannot read %s (%s)" % (path, exc.strerror or exc)) from None
    except ValueError:
        raise InputError("karmada_diagnosis_report: %s is not JSON; give the report.json a diagnosis wrote" % path) from None


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        report={"type": "path", "required": True},
        report_source={"type": "str", "choices": ["run", "file"], "default": "run"},
        mode={"type": "str", "choices": ["plan", "apply"], "default": "apply"},
        approve={"type": "bool", "default": False},
        allow={"type": "list", "elements": "str"},
        restart_cooldown={"type": "int", "default": RESTART_COOLDOWN},
        namespace_restore={"type": "str", "choices": ["create", "touch_cluster"], "default": "create"},
        controller_user={"type": "str"},
        controller_groups={"type": "list", "elements": "str"},
        deployment={"type": "dict"},
        deployment_error={"type": "str"},
        request_timeout=request_timeout_option(),
    )
    return spec


def run(params, check_mode):
    try:
        options = mitigation.mitigate_options(dict({variable: params[option] for option, variable in _INPUTS.items()},
                                                   check_mode=check_mode))
        report = load_report(params["report"])
        diagnosis = mitigation.diagnosis_summary(report, params["report_source"], params["report"])
    except InputError as exc:
        raise ModuleFailure(str(exc)) from exc
    requests = 0
    try:
        client = connect_kube(params)
        observation = mitigation.observe(client, report)
        requests = observation.get("requests", 0)
    except InputError as exc:
        raise ModuleFailure(str(exc)) from exc
    except Exception as exc:  # pylint: disable=broad-except
        # Planning on state it could not read would be guessing: the plan says so and applies nothing.
        observation = {"error": map_exception(exc).reason}
    result = mitigation.plan(report, observation, options, deployment=params["deployment"], now=utcnow(),
                             deployment_error=params["deployment_error"])
    return {"changed": False, "plan": result, "diagnosis": diagnosis, "requests": requests, "lines": mitigation.plan_lines(result)}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
