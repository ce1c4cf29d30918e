"""The host cluster's moving parts: Deployments roll out ReplicaSets and Pods, and Pods write logs."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import random
import string

from . import clock
from .controllers import Controller
from .resources import DEPLOYMENT, POD, REPLICASET

_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
NODE_NAME = "karmada-host-control-plane"


def template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in digest[:10])


def _owned_by(obj, owner):
    return any(ref.get("uid") == owner["metadata"]["uid"] for ref in obj["metadata"].get("ownerReferences") or [])


def _owner_ref(owner):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


class DeploymentController:
    """Rolls Deployments forward one pod at a time (maxSurge 1, maxUnavailable 0)."""

    def __init__(self, store, logbook, step_seconds=0.2):
        self.store = store
        self.logbook = logbook
        self.step_seconds = step_seconds
        self.pod_started_hooks = []            # callables(pod) run when a new pod starts
        self.pod_deleted_hooks = []
        self.controller = Controller("deployment", self.reconcile)
        store.subscribe(self._on_change)
        self._pod_ip = 10

    def start(self):
        for dep in self.store.items(DEPLOYMENT):
            self.controller.enqueue((dep["metadata"]["namespace"], dep["metadata"]["name"]))
        self.controller.start()

    def _on_change(self, event_type, rtype, obj, old):
        meta = obj["metadata"]
        if rtype is DEPLOYMENT:
            # Our own status writes must not hurry the rollout along: only spec changes start a step now.
            if old is None or event_type != "MODIFIED" or meta.get("generation") != old["metadata"].get("generation"):
                self.controller.enqueue((meta["namespace"], meta["name"]))
        elif rtype in (REPLICASET, POD) and event_type == "DELETED":
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == "ReplicaSet" and rtype is POD:
                    rs = self.store.find(REPLICASET, meta["namespace"], ref["name"])
                    if rs:
                        for rs_ref in rs["metadata"].get("ownerReferences") or []:
                            self.controller.enqueue((meta["namespace"], rs_ref["name"]), self.step_seconds)
                elif ref.get("kind") == "Deployment":
                    self.controller.enqueue((meta["namespace"], ref["name"]), self.step_seconds)
            if rtype is POD and event_type == "DELETED":
                for hook in self.pod_deleted_hooks:
                    hook(obj)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, key):
        namespace, name = key
        dep = self.store.find(DEPLOYMENT, namespace, name)
        if dep is None:
            self._collect_orphans(namespace)
            return None
        desired = dep.get("spec", {}).get("replicas", 1)
        template = dep.get("spec", {}).get("template", {})
        pod_hash = template_hash(template)
        sets = [rs for rs in self.store.items(REPLICASET, namespace) if _owned_by(rs, dep)]
        new_rs = next((rs for rs in sets if rs["metadata"].get("labels", {}).get("pod-template-hash") == pod_hash),
                      None)
        if new_rs is None:
            new_rs = self._create_replicaset(dep, template, pod_hash, sets)
        old_sets = [rs for rs in sets if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        pods = [p for p in self.store.items(POD, namespace) if not p["metadata"].get("deletionTimestamp")]
        new_pods = [p for p in pods if _owned_by(p, new_rs)]
        old_pods = [p for p in pods if any(_owned_by(p, rs) for rs in old_sets)]
        more = False
        if len(new_pods) < desired and len(new_pods) + len(old_pods) < desired + 1:
            new_pods.append(self._create_pod(new_rs, template))
            more = True
        elif old_pods:
            victim = old_pods.pop(0)
            self.store.delete(POD, namespace, victim["metadata"]["name"])
            more = True
        elif len(new_pods) > desired:
            victim = new_pods.pop()
            self.store.delete(POD, namespace, victim["metadata"]["name"])
            more = True
        self._set_rs_status(new_rs, len(new_pods), desired)
        for rs in old_sets:
            self._set_rs_status(rs, sum(1 for p in old_pods if _owned_by(p, rs)), 0)
        self._set_status(dep, new_rs, new_pods, old_pods, desired, complete=not more)
        return self.step_seconds if more else None

    def _collect_orphans(self, namespace):
        live = {d["metadata"]["uid"] for d in self.store.items(DEPLOYMENT, namespace)}
        for rs in self.store.items(REPLICASET, namespace):
            owners = [r for r in rs["metadata"].get("ownerReferences") or [] if r.get("kind") == "Deployment"]
            if owners and not any(r["uid"] in live for r in owners):
                for pod in self.store.items(POD, namespace):
                    if _owned_by(pod, rs):
                        self.store.delete(POD, namespace, pod["metadata"]["name"])
                self.store.delete(REPLICASET, namespace, rs["metadata"]["name"])

    def _create_replicaset(self, dep, template, pod_hash, existing):
        revisions = [int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0"))
                     for rs in existing]
        revision = str(max(revisions, default=0) + 1)
        labels = dict(template.get("metadata", {}).get("labels") or {}, **{"pod-template-hash": pod_hash})
        rs_template = json.loads(json.dumps(template))
        rs_template.setdefault("metadata", {})["labels"] = labels
        selector = json.loads(json.dumps(dep.get("spec", {}).get("selector") or {}))
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
        rs = {"metadata": {"name": f"{dep['metadata']['name']}-{pod_hash}", "namespace": dep["metadata"]["namespace"],
                           "labels": labels, "ownerReferences": [_owner_ref(dep)],
                           "annotations": {"deployment.kubernetes.io/revision": revision,
                                           "deployment.kubernetes.io/desired-replicas":
                                               str(dep.get("spec", {}).get("replicas", 1))}},
              "spec": {"replicas": dep.get("spec", {}).get("replicas", 1), "selector": selector,
                       "template": rs_template}}
        rs = self.store.create(REPLICASET, rs)
        self.store.mutate(DEPLOYMENT, dep["metadata"]["namespace"], dep["metadata"]["name"],
                          lambda d: d["metadata"].setdefault("annotations", {}).update(
                              {"deployment.kubernetes.io/revision": revision}))
        return rs

    def _create_pod(self, rs, template):
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
        now = clock.rfc3339()
        spec = json.loads(json.dumps(template.get("spec") or {}))
        spec.setdefault("nodeName", NODE_NAME)
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("serviceAccountName", "default")
        self._pod_ip += 1
        containers = spec.get("containers") or []
        pod = {"metadata": {"name": f"{rs['metadata']['name']}-{suffix}", "namespace": rs["metadata"]["namespace"],
                            "labels": dict(rs["spec"]["template"]["metadata"].get("labels") or {}),
                            "annotations": dict(template.get("metadata", {}).get("annotations") or {}),
                            "ownerReferences": [_owner_ref(rs)]},
               "spec": spec}
        pod = self.store.create(POD, pod)
        status = {"phase": "Running", "hostIP": "172.18.0.2", "podIP": f"10.244.0.{self._pod_ip % 250 + 2}",
                  "startTime": now, "qosClass": "BestEffort",
                  "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                                 for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                           "PodScheduled")],
                  "containerStatuses": [{"name": c["name"], "image": c.get("image", ""), "imageID": "",
                                         "containerID": f"containerd://{random.getrandbits(128):032x}",
                                         "ready": True, "started": True, "restartCount": 0,
                                         "state": {"running": {"startedAt": now}}} for c in containers]}
        pod = self.store.mutate(POD, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                lambda p: p.__setitem__("status", status), subresource="status")
        for hook in self.pod_started_hooks:
            hook(pod)
        return pod

    def _set_rs_status(self, rs, count, desired):
        def change(obj):
            obj["spec"]["replicas"] = desired
            obj["status"] = {"replicas": count, "fullyLabeledReplicas": count, "readyReplicas": count,
                             "availableReplicas": count, "observedGeneration": obj["metadata"].get("generation", 1)}
        self.store.mutate(REPLICASET, rs["metadata"]["namespace"], rs["metadata"]["name"], change, subresource="all")

    def _set_status(self, dep, new_rs, new_pods, old_pods, desired, complete):
        now = clock.rfc3339()
        total = len(new_pods) + len(old_pods)
        rs_name = new_rs["metadata"]["name"]

        def change(obj):
            previous = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}

            def condition(ctype, reason, message):
                old = previous.get(ctype, {})
                if (old.get("status"), old.get("reason"), old.get("message")) == ("True", reason, message):
                    return old
                transition = old.get("lastTransitionTime", now) if old.get("status") == "True" else now
                return {"type": ctype, "status": "True", "lastUpdateTime": now, "lastTransitionTime": transition,
                        "reason": reason, "message": message}

            obj["status"] = {
                "observedGeneration": obj["metadata"].get("generation", 1), "replicas": total,
                "updatedReplicas": len(new_pods), "readyReplicas": total, "availableReplicas": total,
                "conditions": [
                    condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                    condition("Progressing", "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                              f'ReplicaSet "{rs_name}" has successfully progressed.' if complete
                              else f'ReplicaSet "{rs_name}" is progressing.')]}
            if desired > total:
                obj["status"]["unavailableReplicas"] = desired - total
        self.store.mutate(DEPLOYMENT, dep["metadata"]["namespace"], dep["metadata"]["name"], change,
                          subresource="status")


LOG_COPY_BUFFER = 32 * 1024   # io.Copy's buffer size (Go's io.copyBuffer)


def _batched(chunks, size):
    """Join byte chunks into pieces of at most ``size`` bytes (a single larger chunk goes alone)."""
    pending, length = [], 0
    for chunk in chunks:
        if length and length + len(chunk) > size:
            yield b"".join(pending)
            pending, length = [], 0
        pending.append(chunk)
        length += len(chunk)
    if pending:
        yield b"".join(pending)


def serve_pod_logs(api, logbook):
    """Register GET pods/{name}/log on the host API server, with kubelet's query parameters."""
    from . import errors
    from .server import Response

    def handler(request):
        pod = api.store.get(POD, request.namespace, request.name)
        containers = [c["name"] for c in pod.get("spec", {}).get("containers") or []]
        container = request.param("container") or ""
        if not container:
            default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
            if default in containers:
                container = default
            elif len(containers) == 1:
                container = containers[0]
            else:
                raise errors.bad_request(f"a container name must be specified for pod {request.name}, choose one "
                                         f"of: [{' '.join(containers)}]")
        if container not in containers:
            raise errors.bad_request(f"container {container} is not valid for pod {request.name}")
        previous = request.flag("previous")
        if previous and not logbook.has(request.namespace, request.name, container, previous=True):
            raise errors.bad_request(f'previous terminated container "{container}" in pod "{request.name}" '
                                     "not found")
        since_seconds, since_time = request.int_param("sinceSeconds"), request.param("sinceTime")
        if since_seconds is not None and since_time:
            raise errors.ApiError(422, "Invalid", "PodLogOptions \"\" is invalid: []: Forbidden: at most one of "
                                  "`sinceTime` or `sinceSeconds` may be specified", {})
        tail, limit_bytes = request.int_param("tailLines"), request.int_param("limitBytes")
        for value, name in ((since_seconds, "sinceSeconds"), (tail, "tailLines"), (limit_bytes, "limitBytes")):
            if value is not None and (value < 0 or (value == 0 and name != "tailLines")):
                raise errors.ApiError(422, "Invalid", f'PodLogOptions "" is invalid: {name}: Invalid value: '
                                      f"{value}: must be greater than 0", {})
        try:
            since = (clock.now() - _dt.timedelta(seconds=since_seconds) if since_seconds is not None
                     else clock.parse(since_time))
        except ValueError:
            raise errors.bad_request(f'invalid value for sinceTime: "{since_time}"') from None
        timestamps, follow = request.flag("timestamps"), request.flag("follow")
        namespace, pod_name = request.namespace, request.name

        def stream():
            sent = 0
            seen = logbook.line_count(namespace, pod_name, container, previous)
            lines = logbook.read(namespace, pod_name, container, previous, since, tail, timestamps, limit_bytes)
            # The apiserver flushes each write only when following (LocationStreamer{Flush: logOpts.Follow},
            # pkg/registry/core/pod/rest/log.go); otherwise responsewriters.StreamObject io.Copy()s the kubelet's
            # answer in 32 KiB reads (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/
            # writers.go), so a client sees chunks of up to 32 KiB, not one per line.
            for chunk in (lines if follow else _batched(lines, LOG_COPY_BUFFER)):
                sent += len(chunk)
                yield chunk
            while follow and not previous and not api.stopping.is_set():
                if api.store.find(POD, namespace, pod_name) is None:
                    return
                count = logbook.wait_for_more(namespace, pod_name, container, seen, timeout=0.5)
                if count > seen:
                    room = None if limit_bytes is None else limit_bytes - sent
                    if room is not None and room <= 0:
                        return
                    for chunk in logbook.read(namespace, pod_name, container, False, None, None, timestamps,
                                              room, start_index=seen):
                        sent += len(chunk)
                        yield chunk
                    seen = count

        return Response(200, stream(), content_type="text/plain", stream=True)

    api.subresource_handlers[(POD, "log", "GET")] = handler


def serve_scale(api, rtypes):
    """GET/PUT/PATCH {deployments,replicasets}/{name}/scale as autoscaling/v1 Scale."""
    from .patch import merge_patch
    from .server import Response

    def as_scale(obj):
        meta = obj["metadata"]
        selector = ",".join(f"{k}={v}" for k, v in
                            sorted(((obj.get("spec") or {}).get("selector") or {}).get("matchLabels", {}).items()))
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                             if k in meta},
                "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
                "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": selector}}

    def get(request):
        return Response(200, as_scale(api.store.get(request.rtype, request.namespace, request.name)))

    def write(request):
        body = request.json_body()
        if request.method == "PUT":
            replicas = (body.get("spec") or {}).get("replicas")
        else:
            current = as_scale(api.store.get(request.rtype, request.namespace, request.name))
            replicas = merge_patch(current, body).get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            from . import errors
            raise errors.ApiError(422, "Invalid", f'Scale.autoscaling "{request.name}" is invalid: spec.replicas: '
                                  f"Invalid value: {replicas}: must be greater than or equal to 0", {})
        updated = api.store.patch(request.rtype, request.namespace, request.name,
                                  lambda obj: merge_patch(obj, {"spec": {"replicas": replicas}}),
                                  dry_run=request.dry_run)
        return Response(200, as_scale(updated))

    for rtype in rtypes:
        api.subresource_handlers[(rtype, "scale", "GET")] = get
        api.subresource_handlers[(rtype, "scale", "PUT")] = write
        api.subresource_handlers[(rtype, "scale", "PATCH")] = write
