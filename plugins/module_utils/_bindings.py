# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Binding sync state (runbook step 8): which scheduled bindings are not fully applied, and where
their Works are missing.

A binding whose sync failed keeps ``FullyApplied=False`` and lacks the Works of the clusters that
failed, long after the failure events stopped (the controller backs off for up to ~16 minutes per
retry). Works are found by the name Karmada gives them (``names.GenerateWorkName``) in the
execution namespace of each target cluster, or by the binding's permanent-id label, from one list
of all Works, so the number of requests does not depend on how many clusters there are.

``observe(client)`` makes those (at most three) lists; ``assess(observation)`` builds the
``binding_status`` finding from them (pure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_RESOURCE_BINDINGS,
    CRB_KIND,
    EXECUTION_SPACE_PREFIX,
    PERMANENT_ID_LABELS,
    RB_KIND,
    RESOURCE_BINDINGS,
    WORKS,
    execution_space,
    work_name,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import side_query
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, note_unread

CHECK_ID = "binding_status"
MAX_LISTED = 100
MAX_EVIDENCE = 20


def binding_ref(binding):
    """``namespace/name`` for a ResourceBinding, ``name`` for a ClusterResourceBinding."""
    meta = binding.get("metadata") or {}
    namespace = meta.get("namespace")
    return "%s/%s" % (namespace, meta.get("name", "")) if namespace else meta.get("name", "")


def target_clusters(binding):
    """The clusters the binding controller writes Works for: spec.clusters plus requiredBy's clusters."""
    spec = binding.get("spec") or {}
    names = []
    for target in list(spec.get("clusters") or []) + [c for r in spec.get("requiredBy") or []
                                                      for c in r.get("clusters") or []]:
        name = (target or {}).get("name")
        if name and name not in names:
            names.append(name)
    return names


def condition(obj, condition_type):
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item.get("type") == condition_type:
            return item
    return None


def is_fully_applied(binding):
    applied = condition(binding, "FullyApplied")
    return bool(applied) and applied.get("status") == "True"


def permanent_id(binding):
    labels = (binding.get("metadata") or {}).get("labels") or {}
    return labels.get(PERMANENT_ID_LABELS[RB_KIND]) or labels.get(PERMANENT_ID_LABELS[CRB_KIND])


class WorkIndex:
    """Which Works exist, remembered by (namespace, name) and (namespace, permanent id) only.

    Feeding it the Works one by one keeps memory flat however many Works (and manifests) there are.
    """

    def __init__(self, works=None, unread=False):
        self.unread = unread
        self.names = set()
        self.ids = set()
        self.count = 0
        self.loaded = works is not None
        for work in works or ():
            self.add(work)

    def add(self, work):
        meta = work.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        if not namespace.startswith(EXECUTION_SPACE_PREFIX):
            return
        self.count += 1
        self.names.add((namespace, meta.get("name")))
        labels = meta.get("labels") or {}
        for key in PERMANENT_ID_LABELS.values():
            if labels.get(key):
                self.ids.add((namespace, labels[key]))

    def has(self, namespace, name, binding_id=None):
        if self.unread:         # the list failed: never claim a Work missing
            return True
        return (namespace, name) in self.names or bool(binding_id and (namespace, binding_id) in self.ids)


def expected_work_name(binding):
    resource = (binding.get("spec") or {}).get("resource") or {}
    if not resource.get("kind") or not resource.get("name"):
        return None
    return work_name(resource["kind"], resource["name"], resource.get("namespace"))


def unsettled_bindings(bindings):
    """Scheduled bindings (spec.clusters non-empty) whose FullyApplied condition is not True."""
    return [b for b in bindings if target_clusters(b) and not is_fully_applied(b)]


def describe_binding(binding, works):
    """The report's entry for one binding that is not fully applied; ``works`` is a WorkIndex."""
    meta = binding.get("metadata") or {}
    clusters = target_clusters(binding)
    name = expected_work_name(binding)
    binding_id = permanent_id(binding)
    without = [c for c in clusters if not works.has(execution_space(c), name, binding_id)]
    not_applied = [s.get("clusterName") for s in (binding.get("status") or {}).get("aggregatedStatus") or []
                   if s.get("clusterName") and not s.get("applied")]
    applied = condition(binding, "FullyApplied") or {}
    return {"kind": binding.get("kind") or (RB_KIND if meta.get("namespace") else CRB_KIND),
            "namespace": meta.get("namespace") or "", "name": meta.get("name", ""),
            "clusters": clusters, "clusters_without_work": without, "clusters_not_applied": not_applied,
            "work_name": name, "reason": applied.get("reason") or "FullyAppliedUnknown",
            "message": applied.get("message") or "no FullyApplied condition yet",
            "since": applied.get("lastTransitionTime")}


def summarize(bindings, works):
    """{bindings, scheduled, not_fully_applied (newest-known first, bounded), ...} for the finding."""
    scheduled = [b for b in bindings if target_clusters(b)]
    unsettled = [describe_binding(b, works) for b in unsettled_bindings(bindings)]
    # The ones missing Works first: those are what the workqueue still owes.
    unsettled.sort(key=lambda item: (-len(item["clusters_without_work"]), item["namespace"], item["name"]))
    missing_clusters = sorted({c for item in unsettled for c in item["clusters_without_work"]})
    return {"bindings": len(bindings), "scheduled": len(scheduled), "works": works.count if works.loaded else None,
            "not_fully_applied_total": len(unsettled),
            "without_work_total": sum(1 for item in unsettled if item["clusters_without_work"]),
            "clusters_without_work": missing_clusters,
            "not_fully_applied": unsettled[:MAX_LISTED]}


def _evidence_text(item):
    name = "%s/%s" % (item["namespace"], item["name"]) if item["namespace"] else item["name"]
    text = "%s %s: FullyApplied is not True (%s: %s) since %s" % (
        item["kind"], name, item["reason"], item["message"], item["since"] or "?")
    if item["clusters_without_work"]:
        text += "; no Work %s in %s" % (item["work_name"], ", ".join(
            execution_space(c) for c in item["clusters_without_work"][:5]))
    return text


def binding_finding(summary, extra_details=None):
    """The ``binding_status`` finding: evidence only; the verdict weighs it with the workqueue metrics."""
    unsettled = summary["not_fully_applied"]
    total = summary["not_fully_applied_total"]
    if total:
        status = "warn"
        text = "%d of %d scheduled bindings are not fully applied" % (total, summary["scheduled"])
        if summary["without_work_total"]:
            clusters = summary["clusters_without_work"]
            text += "; %d lack Works on %s" % (summary["without_work_total"], ", ".join(clusters[:5]) + (
                " and %d more clusters" % (len(clusters) - 5) if len(clusters) > 5 else ""))
        text += " (e.g. %s)." % ", ".join(
            "%s/%s" % (i["namespace"], i["name"]) if i["namespace"] else i["name"] for i in unsettled[:3])
    else:
        status = "ok"
        text = "All %d scheduled bindings are fully applied." % summary["scheduled"]
    details = dict(summary)
    details.update(extra_details or {})
    return finding(CHECK_ID, status, text, details=details,
                   evidence_items=[evidence("object", _evidence_text(i), time=i["since"]) for i in unsettled[:MAX_EVIDENCE]])


# -- the binding_status check ----------------------------------------------------------------------

def observe(client):
    """Every binding (``kind`` set), a WorkIndex (only read when some binding is not fully applied) and
    how many list requests that took."""
    bindings = [dict(b, kind=RB_KIND) for b in client.list(RESOURCE_BINDINGS)]
    bindings += [dict(b, kind=CRB_KIND) for b in client.list(CLUSTER_RESOURCE_BINDINGS)]
    # Works only explain bindings that are not fully applied; the list is streamed into an index of
    # names, so large manifests are never held.
    # Works that cannot be read leave the bindings' own status standing: no binding is then said to lack one.
    observation = {"bindings": bindings}
    works = (side_query(observation, "works", lambda: WorkIndex(client.list(WORKS)), WorkIndex(unread=True))
             if unsettled_bindings(bindings) else WorkIndex())
    return dict(observation, works=works, list_requests=client.requests)


def assess(observation):
    """The ``binding_status`` finding from what ``observe`` returned (pure)."""
    return note_unread(binding_finding(summarize(observation["bindings"], observation["works"]),
                                       {"list_requests": observation["list_requests"]}), observation.get("unread"))


def options_from_params(params):
    """This check takes no options beyond the connection."""
    return {}


def check(client, options=None):
    return assess(observe(client))


def not_fully_applied(result):
    """The module's ``not_fully_applied`` return value from its finding."""
    return result.get("details", {}).get("not_fully_applied", [])
