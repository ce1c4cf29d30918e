# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery verification: the three criteria from hand-built polls, one poll's requests against fakes, and
the polling loop with a fake clock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _recovery as recovery
from ansible_collections.karmada.runbooks.plugins.module_utils._bindings import WorkIndex
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._events import FailureSummary
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_RESOURCE_BINDINGS,
    EVENTS,
    RESOURCE_BINDINGS,
    WORKS,
    work_name,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import Sample, Unavailable
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC, format_rfc3339

SINCE = datetime.datetime(2026, 11, 25, 15, 0, 0, tzinfo=UTC)
T0 = SINCE.timestamp()
NOT_FOUND = 'namespaces "karmada-es-member2" not found'


def at(seconds):
    """RFC 3339 of SINCE + seconds (negative: before the fix)."""
    return format_rfc3339(T0 + seconds)


def binding(name, clusters, applied):
    status = "True" if applied else "False"
    return {"metadata": {"name": "%s-deployment" % name, "namespace": "default"},
            "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": "default"},
                     "clusters": [{"name": c} for c in clusters]},
            "status": {"conditions": [{"type": "FullyApplied", "status": status,
                                       "reason": "FullyAppliedSuccess" if applied else "FullyAppliedFailed"}]}}


def work(cluster, name):
    return {"metadata": {"namespace": "karmada-es-" + cluster, "name": work_name("Deployment", name, "default")}}


def event(name, last, first=None, message=NOT_FOUND, kind="ResourceBinding", component="binding-controller", count=1):
    involved_name = "%s-deployment" % name if kind == "ResourceBinding" else name
    return {"metadata": {"name": "%s.1" % involved_name, "namespace": "default"}, "reason": "SyncWorkFailed", "type": "Warning",
            "involvedObject": {"kind": kind, "namespace": "default", "name": involved_name},
            "source": {"component": component}, "message": message, "count": count,
            "firstTimestamp": first or last, "lastTimestamp": last}


def samples(value):
    return [Sample({}, value, T0)] if value is not None else []


def observation(bindings=(), works=None, events=None, increase=0.0, now=T0 + 120, range_seconds=120,
                bindings_error=None, events_error=None, metric_error=None):
    """What ``observe`` returns, built by hand; ``events`` is the list after the since filter."""
    summary = None
    if events_error is None:
        summary = FailureSummary(max_failures=recovery.MAX_SAMPLES)
        for item in events or ():
            summary.add(item)
        details = summary.details("all")
        summary = {"total": details["total"], "bindings": details["binding_count"], "failures": details["failures"],
                   "excluded_federated_resource_quota": details["excluded_federated_resource_quota"],
                   "before_since": 0, "undated": 0}
    return {"at": now, "bindings": None if bindings_error else list(bindings),
            "works": WorkIndex(works) if works is not None else WorkIndex(), "bindings_error": bindings_error,
            "events": summary, "events_error": events_error,
            "metric": {"query": recovery.error_increase_query(range_seconds), "range_seconds": range_seconds, "at": now,
                       "increase": None if metric_error else increase, "series": increase is not None and not metric_error,
                       "error": metric_error},
            "requests": {"karmada_apiserver": 4, "prometheus": 1}}


HEALTHY = [binding("nginx", ["member1", "member2"], True), binding("web", ["member1"], True)]


# -- assess ----------------------------------------------------------------------------------------

def test_recovered_when_every_criterion_is_clean():
    result = recovery.assess(observation(HEALTHY), SINCE, T0 + 120)
    assert result["recovered"] is True
    criteria = result["criteria"]
    assert criteria["bindings"] == {"ok": True, "scheduled": 2, "without_works": 0, "not_fully_applied": 0,
                                    "samples": [], "error": None}
    assert criteria["events"]["ok"] is True and criteria["events"]["new_failures"] == 0
    assert criteria["metric"]["ok"] is True and criteria["metric"]["waiting"] is False
    assert criteria["metric"]["increase"] == 0.0 and criteria["metric"]["range_seconds"] == 120
    assert result["reason"] == ("all 2 scheduled bindings have their Works and no SyncWorkFailed event came after "
                                "2026-11-25T15:00:00Z; the binding sync error counter did not rise over the 120 s since")


def test_a_binding_without_its_work_is_not_recovered():
    bindings = [binding("nginx", ["member1", "member2"], False), binding("web", ["member1"], True)]
    result = recovery.assess(observation(bindings, works=[work("member1", "nginx")]), SINCE, T0 + 120)
    assert result["recovered"] is False
    criteria = result["criteria"]["bindings"]
    assert (criteria["ok"], criteria["scheduled"], criteria["without_works"]) == (False, 2, 1)
    assert criteria["samples"] == [{"binding": "default/nginx-deployment", "clusters_without_work": ["member2"]}]
    assert result["reason"] == "1 of 2 scheduled bindings lack Works (default/nginx-deployment on member2)"


def test_a_binding_not_yet_fully_applied_but_with_its_works_counts_as_recovered():
    # FullyApplied waits for the members to report; the sync the SLO measures is done once the Works exist.
    bindings = [binding("nginx", ["member1", "member2"], False)]
    works = [work("member1", "nginx"), work("member2", "nginx")]
    result = recovery.assess(observation(bindings, works=works), SINCE, T0 + 120)
    assert result["criteria"]["bindings"]["ok"] is True
    assert result["criteria"]["bindings"]["not_fully_applied"] == 1
    assert result["recovered"] is True


def test_a_new_failure_event_is_not_recovered():
    events = [event("nginx", at(30), first=at(-3600), count=12)]
    result = recovery.assess(observation(HEALTHY, events=events), SINCE, T0 + 120)
    assert result["recovered"] is False
    criteria = result["criteria"]["events"]
    assert (criteria["ok"], criteria["new_failures"], criteria["bindings"]) == (False, 1, 1)
    assert criteria["samples"] == ["ResourceBinding default/nginx-deployment at 2026-11-25T15:00:30Z: " + NOT_FOUND]
    assert result["reason"] == "1 SyncWorkFailed event(s) on 1 binding(s) after 2026-11-25T15:00:00Z"


class Kube:
    """The fake_kube fixture's class, answering with a fixed world."""

    def __init__(self, fake_kube, bindings=(), works=(), events=(), cluster_bindings=()):
        self.client = fake_kube(lists={RESOURCE_BINDINGS: list(bindings), CLUSTER_RESOURCE_BINDINGS: list(cluster_bindings),
                                       WORKS: list(works), EVENTS: self._events(list(events))})

    @staticmethod
    def _events(events):
        def answer(query):
            assert query == {"fieldSelector": "reason=SyncWorkFailed"}
            return events
        return answer


class Prometheus:
    """Stands in for PrometheusClient: ``answer(expr, at)`` returns the Samples or raises."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = 0
        self.calls = []

    def vector(self, expr, at=None):
        self.requests += 1
        self.calls.append((expr, at))
        answer = self.answer(expr, at)
        if isinstance(answer, Exception):
            raise answer
        return answer


def options(**overrides):
    values = {"since": SINCE, "timeout": 60, "interval": 10, "metric_range": 60, "max_polls": None}
    values.update(overrides)
    return values


def test_events_before_since_are_ignored_and_a_repeat_after_it_counts(fake_kube):
    events = [event("nginx", at(-300)),                          # before the fix
              event("web", at(0)),                               # in since's own second: may be before the fix
              event("api", at(1), first=at(-3600), count=40),    # an old event whose failure repeated
              event("quota", at(5), kind="FederatedResourceQuota", component="federated-resource-quota-sync-controller")]
    kube = Kube(fake_kube, HEALTHY, events=events).client
    observed = recovery.observe(kube, Prometheus(lambda expr, when: samples(0.0)), options(), now=T0 + 120)
    assert observed["events"]["total"] == 1
    assert observed["events"]["before_since"] == 2
    assert observed["events"]["excluded_federated_resource_quota"] == 1
    criteria = recovery.assess(observed, SINCE, T0 + 120)["criteria"]["events"]
    assert criteria["ok"] is False and criteria["samples"][0].startswith("ResourceBinding default/api-deployment at")


def test_events_only_before_since_are_recovered(fake_kube):
    kube = Kube(fake_kube, HEALTHY, events=[event("nginx", at(-300)), event("web", at(-1))]).client
    observed = recovery.observe(kube, Prometheus(lambda expr, when: samples(0.0)), options(), now=T0 + 120)
    result = recovery.assess(observed, SINCE, T0 + 120)
    assert result["criteria"]["events"]["ok"] is True and result["recovered"] is True


def test_an_error_counter_that_rose_is_not_recovered():
    result = recovery.assess(observation(HEALTHY, increase=3.2), SINCE, T0 + 120)
    assert result["recovered"] is False
    assert result["criteria"]["metric"]["ok"] is False and result["criteria"]["metric"]["waiting"] is False
    assert result["reason"] == "the binding sync error counter rose by 3.2 over the last 120 s"


def test_the_metric_waits_until_its_range_lies_after_since():
    # 30 s after the fix a 60 s range still reaches 30 s back before it: no rise proves nothing yet.
    result = recovery.assess(observation(HEALTHY, increase=0.0, now=T0 + 30, range_seconds=60), SINCE, T0 + 30)
    metric = result["criteria"]["metric"]
    assert (metric["ok"], metric["waiting"]) == (False, True)
    assert result["recovered"] is False
    assert result["reason"] == "the error counter is not judged before 60 s have passed since 2026-11-25T15:00:00Z"
    # A rise inside such a range may be the errors the fix ended: still waiting, not a failure.
    rose = recovery.assess(observation(HEALTHY, increase=5.0, now=T0 + 30, range_seconds=60), SINCE, T0 + 30)
    assert rose["criteria"]["metric"]["waiting"] is True
    assert "rose" not in rose["reason"]
    # Nor is no data yet (a fresh Prometheus, a range too short for one more scrape).
    empty = recovery.assess(observation(HEALTHY, increase=None, now=T0 + 30, range_seconds=60), SINCE, T0 + 30)
    assert empty["criteria"]["metric"]["waiting"] is True and empty["recovered"] is False


def test_the_range_grows_with_the_time_since_the_fix():
    assert recovery.metric_range_seconds(SINCE, T0 + 30, 60) == 60
    assert recovery.metric_range_seconds(SINCE, T0 + 95.7, 60) == 95
    assert recovery.metric_range_seconds(T0, T0 + 95.7, 60) == 95
    query = recovery.error_increase_query(95)
    assert query == ('sum(increase(binding_sync_work_duration_seconds_count{result="error"}[95s])) '
                     "or sum(increase(binding_sync_work_duration_seconds_count[95s])) * 0")


def test_prometheus_down_leaves_the_metric_unmeasured_and_the_others_decide():
    reason = "unreachable: http://prometheus:9090 refused the connection"
    result = recovery.assess(observation(HEALTHY, metric_error=reason), SINCE, T0 + 120)
    assert result["criteria"]["metric"]["ok"] is None
    assert result["criteria"]["metric"]["error"] == reason
    assert result["recovered"] is True
    assert result["reason"].endswith("; the binding sync error counter was not checked (%s)" % reason)
    # ... but the others still fail recovery on their own.
    broken = [binding("nginx", ["member2"], False)]
    failing = recovery.assess(observation(broken, metric_error=reason), SINCE, T0 + 120)
    assert failing["recovered"] is False
    assert failing["reason"] == ("1 of 1 scheduled bindings lack Works (default/nginx-deployment on member2); "
                                 "the error counter was not checked (%s)" % reason)


def test_no_error_counter_at_all_is_no_data_not_zero():
    result = recovery.assess(observation(HEALTHY, increase=None), SINCE, T0 + 120)
    metric = result["criteria"]["metric"]
    assert metric["ok"] is None and metric["error"].startswith("no data: Prometheus has no "
                                                               "binding_sync_work_duration_seconds_count series "
                                                               "with two samples in the last 120 s")
    assert result["recovered"] is True


def test_unreadable_bindings_or_events_are_not_recovered():
    result = recovery.assess(observation(bindings_error="forbidden (403): no", events_error="timeout: x"),
                             SINCE, T0 + 120)
    assert result["recovered"] is False
    assert result["criteria"]["bindings"]["ok"] is None and result["criteria"]["events"]["ok"] is None
    assert result["reason"].startswith("the bindings could not be read (forbidden (403): no); "
                                       "the SyncWorkFailed events could not be read (timeout: x)")
    only_events = recovery.assess(observation(HEALTHY, events_error="forbidden (403): events"), SINCE, T0 + 120)
    assert only_events["recovered"] is False


# -- observe ---------------------------------------------------------------------------------------

def test_one_poll_makes_a_fixed_number_of_requests(fake_kube):
    broken = [binding("nginx", ["member1", "member2"], False)]
    kube = Kube(fake_kube, broken, works=[work("member1", "nginx")]).client
    prometheus = Prometheus(lambda expr, when: samples(0.0))
    observed = recovery.observe(kube, prometheus, options(), now=T0 + 120)
    assert [(verb, path) for verb, path, _query in kube.calls] == [
        ("list", RESOURCE_BINDINGS), ("list", CLUSTER_RESOURCE_BINDINGS), ("list", WORKS), ("list", EVENTS)]
    assert kube.calls[3][2] == {"fieldSelector": "reason=SyncWorkFailed"}
    assert prometheus.calls == [(recovery.error_increase_query(120), T0 + 120)]
    assert observed["requests"] == {"karmada_apiserver": 4, "prometheus": 1}
    # Once every binding is fully applied the Works are not listed again (binding_status does the same).
    healthy = Kube(fake_kube, HEALTHY).client
    assert recovery.observe(healthy, prometheus, options(), now=T0 + 120)["requests"]["karmada_apiserver"] == 3


def test_each_source_fails_on_its_own(fake_kube):
    kube = fake_kube(lists={RESOURCE_BINDINGS: HEALTHY, EVENTS: CheckUnavailable("forbidden (403): events")})
    prometheus = Prometheus(lambda expr, when: Unavailable("timeout: http://prometheus:9090 did not answer"))
    observed = recovery.observe(kube, prometheus, options(), now=T0 + 120)
    assert observed["bindings"] is not None and observed["events"] is None
    assert observed["events_error"] == "forbidden (403): events"
    assert observed["metric"]["error"] == "timeout: http://prometheus:9090 did not answer"


def test_no_prometheus_is_an_unmeasured_metric(fake_kube):
    kube = Kube(fake_kube, HEALTHY).client
    observed = recovery.observe(kube, recovery.Missing("no Prometheus URL configured (set url or PROMETHEUS_URL)"),
                                options(), now=T0 + 120)
    result = recovery.assess(observed, SINCE, T0 + 120)
    assert result["criteria"]["metric"]["error"] == "no Prometheus URL configured (set url or PROMETHEUS_URL)"
    assert observed["requests"]["prometheus"] == 0
    assert result["recovered"] is True


# -- verify ----------------------------------------------------------------------------------------

class Clock:
    """A fake clock: ``sleep`` moves it, each read costs ``tick`` seconds (as a poll takes time)."""

    def __init__(self, start, tick=0.0):
        self.now = start
        self.tick = tick
        self.sleeps = []

    def __call__(self):
        self.now += self.tick
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class World:
    """A Karmada that heals step by step: the state a poll sees is the one for its number."""

    def __init__(self, fake_kube, states):
        self.states = states
        self.poll = 0
        self.client = fake_kube(lists={RESOURCE_BINDINGS: self._answer("bindings"),
                                       CLUSTER_RESOURCE_BINDINGS: [],
                                       WORKS: self._answer("works"),
                                       EVENTS: self._events})

    def state(self):
        return self.states[min(self.poll, len(self.states) - 1)]

    def _answer(self, key):
        return lambda query: self.state()[key]

    def _events(self, query):
        answer = self.state()["events"]
        self.poll += 1              # the events are listed last: the next poll sees the next state
        return answer


BROKEN = {"bindings": [binding("nginx", ["member1", "member2"], False)], "works": [work("member1", "nginx")],
          "events": [event("nginx", at(-5))]}
REPAIRED_WITH_EVENT = {"bindings": [binding("nginx", ["member1", "member2"], True)],
                       "works": [work("member1", "nginx"), work("member2", "nginx")], "events": [event("nginx", at(75))]}
CLEAN = {"bindings": [binding("nginx", ["member1", "member2"], True)],
         "works": [work("member1", "nginx"), work("member2", "nginx")], "events": [event("nginx", at(-5))]}


def test_verify_polls_until_recovered_on_the_third_poll(fake_kube):
    world = World(fake_kube, [BROKEN, REPAIRED_WITH_EVENT, CLEAN])
    clock = Clock(T0 + 70)
    prometheus = Prometheus(lambda expr, when: samples(0.0))
    result = recovery.verify(world.client, prometheus, options(timeout=120, interval=10), clock, clock.sleep)
    assert result["recovered"] is True and result["status"] == "recovered"
    assert result["polls"] == 3
    assert clock.sleeps == [10, 10]
    assert result["elapsed_seconds"] == 20
    assert (result["started_at"], result["finished_at"], result["since"]) == (at(70), at(90), at(0))
    assert result["timeout_seconds"] == 120 and result["interval_seconds"] == 10
    # Per poll: two binding lists and one event list, a Work list while a binding is not fully applied
    # (the first poll only), one query.
    assert result["requests"] == {"karmada_apiserver": 3 * 3 + 1, "prometheus": 3}
    assert result["reason"].startswith("All 1 scheduled bindings have their Works")
    assert (result["elapsed_seconds"], result["polls"]) == (20, 3)
    assert [call[1] for call in prometheus.calls] == [T0 + 70, T0 + 80, T0 + 90]


def test_verify_times_out_with_the_last_evidence(fake_kube):
    world = World(fake_kube, [BROKEN])
    clock = Clock(T0 + 100)
    prometheus = Prometheus(lambda expr, when: samples(4.0))
    result = recovery.verify(world.client, prometheus, options(timeout=30, interval=10), clock, clock.sleep)
    assert result["recovered"] is False and result["status"] == "not_recovered"
    # Immediately, then every 10 s, the last one on the deadline.
    assert result["polls"] == 4 and clock.sleeps == [10, 10, 10]
    assert result["elapsed_seconds"] == 30
    assert result["requests"] == {"karmada_apiserver": 4 * 4, "prometheus": 4}
    criteria = result["criteria"]
    assert criteria["bindings"]["samples"] == [{"binding": "default/nginx-deployment", "clusters_without_work": ["member2"]}]
    assert criteria["metric"]["increase"] == 4.0 and criteria["metric"]["range_seconds"] == 130
    assert (result["elapsed_seconds"], result["polls"]) == (30, 4)
    assert result["reason"] == ("1 of 1 scheduled bindings lack Works "
                                "(default/nginx-deployment on member2); the binding sync error counter rose by 4 "
                                "over the last 130 s.")


def test_a_slow_poll_shortens_the_wait_and_the_last_poll_falls_on_the_deadline(fake_kube):
    world = World(fake_kube, [BROKEN])
    clock = Clock(T0 + 100, tick=1.0)           # every clock read costs a second
    prometheus = Prometheus(lambda expr, when: samples(0.0))
    result = recovery.verify(world.client, prometheus, options(timeout=25, interval=10), clock, clock.sleep)
    assert all(seconds < 10 for seconds in clock.sleeps)
    assert result["elapsed_seconds"] >= 25 and result["polls"] == 3
    assert result["poll_seconds"] == 2.0        # the clock read after the poll, and the one after assess


def test_verify_in_check_mode_polls_once_and_does_not_wait(fake_kube):
    world = World(fake_kube, [BROKEN, CLEAN])
    clock = Clock(T0 + 100)
    result = recovery.verify(world.client, None, options(max_polls=1), clock, clock.sleep)
    assert result["polls"] == 1 and clock.sleeps == [] and result["recovered"] is False
    assert result["reason"].startswith("Not recovered at the one poll check mode makes: ")
    assert result["criteria"]["metric"]["error"] == recovery.NO_PROMETHEUS


def test_an_unbuildable_kubernetes_client_is_one_poll_and_not_recovered():
    clock = Clock(T0 + 100)
    kube = recovery.Missing("cannot build the API client: Invalid kube-config file. No configuration found.")
    result = recovery.verify(kube, None, options(), clock, clock.sleep)
    assert result["recovered"] is False and result["polls"] == 1 and clock.sleeps == []
    assert result["criteria"]["bindings"]["error"] == kube.reason
    assert result["reason"] == ("Not recovered: the Karmada API server cannot be read (cannot build the API client: "
                                "Invalid kube-config file. No configuration found.).")
    assert result["requests"] == {"karmada_apiserver": 0, "prometheus": 0}


def test_timeout_zero_is_one_poll(fake_kube):
    world = World(fake_kube, [BROKEN])
    clock = Clock(T0 + 100)
    result = recovery.verify(world.client, None, options(timeout=0), clock, clock.sleep)
    assert result["polls"] == 1 and clock.sleeps == []


# -- options ---------------------------------------------------------------------------------------

def test_options_from_params():
    parsed = recovery.options_from_params({"since": "2026-11-25T16:00:00+01:00", "timeout": 600, "interval": 10,
                                           "metric_range": 60})
    assert parsed == {"since": SINCE, "timeout": 600, "interval": 10, "metric_range": 60, "max_polls": None}
    assert recovery.options_from_params({"since": "2026-11-25T15:00:00Z"}, check_mode=True)["max_polls"] == 1


@pytest.mark.parametrize("params, option", [
    ({"since": "yesterday"}, "since"),
    ({"since": None}, "since"),
    ({"since": "2026-11-25T15:00:00Z", "timeout": -1}, "timeout"),
    ({"since": "2026-11-25T15:00:00Z", "interval": 0}, "interval"),
    ({"since": "2026-11-25T15:00:00Z", "metric_range": 0}, "metric_range"),
])
def test_invalid_options_name_the_option(params, option):
    with pytest.raises(InputError, match="^%s" % option):
        recovery.options_from_params(params)
