# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dry-run of every overrider kind over a copy of the template: image, command, args, labels,
annotations, field (embedded JSON and YAML) and plaintext, in Karmada's order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._overriders import dry_run
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.karmada_objects import WHAT, deployment, policy


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
