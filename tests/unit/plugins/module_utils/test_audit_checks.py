# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's own checks: override policies selecting nothing, the controller-manager's Deployment and
restarts, its leader Lease, and the Sloth rules in Prometheus (assess pure; observe against fakes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_controller, _audit_lease, _audit_policies, _audit_rules
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_OVERRIDE_POLICIES,
    OVERRIDE_POLICIES,
    deployment_path,
    lease_path,
    pods_in,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import resource_path

DEPLOYMENTS_IN_DEFAULT = resource_path("apps", "v1", "deployments", namespace="default")
ALL_DEPLOYMENTS = resource_path("apps", "v1", "deployments")


class Fake:
    """lists[path] (items, or a function of the query), gets[path] (an object; missing means 404)."""

    def __init__(self, lists=None, gets=None):
        self.lists, self.gets = lists or {}, gets or {}
        self.requests = 0
        self.calls = []

    def list(self, path, query=None):
        self.requests += 1
        self.calls.append(("list", path, dict(query or {})))
        answer = self.lists.get(path, [])
        yield from answer(query or {}) if callable(answer) else answer

    def find(self, path, query=None):
        self.requests += 1
        self.calls.append(("get", path, {}))
        return self.gets.get(path)


def op(name, selectors, namespace="default"):
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"resourceSelectors": selectors}}


def deployment(name, namespace="default", labels=None):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}}}


APPS_DISCOVERY = {"/apis/apps/v1": {"resources": [{"name": "deployments", "kind": "Deployment"},
                                                  {"name": "deployments/scale", "kind": "Scale"}]}}


# -- override policies ------------------------------------------------------------------------------

def test_a_policy_naming_a_deleted_template_is_drift_and_one_naming_a_live_one_is_not():
    client = Fake(lists={OVERRIDE_POLICIES: [op("gone", [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "legacy"}]),
                                             op("live", [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}])],
                         DEPLOYMENTS_IN_DEFAULT: [deployment("web")]},
                  gets=APPS_DISCOVERY)
    check = _audit_policies.check(client)
    assert check["status"] == "drift"
    assert [d["id"] for d in check["drift"]] == ["override_policy_unmatched:OverridePolicy/default/gone"]
    # One discovery and one list of the one kind and namespace selected, besides the two policy lists.
    assert [c[1] for c in client.calls] == [OVERRIDE_POLICIES, CLUSTER_OVERRIDE_POLICIES, "/apis/apps/v1",
                                            DEPLOYMENTS_IN_DEFAULT]


def templates(items, key=("apps/v1", "Deployment", "default")):
    return {key: [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": i["metadata"]["namespace"],
                   "name": i["metadata"]["name"], "labels": i["metadata"]["labels"]} for i in items]}


@pytest.mark.parametrize("selector, labels, drift", [
    ({"labelSelector": {"matchLabels": {"tier": "db"}}}, {"tier": "web"}, True),
    ({"labelSelector": {"matchLabels": {"tier": "web"}}}, {"tier": "web"}, False),
    ({"labelSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}}, {}, True),
    ({}, {}, False),                              # kind only: every Deployment of the namespace
    ({"namespace": "other"}, {}, True),           # an OverridePolicy never reaches past its namespace
])
def test_label_and_namespace_selection_follow_karmada(selector, labels, drift):
    policy = dict(op("p", [dict({"apiVersion": "apps/v1", "kind": "Deployment"}, **selector)]), kind="OverridePolicy")
    check = _audit_policies.assess({"policies": [policy], "templates": templates([deployment("web", labels=labels)])})
    assert (check["status"] == "drift") is drift


def test_a_policy_without_selectors_applies_to_everything_and_never_drifts():
    policy = dict(op("all", []), kind="OverridePolicy")
    check = _audit_policies.assess({"policies": [policy], "templates": {}})
    assert check["status"] == "ok" and check["details"]["rows"][0]["matches"] is None


def test_a_cluster_override_policy_without_namespace_lists_every_namespace():
    cop = {"metadata": {"name": "c"}, "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                                      "name": "api"}]}}
    client = Fake(lists={CLUSTER_OVERRIDE_POLICIES: [cop], ALL_DEPLOYMENTS: [deployment("api", namespace="shop")]},
                  gets=APPS_DISCOVERY)
    check = _audit_policies.check(client)
    assert check["status"] == "ok" and ("list", ALL_DEPLOYMENTS, {}) in client.calls


def test_a_kind_the_server_does_not_serve_matches_nothing_and_is_named():
    policy = op("crd", [{"apiVersion": "example.io/v1", "kind": "Widget"}])
    check = _audit_policies.check(Fake(lists={OVERRIDE_POLICIES: [policy]}))
    assert check["status"] == "drift" and check["details"]["kinds_not_served"] == ["Widget example.io/v1"]


# -- controller-manager -------------------------------------------------------------------------------

OPTIONS = _audit_controller.options_from_params({"restart_threshold": 3})


def pod(name, restarts=0, exit_code=None, finished=None):
    status = {"name": "karmada-controller-manager", "restartCount": restarts, "ready": True}
    if exit_code is not None:
        status["lastState"] = {"terminated": {"exitCode": exit_code, "finishedAt": finished}}
    return {"metadata": {"name": name}, "status": {"phase": "Running", "containerStatuses": [status]}}


def observe_controller(deployment_obj, pods_by_selector):
    client = Fake(lists={pods_in("karmada-system"): lambda query: pods_by_selector.get(query["labelSelector"], [])},
                  gets={deployment_path("karmada-system", "karmada-controller-manager"): deployment_obj})
    return _audit_controller.observe(client, OPTIONS), client


def test_healthy_controller_manager_is_ok():
    obs, _client = observe_controller({"spec": {"replicas": 2}, "status": {"availableReplicas": 2}},
                                      {"app=karmada-controller-manager": [pod("a", 2), pod("b")]})
    check = _audit_controller.assess(obs, OPTIONS)
    assert check["status"] == "ok" and "2/2 replicas available, 2 pod(s), 2 restart(s)" in check["summary"]


def test_operator_labels_are_tried_when_the_first_selector_finds_no_pod():
    obs, client = observe_controller({"spec": {"replicas": 1}, "status": {"availableReplicas": 1}},
                                     {"app.kubernetes.io/name=karmada-controller-manager": [pod("a")]})
    assert obs["selector"] == "app.kubernetes.io/name=karmada-controller-manager" and client.requests == 3


def test_unavailable_replicas_and_restarts_are_drift():
    obs, _client = observe_controller({"spec": {"replicas": 2}, "status": {"availableReplicas": 1}},
                                      {"app=karmada-controller-manager": [pod("a", 3, exit_code=1), pod("b", 2)]})
    check = _audit_controller.assess(obs, OPTIONS)
    assert [d["id"] for d in check["drift"]] == [
        "controller_manager_unavailable:karmada-system/karmada-controller-manager",
        "controller_container_restarts:a/karmada-controller-manager"]
    assert check["drift"][1]["message"].endswith("restarted 3 times (threshold 3), the last within 3600 s; last exit: code 1")


def test_restarts_that_stopped_before_the_window_are_not_drift():
    """restartCount never goes down while the pod lives: an old crash loop must not fail every audit."""
    obs, _client = observe_controller({"spec": {"replicas": 1}, "status": {"availableReplicas": 1}},
                                      {"app=karmada-controller-manager": [pod("a", 9, 1, "2026-11-30T10:00:00Z")]})
    obs["observed_at"] = "2026-11-30T11:00:01Z"
    check = _audit_controller.assess(obs, OPTIONS)
    assert check["status"] == "ok" and "9 restart(s)" in check["summary"]
    obs["observed_at"] = "2026-11-30T10:59:59Z"
    assert _audit_controller.assess(obs, OPTIONS)["drift"][0]["kind"] == "controller_container_restarts"


def test_restart_window_must_be_positive():
    with pytest.raises(InputError, match="restart_window must be a positive number of seconds"):
        _audit_controller.options_from_params({"restart_window": 0})


def test_a_missing_deployment_is_drift():
    obs, _client = observe_controller(None, {})
    assert _audit_controller.assess(obs, OPTIONS)["drift"][0]["kind"] == "controller_manager_missing"


def test_restart_threshold_must_be_positive():
    with pytest.raises(InputError, match="restart_threshold"):
        _audit_controller.options_from_params({"restart_threshold": 0})


# -- leader Lease -------------------------------------------------------------------------------------

LEASE_OPTIONS = _audit_lease.options_from_params({})


def lease_obs(spec, now="2026-11-30T12:00:00Z"):
    return {"lease": spec, "now": now}


@pytest.mark.parametrize("spec, kind", [
    ({"holderIdentity": "pod-a_1", "renewTime": "2026-11-30T11:59:58.123456Z"}, None),
    ({"holderIdentity": "pod-a_1", "renewTime": "2026-11-30T11:58:59Z"}, "leader_lease_stale"),
    ({"holderIdentity": "", "renewTime": "2026-11-30T11:59:59Z"}, "leader_lease_stale"),
    ({"holderIdentity": "pod-a_1"}, "leader_lease_stale"),
    (None, "leader_lease_missing"),
])
def test_lease_renewed_within_max_age_is_ok(spec, kind):
    check = _audit_lease.assess(lease_obs(spec), LEASE_OPTIONS)
    assert [d["kind"] for d in check["drift"]] == ([kind] if kind else [])
    if kind:
        assert check["drift"][0]["subject"] == "karmada-system/karmada-controller-manager"


def test_observe_reads_the_lease_where_karmada_writes_it():
    client = Fake(gets={lease_path("karmada-system", "karmada-controller-manager"): {"spec": {"holderIdentity": "x"}}})
    assert _audit_lease.observe(client, LEASE_OPTIONS)["lease"] == {"holderIdentity": "x"}


def test_lease_max_age_must_be_positive():
    with pytest.raises(InputError, match="max_age"):
        _audit_lease.options_from_params({"max_age": 0})


# -- Prometheus rules ---------------------------------------------------------------------------------

RULE_OPTIONS = _audit_rules.options_from_params({})
SLO_LABELS = {"sloth_service": "karmada", "sloth_slo": "binding-sync-work-availability"}


class FakePrometheus:
    display_url = "http://prometheus"
    requests = 1

    def __init__(self, data):
        self.data = data

    def rules(self):
        return self.data


def rules_data(records, alerts=(_audit_rules.ALERT_NAME,), labels=None):
    rules = [{"type": "recording", "name": name, "labels": dict(labels or SLO_LABELS)} for name in records]
    rules += [{"type": "alerting", "name": name, "labels": {"sloth_severity": "page"}} for name in alerts]
    return {"groups": [{"name": "sloth-slo-sli-recordings-karmada-binding-sync-work-availability", "rules": rules}]}


def all_records(period="30d"):
    return list(_audit_rules.required_records()) + ["slo:sli_error:ratio_rate" + period]


@pytest.mark.parametrize("period", ["30d", "4w"])
def test_all_rules_of_either_window_set_are_ok(period):
    check = _audit_rules.check(FakePrometheus(rules_data(all_records(period))), RULE_OPTIONS)
    assert check["status"] == "ok"


def test_missing_records_and_alert_are_each_drift():
    records = [r for r in all_records() if r != "slo:sli_error:ratio_rate5m"]
    check = _audit_rules.check(FakePrometheus(rules_data(records, alerts=())), RULE_OPTIONS)
    assert [d["id"] for d in check["drift"]] == [
        "prometheus_rule_missing:karmada/binding-sync-work-availability/slo:sli_error:ratio_rate5m",
        "prometheus_alert_missing:KarmadaBindingSyncWorkAvailabilityBurnRateHigh"]


def test_records_of_another_slo_do_not_count():
    labels = dict(SLO_LABELS, sloth_slo="apiserver-availability")
    check = _audit_rules.check(FakePrometheus(rules_data(all_records(), labels=labels)), RULE_OPTIONS)
    assert len([d for d in check["drift"] if d["kind"] == "prometheus_rule_missing"]) == len(all_records())
