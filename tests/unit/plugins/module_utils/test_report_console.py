# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console summary: short, names the cause and the fix, fits one screen in the worst case."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_console, _report_files
from ansible_collections.karmada.runbooks.plugins.module_utils._report import CAUSE_IDS, CHECKS, finding
from ansible_collections.karmada.runbooks.plugins.module_utils._report_markdown import to_markdown
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import cause, report, slo, unrecognised_verdict, verdict


def test_console_summary_is_short_and_names_the_cause_and_the_fix():
    text = _report_console.console_summary(report(), {"json": "/out/report.json", "md": "/out/report.md", "html": "/out/report.html"})
    lines = text.splitlines()
    assert len(lines) < 30
    assert lines[0] == "Karmada binding-to-Work sync diagnosis: DEGRADED"
    assert "[97%] Execution namespaces are missing (execution_namespace_missing)" in text
    assert 'fix (runbook row "Missing execution namespaces"): Recreate' in text
    assert "UNKNOWN 5 rbac" in text
    assert lines[-3:] == ["Report: /out/report.json", "        /out/report.md", "        /out/report.html"]


def test_console_summary_stays_under_30_lines_in_the_worst_case():
    long_text = "x" * 400 + "\nsecond line"
    checks = [finding(check_id, "fail", long_text, duration_seconds=1) for check_id in CHECKS]
    causes = [cause(cause_id, 0.9, [f"member{i}" for i in range(50)], [f"ns/b{i}" for i in range(500)]) for cause_id in CAUSE_IDS]
    paths = {fmt: f"/very/long/{'d' * 100}/report.{fmt}" for fmt in _report_files.FORMATS}
    lines = _report_console.console_summary(report(checks, verdict(causes)), paths).splitlines()
    assert len(lines) < 30
    assert all(len(line) <= _report_console.CONSOLE_WIDTH for line in lines)
    # Three causes are shown; the rest of the catalogue is counted.
    assert f"  (+{len(CAUSE_IDS) - 3} more in the report)" in lines
    assert sum(line.startswith("  FAIL") for line in lines) == len(CHECKS)
    assert any(line.startswith("     fix") for line in lines)


def test_console_summary_groups_passing_checks_when_space_is_short():
    # More checks than a screen holds (a future runbook revision): the passing ones share a line.
    checks = [dict(finding("rbac", "ok", "fine"), id=f"check_{index}") for index in range(18)]
    checks.append(finding("execution_namespaces", "fail", "1 missing"))
    paths = {fmt: f"/out/report.{fmt}" for fmt in _report_files.FORMATS}
    lines = _report_console.console_summary(report(checks), paths).splitlines()
    assert len(lines) < 30
    assert any(line.startswith("  OK      check_0, check_1, check_2") for line in lines)
    assert not any("fine" in line for line in lines)
    assert "  FAIL    4 execution_namespaces: 1 missing" in lines
    assert 'fix (runbook row "Missing execution namespaces")' in "\n".join(lines)


def test_console_summary_when_healthy():
    verdict = {"status": "healthy", "summary": "healthy: no cause found", "causes": [], "unknown_checks": []}
    text = _report_console.console_summary(report([slo("ok")], verdict, alert=None))
    assert "No probable cause found" in text and "Alert: none given" in text
    assert "SLO: OK - burn rate 5m 30.2x" in text


def test_console_summary_shows_unrecognised_failures_on_one_line():
    text = _report_console.console_summary(report(the_verdict=unrecognised_verdict()))
    lines = text.splitlines()
    assert lines[0].endswith("DEGRADED")
    unrecognised = [line for line in lines if line.startswith("Unrecognised: ")]
    assert len(unrecognised) == 1
    assert unrecognised[0].startswith("Unrecognised: 3 failure(s) match no known cause; e.g. admission denied: ")
    assert len(unrecognised[0]) <= _report_console.CONSOLE_WIDTH
    assert "failures were seen that match no known cause" in text
    assert len(lines) <= _report_console.CONSOLE_MAX_LINES


def test_console_and_markdown_never_pass_terminal_controls_from_a_cluster():
    built = report(the_verdict=unrecognised_verdict())
    for text in (_report_console.console_summary(built), to_markdown(built)):
        assert "\x1b" not in text and "\x07" not in text
