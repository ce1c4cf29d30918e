"""The fault matrix: what diagnose does when the Karmada API server, the host cluster or Prometheus fail.

Each case injects its faults into one shared emulator (tests/emulator/faults.py) or points a connection at
a broken endpoint, runs playbooks/diagnose.yml and asserts what an SRE relies on during an incident: the
run completes (bounded by the subprocess timeout, never a timed assertion), report.json is written, only
the checks that depend on the broken thing are ``unknown`` and each says why in words naming the cause,
and nothing prints a traceback. README.md's "When things fail" table is this file's cases.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time

import pytest
import yaml
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

pytestmark = pytest.mark.emulator

PROMETHEUS_CHECKS = {"slo_burn_rate", "binding_sync_error_rate", "workqueue"}
# The checks that list from the Karmada API server (rbac only creates reviews when the logs show denials).
KARMADA_CHECKS = ("sync_failure_events", "execution_namespaces", "override_policies", "binding_status", "recent_changes")
KARMADA = "karmada-apiserver"
EVENTS = "/api/v1/events"
BINDINGS = "/apis/work.karmada.io/v1alpha2/resourcebindings"
CLUSTER_BINDINGS = "/apis/work.karmada.io/v1alpha2/clusterresourcebindings"
OVERRIDES = "/apis/policy.karmada.io/v1alpha1/overridepolicies"
CLUSTERS = "/apis/cluster.karmada.io/v1alpha1/clusters"
NAMESPACES = "/api/v1/namespaces"
# The run's own bound: far above a healthy run (~5 s), far below "stalled for an hour".
RUN_TIMEOUT = 120


class PrometheusStub(http.server.ThreadingHTTPServer):
    """A Prometheus that answers the way a broken one does; ``mode`` is set per case."""

    daemon_threads = True
    mode = "empty"

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _PrometheusHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _PrometheusHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        mode = self.server.mode
        if mode == "slow":
            time.sleep(4)
        if mode == "400":
            # Prometheus' own answer to a query it cannot parse (web/api/v1/api.go: errorBadData).
            self._send(400, {"status": "error", "errorType": "bad_data",
                             "error": "invalid parameter \"query\": 1:1: parse error: unexpected end of input"})
        elif mode == "nonjson":
            self._send(200, b"<html><body>Sign in to continue</body></html>", "text/html")
        elif "/api/v1/rules" in self.path:
            self._send(200, {"status": "success", "data": {"groups": []}})
        else:
            # Sloth's rules are not loaded: every query is an empty vector (or matrix).
            kind = "matrix" if "query_range" in self.path else "vector"
            self._send(200, {"status": "success", "data": {"resultType": kind, "result": []}})

    def _send(self, status, body, content_type="application/json"):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:   # the client gave up first (the slow case)
            pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One emulator (healthy, no Prometheus of its own) and one Prometheus stub for the module."""
    tmp = tmp_path_factory.mktemp("faults")
    handle = EmulatorHandle(tmp / "emulator").up()
    stub = PrometheusStub()
    try:
        yield handle, stub, tmp
    finally:
        stub.shutdown()
        stub.server_close()
        handle.down()


def _kubeconfig_variant(handle, path, **changes):
    """A copy of the emulator's kubeconfig with one cluster's ``server`` or CA changed."""
    with open(handle.kubeconfig, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    for cluster in config["clusters"]:
        for key, value in changes.get(cluster["name"], {}).items():
            if key == "certificate-authority":      # a CA file replaces the inline one
                cluster["cluster"].pop("certificate-authority-data", None)
            cluster["cluster"][key] = value
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def _cluster_name(handle, context):
    with open(handle.kubeconfig, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    return next(c["context"]["cluster"] for c in config["contexts"] if c["name"] == context)


def _run(playbook, kubeconfig, report_dir, prometheus_url, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    args = [os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-e", f"karmada_kubeconfig={kubeconfig}",
            "-e", f"karmada_report_dir={report_dir}", "-e", f"karmada_prometheus_url={prometheus_url}",
            "-e", "karmada_request_timeout=2", "-e", "karmada_prometheus_timeout=1", *extra]
    # The bound this file proves: a run that waits on a fault past RUN_TIMEOUT fails here.
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          check=False)


# id: (Karmada API faults, Prometheus stub mode, {check: words its reason must contain})
CASES = {
    # recent_changes reads the override policies too (what changed), so both depend on that list.
    "api-500": ([{"server": KARMADA, "path": OVERRIDES, "status": 500, "message": "etcdserver: leader changed"}],
                "empty", {"override_policies": "server error (500)", "recent_changes": "server error (500)"}),
    "api-503": ([{"server": KARMADA, "path": BINDINGS, "status": 503}], "400",
                {"binding_status": "unavailable (503)"}),
    # Passing faults are retried and leave no trace: a 429 with a short Retry-After, and a 410 Gone (an
    # expired list) that restarts the list once. The 410 hits a first page here: the healthy scenario fits in one
    # page; tests/unit test_kube.py and test_an_expired_continue_page_restarts_the_list cover a continue page.
    "api-429-short-retry-after-and-410-once": (
        [{"server": KARMADA, "path": CLUSTERS, "status": 429, "retry_after": 1, "times": 1},
         {"server": KARMADA, "path": BINDINGS, "status": 410, "times": 1,
          "message": "The provided continue parameter is too old"}], "nonjson", {}),
    "api-429-huge-retry-after": ([{"server": KARMADA, "path": EVENTS, "status": 429, "retry_after": 3600}],
                                 "slow", {"sync_failure_events": "throttled (429)"}),
    "api-latency-past-timeout": ([{"server": KARMADA, "path": BINDINGS, "action": "latency", "latency": 4}],
                                 "empty", {"binding_status": "timeout"}),
    "api-connection-reset": ([{"server": KARMADA, "path": NAMESPACES, "action": "reset"}], "empty",
                             {"execution_namespaces": "connection reset"}),
    "api-malformed-json": ([{"server": KARMADA, "path": OVERRIDES, "action": "malformed"}], "down",
                           {"override_policies": "malformed response", "recent_changes": "malformed response"}),
    "api-401": ([{"server": KARMADA, "status": 401}], "empty",
                dict.fromkeys(KARMADA_CHECKS, "unauthorized (401)")),
    "api-403-one-resource": ([{"server": KARMADA, "path": CLUSTER_BINDINGS, "status": 403,
                               "message": 'clusterresourcebindings.work.karmada.io is forbidden: User "oncall" '
                                          'cannot list resource "clusterresourcebindings"'}],
                             "empty", {"binding_status": "forbidden (403)"}),
    # No fault injected: the connections themselves are broken (see KUBECONFIG_CHANGES): the Karmada API
    # server's certificate is not signed by the CA given, and the host cluster refuses connections. rbac
    # learns the controller's identity from the logs it could not read.
    "wrong-ca-and-host-unreachable": ([], "empty", dict(dict.fromkeys(KARMADA_CHECKS, "TLS: certificate verify failed"),
                                                        controller_logs="unreachable", rbac="could not be read")),
}
CLOSED_PORT = "https://127.0.0.1:9"
# A CA bundle that did not sign the emulator's certificate: the system's public roots.
OTHER_CA = "/etc/ssl/certs/ca-certificates.crt"
KUBECONFIG_CHANGES = {"wrong-ca-and-host-unreachable": {
    "karmada-host": {"server": CLOSED_PORT}, "karmada-apiserver": {"certificate-authority": OTHER_CA}}}
# Prometheus stub modes and what the three Prometheus checks must say in each.
# "empty": Sloth's recording rules absent and the controller not scraped: every query answers no series.
PROMETHEUS_REASON = {"empty": "scraped", "400": "bad_data", "nonjson": "not JSON", "slow": "timeout",
                     "down": "refused the connection"}


def _checks(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as stream:
        report = json.load(stream)
    return report, {c["id"]: c for c in report["checks"]}


def _assert_completed(run, report_dir):
    output = run.stdout + run.stderr
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Traceback" not in output
    return _checks(report_dir)


@pytest.mark.parametrize("case", list(CASES))
def test_a_fault_makes_only_the_checks_that_need_it_unknown(world, case):
    handle, stub, tmp = world
    faults, prometheus_mode, expected = CASES[case]
    stub.mode = prometheus_mode
    handle.clear_faults()
    if faults:
        handle.add_faults(*faults)
    kubeconfig = handle.kubeconfig
    if case in KUBECONFIG_CHANGES:
        kubeconfig = _kubeconfig_variant(handle, tmp / f"{case}.kubeconfig", **{
            _cluster_name(handle, context): change for context, change in KUBECONFIG_CHANGES[case].items()})
    report_dir = tmp / case
    prometheus_url = "http://127.0.0.1:9" if prometheus_mode == "down" else stub.url
    run = _run("playbooks/diagnose.yml", kubeconfig, report_dir, prometheus_url)
    _report, checks = _assert_completed(run, report_dir)
    expected = dict(expected)
    if PROMETHEUS_REASON[prometheus_mode]:
        expected.update(dict.fromkeys(PROMETHEUS_CHECKS, PROMETHEUS_REASON[prometheus_mode]))
    unknown = {cid for cid, c in checks.items() if c["status"] == "unknown"}
    assert unknown == set(expected), {cid: checks[cid].get("error") for cid in unknown}
    for cid, words in expected.items():
        assert words.lower() in checks[cid]["error"].lower(), (cid, checks[cid]["error"])


def test_an_expired_continue_page_restarts_the_list(world):
    """410 Gone on a continue page (the list's snapshot was compacted): the client starts the list again once,
    and a second 410 makes it give up with the server's reason instead of looping."""
    from ansible_collections.karmada.runbooks.plugins.module_utils._kube import KubeClient, map_exception

    handle, _stub, _tmp = world
    handle.clear_faults()
    client = KubeClient.from_params({"kubeconfig": handle.kubeconfig, "context": "karmada-apiserver"}, timeout=5,
                                    page_size=1)
    everything = [n["metadata"]["name"] for n in client.list(NAMESPACES)]
    assert len(everything) > 2
    gone = {"server": KARMADA, "path": NAMESPACES, "param": "continue", "status": 410,
            "message": "The provided continue parameter is too old to display a consistent list result."}
    handle.add_faults(dict(gone, times=1))
    assert [n["metadata"]["name"] for n in client.list(NAMESPACES)] == everything
    handle.clear_faults()
    handle.add_faults(gone)
    with pytest.raises(Exception) as caught:
        list(client.list(NAMESPACES))
    assert map_exception(caught.value).reason.startswith("gone (410): The provided continue parameter is too old")


def test_mitigate_refuses_to_act_on_evidence_it_could_not_gather(world):
    """The Karmada API server answers 503 to everything: mitigate (plan mode) plans nothing and says why."""
    handle, _stub, tmp = world
    handle.clear_faults()
    handle.add_faults({"server": KARMADA, "path": "/api*", "status": 503})
    report_dir = tmp / "mitigate"
    mark = handle.mark()
    run = _run("playbooks/mitigate.yml", handle.kubeconfig, report_dir, "http://127.0.0.1:9",
               "-e", "karmada_mitigate_mode=plan")
    report, _checks_by_id = _assert_completed(run, report_dir)
    mitigation = report["mitigation"]
    assert mitigation["actions"] == []
    assert mitigation["summary"].startswith("refused: nothing is applied, the diagnosis could not gather its evidence")
    changes = [r for r in handle.requests_since(mark) if r["method"] in ("PUT", "PATCH", "DELETE") and r["status"] < 400]
    assert changes == []


MALFORMED = [
    # Events with nothing a reader expects: no object, no times, no message, a negative count.
    ("/api/v1/namespaces/default/events",
     {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "odd.1", "namespace": "default"},
      "involvedObject": {}, "reason": "SyncWorkFailed", "source": {"component": "binding-controller"}}),
    ("/api/v1/namespaces/default/events",
     {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "odd.2", "namespace": "default"}, "count": -5,
      "involvedObject": {"kind": "ResourceBinding"}, "reason": "ApplyOverridePolicyFailed", "message": None,
      "source": {"component": "override-manager"}}),
    # A binding without a resource and with a nameless target cluster.
    ("/apis/work.karmada.io/v1alpha2/namespaces/default/resourcebindings",
     {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
      "metadata": {"name": "odd-rb", "namespace": "default"}, "spec": {"clusters": [{}], "resource": {}}}),
    # An OverridePolicy whose overrider path is no JSON pointer.
    ("/apis/policy.karmada.io/v1alpha1/namespaces/default/overridepolicies",
     {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
      "metadata": {"name": "odd-op", "namespace": "default"},
      "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
               "overrideRules": [{"overriders": {"plaintext": [{"path": "not a pointer", "operator": "replace",
                                                                "value": 1}]}}]}}),
]
PYTHON_ERRORS = ("TypeError", "KeyError", "AttributeError", "IndexError", "ValueError")


def test_malformed_objects_are_data_not_crashes(world):
    handle, stub, tmp = world
    stub.mode = "empty"
    handle.clear_faults()
    created = []
    try:
        for path, body in MALFORMED:
            answer = handle.raw("POST", path, body=body)
            assert answer.status == 201, answer.body
            created.append(f"{path}/{body['metadata']['name']}")
        run = _run("playbooks/diagnose.yml", handle.kubeconfig, tmp / "malformed", stub.url)
        _report, checks = _assert_completed(run, tmp / "malformed")
        unknown = {cid: c["error"] for cid, c in checks.items() if c["status"] == "unknown"}
        assert set(unknown) == PROMETHEUS_CHECKS, unknown
        assert not [e for e in unknown.values() if any(name in e for name in PYTHON_ERRORS)]
    finally:
        for path in created:
            handle.raw("DELETE", path)
