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
    assert list(kube.list("/api/v1/namespaces")) == [1, 2, 1, 2, 3]
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
