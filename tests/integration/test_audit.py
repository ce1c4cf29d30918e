"""playbooks/audit.yml against the emulator: the exit-code contract, the comparison with the previous audit in
the same directory, the drift the audit-drift scenario holds, and that the audit writes nothing.

Three emulators start in parallel (two with Prometheus, as the contract runs with karmada_prometheus_url) and three
playbook runs share one report directory, in order: missing-namespaces (fails), healthy (passes; the missing
namespace is resolved), audit-drift (fails; its drift is new, and the Prometheus checks that could not run are named).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import urllib.request

import pytest
from conftest import REPO_ROOT, VENV_BIN, AnsiblePlaybook, EmulatorHandle

pytestmark = pytest.mark.emulator

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
SCENARIOS = {"missing-namespaces": True, "healthy": True, "audit-drift": False}   # scenario -> with Prometheus


def audit(handle, report_dir, *extra):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "playbooks/audit.yml",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    if "prometheus" in handle.endpoints:
        args += ["-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(args + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def load(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{scenario: (returncode, stdout, report, requests)} for the three runs into one report directory, and
    ``_handles`` {scenario: EmulatorHandle} (the emulators stay up until the module's tests are done)."""
    handles = {name: EmulatorHandle(tmp_path_factory.mktemp(name), name) for name in SCENARIOS}
    with concurrent.futures.ThreadPoolExecutor(len(handles)) as pool:
        started = [pool.submit(handle.up, *(("--prometheus",) if SCENARIOS[name] else ()))
                   for name, handle in handles.items()]
    try:
        for future in started:
            future.result()
        report_dir = str(tmp_path_factory.mktemp("audit-report"))
        results = {}
        for name, handle in handles.items():
            mark = handle.mark()
            run = audit(handle, report_dir)
            results[name] = (run.returncode, run.stdout + run.stderr, load(report_dir), handle.requests_since(mark))
        results["_handles"] = handles
        yield results
    finally:
        for handle in handles.values():
            if handle.endpoints:
                handle.down()


def drift_ids(report):
    return [item["id"] for item in report["audit"]["drift"]]


def test_missing_namespaces_fails_after_writing_its_report(runs):
    code, out, report, _requests = runs["missing-namespaces"]
    assert code != 0, out[-3000:]
    assert report["kind"] == "audit" and report["audit"]["status"] == "drift" and report["audit"]["failed"]
    assert "execution_namespace_missing:karmada-es-member2" in drift_ids(report)
    # The failure comes last: the summary was printed and the stats set before it.
    assert out.index("Karmada drift audit: DRIFT") < out.index("Hand the audit to AWX workflows") < out.index("FAILED!")
    assert report["audit"]["comparison"]["previous"] is None


def test_healthy_passes_and_says_what_was_resolved(runs):
    code, out, report, _requests = runs["healthy"]
    assert code == 0, out[-3000:]
    section = report["audit"]
    assert section["status"] == "clean" and section["drift"] == [] and section["unknown_checks"] == []
    assert {c["id"] for c in section["checks"]} == {"execution_namespaces", "controller_rbac", "override_policy_targets",
                                                    "controller_manager", "leader_lease", "slo_error_budget",
                                                    "prometheus_rules"}
    resolved = [item["id"] for item in section["comparison"]["resolved"]]
    assert "execution_namespace_missing:karmada-es-member2" in resolved
    assert section["comparison"]["previous"]["generated_at"] == runs["missing-namespaces"][2]["generated_at"]
    assert "Resolved since the previous audit:" in out and "execution_namespace_missing:karmada-es-member2" in out


def test_audit_drift_scenario_shows_each_drift_as_new(runs):
    code, out, report, _requests = runs["audit-drift"]
    assert code != 0
    kinds = {item["kind"]: item for item in report["audit"]["drift"]}
    assert set(kinds) == {"execution_namespace_orphaned", "override_policy_unmatched", "controller_container_restarts",
                          "leader_lease_stale"}, drift_ids(report)
    assert kinds["execution_namespace_orphaned"]["subject"] == "karmada-es-retired"
    assert kinds["override_policy_unmatched"]["subject"] == "OverridePolicy/default/legacy-api-tuning"
    assert "restarted 5 times" in kinds["controller_container_restarts"]["message"]
    comparison = report["audit"]["comparison"]
    assert sorted(comparison["new"]) == sorted(drift_ids(report)) and comparison["resolved"] == []
    # No Prometheus here: the two checks are unknown with their reason, and named as changed since the last audit.
    assert report["audit"]["unknown_checks"] == ["slo_error_budget", "prometheus_rules"]
    assert {"id": "prometheus_rules", "from": "ok", "to": "unknown"} in comparison["checks_changed"]
    assert "New since the previous audit:" in out
    for name in ("report.md", "report.html"):
        assert "legacy-api-tuning" in open(os.path.join(os.path.dirname(report["audit"]["comparison"]["previous"]["path"]),
                                                        name), encoding="utf-8").read()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_audit_writes_nothing(runs, scenario):
    requests = runs[scenario][3]
    assert requests, "the request log recorded nothing: the audit did not reach the emulator"
    writes = [(r["server"], r["method"], r["path"]) for r in requests
              if r["verb"] in WRITE_VERBS and r["resource"] != "subjectaccessreviews"]
    assert writes == []


def test_a_bad_threshold_stops_the_audit_before_anything_is_contacted(runs, tmp_path):
    handle = runs["_handles"]["healthy"]
    mark = handle.mark()
    run = audit(handle, str(tmp_path / "out"), "-e", "karmada_audit_budget_threshold=2")
    assert run.returncode != 0
    assert "karmada_audit_budget_threshold must be a share of the error budget between 0 and 1" in run.stdout
    # Prometheus keeps scraping the emulator; nothing else may have reached it.
    contacted = [r["path"] for r in handle.requests_since(mark) if "metrics" not in r["path"]]
    assert contacted == [] and not (tmp_path / "out").exists()


RULES_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: rules
      karmada.runbooks.audit_alert_rules:
        url: "{{ url }}"
"""


def test_prometheus_that_lost_the_rules_is_drift(runs, tmp_path):
    # Someone replaced the rule file (a config-management run, a Helm upgrade) and Prometheus reloaded it.
    prometheus = runs["_handles"]["healthy"].endpoints["prometheus"]
    with open(prometheus["rules"], "w", encoding="utf-8") as handle:
        handle.write("groups: []\n")
    with urllib.request.urlopen(urllib.request.Request(prometheus["url"] + "/-/reload", method="POST"), timeout=30):
        pass
    results = AnsiblePlaybook(str(tmp_path), runs["_handles"]["healthy"].kubeconfig).results(
        RULES_PLAYBOOK, "-e", f"url={prometheus['url']}")
    check = results["rules"]["check"]
    assert check["status"] == "drift"
    kinds = [item["kind"] for item in check["drift"]]
    assert kinds.count("prometheus_alert_missing") == 1
    assert "prometheus_rule_missing:karmada/binding-sync-work-availability/slo:period_error_budget_remaining:ratio" in [
        item["id"] for item in check["drift"]]


def test_the_rules_the_audit_requires_are_the_ones_sloth_renders_from_karmadas_spec():
    from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_rules
    from tests.emulator import sloth
    for windows, period in (("google-30d", "30d"), ("google-28d", "4w")):
        rendered = sloth.karmada_rules(windows)
        ours = [rule for group in rendered["groups"] for rule in group["rules"]
                if rule.get("labels", {}).get("sloth_slo") == "binding-sync-work-availability" or "alert" in rule]
        recorded = {rule["record"] for rule in ours if "record" in rule}
        assert set(_audit_rules.required_records()) | {"slo:sli_error:ratio_rate" + period} <= recorded
        assert _audit_rules.ALERT_NAME in {rule["alert"] for rule in ours if "alert" in rule}
