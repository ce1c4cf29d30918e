"""The FederatedResourceQuota sync controller: its Works, events and log lines, as noise next to bindings.

Karmada v1.18.2 pkg/controllers/federatedresourcequota/federated_resource_quota_sync_controller.go
(``federated-resource-quota-sync-controller``) builds one Work per statically assigned cluster
(``names.GenerateWorkName("ResourceQuota", quota.Name, quota.Namespace)`` in ``karmada-es-<cluster>``,
labels ``federatedresourcequota.karmada.io/{namespace,name}``, finalizer ``karmada.io/execution-controller``)
through ``ctrlutil.CreateOrUpdateWork``. A failure is reported with the same ``SyncWorkFailed`` reason
the binding controllers use (pkg/events/events.go ``EventReasonSyncFederatedResourceQuotaFailed``), on the
FederatedResourceQuota -- which is why a runbook must not count those events as binding failures.
"""

from __future__ import annotations

import uuid

from ..resources import CLUSTER, FEDERATED_RESOURCE_QUOTA, NAMESPACE, WORK
from .names import execution_space, work_name

CONTROLLER = "federated-resource-quota-sync-controller"     # SyncControllerName
NAMESPACE_LABEL = "federatedresourcequota.karmada.io/namespace"   # pkg/util/constants.go
NAME_LABEL = "federatedresourcequota.karmada.io/name"
EXECUTION_FINALIZER = "karmada.io/execution-controller"
# apimachinery errors.NewConflict(works.work.karmada.io, name, ...) as the registry returns it on a stale
# resourceVersion; ctrlutil.CreateOrUpdateWork's retry.RetryOnConflict gives up after DefaultRetry's 5 steps.
CONFLICT = ('Operation cannot be fulfilled on works.work.karmada.io "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again")


def _aggregate(messages):
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _quota(spec):
    assignments = [{"clusterName": c, "hard": dict(spec["hard"])} for c in spec["clusters"]]
    return {"metadata": {"name": spec["name"], "namespace": spec["namespace"]},
            "spec": {"overall": dict(spec["hard"]), "staticAssignments": assignments},
            # what federated-resource-quota-status-controller reports (overallUsed left to it)
            "status": {"overall": dict(spec["hard"])}}


def _work(quota, cluster):
    meta = quota["metadata"]
    manifest = {"apiVersion": "v1", "kind": "ResourceQuota",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                "spec": {"hard": dict(quota["spec"]["overall"])}}
    return {"metadata": {"name": work_name("ResourceQuota", meta["name"], meta["namespace"]),
                         "namespace": execution_space(cluster), "finalizers": [EXECUTION_FINALIZER],
                         "labels": {NAMESPACE_LABEL: meta["namespace"], NAME_LABEL: meta["name"],
                                    "work.karmada.io/permanent-id": str(uuid.uuid4())}},
            "spec": {"workload": {"manifests": [manifest]}}}


def sync(store, manager, quota, failing):
    """One Reconcile of the sync controller for ``quota``; ``failing``: clusters whose Work write fails."""
    meta = quota["metadata"]
    key = f"{meta['namespace']}/{meta['name']}"
    messages = []
    for assignment in quota["spec"]["staticAssignments"]:
        cluster = assignment["clusterName"]
        if store.find(CLUSTER, "", cluster) is None:
            continue                     # buildWorks only walks the Cluster objects that exist
        work = _work(quota, cluster)
        namespace, name = work["metadata"]["namespace"], work["metadata"]["name"]
        if cluster in failing:
            message = CONFLICT.format(name=name)
            # pkg/controllers/ctrlutil/work.go:99
            manager.logf("E", "work.go:99", f"Failed to create/update work {namespace}/{name}. Error: {message}")
            messages.append(message)
        elif store.find(NAMESPACE, "", namespace) is not None and store.find(WORK, namespace, name) is None:
            store.create(WORK, work)
    if messages:
        err = _aggregate(messages)
        # federated_resource_quota_sync_controller.go:93-94, then controller-runtime's Reconciler error.
        manager.log("E", "federated_resource_quota_sync_controller.go:93",
                    "Failed to build works for federatedResourceQuota", err=err, namespacedName=key)
        manager.recorder.event(quota, "Warning", "SyncWorkFailed", err, CONTROLLER)
        manager.log("E", "controller.go:316", "Reconciler error", err=err, controller=CONTROLLER,
                    controllerGroup="policy.karmada.io", controllerKind="FederatedResourceQuota",
                    FederatedResourceQuota=key, namespace=meta["namespace"], name=meta["name"],
                    reconcileID=str(uuid.uuid4()))
        return False
    manager.recorder.event(quota, "Normal", "SyncWorkSucceed",
                           f"Sync works for FederatedResourceQuota({key}) succeed.", CONTROLLER)
    return True


def seed_quotas(emulator, scenario, manager):
    """Create the scenario's FederatedResourceQuotas and run their sync controller once."""
    store = emulator.stores["karmada-apiserver"]
    for spec in scenario.get("federated_resource_quotas") or ():
        if store.find(NAMESPACE, "", spec["namespace"]) is None:
            store.create(NAMESPACE, {"metadata": {"name": spec["namespace"]}})
        quota = store.create(FEDERATED_RESOURCE_QUOTA, _quota(spec))
        sync(store, manager, quota, set(spec["failing_clusters"]))
