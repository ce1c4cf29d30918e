# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validators of _report: findings that arrive as data follow the same rules as the constructors.

(Named test_report_schema, not test_report, so that it does not clash with the module's test_report.py.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report
from ansible_collections.karmada.runbooks.plugins.module_utils._report import (
    CHECKS,
    EVIDENCE_SOURCES,
    STATUSES,
    STRENGTH_MAX,
    STRENGTH_MIN,
    SchemaError,
    add_findings,
    evidence,
    finding,
    signal,
    unknown,
)
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import findings


def test_findings_built_with_the_schema_constructors_are_valid():
    _report.validate_findings(findings())


@pytest.mark.parametrize("mutate, expected", [
    (lambda f: f[2]["signals"][0].update(strength=1.5),
     "findings[2] (check sync_failure_events): field 'signals[0].strength' must be a number between 0 and 1, got 1.5"),
    (lambda f: f[0].update(summary=""), "findings[0] (check execution_namespaces): field 'summary' must be a non-empty string"),
    (lambda f: f[1].update(status="broken"), "findings[1] (check slo_burn_rate): field 'status' must be one of ok, warn, fail, unknown"),
    (lambda f: f[0].update(id="namespaces"), "findings[0]: field 'id' must be a check id"),
    (lambda f: f[0].update(runbook_step=3), "findings[0] (check execution_namespaces): field 'runbook_step' must be 4"),
    (lambda f: f[2]["evidence"][0].update(source="kubectl"), "field 'evidence[0].source' must be one of event, log"),
    (lambda f: f[2]["signals"][0].update(cause="gremlins"), "field 'signals[0].cause' must be a cause id"),
    (lambda f: f[2]["signals"][0].update(clusters="member2"), "field 'signals[0].clusters' must be a list of strings"),
    (lambda f: f[3].pop("error"), "findings[3] (check rbac): field 'error' must say why the check could not run"),
    (lambda f: f[0].update(details=None), "field 'details' must be a mapping"),
    (lambda f: f.append(copy.deepcopy(f[0])), "findings[4] (check execution_namespaces): the check already reported at findings[0]"),
    (lambda f: f.__setitem__(1, "slo_burn_rate"), "findings[1] must be a finding"),
])
def test_a_malformed_finding_names_the_check_and_the_field(mutate, expected):
    items = findings()
    mutate(items)
    with pytest.raises(SchemaError) as error:
        _report.validate_findings(items)
    assert expected in str(error.value)


def test_findings_must_be_a_list():
    with pytest.raises(SchemaError, match="findings must be a list"):
        _report.validate_findings({"id": "rbac"})


# --- constructors and validators agree -------------------------------------------------------

def test_every_finding_a_constructor_builds_passes_the_validator():
    items = [finding(check_id, STATUSES[index % len(STATUSES)], "summary", error="why",
                     evidence_items=[evidence(EVIDENCE_SOURCES[index % len(EVIDENCE_SOURCES)], "seen", count=2)],
                     signals=[signal("rbac_denied", STRENGTH_MAX if index % 2 else STRENGTH_MIN, "reason", bindings=["ns/b"])])
             for index, check_id in enumerate(CHECKS)]
    _report.validate_findings(items)
    _report.validate_findings([unknown("rbac", "forbidden", duration_seconds=0.2)])


@pytest.mark.parametrize("strength", [STRENGTH_MIN - 0.001, STRENGTH_MAX + 0.001])
def test_constructor_and_validator_reject_the_same_strengths(strength):
    with pytest.raises(SchemaError, match=f"between {STRENGTH_MIN} and {STRENGTH_MAX}"):
        signal("rbac_denied", strength, "reason")
    items = [finding("rbac", "fail", "denied", signals=[dict(signal("rbac_denied", 0.5, "reason"), strength=strength)])]
    with pytest.raises(SchemaError, match=f"must be a number between {STRENGTH_MIN} and {STRENGTH_MAX}"):
        _report.validate_findings(items)


def test_constructor_and_validator_reject_the_same_status_and_source():
    with pytest.raises(SchemaError, match="status must be one of " + ", ".join(STATUSES)):
        finding("rbac", "broken", "summary")
    with pytest.raises(SchemaError, match="evidence source must be one of " + ", ".join(EVIDENCE_SOURCES)):
        evidence("kubectl", "text")
    with pytest.raises(SchemaError, match="field 'status' must be one of " + ", ".join(STATUSES)):
        _report.validate_finding(dict(finding("rbac", "ok", "fine"), status="broken"))
    with pytest.raises(SchemaError, match="field 'evidence\\[0\\].source' must be one of " + ", ".join(EVIDENCE_SOURCES)):
        _report.validate_finding(finding("rbac", "ok", "fine", evidence_items=[{"source": "kubectl", "text": "x"}]))


# --- one finding -----------------------------------------------------------------------------

def test_validate_finding_names_the_index_it_is_given():
    with pytest.raises(SchemaError, match=r"^findings\[7\] \(check rbac\): field 'summary'"):
        _report.validate_finding(dict(finding("rbac", "ok", "fine"), summary=" "), 7)


@pytest.mark.parametrize("mutate, expected", [
    (lambda f: f.update(duration_seconds=-1), "field 'duration_seconds' must be a number of seconds, got -1"),
    (lambda f: f.update(duration_seconds=True), "field 'duration_seconds' must be a number of seconds, got True"),
    (lambda f: f.update(runbook_step=True), "field 'runbook_step' must be 5 for this check, got True"),
    (lambda f: f.update(error=3), "field 'error' must be a string, got 3"),
    (lambda f: f["evidence"].append({"source": "log", "text": "x", "count": 1.0}), "field 'evidence[0].count' must be an integer"),
    (lambda f: f["evidence"].append({"source": "log", "text": None}), "field 'evidence[0].text' must be a string"),
    (lambda f: f["evidence"].append("a line"), "field 'evidence[0]' must be a mapping, got str"),
    (lambda f: f.update(evidence=None), "field 'evidence' must be a list of evidence items, got NoneType"),
    (lambda f: f.update(signals={}), "field 'signals' must be a list of signals, got dict"),
    (lambda f: f["signals"].append(dict(signal("rbac_denied", 0.5, "r"), strength=False)), "field 'signals[0].strength' must be a number"),
    (lambda f: f["signals"].append(dict(signal("rbac_denied", 0.5, "r"), reason=None)), "field 'signals[0].reason' must be a string"),
    (lambda f: f["signals"].append(dict(signal("rbac_denied", 0.5, "r"), bindings=[1])), "field 'signals[0].bindings' must be a list of strings"),
    (lambda f: f["signals"].append(dict(signal("rbac_denied", 0.5, "r"), evidence=[{"source": "api"}])),
     "field 'signals[0].evidence[0].text' must be a string"),
])
def test_every_field_is_checked(mutate, expected):
    item = finding("rbac", "ok", "fine", duration_seconds=0.1)
    mutate(item)
    with pytest.raises(SchemaError) as error:
        _report.validate_finding(item)
    assert expected in str(error.value)


def test_optional_fields_may_be_missing():
    item = finding("rbac", "ok", "fine")
    for key in ("duration_seconds", "error"):
        item.pop(key, None)
    item["signals"] = [{"cause": "rbac_denied", "strength": 1, "reason": "r"}]  # bindings, clusters, evidence default to none
    _report.validate_finding(item)


@pytest.mark.parametrize("value, expected", [(0, True), (0.5, True), (-3, True), (True, False), (False, False), ("1", False), (None, False)])
def test_a_bool_is_not_a_number(value, expected):
    assert _report.is_number(value) is expected


def test_add_findings_keeps_one_finding_per_check_the_latest():
    logs_old = {"id": "controller_logs", "status": "ok"}
    logs_new = {"id": "controller_logs", "status": "fail"}
    events = {"id": "sync_failure_events", "status": "fail"}
    assert add_findings([logs_old, events], [logs_new]) == [events, logs_new]
    assert add_findings(None, [events]) == [events]
    assert add_findings([events], []) == [events]
