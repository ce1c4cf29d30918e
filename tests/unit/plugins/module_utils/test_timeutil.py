# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one time API: datetimes for Kubernetes and the verdict, epoch seconds for Prometheus, durations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC, format_rfc3339, parse_datetime, parse_duration, parse_epoch


@pytest.mark.parametrize("text, expected", [
    ("2026-11-25T03:00:00Z", "2026-11-25T03:00:00Z"),
    ("2026-11-25T05:00:00.5+02:00", "2026-11-25T03:00:00Z"),
    ("2026-11-24T22:30:00-04:30", "2026-11-25T03:00:00Z"),
])
def test_rfc3339_with_offsets_and_fractions(text, expected):
    assert format_rfc3339(parse_datetime(text, "t")) == expected


def test_parse_datetime_takes_epoch_only_where_allowed():
    assert parse_datetime("1764039600", "t", allow_epoch=True) == datetime.datetime(2025, 11, 25, 3, 0, tzinfo=UTC)
    with pytest.raises(InputError, match="t must be an RFC 3339 time"):
        parse_datetime("1764039600", "t")
    with pytest.raises(InputError, match="not a valid date"):
        parse_datetime("2026-02-30T00:00:00Z", "t")


def test_parse_datetime_makes_naive_datetimes_utc():
    assert parse_datetime(datetime.datetime(2026, 11, 25, 3), "t").tzinfo is UTC


@pytest.mark.parametrize("value, epoch", [
    ("2026-11-25T10:00:00Z", 1795600800.0),
    ("2026-11-25T12:00:00+02:00", 1795600800.0),
    ("2026-11-25T05:30:00-0430", 1795600800.0),
    ("2026-11-25T10:00:00.123456789Z", 1795600800.123456789),
    ("2026-11-25 10:00:00z", 1795600800.0),
    ("1795600800", 1795600800.0),
    ("1795600800.5", 1795600800.5),
    (1795600800, 1795600800.0),
    (None, None),
    ("", None),
])
def test_parse_epoch(value, epoch):
    assert parse_epoch(value) == (pytest.approx(epoch) if epoch else epoch)


@pytest.mark.parametrize("value", ["yesterday", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T10:00:00", True])
def test_parse_epoch_rejects_and_names_the_option(value):
    with pytest.raises(InputError) as info:
        parse_epoch(value, "window_start")
    assert str(info.value).startswith("window_start")


def test_format_rfc3339_takes_both_forms():
    assert format_rfc3339(1795600800.7) == "2026-11-25T10:00:00Z"
    assert format_rfc3339(datetime.datetime(2026, 11, 25, 10, tzinfo=UTC)) == "2026-11-25T10:00:00Z"
    assert format_rfc3339(None) is None


def test_format_rfc3339_with_fraction_keeps_order_within_a_second():
    moment = datetime.datetime(2026, 11, 25, 14, 57, 59, 923951, tzinfo=UTC)
    assert format_rfc3339(moment, fraction=True) == "2026-11-25T14:57:59.923951Z"
    shifted = datetime.datetime(2026, 11, 25, 15, 57, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert format_rfc3339(shifted, fraction=True) == "2026-11-25T14:57:59.000000Z"


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("30d", 2592000),
                                           ("1w", 604800), ("500ms", 0.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h1", "0m", "5 m", "5", "1h 30m", "-5m", None])
def test_bad_durations_name_the_option(text):
    with pytest.raises(InputError, match="lookback must be a duration"):
        parse_duration(text, "lookback")
