# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml: override policies that no longer apply to any resource template.

A (Cluster)OverridePolicy whose ``resourceSelectors`` match no existing template is left over from a
template that was deleted or renamed, or was written against the wrong kind or labels: it overrides
nothing, and the day a matching template appears it applies unexpectedly. Karmada's semantics
(pkg/util/overridemanager/overridemanager.go v1.18.2: no resourceSelectors matches every resource;
pkg/util/selector.go ResourceMatches: apiVersion, kind, namespace, then name or label selector) are
``_selectors``' (``policy_priority``), so this check and the diagnosis judge a policy alike.

``observe`` lists the policies, then the templates of each (apiVersion, kind, namespace) the policies
select: one discovery per API version and one paginated list per group, so the requests follow the
policies' reach, not the fleet. ``assess`` is pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._audit import audit_check, drift_item, from_drift
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CLUSTER_OVERRIDE_POLICIES, COP_KIND, OP_KIND, OVERRIDE_POLICIES
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import resource_path
from ansible_collections.karmada.runbooks.plugins.module_utils._overrides import plural_of
from ansible_collections.karmada.runbooks.plugins.module_utils._selectors import MISMATCH, policy_key, policy_priority

CHECK_ID = "override_policy_targets"
MAX_LISTED = 50


def options_from_params(params):
    """No options beyond the connection."""
    return {}


def selectors_of(policy):
    return [s for s in (policy.get("spec") or {}).get("resourceSelectors") or [] if isinstance(s, dict)]


def template_groups(policy):
    """{(apiVersion, kind, namespace)} whose templates the policy may select; namespace "" means every namespace.

    An OverridePolicy only ever selects templates of its own namespace; a ClusterOverridePolicy those of the
    selector's namespace, or of every namespace (and cluster-scoped ones) when the selector names none.
    """
    kind, namespace, _name = policy_key(policy)
    groups = set()
    for selector in selectors_of(policy):
        if not selector.get("apiVersion") or not selector.get("kind"):
            continue
        where = namespace if kind == OP_KIND else (selector.get("namespace") or "")
        groups.add((selector["apiVersion"], selector["kind"], where))
    return groups


def _template(item, api_version, kind):
    meta = item.get("metadata") or {}
    return {"apiVersion": api_version, "kind": kind, "namespace": meta.get("namespace") or "",
            "name": meta.get("name"), "labels": meta.get("labels") or {}}


def observe(client, options=None):
    """{policies, templates: {(apiVersion, kind, namespace): [template] or None when the kind is not served}, requests}."""
    policies = [dict(p, kind=OP_KIND) for p in client.list(OVERRIDE_POLICIES)]
    policies += [dict(p, kind=COP_KIND) for p in client.list(CLUSTER_OVERRIDE_POLICIES)]
    groups = set()
    for policy in policies:
        groups |= template_groups(policy)
    templates, cache = {}, {}
    for api_version, kind, namespace in sorted(groups):
        plural = plural_of(client, api_version, kind, cache)
        if not plural:
            templates[(api_version, kind, namespace)] = None
            continue
        group, _sep, version = api_version.rpartition("/")
        # Only what matching needs is kept: a list of every Deployment stays small in memory.
        templates[(api_version, kind, namespace)] = [
            _template(item, api_version, kind)
            for item in client.list(resource_path(group, version, plural, namespace=namespace or None))]
    return {"policies": policies, "templates": templates, "requests": client.requests}


def _ref(key):
    return "%s/%s/%s" % key if key[1] else "%s/%s" % (key[0], key[2])


def assess(observation, options=None):
    """The ``override_policy_targets`` audit check (pure): a policy with selectors that match no template is drift."""
    templates = observation.get("templates") or {}
    drift, rows, not_served = [], [], set()
    policies = observation.get("policies") or []
    for policy in policies:
        key = policy_key(policy)
        groups = template_groups(policy)
        if not selectors_of(policy):
            rows.append({"policy": _ref(key), "matches": None, "note": "no resourceSelectors: applies to every template"})
            continue
        candidates = []
        for group in sorted(groups):
            if templates.get(group) is None:
                not_served.add("%s %s" % (group[1], group[0]))
            candidates.extend(templates.get(group) or [])
        matches = sum(1 for template in candidates if policy_priority(policy, template) > MISMATCH)
        rows.append({"policy": _ref(key), "matches": matches})
        if not matches:
            what = "; ".join("%s %s%s" % (s.get("kind"), s.get("apiVersion"),
                                          " named %s" % s["name"] if s.get("name") else
                                          " with labels" if s.get("labelSelector") is not None else "")
                             for s in selectors_of(policy)[:5])
            drift.append(drift_item("override_policy_unmatched", _ref(key),
                                    "%s selects no existing resource template (%s)" % (_ref(key), what)))
    details = {"policies": len(policies), "unmatched": len(drift), "rows": rows[:MAX_LISTED],
               "kinds_not_served": sorted(not_served), "requests": observation.get("requests")}
    if not policies:
        return audit_check(CHECK_ID, "ok", "No override policies.", details=details)
    return from_drift(CHECK_ID, drift, "All %d override policies select at least one resource template." % len(policies),
                      "%d of %d override policies select no resource template: %s" % (
                          len(drift), len(policies), ", ".join(d["subject"] for d in drift[:5])
                          + (", ..." if len(drift) > 5 else "")), details=details)


def check(client, options=None):
    return assess(observe(client, options), options)
