# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-manager log scan (runbook step 3, and the log side of step 5).

The runbook greps the logs twice: ``binding|work|error|failed`` (step 3) and
``forbidden|unauthorized|rbac`` (step 5). The scan does both in one pass over streamed lines and
keeps only counts and a few samples, so memory stays flat however long the log is:

- error lines the step-3 grep keeps are classified by cause, from the klog ``err=`` and the message
  (``Failed to apply overrides(<policy>) ...``, ``Failed to get member cluster: ...`` name the cause in
  the message: pkg/util/overridemanager/overridemanager.go, pkg/controllers/binding/common.go at
  v1.18.2); a line neither names is counted as unclassified, with samples;
- error lines of the FederatedResourceQuota controllers are not binding failures: counted apart;
- lines the step-5 grep keeps are counted apart, with the users the API server said it denied.

klog text values that span lines (``err=<`` ...) are rejoined first (``_klog.MultilineJoiner``), so a
record is greped and classified whole; ``lines_scanned`` still counts physical lines.

The check is ``observe(client, options)``: find the pods with the first selector that matches and
stream every container's log through a ``LogScan`` as it arrives (a log can be a million lines, so
the lines are never gathered first); and ``assess(observation, options)``: everything that decides
status, summary and signals, from the scan's details alone (pure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import CATALOGUE, RBAC_LOG_WORDS, classify, is_rbac_related
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CONTROLLER_MANAGER_LABELS,
    CONTROLLER_MANAGER_NAMESPACE,
    execution_space,
    pod_log,
    pods_in,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._klog import (
    MultilineJoiner,
    binding_of,
    clusters_of,
    error_text,
    is_binding_related,
    is_error,
    is_quota_line,
    is_shared_work_write_line,
    parse_line,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal, unknown
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, utcnow

# is_rbac_related's pattern, case-sensitive, for lines already lower-cased: the same words, found
# about four times faster than with re.IGNORECASE (the scan's hot spot on a million lines).
_RBAC_GATE = re.compile(RBAC_LOG_WORDS.pattern)

CHECK_ID = "controller_logs"
MAX_SAMPLES = 3
# Without since or tail_lines, the last hour: long enough to span several of the binding
# controller's retries (its backoff reaches ~17 minutes).
DEFAULT_WINDOW_SECONDS = 3600
# The rbac result when no log was read (an unknown finding): the access review then knows not to
# take the absence of denials for evidence.
NOTHING_READ = {"lines": 0, "samples": [], "users": [], "namespaces": [], "scanned": False}
MAX_LISTED = 100
MAX_LINE = 1000
MAX_EVIDENCE = 20
# An error line names its cause in the controller's own words, but a line is not always tied to one
# binding the way a failure event is (those start at 0.7), so a little weaker.
SIGNAL_STRENGTH = 0.6


def _clip(text, limit=MAX_LINE):
    return text if len(text) <= limit else text[:limit] + "..."


def line_causes(parsed):
    """[(cause, details, part)] a log line names, one per cause: from its ``err``, else from its message.

    Structured lines put the error in ``err`` and the step that failed in the message; printf lines
    and some structured ones put the cause (or the policy or cluster it concerns) in the message
    only. The message is read only when ``err`` names no cause: "Failed to revise replica" with an
    interpreter webhook error in ``err`` is the interpreter's failure, not also an invalid template.
    An empty list means no cause is named.
    """
    message = parsed.get("message")
    for text in (parsed.get("err"), message):
        found = {}
        for cause, details, part in classify(text or ""):
            if cause is not None and cause not in found:
                found[cause] = (cause, details, part)
        if found:
            return list(found.values())
    return []


class _Samples:
    """At most ``limit`` distinct texts, each with how often it was seen and where it was seen last."""

    __slots__ = ("limit", "items")

    def __init__(self, limit):
        self.limit = limit
        self.items = {}

    def add(self, text, parsed, pod, container):
        sample = self.items.get(text)
        if sample is None:
            if len(self.items) >= self.limit:
                return
            sample = self.items[text] = {"text": _clip(text), "count": 0}
        sample["count"] += 1
        # Logs are read in time order per container, so the last line seen is the latest one.
        sample.update(pod=pod, container=container, time=format_rfc3339(parsed["time"], fraction=True), line=_clip(parsed["raw"]))

    def as_list(self):
        return sorted(self.items.values(), key=lambda s: (s["time"] or "", s["count"]), reverse=True)


class _CauseCount:
    __slots__ = ("lines", "bindings", "clusters", "samples")

    def __init__(self, limit):
        self.lines = 0
        self.bindings = set()
        self.clusters = set()
        self.samples = _Samples(limit)


class LogScan:
    """Feed it lines with ``scan(lines, pod, container)``; ``details()`` is the finding's details.

    ``now`` is the reference time for klog text headers, which have no year.
    """

    def __init__(self, now=None, max_samples=MAX_SAMPLES):
        self.now = now
        self.max_samples = max_samples
        self.lines = 0
        self.matched = 0
        self.errors = 0
        self.excluded_quota = 0
        self.shared_work_writes = 0
        self.formats = {}
        self.by_cause = {}
        self.unclassified = 0
        self.unclassified_samples = _Samples(max_samples)
        self.rbac_lines = 0
        self.rbac_samples = _Samples(max_samples)
        self.rbac_users = {}
        self.rbac_namespaces = set()
        self.pods = []
        self.first = None
        self.last = None

    def scan(self, lines, pod, container):
        """Consume an iterable of lines (str) from one container, in the order the container wrote them.

        Only lines one of the runbook's greps keeps are parsed, and the container's first and last line
        (for the time span and the format); the rest is counted. ``lines_scanned`` also counts what was
        read before a stream broke part way.
        """
        joiner = MultilineJoiner()
        records = joiner.records(lines)
        count = 0            # records; joiner.lines counts physical lines
        last = parsed = None
        parsed_at = 0
        try:
            for line in records:
                count += 1
                last = line
                # The cheap lower-case test goes first: is_rbac_related's case-insensitive search costs
                # several times more and almost every line fails it; it stays the rule for the lines it sees.
                rbac = _RBAC_GATE.search(line.lower()) is not None and is_rbac_related(line)
                binding = is_binding_related(line)
                if not (rbac or binding or count == 1):
                    continue
                parsed, parsed_at = self._parse(line), count
                if count == 1:
                    self._span(parsed, first=True)
                if rbac:
                    self._rbac(parsed, pod, container)
                if binding:
                    self.matched += 1
                    if is_error(parsed):
                        self._error(parsed, pod, container)
        finally:
            records.close()  # runs the joiner's own finally, so joiner.lines is final
            self.lines += joiner.lines
            if count > 1:
                self._span(parsed if parsed_at == count else self._parse(last), first=False)
        return joiner.lines

    def _parse(self, line):
        parsed = parse_line(line, self.now)
        self.formats[parsed["format"]] = self.formats.get(parsed["format"], 0) + 1
        return parsed

    def _span(self, parsed, first):
        moment = parsed["time"]
        if moment is None:
            return
        if first and (self.first is None or moment < self.first):
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment

    def _error(self, parsed, pod, container):
        if is_quota_line(parsed):
            self.excluded_quota += 1
            return
        if is_shared_work_write_line(parsed):
            self.shared_work_writes += 1
            return
        self.errors += 1
        binding = None
        clusters = None
        causes = line_causes(parsed)
        for cause, _details, part in causes:
            tally = self.by_cause.get(cause)
            if tally is None:
                tally = self.by_cause[cause] = _CauseCount(self.max_samples)
            tally.lines += 1
            tally.samples.add(part, parsed, pod, container)
            if clusters is None:
                binding, clusters = binding_of(parsed), clusters_of(parsed)
            if binding and len(tally.bindings) < MAX_LISTED:
                tally.bindings.add(binding)
            if len(tally.clusters) < MAX_LISTED:
                tally.clusters.update(clusters)
        if not causes:
            self.unclassified += 1
            self.unclassified_samples.add(error_text(parsed), parsed, pod, container)

    def _rbac(self, parsed, pod, container):
        self.rbac_lines += 1
        text = error_text(parsed)
        self.rbac_samples.add(text, parsed, pod, container)
        for cause, details, _part in classify(text):
            if cause == "rbac_denied" and details.get("user"):
                self.rbac_users[details["user"]] = self.rbac_users.get(details["user"], 0) + 1
        if len(self.rbac_namespaces) < MAX_LISTED:
            self.rbac_namespaces.update(execution_space(c) for c in clusters_of(parsed))

    def add_pod(self, name, containers, lines, error=None):
        entry = {"name": name, "containers": list(containers), "lines": lines}
        if error:
            entry["error"] = error
        self.pods.append(entry)

    def format(self):
        """text, json, mixed, raw (nothing klog could parse) or none (no lines)."""
        structured = [f for f in ("text", "json") if self.formats.get(f)]
        if len(structured) == 2:
            return "mixed"
        if structured:
            return structured[0]
        return "raw" if self.formats.get("raw") else "none"

    def rbac(self):
        """What the rbac check needs from the logs: denial lines, samples, the denied users (most first)."""
        users = sorted(self.rbac_users, key=lambda u: (-self.rbac_users[u], u))
        return {"lines": self.rbac_lines, "samples": self.rbac_samples.as_list(), "users": users,
                "namespaces": sorted(self.rbac_namespaces), "scanned": bool(self.pods)}

    def details(self):
        by_cause = {}
        for cause, tally in self.by_cause.items():
            by_cause[cause] = {"count": tally.lines, "bindings": sorted(tally.bindings),
                               "clusters": sorted(tally.clusters), "samples": tally.samples.as_list()}
        return {"pods": self.pods, "format": self.format(), "formats": dict(self.formats),
                "lines_scanned": self.lines, "lines_matched": self.matched, "errors": self.errors,
                "excluded_federated_resource_quota": self.excluded_quota,
                "shared_work_write_lines": self.shared_work_writes,
                "by_cause": by_cause, "unclassified": self.unclassified,
                "unclassified_samples": self.unclassified_samples.as_list(), "rbac_lines": self.rbac_lines,
                "rbac": self.rbac(), "first_line_time": format_rfc3339(self.first, fraction=True),
                "last_line_time": format_rfc3339(self.last, fraction=True)}


def log_finding(details, where):
    """The ``controller_logs`` finding from LogScan.details(); ``where`` says what was read (for the summary)."""
    by_cause = details["by_cause"]
    ranked = sorted(by_cause.items(), key=lambda item: (-item[1]["count"], item[0]))
    signals = []
    for cause, entry in ranked:
        signals.append(signal(
            cause, SIGNAL_STRENGTH, "%d controller-manager error line(s) say: %s" % (
                entry["count"], CATALOGUE[cause]["title"].lower()),
            bindings=entry["bindings"], clusters=entry["clusters"],
            evidence_items=[_log_evidence(s) for s in entry["samples"]]))
    parts = ["%s (%d lines)" % (cause, entry["count"]) for cause, entry in ranked]
    if details["unclassified"]:
        parts.append("%d unexplained error line(s)" % details["unclassified"])
    if details["rbac_lines"]:
        parts.append("%d forbidden/unauthorized/rbac line(s)" % details["rbac_lines"])
    if by_cause:
        status = "fail"
    elif details["unclassified"] or details["rbac_lines"]:
        status = "warn"
    else:
        status = "ok"
    scanned = "%d line(s) of %s (%s)" % (details["lines_scanned"], where, details["format"])
    if parts:
        summary = "In %s: %s." % (scanned, "; ".join(parts))
    else:
        summary = "No binding errors in %s." % scanned
    items = [_log_evidence(s) for entry in by_cause.values() for s in entry["samples"]]
    items += [_log_evidence(s) for s in details["unclassified_samples"]]
    items += [_log_evidence(s) for s in details["rbac"]["samples"]]
    return finding("controller_logs", status, summary, details=details, evidence_items=items[:MAX_EVIDENCE],
                   signals=signals)


def _log_evidence(sample):
    return evidence("log", sample["line"], count=sample["count"], time=sample["time"],
                    ref="%s/%s" % (sample["pod"], sample["container"]))


# -- the controller_logs check ---------------------------------------------------------------------

def options_from_params(params, now=None):
    """Validated options from the module's params; InputError names the offending option.

    ``now`` (aware datetime) dates klog text headers, which have no year.
    """
    namespace = params.get("namespace", CONTROLLER_MANAGER_NAMESPACE) or ""
    if not namespace:
        raise InputError("namespace must not be empty (it is the controller-manager's namespace)")
    selectors = params.get("label_selectors", CONTROLLER_MANAGER_LABELS)
    if not selectors or not all(s and s.strip() for s in selectors):
        raise InputError("label_selectors must be a non-empty list of non-empty label selectors, got %r" % (selectors,))
    tail_lines = params.get("tail_lines")
    if tail_lines is not None and tail_lines < 0:
        raise InputError("tail_lines must be 0 or more, got %d" % tail_lines)
    max_samples = params.get("max_samples", MAX_SAMPLES)
    if max_samples < 1:
        raise InputError("max_samples must be at least 1, got %d" % max_samples)
    since = parse_datetime(params["since"], "since") if params.get("since") else None
    return {"namespace": namespace, "label_selectors": list(selectors), "container": params.get("container") or None,
            "since": since, "tail_lines": tail_lines, "max_samples": max_samples,
            "now": now or utcnow()}


def log_query(container, since, tail_lines):
    """The pods/log query of one container (``kubectl logs --since-time/--tail``, else the last hour)."""
    query = {"container": container}
    if since is not None:
        query["sinceTime"] = format_rfc3339(since)
    if tail_lines is not None:
        query["tailLines"] = tail_lines
    if since is None and tail_lines is None:
        query["sinceSeconds"] = DEFAULT_WINDOW_SECONDS
    return query


def find_pods(client, namespace, selectors):
    """(selector, pods by name) for the first selector that matches any pod; (None, []) if none does."""
    for selector in selectors:
        pods = list(client.list(pods_in(namespace), {"labelSelector": selector}))
        if pods:
            return selector, sorted(pods, key=lambda p: p["metadata"]["name"])
    return None, []


def observe(client, options):
    """Stream the log of every container of every matching pod through a LogScan.

    Returns the pod count, the selector that matched, the scan's details and the read errors
    ("container: reason", one per container that could not be read; the others are still scanned).
    """
    selector, pods = find_pods(client, options["namespace"], options["label_selectors"])
    scan = LogScan(now=options["now"], max_samples=options["max_samples"])
    read_errors = []
    for pod in pods:
        name = pod["metadata"]["name"]
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        if options["container"]:
            containers = [c for c in containers if c == options["container"]]
        before, errors = scan.lines, []
        for container in containers:
            query = log_query(container, options["since"], options["tail_lines"])
            try:
                scan.scan(client.stream_lines(pod_log(options["namespace"], name), query), name, container)
            except Exception as exc:  # pylint: disable=broad-except
                errors.append("%s: %s" % (container, map_exception(exc).reason))
        scan.add_pod(name, containers, scan.lines - before, "; ".join(errors) or None)
        read_errors.extend(errors)
    return {"selector": selector, "pod_count": len(pods), "scan": scan.details(), "read_errors": read_errors,
            "requests": client.requests}


def _window(options):
    since, tail_lines = options["since"], options["tail_lines"]
    return {"since": format_rfc3339(since) if since else None, "tail_lines": tail_lines,
            "since_seconds": None if since or tail_lines is not None else DEFAULT_WINDOW_SECONDS}


def assess(observation, options):
    """The ``controller_logs`` finding from what ``observe`` returned (pure).

    Nothing to read (no matching pod, no such container, every read failed) is ``unknown``: the
    logs were not seen, which says nothing about the sync.
    """
    scan = observation["scan"]
    if not observation["pod_count"]:
        return unknown(CHECK_ID, "no pod in namespace %s matches %s; set the controller-manager namespace and labels of "
                       "this install" % (options["namespace"], " or ".join(options["label_selectors"])))
    if options["container"] and not any(p["containers"] for p in scan["pods"]):
        return unknown(CHECK_ID, "no pod matching %s has a container named %s" % (observation["selector"], options["container"]))
    if observation["read_errors"] and not scan["lines_scanned"]:
        return unknown(CHECK_ID, "could not read any controller-manager log: %s" % observation["read_errors"][0])
    details = dict(scan, namespace=options["namespace"], selector=observation["selector"],
                   requests=observation["requests"], window=_window(options))
    return log_finding(details, "%d pod(s) matching %s" % (observation["pod_count"], observation["selector"]))


def check(client, options):
    return assess(observe(client, options), options)


def rbac_result(result):
    """The module's ``rbac`` return value from its finding; NOTHING_READ when no log was read, with the reason
    (e.g. a 403 on pods/log), so the rbac check can say why it has no log to learn the identity from."""
    rbac = result.get("details", {}).get("rbac")
    if rbac:
        return rbac
    nothing = dict(NOTHING_READ)
    if result.get("error"):
        nothing["error"] = result["error"]
    return nothing
