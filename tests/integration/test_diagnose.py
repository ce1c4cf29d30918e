"""playbooks/diagnose.yml end to end: real ansible-playbook runs against every built-in scenario."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

pytestmark = pytest.mark.emulator

HAVE_PROMETHEUS = os.path.exists("/usr/bin/prometheus")

TOP_CAUSE = {
    "missing-namespaces": "execution_namespace_missing",
    "terminating-namespace": "execution_namespace_terminating",
    "rbac-denied": "rbac_denied",
    "override-policy-broken": "override_policy_failure",
    "webhook-down": "work_webhook_unavailable",
    "work-being-deleted": "work_being_deleted",
    "workqueue-stuck": "workqueue_stuck",
    "apiserver-errors": "apiserver_errors",
    "large": "execution_namespace_missing",
    # Faults whose wording comes from Karmada v1.18.2 and the Kubernetes libraries it pins
    # (tests/emulator/scenarios/README.md), classified by the corpus-tested catalogue.
    "interpreter-webhook-down": "resource_interpreter_failure",
    "lua-interpreter-error": "resource_interpreter_failure",
    "template-too-large": "resource_template_too_large",
    "quota-denied": "admission_denied",
    "apiserver-transport": "apiserver_errors",
    "apiserver-throttled": "apiserver_errors",
    "work-conflict": "work_conflict",
    "already-exists-after-restart": "work_cache_stale",
    "target-cluster-missing": "target_cluster_missing",
    "helm-namespace": "execution_namespace_missing",
}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def diagnose(handle, report_dir, *extra, prometheus=True):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "playbooks/diagnose.yml",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    if prometheus and handle.endpoints.get("prometheus"):
        args += ["-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(args + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def start(tmp_path, scenario):
    extra = ("--prometheus",) if HAVE_PROMETHEUS else ()
    return EmulatorHandle(tmp_path / scenario, scenario=scenario).up(*extra)


def load_report(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    """Run diagnose once per scenario (lazily) and keep (report, request log, stdout)."""
    results, handles = {}, []

    def get(scenario):
        if scenario not in results:
            tmp = tmp_path_factory.mktemp(scenario)
            handle = start(tmp, scenario)
            handles.append(handle)
            mark = handle.mark()
            run = diagnose(handle, str(tmp / "report"))
            assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
            results[scenario] = (load_report(str(tmp / "report")), handle.requests_since(mark), run.stdout,
                                 str(tmp / "report"))
            # Only the results are kept: an idle emulator and its Prometheus still cost CPU, and 22 of them
            # slow every later test on a 2-core CI machine.
            handle.down()
            handles.remove(handle)
        return results[scenario]
    yield get
    for handle in handles:
        handle.down()


@pytest.mark.parametrize("scenario", sorted(TOP_CAUSE))
def test_scenario_yields_its_top_cause(diagnosed, scenario):
    report = diagnosed(scenario)[0]
    assert report["verdict"]["status"] == "degraded"
    causes = [c["id"] for c in report["verdict"]["causes"]]
    # failure_activity says why a cause counted as current or stale (workqueue-stuck depends on it).
    assert causes and causes[0] == TOP_CAUSE[scenario], (causes, report["verdict"]["failure_activity"])
    top = report["verdict"]["causes"][0]
    assert top["evidence"] and top["mitigation"]["action"]


def test_healthy_has_no_causes(diagnosed):
    report = diagnosed("healthy")[0]
    assert report["verdict"]["status"] == "healthy", report["verdict"]
    assert report["verdict"]["causes"] == []
    assert all(c["status"] in ("ok", "unknown") for c in report["checks"]), [
        (c["id"], c["status"], c["summary"]) for c in report["checks"] if c["status"] not in ("ok", "unknown")]


def test_federated_resource_quota_noise_does_not_blame_bindings(diagnosed):
    # SyncWorkFailed events exist, but on FederatedResourceQuotas: the bindings and the SLO are healthy.
    report = diagnosed("federated-resource-quota-noise")[0]
    assert report["verdict"]["status"] == "healthy", report["verdict"]
    assert report["verdict"]["causes"] == []


def test_mixed_names_both_causes(diagnosed):
    causes = [c["id"] for c in diagnosed("mixed")[0]["verdict"]["causes"]]
    assert {"execution_namespace_missing", "override_policy_failure"} <= set(causes[:2]), causes


def test_report_contract(diagnosed):
    report, _requests, stdout, report_dir = diagnosed("missing-namespaces")
    assert report["schema_version"]
    for check in report["checks"]:
        assert {"id", "runbook_step", "status", "summary"} <= set(check)
        assert check["status"] in ("ok", "warn", "fail", "unknown")
    steps = {c["runbook_step"] for c in report["checks"]}
    assert steps == set(range(1, 10))
    namespaces = next(c for c in report["checks"] if c["id"] == "execution_namespaces")
    assert namespaces["details"]["missing"] == ["karmada-es-member2"]
    top = report["verdict"]["causes"][0]
    assert top["clusters"] == ["member2"]
    assert {"default/nginx-deployment", "default/web-deployment", "default/api-deployment"} <= set(top["bindings"])
    for name in ("report.json", "report.md", "report.html"):
        assert os.path.getsize(os.path.join(report_dir, name)) > 0
    assert "karmada-es-member2" in stdout and "execution_namespace_missing" in stdout


def test_diagnose_writes_nothing_to_the_cluster(diagnosed):
    requests = diagnosed("missing-namespaces")[1]
    writes = [r for r in requests if r["verb"] in WRITE_VERBS
              and r["resource"] not in ("subjectaccessreviews", "selfsubjectaccessreviews")]
    assert writes == []
    assert any(r["verb"] == "list" for r in requests)


def test_list_requests_do_not_grow_with_clusters(diagnosed):
    def lists(scenario):
        return sum(1 for r in diagnosed(scenario)[1] if r["verb"] == "list" and r["server"] == "karmada-apiserver")
    small, large = lists("healthy"), lists("large")
    # 3 vs 1,000 clusters: pages of 500 add a few requests, never one per cluster.
    assert large <= small + 12, (small, large)


def test_unreachable_prometheus_and_forbidden_checks_degrade(tmp_path):
    handle = EmulatorHandle(tmp_path / "emu", scenario="missing-namespaces").up()
    try:
        handle.add_faults({"server": "karmada-apiserver", "path": "/api/v1/events", "status": 403,
                           "message": "events is forbidden: User \"oncall\" cannot list resource \"events\""})
        run = diagnose(handle, str(tmp_path / "out"), "-e", "karmada_prometheus_url=http://127.0.0.1:9")
        assert run.returncode == 0, run.stdout[-3000:]
        report = load_report(str(tmp_path / "out"))
        checks = {c["id"]: c for c in report["checks"]}
        assert checks["slo_burn_rate"]["status"] == "unknown" and checks["slo_burn_rate"]["error"]
        assert checks["sync_failure_events"]["status"] == "unknown"
        assert "forbidden" in checks["sync_failure_events"]["error"]
        assert report["verdict"]["causes"][0]["id"] == "execution_namespace_missing"   # the rest still decides
    finally:
        handle.down()


def test_invalid_input_fails_with_the_option_name_and_writes_nothing(tmp_path):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "playbooks/diagnose.yml",
                          "-e", f"karmada_kubeconfig={tmp_path / 'missing.kubeconfig'}",
                          "-e", f"karmada_report_dir={tmp_path / 'out'}"],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode != 0
    assert "karmada_kubeconfig" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert not os.path.exists(tmp_path / "out")


def test_collection_playbook_name_resolves(tmp_path):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"))
    run = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "karmada.runbooks.diagnose", "--syntax-check"],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
