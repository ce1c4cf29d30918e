# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recent changes on the Karmada API server (runbook step 9).

The runbook asks three questions: were override policies modified, were new member clusters
registered, were execution namespaces deleted? The answers come from the objects themselves --
creation and deletion timestamps, ``metadata.generation`` with the newest ``managedFields`` time,
the Ready condition's last transition -- and from the cluster controller's execution-space events.
Current damage (a missing or terminating execution namespace, a cluster being removed) is listed
whatever its age, because it is still in effect; everything else only when it falls in the window.

Changes are evidence, not causes. The one inference drawn here is principled and weak: when the
override manager started failing on a policy within minutes after that policy was created or
changed, the change is the likely trigger (a policy change re-enqueues every binding it selects).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.karmada.runbooks.plugins.module_utils._bindings import condition
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._events import FailureEvents, event_time, field_selector
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    APPLY_OVERRIDE_POLICY_FAILED,
    CLUSTER_KIND,
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTER_SCOPED_EVENTS_NAMESPACE,
    CLUSTERS,
    COP_KIND,
    EVENTS,
    EXECUTION_SPACE_PREFIX,
    EXECUTION_SPACE_REASONS,
    NAMESPACES,
    OP_KIND,
    OVERRIDE_POLICIES,
    events_in,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import side_query
from ansible_collections.karmada.runbooks.plugins.module_utils._namespaces import compare_namespaces
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, note_unread, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._selectors import policy_key, policy_ref
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, utcnow

CHECK_ID = "recent_changes"

# The cluster controller records its execution-space events on the Cluster, a cluster-scoped object.
CLUSTER_EVENTS = events_in(CLUSTER_SCOPED_EVENTS_NAMESPACE)

MAX_CHANGES = 50
MAX_EVIDENCE = 20

# A policy change re-enqueues the bindings it selects at once; even behind a busy queue (10 qps
# token bucket) their first retry comes within minutes. Failures that begin later than this after
# the change are not tied to it. The skew allows for the controller's clock against the API server's.
CORRELATION_SECONDS = 900
CLOCK_SKEW_SECONDS = 60

STRENGTH_CHANGE_BEFORE_FAILURE = 0.3


def _time(text):
    try:
        return parse_datetime(text, "timestamp") if text else None
    except InputError:
        return None


def window_start(since=None, lookback_minutes=0, now=None, default_hours=24):
    """The first moment a change counts: ``since`` (default ``default_hours`` before now) minus the lookback.

    The lookback exists because a change shows up as an alert only once the burn-rate windows have
    filled (the page alert's long window is 1 h): what broke things happened before the alert began.
    """
    now = now or utcnow()
    start = parse_datetime(since, "since") if since else now - datetime.timedelta(hours=default_hours)
    return start - datetime.timedelta(minutes=lookback_minutes or 0)


def last_write(obj):
    """(time, manager) of the newest managedFields entry: when and by whom the object was last
    written; (None, None) when the server keeps no managedFields."""
    entries = [(_time(e.get("time")), e.get("manager") or "an unknown manager")
               for e in (obj.get("metadata") or {}).get("managedFields") or []]
    entries = [e for e in entries if e[0] is not None]
    return max(entries, key=lambda e: e[0]) if entries else (None, None)


def _change(moment, kind, namespace, name, what, current=False, source="object"):
    """One change; ``current`` marks damage still in effect, listed whatever its age."""
    return {"time": format_rfc3339(moment) if moment else None, "kind": kind, "namespace": namespace or "",
            "name": name, "what": what, "current": current, "source": source}


def policy_changes(policies, since):
    """Override policies created, changed (generation > 1 and written in the window) or being deleted."""
    changes = []
    for policy in policies:
        meta = policy.get("metadata") or {}
        kind, namespace, name = policy_key(policy)
        created = _time(meta.get("creationTimestamp"))
        written, writer = last_write(policy)
        generation = int(meta.get("generation") or 1)
        deleting = _time(meta.get("deletionTimestamp"))
        if deleting is not None:
            changes.append(_change(deleting, kind, namespace, name, "being deleted", current=True))
        if created is not None and created >= since:
            if generation <= 1:
                changes.append(_change(created, kind, namespace, name, "created"))
            else:
                changes.append(_change(written or created, kind, namespace, name,
                                       "created, then changed (generation %d)" % generation))
        elif generation > 1 and written is not None and written >= since:
            changes.append(_change(written, kind, namespace, name,
                                   "spec changed (generation %d, last written by %s)" % (generation, writer)))
    return changes


def cluster_changes(clusters, since):
    """Clusters registered in the window, being removed, or whose Ready condition flipped in it."""
    changes = []
    for cluster in clusters:
        meta = cluster.get("metadata") or {}
        name = meta.get("name", "")
        created = _time(meta.get("creationTimestamp"))
        deleting = _time(meta.get("deletionTimestamp"))
        if deleting is not None:
            changes.append(_change(deleting, CLUSTER_KIND, "", name, "being unregistered (deletion requested)",
                                   current=True))
        if created is not None and created >= since:
            mode = (cluster.get("spec") or {}).get("syncMode")
            changes.append(_change(created, CLUSTER_KIND, "", name, "registered%s" % (" (%s mode)" % mode if mode else "")))
        ready = condition(cluster, "Ready")
        moved = _time((ready or {}).get("lastTransitionTime"))
        if ready and moved is not None and moved >= since and (created is None or moved > created):
            changes.append(_change(moved, CLUSTER_KIND, "", name, "Ready became %s (%s)" % (
                ready.get("status"), ready.get("reason") or "no reason")))
    return changes


def namespace_changes(cluster_names, namespaces, since):
    """Execution namespaces missing or terminating now, and those created in the window."""
    result = compare_namespaces(cluster_names, namespaces)
    changes = [_change(None, "Namespace", "", ns, "missing: cluster %s has no execution namespace"
                       % ns[len(EXECUTION_SPACE_PREFIX):], current=True) for ns in result["missing"]]
    for namespace in namespaces:
        meta = namespace.get("metadata") or {}
        name = meta.get("name", "")
        if not name.startswith(EXECUTION_SPACE_PREFIX):
            continue
        created = _time(meta.get("creationTimestamp"))
        if name in result["terminating"]:
            changes.append(_change(_time(meta.get("deletionTimestamp")), "Namespace", "", name,
                                   "Terminating (deletion requested; new Works are refused)", current=True))
        if created is not None and created >= since:
            changes.append(_change(created, "Namespace", "", name, "created"))
    return changes


def event_changes(events, since):
    """The cluster controller's execution-space events in the window."""
    changes = []
    for event in events:
        reason = event.get("reason")
        moment = event_time(event)
        if reason not in EXECUTION_SPACE_REASONS or moment is None or moment < since:
            continue
        involved = event.get("involvedObject") or {}
        count = int(event.get("count") or 1)
        changes.append(_change(moment, involved.get("kind") or CLUSTER_KIND, involved.get("namespace"),
                               involved.get("name", ""), "%s: %s%s" % (reason, event.get("message") or "",
                                                                       " (x%d)" % count if count > 1 else ""),
                               source="event"))
    return changes


def newest_first(changes):
    """Current damage that has no time first, then newest first (uniform RFC 3339 UTC sorts as text)."""
    timeless = [c for c in changes if c["time"] is None]
    timed = sorted((c for c in changes if c["time"] is not None), key=lambda c: c["time"], reverse=True)
    return timeless + timed


def correlate(changes, failure_events):
    """Policy changes the override manager started failing on shortly afterwards.

    ``failure_events``: FailureEvents.summary() items ({policy, first, clusters, bindings, count}).
    Returns [{policy, kind, changed, first_failure, clusters, bindings}].
    """
    failures = {item["policy"]: item for item in failure_events if item.get("first")}
    found = []
    for change in changes:
        if change["kind"] not in (OP_KIND, COP_KIND) or not change["time"] or change["current"]:
            continue
        ref = policy_ref((change["kind"], change["namespace"], change["name"]))
        failure = failures.get(ref)
        if failure is None:
            continue
        delay = (_time(failure["first"]) - _time(change["time"])).total_seconds()
        if -CLOCK_SKEW_SECONDS <= delay <= CORRELATION_SECONDS:
            found.append({"policy": ref, "kind": change["kind"], "changed": change["time"],
                          "first_failure": failure["first"], "what": change["what"],
                          "clusters": failure.get("clusters") or [], "bindings": failure.get("bindings") or []})
    return found


def _count_phrase(changes):
    labels = ((CLUSTER_KIND, "cluster change(s)"), ("Namespace", "execution namespace change(s)"),
              (OP_KIND, "OverridePolicy change(s)"), (COP_KIND, "ClusterOverridePolicy change(s)"))
    parts = []
    for kind, label in labels:
        count = sum(1 for c in changes if c["kind"] == kind)
        if count:
            parts.append("%d %s" % (count, label))
    return ", ".join(parts)


def describe(change):
    name = "%s/%s" % (change["namespace"], change["name"]) if change["namespace"] else change["name"]
    return "%s %s %s" % (change["kind"], name, change["what"])


def changes_finding(changes, since, correlations=(), extra_details=None):
    """The ``recent_changes`` finding: changes newest first (bounded), warn when there are any."""
    ordered = newest_first(changes)
    signals = []
    for item in correlations:
        signals.append(signal(
            "override_policy_failure", STRENGTH_CHANGE_BEFORE_FAILURE,
            "%s %s was %s at %s and the override manager began failing on it at %s"
            % (item["kind"], item["policy"], item["what"], item["changed"], item["first_failure"]),
            bindings=item["bindings"], clusters=item["clusters"],
            evidence_items=[evidence("object", "%s %s %s" % (item["kind"], item["policy"], item["what"]),
                                     time=item["changed"], ref=item["policy"])]))
    if ordered:
        status = "warn"
        summary = "%d change(s) since %s: %s; newest: %s." % (
            len(ordered), format_rfc3339(since), _count_phrase(ordered), describe(ordered[0]))
    else:
        status = "ok"
        summary = "No override policy, member cluster or execution namespace changed since %s." % format_rfc3339(since)
    details = {"since": format_rfc3339(since), "total": len(ordered), "changes": ordered[:MAX_CHANGES]}
    details.update(extra_details or {})
    evidence_items = [evidence(c["source"], describe(c), time=c["time"]) for c in ordered[:MAX_EVIDENCE]]
    return finding(CHECK_ID, status, summary, details=details, evidence_items=evidence_items, signals=signals)


# ---------------------------------------------------------------------------------------------
# The check


def options_from_params(params, now=None):
    """The check's options from the module's parameters; InputError names the option it cannot read.

    ``since`` (aware datetime): the start of the window, lookback included (see ``window_start``).
    """
    lookback = params.get("lookback_minutes") or 0
    if lookback < 0:
        raise InputError("lookback_minutes must be 0 or more, got %d" % lookback)
    return {"since": window_start(params.get("since"), lookback, now=now)}


def observe(client, options):
    """Read what the check needs: {policies, clusters, namespaces, cluster_events, failure_events, requests}.

    A constant number of paginated lists. ApplyOverridePolicyFailed events (``failure_events``) only
    matter to tie a failure to a policy change in the window, so they are read only when there is one.
    """
    policies = [dict(p, kind=OP_KIND) for p in client.list(OVERRIDE_POLICIES)]
    policies += [dict(p, kind=COP_KIND) for p in client.list(CLUSTER_OVERRIDE_POLICIES)]
    observation = {"policies": policies, "clusters": list(client.list(CLUSTERS)), "failure_events": []}
    # Policies and clusters are what changes; namespaces and events add to them, and one that cannot be
    # read is noted in the finding instead of hiding the changes that were read.
    observation["namespaces"] = side_query(observation, "namespaces", lambda: list(client.list(NAMESPACES)), [])
    observation["cluster_events"] = side_query(observation, "cluster events", lambda: list(client.list(
        CLUSTER_EVENTS, {"fieldSelector": "involvedObject.kind=%s" % CLUSTER_KIND})), [])
    if any(not change["current"] for change in policy_changes(policies, options["since"])):
        observation["failure_events"] = side_query(observation, "ApplyOverridePolicyFailed events", lambda: list(
            client.list(EVENTS, {"fieldSelector": field_selector(APPLY_OVERRIDE_POLICY_FAILED)})), [])
    observation["requests"] = client.requests
    return observation


def assess(observation, options):
    """The ``recent_changes`` finding from an observation (see ``observe``); pure.

    Missing keys count as empty; ``requests``, when present, is reported as ``list_requests``.
    """
    since = options["since"]
    clusters = observation.get("clusters") or []
    changes = (policy_changes(observation.get("policies") or [], since) + cluster_changes(clusters, since)
               + namespace_changes([(c.get("metadata") or {}).get("name") for c in clusters],
                                   observation.get("namespaces") or [], since)
               + event_changes(observation.get("cluster_events") or [], since))
    failures = FailureEvents(since)
    for event in observation.get("failure_events") or []:
        failures.add(event)
    extra = {"list_requests": observation["requests"]} if "requests" in observation else None
    return note_unread(changes_finding(changes, since, correlate(changes, failures.summary()), extra),
                       observation.get("unread"))


def check(client, options):
    return assess(observe(client, options), options)
