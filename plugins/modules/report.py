#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: report
short_description: Rank the probable causes and write the diagnosis report
version_added: 0.1.0
description:
  - Last step of C(playbooks/diagnose.yml). Validates the findings of every check, forms the verdict
    (status, probable causes ranked by confidence, their evidence and the runbook's mitigation) and
    writes C(report.json) (the documented contract, see C(docs/report-schema.md)), C(report.md)
    (Meaning / Impact / Diagnosis / Mitigation) and C(report.html) (one self-contained file with inline
    SVG charts of the error ratio and the burn rate) into O(report_dir).
  - Every file is written to a temporary file first and renamed into place only when all are written,
    so a failure never leaves a partial report behind.
  - Returns a short console summary for the job log.
  - A malformed finding is a bug in the check that built it, not a state of the cluster; the module
    fails with a message naming the finding, the check and the field.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  findings:
    description:
      - The findings of the checks, one per check, as the check modules return them in C(finding)
        (the play collects them in C(karmada_findings)).
    type: list
    elements: dict
    required: true
  report_dir:
    description:
      - Directory for C(report.json), C(report.md) and C(report.html); created if missing.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, md, html]
    default: [json, md, html]
  alert:
    description:
      - The alert that started the run - an Alertmanager alert (C(labels), C(annotations), C(startsAt),
        C(status)), an Alertmanager webhook payload, an Event-Driven Ansible event or a mapping of the
        alert's labels. Normalized as M(karmada.runbooks.alert_intake) does.
    type: dict
  window_start:
    description: Start of the time the checks looked at (RFC 3339). Defaults to the alert's C(startsAt).
    type: str
  window_end:
    description: End of the time the checks looked at (RFC 3339). Defaults to the time of the report.
    type: str
  window_source:
    description:
      - What opened the window, V(alert) or V(default) (a look-back without an alert).
      - Defaults to V(alert) when the alert has a C(startsAt), else V(default).
    type: str
    choices: [alert, default]
  started_at:
    description:
      - When the diagnosis started (RFC 3339, or seconds since the epoch), for C(duration_seconds).
      - Without it the duration is the sum of the checks' own durations.
    type: raw
  targets:
    description: What was diagnosed, recorded in the report.
    type: dict
    suboptions:
      karmada_context:
        description: Kubeconfig context of the Karmada API server.
        type: str
      host_context:
        description: Kubeconfig context of the host cluster.
        type: str
      prometheus_url:
        description: Prometheus base URL (any C(user:password@) is removed from the report).
        type: str
      namespace:
        description: Namespace of karmada-controller-manager on the host cluster.
        type: str
      deployment:
        description: Name of the controller-manager Deployment.
        type: str
      labels:
        description: Label selectors of the controller-manager pods (a list, a selector string or a mapping).
        type: raw
  links:
    description:
      - Links for the report. Each one given here wins over one the SLO check found.
    type: dict
    suboptions:
      runbook:
        description: The runbook; defaults to the Karmada runbook this collection automates.
        type: str
      grafana_slo_detail:
        description: Sloth's SLO detail dashboard (grafana.com 14348) for this SLO.
        type: str
      grafana_slo_overview:
        description: Sloth's high-level SLO dashboard (grafana.com 14643).
        type: str
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.attributes
attributes:
  check_mode:
    support: full
    details:
      - The report files are written in check mode too. They are the output of a read-only diagnosis,
        not a change to the managed system, so the module always returns C(changed=false).
  diff_mode:
    support: N/A
    details: The module changes nothing in the managed system.
seealso:
  - name: Report schema
    description: The fields of report.json that tools and AWX workflows may rely on.
    link: https://github.com/karmada-runbooks/karmada.runbooks/blob/main/docs/report-schema.md
"""

EXAMPLES = r"""
- name: Write the diagnosis report
  karmada.runbooks.report:
    findings: "{{ karmada_findings }}"
    report_dir: /var/tmp/karmada-report
    alert: "{{ karmada_alert_normalized }}"
    window_start: "{{ karmada_window_start }}"
    window_end: "{{ karmada_window_end }}"
    started_at: "{{ karmada_started_at }}"
    targets:
      karmada_context: karmada-apiserver
      host_context: karmada-host
      namespace: karmada-system
      deployment: karmada-controller-manager
  register: diagnosis

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ diagnosis.summary.splitlines() }}"

- name: Only the machine-readable report
  karmada.runbooks.report:
    findings: "{{ karmada_findings }}"
    report_dir: ./out
    formats: [json]
"""

RETURN = r"""
verdict:
  description: The verdict (see docs/report-schema.md, C(verdict)).
  returned: success
  type: dict
  contains:
    status:
      description: V(healthy), V(degraded) or V(unknown).
      type: str
      sample: degraded
    summary:
      description: One line for a pager.
      type: str
      sample: "degraded: execution namespaces are missing (karmada-es-member2)"
    causes:
      description: Probable causes, most likely first, each with C(id), C(title), C(confidence), C(evidence),
        C(supported_by), C(bindings), C(clusters) and C(mitigation).
      type: list
      elements: dict
    unknown_checks:
      description: Ids of the checks that could not run.
      type: list
      elements: str
summary:
  description: The console summary (under 30 lines) - verdict, ranked causes with the runbook's fix, a line per check, file paths.
  returned: success
  type: str
paths:
  description: Absolute path of each file written, by format.
  returned: success
  type: dict
  sample: {"json": "/var/tmp/karmada-report/report.json", "md": "/var/tmp/karmada-report/report.md",
           "html": "/var/tmp/karmada-report/report.html"}
report:
  description: The full report, as written to report.json.
  returned: success
  type: dict
"""


from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._report_build import report_from_inputs
from ansible_collections.karmada.runbooks.plugins.module_utils._report_console import console_summary
from ansible_collections.karmada.runbooks.plugins.module_utils._report_files import (
    FORMATS,
    ReportWriteError,
    render,
    requested_formats,
    write_files,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import utcnow


def argument_spec():
    text = {"type": "str"}
    return {
        "findings": {"type": "list", "elements": "dict", "required": True},
        "report_dir": {"type": "path", "required": True},
        "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": list(FORMATS)},
        "alert": {"type": "dict"},
        "window_start": text,
        "window_end": text,
        "window_source": {"type": "str", "choices": ["alert", "default"]},
        "started_at": {"type": "raw"},
        "targets": {"type": "dict", "options": {
            "karmada_context": text, "host_context": text, "prometheus_url": text, "namespace": text,
            "deployment": text, "labels": {"type": "raw"}}},
        "links": {"type": "dict", "options": {"runbook": text, "grafana_slo_detail": text, "grafana_slo_overview": text}},
    }


def produce(params, now):
    """(report, paths, summary); ValueError for invalid input, ReportWriteError when report_dir fails."""
    formats = requested_formats(params["formats"])
    report = report_from_inputs(params["findings"], now, alert=params["alert"], window_start=params["window_start"],
                                window_end=params["window_end"], window_source=params["window_source"],
                                started_at=params["started_at"], targets=params["targets"], links=params["links"])
    paths = write_files(params["report_dir"], render(report, formats))
    return report, paths, console_summary(report, paths)


def run(params, check_mode):
    try:
        report, paths, summary = produce(params, utcnow())
    except (ValueError, ReportWriteError) as exc:
        raise ModuleFailure(str(exc)) from exc
    # changed=false: the files are the output of a read-only diagnosis, not a change to the managed system.
    return {"changed": False, "verdict": report["verdict"], "summary": summary, "paths": paths, "report": report}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
