# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO math against numbers worked out by hand (30-day period, objective 99.9 % unless stated)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _burnrate as br

BUDGET = 0.001
DAY = 86400


def ratios(**values):
    """Error ratios for every window, 0 unless given (keyword w5m -> window 5m)."""
    result = dict.fromkeys(br.SLI_WINDOWS, 0.0)
    result.update((key[1:], value) for key, value in values.items())
    return result


@pytest.mark.parametrize("objective, budget", [(99.9, 0.001), (99.0, 0.01), (99.95, 0.0005), (95, 0.05)])
def test_error_budget(objective, budget):
    assert br.error_budget(objective) == budget


@pytest.mark.parametrize("objective", [100, 0, -1, 100.5, "abc", None])
def test_error_budget_rejects_impossible_objectives(objective):
    with pytest.raises((ValueError, TypeError)):
        br.error_budget(objective)


def test_objective_from_sloth_ratio():
    # Sloth writes vector(0.999), which Prometheus serves as 0.9990000000000001.
    assert br.objective_from_ratio(0.9990000000000001) == 99.9
    assert br.error_budget(br.objective_from_ratio(0.9990000000000001)) == BUDGET


def test_burn_factors_follow_from_budget_share_and_windows():
    # 2 % of 720 h within 1 h; 5 % within 6 h; 10 % within 24 h; 10 % within 72 h.
    assert [round(br.burn_factor(w), 9) for w in br.GOOGLE_30D] == [14.4, 6.0, 3.0, 1.0]


def test_burn_factor_for_another_period():
    # A 28-day period: 2 % of 672 h within 1 h.
    assert br.burn_factor(br.GOOGLE_30D[0], period="28d") == pytest.approx(13.44)


def test_google_28d_factors_from_sloths_window_file():
    # Sloth's google-28d.yaml: page 2 %/1h and 5 %/6h, ticket 10 %/1d and 10 %/3d over 28 d (recorded as 4w).
    factors = [br.burn_factor(w, period=br.PERIOD_28D) for w in br.GOOGLE_28D]
    assert factors == pytest.approx([13.44, 5.6, 2.8, 67.2 / 72])
    assert [(w.severity, w.budget_percent, w.short, w.long) for w in br.GOOGLE_28D] == [
        ("page", 2.0, "5m", "1h"), ("page", 5.0, "30m", "6h"), ("ticket", 10.0, "2h", "1d"), ("ticket", 10.0, "6h", "3d")]


@pytest.mark.parametrize("windows, period", [
    (["5m", "1h", "30d"], "30d"),
    (["5m", "1h", "4w"], "4w"),
    (["5m", "28d"], "4w"),
    (["5m", "1h"], "30d"),             # no period series: Sloth's default
    (["30d", "4w"], "30d"),            # both (two Sloth runs?): the default
])
def test_period_detected_from_the_recorded_period_series(windows, period):
    assert br.detect_period(windows) == period


def test_period_names_and_days():
    assert br.window_set_name("30d") == "google-30d" and br.window_set_name("4w") == "google-28d"
    assert br.window_set_name("28d") == "google-28d"
    assert br.period_days("30d") == 30 and br.period_days("4w") == 28
    assert br.windows_for_period("4w") is br.GOOGLE_28D


def test_28d_conditions_use_28d_thresholds():
    # 0.0140 error ratio: above 13.44 x 0.001 (28 d) but below 14.4 x 0.001 (30 d).
    values = ratios(w5m=0.014, w1h=0.014)
    assert br.evaluate_conditions(values, BUDGET, period="4w")["page"]
    assert not br.evaluate_conditions(values, BUDGET)["page"]
    cond = br.evaluate_conditions(values, BUDGET, period="4w")["conditions"][0]
    assert cond["factor"] == pytest.approx(13.44) and cond["threshold"] == pytest.approx(0.01344)


def test_time_to_exhaustion_over_28_days():
    assert br.time_to_exhaustion(0.5, 2.0, "4w") == 0.5 * 28 * 86400 / 2.0


def test_burn_rate_is_ratio_over_budget():
    assert br.burn_rate(0.0144, BUDGET) == pytest.approx(14.4)
    assert br.burn_rate(0.0, BUDGET) == 0
    assert br.burn_rate(None, BUDGET) is None
    assert br.burn_rates({"5m": 0.5, "1h": None}, BUDGET) == {"5m": 500.0, "1h": None}


def test_page_fast_burn():
    result = br.evaluate_conditions(ratios(w5m=0.02, w1h=0.015), BUDGET)
    assert result["page"] is True and result["ticket"] is False
    quick = result["conditions"][0]
    assert (quick["severity"], quick["short"], quick["long"], quick["firing"]) == ("page", "5m", "1h", True)
    assert quick["threshold"] == pytest.approx(0.0144)


def test_page_needs_both_windows():
    # The 5m window is far above 1.44 %, the 1h window below: a spike that has not lasted.
    assert br.evaluate_conditions(ratios(w5m=0.5, w1h=0.01), BUDGET)["page"] is False
    # ... and the reverse: an hour of errors that stopped five minutes ago no longer pages.
    assert br.evaluate_conditions(ratios(w5m=0.0, w1h=0.5), BUDGET)["page"] is False


def test_threshold_itself_does_not_fire():
    # Sloth's rule is "> factor * budget"; exactly at the threshold is not above it.
    assert br.evaluate_conditions(ratios(w5m=0.0144, w1h=0.0144), BUDGET)["page"] is False


def test_page_slow_burn():
    result = br.evaluate_conditions(ratios(w30m=0.007, w6h=0.0061), BUDGET)
    assert result["page"] is True
    assert [c["firing"] for c in result["conditions"]] == [False, True, False, False]


def test_ticket_quick_and_slow():
    quick = br.evaluate_conditions(ratios(w2h=0.004, w1d=0.0031), BUDGET)
    assert (quick["page"], quick["ticket"]) == (False, True)
    slow = br.evaluate_conditions(ratios(w6h=0.0015, w3d=0.0011), BUDGET)
    assert (slow["page"], slow["ticket"]) == (False, True)


def test_ticket_scales_with_objective():
    # 99 % objective: budget 1 %, ticket quick threshold 3 %.
    budget = br.error_budget(99.0)
    assert br.evaluate_conditions(ratios(w2h=0.029, w1d=0.029), budget)["ticket"] is False
    assert br.evaluate_conditions(ratios(w2h=0.031, w1d=0.031), budget)["ticket"] is True


def test_missing_windows_cannot_fire_and_are_listed():
    result = br.evaluate_conditions({"5m": 0.9, "1h": None, "30m": 0.9}, BUDGET)
    assert result["page"] is False
    assert result["missing"] == ["1h", "6h", "2h", "1d", "3d"]


def test_budget_remaining():
    assert br.budget_remaining(0.0005, BUDGET) == pytest.approx(0.5)
    assert br.budget_remaining(0.0, BUDGET) == 1.0
    # Twice the budget spent: one budget overdrawn.
    assert br.budget_remaining(0.002, BUDGET) == pytest.approx(-1.0)
    assert br.budget_remaining(None, BUDGET) is None


def test_time_to_exhaustion():
    # Half the budget left at burn rate 2: a whole budget lasts 15 days, half of it 7.5 days.
    assert br.time_to_exhaustion(0.5, 2.0) == pytest.approx(7.5 * DAY)
    # 62 % left at burn 5: 0.62 * 30 d / 5 = 3.72 d = 321408 s.
    assert br.time_to_exhaustion(0.62, 5.0) == pytest.approx(321408)
    assert br.format_duration(br.time_to_exhaustion(0.62, 5.0)) == "3d 17h"


def test_time_to_exhaustion_edges():
    assert br.time_to_exhaustion(-3.0, 10.0) == 0
    assert br.time_to_exhaustion(0.0, 10.0) == 0
    assert br.time_to_exhaustion(0.8, 0.0) is None
    assert br.time_to_exhaustion(None, 1.0) is None
    assert br.time_to_exhaustion(0.8, None) is None


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (3600, "1h"), (3661, "1h 1m"), (86405, "1d"),
                                           (93784, "1d 2h"), (None, "never"), (-5, "0s")])
def test_format_duration(seconds, text):
    assert br.format_duration(seconds) == text


@pytest.mark.parametrize("ratio, text", [(0.0144, "1.44%"), (0.752212389, "75.2%"), (0, "0%"), (1e-05, "0.001%"),
                                         (87.4, "8740%"), (None, "n/a"), (0.001, "0.1%")])
def test_format_percent(ratio, text):
    assert br.format_percent(ratio) == text


@pytest.mark.parametrize("rate, text", [(747.826, "748x"), (14.4, "14.4x"), (0.35, "0.35x"), (0, "0x"), (1, "1x"),
                                        (None, "n/a")])
def test_format_burn(rate, text):
    assert br.format_burn(rate) == text


def test_round_significant():
    assert br.round_significant(747.8260869566041) == 747.826
    assert br.round_significant(0.0010000000000000009) == 0.001
    assert br.round_significant(None) is None
