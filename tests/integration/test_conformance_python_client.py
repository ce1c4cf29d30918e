"""The official ``kubernetes`` Python client (what kubernetes.core uses) accepts the emulator unchanged."""

from __future__ import annotations

import json

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.emulator


@pytest.fixture
def api(fresh_emulator):
    return config.new_client_from_config(fresh_emulator.kubeconfig, context="karmada-apiserver")


@pytest.fixture
def host_api(fresh_emulator):
    return config.new_client_from_config(fresh_emulator.kubeconfig, context="karmada-host")


def _status(exc):
    return exc.status, json.loads(exc.body)


def test_pagination_with_limit_and_continue(api):
    core = client.CoreV1Api(api)
    for index in range(7):
        core.create_namespace({"metadata": {"name": f"page-{index}"}})
    everything = [n.metadata.name for n in core.list_namespace().items]
    seen, token, pages = [], None, 0
    while True:
        page = core.list_namespace(limit=4, _continue=token)
        pages += 1
        seen += [n.metadata.name for n in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == len(everything) - len(seen)
    assert seen == everything and pages == (len(everything) + 3) // 4
    labelled = core.list_namespace(label_selector="kubernetes.io/metadata.name in (page-1,page-5)", limit=1)
    assert [n.metadata.name for n in labelled.items] == ["page-1"] and labelled.metadata._continue


def test_expired_continue_token_is_410_gone(api, fresh_emulator):
    core = client.CoreV1Api(api)
    first = core.list_namespace(limit=2)
    fresh_emulator.control("POST", "compact")
    with pytest.raises(ApiException) as caught:
        core.list_namespace(limit=2, _continue=first.metadata._continue)
    status, body = _status(caught.value)
    assert status == 410 and body["reason"] == "Expired"
    assert "continue parameter is too old" in body["message"]


def test_dry_run_answers_but_stores_nothing(api, fresh_emulator):
    core = client.CoreV1Api(api)
    mark = fresh_emulator.mark()
    created = core.create_namespace({"metadata": {"name": "karmada-es-dry"}}, dry_run="All")
    assert created.metadata.name == "karmada-es-dry" and created.status.phase == "Active"
    with pytest.raises(ApiException) as caught:
        core.read_namespace("karmada-es-dry")
    assert caught.value.status == 404
    writes = [r for r in fresh_emulator.requests_since(mark) if r["verb"] == "create"]
    assert len(writes) == 1 and writes[0]["dry_run"] is True


def test_status_errors_parse_with_real_texts(api):
    core = client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)
    with pytest.raises(ApiException) as caught:
        core.read_namespace("karmada-es-gone")
    assert _status(caught.value)[0] == 404
    assert _status(caught.value)[1]["message"] == 'namespaces "karmada-es-gone" not found'

    work = {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": {"name": "nginx-687f7fb96f"},
            "spec": {"workload": {"manifests": []}}}
    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object("work.karmada.io", "v1alpha1", "karmada-es-member9", "works", work)
    status, body = _status(caught.value)
    assert (status, body["reason"], body["message"]) == (404, "NotFound", 'namespaces "karmada-es-member9" not found')

    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object("work.karmada.io", "v1alpha1", "karmada-es-member1", "works", work)
    status, body = _status(caught.value)
    assert (status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'works.work.karmada.io "nginx-687f7fb96f" already exists'

    core.create_namespace({"metadata": {"name": "karmada-es-leaving"}})
    custom.create_namespaced_custom_object("work.karmada.io", "v1alpha1", "karmada-es-leaving", "works",
                                           dict(work, metadata={"name": "stuck",
                                                                "finalizers": ["karmada.io/execution-controller"]}))
    core.delete_namespace("karmada-es-leaving")
    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object("work.karmada.io", "v1alpha1", "karmada-es-leaving", "works", work)
    status, body = _status(caught.value)
    assert (status, body["reason"]) == (403, "Forbidden")
    assert body["message"] == ('works.work.karmada.io "nginx-687f7fb96f" is forbidden: unable to create new content '
                               "in namespace karmada-es-leaving because it is being terminated")
    assert core.read_namespace("karmada-es-leaving").status.phase == "Terminating"

    with pytest.raises(ApiException) as caught:
        core.create_namespace({"metadata": {"name": "Karmada_ES"}})
    status, body = _status(caught.value)
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "metadata.name"


def test_stale_update_conflicts(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "settings"}, "data": {"a": "1"}})
    first = core.read_namespaced_config_map("settings", "default")
    second = core.read_namespaced_config_map("settings", "default")
    first.data = {"a": "2"}
    updated = core.replace_namespaced_config_map("settings", "default", first)
    assert int(updated.metadata.resource_version) > int(second.metadata.resource_version)
    second.data = {"a": "3"}
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_config_map("settings", "default", second)
    status, body = _status(caught.value)
    assert (status, body["reason"]) == (409, "Conflict")
    assert "the object has been modified" in body["message"]


def test_patch_flavours(api):
    apps = client.AppsV1Api(api)
    custom = client.CustomObjectsApi(api)
    patched = apps.patch_namespaced_deployment("nginx", "default", {"spec": {"replicas": 5}})
    assert patched.spec.replicas == 5 and patched.metadata.generation == 2
    cluster = custom.patch_cluster_custom_object("cluster.karmada.io", "v1alpha1", "clusters", "member1",
                                                 {"metadata": {"labels": {"tier": "gold"}}})
    assert cluster["metadata"]["labels"] == {"tier": "gold"}
    api.set_default_header("Content-Type", "application/json-patch+json")
    core = client.CoreV1Api(api)
    ns = core.patch_namespace("default", [{"op": "add", "path": "/metadata/annotations", "value": {"x": "y"}}])
    assert ns.metadata.annotations == {"x": "y"}


def test_watch_streams_changes(host_api):
    core = client.CoreV1Api(host_api)
    pods = core.list_namespaced_pod("karmada-system")
    stream = watch.Watch()
    core.delete_namespaced_pod(pods.items[0].metadata.name, "karmada-system")
    events = []
    for event in stream.stream(core.list_namespaced_pod, "karmada-system",
                               resource_version=pods.metadata.resource_version, timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name))
        if any(kind == "ADDED" for kind, _name in events):
            stream.stop()
    assert ("DELETED", pods.items[0].metadata.name) in events     # the pod we deleted
    assert any(kind == "ADDED" for kind, _name in events), events       # and the replacement the ReplicaSet made


def test_pod_log_parameters(host_api):
    core = client.CoreV1Api(host_api)
    pod = core.list_namespaced_pod("karmada-system", label_selector="app=karmada-controller-manager").items[0]
    name = pod.metadata.name
    full = core.read_namespaced_pod_log(name, "karmada-system")
    lines = full.splitlines()
    assert lines and "Starting karmada-controller-manager" in full
    assert core.read_namespaced_pod_log(name, "karmada-system", tail_lines=2).splitlines() == lines[-2:]
    stamped = core.read_namespaced_pod_log(name, "karmada-system", timestamps=True, tail_lines=1)
    assert stamped.split(" ", 1)[1].rstrip("\n") == lines[-1] and stamped.split(" ", 1)[0].endswith("Z")
    assert core.read_namespaced_pod_log(name, "karmada-system", limit_bytes=10) == full[:10]
    assert core.read_namespaced_pod_log(name, "karmada-system", since_seconds=7 * 3600) == full   # pod is 6h old
    recent = core.read_namespaced_pod_log(name, "karmada-system", since_seconds=3600)
    assert full.endswith(recent) and "Starting karmada-controller-manager" not in recent
    assert core.read_namespaced_pod_log(name, "karmada-system", container="karmada-controller-manager") == full
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log(name, "karmada-system", previous=True)
    assert caught.value.status == 400 and "previous terminated container" in caught.value.body
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log(name, "karmada-system", container="sidecar")
    assert caught.value.status == 400
    streamed = core.read_namespaced_pod_log(name, "karmada-system", _preload_content=False)
    assert b"".join(streamed.stream()) == full.encode()
