"""One emulated Kubernetes API server: routing, authentication, authorization, verbs, streaming."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from . import clock, errors, openapi, validation
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .rbac import Attributes, Identity, authorize, escalation_denied
from .resources import CLUSTER_ROLE, CLUSTER_ROLE_BINDING, POD, ROLE, ROLE_BINDING, SELF_SUBJECT_ACCESS_REVIEW, SUBJECT_ACCESS_REVIEW
from .selectors import parse_field_selector, parse_label_selector
from .tables import build_table

ADMIN_PREFIX = "/_emulator/"
JSON = "application/json"


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes = b""
    identity: Identity | None = None
    verb: str = ""
    rtype: object = None
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    def param(self, key, default=None):
        return self.query.get(key, default)

    def flag(self, key):
        return str(self.query.get(key, "")).lower() in ("1", "true")

    def int_param(self, key):
        value = self.query.get(key)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            raise errors.bad_request(f'invalid value for {key}: "{value}" is not an integer') from None

    def json_body(self):
        if not self.body:
            raise errors.bad_request("the request body is empty")
        content_type = self.headers.get("content-type", "")
        try:
            if "yaml" in content_type:
                return yaml.safe_load(self.body)
            return json.loads(self.body)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"the request body could not be decoded: {exc}") from None

    @property
    def dry_run(self):
        return self.query.get("dryRun") == "All"


@dataclass
class Response:
    status: int = 200
    body: object = None                      # dict (JSON), bytes, or an iterator of bytes (streamed)
    content_type: str = JSON
    headers: dict = field(default_factory=dict)
    stream: bool = False
    on_close: object = None


class ApiServer:
    """Serves one registry of types out of one store, for the identities the emulator knows."""

    def __init__(self, name, registry, store, emulator, version="v1.31.2"):
        self.name = name
        self.registry = registry
        self.store = store
        self.emulator = emulator
        self.version = version
        self.address = ""
        self.subresource_handlers = {}       # (rtype, subresource, method) -> callable(request)
        self.create_handlers = {SUBJECT_ACCESS_REVIEW: self._subject_access_review,
                                SELF_SUBJECT_ACCESS_REVIEW: self._subject_access_review}
        self.stopping = threading.Event()

    # -- entry point ------------------------------------------------------------------------------
    def handle(self, request):
        try:
            if request.path.startswith(ADMIN_PREFIX):
                return self.emulator.admin(self, request)
            request.identity = self._authenticate(request)
            self._resolve(request)
            self._inject_faults(request)
            self._authorize(request)
            return self._dispatch(request)
        except errors.ApiError as exc:
            return Response(exc.code, exc.status(), headers=dict(exc.headers))
        except InjectedDisconnect:
            raise
        except Exception as exc:  # noqa: BLE001 - a server answers 500, never dies
            traceback.print_exc()
            return Response(500, errors.internal(str(exc)).status())

    # -- authentication / authorization ---------------------------------------------------------------
    def _authenticate(self, request):
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        identity = self.emulator.identity_for(self.name, token)
        if identity is None:
            raise errors.unauthorized()
        user = request.headers.get("impersonate-user")
        if user:
            groups = tuple(request.headers.get_all("impersonate-group"))
            for verb_target in [("users", user)] + [("groups", g) for g in groups]:
                attrs = Attributes("impersonate", "", verb_target[0], "", "", verb_target[1])
                if not authorize(self.store, identity, attrs)[0]:
                    raise errors.ApiError(403, "Forbidden", f'{verb_target[0]} "{verb_target[1]}" is forbidden: '
                                          f'User "{identity.user}" cannot impersonate resource "{verb_target[0]}" '
                                          'in API group "" at the cluster scope', {})
            identity = Identity(user, groups)
        return identity

    def _authorize(self, request):
        if request.rtype is None:
            attrs = Attributes(request.verb, path=request.path)
        else:
            attrs = Attributes(request.verb, request.rtype.group, request.rtype.plural, request.subresource,
                               request.namespace, request.name)
        if authorize(self.store, request.identity, attrs)[0]:
            return
        if request.rtype is None:
            raise errors.forbidden_path(request.identity.user, request.verb, request.path)
        raise errors.forbidden(request.rtype, request.name, request.identity.user, request.verb,
                               request.namespace, request.subresource)

    # -- routing -------------------------------------------------------------------------------------
    def _resolve(self, request):
        parts = [urllib.parse.unquote(p) for p in request.path.strip("/").split("/") if p]
        method = request.method
        request.verb = method.lower() if method in ("GET", "HEAD") else {
            "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
        if method == "HEAD":
            request.verb = "get"
        if len(parts) >= 2 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return
        if not rest:
            return
        namespaced = self.registry.namespaced_plurals(group, version)
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] in namespaced:
            request.namespace, rest = rest[1], rest[2:]
        rtype = self.registry.lookup(group, version, rest[0])
        if rtype is None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource", {})
        if rtype.namespaced and not request.namespace and len(rest) > 1:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource", {})
        request.rtype = rtype
        request.name = rest[1] if len(rest) > 1 else ""
        request.subresource = rest[2] if len(rest) > 2 else ""
        if len(rest) > 3 or (request.subresource and request.subresource not in rtype.subresources):
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource", {})
        if not request.name:
            if method == "GET":
                request.verb = "watch" if request.flag("watch") else "list"
            elif method == "DELETE":
                request.verb = "deletecollection"
        elif method == "GET" and request.flag("watch"):
            request.verb = "watch"

    def _inject_faults(self, request):
        for fault in self.emulator.faults.pick(self.name, request.verb, request.method, request.path,
                                               request.query):
            if fault.latency:
                time.sleep(float(fault.latency))
            if fault.action == "status":
                raise errors.from_code(fault.status, fault.message or None, fault.retry_after or None)
            if fault.action in ("reset", "malformed"):
                raise InjectedDisconnect(fault.action)

    def _dispatch(self, request):
        if request.rtype is None:
            return self._non_resource(request)
        handler = self.subresource_handlers.get((request.rtype, request.subresource, request.method))
        if request.subresource and handler is None and request.subresource not in ("status",):
            raise errors.method_not_allowed()
        if handler is not None:
            return handler(request)
        verb = request.verb
        if verb == "get":
            return Response(body=self._visible(request, self.store.get(request.rtype, request.namespace,
                                                                       request.name)))
        if verb == "list":
            return self._list(request)
        if verb == "watch":
            return self._watch(request)
        if verb == "create":
            if request.name:
                raise errors.method_not_allowed()
            return self._create(request)
        if verb == "update":
            return self._update(request)
        if verb == "patch":
            return self._patch(request)
        if verb == "delete":
            return self._delete(request)
        if verb == "deletecollection":
            return self._delete_collection(request)
        raise errors.method_not_allowed()

    @staticmethod
    def _visible(request, obj):
        if request.method == "GET" and "as=Table" in request.headers.get("accept", ""):
            return build_table([obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                               request.param("includeObject", "Metadata"))
        return obj

    # -- discovery -----------------------------------------------------------------------------------
    def _non_resource(self, request):
        path = request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        if request.method != "GET":
            raise errors.method_not_allowed()
        if path == "/version":
            return Response(body=self.version_info())
        if path in ("/healthz", "/readyz", "/livez"):
            return Response(body=b"ok", content_type="text/plain")
        if path == "/api":
            return Response(body={"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.address}]})
        if path == "/apis":
            return Response(body=self.registry.api_group_list())
        if path == "/openapi/v2":
            document = openapi.swagger_document(self.registry, self.version)
            if "protobuf" in request.headers.get("accept", ""):
                return Response(body=openapi.swagger_protobuf(document), content_type=openapi.PROTOBUF_V2)
            return Response(body=document)
        if path == "/openapi/v3":
            return Response(body=openapi.index(self.registry))
        if path.startswith("/openapi/v3/"):
            rest = path[len("/openapi/v3/"):].split("/")
            group, version = ("", rest[1]) if rest[0] == "api" and len(rest) == 2 else (
                (rest[1], rest[2]) if rest[0] == "apis" and len(rest) == 3 else (None, None))
            document = openapi.group_version_document(self.registry, group, version) if version else None
            if document:
                return Response(body=document)
        if len(parts) == 2 and parts[0] == "api":
            body = self.registry.resource_list("", parts[1])
            if body:
                return Response(body=body)
        if len(parts) == 2 and parts[0] == "apis":
            body = self.registry.api_group(parts[1])
            if body:
                return Response(body=body)
        if len(parts) == 3 and parts[0] == "apis":
            body = self.registry.resource_list(parts[1], parts[2])
            if body:
                return Response(body=body)
        raise errors.ApiError(404, "NotFound", "the server could not find the requested resource", {})

    def version_info(self):
        major, minor = self.version.lstrip("v").split(".")[:2]
        return {"major": major, "minor": minor, "gitVersion": self.version, "gitCommit": "emulated",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.4",
                "compiler": "gc", "platform": "linux/amd64"}

    # -- collection verbs ----------------------------------------------------------------------------
    def _selectors(self, request):
        labels = parse_label_selector(request.param("labelSelector", ""))
        fields = parse_field_selector(request.param("fieldSelector", ""), request.rtype)
        return labels, fields

    def _list(self, request):
        labels, fields = self._selectors(request)
        limit = request.int_param("limit")
        items, rv, token, remaining = self.store.list(request.rtype, request.namespace, labels, fields,
                                                      limit if limit and limit > 0 else None,
                                                      request.param("continue"))
        meta = {"resourceVersion": rv}
        if token:
            meta["continue"] = token
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        if "as=Table" in request.headers.get("accept", ""):
            return Response(body=build_table(items, meta, request.param("includeObject", "Metadata")))
        return Response(body=_ListBody(request.rtype, meta, items))

    def _watch(self, request):
        labels, fields = self._selectors(request)
        if request.name:
            fields = fields + [("metadata.name", "=", request.name)]
        timeout = request.int_param("timeoutSeconds") or 1800
        watcher, initial = self.store.watch(request.rtype, request.namespace, labels, fields,
                                            request.param("resourceVersion"))
        deadline = time.monotonic() + timeout

        def events():
            try:
                for event_type, obj in initial:
                    yield _watch_line(event_type, obj)
                while not self.stopping.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    try:
                        event_type, obj = watcher.events.get(timeout=min(remaining, 0.5))
                    except Exception:  # noqa: BLE001 - queue.Empty: keep waiting
                        continue
                    yield _watch_line(event_type, obj)
            finally:
                self.store.unwatch(watcher)

        return Response(body=events(), stream=True)

    def _create(self, request):
        obj = request.json_body()
        if not isinstance(obj, dict):
            raise errors.bad_request("the request body must be an object")
        handler = self.create_handlers.get(request.rtype)
        if handler is not None:
            return handler(request, obj)
        self._check_kind(request, obj)
        self._confirm_no_escalation(request, obj)
        validation.decode_micro_times(request.rtype, obj)
        created = self.store.create(request.rtype, obj, dry_run=request.dry_run, namespace=request.namespace)
        return Response(201, created)

    def _confirm_no_escalation(self, request, obj):
        """RBAC objects: the writer may not grant what it does not hold (rbac.escalation_denied)."""
        if request.rtype not in _RBAC_WRITES:
            return
        obj = dict(obj, metadata=dict(obj.get("metadata") or {}))
        if request.rtype.namespaced:
            obj["metadata"].setdefault("namespace", request.namespace)
        reason = escalation_denied(self.store, request.identity, request.rtype, obj, request.name)
        if reason:
            name = obj["metadata"].get("name") or request.name
            # apierrors.NewForbidden(groupResource, name, err): '<resource>.<group> "<name>" is forbidden: <err>'
            raise errors.ApiError(403, "Forbidden", f'{errors.qualified(request.rtype)} "{name}" is forbidden: {reason}',
                                  {"name": name, "group": request.rtype.group, "kind": request.rtype.plural})

    def _check_kind(self, request, obj):
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind and kind != request.rtype.kind:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                     f"API version ({request.rtype.api_version})" if api_version and
                                     api_version != request.rtype.api_version else
                                     f'Object \'Kind\' is "{kind}", expected "{request.rtype.kind}"')

    def _update(self, request):
        obj = request.json_body()
        if not isinstance(obj, dict):
            raise errors.bad_request("the request body must be an object")
        self._check_kind(request, obj)
        self._confirm_no_escalation(request, obj)
        validation.decode_micro_times(request.rtype, obj)
        meta = obj.setdefault("metadata", {})
        if request.rtype.namespaced:
            meta.setdefault("namespace", request.namespace)
        with self.store.lock:
            if (request.rtype.create_on_update and not request.subresource
                    and self.store.find(request.rtype, request.namespace, request.name) is None):
                # AllowCreateOnUpdate: the generic registry creates it, whatever resourceVersion was sent
                # (apiserver v0.35.3 pkg/registry/generic/registry/store.go Update), and answers 201.
                if meta.get("name") and meta["name"] != request.name:
                    raise errors.bad_request(f'the name of the object ({meta["name"]}) does not match the name on '
                                             f"the URL ({request.name})")
                meta["name"] = request.name
                meta.pop("resourceVersion", None)
                return Response(201, self.store.create(request.rtype, obj, dry_run=request.dry_run,
                                                       namespace=request.namespace))
            updated = self.store.update(request.rtype, obj, dry_run=request.dry_run,
                                        subresource=request.subresource or None, namespace=request.namespace,
                                        name=request.name)
        return Response(200, updated)

    def _patch(self, request):
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        patch = request.json_body()

        def apply(current):
            try:
                if content_type == "application/json-patch+json":
                    return json_patch(current, patch)
                if content_type == "application/merge-patch+json":
                    return merge_patch(current, patch)
                if content_type == "application/strategic-merge-patch+json":
                    return strategic_merge_patch(current, patch)
                if content_type == "application/apply-patch+yaml":
                    return merge_patch(current, patch)
            except PatchError as exc:
                raise errors.ApiError(422, "Invalid", str(exc), {}) from None
            raise errors.unsupported_media_type(content_type)

        def apply_checked(current):
            patched = apply(current)
            self._confirm_no_escalation(request, patched)
            return patched

        if content_type == "application/apply-patch+yaml" and self.store.find(
                request.rtype, request.namespace, request.name) is None:
            if isinstance(patch, dict):
                patch.setdefault("metadata", {}).setdefault("name", request.name)
                self._confirm_no_escalation(request, patch)
            return Response(201, self.store.create(request.rtype, patch, dry_run=request.dry_run,
                                                   namespace=request.namespace))
        patched = self.store.patch(request.rtype, request.namespace, request.name, apply_checked,
                                   dry_run=request.dry_run, subresource=request.subresource or None)
        return Response(200, patched)

    def _delete(self, request):
        dry_run = request.dry_run
        if request.body:
            options = request.json_body() or {}
            dry_run = dry_run or "All" in (options.get("dryRun") or [])
        obj, removed = self.store.delete(request.rtype, request.namespace, request.name, dry_run=dry_run)
        if removed and request.rtype is not POD:
            return Response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "details": {"name": request.name, "group": request.rtype.group,
                                              "kind": request.rtype.plural, "uid": obj["metadata"]["uid"]}})
        return Response(200, obj)

    def _delete_collection(self, request):
        labels, fields = self._selectors(request)
        items = self.store.list(request.rtype, request.namespace, labels, fields)[0]
        for obj in items:
            self.store.delete(request.rtype, request.namespace, obj["metadata"]["name"], dry_run=request.dry_run)
        return Response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    # -- access reviews --------------------------------------------------------------------------------
    def _subject_access_review(self, request, review):
        spec = review.get("spec") or {}
        if request.rtype is SELF_SUBJECT_ACCESS_REVIEW:
            identity = request.identity
        else:
            if not spec.get("user") and not spec.get("groups"):
                raise errors.ApiError(422, "Invalid", 'SubjectAccessReview.authorization.k8s.io "" is invalid: '
                                      "spec.user: Invalid value: \"\": at least one of user or group must be "
                                      "specified", {})
            identity = Identity(spec.get("user", ""), tuple(spec.get("groups") or ()))
        resource = spec.get("resourceAttributes")
        non_resource = spec.get("nonResourceAttributes")
        if resource:
            attrs = Attributes(resource.get("verb", ""), resource.get("group", ""), resource.get("resource", ""),
                               resource.get("subresource", ""), resource.get("namespace", ""),
                               resource.get("name", ""))
        elif non_resource:
            attrs = Attributes(non_resource.get("verb", ""), path=non_resource.get("path", ""))
        else:
            raise errors.ApiError(422, "Invalid", f'{request.rtype.kind}.authorization.k8s.io "" is invalid: '
                                  "spec.resourceAttributes: Invalid value: \"null\": exactly one of "
                                  "nonResourceAttributes or resourceAttributes must be specified", {})
        allowed, reason = authorize(self.store, identity, attrs)
        result = dict(review)
        result.update(apiVersion="authorization.k8s.io/v1", kind=request.rtype.kind)
        result.setdefault("metadata", {})["creationTimestamp"] = None
        result["status"] = {"allowed": allowed, **({"reason": reason} if reason else {})}
        return Response(201, result)


_RBAC_WRITES = (ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING)


class _ListBody:
    """A list response serialised lazily, without copying the stored items."""

    def __init__(self, rtype, meta, items):
        self.rtype, self.meta, self.items = rtype, meta, items

    def encode(self):
        head = json.dumps({"kind": f"{self.rtype.kind}List", "apiVersion": self.rtype.api_version,
                           "metadata": self.meta}, separators=(",", ":"))[:-1]
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        return (head + ',"items":[' + ",".join(dumps(o) for o in self.items) + "]}").encode()


_METRIC_VERBS = {"list": "LIST", "watch": "WATCH", "get": "GET", "create": "POST", "update": "PUT",
                 "patch": "PATCH", "delete": "DELETE", "deletecollection": "DELETE"}


class InjectedDisconnect(Exception):
    """A fault that breaks the connection instead of answering."""


def _watch_line(event_type, obj):
    return (json.dumps({"type": event_type, "object": obj}, separators=(",", ":")) + "\n").encode()


def encode_body(body):
    if isinstance(body, _ListBody):
        return body.encode()
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":")).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "karmada-emulator"
    sys_version = ""

    def log_message(self, *args):  # quiet: the request log is the record
        pass

    def _serve(self):
        api = self.server.api
        started = time.monotonic()
        parsed = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, parsed.path or "/", query, _Headers(self.headers), body)
        try:
            response = api.handle(request)
        except InjectedDisconnect as fault:
            self._record(api, request, 0 if str(fault) == "reset" else 200, started)
            self._break(str(fault))
            return
        if not parsed.path.startswith(ADMIN_PREFIX):
            self._record(api, request, response.status, started)
            api.emulator.count_request(api.name, _METRIC_VERBS.get(request.verb, request.method), request.rtype,
                                       response.status, request.subresource, request.namespace, request.name)
        self._write(response)

    def _record(self, api, request, status, started):
        rtype = request.rtype
        api.emulator.requests.record(
            server=api.name, method=request.method, path=request.path, query=request.query, status=status,
            verb=request.verb, user=request.identity.user if request.identity else "",
            group=rtype.group if rtype else "", resource=rtype.plural if rtype else "",
            subresource=request.subresource, namespace=request.namespace, name=request.name,
            dry_run=request.dry_run, duration=round(time.monotonic() - started, 6))

    def _break(self, how):
        if how == "malformed":
            payload = b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Fail'
            self.send_response(200)
            self.send_header("Content-Type", JSON)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            raw = self.connection.unwrap() if isinstance(self.connection, ssl.SSLSocket) else self.connection
            raw.close()
        except (OSError, ValueError):
            self.connection.close()

    def _write(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in response.headers.items():
            self.send_header(key, value)
        if not response.stream:
            payload = encode_body(response.body) if response.body is not None else b""
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in response.body:
                if chunk:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            close = getattr(response.body, "close", None)
            if close:
                close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _Headers:
    """Case-insensitive header access that keeps repeated headers (Impersonate-Group)."""

    def __init__(self, message):
        self._message = message

    def get(self, key, default=""):
        value = self._message.get(key)
        return default if value is None else value

    def get_all(self, key):
        return self._message.get_all(key) or []


class HttpsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, api, ssl_context):
        self.api = api
        self.ssl_context = ssl_context
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        try:
            request = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            request.close()
            return
        try:
            super().finish_request(request, client_address)
        except (ConnectionError, ssl.SSLError, OSError):
            pass

    def handle_error(self, request, client_address):  # quiet on client disconnects
        pass


def bind_server(host, port, api, ssl_context):
    """Bind on the requested port, or on a free one when it is busy."""
    try:
        server = HttpsServer((host, port), api, ssl_context)
    except OSError:
        if not port:
            raise
        server = HttpsServer((host, 0), api, ssl_context)
    api.address = f"{host}:{server.server_address[1]}"
    return server


def serve_in_thread(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name=f"server-{server.api.name}")
    thread.start()
    return thread


__all__ = ["ApiServer", "Request", "Response", "bind_server", "serve_in_thread", "clock"]
