# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recovery verification (mitigate.yml): after a fix, poll the evidence until it shows that binding
sync has recovered, or a timeout passes.

Recovery is judged from ``since``, the instant after the last change (the fix, the restart), with
the same code diagnose reads the evidence with, so "recovered" means what the diagnosis would say:

- **bindings**: every scheduled binding has a Work in the execution namespace of each target cluster
  (``_bindings``: target clusters, Karmada's Work names and permanent ids, one list of all Works).
  This is the state the SLO is about, so it must be measured and true.
- **events**: no ``SyncWorkFailed`` event last seen after ``since`` (``_events``: the event's last
  time, and ``FailureSummary``, which leaves FederatedResourceQuota events out). client-go's recorder
  bumps ``count`` and ``lastTimestamp`` of an existing event when the failure repeats, so an old event
  that fails again counts. It must be measured and true.
- **metric**: the binding sync error counter (``_karmada.SYNC_WORK_COUNT`` with ``result="error"``) did
  not increase since ``since``. ``increase()`` looks back over ``max(metric_range, seconds since
  since)``; until that whole range lies after ``since`` the criterion is *waiting* (a range reaching
  back before the fix would count the errors the fix ended, and a fresh ``since`` has no scrape after
  it yet). ``increase()`` also absorbs the counter reset a controller-manager restart causes. Prometheus
  is optional: when it is not configured or cannot answer, the criterion is ``ok: None`` with the
  reason, and the other two decide.

``observe(kube, prometheus, options)`` is one poll (the I/O: two binding lists, a Work list only while
some binding is not fully applied, one field-selected event list, one PromQL query);
``assess(observation, since, now)`` is the pure judgement; ``verify(kube, prometheus, options, clock,
sleep)`` polls every ``interval`` until recovered or ``timeout`` and returns the ``verification``
section of report.json (``docs/report-schema.md``, ``mitigation.verification``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.karmada.runbooks.plugins.module_utils import _bindings
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import (
    VERIFY_INTERVAL,
    VERIFY_METRIC_RANGE,
    VERIFY_TIMEOUT,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._events import (
    FailureSummary,
    event_time,
    field_selector,
    object_ref,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    EVENTS,
    SYNC_RESULT_ERROR,
    SYNC_RESULT_LABEL,
    SYNC_WORK_COUNT,
    SYNC_WORK_FAILED,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime

MAX_SAMPLES = 5
MAX_SAMPLE_CHARS = 300
NO_PROMETHEUS = "no Prometheus URL configured"


class Missing:
    """Stands in for a client that could not be built: every read raises CheckUnavailable(reason).

    The reason then reaches the criteria through the same path as a server that stops answering.
    """

    requests = 0

    def __init__(self, reason):
        self.reason = reason

    def list(self, path, query=None):
        raise CheckUnavailable(self.reason)

    def vector(self, expr, at=None):
        raise CheckUnavailable(self.reason)


# -- options ---------------------------------------------------------------------------------------

def options_from_params(params, check_mode=False):
    """Validated options; InputError names the offending option.

    In check mode verification makes one poll and does not wait: nothing was changed to wait for.
    """
    since = parse_datetime(params.get("since"), "since")
    timeout = _whole(params, "timeout", VERIFY_TIMEOUT, minimum=0, meaning="0 (one poll) or more seconds")
    interval = _whole(params, "interval", VERIFY_INTERVAL, minimum=1, meaning="at least 1 second")
    metric_range = _whole(params, "metric_range", VERIFY_METRIC_RANGE, minimum=1, meaning="at least 1 second")
    return {"since": since, "timeout": timeout, "interval": interval, "metric_range": metric_range,
            "max_polls": 1 if check_mode else None}


def _whole(params, option, default, minimum, meaning):
    value = params.get(option)
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError("%s must be %s, got %r" % (option, meaning, value))
    return value


# -- the metric ------------------------------------------------------------------------------------

def metric_range_seconds(since, now, minimum):
    """The increase() range: from ``since`` to ``now`` in whole seconds, never below ``minimum``."""
    return max(int(minimum), int(now - _epoch(since)))


def error_increase_query(range_seconds):
    """How much the binding sync error counter rose over the last ``range_seconds``.

    The ``or ... * 0`` arm answers 0 while the controller's sync counter is scraped but has no error
    series (a fresh controller-manager exports ``result="error"`` only after its first failure), so an
    empty answer means the counter is not there at all, not that nothing failed.
    """
    errors = '%s{%s="%s"}' % (SYNC_WORK_COUNT, SYNC_RESULT_LABEL, SYNC_RESULT_ERROR)
    return "sum(increase(%s[%ds])) or sum(increase(%s[%ds])) * 0" % (errors, range_seconds, SYNC_WORK_COUNT,
                                                                     range_seconds)


# -- observe ---------------------------------------------------------------------------------------

def observe(kube, prometheus, options, now=None):
    """One poll: the bindings and Works, the failure events after ``since``, the error counter's increase.

    Each source fails on its own: its error is recorded and the others are still read.
    ``prometheus`` may be a ``Missing`` (no URL, invalid settings). ``now`` (epoch seconds) is when the
    increase is evaluated.
    """
    now = time.time() if now is None else now
    since = options["since"]
    kube, prometheus = _sources(kube, prometheus)
    kube_before, prometheus_before = _requests(kube), _requests(prometheus)
    observation = {"at": now, "bindings": None, "works": None, "bindings_error": None,
                   "events": None, "events_error": None}
    try:
        listed = _bindings.observe(kube)
        observation["bindings"], observation["works"] = listed["bindings"], listed["works"]
    except Exception as exc:  # pylint: disable=broad-except
        observation["bindings_error"] = map_exception(exc).reason
    try:
        observation["events"] = _new_failures(kube, since)
    except Exception as exc:  # pylint: disable=broad-except
        observation["events_error"] = map_exception(exc).reason
    range_seconds = metric_range_seconds(since, now, options["metric_range"])
    metric = {"query": error_increase_query(range_seconds), "range_seconds": range_seconds, "at": now,
              "increase": None, "series": False, "error": None}
    try:
        samples = prometheus.vector(metric["query"], now)
        metric["series"] = bool(samples)
        # Extrapolated, so rarely whole; three decimals are plenty to tell a rise from none.
        metric["increase"] = round(samples[0].value, 3) if samples and samples[0].value is not None else None
    except Exception as exc:  # pylint: disable=broad-except
        metric["error"] = map_exception(exc).reason
    observation["metric"] = metric
    observation["requests"] = {"karmada_apiserver": _requests(kube) - kube_before,
                               "prometheus": _requests(prometheus) - prometheus_before}
    return observation


def _new_failures(kube, since):
    """SyncWorkFailed events last seen after ``since``, summarized as the sync_failure_events check does.

    Strictly after: event times have whole seconds, so an event stamped with ``since``'s own second
    may well be from before the fix, and it would stay "new" for the whole verification. A failure
    that really continues repeats, and the bindings and the counter show it too.
    """
    summary = FailureSummary(max_failures=MAX_SAMPLES)
    before = undated = 0
    for event in kube.list(EVENTS, {"fieldSelector": field_selector(SYNC_WORK_FAILED)}):
        moment = event_time(event)
        if moment is None:
            undated += 1
        elif moment <= since:
            before += 1
        else:
            summary.add(event)
    details = summary.details("all")
    return {"total": details["total"], "bindings": details["binding_count"], "failures": details["failures"],
            "excluded_federated_resource_quota": details["excluded_federated_resource_quota"],
            "before_since": before, "undated": undated}


def _sources(kube, prometheus):
    """None stands for a client that is not there."""
    return (Missing("no Karmada API server client") if kube is None else kube,
            Missing(NO_PROMETHEUS) if prometheus is None else prometheus)


def _requests(client):
    return getattr(client, "requests", 0) or 0


# -- assess ----------------------------------------------------------------------------------------

def assess(observation, since, now):
    """{criteria, recovered, reason} from one poll (pure).

    Recovered when the bindings and the events were read and are clean, and the metric is clean or
    could not be measured. The metric can only be clean once its range lies wholly after ``since``.
    """
    since = _datetime(since)
    criteria = {"bindings": _bindings_criterion(observation),
                "events": _events_criterion(observation),
                "metric": _metric_criterion(observation, since, now)}
    recovered = (criteria["bindings"]["ok"] is True and criteria["events"]["ok"] is True
                 and criteria["metric"]["ok"] is not False)
    return {"criteria": criteria, "recovered": recovered, "reason": _reason(criteria, recovered, since)}


def _bindings_criterion(observation):
    if observation["bindings"] is None:
        return {"ok": None, "scheduled": None, "without_works": None, "not_fully_applied": None, "samples": [],
                "error": observation["bindings_error"]}
    summary = _bindings.summarize(observation["bindings"], observation["works"])
    lacking = [item for item in summary["not_fully_applied"] if item["clusters_without_work"]]
    samples = [{"binding": "%s/%s" % (item["namespace"], item["name"]) if item["namespace"] else item["name"],
                "clusters_without_work": list(item["clusters_without_work"])} for item in lacking[:MAX_SAMPLES]]
    return {"ok": summary["without_work_total"] == 0, "scheduled": summary["scheduled"],
            "without_works": summary["without_work_total"], "not_fully_applied": summary["not_fully_applied_total"],
            "samples": samples, "error": None}


def _events_criterion(observation):
    events = observation["events"]
    if events is None:
        return {"ok": None, "new_failures": None, "bindings": None, "samples": [], "error": observation["events_error"]}
    samples = []
    for failure in events["failures"]:
        message = failure["message"]
        if len(message) > MAX_SAMPLE_CHARS:
            message = message[:MAX_SAMPLE_CHARS] + "..."
        samples.append("%s %s at %s: %s" % (failure["kind"], object_ref(failure), failure["last"] or "?", message))
    return {"ok": events["total"] == 0, "new_failures": events["total"], "bindings": events["bindings"],
            "samples": samples, "error": None}


def _metric_criterion(observation, since, now):
    metric = observation["metric"]
    at = metric.get("at", now)
    result = {"ok": None, "increase": metric["increase"], "range_seconds": metric["range_seconds"],
              "query": metric["query"], "waiting": False, "error": metric["error"]}
    if metric["error"]:
        return result
    # Until the range starts after since, a rise may be the errors the fix ended, and no rise (or no
    # data) may just mean nothing was scraped after the fix yet: none of them is an answer.
    if at - metric["range_seconds"] < _epoch(since):
        result.update(ok=False, waiting=True)
        return result
    if not metric["series"] or metric["increase"] is None:
        # increase() needs two samples of a series inside the range.
        result["error"] = ("no data: Prometheus has no %s series with two samples in the last %d s; is "
                           "karmada-controller-manager scraped, at least twice in that time?"
                           % (SYNC_WORK_COUNT, metric["range_seconds"]))
        return result
    result["ok"] = metric["increase"] <= 0
    return result


def _sentence(text):
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _reason(criteria, recovered, since):
    bindings, events, metric = criteria["bindings"], criteria["events"], criteria["metric"]
    when = format_rfc3339(since)
    if recovered:
        text = "all %d scheduled bindings have their Works and no SyncWorkFailed event came after %s" % (
            bindings["scheduled"], when)
        if metric["ok"]:
            text += "; the binding sync error counter did not rise over the %d s since" % metric["range_seconds"]
        else:
            text += "; the binding sync error counter was not checked (%s)" % metric["error"]
        return text
    problems = []
    if bindings["ok"] is None:
        problems.append("the bindings could not be read (%s)" % bindings["error"])
    elif not bindings["ok"]:
        problems.append("%d of %d scheduled bindings lack Works (%s)" % (
            bindings["without_works"], bindings["scheduled"], ", ".join(
                "%s on %s" % (s["binding"], ", ".join(s["clusters_without_work"])) for s in bindings["samples"][:3])))
    if events["ok"] is None:
        problems.append("the SyncWorkFailed events could not be read (%s)" % events["error"])
    elif not events["ok"]:
        problems.append("%d SyncWorkFailed event(s) on %d binding(s) after %s" % (
            events["new_failures"], events["bindings"], when))
    if metric["waiting"]:
        problems.append("the error counter is not judged before %d s have passed since %s" % (
            metric["range_seconds"], when))
    elif metric["ok"] is False:
        problems.append("the binding sync error counter rose by %s over the last %d s" % (
            _number(metric["increase"]), metric["range_seconds"]))
    elif metric["ok"] is None:
        problems.append("the error counter was not checked (%s)" % metric["error"])
    return "; ".join(problems)


def _number(value):
    return ("%.1f" % value).rstrip("0").rstrip(".") if value is not None else "?"


# -- verify ----------------------------------------------------------------------------------------

def verify(kube, prometheus, options, clock=time.time, sleep=time.sleep):
    """Poll every ``interval`` seconds until recovered or ``timeout``; the report's verification dict.

    The first poll is immediate and the last one falls on the deadline, so ``timeout`` is how long the
    evidence is given to clear. ``options`` come from ``options_from_params``; ``clock`` returns epoch
    seconds and ``sleep`` waits (both injectable for tests). A Kubernetes client that could not be built
    (``Missing``) gets one poll: its settings will not change while we wait.
    """
    kube, prometheus = _sources(kube, prometheus)
    since = options["since"]
    started = clock()
    deadline = started + options["timeout"]
    polls = 0
    polling = 0.0
    requests = {"karmada_apiserver": 0, "prometheus": 0}
    while True:
        poll_started = clock()
        observation = observe(kube, prometheus, options, now=poll_started)
        polls += 1
        for source, count in observation["requests"].items():
            requests[source] += count
        result = assess(observation, since, clock())
        polling += clock() - poll_started
        if result["recovered"] or isinstance(kube, Missing) or polls == options.get("max_polls"):
            break
        now = clock()
        if now >= deadline:
            break
        sleep(max(0.0, min(poll_started + options["interval"], deadline) - now))
    finished = clock()
    elapsed = finished - started
    # The elapsed time and the polls have fields of their own (and the report's headline); the reason is the evidence.
    if result["recovered"]:
        reason = _sentence(result["reason"])
    elif polls == options.get("max_polls"):
        reason = "Not recovered at the one poll check mode makes: %s." % result["reason"]
    elif isinstance(kube, Missing):
        reason = "Not recovered: the Karmada API server cannot be read (%s)." % kube.reason
    else:
        reason = _sentence(result["reason"])
    return {"recovered": result["recovered"], "status": "recovered" if result["recovered"] else "not_recovered",
            "started_at": format_rfc3339(started), "finished_at": format_rfc3339(finished),
            "elapsed_seconds": round(elapsed, 1), "timeout_seconds": options["timeout"],
            "interval_seconds": options["interval"], "polls": polls, "requests": requests,
            "poll_seconds": round(polling / polls, 3),
            "since": format_rfc3339(since), "criteria": result["criteria"], "reason": reason}


def _datetime(value):
    return parse_datetime(value, "since", allow_epoch=True)


def _epoch(value):
    return value if isinstance(value, (int, float)) else _datetime(value).timestamp()
