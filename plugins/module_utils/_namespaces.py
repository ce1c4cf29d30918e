# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook step 4: which member clusters lack their execution namespace, which are terminating, which are orphaned.

``observe(client)`` lists the Clusters and the namespaces (two paginated lists, however many clusters
there are); ``assess(observation)`` compares them and builds the ``execution_namespaces`` finding
(pure). ``compare_namespaces`` is shared with the recent-changes check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import CLUSTERS, EXECUTION_SPACE_PREFIX, NAMESPACES, cluster_of, execution_space
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal

CHECK_ID = "execution_namespaces"
# The binding controller creates Works in the execution namespace; while it is missing or terminating
# the API server refuses every Work there, so the sync fails for each binding targeting that cluster.
# Not 1.0: the namespace may be missing for a cluster no failing binding targets.
MISSING_STRENGTH = 0.9
TERMINATING_STRENGTH = 0.9
MAX_EVIDENCE = 20
MAX_NAMED = 5


def compare_namespaces(cluster_names, namespaces):
    """cluster_names: [str]; namespaces: Namespace objects. Returns sorted missing/terminating/orphaned."""
    expected = {execution_space(name): name for name in cluster_names}
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


def observe(client):
    """The registered cluster names, the execution namespaces and how many list requests that took."""
    clusters = [c["metadata"]["name"] for c in client.list(CLUSTERS)]
    # Other namespaces play no part; dropping them while the pages stream keeps large hosts cheap.
    namespaces = [ns for ns in client.list(NAMESPACES)
                  if ns.get("metadata", {}).get("name", "").startswith(EXECUTION_SPACE_PREFIX)]
    return {"clusters": clusters, "namespaces": namespaces, "list_requests": client.requests}


def _namespace_signal(cause, strength, names, reason, each):
    """One signal for the namespaces in ``names``; ``reason`` takes their count, ``each`` one name."""
    return signal(cause, strength, reason % len(names), clusters=[cluster_of(ns) for ns in names],
                  evidence_items=[evidence("object", each % ns) for ns in names[:MAX_EVIDENCE]])


def assess(observation):
    """The ``execution_namespaces`` finding from what ``observe`` returned (pure)."""
    clusters = observation["clusters"]
    result = compare_namespaces(clusters, observation["namespaces"])
    missing, terminating = result["missing"], result["terminating"]
    signals = []
    if missing:
        signals.append(_namespace_signal("execution_namespace_missing", MISSING_STRENGTH, missing,
                                         "%d execution namespace(s) do not exist", "namespace %s does not exist"))
    if terminating:
        signals.append(_namespace_signal("execution_namespace_terminating", TERMINATING_STRENGTH, terminating,
                                         "%d execution namespace(s) are terminating", "namespace %s is Terminating"))
    if missing or terminating:
        status = "fail"
        parts = []
        if missing:
            parts.append("%d missing (%s)" % (len(missing), ", ".join(missing[:MAX_NAMED]) + (
                ", ..." if len(missing) > MAX_NAMED else "")))
        if terminating:
            parts.append("%d terminating (%s)" % (len(terminating), ", ".join(terminating[:MAX_NAMED])))
        summary = "Of %d execution namespaces, %s." % (len(clusters), " and ".join(parts))
    else:
        status = "ok"
        summary = "All %d member clusters have their execution namespace." % len(clusters)
    details = dict(result, clusters=len(clusters), list_requests=observation["list_requests"])
    return finding(CHECK_ID, status, summary, details=details,
                   evidence_items=[evidence("object", "expected %s for cluster %s" % (execution_space(c), c))
                                   for c in clusters if execution_space(c) in missing][:MAX_EVIDENCE],
                   signals=signals)


def options_from_params(params):
    """This check takes no options beyond the connection."""
    return {}


def check(client, options=None):
    return assess(observe(client))
