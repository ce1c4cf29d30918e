# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml's judgement: the schema of audit checks and drift items, the reused diagnose findings, the
comparison with the previous audit, and the report views (escaping included)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os

import pytest
import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit, _audit_report, _defaults, _karmada
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SchemaError, finding
from ansible_collections.karmada.runbooks.plugins.module_utils._report_console import audit_console_summary
from ansible_collections.karmada.runbooks.plugins.module_utils._report_html import to_html
from ansible_collections.karmada.runbooks.plugins.module_utils._report_markdown import to_markdown

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
ROOT = os.path.normpath(os.path.join(os.path.dirname(_defaults.__file__), "..", ".."))


def namespaces_finding(missing=(), terminating=(), orphaned=(), clusters=3):
    status = "fail" if missing or terminating else "ok"
    details = {"clusters": clusters, "missing": list(missing), "terminating": list(terminating), "orphaned": list(orphaned)}
    return finding("execution_namespaces", status, "x", details=details)


def slo_finding(remaining, source="sloth"):
    return finding("slo_burn_rate", "ok", "x", details={"budget_remaining": remaining, "source": source})


# -- schema -----------------------------------------------------------------------------------------

def test_a_drift_item_id_is_its_kind_and_subject():
    item = _audit.drift_item("execution_namespace_missing", "karmada-es-member2", "gone")
    assert item == {"id": "execution_namespace_missing:karmada-es-member2", "check": "execution_namespaces",
                    "kind": "execution_namespace_missing", "subject": "karmada-es-member2", "message": "gone"}


@pytest.mark.parametrize("call, field", [
    (lambda: _audit.drift_item("nonsense", "x", "m"), "drift kind"),
    (lambda: _audit.drift_item("leader_lease_stale", "", "m"), "subject"),
    (lambda: _audit.audit_check("nope", "ok", "s"), "audit check id"),
    (lambda: _audit.audit_check("leader_lease", "fail", "s"), "status"),
    (lambda: _audit.audit_check("leader_lease", "drift", "s"), "without drift"),
    (lambda: _audit.audit_check("leader_lease", "ok", "s", drift=[_audit.drift_item("leader_lease_stale", "a/b", "m")]),
     "with drift"),
    (lambda: _audit.audit_check("controller_manager", "drift", "s", drift=[_audit.drift_item("leader_lease_stale", "a/b", "m")]),
     "belongs to check leader_lease"),
    (lambda: _audit.audit_check("leader_lease", "unknown", "s"), "error"),
])
def test_constructors_refuse_what_the_schema_forbids(call, field):
    with pytest.raises(SchemaError, match=field):
        call()


def test_validate_check_refuses_a_drift_id_that_does_not_match_its_subject():
    check = _audit.audit_check("leader_lease", "drift", "s", drift=[_audit.drift_item("leader_lease_stale", "a/b", "m")])
    check["drift"][0]["id"] = "leader_lease_stale:other"
    with pytest.raises(SchemaError, match="does not match"):
        _audit.validate_check(check)


# -- the reused diagnose findings ------------------------------------------------------------------

def test_missing_terminating_and_orphaned_namespaces_are_each_drift():
    check = _audit.namespaces_check(namespaces_finding(["karmada-es-member2"], ["karmada-es-member3"], ["karmada-es-old"]))
    assert check["status"] == "drift"
    assert [d["id"] for d in check["drift"]] == [
        "execution_namespace_missing:karmada-es-member2", "execution_namespace_terminating:karmada-es-member3",
        "execution_namespace_orphaned:karmada-es-old"]
    assert "Cluster old" in check["drift"][2]["message"]


def test_an_orphaned_namespace_alone_is_drift_though_diagnose_calls_it_ok():
    result = namespaces_finding(orphaned=["karmada-es-old"])
    assert result["status"] == "ok"
    assert _audit.namespaces_check(result)["status"] == "drift"


def test_a_finding_that_could_not_run_is_unknown_with_its_reason():
    check = _audit.namespaces_check(finding("execution_namespaces", "unknown", "Could not", error="forbidden: no list"))
    assert check["status"] == "unknown" and check["error"] == "forbidden: no list" and not check["drift"]


@pytest.mark.parametrize("status, drift", [("ok", False), ("warn", True), ("fail", True)])
def test_rbac_warn_and_fail_are_drift(status, drift):
    result = finding("rbac", status, "user x may not create works", details={
        "identity": {"user": "system:karmada:controller", "groups": [], "source": "configured"},
        "reviews": [{"verb": "create", "namespace": None, "allowed": status == "ok"}]})
    check = _audit.rbac_check(result)
    assert (check["status"] == "drift") is drift
    if drift:
        assert check["drift"][0]["id"] == "rbac_denied:system:karmada:controller"


@pytest.mark.parametrize("remaining, status", [(0.9, "ok"), (0.5, "ok"), (0.49, "drift"), (-0.2, "drift")])
def test_budget_under_the_threshold_is_drift(remaining, status):
    check = _audit.budget_check(slo_finding(remaining), threshold=0.5)
    assert check["status"] == status
    assert check["details"]["threshold"] == 0.5


def test_budget_without_a_number_is_unknown_not_ok():
    check = _audit.budget_check(slo_finding(None, source="raw"))
    assert check["status"] == "unknown" and "raw" in check["error"]


def test_from_findings_ignores_checks_the_audit_does_not_judge():
    checks = _audit.from_findings([finding("controller_logs", "fail", "x"), namespaces_finding(), slo_finding(1.0)])
    assert [c["id"] for c in checks] == ["execution_namespaces", "slo_error_budget"]


# -- the audit as a whole and the comparison -------------------------------------------------------

def ok(check_id):
    return _audit.audit_check(check_id, "ok", "fine")


def stale(subject="karmada-system/karmada-controller-manager"):
    return _audit.audit_check("leader_lease", "drift", "stale", drift=[_audit.drift_item("leader_lease_stale", subject, "m")])


@pytest.mark.parametrize("fail_on_unknown", [True, False])
def test_unknown_fails_the_audit_only_when_configured(fail_on_unknown):
    result = _audit.assess([ok("controller_manager"), _audit.unknown_check("prometheus_rules", "no URL")], fail_on_unknown)
    assert result["status"] == "unknown" and result["unknown_checks"] == ["prometheus_rules"]
    assert result["failed"] is fail_on_unknown


def test_drift_always_fails_the_audit():
    result = _audit.assess([stale(), ok("controller_manager")], fail_on_unknown=False)
    assert result["status"] == "drift" and result["failed"] is True


def test_clean_audit_passes():
    result = _audit.assess([ok("controller_manager"), ok("leader_lease")])
    assert result == dict(result, status="clean", failed=False, drift=[], unknown_checks=[])


def report_of(checks, previous=None):
    drift = [d for c in checks for d in c["drift"]]
    section = _audit.section(checks, {}, True, _audit.compare(previous, drift, checks, path="/r/report.json"))
    return {"kind": "audit", "generated_at": "2026-11-30T11:00:00Z", "audit": section}


def test_compare_says_what_is_new_resolved_and_unchanged():
    namespaces = _audit.namespaces_check(namespaces_finding(["karmada-es-member2"]))
    before = _audit.previous_audit(report_of([namespaces, stale()]))
    now_namespaces = _audit.namespaces_check(namespaces_finding(["karmada-es-member2", "karmada-es-member3"]))
    now = [now_namespaces, ok("leader_lease")]
    result = _audit.compare(before, [d for c in now for d in c["drift"]], now)
    assert result["new"] == ["execution_namespace_missing:karmada-es-member3"]
    assert [r["id"] for r in result["resolved"]] == ["leader_lease_stale:karmada-system/karmada-controller-manager"]
    assert result["unchanged"] == 1
    assert result["checks_changed"] == [{"id": "leader_lease", "from": "drift", "to": "ok"}]
    assert _audit.comparison_text(result).startswith("1 new, 1 resolved, 1 unchanged since the audit of 2026-11-30T11:00:00Z")


def test_an_item_whose_check_could_not_run_is_not_called_resolved():
    before = _audit.previous_audit(report_of([stale()]))
    now = [_audit.unknown_check("leader_lease", "forbidden")]
    result = _audit.compare(before, [], now)
    assert result["resolved"] == [] and [u["id"] for u in result["unverified"]] == [stale()["drift"][0]["id"]]


def test_a_diagnosis_report_is_no_previous_audit():
    assert _audit.previous_audit({"schema_version": "1.0", "verdict": {"status": "healthy"}, "checks": []}) is None
    assert _audit.compare(None, [], [])["note"] == "no previous audit report to compare with"


def test_read_previous_explains_why_nothing_is_compared(tmp_path):
    path = str(tmp_path / "report.json")
    assert _audit_report.read_previous(path) == (None, "first audit into this directory: nothing to compare with")
    with open(path, "w") as handle:
        json.dump({"schema_version": "1.0", "verdict": {}, "checks": []}, handle)
    assert "a diagnosis" in _audit_report.read_previous(path)[1]
    with open(path, "w") as handle:
        handle.write("{not json")
    assert "could not be read" in _audit_report.read_previous(path)[1]
    with open(path, "w") as handle:
        json.dump(report_of([stale()]), handle)
    previous, note = _audit_report.read_previous(path)
    assert note is None and [d["id"] for d in previous["drift"]] == [stale()["drift"][0]["id"]]


def test_build_combines_module_checks_and_findings_into_one_report():
    report = _audit_report.build([stale()], [namespaces_finding(["karmada-es-member2"]), slo_finding(0.9)], NOW, 0.5,
                                 {"restarts": 3}, True, started_at="2026-11-30T11:59:50Z")
    assert report["kind"] == "audit" and report["schema_version"] == "1.0" and report["duration_seconds"] == 10
    section = report["audit"]
    assert [c["id"] for c in section["checks"]] == ["execution_namespaces", "leader_lease", "slo_error_budget"]
    assert section["thresholds"] == {"restarts": 3, "budget_remaining": 0.5}
    assert section["failed"] and section["status"] == "drift"
    stats = _audit_report.stats(report, {"json": "/r/report.json"})
    assert stats["drift"] == ["execution_namespace_missing:karmada-es-member2", stale()["drift"][0]["id"]]


def test_build_refuses_the_same_check_twice():
    with pytest.raises(SchemaError, match="each check at most once"):
        _audit_report.build([stale(), stale()], [], NOW, 0.5, {}, True)


# -- views ------------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>`|*x*\x1b[2J"


def hostile_report():
    namespaces = _audit.namespaces_check(namespaces_finding(orphaned=["karmada-es-" + HOSTILE]))
    before = _audit.previous_audit(report_of([stale()]))
    drift = namespaces["drift"]
    section = _audit.section([namespaces, ok("leader_lease")], {"restarts": 3}, True,
                             _audit.compare(before, drift, [namespaces, ok("leader_lease")]))
    return {"kind": "audit", "schema_version": "1.0", "generated_at": "2026-11-30T12:00:00Z", "audit": section,
            "collection_version": "0.1.0", "duration_seconds": 3.2}


def test_html_escapes_cluster_text():
    page = to_html(hostile_report())
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Karmada drift audit" in page and "Resolved" in page


def test_markdown_shows_new_and_resolved_and_keeps_cluster_text_inert():
    text = to_markdown(hostile_report())
    assert text.startswith("# Karmada drift audit: DRIFT")
    assert "### New" in text and "### Resolved" in text
    # Messages are escaped prose; the id is a code span (shown literally, never as HTML) with a longer fence.
    assert "has no Cluster \\<script\\>alert(1)\\</script\\>" in text
    assert "- ``execution_namespace_orphaned:karmada-es-<script>" in text
    assert "\x1b" not in text


def test_console_is_bounded_and_has_no_control_characters():
    text = audit_console_summary(hostile_report(), {"json": "/r/report.json"})
    lines = text.splitlines()
    assert lines[0] == "Karmada drift audit: DRIFT (the play fails: drift found)"
    assert "Resolved since the previous audit:" in lines and "\x1b" not in text
    assert len(lines) <= 29 and all(len(line) <= 120 for line in lines)


# -- role defaults restate _defaults ----------------------------------------------------------------

def role_yaml(role, *parts):
    with open(os.path.join(ROOT, "roles", role, *parts)) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("role, variable, expected", [
    ("audit_inputs", "karmada_audit_budget_threshold", _defaults.AUDIT_BUDGET_THRESHOLD),
    ("audit_inputs", "karmada_audit_fail_on_unknown", _defaults.AUDIT_FAIL_ON_UNKNOWN),
    ("audit_inputs", "karmada_audit_restart_threshold", _defaults.AUDIT_RESTART_THRESHOLD),
    ("audit_inputs", "karmada_audit_restart_window", _defaults.AUDIT_RESTART_WINDOW),
    ("audit_inputs", "karmada_audit_lease_max_age", _defaults.AUDIT_LEASE_MAX_AGE),
    ("audit_inputs", "karmada_audit_lease_namespace", _karmada.LEADER_LEASE_NAMESPACE),
])
def test_audit_role_defaults_match_python_and_their_argument_spec(role, variable, expected):
    assert role_yaml(role, "defaults", "main.yml")[variable] == expected
    spec = role_yaml(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"][variable]
    assert spec["default"] == expected
