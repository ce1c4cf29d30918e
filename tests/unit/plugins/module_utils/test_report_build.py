# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assembling report.json: top-level fields, runbook order, window, links, duration, redaction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_build, _report_files
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SCHEMA_VERSION, SchemaError
from ansible_collections.karmada.runbooks.plugins.module_utils._version import COLLECTION_VERSION
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import ALERT, NOW, T0, findings, report


def test_report_has_every_top_level_field_of_the_schema():
    built = report()
    assert list(built) == ["schema_version", "generated_at", "collection_version", "alert", "window", "targets",
                           "verdict", "checks", "links", "duration_seconds"]
    assert built["schema_version"] == SCHEMA_VERSION
    assert built["collection_version"] == COLLECTION_VERSION
    assert built["generated_at"] == NOW
    assert set(built["targets"]) == set(_report_build.TARGET_KEYS)


def test_checks_are_in_runbook_order():
    assert [c["id"] for c in report()["checks"]] == ["slo_burn_rate", "sync_failure_events", "execution_namespaces", "rbac"]
    assert [c["runbook_step"] for c in report()["checks"]] == [1, 2, 4, 5]


def test_prometheus_credentials_do_not_travel_with_the_report():
    built = report()
    assert built["targets"]["prometheus_url"] == "https://prom.example:9090/"
    assert "secret" not in _report_files.to_json(built)


def test_links_the_runbook_by_default_and_inputs_win_over_the_slo_check():
    checks = findings()
    checks[1]["details"]["links"] = {"grafana_slo_detail": "https://from-check/d/1", "grafana_slo_overview": "https://from-check/d/2"}
    links = report(checks, links={"grafana_slo_detail": "https://given/d/1"})["links"]
    assert links == {"runbook": RUNBOOK_URL, "grafana_slo_detail": "https://given/d/1", "grafana_slo_overview": "https://from-check/d/2"}


def test_duration_falls_back_to_the_sum_of_the_checks():
    assert report(duration_seconds=None)["duration_seconds"] == pytest.approx(0.25 + 0.5 + 1 + 0.1)


def test_json_round_trip_is_lossless():
    built = report()
    assert json.loads(_report_files.to_json(built)) == built


def test_window_defaults_to_the_alert_and_the_report_time():
    assert _report_build.report_window(alert=ALERT, generated_at=NOW) == {
        "start": "2025-11-25T02:10:00Z", "end": NOW, "source": "alert"}
    assert _report_build.report_window("2025-11-25T02:00:00+01:00", NOW, "default") == {
        "start": "2025-11-25T01:00:00Z", "end": NOW, "source": "default"}
    assert _report_build.report_window(generated_at=NOW)["source"] == "default"


@pytest.mark.parametrize("start, end, expected", [
    ("yesterday", NOW, "window_start must be an RFC 3339 time"),
    (None, "03:00", "window_end must be an RFC 3339 time"),
    ("2025-11-25T04:00:00Z", NOW, "window_start (2025-11-25T04:00:00Z) is after window_end"),
])
def test_bad_window_names_the_option(start, end, expected):
    with pytest.raises(InputError) as error:
        _report_build.report_window(start, end, generated_at=NOW)
    assert expected in str(error.value)


def test_elapsed_seconds_from_rfc3339_or_epoch():
    now = datetime.datetime(2025, 11, 25, 3, 0, tzinfo=datetime.UTC)
    assert _report_build.elapsed_seconds("2025-11-25T02:59:30Z", now) == 30
    assert _report_build.elapsed_seconds(str(T0 + 3590), now) == 10
    assert _report_build.elapsed_seconds("2025-11-25T03:01:00Z", now) == 0  # a clock step back is not negative time
    with pytest.raises(InputError, match="started_at must be an RFC 3339 time"):
        _report_build.elapsed_seconds("soon", now)


def test_collection_version_matches_galaxy_yml():
    root = os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)
    with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
        version = re.search(r"^version:\s*(\S+)", handle.read(), re.MULTILINE).group(1).strip("\"'")
    assert COLLECTION_VERSION == version


def test_report_from_inputs_validates_then_assembles_with_the_real_verdict():
    now = datetime.datetime(2025, 11, 25, 3, 0, tzinfo=datetime.UTC)
    built = _report_build.report_from_inputs(findings(), now, alert={"labels": {"alertname": "X"}, "startsAt": "2025-11-25T02:10:00Z"},
                                             started_at="2025-11-25T02:59:00Z", targets={"prometheus_url": "http://u:p@prom:9090"})
    assert built["generated_at"] == NOW and built["duration_seconds"] == 60
    assert built["window"] == {"start": "2025-11-25T02:10:00Z", "end": NOW, "source": "alert"}
    assert built["verdict"]["causes"][0]["id"] == "execution_namespace_missing"
    assert built["targets"]["prometheus_url"] == "http://prom:9090"
    broken = findings()
    broken[0]["summary"] = ""
    with pytest.raises(SchemaError, match="findings\\[0\\] \\(check execution_namespaces\\): field 'summary'"):
        _report_build.report_from_inputs(broken, now, started_at="soon")  # the findings are checked first
