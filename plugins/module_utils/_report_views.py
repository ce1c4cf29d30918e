# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The presentation model shared by report.md, report.html and the console summary.

What the views show is computed here once, from the report dict alone, so that the Markdown, the
HTML and the console agree with each other and with report.json: the SLO figures, the probable
causes with their mitigation, evidence lines, the alert and target rows, the runbook's Meaning and
Impact texts, the two charts (drawn by _svg) and, for a mitigate.yml report, what was done and the
evidence of recovery (:func:`mitigation_view`). Everything is pure and deterministic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

from ansible_collections.karmada.runbooks.plugins.module_utils import _svg
from ansible_collections.karmada.runbooks.plugins.module_utils._burnrate import (
    PERIOD,
    burn_factor,
    error_budget,
    format_burn,
    format_duration,
    format_percent,
    period_days,
    windows_for_period,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE, RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._report import ACTION_IDS, ACTION_STATUSES, CRITERIA, is_number
from ansible_collections.karmada.runbooks.plugins.module_utils._report_build import TARGET_KEYS, slo_finding
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_datetime, parse_duration

TITLE = "Binding to Work sync diagnosis"
# The views show this many evidence items per cause or check and names per list; report.json keeps all.
EVIDENCE_SHOWN = 10
NAMES_SHOWN = 30
# Samples of failures that match no known cause: as many and as long as the verdict keeps (_verdict).
UNRECOGNISED_SHOWN = 5
UNRECOGNISED_WIDTH = 500


# C0/C1 control characters other than whitespace (ESC starts ANSI sequences that clear a terminal or retitle
# it; cluster text and alerts may carry them). Whitespace is folded separately.
# C0 and C1 control characters but tab and newline: ESC starts ANSI and OSC sequences (clear the screen, set
# the title), backspace and a carriage return not ending a line overwrite what was printed before.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def printable(text):
    """Text from a cluster or an alert with its control characters removed, so no terminal acts on them."""
    return _CONTROL.sub("", str(text if text is not None else ""))


def one_line(text, width=None):
    """Whitespace (newlines included) collapsed to single spaces, control characters dropped; cut to ``width``."""
    flat = re.sub(r"\s+", " ", printable(text)).strip()
    if width and len(flat) > width:
        return flat[:max(0, width - 3)].rstrip() + "..."
    return flat


def limited(names, shown=NAMES_SHOWN):
    """'a, b, c (+4 more)'."""
    names = [str(name) for name in names or ()]
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += f" (+{len(names) - shown} more)"
    return text


def percent(ratio):
    return format_percent(ratio if is_number(ratio) else None)


def times(rate):
    return format_burn(rate if is_number(rate) else None)


def _window_key(window):
    try:
        return (parse_duration(window), str(window))
    except ValueError:
        return (float("inf"), str(window))


def budget_of(objective):
    """The error budget ratio of the SLO check's objective (a percentage, as Sloth writes it), or None."""
    try:
        return error_budget(objective) if is_number(objective) else None
    except ValueError:
        return None


def period_of(details):
    """The SLO period the check found (Sloth's ``30d`` or, for google-28d windows, ``4w``)."""
    period = details.get("period")
    return period if isinstance(period, str) and period else PERIOD


def page_factors(period=PERIOD):
    """Burn rates at which Sloth pages, derived from its windows: [(14.4, '1h/5m'), (6.0, '6h/30m')] for 30 days."""
    return [(round(burn_factor(window, period), 3), f"{window.long}/{window.short}")
            for window in windows_for_period(period) if window.severity == "page"]


def slo_view(report):
    """The SLO figures for the Impact section and the console.

    {'rows': [(label, text)], 'fleet': [text], 'brief': one console line, 'note': why there are no
    figures (or None)}.
    """
    slo = slo_finding(report.get("checks") or [])
    if slo is None or slo.get("status") == "unknown":
        note = ("The SLO check did not run; the burn rate is not known." if slo is None
                else f"The SLO check could not run: {one_line(slo.get('error'))}")
        return {"rows": [], "fleet": [], "brief": None, "note": note}
    details = slo.get("details") or {}
    status = str(slo.get("status")).upper()
    rows = [("Status", f"{status} - {one_line(slo.get('summary'))}")]
    budget_label = f"Error budget left ({period_days(period_of(details)):g}d)"
    budget = budget_of(details.get("objective"))
    if budget is not None:
        rows.append(("Objective", f"{details['objective']}% (error budget {percent(budget)})"))
    if details.get("source"):
        sources = {"sloth": "Sloth recording rules", "raw": "raw metric (no Sloth rules found)"}
        rows.append(("Source", sources.get(details["source"], str(details["source"]))))
    for label, key, fmt in (("Burn rate", "burn_rates", times), ("Error ratio", "error_ratios", percent)):
        values = details.get(key)
        if isinstance(values, dict) and values:
            rows.append((label, ", ".join(f"{window} {fmt(values[window])}" for window in sorted(values, key=_window_key))))
    if "budget_remaining" in details:
        rows.append((budget_label, percent(details["budget_remaining"])))
    conditions = [name for name in ("page", "ticket") if details.get(name)]
    if "page" in details or "ticket" in details:
        rows.append(("Alert conditions met", ", ".join(conditions) or "none"))
    left = details.get("time_to_exhaustion_seconds")
    if "time_to_exhaustion_seconds" in details:
        if not is_number(left):
            rows.append(("Budget exhausted in", "not at the current burn"))
        elif left <= 0:
            rows.append(("Budget exhausted in", "already exhausted"))
        else:
            rows.append(("Budget exhausted in", format_duration(left)))
    fleet = [f"{item.get('service', '?')}/{item.get('slo', '?')} {times(item.get('burn_rate'))}"
             for item in details.get("fleet") or [] if isinstance(item, dict)]
    # The console gets one line: burn rates, budget, alert conditions, time left.
    brief = [f"{label.lower()} {text}" for label, text in rows if label in ("Burn rate", budget_label)]
    if conditions:
        brief.append(f"{' and '.join(conditions)} condition met")
    if is_number(left):
        brief.append(f"budget gone in {format_duration(left)}")
    return {"rows": rows, "fleet": fleet, "note": None,
            "brief": f"{status} - {'; '.join(brief) if brief else one_line(slo.get('summary'))}"}


def alert_rows(alert):
    if not alert:
        return []
    rows = [("Alert", alert.get("alertname") or "(unnamed)"), ("Status", alert.get("status") or "firing"),
            ("Since", alert.get("startsAt") or "unknown")]
    labels = alert.get("labels") or {}
    rows.extend((f"Label {key}", labels[key]) for key in sorted(labels) if key != "alertname")
    annotations = alert.get("annotations") or {}
    rows.extend((f"Annotation {key}", annotations[key]) for key in sorted(annotations))
    return [(label, one_line(value)) for label, value in rows]


_TARGET_NAMES = {"karmada_context": "Karmada API server context", "host_context": "Host cluster context",
                 "prometheus_url": "Prometheus", "namespace": "Controller-manager namespace",
                 "deployment": "Controller-manager Deployment", "labels": "Controller-manager pod labels"}


def target_rows(targets):
    rows = []
    for key in TARGET_KEYS:
        value = (targets or {}).get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            value = ",".join(f"{name}={text}" for name, text in sorted(value.items()))
        elif isinstance(value, (list, tuple)):
            value = " | ".join(str(entry) for entry in value)
        rows.append((_TARGET_NAMES[key], one_line(value)))
    return rows


def evidence_line(item):
    """(text, extra): what was seen, and 'x3, <time>, <ref>'; renderers show the source their own way."""
    extra = []
    if item.get("count") not in (None, 1):
        extra.append(f"x{item['count']}")
    if item.get("time"):
        extra.append(str(item["time"]))
    ref = item.get("ref")
    if isinstance(ref, dict):
        extra.append(", ".join(f"{key}={value}" for key, value in sorted(ref.items())))
    elif ref:
        extra.append(str(ref))
    return one_line(item.get("text")), one_line(", ".join(extra))


def cause_views(verdict):
    """The verdict's causes with everything the views show, filled from the catalogue where missing."""
    views = []
    for rank, cause in enumerate((verdict or {}).get("causes") or [], 1):
        entry = CATALOGUE.get(cause.get("id"), {})
        mitigation = cause.get("mitigation") or {}
        confidence = cause.get("confidence")
        confidence = min(1.0, max(0.0, float(confidence))) if is_number(confidence) else 0.0
        evidence = [item for item in cause.get("evidence") or [] if isinstance(item, dict)]
        views.append({
            "rank": rank, "id": cause.get("id"), "title": cause.get("title") or entry.get("title") or cause.get("id"),
            "confidence": confidence, "confidence_text": f"{round(confidence * 100)}%",
            "supported_by": list(cause.get("supported_by") or []),
            "bindings": list(cause.get("bindings") or []), "clusters": list(cause.get("clusters") or []),
            "evidence": evidence[:EVIDENCE_SHOWN], "evidence_more": max(0, len(evidence) - EVIDENCE_SHOWN),
            "runbook_row": mitigation.get("runbook_row", entry.get("runbook_row")),
            "action": mitigation.get("action") or entry.get("mitigation") or "",
            "runbook_url": mitigation.get("runbook_url") or RUNBOOK_URL,
        })
    return views


def unrecognised_view(verdict):
    """The verdict's failures that match no known cause, or None if there are none.

    {'count': n, 'text': 'n failure(s) ... (sources)', 'samples': [one line each, bounded]}; the
    samples are cluster text, which each renderer escapes its own way.
    """
    entry = (verdict or {}).get("unrecognised")
    if not isinstance(entry, dict) or not is_number(entry.get("count")) or entry["count"] < 1:
        return None
    count = int(entry["count"])
    sources = [str(source) for source in entry.get("sources") or [] if source]
    samples = [one_line(sample, UNRECOGNISED_WIDTH) for sample in entry.get("samples") or [] if isinstance(sample, str)]
    text = (f"{count} binding sync failure(s) match no known cause"
            + (f" (seen by {', '.join(sources)})" if sources else "")
            + ": follow the runbook by hand for them, and report their text so the cause catalogue can learn it.")
    return {"count": count, "text": text, "samples": samples[:UNRECOGNISED_SHOWN]}


def no_cause_advice(verdict):
    status = (verdict or {}).get("status")
    if status == "healthy":
        return ("No cause was found and every check passed: nothing to mitigate. If the alert still fires, watch the "
                "burn rate in the SLO dashboard; a short burst of errors may already be over.")
    if status == "unknown":
        unknown = ", ".join((verdict or {}).get("unknown_checks") or [])
        return (f"No cause was found, but some checks could not run ({unknown}). Give the diagnosis the access it "
                "lacks (see each check's error) and run it again.")
    if unrecognised_view(verdict):
        return ("No probable cause could be named, but failures were seen that match no known cause: read their "
                "samples under Diagnosis and follow the runbook by hand.")
    return "No probable cause could be named, but checks failed: read them under Diagnosis and follow the runbook by hand."


def verdict_text(verdict):
    """'degraded: <summary>': the status, then the summary unless it already starts with it."""
    status = str((verdict or {}).get("status") or "unknown")
    summary = one_line((verdict or {}).get("summary"))
    return summary if summary.startswith(status) else f"{status}: {summary}" if summary else status


def runbook_row_text(row):
    return f'runbook row "{row}"' if row else "not in the runbook's table: karmada.runbooks guidance"


MEANING = ("Karmada's binding controller is failing to turn ResourceBindings and ClusterResourceBindings into "
           "Work objects, faster than the SLO's error budget allows. The scheduler has already picked member "
           "clusters, but without Works nothing moves to them (pipeline stage 4: Work creation and override "
           "application). A page-severity alert means the budget runs out soon and needs action now; a "
           "ticket-severity alert can wait for business hours.")
IMPACT = ("Workloads that were scheduled are not propagated to their member clusters.",
          "New applications do not reach the member clusters, and updates to existing ones are held back.",
          "What users create in Karmada does not materialise in member clusters until Work creation succeeds.")


DASHBOARDS = (("grafana_slo_detail", "SLO detail dashboard"), ("grafana_slo_overview", "SLO overview dashboard"))


def affected(verdict):
    bindings, clusters = set(), set()
    for cause in (verdict or {}).get("causes") or []:
        bindings.update(cause.get("bindings") or [])
        clusters.update(cause.get("clusters") or [])
    return sorted(bindings), sorted(clusters)


def window_text(window):
    window = window or {}
    source = {"alert": "opened by the alert", "default": "default look-back"}.get(window.get("source"))
    text = f"{window.get('start') or '?'} .. {window.get('end') or '?'}"
    return f"{text} ({source})" if source else text


def safe_href(url):
    """The URL if it is http(s), else None: a javascript: link from an alert annotation must not be clickable."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else None


# ---------------------------------------------------------------------------------------------
# the mitigation section (mitigate.yml)

# The views show this much of the mitigation section; report.json keeps all of it. Reasons, errors,
# names and diffs mostly come from the cluster, so each is bounded as well as escaped by the renderer.
TEXT_WIDTH = 1000
NAME_WIDTH = 200
SAMPLE_WIDTH = 500
SAMPLES_SHOWN = 5
DIFF_LINES_SHOWN = 120
DIFF_WIDTH = 300

ACTION_TITLES = {
    "restore_execution_namespaces": "Restore the execution namespaces",
    "repair_controller_rbac": "Repair the controller's RBAC",
    "restart_controller_manager": "Restart the controller-manager",
    "report_namespace_finalization_blockers": "Report what blocks namespace finalization",
    "suggest_override_policy_fix": "Suggest an override policy fix",
    "report_webhook_outage": "Report the webhook outage",
    "report_works_being_deleted": "Report the Works stuck in deletion",
    "report_other_work_writer": "Report the other writer of Works",
    "report_invalid_template": "Report the invalid resource template",
    "report_missing_target_cluster": "Report the missing target cluster",
    "report_interpreter_failure": "Report the resource interpreter failure",
    "report_oversized_template": "Report the oversized resource template",
    "report_admission_denial": "Report the admission denial",
    "report_work_cache_stale": "Report the stale Work cache",
    "stop_for_apiserver_runbook": "Stop: follow the API server runbook",
}

OUTCOME_TEXTS = {"recovered": "recovered", "not_recovered": "not recovered", "failed": "failed", "stopped": "stopped",
                 "planned": "plan only", "unverified": "applied, not verified", "nothing_applied": "nothing applied"}
CRITERION_TITLES = {"bindings": "Every scheduled binding has its Works",
                    "events": "No new SyncWorkFailed events",
                    "metric": "The binding sync error counter stopped increasing"}


def seconds_text(value):
    """'3.5 s', '41 s', or '10m 12s' from two minutes on (report.json has the seconds); '?' when not a number."""
    if not is_number(value):
        return "?"
    if value >= 120:
        return format_duration(value)
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def block_lines(text, shown=DIFF_LINES_SHOWN, width=DIFF_WIDTH):
    """Multi-line cluster text (a diff) as lines: control characters dropped, each line and their number bounded."""
    lines = [line.rstrip() for line in printable(text).expandtabs(4).splitlines()]
    lines = [line if len(line) <= width else line[:width - 3] + "..." for line in lines]
    if len(lines) > shown:
        lines = lines[:shown] + [f"... ({len(lines) - shown} more lines in report.json)"]
    return lines


def mitigation_outcome(section):
    """One word for the section: recovered / not_recovered (verified), else failed, stopped, planned, unverified
    (applied without a verification) or nothing_applied."""
    actions = [item for item in section.get("actions") or [] if isinstance(item, dict)]
    statuses = {item.get("status") for item in actions}
    checked = section.get("verification")
    if isinstance(checked, dict):
        return "recovered" if checked.get("recovered") is True else "not_recovered"
    if "failed" in statuses:
        return "failed"
    if any(item.get("kind") == "stop" for item in actions):
        return "stopped"
    if section.get("mode") == "plan":
        return "planned"
    return "unverified" if "applied" in statuses else "nothing_applied"


def mode_text(section):
    if section.get("mode") == "apply":
        return "apply (approved)"
    why = ["check mode"] if section.get("check_mode") else []
    if not section.get("approved"):
        why.append("not approved: approve with -e karmada_mitigate_approve=true")
    return f"plan only ({'; '.join(why) or 'karmada_mitigate_mode=plan'})"


def _value_text(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, (str, int, float)):
        return one_line(value, TEXT_WIDTH)
    if isinstance(value, list) and all(isinstance(entry, (str, int, float)) for entry in value):
        return limited([one_line(entry, NAME_WIDTH) for entry in value]) or "none"
    return one_line(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False), TEXT_WIDTH)


def _names(values):
    return limited([one_line(value, NAME_WIDTH) for value in values or [] if isinstance(value, str)]) or "none"


def _records(details, key):
    return [item for item in details.get(key) or [] if isinstance(item, dict)]


def _identity(identity):
    if not isinstance(identity, dict):
        return _value_text(identity)
    text = one_line(identity.get("user") or "unknown user", NAME_WIDTH)
    if identity.get("groups"):
        text += f", groups {_names(identity['groups'])}"
    return text + (f" (source: {one_line(identity['source'], NAME_WIDTH)})" if identity.get("source") else "")


def _replica_count(rollout, name):
    """A Deployment status counter, camelCase as the API returns it (or snake_case), or None."""
    snake = re.sub(r"([A-Z])", lambda match: "_" + match.group(1).lower(), name)
    value = rollout.get(name, rollout.get(snake))
    return value if is_number(value) else None


def _rollout(rollout):
    """'ready 3/3, updated 3/3, available 3/3' from the Deployment status after the wait."""
    if not isinstance(rollout, dict):
        return _value_text(rollout)
    replicas = _replica_count(rollout, "replicas")
    parts = [f"{label} {_replica_count(rollout, key)}" + (f"/{replicas}" if replicas is not None else "")
             for label, key in (("ready", "readyReplicas"), ("updated", "updatedReplicas"), ("available", "availableReplicas"))
             if _replica_count(rollout, key) is not None]
    return ", ".join(parts) if parts else _value_text(rollout)


def _detail_views(action_id, details):
    """(rows, blocks) for an action's details: [(label, text)] and [(title, diff lines)], all bounded."""
    rows, blocks, handled = [], [], set()
    if action_id == "restore_execution_namespaces":
        handled = {"method", "to_restore", "created", "present", "rejected", "terminating"}
        if details.get("method"):
            rows.append(("Method", {"create": "create the namespace",
                                    "touch_cluster": "annotate the Cluster (the cluster controller recreates it)"}.get(
                                        details["method"], one_line(details["method"], NAME_WIDTH))))
        for label, key in (("To restore", "to_restore"), ("Created", "created"), ("Already present", "present"),
                           ("Still terminating", "terminating")):
            if details.get(key):
                rows.append((label, _names(details[key])))
        rejected = [f"{one_line(item.get('cluster'), NAME_WIDTH)}: {one_line(item.get('reason'), SAMPLE_WIDTH)}"
                    for item in _records(details, "rejected")]
        if rejected:
            rows.append(("Rejected", "; ".join(rejected[:10]) + (f" (+{len(rejected) - 10} more)" if len(rejected) > 10 else "")))
    elif action_id == "repair_controller_rbac":
        handled = {"identity", "cluster_role", "binding"}
        if details.get("identity") is not None:
            rows.append(("Identity", _identity(details["identity"])))
        for label, key in (("ClusterRole", "cluster_role"), ("ClusterRoleBinding", "binding")):
            if details.get(key):
                rows.append((label, one_line(details[key], NAME_WIDTH)))
    elif action_id == "restart_controller_manager":
        handled = {"restarted_at", "previous_restarted_at", "cooldown_seconds", "rollout", "next_allowed_at", "triggers"}
        if details.get("triggers"):
            rows.append(("Triggered by", _names(details["triggers"])))
        if "restarted_at" in details:
            rows.append(("Restarted at", one_line(details["restarted_at"] or "not restarted")))
        if "previous_restarted_at" in details:
            rows.append(("Previous restart", one_line(details["previous_restarted_at"] or "none recorded")))
        if is_number(details.get("cooldown_seconds")):
            rows.append(("Cooldown", seconds_text(details["cooldown_seconds"])))
        if details.get("rollout") is not None:
            rows.append(("Rollout", _rollout(details["rollout"])))
        if details.get("next_allowed_at"):
            rows.append(("Next restart allowed after", one_line(details["next_allowed_at"])))
    elif action_id == "report_namespace_finalization_blockers":
        handled = {"namespaces"}
        entries = _records(details, "namespaces")
        for item in entries[:NAMES_SHOWN]:
            ready = {True: "Ready", False: "not Ready"}.get(item.get("cluster_ready"), "readiness unknown")
            text = f"cluster {one_line(item.get('cluster') or '?', NAME_WIDTH)} ({ready})"
            if is_number(item.get("works_with_finalizers")):
                text += f"; {item['works_with_finalizers']} Work(s) with finalizers"
            samples = [one_line(sample, NAME_WIDTH) for sample in item.get("samples") or [] if isinstance(sample, str)]
            if samples:
                text += f", e.g. {limited(samples, SAMPLES_SHOWN)}"
            rows.append((one_line(item.get("namespace"), NAME_WIDTH), text))
        if len(entries) > NAMES_SHOWN:
            rows.append(("...", f"{len(entries) - NAMES_SHOWN} more namespace(s) in report.json"))
    elif action_id == "suggest_override_policy_fix":
        handled = {"policies"}
        entries = _records(details, "policies")
        for item in entries[:NAMES_SHOWN]:
            policy = one_line(item.get("policy"), NAME_WIDTH)
            rule = f"rule {item['rule']}" if is_number(item.get("rule")) else "overriders"
            where = " ".join(one_line(item.get(key), NAME_WIDTH) for key in ("operation", "path") if item.get(key))
            text = rule + (f", {where}" if where else "") + (f": {one_line(item['error'], SAMPLE_WIDTH)}" if item.get("error") else "")
            rows.append((f"Policy {policy}", text))
            if item.get("diff"):
                blocks.append((f"Suggested fix for {policy}, {rule}", block_lines(item["diff"])))
        if len(entries) > NAMES_SHOWN:
            rows.append(("...", f"{len(entries) - NAMES_SHOWN} more policies in report.json"))
    rows += [(one_line(key, NAME_WIDTH), _value_text(details[key])) for key in sorted(details, key=str) if key not in handled]
    return rows, blocks


def action_view(index, item):
    """What the views show of one action: status, reason, targets, next step, details and diffs, bounded."""
    action_id = str(item.get("id"))
    targets = [one_line(target, NAME_WIDTH) for target in item.get("targets") or []]
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    rows, blocks = _detail_views(action_id, details)
    return {
        "number": index, "id": action_id, "title": ACTION_TITLES.get(action_id, action_id.replace("_", " ").capitalize()),
        "kind": str(item.get("kind")), "status": str(item.get("status")), "changed": item.get("changed") is True,
        "cause": item.get("cause"), "reason": one_line(item.get("reason"), TEXT_WIDTH),
        "targets": targets[:NAMES_SHOWN], "targets_more": max(0, len(targets) - NAMES_SHOWN),
        "next_step": one_line(item["next_step"], TEXT_WIDTH) if item.get("next_step") else None,
        "duration": seconds_text(item["duration_seconds"]) if is_number(item.get("duration_seconds")) else None,
        "rows": rows, "blocks": blocks,
    }


def lock_view(lock):
    """(one line about the Lease, brief): brief is the console's few words, only when worth a look
    (not acquired, taken over from an expired holder, left behind, an error); both None without a lock."""
    if not isinstance(lock, dict):
        return None, None
    name = one_line(f"{lock.get('namespace')}/{lock.get('name')}", NAME_WIDTH)
    holder = one_line(lock.get("holder"), NAME_WIDTH)
    error = one_line(lock.get("error"), SAMPLE_WIDTH) if lock.get("error") else None
    if not lock.get("acquired"):
        return f"Lease {name} not acquired by {holder}: {error or 'no reason given'}", f"not acquired: {error or 'no reason given'}"
    text = f"Lease {name} held by {holder}"
    if is_number(lock.get("waited_seconds")) and lock["waited_seconds"] > 0:
        text += f" after waiting {seconds_text(lock['waited_seconds'])}"
    notes = []
    if lock.get("taken_over_from"):
        notes.append(f"taken over from {one_line(lock['taken_over_from'], NAME_WIDTH)} (its lease had expired)")
    notes.append("released" if lock.get("released") else "NOT released: it expires after its lease duration")
    if error:
        notes.append(f"error: {error}")
    text += "; " + "; ".join(notes)
    brief = "; ".join(notes) if (lock.get("taken_over_from") or not lock.get("released") or error) else None
    return text, brief


def _criterion_view(name, criterion):
    ok = criterion.get("ok")
    view = {"name": name, "title": CRITERION_TITLES.get(name, name), "ok": ok if ok in (True, False) else None,
            "result": {True: "ok", False: "not ok"}.get(ok, "not measured"), "samples": [], "query": None,
            "error": one_line(criterion["error"], SAMPLE_WIDTH) if criterion.get("error") else None}
    if name == "bindings":
        view["text"] = (f"{criterion.get('without_works', '?')} of {criterion.get('scheduled', '?')} scheduled binding(s) "
                        "without Works")
        view["brief"] = f"{criterion.get('without_works', '?')} of {criterion.get('scheduled', '?')} without Works"
        view["samples"] = [f"{one_line(sample.get('binding'), NAME_WIDTH)}: no Work in "
                           f"{_names(sample.get('clusters_without_work'))}"
                           for sample in criterion.get("samples") or [] if isinstance(sample, dict)]
    elif name == "events":
        view["text"] = f"{criterion.get('new_failures', '?')} new SyncWorkFailed event(s) since the last change"
        view["brief"] = f"{criterion.get('new_failures', '?')} new"
        view["samples"] = [one_line(sample, SAMPLE_WIDTH) for sample in criterion.get("samples") or [] if isinstance(sample, str)]
    elif name == "metric":
        increase = criterion.get("increase")
        window = f"{criterion.get('range_seconds', '?')} s"
        view["text"] = f"increase {increase:g} over {window}" if is_number(increase) else f"not measured (range {window})"
        view["brief"] = f"+{increase:g} in {window}" if is_number(increase) else "no value"
        view["query"] = one_line(criterion.get("query"), TEXT_WIDTH) or None
    else:
        view["text"] = view["brief"] = _value_text({key: value for key, value in criterion.items() if key != "ok"})
    view["samples"] = view["samples"][:SAMPLES_SHOWN]
    return view


def verification_view(checked):
    """The verification with its numbers: headline, reason, rows and one view per criterion; None when there is none."""
    if not isinstance(checked, dict):
        return None
    recovered = checked.get("recovered") is True
    elapsed, polls = seconds_text(checked.get("elapsed_seconds")), checked.get("polls", "?")
    if recovered:
        headline = f"Recovered in {elapsed} after {polls} poll(s)"
    else:
        headline = f"Not recovered after {elapsed} ({polls} poll(s), timeout {seconds_text(checked.get('timeout_seconds'))})"
    criteria = checked.get("criteria") if isinstance(checked.get("criteria"), dict) else {}
    names = [name for name in CRITERIA if name in criteria] + sorted(name for name in criteria if name not in CRITERIA)
    return {
        "status": "recovered" if recovered else "not_recovered", "recovered": recovered, "headline": headline,
        "reason": one_line(checked.get("reason"), TEXT_WIDTH),
        "rows": [("Evidence counted from", one_line(checked.get("since"))), ("Started", one_line(checked.get("started_at"))),
                 ("Finished", one_line(checked.get("finished_at"))), ("Elapsed", elapsed), ("Polls", one_line(polls)),
                 ("Timeout", seconds_text(checked.get("timeout_seconds")))],
        "criteria": [_criterion_view(name, criteria[name]) for name in names if isinstance(criteria[name], dict)],
    }


def _diagnosis_text(diagnosis):
    if not isinstance(diagnosis, dict):
        return "unknown"
    where = ("this run's diagnosis" if diagnosis.get("source") == "run"
             else f"the report {diagnosis.get('path') or '(path not given)'}")
    summary = verdict_text({"status": diagnosis.get("status"), "summary": diagnosis.get("summary")})
    return one_line(f"{where}, generated {diagnosis.get('generated_at') or 'at an unknown time'}: {summary}", TEXT_WIDTH)


def _elapsed_between(start, end):
    try:
        return (parse_datetime(end, "finished_at") - parse_datetime(start, "started_at")).total_seconds()
    except InputError:
        return None


def mitigation_view(report):
    """Everything the views show of report['mitigation'], or None for a diagnosis-only report."""
    section = report.get("mitigation")
    if not isinstance(section, dict):
        return None
    actions = [action_view(index, item) for index, item in
               enumerate((item for item in section.get("actions") or [] if isinstance(item, dict)), 1)]
    counts = {status: sum(view["status"] == status for view in actions) for status in ACTION_STATUSES}
    counts_text = ", ".join(f"{count} {status}" for status, count in counts.items() if count) or "none"
    outcome = mitigation_outcome(section)
    lock_text, lock_brief = lock_view(section.get("lock"))
    took = _elapsed_between(section.get("started_at"), section.get("finished_at"))
    finished = one_line(section.get("finished_at") or "?") + (f" (after {seconds_text(took)})" if is_number(took) and took >= 0 else "")
    allowed = [one_line(action_id, NAME_WIDTH) for action_id in section.get("allowed_actions") or []]
    allowed_text = (f"all {len(ACTION_IDS)} actions" if set(allowed) == set(ACTION_IDS) else ", ".join(allowed) or "none")
    return {
        "outcome": outcome, "outcome_text": OUTCOME_TEXTS[outcome], "summary": one_line(section.get("summary"), TEXT_WIDTH),
        "mode": mode_text(section), "actions": actions, "counts": counts, "counts_text": counts_text,
        "rows": [("Mode", mode_text(section)), ("Diagnosis", _diagnosis_text(section.get("diagnosis"))),
                 ("Started", one_line(section.get("started_at") or "?")), ("Finished", finished),
                 ("Allowed actions", allowed_text), ("Actions", counts_text)],
        "allowed": allowed, "lock": lock_text, "lock_brief": lock_brief,
        "verification": verification_view(section.get("verification")),
        # Why there is no verification, for the views to say instead.
        "verification_note": ("Not run: plan mode applies nothing." if section.get("mode") == "plan"
                              else "Not run: nothing was applied."),
    }


# ---------------------------------------------------------------------------------------------
# charts

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _epoch(text):
    try:
        return (parse_datetime(text, "time") - _EPOCH).total_seconds()
    except InputError:
        return None


def charts(report):
    """[(chart id, svg)]: the error ratio and the burn rate over the window, or 'No data' and why."""
    slo = slo_finding(report.get("checks") or [])
    series, details = {}, {}
    if slo is None:
        reason = "the SLO check did not run"
    elif slo.get("status") == "unknown":
        reason = one_line(f"the SLO check could not run: {slo.get('error')}", 90)
    else:
        reason = "no samples in the window"
        details = slo.get("details") or {}
        series = details.get("series") if isinstance(details.get("series"), dict) else {}
    window = report.get("window") or {}
    bounds = (_epoch(window.get("start")), _epoch(window.get("end")))
    starts_at = _epoch((report.get("alert") or {}).get("startsAt"))
    common = {"markers": [(starts_at, "alert")] if starts_at is not None else [],
              "x_range": bounds if None not in bounds else None, "no_data_reason": reason}
    factors = page_factors(period_of(details))
    budget = budget_of(details.get("objective"))
    ratio_lines = []
    if budget is not None:
        factor, windows = factors[0]
        ratio_lines = [(budget * factor, f"page {factor:g}x budget ({windows})", "#cf222e"),
                       (budget, "error budget (1x)", "#6e7781")]
    colours = ("#cf222e", "#bc4c00")
    burn_lines = [(factor, f"page {factor:g}x ({windows})", colours[index % 2])
                  for index, (factor, windows) in enumerate(factors)]
    burn_lines.append((1.0, f"1x: budget lasts {period_days(period_of(details)):g}d", "#6e7781"))
    return [
        ("error-ratio", _svg.line_chart(series.get("error_ratio"), "Error ratio (failed binding syncs)", "error-ratio",
                                        thresholds=ratio_lines, value_format=percent, **common)),
        ("burn-rate", _svg.line_chart(series.get("burn_rate"), "Error budget burn rate", "burn-rate",
                                      thresholds=burn_lines, value_format=times, **common)),
    ]
