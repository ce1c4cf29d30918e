# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The override_policies check: the analysis over bindings, template fetching with bounded requests,
event corroboration, the finding, and observe -> assess.

Policies and templates have the shapes the emulator's scenarios serve (override-policy-broken,
mixed) and Karmada's API types (facts §4.4).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._events import FailureEvents
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    EVENTS,
    OVERRIDE_POLICIES,
    RESOURCE_BINDINGS,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CLUSTERS as CLUSTERS_PATH
from ansible_collections.karmada.runbooks.plugins.module_utils._overrides import (
    Analysis,
    assess,
    bound_templates,
    check,
    fetch_templates,
    observe,
    options_from_params,
    override_finding,
    plan_template_fetch,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_datetime
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.karmada_objects import cluster, deployment, plaintext, policy


def binding(name="nginx", clusters=("member1", "member2", "member3"), namespace="default", kind="Deployment"):
    resource = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    meta = {"name": "%s-%s" % (name, kind.lower())}
    if namespace:
        resource["namespace"] = namespace
        meta["namespace"] = namespace
    return {"kind": "ResourceBinding", "metadata": meta,
            "spec": {"resource": resource, "clusters": [{"name": c} for c in clusters]}}


# ---------------------------------------------------------------------------------------------
# The analysis over bindings, as in the override-policy-broken scenario


CLUSTERS = [cluster("member1"), cluster("member2"), cluster("member3")]
NGINX_TUNING = policy("nginx-tuning", rules=[plaintext("/spec/template/spec/containers/0/resources/limits/cpu",
                                                       value="2", clusters=["member1", "member2"])])
WEB_REPLICAS = policy("web-replicas", rules=[plaintext("/spec/replicas", value=3)],
                      selectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}])


def test_analysis_names_policy_rule_path_binding_and_clusters():
    analysis = Analysis([NGINX_TUNING, WEB_REPLICAS], CLUSTERS)
    for name in ("nginx", "web", "api"):
        analysis.add_binding(binding(name), deployment(name))
    broken = analysis.broken_list()
    assert len(broken) == 1
    entry = broken[0]
    assert entry["policy"] == "default/nginx-tuning" and entry["kind"] == "OverridePolicy"
    assert entry["rule"] == 0 and entry["field"] == "spec.overrideRules[0].overriders.plaintext[0]"
    assert entry["operation"] == "replace" and entry["path"] == "/spec/template/spec/containers/0/resources/limits/cpu"
    assert entry["bindings"] == ["default/nginx-deployment"]
    assert entry["clusters"] == ["member1", "member2"]
    assert entry["error"].startswith("path /spec/template/spec/containers/0/resources/limits/cpu does not exist in "
                                     "Deployment default/nginx")
    assert analysis.matched[("OverridePolicy", "default", "web-replicas")] == {"default/web-deployment"}


def test_analysis_skips_clusters_that_are_not_registered():
    analysis = Analysis([NGINX_TUNING], CLUSTERS[:1])
    analysis.add_binding(binding("nginx"), deployment("nginx"))
    assert analysis.broken_list()[0]["clusters"] == ["member1"]
    assert analysis.unknown_clusters == {"member2", "member3"}


def test_analysis_counts_missing_templates():
    analysis = Analysis([NGINX_TUNING], CLUSTERS)
    analysis.add_binding(binding("nginx"), None)
    assert analysis.missing_templates == ["Deployment default/nginx"]
    assert analysis.broken_list() == []


def test_bound_templates_only_keeps_scheduled_bindings_a_policy_may_select():
    bindings = [binding("nginx"), binding("web"), binding("api", clusters=()), binding("nginx", namespace="shop")]
    assert [b["metadata"]["name"] for b, _r in bound_templates([NGINX_TUNING], bindings)] == ["nginx-deployment"]


# ---------------------------------------------------------------------------------------------
# Events and the finding


def failed_event(message, count=3, last="2026-11-25T14:59:09Z", first="2026-11-25T14:14:02Z", name="nginx"):
    return {"reason": "ApplyOverridePolicyFailed", "message": message, "count": count, "firstTimestamp": first,
            "lastTimestamp": last, "type": "Warning",
            "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": name}}


def _events(*events, since=None):
    digest = FailureEvents(since)
    for event in events:
        digest.add(event)
    return digest


def test_finding_fails_with_a_strong_signal_when_a_dry_check_fails():
    analysis = Analysis([NGINX_TUNING, WEB_REPLICAS], CLUSTERS)
    analysis.add_binding(binding("nginx"), deployment("nginx"))
    analysis.add_binding(binding("web"), deployment("web"))
    events = _events(failed_event("Apply override policy(default/nginx-tuning) for cluster(member1) failed."))
    result = override_finding([NGINX_TUNING, WEB_REPLICAS], analysis, events)
    assert result["status"] == "fail"
    assert [(s["cause"], s["strength"]) for s in result["signals"]] == [("override_policy_failure", 0.9)]
    assert result["signals"][0]["clusters"] == ["member1", "member2"]
    assert any(e["source"] == "event" for e in result["signals"][0]["evidence"])
    assert [p["name"] for p in result["details"]["policies"]] == ["nginx-tuning", "web-replicas"]
    assert result["summary"].startswith("OverridePolicy default/nginx-tuning cannot be applied to "
                                        "default/nginx-deployment on member1, member2: path ")


def test_finding_warns_with_a_weaker_signal_when_only_events_show_it():
    analysis = Analysis([WEB_REPLICAS], CLUSTERS)
    analysis.add_binding(binding("web"), deployment("web"))
    events = _events(failed_event("Apply override policy(default/web-replicas) for cluster(member3) failed.", name="web"))
    result = override_finding([WEB_REPLICAS], analysis, events)
    assert result["status"] == "warn"
    assert [(s["cause"], s["strength"]) for s in result["signals"]] == [("override_policy_failure", 0.6)]
    assert result["signals"][0]["bindings"] == ["default/web-deployment"]


def test_finding_ok_lists_policies_and_ignores_events_of_deleted_policies():
    analysis = Analysis([WEB_REPLICAS], CLUSTERS)
    analysis.add_binding(binding("web"), deployment("web"))
    events = _events(failed_event("Apply override policy(default/gone) for cluster(member3) failed."))
    result = override_finding([WEB_REPLICAS], analysis, events)
    assert result["status"] == "ok" and result["signals"] == []
    assert result["details"]["policies"] == [{"kind": "OverridePolicy", "namespace": "default", "name": "web-replicas",
                                              "rules": 1, "bindings": 1}]
    assert result["details"]["broken"] == []


# ---------------------------------------------------------------------------------------------
# Fetching templates


def test_plan_gets_a_few_and_lists_many():
    refs = [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": n} for n in ("a", "b")]
    refs += [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "s%d" % i} for i in range(8)]
    plan = plan_template_fetch(refs, get_limit=5)
    assert [(p[2], p[4]) for p in plan] == [("default", False), ("shop", True)]


class FakeClient:
    def __init__(self, objects):
        self.objects = objects
        self.requests = []

    def find(self, path, query=None):
        self.requests.append(("GET", path))
        if path == "/apis/apps/v1":
            return {"resources": [{"name": "deployments", "kind": "Deployment", "namespaced": True},
                                  {"name": "deployments/scale", "kind": "Scale"}]}
        return self.objects.get(path)

    def list(self, path, query=None):
        self.requests.append(("LIST", path))
        # Items of a built-in list carry no apiVersion/kind, as the API server serves them.
        return [{"metadata": obj["metadata"], "spec": obj["spec"]}
                for key, obj in sorted(self.objects.items()) if key.startswith(path + "/")]


def test_fetch_templates_uses_one_discovery_and_bounded_requests():
    objects = {"/apis/apps/v1/namespaces/shop/deployments/s%d" % i: deployment("s%d" % i, "shop") for i in range(8)}
    objects["/apis/apps/v1/namespaces/default/deployments/nginx"] = deployment()
    client = FakeClient(objects)
    refs = [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "s%d" % i} for i in range(8)]
    refs += [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": n} for n in ("nginx", "gone")]
    templates = fetch_templates(client, refs)
    assert client.requests == [("GET", "/apis/apps/v1"),
                               ("GET", "/apis/apps/v1/namespaces/default/deployments/gone"),
                               ("GET", "/apis/apps/v1/namespaces/default/deployments/nginx"),
                               ("LIST", "/apis/apps/v1/namespaces/shop/deployments")]
    assert templates[("apps/v1", "Deployment", "default", "gone")] is None
    listed = templates[("apps/v1", "Deployment", "shop", "s3")]
    assert (listed["apiVersion"], listed["kind"]) == ("apps/v1", "Deployment")


def test_fetch_templates_of_an_unknown_kind_are_missing():
    client = FakeClient({})
    templates = fetch_templates(client, [{"apiVersion": "apps/v1", "kind": "Rollout", "namespace": "x", "name": "r"}])
    assert templates == {("apps/v1", "Rollout", "x", "r"): None}


# ---------------------------------------------------------------------------------------------
# The check: options, observe -> assess


def test_options_read_since_and_name_it_when_unreadable():
    assert options_from_params({"since": None}) == {"since": None}
    assert options_from_params({"since": "2026-11-25T15:00:00+01:00"})["since"] == parse_datetime("2026-11-25T14:00:00Z", "t")
    with pytest.raises(InputError) as info:
        options_from_params({"since": "yesterday"})
    assert str(info.value).startswith("since must be an RFC 3339 time")


def test_assess_without_policies_is_ok():
    result = assess({"policies": []}, {"since": None})
    assert result["id"] == "override_policies"
    assert result["status"] == "ok" and result["summary"] == "No override policies." and result["signals"] == []
    assert result["details"]["policies"] == [] and result["details"]["bindings_checked"] == 0


def test_assess_names_policy_rule_and_path_of_a_missing_json_patch_path():
    observation = {"policies": [NGINX_TUNING], "bindings": [binding("nginx")], "clusters": CLUSTERS,
                   "templates": {("apps/v1", "Deployment", "default", "nginx"): deployment("nginx")}}
    result = assess(observation, {"since": None})
    assert result["status"] == "fail"
    [failure] = result["signals"]
    assert (failure["cause"], failure["strength"]) == ("override_policy_failure", 0.9)
    assert failure["bindings"] == ["default/nginx-deployment"] and failure["clusters"] == ["member1", "member2"]
    assert "OverridePolicy default/nginx-tuning spec.overrideRules[0].overriders.plaintext[0]: replace " \
           "/spec/template/spec/containers/0/resources/limits/cpu: path " in failure["evidence"][0]["text"]
    [entry] = result["details"]["broken"]
    assert (entry["policy"], entry["rule"], entry["path"]) == (
        "default/nginx-tuning", 0, "/spec/template/spec/containers/0/resources/limits/cpu")
    assert "requests" not in result["details"]


def test_assess_policies_that_apply_cleanly_are_ok():
    observation = {"policies": [WEB_REPLICAS], "bindings": [binding("web")], "clusters": CLUSTERS,
                   "templates": {("apps/v1", "Deployment", "default", "web"): deployment("web")}, "requests": 7}
    result = assess(observation, {"since": None})
    assert result["status"] == "ok" and result["signals"] == []
    assert result["summary"] == "All 1 override policies apply cleanly to the 1 bound templates they select."
    assert result["details"]["requests"] == 7


def test_assess_counts_a_template_that_is_gone_and_leaves_old_events_out():
    observation = {"policies": [WEB_REPLICAS], "bindings": [binding("web")], "clusters": CLUSTERS, "templates": {},
                   "events": [failed_event("Apply override policy(default/web-replicas) for cluster(member3) failed.",
                                           name="web", last="2026-11-25T10:00:00Z")]}
    result = assess(observation, {"since": parse_datetime("2026-11-25T14:00:00Z", "since")})
    assert result["status"] == "ok" and result["details"]["events"] == []
    assert result["details"]["templates_missing"] == ["Deployment default/web"]
    # without since, the same event shows a failure the dry-run cannot see
    assert assess(observation, {"since": None})["status"] == "warn"


class RecordingClient:
    """Answers lists and GETs from dicts by path and counts requests, as KubeClient does."""

    def __init__(self, lists, objects=None):
        self.lists = lists
        self.objects = objects or {}
        self.calls = []

    @property
    def requests(self):
        return len(self.calls)

    def find(self, path, query=None):
        self.calls.append(("GET", path, query))
        if path == "/apis/apps/v1":
            return {"resources": [{"name": "deployments", "kind": "Deployment"}]}
        return self.objects.get(path)

    def list(self, path, query=None):
        self.calls.append(("LIST", path, query))
        # Items of a list carry no kind, as the API server serves them.
        return iter([{k: v for k, v in item.items() if k != "kind"} for item in self.lists.get(path, [])])


def test_observe_without_policies_reads_the_two_policy_lists_only():
    client = RecordingClient({RESOURCE_BINDINGS: [binding("nginx")]})
    observation = observe(client, {"since": None})
    assert [c[1] for c in client.calls] == [OVERRIDE_POLICIES, CLUSTER_OVERRIDE_POLICIES]
    assert observation == {"policies": [], "bindings": [], "templates": {}, "clusters": [], "events": [], "requests": 2}


def test_observe_reads_bindings_selected_templates_clusters_and_failure_events():
    event = failed_event("Apply override policy(default/nginx-tuning) for cluster(member1) failed.")
    client = RecordingClient({OVERRIDE_POLICIES: [NGINX_TUNING], RESOURCE_BINDINGS: [binding("nginx"), binding("web")],
                              CLUSTERS_PATH: CLUSTERS, EVENTS: [event]},
                             {"/apis/apps/v1/namespaces/default/deployments/nginx": deployment("nginx")})
    observation = observe(client, {"since": None})
    assert client.calls == [
        ("LIST", OVERRIDE_POLICIES, None), ("LIST", CLUSTER_OVERRIDE_POLICIES, None),
        ("LIST", RESOURCE_BINDINGS, None), ("LIST", CLUSTER_RESOURCE_BINDINGS, None),
        ("GET", "/apis/apps/v1", None), ("GET", "/apis/apps/v1/namespaces/default/deployments/nginx", None),
        ("LIST", CLUSTERS_PATH, None), ("LIST", EVENTS, {"fieldSelector": "reason=ApplyOverridePolicyFailed"})]
    assert [p["kind"] for p in observation["policies"]] == ["OverridePolicy"]
    assert [b["kind"] for b in observation["bindings"]] == ["ResourceBinding", "ResourceBinding"]
    assert list(observation["templates"]) == [("apps/v1", "Deployment", "default", "nginx")]
    assert observation["events"] == [event] and observation["requests"] == 8
    result = check(RecordingClient(client.lists, client.objects), {"since": None})
    assert result == assess(observation, {"since": None})
    assert result["status"] == "fail" and result["details"]["requests"] == 8
