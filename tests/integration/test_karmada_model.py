"""The emulator behaves like Karmada: faults held in its state produce the runbook's symptoms, and
fixing the state -- by hand, with kubectl -- makes them stop."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from conftest import EmulatorHandle

pytestmark = pytest.mark.emulator

WORKS = "/apis/work.karmada.io/v1alpha1/namespaces/{ns}/works"
BINDINGS = "/apis/work.karmada.io/v1alpha2/resourcebindings"


def _list(handle, path, server="karmada_apiserver"):
    """Items of a list; retried, because the apiserver-errors scenario fails some lists on purpose."""
    for _attempt in range(20):
        response = handle.raw("GET", path, server=server)
        if response.status == 200:
            return response.json()["items"]
        assert response.status in (429, 500, 503), (response.status, response.body[:300])
        time.sleep(0.1)
    raise AssertionError(f"GET {path} kept failing")


def _events(handle, reason):
    return _list(handle, f"/api/v1/events?fieldSelector=reason%3D{reason}")


def _binding_failures(handle):
    """{binding name: message} from SyncWorkFailed events on (Cluster)ResourceBindings."""
    return {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkFailed")
            if e["involvedObject"]["kind"] in ("ResourceBinding", "ClusterResourceBinding")}


def _metrics(handle):
    with urllib.request.urlopen(handle.endpoints["metrics"]["controller_manager"]["url"], timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def _sync_count(handle, result):
    return _metrics(handle).get(f'binding_sync_work_duration_seconds_count{{result="{result}"}}', 0.0)


def _fully_applied(handle):
    return {b["metadata"]["name"]: next(c["status"] for c in b["status"]["conditions"] if c["type"] == "FullyApplied")
            for b in _list(handle, BINDINGS)}


def _wait(predicate, timeout=30, interval=0.25, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def scenario(tmp_path, request):
    handles = []

    def start(name):
        handle = EmulatorHandle(tmp_path / name, scenario=name).up()
        handles.append(handle)
        return handle
    yield start
    for handle in handles:
        handle.down()


EXPECTED = {
    "missing-namespaces": ({"nginx-deployment", "web-deployment", "api-deployment"},
                           ['namespaces "karmada-es-member2" not found']),
    "terminating-namespace": ({"nginx-deployment", "web-deployment", "api-deployment"},
                              ["unable to create new content in namespace karmada-es-member3 because it is being "
                               "terminated"]),
    "rbac-denied": ({"nginx-deployment", "web-deployment", "api-deployment"},
                    ['is forbidden: User "system:karmada:karmada-controller-manager" cannot create resource "works" '
                     'in API group "work.karmada.io" in the namespace "karmada-es-member3"']),
    "override-policy-broken": ({"nginx-deployment"},
                               ["replace operation does not apply: doc is missing path: "
                                "/spec/template/spec/containers/0/resources/limits/cpu: missing value"]),
    "webhook-down": ({"nginx-deployment", "web-deployment", "api-deployment"},
                     ['failed calling webhook "work.karmada.io"']),
    "work-being-deleted": ({"nginx-deployment"}, ["work karmada-es-member1/nginx-687f7fb96f is being deleted"]),
    "apiserver-errors": ({"nginx-deployment", "web-deployment", "api-deployment"}, ["etcdserver: request timed out"]),
    "mixed": ({"nginx-deployment", "web-deployment", "api-deployment"},
              ['namespaces "karmada-es-member2" not found', "replace operation does not apply"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fault_shows_its_symptoms_and_no_others(scenario, name):
    handle = scenario(name)
    bindings, fragments = EXPECTED[name]
    failures = _binding_failures(handle)
    assert set(failures) == bindings
    for message in failures.values():
        parts = message.strip("[]").split(", ") if message.startswith("[") else [message]
        assert all(any(f in part for f in fragments) for part in parts), message
    seen = " ".join(failures.values())
    assert all(fragment in seen for fragment in fragments)
    templates = {e["involvedObject"]["name"] for e in _events(handle, "SyncWorkFailed")
                 if e["involvedObject"]["kind"] == "Deployment"}
    assert templates == {b.rsplit("-deployment", 1)[0] for b in bindings}      # the template gets them too
    assert _sync_count(handle, "error") > 0
    if name != "override-policy-broken":      # there the Works from before the policy broke are still applied
        assert {n for n, status in _fully_applied(handle).items() if status == "False"} >= bindings


def test_healthy_has_no_failures(scenario):
    handle = scenario("healthy")
    assert _events(handle, "SyncWorkFailed") == []
    assert _sync_count(handle, "error") == 0
    assert set(_fully_applied(handle).values()) == {"True"}
    for cluster in ("member1", "member2", "member3"):
        works = _list(handle, WORKS.format(ns=f"karmada-es-{cluster}"))
        assert works and all(w["status"]["conditions"][0]["type"] == "Applied" for w in works)
    crb = _list(handle, "/apis/work.karmada.io/v1alpha2/clusterresourcebindings")
    assert [b["metadata"]["name"] for b in crb] == ["config-reader-clusterrole"]


def test_override_policy_failure_names_the_policy(scenario):
    handle = scenario("override-policy-broken")
    messages = {e["message"] for e in _events(handle, "ApplyOverridePolicyFailed")}
    assert messages == {"Apply override policy(default/nginx-tuning) for cluster(member1) failed.",
                        "Apply override policy(default/nginx-tuning) for cluster(member2) failed."}
    log = _list(handle, "/api/v1/namespaces/karmada-system/pods", server="host")
    lines = "".join(handle.raw("GET", f"/api/v1/namespaces/karmada-system/pods/{p['metadata']['name']}/log",
                               server="host").body.decode() for p in log)
    assert "Failed to apply overrides(default/nginx-tuning) for resource(default/nginx)" in lines
    assert '"Failed to apply overrides for workload in cluster."' in lines


def test_events_are_correlated_and_land_in_the_template_namespace(scenario):
    handle = scenario("missing-namespaces")
    first = {e["metadata"]["name"]: e for e in _events(handle, "SyncWorkFailed")}
    assert all(e["metadata"]["namespace"] == "default" for e in first.values())
    assert all(e["source"]["component"] == "binding-controller" for e in first.values())
    assert all(e["firstTimestamp"] < e["lastTimestamp"] and e["count"] > 1 for e in first.values())
    _wait(lambda: any(e["count"] > first[e["metadata"]["name"]]["count"] for e in _events(handle, "SyncWorkFailed")),
          what="a retry to bump an event's count")
    assert {e["metadata"]["name"] for e in _events(handle, "SyncWorkFailed")} == set(first)   # merged, not new


def test_klog_text_lines_follow_karmada_wording(scenario):
    handle = scenario("missing-namespaces")
    pods = _list(handle, "/api/v1/namespaces/karmada-system/pods?labelSelector=app%3Dkarmada-controller-manager",
                 server="host")
    text = "".join(handle.raw("GET", f"/api/v1/namespaces/karmada-system/pods/{p['metadata']['name']}/log",
                              server="host").body.decode() for p in pods)
    assert ('"Failed to transform ResourceBinding to works" err="namespaces \\"karmada-es-member2\\" not found" '
            'namespace="default" binding="nginx-deployment"') in text
    assert ('Failed to create/update work karmada-es-member2/nginx-687f7fb96f. Error: namespaces '
            '"karmada-es-member2" not found') in text
    assert '"Reconciler error"' in text and 'controller="binding-controller"' in text
    assert all(line[0] in "IWE" and line[1:5].isdigit() for line in text.splitlines())


def test_json_log_format_and_install_flavour(tmp_path):
    spec = tmp_path / "operator-install.yaml"
    spec.write_text(
        "clusters: {names: [member1, member2]}\n"
        "workloads: [{namespace: default, deployments: [nginx]}]\n"
        "faults: {missing_namespaces: [member2]}\n"
        "controller_manager:\n"
        "  name: karmada-demo-controller-manager\n"
        "  labels: {app.kubernetes.io/name: karmada-controller-manager, app.kubernetes.io/instance: karmada-demo}\n"
        "  log_format: json\n")
    handle = EmulatorHandle(tmp_path / "emu", scenario=str(spec)).up()
    try:
        selector = "app.kubernetes.io%2Fname%3Dkarmada-controller-manager"
        pods = _list(handle, f"/api/v1/namespaces/karmada-system/pods?labelSelector={selector}", server="host")
        assert len(pods) == 2 and all(p["metadata"]["name"].startswith("karmada-demo-controller-manager-")
                                      for p in pods)
        records = [json.loads(line) for p in pods for line in handle.raw(
            "GET", f"/api/v1/namespaces/karmada-system/pods/{p['metadata']['name']}/log",
            server="host").body.decode().splitlines()]
        failure = next(r for r in records if r["msg"] == "Failed to transform ResourceBinding to works")
        assert failure["err"] == 'namespaces "karmada-es-member2" not found'
        assert failure["binding"] == "nginx-deployment" and isinstance(failure["ts"], float)
        assert failure["caller"].startswith("binding_controller.go:")
    finally:
        handle.down()


def test_metrics_have_real_names_labels_and_buckets(scenario):
    handle = scenario("missing-namespaces")
    metrics = _metrics(handle)
    buckets = sorted(float(k.split('le="')[1].split('"')[0]) for k in metrics
                     if k.startswith('binding_sync_work_duration_seconds_bucket{result="error"') and "+Inf" not in k)
    assert buckets == [0.001 * 2 ** i for i in range(12)]
    # Priority queue (on by default in Karmada v1.18): depth per priority, created on the first add; the
    # initial list is added at handler.LowPriority (-100). No CRBs here, so no CRB depth series at all.
    assert 'workqueue_depth{controller="binding-controller",name="binding-controller",priority="-100"}' in metrics
    assert not any(key.startswith("workqueue_depth{") and 'priority=""' in key for key in metrics)
    assert not any(key.startswith('workqueue_depth{controller="cluster-resource-binding-controller"') for key in metrics)
    for name in ("binding-controller", "cluster-resource-binding-controller"):
        assert f'workqueue_retries_total{{controller="{name}",name="{name}"}}' in metrics
    assert metrics['controller_runtime_reconcile_errors_total{controller="binding-controller"}'] > 0
    assert metrics['workqueue_retries_total{controller="binding-controller",name="binding-controller"}'] == \
        metrics['binding_sync_work_duration_seconds_count{result="error"}']


def test_a_vanished_namespace_is_not_recreated_on_its_own(scenario):
    handle = scenario("healthy")
    assert handle.raw("DELETE", "/api/v1/namespaces/karmada-es-member3").status == 200
    _wait(lambda: handle.raw("GET", "/api/v1/namespaces/karmada-es-member3").status == 404, what="deletion")
    time.sleep(2)
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member3").status == 404


def test_recreating_the_namespace_by_hand_stops_the_failures(scenario, kubectl_for):
    handle = scenario("missing-namespaces")
    kubectl = kubectl_for(handle)
    kubectl("create", "namespace", "karmada-es-member2")
    kubectl("label", "namespace", "karmada-es-member2", "karmada.io/system=true")
    # The controller is not told: each failing binding recovers at its next backoff retry (cap 10 s here).
    _wait(lambda: set(_fully_applied(handle).values()) == {"True"}, timeout=30, what="bindings to recover")
    works = {w["metadata"]["name"] for w in _list(handle, WORKS.format(ns="karmada-es-member2"))}
    assert {"nginx-687f7fb96f", "web-7b7cc5b9ff", "api-77b9dc7f49"} <= works
    before = _sync_count(handle, "error")
    time.sleep(3)
    assert _sync_count(handle, "error") == before                         # the error rate has fallen to zero
    succeeded = {e["involvedObject"]["name"] for e in _events(handle, "SyncWorkSucceed")}
    assert {"nginx-deployment", "web-deployment", "api-deployment"} <= succeeded


def test_touching_the_cluster_recreates_its_namespace(scenario, kubectl_for):
    handle = scenario("missing-namespaces")
    kubectl = kubectl_for(handle)
    kubectl("annotate", "cluster", "member2", "runbook.karmada.io/resync=1", "--overwrite")
    namespace = _wait(lambda: kubectl("get", "namespace", "karmada-es-member2", "-o", "json", check=False).stdout,
                      what="the cluster controller to recreate the namespace")
    assert json.loads(namespace)["metadata"]["labels"]["karmada.io/system"] == "true"
    created = [e["message"] for e in _events(handle, "CreateExecutionSpaceSucceed")]
    assert created == ["Created execution space(karmada-es-member2) for cluster(member2)."]
    _wait(lambda: set(_fully_applied(handle).values()) == {"True"}, timeout=30, what="bindings to recover")


def test_fixing_the_override_policy_resyncs_at_once(scenario, kubectl_for):
    handle = scenario("override-policy-broken")
    kubectl = kubectl_for(handle)
    kubectl("patch", "overridepolicy", "nginx-tuning", "-n", "default", "--type=json", "-p",
            '[{"op": "replace", "path": "/spec/overrideRules/0/overriders/plaintext/0/path", '
            '"value": "/spec/replicas"}]')
    # A policy's generation change re-enqueues the bindings it matches: no waiting for the backoff.
    _wait(lambda: _fully_applied(handle)["nginx-deployment"] == "True", timeout=5, what="nginx to resync")
    work = handle.raw("GET", WORKS.format(ns="karmada-es-member1") + "/nginx-687f7fb96f").json()
    assert work["spec"]["workload"]["manifests"][0]["spec"]["replicas"] == "2"
    # RecordAppliedOverrides (v1.18.2 pkg/controllers/binding/common.go): AppliedOverrides.MarshalJSON, compact.
    assert work["metadata"]["annotations"]["policy.karmada.io/applied-overrides"] == (
        '[{"policyName":"nginx-tuning","overriders":{"plaintext":[{"path":"/spec/replicas","operator":"replace",'
        '"value":"2"}]}}]')
    assert "policy.karmada.io/applied-cluster-overrides" not in work["metadata"]["annotations"]


def test_frq_noise_is_on_quotas_not_bindings(scenario, kubectl_for):
    handle = scenario("federated-resource-quota-noise")
    kubectl = kubectl_for(handle)
    quotas = kubectl.json("get", "federatedresourcequotas", "-A")["items"]
    assert sorted(q["metadata"]["name"] for q in quotas) == ["batch-quota", "shop-quota", "team-quota"]
    events = kubectl.json("get", "events", "-A", "--field-selector", "reason=SyncWorkFailed")["items"]
    assert events and {e["involvedObject"]["kind"] for e in events} == {"FederatedResourceQuota"}
    assert {e["source"]["component"] for e in events} == {"federated-resource-quota-sync-controller"}
    assert {e["involvedObject"]["name"] for e in events} == {"team-quota", "shop-quota"}
    assert all(e["message"].startswith('Operation cannot be fulfilled on works.work.karmada.io "') for e in events)
    ok = kubectl.json("get", "events", "-n", "default", "--field-selector",
                      "reason=SyncWorkSucceed,involvedObject.kind=FederatedResourceQuota")["items"]
    assert [e["message"] for e in ok] == ["Sync works for FederatedResourceQuota(default/batch-quota) succeed."]
    logs = kubectl("logs", "-n", "karmada-system", "-l", "app=karmada-controller-manager", "--tail=-1",
                   context="karmada-host").stdout
    assert '"Failed to build works for federatedResourceQuota"' in logs and 'namespacedName="default/team-quota"' in logs
    assert 'controller="federated-resource-quota-sync-controller"' in logs
    assert "Failed to transform ResourceBinding to works" not in logs
    assert set(_fully_applied(handle).values()) == {"True"}
    metrics = _metrics(handle)
    assert metrics.get('binding_sync_work_duration_seconds_count{result="error"}', 0) == 0
    works = handle.raw("GET", WORKS.format(ns="karmada-es-member1")).json()["items"]
    quota_works = [w for w in works if (w["metadata"].get("labels") or {}).get(
        "federatedresourcequota.karmada.io/name") == "batch-quota"]
    assert len(quota_works) == 1 and quota_works[0]["spec"]["workload"]["manifests"][0]["kind"] == "ResourceQuota"


def test_helm_namespace_install_starts(scenario, kubectl_for):
    handle = scenario("helm-namespace")
    kubectl = kubectl_for(handle)
    pods = kubectl.json("get", "pods", "-n", "karmada-helm", "-l", "app=karmada-controller-manager",
                        context="karmada-host")["items"]
    assert len(pods) == 2
    assert kubectl.json("get", "pods", "-n", "karmada-system", context="karmada-host")["items"] == []
    logs = kubectl("logs", "-n", "karmada-helm", "-l", "app=karmada-controller-manager", "--tail=-1",
                   context="karmada-host").stdout
    assert "Starting karmada-controller-manager" in logs
    assert '"Failed to transform ResourceBinding to works" err="namespaces \\"karmada-es-member2\\" not found"' in logs
    # Helm's chart keeps --leader-elect-resource-namespace at .Values.systemNamespace (karmada-system).
    lease = kubectl.json("get", "lease", "karmada-controller-manager", "-n", "karmada-system")
    assert lease["spec"]["holderIdentity"].split("_")[0] in {p["metadata"]["name"] for p in pods}


def test_restart_drains_a_stuck_queue(scenario, kubectl_for):
    handle = scenario("workqueue-stuck")
    kubectl = kubectl_for(handle)
    stuck = {n for n, status in _fully_applied(handle).items() if status == "False"}
    assert stuck == {"nginx-deployment", "web-deployment", "api-deployment"}
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member2").status == 200     # the cause is fixed
    last_failure = max(e["lastTimestamp"] for e in _events(handle, "SyncWorkFailed"))
    assert last_failure < time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 540))   # ~10 min ago
    time.sleep(3)
    assert {n for n, s in _fully_applied(handle).items() if s == "False"} == stuck      # it does not heal itself
    kubectl("rollout", "restart", "deployment/karmada-controller-manager", "-n", "karmada-system",
            context="karmada-host")
    kubectl("rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system", "--timeout=60s",
            context="karmada-host")
    _wait(lambda: set(_fully_applied(handle).values()) == {"True"}, timeout=15, what="a fresh queue to sync all")
    assert _sync_count(handle, "error") == 0          # a new leader process: fresh counters, no new errors


def test_restart_recreates_missing_namespaces(scenario, kubectl_for):
    handle = scenario("missing-namespaces")
    kubectl = kubectl_for(handle)
    lease = kubectl.json("get", "lease", "karmada-controller-manager", "-n", "karmada-system")
    kubectl("rollout", "restart", "deployment/karmada-controller-manager", "-n", "karmada-system",
            context="karmada-host")
    kubectl("rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system", "--timeout=60s",
            context="karmada-host")
    _wait(lambda: set(_fully_applied(handle).values()) == {"True"}, timeout=15, what="recovery after restart")
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member2").status == 200
    holder = kubectl.json("get", "lease", "karmada-controller-manager", "-n", "karmada-system")["spec"]
    pods = kubectl.json("get", "pods", "-n", "karmada-system", context="karmada-host")["items"]
    pods = {p["metadata"]["name"] for p in pods}
    assert holder["holderIdentity"].split("_")[0] in pods
    assert holder["leaseTransitions"] > lease["spec"]["leaseTransitions"]


def test_large_fleet(scenario):
    handle = scenario("large")
    assert len(_list(handle, "/apis/cluster.karmada.io/v1alpha1/clusters")) == 1000
    namespaces = _list(handle, "/api/v1/namespaces?labelSelector=karmada.io%2Fsystem%3Dtrue")
    assert len(namespaces) == 998
    failures = _binding_failures(handle)
    assert set(failures.values()) == {'namespaces "karmada-es-member0100" not found',
                                      'namespaces "karmada-es-member0777" not found'}
    namespaced = {(e["involvedObject"]["namespace"], e["involvedObject"]["name"])
                  for e in _events(handle, "SyncWorkFailed") if e["involvedObject"]["kind"] == "ResourceBinding"}
    assert namespaced == {(ns, name) for ns in ("default", "shop")
                          for name in ("app-0020-deployment", "app-0156-deployment")}


def test_execution_controller_clears_its_finalizer_on_ready_clusters_only(scenario):
    handle = scenario("terminating-namespace")
    ready = WORKS.format(ns="karmada-es-member1") + "/nginx-687f7fb96f"
    assert handle.raw("DELETE", ready).status == 200
    _wait(lambda: handle.raw("GET", ready).status == 404, timeout=5, what="the Work on a Ready cluster to go")
    # member3 is unreachable: its namespace's Work keeps the finalizer, so the namespace stays Terminating.
    time.sleep(1)
    held = _list(handle, WORKS.format(ns="karmada-es-member3"))
    assert held and all(w["metadata"].get("deletionTimestamp") for w in held)
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member3").json()["status"]["phase"] == "Terminating"
