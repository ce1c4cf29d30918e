"""What mitigate.yml touches, modelled faithfully: execution namespaces re-enable the binding controller at its
next retry, a rollout restart gives a leader change and fresh queues, Leases update with optimistic
concurrency, RBAC grants take effect at the next write, touching a Cluster recreates its namespace, and a
Cluster name Karmada rejects leaves an execution namespace nobody can create (scenario invalid-cluster-name).

Expected strings are quoted from the real sources named next to them (apimachinery / apiserver v0.35.3,
the versions Karmada v1.18.2 pins; Karmada v1.18.2 itself)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import threading
import time

import pytest
from conftest import VENV_BIN, AnsiblePlaybook, EmulatorHandle
from test_karmada_model import WORKS, _events, _fully_applied, _list, _metrics, _wait

pytestmark = pytest.mark.emulator

LEASES = "/apis/coordination.k8s.io/v1/namespaces/karmada-system/leases"
CM_LEASE = LEASES + "/karmada-controller-manager"
DEPLOYMENT = "/apis/apps/v1/namespaces/karmada-system/deployments/karmada-controller-manager"
MEMBER2_WORKS = {"nginx-687f7fb96f", "web-7b7cc5b9ff", "api-77b9dc7f49"}
BINDINGS = {"nginx-deployment", "web-deployment", "api-deployment"}
# apiserver v0.35.3 pkg/registry/generic/registry/store.go:262 OptimisticLockErrorMsg, wrapped by apimachinery
# pkg/api/errors/errors.go NewConflict ("Operation cannot be fulfilled on %s %q: %v").
CONFLICT = ('Operation cannot be fulfilled on leases.coordination.k8s.io "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again")
# apimachinery v0.35.3 pkg/util/validation/validation.go IsDNS1123Label: a subdomain that is no label has dots.
DOTS = 'metadata.name: Invalid value: "{name}": must not contain dots'
NAMESPACE_INVALID = 'Namespace "karmada-es-member.east" is invalid: ' + DOTS.format(name="karmada-es-member.east")
CLUSTER_INVALID = 'Cluster.cluster.karmada.io "{name}" is invalid: ' + DOTS


@pytest.fixture
def scenario(tmp_path):
    handles = []

    def start(name):
        handle = EmulatorHandle(tmp_path / f"emu-{len(handles)}", scenario=name).up()
        handles.append(handle)
        return handle
    yield start
    for handle in handles:
        handle.down()


def _post(handle, path, body, server="karmada_apiserver"):
    return handle.raw("POST", path, server=server, body=body, headers={"Content-Type": "application/json"})


def _put(handle, path, body):
    return handle.raw("PUT", path, body=body, headers={"Content-Type": "application/json"})


def _patch(handle, path, body, kind="merge", server="karmada_apiserver"):
    return handle.raw("PATCH", path, server=server, body=body,
                      headers={"Content-Type": f"application/{kind}-patch+json"})


def _lease(name, holder="run-1", transitions=0, when="2026-11-25T10:00:00.123456Z"):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "karmada-system"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 600, "acquireTime": when, "renewTime": when,
                     "leaseTransitions": transitions}}


def _member2_works(handle):
    return {w["metadata"]["name"] for w in _list(handle, WORKS.format(ns="karmada-es-member2"))}


def _succeeded(handle):
    return {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkSucceed")
            if e["involvedObject"]["kind"] == "ResourceBinding"}


def _pods(handle):
    return _list(handle, "/api/v1/namespaces/karmada-system/pods?labelSelector=app%3Dkarmada-controller-manager",
                 server="host")


def _current_pods(handle):
    """Pods of the Deployment's newest ReplicaSet (the one carrying its current revision)."""
    deployment = handle.raw("GET", DEPLOYMENT, server="host").json()
    revision = deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    sets = _list(handle, "/apis/apps/v1/namespaces/karmada-system/replicasets", server="host")
    newest = next(rs for rs in sets if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == revision)
    pod_hash = newest["metadata"]["labels"]["pod-template-hash"]
    return {p["metadata"]["name"] for p in _pods(handle) if p["metadata"]["labels"].get("pod-template-hash") == pod_hash}


def _rolled_out(handle, old):
    """The pods, once a rollout replaced every one of ``old`` and nothing else is left running."""
    current = _current_pods(handle)
    running = {p["metadata"]["name"] for p in _pods(handle)}
    return current if current and not current & old and running == current else None


def _holder(lease):
    return lease["spec"]["holderIdentity"].split("_")[0]


def _restart_patch():
    """What kubectl 1.32 `rollout restart` sends (kubectl pkg/polymorphichelpers/objectrestarter.go), with a
    unique stamp (kubectl's has whole seconds, so two restarts within a second would be one)."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}


# -- 3. Leases with optimistic concurrency (coordination.k8s.io/v1 on the Karmada API server) ----------------
def test_lease_create_get_and_create_again(emulator):
    created = _post(emulator, LEASES, _lease("mitigation-create"))
    assert created.status == 201, created.body
    lease = created.json()
    assert lease["metadata"]["resourceVersion"]
    assert lease["spec"] == _lease("mitigation-create")["spec"]             # stored as given
    fetched = emulator.raw("GET", f"{LEASES}/mitigation-create").json()
    assert fetched["metadata"]["resourceVersion"] == lease["metadata"]["resourceVersion"]
    assert fetched["spec"] == lease["spec"]
    again = _post(emulator, LEASES, _lease("mitigation-create", holder="run-2"))
    # apimachinery v0.35.3 pkg/api/errors/errors.go NewAlreadyExists
    assert again.status == 409
    assert again.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": 'leases.coordination.k8s.io "mitigation-create" already exists',
                            "reason": "AlreadyExists", "code": 409,
                            "details": {"name": "mitigation-create", "group": "coordination.k8s.io", "kind": "leases"}}
    assert emulator.raw("GET", f"{LEASES}/mitigation-create").json()["spec"]["holderIdentity"] == "run-1"


def test_lease_update_needs_the_current_resource_version(emulator):
    lease = _post(emulator, LEASES, _lease("mitigation-update")).json()
    stale = lease["metadata"]["resourceVersion"]
    taken = _lease("mitigation-update", holder="run-2", transitions=1, when="2026-11-25T10:05:00.000001Z")
    taken["metadata"]["resourceVersion"] = stale
    updated = _put(emulator, f"{LEASES}/mitigation-update", taken)
    assert updated.status == 200, updated.body
    assert updated.json()["spec"] == taken["spec"]
    assert int(updated.json()["metadata"]["resourceVersion"]) > int(stale)
    # A second writer still holding the old resourceVersion loses.
    late = _lease("mitigation-update", holder="run-3", transitions=1)
    late["metadata"]["resourceVersion"] = stale
    conflict = _put(emulator, f"{LEASES}/mitigation-update", late)
    assert conflict.status == 409
    assert conflict.json()["reason"] == "Conflict"
    assert conflict.json()["message"] == CONFLICT.format(name="mitigation-update")
    assert conflict.json()["details"] == {"name": "mitigation-update", "group": "coordination.k8s.io",
                                          "kind": "leases"}
    # Lease's strategy does not AllowUnconditionalUpdate (kubernetes pkg/registry/coordination/lease/strategy.go),
    # so a PUT without resourceVersion is refused (apiserver store.go:732: the Kind slot holds the resource).
    blind = _put(emulator, f"{LEASES}/mitigation-update", _lease("mitigation-update", holder="run-4"))
    assert blind.status == 422
    assert blind.json()["message"] == ('leases.coordination.k8s.io "mitigation-update" is invalid: '
                                       "metadata.resourceVersion: Invalid value: 0: must be specified for an update")
    assert blind.json()["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                                                  "message": "Invalid value: 0: must be specified for an update"}]
    assert emulator.raw("GET", f"{LEASES}/mitigation-update").json()["spec"]["holderIdentity"] == "run-2"


def test_lease_put_creates_an_absent_lease(emulator):
    # AllowCreateOnUpdate is true for Lease: a PUT of an absent one creates it.
    created = _put(emulator, f"{LEASES}/mitigation-put", _lease("mitigation-put"))
    assert created.status == 201, created.body
    assert created.json()["spec"]["holderIdentity"] == "run-1"


def test_concurrent_lease_updates_one_wins(emulator):
    lease = _post(emulator, LEASES, _lease("mitigation-race")).json()
    results, start = [], threading.Barrier(4)

    def take(holder):
        body = _lease("mitigation-race", holder=holder, transitions=1)
        body["metadata"]["resourceVersion"] = lease["metadata"]["resourceVersion"]
        start.wait()
        results.append((holder, _put(emulator, f"{LEASES}/mitigation-race", body).status))
    threads = [threading.Thread(target=take, args=(f"run-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [holder for holder, status in results if status == 200]
    assert len(winners) == 1 and sorted(status for _h, status in results) == [200, 409, 409, 409]
    assert emulator.raw("GET", f"{LEASES}/mitigation-race").json()["spec"]["holderIdentity"] == winners[0]


@pytest.mark.parametrize("stamp, element", [
    ("2026-11-25T10:00:00Z", '"Z" as ".000000"'),                  # no fraction
    ("2026-11-25T10:00:00+00:00", '"+00:00" as ".000000"'),        # Python's isoformat() of a whole second
    ("2026-11-25T10:00:00.123Z", '".123Z" as ".000000"'),          # milliseconds
    ("2026-11-25T10:00:00.123456789Z", '"789Z" as "Z07:00"'),      # nanoseconds
])
def test_lease_micro_times_need_six_fraction_digits(emulator, stamp, element):
    # MicroTime.UnmarshalJSON parses with RFC3339Micro (apimachinery pkg/apis/meta/v1/micro_time.go); Go's
    # time.ParseError text; apiserver pkg/endpoints/handlers/rest.go transformDecodeError makes it a 400.
    response = _post(emulator, LEASES, _lease("mitigation-time", when=stamp))
    assert response.status == 400
    assert response.json()["reason"] == "BadRequest"
    assert response.json()["message"] == (
        f'Lease in version "v1" cannot be handled as a Lease: parsing time "{stamp}" as '
        f'"2006-01-02T15:04:05.000000Z07:00": cannot parse {element}')
    assert emulator.raw("GET", f"{LEASES}/mitigation-time").status == 404


def test_lease_micro_times_are_returned_in_utc(emulator):
    # MicroTime.MarshalJSON renders t.UTC() with RFC3339Micro.
    created = _post(emulator, LEASES, _lease("mitigation-utc", when="2026-11-25T12:00:00.000001+02:00")).json()
    assert created["spec"]["renewTime"] == created["spec"]["acquireTime"] == "2026-11-25T10:00:00.000001Z"


def test_lease_spec_is_validated(emulator):
    # kubernetes pkg/apis/coordination/validation ValidateLeaseSpec via rest.BeforeCreate -> NewInvalid(Kind.group).
    bad = _lease("mitigation-spec")
    bad["spec"]["leaseDurationSeconds"] = 0
    response = _post(emulator, LEASES, bad)
    assert response.status == 422
    assert response.json()["message"] == ('Lease.coordination.k8s.io "mitigation-spec" is invalid: '
                                          "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0")


def test_controller_manager_lease_is_renewed(emulator):
    # client-go renews every retry period (Karmada's default --leader-elect-retry-period 2s): renewTime moves,
    # acquireTime, holder and leaseTransitions do not.
    first = emulator.raw("GET", CM_LEASE).json()["spec"]

    def renewed():
        spec = emulator.raw("GET", CM_LEASE).json()["spec"]
        return spec if spec["renewTime"] > first["renewTime"] else None
    later = _wait(renewed, timeout=6, what="a lease renewal")
    assert {k: later[k] for k in ("holderIdentity", "acquireTime", "leaseTransitions", "leaseDurationSeconds")} == \
        {k: first[k] for k in ("holderIdentity", "acquireTime", "leaseTransitions", "leaseDurationSeconds")}
    assert later["leaseDurationSeconds"] == 15


# -- 1. a recreated execution namespace re-enables the binding controller at its next retry ---------------------
def test_recreated_namespace_lets_the_next_retry_create_works(scenario):
    handle = scenario("missing-namespaces")
    assert _member2_works(handle) == set() and not BINDINGS & set(_succeeded(handle))
    created = _post(handle, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "karmada-es-member2", "labels": {"karmada.io/system": "true"}}})
    assert created.status == 201, created.body
    assert created.json()["metadata"]["labels"] == {"karmada.io/system": "true",
                                                    "kubernetes.io/metadata.name": "karmada-es-member2"}
    # Nothing tells the binding controller; each binding recovers at its next backoff retry (cap 10 s here).
    _wait(lambda: BINDINGS <= set(_succeeded(handle)), timeout=15, what="SyncWorkSucceed on the failing bindings")
    assert _member2_works(handle) >= MEMBER2_WORKS
    # binding_controller.go (v1.18.2): "Sync work of ResourceBinding(%s) successful."
    assert {n: m for n, m in _succeeded(handle).items() if n in BINDINGS} == {
        n: f"Sync work of ResourceBinding(default/{n}) successful." for n in BINDINGS}
    assert set(_fully_applied(handle).values()) == {"True"}


def test_deep_backoff_waits_for_a_restart(tmp_path, scenario, kubectl_for):
    # missing-namespaces at time_scale 1: the failing bindings sit 300-1000 s deep in their backoff.
    spec = tmp_path / "deep-backoff.yaml"
    spec.write_text("time_scale: 1\nclusters: {names: [member1, member2, member3]}\n"
                    "workloads: [{namespace: default, deployments: [nginx, web, api]}]\n"
                    "faults: {missing_namespaces: [member2]}\nhistory: {churn_per_minute: 0}\n")
    handle = scenario(str(spec))
    lease = handle.raw("GET", CM_LEASE).json()
    kubectl_for(handle)("create", "namespace", "karmada-es-member2")
    time.sleep(3)
    assert _member2_works(handle) == set()                  # no retry soon: that is why the runbook restarts
    base = [shutil.which("kubectl"), "--kubeconfig", handle.kubeconfig, "--context", "karmada-host"]
    outputs = []
    for args in (["rollout", "restart", "deployment/karmada-controller-manager", "-n", "karmada-system"],
                 ["rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system",
                  "--timeout=30s"]):
        run = subprocess.run(base + args, capture_output=True, text=True, timeout=60, check=False,
                             env=dict(os.environ, KUBECACHEDIR=str(tmp_path / "kube-cache")))
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0].strip() == "deployment.apps/karmada-controller-manager restarted"
    assert "successfully rolled out" in outputs[1]
    _wait(lambda: _member2_works(handle) >= MEMBER2_WORKS, timeout=10, what="the new leader to create the Works")
    after = handle.raw("GET", CM_LEASE).json()
    assert _holder(after) in _current_pods(handle)
    assert after["spec"]["leaseTransitions"] == lease["spec"]["leaseTransitions"] + 1
    # Whichever old pod goes first (the leader or a standby), every rollout is exactly one leader change.
    for _restart in range(2):
        transitions = handle.raw("GET", CM_LEASE).json()["spec"]["leaseTransitions"]
        old = {p["metadata"]["name"] for p in _pods(handle)}
        assert _patch(handle, DEPLOYMENT, _restart_patch(), kind="strategic-merge", server="host").status == 200
        current = _wait(lambda old=old: _rolled_out(handle, old), timeout=10, what="the rollout")
        lease = handle.raw("GET", CM_LEASE).json()
        assert _holder(lease) in current and lease["spec"]["leaseTransitions"] == transitions + 1


# -- 2. rollout restart with kubernetes.core.k8s: leader change, fresh queues and metrics ---------------------
RESTART_PLAYBOOK = """
- name: Restart the controller-manager as mitigate.yml does
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Rollout restart
      kubernetes.core.k8s:
        context: karmada-host
        state: patched
        api_version: apps/v1
        kind: Deployment
        name: karmada-controller-manager
        namespace: karmada-system
        definition:
          spec:
            template:
              metadata:
                annotations:
                  kubectl.kubernetes.io/restartedAt: "{{ lookup('pipe', 'date -u +%Y-%m-%dT%H:%M:%SZ') }}"
        wait: true
        wait_sleep: 1
        wait_timeout: 60
"""


def _ansible(tmp_path, handle):
    if not os.path.exists(os.path.join(VENV_BIN, "ansible-playbook")):
        pytest.skip("run `make setup` first: .venv/bin/ansible-playbook is missing")
    return AnsiblePlaybook(str(tmp_path), handle.kubeconfig)


def test_k8s_patched_in_check_mode_writes_nothing(tmp_path, scenario):
    handle = scenario("workqueue-stuck")
    before = handle.raw("GET", DEPLOYMENT, server="host").json()
    mark = handle.mark()
    result = _ansible(tmp_path, handle).results(RESTART_PLAYBOOK, "--check")["Rollout restart"]
    assert result["changed"] is True
    patches = [r for r in handle.requests_since(mark) if r["verb"] == "patch"]
    assert patches and all(r["dry_run"] for r in patches)          # server-side dry run
    after = handle.raw("GET", DEPLOYMENT, server="host").json()
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"]["template"] == before["spec"]["template"]


def test_k8s_patched_restart_gives_a_new_leader_and_fresh_queues(tmp_path, scenario):
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.waiter import deployment_ready
    from kubernetes.dynamic.resource import ResourceInstance

    handle = scenario("workqueue-stuck")
    lease = handle.raw("GET", CM_LEASE).json()
    old_pods = {p["metadata"]["name"] for p in _pods(handle)}
    metrics = _metrics(handle)
    errors = 'binding_sync_work_duration_seconds_count{result="error"}'
    adds = 'workqueue_adds_total{controller="binding-controller",name="binding-controller"}'
    assert metrics[errors] > 0 and _member2_works(handle) == set()

    result = _ansible(tmp_path, handle).results(RESTART_PLAYBOOK)["Rollout restart"]
    assert result["changed"] is True and result["method"] == "update"
    # The module returned once kubernetes.core's own Deployment waiter was satisfied.
    assert deployment_ready(ResourceInstance(None, result["result"]))
    annotations = result["result"]["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations

    # The backed-off bindings are reconciled at once by the new leader's fresh queue.
    _wait(lambda: _member2_works(handle) >= MEMBER2_WORKS, timeout=10, what="the Works for member2")
    _wait(lambda: set(_fully_applied(handle).values()) == {"True"}, timeout=10, what="all bindings applied")
    new_pods = _wait(lambda: _rolled_out(handle, old_pods), timeout=10, what="the rollout to replace every pod")
    after = handle.raw("GET", CM_LEASE).json()
    assert _holder(after) in new_pods
    assert after["spec"]["leaseTransitions"] == lease["spec"]["leaseTransitions"] + 1
    assert after["spec"]["acquireTime"] > lease["spec"]["acquireTime"]
    assert all(p["metadata"]["annotations"].get("kubectl.kubernetes.io/restartedAt")
               == annotations["kubectl.kubernetes.io/restartedAt"] for p in _pods(handle))
    fresh = _metrics(handle)
    assert fresh.get(errors, 0) == 0                          # a new process: no error observed yet
    assert fresh[adds] < metrics[adds]                       # counters restarted from zero
    assert fresh['workqueue_depth{controller="binding-controller",name="binding-controller",priority="-100"}'] == 0
    log = handle.raw("GET", f"/api/v1/namespaces/karmada-system/pods/{_holder(after)}/log", server="host").body
    assert b"successfully acquired lease karmada-system/karmada-controller-manager" in log


# -- 4. RBAC changes take effect at the controller's next write ---------------------------------------------------
def test_rbac_grant_takes_effect_at_the_next_retry(scenario):
    handle = scenario("rbac-denied")
    user = "system:karmada:karmada-controller-manager"

    def allowed():
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {
            "user": user, "groups": ["system:authenticated"], "resourceAttributes": {
                "verb": "create", "group": "work.karmada.io", "resource": "works", "namespace": "karmada-es-member3"}}}
        return _post(handle, "/apis/authorization.k8s.io/v1/subjectaccessreviews", review).json()["status"]

    assert allowed() == {"allowed": False}
    failures = {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkFailed")
                if e["involvedObject"]["kind"] == "ResourceBinding"}
    # A POST names no object, so RBAC's Forbidden names none (apiserver responsewriters/errors.go).
    assert failures == dict.fromkeys(BINDINGS, (
        f'works.work.karmada.io is forbidden: User "{user}" cannot create resource "works" in API group '
        '"work.karmada.io" in the namespace "karmada-es-member3"'))
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "karmada-runbooks:binding-controllers"},
            "rules": [{"apiGroups": ["work.karmada.io"], "resources": ["works"],
                       "verbs": ["create", "update", "get", "list", "watch", "delete", "patch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "karmada-runbooks:binding-controllers"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "karmada-runbooks:binding-controllers"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}
    for path, body in (("/apis/rbac.authorization.k8s.io/v1/clusterroles", role),
                       ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)):
        response = _post(handle, path, body)
        assert response.status == 201, response.body               # RBAC names may hold ':' (path segments)
    assert allowed() == {"allowed": True, "reason": 'RBAC: allowed by ClusterRoleBinding '
                         '"karmada-runbooks:binding-controllers" of ClusterRole "karmada-runbooks:binding-controllers"'}
    _wait(lambda: BINDINGS <= set(_succeeded(handle)), timeout=15, what="the next retry to create the Works")
    works = {w["metadata"]["name"] for w in _list(handle, WORKS.format(ns="karmada-es-member3"))}
    assert works >= MEMBER2_WORKS                            # same template names, member3's namespace
    assert set(_fully_applied(handle).values()) == {"True"}


# -- 5. any Cluster update makes the cluster controller recreate a missing execution namespace ---------------------
def test_touching_a_cluster_recreates_its_execution_namespace(scenario):
    handle = scenario("missing-namespaces")
    before = handle.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/member2").json()
    touched = _patch(handle, "/apis/cluster.karmada.io/v1alpha1/clusters/member2",
                     {"metadata": {"annotations": {"runbook.karmada.io/touched": "1"}}})
    assert touched.status == 200, touched.body
    # Metadata only: the generation stays, and still the controller reconciles (For(&Cluster{}) without a
    # predicate, cluster_controller.go:196 v1.18.2).
    assert touched.json()["metadata"]["generation"] == before["metadata"]["generation"]

    def recreated():
        response = handle.raw("GET", "/api/v1/namespaces/karmada-es-member2")
        return response.json() if response.status == 200 else None
    namespace = _wait(recreated, timeout=5, what="the execution namespace")
    assert namespace["metadata"]["labels"]["karmada.io/system"] == "true"
    events = [(e["type"], e["source"]["component"], e["message"]) for e in _events(handle, "CreateExecutionSpaceSucceed")]
    assert events == [("Normal", "cluster-controller", "Created execution space(karmada-es-member2) for cluster(member2).")]


# -- 6. a Cluster name Karmada rejects: its execution namespace can never be created --------------------------------
@pytest.fixture(scope="module")
def invalid_name(tmp_path_factory):
    handle = EmulatorHandle(tmp_path_factory.mktemp("invalid-cluster-name"), scenario="invalid-cluster-name").up()
    yield handle
    handle.down()


def test_invalid_cluster_name_symptoms(invalid_name):
    handle = invalid_name
    names = {n["metadata"]["name"] for n in _list(handle, "/api/v1/namespaces?labelSelector=karmada.io%2Fsystem%3Dtrue")}
    assert names == {"karmada-es-member1"}
    failed = _events(handle, "CreateExecutionSpaceFailed")
    # cluster_controller.go:206 (v1.18.2): a Warning with err.Error() of the namespace create.
    assert [(e["involvedObject"]["kind"], e["involvedObject"]["name"], e["type"], e["source"]["component"],
             e["message"]) for e in failed] == [("Cluster", "member.east", "Warning", "cluster-controller",
                                                 NAMESPACE_INVALID)]
    failures = {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkFailed")
                if e["involvedObject"]["kind"] == "ResourceBinding"}
    both = '[namespaces "karmada-es-member2" not found, namespaces "karmada-es-member.east" not found]'
    assert failures == {"nginx-deployment": both, "web-deployment": both,
                        "cart-deployment": 'namespaces "karmada-es-member.east" not found'}
    log = "".join(handle.raw("GET", f"/api/v1/namespaces/karmada-system/pods/{p['metadata']['name']}/log",
                             server="host").body.decode() for p in _pods(handle))
    escaped = NAMESPACE_INVALID.replace('"', '\\"')
    assert f'"Failed to create execution space" err="{escaped}" cluster="member.east"' in log


def test_invalid_execution_namespace_and_cluster_edits_are_refused(invalid_name, kubectl_for):
    handle = invalid_name
    response = _post(handle, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "karmada-es-member.east", "labels": {"karmada.io/system": "true"}}})
    # apimachinery v0.35.3 NewInvalid (pkg/api/errors/errors.go) of ValidateNamespaceName = NameIsDNSLabel.
    assert response.status == 422
    assert response.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": NAMESPACE_INVALID,
        "reason": "Invalid", "code": 422, "details": {"name": "karmada-es-member.east", "kind": "Namespace", "causes": [
            {"reason": "FieldValueInvalid", "message": 'Invalid value: "karmada-es-member.east": must not contain dots',
             "field": "metadata.name"}]}}
    run = kubectl_for(handle)("create", "namespace", "karmada-es-member.east", check=False)
    assert run.returncode != 0 and f"The {NAMESPACE_INVALID}" in run.stderr
    # karmada-aggregated-apiserver validates the name on every Cluster update (strategy.go ValidateUpdate).
    touched = _patch(handle, "/apis/cluster.karmada.io/v1alpha1/clusters/member.east",
                     {"metadata": {"annotations": {"runbook.karmada.io/touched": "1"}}})
    assert touched.status == 422 and touched.json()["message"] == CLUSTER_INVALID.format(name="member.east")
    status = _patch(handle, "/apis/cluster.karmada.io/v1alpha1/clusters/member.east/status",
                    {"status": {"kubernetesVersion": "v1.31.3"}})
    assert status.status == 200                              # the status strategy does not validate
    new = _post(handle, "/apis/cluster.karmada.io/v1alpha1/clusters", {
        "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "member.west"},
        "spec": {"syncMode": "Push"}})
    assert new.status == 422 and new.json()["message"] == CLUSTER_INVALID.format(name="member.west")
    long_name = "m" * 49
    new = _post(handle, "/apis/cluster.karmada.io/v1alpha1/clusters", {
        "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": long_name}})
    assert new.json()["message"] == (f'Cluster.cluster.karmada.io "{long_name}" is invalid: metadata.name: '
                                     f'Invalid value: "{long_name}": must be no more than 48 characters')


@pytest.mark.parametrize("name, detail", [
    ("karmada-es-member.east", "must not contain dots"),
    ("karmada-es-Member_1", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                            "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                            "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    ("karmada-es-" + "m" * 53, "must be no more than 63 characters"),
])
def test_namespace_names_are_rfc1123_labels(emulator, name, detail):
    # apimachinery v0.35.3 pkg/util/validation/validation.go IsDNS1123Label / RegexError / MaxLenError.
    response = _post(emulator, "/api/v1/namespaces", {"metadata": {"name": name}})
    assert response.status == 422
    assert response.json()["message"] == f'Namespace "{name}" is invalid: metadata.name: Invalid value: "{name}": {detail}'


def test_restoring_member2_leaves_member_east_failing(scenario):
    handle = scenario("invalid-cluster-name")
    assert _post(handle, "/api/v1/namespaces", {"metadata": {"name": "karmada-es-member2", "labels": {
        "karmada.io/system": "true"}}}).status == 201
    only_east = 'namespaces "karmada-es-member.east" not found'

    def messages():
        return {e["involvedObject"]["name"]: e["message"] for e in _events(handle, "SyncWorkFailed")
                if e["involvedObject"]["kind"] == "ResourceBinding" and e["message"] == only_east}
    _wait(lambda: set(messages()) == {"nginx-deployment", "web-deployment", "cart-deployment"}, timeout=15,
          what="the retries to fail on member.east alone")
    assert {"nginx-687f7fb96f", "web-7b7cc5b9ff"} <= _member2_works(handle)
    count = _events(handle, "CreateExecutionSpaceFailed")[0]["count"]
    assert _patch(handle, DEPLOYMENT, _restart_patch(), kind="strategic-merge", server="host").status == 200
    # The new leader reconciles every Cluster once: member.east fails again, nothing else changes.
    _wait(lambda: _events(handle, "CreateExecutionSpaceFailed")[0]["count"] > count, timeout=10,
          what="the new leader's cluster controller to retry member.east")
    assert handle.raw("GET", "/api/v1/namespaces/karmada-es-member.east").status == 404
