# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Karmada's own naming rules, checked against the cases Karmada's tests use (v1.18.2)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    EXECUTION_SPACE_PREFIX,
    cluster_of,
    execution_space,
    fnv32a,
    safe_encode,
    work_name,
)


def _expected(hashed_key, name):
    # pkg/util/names/names_test.go TestGenerateWorkName builds its expectation this way.
    return "%s-%s" % (name, safe_encode(str(fnv32a(hashed_key))))


def test_documented_example():
    assert work_name("Deployment", "nginx", "default") == "nginx-687f7fb96f"


@pytest.mark.parametrize("kind, name, namespace, hashed_key, shown", [
    ("Pod", "pod", None, "pod-pod", "pod"),
    ("pods", "Pod", "default", "default-pod-pods", "pod"),
    ("Pods", "work:pod", "default", "default-work.pod-pods", "work.pod"),
])
def test_names_tests_of_karmada(kind, name, namespace, hashed_key, shown):
    assert work_name(kind, name, namespace) == _expected(hashed_key, shown)


def test_colon_is_replaced_before_hashing():
    # Regression: hashing "system:foo" and replacing afterwards gives a name Karmada never creates,
    # so binding_status would report the RBAC object's Work as missing.
    name = work_name("ClusterRole", "system:foo")
    assert name == _expected("system.foo-clusterrole", "system.foo")
    assert name != _expected("system:foo-clusterrole", "system.foo")


def test_execution_space_round_trip():
    assert execution_space("member1") == EXECUTION_SPACE_PREFIX + "member1"
    assert cluster_of(execution_space("member1")) == "member1"
    assert cluster_of("karmada-system") is None
    assert cluster_of(EXECUTION_SPACE_PREFIX) is None
