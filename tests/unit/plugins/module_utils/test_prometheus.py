# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus client: requests it builds, how it maps errors, time and option handling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _prometheus as prom
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import PROMETHEUS_TIMEOUT

URL = "http://prometheus.example:9090"
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"result": "error"}, "value": [1795618750.8, "0.3"]},
    {"metric": {"result": "success"}, "value": [1795618750.8, "NaN"]}]}}
BAD_DATA = {"status": "error", "errorType": "bad_data",
            "error": "invalid parameter \"query\": 1:18: parse error: unexpected right parenthesis ')'"}


class Response:
    def __init__(self, body):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()

    def read(self):
        return self.body


class FakeOpener:
    """Stands in for open_url: records each call, answers with the next scripted response or raises it."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return Response(answer)

    def params(self, index=0):
        return {k: v[0] for k, v in parse_qs(urlsplit(self.calls[index][0]).query).items()}


def http_error(status, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPError(URL + "/api/v1/query", status, "error", {}, io.BytesIO(raw))


def client(opener, **kwargs):
    return prom.PrometheusClient(URL, opener=opener, **kwargs)


# -- requests ------------------------------------------------------------------------------------

def test_instant_query_request_and_vector():
    opener = FakeOpener(VECTOR)
    samples = client(opener).vector("sum by (result) (rate(x[5m]))", 1795618750)
    url, kwargs = opener.calls[0]
    assert url.startswith(URL + "/api/v1/query?")
    assert opener.params() == {"query": "sum by (result) (rate(x[5m]))", "time": "1795618750.000"}
    assert kwargs["method"] == "GET" and kwargs["timeout"] == PROMETHEUS_TIMEOUT
    assert [(s.metric, s.value) for s in samples] == [({"result": "error"}, 0.3), ({"result": "success"}, None)]


def test_range_query_request():
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[100, "1"], [115, "+Inf"], [130, "2"]]}]}}
    opener = FakeOpener(matrix)
    series = client(opener).matrix("up", 100, 130, 15)
    assert opener.params() == {"query": "up", "start": "100.000", "end": "130.000", "step": "15"}
    assert series == [({}, [[100, 1.0], [130, 2.0]])]


def test_bearer_token_header_and_extra_headers():
    opener = FakeOpener(VECTOR)
    client(opener, bearer_token="s3cret", headers={"X-Scope-OrgID": "karmada"}).vector("up")
    headers = opener.calls[0][1]["headers"]
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["X-Scope-OrgID"] == "karmada"
    assert opener.calls[0][1]["url_username"] is None


def test_basic_auth_and_tls_options_reach_open_url():
    opener = FakeOpener(VECTOR)
    client(opener, username="sre", password="pw", ca_cert="/ca.pem", client_cert="/c.pem", client_key="/k.pem",
           validate_certs=False, use_proxy=False, timeout=3).vector("up")
    kwargs = opener.calls[0][1]
    assert (kwargs["url_username"], kwargs["url_password"], kwargs["force_basic_auth"]) == ("sre", "pw", True)
    assert (kwargs["ca_path"], kwargs["client_cert"], kwargs["client_key"]) == ("/ca.pem", "/c.pem", "/k.pem")
    assert (kwargs["validate_certs"], kwargs["use_proxy"], kwargs["timeout"]) == (False, False, 3)
    assert "Authorization" not in kwargs["headers"]


def test_from_params_uses_the_argument_spec_names():
    spec = prom.prometheus_argument_spec()
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(url=URL + "/", bearer_token="t", request_timeout=7)
    built = prom.PrometheusClient.from_params(params, opener=FakeOpener())
    assert (built.url, built.timeout, built.headers["Authorization"]) == (URL, 7, "Bearer t")


def test_secrets_are_no_log_and_env_fallbacks_exist():
    spec = prom.prometheus_argument_spec()
    assert spec["bearer_token"]["no_log"] is True and spec["password"]["no_log"] is True
    assert spec["url"]["fallback"][1] == ["PROMETHEUS_URL"]
    assert spec["bearer_token"]["fallback"][1] == ["PROMETHEUS_TOKEN"]


@pytest.mark.parametrize("kwargs, option", [
    ({"url": "prometheus:9090"}, "url"),
    ({"url": "ftp://prometheus"}, "url"),
    ({"url": URL + "/api/v1"}, "url"),
    ({"bearer_token": "t", "username": "u", "password": "p"},
     "bearer_token (karmada_prometheus_token) and username (karmada_prometheus_username)"),
    ({"username": "u"}, "username (karmada_prometheus_username) and password (karmada_prometheus_password)"),
    ({"client_key": "/k.pem"}, "client_key"),
    ({"timeout": 0}, "request_timeout (karmada_prometheus_timeout)"),
    ({"headers": {"X-Tenant": 5}}, "headers"),
])
def test_config_errors_name_the_option(kwargs, option):
    kwargs = dict({"url": URL}, **kwargs)
    with pytest.raises(prom.InputError) as info:
        prom.PrometheusClient(kwargs.pop("url"), **kwargs)
    assert str(info.value).startswith(option)


def test_credentials_never_show_in_reasons():
    opener = FakeOpener(URLError(ConnectionRefusedError()))
    with pytest.raises(prom.Unavailable) as info:
        prom.PrometheusClient("http://sre:pw@prometheus:9090", opener=opener).vector("up")
    assert "pw" not in info.value.reason and "http://prometheus:9090" in info.value.reason


# -- errors ----------------------------------------------------------------------------------------

def test_bad_promql_is_a_query_error_with_prometheus_text():
    with pytest.raises(prom.QueryError) as info:
        client(FakeOpener(http_error(400, BAD_DATA))).vector("sum(rate(x[5m])))")
    assert info.value.reason == "bad_data: " + BAD_DATA["error"]
    assert (info.value.status, info.value.error_type) == (400, "bad_data")


def test_execution_error_is_a_query_error():
    body = {"status": "error", "errorType": "execution", "error": "found duplicate series for the match group"}
    with pytest.raises(prom.QueryError) as info:
        client(FakeOpener(http_error(422, body))).vector("a / on() b")
    assert "duplicate series" in info.value.reason


@pytest.mark.parametrize("status, body, expected", [
    (401, b"Unauthorized", "unauthorized (401)"),
    (403, b"forbidden by proxy", "forbidden (403)"),
    (404, b"404 page not found", "not found (404)"),
    (503, {"status": "error", "errorType": "unavailable", "error": "TSDB not ready"}, "HTTP 503"),
    (502, b"<html>Bad Gateway</html>", "HTTP 502"),
    (429, b"slow down", "throttled (429)"),
])
def test_http_errors_become_unavailable(status, body, expected):
    with pytest.raises(prom.Unavailable) as info:
        client(FakeOpener(http_error(status, body))).vector("up")
    assert info.value.reason.startswith(expected)
    assert info.value.status == status
    if status == 503:
        assert info.value.reason.endswith("TSDB not ready")
    if status == 404:
        assert "base URL" in info.value.reason


@pytest.mark.parametrize("error, expected", [
    (URLError(ConnectionRefusedError(111, "Connection refused")), "unreachable: http://prometheus.example:9090 refused"),
    (URLError(TimeoutError("timed out")), "timeout:"),
    (TimeoutError("The read operation timed out"), "timeout:"),
    (URLError(socket.gaierror(-2, "Name or service not known")), "unreachable: cannot resolve"),
    (prom.SSLValidationError("certificate verify failed"), "TLS: certificate verify failed"),
    (URLError(OSError(113, "No route to host")), "unreachable:"),
])
def test_transport_errors_become_short_reasons(error, expected):
    with pytest.raises(prom.Unavailable) as info:
        client(FakeOpener(error)).vector("up")
    assert info.value.reason.startswith(expected), info.value.reason


def test_timeout_reason_names_the_option_and_seconds():
    with pytest.raises(prom.Unavailable) as info:
        client(FakeOpener(URLError(TimeoutError("timed out"))), timeout=4).vector("up")
    assert "within 4s (request_timeout (karmada_prometheus_timeout))" in info.value.reason


@pytest.mark.parametrize("body", [b"<html>Grafana</html>", {"status": "error", "error": "boom"}, {"status": "success"}])
def test_malformed_answers_are_unavailable(body):
    with pytest.raises(prom.Unavailable) as info:
        client(FakeOpener(body)).vector("up")
    assert info.value.reason.startswith("malformed response")


def test_warnings_are_kept():
    answer = dict(VECTOR, warnings=["PromQL info: metric might not be a counter"])
    built = client(FakeOpener(answer))
    built.vector("up")
    assert built.warnings == ["PromQL info: metric might not be a counter"]


# -- a real HTTP server, through the real open_url -----------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        query = parse_qs(urlsplit(self.path).query).get("query", [""])[0]
        if query == "slow":
            time.sleep(2)
        status, body = (400, BAD_DATA) if query.endswith(")))") else (200, VECTOR)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_real_server_success_and_promql_error(server):
    real = prom.PrometheusClient(server)
    assert [s.value for s in real.vector("up")] == [0.3, None]
    with pytest.raises(prom.QueryError) as info:
        real.vector("sum(rate(x[5m])))")
    assert "unexpected right parenthesis" in info.value.reason


def test_real_server_timeout(server):
    with pytest.raises(prom.Unavailable) as info:
        prom.PrometheusClient(server, timeout=1).vector("slow")
    assert info.value.reason.startswith("timeout:")


def test_real_closed_port_is_unreachable():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(prom.Unavailable) as info:
        prom.PrometheusClient("http://127.0.0.1:%d" % port).vector("up")
    assert info.value.reason.startswith("unreachable:")


# -- times, steps, samples -------------------------------------------------------------------------

def test_range_step_bounds_points():
    assert prom.range_step(0, 3600, 120) == 31          # ceil(3600 / 119): 117 points
    assert prom.range_step(0, 600, 120) == 15           # never finer than a scrape
    assert prom.range_step(0, 600, 120, min_step=1) == 6
    for span in (59, 3600, 86400, 30 * 86400):
        step = prom.range_step(0, span, 120)
        assert span // step + 1 <= 120


def test_compact_samples():
    assert prom.compact_samples(VECTOR["data"]) == [
        {"metric": {"result": "error"}, "time": 1795618750.8, "value": 0.3},
        {"metric": {"result": "success"}, "time": 1795618750.8, "value": None}]
    assert prom.compact_samples({"resultType": "scalar", "result": [5, "2"]}) == [{"metric": {}, "time": 5, "value": 2.0}]
    matrix = {"resultType": "matrix", "result": [{"metric": {"a": "b"}, "values": [[1, "1"], [2, "-Inf"]]}]}
    assert prom.compact_samples(matrix) == [{"metric": {"a": "b"}, "time": 2, "value": None,
                                             "values": [[1, 1.0], [2, None]]}]


def test_safe_url():
    assert prom.safe_url("https://u:p@prom.example:9443/x") == "https://prom.example:9443/x"
    assert prom.safe_url(URL) == URL


# -- prometheus_query's options ----------------------------------------------------------------------

def test_query_request_instant_and_range():
    expected = {"kind": "instant", "query": "up", "time": 1795600800.0}
    assert prom.query_request({"query": " up ", "time": "1795600800"}) == expected
    request = prom.query_request({"query": "up", "start": "1000", "end": "1600", "step": "30s"})
    assert (request["kind"], request["start"], request["end"], request["step"]) == ("range", 1000.0, 1600.0, 30)
    assert prom.query_request({"query": "up", "start": "1000", "step": "15"}, now=2000)["end"] == 2000
    assert prom.query_request({"query": "up", "start": "0", "end": "2490"})["step"] == 10


@pytest.mark.parametrize("params, option", [
    ({"query": " "}, "query"),
    ({"query": "up", "end": "1000"}, "end"),
    ({"query": "up", "step": "1m"}, "step"),
    ({"query": "up", "start": "1000", "time": "1000"}, "time"),
    ({"query": "up", "start": "2000", "end": "1000"}, "start"),
    ({"query": "up", "start": "1000", "end": "2000", "step": "fast"}, "step"),
    ({"query": "up", "start": "an hour ago"}, "start"),
])
def test_query_request_errors_name_the_option(params, option):
    with pytest.raises(prom.InputError) as info:
        prom.query_request(params)
    assert str(info.value).startswith(option)
