"""Pure pieces of the emulator, checked against the behaviour of the real implementations."""

from __future__ import annotations

import pytest

from tests.emulator import clock
from tests.emulator.errors import ApiError
from tests.emulator.karmada.names import binding_name, cluster_of, execution_space, work_name
from tests.emulator.patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from tests.emulator.resources import EVENT, NAMESPACE, WORK
from tests.emulator.selectors import field_matches, label_matches, parse_field_selector, parse_label_selector
from tests.emulator.store import Store


def test_work_and_binding_names_match_karmada():
    assert work_name("Deployment", "nginx", "default") == "nginx-687f7fb96f"     # Karmada's documented example
    assert binding_name("Deployment", "nginx") == "nginx-deployment"
    assert execution_space("member1") == "karmada-es-member1"
    assert cluster_of("karmada-es-member1") == "member1"
    with pytest.raises(ValueError, match="wrong format"):
        cluster_of("default")


@pytest.mark.parametrize("kind, name, namespace", [
    ("Deployment", "nginx", "default"),
    ("ClusterRole", "system:controller:foo", ""),          # RBAC names: ':' becomes '.' before the hash
    ("RoleBinding", "System:Auth-Reader", "kube-system"),  # and upper case is lowered first too
    ("Pods", "work:pod", "default"),                       # the case in Karmada's own names_test.go
])
def test_emulator_and_collection_name_works_alike(kind, name, namespace):
    # The emulator names the Works it creates; binding_status looks them up by the name it computes.
    # If the two disagreed, a binding with a ':' in its name would look like it had no Work.
    from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import work_name as collection_work_name
    assert work_name(kind, name, namespace) == collection_work_name(kind, name, namespace or None)


@pytest.mark.parametrize("selector,labels,expected", [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "api"}, False),
    ("app!=web", {}, True),
    ("app in (web, api),tier notin (db)", {"app": "api", "tier": "fe"}, True),
    ("app in (web, api),tier notin (db)", {"app": "api", "tier": "db"}, False),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("app.kubernetes.io/name=karmada-controller-manager", {"app.kubernetes.io/name": "karmada-controller-manager"},
     True),
])
def test_label_selectors(selector, labels, expected):
    assert label_matches(parse_label_selector(selector), labels) is expected


def test_label_selector_syntax_error_is_400():
    with pytest.raises(ApiError) as caught:
        parse_label_selector("app in web")
    assert caught.value.code == 400


def test_event_field_selectors():
    event = {"metadata": {"name": "e", "namespace": "default"}, "reason": "SyncWorkFailed", "type": "Warning",
             "involvedObject": {"kind": "ResourceBinding", "name": "nginx-deployment"},
             "source": {"component": "binding-controller"}}
    assert field_matches(parse_field_selector("reason=SyncWorkFailed,source=binding-controller", EVENT), event)
    assert not field_matches(parse_field_selector("involvedObject.kind!=ResourceBinding", EVENT), event)
    with pytest.raises(ApiError, match="field label not supported: reason"):
        parse_field_selector("reason=x", NAMESPACE)


def test_merge_and_strategic_merge_patch():
    pod = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]},
           "metadata": {"labels": {"x": "1", "y": "2"}}}
    assert merge_patch(pod, {"metadata": {"labels": {"x": None}}})["metadata"]["labels"] == {"y": "2"}
    merged = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "b", "image": "2"}],
                                                  "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]}})
    assert merged["spec"]["containers"] == [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]
    deleted = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}})
    assert [c["name"] for c in deleted["spec"]["containers"]] == ["b"]
    assert merge_patch(pod, {"spec": {"containers": [{"name": "c"}]}})["spec"]["containers"] == [{"name": "c"}]


def test_json_patch_errors_read_like_evanphx():
    doc = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "nginx"}]}}}}
    assert json_patch(doc, [{"op": "replace", "path": "/spec/replicas", "value": 3}])["spec"]["replicas"] == 3
    assert json_patch(doc, [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"image": "x"}}])[
        "spec"]["template"]["spec"]["containers"][1] == {"image": "x"}
    with pytest.raises(PatchError) as caught:
        json_patch(doc, [{"op": "replace", "path": "/spec/paused", "value": True}])
    assert str(caught.value) == "replace operation does not apply: doc is missing key: /spec/paused: missing value"
    with pytest.raises(PatchError) as caught:
        json_patch(doc, [{"op": "add", "path": "/metadata/labels/app", "value": "x"}])
    assert str(caught.value) == 'add operation does not apply: doc is missing path: "/metadata/labels/app": ' \
                                "missing value"
    with pytest.raises(PatchError) as caught:
        json_patch(doc, [{"op": "remove", "path": "/spec/selector"}])
    assert str(caught.value) == ("error in remove for path: '/spec/selector': unable to remove nonexistent key: "
                                 "selector: missing value")
    assert doc["spec"]["replicas"] == 1             # the input is never modified


def test_store_generation_moves_only_on_spec_changes():
    store = Store()
    store.create(NAMESPACE, {"metadata": {"name": "karmada-es-a"}})
    work = store.create(WORK, {"metadata": {"name": "w", "namespace": "karmada-es-a"}, "spec": {"a": 1}})
    assert work["metadata"]["generation"] == 1
    labelled = store.patch(WORK, "karmada-es-a", "w", lambda o: merge_patch(o, {"metadata": {"labels": {"x": "1"}}}))
    assert labelled["metadata"]["generation"] == 1
    assert int(labelled["metadata"]["resourceVersion"]) > int(work["metadata"]["resourceVersion"])
    changed = store.patch(WORK, "karmada-es-a", "w", lambda o: merge_patch(o, {"spec": {"a": 2}}))
    assert changed["metadata"]["generation"] == 2
    status_only = store.patch(WORK, "karmada-es-a", "w", lambda o: merge_patch(o, {"status": {"x": 1}}))
    assert "status" not in status_only                # status subresource: main endpoint ignores it


def test_store_pagination_is_stable_across_deletes():
    store = Store()
    for index in range(10):
        store.create(NAMESPACE, {"metadata": {"name": f"ns-{index}"}})
    first, _version, token, remaining = store.list(NAMESPACE, limit=4)
    assert [n["metadata"]["name"] for n in first] == [f"ns-{i}" for i in range(4)] and remaining == 6
    store.delete(NAMESPACE, "", "ns-1")          # already returned: no effect on the next page
    second, _version, token, _remaining = store.list(NAMESPACE, limit=4, continue_token=token)
    assert [n["metadata"]["name"] for n in second] == [f"ns-{i}" for i in range(4, 8)]


def test_short_durations_like_kubectl():
    assert [clock.short_duration(s) for s in (5, 125, 3600 * 5 + 60, 86400 * 3)] == ["5s", "2m5s", "5h1m", "3d"]
