#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mitigation_report
short_description: Add the mitigation section to a diagnosis report and write it
version_added: 0.1.0
description:
  - Last step of C(playbooks/mitigate.yml). Reads the diagnosis report (the C(report.json) that
    M(karmada.runbooks.report) wrote), validates the O(mitigation) section (the actions planned, applied,
    skipped or failed, the lock and the verification, see C(docs/report-schema.md)), and writes the
    combined C(report.json), C(report.md) and C(report.html) into O(report_dir).
  - The diagnosis part of the report is kept as it was; the section is an additive field, so the
    report's C(schema_version) stays C(1.0).
  - Every file is written to a temporary file first and renamed into place only when all are written,
    so a failure never leaves a partial report behind.
  - Returns the console summary for the job log, the diagnosis summary followed by a short mitigation block
    (a line per action and the verification).
  - A malformed section is a bug in the play that built it; the module fails with a message naming the
    field (and the action) that is wrong, and writes nothing.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  diagnosis:
    description:
      - Path of the diagnosis C(report.json) the mitigation started from (written by C(playbooks/diagnose.yml),
        or given to C(playbooks/mitigate.yml) as C(karmada_diagnosis_report)).
      - It must be a report of schema C(1.0). A mitigation section it already has is replaced.
    type: path
    required: true
  mitigation:
    description:
      - The C(mitigation) section - C(mode), C(approved), C(check_mode), C(allowed_actions), C(diagnosis),
        C(started_at), C(finished_at), C(summary), C(actions), C(lock) and C(verification), as documented in
        C(docs/report-schema.md).
    type: dict
    required: true
  report_dir:
    description:
      - Directory for C(report.json), C(report.md) and C(report.html); created if missing.
      - It may be the directory of O(diagnosis); the diagnosis report is then replaced by the combined one.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, md, html]
    default: [json, md, html]
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.attributes
attributes:
  check_mode:
    support: full
    details:
      - The report files are written in check mode too, as the record of what a check-mode run planned. They
        are not a change to the managed system, so the module always returns C(changed=false).
  diff_mode:
    support: N/A
    details: The module changes nothing in the managed system.
seealso:
  - module: karmada.runbooks.report
  - name: Report schema
    description: The fields of report.json, the mitigation section included, that tools and AWX workflows may rely on.
    link: https://github.com/karmada-runbooks/karmada.runbooks/blob/main/docs/report-schema.md
"""

EXAMPLES = r"""
- name: Write the report with what mitigation did
  karmada.runbooks.mitigation_report:
    diagnosis: "{{ karmada_report_dir }}/report.json"
    mitigation: "{{ karmada_mitigation }}"
    report_dir: "{{ karmada_report_dir }}"
  register: mitigation_report

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ mitigation_report.summary.splitlines() }}"

- name: Only the machine-readable report, next to a diagnosis given by file
  karmada.runbooks.mitigation_report:
    diagnosis: /var/tmp/karmada-report/report.json
    mitigation: "{{ karmada_mitigation }}"
    report_dir: /var/tmp/karmada-mitigation
    formats: [json]
"""

RETURN = r"""
mitigation:
  description: The validated mitigation section, as written to report.json (see docs/report-schema.md, C(mitigation)).
  returned: success
  type: dict
  contains:
    mode:
      description: V(plan) or V(apply).
      type: str
      sample: apply
    summary:
      description: One line for a pager.
      type: str
      sample: "applied 2 of 2 actions; recovered in 41 s"
    actions:
      description: The actions in plan order, each with C(id), C(kind), C(cause), C(status) (V(planned), V(applied),
        V(skipped) or V(failed)), C(changed), C(reason), C(targets), C(next_step), C(details) and C(duration_seconds).
      type: list
      elements: dict
    lock:
      description: The Lease held while applying, or null.
      type: dict
    verification:
      description: The evidence of recovery (C(recovered), C(elapsed_seconds), C(polls), C(criteria), ...), or null
        when nothing was applied.
      type: dict
summary:
  description: The console summary - the diagnosis summary, then at most 15 lines of mitigation (a line per action,
    the verification), then the file paths.
  returned: success
  type: str
paths:
  description: Absolute path of each file written, by format.
  returned: success
  type: dict
  sample: {"json": "/var/tmp/karmada-report/report.json", "md": "/var/tmp/karmada-report/report.md",
           "html": "/var/tmp/karmada-report/report.html"}
"""


from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._report_build import with_mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._report_console import console_summary
from ansible_collections.karmada.runbooks.plugins.module_utils._report_files import (
    FORMATS,
    ReportWriteError,
    read_report,
    render,
    requested_formats,
    write_files,
)


def argument_spec():
    return {
        "diagnosis": {"type": "path", "required": True},
        "mitigation": {"type": "dict", "required": True},
        "report_dir": {"type": "path", "required": True},
        "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": list(FORMATS)},
    }


def produce(params):
    """(report, paths, summary); ValueError for invalid input (naming the option), ReportWriteError when report_dir fails."""
    formats = requested_formats(params["formats"])
    # The whole report is read and validated before anything is written, so report_dir may be the diagnosis's own.
    report = with_mitigation(read_report(params["diagnosis"], "diagnosis"), params["mitigation"])
    paths = write_files(params["report_dir"], render(report, formats))
    return report, paths, console_summary(report, paths)


def run(params, check_mode):
    try:
        report, paths, summary = produce(params)
    except (ValueError, ReportWriteError) as exc:
        raise ModuleFailure(str(exc)) from exc
    # changed=false: the files record what mitigation did; the changes themselves were reported by the tasks that made them.
    return {"changed": False, "mitigation": report["mitigation"], "summary": summary, "paths": paths}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
