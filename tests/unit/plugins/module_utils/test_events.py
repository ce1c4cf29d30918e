# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Binding sync failure events: grouping by cause and binding, FederatedResourceQuota exclusion, bounds.

Events are shaped like the emulator's (``kubectl --context karmada-apiserver get events -A -o json``
on the missing-namespaces, rbac-denied, override-policy-broken and mixed scenarios, and the
FederatedResourceQuota noise of ``noise: {events: N}``); the messages are copied from there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._events import (
    FailureEvents,
    FailureSummary,
    binding_of_event,
    event_time,
    failure_finding,
    field_selector,
    is_quota_event,
    parse_failure_event,
    strength_for,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC, parse_datetime

MISSING_NS = 'namespaces "karmada-es-member2" not found'
RBAC = ('works.work.karmada.io "api-77b9dc7f49" is forbidden: User "system:karmada:karmada-controller-manager" cannot '
        'create resource "works" in API group "work.karmada.io" in the namespace "karmada-es-member3"')
OVERRIDE = ("replace operation does not apply: doc is missing path: /spec/template/spec/containers/0/resources/limits/"
            "cpu: missing value")
APPLY_OVERRIDE = "Apply override policy(default/nginx-tuning) for cluster(member1) failed."
MIXED = ('[replace operation does not apply: doc is missing path: /spec/template/spec/containers/1/image: missing '
         'value, namespaces "karmada-es-member2" not found]')
QUOTA = "failed to sync quota to cluster member3: quota exceeded"

KINDS = {"ResourceBinding": "work.karmada.io/v1alpha2", "ClusterResourceBinding": "work.karmada.io/v1alpha2",
         "Deployment": "apps/v1", "ClusterRole": "rbac.authorization.k8s.io/v1",
         "FederatedResourceQuota": "policy.karmada.io/v1alpha1"}


def event(kind, name, message, namespace="default", reason="SyncWorkFailed", component="binding-controller",
          count=305, first="2026-11-25T14:19:40Z", last="2026-11-25T15:10:13Z"):
    involved = {"apiVersion": KINDS[kind], "kind": kind, "name": name, "resourceVersion": "1018",
                "uid": "f16f7a29-e2fd-40c1-8042-82e0b1ead536"}
    if namespace:
        involved["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Event", "count": count, "eventTime": None, "firstTimestamp": first,
            "lastTimestamp": last, "involvedObject": involved, "message": message, "reason": reason,
            "metadata": {"name": "%s.18eb520a3455d51b" % name, "namespace": namespace or "default",
                         "creationTimestamp": first},
            "reportingComponent": component, "reportingInstance": "", "source": {"component": component},
            "type": "Warning"}


def pair(workload, message, namespace="default", **kwargs):
    """What the binding controller records for one failing binding: the same event on it and on its template."""
    return [event("ResourceBinding", "%s-deployment" % workload, message, namespace, **kwargs),
            event("Deployment", workload, message, namespace, **kwargs)]


def summarize(events, **kwargs):
    summary = FailureSummary(**kwargs)
    for item in events:
        summary.add(item)
    return summary.details("all")


def test_missing_namespace_groups_binding_and_template_as_one_binding():
    events = pair("api", MISSING_NS) + pair("nginx", MISSING_NS) + pair("web", MISSING_NS)
    details = summarize(events)
    entry = details["by_cause"]["execution_namespace_missing"]
    assert entry["events"] == 6
    assert entry["occurrences"] == 6 * 305
    assert entry["bindings"] == ["default/api-deployment", "default/nginx-deployment", "default/web-deployment"]
    assert entry["binding_count"] == 3
    assert entry["clusters"] == ["member2"]
    assert details["total"] == 6 and details["binding_count"] == 3
    assert details["unclassified"] == 0
    # one sample per distinct message, however many events carry it
    assert [s["message"] for s in entry["samples"]] == [MISSING_NS]
    assert entry["samples"][0]["events"] == 6


def test_federated_resource_quota_events_sharing_the_reason_are_left_out():
    by_kind = event("FederatedResourceQuota", "team-quota", QUOTA, component="federated-resource-quota-sync-controller")
    # a quota controller that records on some other object is still not a binding failure
    by_component = event("Deployment", "web", QUOTA, component="federated-resource-quota-sync-controller")
    details = summarize([by_kind, by_component] + pair("api", MISSING_NS))
    assert details["excluded_federated_resource_quota"] == 2
    assert details["total"] == 2
    assert details["unclassified"] == 0
    assert all(f["kind"] != "FederatedResourceQuota" for f in details["failures"])
    assert is_quota_event(by_kind) and is_quota_event(by_component)
    assert not is_quota_event(pair("api", MISSING_NS)[0])


def test_event_without_component_is_kept():
    item = event("ResourceBinding", "api-deployment", MISSING_NS)
    del item["source"]
    item["reportingComponent"] = ""
    assert not is_quota_event(item)


def test_aggregated_message_counts_for_both_causes():
    details = summarize(pair("api", MIXED) + pair("nginx", MISSING_NS))
    by_cause = details["by_cause"]
    assert set(by_cause) == {"override_policy_failure", "execution_namespace_missing"}
    assert by_cause["override_policy_failure"]["bindings"] == ["default/api-deployment"]
    assert by_cause["execution_namespace_missing"]["bindings"] == ["default/api-deployment", "default/nginx-deployment"]
    assert by_cause["execution_namespace_missing"]["clusters"] == ["member2"]
    api = [f for f in details["failures"] if f["name"] == "api-deployment"][0]
    assert api["causes"] == ["override_policy_failure", "execution_namespace_missing"]
    # the samples are the aggregate's parts, not the whole "[a, b]"
    assert by_cause["override_policy_failure"]["samples"][0]["message"].startswith("replace operation")


def test_override_manager_event_on_the_template_names_its_binding_and_cluster():
    events = [event("Deployment", "nginx", APPLY_OVERRIDE, reason="ApplyOverridePolicyFailed",
                    component="override-manager"),
              event("Deployment", "nginx", APPLY_OVERRIDE.replace("member1", "member2"),
                    reason="ApplyOverridePolicyFailed", component="override-manager")] + pair("nginx", OVERRIDE)
    details = summarize(events)
    entry = details["by_cause"]["override_policy_failure"]
    assert entry["bindings"] == ["default/nginx-deployment"]
    assert entry["clusters"] == ["member1", "member2"]
    assert details["by_reason"] == {"ApplyOverridePolicyFailed": 2, "SyncWorkFailed": 2}


def test_cluster_scoped_binding_and_template_share_one_name():
    crb = event("ClusterResourceBinding", "config-reader-clusterrole", MISSING_NS, namespace=None,
                component="cluster-resource-binding-controller")
    template = event("ClusterRole", "config-reader", MISSING_NS, namespace=None,
                     component="cluster-resource-binding-controller")
    details = summarize([crb, template])
    assert details["by_cause"]["execution_namespace_missing"]["bindings"] == ["config-reader-clusterrole"]
    assert binding_of_event({"kind": "ClusterRole", "name": "system:aggregate-to-view"}) == \
        "system.aggregate-to-view-clusterrole"


def test_rbac_denial_names_the_cluster_from_the_namespace():
    details = summarize(pair("api", RBAC))
    entry = details["by_cause"]["rbac_denied"]
    assert entry["clusters"] == ["member3"]


def test_since_ignores_events_last_seen_before_it():
    since = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    old = pair("web", MISSING_NS, last="2026-11-25T14:50:00Z")
    details = summarize(pair("api", MISSING_NS) + old, since=since)
    assert details["total"] == 2
    assert details["ignored_before_since"] == 2
    assert details["since"] == "2026-11-25T15:00:00Z"
    assert details["by_cause"]["execution_namespace_missing"]["bindings"] == ["default/api-deployment"]


def test_failures_are_bounded_and_newest_first():
    events = []
    for minute in range(30):
        events += pair("app-%02d" % minute, MISSING_NS, last="2026-11-25T15:%02d:00Z" % minute)
    details = summarize(events, max_failures=5)
    assert details["total"] == 60
    assert len(details["failures"]) == 5
    assert details["failures_truncated"] is True
    assert [f["last"] for f in details["failures"]][0] == "2026-11-25T15:29:00Z"
    times = [f["last"] for f in details["failures"]]
    assert times == sorted(times, reverse=True)
    assert details["last_failure"]["last"] == "2026-11-25T15:29:00Z"
    assert details["by_cause"]["execution_namespace_missing"]["binding_count"] == 30


def test_samples_are_bounded_per_cause():
    events = [event("ResourceBinding", "app-%d-deployment" % i,
                    'works.work.karmada.io "app-%d" is forbidden: User "u" cannot create resource "works" in API '
                    'group "work.karmada.io" in the namespace "karmada-es-m1"' % i) for i in range(10)]
    details = summarize(events, max_samples=3)
    samples = details["by_cause"]["rbac_denied"]["samples"]
    assert len(samples) == 3
    assert details["by_cause"]["rbac_denied"]["events"] == 10


def test_unexplained_failures_are_counted_and_sampled():
    details = summarize(pair("api", "something nobody has seen before"))
    assert details["by_cause"] == {}
    assert details["unclassified"] == 2
    assert details["unclassified_samples"][0]["message"] == "something nobody has seen before"
    result = failure_finding(details)
    assert result["status"] == "warn"
    assert result["signals"] == []


def test_event_time_falls_back_to_event_time_and_series():
    assert event_time({"lastTimestamp": None, "eventTime": "2026-11-25T15:10:13.123456Z"}) == \
        datetime.datetime(2026, 11, 25, 15, 10, 13, 123456, tzinfo=UTC)
    assert event_time({"series": {"lastObservedTime": "2026-11-25T15:11:00.000000Z"},
                       "eventTime": "2026-11-25T15:00:00.000000Z"}).minute == 11
    assert event_time({"lastTimestamp": "garbage", "firstTimestamp": "2026-11-25T14:00:00Z"}).hour == 14
    assert event_time({}) is None


def test_event_without_time_is_kept_under_since_and_sorts_oldest():
    undated = pair("old", MISSING_NS)
    for item in undated:
        for key in ("firstTimestamp", "lastTimestamp"):
            item[key] = None
        item["metadata"].pop("creationTimestamp")
    details = summarize(undated + pair("api", MISSING_NS),
                        since=datetime.datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert details["total"] == 4
    assert details["failures"][-1]["last"] is None


def test_finding_signals_one_per_cause_with_bindings_and_clusters():
    details = summarize(pair("api", MIXED) + pair("nginx", MISSING_NS) + pair("web", MISSING_NS))
    result = failure_finding(details)
    assert result["id"] == "sync_failure_events" and result["runbook_step"] == 2
    assert result["status"] == "fail"
    causes = [s["cause"] for s in result["signals"]]
    assert causes == ["execution_namespace_missing", "override_policy_failure"]   # most bindings first
    missing = result["signals"][0]
    assert missing["bindings"] == ["default/api-deployment", "default/nginx-deployment", "default/web-deployment"]
    assert missing["clusters"] == ["member2"]
    assert missing["strength"] == pytest.approx(0.8)
    assert result["signals"][1]["strength"] == pytest.approx(0.7)
    assert all(e["source"] == "event" for e in missing["evidence"])
    assert "in all namespaces" in result["summary"]
    assert len(result["evidence"]) <= 20


def test_strength_grows_with_bindings_up_to_a_cap():
    assert strength_for(1) == pytest.approx(0.7)
    assert strength_for(2) > strength_for(1)
    assert strength_for(500) == pytest.approx(0.85)


def test_no_failures_is_ok():
    summary = FailureSummary()
    details = summary.details("namespace", "karmada-system")
    result = failure_finding(details)
    assert result["status"] == "ok"
    assert "in namespace karmada-system" in result["summary"]
    assert details["last_failure"] is None and details["failures"] == []


def test_one_field_selector_per_reason():
    assert field_selector("SyncWorkFailed") == "reason=SyncWorkFailed"


# -- ApplyOverridePolicyFailed events, by policy


def failed_event(message, count=3, last="2026-11-25T14:59:09Z", first="2026-11-25T14:14:02Z", name="nginx"):
    return {"reason": "ApplyOverridePolicyFailed", "message": message, "count": count, "firstTimestamp": first,
            "lastTimestamp": last, "type": "Warning",
            "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": name}}


def test_parse_failure_event_from_the_emulator():
    assert parse_failure_event(failed_event("Apply override policy(default/nginx-tuning) for cluster(member1) failed.")) \
        == ("default/nginx-tuning", "member1")
    assert parse_failure_event(failed_event("Apply cluster override policy(global) for cluster(member3) failed.")) \
        == ("global", "member3")
    assert parse_failure_event(failed_event("something else")) is None


def _events(*events, since=None):
    digest = FailureEvents(since)
    for event in events:
        digest.add(event)
    return digest


def test_failure_events_group_by_policy_and_skip_old_ones():
    digest = _events(failed_event("Apply override policy(default/nginx-tuning) for cluster(member1) failed."),
                     failed_event("Apply override policy(default/nginx-tuning) for cluster(member2) failed.", count=4),
                     failed_event("Apply override policy(default/old) for cluster(member2) failed.",
                                  last="2026-11-25T10:00:00Z"),
                     since=parse_datetime("2026-11-25T14:00:00Z", "since"))
    items = digest.summary()
    assert [i["policy"] for i in items] == ["default/nginx-tuning"]
    assert items[0]["clusters"] == ["member1", "member2"] and items[0]["count"] == 7
    assert items[0]["bindings"] == ["default/nginx-deployment"]
    assert digest.ignored_old == 1


def test_unexplained_samples_keep_a_bounded_message_but_count_the_whole_text():
    long_message = "an admission plugin said no: " + "x" * 5000
    details = summarize(pair("api", long_message) + pair("web", long_message))
    assert details["unclassified"] == 4
    assert len(details["unclassified_samples"]) == 1
    sample = details["unclassified_samples"][0]
    assert sample["events"] == 4 and len(sample["message"]) <= 1003 and sample["message"].endswith("...")
