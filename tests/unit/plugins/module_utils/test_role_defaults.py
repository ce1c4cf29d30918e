# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role defaults that restate a Python default (YAML cannot import it) must not drift from it.

The verdict, the modules' argument specs and the connection settings read ``_defaults`` and
``_karmada``; a role default with another value would make a play and a module disagree about
the same threshold, as the workqueue depth once did (10 in the verdict, 100 in the role).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils import _defaults, _karmada

ROOT = os.path.normpath(os.path.join(os.path.dirname(_defaults.__file__), "..", ".."))


def role_file(role, *parts):
    with open(os.path.join(ROOT, "roles", role, *parts)) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("role, variable, expected", [
    ("common", "karmada_request_timeout", _defaults.REQUEST_TIMEOUT),
    ("common", "karmada_prometheus_timeout", _defaults.PROMETHEUS_TIMEOUT),
    ("common", "karmada_restart_cooldown", _defaults.RESTART_COOLDOWN),
    ("common", "karmada_restart_timeout", _defaults.RESTART_TIMEOUT),
    ("common", "karmada_mitigation_lock_wait", _defaults.MITIGATION_LOCK_WAIT),
    ("common", "karmada_verify_timeout", _defaults.VERIFY_TIMEOUT),
    ("common", "karmada_verify_interval", _defaults.VERIFY_INTERVAL),
    ("common", "karmada_verify_metric_range", _defaults.VERIFY_METRIC_RANGE),
    ("common", "karmada_controller_manager_namespace", _karmada.CONTROLLER_MANAGER_NAMESPACE),
    ("common", "karmada_controller_manager_deployment", _karmada.CONTROLLER_MANAGER),
    ("common", "karmada_controller_manager_labels", list(_karmada.CONTROLLER_MANAGER_LABELS)),
    ("workqueue", "workqueue_depth_threshold", _defaults.WORKQUEUE_DEPTH),
    ("workqueue", "workqueue_retry_ratio_threshold", _defaults.WORKQUEUE_RETRY_RATIO),
])
def test_role_default_matches_python(role, variable, expected):
    assert role_file(role, "defaults", "main.yml")[variable] == expected


@pytest.mark.parametrize("role, variable", [
    ("common", "karmada_request_timeout"),
    ("common", "karmada_prometheus_timeout"),
    ("common", "karmada_controller_manager_labels"),
    ("workqueue", "workqueue_depth_threshold"),
])
def test_documented_default_is_the_default(role, variable):
    specs = role_file(role, "meta", "argument_specs.yml")["argument_specs"]
    documented = [entry["options"][variable]["default"] for entry in specs.values() if variable in entry.get("options", {})]
    assert documented and all(value == role_file(role, "defaults", "main.yml")[variable] for value in documented)


def test_no_role_restates_the_request_timeout():
    # It travels through module_defaults from karmada_request_timeout; a per-role copy would shadow it.
    for role in os.listdir(os.path.join(ROOT, "roles")):
        if not os.path.exists(os.path.join(ROOT, "roles", role, "defaults", "main.yml")):
            continue
        defaults = role_file(role, "defaults", "main.yml") or {}
        assert not [name for name in defaults if name.endswith("_request_timeout") and name != "karmada_request_timeout"], role
