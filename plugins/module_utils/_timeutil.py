# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times and durations, the one place that reads and writes them.

Kubernetes, Alertmanager and Prometheus write RFC 3339 with any fraction length and ``Z`` or an
offset; Prometheus also takes epoch seconds; durations are Prometheus-style (``90s``, ``1h30m``).
Two forms of a moment travel through the code, and the names say which one a function returns:
``parse_datetime`` gives an aware UTC ``datetime`` (Kubernetes objects, windows, the verdict),
``parse_epoch`` gives float epoch seconds (the Prometheus API). ``format_rfc3339`` writes either.
Every error names the option it came from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError

UTC = datetime.timezone.utc
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")
_EPOCH = re.compile(r"^\d+(\.\d+)?$")
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.datetime.now(UTC)


def parse_datetime(value, option, allow_epoch=False):
    """RFC 3339 (or a datetime; epoch seconds with allow_epoch) -> aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if allow_epoch and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(float(value), UTC)
    text = str(value if value is not None else "").strip()
    if allow_epoch and _EPOCH.match(text):
        return datetime.datetime.fromtimestamp(float(text), UTC)
    match = _RFC3339.match(text)
    if not match:
        raise InputError("%s must be an RFC 3339 time such as 2026-11-25T03:00:00Z%s, got %r"
                         % (option, " or epoch seconds" if allow_epoch else "", value))
    day, clock, fraction, zone = match.groups()
    try:
        # The regex fixed the layout (YYYY-MM-DD, HH:MM:SS); building the datetime from the digits is ~10x faster
        # than strptime, which counts when a check reads the timestamps of 10,000 clusters and namespaces.
        moment = datetime.datetime(int(day[:4]), int(day[5:7]), int(day[8:10]),
                                   int(clock[:2]), int(clock[3:5]), int(clock[6:8]))
    except ValueError as exc:
        raise InputError("%s: %r is not a valid date: %s" % (option, value, exc)) from None
    if fraction:
        moment = moment.replace(microsecond=int((fraction[1:] + "000000")[:6]))
    offset = datetime.timedelta()
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - offset).replace(tzinfo=UTC)


def parse_epoch(value, option="time"):
    """Epoch seconds from an RFC 3339 time or from epoch seconds (number or numeric string), as the
    Prometheus API takes them; None or "" -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError("%s must be an RFC 3339 time or epoch seconds, got %r" % (option, value))
    return parse_datetime(value, option, allow_epoch=True).timestamp()


def format_rfc3339(moment, fraction=False):
    """An aware datetime (or epoch seconds) as RFC 3339 UTC: whole seconds, or microseconds with
    ``fraction`` (log lines, where order within a second matters). None stays None."""
    if moment is None:
        return None
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.fromtimestamp(float(moment), UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


def parse_duration(text, option="duration"):
    """Seconds in a Prometheus-style duration such as 90s, 5m, 1d or 1h30m."""
    value = str(text if text is not None else "").strip()
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != position:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not value or position != len(value) or total <= 0:
        raise InputError("%s must be a duration such as 30m, 1h or 2d, got %r" % (option, text))
    return int(total) if total == int(total) else total
