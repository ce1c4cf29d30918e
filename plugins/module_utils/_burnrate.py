# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO arithmetic as Sloth does it: error budget, burn rates, multiwindow alert conditions.

Pure functions, no I/O. Objectives are percentages as a Sloth spec writes them (99.9); error
ratios, budgets and "budget remaining" are ratios (0.001 = 0.1 %). A burn rate of 1 spends
exactly the period's budget over the period; 14.4 spends it in 30 / 14.4 = ~2 days.

The alert conditions are Sloth's ``google-30d`` windows (its default) or ``google-28d`` windows
(the Google SRE workbook's multiwindow, multi-burn-rate alerts). Their burn factors are derived
from "share of the budget spent within the long window", as Sloth derives them, instead of being
written down, so the 28-day period gets its own factors (13.44, 5.6, 2.8, 0.93).

Which period an installation uses is read from the series Sloth recorded: the period's SLI is
``slo:sli_error:ratio_rate30d`` for 30 days and ``slo:sli_error:ratio_rate4w`` for 28 days (Sloth
names the rule after the period as Prometheus prints durations, and Prometheus prints 28d as 4w).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from collections import namedtuple

from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_duration

PERIOD = "30d"
# The period windows Sloth records, as they appear in the rule name and the sloth_window label:
# google-30d -> ``30d``; google-28d -> ``4w`` (Prometheus's model.Duration.String() of 28 days).
PERIOD_28D = "4w"
PERIODS = (PERIOD, PERIOD_28D)
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

# Sloth's internal/alert/windows/google-28d.yaml ("Common and safe 4 weeks windows", sloPeriod 28d): the same
# budget shares and short/long windows as google-30d; only the period differs, so the factors become
# 0.02 x 672 h / 1 h = 13.44, 0.05 x 672 / 6 = 5.6, 0.10 x 672 / 24 = 2.8 and 0.10 x 672 / 72 = 0.933.
GOOGLE_28D = GOOGLE_30D

# Period window -> (Sloth window set name, its alert windows).
WINDOW_SETS = {PERIOD: ("google-30d", GOOGLE_30D), PERIOD_28D: ("google-28d", GOOGLE_28D)}


def detect_period(windows, default=PERIOD):
    """The SLO period from the windows that have an SLI series: ``4w`` (google-28d) or ``30d`` (google-30d).

    ``windows`` is an iterable of window names (e.g. the keys of the error ratios read from Sloth's
    recordings). A ``28d`` spelling is accepted as the 28-day period too. When both or neither period
    series exist, ``default`` (30 days, Sloth's default) is kept.
    """
    present = set(windows)
    has_30d = PERIOD in present
    has_28d = PERIOD_28D in present or "28d" in present
    if has_28d and not has_30d:
        return PERIOD_28D
    if has_30d and not has_28d:
        return PERIOD
    return default


def windows_for_period(period):
    """Sloth's alert windows for a period window (``30d`` or ``4w``/``28d``)."""
    if period == "28d":
        period = PERIOD_28D
    return WINDOW_SETS.get(period, WINDOW_SETS[PERIOD])[1]


def window_set_name(period):
    """``google-30d`` or ``google-28d`` for a period window."""
    if period == "28d":
        period = PERIOD_28D
    return WINDOW_SETS.get(period, WINDOW_SETS[PERIOD])[0]


def period_days(period):
    """A period window in days: ``30d`` -> 30, ``4w`` -> 28."""
    days = parse_duration(period) / 86400.0
    return int(days) if days == int(days) else days


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

    2 % of a 30-day budget within 1 hour: 0.02 x 720 h / 1 h = 14.4; of a 28-day (``4w``) one, 13.44.
    """
    return window.budget_percent / 100.0 * parse_duration(period) / parse_duration(window.long)


def burn_rate(error_ratio, budget):
    """Error ratio over budget (None when the ratio is unknown)."""
    if error_ratio is None:
        return None
    return error_ratio / budget


def burn_rates(error_ratios, budget):
    return {window: burn_rate(ratio, budget) for window, ratio in error_ratios.items()}


def evaluate_conditions(error_ratios, budget, windows=None, period=PERIOD):
    """Sloth's alert expressions, evaluated on the given error ratios ({window: ratio or None}).

    A condition fires when both its short and long window ratios exceed factor x budget (the same
    comparison Sloth's rule makes, so the answer matches the alert). A window without a ratio
    cannot fire; it is listed under ``missing``.
    Returns ``{"page": bool, "ticket": bool, "conditions": [...], "missing": [...]}``.
    Without ``windows``, the window set of ``period`` (google-30d for 30d, google-28d for 4w).
    """
    if windows is None:
        windows = windows_for_period(period)
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
