# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What report.md, report.html and the console show of an audit report (``kind: audit``).

Plain text only: each renderer escapes it its own way (names and messages are cluster text). The views
bound what is listed; report.json keeps everything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._audit import REPORT_KIND, comparison_text
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import one_line

AUDIT_TITLE = "Karmada drift audit"
# Per list (drift of one check, new, resolved) in md/html; the console shows fewer.
ITEMS_SHOWN = 50
MESSAGE_WIDTH = 300


def is_audit(report):
    return isinstance(report, dict) and report.get("kind") == REPORT_KIND


def _items(items, shown=ITEMS_SHOWN):
    rows = [{"id": one_line(item.get("id"), MESSAGE_WIDTH), "message": one_line(item.get("message"), MESSAGE_WIDTH)}
            for item in items[:shown]]
    return rows, max(0, len(items) - shown)


def audit_view(report):
    """{status, summary, failed, outcome, comparison, new, resolved, unverified, checks, thresholds, ...}."""
    section = report.get("audit") or {}
    comparison = section.get("comparison") or {}
    by_id = {item["id"]: item for item in section.get("drift") or []}
    new, new_more = _items([by_id.get(ident, {"id": ident}) for ident in comparison.get("new") or []])
    resolved, resolved_more = _items(comparison.get("resolved") or [])
    unverified, _more = _items(comparison.get("unverified") or [])
    checks = []
    for check in section.get("checks") or []:
        drift, more = _items(check.get("drift") or [])
        checks.append({"id": check.get("id"), "title": check.get("title"), "status": check.get("status"),
                       "summary": one_line(check.get("summary"), MESSAGE_WIDTH),
                       "error": one_line(check.get("error"), MESSAGE_WIDTH) if check.get("error") else None,
                       "drift": drift, "more": more})
    failed = bool(section.get("failed"))
    outcome = ("the play fails: drift found" if section.get("drift") else
               "the play fails: a check could not run" if failed else
               "the play passes" + (" (unknown checks do not fail it: karmada_audit_fail_on_unknown=false)"
                                    if section.get("unknown_checks") else ""))
    changed = ["%s: %s -> %s" % (c.get("id"), c.get("from"), c.get("to")) for c in comparison.get("checks_changed") or []]
    return {"status": section.get("status") or "unknown", "summary": one_line(section.get("summary")),
            "failed": failed, "outcome": outcome,
            "comparison": one_line(comparison_text(comparison)) if comparison else "",
            "new": new, "new_more": new_more, "resolved": resolved, "resolved_more": resolved_more,
            "unverified": unverified, "checks": checks, "checks_changed": changed,
            "thresholds": sorted((str(k), str(v)) for k, v in (section.get("thresholds") or {}).items()),
            "generated_at": report.get("generated_at"), "collection_version": report.get("collection_version"),
            "duration_seconds": report.get("duration_seconds") or 0}
