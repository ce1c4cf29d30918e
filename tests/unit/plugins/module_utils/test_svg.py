# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SVG primitives behind the charts of report.html."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils import _svg
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import T0


def test_clean_series_keeps_finite_numbers_in_time_order():
    assert _svg.clean_series([[2, "1.5"], [1, 0.5], [3, "NaN"], [4, None], ["x", 1], [5]]) == [(1.0, 0.5), (2.0, 1.5)]


def test_segments_break_where_samples_are_missing():
    points = [(t, 1.0) for t in (0, 60, 120, 180, 600, 660)]
    assert [len(part) for part in _svg.segments(points)] == [4, 2]


def test_downsample_keeps_the_peaks():
    points = [(float(t), 100.0 if t == 777 else 1.0) for t in range(5000)]
    reduced = _svg.downsample(points)
    assert len(reduced) <= _svg.MAX_POINTS
    assert max(value for _moment, value in reduced) == 100.0


def test_y_ticks_reach_the_top_with_round_steps():
    assert _svg.y_ticks(15.6) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert _svg.y_ticks(0.034) == [0.0, 0.01, 0.02, 0.03, 0.04]


def test_labels_spread_apart_within_the_plot():
    assert _svg.spread([50, 52, 180], 11, 40, 186) == [50, 61, 180]
    assert _svg.spread([184, 185], 11, 40, 186) == [175, 186]


def test_chart_escapes_its_labels():
    svg = _svg.line_chart([[T0, 1]], "<title>", thresholds=[(2, "<b>", "#000")], markers=[(T0, "<i>")])
    assert "<b>" not in svg and "<i>" not in svg and "&lt;title&gt;" in svg
