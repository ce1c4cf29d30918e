# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Binding sync failure events (runbook step 2): which bindings fail, since when, and why.

The binding controllers record ``SyncWorkFailed`` (and ``CleanupWorkFailed``) on the binding and
on its resource template, and the override manager records ``ApplyOverridePolicyFailed`` on the
template. Events land in the namespace of the object they are about (``default`` for cluster-scoped
ones), so most failures are *not* in ``karmada-system``. FederatedResourceQuota sync reuses the
``SyncWorkFailed`` reason; those events are counted apart and never taken for binding failures.

Everything here is bounded: counts for every event, but only the newest few failures and samples.

The check is ``options_from_params(params)``, ``observe(client, options)`` (one field-selected list per
reason, every event fed to a ``FailureSummary`` as the pages arrive) and ``assess(observation,
options)`` (``failure_finding``, pure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE, classify
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    BINDING_CONTROLLERS,
    BINDING_KINDS,
    CONTROLLER_MANAGER_NAMESPACE,
    EVENTS,
    FAILURE_REASONS,
    OVERRIDE_MANAGER,
    QUOTA_KIND,
    events_in,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._klog import clusters_of
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime

CHECK_ID = "sync_failure_events"
SCOPES = ("all", "namespace")
# The recorders that emit the three reasons for bindings. Any other component using one of these
# reasons (the FederatedResourceQuota sync controller) is not about bindings.
BINDING_COMPONENTS = BINDING_CONTROLLERS + (OVERRIDE_MANAGER,)

MAX_FAILURES = 50
MAX_SAMPLES = 3
# A sample keeps this much of its message (an aggregated error can be long); counts use the whole text.
MAX_SAMPLE_CHARS = 1000
MAX_LISTED = 100
MAX_EVIDENCE = 20

BASE_STRENGTH = 0.7
STRENGTH_PER_BINDING = 0.05
MAX_STRENGTH = 0.85


def field_selector(reason):
    return "reason=%s" % reason


def _parsed_time(values):
    """The first value that is an RFC 3339 time, as an aware UTC datetime; None if none is."""
    for value in values:
        if value:
            try:
                return parse_datetime(value, "event time")
            except InputError:
                continue
    return None


def event_time(event):
    """When an event last happened (aware UTC datetime), or None if it carries no usable time.

    core/v1 events from client-go's legacy recorder set lastTimestamp; events.k8s.io-style ones set
    eventTime and series.lastObservedTime instead.
    """
    series = event.get("series") or {}
    return _parsed_time((event.get("lastTimestamp"), series.get("lastObservedTime"), event.get("eventTime"),
                         event.get("firstTimestamp"), (event.get("metadata") or {}).get("creationTimestamp")))


def first_time(event):
    return _parsed_time((event.get("firstTimestamp"), event.get("eventTime")))


def component_of(event):
    return (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""


def is_quota_event(event):
    """A FederatedResourceQuota event that shares a binding failure reason (facts §1.4)."""
    involved = event.get("involvedObject") or {}
    if involved.get("kind") == QUOTA_KIND:
        return True
    component = component_of(event)
    return bool(component) and component not in BINDING_COMPONENTS


def object_ref(involved):
    """``namespace/name`` for namespaced objects, ``name`` for cluster-scoped ones."""
    name = involved.get("name") or ""
    namespace = involved.get("namespace")
    return "%s/%s" % (namespace, name) if namespace else name


def binding_of_event(involved):
    """The binding an event is about, as the report names bindings.

    Events on a resource template name the binding by Karmada's naming rule
    (pkg/util/names GenerateBindingName: lower-case ``<name>-<kind>``, ``:`` replaced by ``.``), so a
    template event and its binding's event point at the same binding and are not counted twice.
    """
    kind = involved.get("kind") or ""
    if kind in BINDING_KINDS:
        return object_ref(involved)
    if not kind or not involved.get("name"):
        return None
    name = ("%s-%s" % (involved["name"], kind)).lower().replace(":", ".")
    return "%s/%s" % (involved["namespace"], name) if involved.get("namespace") else name


def _clusters(details, part):
    return clusters_of({"message": part, "fields": {"cluster": details.get("cluster")}})


class _CauseTally:
    __slots__ = ("events", "occurrences", "bindings", "clusters", "samples", "last")

    def __init__(self):
        self.events = 0
        self.occurrences = 0
        self.bindings = set()
        self.clusters = set()
        self.samples = {}
        self.last = None


class FailureSummary:
    """Feed it events one by one (``add``); ``details()`` is the finding's details, bounded in size.

    ``since`` (aware datetime or None): events whose last occurrence is older are ignored.
    """

    def __init__(self, since=None, max_failures=MAX_FAILURES, max_samples=MAX_SAMPLES):
        self.since = since
        self.max_failures = max_failures
        self.max_samples = max_samples
        self.total = 0
        self.occurrences = 0
        self.excluded_quota = 0
        self.ignored_old = 0
        self.by_reason = {}
        self.by_cause = {}
        self.bindings = set()
        self.unclassified = 0
        self.unclassified_samples = {}
        self._newest = []            # min-heap of (sort key, sequence, failure): the newest max_failures
        self._sequence = 0

    def add(self, event):
        if is_quota_event(event):
            self.excluded_quota += 1
            return
        moment = event_time(event)
        if self.since is not None and moment is not None and moment < self.since:
            self.ignored_old += 1
            return
        involved = event.get("involvedObject") or {}
        reason = event.get("reason") or ""
        message = event.get("message") or ""
        count = _positive_int(event.get("count"))
        binding = binding_of_event(involved)
        parts = classify(message)
        causes = []
        for cause, details, part in parts:
            if cause is None:
                continue
            if cause not in causes:
                causes.append(cause)
            tally = self.by_cause.setdefault(cause, _CauseTally())
            tally.clusters.update(_clusters(details, part))
        for cause in causes:
            tally = self.by_cause[cause]
            tally.events += 1
            tally.occurrences += count
            if binding:
                tally.bindings.add(binding)
            if tally.last is None or (moment is not None and moment > tally.last):
                tally.last = moment
        failure = {"kind": involved.get("kind") or "", "namespace": involved.get("namespace") or None,
                   "name": involved.get("name") or "", "reason": reason, "message": message, "causes": causes,
                   "count": count, "first": _format(first_time(event)), "last": _format(moment),
                   "binding": binding}
        for cause, _details, part in parts:
            if cause is not None:
                _keep_sample(self.by_cause[cause].samples, part, failure, moment, self.max_samples)
        if not parts or any(entry[0] is None for entry in parts):
            self.unclassified += 1
            _keep_sample(self.unclassified_samples, message, failure, moment, self.max_samples)
        self.total += 1
        self.occurrences += count
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        if binding:
            self.bindings.add(binding)
        self._sequence += 1
        entry = (_sort_key(moment), self._sequence, failure)
        if len(self._newest) < self.max_failures:
            heapq.heappush(self._newest, entry)
        else:
            heapq.heappushpop(self._newest, entry)

    def failures(self):
        """The newest failures, newest first."""
        return [entry[2] for entry in sorted(self._newest, reverse=True)]

    def details(self, scope, namespace=None):
        failures = self.failures()
        by_cause = {}
        for cause, tally in self.by_cause.items():
            bindings = sorted(tally.bindings)
            by_cause[cause] = {"events": tally.events, "occurrences": tally.occurrences,
                               "bindings": bindings[:MAX_LISTED], "binding_count": len(bindings),
                               "clusters": sorted(tally.clusters)[:MAX_LISTED], "last": _format(tally.last),
                               "samples": _samples(tally.samples)}
        return {"scope": scope, "namespace": namespace if scope == "namespace" else None,
                "reasons": list(FAILURE_REASONS), "since": _format(self.since), "total": self.total,
                "occurrences": self.occurrences, "by_reason": dict(self.by_reason),
                "binding_count": len(self.bindings), "failures": failures,
                "failures_truncated": self.total > len(failures), "by_cause": by_cause,
                "unclassified": self.unclassified, "unclassified_samples": _samples(self.unclassified_samples),
                "excluded_federated_resource_quota": self.excluded_quota, "ignored_before_since": self.ignored_old,
                "last_failure": failures[0] if failures else None}


# -- the sync_failure_events check ------------------------------------------------------------------

def options_from_params(params):
    """Validated options; InputError (the collection's InputError) names the offending option."""
    scope = params.get("scope") or "all"
    if scope not in SCOPES:
        raise InputError("scope must be one of %s, got %r" % (", ".join(SCOPES), scope))
    namespace = params.get("namespace", CONTROLLER_MANAGER_NAMESPACE)
    if not namespace:
        raise InputError("namespace must not be empty (it is the namespace to look in when scope=namespace)")
    max_failures = params.get("max_failures", MAX_FAILURES)
    if max_failures < 1:
        raise InputError("max_failures must be at least 1, got %d" % max_failures)
    since = parse_datetime(params["since"], "since") if params.get("since") else None
    return {"scope": scope, "namespace": namespace, "since": since, "max_failures": max_failures}


def observe(client, options):
    """The FailureSummary's details of every failure event in scope, and how many list requests that took.

    The events stream into the summary page by page (a busy Karmada holds many thousands).
    """
    path = EVENTS if options["scope"] == "all" else events_in(options["namespace"])
    summary = FailureSummary(since=options["since"], max_failures=options["max_failures"])
    for reason in FAILURE_REASONS:
        for event in client.list(path, {"fieldSelector": field_selector(reason)}):
            summary.add(event)
    return {"summary": summary.details(options["scope"], options["namespace"]), "list_requests": client.requests}


def assess(observation, options):  # pylint: disable=unused-argument
    """The ``sync_failure_events`` finding from what ``observe`` returned (pure); ``options`` for symmetry."""
    return failure_finding(dict(observation["summary"], list_requests=observation["list_requests"]))


def check(client, options):
    return assess(observe(client, options), options)


def module_result(result):
    """The module's ``total`` and ``causes`` return values from its finding."""
    return {"total": result.get("details", {}).get("total", 0), "causes": [s["cause"] for s in result.get("signals", [])]}


def _positive_int(value):
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def _format(moment):
    return format_rfc3339(moment) if moment is not None else None


def _sort_key(moment):
    # Events without a time sort as the oldest.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment is not None else ""


def _keep_sample(samples, text, failure, moment, limit):
    """One sample per distinct message, at most ``limit``; a repeat refreshes its count and time."""
    sample = samples.get(text)
    if sample is None:
        if len(samples) >= limit:
            return
        shown = text if len(text) <= MAX_SAMPLE_CHARS else text[:MAX_SAMPLE_CHARS] + "..."
        sample = samples[text] = {"message": shown, "events": 0, "count": 0, "last": None, "object": None,
                                  "_moment": None}
    sample["events"] += 1
    sample["count"] += failure["count"]
    if sample["_moment"] is None or (moment is not None and moment >= sample["_moment"]):
        sample["_moment"] = moment
        sample["last"] = failure["last"]
        sample["object"] = "%s %s" % (failure["kind"], object_ref(failure))


def _samples(samples):
    ordered = sorted(samples.values(), key=lambda s: _sort_key(s["_moment"]), reverse=True)
    return [{k: v for k, v in sample.items() if not k.startswith("_")} for sample in ordered]


def strength_for(binding_count):
    """0.7 when the controller's own error text names the cause; more bindings, more confidence."""
    extra = max(0, binding_count - 1) * STRENGTH_PER_BINDING
    return min(MAX_STRENGTH, BASE_STRENGTH + extra)


def failure_finding(details):
    """The ``sync_failure_events`` finding from FailureSummary.details()."""
    by_cause = details["by_cause"]
    where = "in all namespaces" if details["scope"] == "all" else "in namespace %s" % details["namespace"]
    signals = []
    ranked = sorted(by_cause.items(), key=lambda item: (-item[1]["binding_count"], -item[1]["events"], item[0]))
    for cause, entry in ranked:
        reason = "%d failure event(s) on %d binding(s) say: %s" % (
            entry["events"], entry["binding_count"], CATALOGUE[cause]["title"].lower())
        signals.append(signal(
            cause, strength_for(entry["binding_count"]), reason, bindings=entry["bindings"],
            clusters=entry["clusters"],
            evidence_items=[evidence("event", s["message"], count=s["count"], time=s["last"], ref=s["object"])
                            for s in entry["samples"]]))
    total = details["total"]
    if not total:
        status = "ok"
        summary = "No binding sync failure events %s%s." % (
            where, " since %s" % details["since"] if details["since"] else "")
    else:
        status = "fail" if by_cause else "warn"
        parts = ["%s on %d binding(s)" % (cause, entry["binding_count"]) for cause, entry in ranked]
        if details["unclassified"]:
            parts.append("%d unexplained" % details["unclassified"])
        summary = "%d failure event(s) %s, %d binding(s) affected: %s; last at %s." % (
            total, where, details["binding_count"], "; ".join(parts),
            (details["last_failure"] or {}).get("last") or "an unknown time")
    items = [evidence("event", "%s: %s" % (f["reason"], f["message"]), count=f["count"], time=f["last"],
                      ref="%s %s" % (f["kind"], object_ref(f)))
             for f in details["failures"][:MAX_EVIDENCE]]
    return finding("sync_failure_events", status, summary, details=details, evidence_items=items, signals=signals)


# -- ApplyOverridePolicyFailed events, by policy --------------------------------------------------
# The override_policies check reads them as corroboration of its dry-run, recent_changes to tie a
# policy change to the failures that followed it.


def parse_failure_event(event):
    """(policy ref, cluster) an ApplyOverridePolicyFailed message names, from the cause catalogue."""
    for cause, details, _part in classify(event.get("message") or ""):
        if cause == "override_policy_failure" and details.get("policy"):
            return details["policy"], details.get("cluster")
    return None


class FailureEvents:
    """ApplyOverridePolicyFailed events grouped by the policy they name; feed them with ``add``.

    ``since`` (aware datetime or None): events last seen before it are about an older episode and
    are left out.
    """

    def __init__(self, since=None):
        self.since = since
        self.by_policy = {}
        self.ignored_old = 0
        self.unparsed = 0

    def add(self, event):
        last = event_time(event)
        if self.since is not None and last is not None and last < self.since:
            self.ignored_old += 1
            return
        parsed = parse_failure_event(event)
        if parsed is None:
            self.unparsed += 1
            return
        policy, cluster = parsed
        involved = event.get("involvedObject") or {}
        entry = self.by_policy.setdefault(policy, {"policy": policy, "clusters": set(), "templates": set(),
                                                   "bindings": set(), "count": 0, "first": None, "last": None})
        if cluster:
            entry["clusters"].add(cluster)
        if involved.get("name"):
            entry["templates"].add("%s %s" % (involved.get("kind"), object_ref(involved)))
        binding = binding_of_event(involved)
        if binding:
            entry["bindings"].add(binding)
        entry["count"] += int(event.get("count") or 1)
        first = first_time(event) or last
        if first is not None and (entry["first"] is None or first < entry["first"]):
            entry["first"] = first
        if last is not None and (entry["last"] is None or last > entry["last"]):
            entry["last"] = last

    def summary(self):
        items = []
        for entry in self.by_policy.values():
            item = dict(entry)
            for key in ("clusters", "templates", "bindings"):
                item[key] = sorted(entry[key])
            item["first"] = format_rfc3339(entry["first"]) if entry["first"] else None
            item["last"] = format_rfc3339(entry["last"]) if entry["last"] else None
            items.append(item)
        items.sort(key=lambda i: (i["last"] or "", i["policy"]), reverse=True)
        return items
