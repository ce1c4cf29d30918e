# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: restart_gate
short_description: Whether karmada-controller-manager may be restarted now
version_added: 0.2.0
description:
  - Decides the restart again right before it happens, under the mitigation lock, from the Deployment as
    read then - another run or a human may have restarted it since the plan - and from what this run's
    root-cause fixes did (a failed fix holds the restart back).
  - The cooldown is read from the pod template's C(kubectl.kubernetes.io/restartedAt) annotation, which
    C(kubectl rollout restart) and this collection both set.
positional: cooldown, outcomes
options:
  _input:
    description: The controller-manager Deployment (a C(kubernetes.core.k8s_info) resource), or null when absent.
    type: dict
    required: true
  cooldown:
    description: Seconds that must pass between two restarts.
    type: int
    required: true
  outcomes:
    description: The outcomes of the actions this run applied (C(karmada_mitigation_outcomes)).
    type: list
    elements: dict
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Decide the restart
  ansible.builtin.set_fact:
    gate: "{{ deployment.resources | first | default(none) | karmada.runbooks.restart_gate(900, karmada_mitigation_outcomes) }}"
"""

RETURN = r"""
_value:
  description:
    - C(allowed), C(reason), C(previous_restarted_at), C(next_allowed_at), C(cooldown_seconds),
      C(restarted_at) (the value to set), and C(details) (what the report keeps).
  type: dict
"""

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _restart_gate(deployment, cooldown, outcomes=None):
    from ansible_collections.karmada.runbooks.plugins.module_utils._mitigation import fixes_failed, restart_gate
    from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, utcnow
    now = utcnow()
    gate = restart_gate(deployment if isinstance(deployment, dict) and deployment else None, now, int(cooldown))
    failed = fixes_failed(outcomes)
    if failed and gate["allowed"]:
        gate.update(allowed=False, reason="a root-cause fix failed (%s): a restart would only reset the backoff of "
                                          "bindings that keep failing" % ", ".join(failed))
    gate["restarted_at"] = format_rfc3339(now)
    # What the report keeps about the decision (docs/report-schema.md, restart_controller_manager details).
    gate["details"] = {"restarted_at": gate["restarted_at"] if gate["allowed"] else None,
                       "previous_restarted_at": gate["previous_restarted_at"], "cooldown_seconds": gate["cooldown_seconds"],
                       "next_allowed_at": gate["next_allowed_at"]}
    return gate


class FilterModule(object):
    def filters(self):
        return {"restart_gate": _restart_gate}
