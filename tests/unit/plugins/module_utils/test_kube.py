# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw client: pagination, 410 restart, retries that are safe, and error mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _kube


def api_error(status, message="", headers=None):
    exc = _kube.ApiException.__new__(_kube.ApiException)
    Exception.__init__(exc, "HTTP %s" % status)
    exc.status, exc.reason, exc.headers = status, "reason", headers or {}
    exc.body = json.dumps({"kind": "Status", "message": message})
    return exc


class Response:
    def __init__(self, body):
        self.data = json.dumps(body).encode()


class FakeDynamicClient:
    """Answers from a script: each entry is a dict (answered as JSON) or an exception (raised)."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []
        self.bodies = []

    def request(self, method, path, body=None, query_params=None, **kwargs):
        self.calls.append((method, path, dict(query_params or [])))
        self.bodies.append(body)
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Response(answer)


def client(script):
    return _kube.KubeClient(FakeDynamicClient(script), page_size=2)


def test_list_follows_continue_tokens():
    kube = client([{"items": [1, 2], "metadata": {"continue": "t1"}}, {"items": [3], "metadata": {}}])
    assert list(kube.list("/api/v1/namespaces", {"labelSelector": "a=b"})) == [1, 2, 3]
    calls = kube.dynamic_client.calls
    assert calls[0][2] == {"labelSelector": "a=b", "limit": 2}
    assert calls[1][2] == {"labelSelector": "a=b", "limit": 2, "continue": "t1"}


def test_an_expired_continue_token_restarts_the_list_once():
    kube = client([{"items": [1, 2], "metadata": {"continue": "t1"}}, api_error(410, "too old"),
                   {"items": [1, 2, 3], "metadata": {}}])
    # The restarted list does not yield the first page's items again (a count of events must not double).
    assert list(kube.list("/api/v1/namespaces")) == [1, 2, 3]
    with pytest.raises(_kube.ApiException):
        list(client([api_error(410), api_error(410)]).list("/api/v1/namespaces"))


def test_reads_retry_passing_server_errors_but_writes_do_not(monkeypatch):
    monkeypatch.setattr(_kube.time, "sleep", lambda seconds: None)
    assert client([api_error(503), {"ok": True}]).get("/version") == {"ok": True}
    with pytest.raises(_kube.ApiException):
        client([api_error(503), {"ok": True}]).create("/api/v1/namespaces", {})
    with pytest.raises(_kube.ApiException):
        client([api_error(503)] * 3).get("/version")


def test_replace_puts_the_body_and_a_conflict_reaches_the_caller_untried_again(monkeypatch):
    monkeypatch.setattr(_kube.time, "sleep", lambda seconds: None)
    lease = {"metadata": {"name": "l", "resourceVersion": "7"}, "spec": {"holderIdentity": "a"}}
    kube = client([{"metadata": {"resourceVersion": "8"}}])
    assert kube.replace("/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", lease) == {"metadata": {"resourceVersion": "8"}}
    assert kube.dynamic_client.calls == [("PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", {})]
    assert kube.dynamic_client.bodies == [lease]
    # The lock acts on a 409 (another run wrote first): it must arrive as the ApiException with its status,
    # after exactly one request; a server error on a write is not retried either (it may have been applied).
    for status, verb in ((409, "replace"), (409, "create"), (503, "replace"), (500, "create")):
        kube = client([api_error(status, "the object has been modified"), {"ok": True}])
        with pytest.raises(_kube.ApiException) as raised:
            getattr(kube, verb)("/apis/coordination.k8s.io/v1/namespaces/ns/leases", lease)
        assert raised.value.status == status
        assert kube.requests == 1 and len(kube.dynamic_client.script) == 1


def test_throttling_honours_retry_after(monkeypatch):
    slept = []
    monkeypatch.setattr(_kube.time, "sleep", slept.append)
    assert client([api_error(429, headers={"Retry-After": "3"}), {"ok": 1}]).get("/version") == {"ok": 1}
    assert slept == [3.0]


def test_find_answers_none_for_404():
    assert client([api_error(404)]).find("/api/v1/namespaces/x") is None


def test_errors_map_to_short_reasons_with_the_servers_message():
    reason = _kube.map_exception(api_error(403, 'events is forbidden: User "oncall" cannot list')).reason
    assert reason == 'forbidden (403): events is forbidden: User "oncall" cannot list'
    assert _kube.map_exception(ValueError("Expecting value")).reason.startswith("malformed response")
    assert _kube.map_exception(OSError("timed out")).reason.startswith("timeout")


def test_malformed_json_is_unavailable_not_a_crash():
    class Broken(FakeDynamicClient):
        def request(self, method, path, body=None, query_params=None, **kwargs):
            response = Response({})
            response.data = b'{"kind": "Sta'
            return response
    with pytest.raises(_kube.CheckUnavailable, match="malformed response from /version"):
        _kube.KubeClient(Broken([])).get("/version")


def test_resource_paths():
    assert _kube.resource_path("", "v1", "namespaces") == "/api/v1/namespaces"
    assert _kube.resource_path("work.karmada.io", "v1alpha1", "works", "karmada-es-m1", "w/1") == \
        "/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-m1/works/w%2F1"
    assert _kube.resource_path("", "v1", "pods", "ns", "p", "log") == "/api/v1/namespaces/ns/pods/p/log"


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(monkeypatch):
    slept = []
    monkeypatch.setattr(_kube.time, "sleep", slept.append)
    kube = client([api_error(429, headers={"Retry-After": "3600"})])
    with pytest.raises(_kube.CheckUnavailable) as caught:
        kube.get("/api/v1/events")
    assert slept == [] and kube.requests == 1
    assert caught.value.reason.startswith("throttled (429) on /api/v1/events: the server asks to retry after 3600s")


def test_a_503_with_retry_after_waits_it_on_reads(monkeypatch):
    slept = []
    monkeypatch.setattr(_kube.time, "sleep", slept.append)
    assert client([api_error(503, headers={"Retry-After": "2"}), {"ok": 1}]).get("/version") == {"ok": 1}
    assert slept == [2.0]


def test_urllib3_retries_are_turned_off_on_the_client_and_its_open_pools():
    urllib3 = pytest.importorskip("urllib3")
    manager = urllib3.PoolManager()
    manager.connection_from_url("https://127.0.0.1:1")          # a pool opened before

    class ApiClient:
        configuration = type("Configuration", (), {"retries": None})()
        rest_client = type("Rest", (), {"pool_manager": manager})()

    dynamic = type("Dynamic", (), {"client": ApiClient()})()
    _kube.disable_hidden_retries(dynamic)
    policy = manager.connection_from_url("https://127.0.0.1:1").retries
    assert policy.read == 0 and policy.status == 0 and not policy.respect_retry_after_header
    assert manager.connection_from_url("https://127.0.0.1:2").retries is policy
    assert ApiClient.configuration.retries is policy


def test_tls_failures_say_tls_and_keep_openssls_reason():
    import ssl

    urllib3 = pytest.importorskip("urllib3")
    inner = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                            "self-signed certificate in certificate chain (_ssl.c:992)")
    inner.verify_message = "self-signed certificate in certificate chain"
    wrapped = urllib3.exceptions.MaxRetryError(None, "/api", urllib3.exceptions.SSLError(inner))
    reason = _kube.map_exception(wrapped, "https://127.0.0.1:6443").reason
    assert reason == ("TLS: certificate verify failed: self-signed certificate in certificate chain "
                      "talking to https://127.0.0.1:6443")
    # What kubernetes' rest client raises for an SSLError: an ApiException of status 0.
    api = api_error(0)
    api.reason = "SSLError\n" + str(urllib3.exceptions.SSLError(inner))
    assert _kube.map_exception(api).reason.startswith("TLS: certificate verify failed: self-signed certificate")


def test_timeouts_and_resets_name_their_cause():
    urllib3 = pytest.importorskip("urllib3")
    timeout = urllib3.exceptions.ReadTimeoutError(None, "/api", "Read timed out. (read timeout=1)")
    assert _kube.map_exception(timeout, "https://k:6443").reason.startswith("timeout: no answer talking to https://k:6443")
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    assert _kube.map_exception(reset).reason.startswith("connection reset")


def test_a_read_cut_by_a_reset_is_tried_once_more():
    urllib3 = pytest.importorskip("urllib3")
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    assert client([reset, {"ok": 1}]).get("/version") == {"ok": 1}
    with pytest.raises(_kube.CheckUnavailable, match="connection reset"):
        client([reset, reset]).get("/version")


def test_invalid_utf8_in_a_response_is_replaced_not_fatal():
    class Latin(FakeDynamicClient):
        def request(self, method, path, body=None, query_params=None, **kwargs):
            response = Response({})
            response.data = b'{"items": [{"message": "bad \xff here"}]}'
            return response
    assert _kube.KubeClient(Latin([])).get("/api/v1/events") == {"items": [{"message": "bad \ufffd here"}]}
