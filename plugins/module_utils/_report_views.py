# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The presentation model shared by report.md, report.html and the console summary.

What the views show is computed here once, from the report dict alone, so that the Markdown, the
HTML and the console agree with each other and with report.json: the SLO figures, the probable
causes with their mitigation, evidence lines, the alert and target rows, the runbook's Meaning and
Impact texts and the two charts (drawn by _svg). Everything is pure and deterministic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
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
from ansible_collections.karmada.runbooks.plugins.module_utils._report import is_number
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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


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
