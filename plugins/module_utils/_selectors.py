# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which override policy selects which resource template, on which cluster, in which order.

Karmada's override manager (pkg/util/overridemanager) takes the ClusterOverridePolicies first, then
the OverridePolicies of the template's namespace; within each group it orders the policies by how
strongly one of their resource selectors matches the template (match-all before label match
before name match, util.ImplicitPriority) and then by name, and keeps each rule whose
``targetCluster`` affinity matches the cluster. This module does the same matching: label
selectors (metav1.LabelSelector), resource selectors, ClusterAffinity (names, exclude, label and
field selectors) and the resulting application order. It also names policies the way Karmada's
events do.

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import COP_KIND, OP_KIND

# ResourceSelector match strength (Karmada util.ImplicitPriority): a policy that names the template
# is applied last, so its values win over label-selector and match-all policies.
MISMATCH, MATCH_ALL, MATCH_LABELS, MATCH_NAME = 0, 1, 2, 3


def _requirement_matches(operator, present, value, values):
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return None


def label_selector_matches(selector, labels):
    """metav1.LabelSelector semantics; an invalid selector matches nothing, as in Karmada."""
    labels = labels or {}
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        matched = _requirement_matches(expression.get("operator"), key in labels, labels.get(key),
                                       expression.get("values") or [])
        if not matched:
            return False
    return True


def selector_priority(selector, resource):
    """How strongly one ResourceSelector matches ``resource`` (MISMATCH .. MATCH_NAME).

    ``resource``: {apiVersion, kind, namespace, name, labels}. ``labels`` None means "not known
    yet": a label selector is then taken to match, which is what planning which templates to fetch
    needs.
    """
    if selector.get("apiVersion") != resource.get("apiVersion") or selector.get("kind") != resource.get("kind"):
        return MISMATCH
    if selector.get("namespace") and selector["namespace"] != (resource.get("namespace") or ""):
        return MISMATCH
    if selector.get("name"):
        return MATCH_NAME if selector["name"] == resource.get("name") else MISMATCH
    if selector.get("labelSelector") is None:
        return MATCH_ALL
    if resource.get("labels") is None:
        return MATCH_LABELS
    return MATCH_LABELS if label_selector_matches(selector["labelSelector"], resource["labels"]) else MISMATCH


def policy_priority(policy, resource):
    """A policy's match strength for ``resource``; no selectors at all match every resource."""
    kind, namespace, _name = policy_key(policy)
    if kind == OP_KIND and namespace != (resource.get("namespace") or ""):
        # An OverridePolicy only ever applies to templates of its own namespace.
        return MISMATCH
    selectors = (policy.get("spec") or {}).get("resourceSelectors") or []
    if not selectors:
        return MATCH_ALL
    return max(selector_priority(s, resource) for s in selectors)


def _field_requirement(expression, fields):
    key = expression.get("key")
    operator = expression.get("operator")
    values = expression.get("values") or []
    if operator in ("Gt", "Lt"):
        try:
            have, want = int(fields[key]), int(values[0])
        except (KeyError, IndexError, TypeError, ValueError):
            return False
        return have > want if operator == "Gt" else have < want
    return bool(_requirement_matches(operator, key in fields, fields.get(key), values))


def _zones_match(expression, zones):
    operator, values = expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return any(zone in values for zone in zones)
    if operator == "NotIn":
        return not any(zone in values for zone in zones)
    if operator == "Exists":
        return bool(zones)
    if operator == "DoesNotExist":
        return not zones
    return False


def cluster_matches(affinity, cluster):
    """Karmada ClusterAffinity semantics: exclude wins; label selector, field selector and names must
    all match where given; an empty affinity matches every cluster."""
    meta = cluster.get("metadata") or {}
    name = meta.get("name")
    if name in (affinity.get("exclude") or []):
        return False
    selector = affinity.get("labelSelector")
    if selector is not None and not label_selector_matches(selector, meta.get("labels")):
        return False
    spec = cluster.get("spec") or {}
    fields = {k: spec[k] for k in ("provider", "region") if spec.get(k)}
    for expression in (affinity.get("fieldSelector") or {}).get("matchExpressions") or []:
        if expression.get("key") == "zone":
            if not _zones_match(expression, spec.get("zones") or []):
                return False
        elif not _field_requirement(expression, fields):
            return False
    names = affinity.get("clusterNames") or []
    return not names or name in names


def policy_rules(policy):
    """[(rule index or None, targetCluster or None, overriders)] of a policy.

    ``spec.overrideRules`` when present, else the deprecated ``spec.targetCluster``/``spec.overriders``
    pair (index None); the webhook keeps the two forms from being mixed.
    """
    spec = policy.get("spec") or {}
    rules = spec.get("overrideRules") or []
    if rules:
        return [(i, r.get("targetCluster"), r.get("overriders") or {}) for i, r in enumerate(rules)]
    if spec.get("overriders"):
        return [(None, spec.get("targetCluster"), spec.get("overriders") or {})]
    return []


def policy_key(policy):
    meta = policy.get("metadata") or {}
    if policy.get("kind") == COP_KIND or not meta.get("namespace"):
        return (COP_KIND, "", meta.get("name", ""))
    return (OP_KIND, meta.get("namespace", ""), meta.get("name", ""))


def policy_ref(key):
    """How ApplyOverridePolicyFailed events name a policy: 'namespace/name', or 'name' when cluster-wide."""
    return "%s/%s" % (key[1], key[2]) if key[1] else key[2]


def applicable_rules(policies, resource, cluster):
    """[(policy, rule index, overriders)] in the order Karmada applies them to ``resource`` for ``cluster``."""
    ordered = []
    groups = ([p for p in policies if policy_key(p)[0] == COP_KIND],
              [p for p in policies if policy_key(p)[0] == OP_KIND] if resource.get("namespace") else [])
    for group in groups:
        matching = [(policy_priority(p, resource), policy_key(p)[2], p) for p in group]
        matching = sorted((m for m in matching if m[0] > MISMATCH), key=lambda m: (m[0], m[1]))
        for _priority, _name, policy in matching:
            for index, target, overriders in policy_rules(policy):
                if target is None or cluster_matches(target, cluster):
                    ordered.append((policy, index, overriders))
    return ordered


def could_apply(policy, ref):
    """Whether ``policy`` may select the template ``ref`` (its labels are not known yet)."""
    return policy_priority(policy, dict(ref, labels=None)) > MISMATCH
