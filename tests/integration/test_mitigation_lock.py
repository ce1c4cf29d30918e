"""The mitigation lock against the emulator's Karmada API server: the mitigation_lock module in real
ansible-playbook runs (acquire, a second run told who holds it, release, re-acquire, a crashed run's lapsed
Lease taken over, two runs at once), and _lease's races on the server's own 409s (AlreadyExists on the
create, Conflict on a stale resourceVersion)."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import os
import threading

import pytest
from conftest import AnsiblePlaybook

from ansible_collections.karmada.runbooks.plugins.module_utils import _kube
from ansible_collections.karmada.runbooks.plugins.module_utils import _lease as lease

# The module writes a Lease: never against a real Karmada.
pytestmark = pytest.mark.emulator

NAMESPACE = "karmada-system"
LEASES = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases"


def lock_play(tasks, context="karmada-apiserver"):
    """A play of [(task name, args)] calling the module; failures are kept as results, not raised."""
    lines = ["- name: lock", "  hosts: localhost", "  gather_facts: false", "  module_defaults:",
             f"    karmada.runbooks.mitigation_lock: {json.dumps({'context': context})}", "  tasks:"]
    for task, args in tasks:
        lines += [f"    - name: {task}", f"      karmada.runbooks.mitigation_lock: {json.dumps(args)}",
                  f"      register: {task.replace(' ', '_')}", "      ignore_errors: true"]
    return "\n".join(lines) + "\n"


def holder_of(task):
    return "{{ " + task.replace(" ", "_") + ".lock.holder }}"


def stored(emulator, name):
    response = emulator.raw("GET", f"{LEASES}/{name}")
    return response.json() if response.status == 200 else None


def writes_to(emulator, mark, name):
    return [(r["verb"], r["status"]) for r in emulator.requests_since(mark)
            if r.get("resource") == "leases" and r.get("name") in (name, None, "") and r["namespace"] == NAMESPACE
            and r["verb"] in ("create", "update", "patch", "delete")]


def micro(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_acquire_refuse_release_reacquire(ansible_playbook, emulator):
    name = "lock-cycle"
    mark = emulator.mark()
    results = ansible_playbook.results(lock_play([
        ("first", {"name": name, "run": "job-1"}),
        ("second", {"name": name, "wait": 2, "interval": 1}),
        ("release", {"name": name, "state": "released", "holder": holder_of("first")}),
        ("release again", {"name": name, "state": "released", "holder": holder_of("first")}),
        ("third", {"name": name, "wait": 0}),
        ("renew", {"name": name, "state": "renewed", "holder": holder_of("third")}),
        ("renew first", {"name": name, "state": "renewed", "holder": holder_of("first")}),
        ("release third", {"name": name, "state": "released", "holder": holder_of("third")}),
    ]))
    first, second = results["first"], results["second"]
    assert first.get("failed") is not True and first["changed"] is True
    assert first["lock"]["acquired"] is True and first["lock"]["action"] == "create"
    holder = first["lock"]["holder"]
    assert holder.startswith(os.uname().nodename + "_")

    # The second run waited its 2 s, wrote nothing, and says who holds the lock until when.
    assert second["failed"] is True and second["changed"] is False
    assert second["lock"]["acquired"] is False and second["lock"]["waited_seconds"] >= 2
    assert second["msg"].startswith(f"another mitigation (holder {holder}, run job-1, holding it since ")
    assert f"holds Lease {NAMESPACE}/{name} until {second['lock']['expires_at']}; waited 2 s and nothing was applied" \
        in second["msg"]
    assert "if that run crashed, the lock expires at" in second["msg"]

    assert results["release"]["changed"] is True and results["release"]["lock"]["released"] is True
    assert results["release again"]["changed"] is False
    assert results["release again"]["msg"] == f"nothing to release: Lease {NAMESPACE}/{name} is not held; left unchanged"

    third = results["third"]
    assert third["lock"]["acquired"] is True and third["lock"]["action"] == "take_over"
    assert third["lock"]["taken_over_from"] is None and third["lock"]["lease"]["lease_transitions"] == 1
    assert results["renew"]["changed"] is True and results["renew"]["lock"]["acquired"] is True
    renew_first = results["renew first"]
    assert renew_first["failed"] is True and "lost the lock" in renew_first["msg"]
    assert third["lock"]["holder"] in renew_first["msg"]
    assert results["release third"]["lock"]["released"] is True

    final = stored(emulator, name)
    assert final["spec"]["holderIdentity"] == "" and final["spec"]["leaseDurationSeconds"] == 1
    assert final["spec"]["leaseTransitions"] == 1
    # create (first), update (release), update (third), update (renew), update (release third): the refused,
    # the idle and the lost calls wrote nothing.
    assert writes_to(emulator, mark, name) == [("create", 201)] + [("update", 200)] * 4


def test_a_crashed_runs_lapsed_lease_is_taken_over(ansible_playbook, emulator):
    name = "lock-crashed"
    renewed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    created = emulator.raw("POST", LEASES, body={
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name},
        "spec": {"holderIdentity": "awx-task-old_0b8c", "leaseDurationSeconds": 600, "leaseTransitions": 4,
                 "acquireTime": micro(renewed), "renewTime": micro(renewed)}})
    assert created.status == 201, created.body
    results = ansible_playbook.results(lock_play([("take", {"name": name, "wait": 0})]))
    took = results["take"]["lock"]
    assert took["acquired"] is True and took["action"] == "take_over"
    assert took["taken_over_from"] == "awx-task-old_0b8c" and took["previous_holder"] == "awx-task-old_0b8c"
    assert "from awx-task-old_0b8c, whose hold had lapsed at" in results["take"]["msg"]
    spec = stored(emulator, name)["spec"]
    assert spec["holderIdentity"] == took["holder"] and spec["leaseTransitions"] == 5
    assert spec["leaseDurationSeconds"] == 600
    assert datetime.datetime.strptime(spec["renewTime"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC) > renewed


def test_check_mode_reads_and_writes_nothing(ansible_playbook, emulator):
    name = "lock-check-mode"
    mark = emulator.mark()
    results = ansible_playbook.results(lock_play([("plan", {"name": name})]), "--check")
    assert results["plan"]["changed"] is False and results["plan"]["lock"]["action"] == "create"
    assert results["plan"]["lock"]["acquired"] is False
    assert stored(emulator, name) is None and writes_to(emulator, mark, name) == []


def test_two_concurrent_runs_one_acquires(tmp_path, emulator):
    name = "lock-concurrent"
    mark = emulator.mark()
    runners = [AnsiblePlaybook(str(tmp_path / run), emulator.kubeconfig) for run in ("a", "b")]
    for runner in runners:
        os.makedirs(runner.workdir)
    text = lock_play([("take", {"name": name, "wait": 0})])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda runner: runner.results(text), runners))
    locks = sorted((outcome["take"] for outcome in outcomes), key=lambda result: not result["lock"]["acquired"])
    assert [result["lock"]["acquired"] for result in locks] == [True, False]
    winner, loser = locks
    assert loser["failed"] is True and f"holder {winner['lock']['holder']}" in loser["msg"]
    assert stored(emulator, name)["spec"]["holderIdentity"] == winner["lock"]["holder"]
    assert [write for write in writes_to(emulator, mark, name) if write[1] < 300] == [("create", 201)]


class Racing:
    """A KubeClient whose first read waits until every contender has read: all decide on the same Lease,
    then race their writes to the server, which must accept one and answer the rest 409."""

    def __init__(self, client, barrier):
        self.client = client
        self.barrier = barrier
        self.statuses = []
        self.reads = 0

    def find(self, path):
        found = self.client.find(path)
        self.reads += 1
        if self.reads == 1:
            self.barrier.wait(timeout=30)
        return found

    def _write(self, verb, path, body):
        try:
            written = getattr(self.client, verb)(path, body)
        except _kube.ApiException as exc:
            self.statuses.append((exc.status, json.loads(exc.body).get("reason")))
            raise
        self.statuses.append((201 if verb == "create" else 200, None))
        return written

    def create(self, path, body):
        return self._write("create", path, body)

    def replace(self, path, body):
        return self._write("replace", path, body)


@pytest.mark.parametrize("start", ["absent", "lapsed"])
def test_the_servers_409s_settle_a_race_of_four(emulator, start):
    """Four contenders read the same state; the emulator must refuse all writes but one with 409 AlreadyExists
    (create) or 409 Conflict (PUT with a stale resourceVersion), and every loser must then see the winner."""
    name = f"lock-race-{start}"
    if start == "lapsed":
        old = micro(datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
        assert emulator.raw("POST", LEASES, body={"metadata": {"name": name}, "spec": {
            "holderIdentity": "gone_1", "leaseDurationSeconds": 60, "renewTime": old, "acquireTime": old}}).status == 201
    barrier = threading.Barrier(4)
    clients = [Racing(_kube.KubeClient.from_params({"kubeconfig": emulator.kubeconfig, "context": "karmada-apiserver"}),
                      barrier) for _index in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda pair: lease.acquire(pair[1], NAMESPACE, name, f"contender_{pair[0]}", wait=0),
                                enumerate(clients)))
    assert sorted(result["acquired"] for result in results) == [False, False, False, True]
    winner = next(result["holder"] for result in results if result["acquired"])
    expected = (409, "AlreadyExists") if start == "absent" else (409, "Conflict")
    for client, result in zip(clients, results):
        if result["acquired"]:
            assert client.statuses == [(201 if start == "absent" else 200, None)]
        else:
            assert client.statuses == [expected], client.statuses
            assert result["conflicts"] == 1 and f"holder {winner}" in result["error"]
    spec = stored(emulator, name)["spec"]
    assert spec["holderIdentity"] == winner
    assert spec["leaseTransitions"] == (0 if start == "absent" else 1)
