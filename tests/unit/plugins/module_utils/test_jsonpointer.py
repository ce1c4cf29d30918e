# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON pointers and single JSON-patch steps: RFC 6901 escaping, json-patch's rules for add, remove
and replace, and errors that name the template and the first missing step."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._jsonpointer import PathError, apply_step, resolve, split_pointer
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.karmada_objects import WHAT, deployment


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
