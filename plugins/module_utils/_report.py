# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report schema: one place that says what a finding, a signal and a report look like.

Every check (one per runbook step) produces one *finding*. A finding carries *signals*: the
causes it points at, each with a strength between 0 and 1 and the evidence behind it. The
verdict weighs the signals of all findings; renderers turn the report into Markdown, HTML and a
console summary. report.json is the contract: bump SCHEMA_VERSION on any incompatible change.

The constructors build findings in the checks; the validators check findings that arrive as data
(the report module's input) against the same rules, so the rules are written down once, here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers

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

# A signal's strength: from a hint (0) to proof (1).
STRENGTH_MIN = 0
STRENGTH_MAX = 1


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
    """A check's support for one cause. strength: STRENGTH_MIN (hint) .. STRENGTH_MAX (proof)."""
    if cause not in CAUSE_IDS:
        raise SchemaError("unknown cause id %r; known: %s" % (cause, ", ".join(CAUSE_IDS)))
    if not STRENGTH_MIN <= float(strength) <= STRENGTH_MAX:
        raise SchemaError("signal strength must be between %s and %s, got %r" % (STRENGTH_MIN, STRENGTH_MAX, strength))
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


def add_findings(findings, new):
    """``findings`` with ``new`` appended; a new finding replaces an earlier one of the same check.

    One finding per check is the report's rule. The common role's record_finding can run twice for
    one check (Ansible skips a role another role depends on when it already ran, but not the tasks that
    role imports), so the later finding wins instead of the report failing on a duplicate.
    """
    new = [item for item in (new or []) if isinstance(item, dict)]
    replaced = {item.get("id") for item in new}
    return [item for item in (findings or []) if not (isinstance(item, dict) and item.get("id") in replaced)] + new


def unknown(check_id, reason, details=None, duration_seconds=None):
    """A check that could not run (forbidden, unreachable, timeout): the rest of the diagnosis goes on."""
    return finding(check_id, "unknown", "Could not check: %s" % reason, details=details, error=reason,
                   duration_seconds=duration_seconds)


# ---------------------------------------------------------------------------------------------
# validation of findings that arrive as data: a malformed finding is a bug in the check that built
# it, so it stops the report with a message naming the check and the field, instead of producing a
# misleading verdict.

def is_number(value):
    """A real number, not a bool (True is an int to Python, never a number in report.json)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _problem(where, field, text):
    return SchemaError(f"{where}: field '{field}' {text}")


def _check_evidence(where, field, items):
    if not isinstance(items, list):
        raise _problem(where, field, f"must be a list of evidence items, got {type(items).__name__}")
    for index, item in enumerate(items):
        name = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise _problem(where, name, f"must be a mapping, got {type(item).__name__}")
        if item.get("source") not in EVIDENCE_SOURCES:
            raise _problem(where, f"{name}.source", f"must be one of {', '.join(EVIDENCE_SOURCES)}, got {item.get('source')!r}")
        if not isinstance(item.get("text"), str):
            raise _problem(where, f"{name}.text", f"must be a string, got {item.get('text')!r}")
        if "count" in item and not _is_int(item["count"]):
            raise _problem(where, f"{name}.count", f"must be an integer, got {item['count']!r}")


def _check_signals(where, signals):
    if not isinstance(signals, list):
        raise _problem(where, "signals", f"must be a list of signals, got {type(signals).__name__}")
    for index, item in enumerate(signals):
        name = f"signals[{index}]"
        if not isinstance(item, dict):
            raise _problem(where, name, f"must be a mapping, got {type(item).__name__}")
        if item.get("cause") not in CAUSE_IDS:
            raise _problem(where, f"{name}.cause", f"must be a cause id ({', '.join(CAUSE_IDS)}), got {item.get('cause')!r}")
        strength = item.get("strength")
        if not (is_number(strength) and STRENGTH_MIN <= strength <= STRENGTH_MAX):
            raise _problem(where, f"{name}.strength", f"must be a number between {STRENGTH_MIN} and {STRENGTH_MAX}, got {strength!r}")
        if not isinstance(item.get("reason"), str):
            raise _problem(where, f"{name}.reason", f"must be a string, got {item.get('reason')!r}")
        for key in ("bindings", "clusters"):
            names = item.get(key, [])
            if not isinstance(names, list) or not all(isinstance(entry, str) for entry in names):
                raise _problem(where, f"{name}.{key}", f"must be a list of strings, got {names!r}")
        _check_evidence(where, f"{name}.evidence", item.get("evidence", []))


def validate_finding(item, index=0):
    """Raise SchemaError naming the finding (index and check id) and the field that is wrong."""
    where = f"findings[{index}]"
    if not isinstance(item, dict):
        raise SchemaError(f"{where} must be a finding (a mapping built by _report.finding), got {type(item).__name__}")
    check_id = item.get("id")
    if check_id not in CHECKS:
        raise _problem(where, "id", f"must be a check id ({', '.join(CHECKS)}), got {check_id!r}")
    where = f"findings[{index}] (check {check_id})"
    step = CHECKS[check_id][0]
    if not _is_int(item.get("runbook_step")) or item["runbook_step"] != step:
        raise _problem(where, "runbook_step", f"must be {step} for this check, got {item.get('runbook_step')!r}")
    if item.get("status") not in STATUSES:
        raise _problem(where, "status", f"must be one of {', '.join(STATUSES)}, got {item.get('status')!r}")
    for key in ("title", "summary"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise _problem(where, key, f"must be a non-empty string, got {item.get(key)!r}")
    if not isinstance(item.get("details"), dict):
        raise _problem(where, "details", f"must be a mapping, got {type(item.get('details')).__name__}")
    _check_evidence(where, "evidence", item.get("evidence"))
    _check_signals(where, item.get("signals"))
    if "error" in item and not isinstance(item["error"], str):
        raise _problem(where, "error", f"must be a string, got {item['error']!r}")
    if item["status"] == "unknown" and not item.get("error"):
        raise _problem(where, "error", "must say why the check could not run (status is unknown), but is missing")
    duration = item.get("duration_seconds", 0)
    if not (is_number(duration) and duration >= 0):
        raise _problem(where, "duration_seconds", f"must be a number of seconds, got {duration!r}")


def validate_findings(findings):
    """Validate every finding; a check may report once (one finding per check)."""
    if not isinstance(findings, list):
        raise SchemaError(f"findings must be a list of findings, got {type(findings).__name__}")
    seen = {}
    for index, item in enumerate(findings):
        validate_finding(item, index)
        if item["id"] in seen:
            raise SchemaError(f"findings[{index}] (check {item['id']}): the check already reported at "
                              f"findings[{seen[item['id']]}]; there must be one finding per check")
        seen[item["id"]] = index
