"""Faults on the binding controller's way to a Work (tests/emulator/karmada/writefaults.py): each built-in
scenario shows the real wording in SyncWorkFailed events, in the controller-manager's klog lines (text and
JSON) and as binding_sync_work_duration_seconds{result="error"}, and the clusters it does not touch stay
healthy. The expected strings are the ones scenarios/README.md documents with their sources."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from conftest import EmulatorHandle
from test_karmada_model import _binding_failures, _events, _list, _sync_count, _wait

from tests.emulator.karmada.names import work_name
from tests.emulator.scenarios import resolve

pytestmark = pytest.mark.emulator

API = "https://karmada-apiserver.karmada-system.svc.cluster.local:5443/apis/work.karmada.io/v1alpha1/namespaces"
WEBHOOK = ('Internal error occurred: failed calling webhook "workload-interpreter/workloads.interpreter.example.com": '
           'failed to call webhook: Post "https://workload-interpreter.karmada-system.svc:443/interpreter-workload'
           '?timeout=3s": dial tcp 10.96.201.37:443: connect: connection refused')
LUA = "<string>:3: attempt to index a non-table object(nil) with key 'replicas'"
CONFLICT = ('Operation cannot be fulfilled on works.work.karmada.io "nginx-687f7fb96f": the object has been modified; '
            "please apply your changes to the latest version and try again")
QUOTA = ('works.work.karmada.io "{work}" is forbidden: exceeded quota: works-quota, requested: '
         "count/works.work.karmada.io=1, used: count/works.work.karmada.io=2, limited: count/works.work.karmada.io=2")
POLICY = ('works.work.karmada.io "{work}" is forbidden: ValidatingAdmissionPolicy \'restrict-works\' with binding '
          "'restrict-works-binding' denied request: member4 is frozen for maintenance")


def _work(deployment):
    return work_name("Deployment", deployment, "default")


def _transport(message):
    match = re.fullmatch(rf'Post "{re.escape(API)}/karmada-es-member3/works": (.*)', message)
    return bool(match) and match.group(1) in ("dial tcp 10.96.0.12:5443: connect: connection refused",
                                              "unexpected EOF", "http2: client connection lost")


THROTTLED = {"client rate limiter Wait returned an error: context deadline exceeded",
             "the server has received too many requests and has asked us to try again later "
             "(post works.work.karmada.io)"}

# scenario -> ({failing binding: exact message or predicate}, healthy bindings, {cluster: healthy?})
EXPECTED = {
    "interpreter-webhook-down": ({"nginx-deployment": WEBHOOK, "web-deployment": WEBHOOK},
                                 {"config-reader-clusterrole"}, ()),
    "lua-interpreter-error": ({"nginx-deployment": LUA, "web-deployment": LUA},
                              {"cart-deployment", "config-reader-clusterrole"}, ()),
    "template-too-large": ({"bundle-deployment": "etcdserver: request is too large",
                            "assets-deployment": "Request entity too large: limit is 3145728"},
                           {"nginx-deployment"}, ()),
    "work-conflict": ({"nginx-deployment": CONFLICT}, {"web-deployment"}, ("member1",)),
    "already-exists-after-restart": (
        {"nginx-deployment": f'works.work.karmada.io "{_work("nginx")}" already exists',
         "web-deployment": f'works.work.karmada.io "{_work("web")}" already exists'}, set(), ("member1",)),
    "target-cluster-missing": ({"nginx-deployment": 'Cluster.cluster.karmada.io "member3" not found',
                                "web-deployment": 'Cluster.cluster.karmada.io "member3" not found'}, set(),
                               ("member1", "member2")),
    "apiserver-transport": (dict.fromkeys(("nginx-deployment", "web-deployment", "api-deployment"), _transport),
                            set(), ("member1", "member2")),
    "apiserver-throttled": (dict.fromkeys(("nginx-deployment", "web-deployment", "api-deployment"), THROTTLED.__contains__), set(), ("member1", "member2")),
}


def _bindings(handle):
    items = _list(handle, "/apis/work.karmada.io/v1alpha2/resourcebindings")
    items += _list(handle, "/apis/work.karmada.io/v1alpha2/clusterresourcebindings")
    return {b["metadata"]["name"]: b for b in items}


def _applied(binding):
    return {s["clusterName"]: s["applied"] for s in binding["status"]["aggregatedStatus"]}


def _fully_applied(binding):
    return next(c["status"] for c in binding["status"]["conditions"] if c["type"] == "FullyApplied")


def _logs(handle):
    pods = _list(handle, "/api/v1/namespaces/karmada-system/pods?labelSelector=app%3Dkarmada-controller-manager",
                 server="host")
    return "".join(handle.raw("GET", f"/api/v1/namespaces/karmada-system/pods/{p['metadata']['name']}/log",
                              server="host").body.decode() for p in pods)


def _matches(expected, message):
    return expected(message) if callable(expected) else message == expected


@pytest.fixture
def scenario(tmp_path):
    handles = []

    def start(name):
        handle = EmulatorHandle(tmp_path / name.replace("/", "_"), scenario=name).up()
        handles.append(handle)
        return handle
    yield start
    for handle in handles:
        handle.down()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_write_fault_events_logs_metrics_and_healthy_rest(scenario, name):
    handle = scenario(name)
    failing, healthy, healthy_clusters = EXPECTED[name]
    failures = _binding_failures(handle)
    assert set(failures) == set(failing), failures
    for binding, message in failures.items():
        assert _matches(failing[binding], message), (binding, message)
    templates = {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkFailed")
                 if e["involvedObject"]["kind"] == "Deployment"}
    assert set(templates) == {b.rsplit("-deployment", 1)[0] for b in failing}
    assert _sync_count(handle, "error") > 0
    text = _logs(handle)
    for binding, message in failures.items():
        assert (f'"Failed to transform ResourceBinding to works" err={json.dumps(message)} namespace="default" '
                f'binding="{binding}"') in text
        assert f'"Reconciler error" err={json.dumps(message)} controller="binding-controller"' in text
    bindings = _bindings(handle)
    for name_ in healthy:
        assert _fully_applied(bindings[name_]) == "True", name_
    for name_ in failing:           # Works written before the fault stay applied; the touched clusters may too
        for cluster in healthy_clusters:
            assert _applied(bindings[name_])[cluster] is True, (name_, cluster)
    for cluster in healthy_clusters:
        works = _list(handle, f"/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-{cluster}/works")
        assert works and all(w["status"]["conditions"][0]["type"] == "Applied" for w in works)


def test_interpreter_webhook_logs_the_call_and_the_revise_failure(scenario):
    text = _logs(scenario("interpreter-webhook-down"))
    calling = WEBHOOK.removeprefix("Internal error occurred: ")
    assert re.search(r"^W\d{4} [\d:.]+ +\d+ customized\.go:194\] Failed calling webhook "
                     rf"workload-interpreter/workloads\.interpreter\.example\.com: {re.escape(calling)}$", text, re.M)
    assert (f'"Failed to revise replica for workload in cluster." err={json.dumps(WEBHOOK)} workloadKind="Deployment" '
            'workloadNamespace="default" workloadName="nginx" cluster="member1"') in text
    assert "Failed to create/update work" not in text          # ReviseReplica failed: no Work was written


def test_lua_error_is_returned_unwrapped(scenario):
    text = _logs(scenario("lua-interpreter-error"))
    assert (f'"Failed to revise replica for workload in cluster." err={json.dumps(LUA)} workloadKind="Deployment" '
            'workloadNamespace="default" workloadName="web" cluster="member3"') in text
    assert "stack traceback" not in text


def test_quota_and_validating_admission_policy(scenario):
    handle = scenario("quota-denied")
    failures = _binding_failures(handle)
    assert set(failures) == {"nginx-deployment", "web-deployment", "api-deployment"}
    denied = {b for b, m in failures.items() if "exceeded quota" in m}
    assert len(denied) == 1                         # two Works fit under hard=2, the third does not
    for binding, message in failures.items():
        work = _work(binding.rsplit("-deployment", 1)[0])
        expected = [QUOTA.format(work=work), POLICY.format(work=work)] if binding in denied else \
            [POLICY.format(work=work)]
        assert message == (expected[0] if len(expected) == 1 else "[" + ", ".join(expected) + "]")
    text = _logs(handle)
    work = _work(next(iter(denied)).rsplit("-deployment", 1)[0])
    assert (f"Failed to create/update work karmada-es-member3/{work}. Error: {QUOTA.format(work=work)}") in text
    assert len(_list(handle, "/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-member3/works")) == 2
    bindings = _bindings(handle)
    assert all(_applied(b)["member1"] and _applied(b)["member2"] for b in bindings.values())


def test_admission_webhook_denial_knob(scenario, tmp_path):
    spec = tmp_path / "webhook-denial.yaml"
    spec.write_text("clusters: {names: [member1, member2]}\n"
                    "workloads: [{namespace: default, deployments: [nginx]}]\n"
                    "faults:\n  unsynced_clusters: [member2]\n"
                    "  admission_denial: {clusters: [member2], webhook: works.gatekeeper.sh,"
                    " message: \"[require-owner] missing label owner\"}\n")
    handle = scenario(str(spec))
    assert _binding_failures(handle) == {
        "nginx-deployment": 'admission webhook "works.gatekeeper.sh" denied the request: [require-owner] missing '
                            "label owner"}


def test_missing_cluster_log_names_the_cached_kind(scenario):
    text = _logs(scenario("target-cluster-missing"))
    assert ('overridemanager.go:98] Failed to get member cluster: member3, error: Cluster.cluster.karmada.io '
            '"member3" not found') in text


def test_stale_cache_clears_on_its_own(scenario, tmp_path):
    spec = yaml.safe_load(open(resolve("already-exists-after-restart"), encoding="utf-8"))
    spec["faults"]["stale_work_cache"]["seconds"] = 2
    path = tmp_path / "short-stale.yaml"
    path.write_text(yaml.safe_dump(spec))
    handle = scenario(str(path))
    assert set(_binding_failures(handle)) == {"nginx-deployment", "web-deployment"}
    # The failing bindings are deep in their backoff; a spec change (what churn does) resyncs them at once.
    before = _sync_count(handle, "success")
    time.sleep(2.2)
    for name in ("nginx-deployment", "web-deployment"):
        handle.raw("PATCH", f"/apis/work.karmada.io/v1alpha2/namespaces/default/resourcebindings/{name}",
                   body={"spec": {"replicas": 3}}, headers={"Content-Type": "application/merge-patch+json"})
    _wait(lambda: _sync_count(handle, "success") >= before + 2, what="the resynced bindings to succeed")


def test_json_log_format_carries_the_same_error(scenario, tmp_path):
    spec = yaml.safe_load(open(resolve("work-conflict"), encoding="utf-8"))
    spec["controller_manager"] = {"log_format": "json"}
    path = tmp_path / "work-conflict-json.yaml"
    path.write_text(yaml.safe_dump(spec))
    text = _logs(scenario(str(path)))
    records = [json.loads(line) for line in text.splitlines()]
    failure = next(r for r in records if r["msg"] == "Failed to transform ResourceBinding to works")
    assert failure["err"] == CONFLICT and failure["binding"] == "nginx-deployment"
    assert any(r["msg"] == f"Failed to create/update work karmada-es-member2/nginx-687f7fb96f. Error: {CONFLICT}"
               for r in records)


def test_write_fault_fields_are_validated(tmp_path):
    from tests.emulator.scenarios import ScenarioError, load
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: {names: [member1]}\nfaults: {throttling: {errors: [slow]}}\n")
    with pytest.raises(ScenarioError, match="faults.throttling.errors"):
        load(str(bad))
    bad.write_text("clusters: {names: [member1]}\nfaults: {admission_denial: {clusters: [member1], message: x}}\n")
    with pytest.raises(ScenarioError, match="either 'webhook' or 'policy'"):
        load(str(bad))
