# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mitigate_options
short_description: Validate the inputs of playbooks/mitigate.yml
version_added: 0.2.0
description:
  - Returns the mitigation options (C(mode), C(approve), C(allow), C(cooldown), C(namespace_method),
    C(check_mode), C(controller_user), C(controller_groups)) from the C(karmada_*) playbook variables.
  - Fails naming the variable and what it accepts, before anything is contacted.
options:
  _input:
    description:
      - A mapping of C(karmada_mitigate_mode), C(karmada_mitigate_approve), C(karmada_mitigate_allow), the waits
        (C(karmada_restart_timeout), C(karmada_mitigation_lock_wait), C(karmada_verify_timeout), C(karmada_verify_interval),
        C(karmada_verify_metric_range)),
        C(karmada_restart_cooldown), C(karmada_namespace_restore), C(karmada_controller_user),
        C(karmada_controller_groups) and C(check_mode); unset ones may be missing or null.
    type: dict
    required: true
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Validate the mitigation inputs
  ansible.builtin.set_fact:
    mitigation_options: "{{ {'karmada_mitigate_mode': 'plan', 'check_mode': ansible_check_mode} | karmada.runbooks.mitigate_options }}"
"""

RETURN = r"""
_value:
  description: The validated options.
  type: dict
"""

from ansible.errors import AnsibleFilterError

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _mitigate_options(inputs):
    from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
    from ansible_collections.karmada.runbooks.plugins.module_utils._mitigation import mitigate_options
    try:
        return mitigate_options(inputs if isinstance(inputs, dict) else {})
    except InputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule(object):
    def filters(self):
        return {"mitigate_options": _mitigate_options}
