# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check module shares: timing, degrading to ``unknown``, and the Karmada resource paths."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable, KubeClient, map_exception, resource_path
from ansible_collections.karmada.runbooks.plugins.module_utils._namespaces import EXECUTION_SPACE_PREFIX
from ansible_collections.karmada.runbooks.plugins.module_utils._report import unknown
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import InputError, parse_datetime

CLUSTERS = resource_path("cluster.karmada.io", "v1alpha1", "clusters")
NAMESPACES = resource_path("", "v1", "namespaces")
EVENTS = resource_path("", "v1", "events")
WORKS = resource_path("work.karmada.io", "v1alpha1", "works")
RESOURCE_BINDINGS = resource_path("work.karmada.io", "v1alpha2", "resourcebindings")
CLUSTER_RESOURCE_BINDINGS = resource_path("work.karmada.io", "v1alpha2", "clusterresourcebindings")
OVERRIDE_POLICIES = resource_path("policy.karmada.io", "v1alpha1", "overridepolicies")
CLUSTER_OVERRIDE_POLICIES = resource_path("policy.karmada.io", "v1alpha1", "clusteroverridepolicies")


def execution_space(cluster):
    return EXECUTION_SPACE_PREFIX + cluster


def run_check(module, check_id, body, timeout_option="request_timeout"):
    """Run ``body(client) -> finding`` against the API server the module's auth options name.

    Anything that stops the check (forbidden, unreachable, timeout, malformed answer) becomes an
    ``unknown`` finding with the reason; the module still succeeds so the diagnosis goes on.
    Returns (finding, client or None).
    """
    started = time.time()
    client = None
    try:
        client = KubeClient.from_params(module.params, timeout=module.params.get(timeout_option) or 30)
        result = body(client)
    except CheckUnavailable as exc:
        return unknown(check_id, exc.reason, duration_seconds=time.time() - started), client
    except Exception as exc:  # pylint: disable=broad-except
        return unknown(check_id, map_exception(exc).reason, duration_seconds=time.time() - started), client
    result["duration_seconds"] = round(time.time() - started, 3)
    return result, client


def time_option(module, option):
    """The RFC 3339 time in ``module.params[option]`` as an aware datetime, None when unset;
    an unreadable value fails the module naming the option (it is the caller's input)."""
    value = module.params.get(option)
    if not value:
        return None
    try:
        return parse_datetime(value, option)
    except InputError as exc:
        module.fail_json(msg=str(exc))


def request_timeout_option():
    return {"type": "int", "default": 30}
