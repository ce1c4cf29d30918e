"""Server-side printing (``meta.k8s.io/v1`` Table), which ``kubectl get`` asks for."""

from __future__ import annotations

import json

from . import clock


def _col(name, kind="string", priority=0, fmt=""):
    return {"name": name, "type": kind, "format": fmt, "description": "", "priority": priority}


def _json_cell(value):
    return "" if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _condition(obj, ctype):
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("type") == ctype:
            return condition.get("status", "Unknown")
    return "Unknown"


def _pod_cells(pod):
    statuses = pod.get("status", {}).get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len(pod.get("spec", {}).get("containers") or [])
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    phase = pod.get("status", {}).get("phase", "Pending")
    if pod["metadata"].get("deletionTimestamp"):
        phase = "Terminating"
    return [f"{ready}/{total}", phase, restarts]


def _deployment_cells(dep):
    status, spec = dep.get("status", {}), dep.get("spec", {})
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0)]


def _event_object(event):
    involved = event.get("involvedObject", {})
    return f"{involved.get('kind', '').lower()}/{involved.get('name', '')}"


def _event_last_seen(event):
    stamp = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
    return clock.age(stamp)


_EXTRA = {
    "Namespace": ([_col("Status")], lambda o: [o.get("status", {}).get("phase", "")]),
    "Pod": ([_col("Ready"), _col("Status"), _col("Restarts", "string")], _pod_cells),
    "Deployment": ([_col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer")],
                   _deployment_cells),
    "ReplicaSet": ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer")],
                   lambda o: [o.get("spec", {}).get("replicas", 0), o.get("status", {}).get("replicas", 0),
                              o.get("status", {}).get("readyReplicas", 0)]),
    "Cluster": ([_col("Version"), _col("Mode"), _col("Ready")],
                lambda o: [o.get("status", {}).get("kubernetesVersion", ""), o.get("spec", {}).get("syncMode", ""),
                           _condition(o, "Ready")]),
    "ResourceBinding": ([_col("Scheduled"), _col("FullyApplied")],
                        lambda o: [_condition(o, "Scheduled"), _condition(o, "FullyApplied")]),
    "ClusterResourceBinding": ([_col("Scheduled"), _col("FullyApplied")],
                               lambda o: [_condition(o, "Scheduled"), _condition(o, "FullyApplied")]),
    "Work": ([_col("Workload-Kind"), _col("Applied")],
             lambda o: [((o.get("spec", {}).get("workload", {}).get("manifests") or [{}])[0]).get("kind", ""),
                        _condition(o, "Applied")]),
    # The CRD's additionalPrinterColumns: OVERALL (.status.overall), OVERALL_USED (.status.overallUsed).
    "FederatedResourceQuota": ([_col("Overall"), _col("Overall_Used")],
                               lambda o: [_json_cell(o.get("status", {}).get("overall")),
                                          _json_cell(o.get("status", {}).get("overallUsed"))]),
    "Lease": ([_col("Holder")], lambda o: [o.get("spec", {}).get("holderIdentity", "")]),
}


def build_table(objects, list_meta, include_object):
    """A Table for a list (or one object) the way the real printers lay it out."""
    kind = objects[0]["kind"] if objects else ""
    if kind == "Event":
        columns = [_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")]
        rows_cells = [[_event_last_seen(e), e.get("type", ""), e.get("reason", ""), _event_object(e),
                       e.get("message", "")] for e in objects]
    else:
        extra_cols, extra = _EXTRA.get(kind, ([], lambda o: []))
        columns = [_col("Name", fmt="name")] + extra_cols + [_col("Age")]
        rows_cells = [[o["metadata"]["name"], *extra(o), clock.age(o["metadata"].get("creationTimestamp"))]
                      for o in objects]
    rows = []
    for obj, cells in zip(objects, rows_cells):
        row = {"cells": cells}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": columns, "rows": rows}
