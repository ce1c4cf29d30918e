# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report schema: one place that says what a finding, a signal and a report look like.

Every check (one per runbook step) produces one *finding*. A finding carries *signals*: the
causes it points at, each with a strength between 0 and 1 and the evidence behind it. The
verdict weighs the signals of all findings; renderers turn the report into Markdown, HTML and a
console summary. report.json is the contract: bump SCHEMA_VERSION on any incompatible change.
mitigate.yml adds a ``mitigation`` section (actions, lock, verification) to a diagnosis report; its
constructors and validator are at the end of this file.

The constructors build findings in the checks; the validators check findings that arrive as data
(the report module's input) against the same rules, so the rules are written down once, here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import ACTIONS, CATALOGUE
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_datetime

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


# The longest string a finding keeps (summary, error, evidence text, signal reason, any string in details). Cluster
# text is unbounded (one event message can be a megabyte) and every finding travels through the play's variables
# and into three report files; a Karmada error worth reading fits in far less. Longer ones keep their start and a
# visible marker with the original length.
TEXT_LIMIT = 4096
TRUNCATION_MARKER = "\u2026 [truncated, %d characters]"


def bounded(value, limit=TEXT_LIMIT):
    """``value`` with every string longer than ``limit`` cut and marked, in dicts and lists at any depth."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return value[:limit] + TRUNCATION_MARKER % len(value)
    if isinstance(value, dict):
        return {key: bounded(item, limit) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [bounded(item, limit) for item in value]
    return value


class SchemaError(ValueError):
    """A finding or signal that does not follow the schema (a bug in the check that built it)."""


def evidence(source, text, count=None, time=None, ref=None):
    """One piece of evidence: what was seen, where, how often and when."""
    if source not in EVIDENCE_SOURCES:
        raise SchemaError("evidence source must be one of %s, got %r" % (", ".join(EVIDENCE_SOURCES), source))
    item = {"source": source, "text": bounded(str(text))}
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
    return {"cause": cause, "strength": round(float(strength), 3), "reason": bounded(str(reason)),
            "bindings": sorted(set(bindings)), "clusters": sorted(set(clusters)),
            "evidence": bounded(list(evidence_items))}


def finding(check_id, status, summary, details=None, evidence_items=None, signals=None, error=None,
            duration_seconds=None):
    """The result of one check, as report.json stores it."""
    if check_id not in CHECKS:
        raise SchemaError("unknown check id %r; known: %s" % (check_id, ", ".join(sorted(CHECKS))))
    if status not in STATUSES:
        raise SchemaError("status must be one of %s, got %r" % (", ".join(STATUSES), status))
    step, title = CHECKS[check_id]
    result = {"id": check_id, "runbook_step": step, "title": title, "status": status, "summary": bounded(str(summary)),
              "details": bounded(details or {}), "evidence": bounded(list(evidence_items or [])),
              "signals": bounded(list(signals or []))}
    if error:
        result["error"] = bounded(str(error))
    if duration_seconds is not None:
        result["duration_seconds"] = round(float(duration_seconds), 3)
    return result


def note_unread(result, unread):
    """``result`` (a finding) saying which side reads failed and why (``_kube.side_query``): in
    ``details.unread`` and at the end of the summary, so a partial answer never passes for a full one."""
    if unread:
        result["details"]["unread"] = dict(unread)
        result["summary"] += " Not read: %s." % "; ".join("%s (%s)" % (what, reason) for what, reason in sorted(unread.items()))
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


# ---------------------------------------------------------------------------------------------
# The mitigation section (mitigate.yml): what was planned, applied, skipped or failed, the lock held
# while applying, and the evidence of recovery. It is added to a diagnosis report (schema 1.0: an
# additive field). The section is the record of changes made to a production control plane, so it is
# validated as strictly as findings: a contradiction (an action applied in plan mode, "recovered"
# without a criterion that showed it) is a bug in the play and stops the report with the field named.
# Names, errors and diffs inside it come from the cluster and stay data; only the vocabularies are ours.

MITIGATION_MODES = ("plan", "apply")
# Which ids exist and what kind each is: the catalogue's ACTIONS, so a new action needs one entry there.
ACTION_IDS = tuple(ACTIONS)
ACTION_KINDS = ("apply", "report", "stop")
ACTION_STATUSES = ("planned", "applied", "skipped", "failed")
DIAGNOSIS_SOURCES = ("run", "file")
VERIFICATION_STATUSES = ("recovered", "not_recovered")
CRITERIA = ("bindings", "events", "metric")


def _is_time(value):
    if not isinstance(value, str):
        return False
    try:
        parse_datetime(value, "time")
    except ValueError:
        return False
    return True


# Field types of the section: (test, what the error message says the field must be).
_STRING = (lambda value: isinstance(value, str), "a string")
_TEXT = (lambda value: isinstance(value, str) and bool(value.strip()), "a non-empty string")
_OPTIONAL_STRING = (lambda value: value is None or isinstance(value, str), "a string or null")
_BOOLEAN = (lambda value: isinstance(value, bool), "true or false")
_OPTIONAL_BOOLEAN = (lambda value: value is None or isinstance(value, bool), "true, false or null")
_COUNT = (lambda value: _is_int(value) and value >= 0, "a non-negative integer")
_OPTIONAL_COUNT = (lambda value: value is None or (_is_int(value) and value >= 0), "a non-negative integer or null")
_SECONDS = (lambda value: is_number(value) and value >= 0, "a non-negative number of seconds")
_OPTIONAL_SECONDS = (lambda value: value is None or (is_number(value) and value >= 0), "a non-negative number of seconds or null")
_OPTIONAL_NUMBER = (lambda value: value is None or is_number(value), "a number or null")
_STRINGS = (lambda value: isinstance(value, list) and all(isinstance(entry, str) for entry in value), "a list of strings")
_MAPPING = (lambda value: isinstance(value, dict), "a mapping")
_OPTIONAL_MAPPING = (lambda value: value is None or isinstance(value, dict), "a mapping or null")
_TIME = (_is_time, "an RFC 3339 time such as 2026-11-25T03:00:00Z")
_OPTIONAL_TIME = (lambda value: value is None or _is_time(value), "an RFC 3339 time or null")


def _check_fields(where, prefix, value, spec, required=True):
    """Check ``value``'s fields against ``spec`` {key: type, or [record spec] for a list of records}.

    required: every key must be present (the section's own objects); otherwise only the keys present
    are checked (an action's details, where a planned action may not know everything yet). Keys the
    spec does not name are left alone: the schema grows by adding fields.
    """
    for key, kind in spec.items():
        name = f"{prefix}{key}"
        if key not in value:
            if required:
                raise _problem(where, name, "is missing")
            continue
        item = value[key]
        if isinstance(kind, list):
            if not isinstance(item, list):
                raise _problem(where, name, f"must be a list of mappings, got {type(item).__name__}")
            for index, record in enumerate(item):
                if not isinstance(record, dict):
                    raise _problem(where, f"{name}[{index}]", f"must be a mapping, got {type(record).__name__}")
                _check_fields(where, f"{name}[{index}].", record, kind[0], required=False)
        elif not kind[0](item):
            raise _problem(where, name, f"must be {kind[1]}, got {item!r}")


def _check_choice(where, field, value, choices, what=None):
    if value not in choices:
        raise _problem(where, field, f"must be {what or 'one of'} {', '.join(choices)}, got {value!r}")


# What each action's ``details`` hold (docs/report-schema.md, "mitigation.actions[].details"); an action
# not named here has free-form details. Only the keys present are checked.
ACTION_DETAILS = {
    "restore_execution_namespaces": {
        "method": _STRING, "to_restore": _STRINGS, "created": _STRINGS, "present": _STRINGS, "terminating": _STRINGS,
        "rejected": [{"cluster": _STRING, "reason": _STRING}]},
    "repair_controller_rbac": {"identity": _OPTIONAL_MAPPING, "cluster_role": _OPTIONAL_STRING, "binding": _OPTIONAL_STRING},
    "restart_controller_manager": {
        "restarted_at": _OPTIONAL_TIME, "previous_restarted_at": _OPTIONAL_TIME, "cooldown_seconds": _OPTIONAL_SECONDS,
        "rollout": _OPTIONAL_MAPPING},
    "report_namespace_finalization_blockers": {
        "namespaces": [{"namespace": _STRING, "cluster": _OPTIONAL_STRING, "cluster_ready": _OPTIONAL_BOOLEAN,
                        "works_with_finalizers": _OPTIONAL_COUNT, "samples": _STRINGS}]},
    "suggest_override_policy_fix": {
        "policies": [{"policy": _STRING, "rule": _OPTIONAL_COUNT, "path": _OPTIONAL_STRING, "operation": _OPTIONAL_STRING,
                      "error": _OPTIONAL_STRING, "diff": _OPTIONAL_STRING}]},
}

_ACTION_FIELDS = {"reason": _TEXT, "changed": _BOOLEAN, "targets": _STRINGS, "next_step": _OPTIONAL_STRING,
                  "details": _MAPPING, "duration_seconds": _OPTIONAL_SECONDS}
_DIAGNOSIS_FIELDS = {"path": _OPTIONAL_STRING, "generated_at": _OPTIONAL_STRING, "status": _STRING, "summary": _STRING}
_LOCK_FIELDS = {"name": _TEXT, "namespace": _TEXT, "holder": _TEXT, "acquired": _BOOLEAN, "waited_seconds": _SECONDS,
                "taken_over_from": _OPTIONAL_STRING, "released": _BOOLEAN, "error": _OPTIONAL_STRING}
_VERIFICATION_FIELDS = {"recovered": _BOOLEAN, "started_at": _TIME, "finished_at": _TIME, "elapsed_seconds": _SECONDS,
                        "timeout_seconds": _SECONDS, "polls": _COUNT, "since": _TIME, "criteria": _MAPPING, "reason": _TEXT}
_CRITERION_FIELDS = {
    # Counts are null when the criterion could not be measured (ok null, error says why).
    "bindings": {"ok": _OPTIONAL_BOOLEAN, "scheduled": _OPTIONAL_COUNT, "without_works": _OPTIONAL_COUNT,
                 "samples": [{"binding": _STRING, "clusters_without_work": _STRINGS}], "error": _OPTIONAL_STRING},
    "events": {"ok": _OPTIONAL_BOOLEAN, "new_failures": _OPTIONAL_COUNT, "samples": _STRINGS, "error": _OPTIONAL_STRING},
    "metric": {"ok": _OPTIONAL_BOOLEAN, "increase": _OPTIONAL_NUMBER, "range_seconds": _COUNT, "query": _STRING,
               "error": _OPTIONAL_STRING},
}
_SECTION_FIELDS = {"approved": _BOOLEAN, "check_mode": _BOOLEAN, "diagnosis": _MAPPING, "started_at": _TIME,
                   "finished_at": _TIME, "summary": _TEXT, "actions": (lambda value: isinstance(value, list), "a list of actions")}


def _check_action(where, item):
    action_id = item.get("id")
    _check_choice(where, "id", action_id, ACTION_IDS, "an action id:")
    kind = ACTIONS[action_id]
    if item.get("kind") != kind:
        raise _problem(where, "kind", f"must be {kind!r} for this action, got {item.get('kind')!r}")
    if item.get("cause", None) is not None:
        _check_choice(where, "cause", item["cause"], CAUSE_IDS, "null or a cause id:")
    _check_choice(where, "status", item.get("status"), ACTION_STATUSES)
    _check_fields(where, "", item, dict(_ACTION_FIELDS, cause=_OPTIONAL_STRING))
    # A write is either done (applied) or broke off part-way (failed, e.g. one of two namespaces created);
    # an action that was only planned or skipped, or that only reads, wrote nothing.
    if item["changed"] and kind != "apply":
        raise _problem(where, "changed", f"must be false for a {kind} action (it writes nothing)")
    if item["changed"] and item["status"] not in ("applied", "failed"):
        raise _problem(where, "changed", f"must be false for an action that is {item['status']} (nothing was written)")
    _check_fields(where, "details.", item["details"], ACTION_DETAILS.get(action_id, {}), required=False)


def _check_verification(where, item):
    _check_fields(where, "", item, _VERIFICATION_FIELDS)
    status = "recovered" if item["recovered"] else "not_recovered"
    if item.get("status") != status:
        raise _problem(where, "status", f"must be {status!r} as recovered is {item['recovered']}, got {item.get('status')!r}")
    for name in CRITERIA:
        if not isinstance(item["criteria"].get(name), dict):
            raise _problem(where, f"criteria.{name}", f"must be a mapping, got {type(item['criteria'].get(name)).__name__}")
        criterion = item["criteria"][name]
        _check_fields(where, f"criteria.{name}.", criterion, _CRITERION_FIELDS[name])
        if criterion["ok"] is None and not (criterion["error"] or "").strip():
            raise _problem(where, f"criteria.{name}.error", "must say why the criterion could not be measured (ok is null)")
    # "Fixed" needs evidence: no criterion may contradict it, and at least one must have shown it.
    results = [item["criteria"][name]["ok"] for name in CRITERIA]
    if item["recovered"] and (False in results or True not in results):
        failing = [name for name, ok in zip(CRITERIA, results) if ok is False]
        raise _problem(where, "recovered", "cannot be true when " + (
            f"criteria {', '.join(failing)} failed" if failing else "no criterion could be measured"))


def validate_mitigation(section):
    """Raise SchemaError naming the field of the mitigation section (and the action) that is wrong."""
    where = "mitigation"
    if not isinstance(section, dict):
        raise SchemaError(f"{where} must be a mapping (built by _report.mitigation_section), got {type(section).__name__}")
    _check_choice(where, "mode", section.get("mode"), MITIGATION_MODES)
    _check_fields(where, "", section, _SECTION_FIELDS)
    allowed = section.get("allowed_actions")
    if not isinstance(allowed, list):
        raise _problem(where, "allowed_actions", f"must be a list of action ids, got {allowed!r}")
    for index, action_id in enumerate(allowed):
        _check_choice(where, f"allowed_actions[{index}]", action_id, ACTION_IDS, "an action id:")
    _check_choice(where, "diagnosis.source", section["diagnosis"].get("source"), DIAGNOSIS_SOURCES)
    _check_fields(where, "diagnosis.", section["diagnosis"], _DIAGNOSIS_FIELDS)
    if section["mode"] == "apply" and (not section["approved"] or section["check_mode"]):
        raise _problem(where, "mode", "must be 'plan' when the run is not approved or in check mode")
    for index, item in enumerate(section["actions"]):
        at = f"{where}.actions[{index}]"
        if not isinstance(item, dict):
            raise SchemaError(f"{at} must be an action (a mapping built by _report.mitigation_action), got {type(item).__name__}")
        if item.get("id") in ACTION_IDS:
            at = f"{at} (action {item['id']})"
        _check_action(at, item)
        status = item["status"]
        if section["mode"] == "plan" and status in ("applied", "failed"):
            raise _problem(at, "status", f"cannot be {status!r} in plan mode (plan mode writes nothing)")
        if section["mode"] == "apply" and status == "planned":
            raise _problem(at, "status", "cannot be 'planned' in apply mode: an action not carried out is 'skipped', with the reason")
        if status in ("applied", "failed") and item["kind"] == "apply" and item["id"] not in allowed:
            raise _problem(at, "status", f"cannot be {status!r}: {item['id']} is not in allowed_actions")
    lock = section.get("lock")
    if lock is not None:
        if not isinstance(lock, dict):
            raise _problem(where, "lock", f"must be null or a mapping, got {type(lock).__name__}")
        _check_fields(where, "lock.", lock, _LOCK_FIELDS)
        if lock["released"] and not lock["acquired"]:
            raise _problem(where, "lock.released", "cannot be true when the lock was not acquired")
        if not lock["acquired"] and not (lock["error"] or "").strip():
            raise _problem(where, "lock.error", "must say why the lock was not acquired")
    verification_item = section.get("verification")
    if verification_item is not None:
        if not isinstance(verification_item, dict):
            raise _problem(where, "verification", f"must be null or a mapping, got {type(verification_item).__name__}")
        _check_verification(f"{where}.verification", verification_item)
    if section["mode"] == "plan" and (lock is not None or verification_item is not None):
        raise _problem(where, "lock" if lock is not None else "verification", "must be null in plan mode (nothing was applied)")


# Constructors: what the planning, apply and verification steps build. Each returns plain data and runs
# the validator's rules on it, so what a constructor accepts the report accepts.

def mitigation_action(action_id, status, reason, cause=None, changed=False, targets=(), next_step=None, details=None,
                      duration_seconds=None):
    """One action of the plan with its outcome; ``kind`` comes from the catalogue's ACTIONS."""
    item = {"id": action_id, "kind": ACTIONS.get(action_id), "cause": cause, "status": status, "changed": changed,
            "reason": reason, "targets": list(targets or ()), "next_step": next_step, "details": dict(details or {}),
            "duration_seconds": round(float(duration_seconds), 3) if is_number(duration_seconds) else duration_seconds}
    _check_action(f"mitigation action {action_id!r}", item)
    return item


def mitigation_diagnosis(source, path, status, summary, generated_at=None):
    """Which diagnosis the plan was made from: this run's (``run``) or a given report.json (``file``)."""
    item = {"source": source, "path": path, "generated_at": generated_at, "status": status, "summary": summary}
    _check_choice("mitigation", "diagnosis.source", source, DIAGNOSIS_SOURCES)
    _check_fields("mitigation", "diagnosis.", item, _DIAGNOSIS_FIELDS)
    return item


def mitigation_lock(name, namespace, holder, acquired, waited_seconds=0, taken_over_from=None, released=False, error=None):
    """The Lease held while applying: who held it, how long the run waited, whether it was taken over and released."""
    item = {"name": name, "namespace": namespace, "holder": holder, "acquired": acquired,
            "waited_seconds": round(float(waited_seconds), 3) if is_number(waited_seconds) else waited_seconds,
            "taken_over_from": taken_over_from, "released": released, "error": error}
    _check_fields("mitigation", "lock.", item, _LOCK_FIELDS)
    return item


def bindings_criterion(ok, scheduled, without_works, samples=(), error=None):
    """Every scheduled binding has its Works: ``samples`` [{binding, clusters_without_work}] name some that do not."""
    return {"ok": ok, "scheduled": scheduled, "without_works": without_works, "samples": list(samples), "error": error}


def events_criterion(ok, new_failures, samples=(), error=None):
    """No new SyncWorkFailed events since the last change; ``samples`` are their messages (cluster text)."""
    return {"ok": ok, "new_failures": new_failures, "samples": list(samples), "error": error}


def metric_criterion(ok, increase, range_seconds, query, error=None):
    """The binding sync error counter stopped increasing over ``range_seconds``; ok null = not measured (``error``)."""
    return {"ok": ok, "increase": increase, "range_seconds": range_seconds, "query": query, "error": error}


def verification(recovered, started_at, finished_at, elapsed_seconds, timeout_seconds, polls, since, criteria, reason):
    """The outcome of polling for recovery; ``criteria`` {bindings, events, metric} from the *_criterion constructors."""
    item = {"recovered": recovered, "status": "recovered" if recovered is True else "not_recovered",
            "started_at": started_at, "finished_at": finished_at,
            "elapsed_seconds": round(float(elapsed_seconds), 3) if is_number(elapsed_seconds) else elapsed_seconds,
            "timeout_seconds": timeout_seconds, "polls": polls, "since": since, "criteria": dict(criteria or {}),
            "reason": reason}
    _check_verification("mitigation.verification", item)
    return item


def mitigation_section(mode, approved, check_mode, allowed_actions, diagnosis, started_at, finished_at, summary, actions,
                       lock=None, verification_item=None):
    """The report's ``mitigation`` section, validated as a whole (docs/report-schema.md)."""
    section = {"mode": mode, "approved": approved, "check_mode": check_mode, "allowed_actions": list(allowed_actions or ()),
               "diagnosis": diagnosis, "started_at": started_at, "finished_at": finished_at, "summary": summary,
               "actions": list(actions or ()), "lock": lock, "verification": verification_item}
    validate_mitigation(section)
    return section
