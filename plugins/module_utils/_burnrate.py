# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO arithmetic as Sloth does it: error budget, burn rates, multiwindow alert conditions.

Pure functions, no I/O. Objectives are percentages as a Sloth spec writes them (99.9); error
ratios, budgets and "budget remaining" are ratios (0.001 = 0.1 %). A burn rate of 1 spends
exactly the period's budget over the period; 14.4 spends it in 30 / 14.4 = ~2 days.

The alert conditions are Sloth's default ``google-30d`` windows (the Google SRE workbook's
multiwindow, multi-burn-rate alerts). Their burn factors are derived from "share of the budget
spent within the long window", as Sloth derives them, instead of being written down, so a
different period or window table stays consistent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from collections import namedtuple

from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_duration

PERIOD = "30d"
# Karmada's binding-sync SLO (and most of its siblings) in Karmada's published Sloth spec.
DEFAULT_OBJECTIVE = 99.9
# Every window Sloth records an SLI for (the alert windows below); the period is recorded too.
SLI_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")

AlertWindow = namedtuple("AlertWindow", "severity speed budget_percent short long")

# Sloth's internal/alert/windows/google-30d.yaml: "page when 2 % of the budget burns within an hour
# (confirmed over the last 5 minutes), or 5 % within 6 hours; ticket when 10 % burns within a day or
# within 3 days". The short window makes an alert stop soon after the errors stop.
GOOGLE_30D = (
    AlertWindow("page", "quick", 2.0, "5m", "1h"),
    AlertWindow("page", "slow", 5.0, "30m", "6h"),
    AlertWindow("ticket", "quick", 10.0, "2h", "1d"),
    AlertWindow("ticket", "slow", 10.0, "6h", "3d"),
)


def format_duration(seconds, parts=2):
    """``93784`` -> ``1d 2h``: the largest ``parts`` units, for summaries a human reads."""
    if seconds is None:
        return "never"
    remaining = int(round(seconds))
    if remaining <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if remaining >= size and len(out) < parts:
            out.append("%d%s" % (remaining // size, unit))
            remaining %= size
        elif out:
            # Units are only meaningful next to each other: "1d 5s" would hide the hours.
            break
    return " ".join(out)


def error_budget(objective):
    """The error budget ratio of an objective in percent: 99.9 -> 0.001."""
    value = float(objective)
    if not 0 < value < 100:
        raise ValueError("an SLO objective is a percentage between 0 and 100 (exclusive), got %r" % (objective,))
    # Rounded so that 99.9 gives 0.001 rather than 0.0010000000000000009.
    return round((100.0 - value) / 100.0, 12)


def objective_from_ratio(ratio):
    """Sloth's ``slo:objective:ratio`` (0.999) as a percentage (99.9)."""
    return round(float(ratio) * 100.0, 9)


def burn_factor(window, period=PERIOD):
    """How many times faster than sustainable a condition's burn is: budget share x period / long window.

    2 % of a 30-day budget within 1 hour: 0.02 x 720 h / 1 h = 14.4.
    """
    return window.budget_percent / 100.0 * parse_duration(period) / parse_duration(window.long)


def burn_rate(error_ratio, budget):
    """Error ratio over budget (None when the ratio is unknown)."""
    if error_ratio is None:
        return None
    return error_ratio / budget


def burn_rates(error_ratios, budget):
    return {window: burn_rate(ratio, budget) for window, ratio in error_ratios.items()}


def evaluate_conditions(error_ratios, budget, windows=GOOGLE_30D, period=PERIOD):
    """Sloth's alert expressions, evaluated on the given error ratios ({window: ratio or None}).

    A condition fires when both its short and long window ratios exceed factor x budget (the same
    comparison Sloth's rule makes, so the answer matches the alert). A window without a ratio
    cannot fire; it is listed under ``missing``.
    Returns ``{"page": bool, "ticket": bool, "conditions": [...], "missing": [...]}``.
    """
    conditions, missing = [], []
    fired = {}
    for window in windows:
        factor = burn_factor(window, period)
        threshold = factor * budget
        short, long_ = error_ratios.get(window.short), error_ratios.get(window.long)
        for name, value in ((window.short, short), (window.long, long_)):
            if value is None and name not in missing:
                missing.append(name)
        firing = short is not None and long_ is not None and short > threshold and long_ > threshold
        fired[window.severity] = fired.get(window.severity, False) or firing
        conditions.append({
            "severity": window.severity, "speed": window.speed, "short": window.short, "long": window.long,
            "budget_percent": window.budget_percent, "factor": round(factor, 6), "threshold": round(threshold, 12),
            "short_ratio": short, "long_ratio": long_, "firing": firing,
        })
    return {"page": fired.get("page", False), "ticket": fired.get("ticket", False), "conditions": conditions,
            "missing": missing}


def budget_remaining(period_error_ratio, budget):
    """Share of the period's budget left (1 = untouched, 0 = spent, below 0 = overspent)."""
    if period_error_ratio is None:
        return None
    return 1.0 - period_error_ratio / budget


def time_to_exhaustion(remaining, current_burn_rate, period=PERIOD):
    """Seconds until the period's budget is gone at the current burn rate.

    A burn rate of 1 spends a whole budget in one period, so ``remaining`` of it lasts
    remaining x period / burn. 0 when the budget is already spent; None when nothing burns
    (or the inputs are unknown).
    """
    if remaining is None or current_burn_rate is None:
        return None
    if remaining <= 0:
        return 0
    if current_burn_rate <= 0:
        return None
    return remaining * parse_duration(period) / current_burn_rate


def format_number(value, digits=3):
    """``value`` with ``digits`` significant digits, without an exponent or trailing zeros."""
    if value == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(value))))
    decimals = max(0, digits - 1 - magnitude)
    text = "%.*f" % (decimals, round(value, decimals))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def round_significant(value, digits=6):
    """``value`` rounded to ``digits`` significant digits (None stays None): report numbers without float noise."""
    return None if value is None else float("%.*g" % (digits, value))


def format_percent(ratio):
    """0.0144 -> ``1.44%``; None -> ``n/a``."""
    if ratio is None:
        return "n/a"
    return format_number(ratio * 100.0) + "%"


def format_burn(rate):
    """747.8 -> ``748x``; 0.35 -> ``0.35x``; None -> ``n/a``."""
    if rate is None:
        return "n/a"
    return format_number(rate) + "x"
