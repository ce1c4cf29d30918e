#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: record_findings
short_description: Add check findings to the play's C(karmada_findings), quietly
version_added: 0.3.0
description:
  - Sets the fact C(karmada_findings) to O(findings) with O(add) appended; a new finding replaces an earlier
    one of the same check id, because report.json has one finding per check.
  - The P(karmada.runbooks.common#role) role's C(record_finding) entry point uses it after every check.
  - Its result is not printed at C(-v), like C(ansible.builtin.setup)'s facts. With C(set_fact), each of the
    ten checks printed the whole list so far, hundreds of kilobytes per run, while the check's own task above
    it already shows the one finding that was added. A failure is printed as usual.
  - It contacts nothing.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  findings:
    description: The findings so far (C(karmada_findings)); null counts as none.
    type: list
    elements: dict
  add:
    description: The findings to add, as the check modules return them in C(finding).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.attributes.READ_ONLY
"""

EXAMPLES = r"""
- name: Add the execution namespace finding
  karmada.runbooks.record_findings:
    findings: "{{ karmada_findings | default([]) }}"
    add: ["{{ result.finding }}"]
"""

RETURN = r"""
ansible_facts:
  description: C(karmada_findings), the findings in the order they were added, at most one per check id.
  returned: success
  type: dict
count:
  description: How many findings C(karmada_findings) holds now.
  returned: success
  type: int
"""

from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._report import add_findings


def argument_spec():
    return {"findings": {"type": "list", "elements": "dict"},
            "add": {"type": "list", "elements": "dict", "required": True}}


def run(params, check_mode):
    findings = add_findings(params["findings"] or [], params["add"])
    # The callbacks print nothing of an ok result with this key at any verbosity (ansible.builtin.setup's facts
    # use it); a failed one is printed in full.
    return {"changed": False, "ansible_facts": {"karmada_findings": findings}, "count": len(findings),
            "_ansible_verbose_override": True}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
