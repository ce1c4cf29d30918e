# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execution namespaces (runbook step 4): what is listed, and the finding from clusters and namespaces."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils import _namespaces
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CLUSTERS, NAMESPACES


def namespace(name, terminating=False):
    ns = {"metadata": {"name": name}, "status": {"phase": "Terminating" if terminating else "Active"}}
    if terminating:
        ns["metadata"]["deletionTimestamp"] = "2026-11-25T03:00:00Z"
    return ns


def observation(clusters, namespaces):
    return {"clusters": list(clusters), "namespaces": list(namespaces), "list_requests": 2}


def causes(result):
    return {s["cause"]: s for s in result["signals"]}


def test_observe_lists_clusters_and_keeps_only_execution_namespaces(fake_kube):
    client = fake_kube(lists={
        CLUSTERS: [{"metadata": {"name": "member1"}}, {"metadata": {"name": "member2"}}],
        NAMESPACES: [namespace("default"), namespace("karmada-es-member1"), namespace("kube-system")],
    })
    seen = _namespaces.observe(client)
    assert seen["clusters"] == ["member1", "member2"]
    assert [ns["metadata"]["name"] for ns in seen["namespaces"]] == ["karmada-es-member1"]
    assert seen["list_requests"] == 2


def test_missing_namespaces_fail_with_a_signal_naming_the_clusters():
    result = _namespaces.assess(observation(["member1", "member2", "member3"], [namespace("karmada-es-member1")]))
    assert result["status"] == "fail"
    missing = causes(result)["execution_namespace_missing"]
    assert missing["clusters"] == ["member2", "member3"]
    assert missing["strength"] == _namespaces.MISSING_STRENGTH
    assert missing["reason"] == "2 execution namespace(s) do not exist"
    assert [e["text"] for e in missing["evidence"]] == ["namespace karmada-es-member2 does not exist",
                                                        "namespace karmada-es-member3 does not exist"]
    assert result["summary"] == "Of 3 execution namespaces, 2 missing (karmada-es-member2, karmada-es-member3)."
    assert result["details"]["missing"] == ["karmada-es-member2", "karmada-es-member3"]
    assert [e["text"] for e in result["evidence"]] == ["expected karmada-es-member2 for cluster member2",
                                                       "expected karmada-es-member3 for cluster member3"]


def test_terminating_namespace_fails_with_its_own_cause():
    result = _namespaces.assess(observation(["member1", "member2"], [namespace("karmada-es-member1"),
                                                                     namespace("karmada-es-member2", terminating=True)]))
    assert result["status"] == "fail"
    assert list(causes(result)) == ["execution_namespace_terminating"]
    terminating = causes(result)["execution_namespace_terminating"]
    assert terminating["clusters"] == ["member2"]
    assert terminating["evidence"][0]["text"] == "namespace karmada-es-member2 is Terminating"
    assert result["summary"] == "Of 2 execution namespaces, 1 terminating (karmada-es-member2)."
    assert result["details"]["terminating"] == ["karmada-es-member2"]


def test_a_deletion_timestamp_alone_means_terminating():
    ns = {"metadata": {"name": "karmada-es-member1", "deletionTimestamp": "2026-11-25T03:00:00Z"}}
    result = _namespaces.assess(observation(["member1"], [ns]))
    assert result["details"]["terminating"] == ["karmada-es-member1"]


def test_missing_and_terminating_together_name_both_and_shorten_long_lists():
    clusters = ["member%d" % i for i in range(1, 9)]
    result = _namespaces.assess(observation(clusters, [namespace("karmada-es-member1", terminating=True)]))
    assert set(causes(result)) == {"execution_namespace_missing", "execution_namespace_terminating"}
    assert result["summary"] == ("Of 8 execution namespaces, 7 missing (karmada-es-member2, karmada-es-member3, "
                                 "karmada-es-member4, karmada-es-member5, karmada-es-member6, ...) and "
                                 "1 terminating (karmada-es-member1).")


def test_all_present_is_ok_with_the_count():
    result = _namespaces.assess(observation(["member1", "member2"], [namespace("karmada-es-member1"),
                                                                     namespace("karmada-es-member2")]))
    assert result["status"] == "ok"
    assert result["signals"] == []
    assert result["summary"] == "All 2 member clusters have their execution namespace."
    assert result["details"]["clusters"] == 2
    assert result["details"]["list_requests"] == 2


def test_orphaned_namespaces_alone_are_still_ok():
    result = _namespaces.assess(observation(["member1"], [namespace("karmada-es-member1"), namespace("karmada-es-gone")]))
    assert result["status"] == "ok"
    assert result["signals"] == []
    assert result["details"]["orphaned"] == ["karmada-es-gone"]


def test_check_is_assess_of_observe(fake_kube):
    client = fake_kube(lists={CLUSTERS: [{"metadata": {"name": "member1"}}], NAMESPACES: []})
    result = _namespaces.check(client)
    assert result["id"] == "execution_namespaces"
    assert causes(result)["execution_namespace_missing"]["clusters"] == ["member1"]
