# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: one self-contained file (inline CSS and SVG charts, no script, no external asset).

Everything that came from a cluster (event messages, log lines, object names, alert labels, the
errors and diffs of a mitigation) is untrusted text: it is all escaped, only http(s) URLs become
links, and a Content-Security-Policy forbids scripts and external loads should anything slip through.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from html import escape

from ansible_collections.karmada.runbooks.plugins.module_utils._audit_views import AUDIT_TITLE, audit_view, is_audit
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import (
    DASHBOARDS,
    EVIDENCE_SHOWN,
    IMPACT,
    MEANING,
    TITLE,
    affected,
    alert_rows,
    cause_views,
    charts,
    evidence_line,
    limited,
    mitigation_view,
    no_cause_advice,
    printable,
    runbook_row_text,
    safe_href,
    slo_view,
    target_rows,
    unrecognised_view,
    verdict_text,
    window_text,
)

# The page cuts a check's details here; report.json keeps all of them.
DETAILS_MAX_CHARS = 20000

_STATUS_COLOURS = {"ok": "#1a7f37", "healthy": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e",
                   "degraded": "#cf222e", "unknown": "#6e7781",
                   # mitigation: action statuses, outcomes and verification criteria
                   "planned": "#0969da", "applied": "#1a7f37", "skipped": "#6e7781", "failed": "#cf222e",
                   "recovered": "#1a7f37", "not_recovered": "#cf222e", "stopped": "#9a6700", "unverified": "#9a6700",
                   "nothing_applied": "#6e7781", "not_ok": "#cf222e", "not_measured": "#6e7781",
                   # audit: check statuses and the audit's own
                   "drift": "#cf222e", "clean": "#1a7f37"}

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
.action{border-left:4px solid #6e7781;padding:2px 12px;margin:12px 0}
.action.applied{border-color:#1a7f37}.action.planned{border-color:#0969da}.action.kind-stop{border-color:#9a6700}
.action.failed{border-color:#cf222e}
.action h3 .badge{margin-left:6px}.action table{margin:6px 0}.action th{font-weight:500;color:#57606a}
table.kv th{width:12em}.badge.wide{white-space:nowrap}
.next{background:#fff8c5;border-radius:4px;padding:4px 8px}
pre.diff span{display:block}pre.diff .add{background:#dafbe1}pre.diff .del{background:#ffebe9}pre.diff .hunk{color:#8250df}
""".strip()
# Defence in depth: should any text slip past the escaping, the browser still runs no script and loads nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _h(text):
    # printable: `cat report.html` must not clear a terminal either.
    return escape(printable(text), quote=True)


def _badge(status, text=None):
    status = str(status or "unknown")
    # A badge of several words (not measured) stays on one line.
    wide = " wide" if "_" in status or (text and " " in text) else ""
    return (f'<span class="badge{wide}" style="background:{_STATUS_COLOURS.get(status, "#6e7781")}">'
            f'{_h(text or status.replace("_", " "))}</span>')


def _link(url, label=None):
    href = safe_href(url)
    if not href:
        return f"<code>{_h(url)}</code>"
    return f'<a href="{_h(href)}" rel="noopener noreferrer">{_h(label or url)}</a>'


def _table(rows, css_class=None):
    return (f'<table class="{css_class}">' if css_class else "<table>") + "".join(
        f"<tr><th>{_h(label)}</th><td>{_h(value)}</td></tr>" for label, value in rows) + "</table>"


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
    dashboards = [_link(links[key], label) for key, label in DASHBOARDS if links.get(key)]
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


def _html_unrecognised(verdict):
    unnamed = unrecognised_view(verdict)
    if not unnamed:
        return ""
    samples = "".join(f'<li class="ev">{_h(sample)}</li>' for sample in unnamed["samples"])
    return (f'<h3>Failures that match no known cause</h3><p>{_h(unnamed["text"])}</p>'
            + (f"<ul>{samples}</ul>" if samples else ""))


def _html_diagnosis(report, causes):
    verdict = report.get("verdict") or {}
    unknown = verdict.get("unknown_checks") or []
    return ("<section><h2>Diagnosis</h2>"
            f"<p>Verdict: {_badge(verdict.get('status'))} {_h(verdict_text(verdict))}</p>"
            + (("<h3>Probable causes, most likely first</h3>" + _html_causes(causes)) if causes else "")
            + _html_unrecognised(verdict)
            + (f"<p>Checks that could not run: {_h(', '.join(unknown))}</p>" if unknown else "")
            + "<h3>Checks</h3>" + _html_checks(report.get("checks") or []) + "</section>")


def _diff_class(line):
    if line.startswith(("+++", "---")):
        return "file"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")


def _diff(lines):
    """A suggested change as a diff block, lines coloured by their first character (escaped like all cluster text)."""
    return '<pre class="diff">' + "".join(f'<span class="{_diff_class(line)}">{_h(line) or " "}</span>' for line in lines) + "</pre>"


def _html_action(view):
    head = (f'<h3>{view["number"]}. {_h(view["title"])} <code>{_h(view["id"])}</code>{_badge(view["status"])}'
            + (' <span class="muted">changed</span>' if view["changed"] else "") + "</h3>")
    facts = [f"{_h(view['kind'])} action"] + ([f"for cause <code>{_h(view['cause'])}</code>"] if view["cause"] else []) + (
        [f"took {_h(view['duration'])}"] if view["duration"] else [])
    label = "Error" if view["status"] == "failed" else "Reason"
    parts = [f'<div class="action {_h(view["status"])} kind-{_h(view["kind"])}">{head}<p><strong>{label}:</strong> {_h(view["reason"])}</p>']
    if view["targets"]:
        more = f' <span class="muted">(+{view["targets_more"]} more)</span>' if view["targets_more"] else ""
        parts.append("<p>Targets: " + ", ".join(f"<code>{_h(target)}</code>" for target in view["targets"]) + f"{more}</p>")
    if view["next_step"]:
        parts.append(f'<p class="next"><strong>Next step:</strong> {_h(view["next_step"])}</p>')
    if view["rows"]:
        parts.append(_table(view["rows"], "kv"))
    for title, block in view["blocks"]:
        parts.append(f"<details open><summary>{_h(title)}</summary>{_diff(block)}</details>")
    parts.append(f'<p class="muted">{" &middot; ".join(facts)}</p></div>')
    return "".join(parts)


def _html_verification(view, note):
    if not view:
        return f'<h3>Verification</h3><p class="muted">{_h(note)}</p>'
    rows = []
    for item in view["criteria"]:
        notes = "".join(f'<li class="ev">{_h(sample)}</li>' for sample in item["samples"])
        extra = (f"<ul>{notes}</ul>" if notes else "") + (f'<div class="ev muted">query: {_h(item["query"])}</div>' if item["query"] else "")
        error = f'<div class="ev">error: {_h(item["error"])}</div>' if item["error"] else ""
        rows.append(f"<tr><td>{_h(item['title'])} <code>{_h(item['name'])}</code></td>"
                    f"<td>{_badge(item['result'].replace(' ', '_'), item['result'])}</td><td>{_h(item['text'])}{error}{extra}</td></tr>")
    return (f"<h3>Verification</h3><p>{_badge(view['status'])} <strong>{_h(view['headline'])}</strong>: {_h(view['reason'])}</p>"
            "<table><tr><th>Criterion</th><th>Result</th><th>Measured</th></tr>" + "".join(rows) + "</table>"
            + _table(view["rows"], "kv"))


def _html_mitigation_run(run):
    actions = "".join(_html_action(view) for view in run["actions"]) or '<p class="muted">No action was planned.</p>'
    lock = f"<h3>Lock</h3><p>{_h(run['lock'])}</p>" if run["lock"] else ""
    return (f"<p>{_badge(run['outcome'], run['outcome_text'])} <strong>{_h(run['summary'])}</strong></p>"
            + _table(run["rows"], "kv") + f"<h3>Actions</h3>{actions}{lock}" + _html_verification(run["verification"], run["verification_note"])
            + "<h3>Runbook guidance</h3>")


def _html_mitigation(report, causes, run=None):
    if causes:
        body = "<ol>" + "".join(
            f'<li><strong>{_h(view["title"])}</strong> <span class="muted">({_h(runbook_row_text(view["runbook_row"]))})'
            f'</span><br>{_h(view["action"])}</li>' for view in causes) + "</ol>"
    else:
        body = f"<p>{_h(no_cause_advice(report.get('verdict')))}</p>"
    runbook = _link((report.get("links") or {}).get("runbook") or RUNBOOK_URL)
    done = _html_mitigation_run(run) if run else ""
    return f"<section><h2>Mitigation</h2>{done}{body}<p>Runbook: {runbook}</p></section>"


def details_text(details):
    """A check's details as indented JSON for the HTML view, without the chart series (drawn instead)."""
    shown = {key: value for key, value in (details or {}).items() if key != "series"}
    text = json.dumps(shown, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    if len(text) > DETAILS_MAX_CHARS:
        text = text[:DETAILS_MAX_CHARS] + "\n... (cut here; report.json has everything)"
    return text


def _html_items(items, more=0):
    entries = [f'<li class="ev"><code>{_h(item["id"])}</code> {_h(item["message"])}</li>' for item in items]
    if more:
        entries.append(f'<li class="muted">... {more} more in report.json</li>')
    return f"<ul>{''.join(entries)}</ul>" if entries else ""


def _page(title, status, body):
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}: {_h(status)}</title>",
        f"<style>{_CSS}</style></head><body><main>"] + body + ["</main></body></html>", ""])


def audit_html(report):
    """report.html of an audit (audit.yml); every name and message escaped."""
    view = audit_view(report)
    header = (f"<header><h1>{_h(AUDIT_TITLE)} {_badge(view['status'])}</h1><p><strong>{_h(view['summary'])}</strong></p>"
              f"<p>Outcome: {_h(view['outcome'])}.</p>"
              f'<p class="muted">Generated {_h(view["generated_at"])} by karmada.runbooks {_h(view["collection_version"])} '
              f"in {view['duration_seconds']:.1f} s</p></header>")
    since = [f"<section><h2>Since the previous audit</h2><p>{_h(view['comparison'])}</p>"]
    for title, key in (("New", "new"), ("Resolved", "resolved"), ("Not re-checked", "unverified")):
        if view[key]:
            since.append(f"<h3>{_h(title)}</h3>" + _html_items(view[key], view.get(key + "_more", 0)))
    if view["checks_changed"]:
        since.append(f"<p>Checks whose status changed: {_h(', '.join(view['checks_changed']))}</p>")
    since.append("</section>")
    rows = "".join(f"<tr><td>{_badge(c['status'])}</td><td>{_h(c['title'])} <code>{_h(c['id'])}</code></td>"
                   f"<td>{_h(c['summary'])}{_html_items(c['drift'], c['more'])}</td></tr>" for c in view["checks"])
    checks = f"<section><h2>Checks</h2><table>{rows}</table></section>"
    thresholds = f"<section><h2>Thresholds</h2>{_table(view['thresholds'], 'kv')}</section>"
    return _page(AUDIT_TITLE, view["status"], [header, "".join(since), checks, thresholds])


def to_html(report):
    if is_audit(report):
        return audit_html(report)
    verdict = report.get("verdict") or {}
    status = verdict.get("status") or "unknown"
    causes = cause_views(verdict)
    run = mitigation_view(report)
    done = f"<p>Mitigation: {_badge(run['outcome'], run['outcome_text'])} {_h(run['summary'])}</p>" if run else ""
    header = (f"<header><h1>{_h(TITLE)} {_badge(status)}</h1><p><strong>{_h(verdict.get('summary'))}</strong></p>{done}"
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
        _html_mitigation(report, causes, run),
        "</main></body></html>", ""])
