# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook steps 7 and 8: the binding controllers' sync error rate and their workqueues.

Each check is ``observe_*(client, options)`` (the PromQL of the runbook, per controller) and
``assess_*(observation, options)`` (pure: status, summary, evidence, signals).

The error rate is a symptom: it shows *that* Work creation fails, not why, so its finding carries
no signals. The workqueue can point at ``workqueue_stuck`` only weakly: a deep queue that does not
drain, or retries that dominate adds, is what a stuck queue looks like, but also what any
persistent failure looks like until its cause is fixed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.karmada.runbooks.plugins.module_utils import _burnrate as br
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import BINDING_CONTROLLERS
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import SYNC_WORK_COUNT as SYNC_METRIC
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import NoData
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_duration, parse_epoch

CHECKS = ("error_rate", "workqueue")
ERROR_RATE_ID = "binding_sync_error_rate"
WORKQUEUE_ID = "workqueue"
DEFAULT_RATE_WINDOW = "5m"
# Failed items wait up to 1000 s (~17 min, the controller's default max backoff) before a retry;
# an hour covers several such retries, so "retries in the last hour but none now" means the
# failures stopped or their items are parked in backoff.
RECENT_WINDOW = "1h"
_CONTROLLER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
STRENGTH_NOT_DRAINING = 0.4
STRENGTH_RETRIES_DOMINATE = 0.3


def options_from_params(params, now=None):
    """Validated options; InputError names the offending option."""
    check = params.get("check")
    if check not in CHECKS:
        raise InputError("check: must be one of %s, got %r" % (", ".join(CHECKS), check))
    window = params.get("rate_window") or DEFAULT_RATE_WINDOW
    try:
        window_seconds = parse_duration(window, "rate_window")
    except ValueError as exc:
        raise InputError("rate_window: %s" % exc) from None
    if window_seconds < 60:
        # rate() needs at least two samples; below a minute most scrape intervals give fewer.
        raise InputError("rate_window: must be at least 1m, got %s" % window)
    controllers = [str(c).strip() for c in params.get("controllers") or BINDING_CONTROLLERS]
    for name in controllers:
        if not _CONTROLLER_NAME.match(name):
            raise InputError("controllers: %r is not a controller (workqueue) name such as binding-controller" % name)
    try:
        at = parse_epoch(params.get("time"), "time")
    except ValueError as exc:
        raise InputError(str(exc)) from None
    try:
        br.error_budget(params.get("objective"))
    except (TypeError, ValueError) as exc:
        raise InputError("objective: %s" % exc) from None
    depth = params.get("depth_threshold")
    if depth is None or depth < 1:
        raise InputError("depth_threshold: must be at least 1, got %r" % (depth,))
    ratio = params.get("retry_ratio_threshold")
    if ratio is None or not 0 < ratio <= 1:
        raise InputError("retry_ratio_threshold: must be above 0 and at most 1, got %r" % (ratio,))
    return {"check": check, "rate_window": window, "controllers": controllers, "objective": float(params["objective"]),
            "depth_threshold": depth, "retry_ratio_threshold": ratio,
            "time": time.time() if at is None else at}


# -- step 7: error rate ----------------------------------------------------------------------------

def error_rate_query(window):
    """The runbook's step 7 query."""
    return "sum by (result) (rate(%s[%s]))" % (SYNC_METRIC, window)


def observe_error_rate(client, options):
    query = error_rate_query(options["rate_window"])
    samples = client.vector(query, options["time"])
    if not samples:
        raise NoData("no %s series: is karmada-controller-manager scraped, and has it synced a binding since it "
                     "started?" % SYNC_METRIC)
    rates = {}
    for sample in samples:
        result = sample.metric.get("result", "unknown")
        rates[result] = rates.get(result, 0.0) + (sample.value or 0.0)
    return {"query": query, "rates": rates}


def _per_minute(rate):
    return "%s/min" % br.format_number(rate * 60.0) if rate else "0/min"


def assess_error_rate(observation, options):
    rates = observation["rates"]
    errors, successes = rates.get("error", 0.0), rates.get("success", 0.0)
    total = sum(rates.values())
    budget = br.error_budget(options["objective"])
    # Above the fast page condition's factor (14.4 for 30 days) these errors alone would page.
    page_factor = br.burn_factor(br.GOOGLE_30D[0])
    window = options["rate_window"]
    ratio = errors / total if total > 0 else None
    burn = br.burn_rate(ratio, budget)
    if total <= 0:
        status = "ok"
        summary = "No binding syncs in the last %s: nothing failed, but nothing was synced either." % window
    elif errors <= 0:
        status = "ok"
        summary = "Binding syncs over %s: %s, none failing." % (window, _per_minute(successes))
    else:
        status = "fail" if burn >= page_factor else "warn"
        summary = ("Binding syncs over %s: %s failing, %s succeeding: error ratio %s, %s the %s error budget%s."
                   % (window, _per_minute(errors), _per_minute(successes), br.format_percent(ratio),
                      br.format_burn(burn), br.format_percent(budget),
                      " (page level)" if status == "fail" else ""))
    items = [evidence("metric", 'rate(%s{result="%s"}[%s]) = %s/s' % (SYNC_METRIC, result, window, br.format_number(value)))
             for result, value in sorted(rates.items())]
    details = {"query": observation["query"], "window": window, "time": format_rfc3339(options["time"]),
               "rates": {k: br.round_significant(v) for k, v in rates.items()},
               "error_ratio": br.round_significant(ratio), "burn_rate": br.round_significant(burn),
               "page_burn_factor": br.round_significant(page_factor)}
    return finding(ERROR_RATE_ID, status, summary, details=details, evidence_items=items)


# -- step 8: workqueue -----------------------------------------------------------------------------

def workqueue_queries(controllers, window):
    """The runbook's step 8 queries, summed per controller (a queue is per leader pod)."""
    # Names are checked against _CONTROLLER_NAME, so a dot is the only regex character to escape
    # (as \\. inside the PromQL string, which the regex sees as \.).
    selector = '{name=~"%s"}' % "|".join(c.replace(".", "\\\\.") for c in controllers)
    return {
        "depth": "sum by (name) (workqueue_depth%s)" % selector,
        "depth_before": "sum by (name) (workqueue_depth%s offset %s)" % (selector, window),
        "adds": "sum by (name) (rate(workqueue_adds_total%s[%s]))" % (selector, window),
        "retries": "sum by (name) (rate(workqueue_retries_total%s[%s]))" % (selector, window),
        "recent_retries": "sum by (name) (increase(workqueue_retries_total%s[%s]))" % (selector, RECENT_WINDOW),
    }


def observe_workqueue(client, options):
    queries = workqueue_queries(options["controllers"], options["rate_window"])
    values = {}
    for key, query in queries.items():
        values[key] = {s.metric.get("name", ""): s.value for s in client.vector(query, options["time"])}
    if not values["depth"] and not values["adds"]:
        raise NoData("no workqueue metrics for %s: is karmada-controller-manager scraped, and are the controller "
                     "names right?" % ", ".join(options["controllers"]))
    values["queries"] = queries
    return values


def _controller_state(name, observation, options):
    depth = _count(observation["depth"].get(name))
    before = _count(observation["depth_before"].get(name))
    adds = observation["adds"].get(name)
    retries = observation["retries"].get(name)
    ratio = retries / adds if adds and retries is not None else None
    deep = depth is not None and depth >= options["depth_threshold"]
    draining = depth is not None and before is not None and depth < before
    return {
        "name": name, "depth": depth, "depth_before": before, "adds": adds, "retries": retries, "ratio": ratio,
        "recent_retries": observation["recent_retries"].get(name),
        "deep": deep, "stuck": deep and not draining,
        "retries_dominate": ratio is not None and retries > 0 and ratio >= options["retry_ratio_threshold"],
    }


def _describe(state, window):
    if state["depth"] is None and state["adds"] is None:
        return "%s: no metrics" % state["name"]
    parts = ["depth %s" % ("n/a" if state["depth"] is None else "%d" % state["depth"])]
    if state["deep"]:
        parts[0] += " (%s)" % ("not draining" if state["stuck"] else "draining")
    if state["ratio"]:
        parts.append("retries %s of adds over %s" % (br.format_percent(state["ratio"]), window))
    elif state["adds"]:
        parts.append("no retries over %s" % window)
    else:
        parts.append("idle over %s" % window)
    return "%s: %s" % (state["name"], ", ".join(parts))


def assess_workqueue(observation, options):
    window = options["rate_window"]
    states = [_controller_state(name, observation, options) for name in options["controllers"]]
    stuck = [s for s in states if s["stuck"]]
    draining = [s for s in states if s["deep"] and not s["stuck"]]
    retrying = [s for s in states if s["retries_dominate"]]
    parked = [s for s in states if (s["recent_retries"] or 0) >= 1 and not s["retries"]]

    sentences = ["; ".join(_describe(s, window) for s in states) + "."]
    if stuck:
        sentences.append("Not draining: %s hold(s) %d+ items that the workers do not get through."
                         % (", ".join(s["name"] for s in stuck), options["depth_threshold"]))
    if retrying:
        sentences.append("Retries dominate adds for %s: bindings keep failing and are re-queued with backoff."
                         % ", ".join(s["name"] for s in retrying))
    if parked:
        sentences.append("%s retried in the last %s but not in the last %s: failed bindings may still wait out a "
                         "backoff of up to ~17 min, which workqueue_depth does not count (see binding_status)."
                         % (", ".join(s["name"] for s in parked), RECENT_WINDOW, window))
    if not (stuck or retrying or parked or draining):
        sentences.append("Queues are short and retries rare.")

    status = "fail" if stuck else ("warn" if draining or retrying or parked else "ok")
    signals = []
    if stuck or retrying:
        reasons = []
        if stuck:
            reasons.append("queue not draining (%s)" % ", ".join(s["name"] for s in stuck))
        if retrying:
            reasons.append("retries dominate adds (%s)" % ", ".join(s["name"] for s in retrying))
        signals.append(signal("workqueue_stuck", STRENGTH_NOT_DRAINING if stuck else STRENGTH_RETRIES_DOMINATE,
                              "; ".join(reasons), evidence_items=_evidence(stuck + retrying, window)))
    details = {
        "depth": _by_controller(states, "depth", int),
        "depth_before": _by_controller(states, "depth_before", int),
        "retry_ratio": _by_controller(states, "ratio"),
        "adds_per_second": _by_controller(states, "adds"),
        "retries_per_second": _by_controller(states, "retries"),
        "retries_last_hour": _by_controller(states, "recent_retries"),
        "missing": [s["name"] for s in states if s["depth"] is None and s["adds"] is None],
        "window": window, "time": format_rfc3339(options["time"]),
        "thresholds": {"depth": options["depth_threshold"], "retry_ratio": options["retry_ratio_threshold"]},
        "queries": observation["queries"],
    }
    return finding(WORKQUEUE_ID, status, " ".join(sentences), details=details,
                   evidence_items=_evidence(states, window), signals=signals)


def _by_controller(states, key, convert=None):
    """{controller: value} of one measurement, leaving out controllers without it."""
    convert = convert or br.round_significant
    return {s["name"]: convert(s[key]) for s in states if s[key] is not None}


def _evidence(states, window):
    items = []
    for state in states:
        if state["depth"] is not None:
            items.append(evidence("metric", "workqueue_depth{name=\"%s\"} = %d (%s ago: %s)" % (
                state["name"], state["depth"], window,
                "n/a" if state["depth_before"] is None else "%d" % state["depth_before"])))
        if state["ratio"] is not None:
            items.append(evidence("metric", "retries/adds{name=\"%s\"} over %s = %s" % (
                state["name"], window, br.format_percent(state["ratio"]))))
    return items


def _count(value):
    """A gauge of items (summed over pods) as an int; None stays None."""
    return None if value is None else int(round(value))


def check(client, options):
    if options["check"] == "error_rate":
        return assess_error_rate(observe_error_rate(client, options), options)
    return assess_workqueue(observe_workqueue(client, options), options)


def check_id(options):
    return ERROR_RATE_ID if options["check"] == "error_rate" else WORKQUEUE_ID
