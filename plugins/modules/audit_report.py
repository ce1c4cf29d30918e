#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_report
short_description: Judge the drift audit, compare it with the previous audit and write the report
version_added: 0.1.0
description:
  - Last step of C(playbooks/audit.yml). Turns the audit checks (from the C(audit_*) modules) and the diagnose
    findings the audit reuses (execution namespaces, RBAC, the SLO's error budget) into drift items with stable
    ids, compares them with the audit report already in O(report_dir) (its C(report.json), when it is an audit
    report) and writes C(report.json), C(report.md) and C(report.html) there (C(docs/report-schema.md), "Audit report").
  - Never fails because of drift; it returns C(audit.failed), and the play fails after the report, the summary and
    C(set_stats). It fails only for a malformed check (a bug in the module that built it) or a report directory
    that cannot be written.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  checks:
    description: The audit checks, as the C(audit_*) modules return them in C(check).
    type: list
    elements: dict
    default: []
  findings:
    description: The diagnose findings the audit reuses (C(execution_namespaces), C(rbac), C(slo_burn_rate)); others are ignored.
    type: list
    elements: dict
    default: []
  report_dir:
    description: Directory for the report files; its C(report.json), when it is an audit report, is the previous audit.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, md, html]
    default: [json, md, html]
  budget_threshold:
    description: Drift when less than this share (0 to 1) of the SLO's error budget is left.
    type: float
    default: 0.5
  fail_on_unknown:
    description: Whether a check that could not run makes C(audit.failed) true.
    type: bool
    default: true
  thresholds:
    description: The other thresholds in force, recorded in the report (C(restarts), C(lease_max_age_seconds)).
    type: dict
    default: {}
  started_at:
    description: When the audit started (RFC 3339, or seconds since the epoch), for C(duration_seconds).
    type: raw
  targets:
    description: What was audited, recorded in the report (the same keys as the report module's O(karmada.runbooks.report#module:targets)).
    type: dict
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.attributes
attributes:
  check_mode:
    support: full
    details:
      - The report files are written in check mode too; they are the output of a read-only audit, so the module
        always returns C(changed=false).
  diff_mode:
    support: N/A
    details: The module changes nothing in the managed system.
"""

EXAMPLES = r"""
- name: Write the audit report
  karmada.runbooks.audit_report:
    checks: "{{ karmada_audit_checks }}"
    findings: "{{ karmada_findings }}"
    report_dir: /var/lib/karmada-audit
  register: audit

- name: Fail the scheduled job on drift
  ansible.builtin.fail:
    msg: "{{ audit.audit.summary }}"
  when: audit.audit.failed
"""

RETURN = r"""
audit:
  description: What AWX workflows get in C(set_stats) C(karmada_audit).
  returned: success
  type: dict
  contains:
    status:
      description: V(clean), V(drift) or V(unknown) (no drift, but a check could not run).
      type: str
    summary:
      description: One line.
      type: str
    failed:
      description: Whether the play must fail (drift, or an unknown check with O(fail_on_unknown)).
      type: bool
    drift:
      description: Ids of the drift items.
      type: list
      elements: str
    unknown_checks:
      description: Ids of the checks that could not run.
      type: list
      elements: str
    new:
      description: Ids of the drift items that were not in the previous audit.
      type: list
      elements: str
    resolved:
      description: Ids of the previous audit's drift items that are gone.
      type: list
      elements: str
    comparison:
      description: One line saying what changed since the previous audit (or why there is nothing to compare with).
      type: str
    paths:
      description: Absolute path of each file written, by format.
      type: dict
summary:
  description: The console summary - status, outcome, new and resolved items, a line per check, file paths.
  returned: success
  type: str
paths:
  description: Absolute path of each file written, by format.
  returned: success
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_report
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_BUDGET_THRESHOLD, AUDIT_FAIL_ON_UNKNOWN
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._report_files import FORMATS, ReportWriteError
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import utcnow


def argument_spec():
    return {
        "checks": {"type": "list", "elements": "dict", "default": []},
        "findings": {"type": "list", "elements": "dict", "default": []},
        "report_dir": {"type": "path", "required": True},
        "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": list(FORMATS)},
        "budget_threshold": {"type": "float", "default": AUDIT_BUDGET_THRESHOLD},
        "fail_on_unknown": {"type": "bool", "default": AUDIT_FAIL_ON_UNKNOWN},
        "thresholds": {"type": "dict", "default": {}},
        "started_at": {"type": "raw"},
        "targets": {"type": "dict"},
    }


def run(params, check_mode):
    try:
        audit, summary, paths = _audit_report.produce(params, utcnow())
    except (ValueError, ReportWriteError) as exc:
        raise ModuleFailure(str(exc)) from exc
    # changed=false: the files are the output of a read-only audit, not a change to the managed system.
    return {"changed": False, "audit": audit, "summary": summary, "paths": paths}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
