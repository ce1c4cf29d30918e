"""The machine's kubectl works against the emulated servers unchanged, with the runbook's own commands."""

from __future__ import annotations

import json
import time

import pytest


def test_get_namespaces_lists_execution_namespaces(kubectl):
    out = kubectl("get", "namespaces").stdout
    assert out.splitlines()[0].split()[:2] == ["NAME", "STATUS"]
    assert "karmada-es-member1" in out and "Active" in out


def test_get_clusters_shows_printer_columns(kubectl):
    lines = kubectl("get", "clusters").stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "MODE", "READY", "AGE"]
    assert [line.split()[0] for line in lines[1:]] == ["member1", "member2", "member3"]
    assert all(line.split()[3] == "True" for line in lines[1:])


def test_runbook_cluster_loop_jsonpath(kubectl):
    names = kubectl("get", "clusters", "-o", "jsonpath={.items[*].metadata.name}").stdout.split()
    assert names == ["member1", "member2", "member3"]
    for name in names:
        assert kubectl("get", "namespace", f"karmada-es-{name}", check=False).returncode == 0
    missing = kubectl("get", "namespace", "karmada-es-nope", check=False)
    assert missing.returncode == 1
    assert 'namespaces "karmada-es-nope" not found' in missing.stderr


@pytest.mark.emulator
def test_events_field_selector_and_sort(fresh_emulator, kubectl_for):
    kubectl = kubectl_for(fresh_emulator)
    for index, (reason, stamp) in enumerate((("SyncWorkFailed", "2026-11-25T10:00:05Z"),
                                             ("SyncWorkSucceed", "2026-11-25T10:00:01Z"),
                                             ("SyncWorkFailed", "2026-11-25T10:00:01Z"))):
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": f"nginx-deployment.{index:x}", "namespace": "default"},
                 "involvedObject": {"kind": "ResourceBinding", "namespace": "default", "name": "nginx-deployment",
                                    "apiVersion": "work.karmada.io/v1alpha2"},
                 "reason": reason, "message": f"message {index}", "type": "Warning", "count": 1,
                 "firstTimestamp": stamp, "lastTimestamp": stamp, "source": {"component": "binding-controller"}}
        status, _headers, body = fresh_emulator.raw("POST", "/api/v1/namespaces/default/events", body=event)
        assert status == 201, body
    out = kubectl("get", "events", "-A", "--field-selector", "reason=SyncWorkFailed",
                  "--sort-by=.lastTimestamp").stdout
    rows = out.splitlines()[1:]
    assert len(rows) == 2
    assert "message 2" in rows[0] and "message 0" in rows[1]          # oldest first
    data = kubectl.json("get", "events", "-n", "default", "--field-selector",
                        "reason=SyncWorkFailed,involvedObject.kind=ResourceBinding,source=binding-controller")
    assert {e["message"] for e in data["items"]} == {"message 0", "message 2"}
    unsupported = kubectl("get", "events", "--field-selector", "color=blue", check=False)
    assert unsupported.returncode == 1 and "field label not supported: color" in unsupported.stderr


def test_controller_manager_logs_by_label(kubectl):
    result = kubectl("logs", "-n", "karmada-system", "-l", "app=karmada-controller-manager", "--tail=200",
                     context="karmada-host")
    assert "Starting karmada-controller-manager" in result.stdout
    pods = kubectl.json("get", "pods", "-n", "karmada-system", "-l", "app=karmada-controller-manager",
                        context="karmada-host")["items"]
    assert len(pods) == 2
    prefixed = kubectl("logs", "-n", "karmada-system", "-l", "app=karmada-controller-manager", "--prefix",
                       "--timestamps", "--tail=1", context="karmada-host").stdout.splitlines()
    assert sorted(line.split("/")[1] for line in prefixed) == sorted(p["metadata"]["name"] for p in pods)
    assert all(line.split()[1].endswith("Z") for line in prefixed)


@pytest.mark.emulator
def test_rollout_restart_then_status(fresh_emulator, kubectl_for):
    kubectl = kubectl_for(fresh_emulator)
    before = {p["metadata"]["name"] for p in kubectl.json(
        "get", "pods", "-n", "karmada-system", context="karmada-host")["items"]}
    kubectl("rollout", "restart", "deployment/karmada-controller-manager", "-n", "karmada-system",
            context="karmada-host")
    status = kubectl("rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system",
                     "--timeout=60s", context="karmada-host")
    assert 'deployment "karmada-controller-manager" successfully rolled out' in status.stdout
    deployment = kubectl.json("get", "deployment", "karmada-controller-manager", "-n", "karmada-system",
                              context="karmada-host")
    assert "kubectl.kubernetes.io/restartedAt" in deployment["spec"]["template"]["metadata"]["annotations"]
    assert deployment["status"]["observedGeneration"] == deployment["metadata"]["generation"] == 2
    assert deployment["status"]["updatedReplicas"] == deployment["status"]["availableReplicas"] == 2
    after = {p["metadata"]["name"] for p in kubectl.json(
        "get", "pods", "-n", "karmada-system", context="karmada-host")["items"]}
    assert len(after) == 2 and not after & before
    logs = kubectl("logs", "-n", "karmada-system", "-l", "app=karmada-controller-manager", "--tail=-1",
                   context="karmada-host")
    assert logs.stdout.count("Starting karmada-controller-manager") == 2     # fresh pods, fresh logs


@pytest.mark.emulator
def test_auth_can_i_uses_stored_rbac(fresh_emulator, kubectl_for):
    kubectl = kubectl_for(fresh_emulator)
    user = "system:karmada:karmada-controller-manager"
    denied = kubectl("auth", "can-i", "create", "works.work.karmada.io", "-n", "karmada-es-member1", "--as", user,
                     check=False)
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "work-writer"},
            "rules": [{"apiGroups": ["work.karmada.io"], "resources": ["works"], "verbs": ["create", "get"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "work-writer", "namespace": "karmada-es-member1"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "work-writer"},
               "subjects": [{"kind": "User", "name": user}]}
    assert fresh_emulator.raw("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", body=role)[0] == 201
    assert fresh_emulator.raw("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/karmada-es-member1/"
                                      "rolebindings", body=binding)[0] == 201
    allowed = kubectl("auth", "can-i", "create", "works.work.karmada.io", "-n", "karmada-es-member1", "--as", user,
                      check=False)
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "yes")
    elsewhere = kubectl("auth", "can-i", "create", "works", "-n", "karmada-es-member2", "--as", user, check=False)
    assert elsewhere.stdout.strip() == "no"
    masters = kubectl("auth", "can-i", "delete", "clusters", "--as", "someone", "--as-group", "system:masters",
                      check=False)
    assert masters.stdout.strip() == "yes"


def test_get_raw_apis_lists_karmada_groups(kubectl):
    groups = json.loads(kubectl("get", "--raw", "/apis").stdout)
    assert groups["kind"] == "APIGroupList"
    names = {g["name"] for g in groups["groups"]}
    assert {"cluster.karmada.io", "work.karmada.io", "policy.karmada.io", "apps", "rbac.authorization.k8s.io"} <= names
    work = next(g for g in groups["groups"] if g["name"] == "work.karmada.io")
    assert work["preferredVersion"]["version"] == "v1alpha2"


def test_api_resources_and_categories(kubectl):
    out = kubectl("api-resources", "--api-group=work.karmada.io").stdout
    assert "resourcebindings" in out and "rb" in out and "works" in out
    karmada = kubectl("get", "karmada-io", "-A", "-o", "name").stdout.split()
    assert "cluster.cluster.karmada.io/member1" in karmada
    assert any(name.startswith("work.work.karmada.io/nginx-687f7fb96f") for name in karmada)


@pytest.mark.emulator
def test_namespace_create_annotate_delete(fresh_emulator, kubectl_for):
    kubectl = kubectl_for(fresh_emulator)
    kubectl("create", "namespace", "karmada-es-member9")
    kubectl("label", "namespace", "karmada-es-member9", "karmada.io/system=true")
    kubectl("annotate", "cluster", "member1", "runbook.karmada.io/touched=now", "--overwrite")
    cluster = kubectl.json("get", "cluster", "member1")
    assert cluster["metadata"]["annotations"]["runbook.karmada.io/touched"] == "now"
    kubectl("delete", "namespace", "karmada-es-member9", "--wait=false")
    deadline = time.monotonic() + 10
    while kubectl("get", "namespace", "karmada-es-member9", check=False).returncode == 0:
        assert time.monotonic() < deadline, "namespace was never removed"
        time.sleep(0.1)


OVERRIDE_POLICY = """\
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: nginx-replicas
  namespace: default
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, name: nginx}
  overrideRules:
    - targetCluster: {clusterNames: [member1]}
      overriders:
        plaintext:
          - {path: /spec/replicas, operator: replace, value: REPLICAS}
"""


@pytest.mark.emulator
def test_manifests_create_apply_replace_with_server_side_validation(fresh_emulator, kubectl_for, tmp_path):
    kubectl = kubectl_for(fresh_emulator)
    manifest = tmp_path / "op.yaml"
    manifest.write_text(OVERRIDE_POLICY.replace("REPLICAS", "3"))
    assert "created" in kubectl("create", "--save-config", "-f", str(manifest)).stdout
    assert "unchanged" in kubectl("apply", "-f", str(manifest)).stdout
    manifest.write_text(OVERRIDE_POLICY.replace("REPLICAS", "4"))
    assert "configured" in kubectl("apply", "-f", str(manifest)).stdout
    policy = kubectl.json("get", "overridepolicy", "nginx-replicas", "-n", "default")
    assert policy["spec"]["overrideRules"][0]["overriders"]["plaintext"][0]["value"] == 4
    assert policy["metadata"]["generation"] == 2
    assert "replaced" in kubectl("replace", "-f", str(manifest)).stdout
    assert "deleted" in kubectl("delete", "-f", str(manifest)).stdout


@pytest.mark.emulator
def test_scale_subresource(fresh_emulator, kubectl_for):
    kubectl = kubectl_for(fresh_emulator)
    kubectl("scale", "deployment/karmada-controller-manager", "-n", "karmada-system", "--replicas=3",
            context="karmada-host")
    kubectl("rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system", "--timeout=30s",
            context="karmada-host")
    pods = kubectl.json("get", "pods", "-n", "karmada-system", context="karmada-host")["items"]
    assert len(pods) == 3


LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: team-a
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: team-a
    labels: {app: web}
  data:
    mode: fast
- apiVersion: policy.karmada.io/v1alpha1
  kind: OverridePolicy
  metadata:
    name: web-tuning
    namespace: team-a
  spec:
    resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
- apiVersion: policy.karmada.io/v1alpha1
  kind: FederatedResourceQuota
  metadata:
    name: team-a-quota
    namespace: team-a
  spec:
    overall: {cpu: "10"}
"""


@pytest.mark.emulator
def test_apply_a_list_passes_client_side_validation_against_openapi_v2(fresh_emulator, kubectl_for, tmp_path):
    # kubectl validates a kind: List itself, against GET /openapi/v2 (protobuf), before sending the items.
    kubectl = kubectl_for(fresh_emulator)
    manifest = tmp_path / "list.yaml"
    manifest.write_text(LIST)
    out = kubectl("apply", "-f", str(manifest)).stdout
    assert "namespace/team-a created" in out and "configmap/settings created" in out
    assert "overridepolicy.policy.karmada.io/web-tuning created" in out
    assert "federatedresourcequota.policy.karmada.io/team-a-quota created" in out
    assert kubectl.json("get", "configmap", "settings", "-n", "team-a")["data"] == {"mode": "fast"}
    assert "unchanged" in kubectl("apply", "-f", str(manifest)).stdout
    # The validation is real: a misspelt field is caught by kubectl before any request is made.
    manifest.write_text(LIST.replace("  data:\n", "  dta:\n"))
    bad = kubectl("apply", "-f", str(manifest), check=False)
    assert bad.returncode == 1
    assert 'unknown field "dta" in io.k8s.api.core.v1.ConfigMap' in bad.stderr
    response = fresh_emulator.raw("GET", "/openapi/v2")
    body = response.json()
    assert response.status == 200 and body["swagger"] == "2.0"
    kinds = body["definitions"]["io.karmada.policy.v1alpha1.FederatedResourceQuota"]["x-kubernetes-group-version-kind"]
    assert kinds == [{"group": "policy.karmada.io", "kind": "FederatedResourceQuota", "version": "v1alpha1"}]
