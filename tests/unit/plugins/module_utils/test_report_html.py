# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: escaping, self-containment, the charts and their placeholders."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_html
from ansible_collections.karmada.runbooks.plugins.module_utils._report import unknown
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import XSS, report, slo, unrecognised_verdict, verdict


def test_html_escapes_every_string_from_the_cluster():
    page = _report_html.to_html(report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "<b>fast</b>" not in page
    assert 'href="javascript' not in page.lower()  # the alert's runbook_url annotation stays text


def test_html_is_self_contained():
    page = _report_html.to_html(report())
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.IGNORECASE)
    assert not re.search(r"\bsrc=", page)
    assert set(re.findall(r'href="([a-z]+):', page)) <= {"https", "http"}
    for name in ("Meaning", "Impact", "Diagnosis", "Mitigation"):
        assert f"<h2>{name}</h2>" in page


def test_html_has_both_charts_with_axes_and_page_thresholds():
    page = _report_html.to_html(report())
    assert page.count("<svg") == 2
    assert page.count('<polyline class="series"') == 2
    assert "page 14.4x (1h/5m)" in page and "page 6x (6h/30m)" in page
    assert "No data" not in page


@pytest.mark.parametrize("checks, reason", [
    ([slo(with_series=False)], "no samples in the window"),
    ([unknown("slo_burn_rate", "Prometheus unreachable")], "the SLO check could not run: Prometheus unreachable"),
    ([], "the SLO check did not run"),
])
def test_charts_without_data_show_a_placeholder_and_why(checks, reason):
    page = _report_html.to_html(report(checks, verdict([], "unknown")))
    assert page.count('class="no-data"') == 2
    assert reason in page
    assert "<polyline" not in page


def test_html_shows_unrecognised_failures_escaped_and_bounded():
    page = _report_html.to_html(report(the_verdict=unrecognised_verdict()))
    part = page[page.index("<h3>Failures that match no known cause</h3>"):page.index("<h3>Checks</h3>")]
    assert "3 binding sync failure(s) match no known cause (seen by sync_failure_events)" in part
    assert XSS not in page and "&lt;script&gt;" in part
    assert part.count('<li class="ev">') == 2
    assert "y" * 497 + "..." in part and "y" * 498 not in part
