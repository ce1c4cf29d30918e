"""Seed both API servers with the state a scenario describes, then let the controllers take over.

Seeding builds what a long-running installation holds (clusters, execution namespaces, templates,
policies, bindings and their Works), applies the scenario's faults to that state, and runs the
binding controllers once -- the latest of the retries the scenario's history implies -- so that
events, logs and metrics already tell the story when the first client connects.
"""

from __future__ import annotations

import copy
import uuid

from .. import clock, validation
from ..resources import (
    CLUSTER,
    CLUSTER_OVERRIDE_POLICY,
    CLUSTER_PROPAGATION_POLICY,
    CLUSTER_RESOURCE_BINDING,
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    DEPLOYMENT,
    EVENT,
    NAMESPACE,
    OVERRIDE_POLICY,
    POD,
    PROPAGATION_POLICY,
    RESOURCE_BINDING,
    ROLE,
    ROLE_BINDING,
    WORK,
)
from .controller_manager import BINDING_CONTROLLERS, LEASE_NAMESPACE, ControllerManager, new_registry
from .history import History
from .names import binding_name, execution_space, work_name
from .overrides import apply_overrides, record_applied_overrides
from .quota import CONFLICT as QUOTA_CONFLICT
from .quota import CONTROLLER as QUOTA_CONTROLLER
from .quota import seed_quotas
from .works import CRB_ID, RB_ID, work_for
from .writefaults import conflicting_works, oversized_works

MEMBER_KUBERNETES_VERSION = "v1.31.2"
RBAC_TYPES = {"Role": ROLE, "RoleBinding": ROLE_BINDING, "ClusterRole": CLUSTER_ROLE,
              "ClusterRoleBinding": CLUSTER_ROLE_BINDING}


def _condition(ctype, status, reason, message, now):
    return {"type": ctype, "status": status, "reason": reason, "message": message, "lastTransitionTime": now}


def _ensure_namespace(store, name, labels=None):
    if store.find(NAMESPACE, "", name) is None:
        store.create(NAMESPACE, {"metadata": {"name": name, "labels": dict(labels or {})}})


def _seed_clusters(store, scenario, now):
    for cluster in scenario["clusters"]:
        # A name Karmada's ValidateClusterName rejects can only be in storage if it got around the check
        # (a pre-v1.1.0 install with its webhook bypassed, or a restore straight into etcd).
        admitted = not validation.karmada_cluster_name(cluster)
        ready = cluster not in scenario["not_ready"]
        condition = (_condition("Ready", "True", "ClusterReady", "cluster is healthy and ready to accept workloads",
                                now) if ready else
                     _condition("Ready", "False", "ClusterNotReachable", "cluster is not reachable", now))
        store.create(CLUSTER, {
            "metadata": {"name": cluster, "finalizers": ["karmada.io/cluster-controller"]},
            "spec": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, cluster)), "syncMode": "Push",
                     "apiEndpoint": f"https://{cluster}.members.example:6443",
                     "secretRef": {"namespace": "karmada-cluster", "name": cluster},
                     "impersonatorSecretRef": {"namespace": "karmada-cluster", "name": f"{cluster}-impersonator"},
                     **({} if ready else {"taints": [
                         {"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule", "timeAdded": now}]})},
            "status": {"kubernetesVersion": MEMBER_KUBERNETES_VERSION, "conditions": [condition],
                       "nodeSummary": {"totalNum": 3, "readyNum": 3 if ready else 0}}}, validate=admitted)
        # The cluster controller could never create an execution namespace whose name is no DNS-1123 label.
        if cluster not in scenario["faults"]["missing_namespaces"] and not validation.dns1123_label(
                execution_space(cluster)):
            _ensure_namespace(store, execution_space(cluster), {"karmada.io/system": "true"})


def _deployment_template(namespace, name, policy):
    labels = {"app": name}
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels,
                         "annotations": {"propagationpolicy.karmada.io/name": policy,
                                         "propagationpolicy.karmada.io/namespace": namespace}},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": f"registry.example/{name}:1.0"}]}}}}


def _cluster_role_template(name, policy):
    return {"metadata": {"name": name, "labels": {"app": name},
                         "annotations": {"clusterpropagationpolicy.karmada.io/name": policy}},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]}


def _binding(template, clusters, now, cluster_scoped=False):
    meta = template["metadata"]
    label = CRB_ID if cluster_scoped else RB_ID
    binding_meta = {"name": binding_name(template["kind"], meta["name"]),
                    "labels": {label: str(uuid.uuid4())},
                    "finalizers": ["karmada.io/cluster-resource-binding-controller" if cluster_scoped
                                   else "karmada.io/binding-controller"],
                    "ownerReferences": [{"apiVersion": template["apiVersion"], "kind": template["kind"],
                                         "name": meta["name"], "uid": meta["uid"], "controller": True,
                                         "blockOwnerDeletion": True}]}
    if not cluster_scoped:
        binding_meta["namespace"] = meta["namespace"]
    resource = {"apiVersion": template["apiVersion"], "kind": template["kind"], "name": meta["name"],
                "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}
    if not cluster_scoped:
        resource["namespace"] = meta["namespace"]
    return {"metadata": binding_meta,
            "spec": {"resource": resource, "replicas": (template.get("spec") or {}).get("replicas", 0),
                     "clusters": [{"name": c, "replicas": 1} for c in clusters],
                     "conflictResolution": "Abort", "schedulerName": "default-scheduler"},
            "status": {"schedulerObservedGeneration": 1, "lastScheduledTime": now,
                       "conditions": [_condition("Scheduled", "True", "Success",
                                                 "Binding has been scheduled successfully.", now)]}}


def _override_policy(spec):
    selectors = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name} for name in spec["deployments"]]
    if not selectors:
        selectors = [{"apiVersion": "apps/v1", "kind": "Deployment"}]
    rule = {"overriders": {"plaintext": copy.deepcopy(spec["plaintext"])}}
    if spec["clusters"] is not None:
        rule["targetCluster"] = {"clusterNames": list(spec["clusters"])}
    metadata = {"name": spec["name"]}
    if spec["namespace"]:
        metadata["namespace"] = spec["namespace"]
    return {"metadata": metadata, "spec": {"resourceSelectors": selectors, "overrideRules": [rule]}}


def _existing_work(store, binding, template, cluster, scenario, now):
    """The Work a healthy past left behind for this binding and cluster, or None if the fault precludes it."""
    faults = scenario["faults"]
    if cluster in faults["missing_namespaces"] or cluster in faults["unsynced_clusters"] \
            or cluster in faults["missing_clusters"] or cluster in faults["terminating_namespaces"] \
            or store.find(NAMESPACE, "", execution_space(cluster)) is None:
        return None
    if template["kind"] == "Deployment" and work_name("Deployment", template["metadata"]["name"],
                                                      template["metadata"]["namespace"]) in oversized_works(faults):
        return None                    # too large to store: it never was
        # the Works of a terminating namespace were deleted with it
    cluster_obj = store.find(CLUSTER, "", cluster)
    try:
        workload, applied = apply_overrides(store, template, cluster_obj)
    except Exception:  # noqa: BLE001 - a broken policy never produced a Work: leave the last good one
        workload, applied = template, []
    work = work_for(workload, binding, cluster, applied)
    if applied:
        record_applied_overrides(work, store, template, cluster_obj)
    work["metadata"]["labels"]["work.karmada.io/permanent-id"] = str(uuid.uuid4())
    if (execution_space(cluster), work["metadata"]["name"]) in conflicting_works(faults):
        # Another writer keeps changing this Work, so it never matches what the binding controller wants.
        work["spec"]["workload"]["manifests"][0].setdefault("spec", {})["replicas"] = 5
    if cluster not in scenario["not_ready"]:
        work["status"] = {"conditions": [_condition("Applied", "True", "AppliedSuccessful",
                                                    "Manifest has been successfully applied", now)]}
    return work


def seed_karmada(store, scenario):
    now = clock.rfc3339()
    faults = scenario["faults"]
    for name in ("default", "kube-system", "kube-public", "kube-node-lease", "karmada-system", "karmada-cluster"):
        _ensure_namespace(store, name)
    for obj in faults["rbac"]:
        store.create(RBAC_TYPES[obj["kind"]], obj)
    _seed_clusters(store, scenario, now)
    for spec in scenario["override_policies"]:
        rtype = OVERRIDE_POLICY if spec["namespace"] else CLUSTER_OVERRIDE_POLICY
        if spec["namespace"]:
            _ensure_namespace(store, spec["namespace"])
        store.create(rtype, _override_policy(spec))
    bindings = []
    for workload in scenario["workloads"]:
        namespace = workload["namespace"]
        _ensure_namespace(store, namespace)
        policy = f"{namespace}-propagation"
        store.create(PROPAGATION_POLICY, {
            "metadata": {"name": policy, "namespace": namespace},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": item["name"]}
                                           for item in workload["items"]],
                     "placement": {"clusterAffinity": {"clusterNames": sorted({c for item in workload["items"]
                                                                               for c in item["clusters"]})}}}})
        for item in workload["items"]:
            template = store.create(DEPLOYMENT, _deployment_template(namespace, item["name"], policy))
            binding = store.create(RESOURCE_BINDING, _binding(template, item["clusters"], now))
            bindings.append((binding, template, item["clusters"]))
    for workload in scenario["cluster_workloads"]:
        store.create(CLUSTER_PROPAGATION_POLICY, {
            "metadata": {"name": "cluster-roles-propagation"},
            "spec": {"resourceSelectors": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                            "name": item["name"]} for item in workload["items"]],
                     "placement": {"clusterAffinity": {"clusterNames": sorted({c for item in workload["items"]
                                                                               for c in item["clusters"]})}}}})
        for item in workload["items"]:
            template = store.create(CLUSTER_ROLE, _cluster_role_template(item["name"], "cluster-roles-propagation"))
            binding = store.create(CLUSTER_RESOURCE_BINDING, _binding(template, item["clusters"], now, True))
            bindings.append((binding, template, item["clusters"]))
    for binding, template, clusters in bindings:
        for cluster in clusters:
            work = _existing_work(store, binding, template, cluster, scenario, now)
            if work is not None:
                store.create(WORK, work)
    _seed_stuck_works(store, scenario)
    _seed_terminating_namespaces(store, scenario, now)
    _seed_orphaned_namespaces(store, scenario)


def _seed_orphaned_namespaces(store, scenario):
    """Execution namespaces left behind by Clusters that are gone. The cluster controller deletes a Cluster's
    execution space when the Cluster is removed (pkg/controllers/cluster/cluster_controller.go v1.18.2
    removeCluster -> removeExecutionSpace); one left over is what that deletion failing
    (RemoveExecutionSpaceFailed) or a namespace made by hand looks like: labelled as the controller labels them."""
    for cluster in scenario["faults"]["orphaned_namespaces"]:
        _ensure_namespace(store, execution_space(cluster), {"karmada.io/system": "true"})


def _seed_stuck_works(store, scenario):
    """Works whose deletion never finishes (the execution controller cannot clean the member cluster)."""
    for item in scenario["faults"]["stuck_works"]:
        namespace, name = execution_space(item["cluster"]), work_name("Deployment", item["deployment"],
                                                                      item["namespace"])
        if store.find(WORK, namespace, name) is not None:
            store.delete(WORK, namespace, name)


def _seed_terminating_namespaces(store, scenario, now):
    """A deleted execution namespace held in Terminating by a Work its NotReady cluster cannot clean up."""
    for cluster in scenario["faults"]["terminating_namespaces"]:
        namespace = execution_space(cluster)
        store.create(WORK, {"metadata": {"name": "orphaned-config-7d9f5c8b4", "namespace": namespace,
                                         "finalizers": ["karmada.io/execution-controller"]},
                            "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap",
                                                                 "metadata": {"name": "orphaned-config"}}]}}})
        store.delete(NAMESPACE, "", namespace)


def seed_host(emulator, scenario):
    store = emulator.stores["karmada-host"]
    config = scenario["controller_manager"]
    for name in ("default", "kube-system", "kube-public", config["namespace"]):
        _ensure_namespace(store, name)
    labels = dict(config["labels"])
    args = ["/bin/karmada-controller-manager", "--kubeconfig=/etc/karmada/config/karmada.config",
            "--cluster-status-update-frequency=10s", "--metrics-bind-address=$(POD_IP):8080",
            "--health-probe-bind-address=$(POD_IP):10357",
            f"--leader-elect-resource-namespace={LEASE_NAMESPACE}", f"--v={config['verbosity']}"]
    if config["log_format"] == "json":
        args.insert(-1, "--logging-format=json")
    store.create(DEPLOYMENT, {
        "metadata": {"name": config["name"], "namespace": config["namespace"], "labels": labels},
        "spec": {"replicas": config["replicas"], "selector": {"matchLabels": labels},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
                 "template": {"metadata": {"labels": labels},
                              "spec": {"serviceAccountName": "karmada-controller-manager",
                                       "containers": [{"name": "karmada-controller-manager",
                                                       "image": "docker.io/karmada/karmada-controller-manager:v1.18.2",
                                                       "command": args[:1], "args": args[1:],
                                                       "ports": [{"containerPort": 8080, "name": "metrics",
                                                                  "protocol": "TCP"}]}]}}}})
    # Roll the Deployment out before anyone connects, so a fresh emulator already has running pods.
    while emulator.deployments.reconcile((config["namespace"], config["name"])) is not None:
        pass


def _seed_container_restarts(store, config, restarts):
    """The first controller-manager pod's container has crashed ``restarts`` times and runs again: kubelet's
    containerStatuses[].restartCount and lastState.terminated (k8s.io/api core/v1 types.go, ContainerStatus and
    ContainerStateTerminated; exit code 1 as a Go program's os.Exit(1) after a fatal error)."""
    if not restarts:
        return
    pods = sorted(p["metadata"]["name"] for p in store.items(POD, config["namespace"])
                  if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in config["labels"].items()))
    if not pods:
        return

    def crashed(pod):
        for status in pod["status"].get("containerStatuses") or []:
            status["restartCount"] = restarts
            # The crash loop is going on now: the last run ended a minute ago (the pod may be older).
            status["lastState"] = {"terminated": {"exitCode": 1, "startedAt": clock.rfc3339(clock.now() - _seconds(90)),
                                                  "finishedAt": clock.rfc3339(clock.now() - _seconds(60))}}
    store.mutate(POD, config["namespace"], pods[0], crashed, subresource="status")


def _backdate_failure_events(store, failing_seconds, retry_seconds, resolved_seconds):
    """The events a long-running failure accumulated: first seen when it began, counted per retry."""
    if failing_seconds <= 0:
        return
    first = clock.rfc3339(clock.now() - _seconds(failing_seconds))
    retries = max(1, int((failing_seconds - resolved_seconds) / max(retry_seconds, 1)))
    for event in store.items(EVENT):
        if event.get("reason") in ("SyncWorkFailed", "ApplyOverridePolicyFailed", "CreateExecutionSpaceFailed"):
            def change(obj):
                obj["firstTimestamp"] = first
                obj["count"] = obj.get("count", 1) + retries
            store.mutate(EVENT, event["metadata"]["namespace"], event["metadata"]["name"], change)


def _seconds(value):
    import datetime
    return datetime.timedelta(seconds=value)


def seed(emulator, scenario):
    """Build the scenario's world and start its controller-manager; returns the ControllerManager."""
    emulator.scenario = scenario["name"]
    karmada = emulator.stores["karmada-apiserver"]
    history = scenario["history"]
    faults = scenario["faults"]
    resolved_seconds = history["resolved_minutes_ago"] * 60 if faults["resolved"] else 0
    with clock.shifted(history["minutes"] * 60):
        seed_karmada(karmada, scenario)
    manager = ControllerManager(emulator, scenario)
    manager.seeding = True
    with clock.shifted(history["minutes"] * 60):
        seed_host(emulator, scenario)           # the controller-manager has been up since the story began
    # ... and its crash loop is going on now, not when the story began.
    _seed_container_restarts(emulator.stores["karmada-host"], scenario["controller_manager"],
                             scenario["faults"]["controller_restarts"])
    _add_log_noise(emulator, scenario, manager)
    for fault in faults["api_faults"]:
        emulator.faults.add(dict(fault))
    # The latest retry of everything that keeps failing, as the running leader would have made it.
    incarnation = manager.incarnation
    with clock.shifted(resolved_seconds):
        failing = manager.initial_pass(incarnation)
        if faults["resolved"]:
            _resolve(karmada, scenario)
    if faults["resolved"]:
        # Those retries happened before the fix, inside the history Prometheus backfills; counted again by the
        # live registry they would show as fresh errors right after start (a 5m error ratio that says "failing
        # now" for a scenario whose failures stopped).
        incarnation.registry = new_registry()
    seed_quotas(emulator, scenario, manager)    # FederatedResourceQuota sync: SyncWorkFailed noise
    record = History(scenario, len(failing), manager.backoff_cap)
    emulator.history = record
    record.preload(incarnation.registry, emulator.apiserver_metrics)
    _backdate_failure_events(karmada, history["failing_minutes"] * 60 if failing else 0, manager.backoff_cap,
                             resolved_seconds)
    manager.seeding = False
    manager.resume(incarnation, failing)
    emulator.controller_manager = manager
    _add_event_noise(emulator, scenario, manager)
    return manager


def _resolve(store, scenario):
    """Someone fixed the cause by hand: the namespaces came back, the controller was not told."""
    for cluster in scenario["faults"]["missing_namespaces"]:
        _ensure_namespace(store, execution_space(cluster), {"karmada.io/system": "true"})


def _add_event_noise(emulator, scenario, manager):
    store = emulator.stores["karmada-apiserver"]
    count = scenario["noise"]["events"]
    if count:
        quota = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota",
                 "metadata": {"name": "team-quota", "namespace": "default", "uid": str(uuid.uuid4()),
                              "resourceVersion": "1"}}
        bindings = store.items(RESOURCE_BINDING) or [quota]
        for index in range(count):
            target = bindings[index % len(bindings)]
            if index % 50 == 0:
                # FederatedResourceQuota sync reuses the SyncWorkFailed reason: not a binding failure.
                manager.recorder.event(quota, "Warning", "SyncWorkFailed",
                                       QUOTA_CONFLICT.format(name=work_name("ResourceQuota", "team-quota", "default")),
                                       QUOTA_CONTROLLER)
            else:
                manager.recorder.event(target, "Normal", "ScheduleBindingSucceed",
                                       f"Binding has been scheduled successfully. Result: {index}",
                                       "default-scheduler")


def _add_log_noise(emulator, scenario, manager):
    """Routine V(2) chatter between the leader's start and now, for scale tests of log scanning."""
    lines = scenario["noise"]["log_lines"]
    if lines and manager.incarnation:
        span = history_span(scenario) - 120
        start = clock.now().timestamp() - history_span(scenario) + 60
        step = span / lines
        namespace = scenario["controller_manager"]["namespace"]
        names = [f"app-{i:04d}" for i in range(1, 200)]
        emulator.logbook.extend(namespace, manager.incarnation.pod, "karmada-controller-manager", (
            (start + i * step, f'I{_stamp(start + i * step)}       1 work.go:110] Work karmada-es-member01/'
                               f'{names[i % len(names)]}-7f8d9c6b5 is up to date.') for i in range(lines)))


def history_span(scenario):
    return max(60.0, scenario["history"]["minutes"] * 60)


def _stamp(epoch):
    import datetime
    return datetime.datetime.fromtimestamp(epoch, clock.UTC).strftime("%m%d %H:%M:%S.%f")


__all__ = ["seed", "BINDING_CONTROLLERS"]
