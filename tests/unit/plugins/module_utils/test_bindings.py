# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Binding sync state: Karmada's Work names, target clusters, and which bindings lack which Works."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _bindings
from ansible_collections.karmada.runbooks.plugins.module_utils._bindings import (
    WorkIndex,
    binding_finding,
    is_fully_applied,
    summarize,
    target_clusters,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_RESOURCE_BINDINGS,
    RESOURCE_BINDINGS,
    WORKS,
    fnv32a,
    safe_encode,
    work_name,
)


@pytest.mark.parametrize("text, expected", [
    # FNV-1a 32-bit reference vectors (offset basis for the empty string).
    ("", 0x811C9DC5),
    ("a", 0xE40C292C),
    ("foobar", 0xBF9CF968),
])
def test_fnv32a_reference_vectors(text, expected):
    assert fnv32a(text) == expected


def test_safe_encode_maps_each_byte_onto_the_alphabet():
    # '0' is byte 48 -> 48 % 27 = 21 -> '4'; 'b' (98) -> 98 % 27 = 17 -> 'w'
    assert safe_encode("0b") == "4w"


@pytest.mark.parametrize("kind, name, namespace, expected", [
    # Karmada's documentation: the Work of Deployment default/nginx.
    ("Deployment", "nginx", "default", "nginx-687f7fb96f"),
    # Seen in the emulator's execution namespaces (its names follow the same rule).
    ("Deployment", "api", "default", "api-77b9dc7f49"),
    ("Deployment", "web", "default", "web-7b7cc5b9ff"),
    ("Deployment", "cart", "shop", "cart-7b8f6bb9d6"),
    ("ClusterRole", "config-reader", None, "config-reader-5b5597d498"),
])
def test_work_name_matches_karmada(kind, name, namespace, expected):
    assert work_name(kind, name, namespace) == expected


def test_work_name_is_case_insensitive_in_the_hash_and_lower_case():
    assert work_name("Deployment", "NGINX", "Default") == "nginx-687f7fb96f"


def test_work_name_replaces_colons_for_rbac_names():
    name = work_name("ClusterRole", "system:aggregate-to-view", None)
    assert name.startswith("system.aggregate-to-view-")
    assert name == work_name("clusterrole", "system.aggregate-to-view", None)


def test_work_name_depends_on_namespace():
    assert work_name("Deployment", "nginx", "default") != work_name("Deployment", "nginx", "shop")


def _binding(name, clusters, applied=None, namespace="default", kind="Deployment", required_by=(), labels=None,
             aggregated=()):
    conditions = [{"type": "Scheduled", "status": "True"}]
    if applied is not None:
        conditions.append({"type": "FullyApplied", "status": "True" if applied else "False",
                           "reason": "FullyAppliedSuccess" if applied else "FullyAppliedFailed",
                           "message": "ok" if applied else "Failed to apply all works, see status.aggregatedStatus for details",
                           "lastTransitionTime": "2026-11-25T14:49:19Z"})
    meta = {"name": "%s-%s" % (name, kind.lower()), "labels": labels or {}}
    resource = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    if namespace:
        meta["namespace"] = namespace
        resource["namespace"] = namespace
    return {"kind": "ResourceBinding" if namespace else "ClusterResourceBinding", "metadata": meta,
            "spec": {"resource": resource, "clusters": [{"name": c} for c in clusters],
                     "requiredBy": [{"name": "dep", "clusters": [{"name": c} for c in r]} for r in required_by]},
            "status": {"conditions": conditions,
                       "aggregatedStatus": [{"clusterName": c, "applied": ok} for c, ok in aggregated]}}


def _work(namespace, name, labels=None):
    return {"metadata": {"namespace": namespace, "name": name, "labels": labels or {}}}


def test_target_clusters_merge_required_by_without_duplicates():
    binding = _binding("nginx", ["member1", "member2"], required_by=[["member2", "member3"]])
    assert target_clusters(binding) == ["member1", "member2", "member3"]


def test_fully_applied_needs_the_condition_true():
    assert is_fully_applied(_binding("nginx", ["m1"], applied=True))
    assert not is_fully_applied(_binding("nginx", ["m1"], applied=False))
    assert not is_fully_applied(_binding("nginx", ["m1"]))


def test_summary_names_the_clusters_without_work():
    bindings = [_binding("nginx", ["member1", "member2", "member3"], applied=False,
                         aggregated=[("member1", True), ("member2", False), ("member3", True)]),
                _binding("web", ["member1", "member2"], applied=True),
                _binding("idle", [], applied=None)]
    works = WorkIndex([_work("karmada-es-member1", "nginx-687f7fb96f"), _work("karmada-es-member3", "nginx-687f7fb96f"),
                       _work("karmada-es-member2", "web-7b7cc5b9ff"), _work("default", "nginx-687f7fb96f")])
    summary = summarize(bindings, works)
    assert summary["bindings"] == 3
    assert summary["scheduled"] == 2
    assert summary["works"] == 3  # only execution namespaces count
    assert summary["not_fully_applied_total"] == 1
    item = summary["not_fully_applied"][0]
    assert (item["kind"], item["namespace"], item["name"]) == ("ResourceBinding", "default", "nginx-deployment")
    assert item["clusters_without_work"] == ["member2"]
    assert item["clusters_not_applied"] == ["member2"]
    assert item["work_name"] == "nginx-687f7fb96f"
    assert summary["clusters_without_work"] == ["member2"]


def test_permanent_id_label_joins_a_work_with_an_unexpected_name():
    label = {"resourcebinding.karmada.io/permanent-id": "8704d8f3"}
    binding = _binding("nginx", ["member1"], applied=False, labels=label)
    works = WorkIndex([_work("karmada-es-member1", "renamed-work", labels=label)])
    assert summarize([binding], works)["not_fully_applied"][0]["clusters_without_work"] == []


def test_binding_without_condition_yet_counts_as_not_fully_applied():
    summary = summarize([_binding("nginx", ["member1"])], WorkIndex([]))
    assert summary["not_fully_applied"][0]["reason"] == "FullyAppliedUnknown"
    assert summary["not_fully_applied"][0]["clusters_without_work"] == ["member1"]


def test_cluster_scoped_binding_uses_the_cluster_scoped_work_name():
    binding = _binding("config-reader", ["member1"], applied=False, namespace=None, kind="ClusterRole")
    works = WorkIndex([_work("karmada-es-member1", "config-reader-5b5597d498")])
    item = summarize([binding], works)["not_fully_applied"][0]
    assert item["kind"] == "ClusterResourceBinding"
    assert item["namespace"] == ""
    assert item["clusters_without_work"] == []


def test_finding_warns_with_evidence_and_no_signal():
    bindings = [_binding(n, ["member1", "member2"], applied=False) for n in ("nginx", "web", "api")]
    works = WorkIndex([_work("karmada-es-member1", work_name("Deployment", n, "default")) for n in ("nginx", "web", "api")])
    result = binding_finding(summarize(bindings, works))
    assert result["id"] == "binding_status" and result["runbook_step"] == 8
    assert result["status"] == "warn"
    assert result["signals"] == []
    assert "3 of 3 scheduled bindings are not fully applied; 3 lack Works on member2" in result["summary"]
    assert any("no Work nginx-687f7fb96f in karmada-es-member2" in e["text"] for e in result["evidence"])


def test_finding_ok_when_everything_is_applied():
    result = binding_finding(summarize([_binding("nginx", ["member1"], applied=True)], WorkIndex()))
    assert result["status"] == "ok"
    assert result["details"]["works"] is None  # Works were not needed, so not listed


def _bound(binding):
    """A binding as the API lists it: without the kind the check adds."""
    return {k: v for k, v in binding.items() if k != "kind"}


def test_observe_lists_works_only_when_a_binding_is_not_fully_applied(fake_kube):
    settled = fake_kube(lists={RESOURCE_BINDINGS: [_bound(_binding("nginx", ["member1"], applied=True))]})
    seen = _bindings.observe(settled)
    assert [call[1] for call in settled.calls] == [RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS]
    assert seen["works"].loaded is False and seen["list_requests"] == 2

    unsettled = fake_kube(lists={
        RESOURCE_BINDINGS: [_bound(_binding("nginx", ["member1", "member2"], applied=False))],
        CLUSTER_RESOURCE_BINDINGS: [_bound(_binding("config-reader", ["member1"], applied=True, namespace=None, kind="ClusterRole"))],
        WORKS: [_work("karmada-es-member1", "nginx-687f7fb96f")]})
    seen = _bindings.observe(unsettled)
    assert [b["kind"] for b in seen["bindings"]] == ["ResourceBinding", "ClusterResourceBinding"]
    assert seen["works"].count == 1 and seen["list_requests"] == 3


def test_check_is_assess_of_observe_and_the_module_return_value(fake_kube):
    client = fake_kube(lists={RESOURCE_BINDINGS: [_bound(_binding("nginx", ["member1", "member2"], applied=False))],
                              WORKS: [_work("karmada-es-member1", "nginx-687f7fb96f")]})
    result = _bindings.check(client)
    assert result["status"] == "warn" and result["details"]["list_requests"] == 3
    assert [i["clusters_without_work"] for i in _bindings.not_fully_applied(result)] == [["member2"]]
    assert _bindings.not_fully_applied({"status": "unknown", "details": {}}) == []
