# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Override policies: the path walker, selector and cluster matching, application order, the dry-run
of every overrider kind, event corroboration and the finding.

Policies and templates have the shapes the emulator's scenarios serve (override-policy-broken,
mixed) and Karmada's API types (facts §4.4).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._overrides import (
    MATCH_ALL,
    MATCH_LABELS,
    MATCH_NAME,
    MISMATCH,
    Analysis,
    FailureEvents,
    PathError,
    applicable_rules,
    apply_step,
    bound_templates,
    cluster_matches,
    dry_run,
    fetch_templates,
    label_selector_matches,
    override_finding,
    parse_failure_event,
    plan_template_fetch,
    policy_priority,
    resolve,
    selector_priority,
    split_pointer,
)

WHAT = "Deployment default/nginx"


def deployment(name="nginx", namespace="default", containers=None, labels=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels if labels is not None else {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers if containers is not None else [
                                      {"name": name, "image": "registry.example/%s:1.0" % name}]}}}}


def policy(name, rules=None, selectors=None, namespace="default", kind="OverridePolicy", legacy=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    spec = {"resourceSelectors": selectors if selectors is not None else
            [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]}
    if rules is not None:
        spec["overrideRules"] = rules
    if legacy is not None:
        spec.update(legacy)
    return {"kind": kind, "metadata": meta, "spec": spec}


def plaintext(path, operator="replace", value="x", clusters=None):
    rule = {"overriders": {"plaintext": [{"path": path, "operator": operator, "value": value}]}}
    if clusters is not None:
        rule["targetCluster"] = {"clusterNames": clusters}
    return rule


def cluster(name, labels=None, **spec):
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def binding(name="nginx", clusters=("member1", "member2", "member3"), namespace="default", kind="Deployment"):
    resource = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    meta = {"name": "%s-%s" % (name, kind.lower())}
    if namespace:
        resource["namespace"] = namespace
        meta["namespace"] = namespace
    return {"kind": "ResourceBinding", "metadata": meta,
            "spec": {"resource": resource, "clusters": [{"name": c} for c in clusters]}}


# ---------------------------------------------------------------------------------------------
# JSON pointers


@pytest.mark.parametrize("path, tokens", [
    ("", []),
    ("/spec/replicas", ["spec", "replicas"]),
    ("/metadata/annotations/example.com~1owner", ["metadata", "annotations", "example.com/owner"]),
    ("/a~0b", ["a~b"]),
    # ~1 is decoded before ~0, so "~01" is the literal "~1", not "/"
    ("/a~01", ["a~1"]),
    ("/spec/containers/0", ["spec", "containers", "0"]),
])
def test_split_pointer(path, tokens):
    assert split_pointer(path) == tokens


def test_split_pointer_rejects_a_relative_path():
    with pytest.raises(PathError) as info:
        split_pointer("spec/replicas")
    assert "must start with /" in info.value.text


@pytest.mark.parametrize("path, found, value", [
    ("/spec/replicas", True, 2),
    ("/spec/template/spec/containers/0/name", True, "nginx"),
    ("/spec/template/spec/containers/-1/name", True, "nginx"),
    ("/spec/template/spec/containers/1/name", False, None),
    ("/spec/template/spec/containers/-/name", False, None),
    ("/spec/template/spec/containers/first", False, None),
    ("/spec/replicas/x", False, None),
    ("/metadata/labels/app", True, "nginx"),
])
def test_resolve(path, found, value):
    assert resolve(deployment(), path) == (found, value)


# ---------------------------------------------------------------------------------------------
# One step at a time


def test_replace_of_a_missing_path_names_the_template_and_the_missing_key():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "replace", "/spec/template/spec/containers/0/resources/limits/cpu", "2", WHAT)
    assert info.value.text == ('path /spec/template/spec/containers/0/resources/limits/cpu does not exist in '
                               'Deployment default/nginx: /spec/template/spec/containers/0 has no key "resources"')


def test_replace_of_an_array_index_past_the_end():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "replace", "/spec/template/spec/containers/1/image", "envoy:1.30", WHAT)
    assert "/spec/template/spec/containers has 1 item(s), there is no index 1" in info.value.text


def test_replace_and_remove_of_existing_values_apply():
    doc = apply_step(deployment(), "replace", "/spec/replicas", 3, WHAT)
    assert doc["spec"]["replicas"] == 3
    doc = apply_step(doc, "remove", "/spec/template/spec/containers/0", None, WHAT)
    assert doc["spec"]["template"]["spec"]["containers"] == []


def test_add_needs_the_parent():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "add", "/spec/template/spec/containers/0/resources/limits", {}, WHAT)
    assert info.value.text.startswith("add needs the parent /spec/template/spec/containers/0/resources of path "
                                      "/spec/template/spec/containers/0/resources/limits to exist in Deployment "
                                      "default/nginx")


def test_add_creates_the_last_key_only():
    doc = apply_step(deployment(), "add", "/spec/template/spec/containers/0/resources", {"limits": {"cpu": "1"}}, WHAT)
    assert resolve(doc, "/spec/template/spec/containers/0/resources/limits/cpu") == (True, "1")


@pytest.mark.parametrize("index, ok", [("-", True), ("0", True), ("1", True), ("2", False), ("-1", True), ("-3", False)])
def test_add_into_an_array(index, ok):
    path = "/spec/template/spec/containers/%s" % index
    sidecar = {"name": "envoy", "image": "envoy:1.30"}
    if ok:
        doc = apply_step(deployment(), "add", path, sidecar, WHAT)
        assert len(doc["spec"]["template"]["spec"]["containers"]) == 2
    else:
        with pytest.raises(PathError):
            apply_step(deployment(), "add", path, sidecar, WHAT)


def test_add_with_dash_appends():
    doc = apply_step(deployment(), "add", "/spec/template/spec/containers/-", {"name": "envoy"}, WHAT)
    assert doc["spec"]["template"]["spec"]["containers"][-1] == {"name": "envoy"}


def test_dash_only_works_with_add():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "replace", "/spec/template/spec/containers/-", {}, WHAT)
    assert "only add can use" in info.value.text


def test_remove_of_a_missing_key():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "remove", "/metadata/annotations", None, WHAT)
    assert info.value.text == 'path /metadata/annotations does not exist in Deployment default/nginx: /metadata has no key "annotations"'


def test_escaped_keys_are_added_and_found():
    doc = apply_step(deployment(), "add", "/metadata/labels/example.com~1team", "sre", WHAT)
    assert doc["metadata"]["labels"]["example.com/team"] == "sre"
    assert resolve(doc, "/metadata/labels/example.com~1team") == (True, "sre")


def test_walking_through_a_scalar():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "replace", "/spec/replicas/value", 1, WHAT)
    assert "/spec/replicas is a number, not an object or array" in info.value.text


def test_unknown_operator():
    with pytest.raises(PathError) as info:
        apply_step(deployment(), "move", "/spec/replicas", 1, WHAT)
    assert "unknown operator" in info.value.text


# ---------------------------------------------------------------------------------------------
# Matching


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


# ---------------------------------------------------------------------------------------------
# Dry-run of every overrider kind


def run(overriders, template=None, policies_rule=0):
    target = policy("p", rules=[{"overriders": overriders}])
    return [problem for _p, _r, problem in dry_run(template or deployment(), [(target, policies_rule, overriders)], WHAT)]


def test_plaintext_steps_see_what_earlier_steps_added():
    problems = run({"plaintext": [
        {"path": "/spec/template/spec/containers/0/resources", "operator": "add", "value": {}},
        {"path": "/spec/template/spec/containers/0/resources/limits", "operator": "add", "value": {"cpu": "1"}},
        {"path": "/spec/template/spec/containers/0/resources/limits/cpu", "operator": "replace", "value": "2"},
    ]})
    assert problems == []


def test_every_broken_plaintext_step_is_reported_with_its_index():
    problems = run({"plaintext": [
        {"path": "/spec/replicas", "operator": "replace", "value": 3},
        {"path": "/spec/template/spec/containers/1/image", "operator": "replace", "value": "envoy:1.30"},
        {"path": "/spec/strategy/rollingUpdate", "operator": "remove"},
    ]})
    assert [(p["index"], p["operation"], p["path"]) for p in problems] == [
        (1, "replace", "/spec/template/spec/containers/1/image"), (2, "remove", "/spec/strategy/rollingUpdate")]


def test_the_template_is_never_modified():
    template = deployment()
    before = copy.deepcopy(template)
    run({"plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 9}]}, template)
    assert template == before


@pytest.mark.parametrize("item, error", [
    ({"predicate": {"path": "spec/template/spec/containers/0/image"}, "component": "Registry", "operator": "replace",
      "value": "mirror.example"}, "must start with /"),
    ({"predicate": {"path": "/spec/template/spec/containers/3/image"}, "component": "Tag", "operator": "replace",
      "value": "2.0"}, "image path /spec/template/spec/containers/3/image does not exist in Deployment default/nginx"),
    ({"predicate": {"path": "/spec/replicas"}, "component": "Tag", "operator": "replace", "value": "2.0"},
     "is a number, not an image"),
    ({"component": "Flavour", "operator": "replace", "value": "x"}, "unsupported image component 'Flavour'"),
])
def test_image_overrider_problems(item, error):
    problems = run({"imageOverrider": [item]})
    assert len(problems) == 1 and error in problems[0]["error"]
    assert problems[0]["overrider"] == "imageOverrider"


def test_image_overrider_without_predicate_checks_every_container_image():
    template = deployment(containers=[{"name": "nginx", "image": "registry.example/nginx:1.0"},
                                      {"name": "bad", "image": "Registry.Example/UPPER CASE"}])
    problems = run({"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "mirror.example"}]},
                   template)
    assert [p["path"] for p in problems] == ["/spec/template/spec/containers/1/image"]
    assert run({"imageOverrider": [{"component": "Tag", "operator": "replace", "value": "2"}]}) == []


def test_command_and_args_overriders_only_touch_named_containers():
    assert run({"commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["-g", "daemon off;"]}],
                "plaintext": [{"path": "/spec/template/spec/containers/0/command/1", "operator": "replace",
                               "value": "daemon on;"}]}) == []
    assert run({"argsOverrider": [{"containerName": "missing", "operator": "add", "value": ["--v=4"]}],
                "plaintext": [{"path": "/spec/template/spec/containers/0/args", "operator": "remove"}]})[0]["path"] \
        == "/spec/template/spec/containers/0/args"


def test_labels_overrider_creates_what_plaintext_later_replaces():
    template = deployment(labels={})
    del template["metadata"]["labels"]
    problems = run({"labelsOverrider": [{"operator": "add", "value": {"team": "sre"}}],
                    "plaintext": [{"path": "/metadata/labels/team", "operator": "replace", "value": "ops"}]}, template)
    assert problems == []


def _configmap(data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "default"}, "data": data}


def test_field_overrider_checks_sub_paths_inside_embedded_json_and_yaml():
    template = _configmap({"config.json": json.dumps({"server": {"port": 80}}), "config.yaml": "server:\n  port: 80\n"})
    assert run({"fieldOverrider": [{"fieldPath": "/data/config.json",
                                    "json": [{"subPath": "/server/port", "operator": "replace", "value": 8080}]},
                                   {"fieldPath": "/data/config.yaml",
                                    "yaml": [{"subPath": "/server/host", "operator": "add", "value": "0.0.0.0"}]}]},
               template) == []
    problems = run({"fieldOverrider": [{"fieldPath": "/data/config.json",
                                        "json": [{"subPath": "/db/port", "operator": "replace", "value": 5432}]}]},
                   template)
    assert problems[0]["sub_path"] == "/db/port"
    assert problems[0]["path"] == "/data/config.json"
    assert "the JSON held at /data/config.json of Deployment default/nginx" in problems[0]["error"]


@pytest.mark.parametrize("data, field_path, error", [
    ({"config.json": "{}"}, "/data/other.json", "field path /data/other.json does not exist"),
    ({"config.json": "{not json"}, "/data/config.json", "is not valid JSON"),
    ({"config.json": "{}"}, "/data", "is an object; fieldOverrider needs a string holding JSON"),
])
def test_field_overrider_problems(data, field_path, error):
    problems = run({"fieldOverrider": [{"fieldPath": field_path,
                                        "json": [{"subPath": "/x", "operator": "add", "value": 1}]}]}, _configmap(data))
    assert len(problems) == 1 and error in problems[0]["error"]


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
    from ansible_collections.karmada.runbooks.plugins.module_utils._alert import parse_time
    digest = _events(failed_event("Apply override policy(default/nginx-tuning) for cluster(member1) failed."),
                     failed_event("Apply override policy(default/nginx-tuning) for cluster(member2) failed.", count=4),
                     failed_event("Apply override policy(default/old) for cluster(member2) failed.",
                                  last="2026-11-25T10:00:00Z"),
                     since=parse_time("2026-11-25T14:00:00Z", "since"))
    items = digest.summary()
    assert [i["policy"] for i in items] == ["default/nginx-tuning"]
    assert items[0]["clusters"] == ["member1", "member2"] and items[0]["count"] == 7
    assert items[0]["bindings"] == ["default/nginx-deployment"]
    assert digest.ignored_old == 1


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
