# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recent changes: the window, what counts as a change for policies, clusters, execution namespaces
and cluster events, the order, and the one (weak) inference about a policy change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._changes import (
    assess,
    changes_finding,
    check,
    cluster_changes,
    correlate,
    event_changes,
    last_write,
    namespace_changes,
    newest_first,
    observe,
    options_from_params,
    policy_changes,
    window_start,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTERS,
    EVENTS,
    NAMESPACES,
    OVERRIDE_POLICIES,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_datetime

SINCE = parse_datetime("2026-11-25T14:00:00Z", "since")
OLD = "2026-11-25T08:59:02Z"


def at(text):
    return parse_datetime(text, "t")


def test_window_start_applies_the_lookback():
    assert window_start("2026-11-25T14:00:00Z", 60) == at("2026-11-25T13:00:00Z")
    assert window_start("2026-11-25T15:00:00+01:00", 0) == at("2026-11-25T14:00:00Z")


def test_window_start_defaults_to_a_day_before_now():
    now = at("2026-11-25T15:00:00Z")
    assert window_start(None, 30, now=now) == now - datetime.timedelta(hours=24, minutes=30)


def test_window_start_names_the_option_on_bad_input():
    with pytest.raises(InputError) as info:
        window_start("yesterday", 0)
    assert str(info.value).startswith("since must be an RFC 3339 time")


def _policy(name, created=OLD, generation=1, managed=(), namespace="default", deleting=None):
    meta = {"name": name, "creationTimestamp": created, "generation": generation,
            "managedFields": [{"manager": m, "operation": "Update", "time": t} for m, t in managed]}
    if namespace:
        meta["namespace"] = namespace
    if deleting:
        meta["deletionTimestamp"] = deleting
    return {"kind": "OverridePolicy" if namespace else "ClusterOverridePolicy", "metadata": meta, "spec": {}}


def test_last_write_is_the_newest_managed_fields_time():
    obj = _policy("p", managed=[("kubectl-client-side-apply", OLD), ("kubectl-edit", "2026-11-25T14:20:00Z")])
    assert last_write(obj) == (at("2026-11-25T14:20:00Z"), "kubectl-edit")
    assert last_write(_policy("p")) == (None, None)


def test_policy_changes():
    policies = [
        _policy("new", created="2026-11-25T14:10:00Z"),
        _policy("edited", generation=3, managed=[("kubectl-edit", "2026-11-25T14:30:00Z")]),
        _policy("edited-long-ago", generation=2, managed=[("kubectl-edit", "2026-11-25T09:00:00Z")]),
        _policy("untouched"),
        _policy("relabelled", generation=1, managed=[("kubectl-label", "2026-11-25T14:40:00Z")]),
        _policy("global", created="2026-11-25T14:50:00Z", generation=2, namespace=None),
        _policy("leaving", deleting="2026-11-20T00:00:00Z"),
    ]
    found = [(c["kind"], c["name"], c["what"], c["time"]) for c in policy_changes(policies, SINCE)]
    assert found == [
        ("OverridePolicy", "new", "created", "2026-11-25T14:10:00Z"),
        ("OverridePolicy", "edited", "spec changed (generation 3, last written by kubectl-edit)", "2026-11-25T14:30:00Z"),
        ("ClusterOverridePolicy", "global", "created, then changed (generation 2)", "2026-11-25T14:50:00Z"),
        ("OverridePolicy", "leaving", "being deleted", "2026-11-20T00:00:00Z"),
    ]


def _cluster(name, created=OLD, ready="True", transition=OLD, deleting=None):
    meta = {"name": name, "creationTimestamp": created}
    if deleting:
        meta["deletionTimestamp"] = deleting
    return {"metadata": meta, "spec": {"syncMode": "Push"},
            "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "ClusterReady" if ready == "True"
                                       else "ClusterNotReachable", "lastTransitionTime": transition}]}}


def test_cluster_changes():
    clusters = [_cluster("member1"), _cluster("member4", created="2026-11-25T14:05:00Z", transition="2026-11-25T14:05:00Z"),
                _cluster("member3", ready="False", transition="2026-11-25T14:20:00Z"),
                _cluster("member9", deleting="2026-11-25T13:00:00Z")]
    found = [(c["name"], c["what"], c["current"]) for c in cluster_changes(clusters, SINCE)]
    assert found == [("member4", "registered (Push mode)", False),
                     ("member3", "Ready became False (ClusterNotReachable)", False),
                     ("member9", "being unregistered (deletion requested)", True)]


def _namespace(name, created=OLD, deleting=None):
    meta = {"name": name, "creationTimestamp": created}
    status = {"phase": "Active"}
    if deleting:
        meta["deletionTimestamp"] = deleting
        status["phase"] = "Terminating"
    return {"metadata": meta, "status": status}


def test_namespace_changes_list_damage_whatever_its_age():
    namespaces = [_namespace("default"), _namespace("karmada-es-member1"),
                  _namespace("karmada-es-member2", created="2026-11-25T14:49:00Z"),
                  _namespace("karmada-es-member3", deleting="2026-11-24T10:00:00Z")]
    found = [(c["name"], c["what"], c["time"], c["current"])
             for c in namespace_changes(["member1", "member2", "member3", "member4"], namespaces, SINCE)]
    assert found == [
        ("karmada-es-member4", "missing: cluster member4 has no execution namespace", None, True),
        ("karmada-es-member2", "created", "2026-11-25T14:49:00Z", False),
        ("karmada-es-member3", "Terminating (deletion requested; new Works are refused)", "2026-11-24T10:00:00Z", True),
    ]


def _cluster_event(reason, last, cluster="member2", count=1):
    return {"reason": reason, "message": "Created execution space(karmada-es-%s) for cluster(%s)." % (cluster, cluster),
            "count": count, "lastTimestamp": last, "involvedObject": {"kind": "Cluster", "name": cluster}}


def test_event_changes_keep_execution_space_events_in_the_window():
    events = [_cluster_event("CreateExecutionSpaceSucceed", "2026-11-25T14:49:00Z", count=2),
              _cluster_event("CreateExecutionSpaceSucceed", "2026-11-25T09:00:00Z"),
              _cluster_event("TaintClusterSucceed", "2026-11-25T14:49:00Z")]
    found = event_changes(events, SINCE)
    assert [(c["kind"], c["name"], c["source"]) for c in found] == [("Cluster", "member2", "event")]
    assert found[0]["what"] == ("CreateExecutionSpaceSucceed: Created execution space(karmada-es-member2) for "
                                "cluster(member2). (x2)")


def test_newest_first_puts_timeless_damage_on_top():
    changes = [{"time": "2026-11-25T14:10:00Z", "name": "a"}, {"time": None, "name": "b"},
               {"time": "2026-11-25T14:50:00Z", "name": "c"}]
    assert [c["name"] for c in newest_first(changes)] == ["b", "c", "a"]


def _failures(first):
    return [{"policy": "default/nginx-tuning", "first": first, "clusters": ["member1"],
             "bindings": ["default/nginx-deployment"], "count": 5}]


@pytest.mark.parametrize("first_failure, expected", [
    ("2026-11-25T14:10:05Z", True),     # seconds after the change
    ("2026-11-25T14:24:00Z", True),     # within 15 minutes
    ("2026-11-25T14:40:00Z", False),    # too late to be tied to it
    ("2026-11-25T13:30:00Z", False),    # failing before the change
])
def test_correlate_policy_change_with_first_failure(first_failure, expected):
    changes = policy_changes([_policy("nginx-tuning", created="2026-11-25T14:10:00Z")], SINCE)
    assert bool(correlate(changes, _failures(first_failure))) is expected


def test_finding_with_changes_warns_and_carries_the_weak_signal():
    changes = policy_changes([_policy("nginx-tuning", created="2026-11-25T14:10:00Z")], SINCE)
    changes += namespace_changes(["member2"], [], SINCE)
    result = changes_finding(changes, SINCE, correlate(changes, _failures("2026-11-25T14:10:30Z")))
    assert result["id"] == "recent_changes" and result["runbook_step"] == 9
    assert result["status"] == "warn"
    assert [(s["cause"], s["strength"]) for s in result["signals"]] == [("override_policy_failure", 0.3)]
    assert result["signals"][0]["bindings"] == ["default/nginx-deployment"]
    assert [c["name"] for c in result["details"]["changes"]] == ["karmada-es-member2", "nginx-tuning"]
    assert result["details"]["since"] == "2026-11-25T14:00:00Z"
    assert result["summary"].startswith("2 change(s) since 2026-11-25T14:00:00Z: 1 execution namespace change(s), "
                                        "1 OverridePolicy change(s)")


def test_finding_without_changes_is_ok():
    result = changes_finding([], SINCE)
    assert result["status"] == "ok" and result["signals"] == [] and result["details"]["changes"] == []


# ---------------------------------------------------------------------------------------------
# The check: options, observe -> assess


def test_options_apply_the_lookback_and_refuse_a_negative_one():
    assert options_from_params({"since": "2026-11-25T14:00:00Z", "lookback_minutes": 60}) == {
        "since": at("2026-11-25T13:00:00Z")}
    assert options_from_params({"since": None, "lookback_minutes": 0}, now=at("2026-11-25T14:00:00Z")) == {
        "since": at("2026-11-24T14:00:00Z")}
    with pytest.raises(InputError) as info:
        options_from_params({"since": None, "lookback_minutes": -5})
    assert str(info.value) == "lookback_minutes must be 0 or more, got -5"
    with pytest.raises(InputError) as info:
        options_from_params({"since": "yesterday", "lookback_minutes": 0})
    assert str(info.value).startswith("since must be an RFC 3339 time")


def _failure_event(policy, first, last="2026-11-25T14:59:09Z"):
    return {"reason": "ApplyOverridePolicyFailed", "count": 3, "firstTimestamp": first, "lastTimestamp": last,
            "message": "Apply override policy(%s) for cluster(member1) failed." % policy,
            "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx"}}


def test_assess_nothing_changed_is_ok():
    observation = {"policies": [_policy("untouched")], "clusters": [_cluster("member1")],
                   "namespaces": [_namespace("karmada-es-member1")], "cluster_events": [], "failure_events": []}
    result = assess(observation, {"since": SINCE})
    assert result["status"] == "ok" and result["signals"] == [] and result["details"]["total"] == 0
    assert "list_requests" not in result["details"]


def test_assess_ties_a_policy_change_to_the_failures_that_followed():
    observation = {"policies": [_policy("nginx-tuning", created="2026-11-25T14:10:00Z")],
                   "clusters": [_cluster("member1"), _cluster("member2")], "namespaces": [_namespace("karmada-es-member1")],
                   "cluster_events": [_cluster_event("RemoveExecutionSpaceSucceed", "2026-11-25T14:20:00Z")],
                   "failure_events": [_failure_event("default/nginx-tuning", "2026-11-25T14:11:00Z")], "requests": 5}
    result = assess(observation, {"since": SINCE})
    assert result["status"] == "warn"
    assert [(s["cause"], s["strength"], s["bindings"]) for s in result["signals"]] == [
        ("override_policy_failure", 0.3, ["default/nginx-deployment"])]
    assert [(c["kind"], c["name"]) for c in result["details"]["changes"]] == [
        ("Namespace", "karmada-es-member2"), ("Cluster", "member2"), ("OverridePolicy", "nginx-tuning")]
    assert result["details"]["list_requests"] == 5
    # failures older than the window are about an earlier episode
    observation["failure_events"] = [_failure_event("default/nginx-tuning", "2026-11-25T09:00:00Z",
                                                    last="2026-11-25T09:30:00Z")]
    assert assess(observation, {"since": SINCE})["signals"] == []


class RecordingClient:
    """Answers lists from a dict by path and counts requests, as KubeClient does."""

    def __init__(self, lists):
        self.lists = lists
        self.calls = []

    @property
    def requests(self):
        return len(self.calls)

    def list(self, path, query=None):
        self.calls.append((path, query))
        return iter(self.lists.get(path, []))


def test_observe_reads_failure_events_only_after_a_policy_change():
    lists = {OVERRIDE_POLICIES: [_policy("untouched")], CLUSTERS: [_cluster("member1")],
             EVENTS: [_failure_event("default/untouched", "2026-11-25T14:11:00Z")]}
    client = RecordingClient(lists)
    observation = observe(client, {"since": SINCE})
    cluster_events = ("/api/v1/namespaces/default/events", {"fieldSelector": "involvedObject.kind=Cluster"})
    assert client.calls == [(OVERRIDE_POLICIES, None), (CLUSTER_OVERRIDE_POLICIES, None), (CLUSTERS, None),
                            (NAMESPACES, None), cluster_events]
    assert observation["failure_events"] == [] and observation["requests"] == 5
    assert [p["kind"] for p in observation["policies"]] == ["OverridePolicy"]
    lists[OVERRIDE_POLICIES] = [_policy("nginx-tuning", created="2026-11-25T14:10:00Z")]
    client = RecordingClient(lists)
    observation = observe(client, {"since": SINCE})
    assert client.calls[-1] == (EVENTS, {"fieldSelector": "reason=ApplyOverridePolicyFailed"})
    assert observation["failure_events"] == lists[EVENTS] and observation["requests"] == 6
    assert check(RecordingClient(lists), {"since": SINCE}) == assess(observation, {"since": SINCE})
