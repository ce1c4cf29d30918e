# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Override policy selection: label selectors, resource selector strength, cluster affinity and the
order in which Karmada applies the rules of the policies that match.

Policies have the shapes of Karmada's API types (facts §4.4).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._selectors import (
    MATCH_ALL,
    MATCH_LABELS,
    MATCH_NAME,
    MISMATCH,
    applicable_rules,
    cluster_matches,
    label_selector_matches,
    policy_key,
    policy_priority,
    policy_ref,
    selector_priority,
)
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.karmada_objects import cluster, plaintext, policy


@pytest.mark.parametrize("selector, labels, expected", [
    ({}, {"app": "nginx"}, True),
    ({"matchLabels": {"app": "nginx"}}, {"app": "nginx", "tier": "web"}, True),
    ({"matchLabels": {"app": "web"}}, {"app": "nginx"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "db"]}]}, {"tier": "web"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, {}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, {}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, {"tier": "web"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"tier": ""}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"tier": "x"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "Bogus"}]}, {"tier": "x"}, False),
])
def test_label_selector(selector, labels, expected):
    assert label_selector_matches(selector, labels) is expected


NGINX = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx",
         "labels": {"app": "nginx"}}


@pytest.mark.parametrize("selector, expected", [
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, MATCH_ALL),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}, MATCH_NAME),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, MISMATCH),
    ({"apiVersion": "apps/v1", "kind": "StatefulSet"}, MISMATCH),
    ({"apiVersion": "extensions/v1beta1", "kind": "Deployment"}, MISMATCH),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop"}, MISMATCH),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "nginx"}}}, MATCH_LABELS),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "web"}}}, MISMATCH),
    # a name wins over a label selector that would not match
    ({"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx", "labelSelector": {"matchLabels": {"app": "x"}}},
     MATCH_NAME),
])
def test_selector_priority(selector, expected):
    assert selector_priority(selector, NGINX) == expected


def test_unknown_labels_are_assumed_to_match_while_planning():
    selector = {"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "web"}}}
    assert selector_priority(selector, dict(NGINX, labels=None)) == MATCH_LABELS


def test_override_policy_only_applies_in_its_namespace_and_empty_selectors_match_all():
    assert policy_priority(policy("p", selectors=[]), NGINX) == MATCH_ALL
    assert policy_priority(policy("p", selectors=[], namespace="shop"), NGINX) == MISMATCH
    assert policy_priority(policy("p", selectors=[], namespace=None, kind="ClusterOverridePolicy"), NGINX) == MATCH_ALL


@pytest.mark.parametrize("affinity, expected", [
    ({}, True),
    ({"clusterNames": ["member1", "member2"]}, True),
    ({"clusterNames": ["member2"]}, False),
    ({"clusterNames": ["member1"], "exclude": ["member1"]}, False),
    ({"exclude": ["member2"]}, True),
    ({"labelSelector": {"matchLabels": {"env": "prod"}}}, True),
    ({"labelSelector": {"matchLabels": {"env": "dev"}}}, False),
    ({"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["member2"]}, False),
    ({"fieldSelector": {"matchExpressions": [{"key": "provider", "operator": "In", "values": ["aws"]}]}}, True),
    ({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["eu-west-1"]}]}}, False),
    ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["eu-west-1b"]}]}}, True),
    ({"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}}, False),
])
def test_cluster_affinity(affinity, expected):
    member1 = cluster("member1", {"env": "prod"}, provider="aws", region="eu-west-1", zones=["eu-west-1a", "eu-west-1b"])
    assert cluster_matches(affinity, member1) is expected


def test_application_order_cluster_policies_first_then_by_priority_then_name():
    policies = [
        policy("z-by-name", rules=[plaintext("/spec/replicas")]),
        policy("a-by-name", rules=[plaintext("/spec/replicas")]),
        policy("all", rules=[plaintext("/spec/replicas")], selectors=[]),
        policy("labels", rules=[plaintext("/spec/replicas")],
               selectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": {"app": "nginx"}}}]),
        policy("global", rules=[plaintext("/spec/replicas"), plaintext("/spec/paused", clusters=["member9"])],
               selectors=[], namespace=None, kind="ClusterOverridePolicy"),
        policy("elsewhere", rules=[plaintext("/spec/replicas")], namespace="shop"),
    ]
    chain = applicable_rules(policies, NGINX, cluster("member1"))
    assert [(p["metadata"]["name"], rule) for p, rule, _o in chain] == [
        ("global", 0), ("all", 0), ("labels", 0), ("a-by-name", 0), ("z-by-name", 0)]


def test_deprecated_single_rule_form_has_no_rule_index():
    legacy = policy("legacy", legacy={"targetCluster": {"clusterNames": ["member1"]},
                                      "overriders": {"plaintext": [{"path": "/spec/replicas", "operator": "replace",
                                                                    "value": 1}]}})
    assert [(rule) for _p, rule, _o in applicable_rules([legacy], NGINX, cluster("member1"))] == [None]
    assert applicable_rules([legacy], NGINX, cluster("member2")) == []


def test_policy_key_and_ref_name_policies_as_events_do():
    namespaced = policy("nginx-tuning")
    cluster_wide = policy("global", namespace=None, kind="ClusterOverridePolicy")
    assert policy_key(namespaced) == ("OverridePolicy", "default", "nginx-tuning")
    assert policy_key(cluster_wide) == ("ClusterOverridePolicy", "", "global")
    assert policy_ref(policy_key(namespaced)) == "default/nginx-tuning"
    assert policy_ref(policy_key(cluster_wide)) == "global"
