# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Steps 7 and 8: the binding sync error rate and the binding controllers' workqueues."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _controller_metrics as cm
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import BINDING_CONTROLLERS
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import NoData, Sample

BC, CRB = BINDING_CONTROLLERS


def options(check="workqueue", **overrides):
    params = {"check": check, "rate_window": "5m", "controllers": None, "objective": 99.9, "depth_threshold": 100,
              "retry_ratio_threshold": 0.5, "time": "1795618800"}
    params.update(overrides)
    return cm.options_from_params(params)


class FakeClient:
    def __init__(self, answers):
        self.answers = answers
        self.queries = []

    def vector(self, expr, at=None):
        self.queries.append(expr)
        for marker, samples in self.answers.items():
            if marker in expr:
                return samples
        return []


# -- step 7 --------------------------------------------------------------------------------------

def error_rate(error, success):
    observation = {"query": cm.error_rate_query("5m"), "rates": {"error": error, "success": success}}
    return cm.assess_error_rate(observation, options("error_rate"))


def test_error_rate_query_is_the_runbooks():
    fake = FakeClient({"binding_sync_work_duration_seconds_count": [Sample({"result": "error"}, 0.3, 0),
                                                                    Sample({"result": "success"}, 0.1, 0)]})
    observation = cm.observe_error_rate(fake, options("error_rate"))
    assert fake.queries == ["sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))"]
    assert observation["rates"] == {"error": 0.3, "success": 0.1}


def test_page_level_error_rate_fails():
    result = error_rate(0.3, 0.1)
    assert result["status"] == "fail"
    assert result["summary"] == ("Binding syncs over 5m: 18/min failing, 6/min succeeding: error ratio 75%, 750x the "
                                 "0.1% error budget (page level).")
    assert result["details"]["error_ratio"] == 0.75 and result["details"]["burn_rate"] == 750
    assert result["signals"] == []


def test_small_error_rate_warns():
    # 1 failure in 100 syncs: 1 %, burn 10, below the 14.4 page factor.
    result = error_rate(0.01, 0.99)
    assert result["status"] == "warn" and "(page level)" not in result["summary"]


def test_no_errors_is_ok():
    result = error_rate(0.0, 0.1)
    assert result["status"] == "ok" and result["summary"] == "Binding syncs over 5m: 6/min, none failing."


def test_idle_controller_is_ok_and_says_so():
    result = error_rate(0.0, 0.0)
    assert result["status"] == "ok" and "nothing was synced" in result["summary"]
    assert result["details"]["error_ratio"] is None


def test_missing_metric_is_no_data():
    with pytest.raises(NoData):
        cm.observe_error_rate(FakeClient({}), options("error_rate"))


# -- step 8 --------------------------------------------------------------------------------------

def workqueue(depth=None, before=None, adds=None, retries=None, recent=None):
    def per(values):
        return dict(zip((BC, CRB), values)) if values else {}
    observation = {"depth": per(depth), "depth_before": per(before), "adds": per(adds), "retries": per(retries),
                   "recent_retries": per(recent), "queries": {}}
    return cm.assess_workqueue(observation, options())


def test_workqueue_queries_cover_both_controllers():
    queries = cm.workqueue_queries(["binding-controller", "a.b"], "5m")
    assert queries["depth"] == 'sum by (name) (workqueue_depth{name=~"binding-controller|a\\\\.b"})'
    assert queries["depth_before"].endswith("offset 5m)")
    assert "rate(workqueue_retries_total" in queries["retries"] and "rate(workqueue_adds_total" in queries["adds"]


def test_observe_workqueue_groups_by_controller():
    fake = FakeClient({"offset": [Sample({"name": BC}, 7.0, 0)],
                       "workqueue_depth": [Sample({"name": BC}, 3.0, 0), Sample({"name": CRB}, 0.0, 0)]})
    observation = cm.observe_workqueue(fake, options())
    assert observation["depth"] == {BC: 3.0, CRB: 0.0} and observation["depth_before"] == {BC: 7.0}
    assert len(fake.queries) == 5


def test_no_workqueue_metrics_is_no_data():
    with pytest.raises(NoData) as info:
        cm.observe_workqueue(FakeClient({}), options())
    assert "binding-controller" in info.value.reason


def test_deep_queue_not_draining_fails_and_points_at_a_stuck_queue():
    result = workqueue(depth=(250, 0), before=(240, 0), adds=(2.0, 0.1), retries=(0.2, 0), recent=(50, 0))
    assert result["status"] == "fail"
    assert [(s["cause"], s["strength"]) for s in result["signals"]] == [("workqueue_stuck", 0.4)]
    assert "binding-controller: depth 250 (not draining)" in result["summary"]
    assert result["details"]["depth"] == {BC: 250, CRB: 0}


def test_deep_queue_that_drains_only_warns():
    result = workqueue(depth=(150, 0), before=(400, 0), adds=(2.0, 0.1), retries=(0.0, 0.0), recent=(0, 0))
    assert result["status"] == "warn" and result["signals"] == []
    assert "depth 150 (draining)" in result["summary"]


def test_retries_dominating_adds_warn_with_a_weak_signal():
    # The missing-namespaces picture: three quarters of the adds are retries.
    result = workqueue(depth=(0, 0), before=(0, 0), adds=(0.39, 0.0), retries=(0.3, 0.0), recent=(930, 0))
    assert result["status"] == "warn"
    assert [(s["cause"], s["strength"]) for s in result["signals"]] == [("workqueue_stuck", 0.3)]
    assert result["details"]["retry_ratio"] == {BC: pytest.approx(0.769231)}
    assert "retries 76.9% of adds over 5m" in result["summary"]


def test_retries_that_stopped_recently_warn_without_a_signal():
    # The workqueue-stuck picture: the cause was fixed, the failed bindings sit in backoff.
    result = workqueue(depth=(0, 0), before=(0, 0), adds=(0.02, 0.0), retries=(0.0, 0.0), recent=(8, 0))
    assert result["status"] == "warn" and result["signals"] == []
    assert "workqueue_depth does not count" in result["summary"]


def test_healthy_queues_are_ok():
    result = workqueue(depth=(0, 0), before=(1, 0), adds=(0.1, 0.0), retries=(0.0, 0.0), recent=(0, 0))
    assert result["status"] == "ok"
    assert result["summary"] == ("binding-controller: depth 0, no retries over 5m; cluster-resource-binding-controller: "
                                 "depth 0, idle over 5m. Queues are short and retries rare.")


def test_controller_without_metrics_is_listed():
    result = workqueue(depth=(0,), before=(0,), adds=(0.1,), retries=(0.0,), recent=(0,))
    assert result["details"]["missing"] == [CRB]
    assert "cluster-resource-binding-controller: no metrics" in result["summary"]


# -- options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, option", [
    ({"check": "latency"}, "check"),
    ({"rate_window": "30s"}, "rate_window"),
    ({"rate_window": "five minutes"}, "rate_window"),
    ({"controllers": ["binding-controller", 'x"}) or vector(1']}, "controllers"),
    ({"objective": 100.0}, "objective"),
    ({"time": "now-ish"}, "time"),
    ({"depth_threshold": 0}, "depth_threshold"),
    ({"retry_ratio_threshold": 1.5}, "retry_ratio_threshold"),
])
def test_option_errors_name_the_option(overrides, option):
    check = overrides.pop("check", "workqueue")
    with pytest.raises(InputError) as info:
        options(check, **overrides)
    assert str(info.value).startswith(option)


def test_check_ids():
    assert cm.check_id(options("error_rate")) == "binding_sync_error_rate"
    assert cm.check_id(options("workqueue")) == "workqueue"
