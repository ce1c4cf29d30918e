# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sync_failure_events check around FailureSummary: options, what is listed, and the finding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _events
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import EVENTS, FAILURE_REASONS, events_in

MISSING_NS = 'namespaces "karmada-es-member2" not found'


def event(name, message=MISSING_NS, reason="SyncWorkFailed", kind="ResourceBinding", component="binding-controller",
          last="2026-11-25T15:10:13Z"):
    return {"involvedObject": {"kind": kind, "name": name, "namespace": "default"}, "reason": reason,
            "message": message, "count": 3, "firstTimestamp": "2026-11-25T14:19:40Z", "lastTimestamp": last,
            "source": {"component": component}}


def by_reason(table):
    """An event list that answers each reason's field selector with its own events."""
    return lambda query: table.get(query["fieldSelector"].split("=", 1)[1], [])


def options(**params):
    return _events.options_from_params(params)


@pytest.mark.parametrize("params, option", [
    ({"scope": "cluster"}, "scope"),
    ({"namespace": ""}, "namespace"),
    ({"max_failures": 0}, "max_failures"),
    ({"since": "an hour ago"}, "since"),
])
def test_options_errors_name_the_option(params, option):
    with pytest.raises(InputError, match="^%s" % option):
        options(**params)


def test_options_defaults():
    assert options() == {"scope": "all", "namespace": "karmada-system", "since": None, "max_failures": 50}
    assert options(since="2026-11-25T15:00:00Z")["since"] == datetime.datetime(2026, 11, 25, 15, tzinfo=datetime.UTC)


def test_observe_lists_each_reason_in_all_namespaces(fake_kube):
    client = fake_kube(lists={EVENTS: by_reason({"SyncWorkFailed": [event("api-deployment")],
                                                 "CleanupWorkFailed": [event("web-deployment", reason="CleanupWorkFailed")]})})
    seen = _events.observe(client, options())
    assert [call[2] for call in client.calls] == [{"fieldSelector": "reason=%s" % r} for r in FAILURE_REASONS]
    assert seen["summary"]["total"] == 2 and seen["list_requests"] == 3


def test_observe_in_one_namespace_uses_its_events_path(fake_kube):
    client = fake_kube()
    seen = _events.observe(client, options(scope="namespace", namespace="shop"))
    assert {call[1] for call in client.calls} == {events_in("shop")}
    assert seen["summary"]["scope"] == "namespace" and seen["summary"]["namespace"] == "shop"


def test_observe_honours_since_and_max_failures(fake_kube):
    client = fake_kube(lists={EVENTS: by_reason({"SyncWorkFailed": [
        event("old-deployment", last="2026-11-25T14:00:00Z"), event("a-deployment"), event("b-deployment")]})})
    seen = _events.observe(client, options(since="2026-11-25T15:00:00Z", max_failures=1))
    assert seen["summary"]["total"] == 2 and seen["summary"]["ignored_before_since"] == 1
    assert len(seen["summary"]["failures"]) == 1 and seen["summary"]["failures_truncated"] is True


def test_check_gives_the_finding_and_the_module_values(fake_kube):
    client = fake_kube(lists={EVENTS: by_reason({"SyncWorkFailed": [event("api-deployment")]})})
    result = _events.check(client, options())
    assert result["id"] == "sync_failure_events" and result["status"] == "fail"
    assert result["details"]["list_requests"] == 3
    assert _events.module_result(result) == {"total": 1, "causes": ["execution_namespace_missing"]}


def test_no_events_is_ok_and_an_unknown_finding_has_no_total():
    result = _events.assess({"summary": _events.FailureSummary().details("all"), "list_requests": 3}, options())
    assert result["status"] == "ok" and result["summary"] == "No binding sync failure events in all namespaces."
    assert _events.module_result({"status": "unknown", "details": {}}) == {"total": 0, "causes": []}
