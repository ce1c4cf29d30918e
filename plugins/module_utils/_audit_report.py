# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml's report.json: assembled from the audit checks, compared with the audit report already there.

The top level keeps the diagnosis report's fields that mean the same here (``schema_version``,
``generated_at``, ``collection_version``, ``targets``, ``links``, ``duration_seconds``), adds ``kind``
(``audit``) and the ``audit`` section (``_audit.section``), and leaves out what only a diagnosis has
(``alert``, ``window``, ``verdict``, ``checks``): docs/report-schema.md, "Audit report".
:func:`read_previous` never fails the run: a report that cannot be read, or is a diagnosis, only means
there is nothing to compare with, and the comparison's note says why.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SCHEMA_VERSION
from ansible_collections.karmada.runbooks.plugins.module_utils._report_build import elapsed_seconds, normalize_targets
from ansible_collections.karmada.runbooks.plugins.module_utils._report_console import audit_console_summary
from ansible_collections.karmada.runbooks.plugins.module_utils._report_files import FILE_NAMES, render, requested_formats, write_files
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339
from ansible_collections.karmada.runbooks.plugins.module_utils._version import COLLECTION_VERSION


def previous_path(report_dir):
    return os.path.join(os.path.abspath(os.path.expanduser(str(report_dir))), FILE_NAMES["json"])


def read_previous(path):
    """(previous_audit(...) or None, note or None) for the report.json at ``path``."""
    if not os.path.exists(path):
        return None, "first audit into this directory: nothing to compare with"
    try:
        with open(path, "rb") as stream:
            report = json.loads(stream.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        return None, "the report.json already there could not be read (%s): nothing to compare with" % (
            getattr(exc, "strerror", None) or exc.__class__.__name__)
    previous = _audit.previous_audit(report)
    if previous is None:
        kind = report.get("kind") if isinstance(report, dict) else None
        return None, ("the report.json already there is %s, not an audit: nothing to compare with; it is replaced"
                      % ("a diagnosis" if kind in (None, "diagnosis") else "of kind %r" % str(kind)[:40]))
    return previous, None


def build(checks, findings, now, budget_threshold, thresholds, fail_on_unknown, previous=None, path=None, note=None,
          started_at=None, targets=None):
    """report.json of an audit, as a dict. Raises SchemaError for a malformed check (naming it)."""
    every = list(checks or []) + _audit.from_findings(findings, budget_threshold)
    drift = [item for check in every for item in check.get("drift") or []]
    comparison = _audit.compare(previous, drift, every, path=path, note=note)
    section = _audit.section(every, dict(thresholds, budget_remaining=budget_threshold), fail_on_unknown, comparison)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": _audit.REPORT_KIND,
        "generated_at": format_rfc3339(now),
        "collection_version": COLLECTION_VERSION,
        "targets": normalize_targets(targets),
        "links": {"runbook": RUNBOOK_URL},
        "duration_seconds": elapsed_seconds(started_at, now) if started_at not in (None, "") else None,
        "audit": section,
    }


def stats(report, paths):
    """What set_stats hands to an AWX workflow (``karmada_audit``)."""
    section = report["audit"]
    comparison = section["comparison"]
    return {"status": section["status"], "summary": section["summary"], "failed": section["failed"],
            "drift": [item["id"] for item in section["drift"]], "unknown_checks": section["unknown_checks"],
            "new": comparison["new"], "resolved": [item["id"] for item in comparison["resolved"]],
            "comparison": _audit.comparison_text(comparison), "paths": paths}


def produce(params, now):
    """(stats, summary, paths) of an audit run: compare with the report already in ``report_dir``, write the
    files. ValueError for invalid input, ReportWriteError when the directory cannot be written."""
    if not 0 <= params["budget_threshold"] <= 1:
        raise ValueError("budget_threshold must be between 0 and 1 (a share of the error budget), got %r"
                         % params["budget_threshold"])
    formats = requested_formats(params["formats"])
    path = previous_path(params["report_dir"])
    previous, note = read_previous(path)
    report = build(params["checks"], params["findings"], now, params["budget_threshold"], params["thresholds"],
                   params["fail_on_unknown"], previous=previous, path=path, note=note,
                   started_at=params["started_at"], targets=params["targets"])
    paths = write_files(params["report_dir"], render(report, formats))
    return stats(report, paths), audit_console_summary(report, paths), paths
