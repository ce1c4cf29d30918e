# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation planner: which actions a diagnosis leads to, and what holds each back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _mitigation as mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def cause(cause_id, clusters=(), bindings=(), current=True):
    return {"id": cause_id, "title": CATALOGUE[cause_id]["title"], "confidence": 0.9, "current": current,
            "clusters": list(clusters), "bindings": list(bindings),
            "mitigation": {"action_id": CATALOGUE[cause_id]["action_id"]}}


def report(causes, checks=None, status="degraded", unknown=(), unrecognised=0):
    return {"schema_version": "1.0", "generated_at": "2026-11-30T11:59:00Z",
            "verdict": {"status": status, "summary": "s", "causes": causes, "unknown_checks": list(unknown),
                        "unrecognised": {"count": unrecognised},
                        "failure_activity": {"state": "current"}},
            "checks": checks or []}


def namespaces_check(missing):
    return {"id": "execution_namespaces", "status": "fail", "details": {"missing": missing, "terminating": []}}


def rbac_check(user, groups=()):
    return {"id": "rbac", "status": "fail", "details": {"identity": {"user": user, "groups": list(groups)}}}


def options(**overrides):
    values = {"karmada_mitigate_approve": True}
    values.update(overrides)
    return mitigation.mitigate_options(values)


def observation(clusters=("member1", "member2", "member3"), namespaces=("member1", "member3"), terminating=()):
    return {"clusters": {c: {"deleting": False, "ready": True} for c in clusters},
            "namespaces": dict({"karmada-es-" + n: {"terminating": False} for n in namespaces},
                               **{"karmada-es-" + n: {"terminating": True} for n in terminating})}


def deployment(restarted_at=None):
    annotations = {"kubectl.kubernetes.io/restartedAt": restarted_at} if restarted_at else {}
    return {"metadata": {"name": "karmada-controller-manager"},
            "spec": {"template": {"metadata": {"annotations": annotations}}}}


def by_id(result):
    return {a["id"]: a for a in result["actions"]}


def missing_namespaces_report(clusters=("member2",)):
    return report([cause("execution_namespace_missing", clusters)],
                  [namespaces_check(["karmada-es-" + c for c in clusters])])


def test_missing_namespace_is_created_then_the_controller_manager_restarted():
    result = mitigation.plan(missing_namespaces_report(), observation(), options(), deployment(), NOW)
    actions = by_id(result)
    assert list(actions) == ["restore_execution_namespaces", "restart_controller_manager"]
    assert actions["restore_execution_namespaces"]["status"] == "planned"
    assert result["apply"]["restore_execution_namespaces"]["create"] == [
        {"cluster": "member2", "namespace": "karmada-es-member2"}]
    assert result["apply"]["restore_execution_namespaces"]["labels"] == {"karmada.io/system": "true"}
    assert actions["restart_controller_manager"]["status"] == "planned"
    assert result["effective_mode"] == "apply"


def test_without_approval_nothing_is_handed_to_the_action_roles_and_the_summary_says_how_to_approve():
    result = mitigation.plan(missing_namespaces_report(), observation(),
                             mitigation.mitigate_options({}), deployment(), NOW)
    assert result["apply"] == {}
    assert result["effective_mode"] == "plan"
    assert "karmada_mitigate_approve=true" in result["summary"]
    assert {a["status"] for a in result["actions"]} == {"planned"}


def test_check_mode_plans_and_hands_the_writes_over_as_dry_runs():
    result = mitigation.plan(missing_namespaces_report(), observation(), options(check_mode=True), deployment(), NOW)
    assert result["effective_mode"] == "plan"
    assert set(result["apply"]) == {"restore_execution_namespaces", "restart_controller_manager"}


@pytest.mark.parametrize("name, why", [
    ("member.east", "lowercase RFC 1123 label"),
    ("Member4", "lowercase RFC 1123 label"),
    ("m" * 49, "no more than 48"),
])
def test_a_cluster_name_karmada_would_refuse_never_names_a_namespace(name, why):
    rpt = missing_namespaces_report(("member2", name))
    result = mitigation.plan(rpt, observation(clusters=("member1", "member2", "member3", name)), options(),
                             deployment(), NOW)
    restore = by_id(result)["restore_execution_namespaces"]
    assert restore["details"]["to_restore"] == ["karmada-es-member2"]
    assert restore["details"]["rejected"][0]["cluster"] == name
    assert why in restore["details"]["rejected"][0]["reason"]
    # A namespace that cannot be restored is a root cause left: no restart.
    assert by_id(result)["restart_controller_manager"]["status"] == "skipped"
    assert "root cause remains unfixed" in by_id(result)["restart_controller_manager"]["reason"]


def test_a_namespace_is_only_created_for_a_cluster_that_exists():
    result = mitigation.plan(missing_namespaces_report(("ghost",)), observation(), options(), deployment(), NOW)
    restore = by_id(result)["restore_execution_namespaces"]
    assert restore["status"] == "skipped"
    assert "no Cluster object named ghost" in restore["details"]["rejected"][0]["reason"]
    assert result["apply"] == {}


def test_touch_cluster_targets_the_cluster_object():
    result = mitigation.plan(missing_namespaces_report(), observation(),
                             options(karmada_namespace_restore="touch_cluster"), deployment(), NOW)
    assert by_id(result)["restore_execution_namespaces"]["targets"] == ["Cluster/member2"]


def test_a_namespace_recreated_since_the_diagnosis_calls_for_the_restart_while_bindings_lack_works():
    rpt = missing_namespaces_report()
    recreated = observation(namespaces=("member1", "member2", "member3"))
    # Everything applied by now (a second run after recovery): nothing to do, no restart.
    result = mitigation.plan(rpt, recreated, options(), deployment(), NOW)
    actions = by_id(result)
    assert actions["restore_execution_namespaces"]["status"] == "skipped"
    assert "nothing to do" in actions["restore_execution_namespaces"]["reason"]
    assert RESTART not in actions and result["apply"] == {}
    # The bindings that failed still lack their Works: the backoff holds them, the restart releases them.
    rpt["checks"].append({"id": "binding_status", "status": "warn", "details": {"not_fully_applied": [
        {"kind": "ResourceBinding", "namespace": "default", "name": "nginx-deployment",
         "clusters_without_work": ["member2"]}]}})
    actions = by_id(mitigation.plan(rpt, recreated, options(), deployment(), NOW))
    assert actions[RESTART]["status"] == "planned"
    assert "found fixed since the diagnosis while bindings still lack Works" in actions[RESTART]["reason"]


def test_apiserver_errors_stop_everything():
    rpt = report([cause("apiserver_errors"), cause("execution_namespace_missing", ["member2"])],
                 [namespaces_check(["karmada-es-member2"])])
    result = mitigation.plan(rpt, observation(), options(), deployment(), NOW)
    assert result["stopped"] and result["apply"] == {}
    stop = by_id(result)["stop_for_apiserver_runbook"]
    assert "karmada-apiserver-availability" in stop["next_step"]
    assert all(a["status"] == "skipped" for a in result["actions"])


def test_override_failure_is_reported_with_a_suggested_diff_and_holds_the_restart_back():
    broken = {"kind": "OverridePolicy", "policy": "default/nginx-tuning", "namespace": "default", "name": "nginx-tuning",
              "rule": 0, "field": "spec.overrideRules[0].overriders.plaintext[0]", "overrider": "plaintext",
              "path": "/spec/replicas", "operation": "replace", "error": "missing path", "clusters": ["member1"]}
    rpt = report([cause("override_policy_failure", ["member1"]), cause("workqueue_stuck")],
                 [{"id": "override_policies", "status": "fail", "details": {"broken": [broken]}}])
    policy = {"spec": {"overrideRules": [{"overriders": {"plaintext": [
        {"path": "/spec/replicas", "operator": "replace", "value": 2}]}}]}}
    path = mitigation._policy_path(broken)
    result = mitigation.plan(rpt, {"policies": {path: policy}}, options(), deployment(), NOW)
    actions = by_id(result)
    suggestion = actions["suggest_override_policy_fix"]
    assert suggestion["status"] == "skipped"
    diff = suggestion["details"]["policies"][0]["diff"]
    assert '-    "operator": "replace",' in diff and '+    "operator": "add",' in diff
    assert actions["restart_controller_manager"]["status"] == "skipped"
    assert "override_policy_failure" in actions["restart_controller_manager"]["reason"]


def test_rbac_is_repaired_for_a_known_identity_outside_system_masters():
    rpt = report([cause("rbac_denied", ["member3"])], [rbac_check("system:karmada:karmada-controller-manager")])
    result = mitigation.plan(rpt, {}, options(), deployment(), NOW)
    inputs = result["apply"]["repair_controller_rbac"]
    assert inputs["binding_object"]["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "system:karmada:karmada-controller-manager"}]
    assert inputs["binding_object"]["roleRef"]["name"] == mitigation.RBAC_NAME
    assert by_id(result)["restart_controller_manager"]["status"] == "planned"


def test_rbac_subject_for_a_service_account():
    assert mitigation.controller_subject("system:serviceaccount:karmada-system:karmada-controller-manager") == {
        "kind": "ServiceAccount", "name": "karmada-controller-manager", "namespace": "karmada-system"}


@pytest.mark.parametrize("user, groups, expected", [
    ("admin", ["system:masters"], "system:masters"),
    (None, [], "karmada_controller_user"),
    ("{{ lookup('pipe', 'id') }}", [], "not one this collection writes"),
])
def test_rbac_is_only_reported_when_it_cannot_be_repaired_safely(user, groups, expected):
    rpt = report([cause("rbac_denied", ["member3"])], [rbac_check(user, groups)])
    result = mitigation.plan(rpt, {}, options(), deployment(), NOW)
    action = by_id(result)["repair_controller_rbac"]
    assert action["status"] == "skipped" and expected in action["reason"]
    assert "repair_controller_rbac" not in result["apply"]


def test_the_allow_list_keeps_an_action_from_running():
    result = mitigation.plan(missing_namespaces_report(), observation(),
                             options(karmada_mitigate_allow=["restart_controller_manager"]), deployment(), NOW)
    actions = by_id(result)
    assert actions["restore_execution_namespaces"]["status"] == "skipped"
    assert "karmada_mitigate_allow" in actions["restore_execution_namespaces"]["reason"]
    # Nothing was fixed, so nothing calls for a restart either.
    assert "restart_controller_manager" not in actions and result["apply"] == {}


def test_the_restart_waits_for_the_cooldown():
    recent = "2026-11-30T11:55:00Z"
    result = mitigation.plan(report([cause("workqueue_stuck")]), {}, options(), deployment(recent), NOW)
    restart = by_id(result)["restart_controller_manager"]
    assert restart["status"] == "skipped"
    assert "restarted at 2026-11-30T11:55:00Z (300 s ago)" in restart["reason"]
    assert "2026-11-30T12:10:00Z" in restart["reason"]


def test_the_restart_is_allowed_after_the_cooldown_and_a_future_time_counts_as_now():
    assert mitigation.restart_gate(deployment("2026-11-30T11:40:00Z"), NOW, 900)["allowed"]
    assert not mitigation.restart_gate(deployment("2026-11-30T13:00:00Z"), NOW, 900)["allowed"]
    assert not mitigation.restart_gate(None, NOW, 900)["allowed"]


def test_no_restart_when_the_key_evidence_is_missing_or_failures_are_unexplained():
    rpt = report([cause("workqueue_stuck")], unknown=["controller_logs"])
    assert "controller_logs could not run" in by_id(mitigation.plan(rpt, {}, options(), deployment(), NOW))[
        "restart_controller_manager"]["reason"]
    rpt = report([cause("workqueue_stuck")], unrecognised=3)
    assert "unrecognised failures" in by_id(mitigation.plan(rpt, {}, options(), deployment(), NOW))[
        "restart_controller_manager"]["reason"]


def test_an_unknown_diagnosis_applies_nothing():
    rpt = report([cause("execution_namespace_missing", ["member2"])], [namespaces_check(["karmada-es-member2"])],
                 status="unknown", unknown=["sync_failure_events", "controller_logs"])
    result = mitigation.plan(rpt, observation(), options(), deployment(), NOW)
    assert result["apply"] == {}
    assert "could not gather its evidence" in by_id(result)["restore_execution_namespaces"]["reason"]


def test_an_unknown_diagnosis_without_causes_says_it_refused_not_that_all_is_well():
    rpt = report([], status="unknown", unknown=["sync_failure_events", "execution_namespaces"])
    result = mitigation.plan(rpt, observation(), options(), deployment(), NOW)
    assert result["apply"] == {}
    assert result["summary"].startswith("refused: nothing is applied, the diagnosis could not gather its evidence")
    assert "sync_failure_events, execution_namespaces" in result["summary"]


def test_state_that_could_not_be_read_applies_nothing():
    result = mitigation.plan(missing_namespaces_report(), {"error": "unreachable: connection refused"}, options(),
                             deployment(), NOW)
    assert result["apply"] == {}


def test_terminating_namespace_reports_its_blockers():
    rpt = report([cause("execution_namespace_terminating", ["member3"])])
    obs = observation(namespaces=("member1", "member2"), terminating=("member3",))
    obs["clusters"]["member3"]["ready"] = False
    obs["works_in_terminating"] = {"karmada-es-member3": [
        {"name": "nginx-687f7fb96f", "finalizers": ["karmada.io/execution-controller"], "deleting": True}]}
    action = by_id(mitigation.plan(rpt, obs, options(), deployment(), NOW))["report_namespace_finalization_blockers"]
    assert action["status"] == "skipped"
    row = action["details"]["namespaces"][0]
    assert row == {"namespace": "karmada-es-member3", "cluster": "member3", "cluster_exists": True,
                   "cluster_ready": False, "works_with_finalizers": 1, "samples": ["nginx-687f7fb96f"]}
    assert "not Ready" in action["next_step"] and "Never remove the finalizers" in action["next_step"]


def test_a_healthy_diagnosis_plans_nothing():
    result = mitigation.plan(report([], status="healthy"), {}, options(), deployment(), NOW)
    assert result["actions"] == [] and result["apply"] == {}
    assert result["summary"].startswith("nothing to do")


@pytest.mark.parametrize("inputs, variable", [
    ({"karmada_mitigate_mode": "yolo"}, "karmada_mitigate_mode"),
    ({"karmada_mitigate_approve": "maybe"}, "karmada_mitigate_approve"),
    ({"karmada_mitigate_allow": ["delete_everything"]}, "karmada_mitigate_allow"),
    ({"karmada_restart_cooldown": "-5"}, "karmada_restart_cooldown"),
    ({"karmada_namespace_restore": "force"}, "karmada_namespace_restore"),
    ({"karmada_verify_timeout": "-5"}, "karmada_verify_timeout must be a whole number of seconds \\(1 or more\\)"),
    ({"karmada_verify_interval": 0}, "karmada_verify_interval"),
    ({"karmada_restart_timeout": "0"}, "karmada_restart_timeout"),
    ({"karmada_mitigation_lock_wait": "soon"}, "karmada_mitigation_lock_wait"),
    ({"karmada_verify_metric_range": "-60"}, "karmada_verify_metric_range"),
])
def test_bad_inputs_name_the_variable(inputs, variable):
    with pytest.raises(InputError, match=variable):
        mitigation.mitigate_options(inputs)


def test_a_file_that_is_not_a_report_is_refused_naming_the_variable():
    with pytest.raises(InputError, match="karmada_diagnosis_report"):
        mitigation.diagnosis_summary({"hello": "world"}, "file", "/tmp/x.json")


def test_outcomes_from_kubernetes_core_results():
    created = {"results": [{"changed": True, "result": {"kind": "Namespace", "metadata": {"name": "karmada-es-member2"}}},
                           {"changed": False, "result": {"kind": "Namespace", "metadata": {"name": "karmada-es-m3"}}}]}
    result = mitigation.outcome("restore_execution_namespaces", created, 10.0, 10.5)
    assert result["status"] == "applied" and result["changed"] and result["written"] == ["Namespace/karmada-es-member2"]
    assert result["duration_seconds"] == 0.5
    assert result["details"]["created"] == ["karmada-es-member2"]
    rolled = {"changed": True, "result": {"kind": "Deployment", "metadata": {"name": "karmada-controller-manager"},
                                          "status": {"replicas": 1, "readyReplicas": 1}}}
    restart = mitigation.outcome(RESTART, rolled, extra={"details": {"cooldown_seconds": 900}})
    assert restart["details"] == {"rollout": {"replicas": 1, "readyReplicas": 1}, "cooldown_seconds": 900}
    failed = {"results": [{"failed": True, "msg": "Failed to create object: b'{...}'", "reason": "Forbidden"}]}
    assert mitigation.outcome("restore_execution_namespaces", failed)["status"] == "failed"
    assert mitigation.outcome(RESTART, {"skipped": True}, skipped="cooldown")["status"] == "skipped"


RESTART = "restart_controller_manager"


def test_settle_merges_outcomes_and_a_failed_fix_is_reported():
    planned = mitigation.plan(missing_namespaces_report(), observation(), options(), deployment(), NOW)
    outcomes = [{"id": "restore_execution_namespaces", "status": "applied", "changed": True,
                 "reason": "changed Namespace/karmada-es-member2", "duration_seconds": 0.2},
                {"id": RESTART, "status": "applied", "changed": True, "reason": "changed Deployment/x"}]
    verification = {"recovered": True, "elapsed_seconds": 12, "reason": "ok"}
    section = mitigation.settle(planned, outcomes, None, verification, {"mode": "apply", "approved": True})
    assert [a["status"] for a in section["actions"]] == ["applied", "applied"]
    assert section["summary"] == "applied 2 action(s); recovered in 12 s"
    in_check_mode = mitigation.settle(planned, outcomes, None, None, {"mode": "plan", "check_mode": True})
    assert {a["status"] for a in in_check_mode["actions"]} == {"planned"}
    assert not any(a["changed"] for a in in_check_mode["actions"])


def _context(mode, approved=True, check_mode=False, error=None):
    return {"mode": mode, "approved": approved, "check_mode": check_mode,
            "allowed_actions": list(mitigation.APPLY_ACTIONS),
            "diagnosis": {"source": "run", "path": "/tmp/r/report.json", "generated_at": "2026-11-30T11:59:00Z",
                          "status": "degraded", "summary": "s"},
            "started_at": "2026-11-30T12:00:00Z", "finished_at": "2026-11-30T12:01:00Z", "error": error}


VERIFIED = {"recovered": True, "status": "recovered", "started_at": "2026-11-30T12:00:20Z",
            "finished_at": "2026-11-30T12:00:40Z", "elapsed_seconds": 20, "timeout_seconds": 600, "polls": 3,
            "since": "2026-11-30T12:00:20Z", "reason": "recovered",
            "criteria": {"bindings": {"ok": True, "scheduled": 5, "without_works": 0, "samples": [], "error": None},
                         "events": {"ok": True, "new_failures": 0, "samples": [], "error": None},
                         "metric": {"ok": None, "increase": None, "range_seconds": 60, "query": "",
                                    "error": "no Prometheus URL configured"}}}


@pytest.mark.parametrize("case", ["applied", "plan", "check", "stopped", "lock_held"])
def test_every_section_settle_builds_is_one_the_report_accepts(case):
    from ansible_collections.karmada.runbooks.plugins.module_utils._report import validate_mitigation
    rpt = missing_namespaces_report()
    if case == "stopped":
        rpt = report([cause("apiserver_errors")])
    opts = options(check_mode=case == "check") if case != "plan" else mitigation.mitigate_options({})
    planned = mitigation.plan(rpt, observation(), opts, deployment(), NOW)
    mode = planned["effective_mode"]
    outcomes, lock, verification, error = [], None, None, None
    if case == "applied":
        outcomes = [{"id": "restore_execution_namespaces", "status": "applied", "changed": True, "reason": "changed x"},
                    {"id": RESTART, "status": "applied", "changed": True, "reason": "changed y"}]
        lock = {"name": "l", "namespace": "karmada-system", "holder": "h_1", "acquired": True, "released": True,
                "waited_seconds": 0.2, "lease": {"big": "object"}}
        verification = VERIFIED
    elif case == "check":
        outcomes = [{"id": "restore_execution_namespaces", "status": "applied", "changed": True, "reason": "dry"}]
        lock = {"name": "l", "namespace": "karmada-system", "holder": "h", "acquired": False}
    elif case == "lock_held":
        lock = {"name": "l", "namespace": "karmada-system", "holder": "h_2", "acquired": False,
                "error": "another mitigation (holder h_1) holds Lease karmada-system/l"}
        error = lock["error"]
    section = mitigation.settle(planned, outcomes, lock, verification,
                                _context(mode, approved=case != "plan", check_mode=case == "check", error=error))
    validate_mitigation(section)
    if case == "lock_held":
        assert {a["status"] for a in section["actions"]} == {"skipped"}
        assert section["summary"].startswith("not completed: another mitigation")


def test_an_unreadable_host_cluster_plans_no_restart_and_says_why():
    result = mitigation.plan(report([cause("workqueue_stuck")]), {}, options(), None, NOW,
                             deployment_error="unreachable: connection refused\x1b[2J")
    restart = by_id(result)[RESTART]
    assert restart["status"] == "skipped"
    assert "cannot read the controller-manager Deployment" in restart["reason"] and "\x1b" not in restart["reason"]
