# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation lock: the pure decision, then acquire/renew/release against an in-memory Lease that keeps
the API server's concurrency rules, including the races two alert-triggered runs really have."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import re
import threading

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _kube
from ansible_collections.karmada.runbooks.plugins.module_utils import _lease as lease
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 25, 3, 0, 0, tzinfo=UTC)
NS, NAME = "karmada-system", "karmada-runbooks-mitigation"
PATH = "/apis/coordination.k8s.io/v1/namespaces/karmada-system/leases/karmada-runbooks-mitigation"
COLLECTION = "/apis/coordination.k8s.io/v1/namespaces/karmada-system/leases"
MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def a_lease(holder="other_1", renewed=NOW, duration=600, transitions=3, acquired=None, rv="41", run=None):
    spec = {"holderIdentity": holder, "leaseDurationSeconds": duration, "leaseTransitions": transitions}
    if renewed is not None:
        spec["renewTime"] = stamp(renewed)
    if acquired is not None:
        spec["acquireTime"] = stamp(acquired)
    meta = {"name": NAME, "namespace": NS, "resourceVersion": rv}
    if run:
        meta["annotations"] = {lease.RUN_ANNOTATION: run}
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": spec}


def api_error(status, reason, message):
    exc = _kube.ApiException.__new__(_kube.ApiException)
    Exception.__init__(exc, "(%s) %s" % (status, reason))
    exc.status, exc.reason, exc.headers = status, reason, {}
    exc.body = json.dumps({"kind": "Status", "status": "Failure", "reason": reason, "code": status, "message": message})
    return exc


# -- the decision ----------------------------------------------------------------------------------
def test_no_lease_is_created_with_microsecond_times_and_no_transitions():
    decision = lease.decide(None, "me_1", NOW, 600)
    assert decision["action"] == lease.CREATE
    assert decision["spec"] == {"holderIdentity": "me_1", "leaseDurationSeconds": 600, "leaseTransitions": 0,
                                "acquireTime": "2026-11-25T03:00:00.000000Z", "renewTime": "2026-11-25T03:00:00.000000Z"}
    assert MICRO.match(decision["spec"]["renewTime"])
    assert decision["previous_holder"] is None and decision["expires_at"] is None


def test_someone_elses_live_lease_is_waited_for_until_it_lapses():
    renewed = NOW - datetime.timedelta(seconds=100)
    decision = lease.decide(a_lease(renewed=renewed, acquired=renewed), "me_1", NOW, 600)
    assert decision["action"] == lease.WAIT and decision["spec"] is None
    assert decision["previous_holder"] == "other_1"
    assert decision["expires_at"] == renewed + datetime.timedelta(seconds=600)
    assert decision["renewed_at"] == renewed and decision["skew_seconds"] == 0


def test_a_lapsed_lease_is_taken_over_as_a_new_term():
    renewed = NOW - datetime.timedelta(seconds=601)
    decision = lease.decide(a_lease(renewed=renewed, transitions=3), "me_1", NOW, 300)
    assert decision["action"] == lease.TAKE_OVER
    assert decision["previous_holder"] == "other_1"
    assert decision["expires_at"] == NOW - datetime.timedelta(seconds=1)
    # A change of holder is one more transition; the new hold lasts our duration, from now.
    assert decision["spec"]["leaseTransitions"] == 4
    assert decision["spec"]["leaseDurationSeconds"] == 300
    assert decision["spec"]["acquireTime"] == decision["spec"]["renewTime"] == stamp(NOW)


def test_expiry_is_strict_and_uses_the_leases_own_duration():
    # renewTime + leaseDurationSeconds == now: not yet lapsed (the rule is "< now").
    at_the_edge = a_lease(renewed=NOW - datetime.timedelta(seconds=60), duration=60)
    assert lease.decide(at_the_edge, "me_1", NOW, 600)["action"] == lease.WAIT
    assert lease.decide(at_the_edge, "me_1", NOW + datetime.timedelta(microseconds=1), 600)["action"] == lease.TAKE_OVER
    # The holder's duration counts, not ours: a 60 s hold renewed 61 s ago is over although we use 600 s.
    assert lease.decide(at_the_edge, "me_1", NOW + datetime.timedelta(seconds=1), 600)["action"] == lease.TAKE_OVER


def test_our_own_lease_is_renewed_in_the_same_term():
    acquired = NOW - datetime.timedelta(seconds=700)
    ours = a_lease(holder="me_1", renewed=NOW - datetime.timedelta(seconds=900), acquired=acquired, transitions=5)
    decision = lease.decide(ours, "me_1", NOW, 600)
    # Even lapsed: nobody took it, so it is still ours to renew (client-go renews as leader the same way).
    assert decision["action"] == lease.RENEW
    assert decision["spec"]["acquireTime"] == stamp(acquired)
    assert decision["spec"]["renewTime"] == stamp(NOW)
    assert decision["spec"]["leaseTransitions"] == 5


def test_an_empty_holder_is_free_even_when_just_renewed():
    released = a_lease(holder="", renewed=NOW, duration=1, transitions=4)
    decision = lease.decide(released, "me_1", NOW, 600)
    assert decision["action"] == lease.TAKE_OVER
    assert decision["previous_holder"] is None and decision["expires_at"] is None
    assert decision["spec"]["leaseTransitions"] == 5
    no_holder_at_all = a_lease(renewed=NOW)
    del no_holder_at_all["spec"]["holderIdentity"]
    assert lease.decide(no_holder_at_all, "me_1", NOW, 600)["action"] == lease.TAKE_OVER


def test_a_renew_time_in_the_future_keeps_the_lock_longer_never_shorter():
    ahead = NOW + datetime.timedelta(seconds=300)
    skewed = a_lease(renewed=ahead)
    decision = lease.decide(skewed, "me_1", NOW, 600)
    assert decision["action"] == lease.WAIT
    assert decision["skew_seconds"] == 300
    assert decision["expires_at"] == ahead + datetime.timedelta(seconds=600)
    # Still held after what would have been its lapse by our clock.
    assert lease.decide(skewed, "me_1", NOW + datetime.timedelta(seconds=601), 600)["action"] == lease.WAIT
    message = lease.held_message(NS, NAME, decision, skewed, 120)
    assert "300 s ahead of this machine's clock" in message
    assert "until 2026-11-25T03:15:00Z" in message


def test_missing_or_unreadable_times_fall_back_and_a_missing_duration_is_ours():
    no_renew = a_lease(renewed=None, acquired=NOW - datetime.timedelta(seconds=30))
    assert lease.decide(no_renew, "me_1", NOW, 600)["action"] == lease.WAIT
    assert lease.decide(no_renew, "me_1", NOW, 600)["expires_at"] == NOW + datetime.timedelta(seconds=570)
    # Nothing shows the holder alive.
    assert lease.decide(a_lease(renewed=None), "me_1", NOW, 600)["action"] == lease.TAKE_OVER
    garbled = a_lease()
    garbled["spec"]["renewTime"] = "yesterday"
    assert lease.decide(garbled, "me_1", NOW, 600)["action"] == lease.TAKE_OVER
    no_duration = a_lease(renewed=NOW - datetime.timedelta(seconds=100))
    del no_duration["spec"]["leaseDurationSeconds"]
    assert lease.decide(no_duration, "me_1", NOW, 120)["expires_at"] == NOW + datetime.timedelta(seconds=20)
    assert lease.decide(no_duration, "me_1", NOW, 60)["action"] == lease.TAKE_OVER


def test_the_held_message_says_who_since_when_until_when_and_what_to_do():
    since = NOW - datetime.timedelta(seconds=90)
    renewed = NOW - datetime.timedelta(seconds=30, microseconds=500)
    held = a_lease(holder="awx-1_abc", renewed=renewed, acquired=since, run="4711")
    message = lease.held_message(NS, NAME, lease.decide(held, "me_1", NOW, 600), held, 120.0)
    assert message == (
        "another mitigation (holder awx-1_abc, run 4711, holding it since 2026-11-25T02:58:30Z, renewed at "
        "2026-11-25T02:59:29Z) holds Lease karmada-system/karmada-runbooks-mitigation until 2026-11-25T03:09:30Z; "
        "waited 120 s and nothing was applied. Wait for it to finish, or, if that run crashed, the lock expires "
        "at 2026-11-25T03:09:30Z and the next run takes it over")


def test_the_expiry_shown_is_rounded_up_so_a_run_started_then_finds_it_lapsed():
    held = a_lease(renewed=NOW + datetime.timedelta(microseconds=250))
    decision = lease.decide(held, "me_1", NOW, 600)
    assert "until 2026-11-25T03:10:01Z" in lease.held_message(NS, NAME, decision, held, 0)


def test_the_holder_identity_is_hostname_underscore_uuid():
    identity = lease.holder_identity("awx-task-7d9f")
    assert re.match(r"^awx-task-7d9f_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", identity)
    assert lease.holder_identity("h") != lease.holder_identity("h")


def test_options_name_what_is_wrong():
    options = lease.options_from_params({"state": "acquired"})
    assert (options["name"], options["namespace"], options["duration"], options["wait"], options["interval"]) == \
        ("karmada-runbooks-mitigation", "karmada-system", 600, 120, 2)
    with pytest.raises(InputError, match="holder is required with state=released"):
        lease.options_from_params({"state": "released"})
    with pytest.raises(InputError, match="^wait must be a whole number of seconds, at least 0"):
        lease.options_from_params({"wait": -1})
    with pytest.raises(InputError, match="^interval must be"):
        lease.options_from_params({"interval": 0})
    with pytest.raises(InputError, match="^duration must be at most"):
        lease.options_from_params({"duration": 2 ** 31})


# -- the operations against an in-memory API server ------------------------------------------------
class Clock:
    """Epoch seconds that only sleeping moves on; every sleep is recorded."""

    def __init__(self, moment=NOW):
        self.now = moment.timestamp()
        self.slept = []
        self.on_sleep = None

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(self)


class Server:
    """One Lease with the API server's rules: create of an existing name is 409 AlreadyExists, a PUT whose
    resourceVersion is not the current one is 409 Conflict, a PUT of a missing object 404; every write
    moves resourceVersion on. Thread-safe, so real threads can race on it."""

    def __init__(self, obj=None):
        self.obj = copy.deepcopy(obj)
        self.rv = int((obj or {}).get("metadata", {}).get("resourceVersion") or 100)
        self.lock = threading.Lock()
        self.writes = []

    def get(self):
        with self.lock:
            return copy.deepcopy(self.obj)

    def create(self, body):
        with self.lock:
            if self.obj is not None:
                raise api_error(409, "AlreadyExists", 'leases.coordination.k8s.io "%s" already exists' % NAME)
            return self._store("create", body)

    def replace(self, body):
        with self.lock:
            if self.obj is None:
                raise api_error(404, "NotFound", 'leases.coordination.k8s.io "%s" not found' % NAME)
            if body["metadata"].get("resourceVersion") != self.obj["metadata"]["resourceVersion"]:
                raise api_error(409, "Conflict", 'Operation cannot be fulfilled on leases.coordination.k8s.io "%s": '
                                "the object has been modified; please apply your changes to the latest version "
                                "and try again" % NAME)
            return self._store("update", body)

    def _store(self, verb, body):
        self.rv += 1
        obj = copy.deepcopy(body)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.obj = obj
        self.writes.append((verb, copy.deepcopy(obj)))
        return copy.deepcopy(obj)


class Client:
    """What _lease needs of KubeClient (find, create, replace), on a Server; ``before_write`` runs once,
    between this client's first read and its first write: another run's whole write, in the gap."""

    def __init__(self, server, before_write=None, fail_read=None):
        self.server = server
        self.before_write = before_write
        self.fail_read = fail_read
        self.calls = []

    def find(self, path):
        assert path == PATH
        self.calls.append("GET")
        if self.fail_read:
            raise self.fail_read
        return self.server.get()

    def _gap(self):
        if self.before_write:
            hook, self.before_write = self.before_write, None
            hook()

    def create(self, path, body):
        assert path == COLLECTION
        self.calls.append("POST")
        self._gap()
        return self.server.create(body)

    def replace(self, path, body):
        assert path == PATH
        self.calls.append("PUT")
        self._gap()
        return self.server.replace(body)


def acquire(client, holder, clock=None, **kwargs):
    clock = clock or Clock()
    kwargs.setdefault("wait", 0)
    return lease.acquire(client, NS, NAME, holder, clock=clock, sleep=clock.sleep, **kwargs)


def test_acquire_creates_the_lease_and_says_until_when():
    server = Server()
    got = acquire(Client(server), "me_1", run="4711")
    assert got["acquired"] is True and got["error"] is None and got["action"] == lease.CREATE
    assert got["expires_at"] == "2026-11-25T03:10:00Z"
    assert got["lease"]["holder_identity"] == "me_1" and got["lease"]["run"] == "4711"
    assert server.writes[0][0] == "create"
    created = server.obj
    assert created["metadata"]["annotations"] == {lease.RUN_ANNOTATION: "4711"}
    assert created["apiVersion"] == "coordination.k8s.io/v1" and created["kind"] == "Lease"
    assert created["spec"]["holderIdentity"] == "me_1"


def test_two_contenders_creating_at_once_exactly_one_wins():
    server = Server()
    winner = {}
    # B read "no Lease" too, but A's create lands first: B's create is 409 AlreadyExists, B reads again.
    loser_client = Client(server, before_write=lambda: winner.update(acquire(Client(server), "a_1")))
    loser = acquire(loser_client, "b_1")
    assert winner["acquired"] is True
    assert loser["acquired"] is False and loser["conflicts"] == 1
    assert loser_client.calls == ["GET", "POST", "GET"]
    assert loser["previous_holder"] == "a_1" and "holder a_1" in loser["error"]
    assert [verb for verb, _obj in server.writes] == ["create"]
    assert server.obj["spec"]["holderIdentity"] == "a_1"


def test_a_take_over_with_a_stale_resource_version_loses():
    lapsed = a_lease(holder="crashed_1", renewed=NOW - datetime.timedelta(seconds=3600), transitions=3)
    server = Server(lapsed)
    first = {}
    late_client = Client(server, before_write=lambda: first.update(acquire(Client(server), "a_1")))
    late = acquire(late_client, "b_1")
    assert first["acquired"] is True and first["taken_over_from"] == "crashed_1"
    assert late["acquired"] is False and late["conflicts"] == 1 and late["previous_holder"] == "a_1"
    assert late_client.calls == ["GET", "PUT", "GET"]
    # One take-over, one transition, and the PUT carried the version it read.
    assert [verb for verb, _obj in server.writes] == ["update"]
    assert server.obj["spec"]["leaseTransitions"] == 4
    assert server.obj["metadata"]["resourceVersion"] == "42"


def race(server, holders):
    """Real threads, each acquiring with wait=0 once all of them have read the same state; {holder: result}."""
    both_read = threading.Barrier(len(holders))

    class Racing(Client):
        def find(self, path):
            found = super().find(path)
            if len(self.calls) == 1:
                both_read.wait(timeout=5)  # all decide on the same state before any writes
            return found

    results = {}

    def contend(holder):
        results[holder] = acquire(Racing(server), holder)

    threads = [threading.Thread(target=contend, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@pytest.mark.parametrize("start", [None, a_lease(holder="", renewed=NOW, duration=1),
                                   a_lease(holder="crashed_1", renewed=NOW - datetime.timedelta(hours=1))],
                         ids=["absent", "released", "lapsed"])
def test_real_threads_racing_for_a_free_lock_one_wins(start):
    server = Server(start)
    results = race(server, ("a_1", "b_1", "c_1"))
    assert sorted(result["acquired"] for result in results.values()) == [False, False, True]
    winner = next(h for h, r in results.items() if r["acquired"])
    assert server.obj["spec"]["holderIdentity"] == winner and len(server.writes) == 1
    for loser in (r for r in results.values() if not r["acquired"]):
        assert loser["conflicts"] == 1 and "holder %s" % winner in loser["error"]


def test_a_live_holder_is_polled_until_the_wait_bound_then_named():
    held = a_lease(holder="other_1", renewed=NOW, acquired=NOW - datetime.timedelta(seconds=5), run="77")
    server = Server(held)
    clock = Clock()
    client = Client(server)
    got = acquire(client, "me_1", clock=clock, wait=5, interval=2)
    assert got["acquired"] is False and got["action"] == lease.WAIT
    assert clock.slept == [2, 2, 1] and client.calls == ["GET"] * 4
    assert got["waited_seconds"] == 5
    assert got["previous_holder"] == "other_1" and got["expires_at"] == "2026-11-25T03:10:00Z"
    assert got["error"].startswith("another mitigation (holder other_1, run 77, holding it since 2026-11-25T02:59:55Z, "
                                   "renewed at 2026-11-25T03:00:00Z) holds Lease "
                                   "karmada-system/karmada-runbooks-mitigation until 2026-11-25T03:10:00Z; waited 5 s")
    assert server.writes == []


def test_a_lock_released_while_waiting_is_taken_and_one_lapsing_too():
    server = Server(a_lease(holder="other_1", renewed=NOW))
    clock = Clock()

    def other_releases(clock):
        if len(clock.slept) == 2:
            assert lease.release(Client(server), NS, NAME, "other_1", clock=clock)["released"] is True
    clock.on_sleep = other_releases
    got = acquire(Client(server), "me_1", clock=clock, wait=60, interval=2)
    assert got["acquired"] is True and got["waited_seconds"] == 4
    assert got["taken_over_from"] is None and got["previous_holder"] is None
    lapsing = Server(a_lease(holder="crashed_1", renewed=NOW - datetime.timedelta(seconds=595)))
    clock = Clock()
    got = acquire(Client(lapsing), "me_1", clock=clock, wait=60, interval=2)
    assert got["acquired"] is True and got["taken_over_from"] == "crashed_1" and got["waited_seconds"] == 6
    assert "from crashed_1, whose hold had lapsed at 2026-11-25T03:00:05Z" in got["message"]


def test_acquire_again_with_our_own_holder_renews():
    server = Server(a_lease(holder="me_1", renewed=NOW - datetime.timedelta(seconds=10), acquired=NOW - datetime.timedelta(seconds=10)))
    got = acquire(Client(server), "me_1")
    assert got["acquired"] is True and got["action"] == lease.RENEW and got["taken_over_from"] is None
    assert server.obj["spec"]["renewTime"] == stamp(NOW)
    assert server.obj["spec"]["acquireTime"] == stamp(NOW - datetime.timedelta(seconds=10))


def test_check_mode_reads_once_and_writes_nothing():
    for start, action in ((None, lease.CREATE), (a_lease(renewed=NOW - datetime.timedelta(hours=2)), lease.TAKE_OVER),
                          (a_lease(renewed=NOW), lease.WAIT)):
        server = Server(start)
        client = Client(server)
        clock = Clock()
        got = acquire(client, "me_1", clock=clock, wait=120, check_mode=True)
        assert client.calls == ["GET"] and clock.slept == [] and server.writes == []
        assert got["acquired"] is False and got["error"] is None and got["action"] == action
        assert got["message"].startswith("check mode: ")


def test_api_errors_are_results_not_exceptions():
    denied = api_error(403, "Forbidden", 'leases.coordination.k8s.io "x" is forbidden: User "oncall" cannot get')
    got = acquire(Client(Server(), fail_read=denied), "me_1")
    assert got["acquired"] is False
    assert got["error"].startswith("cannot read Lease karmada-system/karmada-runbooks-mitigation: forbidden (403): ")

    class NoNamespace(Client):
        def create(self, path, body):
            raise api_error(404, "NotFound", 'namespaces "karmada-system" not found')
    got = acquire(NoNamespace(Server()), "me_1")
    assert got["error"] == ('cannot create Lease karmada-system/karmada-runbooks-mitigation: not found (404): '
                            'namespaces "karmada-system" not found')


def test_renew_extends_only_our_own_hold():
    acquired = NOW - datetime.timedelta(seconds=300)
    server = Server(a_lease(holder="me_1", renewed=acquired, acquired=acquired, transitions=2))
    clock = Clock()
    got = lease.renew(Client(server), NS, NAME, "me_1", duration=600, clock=clock)
    assert got["acquired"] is True and got["expires_at"] == "2026-11-25T03:10:00Z"
    assert server.obj["spec"]["renewTime"] == stamp(NOW) and server.obj["spec"]["acquireTime"] == stamp(acquired)
    assert server.obj["spec"]["leaseTransitions"] == 2
    taken = Server(a_lease(holder="b_1"))
    lost = lease.renew(Client(taken), NS, NAME, "me_1", clock=Clock())
    assert lost["acquired"] is False and taken.writes == []
    assert lost["error"] == ("lost the lock: Lease karmada-system/karmada-runbooks-mitigation is not ours any more "
                             "(it is held by b_1 now); stop writing")
    assert "it no longer exists" in lease.renew(Client(Server()), NS, NAME, "me_1", clock=Clock())["error"]


def test_release_clears_the_holder_as_client_go_does():
    server = Server(a_lease(holder="me_1", renewed=NOW - datetime.timedelta(seconds=20), transitions=6))
    clock = Clock()
    got = lease.release(Client(server), NS, NAME, "me_1", clock=clock)
    assert got["released"] is True and got["acquired"] is False and got["error"] is None
    assert server.writes[0][1]["spec"] == {"holderIdentity": "", "leaseDurationSeconds": 1, "leaseTransitions": 6,
                                           "acquireTime": stamp(NOW), "renewTime": stamp(NOW)}
    # The next run takes it at once.
    assert lease.decide(server.obj, "next_1", NOW, 600)["action"] == lease.TAKE_OVER


def test_releasing_a_lock_we_do_not_hold_changes_nothing_and_says_so():
    for start, says in ((a_lease(holder="b_1"), "is held by b_1, not by me_1"), (None, "does not exist"),
                        (a_lease(holder=""), "is not held")):
        server = Server(start)
        got = lease.release(Client(server), NS, NAME, "me_1", clock=Clock())
        assert got["released"] is False and got["error"] is None and got["action"] == lease.NONE
        assert server.writes == []
        assert got["message"] == "nothing to release: Lease karmada-system/karmada-runbooks-mitigation %s; left unchanged" % says


def test_a_release_racing_our_own_renew_reads_again():
    server = Server(a_lease(holder="me_1"))
    # Our renew lands between the release's read and its write (client-go 1b1630d32's case).
    client = Client(server, before_write=lambda: lease.renew(Client(server), NS, NAME, "me_1", clock=Clock()))
    got = lease.release(client, NS, NAME, "me_1", clock=Clock())
    assert got["released"] is True and got["conflicts"] == 1
    assert client.calls == ["GET", "PUT", "GET", "PUT"]
    assert server.obj["spec"]["holderIdentity"] == ""


def test_run_dispatches_on_state():
    server = Server()
    options = lease.options_from_params({"holder": "me_1", "wait": 0})
    assert lease.run(Client(server), options, clock=Clock())["acquired"] is True
    options = lease.options_from_params({"holder": "me_1", "state": "released"})
    assert lease.run(Client(server), options, clock=Clock())["released"] is True
