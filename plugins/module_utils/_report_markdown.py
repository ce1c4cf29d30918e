# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: Meaning / Impact / Diagnosis / Mitigation, the prometheus-operator runbook layout.

Everything that came from a cluster (event messages, log lines, object names, alert labels, the
errors and diffs of a mitigation) is untrusted text: machine text goes into code spans, diffs into
fenced blocks no line of theirs can close, the rest has its Markdown and HTML syntax escaped, and
only http(s) URLs become links. A mitigate.yml report shows what was done, the lock and the
verification at the top of Mitigation, before the runbook's guidance.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

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
    evidence_line,
    limited,
    mitigation_view,
    no_cause_advice,
    one_line,
    printable,
    runbook_row_text,
    safe_href,
    slo_view,
    target_rows,
    unrecognised_view,
    verdict_text,
    window_text,
)

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
    dashboards = [f"- {_md_link(links[key], label)}" for key, label in DASHBOARDS if links.get(key)]
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
    unnamed = unrecognised_view(verdict)
    if unnamed:
        lines += ["### Failures that match no known cause", "", md_text(unnamed["text"]), ""]
        lines += [f"- {md_code(sample)}" for sample in unnamed["samples"]] + [""]
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


def md_fence(lines, info=""):
    """A fenced code block whose fence is longer than any backtick run inside, so cluster text cannot close it."""
    lines = [printable(line) for line in lines]
    longest = max([len(run) for line in lines for run in re.findall(r"`+", line)] + [0])
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}"] + list(lines) + [fence]


def _md_action(view):
    status = view["status"].upper() + (", changed" if view["changed"] else "")
    facts = [f"{md_text(view['kind'])} action"] + ([f"for cause {md_code(view['cause'])}"] if view["cause"] else []) + (
        [f"took {md_text(view['duration'])}"] if view["duration"] else [])
    lines = [f"#### {view['number']}. {md_text(view['title'])} ({md_code(view['id'])}): {status}", "",
             f"- {'Error' if view['status'] == 'failed' else 'Reason'}: {md_text(view['reason'])}"]
    if view["targets"]:
        more = f" (+{view['targets_more']} more)" if view["targets_more"] else ""
        lines.append(f"- Targets: {', '.join(md_code(target) for target in view['targets'])}{more}")
    if view["next_step"]:
        lines.append(f"- **Next step:** {md_text(view['next_step'])}")
    lines += [f"- {md_text(label)}: {md_text(text)}" for label, text in view["rows"]]
    lines += [f"- {'; '.join(facts)}", ""]
    for title, block in view["blocks"]:
        lines += [f"{md_text(title)}:", ""] + md_fence(block, "diff") + [""]
    return lines


def _md_verification(view):
    lines = ["### Verification", "", f"**{md_text(view['headline'])}**: {md_text(view['reason'])}", ""]
    lines += ["| Criterion | Result | Measured |", "| --- | --- | --- |"]
    lines += [f"| {md_text(item['title'])} ({md_code(item['name'])}) | **{item['result'].upper()}** | {md_text(item['text'])}"
              + (f"; error: {md_code(item['error'])}" if item["error"] else "") + " |" for item in view["criteria"]]
    lines.append("")
    for item in view["criteria"]:
        if item["samples"]:
            lines += [f"Samples for {md_code(item['name'])}:", ""] + [f"- {md_code(sample)}" for sample in item["samples"]] + [""]
        if item["query"]:
            lines += [f"Query for {md_code(item['name'])}: {md_code(item['query'])}", ""]
    return lines + _md_table(view["rows"]) + [""]


def _md_mitigation_run(view):
    lines = [f"**Outcome: {md_text(view['outcome_text'].upper())}** - {md_text(view['summary'])}", ""]
    lines += _md_table(view["rows"]) + ["", "### Actions", ""]
    if not view["actions"]:
        lines += ["No action was planned.", ""]
    for action in view["actions"]:
        lines += _md_action(action)
    if view["lock"]:
        lines += ["### Lock", "", md_text(view["lock"]), ""]
    if view["verification"]:
        lines += _md_verification(view["verification"])
    else:
        lines += ["### Verification", "", md_text(view["verification_note"]), ""]
    return lines + ["### Runbook guidance", ""]


def _md_mitigation(report, causes, run=None):
    lines = ["## Mitigation", ""]
    if run:
        lines += _md_mitigation_run(run)
    for view in causes:
        lines += [f"{view['rank']}. **{md_text(view['title'])}** ({md_text(runbook_row_text(view['runbook_row']))})",
                  f"   {md_text(view['action'])}"]
    if not causes:
        lines.append(md_text(no_cause_advice(report.get("verdict"))))
    return lines + ["", f"Runbook: {_md_link((report.get('links') or {}).get('runbook') or RUNBOOK_URL)}", ""]


def _md_items(items, more):
    lines = [f"- {md_code(item['id'])} {md_text(item['message'])}" for item in items]
    return lines + ([f"- ... {more} more in report.json"] if more else [])


def audit_markdown(report):
    """report.md of an audit (audit.yml): outcome, what changed since the previous audit, each check."""
    view = audit_view(report)
    lines = [f"# {AUDIT_TITLE}: {view['status'].upper()}", "", f"> {md_text(view['summary'])}", "",
             f"Outcome: {md_text(view['outcome'])}.", "",
             f"Generated {md_text(view['generated_at'])} by karmada.runbooks {md_text(view['collection_version'])} "
             f"in {view['duration_seconds']:.1f} s.", "", "## Since the previous audit", "", md_text(view["comparison"]), ""]
    for title, key in (("New", "new"), ("Resolved", "resolved"), ("Not re-checked", "unverified")):
        if view[key]:
            lines += [f"### {title}", ""] + _md_items(view[key], view.get(key + "_more", 0)) + [""]
    if view["checks_changed"]:
        lines += ["Checks whose status changed: " + md_text(", ".join(view["checks_changed"])), ""]
    lines += ["## Checks", "", "| status | check | summary |", "| --- | --- | --- |"]
    lines += [f"| {check['status'].upper()} | {md_text(check['title'])} ({md_code(check['id'])}) | {md_text(check['summary'])} |"
              for check in view["checks"]]
    lines.append("")
    for check in view["checks"]:
        if check["drift"]:
            lines += [f"### {md_text(check['title'])}", ""] + _md_items(check["drift"], check["more"]) + [""]
    lines += ["## Thresholds", ""] + _md_table(view["thresholds"]) + [""]
    return "\n".join(lines)


def to_markdown(report):
    if is_audit(report):
        return audit_markdown(report)
    verdict = report.get("verdict") or {}
    causes = cause_views(verdict)
    run = mitigation_view(report)
    head = [f"# {TITLE}: {str(verdict.get('status') or 'unknown').upper()}", "",
            f"> {md_text(verdict.get('summary') or 'no summary')}", ""]
    if run:
        head += [f"> **Mitigation: {md_text(run['outcome_text'])}** - {md_text(run['summary'])}", ""]
    head += [f"Generated {report.get('generated_at')} by karmada.runbooks {report.get('collection_version')} "
             f"(report schema {report.get('schema_version')}) in {report.get('duration_seconds') or 0:.1f} s. "
             f"Window: {md_text(window_text(report.get('window')))}.", ""]
    return "\n".join(head + _md_meaning(report) + _md_impact(report) + _md_diagnosis(report, causes)
                     + _md_mitigation(report, causes, run))
