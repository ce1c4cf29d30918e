# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execution namespaces: which member clusters lack theirs, which are terminating, which are orphaned."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

EXECUTION_SPACE_PREFIX = "karmada-es-"


def compare_namespaces(cluster_names, namespaces):
    """cluster_names: [str]; namespaces: Namespace objects. Returns sorted missing/terminating/orphaned."""
    expected = {EXECUTION_SPACE_PREFIX + name: name for name in cluster_names}
    present = {}
    for namespace in namespaces:
        name = namespace.get("metadata", {}).get("name", "")
        if name.startswith(EXECUTION_SPACE_PREFIX):
            present[name] = namespace
    missing = sorted(set(expected) - set(present))
    terminating = sorted(name for name, ns in present.items() if name in expected and (
        (ns.get("status") or {}).get("phase") == "Terminating" or ns.get("metadata", {}).get("deletionTimestamp")))
    orphaned = sorted(set(present) - set(expected))
    return {"missing": missing, "terminating": terminating, "orphaned": orphaned}
