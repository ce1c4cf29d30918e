# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mitigation_section
short_description: The report's mitigation section from the plan and what each action did
version_added: 0.2.0
description:
  - Merges the outcomes the action roles recorded into the planned actions and adds the lock, the
    verification and the run's context; the result is the C(mitigation) section of report.json
    (docs/report-schema.md).
positional: outcomes, lock, verification, context
options:
  _input:
    description: The plan (C(mitigation_plan)'s C(plan)).
    type: dict
    required: true
  outcomes:
    description: The actions' outcomes (P(karmada.runbooks.mitigation_outcome#filter)).
    type: list
    elements: dict
  lock:
    description: The lock as C(mitigation_lock) returned it, or null.
    type: dict
  verification:
    description: The verification as C(recovery_status) returned it, or null.
    type: dict
  context:
    description: C(mode), C(approved), C(check_mode), C(allowed_actions), C(diagnosis), C(started_at), C(finished_at).
    type: dict
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Build the mitigation section
  ansible.builtin.set_fact:
    section: "{{ plan | karmada.runbooks.mitigation_section(outcomes, lock, verification, context) }}"
"""

RETURN = r"""
_value:
  description: The C(mitigation) section.
  type: dict
"""

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _section(plan, outcomes=None, lock=None, verification=None, context=None):
    from ansible_collections.karmada.runbooks.plugins.module_utils._mitigation import settle
    return settle(plan if isinstance(plan, dict) else {}, outcomes, lock or None, verification or None, context)


class FilterModule(object):
    def filters(self):
        return {"mitigation_section": _section}
