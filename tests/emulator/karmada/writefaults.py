"""Faults on the binding controller's way to a Work: the resource interpreter before it (ensureWork's
ReviseReplica), the client transport and the Karmada API server when it is written (CreateOrUpdateWork).

Every message is put together the way the real code puts it together; the source of each piece is named
next to it (Karmada v1.18.2, and the versions its go.mod pins: k8s.io/apiserver, apimachinery and
client-go v0.35.3, controller-runtime v0.23.1, gopher-lua v1.1.1). Which requests fail follows from the
scenario's state (quota usage counts the Works that exist, a stale cache hides Works that do), so fixing
the state fixes the symptom.
"""

from __future__ import annotations

import time

from .. import errors
from ..resources import WORK
from .names import execution_space, work_name

# The controller-manager's kubeconfig (Helm chart karmada-config): the address client-go reports in url.Errors.
KARMADA_APISERVER = "https://karmada-apiserver.karmada-system.svc.cluster.local:5443"
KARMADA_APISERVER_IP = "10.96.0.12"
WORKS_PATH = "/apis/work.karmada.io/v1alpha1/namespaces/{namespace}/works"

# k8s.io/apiserver v0.35.3 pkg/server/options: MaxRequestBodyBytes = 3 * 1024 * 1024 (handlers/rest.go:386
# limitedReadBody -> "Request entity too large: limit is 3145728"); etcd's default --max-request-bytes is 1.5 MiB.
APISERVER_BODY_LIMIT = 3 * 1024 * 1024
ETCD_REQUEST_LIMIT = 1536 * 1024

# net/url.Error (Go): Op is the method with only its first letter upper case ("Post", "Put"), then the URL quoted.
TRANSPORT_ERRORS = {
    # net.OpError from the dialer (Go net): the Service IP refuses the connection.
    "connection-refused": "dial tcp {ip}:5443: connect: connection refused",
    # io.ErrUnexpectedEOF: the server (or a load balancer in between) closed the connection mid-response.
    "unexpected-eof": "unexpected EOF",
    # golang.org/x/net v0.49.0 http2/transport.go errClientConnLost.
    "http2-client-connection-lost": "http2: client connection lost",
}
THROTTLE_ERRORS = ("too-many-requests", "rate-limiter")


class Refused(Exception):
    """A write that failed; ``message`` is the error's text, ``code`` the HTTP status the API server counted
    (None: the request never reached it), ``attempts`` how many requests the client made."""

    def __init__(self, message, code=None, attempts=1):
        super().__init__(message)
        self.message, self.code, self.attempts = message, code, attempts


def _selected(spec, template):
    """A fault's {namespace, deployments} selector against a Deployment template."""
    if template.get("kind") != "Deployment":
        return False
    meta = template["metadata"]
    if spec.get("namespace") and spec["namespace"] != meta.get("namespace"):
        return False
    return not spec.get("deployments") or meta["name"] in spec["deployments"]


# -- ensureWork: ReviseReplica before the overrides ---------------------------------------------------------
def interpreter_failure(manager, binding, template, cluster):
    """The error ReviseReplica returns for this workload, or None. Logs what the real code logs on the way."""
    faults = manager.faults
    replicas = (binding.get("spec") or {}).get("replicas", 0)
    if not replicas:            # bindingSpec.IsWorkload(): no replicas, no ReviseReplica (common.go:86)
        return None
    # interpreter.go:171 customResourceInterpreterImpl.ReviseReplica: the configurable (Lua) interpreter first,
    # then the webhook interpreter.
    lua = faults.get("lua_interpreter_error")
    if lua and _selected(lua, template):
        # luavm/lua.go:185 VM.ReviseReplica -> RunScript -> LState.CallByParam(Protect: true): gopher-lua v1.1.1
        # state.go:735 raiseError prefixes where() ("<string>:LINE:", the chunk name of LoadString, auxlib.go:393)
        # and PCall uses panicWithoutTraceback, so no stack traceback follows. Returned unwrapped.
        return f"<string>:{lua['line']}: {lua['message']}"
    hook = faults.get("interpreter_webhook")
    if hook and _selected(hook, template):
        uid = f"{hook['configuration']}/{hook['hook']}"       # webhook/configmanager/manager.go:140
        url = hook["url"] + (f"?timeout={hook['timeout_seconds']}s" if hook["timeout_seconds"] else "")
        # webhook/customized.go:272 ErrCallingWebhook{Reason: fmt.Errorf("failed to call webhook: %w", err)} where
        # err is client-go's url.Error for the POST; k8s.io/apiserver pkg/util/webhook/error.go Error().
        calling = f'failed calling webhook "{uid}": failed to call webhook: Post "{url}": {hook["error"]}'
        manager.logf("W", "customized.go:194", f"Failed calling webhook {uid}: {calling}")
        return f"Internal error occurred: {calling}"      # customized.go:195 apierrors.NewInternalError
    return None


def log_revise_failure(manager, template, cluster, message):
    meta = template["metadata"]
    manager.log("E", "common.go:90", "Failed to revise replica for workload in cluster.", err=message,
                workloadKind=template["kind"], workloadNamespace=meta.get("namespace", ""),
                workloadName=meta["name"], cluster=cluster)


# -- CreateOrUpdateWork: what the controller's cache shows ---------------------------------------------------
def cache_misses(manager, namespace):
    """True if the new leader's Work informer has not caught up with this execution namespace yet.

    controllerutil.CreateOrUpdate (controller-runtime v0.23.1) Gets the Work from the cache; a miss makes
    it Create, and the API server answers AlreadyExists, which RetryOnConflict does not retry."""
    stale = manager.faults.get("stale_work_cache")
    incarnation = manager.incarnation
    if not stale or incarnation is None or namespace not in {f"karmada-es-{c}" for c in stale["clusters"]}:
        return False
    started = getattr(incarnation, "started", None)
    return not stale["seconds"] or started is None or time.monotonic() - started < stale["seconds"]


# -- the write itself ---------------------------------------------------------------------------------------
def client_failure(manager, verb, namespace, name):
    """Raise Refused if the Work write fails in client-go, before (or without) reaching the API server."""
    faults = manager.faults
    method = "POST" if verb == "create" else "PUT"
    url = KARMADA_APISERVER + WORKS_PATH.format(namespace=namespace) + ("" if verb == "create" else f"/{name}")

    throttle = faults.get("throttling")
    if throttle and manager.random.random() < throttle["fraction"]:
        kind = manager.random.choice(throttle["errors"])
        if kind == "rate-limiter":
            # client-go v0.35.3 rest/request.go:675 tryThrottleWithInfo wraps the rate limiter's Wait error;
            # golang.org/x/time rate.Limiter.Wait returns ctx.Err() when the context is already done.
            raise Refused("client rate limiter Wait returned an error: context deadline exceeded")
        # k8s.io/apiserver v0.35.3 server/filters/priority-and-fairness.go:380 answers 429 with a text body, so
        # client-go (request.go:1337 newUnstructuredResponseError) builds apimachinery's
        # NewGenericServerResponse message; client-go retries 429 with Retry-After up to 10 times first.
        scope = "works.work.karmada.io" + ("" if verb == "create" else f" {name}")
        raise Refused("the server has received too many requests and has asked us to try again later "
                      f"({method.lower()} {scope})", 429, attempts=11)

    transport = faults.get("transport_errors")
    if transport and manager.random.random() < transport["fraction"]:
        kind = manager.random.choice(transport["errors"])
        detail = TRANSPORT_ERRORS[kind].format(ip=KARMADA_APISERVER_IP)
        # client-go does not retry non-GET requests on connection errors (request.go IsNextRetry).
        raise Refused(f'{method[0] + method[1:].lower()} "{url}": {detail}')


def server_failure(manager, verb, namespace, name, existing):
    """Raise Refused if the Karmada API server rejects the Work write (after authentication, authorization and
    the mutating karmada-webhook)."""
    faults = manager.faults

    # Mutating admission (karmada-webhook) ran already (controller_manager); then validating admission.
    denial = faults.get("admission_denial")
    if denial and _cluster_of(namespace) in denial["clusters"]:
        if denial.get("webhook"):
            # k8s.io/apiserver v0.35.3 admission/plugin/webhook/errors/statuserror.go:29 ToStatusErr.
            raise Refused(f'admission webhook "{denial["webhook"]}" denied the request: {denial["message"]}',
                          denial["code"])
        # admission/plugin/policy/validating/dispatcher.go:294, wrapped by admission.NewForbidden
        # (apimachinery NewForbidden: '<resource> "<name>" is forbidden: <err>'); reason Invalid -> 422.
        raise Refused(f'works.work.karmada.io "{name}" is forbidden: ValidatingAdmissionPolicy '
                      f"'{denial['policy']}' with binding '{denial['binding']}' denied request: "
                      f"{denial['message']}", 422)

    quota = faults.get("work_quota")
    if quota and verb == "create" and _cluster_of(namespace) in quota["clusters"]:
        used = len(manager.karmada.items(WORK, namespace))
        if used + 1 > quota["hard"]:
            # k8s.io/apiserver v0.35.3 admission/plugin/resourcequota/controller.go:622 (prettyPrint: key=value),
            # wrapped by admission.NewForbidden (pkg/admission/errors.go:53).
            resource = "count/works.work.karmada.io"
            raise Refused(f'works.work.karmada.io "{name}" is forbidden: exceeded quota: {quota["name"]}, '
                          f"requested: {resource}=1, used: {resource}={used}, limited: {resource}={quota['hard']}",
                          403)

    size = _oversized(faults, namespace, name)
    if size:
        if size > APISERVER_BODY_LIMIT:
            # handlers/rest.go:386 limitedReadBody -> apimachinery NewRequestEntityTooLargeError (413).
            raise Refused(f"Request entity too large: limit is {APISERVER_BODY_LIMIT}", 413)
        # etcd rejects the txn (rpctypes ErrGRPCRequestTooLarge); create.go:212/update.go:231 retry once without
        # managedFields, then the raw error goes out through responsewriters ErrorToAPIStatus: 500, message as is.
        raise Refused("etcdserver: request is too large", 500, attempts=1)

    if verb == "update" and existing is not None and (namespace, name) in conflicting_works(faults):
        # Another writer keeps changing the Work; ctrlutil/work.go:66 RetryOnConflict(retry.DefaultRetry) gives
        # up after 5 attempts with the last Conflict (apimachinery NewConflict + OptimisticLockErrorMsg).
        raise Refused(errors.conflict(WORK, name).message, 409, attempts=5)


def _cluster_of(namespace):
    return namespace[len("karmada-es-"):] if namespace.startswith("karmada-es-") else ""


def conflicting_works(faults):
    """{(execution namespace, Work name)} that another writer keeps changing."""
    return {(execution_space(item["cluster"]), work_name("Deployment", item["deployment"], item["namespace"]))
            for item in faults.get("conflicting_works", [])}


def oversized_works(faults):
    """{Work name: serialized bytes} of Deployments whose Work is too large to store."""
    return {work_name("Deployment", item["deployment"], item["namespace"]): item["bytes"]
            for item in faults.get("oversized_templates", [])}


def _oversized(faults, namespace, name):
    return oversized_works(faults).get(name, 0) if namespace.startswith("karmada-es-") else 0
