"""playbooks/mitigate.yml end to end: real ansible-playbook runs against the emulator and real Prometheus.

Each scenario is diagnosed once; plan-only runs reuse that report through karmada_diagnosis_report, so they
cost seconds. The request log of the emulator is the witness for "nothing was written".
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import threading

import pytest
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

pytestmark = pytest.mark.emulator

HAVE_PROMETHEUS = os.path.exists("/usr/bin/prometheus")
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
# Short enough for tests, long enough for two 5 s scrapes of the emulator's Prometheus.
FAST_VERIFY = ("-e", "karmada_verify_metric_range=15", "-e", "karmada_verify_interval=2",
               "-e", "karmada_verify_timeout=120")


def playbook(name, handle, report_dir, *extra):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), f"playbooks/{name}.yml",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    if handle.endpoints.get("prometheus"):
        args += ["-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(args + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def mitigate(handle, report_dir, *extra):
    return playbook("mitigate", handle, report_dir, *FAST_VERIFY, *extra)


def load(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


def persisted_writes(requests):
    """Writes the server stored: not reviews (they store nothing) and not server-side dry runs."""
    return [r for r in requests if r["verb"] in WRITE_VERBS
            and r["resource"] not in ("subjectaccessreviews", "selfsubjectaccessreviews")
            and "dryRun" not in json.dumps(r.get("query") or "")]


def restarts(requests):
    return [r for r in persisted_writes(requests) if r["server"] == "karmada-host" and r["resource"] == "deployments"]


def actions(report):
    return {a["id"]: a for a in report["mitigation"]["actions"]}


def changed_count(stdout):
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", stdout)
    return int(match.group(1)) if match else None


def elapsed(mitigation):
    """Seconds from the start of the approved run's mitigation to verified recovery."""
    start = datetime.datetime.fromisoformat(mitigation["started_at"].replace("Z", "+00:00"))
    end = datetime.datetime.fromisoformat(mitigation["verification"]["finished_at"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def output(run):
    return run.stdout[-6000:] + run.stderr[-3000:]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """One emulator (with Prometheus) per scenario, started on first use."""
    handles = {}

    def get(name):
        if name not in handles:
            extra = ("--prometheus",) if HAVE_PROMETHEUS else ()
            handles[name] = EmulatorHandle(tmp_path_factory.mktemp(name), scenario=name).up(*extra)
        return handles[name]

    def done(name):
        """Stop a scenario no later test uses: idle emulators and Prometheus slow a 2-core machine."""
        handles.pop(name).down()
    get.done = done
    yield get
    for handle in handles.values():
        handle.down()


def test_missing_namespaces_plan_only_without_approval_then_applied_and_verified(scenarios, tmp_path):
    handle = scenarios("missing-namespaces")
    out = str(tmp_path / "out")
    mark = handle.mark()
    unapproved = mitigate(handle, out)
    assert unapproved.returncode == 0, output(unapproved)
    assert persisted_writes(handle.requests_since(mark)) == []
    report = load(out)
    assert report["mitigation"]["mode"] == "plan"
    assert "karmada_mitigate_approve=true" in report["mitigation"]["summary"]
    assert actions(report)["restore_execution_namespaces"]["status"] == "planned"
    assert actions(report)["restart_controller_manager"]["status"] == "planned"
    assert report["mitigation"]["verification"] is None

    # --check with approval: the writes go to the server as dry runs only.
    mark = handle.mark()
    checked = mitigate(handle, str(tmp_path / "check"), "--check", "-e", "karmada_mitigate_approve=true",
                       "-e", f"karmada_diagnosis_report={out}/report.json")
    assert checked.returncode == 0, output(checked)
    requests = handle.requests_since(mark)
    assert persisted_writes(requests) == []
    assert any("dryRun" in json.dumps(r.get("query") or "") for r in requests), "the check run sent no dry run"
    assert {a["status"] for a in load(str(tmp_path / "check"))["mitigation"]["actions"]} == {"planned"}

    # Approved, from the plan the operator saw (as an AWX approval step would run it): namespace restored,
    # controller-manager restarted, recovery proven.
    applied_dir = str(tmp_path / "applied")
    applied = mitigate(handle, applied_dir, "-e", "karmada_mitigate_approve=true",
                       "-e", f"karmada_diagnosis_report={out}/report.json")
    assert applied.returncode == 0, output(applied)
    report = load(applied_dir)
    mitigation = report["mitigation"]
    assert actions(report)["restore_execution_namespaces"]["status"] == "applied"
    assert actions(report)["restore_execution_namespaces"]["changed"]
    assert actions(report)["restart_controller_manager"]["status"] == "applied"
    assert mitigation["verification"]["recovered"] is True, mitigation["verification"]
    assert mitigation["lock"]["acquired"] and mitigation["lock"]["released"]
    namespace = handle.raw("GET", "/api/v1/namespaces/karmada-es-member2").json()
    assert namespace["metadata"]["labels"]["karmada.io/system"] == "true"
    print("approval to verified recovery, missing-namespaces:", elapsed(mitigation), "s; verification",
          mitigation["verification"]["elapsed_seconds"], "s")
    assert "recovered" in applied.stdout

    # Again, now that it is healthy: nothing to do, nothing changed.
    again = mitigate(handle, str(tmp_path / "again"), "-e", "karmada_mitigate_approve=true")
    assert again.returncode == 0, output(again)
    assert changed_count(again.stdout) == 0, again.stdout[-3000:]
    # The diagnosis may still name the cause from minutes-old events; the plan finds it fixed and leaves it.
    assert {a["status"] for a in load(str(tmp_path / "again"))["mitigation"]["actions"]} <= {"skipped"}
    assert "restart_controller_manager" not in actions(load(str(tmp_path / "again")))


def test_workqueue_stuck_two_concurrent_runs_restart_exactly_once(scenarios, tmp_path):
    handle = scenarios("workqueue-stuck")
    diagnosis = str(tmp_path / "diagnosis")
    run = playbook("diagnose", handle, diagnosis)
    assert run.returncode == 0, output(run)
    mark = handle.mark()
    runs = {}

    def go(name):
        runs[name] = mitigate(handle, str(tmp_path / name), "-e", "karmada_mitigate_approve=true",
                              "-e", f"karmada_diagnosis_report={diagnosis}/report.json")
    threads = [threading.Thread(target=go, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(restarts(handle.requests_since(mark))) == 1
    reports = {name: load(str(tmp_path / name)) for name in runs}
    statuses = sorted(actions(r)["restart_controller_manager"]["status"] for r in reports.values())
    assert statuses == ["applied", "skipped"], {n: r["mitigation"]["summary"] for n, r in reports.items()}
    winner = next(r for r in reports.values() if actions(r)["restart_controller_manager"]["status"] == "applied")
    loser = next(r for r in reports.values() if actions(r)["restart_controller_manager"]["status"] == "skipped")
    assert "cooldown" in actions(loser)["restart_controller_manager"]["reason"]
    assert winner["mitigation"]["verification"]["recovered"] is True, winner["mitigation"]["verification"]
    print("approval to verified recovery, workqueue-stuck:", elapsed(winner["mitigation"]), "s; verification",
          winner["mitigation"]["verification"]["elapsed_seconds"], "s")
    assert all(run.returncode == 0 for run in runs.values()), {n: output(r) for n, r in runs.items()}

    # A third run inside the cooldown is refused, with the reason, and writes nothing.
    mark = handle.mark()
    third = mitigate(handle, str(tmp_path / "third"), "-e", "karmada_mitigate_approve=true",
                     "-e", f"karmada_diagnosis_report={diagnosis}/report.json")
    assert third.returncode == 0, output(third)
    restart = actions(load(str(tmp_path / "third")))["restart_controller_manager"]
    assert restart["status"] == "skipped" and "karmada_restart_cooldown=900" in restart["reason"]
    assert restarts(handle.requests_since(mark)) == []
    scenarios.done("workqueue-stuck")


def test_rbac_denied_custom_identity_is_repaired_and_recovers(scenarios, tmp_path):
    handle = scenarios("rbac-denied")
    out = str(tmp_path / "out")
    run = mitigate(handle, out, "-e", "karmada_mitigate_approve=true")
    assert run.returncode == 0, output(run)
    report = load(out)
    repair = actions(report)["repair_controller_rbac"]
    assert repair["status"] == "applied" and repair["changed"]
    binding = handle.raw("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/"
                                "karmada-runbooks:binding-controllers").json()
    assert binding["subjects"] == [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                                    "name": "system:karmada:karmada-controller-manager"}]
    assert report["mitigation"]["verification"]["recovered"] is True, report["mitigation"]["verification"]
    scenarios.done("rbac-denied")


def test_apiserver_errors_apply_nothing(scenarios, tmp_path):
    handle = scenarios("apiserver-errors")
    mark = handle.mark()
    out = str(tmp_path / "out")
    run = mitigate(handle, out, "-e", "karmada_mitigate_approve=true")
    assert run.returncode == 0, output(run)
    assert persisted_writes(handle.requests_since(mark)) == []
    mitigation = load(out)["mitigation"]
    assert mitigation["summary"].startswith("stopped")
    assert actions(load(out))["stop_for_apiserver_runbook"]["status"] == "skipped"
    assert mitigation["verification"] is None
    scenarios.done("apiserver-errors")


def test_override_policy_broken_names_the_policy_and_does_not_restart(scenarios, tmp_path):
    handle = scenarios("override-policy-broken")
    mark = handle.mark()
    out = str(tmp_path / "out")
    run = mitigate(handle, out, "-e", "karmada_mitigate_approve=true")
    assert run.returncode == 0, output(run)
    assert restarts(handle.requests_since(mark)) == []
    assert persisted_writes(handle.requests_since(mark)) == []
    suggestion = actions(load(out))["suggest_override_policy_fix"]
    assert suggestion["details"]["policies"][0]["policy"] == "default/nginx-tuning"
    assert suggestion["details"]["policies"][0]["path"] == "/spec/template/spec/containers/0/resources/limits/cpu"
    assert "restart_controller_manager" not in actions(load(out)) or \
        actions(load(out))["restart_controller_manager"]["status"] == "skipped"
    with open(os.path.join(out, "report.md"), encoding="utf-8") as handle_md:
        assert "nginx-tuning" in handle_md.read()
    scenarios.done("override-policy-broken")


def test_bad_input_fails_before_anything_is_contacted(scenarios, tmp_path):
    handle = scenarios("missing-namespaces")
    mark = handle.mark()
    run = mitigate(handle, str(tmp_path / "out"), "-e", "karmada_mitigate_mode=yolo")
    assert run.returncode != 0
    assert "karmada_mitigate_mode" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert handle.requests_since(mark) == []


def test_a_cluster_name_that_is_not_a_dns_label_gets_no_namespace_and_holds_the_restart_back(scenarios, tmp_path):
    # Restored the other way the runbook allows: touch the Cluster, and Karmada's cluster controller
    # recreates the namespace.
    handle = scenarios("invalid-cluster-name")
    out = str(tmp_path / "out")
    mark = handle.mark()
    run = mitigate(handle, out, "-e", "karmada_mitigate_approve=true", "-e", "karmada_verify_timeout=20",
                   "-e", "karmada_namespace_restore=touch_cluster")
    report = load(out)
    restore = actions(report)["restore_execution_namespaces"]
    assert restore["status"] == "applied", restore
    assert restore["targets"] == ["Cluster/member2"]
    assert [r["cluster"] for r in restore["details"]["rejected"]] == ["member.east"]
    assert "invalid cluster name" in restore["details"]["rejected"][0]["reason"]
    written = persisted_writes(handle.requests_since(mark))
    assert [(r["resource"], r["name"]) for r in written if r["resource"] in ("clusters", "namespaces")] == [
        ("clusters", "member2")], written
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member2").status == 200
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member.east").status == 404
    restart = actions(report)["restart_controller_manager"]
    assert restart["status"] == "skipped" and "root cause remains unfixed" in restart["reason"]
    assert restarts(handle.requests_since(mark)) == []
    # member.east's bindings cannot recover: the play says so and fails, after writing the report.
    assert report["mitigation"]["verification"]["recovered"] is False
    assert run.returncode != 0 and "NOT recovered" in run.stdout
    scenarios.done("invalid-cluster-name")
