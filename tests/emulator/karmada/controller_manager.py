"""karmada-controller-manager as the emulator runs it.

The host cluster runs its pods; the leader (Lease ``karmada-controller-manager`` on the Karmada API
server) runs the cluster, binding and execution controllers against the Karmada store. Every symptom
-- events, klog lines, metrics -- comes from what those controllers find in the store, so fixing the
state fixes the symptoms. A leader change is a restart: fresh queues, fresh metrics, every binding
and cluster reconciled once.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

from .. import clock, errors
from ..controllers import Controller
from ..host import template_hash
from ..metrics import Registry
from ..rbac import Attributes, Identity, authorize
from ..resources import CLUSTER, CLUSTER_OVERRIDE_POLICY, CLUSTER_RESOURCE_BINDING, DEPLOYMENT, LEASE, NAMESPACE, OVERRIDE_POLICY, POD, RESOURCE_BINDING, WORK
from . import klog, writefaults
from .events import EventRecorder
from .names import EXECUTION_SPACE_PREFIX, cluster_of, execution_space
from .overrides import OverrideFailure, apply_overrides, policy_priority, record_applied_overrides
from .works import permanent_id_label, target_clusters, work_for

CONTAINER = "karmada-controller-manager"
KARMADA_VERSION = "v1.18.2"
BINDING_CONTROLLERS = {RESOURCE_BINDING: "binding-controller",
                       CLUSTER_RESOURCE_BINDING: "cluster-resource-binding-controller"}
WEBHOOK_ERROR = ('Internal error occurred: failed calling webhook "work.karmada.io": failed to call webhook: '
                 'Post "https://karmada-webhook.karmada-system.svc:443/mutate-work?timeout=3s": dial tcp '
                 "10.96.122.7:443: connect: connection refused")
SYNC_HELP = ("Duration in seconds to sync works for ResourceBinding and ClusterResourceBinding objects. By the "
             "result, 'error' means a binding failed to sync works. Otherwise 'success'.")


class WorkError(Exception):
    """One cluster's failure inside ensureWork; the message is what the real controller reports."""


# The leader Lease lives on the Karmada API server in --leader-elect-resource-namespace: karmada-system for
# every install method, including Helm into another release namespace (charts/karmada v1.18.2
# karmada-controller-manager.yaml passes {{ .Values.systemNamespace }}, default "karmada-system").
LEASE_NAMESPACE = "karmada-system"
LEASE_NAME = "karmada-controller-manager"
# cmd/controller-manager/app/options/options.go (v1.18.2) defaults: --leader-elect-lease-duration 15s,
# --leader-elect-retry-period 2s (client-go renews the Lease every retry period).
LEASE_DURATION_SECONDS = 15
LEASE_RENEW_SECONDS = 2.0
CLUSTER_CONTROLLER = "cluster-controller"    # pkg/controllers/cluster/cluster_controller.go:56 ControllerName
LOW_PRIORITY = -100          # controller-runtime v0.23.1 pkg/handler/eventhandler.go handler.LowPriority


def aggregate(messages):
    """apimachinery's NewAggregate(...).Error(): one message verbatim, several de-duplicated in brackets."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def new_registry():
    registry = Registry()
    registry.sync_work = registry.histogram("binding_sync_work_duration_seconds", SYNC_HELP, ("result",))
    registry.depth = registry.gauge("workqueue_depth", "Current depth of workqueue", ("controller", "name",
                                                                                      "priority"))
    registry.adds = registry.counter("workqueue_adds_total", "Total number of adds handled by workqueue",
                                     ("controller", "name"))
    registry.retries = registry.counter("workqueue_retries_total", "Total number of retries handled by workqueue",
                                        ("controller", "name"))
    registry.reconciles = registry.counter("controller_runtime_reconcile_total",
                                           "Total number of reconciliations per controller", ("controller", "result"))
    registry.reconcile_errors = registry.counter("controller_runtime_reconcile_errors_total",
                                                 "Total number of reconciliation errors per controller",
                                                 ("controller",))
    for controller in ("binding-controller", "cluster-resource-binding-controller", "cluster-controller"):
        # No depth series yet: with the priority queue a workqueue_depth child appears per priority on
        # its first add (controller-runtime v0.23.1 pkg/internal/metrics/workqueue.go depthWithPriorityMetric).
        registry.adds.inc(0, controller=controller, name=controller)
        registry.retries.inc(0, controller=controller, name=controller)
        registry.reconcile_errors.inc(0, controller=controller)
        for result in ("success", "error", "requeue", "requeue_after"):
            registry.reconciles.inc(0, controller=controller, result=result)
    return registry


class RateLimiter:
    """Karmada's DefaultControllerRateLimiter: per-item exponential backoff, max'ed with a token bucket."""

    def __init__(self, base, cap, qps=10.0, burst=100):
        self.base, self.cap = base, cap
        self.qps, self.burst = qps, burst
        self.failures = {}
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def when(self, key):
        with self._lock:
            count = self.failures.get(key, 0)
            self.failures[key] = count + 1
            backoff = min(self.base * (2 ** min(count, 62)), self.cap)
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
            self._tokens -= 1
            bucket = 0.0 if self._tokens >= 0 else -self._tokens / self.qps
            return max(backoff, bucket)

    def forget(self, key):
        with self._lock:
            self.failures.pop(key, None)


class Incarnation:
    """One run of the leader's controllers: queues, rate limiters and metrics live and die together."""

    def __init__(self, manager, pod):
        self.manager = manager
        self.pod = pod
        self.registry = new_registry()
        # The cluster controller is built WithOptions(RateLimiter: DefaultControllerRateLimiter) too
        # (pkg/controllers/cluster/cluster_controller.go:197, v1.18.2).
        self.limiters = {name: RateLimiter(manager.backoff_base, manager.backoff_cap)
                         for name in (*BINDING_CONTROLLERS.values(), CLUSTER_CONTROLLER)}
        self.queues = {rtype: Controller(name, self._reconcile_binding_key(rtype))
                       for rtype, name in BINDING_CONTROLLERS.items()}
        self.cluster_queue = Controller("cluster-controller", self._reconcile_cluster_key)
        # Karmada v1.18.2 enables controller-runtime's priority queue by default (pkg/features/features.go:
        # ControllerPriorityQueue Beta, default true; cmd/controller-manager/app/controllermanager.go:201).
        # Its depth metric carries priority="<int>": handler.LowPriority (-100) for the informer's initial
        # list (pkg/handler/eventhandler.go), 0 for real changes; a retry keeps the priority it was taken
        # with (pkg/internal/controller/controller.go reconcileHandler).
        self.priorities = {queue.name: {} for queue in self.all_queues()}
        self.observed = {queue.name: set() for queue in self.all_queues()}
        self.stopped = False
        self.started = time.monotonic()          # the informer caches are as fresh as this (writefaults)

    def add(self, queue, key, priority=0):
        """A watch event's add (``priority`` -100 for the initial list, else 0)."""
        self.priorities[queue.name][key] = priority
        self.observed[queue.name].add(priority)
        queue.enqueue(key)

    def all_queues(self):
        return [*self.queues.values(), self.cluster_queue]

    def start(self, enqueue_everything=True):
        if enqueue_everything:
            for cluster in self.manager.karmada.items(CLUSTER):
                self.add(self.cluster_queue, cluster["metadata"]["name"], LOW_PRIORITY)
            for rtype, queue in self.queues.items():
                for binding in self.manager.karmada.items(rtype):
                    self.add(queue, _key(binding), LOW_PRIORITY)
        for queue in self.all_queues():
            queue.start()

    def stop(self):
        self.stopped = True
        for queue in self.all_queues():
            queue.stop()

    def refresh_depth(self):
        for queue in self.all_queues():
            priorities = self.priorities[queue.name]
            ready = [priorities.get(key, 0) for key in queue.ready_keys()]
            for priority in sorted(self.observed[queue.name]):
                self.registry.depth.set(ready.count(priority), controller=queue.name, name=queue.name,
                                        priority=str(priority))

    def _reconcile_binding_key(self, rtype):
        def reconcile(key):
            if self.stopped:
                return None
            return self.manager.reconcile_binding(self, rtype, key)
        return reconcile

    def _reconcile_cluster_key(self, key):
        if self.stopped:
            return None
        return self.manager.reconcile_cluster(self, key)


def _key(binding):
    return (binding["metadata"].get("namespace", ""), binding["metadata"]["name"])


class ControllerManager:
    def __init__(self, emulator, scenario):
        self.emulator = emulator
        self.config = scenario["controller_manager"]
        self.faults = scenario["faults"]
        self.karmada = emulator.stores["karmada-apiserver"]
        self.host = emulator.stores["karmada-host"]
        self.recorder = EventRecorder(self.karmada)
        self.override_recorder = self.recorder
        scale = scenario["time_scale"]
        self.backoff_base = 0.005 * scale
        self.backoff_cap = 1000.0 * scale
        identity = self.faults["controller_identity"]
        self.identity = Identity(identity["user"], tuple(identity["groups"]))
        self.random = random.Random(scenario.get("seed", 7))
        self.stuck_works = {(w["namespace"], w["name"]) for w in self.faults.get("stuck_works_resolved", [])}
        self.incarnation = None
        self.seeding = False
        self.failing_clusters = set()
        self.churn_per_minute = scenario["history"]["churn_per_minute"]
        self.pause_reconciles = threading.Event()
        self._lock = threading.RLock()
        emulator.deployments.pod_started_hooks.append(self._pod_started)
        emulator.deployments.pod_deleted_hooks.append(self._pod_deleted)
        self.karmada.subscribe(self._on_karmada_change)

    # -- pods, leader election, restarts ----------------------------------------------------------------
    def is_manager_pod(self, pod):
        labels = pod["metadata"].get("labels") or {}
        return (pod["metadata"]["namespace"] == self.config["namespace"]
                and all(labels.get(k) == v for k, v in self.config["labels"].items()))

    def pods(self):
        return [p for p in self.host.items(POD, self.config["namespace"])
                if self.is_manager_pod(p) and not p["metadata"].get("deletionTimestamp")]

    def log(self, severity, source, message, err=None, verbosity=0, pod=None, **fields):
        pod = pod or (self.incarnation.pod if self.incarnation else None)
        if pod is None or verbosity > self.config["verbosity"]:
            return
        line = klog.format_line(clock.now(), severity, source, message, self.config["log_format"], err=err,
                                verbosity=verbosity, **fields)
        self.emulator.logbook.append(self.config["namespace"], pod, CONTAINER, line)

    def logf(self, severity, source, text, verbosity=0, pod=None):
        pod = pod or (self.incarnation.pod if self.incarnation else None)
        if pod is None or verbosity > self.config["verbosity"]:
            return
        line = klog.format_printf(clock.now(), severity, source, text, self.config["log_format"], verbosity)
        self.emulator.logbook.append(self.config["namespace"], pod, CONTAINER, line)

    def _pod_started(self, pod):
        if not self.is_manager_pod(pod):
            return
        name = pod["metadata"]["name"]
        self.log("I", "controllermanager.go:182", "Starting karmada-controller-manager", pod=name,
                 version=KARMADA_VERSION)
        self.logf("I", "leaderelection.go:257", f"attempting to acquire leader lease {LEASE_NAMESPACE}/"
                  "karmada-controller-manager...", pod=name)
        if self.leader() is None:
            self.become_leader(name)

    def _pod_deleted(self, pod):
        if not self.is_manager_pod(pod):
            return
        with self._lock:
            if self.incarnation and self.incarnation.pod == pod["metadata"]["name"]:
                self.incarnation.stop()
                self.incarnation = None
                survivors = self._candidates()
                if survivors:
                    self.become_leader(survivors[0]["metadata"]["name"])

    def _candidates(self):
        """Standby pods in the order the emulator lets them win the election.

        In a real cluster the standbys race for the Lease once it expires: v1.18.2 sets no
        LeaderElectionReleaseOnCancel, so a stopped leader does not release it and the hand-over waits up to the
        15 s lease duration (the emulator does not wait). A rollout usually finishes within that time, so a
        pod of the new template wins; the emulator always lets one win, which makes one rollout one leader
        change (leaseTransitions + 1) whichever old pod the ReplicaSet controller removes first (among pods
        ready for hours that order is pseudorandom: ActivePodsWithRanks' logarithmic ranks fall back to UIDs;
        here it is the pods' random names).
        """
        deployment = self.host.find(DEPLOYMENT, self.config["namespace"], self.config["name"])
        current = template_hash((deployment or {}).get("spec", {}).get("template", {})) if deployment else None

        def rank(pod):
            labels = pod["metadata"].get("labels") or {}
            return (labels.get("pod-template-hash") != current, pod["metadata"]["name"])
        return sorted(self.pods(), key=rank)

    def _lease(self):
        return self.karmada.find(LEASE, LEASE_NAMESPACE, LEASE_NAME)

    def leader(self):
        lease = self._lease()
        holder = (lease or {}).get("spec", {}).get("holderIdentity", "").split("_")[0]
        return holder if any(p["metadata"]["name"] == holder for p in self.pods()) else None

    def become_leader(self, pod_name, start_queues=True):
        """Acquire the Lease and (re)start the controllers with fresh queues and metrics."""
        with self._lock:
            self._write_lease(pod_name)
            if self.incarnation:
                self.incarnation.stop()
            self.logf("I", "leaderelection.go:271", f"successfully acquired lease {LEASE_NAMESPACE}/"
                      "karmada-controller-manager", pod=pod_name)
            self.incarnation = Incarnation(self, pod_name)
            for name, kind, group in (("cluster-controller", "Cluster", "cluster.karmada.io"),
                                      ("binding-controller", "ResourceBinding", "work.karmada.io"),
                                      ("cluster-resource-binding-controller", "ClusterResourceBinding",
                                       "work.karmada.io")):
                self.log("I", "controller.go:246", "Starting Controller", controller=name, controllerGroup=group,
                         controllerKind=kind)
                self.log("I", "controller.go:255", "Starting workers", controller=name, controllerGroup=group,
                         controllerKind=kind, **{"worker count": 5})
            if start_queues and not self.seeding:
                self.incarnation.start()
            return self.incarnation

    def _write_lease(self, pod_name):
        """client-go leaderelection tryAcquireOrRenew for a new holder: acquireTime = renewTime = now, and
        leaseTransitions + 1 because the holder changed."""
        now = clock.rfc3339_micro()
        spec = {"holderIdentity": f"{pod_name}_{uuid.uuid4()}", "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                "acquireTime": now, "renewTime": now, "leaseTransitions": 0}
        if self._lease() is None:
            self.karmada.create(LEASE, {"metadata": {"name": LEASE_NAME, "namespace": LEASE_NAMESPACE}, "spec": spec})
            return

        def change(lease):
            spec["leaseTransitions"] = lease["spec"].get("leaseTransitions", 0) + 1
            lease["spec"] = spec
        self.karmada.mutate(LEASE, LEASE_NAMESPACE, LEASE_NAME, change)

    def _renew_leases(self):
        """The leader renews every retry period: only renewTime moves (tryAcquireOrRenew keeps acquireTime
        and leaseTransitions for the same holder)."""
        while not self.emulator.stopped.wait(LEASE_RENEW_SECONDS):
            incarnation = self.incarnation       # no manager lock here: pod deletions take it under the host lock
            if incarnation is None or incarnation.stopped or self.faults["leader_stopped_renewing"]:
                # The fault: a leader hung (or cut off from the API server) keeps the Lease it last renewed.
                continue
            now = clock.rfc3339_micro()

            def renew(lease, holder=incarnation.pod, now=now):
                if lease["spec"].get("holderIdentity", "").split("_")[0] == holder:
                    lease["spec"]["renewTime"] = now
            self.karmada.mutate(LEASE, LEASE_NAMESPACE, LEASE_NAME, renew)

    # -- start-up from a scenario ------------------------------------------------------------------------
    def initial_pass(self, incarnation):
        """Reconcile every binding once, synchronously; returns {(rtype, key)} of those that failed.

        Clusters whose execution namespace never came to be (the scenario did not delete it: the cluster
        controller could not create it) are reconciled too; they fail again and are kept in
        ``failing_clusters``.
        """
        failing = set()
        if self.karmada.items(CLUSTER):
            incarnation.observed["cluster-controller"].add(LOW_PRIORITY)
        deleted = set(self.faults["missing_namespaces"])
        for cluster in self.karmada.items(CLUSTER):
            name = cluster["metadata"]["name"]
            if name not in deleted and self.karmada.find(NAMESPACE, "", execution_space(name)) is None:
                if self.reconcile_cluster(incarnation, name) is not None:
                    self.failing_clusters.add(name)
        for rtype in BINDING_CONTROLLERS:
            for binding in self.karmada.items(rtype):
                key = _key(binding)
                # The leader's initial list: added at LowPriority, which its retries keep.
                incarnation.priorities[BINDING_CONTROLLERS[rtype]][key] = LOW_PRIORITY
                incarnation.observed[BINDING_CONTROLLERS[rtype]].add(LOW_PRIORITY)
                if self.reconcile_binding(incarnation, rtype, key) is not None:
                    failing.add((rtype, key))
        return failing

    def resume(self, incarnation, failing):
        """Start the queues as a long-running leader would be: failing bindings and clusters deep in their
        backoff."""
        for rtype, key in sorted(failing, key=lambda item: (item[0].kind, item[1])):
            controller = BINDING_CONTROLLERS[rtype]
            incarnation.limiters[controller].failures[key] = 40
            incarnation.queues[rtype].reschedule(key, self.backoff_cap * self.random.uniform(0.3, 1.0))
        for name in sorted(self.failing_clusters):
            incarnation.limiters[CLUSTER_CONTROLLER].failures[name] = 40
            incarnation.priorities[CLUSTER_CONTROLLER][name] = LOW_PRIORITY
            incarnation.cluster_queue.reschedule(name, self.backoff_cap * self.random.uniform(0.3, 1.0))
        incarnation.start(enqueue_everything=False)
        threading.Thread(target=self._renew_leases, name="leader-election", daemon=True).start()
        if self.churn_per_minute > 0:
            threading.Thread(target=self._churn, name="workload-churn", daemon=True).start()

    def _churn(self):
        """Users keep updating workloads: now and then a binding's spec moves and it is synced again."""
        interval = 60.0 / self.churn_per_minute
        while not self.emulator.stopped.wait(interval * self.random.uniform(0.5, 1.5)):
            incarnation = self.incarnation
            if incarnation is None:
                continue
            limiter = incarnation.limiters["binding-controller"]
            candidates = [b for b in self.karmada.items(RESOURCE_BINDING) if _key(b) not in limiter.failures]
            if not candidates:
                continue
            binding = self.random.choice(candidates)
            version = str(self.random.randint(10_000, 99_999))
            self.karmada.mutate(RESOURCE_BINDING, binding["metadata"]["namespace"], binding["metadata"]["name"],
                                lambda b, v=version: b["spec"]["resource"].__setitem__("resourceVersion", v))

    def metrics_text(self):
        incarnation = self.incarnation
        if incarnation is None:
            return ""
        incarnation.refresh_depth()
        return incarnation.registry.expose()

    # -- watches (what enqueues what) -----------------------------------------------------------------------
    def _on_karmada_change(self, event_type, rtype, obj, old):
        incarnation = self.incarnation
        if incarnation is None or incarnation.stopped:
            return
        generation_changed = old is None or obj["metadata"].get("generation") != old["metadata"].get("generation")
        if rtype in BINDING_CONTROLLERS and event_type != "DELETED":
            # GenerationChangedPredicate: label, annotation and status edits do not resync a binding.
            if generation_changed or (obj["metadata"].get("deletionTimestamp")
                                      and not old["metadata"].get("deletionTimestamp")):
                incarnation.add(incarnation.queues[rtype], _key(obj))
        elif rtype in (OVERRIDE_POLICY, CLUSTER_OVERRIDE_POLICY) and (generation_changed or event_type == "DELETED"):
            self._enqueue_bindings_for_policy(incarnation, rtype, obj)
        elif rtype is CLUSTER:
            incarnation.add(incarnation.cluster_queue, obj["metadata"]["name"])   # no predicate: every change
        elif rtype is WORK:
            self._execution_controller(event_type, obj)

    def _enqueue_bindings_for_policy(self, incarnation, rtype, policy):
        namespace = policy["metadata"].get("namespace") if rtype is OVERRIDE_POLICY else None
        watchers = [RESOURCE_BINDING] if rtype is OVERRIDE_POLICY else [RESOURCE_BINDING, CLUSTER_RESOURCE_BINDING]
        for binding_type in watchers:
            for binding in self.karmada.items(binding_type, namespace):
                template = self._template(binding)
                if template is not None and policy_priority(policy, template):
                    incarnation.add(incarnation.queues[binding_type], _key(binding))

    # -- execution controller (member-cluster side of Works) -------------------------------------------------
    def _cluster_ready(self, name):
        cluster = self.karmada.find(CLUSTER, "", name)
        return bool(cluster) and any(c.get("type") == "Ready" and c.get("status") == "True"
                                     for c in cluster.get("status", {}).get("conditions") or [])

    def _execution_controller(self, event_type, work):
        meta = work["metadata"]
        if event_type == "DELETED" or not meta["namespace"].startswith(EXECUTION_SPACE_PREFIX):
            return
        cluster = cluster_of(meta["namespace"])
        if meta.get("deletionTimestamp"):
            stuck = (meta["namespace"], meta["name"]) in self.stuck_works
            if "karmada.io/execution-controller" in (meta.get("finalizers") or []) and not stuck \
                    and self._cluster_ready(cluster):
                threading.Timer(0.05, self._release_work, (meta["namespace"], meta["name"])).start()
            return
        applied = any(c.get("type") == "Applied" for c in work.get("status", {}).get("conditions") or [])
        if not applied and self._cluster_ready(cluster):
            now = clock.rfc3339()
            applied_status = {"conditions": [{"type": "Applied", "status": "True", "reason": "AppliedSuccessful",
                                              "message": "Manifest has been successfully applied",
                                              "lastTransitionTime": now}]}
            self.karmada.mutate(WORK, meta["namespace"], meta["name"],
                                lambda w: w.__setitem__("status", applied_status), subresource="status")

    def _release_work(self, namespace, name):
        def drop_finalizer(work):
            work["metadata"]["finalizers"] = [f for f in work["metadata"].get("finalizers") or []
                                              if f != "karmada.io/execution-controller"]
        self.karmada.mutate(WORK, namespace, name, drop_finalizer)

    # -- cluster controller ------------------------------------------------------------------------------
    def reconcile_cluster(self, incarnation, name):
        registry = incarnation.registry
        registry.adds.inc(controller=CLUSTER_CONTROLLER, name=CLUSTER_CONTROLLER)
        cluster = self.karmada.find(CLUSTER, "", name)
        if cluster is None:
            return None
        namespace = execution_space(name)
        if cluster["metadata"].get("deletionTimestamp"):
            if self.karmada.find(NAMESPACE, "", namespace) is not None:
                self.karmada.delete(NAMESPACE, "", namespace)
                self.recorder.event(cluster, "Normal", "RemoveExecutionSpaceSucceed",
                                    f"Removed execution space for cluster({name}).", CLUSTER_CONTROLLER)
            self.karmada.mutate(CLUSTER, "", name, lambda c: c["metadata"].__setitem__("finalizers", [
                f for f in c["metadata"].get("finalizers") or [] if f != "karmada.io/cluster-controller"]))
            registry.reconciles.inc(controller=CLUSTER_CONTROLLER, result="success")
            return None
        if self.karmada.find(NAMESPACE, "", namespace) is None:
            try:
                self._create_execution_space(cluster, namespace)
            except errors.ApiError as exc:
                return self._cluster_failed(incarnation, cluster, exc.message)
        incarnation.limiters[CLUSTER_CONTROLLER].forget(name)
        registry.reconciles.inc(controller=CLUSTER_CONTROLLER, result="success")
        return None

    def _create_execution_space(self, cluster, namespace):
        """createExecutionSpace (cluster_controller.go:381, v1.18.2): create only when absent, as the
        controller's own identity -- RBAC, then the API server's validation of the name, apply."""
        name = cluster["metadata"]["name"]
        if not authorize(self.karmada, self.identity, Attributes("create", "", "namespaces"))[0]:
            raise errors.forbidden(NAMESPACE, "", self.identity.user, "create", "")
        self.karmada.create(NAMESPACE, {"metadata": {"name": namespace, "labels": {"karmada.io/system": "true"}}})
        message = f"Created execution space({namespace}) for cluster({name})."
        self.log("I", "cluster_controller.go:408", message, verbosity=2)
        self.recorder.event(cluster, "Normal", "CreateExecutionSpaceSucceed", message, CLUSTER_CONTROLLER)

    def _cluster_failed(self, incarnation, cluster, message):
        """syncCluster's error path (cluster_controller.go:204-207, v1.18.2): the klog line from
        createExecutionSpace, a CreateExecutionSpaceFailed Warning with err.Error(), and controller-runtime
        v0.23.1's "Reconciler error" (pkg/internal/controller/controller.go:495) and rate-limited requeue."""
        name = cluster["metadata"]["name"]
        registry = incarnation.registry
        self.log("E", "cluster_controller.go:404", "Failed to create execution space", err=message, cluster=name)
        self._event(cluster, "Warning", "CreateExecutionSpaceFailed", message, CLUSTER_CONTROLLER)
        self.log("E", "controller.go:495", "Reconciler error", err=message, controller=CLUSTER_CONTROLLER,
                 controllerGroup="cluster.karmada.io", controllerKind="Cluster", Cluster=name, namespace="",
                 name=name, reconcileID=str(uuid.uuid4()))
        registry.reconcile_errors.inc(controller=CLUSTER_CONTROLLER)
        registry.reconciles.inc(controller=CLUSTER_CONTROLLER, result="error")
        registry.retries.inc(controller=CLUSTER_CONTROLLER, name=CLUSTER_CONTROLLER)
        return incarnation.limiters[CLUSTER_CONTROLLER].when(name)

    # -- binding controllers --------------------------------------------------------------------------------
    def _template(self, binding):
        resource = binding.get("spec", {}).get("resource") or {}
        rtype = self.emulator.registries["karmada-apiserver"].by_api_version(resource.get("apiVersion", ""),
                                                                             resource.get("kind", ""))
        if rtype is None:
            return None
        return self.karmada.find(rtype, resource.get("namespace", "") if rtype.namespaced else "",
                                 resource.get("name", ""))

    def reconcile_binding(self, incarnation, rtype, key):
        controller = BINDING_CONTROLLERS[rtype]
        registry = incarnation.registry
        registry.adds.inc(controller=controller, name=controller)
        while self.pause_reconciles.is_set() and not incarnation.stopped:
            time.sleep(0.05)
        binding = self.karmada.find(rtype, *key) if rtype.namespaced else self.karmada.find(rtype, "", key[1])
        if binding is None:
            return None
        if binding["metadata"].get("deletionTimestamp"):
            self._delete_works(binding)
            registry.reconciles.inc(controller=controller, result="success")
            return None
        if not binding.get("spec", {}).get("clusters"):
            return None
        template = self._template(binding)
        if template is None:
            return None                                   # NotFound: silently dropped, no metric
        started = self.random.uniform(0.002, 0.012)
        failures = []
        for cluster in target_clusters(binding):
            try:
                self._ensure_work(binding, template, cluster)
            except WorkError as exc:
                failures.append(str(exc))
        result = "error" if failures else "success"
        registry.sync_work.observe(started if not failures else self.random.uniform(0.001, 0.006), result=result)
        self._update_binding_status(rtype, binding)
        if failures:
            self._report_failure(incarnation, rtype, binding, template, aggregate(failures))
            return incarnation.limiters[controller].when(key)
        incarnation.limiters[controller].forget(key)
        registry.reconciles.inc(controller=controller, result="success")
        self._report_success(rtype, binding, template)
        return None

    def _report_failure(self, incarnation, rtype, binding, template, message):
        controller = BINDING_CONTROLLERS[rtype]
        registry = incarnation.registry
        meta = binding["metadata"]
        if rtype is RESOURCE_BINDING:
            self.log("E", "binding_controller.go:168", "Failed to transform ResourceBinding to works", err=message,
                     namespace=meta["namespace"], binding=meta["name"])
            kref = f"{meta['namespace']}/{meta['name']}"
        else:
            self.log("E", "cluster_resource_binding_controller.go:152",
                     "Failed to transform ClusterResourceBinding to works.", err=message,
                     ClusterResourceBinding=meta["name"])
            kref = meta["name"]
        for obj in (binding, template):
            self._event(obj, "Warning", "SyncWorkFailed", message, controller)
        self.log("E", "controller.go:316", "Reconciler error", err=message, controller=controller,
                 controllerGroup="work.karmada.io", controllerKind=rtype.kind, **{rtype.kind: kref},
                 namespace=meta.get("namespace", ""), name=meta["name"], reconcileID=str(uuid.uuid4()))
        registry.reconcile_errors.inc(controller=controller)
        registry.reconciles.inc(controller=controller, result="error")
        registry.retries.inc(controller=controller, name=controller)

    def _report_success(self, rtype, binding, template):
        meta = binding["metadata"]
        if rtype is RESOURCE_BINDING:
            message = f"Sync work of ResourceBinding({meta['namespace']}/{meta['name']}) successful."
            self.log("I", "binding_controller.go:174", message, verbosity=4, namespace=meta["namespace"],
                     binding=meta["name"])
        else:
            message = f"Sync work of ClusterResourceBinding({meta['name']}) successful."
            self.log("I", "cluster_resource_binding_controller.go:158", "Sync work of ClusterResourceBinding "
                     "successful.", verbosity=4, ClusterResourceBinding=meta["name"])
        for obj in (binding, template):
            self._event(obj, "Normal", "SyncWorkSucceed", message, BINDING_CONTROLLERS[rtype])

    def _event(self, obj, event_type, reason, message, component):
        try:
            self.recorder.event(obj, event_type, reason, message, component)
        except errors.ApiError:
            pass                      # e.g. the namespace is terminating: client-go drops the event too

    def _ensure_work(self, binding, template, cluster_name):
        revise_error = writefaults.interpreter_failure(self, binding, template, cluster_name)
        if revise_error is not None:                  # common.go:88 ReviseReplica comes before the overrides
            writefaults.log_revise_failure(self, template, cluster_name, revise_error)
            raise WorkError(revise_error)
        cluster = self.karmada.find(CLUSTER, "", cluster_name)
        if cluster is None:
            # overridemanager.go:97 reads the Cluster through the manager's cached client: controller-runtime
            # v0.23.1 cache_reader.go:75 NewNotFound with the Kind as the resource.
            message = f'Cluster.cluster.karmada.io "{cluster_name}" not found'
            self.logf("E", "overridemanager.go:98", f"Failed to get member cluster: {cluster_name}, error: {message}")
            self._log_override_failure(template, cluster_name, message)
            raise WorkError(message)
        try:
            workload, applied = apply_overrides(self.karmada, template, cluster)
        except OverrideFailure as failure:
            self._report_override_failure(template, cluster_name, failure)
            raise WorkError(failure.message) from None
        for _kind, namespace, name in applied:
            policy = f"{namespace}/{name}" if namespace else name
            self.logf("I", "overridemanager.go:181" if namespace else "overridemanager.go:143",
                      f"Applied {'overrides' if namespace else 'cluster overrides'}({policy}) for resource("
                      f"{template['metadata'].get('namespace', '')}/{template['metadata']['name']})", verbosity=2)
        desired = record_applied_overrides(work_for(workload, binding, cluster_name, applied), self.karmada,
                                           template, cluster)
        self._create_or_update_work(desired)

    def _log_override_failure(self, template, cluster_name, message):
        meta = template["metadata"]
        self.log("E", "common.go:132", "Failed to apply overrides for workload in cluster.", err=message,
                 workloadKind=template["kind"], workloadNamespace=meta.get("namespace", ""),
                 workloadName=meta["name"], cluster=cluster_name)

    def _report_override_failure(self, template, cluster_name, failure):
        meta = template["metadata"]
        resource = f"{meta.get('namespace', '')}/{meta['name']}"
        if failure.policy_kind == "OverridePolicy":
            self.logf("E", "overridemanager.go:176", f"Failed to apply overrides({failure.namespace}/{failure.name}) "
                      f"for resource({resource}), error: {failure.message}")
            self.logf("E", "overridemanager.go:118", f"Failed to apply namespaced override policies. error: "
                      f"{failure.message}")
            event = f"Apply override policy({failure.namespace}/{failure.name}) for cluster({cluster_name}) failed."
        else:
            self.logf("E", "overridemanager.go:138", f"Failed to apply cluster overrides({failure.name}) for "
                      f"resource({resource}), error: {failure.message}")
            self.logf("E", "overridemanager.go:110", f"Failed to apply cluster override policies. error: "
                      f"{failure.message}")
            event = f"Apply cluster override policy({failure.name}) for cluster({cluster_name}) failed."
        self._event(template, "Warning", "ApplyOverridePolicyFailed", event, "override-manager")
        self._log_override_failure(template, cluster_name, failure.message)

    def _create_or_update_work(self, desired):
        meta = desired["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        existing = self.karmada.find(WORK, namespace, name)
        if existing is not None and writefaults.cache_misses(self, namespace):
            existing = None                           # the new leader's Work cache has not seen it yet
        try:
            if existing is not None and existing["metadata"].get("deletionTimestamp"):
                raise WorkError(f"work {namespace}/{name} is being deleted")
            if existing is not None and _work_up_to_date(existing, desired):
                self.logf("I", "work.go:110", f"Work {namespace}/{name} is up to date.", verbosity=2)
                return
            verb = "update" if existing is not None else "create"
            try:                                      # client-go and the API server's priority and fairness
                writefaults.client_failure(self, verb, namespace, name)
            except writefaults.Refused as refused:
                self._count_refused(verb, refused)
                raise WorkError(refused.message) from None
            # A POST names no object in its URL, so the authorizer's attributes carry none and neither does
            # the Forbidden message (apiserver v0.35.3 endpoints/handlers/responsewriters/errors.go
            # ForbiddenStatusError -> NewForbidden(gr, attributes.GetName(), ...)).
            url_name = name if verb == "update" else ""
            allowed = authorize(self.karmada, self.identity,
                                Attributes(verb, "work.karmada.io", "works", "", namespace, url_name))[0]
            if not allowed:
                raise errors.forbidden(WORK, url_name, self.identity.user, verb, namespace)
            apiserver_error = self.faults.get("apiserver_error")
            if apiserver_error and self.random.random() < apiserver_error["fraction"]:
                self.emulator.count_request("karmada-apiserver", "POST" if verb == "create" else "PUT", WORK,
                                            apiserver_error["code"])
                raise WorkError(apiserver_error["message"])
            if verb == "create":
                self.karmada.admit_namespace(WORK, name, namespace)
            if not self.faults["webhook_available"]:
                self.emulator.count_request("karmada-apiserver", "POST" if verb == "create" else "PUT", WORK, 500)
                raise WorkError(WEBHOOK_ERROR)
            try:
                writefaults.server_failure(self, verb, namespace, name, existing)
            except writefaults.Refused as refused:
                self._count_refused(verb, refused)
                raise WorkError(refused.message) from None
            if verb == "create":
                desired["metadata"]["labels"]["work.karmada.io/permanent-id"] = str(uuid.uuid4())
                self.karmada.create(WORK, desired)
                self.emulator.count_request("karmada-apiserver", "POST", WORK, 201)
                self.logf("I", "work.go:104", f"Create work {namespace}/{name} successfully.", verbosity=2)
            else:
                def change(work):
                    work["spec"] = desired["spec"]
                    work["metadata"]["labels"] = dict(work["metadata"].get("labels") or {},
                                                      **desired["metadata"]["labels"])
                    work["metadata"]["annotations"] = desired["metadata"]["annotations"]
                self.karmada.mutate(WORK, namespace, name, change)
                self.emulator.count_request("karmada-apiserver", "PUT", WORK, 200)
                self.logf("I", "work.go:107", f"Update work {namespace}/{name} successfully.", verbosity=2)
        except errors.ApiError as exc:
            self.emulator.count_request("karmada-apiserver", "POST" if existing is None else "PUT", WORK, exc.code)
            self.logf("E", "work.go:98", f"Failed to create/update work {namespace}/{name}. Error: {exc.message}")
            raise WorkError(exc.message) from None
        except WorkError as exc:
            self.logf("E", "work.go:98", f"Failed to create/update work {namespace}/{name}. Error: {exc}")
            raise

    def _count_refused(self, verb, refused):
        for _attempt in range(refused.attempts if refused.code is not None else 0):
            self.emulator.count_request("karmada-apiserver", "POST" if verb == "create" else "PUT", WORK, refused.code)

    def _delete_works(self, binding):
        label = permanent_id_label(binding)
        permanent_id = binding["metadata"]["labels"].get(label)
        for cluster in self.karmada.items(CLUSTER):
            namespace = execution_space(cluster["metadata"]["name"])
            for work in self.karmada.items(WORK, namespace):
                if work["metadata"].get("labels", {}).get(label) == permanent_id:
                    self.karmada.delete(WORK, namespace, work["metadata"]["name"])
        finalizer = ("karmada.io/binding-controller" if binding["kind"] == "ResourceBinding"
                     else "karmada.io/cluster-resource-binding-controller")
        rtype = RESOURCE_BINDING if binding["kind"] == "ResourceBinding" else CLUSTER_RESOURCE_BINDING
        self.karmada.mutate(rtype, binding["metadata"].get("namespace", ""), binding["metadata"]["name"],
                            lambda b: b["metadata"].__setitem__("finalizers", [
                                f for f in b["metadata"].get("finalizers") or [] if f != finalizer]))

    def _update_binding_status(self, rtype, binding):
        """What the binding-status controller reports: FullyApplied from the Works that exist."""
        template = self._template(binding)
        aggregated, all_applied = [], True
        for cluster in target_clusters(binding):
            name = None if template is None else work_for_name(template)
            work = self.karmada.find(WORK, execution_space(cluster), name) if name else None
            applied = bool(work) and not work["metadata"].get("deletionTimestamp") and self._cluster_ready(cluster)
            all_applied &= applied
            entry = {"clusterName": cluster, "applied": applied}
            if applied:
                entry["health"] = "Healthy"
            aggregated.append(entry)
        now = clock.rfc3339()
        condition = ({"type": "FullyApplied", "status": "True", "reason": "FullyAppliedSuccess",
                      "message": "All works have been successfully applied"} if all_applied else
                     {"type": "FullyApplied", "status": "False", "reason": "FullyAppliedFailed",
                      "message": "Failed to apply all works, see status.aggregatedStatus for details"})

        def change(obj):
            status = obj.setdefault("status", {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "FullyApplied"]
            previous = next((c for c in status.get("conditions") or [] if c.get("type") == "FullyApplied"), {})
            condition["lastTransitionTime"] = (previous.get("lastTransitionTime", now)
                                               if previous.get("status") == condition["status"] else now)
            status["conditions"] = conditions + [condition]
            status["aggregatedStatus"] = aggregated
        self.karmada.mutate(rtype, binding["metadata"].get("namespace", ""), binding["metadata"]["name"], change,
                            subresource="status")


def work_for_name(template):
    from .names import work_name
    return work_name(template["kind"], template["metadata"]["name"], template["metadata"].get("namespace", ""))


def _work_up_to_date(existing, desired):
    return (existing.get("spec") == desired["spec"]
            and existing["metadata"].get("annotations") == desired["metadata"]["annotations"]
            and all(existing["metadata"].get("labels", {}).get(k) == v
                    for k, v in desired["metadata"]["labels"].items()))
