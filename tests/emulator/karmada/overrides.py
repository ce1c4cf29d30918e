"""Karmada's override manager: which (Cluster)OverridePolicies match a workload and cluster, and applying them.

Plaintext overriders go through JSON patch, so a path that does not exist in the workload fails with
the same text as Karmada's evanphx/json-patch, and the failing policy is named.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from ..patch import PatchError, json_patch
from ..resources import CLUSTER_OVERRIDE_POLICY, OVERRIDE_POLICY
from ..selectors import label_matches


@dataclass
class OverrideFailure(Exception):
    policy_kind: str        # OverridePolicy or ClusterOverridePolicy
    namespace: str
    name: str
    message: str

    def __str__(self):
        return self.message


def _selector_requirements(label_selector):
    requirements = [(k, "=", {v}) for k, v in (label_selector.get("matchLabels") or {}).items()]
    for expression in label_selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}[expression["operator"]]
        requirements.append((expression["key"], op, set(expression.get("values") or [])))
    return requirements


def _selector_priority(selector, workload):
    """0 = no match; higher = more specific (name > labels > kind-wide), like Karmada's implicit priority."""
    meta = workload["metadata"]
    if selector.get("apiVersion") != workload["apiVersion"] or selector.get("kind") != workload["kind"]:
        return 0
    if selector.get("namespace") and selector["namespace"] != meta.get("namespace", ""):
        return 0
    if selector.get("name"):
        return 3 if selector["name"] == meta["name"] else 0
    if selector.get("labelSelector"):
        return 2 if label_matches(_selector_requirements(selector["labelSelector"]), meta.get("labels")) else 0
    return 1


def policy_priority(policy, workload):
    selectors = policy.get("spec", {}).get("resourceSelectors") or []
    if not selectors:
        return 1                       # match-all: lowest priority
    return max((_selector_priority(s, workload) for s in selectors), default=0)


def cluster_matches(affinity, cluster):
    if not affinity:
        return True
    name = cluster["metadata"]["name"]
    if name in (affinity.get("exclude") or []):
        return False
    if affinity.get("clusterNames") and name not in affinity["clusterNames"]:
        return False
    if affinity.get("labelSelector") and not label_matches(_selector_requirements(affinity["labelSelector"]),
                                                           cluster["metadata"].get("labels")):
        return False
    return True


def _rules(policy):
    spec = policy.get("spec", {})
    rules = list(spec.get("overrideRules") or [])
    if spec.get("overriders"):
        rules.append({"targetCluster": spec.get("targetCluster"), "overriders": spec["overriders"]})
    return rules


def _apply_overriders(workload, overriders):
    for item in overriders.get("labelsOverrider") or []:
        _apply_map(workload["metadata"].setdefault("labels", {}), item)
    for item in overriders.get("annotationsOverrider") or []:
        _apply_map(workload["metadata"].setdefault("annotations", {}), item)
    for item in overriders.get("imageOverrider") or []:
        predicate = (item.get("predicate") or {}).get("path")
        if predicate is not None and not predicate.startswith("/"):
            raise PatchError("imagePath should be start with / character")
    operations = [{"op": p.get("operator"), "path": p.get("path"), **({"value": p["value"]} if "value" in p else {})}
                  for p in overriders.get("plaintext") or []]
    return json_patch(workload, operations) if operations else workload


def _apply_map(target, item):
    operator, values = item.get("operator"), item.get("value") or {}
    for key, value in values.items():
        if operator == "remove":
            target.pop(key, None)
        elif operator == "add" or (operator == "replace" and key in target):
            target[key] = value


def matching_policies(store, workload, cluster):
    """[(kind, policy)] in the order Karmada applies them: cluster-wide first, then namespaced."""
    ordered = []
    for rtype, namespace in ((CLUSTER_OVERRIDE_POLICY, None), (OVERRIDE_POLICY, workload["metadata"].get("namespace"))):
        if rtype is OVERRIDE_POLICY and not namespace:
            continue
        candidates = []
        for policy in store.items(rtype, namespace):
            priority = policy_priority(policy, workload)
            if priority and any(cluster_matches(rule.get("targetCluster"), cluster) for rule in _rules(policy)):
                candidates.append((priority, policy["metadata"]["name"], policy))
        ordered += [(rtype.kind, candidate[2]) for candidate in sorted(candidates, key=lambda c: (c[0], c[1]))]
    return ordered


def apply_overrides(store, workload, cluster):
    """(overridden workload, [applied policy names]); raises OverrideFailure naming the policy that broke."""
    result = copy.deepcopy(workload)
    applied = []
    for kind, policy in matching_policies(store, workload, cluster):
        meta = policy["metadata"]
        for rule in _rules(policy):
            if not cluster_matches(rule.get("targetCluster"), cluster):
                continue
            try:
                result = _apply_overriders(result, rule.get("overriders") or {})
            except PatchError as exc:
                raise OverrideFailure(kind, meta.get("namespace", ""), meta["name"], str(exc)) from None
        applied.append((kind, meta.get("namespace", ""), meta["name"]))
    return result, applied


# -- the applied-overrides annotations --------------------------------------------------------------------
# Karmada v1.18.2 pkg/controllers/binding/common.go RecordAppliedOverrides writes
# util.AppliedClusterOverrides / util.AppliedOverrides ("policy.karmada.io/applied-cluster-overrides",
# "policy.karmada.io/applied-overrides") as overridemanager.AppliedOverrides.MarshalJSON()
# (pkg/util/overridemanager/shadow.go): json.Marshal of []OverridePolicyShadow{policyName, overriders},
# one item per matching rule (appliedList.Add(p.name, p.overriders)), sorted by policyName; no annotation
# when nothing applied.
APPLIED_OVERRIDES = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES = "policy.karmada.io/applied-cluster-overrides"
# policyv1alpha1.Overriders field order (pkg/apis/policy/v1alpha1/override_types.go), all omitempty.
_OVERRIDER_FIELDS = ("plaintext", "imageOverrider", "commandOverrider", "argsOverrider", "labelsOverrider",
                     "annotationsOverrider", "fieldOverrider")


def go_json(value):
    """encoding/json's compact output, including its HTML escaping of <, > and &."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _shadow_overriders(overriders):
    out = {}
    for field in _OVERRIDER_FIELDS:
        items = overriders.get(field) or []
        if not items:
            continue
        if field == "plaintext":
            # PlaintextOverrider{path, operator, value apiextensionsv1.JSON}: an empty JSON marshals as null.
            items = [{"path": p.get("path", ""), "operator": p.get("operator", ""), "value": p.get("value")}
                     for p in items]
        out[field] = items
    return out


def applied_shadows(store, workload, cluster):
    """({kind: [OverridePolicyShadow dicts]}) of the rules that apply, as the override manager records them."""
    shadows = {"ClusterOverridePolicy": [], "OverridePolicy": []}
    for kind, policy in matching_policies(store, workload, cluster):
        for rule in _rules(policy):
            if cluster_matches(rule.get("targetCluster"), cluster):
                shadows[kind].append({"policyName": policy["metadata"]["name"],
                                      "overriders": _shadow_overriders(rule.get("overriders") or {})})
    return {kind: sorted(items, key=lambda item: item["policyName"]) for kind, items in shadows.items()}


def record_applied_overrides(work, store, workload, cluster):
    """Set a Work's applied-(cluster-)overrides annotations to the JSON Karmada v1.18.2 writes."""
    annotations = work["metadata"].setdefault("annotations", {})
    shadows = applied_shadows(store, workload, cluster) if cluster is not None else {}
    for kind, key in (("ClusterOverridePolicy", APPLIED_CLUSTER_OVERRIDES), ("OverridePolicy", APPLIED_OVERRIDES)):
        if shadows.get(kind):
            annotations[key] = go_json(shadows[kind])
        else:
            annotations.pop(key, None)
    return work
