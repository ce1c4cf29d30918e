# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A side query that fails (events throttled, works timing out, namespaces forbidden) leaves its check
standing on what it did read, and says what it could not read; the check's own lists stay fatal."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import UTC, datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _bindings, _changes, _overrides
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CLUSTERS, EVENTS, NAMESPACES, OVERRIDE_POLICIES, RESOURCE_BINDINGS, WORKS

THROTTLED = CheckUnavailable("throttled (429) on /api/v1/events: the server asks to retry after 3600s", 429)
TIMEOUT = CheckUnavailable("timeout: no answer talking to https://karmada:5443 within the request timeout")
SINCE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
          "metadata": {"name": "nginx-tuning", "namespace": "default", "generation": 1,
                       "creationTimestamp": "2026-11-01T00:00:00Z"},
          "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
                   "overrideRules": []}}
UNSETTLED = {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
             "metadata": {"name": "nginx-deployment", "namespace": "default", "uid": "u1"},
             "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx",
                                   "namespace": "default"}, "clusters": [{"name": "member1"}]},
             "status": {"conditions": [{"type": "FullyApplied", "status": "False", "reason": "x", "message": "y"}]}}


def test_override_policies_stand_when_their_failure_events_cannot_be_read(fake_kube):
    client = fake_kube(lists={OVERRIDE_POLICIES: [POLICY], EVENTS: THROTTLED})
    result = _overrides.check(client, {"since": SINCE})
    assert result["status"] != "unknown"
    assert result["details"]["policies"]
    assert result["details"]["unread"] == {"ApplyOverridePolicyFailed events": THROTTLED.reason}
    assert result["summary"].endswith("Not read: ApplyOverridePolicyFailed events (%s)." % THROTTLED.reason)


def test_override_policies_without_their_policy_list_are_unknown(fake_kube):
    with pytest.raises(CheckUnavailable):
        _overrides.check(fake_kube(lists={OVERRIDE_POLICIES: TIMEOUT}), {"since": SINCE})


def test_binding_status_stands_when_works_time_out_and_claims_no_work_missing(fake_kube):
    client = fake_kube(lists={RESOURCE_BINDINGS: [UNSETTLED], WORKS: TIMEOUT})
    result = _bindings.check(client)
    assert result["status"] != "unknown"
    assert result["details"]["unread"] == {"works": TIMEOUT.reason}
    assert result["details"]["not_fully_applied_total"] == 1
    assert result["details"]["clusters_without_work"] == []     # unread is not missing


def test_recent_changes_stand_when_namespaces_and_events_cannot_be_read(fake_kube):
    forbidden = CheckUnavailable("forbidden (403): namespaces is forbidden")
    client = fake_kube(lists={OVERRIDE_POLICIES: [POLICY], CLUSTERS: [], NAMESPACES: forbidden,
                              _changes.CLUSTER_EVENTS: TIMEOUT})
    result = _changes.check(client, {"since": SINCE})
    assert result["status"] != "unknown"
    assert result["details"]["unread"] == {"namespaces": forbidden.reason, "cluster events": TIMEOUT.reason}
