"""The diagnose and mitigate contracts on whatever cluster the tests point at: the emulator, or a real Karmada
when KARMADA_TEST_KUBECONFIG is set (with KARMADA_TEST_CONTEXT / KARMADA_TEST_HOST_CONTEXT and optionally
KARMADA_TEST_PROMETHEUS_URL). Read-only (mitigate runs without approval, so it only plans), so it is safe
against a real control plane."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import REAL_KUBECONFIG, REPO_ROOT, VENV_BIN


def run_playbook(name, kubeconfig, report_dir, *extra):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), f"playbooks/{name}.yml",
            "-e", f"karmada_kubeconfig={kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    for variable, option in (("KARMADA_TEST_CONTEXT", "karmada_context"),
                             ("KARMADA_TEST_HOST_CONTEXT", "karmada_host_context"),
                             ("KARMADA_TEST_PROMETHEUS_URL", "karmada_prometheus_url")):
        if os.environ.get(variable):
            args += ["-e", f"{option}={os.environ[variable]}"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(args + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900,
                          check=False)


def test_diagnose_writes_a_report_that_keeps_the_contract(emulator, tmp_path):
    run = run_playbook("diagnose", REAL_KUBECONFIG or emulator.kubeconfig, tmp_path, "--check")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    with open(tmp_path / "report.json", encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["schema_version"] == "1.0"
    assert report["verdict"]["status"] in ("healthy", "degraded", "unknown")
    assert [c["runbook_step"] for c in report["checks"]] == sorted(c["runbook_step"] for c in report["checks"])
    assert {c["runbook_step"] for c in report["checks"]} == set(range(1, 10))
    for check in report["checks"]:
        assert check["status"] in ("ok", "warn", "fail", "unknown")
        assert check["status"] != "unknown" or check.get("error")
    for cause in report["verdict"]["causes"]:
        assert 0 < cause["confidence"] <= 1 and cause["mitigation"]["action"]
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# ")
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_mitigate_without_approval_plans_and_keeps_the_contract(emulator, tmp_path):
    run = run_playbook("mitigate", REAL_KUBECONFIG or emulator.kubeconfig, tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    with open(tmp_path / "report.json", encoding="utf-8") as handle:
        mitigation = json.load(handle)["mitigation"]
    assert mitigation["mode"] == "plan" and mitigation["approved"] is False
    assert mitigation["lock"] is None and mitigation["verification"] is None
    for action in mitigation["actions"]:
        assert action["status"] in ("planned", "skipped") and action["changed"] is False
        assert action["reason"]
    assert mitigation["summary"]
