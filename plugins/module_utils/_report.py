# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report schema: one place that says what a finding, a signal and a report look like.

Every check (one per runbook step) produces one *finding*. A finding carries *signals*: the
causes it points at, each with a strength between 0 and 1 and the evidence behind it. The
verdict weighs the signals of all findings; renderers turn the report into Markdown, HTML and a
console summary. report.json is the contract: bump SCHEMA_VERSION on any incompatible change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE

SCHEMA_VERSION = "1.0"

STATUSES = ("ok", "warn", "fail", "unknown")

# The probable causes (the runbook's "Possible Causes", made precise) are the catalogue's entries.
CAUSE_IDS = tuple(CATALOGUE)

# check id -> (runbook step, title)
CHECKS = {
    "slo_burn_rate": (1, "SLO burn rate and error budget"),
    "sync_failure_events": (2, "Binding sync failure events"),
    "controller_logs": (3, "Controller-manager logs"),
    "execution_namespaces": (4, "Execution namespaces"),
    "rbac": (5, "RBAC permissions of the controller"),
    "override_policies": (6, "Override policies"),
    "binding_sync_error_rate": (7, "Binding sync error rate"),
    "workqueue": (8, "Binding controller workqueue"),
    "binding_status": (8, "Binding sync state"),
    "recent_changes": (9, "Recent changes"),
}

EVIDENCE_SOURCES = ("event", "log", "object", "metric", "access_review", "api")


class SchemaError(ValueError):
    """A finding or signal that does not follow the schema (a bug in the check that built it)."""


def evidence(source, text, count=None, time=None, ref=None):
    """One piece of evidence: what was seen, where, how often and when."""
    if source not in EVIDENCE_SOURCES:
        raise SchemaError("evidence source must be one of %s, got %r" % (", ".join(EVIDENCE_SOURCES), source))
    item = {"source": source, "text": str(text)}
    if count is not None:
        item["count"] = int(count)
    if time:
        item["time"] = time
    if ref:
        item["ref"] = ref
    return item


def signal(cause, strength, reason, bindings=(), clusters=(), evidence_items=()):
    """A check's support for one cause. strength: 0 (hint) .. 1 (proof)."""
    if cause not in CAUSE_IDS:
        raise SchemaError("unknown cause id %r; known: %s" % (cause, ", ".join(CAUSE_IDS)))
    if not 0 <= float(strength) <= 1:
        raise SchemaError("signal strength must be between 0 and 1, got %r" % (strength,))
    return {"cause": cause, "strength": round(float(strength), 3), "reason": str(reason),
            "bindings": sorted(set(bindings)), "clusters": sorted(set(clusters)),
            "evidence": list(evidence_items)}


def finding(check_id, status, summary, details=None, evidence_items=None, signals=None, error=None,
            duration_seconds=None):
    """The result of one check, as report.json stores it."""
    if check_id not in CHECKS:
        raise SchemaError("unknown check id %r; known: %s" % (check_id, ", ".join(sorted(CHECKS))))
    if status not in STATUSES:
        raise SchemaError("status must be one of %s, got %r" % (", ".join(STATUSES), status))
    step, title = CHECKS[check_id]
    result = {"id": check_id, "runbook_step": step, "title": title, "status": status, "summary": str(summary),
              "details": details or {}, "evidence": list(evidence_items or []), "signals": list(signals or [])}
    if error:
        result["error"] = str(error)
    if duration_seconds is not None:
        result["duration_seconds"] = round(float(duration_seconds), 3)
    return result


def unknown(check_id, reason, details=None, duration_seconds=None):
    """A check that could not run (forbidden, unreachable, timeout): the rest of the diagnosis goes on."""
    return finding(check_id, "unknown", "Could not check: %s" % reason, details=details, error=reason,
                   duration_seconds=duration_seconds)
