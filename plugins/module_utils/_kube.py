# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to a Kubernetes API server (the Karmada API server or the host cluster).

The client is kubernetes.core's: the same auth options, the same K8S_AUTH_* environment
fallbacks, the same kubeconfig handling. On top of it this module adds what the checks need and
kubernetes.core lacks: paginated lists (limit/continue, restarting once on 410 Gone), streamed pod
logs, Retry-After on 429, and one mapping from client errors to a short reason a report can show.
Its two writes, ``create`` and ``replace``, serve reviews and the mitigation lock's Lease (``_lease``);
they are never retried after a server error and raise a 409 for the caller to act on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import socket
import time

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, this keeps sanity's import test quiet
    from urllib import quote  # type: ignore

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import REQUEST_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, tls_reason

try:
    from kubernetes.client.rest import ApiException
    HAS_KUBERNETES = True
except ImportError:
    class ApiException(Exception):  # placeholder so except clauses stay valid without the client
        status = None
        body = None
    HAS_KUBERNETES = False

try:
    from urllib3.util.retry import Retry
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes client
    Retry = None

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    HAS_KUBERNETES_CORE = True
except ImportError:
    AUTH_ARG_SPEC = {}
    get_api_client = None
    CoreException = Exception
    HAS_KUBERNETES_CORE = False

DEFAULT_PAGE_SIZE = 500
# The longest Retry-After this client waits for. A server asking for more is not waited for at all: the
# check becomes unknown at once ("throttled"), because a run that is needed during an incident must end.
MAX_RETRY_AFTER = 10
TRANSIENT_STATUSES = (500, 502, 503, 504)
# urllib3's default policy (Retry.DEFAULT, which the kubernetes client's pool uses when
# Configuration.retries is None) retries three times, re-reads after each read timeout and sleeps for any
# Retry-After of a 429 or 503 however long: `Retry-After: 3600` stalled a run. ``_call`` is the one retry
# policy: urllib3 only reconnects once when a connection cannot be opened.
NO_HIDDEN_RETRIES = Retry(total=1, connect=1, read=0, redirect=0, status=0, other=0,
                          respect_retry_after_header=False, raise_on_status=False) if Retry else None


def auth_argument_spec():
    """kubernetes.core's auth options, unchanged (kubeconfig, context, host, api_key, ...)."""
    return copy.deepcopy(AUTH_ARG_SPEC)


def describe_api_exception(exc):
    """A short, actionable reason for an ApiException, using the server's own Status message."""
    message = ""
    try:
        body = json.loads(exc.body or "{}")
        message = body.get("message", "")
    except (TypeError, ValueError):
        message = (exc.body or "")[:200] if isinstance(exc.body, str) else ""
    status = getattr(exc, "status", None)
    label = {401: "unauthorized", 403: "forbidden", 404: "not found", 410: "gone", 429: "throttled", 500: "server error",
             503: "unavailable", 504: "timeout"}.get(status, "HTTP %s" % status if status else "API error")
    if not status:
        return "API error: %s" % (getattr(exc, "reason", None) or exc)
    return "%s (%s): %s" % (label, status, message or getattr(exc, "reason", "") or "no message")


def map_exception(exc, where=None):
    """Turn anything the client can raise into a CheckUnavailable with a reason.

    TLS comes first: the kubernetes client wraps an SSL error in an ApiException of status 0, urllib3 in a
    MaxRetryError, and either would read as "unreachable" with OpenSSL's reason cut off. ``where`` (the
    server's URL) is named in the reasons that are about the connection."""
    if isinstance(exc, CheckUnavailable):
        return exc
    talking = " talking to %s" % where if where else ""
    tls = tls_reason(exc)
    if tls:
        return CheckUnavailable(tls + talking)
    if isinstance(exc, ApiException):
        return CheckUnavailable(describe_api_exception(exc), getattr(exc, "status", None))
    if isinstance(exc, CoreException):
        return CheckUnavailable("cannot build the API client: %s" % exc)
    if isinstance(exc, (socket.timeout,)) or "timed out" in str(exc).lower():
        return CheckUnavailable("timeout: no answer%s within the request timeout (%s)" % (talking, _innermost(exc)))
    name = type(exc).__name__
    if _is_reset(exc):
        return CheckUnavailable("connection reset%s: the server closed the connection before answering" % talking)
    if name in ("MaxRetryError", "NewConnectionError", "ConnectionError", "ProtocolError"):
        return CheckUnavailable("unreachable%s: %s" % (talking, _innermost(exc)))
    if isinstance(exc, ValueError):
        return CheckUnavailable("malformed response: %s" % _short(exc))
    return CheckUnavailable("%s: %s" % (name, _short(exc)))


def side_query(observation, what, read, default=None):
    """``read()``, or ``default`` when it fails: a side query must not sink the check that made it.

    The reason is kept in ``observation["unread"][what]`` for the finding to show (``_report.note_unread``).
    Only for reads whose absence the check can say out loud; the check's own object lists stay fatal."""
    try:
        return read()
    except Exception as exc:  # pylint: disable=broad-except
        observation.setdefault("unread", {})[what] = map_exception(exc).reason
        return default


def _is_reset(exc):
    """The server (or a proxy) cut the connection: a reset, or a response that ended before it began."""
    text = str(exc)
    return (isinstance(exc, ConnectionResetError) or isinstance(getattr(exc, "reason", None), ConnectionResetError)
            or "Connection reset" in text or "RemoteDisconnected" in text or "Connection aborted" in text)


def _innermost(exc):
    """urllib3's innermost reason, without the "HTTPSConnectionPool(host=..., port=...): " it starts with."""
    while getattr(exc, "reason", None) is not None and isinstance(exc.reason, BaseException):
        exc = exc.reason
    text = str(exc)
    if "): " in text and text.startswith(("HTTPSConnectionPool(", "HTTPConnectionPool(", "HTTPSConnection(",
                                          "HTTPConnection(")):
        text = text.split("): ", 1)[1]
    if text.startswith("<") and ">: " in text:      # "<urllib3.connection.HTTPSConnection object at 0x..>: ..."
        text = text.split(">: ", 1)[1]
    return _short(text, 200)


def _short(exc, limit=300):
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def resource_path(group, version, plural, namespace=None, name=None, subresource=None):
    base = "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)
    if namespace:
        base += "/namespaces/%s" % quote(namespace, safe="")
    base += "/%s" % plural
    if name:
        base += "/%s" % quote(name, safe="")
    if subresource:
        base += "/%s" % subresource
    return base


class KubeClient:
    """Raw, discovery-free access to one API server through kubernetes.core's configured ApiClient."""

    def __init__(self, dynamic_client, timeout=REQUEST_TIMEOUT, page_size=DEFAULT_PAGE_SIZE):
        self.dynamic_client = dynamic_client
        self.timeout = timeout
        self.page_size = page_size
        self.requests = 0

    @classmethod
    def from_params(cls, params, timeout=REQUEST_TIMEOUT, page_size=DEFAULT_PAGE_SIZE):
        """Build from a module's params (kubernetes.core auth options); raises CheckUnavailable."""
        if not HAS_KUBERNETES_CORE or not HAS_KUBERNETES:
            raise CheckUnavailable("the kubernetes Python client and the kubernetes.core collection are required")
        auth = {k: params.get(k) for k in AUTH_ARG_SPEC if params.get(k) is not None}
        try:
            k8s_client = get_api_client(module=None, **auth)
        except Exception as exc:  # pylint: disable=broad-except
            raise map_exception(exc) from exc
        disable_hidden_retries(k8s_client.client)
        return cls(k8s_client.client, timeout=timeout, page_size=page_size)

    @property
    def where(self):
        """The server's URL, for reasons about the connection."""
        try:
            return self.dynamic_client.configuration.host
        except AttributeError:
            return None

    def _call(self, method, path, query=None, body=None, content_type=None, stream=False, accept=None):
        query = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        for attempt in range(3):
            self.requests += 1
            try:
                # DynamicClient.request is the one raw entry point that is stable across kubernetes client
                # releases (the generated ApiClient.call_api changed shape in v33).
                response = self.dynamic_client.request(
                    method, path, body=body, query_params=list(query), serialize=False,
                    header_params={"Accept": accept or "application/json"}, content_type=content_type,
                    _preload_content=False, _request_timeout=self.timeout)
            except ApiException as exc:
                status = getattr(exc, "status", None)
                wait = _retry_after(exc)
                if status in (429, 503) and wait is not None:
                    if wait > MAX_RETRY_AFTER:
                        raise CheckUnavailable("throttled (%s) on %s: the server asks to retry after %ss, more than "
                                               "the %ss this run waits" % (status, path.split("?")[0], _seconds(wait),
                                                                           MAX_RETRY_AFTER), status) from exc
                    if attempt < 2 and (status == 429 or method == "GET"):
                        time.sleep(wait)
                        continue
                elif status == 429 and attempt < 2:
                    time.sleep(1)
                    continue
                # A read that hit a passing server error is worth one more try; a write is not (not idempotent).
                if method == "GET" and status in TRANSIENT_STATUSES and attempt < 2:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise
            except Exception as exc:  # pylint: disable=broad-except
                # A read cut by a reset connection is retried once, like a passing server error.
                if method == "GET" and attempt == 0 and _is_reset(exc) and not tls_reason(exc):
                    continue
                raise map_exception(exc, self.where) from exc
            if stream:
                return response
            data = response.data
            try:
                # Invalid UTF-8 in one object's text (an event message) must not make the whole list unreadable.
                return json.loads(data.decode("utf-8", "replace") if isinstance(data, bytes) else data) if data else {}
            except ValueError as exc:
                raise CheckUnavailable("malformed response from %s: not JSON" % path.split("?")[0]) from exc
        raise CheckUnavailable("throttled or failing three times on %s" % path.split("?")[0], 429)

    def get(self, path, query=None):
        return self._call("GET", path, query)

    def find(self, path, query=None):
        """GET that answers None for 404 instead of raising."""
        try:
            return self.get(path, query)
        except ApiException as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise

    def list(self, path, query=None, limit=None):
        """Yield every item of a collection, page by page. A 410 Gone restarts the list once.

        The items of the pages before the 410 were yielded already, so the restarted list skips them (by uid,
        else namespace/name): a check counting events must not count a page twice."""
        query = dict(query or {})
        page_size = limit or self.page_size
        restarted = False
        token = None
        seen = set()
        while True:
            params = dict(query, limit=page_size)
            if token:
                params["continue"] = token
            try:
                page = self.get(path, params)
            except ApiException as exc:
                if getattr(exc, "status", None) == 410 and not restarted:
                    restarted, token = True, None
                    continue
                raise
            for item in page.get("items") or []:
                key = _identity(item)
                if restarted and key in seen:
                    continue
                if key is not None:
                    seen.add(key)
                yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def stream_lines(self, path, query=None):
        """Yield the lines (str, without newline) of a streamed text response such as pods/log."""
        response = self._call("GET", path, query, stream=True, accept="*/*")
        pending = b""
        try:
            for chunk in response.stream(64 * 1024, decode_content=True):
                pending += chunk
                lines = pending.split(b"\n")
                pending = lines.pop()
                for line in lines:
                    yield line.decode("utf-8", "replace")
            if pending:
                yield pending.decode("utf-8", "replace")
        finally:
            response.release_conn()

    def create(self, path, body):
        """POST ``body`` to a collection: a review (SubjectAccessReview), which stores nothing, or the
        mitigation lock's Lease.

        Changes to clusters go through kubernetes.core's modules (check mode, diff), not this client.
        The Lease is the exception because the lock is made of what those modules hide: a create that
        must fail when the object exists, and the 409 that says another run got there first.
        A 409 (AlreadyExists) is raised as the ApiException, with its ``status``, for the caller to act on.
        """
        return self._call("POST", path, body=body)

    def replace(self, path, body):
        """PUT ``body`` over the object at ``path`` (the mitigation lock's Lease).

        With ``metadata.resourceVersion`` set, the server only applies it to that version, so a stale
        read loses with a 409 (Conflict), raised as the ApiException with its ``status``. Like every
        write, it is not retried on a server error: the first attempt may have been applied.
        """
        return self._call("PUT", path, body=body)


def _identity(item):
    """What names one listed object across two reads of a list."""
    if not isinstance(item, dict):
        return item if isinstance(item, (str, int)) else None
    meta = item.get("metadata") or {}
    return meta.get("uid") or (meta.get("namespace"), meta.get("name"))


def disable_hidden_retries(dynamic_client):
    """Make ``_call``'s the only retry policy on this client's connections (see NO_HIDDEN_RETRIES).

    kubernetes.core builds (and caches) the ApiClient with urllib3's defaults; its pool manager hands the
    policy to every connection pool it opens, so it is set there and on the pools already open."""
    api_client = getattr(dynamic_client, "client", None)
    pool_manager = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    if pool_manager is None or NO_HIDDEN_RETRIES is None:
        return
    configuration = getattr(api_client, "configuration", None)
    if configuration is not None:
        configuration.retries = NO_HIDDEN_RETRIES
    pool_manager.connection_pool_kw["retries"] = NO_HIDDEN_RETRIES
    for key in list(pool_manager.pools.keys()):
        pool = pool_manager.pools.get(key)
        if pool is not None:
            pool.retries = NO_HIDDEN_RETRIES


def _retry_after(exc):
    """The Retry-After header in seconds, or None when the server sent none (or a date)."""
    value = (getattr(exc, "headers", None) or {}).get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _seconds(value):
    return int(value) if float(value).is_integer() else value
