# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console summary: what the end of the play (an AWX job log) shows of the report.

One screen at most: the verdict, the top causes with the runbook's fix, a line per check and the
paths of the files written, shortened to fit rather than cut off. A mitigate.yml report adds a
bounded block (:func:`console_mitigation`) before the paths: a line per action and the verification.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import textwrap

from ansible_collections.karmada.runbooks.plugins.module_utils._audit_views import AUDIT_TITLE, audit_view
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import (
    cause_views,
    limited,
    mitigation_view,
    no_cause_advice,
    printable,
    runbook_row_text,
    slo_view,
    unrecognised_view,
    window_text,
)

# The console summary must fit one screen of an AWX job log.
CONSOLE_MAX_LINES = 29
CONSOLE_WIDTH = 120
CONSOLE_CAUSES = 3
# A mitigate.yml run adds at most this many lines (one per action, the verification), before the file paths.
MITIGATION_MAX_LINES = 15
# Which actions stay on screen when there are more than fit: what went wrong and what changed come first.
_STATUS_PRIORITY = {"failed": 0, "applied": 1, "planned": 2, "skipped": 3}


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


def _console_action(view):
    line = f"  {view['status'].upper():<8} {view['id']}{' (changed)' if view['changed'] else ''}: {view['reason']}"
    return line + (f" Next: {view['next_step']}" if view["next_step"] else "")


def console_mitigation(run):
    """The mitigation block of at most MITIGATION_MAX_LINES lines: outcome, one line per action, the verification.

    When the actions do not fit, failed and applied ones are kept before planned and skipped ones (in
    plan order) and the rest are counted: the report files have every action.
    """
    lines = [f"Mitigation: {run['outcome_text'].upper()} - {run['summary']}",
             f"  mode {run['mode']}; actions {run['counts_text']}"]
    if run["lock_brief"]:
        lines.append(f"  lock: {run['lock_brief']}")
    tail = []
    checked = run["verification"]
    if checked:
        tail = [f"Verification: {checked['headline']}: {checked['reason']}",
                "  " + "; ".join(f"{item['name']} {item['result']} ({item['error'] or item['brief']})" for item in checked["criteria"])]
    actions = run["actions"]
    room = MITIGATION_MAX_LINES - len(lines) - len(tail)
    if len(actions) > room:
        kept = sorted(actions, key=lambda view: (_STATUS_PRIORITY.get(view["status"], 9), view["number"]))[:room - 1]
        numbers = {view["number"] for view in kept}
        action_lines = [_console_action(view) for view in actions if view["number"] in numbers]
        action_lines.append(f"  ... and {len(actions) - len(kept)} more action(s) in the report")
    else:
        action_lines = [_console_action(view) for view in actions]
    return lines + action_lines + tail


def _console_line(line):
    """One line of at most CONSOLE_WIDTH characters; unlike one_line, the alignment spaces stay."""
    flat = re.sub(r"[^\S ]+", " ", printable(line)).rstrip()
    return flat if len(flat) <= CONSOLE_WIDTH else flat[:CONSOLE_WIDTH - 3].rstrip() + "..."


def console_summary(report, paths=None):
    """A short multi-line summary for the end of the play: verdict, causes and fixes, checks, mitigation, files."""
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
    unnamed = unrecognised_view(verdict)
    if unnamed:
        # One line, the newest sample as an example: the report files have the others.
        head.append(f"Unrecognised: {unnamed['count']} failure(s) match no known cause"
                    + (f"; e.g. {unnamed['samples'][0]}" if unnamed["samples"] else ""))

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
    lines = (head + cause_lines + ["Checks:"] + check_lines)[:CONSOLE_MAX_LINES - len(file_lines)]
    run = mitigation_view(report)
    if run:
        lines += console_mitigation(run)
    return "\n".join(_console_line(line) for line in lines + file_lines)


# ---------------------------------------------------------------------------------------------
# audit.yml: the same screen budget, for a schedule's job log.

AUDIT_ITEMS_SHOWN = 5
AUDIT_DRIFT_SHOWN = 8


def _console_items(label, items, more, shown=AUDIT_ITEMS_SHOWN, messages=False):
    lines = [f"{label}:"] + [f"  {item['message'] if messages else item['id']}" for item in items[:shown]]
    hidden = more + max(0, len(items) - shown)
    return lines + ([f"  ... {hidden} more in the report"] if hidden else [])


def audit_console_summary(report, paths=None):
    """The audit's summary: status and outcome, the drift, what changed since the last audit, a line per check, files."""
    view = audit_view(report)
    lines = [f"{AUDIT_TITLE}: {view['status'].upper()} ({view['outcome']})", view["summary"],
             f"Compared: {view['comparison']}"]
    drift = [item for check in view["checks"] for item in check["drift"]]
    if drift:
        lines += _console_items("Drift", drift, sum(check["more"] for check in view["checks"]), AUDIT_DRIFT_SHOWN, True)
    for label, key in (("New since the previous audit", "new"), ("Resolved since the previous audit", "resolved")):
        if view[key]:
            lines += _console_items(label, view[key], view[key + "_more"])
    lines.append("Checks:")
    lines += [f"  {check['status'].upper():<7} {check['id']}: {check['error'] or check['summary']}" for check in view["checks"]]
    files = [path for path in (paths or {}).values() if path]
    file_lines = [f"Report: {files[0]}"] + [f"        {path}" for path in files[1:]] if files else []
    return "\n".join(_console_line(line) for line in lines[:CONSOLE_MAX_LINES - len(file_lines)] + file_lines)
