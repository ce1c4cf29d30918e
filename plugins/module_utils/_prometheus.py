# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus HTTP API client: instant and range queries over ``ansible.module_utils.urls``.

No extra Python dependency: ``open_url`` brings TLS (CA, client certificate), proxies from the
environment, basic auth and timeouts. ``prometheus_argument_spec()`` is the one definition of the
connection options; the ``karmada.runbooks.prometheus`` doc fragment documents it and the
``group/karmada.runbooks.prometheus`` action group lets a play set it once.

Errors come in two kinds, because callers treat them differently: ``QueryError`` means Prometheus
rejected the query and carries its own error text (a generic query module fails on it; it is the
user's input), ``Unavailable`` means the server could not be asked (unreachable, timeout, 401, 403,
5xx, not a Prometheus) and carries a short reason a report can show.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re
import socket
import ssl
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import PROMETHEUS_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError, option_name, tls_reason
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_duration, parse_epoch

USER_AGENT = "karmada.runbooks"

# Environment variables the connection options fall back to (AWX custom credential types inject these).
ENV_VARS = {
    "url": "PROMETHEUS_URL",
    "bearer_token": "PROMETHEUS_TOKEN",
    "username": "PROMETHEUS_USERNAME",
    "password": "PROMETHEUS_PASSWORD",
    "ca_cert": "PROMETHEUS_CA_CERT",
    "client_cert": "PROMETHEUS_CLIENT_CERT",
    "client_key": "PROMETHEUS_CLIENT_KEY",
}


def prometheus_argument_spec():
    """The connection options every Prometheus module takes (documented by the prometheus doc fragment)."""
    def env(option):
        return (env_fallback, [ENV_VARS[option]])
    return {
        "url": {"type": "str", "fallback": env("url")},
        "bearer_token": {"type": "str", "no_log": True, "aliases": ["token"], "fallback": env("bearer_token")},
        "username": {"type": "str", "fallback": env("username")},
        "password": {"type": "str", "no_log": True, "fallback": env("password")},
        "ca_cert": {"type": "path", "fallback": env("ca_cert")},
        "client_cert": {"type": "path", "fallback": env("client_cert")},
        # A path, not the key itself.
        "client_key": {"type": "path", "no_log": False, "fallback": env("client_key")},
        "validate_certs": {"type": "bool", "default": True},
        "use_proxy": {"type": "bool", "default": True},
        "headers": {"type": "dict", "default": {}},
        "request_timeout": {"type": "int", "default": PROMETHEUS_TIMEOUT, "aliases": ["timeout"]},
    }


class PrometheusError(CheckUnavailable):
    """Anything that kept a query from returning data; ``reason`` is short enough for a report."""

    def __init__(self, reason, status=None, error_type=None):
        super(PrometheusError, self).__init__(reason, status)
        self.error_type = error_type


class QueryError(PrometheusError):
    """Prometheus rejected the query (``bad_data``, ``execution``): ``reason`` is its own error text."""


class Unavailable(PrometheusError):
    """Prometheus could not be asked: unreachable, timeout, refused credentials, server error."""


class NoData(PrometheusError):
    """Prometheus answered, but holds none of the series a check needs (not scraped, rules not loaded)."""


class Sample:
    """One series of an instant vector: its labels and value (None when NaN or infinite)."""

    __slots__ = ("metric", "value", "time")

    def __init__(self, metric, value, sample_time):
        self.metric = metric
        self.value = value
        self.time = sample_time

    def __repr__(self):
        return "Sample(%r, %r)" % (self.metric, self.value)


def to_float(text):
    """A sample value as Prometheus encodes it ("0.5", "NaN", "+Inf") -> float, or None if not finite."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def range_step(start, end, max_points, min_step=15):
    """The step (whole seconds) that keeps a range query from start to end within ``max_points`` points.

    Never below ``min_step``: finer than the scrape interval only repeats samples.
    """
    span = max(0.0, float(end) - float(start))
    if max_points < 2 or span == 0:
        return max(min_step, int(math.ceil(span)) or min_step)
    return max(min_step, int(math.ceil(span / (max_points - 1))))


def safe_url(url):
    """The URL without user:password@ (reasons and reports show it)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc += ":%d" % parts.port
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def validate_url(url, option="url"):
    """The base URL without trailing slash; InputError (naming ``option``) unless http(s)://host[...]."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("%s: %r is not an http:// or https:// URL" % (option, safe_url(text)))
    return text.rstrip("/")


class PrometheusClient:
    """Instant and range queries against one Prometheus (or anything serving its HTTP API:
    Thanos, Mimir, VictoriaMetrics, Grafana's datasource proxy)."""

    def __init__(self, url, bearer_token=None, username=None, password=None, ca_cert=None, client_cert=None,
                 client_key=None, validate_certs=True, use_proxy=True, headers=None, timeout=PROMETHEUS_TIMEOUT,
                 opener=None):
        self.url = validate_url(url, option_name("url", "prometheus"))
        if urlsplit(self.url).path.endswith("/api/v1"):
            # The client appends /api/v1/<endpoint> itself.
            raise InputError("%s: give the Prometheus base URL without /api/v1 (got %s)"
                             % (option_name("url", "prometheus"), safe_url(self.url)))
        if bearer_token and username:
            raise InputError("%s and %s: give one way to authenticate, not both"
                             % (option_name("bearer_token", "prometheus"), option_name("username", "prometheus")))
        if bool(username) != bool(password):
            raise InputError("%s and %s: basic auth needs both"
                             % (option_name("username", "prometheus"), option_name("password", "prometheus")))
        if client_key and not client_cert:
            raise InputError("client_key: needs client_cert as well")
        if timeout is not None and timeout <= 0:
            raise InputError("%s: must be a positive number of seconds, got %r"
                             % (option_name("request_timeout", "prometheus"), timeout))
        self.headers = {"Accept": "application/json"}
        for name, value in (headers or {}).items():
            if not isinstance(value, str):
                raise InputError("headers: the value of %s must be a string, got %r" % (name, value))
            self.headers[str(name)] = value
        if bearer_token:
            self.headers["Authorization"] = "Bearer %s" % bearer_token
        self.username = username
        self.password = password
        self.ca_cert = ca_cert
        self.client_cert = client_cert
        self.client_key = client_key
        self.validate_certs = validate_certs
        self.use_proxy = use_proxy
        self.timeout = timeout or PROMETHEUS_TIMEOUT
        self.opener = opener or open_url
        self.requests = 0
        self.warnings = []

    @classmethod
    def from_params(cls, params, opener=None):
        """Build from a module's params (``prometheus_argument_spec``); raises InputError."""
        return cls(params.get("url"), bearer_token=params.get("bearer_token"), username=params.get("username"),
                   password=params.get("password"), ca_cert=params.get("ca_cert"),
                   client_cert=params.get("client_cert"), client_key=params.get("client_key"),
                   validate_certs=params.get("validate_certs", True), use_proxy=params.get("use_proxy", True),
                   headers=params.get("headers"), timeout=params.get("request_timeout"), opener=opener)

    @property
    def display_url(self):
        return safe_url(self.url)

    # -- API --
    def query(self, expr, at=None):
        """``/api/v1/query``: the ``data`` object (``resultType``, ``result``)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = _time_param(at)
        return self._get("query", params)

    def query_range(self, expr, start, end, step):
        """``/api/v1/query_range``: the ``data`` object (``resultType`` matrix, ``result``)."""
        return self._get("query_range", {"query": expr, "start": _time_param(start), "end": _time_param(end),
                                         "step": step})

    def rules(self):
        """``/api/v1/rules``: the ``data`` object (``groups``, each with its ``rules``: ``name``, ``type``, ``labels``)."""
        return self._get("rules", {})

    def vector(self, expr, at=None):
        """An instant query as a list of Samples (a scalar result becomes one Sample without labels)."""
        data = self.query(expr, at)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar":
            return [Sample({}, to_float(result[1]), result[0])]
        if kind != "vector" or not isinstance(result, list):
            raise Unavailable("malformed response: expected a vector for %s, got %s" % (_short(expr, 80), kind))
        return [Sample(item.get("metric") or {}, to_float(item["value"][1]), item["value"][0]) for item in result]

    def matrix(self, expr, start, end, step):
        """A range query as [(labels, [[t, value], ...])], non-finite points dropped."""
        data = self.query_range(expr, start, end, step)
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise Unavailable("malformed response: expected a matrix for %s" % _short(expr, 80))
        series = []
        for item in data["result"]:
            points = [[point[0], to_float(point[1])] for point in item.get("values") or []]
            series.append((item.get("metric") or {}, [p for p in points if p[1] is not None]))
        return series

    # -- transport --
    def _get(self, endpoint, params):
        url = "%s/api/v1/%s?%s" % (self.url, endpoint, urlencode(params))
        self.requests += 1
        try:
            response = self.opener(
                url, method="GET", headers=self.headers, use_proxy=self.use_proxy, timeout=self.timeout,
                validate_certs=self.validate_certs, url_username=self.username, url_password=self.password,
                force_basic_auth=bool(self.username), http_agent=USER_AGENT, client_cert=self.client_cert,
                client_key=self.client_key, ca_path=self.ca_cert)
            body = response.read()
        except HTTPError as exc:
            raise self._http_error(exc, endpoint) from exc
        except Exception as exc:  # pylint: disable=broad-except
            raise self._transport_error(exc) from exc
        return self._decode(body, endpoint)

    def _decode(self, body, endpoint):
        try:
            payload = json.loads(body)
        except (TypeError, ValueError):
            raise Unavailable("malformed response from %s: not JSON (is url a Prometheus server?)" % self.display_url) from None
        if not isinstance(payload, dict) or payload.get("status") != "success" or not isinstance(payload.get("data"), dict):
            error = payload.get("error") if isinstance(payload, dict) else None
            raise Unavailable("malformed response from %s/api/v1/%s: %s" % (self.display_url, endpoint,
                                                                            error or "no data"))
        self.warnings.extend(str(w) for w in payload.get("warnings") or [])
        return payload["data"]

    def _http_error(self, exc, endpoint):
        status = exc.code
        error_type, message = None, ""
        try:
            raw = exc.read()
        except Exception:  # pylint: disable=broad-except
            raw = b""
        try:
            payload = json.loads(raw)
            if isinstance(payload, dict):
                error_type, message = payload.get("errorType"), payload.get("error") or ""
        except (TypeError, ValueError):
            message = _short(raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw), 200)
        # 400 bad_data: the query does not parse; 422 execution: it parses but cannot be evaluated.
        if status in (400, 422) and error_type in ("bad_data", "execution"):
            return QueryError("%s: %s" % (error_type, message), status, error_type)
        where = self.display_url
        if status == 401:
            reason = "unauthorized (401) by %s: check %s or %s/password" % (
                where, option_name("bearer_token", "prometheus"), option_name("username", "prometheus"))
        elif status == 403:
            reason = "forbidden (403) by %s: the credentials may not query this Prometheus" % where
        elif status == 404:
            reason = ("not found (404): %s/api/v1/%s does not exist; url must be the Prometheus base URL"
                      % (where, endpoint))
        elif status == 429:
            reason = "throttled (429) by %s" % where
        else:
            reason = "HTTP %s from %s" % (status, where)
        if message and status not in (401, 404):
            reason += ": %s" % message
        return Unavailable(reason, status, error_type)

    def _transport_error(self, exc):
        where = self.display_url
        cause = getattr(exc, "reason", None) if isinstance(exc, URLError) else exc
        # TLS first: a handshake that failed must not read as "unreachable" or "timeout".
        tls = tls_reason(exc)
        if tls:
            return Unavailable("%s talking to %s" % (tls, where))
        if isinstance(cause, (socket.timeout, TimeoutError)) or "timed out" in str(cause).lower():
            return Unavailable("timeout: %s did not answer within %ss (%s)" % (where, self.timeout, option_name("request_timeout", "prometheus")))
        if isinstance(exc, SSLValidationError) or isinstance(cause, ssl.SSLError):
            return Unavailable("TLS: %s talking to %s" % (_short(cause), where))
        if isinstance(cause, ConnectionRefusedError):
            return Unavailable("unreachable: %s refused the connection" % where)
        if isinstance(cause, socket.gaierror):
            return Unavailable("unreachable: cannot resolve the host of %s (%s)" % (where, _short(cause)))
        if isinstance(exc, (URLError, UrlsConnectionError, OSError)):
            return Unavailable("unreachable: %s (%s)" % (where, _short(cause)))
        return Unavailable("%s talking to %s: %s" % (type(exc).__name__, where, _short(exc)))


def _time_param(value):
    if isinstance(value, (int, float)):
        return "%.3f" % value
    return str(value)


def _short(value, limit=300):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


# -- the generic query module ----------------------------------------------------------------------

DEFAULT_RANGE_POINTS = 250


def query_request(params, now=None):
    """Validated instant or range query options from prometheus_query's params; InputError names the option.

    ``start`` makes it a range query (``end`` defaults to now, ``step`` to what keeps ~250 points).
    """
    now = time.time() if now is None else now
    expr = (params.get("query") or "").strip()
    if not expr:
        raise InputError("query: must not be empty")
    try:
        at = parse_epoch(params.get("time"), "time")
        start = parse_epoch(params.get("start"), "start")
        end = parse_epoch(params.get("end"), "end")
    except InputError as exc:
        raise InputError(str(exc)) from None
    if start is None:
        for option in ("end", "step"):
            if params.get(option) not in (None, ""):
                raise InputError("%s: only applies to a range query; set start as well" % option)
        return {"kind": "instant", "query": expr, "time": at}
    if at is not None:
        raise InputError("time: applies to an instant query; a range query (start) takes start, end and step")
    end = now if end is None else end
    if start >= end:
        raise InputError("start: %s is not before end %s" % (format_rfc3339(start), format_rfc3339(end)))
    step = params.get("step")
    if step in (None, ""):
        step = range_step(start, end, DEFAULT_RANGE_POINTS, min_step=1)
    else:
        try:
            step = float(step) if re.match(r"^\d+(\.\d+)?$", str(step)) else parse_duration(step)
        except ValueError as exc:
            raise InputError("step: %s" % exc) from None
        if step <= 0:
            raise InputError("step: must be positive, got %r" % params.get("step"))
    return {"kind": "range", "query": expr, "start": start, "end": end, "step": step}


def compact_samples(data):
    """Prometheus' ``data`` as a flat list: [{metric, time, value}] (matrix: last point, plus ``values``).

    Values are floats, None for NaN and infinities (they have no JSON form); a string result keeps its text.
    """
    kind, result = data.get("resultType"), data.get("result")
    if kind in ("scalar", "string"):
        value = result[1] if kind == "string" else to_float(result[1])
        return [{"metric": {}, "time": result[0], "value": value}]
    samples = []
    for item in result or []:
        if kind == "matrix":
            values = [[point[0], to_float(point[1])] for point in item.get("values") or []]
            last = values[-1] if values else [None, None]
            samples.append({"metric": item.get("metric") or {}, "time": last[0], "value": last[1], "values": values})
        else:
            samples.append({"metric": item.get("metric") or {}, "time": item["value"][0],
                            "value": to_float(item["value"][1])})
    return samples


def run_query(client, request):
    """Run what ``query_request`` validated; the module's return values (PrometheusError propagates)."""
    if request["kind"] == "range":
        data = client.query_range(request["query"], request["start"], request["end"], request["step"])
    else:
        data = client.query(request["query"], request["time"])
    result = {"query": request["query"], "result_type": data.get("resultType"), "result": data.get("result"),
              "samples": compact_samples(data), "prometheus_warnings": list(client.warnings)}
    if request["kind"] == "range":
        result["step"] = request["step"]
    return result
