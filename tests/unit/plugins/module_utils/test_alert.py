# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert that starts a run, and the diagnosis window it opens."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import ALERT_NAME, alert_input, diagnosis_window, normalize_alert, plain_data
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC

NOW = datetime.datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
FIRING = {"status": "firing", "startsAt": "2026-11-25T03:00:12.345678901Z",
          "labels": {"alertname": ALERT_NAME, "severity": "critical", "sloth_slo": "binding-sync-work-availability"},
          "annotations": {"runbook_url": "https://karmada.io/docs/x"}}


def test_alertmanager_alert_is_normalized():
    alert = normalize_alert(FIRING)
    assert alert == {"alertname": ALERT_NAME, "labels": FIRING["labels"], "annotations": FIRING["annotations"],
                     "status": "firing", "startsAt": "2026-11-25T03:00:12Z"}


def test_webhook_payload_picks_our_firing_alert():
    other = {"status": "firing", "labels": {"alertname": "KarmadaApiserverAvailabilityBurnRateHigh"},
             "startsAt": "2026-11-25T01:00:00Z"}
    resolved = dict(FIRING, status="resolved", startsAt="2026-11-24T01:00:00Z")
    payload = {"version": "4", "status": "firing", "alerts": [other, resolved, FIRING]}
    assert normalize_alert(payload)["startsAt"] == "2026-11-25T03:00:12Z"


def test_eda_event_and_plain_labels():
    assert normalize_alert({"alert": FIRING})["alertname"] == ALERT_NAME
    assert normalize_alert({"payload": {"alerts": [FIRING]}})["labels"]["severity"] == "critical"
    labels_only = normalize_alert({"alertname": ALERT_NAME, "severity": "warning"})
    assert labels_only["labels"] == {"alertname": ALERT_NAME, "severity": "warning"}
    assert labels_only["startsAt"] is None


@pytest.mark.parametrize("value", [None, "", {}])
def test_no_alert(value):
    assert normalize_alert(value) is None


@pytest.mark.parametrize("value, message", [
    ("firing", "karmada_alert must be a mapping"),
    ({"labels": ["a"]}, "karmada_alert.labels must be a mapping"),
    ({"alerts": []}, "without alerts"),
    (dict(FIRING, startsAt="yesterday"), "karmada_alert.startsAt must be an RFC 3339 time"),
])
def test_bad_alerts_name_the_variable(value, message):
    with pytest.raises(InputError, match=message):
        normalize_alert(value)


def test_window_opens_before_the_alert_started():
    window = diagnosis_window(normalize_alert(FIRING), now=NOW)
    assert window == {"start": "2026-11-25T02:55:12Z", "end": "2026-11-25T03:30:00Z", "source": "alert"}


def test_window_without_alert_or_with_a_future_start_looks_back():
    assert diagnosis_window(None, "2h", now=NOW)["start"] == "2026-11-25T01:30:00Z"
    future = normalize_alert(dict(FIRING, startsAt="2026-11-25T04:00:00Z"))
    assert diagnosis_window(future, now=NOW) == {"start": "2026-11-25T02:30:00Z", "end": "2026-11-25T03:30:00Z",
                                                 "source": "default"}


def test_window_rejects_a_bad_look_back():
    with pytest.raises(InputError, match="karmada_window must be a duration"):
        diagnosis_window(None, "an hour", now=NOW)


def test_karmada_alert_wins_over_the_eda_event_and_empty_means_none():
    event = {"event": FIRING}
    assert alert_input({"alertname": "x"}, event) == ({"alertname": "x"}, "karmada_alert")
    assert alert_input(None, event) == (FIRING, "ansible_eda.event")
    assert alert_input({}, event) == (FIRING, "ansible_eda.event")
    assert alert_input(None, {"event": {}}) == (None, "karmada_alert")
    assert alert_input(None, "not a mapping") == (None, "karmada_alert")


def test_plain_data_drops_str_and_dict_subclasses():
    class Tagged(str):
        pass

    class TaggedDict(dict):
        pass

    data = plain_data(TaggedDict(labels=TaggedDict(team=Tagged("{{ 6 * 7 }}"))))
    assert data == {"labels": {"team": "{{ 6 * 7 }}"}}
    assert data.__class__ is dict and data["labels"]["team"].__class__ is str
