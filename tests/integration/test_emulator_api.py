"""Emulator behaviour that later tests rely on: auth, faults, the request log, watch and namespaces."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.parse

import pytest

pytestmark = pytest.mark.emulator


def test_wrong_token_is_401_with_status_body(emulator):
    status, _headers, body = emulator.raw("GET", "/api/v1/namespaces", token="not-a-token")
    assert status == 401
    assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_discovery_documents(emulator):
    status, _headers, body = emulator.raw("GET", "/apis/work.karmada.io/v1alpha2")
    resources = {r["name"]: r for r in json.loads(body)["resources"]}
    assert status == 200
    assert resources["resourcebindings"]["namespaced"] is True
    assert resources["resourcebindings"]["shortNames"] == ["rb"]
    assert resources["resourcebindings"]["categories"] == ["karmada-io"]
    assert "resourcebindings/status" in resources
    assert resources["clusterresourcebindings"]["namespaced"] is False
    body = emulator.raw("GET", "/api/v1", server="host").body
    pods = {r["name"]: r for r in json.loads(body)["resources"]}
    assert pods["pods/log"]["verbs"] == ["get"]
    version = json.loads(emulator.raw("GET", "/version")[2])
    assert version["major"] == "1" and version["gitVersion"].startswith("v1.")


def test_each_server_serves_only_its_kinds(emulator):
    assert emulator.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters", server="host")[0] == 404
    assert emulator.raw("GET", "/api/v1/pods")[0] == 404
    assert emulator.raw("GET", "/api/v1/namespaces/karmada-system/pods", server="host")[0] == 200


def test_request_log_records_method_path_query_status(emulator):
    mark = emulator.mark()
    emulator.raw("GET", "/api/v1/namespaces?labelSelector=karmada.io%2Fsystem%3Dtrue&limit=2")
    emulator.raw("GET", "/api/v1/namespaces/missing")
    entries = emulator.requests_since(mark)
    assert [(e["method"], e["path"], e["status"], e["verb"]) for e in entries] == [
        ("GET", "/api/v1/namespaces", 200, "list"), ("GET", "/api/v1/namespaces/missing", 404, "get")]
    assert entries[0]["query"] == {"labelSelector": "karmada.io/system=true", "limit": "2"}
    assert entries[0]["server"] == "karmada-apiserver" and entries[0]["user"] == "karmada-admin"


def test_fault_status_429_with_retry_after_first_n(emulator):
    emulator.add_faults({"verb": "list", "path": "/apis/cluster.karmada.io/*", "status": 429, "retry_after": 3,
                         "times": 2})
    results = [emulator.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters") for _attempt in range(3)]
    assert [r[0] for r in results] == [429, 429, 200]
    assert results[0][1]["Retry-After"] == "3"
    assert json.loads(results[0][2])["reason"] == "TooManyRequests"
    assert emulator.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/member1")[0] == 200   # verb differs


def test_fault_latency_and_fraction(emulator):
    emulator.add_faults({"path": "/api/v1/namespaces/default", "action": "latency", "latency": 0.3})
    started = time.monotonic()
    assert emulator.raw("GET", "/api/v1/namespaces/default")[0] == 200
    assert time.monotonic() - started >= 0.3
    emulator.clear_faults()
    emulator.add_faults({"path": "/api/v1/namespaces/kube-system", "status": 503, "fraction": 0.5})
    codes = [emulator.raw("GET", "/api/v1/namespaces/kube-system")[0] for _attempt in range(60)]
    assert 10 < codes.count(503) < 50 and codes.count(200) == 60 - codes.count(503)


def test_fault_reset_and_malformed(emulator):
    emulator.add_faults({"path": "/api/v1/namespaces/kube-public", "action": "reset", "times": 1},
                        {"path": "/api/v1/namespaces/kube-node-lease", "action": "malformed", "times": 1})
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        emulator.raw("GET", "/api/v1/namespaces/kube-public")
    status, _headers, body = emulator.raw("GET", "/api/v1/namespaces/kube-node-lease")
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    assert emulator.raw("GET", "/api/v1/namespaces/kube-public")[0] == 200


def test_bad_fault_spec_names_the_field(emulator):
    request = emulator.raw("POST", "/_emulator/faults", token=emulator.endpoints["control_token"],
                           body=[{"path": "*", "action": "explode"}], headers={"Content-Type": "application/json"})
    assert request[0] == 400 and "fault action must be one of" in json.loads(request[2])["message"]


def test_forbidden_for_identity_without_rbac(fresh_emulator):
    token = fresh_emulator.endpoints["tokens"]["karmada-apiserver"]["karmada-viewer"]
    status, _headers, body = fresh_emulator.raw(
        "GET", "/apis/work.karmada.io/v1alpha1/namespaces/karmada-es-member1/works", token=token)
    assert status == 403
    assert json.loads(body)["message"] == ('works.work.karmada.io is forbidden: User "karmada-viewer" cannot list '
                                           'resource "works" in API group "work.karmada.io" in the namespace '
                                           '"karmada-es-member1"')
    assert fresh_emulator.raw("GET", "/apis", token=token)[0] == 200          # discovery stays open


def test_subject_access_review_from_stored_rbac(fresh_emulator):
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": "system:karmada:karmada-controller-manager",
                       "resourceAttributes": {"verb": "create", "group": "work.karmada.io", "resource": "works",
                                              "namespace": "karmada-es-member1"}}}
    status, _headers, body = fresh_emulator.raw("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                                body=review)
    assert status == 201 and json.loads(body)["status"]["allowed"] is False
    review["spec"]["groups"] = ["system:masters"]
    assert json.loads(fresh_emulator.raw("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                         body=review)[2])["status"]["allowed"] is True


def test_watch_from_compacted_version_is_gone(fresh_emulator):
    body = fresh_emulator.raw("GET", "/api/v1/namespaces").body
    version = json.loads(body)["metadata"]["resourceVersion"]
    fresh_emulator.control("POST", "compact")
    status, _headers, body = fresh_emulator.raw("GET", f"/api/v1/namespaces?watch=1&resourceVersion={version}")
    assert status == 410 and json.loads(body)["reason"] == "Expired"


def test_watch_replays_from_resource_version(fresh_emulator):
    body = fresh_emulator.raw("GET", "/api/v1/namespaces").body
    version = json.loads(body)["metadata"]["resourceVersion"]
    fresh_emulator.raw("POST", "/api/v1/namespaces", body={"metadata": {"name": "karmada-es-new"}})
    url = urllib.parse.urlsplit(fresh_emulator.url())
    connection = http.client.HTTPSConnection(url.hostname, url.port, context=fresh_emulator.ssl_context(), timeout=10)
    connection.request("GET", f"/api/v1/namespaces?watch=1&resourceVersion={version}&timeoutSeconds=1",
                       headers={"Authorization": f"Bearer {fresh_emulator.endpoints['karmada_apiserver']['token']}"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    events = [json.loads(line) for line in response.read().splitlines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "karmada-es-new")]


def test_finalizer_holds_deletion_until_removed(fresh_emulator):
    # A finalizer no emulated controller owns (the execution controller clears its own on Works at once).
    held = {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}, "data": {"a": "1"}}
    assert fresh_emulator.raw("POST", "/api/v1/namespaces/default/configmaps", body=held).status == 201
    path = "/api/v1/namespaces/default/configmaps/held"
    status, _headers, body = fresh_emulator.raw("DELETE", path)
    assert status == 200 and json.loads(body)["metadata"]["deletionTimestamp"]
    assert fresh_emulator.raw("GET", path)[0] == 200
    patched = fresh_emulator.raw("PATCH", path, body={"metadata": {"finalizers": None}},
                                 headers={"Content-Type": "application/merge-patch+json"})
    assert patched.status == 200
    assert fresh_emulator.raw("GET", path)[0] == 404


def test_busy_port_falls_back_to_a_free_one(tmp_path):
    from conftest import EmulatorHandle
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    busy = blocker.getsockname()[1]
    try:
        handle = EmulatorHandle(tmp_path / "emu").up("--karmada-port", str(busy))
        try:
            port = int(handle.url().rsplit(":", 1)[1])
            assert port != busy
            assert handle.raw("GET", "/version")[0] == 200
        finally:
            handle.down()
    finally:
        blocker.close()


def test_tls_is_verified_against_generated_ca(emulator):
    url = urllib.parse.urlsplit(emulator.url())
    with pytest.raises(ssl.SSLCertVerificationError):
        connection = http.client.HTTPSConnection(url.hostname, url.port, context=ssl.create_default_context(),
                                                 timeout=5)
        connection.request("GET", "/version")
