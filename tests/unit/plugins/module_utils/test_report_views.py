# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The presentation model follows the SLO period the check found (Sloth's google-30d or google-28d windows)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import charts, one_line, page_factors, printable, slo_view
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import report, slo, verdict


def test_page_factors_of_both_window_sets():
    # Sloth's google-30d.yaml / google-28d.yaml: 2 % of the budget in 1 h, 5 % in 6 h.
    assert page_factors() == [(14.4, "1h/5m"), (6.0, "6h/30m")]
    assert page_factors("4w") == [(13.44, "1h/5m"), (5.6, "6h/30m")]


def test_a_28_day_slo_is_labelled_and_charted_as_such():
    finding = slo()
    finding["details"]["period"] = "4w"
    built = report([finding], verdict())
    view = slo_view(built)
    assert ("Error budget left (28d)", "72%") in view["rows"]
    burn_chart = dict(charts(built))["burn-rate"]
    assert "page 13.44x" in burn_chart and "budget lasts 28d" in burn_chart


def test_a_30_day_slo_keeps_its_labels():
    view = slo_view(report([slo()], verdict()))
    assert any(label == "Error budget left (30d)" for label, _text in view["rows"])


def test_control_characters_from_a_cluster_never_reach_a_terminal():
    # \x1b[2J clears the screen, \x1b]0;...\x07 sets the terminal title, \x9b is the one-byte CSI.
    hostile = "\x1b[2J\x1b]0;pwned\x07quota \x9b31mexceeded\x00"
    assert printable(hostile) == "[2J]0;pwnedquota 31mexceeded"
    assert one_line(hostile + "\nnext") == "[2J]0;pwnedquota 31mexceeded next"
