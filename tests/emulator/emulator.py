"""The emulated control plane: both API servers, their controllers, and the test-control endpoints."""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading

import yaml

from . import errors, tls
from .faults import FaultInjector, FaultSpecError
from .host import DeploymentController, serve_pod_logs, serve_scale
from .karmada.controller_manager import CONTAINER as CONTROLLER_CONTAINER
from .karmada.history import new_apiserver_registry, request_labels
from .logs import LogBook
from .metrics import MetricsServer
from .rbac import Identity
from .requestlog import RequestLog
from .resources import DEPLOYMENT, HOST_TYPES, KARMADA_APISERVER_TYPES, REPLICASET, ResourceRegistry
from .server import ApiServer, Response, bind_server, serve_in_thread
from .store import Store

KARMADA = "karmada-apiserver"
HOST = "karmada-host"


class Emulator:
    def __init__(self, workdir, listen="127.0.0.1", ports=None, rollout_step_seconds=0.2):
        self.workdir = workdir
        self.listen = listen
        self.ports = ports or {}
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.logbook = LogBook()
        self.control_token = secrets.token_hex(16)
        self.stores = {KARMADA: Store(KARMADA), HOST: Store(HOST)}
        self.registries = {KARMADA: ResourceRegistry(KARMADA_APISERVER_TYPES), HOST: ResourceRegistry(HOST_TYPES)}
        self.apis = {name: ApiServer(name, self.registries[name], self.stores[name], self) for name in self.stores}
        self.tokens = {name: {} for name in self.stores}
        self.admin_tokens = {}
        for name, user in ((KARMADA, "karmada-admin"), (HOST, "kubernetes-admin")):
            token = secrets.token_hex(16)
            self.tokens[name][token] = Identity(user, ("system:masters",))
            self.admin_tokens[name] = token
        # An authenticated identity with no RBAC at all, for tests of "forbidden" paths.
        self.add_token("*", "karmada-viewer", ())
        self.service_accounts = {}           # "namespace/name" -> token, with kubeconfig contexts of their own
        self.deployments = DeploymentController(self.stores[HOST], self.logbook, rollout_step_seconds)
        self.apiserver_metrics = new_apiserver_registry()
        self.metrics_server = MetricsServer(listen, int(self.ports.get("metrics") or 0))
        self.metrics_server.routes["/metrics"] = self._controller_manager_metrics
        self.metrics_server.routes["/apiserver/metrics"] = self.apiserver_metrics.expose
        self.controller_manager = None
        self.history = None
        self.stopped = threading.Event()
        serve_pod_logs(self.apis[HOST], self.logbook)
        serve_scale(self.apis[HOST], (DEPLOYMENT, REPLICASET))
        serve_scale(self.apis[KARMADA], (DEPLOYMENT,))
        self.api_handlers = []
        self._servers = {}
        self._stop = threading.Event()
        self.scenario = None

    def _controller_manager_metrics(self):
        return self.controller_manager.metrics_text() if self.controller_manager else ""

    def count_request(self, server, verb, rtype, code, subresource="", namespace=None, name=None):
        """apiserver_request_total as the Karmada API server counts it (only that server is scraped)."""
        if server != KARMADA:
            return
        if rtype is None:
            scope = ""
        elif name:
            scope = "resource"
        else:
            scope = "namespace" if namespace else "cluster"
        self.apiserver_metrics.requests.inc(**request_labels(verb.upper(), rtype, code, scope, subresource))

    # -- identities ----------------------------------------------------------------------------------
    def add_token(self, server, user, groups=(), token=None):
        """Issue a bearer token for an identity on one server (or both with server='*')."""
        token = token or secrets.token_hex(16)
        for name in (self.stores if server == "*" else [server]):
            self.tokens[name][token] = Identity(user, tuple(groups))
        return token

    def add_service_account(self, namespace, name):
        """A ServiceAccount token valid on both servers, as the token authenticator presents it: user
        system:serviceaccount:<ns>:<name>, groups system:serviceaccounts and system:serviceaccounts:<ns>
        (k8s.io/apiserver pkg/authentication/serviceaccount/util.go UserInfo). Nothing but RBAC authorizes it,
        and the kubeconfig gets contexts <name>@karmada-apiserver and <name>@karmada-host."""
        token = self.add_token("*", f"system:serviceaccount:{namespace}:{name}",
                               ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"))
        self.service_accounts[f"{namespace}/{name}"] = token
        return token

    def identity_for(self, server, token):
        return self.tokens[server].get(token) if token else None

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        ca_pem, cert_pem, key_pem = tls.generate()
        paths = {"ca": os.path.join(self.workdir, "ca.crt"), "cert": os.path.join(self.workdir, "server.crt"),
                 "key": os.path.join(self.workdir, "server.key")}
        for key, data in (("ca", ca_pem), ("cert", cert_pem), ("key", key_pem)):
            _write_private(paths[key], data)
        self.ca_pem = ca_pem
        self.ca_file = paths["ca"]
        context = tls.server_context(paths["cert"], paths["key"])
        for name, api in self.apis.items():
            server = bind_server(self.listen, int(self.ports.get(name) or 0), api, context)
            self._servers[name] = server
            serve_in_thread(server)
        self.deployments.start()
        self.metrics_server.start()
        threading.Thread(target=self._namespace_lifecycle, name="namespace-controller", daemon=True).start()

    def _namespace_lifecycle(self):
        namespaced = {name: [t for t in reg.types if t.namespaced] for name, reg in self.registries.items()}
        while not self._stop.wait(0.2):
            for name, store in self.stores.items():
                store.finish_namespace_deletions(namespaced[name])

    def stop(self):
        self._stop.set()
        self.stopped.set()
        self.metrics_server.stop()
        if self.controller_manager and self.controller_manager.incarnation:
            self.controller_manager.incarnation.stop()
        self.deployments.controller.stop()
        for api in self.apis.values():
            api.stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def url(self, server):
        return f"https://{self.apis[server].address}"

    # -- files clients read ---------------------------------------------------------------------------
    def kubeconfig(self):
        import base64
        ca = base64.b64encode(self.ca_pem).decode()
        users = {KARMADA: "karmada-admin", HOST: "karmada-host-admin"}
        accounts = {key.split("/", 1)[1]: token for key, token in self.service_accounts.items()}
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": KARMADA,
            "clusters": [{"name": name, "cluster": {"server": self.url(name), "certificate-authority-data": ca}}
                         for name in (KARMADA, HOST)],
            "users": [{"name": users[name], "user": {"token": self.admin_tokens[name]}} for name in (KARMADA, HOST)]
            + [{"name": account, "user": {"token": token}} for account, token in accounts.items()],
            "contexts": [{"name": name, "context": {"cluster": name, "user": users[name]}}
                         for name in (KARMADA, HOST)]
            + [{"name": f"{account}@{name}", "context": {"cluster": name, "user": account}}
               for account in accounts for name in (KARMADA, HOST)],
        }

    def endpoints(self):
        return {
            "pid": os.getpid(),
            "scenario": self.scenario,
            "kubeconfig": os.path.join(self.workdir, "kubeconfig"),
            "ca_file": self.ca_file,
            "control_token": self.control_token,
            "karmada_apiserver": {"url": self.url(KARMADA), "context": KARMADA, "token": self.admin_tokens[KARMADA]},
            "host": {"url": self.url(HOST), "context": HOST, "token": self.admin_tokens[HOST]},
            "tokens": {name: {ident.user: tok for tok, ident in self.tokens[name].items()} for name in self.tokens},
            "service_accounts": {key: {"contexts": {name: f"{key.split('/', 1)[1]}@{name}" for name in (KARMADA, HOST)},
                                       "user": f"system:serviceaccount:{key.replace('/', ':')}"}
                                 for key in self.service_accounts},
            "metrics": {
                "controller_manager": {"url": f"http://{self.metrics_server.address}/metrics",
                                       "target": self.metrics_server.address, "path": "/metrics"},
                "karmada_apiserver": {"url": f"http://{self.metrics_server.address}/apiserver/metrics",
                                      "target": self.metrics_server.address, "path": "/apiserver/metrics"}},
            **({"history": {"file": os.path.join(self.workdir, "history.om"), "start": self.history.start,
                            "end": self.history.end}} if self.history else {}),
        }

    def write_files(self):
        if self.history is not None:
            _write_private(os.path.join(self.workdir, "history.om"), self.history.openmetrics().encode())
        _write_private(os.path.join(self.workdir, "kubeconfig"),
                       yaml.safe_dump(self.kubeconfig(), sort_keys=False).encode())
        _write_private(os.path.join(self.workdir, "endpoints.json"),
                       json.dumps(self.endpoints(), indent=2).encode())

    # -- test control API (/_emulator/...) ----------------------------------------------------------------
    def admin(self, api, request):
        header = request.headers.get("authorization", "")
        if header != f"Bearer {self.control_token}":
            raise errors.unauthorized()
        what = request.path[len("/_emulator/"):].strip("/")
        for handler in self.api_handlers:
            response = handler(api, what, request)
            if response is not None:
                return response
        if what == "requests":
            if request.method == "DELETE":
                self.requests.clear()
                return Response(body={"cleared": True})
            items, next_seq = self.requests.entries(int(request.param("since", "0") or 0))
            return Response(body={"items": items, "next": next_seq})
        if what == "faults":
            if request.method == "DELETE":
                self.faults.clear()
                return Response(body={"faults": []})
            if request.method == "POST":
                specs = request.json_body()
                try:
                    for spec in specs if isinstance(specs, list) else [specs]:
                        self.faults.add(spec)
                except (FaultSpecError, TypeError) as exc:
                    raise errors.bad_request(str(exc)) from None
            return Response(body={"faults": self.faults.list()})
        if what == "logs" and request.method == "POST":
            return Response(body={"appended": self._plant_log_lines(request.json_body())})
        if what == "compact" and request.method == "POST":
            for store in self.stores.values():
                store.compact()
            return Response(body={"compacted": True})
        if what == "state":
            return Response(body={name: {t.plural: store.count(t) for t in self.registries[name].types
                                         if store.count(t)} for name, store in self.stores.items()})
        raise errors.ApiError(404, "NotFound", f"no emulator control endpoint {what!r}", {})

    def _plant_log_lines(self, spec):
        """Lines a test wants in the leading controller-manager's log (untrusted or malformed text).

        ``{"klog": [{"severity", "source", "message", "err"}...]}`` formats them as the controller-manager
        would; ``{"raw_base64": [...]}`` appends bytes as they are (invalid UTF-8, control characters)."""
        manager = getattr(self, "controller_manager", None)
        if manager is None or manager.incarnation is None or not isinstance(spec, dict):
            raise errors.bad_request("no running controller-manager, or the body is not a mapping")
        count = 0
        for item in spec.get("klog") or []:
            manager.log(item.get("severity", "E"), item.get("source", "controller.go:1"), item["message"],
                        err=item.get("err"))
            count += 1
        for encoded in spec.get("raw_base64") or []:
            self.logbook.append(manager.config["namespace"], manager.incarnation.pod, CONTROLLER_CONTAINER,
                                base64.b64decode(encoded))
            count += 1
        return count


def _write_private(path, data):
    """Write atomically with mode 0600: a reader never sees a half-written kubeconfig."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
