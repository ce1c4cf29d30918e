"""Runbook steps 6, 8 (binding state) and 9 against the emulator: the override_policies,
binding_status and recent_changes modules, run by ansible-playbook through the karmada_apiserver
action group, on the scenarios that show what an SRE relies on each of them for."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import time

import pytest
from conftest import AnsiblePlaybook, EmulatorHandle

pytestmark = pytest.mark.emulator

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
NGINX_CPU = "/spec/template/spec/containers/0/resources/limits/cpu"


HANDSHAKE = ("/version", "/api", "/apis")
SCENARIOS = ("override-policy-broken", "mixed", "healthy", "workqueue-stuck", "large")


def minutes_ago(minutes):
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def admin(handle):
    return {"kubeconfig": handle.kubeconfig, "context": "karmada-apiserver"}


def play(name, auth, tasks):
    """A play of [(task name, module, args)] with the connection set once for the action group."""
    lines = [f"- name: {name}", "  hosts: localhost", "  gather_facts: false", "  module_defaults:",
             f"    group/karmada.runbooks.karmada_apiserver: {json.dumps(auth)}", "  tasks:"]
    for task, module, args in tasks:
        lines += [f"    - name: {task}", f"      karmada.runbooks.{module}: {json.dumps(args)}", "      ignore_errors: true"]
    return "\n".join(lines) + "\n"


def run_plays(tmp_path, kubeconfig, plays):
    """One ansible-playbook run; {(play, task): (result, start epoch, end epoch)}."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    output = json.loads(AnsiblePlaybook(str(tmp_path), kubeconfig).run("".join(plays)).stdout)
    results = {}
    for each in output["plays"]:
        for task in each["tasks"]:
            span = [datetime.datetime.strptime(task["task"]["duration"][k], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.UTC).timestamp() for k in ("start", "end")]
            for result in task["hosts"].values():
                results[(each["play"]["name"], task["task"]["name"])] = (result, span[0], span[1])
    return results


def run_checks(tmp_path, handle, tasks):
    """Run [(task name, module, args)] against one emulator; {task name: result}."""
    results = run_plays(tmp_path, handle.kubeconfig, [play("checks", admin(handle), tasks)])
    return {task: value[0] for (_play, task), value in results.items()}


def all_three(since_minutes=30):
    return [("policies", "override_policies", {}), ("bindings", "binding_status", {}),
            ("changes", "recent_changes", {"since": minutes_ago(since_minutes)})]


class Checked:
    def __init__(self, handles, results):
        self.handles = handles
        self.results = results

    def __call__(self, scenario, task):
        return self.results[(scenario, task)][0]

    def requests(self, scenario, task):
        """The emulator's log of the requests that one task's check made (kubernetes.core's client
        handshake, /version and discovery roots, is left out: it comes once per module, whatever the check)."""
        _result, start, end = self.results[(scenario, task)]
        return [r for r in self.handles[scenario].requests_since(0) if start <= r["ts"] <= end
                and r["user"] == "karmada-admin" and r["path"] not in HANDSHAKE]


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Every scenario this module reads, checked in one ansible-playbook run (a play per scenario)."""
    with concurrent.futures.ThreadPoolExecutor(len(SCENARIOS)) as pool:
        handles = dict(zip(SCENARIOS, pool.map(
            lambda name: EmulatorHandle(tmp_path_factory.mktemp(name), scenario=name).up(), SCENARIOS)))
    try:
        plays = [play(name, admin(handle), all_three() if name != "large" else [("bindings", "binding_status", {})])
                 for name, handle in handles.items()]
        healthy = handles["healthy"]
        viewer = {"host": healthy.url(), "ca_cert": healthy.endpoints["ca_file"],
                  "api_key": healthy.endpoints["tokens"]["karmada-apiserver"]["karmada-viewer"]}
        plays.append(play("forbidden", viewer, all_three() + [
            ("bad since", "recent_changes", {"since": "yesterday"}),
            ("bad lookback", "recent_changes", {"lookback_minutes": -5}),
            ("bad events since", "override_policies", {"since": "25/11/2026"})]))
        yield Checked(handles, run_plays(tmp_path_factory.mktemp("play"), healthy.kubeconfig, plays))
    finally:
        for handle in handles.values():
            handle.down()


def by_policy(finding):
    return {entry["policy"]: entry for entry in finding["details"]["broken"]}


def test_override_policy_broken(checked):
    policies = checked("override-policy-broken", "policies")
    finding = policies["finding"]
    assert finding["status"] == "fail", finding["summary"]
    assert set(by_policy(finding)) == {"default/nginx-tuning"}  # web-replicas replaces a path that exists
    entry = by_policy(finding)["default/nginx-tuning"]
    assert (entry["kind"], entry["rule"], entry["operation"], entry["path"]) == ("OverridePolicy", 0, "replace", NGINX_CPU)
    assert entry["bindings"] == ["default/nginx-deployment"]
    assert entry["clusters"] == ["member1", "member2"]  # member3 is not targeted by the rule
    assert entry["error"] == (f"path {NGINX_CPU} does not exist in Deployment default/nginx: "
                              '/spec/template/spec/containers/0 has no key "resources"')
    assert policies["broken"] == finding["details"]["broken"]
    assert {(p["name"], p["bindings"]) for p in finding["details"]["policies"]} == {
        ("nginx-tuning", 1), ("web-replicas", 1)}
    [strong] = finding["signals"]
    assert (strong["cause"], strong["strength"]) == ("override_policy_failure", 0.9)
    assert strong["bindings"] == ["default/nginx-deployment"] and strong["clusters"] == ["member1", "member2"]
    # The override manager's own events corroborate the dry-check.
    assert [e["policy"] for e in finding["details"]["events"]] == ["default/nginx-tuning"]
    assert any(e["source"] == "event" and "member1" in e["text"] for e in strong["evidence"])
    # Read-only, and a handful of requests: lists, one discovery, a GET per selected template.
    requests = checked.requests("override-policy-broken", "policies")
    assert {r["verb"] for r in requests} == {"list", "get"}
    assert len(requests) == finding["details"]["requests"] <= 10, [r["path"] for r in requests]
    assert checked("override-policy-broken", "changes")["finding"]["status"] == "ok"


def test_no_check_writes(checked):
    for name, handle in checked.handles.items():
        # The checks ran as karmada-admin (and karmada-viewer); nothing else in this module writes.
        writes = [r for r in handle.requests_since(0)
                  if r["verb"] in WRITE_VERBS and r["user"] in ("karmada-admin", "karmada-viewer")]
        assert not writes, (name, writes[:3])


def test_mixed_names_the_sidecar_policy_and_the_missing_namespace(checked):
    finding = checked("mixed", "policies")["finding"]
    assert finding["status"] == "fail"
    entry = by_policy(finding)["default/api-sidecar"]
    assert entry["path"] == "/spec/template/spec/containers/1/image"
    assert entry["bindings"] == ["default/api-deployment"] and entry["clusters"] == ["member1"]
    assert "/spec/template/spec/containers has 1 item(s), there is no index 1" in entry["error"]
    changes = checked("mixed", "changes")["finding"]
    assert changes["status"] == "warn"
    assert changes["details"]["changes"][0] == {
        "time": None, "kind": "Namespace", "namespace": "", "name": "karmada-es-member2",
        "what": "missing: cluster member2 has no execution namespace", "current": True, "source": "object"}
    bindings = checked("mixed", "bindings")["finding"]
    assert bindings["status"] == "warn"
    # shop/cart only targets member1 and member3, so it is untouched by the missing namespace.
    assert "cart-deployment" not in {b["name"] for b in bindings["details"]["not_fully_applied"]}


def test_healthy_is_ok_everywhere(checked):
    for task in ("policies", "bindings", "changes"):
        result = checked("healthy", task)
        assert result["finding"]["status"] == "ok", result["finding"]["summary"]
        assert result["finding"]["signals"] == []
        assert result["changed"] is False
    assert checked("healthy", "bindings")["finding"]["details"]["scheduled"] == 6  # five Deployments, a ClusterRole


def test_workqueue_stuck_shows_bindings_without_works(checked):
    result = checked("workqueue-stuck", "bindings")
    finding = result["finding"]
    assert finding["status"] == "warn"
    assert finding["signals"] == []
    stuck = {(b["kind"], b["namespace"], b["name"]): b for b in result["not_fully_applied"]}
    assert set(stuck) == {("ResourceBinding", "default", n + "-deployment") for n in ("nginx", "web", "api")}
    for item in stuck.values():
        assert item["clusters_without_work"] == ["member2"]
        assert item["reason"] == "FullyAppliedFailed"
    assert stuck[("ResourceBinding", "default", "nginx-deployment")]["work_name"] == "nginx-687f7fb96f"
    # The namespace was recreated by hand ten minutes ago: the change is listed.
    changes = checked("workqueue-stuck", "changes")["finding"]["details"]["changes"]
    assert [(c["kind"], c["name"], c["what"]) for c in changes] == [("Namespace", "karmada-es-member2", "created")]


def list_starts(requests):
    """The lists a check began (a continue token means another page of the same list)."""
    return sorted(r["path"] for r in requests if r["verb"] == "list" and "continue" not in (r.get("query") or {}))


def test_large_fleet_costs_no_more_lists(checked):
    small, large = checked.requests("workqueue-stuck", "bindings"), checked.requests("large", "bindings")
    assert list_starts(large) == list_starts(small) == sorted([
        "/apis/work.karmada.io/v1alpha1/works", "/apis/work.karmada.io/v1alpha2/clusterresourcebindings",
        "/apis/work.karmada.io/v1alpha2/resourcebindings"])
    # 1,000 clusters and ~2,000 Works: only more pages of the same three lists.
    assert len(large) <= 3 + 2000 // 500 + 1
    finding = checked("large", "bindings")["finding"]
    assert finding["details"]["list_requests"] == len(large)
    assert finding["status"] == "warn"
    assert finding["details"]["not_fully_applied_total"] == 4
    assert set(finding["details"]["clusters_without_work"]) <= {"member0100", "member0777"}


def test_forbidden_identity_is_unknown_and_bad_input_fails(checked):
    for task in ("policies", "bindings", "changes"):
        result = checked("forbidden", task)
        assert not result.get("failed") and result["changed"] is False
        assert result["finding"]["status"] == "unknown"
        assert result["finding"]["error"].startswith("forbidden (403)")
        assert 'User "karmada-viewer" cannot list' in result["finding"]["error"]
    bad = checked("forbidden", "bad since")
    assert bad["failed"] and bad["msg"].startswith("since must be an RFC 3339 time")
    bad = checked("forbidden", "bad lookback")
    assert bad["failed"] and bad["msg"] == "lookback_minutes must be 0 or more, got -5"
    bad = checked("forbidden", "bad events since")
    assert bad["failed"] and bad["msg"].startswith("since must be an RFC 3339 time")


def test_large_fleet_override_check_stays_bounded(tmp_path, tmp_path_factory):
    # Its own emulator: the policy below makes the emulated controller fail every binding.
    handle = EmulatorHandle(tmp_path_factory.mktemp("large-policy"), scenario="large").up()
    try:
        check_fleet_policy(tmp_path, handle)
    finally:
        handle.down()


def check_fleet_policy(tmp_path, handle):
    # A cluster-wide policy that selects all 400 Deployments on all clusters but one.
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterOverridePolicy",
              "metadata": {"name": "fleet-replicas"},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                       "overrideRules": [{"targetCluster": {"exclude": ["member0001"]},
                                          "overriders": {"plaintext": [{"path": "/spec/strategy/type",
                                                                        "operator": "replace", "value": "Recreate"}]}}]}}
    created = handle.raw("POST", "/apis/policy.karmada.io/v1alpha1/clusteroverridepolicies", body=policy)
    assert created.status == 201, created.body
    mark = handle.mark()
    finding = run_checks(tmp_path, handle, [("policies", "override_policies", {})])["policies"]["finding"]
    requests = [r for r in handle.requests_since(mark) if r["user"] == "karmada-admin"]
    assert finding["status"] == "fail"
    [entry] = finding["details"]["broken"]
    assert entry["policy"] == "fleet-replicas" and entry["kind"] == "ClusterOverridePolicy"
    assert 'has no key "strategy"' in entry["error"]
    assert len(entry["bindings"]) == 400 and "member0001" not in entry["clusters"]
    # Templates come from one list per namespace, never one GET per Deployment or per cluster.
    assert not [r for r in requests if r["verb"] == "get" and "/deployments/" in r["path"]]
    assert len(list_starts(requests)) == 8  # OP, COP, RB, CRB, Deployments x2 namespaces, Clusters, Events


def test_changes_made_now_are_listed_and_tied_to_the_failures_they_cause(tmp_path_factory, tmp_path):
    handle = EmulatorHandle(tmp_path_factory.mktemp("live"), scenario="healthy").up()
    try:
        since = minutes_ago(2)
        created = handle.raw("POST", "/apis/cluster.karmada.io/v1alpha1/clusters", body={
            "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "member4"},
            "spec": {"syncMode": "Pull", "apiEndpoint": "https://member4.example:6443"}})
        assert created.status == 201, created.body
        created = handle.raw("POST", "/apis/policy.karmada.io/v1alpha1/namespaces/default/overridepolicies", body={
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
            "metadata": {"name": "api-memory", "namespace": "default"},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}],
                     "overrideRules": [{"targetCluster": {"clusterNames": ["member3"]}, "overriders": {"plaintext": [
                         {"path": "/spec/template/spec/containers/0/resources/limits/memory", "operator": "add",
                          "value": "1Gi"}]}}]}})
        assert created.status == 201, created.body
        wait_for_event(handle, "ApplyOverridePolicyFailed")
        results = run_checks(tmp_path, handle, [("changes", "recent_changes", {"since": since}),
                                                ("policies", "override_policies", {"since": since})])
        changes = results["changes"]["finding"]
        seen = {(c["kind"], c["name"], c["what"].split(":")[0]) for c in changes["details"]["changes"]}
        assert {("Cluster", "member4", "registered (Pull mode)"), ("OverridePolicy", "api-memory", "created"),
                ("Namespace", "karmada-es-member4", "created"),
                ("Cluster", "member4", "CreateExecutionSpaceSucceed")} <= seen
        [weak] = changes["signals"]
        assert (weak["cause"], weak["strength"], weak["clusters"]) == ("override_policy_failure", 0.3, ["member3"])
        entry = by_policy(results["policies"]["finding"])["default/api-memory"]
        assert entry["operation"] == "add" and entry["clusters"] == ["member3"]
        assert entry["error"].startswith("add needs the parent /spec/template/spec/containers/0/resources/limits")
    finally:
        handle.down()


def wait_for_event(handle, reason, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = handle.raw("GET", "/api/v1/events?fieldSelector=reason%3D" + reason).json()["items"]
        if events:
            return events
        time.sleep(0.3)
    raise AssertionError(f"no {reason} event within {timeout}s")
