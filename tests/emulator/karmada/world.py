"""Seed both API servers with the state a scenario describes, as a real installation would hold it."""

from __future__ import annotations

import copy
import uuid

from .. import clock
from ..resources import CLUSTER, DEPLOYMENT, LEASE, NAMESPACE, PROPAGATION_POLICY, RESOURCE_BINDING, WORK
from . import klog
from .names import binding_name, execution_space, work_name

KARMADA_VERSION = "v1.18.2"
MEMBER_KUBERNETES_VERSION = "v1.31.2"


def _ready_condition(now):
    return {"type": "Ready", "status": "True", "reason": "ClusterReady",
            "message": "cluster is healthy and ready to accept workloads", "lastTransitionTime": now}


def _condition(ctype, reason, message, now):
    return {"type": ctype, "status": "True", "reason": reason, "message": message, "lastTransitionTime": now}


class ControllerManagerModel:
    """karmada-controller-manager as the host cluster runs it: pods that log and a leader Lease."""

    def __init__(self, emulator, config):
        self.emulator = emulator
        self.config = config
        self.karmada = emulator.stores["karmada-apiserver"]
        self.host = emulator.stores["karmada-host"]
        emulator.deployments.pod_started_hooks.append(self._pod_started)
        emulator.deployments.pod_deleted_hooks.append(self._pod_deleted)

    def is_manager_pod(self, pod):
        labels = pod["metadata"].get("labels") or {}
        return (pod["metadata"]["namespace"] == self.config["namespace"]
                and all(labels.get(k) == v for k, v in self.config["labels"].items()))

    def log(self, pod_name, severity, source, message, err=None, verbosity=0, **fields):
        line = klog.format_line(clock.now(), severity, source, message, self.config["log_format"], err=err,
                                verbosity=verbosity, pid=1, **fields)
        self.emulator.logbook.append(self.config["namespace"], pod_name, "karmada-controller-manager", line)

    def logf(self, pod_name, severity, source, text, verbosity=0):
        line = klog.format_printf(clock.now(), severity, source, text, self.config["log_format"], verbosity, pid=1)
        self.emulator.logbook.append(self.config["namespace"], pod_name, "karmada-controller-manager", line)

    def _pod_started(self, pod):
        if not self.is_manager_pod(pod):
            return
        name = pod["metadata"]["name"]
        self.log(name, "I", "controllermanager.go:182", "Starting karmada-controller-manager",
                 version=KARMADA_VERSION)
        self.logf(name, "I", "leaderelection.go:257",
                  f"attempting to acquire leader lease {self.config['namespace']}/karmada-controller-manager...")
        if self.leader() is None:
            self._take_lease(name)
            self.logf(name, "I", "leaderelection.go:271",
                      f"successfully acquired lease {self.config['namespace']}/karmada-controller-manager")
            for controller, kind in (("binding-controller", "ResourceBinding"),
                                     ("cluster-resource-binding-controller", "ClusterResourceBinding"),
                                     ("cluster-controller", "Cluster")):
                self.log(name, "I", "controller.go:246", "Starting Controller", controller=controller,
                         controllerGroup="work.karmada.io" if "binding" in controller else "cluster.karmada.io",
                         controllerKind=kind)
                self.log(name, "I", "controller.go:255", "Starting workers", controller=controller,
                         controllerGroup="work.karmada.io" if "binding" in controller else "cluster.karmada.io",
                         controllerKind=kind, **{"worker count": 5})

    def _pod_deleted(self, pod):
        if not self.is_manager_pod(pod):
            return
        lease = self._lease()
        if lease and lease["spec"].get("holderIdentity", "").split("_")[0] == pod["metadata"]["name"]:
            survivors = [p for p in self.pods() if p["metadata"]["name"] != pod["metadata"]["name"]]
            if survivors:
                self._take_lease(survivors[0]["metadata"]["name"])

    def pods(self):
        from ..resources import POD
        return [p for p in self.host.items(POD, self.config["namespace"])
                if self.is_manager_pod(p) and not p["metadata"].get("deletionTimestamp")]

    def _lease(self):
        return self.karmada.find(LEASE, self.config["namespace"], "karmada-controller-manager")

    def leader(self):
        lease = self._lease()
        if not lease:
            return None
        holder = lease["spec"].get("holderIdentity", "").split("_")[0]
        return holder if any(p["metadata"]["name"] == holder for p in self.pods()) else None

    def _take_lease(self, pod_name):
        now = clock.rfc3339_micro()
        spec = {"holderIdentity": f"{pod_name}_{uuid.uuid4()}", "leaseDurationSeconds": 15,
                "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
        lease = self._lease()
        if lease is None:
            self.karmada.create(LEASE, {"metadata": {"name": "karmada-controller-manager",
                                                     "namespace": self.config["namespace"]}, "spec": spec})
        else:
            def change(obj):
                spec["leaseTransitions"] = obj["spec"].get("leaseTransitions", 0) + 1
                obj["spec"] = spec
            self.karmada.mutate(LEASE, self.config["namespace"], "karmada-controller-manager", change)


def _ensure_namespace(store, name, labels=None):
    if store.find(NAMESPACE, "", name) is None:
        store.create(NAMESPACE, {"metadata": {"name": name, "labels": dict(labels or {})}})


def seed_karmada(store, scenario):
    now = clock.rfc3339()
    for name in ("default", "kube-system", "kube-public", "kube-node-lease", "karmada-system", "karmada-cluster"):
        _ensure_namespace(store, name)
    for cluster in scenario["clusters"]:
        store.create(CLUSTER, {
            "metadata": {"name": cluster, "finalizers": ["karmada.io/cluster-controller"]},
            "spec": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, cluster)), "syncMode": "Push",
                     "apiEndpoint": f"https://{cluster}.members.example:6443",
                     "secretRef": {"namespace": "karmada-cluster", "name": cluster},
                     "impersonatorSecretRef": {"namespace": "karmada-cluster", "name": f"{cluster}-impersonator"}},
            "status": {"kubernetesVersion": MEMBER_KUBERNETES_VERSION, "conditions": [_ready_condition(now)],
                       "nodeSummary": {"totalNum": 3, "readyNum": 3}}})
        _ensure_namespace(store, execution_space(cluster), {"karmada.io/system": "true"})
    for workload in scenario["workloads"]:
        namespace = workload["namespace"]
        _ensure_namespace(store, namespace)
        policy = f"{namespace}-propagation"
        store.create(PROPAGATION_POLICY, {
            "metadata": {"name": policy, "namespace": namespace},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": n}
                                           for n in workload["deployments"]],
                     "placement": {"clusterAffinity": {"clusterNames": list(workload["clusters"])}}}})
        for name in workload["deployments"]:
            template = store.create(DEPLOYMENT, _deployment_template(namespace, name, policy))
            seed_binding(store, template, workload["clusters"], now)


def _deployment_template(namespace, name, policy):
    labels = {"app": name}
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels,
                         "annotations": {"propagationpolicy.karmada.io/name": policy,
                                         "propagationpolicy.karmada.io/namespace": namespace}},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": f"registry.example/{name}:1.0"}]}}}}


def seed_binding(store, template, clusters, now):
    """A scheduled ResourceBinding and, per target cluster, the Work the binding controller would write."""
    meta = template["metadata"]
    permanent_id = str(uuid.uuid4())
    binding = store.create(RESOURCE_BINDING, {
        "metadata": {"name": binding_name(template["kind"], meta["name"]), "namespace": meta["namespace"],
                     "labels": {"resourcebinding.karmada.io/permanent-id": permanent_id},
                     "finalizers": ["karmada.io/binding-controller"],
                     "ownerReferences": [{"apiVersion": template["apiVersion"], "kind": template["kind"],
                                          "name": meta["name"], "uid": meta["uid"], "controller": True,
                                          "blockOwnerDeletion": True}]},
        "spec": {"resource": {"apiVersion": template["apiVersion"], "kind": template["kind"],
                              "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
                              "resourceVersion": meta["resourceVersion"]},
                 "replicas": template["spec"].get("replicas", 1),
                 "clusters": [{"name": c, "replicas": 1} for c in clusters],
                 "conflictResolution": "Abort", "schedulerName": "default-scheduler"},
        "status": {"schedulerObservedGeneration": 1, "lastScheduledTime": now,
                   "conditions": [_condition("Scheduled", "Success", "Binding has been scheduled successfully.", now),
                                  _condition("FullyApplied", "FullyAppliedSuccess",
                                             "All works have been successfully applied", now)],
                   "aggregatedStatus": [{"clusterName": c, "applied": True, "health": "Healthy"}
                                        for c in clusters]}})
    for cluster in clusters:
        store.create(WORK, work_for(template, binding, cluster, now))
    return binding


def work_for(template, binding, cluster, now=None):
    meta, bmeta = template["metadata"], binding["metadata"]
    permanent_id = bmeta["labels"]["resourcebinding.karmada.io/permanent-id"]
    name = work_name(template["kind"], meta["name"], meta.get("namespace", ""))
    manifest = copy.deepcopy({k: v for k, v in template.items() if k != "status"})
    manifest["metadata"] = {"name": meta["name"], "namespace": meta.get("namespace"),
                            "labels": dict(meta.get("labels") or {}, **{
                                "karmada.io/managed": "true",
                                "resourcebinding.karmada.io/permanent-id": permanent_id}),
                            "annotations": {"resourcetemplate.karmada.io/uid": meta["uid"],
                                            "resourcetemplate.karmada.io/generation": str(meta.get("generation", 1)),
                                            "work.karmada.io/name": name,
                                            "work.karmada.io/namespace": execution_space(cluster),
                                            "resourcebinding.karmada.io/name": bmeta["name"],
                                            "resourcebinding.karmada.io/namespace": bmeta["namespace"]}}
    work = {"metadata": {"name": name, "namespace": execution_space(cluster),
                         "finalizers": ["karmada.io/execution-controller"],
                         "labels": {"resourcebinding.karmada.io/permanent-id": permanent_id,
                                    "work.karmada.io/permanent-id": str(uuid.uuid4())},
                         "annotations": {"resourcebinding.karmada.io/name": bmeta["name"],
                                         "resourcebinding.karmada.io/namespace": bmeta["namespace"],
                                         "work.karmada.io/conflict-resolution": "abort"}},
            "spec": {"workload": {"manifests": [manifest]}}}
    if now:
        work["status"] = {"conditions": [_condition("Applied", "AppliedSuccessful",
                                                    "Manifest has been successfully applied", now)]}
    return work


def seed_host(emulator, scenario):
    store = emulator.stores["karmada-host"]
    config = scenario["controller_manager"]
    for name in ("default", "kube-system", "kube-public", config["namespace"]):
        _ensure_namespace(store, name)
    model = ControllerManagerModel(emulator, config)
    labels = dict(config["labels"])
    args = ["/bin/karmada-controller-manager", "--kubeconfig=/etc/karmada/config/karmada.config",
            "--cluster-status-update-frequency=10s", "--metrics-bind-address=$(POD_IP):8080",
            "--health-probe-bind-address=$(POD_IP):10357",
            f"--leader-elect-resource-namespace={config['namespace']}", "--v=2"]
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
                                                       "image": f"docker.io/karmada/karmada-controller-manager:"
                                                                f"{KARMADA_VERSION}",
                                                       "command": args[:1], "args": args[1:],
                                                       "ports": [{"containerPort": 8080, "name": "metrics",
                                                                  "protocol": "TCP"}]}]}}}})
    # Roll the Deployment out before anyone connects, so a fresh emulator already has running pods.
    while emulator.deployments.reconcile((config["namespace"], config["name"])) is not None:
        pass
    return model


def seed(emulator, scenario):
    emulator.scenario = scenario["name"]
    seed_karmada(emulator.stores["karmada-apiserver"], scenario)
    return seed_host(emulator, scenario)
