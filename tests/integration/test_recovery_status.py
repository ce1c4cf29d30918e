"""recovery_status (mitigate.yml's verification) run by ansible-playbook against the emulator with a real
Prometheus scraping it (`up --prometheus`): a healthy Karmada recovers on the first poll; with
karmada-es-member2 missing it does not, and names the member2 bindings; after the namespace is created and
the controller-manager restarted by hand, it recovers, and says how long that took.

Both emulators start at the same time (each spends most of its start-up waiting on Prometheus)."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import os
import socket

import pytest
from conftest import AnsiblePlaybook, EmulatorHandle, Kubectl

PROMETHEUS_BIN = "/usr/bin/prometheus"
pytestmark = [pytest.mark.emulator,
              pytest.mark.skipif(not os.access(PROMETHEUS_BIN, os.X_OK),
                                 reason=f"{PROMETHEUS_BIN} is missing: `make setup` (as root) installs it")]

# The emulator's Prometheus scrapes every 5 s (tests/emulator/prometheus.py INTERVAL): any 12 s range holds
# two scrapes (10 s would, but only just), so the metric is judged 12 s after the change instead of a minute.
METRIC_RANGE = 12
INTERVAL = 2
MEMBER2_BINDINGS = {"default/nginx-deployment", "default/web-deployment", "default/api-deployment"}


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rfc3339_now(offset=0.0):
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)).isoformat()


def playbook(handle, tasks, check_mode=False):
    """One play running [(task name, args)] of recovery_status, with the Prometheus settings given as
    mitigate.yml gives them (karmada_prometheus_auth: url, validate_certs, timeout)."""
    prometheus = {"url": handle.endpoints["prometheus"]["url"], "validate_certs": True, "timeout": 10}
    plays = [{"name": "Verify", "hosts": "localhost", "gather_facts": False, "check_mode": check_mode,
              "tasks": [{"name": name, "karmada.runbooks.recovery_status": dict(
                  {"kubeconfig": handle.kubeconfig, "context": "karmada-apiserver", "prometheus": prometheus,
                   "interval": INTERVAL, "metric_range": METRIC_RANGE}, **args)} for name, args in tasks]}]
    return json.dumps(plays)


def verify(handle, workdir, tasks, check_mode=False):
    """{task name: module result}."""
    return AnsiblePlaybook(str(workdir), handle.kubeconfig).results(playbook(handle, tasks, check_mode))


@pytest.fixture(scope="module")
def emulators(tmp_path_factory):
    handles = {name: EmulatorHandle(tmp_path_factory.mktemp(name) / "emulator", scenario=name)
               for name in ("healthy", "missing-namespaces")}
    try:
        with concurrent.futures.ThreadPoolExecutor(len(handles)) as pool:
            for future in [pool.submit(handle.up, "--prometheus") for handle in handles.values()]:
                future.result()
        yield handles
    finally:
        for handle in handles.values():
            if handle.endpoints:
                handle.down()


def test_healthy_recovers_on_the_first_poll(emulators, tmp_path):
    handle = emulators["healthy"]
    # Nothing changed: any instant far enough back for the metric's range to lie after it will do.
    since = rfc3339_now(-3 * METRIC_RANGE)
    down = f"http://127.0.0.1:{closed_port()}"
    results = verify(handle, tmp_path, [
        ("healthy", {"since": since, "timeout": 30}),
        ("prometheus down", {"since": since, "timeout": 30, "prometheus": {"url": down, "timeout": 2}}),
        ("no prometheus", {"since": since, "timeout": 30, "prometheus": {"url": ""}}),
    ])
    result = results["healthy"]
    verification = result["verification"]
    assert result["changed"] is False and result["recovered"] is True, verification["reason"]
    assert verification["status"] == "recovered" and verification["polls"] == 1
    criteria = verification["criteria"]
    assert criteria["bindings"]["ok"] is True and criteria["bindings"]["scheduled"] >= 1
    assert criteria["bindings"]["without_works"] == 0
    assert criteria["events"] == {"ok": True, "new_failures": 0, "bindings": 0, "samples": [], "error": None}
    assert criteria["metric"]["ok"] is True and criteria["metric"]["increase"] == 0
    assert criteria["metric"]["range_seconds"] >= 3 * METRIC_RANGE
    # Every binding is fully applied, so the Works are not listed: two binding lists and the events.
    assert verification["requests"] == {"karmada_apiserver": 3, "prometheus": 1}
    assert verification["recovered"] and verification["reason"].startswith("All ")

    for name, error in (("prometheus down", f"unreachable: {down} refused the connection"),
                        ("no prometheus", "no Prometheus URL configured")):
        verification = results[name]["verification"]
        assert results[name]["recovered"] is True, (name, verification["reason"])
        metric = verification["criteria"]["metric"]
        assert metric["ok"] is None and metric["error"].startswith(error), (name, metric)
        assert verification["reason"].endswith(f"the binding sync error counter was not checked ({metric['error']}).")


def test_missing_namespace_is_not_recovered_until_fixed_and_restarted(emulators, tmp_path):
    handle = emulators["missing-namespaces"]
    kubectl = Kubectl(handle.kubeconfig, tmp_path / "kube-cache")

    # Before the fix: bindings targeting member2 have no Work there, and the short timeout runs out.
    before = verify(handle, tmp_path, [("before", {"since": rfc3339_now(), "timeout": 4})])["before"]
    verification = before["verification"]
    assert before["recovered"] is False and verification["status"] == "not_recovered"
    assert verification["polls"] >= 2 and verification["elapsed_seconds"] >= 4
    bindings = verification["criteria"]["bindings"]
    assert bindings["ok"] is False and bindings["without_works"] == len(MEMBER2_BINDINGS)
    assert {s["binding"] for s in bindings["samples"]} == MEMBER2_BINDINGS
    assert all(s["clusters_without_work"] == ["member2"] for s in bindings["samples"])
    # Four seconds after `since` the range still reaches back before it.
    assert verification["criteria"]["metric"]["ok"] is False and verification["criteria"]["metric"]["waiting"] is True
    assert not verification["recovered"] and verification["timeout_seconds"] == 4
    assert "default/nginx-deployment on member2" in verification["reason"]

    # The fix, by hand: the execution namespace as the cluster controller makes it, then a rollout restart.
    kubectl("create", "namespace", "karmada-es-member2")
    kubectl("label", "namespace", "karmada-es-member2", "karmada.io/system=true")
    kubectl("rollout", "restart", "deployment/karmada-controller-manager", "-n", "karmada-system",
            context="karmada-host")
    kubectl("rollout", "status", "deployment/karmada-controller-manager", "-n", "karmada-system", "--timeout=60s",
            context="karmada-host")
    since = rfc3339_now()

    after = verify(handle, tmp_path, [("after", {"since": since, "timeout": 60})])["after"]
    verification = after["verification"]
    assert after["recovered"] is True, verification["reason"]
    criteria = verification["criteria"]
    assert criteria["bindings"]["ok"] is True and criteria["bindings"]["without_works"] == 0
    assert criteria["events"]["ok"] is True and criteria["events"]["new_failures"] == 0
    assert criteria["metric"]["ok"] is True and criteria["metric"]["increase"] == 0
    # The metric decides last: not before its whole range lies after the restart.
    assert criteria["metric"]["range_seconds"] >= METRIC_RANGE
    assert METRIC_RANGE - INTERVAL <= verification["elapsed_seconds"] < 60
    assert verification["polls"] >= 2
    per_poll = verification["requests"]["karmada_apiserver"] / verification["polls"]
    assert 3 <= per_poll <= 4 and verification["requests"]["prometheus"] == verification["polls"]
    assert verification["recovered"] and verification["reason"].startswith("All ")
    print("verified recovery:", json.dumps({k: verification[k] for k in (
        "elapsed_seconds", "polls", "requests", "poll_seconds")}))


def test_check_mode_makes_one_poll(emulators, tmp_path):
    handle = emulators["healthy"]
    result = verify(handle, tmp_path, [("check", {"since": rfc3339_now(), "timeout": 30})], check_mode=True)["check"]
    verification = result["verification"]
    # Right after `since` the metric still waits, and check mode does not wait for it.
    assert result["recovered"] is False and verification["polls"] == 1
    assert verification["criteria"]["metric"]["waiting"] is True
    assert verification["reason"].startswith("Not recovered at the one poll check mode makes: ")
