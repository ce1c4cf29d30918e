# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: add_findings
short_description: Add check findings to the play's list, one finding per check
version_added: 0.2.0
description:
  - Appends O(new) to the list of findings; a new finding replaces an earlier one of the same check id,
    because report.json has one finding per check.
  - The P(karmada.runbooks.common#role) role's C(record_finding) entry point uses it.
positional: new
options:
  _input:
    description: The findings so far (C(karmada_findings)); null counts as none.
    type: list
    elements: dict
    required: true
  new:
    description: The findings to add, as the check modules return them in C(finding).
    type: list
    elements: dict
    required: true
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Add the execution namespace finding
  ansible.builtin.set_fact:
    karmada_findings: "{{ karmada_findings | karmada.runbooks.add_findings([result.finding]) }}"
"""

RETURN = r"""
_value:
  description: The findings, in the order they were added, at most one per check id.
  type: list
  elements: dict
"""

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _add_findings(findings, new):
    from ansible_collections.karmada.runbooks.plugins.module_utils._report import add_findings
    return add_findings(findings, new)


class FilterModule(object):
    def filters(self):
        return {"add_findings": _add_findings}
