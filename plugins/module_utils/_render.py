# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The diagnosis report: validate the findings, assemble report.json, render it, write it safely.

report.json (docs/report-schema.md) is the product; report.md, report.html and the console
summary are views of it, rendered from the report dict alone so they always agree with it.
Rendering is pure and deterministic: the only time that appears is the report's own.

Everything that came from a cluster (event messages, log lines, object names, alert labels) is
untrusted text: the HTML view escapes all of it, links only to http(s) URLs and forbids scripts
with a Content-Security-Policy; the Markdown view puts machine text in code spans and escapes the
rest.

:func:`write_files` is the one function here with side effects: it writes every format to a
temporary file in the report directory and renames them into place only once all of them are
written, so a failed run leaves the previous report untouched and never a partial file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import numbers
import os
import re
import tempfile
import textwrap
from html import escape
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.karmada.runbooks.plugins.module_utils import _svg
from ansible_collections.karmada.runbooks.plugins.module_utils._alert import AlertError, format_time, parse_time
from ansible_collections.karmada.runbooks.plugins.module_utils._burnrate import (
    GOOGLE_30D,
    PERIOD,
    burn_factor,
    error_budget,
    format_burn,
    format_duration,
    format_percent,
    parse_duration,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE, RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._report import (
    CAUSE_IDS,
    CHECKS,
    EVIDENCE_SOURCES,
    SCHEMA_VERSION,
    STATUSES,
    SchemaError,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._version import COLLECTION_VERSION

FORMATS = ("json", "md", "html")
FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html"}
TARGET_KEYS = ("karmada_context", "host_context", "prometheus_url", "namespace", "deployment", "labels")
LINK_KEYS = ("runbook", "grafana_slo_detail", "grafana_slo_overview")
TITLE = "Binding to Work sync diagnosis"

# The console summary must fit one screen of an AWX job log.
CONSOLE_MAX_LINES = 29
CONSOLE_WIDTH = 120
CONSOLE_CAUSES = 3
# The views show this many evidence items per cause or check and names per list; report.json keeps all.
EVIDENCE_SHOWN = 10
NAMES_SHOWN = 30
DETAILS_MAX_CHARS = 20000

_ORDER = {check_id: index for index, check_id in enumerate(CHECKS)}
_STATUS_COLOURS = {"ok": "#1a7f37", "healthy": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e",
                   "degraded": "#cf222e", "unknown": "#6e7781"}


class ReportWriteError(Exception):
    """The report directory cannot be created or written; the message names report_dir."""


# ---------------------------------------------------------------------------------------------
# validation: a malformed finding is a bug in the check that built it, so it stops the report
# with a message naming the check and the field, instead of producing a misleading verdict.

def _is_number(value):
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
        if not (_is_number(strength) and 0 <= strength <= 1):
            raise _problem(where, f"{name}.strength", f"must be a number between 0 and 1, got {strength!r}")
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
    if not (_is_number(duration) and duration >= 0):
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
# assembling report.json

def runbook_order(findings):
    """Findings sorted by runbook step (and, within a step, by the order of _report.CHECKS)."""
    return sorted(findings, key=lambda item: (item.get("runbook_step", 99), _ORDER.get(item.get("id"), 99)))


def report_window(start=None, end=None, source=None, alert=None, generated_at=None):
    """The window object: the given bounds, else the alert's startsAt .. the report time.

    Raises AlertError naming window_start / window_end when a bound is not RFC 3339 or the bounds
    are reversed. source: as given, else ``alert`` when the alert has a startsAt, else ``default``.
    """
    starts_at = (alert or {}).get("startsAt")
    window = {"start": None, "end": None, "source": source or ("alert" if starts_at else "default")}
    if start or starts_at:
        window["start"] = format_time(parse_time(start or starts_at, "window_start" if start else "alert.startsAt"))
    if end or generated_at:
        window["end"] = format_time(parse_time(end or generated_at, "window_end" if end else "generated_at"))
    if window["start"] and window["end"] and window["start"] > window["end"]:
        raise AlertError(f"window_start ({window['start']}) is after window_end ({window['end']})")
    return window


def elapsed_seconds(started_at, now):
    """Seconds from ``started_at`` (RFC 3339, or epoch seconds) to ``now`` (an aware datetime)."""
    try:
        began = datetime.datetime.fromtimestamp(float(started_at), tz=datetime.timezone.utc)
    except (TypeError, ValueError):
        began = parse_time(started_at, "started_at")
    # A clock that stepped back must not give a negative duration.
    return round(max(0.0, (now - began).total_seconds()), 3)


def redact_url(url):
    """Drop user:password@ from a URL: the report is shared, credentials must not travel with it."""
    if not url:
        return url
    parts = urlsplit(str(url))
    if "@" not in parts.netloc:
        return str(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[1], parts.path, parts.query, parts.fragment))


def normalize_targets(targets):
    result = {key: (targets or {}).get(key) for key in TARGET_KEYS}
    result["prometheus_url"] = redact_url(result["prometheus_url"])
    return result


def slo_finding(checks):
    return next((item for item in checks if item.get("id") == "slo_burn_rate"), None)


def merge_links(links, checks):
    """Links given to the module win over those the SLO check found (details.links); the runbook always has one."""
    found = ((slo_finding(checks) or {}).get("details") or {}).get("links")
    found = found if isinstance(found, dict) else {}
    merged = {key: (links or {}).get(key) or found.get(key) for key in LINK_KEYS}
    merged["runbook"] = merged["runbook"] or RUNBOOK_URL
    return merged


def build_report(findings, verdict, alert=None, window=None, targets=None, links=None, generated_at=None,
                 duration_seconds=None):
    """report.json as a dict (docs/report-schema.md), from findings that passed validate_findings.

    duration_seconds: wall time of the diagnosis; without it, the sum of the checks' own durations.
    """
    checks = runbook_order(findings)
    if duration_seconds is None:
        duration_seconds = round(sum(item.get("duration_seconds", 0) for item in checks), 3)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "collection_version": COLLECTION_VERSION,
        "alert": alert or None,
        "window": window or {"start": None, "end": generated_at, "source": "default"},
        "targets": normalize_targets(targets),
        "verdict": verdict,
        "checks": checks,
        "links": merge_links(links, checks),
        "duration_seconds": duration_seconds,
    }


def to_json(report):
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# shared views: what the renderers show, computed once so Markdown, HTML and console agree

def one_line(text, width=None):
    """Whitespace (newlines included) collapsed to single spaces; cut to ``width`` with '...'."""
    flat = re.sub(r"\s+", " ", str(text if text is not None else "")).strip()
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
    return format_percent(ratio if _is_number(ratio) else None)


def times(rate):
    return format_burn(rate if _is_number(rate) else None)


def _window_key(window):
    try:
        return (parse_duration(window), str(window))
    except ValueError:
        return (float("inf"), str(window))


def budget_of(objective):
    """The error budget ratio of the SLO check's objective (a percentage, as Sloth writes it), or None."""
    try:
        return error_budget(objective) if _is_number(objective) else None
    except ValueError:
        return None


def page_factors():
    """Burn rates at which Sloth pages, derived from its windows: [(14.4, '1h/5m'), (6.0, '6h/30m')]."""
    return [(round(burn_factor(window), 3), f"{window.long}/{window.short}")
            for window in GOOGLE_30D if window.severity == "page"]


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
        rows.append(("Error budget left (30d)", percent(details["budget_remaining"])))
    conditions = [name for name in ("page", "ticket") if details.get(name)]
    if "page" in details or "ticket" in details:
        rows.append(("Alert conditions met", ", ".join(conditions) or "none"))
    left = details.get("time_to_exhaustion_seconds")
    if "time_to_exhaustion_seconds" in details:
        if not _is_number(left):
            rows.append(("Budget exhausted in", "not at the current burn"))
        elif left <= 0:
            rows.append(("Budget exhausted in", "already exhausted"))
        else:
            rows.append(("Budget exhausted in", format_duration(left)))
    fleet = [f"{item.get('service', '?')}/{item.get('slo', '?')} {times(item.get('burn_rate'))}"
             for item in details.get("fleet") or [] if isinstance(item, dict)]
    # The console gets one line: burn rates, budget, alert conditions, time left.
    brief = [f"{label.lower()} {text}" for label, text in rows if label in ("Burn rate", "Error budget left (30d)")]
    if conditions:
        brief.append(f"{' and '.join(conditions)} condition met")
    if _is_number(left):
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
        confidence = min(1.0, max(0.0, float(confidence))) if _is_number(confidence) else 0.0
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


def no_cause_advice(verdict):
    status = (verdict or {}).get("status")
    if status == "healthy":
        return ("No cause was found and every check passed: nothing to mitigate. If the alert still fires, watch the "
                "burn rate in the SLO dashboard; a short burst of errors may already be over.")
    if status == "unknown":
        unknown = ", ".join((verdict or {}).get("unknown_checks") or [])
        return (f"No cause was found, but some checks could not run ({unknown}). Give the diagnosis the access it "
                "lacks (see each check's error) and run it again.")
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


_DASHBOARDS = (("grafana_slo_detail", "SLO detail dashboard"), ("grafana_slo_overview", "SLO overview dashboard"))


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


def details_text(details):
    """A check's details as indented JSON for the HTML view, without the chart series (drawn instead)."""
    shown = {key: value for key, value in (details or {}).items() if key != "series"}
    text = json.dumps(shown, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    if len(text) > DETAILS_MAX_CHARS:
        text = text[:DETAILS_MAX_CHARS] + "\n... (cut here; report.json has everything)"
    return text


# ---------------------------------------------------------------------------------------------
# charts

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _epoch(text):
    try:
        return (parse_time(text, "time") - _EPOCH).total_seconds()
    except AlertError:
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
    factors = page_factors()
    budget = budget_of(details.get("objective"))
    ratio_lines = []
    if budget is not None:
        factor, windows = factors[0]
        ratio_lines = [(budget * factor, f"page {factor:g}x budget ({windows})", "#cf222e"),
                       (budget, "error budget (1x)", "#6e7781")]
    colours = ("#cf222e", "#bc4c00")
    burn_lines = [(factor, f"page {factor:g}x ({windows})", colours[index % 2])
                  for index, (factor, windows) in enumerate(factors)]
    burn_lines.append((1.0, f"1x: budget lasts {PERIOD}", "#6e7781"))
    return [
        ("error-ratio", _svg.line_chart(series.get("error_ratio"), "Error ratio (failed binding syncs)", "error-ratio",
                                        thresholds=ratio_lines, value_format=percent, **common)),
        ("burn-rate", _svg.line_chart(series.get("burn_rate"), "Error budget burn rate", "burn-rate",
                                      thresholds=burn_lines, value_format=times, **common)),
    ]


# ---------------------------------------------------------------------------------------------
# Markdown: Meaning / Impact / Diagnosis / Mitigation, the prometheus-operator runbook layout

# Markdown and HTML syntax. An underscore inside a word (execution_namespace_missing) cannot start
# emphasis in CommonMark, so only the others are escaped and identifiers stay readable in the raw file.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_text(text, width=None):
    """Prose from the cluster on one line, with Markdown and HTML syntax escaped."""
    return _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), one_line(text, width))


def md_code(text, width=None):
    """Machine text (a log line, an event message) as an inline code span: shown literally, never as HTML.

    The fence is longer than any run of backticks inside; pipes are escaped as GitHub tables require.
    """
    flat = one_line(text, width).replace("|", "\\|")
    fence = "`" * (max([len(run) for run in re.findall(r"`+", flat)] + [0]) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _md_link(url, label=None):
    href = safe_href(url)
    if not href:
        return md_code(url)
    return f"[{md_text(label or url)}](<{href.replace('<', '%3C').replace('>', '%3E')}>)"


def _md_evidence(item):
    text, extra = evidence_line(item)
    return f"`{item.get('source', '?')}` {md_code(text, 400)}" + (f" ({md_text(extra)})" if extra else "")


def _md_table(rows):
    return ["| | |", "| --- | --- |"] + [f"| {md_text(label)} | {md_text(value)} |" for label, value in rows]


def _md_meaning(report):
    lines = ["## Meaning", "", MEANING, ""]
    rows = alert_rows(report.get("alert"))
    lines += _md_table(rows) if rows else ["No alert was given: the run was started by hand or on a schedule."]
    rows = target_rows(report.get("targets"))
    if rows:
        lines += ["", "Diagnosed targets:", ""] + _md_table(rows)
    return lines + [""]


def _md_impact(report):
    lines = ["## Impact", ""] + [f"- {text}" for text in IMPACT] + [""]
    slo = slo_view(report)
    if slo["note"]:
        lines += [md_text(slo["note"]), ""]
    if slo["rows"]:
        lines += ["SLO burn and error budget (runbook step 1):", ""] + _md_table(slo["rows"]) + [""]
    if slo["fleet"]:
        lines += [f"Other SLOs burning budget (a hint of a wider problem): {md_text(limited(slo['fleet'], 10))}", ""]
    bindings, clusters = affected(report.get("verdict"))
    if bindings or clusters:
        lines += [f"Affected: {len(bindings)} binding(s) {md_text(limited(bindings))}; "
                  f"{len(clusters)} member cluster(s) {md_text(limited(clusters))}.", ""]
    links = report.get("links") or {}
    dashboards = [f"- {_md_link(links[key], label)}" for key, label in _DASHBOARDS if links.get(key)]
    return lines + (dashboards + [""] if dashboards else [])


def _md_diagnosis(report, causes):
    verdict = report.get("verdict") or {}
    lines = ["## Diagnosis", "", f"**Verdict:** {md_text(verdict_text(verdict))}", ""]
    if causes:
        lines += ["### Probable causes, most likely first", ""]
    for view in causes:
        checks = ", ".join(f"`{check}`" for check in view["supported_by"]) or "no check"
        lines.append(f"{view['rank']}. **{md_text(view['title'])}** (`{view['id']}`), confidence "
                     f"{view['confidence_text']}, supported by {checks}")
        if view["clusters"]:
            lines.append(f"   - Member clusters: {md_text(limited(view['clusters']))}")
        if view["bindings"]:
            lines.append(f"   - Bindings: {md_text(limited(view['bindings']))}")
        lines.extend(f"   - {_md_evidence(item)}" for item in view["evidence"])
        if view["evidence_more"]:
            lines.append(f"   - ... {view['evidence_more']} more evidence item(s) in report.json")
    if causes:
        lines.append("")
    if verdict.get("unknown_checks"):
        lines += [f"Checks that could not run: {', '.join(f'`{check}`' for check in verdict['unknown_checks'])}.", ""]
    lines += ["### Checks", "", "| Step | Check | Status | Summary |", "| --- | --- | --- | --- |"]
    checks = report.get("checks") or []
    lines += [f"| {check.get('runbook_step')} | {md_text(check.get('title'))} (`{check.get('id')}`) | "
              f"**{str(check.get('status')).upper()}** | {md_text(check.get('summary'))} |" for check in checks]
    lines.append("")
    for check in checks:
        if not (check.get("error") or check.get("evidence")):
            continue
        lines += [f"#### {check.get('runbook_step')}. {md_text(check.get('title'))}: {str(check.get('status')).upper()}", ""]
        if check.get("error"):
            lines.append(f"- Error: {md_code(check['error'], 400)}")
        lines.extend(f"- {_md_evidence(item)}" for item in (check.get("evidence") or [])[:EVIDENCE_SHOWN])
        lines.append("")
    return lines


def _md_mitigation(report, causes):
    lines = ["## Mitigation", ""]
    for view in causes:
        lines += [f"{view['rank']}. **{md_text(view['title'])}** ({md_text(runbook_row_text(view['runbook_row']))})",
                  f"   {md_text(view['action'])}"]
    if not causes:
        lines.append(md_text(no_cause_advice(report.get("verdict"))))
    return lines + ["", f"Runbook: {_md_link((report.get('links') or {}).get('runbook') or RUNBOOK_URL)}", ""]


def to_markdown(report):
    verdict = report.get("verdict") or {}
    causes = cause_views(verdict)
    head = [f"# {TITLE}: {str(verdict.get('status') or 'unknown').upper()}", "",
            f"> {md_text(verdict.get('summary') or 'no summary')}", "",
            f"Generated {report.get('generated_at')} by karmada.runbooks {report.get('collection_version')} "
            f"(report schema {report.get('schema_version')}) in {report.get('duration_seconds') or 0:.1f} s. "
            f"Window: {md_text(window_text(report.get('window')))}.", ""]
    return "\n".join(head + _md_meaning(report) + _md_impact(report) + _md_diagnosis(report, causes)
                     + _md_mitigation(report, causes))


# ---------------------------------------------------------------------------------------------
# HTML: one self-contained file (inline CSS and SVG, no script, no external asset)

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f6f8fa;color:#24292f;line-height:1.45}
main{max-width:1040px;margin:0 auto;padding:20px}
section,header{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 20px;margin:14px 0}
h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid #eaeef2;padding-bottom:4px}h3{font-size:1.05em}
.badge{display:inline-block;padding:1px 9px;border-radius:11px;color:#fff;font-weight:600;font-size:.8em;text-transform:uppercase}
.muted{color:#57606a;font-size:.9em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eaeef2;padding:5px 8px;text-align:left;vertical-align:top}
th{font-weight:600}
code,pre,.ev{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:8px;border-radius:4px;max-height:28em;overflow:auto}
.ev{word-break:break-word}.src{display:inline-block;min-width:5.5em;color:#57606a}
.cause{border-left:4px solid #cf222e;padding:2px 12px;margin:10px 0}
.bar{display:inline-block;width:140px;height:8px;background:#eaeef2;border-radius:4px;vertical-align:middle}
.bar span{display:block;height:8px;background:#cf222e;border-radius:4px}
.charts svg{display:block;max-width:100%;height:auto;margin:8px 0}
details{margin:6px 0}summary{cursor:pointer}
""".strip()
# Defence in depth: should any text slip past the escaping, the browser still runs no script and loads nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def safe_href(url):
    """The URL if it is http(s), else None: a javascript: link from an alert annotation must not be clickable."""
    text = str(url or "").strip()
    return text if re.match(r"^https?://", text, re.IGNORECASE) else None


def _h(text):
    return escape(str(text if text is not None else ""), quote=True)


def _badge(status):
    status = str(status or "unknown")
    return f'<span class="badge" style="background:{_STATUS_COLOURS.get(status, "#6e7781")}">{_h(status)}</span>'


def _link(url, label=None):
    href = safe_href(url)
    if not href:
        return f"<code>{_h(url)}</code>"
    return f'<a href="{_h(href)}" rel="noopener noreferrer">{_h(label or url)}</a>'


def _table(rows):
    return "<table>" + "".join(f"<tr><th>{_h(label)}</th><td>{_h(value)}</td></tr>" for label, value in rows) + "</table>"


def _evidence_list(items, more=0):
    entries = []
    for item in items:
        text, extra = evidence_line(item)
        note = f' <span class="muted">({_h(extra)})</span>' if extra else ""
        entries.append(f'<li class="ev"><span class="src">{_h(item.get("source"))}</span> {_h(text)}{note}</li>')
    if more:
        entries.append(f'<li class="muted">... {more} more in report.json</li>')
    return f"<ul>{''.join(entries)}</ul>" if entries else ""


def _html_causes(causes):
    parts = []
    for view in causes:
        checks = ", ".join(f"<code>{_h(check)}</code>" for check in view["supported_by"]) or "no check"
        parts.append(f'<div class="cause"><h3>{view["rank"]}. {_h(view["title"])} <code>{_h(view["id"])}</code></h3>'
                     f'<p>Confidence {_h(view["confidence_text"])} <span class="bar"><span style="width:'
                     f'{round(view["confidence"] * 100)}%"></span></span> &middot; supported by {checks}</p>')
        if view["clusters"]:
            parts.append(f"<p>Member clusters: {_h(limited(view['clusters']))}</p>")
        if view["bindings"]:
            parts.append(f"<p>Bindings: {_h(limited(view['bindings']))}</p>")
        parts.append(_evidence_list(view["evidence"], view["evidence_more"]) + "</div>")
    return "".join(parts)


def _html_checks(checks):
    rows = "".join(f"<tr><td>{_h(check.get('runbook_step'))}</td><td>{_h(check.get('title'))} <code>{_h(check.get('id'))}"
                   f"</code></td><td>{_badge(check.get('status'))}</td><td>{_h(check.get('summary'))}</td></tr>"
                   for check in checks)
    parts = [f"<table><tr><th>Step</th><th>Check</th><th>Status</th><th>Summary</th></tr>{rows}</table>",
             '<p class="muted">Evidence and details of each check:</p>']
    for check in checks:
        error = f"<p>Error: <code>{_h(check['error'])}</code></p>" if check.get("error") else ""
        parts.append(f"<details><summary>{_h(check.get('runbook_step'))}. {_h(check.get('title'))} "
                     f"{_badge(check.get('status'))}</summary>{error}"
                     f"{_evidence_list((check.get('evidence') or [])[:EVIDENCE_SHOWN])}"
                     f"<pre>{_h(details_text(check.get('details')))}</pre></details>")
    return "".join(parts)


def _html_meaning(report):
    alert = alert_rows(report.get("alert"))
    targets = target_rows(report.get("targets"))
    return ("<section><h2>Meaning</h2>"
            f"<p>{_h(MEANING)}</p>"
            + (_table(alert) if alert else '<p class="muted">No alert was given: the run was started by hand or on a schedule.</p>')
            + (f"<h3>Diagnosed targets</h3>{_table(targets)}" if targets else "")
            + "</section>")


def _html_impact(report):
    slo = slo_view(report)
    bindings, clusters = affected(report.get("verdict"))
    links = report.get("links") or {}
    dashboards = [_link(links[key], label) for key, label in _DASHBOARDS if links.get(key)]
    parts = ["<section><h2>Impact</h2><ul>", "".join(f"<li>{_h(text)}</li>" for text in IMPACT), "</ul>"]
    if slo["note"]:
        parts.append(f"<p>{_h(slo['note'])}</p>")
    if slo["rows"]:
        parts.append(_table(slo["rows"]))
    if slo["fleet"]:
        parts.append(f"<p>Other SLOs burning budget (a hint of a wider problem): {_h(limited(slo['fleet'], 10))}</p>")
    parts.append('<div class="charts">' + "".join(svg for _chart_id, svg in charts(report)) + "</div>")
    if bindings or clusters:
        parts.append(f"<p>Affected: {len(bindings)} binding(s) {_h(limited(bindings))}; "
                     f"{len(clusters)} member cluster(s) {_h(limited(clusters))}.</p>")
    if dashboards:
        parts.append(f"<p>{' &middot; '.join(dashboards)}</p>")
    return "".join(parts) + "</section>"


def _html_diagnosis(report, causes):
    verdict = report.get("verdict") or {}
    unknown = verdict.get("unknown_checks") or []
    return ("<section><h2>Diagnosis</h2>"
            f"<p>Verdict: {_badge(verdict.get('status'))} {_h(verdict_text(verdict))}</p>"
            + (("<h3>Probable causes, most likely first</h3>" + _html_causes(causes)) if causes else "")
            + (f"<p>Checks that could not run: {_h(', '.join(unknown))}</p>" if unknown else "")
            + "<h3>Checks</h3>" + _html_checks(report.get("checks") or []) + "</section>")


def _html_mitigation(report, causes):
    if causes:
        body = "<ol>" + "".join(
            f'<li><strong>{_h(view["title"])}</strong> <span class="muted">({_h(runbook_row_text(view["runbook_row"]))})'
            f'</span><br>{_h(view["action"])}</li>' for view in causes) + "</ol>"
    else:
        body = f"<p>{_h(no_cause_advice(report.get('verdict')))}</p>"
    runbook = _link((report.get("links") or {}).get("runbook") or RUNBOOK_URL)
    return f"<section><h2>Mitigation</h2>{body}<p>Runbook: {runbook}</p></section>"


def to_html(report):
    verdict = report.get("verdict") or {}
    status = verdict.get("status") or "unknown"
    causes = cause_views(verdict)
    header = (f"<header><h1>{_h(TITLE)} {_badge(status)}</h1><p><strong>{_h(verdict.get('summary'))}</strong></p>"
              f'<p class="muted">Generated {_h(report.get("generated_at"))} by karmada.runbooks '
              f'{_h(report.get("collection_version"))} (report schema {_h(report.get("schema_version"))}) in '
              f'{report.get("duration_seconds") or 0:.1f} s &middot; window {_h(window_text(report.get("window")))}</p></header>')
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(TITLE)}: {_h(status)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        header, _html_meaning(report), _html_impact(report), _html_diagnosis(report, causes),
        _html_mitigation(report, causes),
        "</main></body></html>", ""])


# ---------------------------------------------------------------------------------------------
# console summary (the end of the play, an AWX job log)

def _console_causes(causes, budget):
    """Cause lines within ``budget`` lines: the top causes in full, shortened when the budget is tight."""
    shown = causes[:CONSOLE_CAUSES]
    more = len(causes) - len(shown)
    budget -= 1 if more else 0
    lines = []
    for index, view in enumerate(shown):
        title = f"  {view['rank']}. [{view['confidence_text']}] {view['title']} ({view['id']})"
        where = []
        if view["clusters"]:
            where.append(f"clusters {limited(view['clusters'], 4)}")
        if view["bindings"]:
            where.append(f"bindings {limited(view['bindings'], 3)}")
        fix = f"fix ({runbook_row_text(view['runbook_row'])}): {view['action']}"
        full, short = (textwrap.wrap(fix, CONSOLE_WIDTH, initial_indent="     ", subsequent_indent="       ",
                                     max_lines=count, placeholder=" ...") for count in (2, 1))
        # Keep a line for each cause still to come; the fix matters more than where the cause bites.
        room = budget - len(lines) - (len(shown) - index - 1)
        for block in ([title] + (["     affects " + "; ".join(where)] if where else []) + full, [title] + short, [title]):
            if len(block) <= room or len(block) == 1:
                lines.extend(block)
                break
    if more:
        lines.append(f"  (+{more} more in the report)")
    return lines


def _console_line(line):
    """One line of at most CONSOLE_WIDTH characters; unlike one_line, the alignment spaces stay."""
    flat = re.sub(r"[^\S ]+", " ", line).rstrip()
    return flat if len(flat) <= CONSOLE_WIDTH else flat[:CONSOLE_WIDTH - 3].rstrip() + "..."


def console_summary(report, paths=None):
    """A short multi-line summary for the end of the play: verdict, causes and fixes, checks, files."""
    verdict = report.get("verdict") or {}
    alert = report.get("alert")
    head = [f"Karmada binding-to-Work sync diagnosis: {str(verdict.get('status') or 'unknown').upper()}",
            verdict.get("summary") or ""]
    if alert:
        head.append(f"Alert: {alert.get('alertname') or '?'}, {alert.get('status') or 'firing'} since {alert.get('startsAt') or '?'}")
    else:
        head.append("Alert: none given")
    head.append(f"Window: {window_text(report.get('window'))}")
    slo = slo_view(report)
    head.append(f"SLO: {slo['note'] or slo['brief']}")

    checks = report.get("checks") or []
    check_lines = [f"  {str(check.get('status')).upper():<7} {check.get('runbook_step')} {check.get('id')}: "
                   f"{check.get('summary')}" for check in checks]
    files = [path for path in (paths or {}).values() if path]
    file_lines = [f"Report: {files[0]}"] + [f"        {path}" for path in files[1:]] if files else []
    # Leave room for the top cause and its fix; when there is not, passing checks share one line.
    if len(head) + 1 + len(check_lines) + len(file_lines) + 4 > CONSOLE_MAX_LINES:
        passed = [check.get("id") for check in checks if check.get("status") == "ok"]
        check_lines = ([f"  OK      {', '.join(passed)}"] if passed else []) + [
            line for line, check in zip(check_lines, checks) if check.get("status") != "ok"]

    causes = cause_views(verdict)
    budget = CONSOLE_MAX_LINES - len(head) - 1 - len(check_lines) - len(file_lines) - 1
    if causes:
        cause_lines = ["Probable causes, most likely first:"] + _console_causes(causes, budget)
    else:
        cause_lines = ["No probable cause found. " + no_cause_advice(verdict)]
    lines = head + cause_lines + ["Checks:"] + check_lines + file_lines
    return "\n".join(_console_line(line) for line in lines[:CONSOLE_MAX_LINES])


# ---------------------------------------------------------------------------------------------
# output

_RENDERERS = {"json": to_json, "md": to_markdown, "html": to_html}


def render(report, formats=FORMATS):
    """{format: text} for each requested format."""
    return {fmt: _RENDERERS[fmt](report) for fmt in formats}


def _current_umask():
    # The umask can only be read by setting it; it is put straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_files(report_dir, documents):
    """Write {format: text} as report.<ext> in ``report_dir``, all or nothing; return {format: path}.

    Creates the directory when needed. Every document is written and synced to a temporary file
    in the same directory first; only when all are complete are they renamed over the old files
    (a rename is atomic within one file system). On any failure the temporary files are removed
    and ReportWriteError names report_dir.
    """
    directory = os.path.abspath(os.path.expanduser(str(report_dir)))
    temporary = {}
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory)
        mode = 0o666 & ~_current_umask()
        for fmt, text in documents.items():
            handle, path = tempfile.mkstemp(prefix=f".{FILE_NAMES[fmt]}.", suffix=".tmp", dir=directory)
            temporary[fmt] = path
            with os.fdopen(handle, "wb") as stream:
                stream.write(text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            # mkstemp creates files 0600; a report is read like any other file the user creates.
            os.chmod(path, mode)
        paths = {}
        for fmt, path in temporary.items():
            paths[fmt] = os.path.join(directory, FILE_NAMES[fmt])
            os.replace(path, paths[fmt])
        temporary = {}
        return paths
    except OSError as exc:
        raise ReportWriteError(f"report_dir: cannot write the report to {directory}: {exc.strerror or exc}") from exc
    finally:
        for path in temporary.values():
            try:
                os.unlink(path)
            except OSError:
                pass
