# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: the runbook's sections, escaping of cluster text, SLO figures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_markdown
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import XSS, report, slo, unrecognised_verdict, verdict


def _outside_code(markdown):
    return re.sub(r"(`+).*?\1", "", markdown)


def test_markdown_has_the_runbook_sections_in_order():
    text = _report_markdown.to_markdown(report())
    positions = [text.index(f"\n## {name}\n") for name in ("Meaning", "Impact", "Diagnosis", "Mitigation")]
    assert positions == sorted(positions)
    impact = text[positions[1]:positions[2]]
    assert "25.1x" in impact and "72%" in impact and "3h 20m" in impact and "karmada/api-availability 3.1x" in impact
    diagnosis = text[positions[2]:positions[3]]
    assert "confidence 97%" in diagnosis and "`execution_namespace_missing`" in diagnosis
    for check_id in ("slo_burn_rate", "sync_failure_events", "execution_namespaces", "rbac"):
        assert f"(`{check_id}`)" in diagnosis
    mitigation_part = text[positions[3]:]
    assert 'runbook row "Missing execution namespaces"' in mitigation_part
    assert RUNBOOK_URL in mitigation_part


def test_markdown_never_lets_cluster_text_become_html():
    text = _report_markdown.to_markdown(report())
    assert XSS in text  # shown literally, inside a code span
    assert "<script" not in _outside_code(text)
    assert "<b>" not in _outside_code(text)


def test_markdown_escapes_syntax_but_keeps_identifiers_readable():
    assert _report_markdown.md_text("execution_namespace_missing on _all_ *3* <b>x</b> [a](b) | c") == (
        "execution_namespace_missing on \\_all\\_ \\*3\\* \\<b\\>x\\</b\\> \\[a\\](b) \\| c")


def test_markdown_code_span_survives_backticks_and_pipes():
    assert _report_markdown.md_code("a `b` | c") == "``a `b` \\| c``"
    assert _report_markdown.md_code("`x`") == "`` `x` ``"


def test_markdown_without_causes_says_what_to_do():
    text = _report_markdown.to_markdown(report(the_verdict=verdict([], "unknown")))
    assert "some checks could not run (rbac)" in text


@pytest.mark.parametrize("left,expected", [(12000, "3h 20m"), (0, "already exhausted"),
                                           (None, "not at the current burn")])
def test_markdown_says_when_the_budget_runs_out(left, expected):
    check = slo()
    check["details"]["time_to_exhaustion_seconds"] = left
    markdown = _report_markdown.to_markdown(report(checks=[check]))
    row = next(line for line in markdown.splitlines() if line.startswith("| Budget exhausted in"))
    assert expected in row


def test_markdown_shows_unrecognised_failures_as_code_bounded():
    text = _report_markdown.to_markdown(report(the_verdict=unrecognised_verdict()))
    part = text[text.index("### Failures that match no known cause"):text.index("### Checks")]
    assert "3 binding sync failure(s) match no known cause (seen by sync_failure_events)" in part
    samples = [line for line in part.splitlines() if line.startswith("- ")]
    assert len(samples) == 2
    # one line, one code span, the terminal controls of the sample dropped
    assert samples[0] == "- ``admission denied: " + XSS + " second \\| `line`[2J]0;title``"
    assert "<script" not in _outside_code(text)
    assert len(samples[1]) < 520
    assert "match no known cause: read their samples" in text
