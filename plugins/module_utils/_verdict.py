# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict: weigh every check's signals into ranked causes, a status and a one-line summary.

``decide(findings)`` is a pure function of the findings (plus the time it is asked at), so the
report role, mitigate.yml and the tests all reach the same verdict from the same report.json.

How causes are weighed:

- Each finding's ``signals`` name a cause and a strength. The signals for one cause are combined
  with a noisy-OR, ``1 - prod(1 - strength)``: independent checks that agree make a cause more
  likely, and no number of weak hints adds up to proof. Causes below ``threshold`` (0.3: one
  circumstantial hint, 0.4, is enough; a stray 0.2 is not) are left out.
- Failure activity: the latest SyncWorkFailed event and the binding sync error ratio say whether
  bindings are failing *now* (last failure within ``stale_after``, error ratio above
  ``quiet_error_ratio``) or failures have *stopped*. Events and log lines describe the past; when
  failures have stopped, a cause that only they support (no check of the present state, such as
  the execution namespaces or an access review, confirms it) was most likely fixed already. Its
  confidence is multiplied by ``stale_factor`` and it is marked ``current: false``.
- ``workqueue_stuck`` is inferred here because no single check can see it: bindings are still not
  fully applied, no current cause explains them (same binding, one of the same clusters, or a
  cause that affects everything), and failures have stopped. The binding controller backs off a
  failing binding for up to ~16 minutes, so after a fix they can sit unsynced; the runbook says
  to restart the controller-manager. Workqueue depth and retry ratio add support when known.
  Bindings whose Works all exist are left out: what they wait for is the member side, not the queue.
  It is not inferred while a check that names causes (``ELIMINATING_CHECKS``) is unknown: what that
  check could not read may be the cause, and a restart would not fix it.
- Unrecognised failures: failure events and error lines that match no cause of the catalogue
  (the ``unclassified`` counts and samples of ``sync_failure_events`` and ``controller_logs``) are
  reported in ``unrecognised``, and make the status ``degraded``: a failure nobody can name is not
  health. They are never turned into a cause.
- Ranking: confidence, then the fixed ``PRIORITY`` (root causes that block Work creation outright
  before the ones that follow from them), then the cause id.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE, mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import WORKQUEUE_DEPTH, WORKQUEUE_RETRY_RATIO
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import execution_space
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, utcnow

THRESHOLD = 0.3
STALE_AFTER_SECONDS = 300
STALE_FACTOR = 0.5
# Below the SLO's error budget (99.9 % objective) the binding controller is not burning it.
QUIET_ERROR_RATIO = 0.001
EVIDENCE_PER_CAUSE = 10
SUMMARY_NAMES = 3
# Where unrecognised failures are counted: (check id, the key of the text in its unclassified_samples).
UNRECOGNISED_SOURCES = (("sync_failure_events", "message"), ("controller_logs", "text"))
UNRECOGNISED_SAMPLES = 5
UNRECOGNISED_SAMPLE_CHARS = 500

KEY_CHECKS = ("sync_failure_events", "execution_namespaces", "controller_logs")
# The checks that name a cause of failing bindings. workqueue_stuck is inferred by elimination ("no current
# cause explains them"), which only holds when each of them ran: one that could not (a TLS error, a timeout,
# a forbidden list) may have held the real cause, and restarting the controller-manager would not fix it.
ELIMINATING_CHECKS = ("sync_failure_events", "controller_logs", "execution_namespaces", "rbac", "override_policies")
# Checks whose signals come from what already happened (events, log lines), not from present state.
HISTORICAL_CHECKS = ("sync_failure_events", "controller_logs")
HISTORICAL_SOURCES = ("event", "log")

# Tie-break order: what blocks every Work of a cluster first, what follows from other causes last.
PRIORITY = (
    "execution_namespace_missing",
    "execution_namespace_terminating",
    "work_webhook_unavailable",
    "rbac_denied",
    "admission_denied",
    "target_cluster_missing",
    "override_policy_failure",
    "resource_interpreter_failure",
    "resource_template_too_large",
    "apiserver_errors",
    "work_being_deleted",
    "work_conflict",
    "invalid_resource_template",
    "work_cache_stale",
    "workqueue_stuck",
)

# Strengths of the workqueue_stuck inference (see DEVELOPING-CHECKS.md "Signals" for the scale).
STUCK_UNEXPLAINED = 0.5
STUCK_FAILURES_STOPPED = 0.4
STUCK_NO_FAILURE_EVENTS = 0.3
STUCK_QUIET_ERROR_RATE = 0.3
STUCK_WORKQUEUE = 0.3


def noisy_or(strengths):
    """1 - prod(1 - s): the chance that at least one of several independent signals is right."""
    remaining = 1.0
    for strength in strengths:
        remaining *= 1.0 - min(1.0, max(0.0, strength))
    return 1.0 - remaining


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, (list, tuple)) else []


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _strings(values):
    return [v for v in _list(values) if isinstance(v, str) and v]


def _valid_findings(findings):
    return [f for f in _list(findings) if isinstance(f, dict) and isinstance(f.get("id"), str)]


def _first(findings, check_id):
    for item in findings:
        if item["id"] == check_id:
            return item
    return None


def _ran(item):
    return item is not None and item.get("status") in ("ok", "warn", "fail")


def _is_historical(check_id, sig):
    if check_id in HISTORICAL_CHECKS:
        return True
    sources = [item.get("source") for item in _list(sig.get("evidence")) if isinstance(item, dict)]
    return bool(sources) and all(source in HISTORICAL_SOURCES for source in sources)


def _minutes(seconds):
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes else f"{int(seconds)} s"


def failure_activity(findings, now=None, stale_after=STALE_AFTER_SECONDS, quiet_error_ratio=QUIET_ERROR_RATIO):
    """Are bindings failing now? ``state``: ``current``, ``stopped`` or ``unknown``, with the facts behind it.

    Current if the last sync failure event is at most ``stale_after`` seconds old or the error
    ratio is above ``quiet_error_ratio``; stopped if neither holds and at least one of them was seen.
    """
    findings = _valid_findings(findings)
    moment = _now(now)
    result = {"state": "unknown", "last_failure": None, "last_failure_age_seconds": None, "error_ratio": None,
              "current": [], "stopped": []}
    events = _first(findings, "sync_failure_events")
    if _ran(events):
        details = _dict(events.get("details"))
        last = details.get("last_failure")
        # sync_events stores the newest failure entry there; a bare timestamp is accepted too.
        last = _time(last.get("last") if isinstance(last, dict) else last)
        if last is None:
            times = [_time(_dict(item).get("last")) for item in _list(details.get("failures"))]
            times = [t for t in times if t is not None]
            last = max(times) if times else None
        if last is not None:
            age = max(0.0, (moment - last).total_seconds())
            result["last_failure"] = format_rfc3339(last)
            result["last_failure_age_seconds"] = round(age, 1)
            bucket = "current" if age <= stale_after else "stopped"
            result[bucket].append(f"last sync failure event {_minutes(age)} ago")
        elif _number(details.get("total")) == 0:
            result["stopped"].append("no sync failure events")
    rate = _first(findings, "binding_sync_error_rate")
    if _ran(rate):
        ratio = _error_ratio(_dict(rate.get("details")))
        if ratio is not None:
            result["error_ratio"] = ratio
            bucket = "current" if ratio > quiet_error_ratio else "stopped"
            result[bucket].append(f"binding sync error ratio {ratio:.4f}")
    if result["current"]:
        result["state"] = "current"
    elif result["stopped"]:
        result["state"] = "stopped"
    return result


def _error_ratio(details):
    ratio = _number(details.get("error_ratio"))
    if ratio is not None:
        return ratio
    rates = _dict(details.get("rates"))
    errors, successes = _number(rates.get("error")), _number(rates.get("success"))
    if errors is None:
        return None
    total = errors + (successes or 0.0)
    return errors / total if total > 0 else 0.0


def _time(value):
    """A finding's time (RFC 3339 string or datetime) as aware UTC, or None: findings may lack or garble it."""
    if value is None or value == "":
        return None
    try:
        return parse_datetime(value, "time")
    except (InputError, TypeError, ValueError):
        return None


def _now(now):
    return _time(now) or utcnow()


class _Cause:
    """Signals for one cause gathered across checks, merged when the verdict is built."""

    def __init__(self, cause_id):
        self.id = cause_id
        self.signals = []  # (check id, signal dict, strength)

    def add(self, check_id, sig, strength):
        self.signals.append((check_id, sig, strength))

    def present(self):
        return any(not _is_historical(check_id, sig) for check_id, sig, strength in self.signals)

    def build(self, factor=1.0, current=True):
        ordered = sorted(self.signals, key=lambda entry: -entry[2])
        supported_by, bindings, clusters, reasons, items, seen = [], set(), set(), [], [], set()
        for check_id, sig, _strength in ordered:
            if check_id not in supported_by:
                supported_by.append(check_id)
            bindings.update(_strings(sig.get("bindings")))
            clusters.update(_strings(sig.get("clusters")))
            if sig.get("reason"):
                reasons.append(f"{check_id}: {sig['reason']}")
            for item in _list(sig.get("evidence")):
                if not isinstance(item, dict):
                    continue
                key = (item.get("source"), item.get("text"), str(item.get("ref")))
                if key not in seen and len(items) < EVIDENCE_PER_CAUSE:
                    seen.add(key)
                    items.append(dict(item))
        entry = CATALOGUE[self.id]
        return {"id": self.id, "title": entry["title"],
                "confidence": round(noisy_or(strength for check_id, sig, strength in self.signals) * factor, 3),
                "evidence": items, "supported_by": supported_by, "bindings": sorted(bindings),
                "clusters": sorted(clusters), "mitigation": mitigation(self.id), "reasons": reasons,
                "current": current}


def _gather(findings):
    causes = {}
    for item in findings:
        for sig in _list(item.get("signals")):
            if not isinstance(sig, dict) or sig.get("cause") not in CATALOGUE:
                continue
            strength = _number(sig.get("strength"))
            if strength is None or strength <= 0:
                continue
            cause_id = sig["cause"]
            causes.setdefault(cause_id, _Cause(cause_id)).add(item["id"], sig, min(1.0, strength))
    return causes


def _binding_key(entry):
    namespace, name = entry.get("namespace"), entry.get("name")
    if not isinstance(name, str) or not name:
        return None
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def _explains(cause, key, clusters):
    if not cause["bindings"] and not cause["clusters"]:
        return True  # a cause with no scope (webhook down, API server failing) blocks every binding
    return key in cause["bindings"] or bool(clusters & set(cause["clusters"]))


def _unexplained(findings, explainers):
    status = _first(findings, "binding_status")
    if not _ran(status):
        return []
    result = []
    for entry in _list(_dict(status.get("details")).get("not_fully_applied")):
        entry = _dict(entry)
        key = _binding_key(entry)
        if key is None:
            continue
        if "clusters_without_work" in entry and not entry["clusters_without_work"]:
            continue  # every Work exists: the binding controller owes nothing, the member side does
        clusters = set(_strings(entry.get("clusters_without_work")))
        if not any(_explains(cause, key, clusters) for cause in explainers):
            result.append((key, entry.get("kind") or "binding", sorted(clusters)))
    return result


def _stuck_signals(findings, unexplained, activity, stale_causes):
    keys = [key for key, kind, clusters in unexplained]
    clusters = sorted({c for key, kind, names in unexplained for c in names})
    reason = f"{len(unexplained)} binding(s) not fully applied and no current cause explains them"
    if stale_causes:
        reason += f" (earlier failures pointed at {', '.join(stale_causes)}, which no check of the present state confirms)"
    items = [evidence("object", f"{kind} {key} has no Work" + (f" for {', '.join(names)}" if names else ""))
             for key, kind, names in unexplained[:EVIDENCE_PER_CAUSE]]
    signals = [("binding_status", signal("workqueue_stuck", STUCK_UNEXPLAINED, reason, keys, clusters, items))]
    if activity["last_failure"]:
        signals.append(("sync_failure_events", signal(
            "workqueue_stuck", STUCK_FAILURES_STOPPED,
            f"failures stopped: the last one was {_minutes(activity['last_failure_age_seconds'])} ago", keys, clusters,
            [evidence("event", f"last sync failure event at {activity['last_failure']}", time=activity["last_failure"])])))
    elif "no sync failure events" in activity["stopped"]:
        signals.append(("sync_failure_events", signal(
            "workqueue_stuck", STUCK_NO_FAILURE_EVENTS, "no sync failure events although bindings are unsynced",
            keys, clusters)))
    ratio = activity["error_ratio"]
    if ratio is not None:
        signals.append(("binding_sync_error_rate", signal(
            "workqueue_stuck", STUCK_QUIET_ERROR_RATE, f"binding sync error ratio is {ratio:.4f}", keys, clusters,
            [evidence("metric", f"binding_sync_work_duration_seconds error ratio {ratio:.4f}")])))
    queue = _first(findings, "workqueue")
    if _ran(queue):
        details = _dict(queue.get("details"))
        depth = max([_number(v) or 0.0 for v in _dict(details.get("depth")).values()] or [0.0])
        retries = max([_number(v) or 0.0 for v in _dict(details.get("retry_ratio")).values()] or [0.0])
        # The thresholds the workqueue check applied (the user's, if given), so the report and the verdict agree.
        thresholds = _dict(details.get("thresholds"))
        depth_limit = _number(thresholds.get("depth")) or WORKQUEUE_DEPTH
        ratio_limit = _number(thresholds.get("retry_ratio")) or WORKQUEUE_RETRY_RATIO
        if depth >= depth_limit or retries >= ratio_limit:
            text = f"binding controller workqueue depth {depth:.0f}, retries/adds {retries:.2f}"
            signals.append(("workqueue", signal("workqueue_stuck", STUCK_WORKQUEUE, text, keys, clusters,
                                                [evidence("metric", text)])))
    return signals


def unrecognised(findings):
    """Failures that match no known cause: ``count``, ``by_source`` {check id: n}, ``sources`` and
    ``samples`` (distinct texts as the cluster wrote them, at most UNRECOGNISED_SAMPLES, each cut to
    UNRECOGNISED_SAMPLE_CHARS) from the ``unclassified`` details of the checks that count them.
    """
    findings = _valid_findings(findings)
    result = {"count": 0, "by_source": {}, "sources": [], "samples": []}
    for check_id, key in UNRECOGNISED_SOURCES:
        item = _first(findings, check_id)
        if not _ran(item):
            continue
        details = _dict(item.get("details"))
        count = _number(details.get("unclassified"))
        if not count or count < 1:
            continue
        result["count"] += int(count)
        result["by_source"][check_id] = int(count)
        result["sources"].append(check_id)
        for sample in _list(details.get("unclassified_samples")):
            text = _dict(sample).get(key)
            if not isinstance(text, str) or not text:
                continue
            if len(text) > UNRECOGNISED_SAMPLE_CHARS:
                text = text[:UNRECOGNISED_SAMPLE_CHARS - 3] + "..."
            if text not in result["samples"] and len(result["samples"]) < UNRECOGNISED_SAMPLES:
                result["samples"].append(text)
    return result


def _rank_key(cause):
    return (-cause["confidence"], PRIORITY.index(cause["id"]), cause["id"])


def decide(findings, now=None, threshold=THRESHOLD, stale_after=STALE_AFTER_SECONDS, stale_factor=STALE_FACTOR,
           quiet_error_ratio=QUIET_ERROR_RATIO):
    """The verdict of docs/report-schema.md from a list of findings.

    Returns ``status``, ``summary``, ``causes`` (ranked), ``unknown_checks``, plus ``failing_checks``,
    ``failure_activity`` (see failure_activity()), ``unrecognised`` (see unrecognised()) and ``threshold``. ``now`` (datetime or RFC 3339
    string; default: the current time) is when the findings were gathered.
    """
    findings = _valid_findings(findings)
    activity = failure_activity(findings, now, stale_after, quiet_error_ratio)
    stopped = activity["state"] == "stopped"
    gathered = _gather(findings)
    built = {}
    for cause_id, cause in gathered.items():
        historical_only = stopped and not cause.present()
        built[cause_id] = cause.build(stale_factor if historical_only else 1.0, current=not historical_only)

    blind = [f["id"] for f in findings if f.get("id") in ELIMINATING_CHECKS and f.get("status") == "unknown"]
    if stopped and not blind:
        explainers = [c for c in built.values()
                      if c["id"] != "workqueue_stuck" and c["current"] and c["confidence"] >= threshold]
        unexplained = _unexplained(findings, explainers)
        if unexplained:
            stale = sorted(c["id"] for c in built.values() if not c["current"] and c["id"] != "workqueue_stuck")
            stuck = gathered.get("workqueue_stuck") or _Cause("workqueue_stuck")
            for check_id, sig in _stuck_signals(findings, unexplained, activity, stale):
                stuck.add(check_id, sig, sig["strength"])
            built["workqueue_stuck"] = stuck.build()
    elif activity["state"] == "current" and any(
            c["current"] and c["confidence"] >= threshold for c in built.values() if c["id"] != "workqueue_stuck"):
        # While a cause keeps failing bindings, retries dominating the queue are its symptom: restarting the
        # controller-manager would not help until that cause is fixed, so the queue is not a cause of its own.
        built.pop("workqueue_stuck", None)

    causes = sorted((c for c in built.values() if c["confidence"] >= threshold), key=_rank_key)
    unknown_checks = [f["id"] for f in findings if f.get("status") == "unknown"]
    failing = [f["id"] for f in findings if f.get("status") == "fail"]
    unnamed = unrecognised(findings)
    status = _status(findings, causes, failing, unknown_checks, unnamed)
    return {"status": status,
            "summary": _summary(status, causes, findings, failing, unknown_checks, activity, unnamed),
            "causes": causes, "unknown_checks": unknown_checks, "failing_checks": failing,
            "failure_activity": activity, "unrecognised": unnamed, "threshold": threshold}


def _status(findings, causes, failing, unknown_checks, unnamed):
    if causes or failing or unnamed["count"]:
        return "degraded"
    ran = {f["id"] for f in findings if f.get("status") != "unknown"}
    if not findings or not ran.intersection(KEY_CHECKS) or 2 * len(unknown_checks) >= len(findings):
        return "unknown"
    return "healthy"


def _names(names):
    shown = ", ".join(names[:SUMMARY_NAMES])
    return shown + (f", +{len(names) - SUMMARY_NAMES} more" if len(names) > SUMMARY_NAMES else "")


def _lower_first(text):
    return text[:1].lower() + text[1:]


def _plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def describe(cause):
    """One phrase for a cause: its title and where it bites, e.g. for a pager or a list."""
    text = _lower_first(cause["title"])
    clusters = cause.get("clusters") or []
    if clusters and cause["id"].startswith("execution_namespace_"):
        text += f" ({_names([execution_space(c) for c in clusters])})"
    elif clusters:
        text += f" ({_names(clusters)})"
    if cause.get("bindings"):
        text += f" \u2014 {_plural(len(cause['bindings']), 'binding')} affected"
    return text


def _unrecognised_text(unnamed):
    return (f"{_plural(unnamed['count'], 'binding sync failure')} "
            f"match{'es' if unnamed['count'] == 1 else ''} no known cause; see samples")


def _summary(status, causes, findings, failing, unknown_checks, activity, unnamed):
    if status == "degraded" and causes:
        text = "degraded: " + describe(causes[0])
        if not causes[0]["current"] and activity["last_failure_age_seconds"] is not None:
            text += f" (no failures for {_minutes(activity['last_failure_age_seconds'])})"
        # A page must not send anyone to fix what no present-state check confirms any more.
        also = [_lower_first(c["title"]) for c in causes[1:] if c["current"]]
        earlier = [_lower_first(c["title"]) for c in causes[1:] if not c["current"]]
        if also:
            text += "; also: " + "; ".join(also)
        if earlier:
            text += "; earlier: " + "; ".join(earlier)
        if unnamed["count"]:
            text += "; " + _unrecognised_text(unnamed)
        return text
    if status == "degraded" and unnamed["count"]:
        text = "degraded: " + _unrecognised_text(unnamed)
        return text + (f"; failing checks: {', '.join(failing)}" if failing else "")
    if status == "degraded":
        return f"degraded: no known cause found; failing checks: {', '.join(failing)}"
    if status == "unknown":
        if not findings:
            return "unknown: no check reported"
        return (f"unknown: no cause found, but {len(unknown_checks)} of {len(findings)} checks could not run "
                f"({', '.join(unknown_checks)})")
    warnings = [f["id"] for f in findings if f.get("status") == "warn"]
    text = f"healthy: no cause found and no check failing ({_plural(len(findings), 'check')})"
    if unknown_checks:
        text += f"; could not run: {', '.join(unknown_checks)}"
    if warnings:
        text += f"; warnings: {', '.join(warnings)}"
    return text
