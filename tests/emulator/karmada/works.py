"""The Work object the binding controller writes for one binding and one member cluster (ensureWork)."""

from __future__ import annotations

import copy

from .names import execution_space, work_name

RB_ID = "resourcebinding.karmada.io/permanent-id"
CRB_ID = "clusterresourcebinding.karmada.io/permanent-id"


def permanent_id_label(binding):
    return RB_ID if binding["kind"] == "ResourceBinding" else CRB_ID


def binding_annotations(binding):
    meta = binding["metadata"]
    if binding["kind"] == "ResourceBinding":
        return {"resourcebinding.karmada.io/name": meta["name"], "resourcebinding.karmada.io/namespace":
                meta["namespace"]}
    return {"clusterresourcebinding.karmada.io/name": meta["name"]}


def target_clusters(binding):
    """spec.clusters merged with spec.requiredBy[*].clusters, first occurrence wins."""
    spec = binding.get("spec", {})
    names = [c["name"] for c in spec.get("clusters") or []]
    for required in spec.get("requiredBy") or []:
        names += [c["name"] for c in required.get("clusters") or []]
    return list(dict.fromkeys(names))


def work_for(workload, binding, cluster, applied_overrides=()):
    """The desired Work (without status) for a workload already overridden for this cluster."""
    meta = workload["metadata"]
    label = permanent_id_label(binding)
    permanent_id = binding["metadata"]["labels"][label]
    name = work_name(workload["kind"], meta["name"], meta.get("namespace", ""))
    manifest = copy.deepcopy({k: v for k, v in workload.items() if k != "status"})
    manifest["metadata"] = {
        "name": meta["name"],
        **({"namespace": meta["namespace"]} if meta.get("namespace") else {}),
        "labels": dict(meta.get("labels") or {}, **{"karmada.io/managed": "true", label: permanent_id}),
        "annotations": dict(meta.get("annotations") or {}, **{
            "resourcetemplate.karmada.io/uid": meta["uid"],
            "resourcetemplate.karmada.io/generation": str(meta.get("generation", 1)),
            "work.karmada.io/name": name, "work.karmada.io/namespace": execution_space(cluster),
            **binding_annotations(binding)})}
    annotations = dict(binding_annotations(binding))
    annotations["work.karmada.io/conflict-resolution"] = (
        binding.get("spec", {}).get("conflictResolution", "Abort").lower())
    namespaced = [f"{ns}/{n}" for kind, ns, n in applied_overrides if kind == "OverridePolicy"]
    cluster_wide = [n for kind, _ns, n in applied_overrides if kind == "ClusterOverridePolicy"]
    if namespaced:
        annotations["policy.karmada.io/applied-overrides"] = ",".join(namespaced)
    if cluster_wide:
        annotations["policy.karmada.io/applied-cluster-overrides"] = ",".join(cluster_wide)
    return {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work",
            "metadata": {"name": name, "namespace": execution_space(cluster),
                         "finalizers": ["karmada.io/execution-controller"],
                         "labels": {label: permanent_id}, "annotations": annotations},
            "spec": {"workload": {"manifests": [manifest]}}}
