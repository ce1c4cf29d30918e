"""The metrics a scenario's past would have produced, for Prometheus to backfill.

The live controllers cannot have run for hours before a test starts, so the scenario's history is
computed: background syncs at the churn rate all along, and for the failing period one retry per
failing binding per backoff cap (the steady state of the per-item exponential backoff). The live
counters then continue from the history's last values, so rate() sees one unbroken series.
"""

from __future__ import annotations

import math
import time

from ..metrics import Registry
from .controller_manager import new_registry

STEP_SECONDS = 15
ERROR_DURATION, SUCCESS_DURATION = 0.003, 0.008


def new_apiserver_registry():
    registry = Registry()
    registry.requests = registry.counter(
        "apiserver_request_total",
        "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, "
        "component, and HTTP response code.",
        ("code", "component", "dry_run", "group", "resource", "scope", "subresource", "verb", "version"))
    return registry


def request_labels(verb, rtype, code, scope, subresource=""):
    return {"code": str(code), "component": "apiserver", "dry_run": "", "group": rtype.group if rtype else "",
            "resource": rtype.plural if rtype else "", "scope": scope, "subresource": subresource,
            "verb": verb, "version": rtype.version if rtype else ""}


class History:
    def __init__(self, scenario, failing_bindings, backoff_cap, now=None):
        history = scenario["history"]
        self.end = (now or time.time()) - 5
        self.start = self.end - history["minutes"] * 60
        resolved = history["resolved_minutes_ago"] * 60 if scenario["faults"]["resolved"] else 0
        self.fail_from = self.end - history["failing_minutes"] * 60 if failing_bindings else self.end
        self.fail_until = self.end - resolved
        self.error_rate = failing_bindings / max(backoff_cap, 1.0)
        self.success_rate = history["churn_per_minute"] / 60.0
        faults = scenario["faults"]
        if not faults["webhook_available"]:
            self.write_error_code = 500
        elif faults["apiserver_error"]:
            self.write_error_code = faults["apiserver_error"]["code"]
        else:
            self.write_error_code = None

    def _totals(self, moment):
        """Cumulative (errors, successes) at a moment."""
        failing = max(0.0, min(moment, self.fail_until) - self.fail_from)
        errors = math.floor(failing * self.error_rate)
        successes = math.floor((moment - self.start) * self.success_rate)
        return errors, successes

    def _fill(self, registry, apiserver, moment):
        errors, successes = self._totals(moment)
        buckets = registry.sync_work.buckets
        registry.sync_work.set_initial([errors if b >= ERROR_DURATION else 0 for b in buckets], errors,
                                       errors * ERROR_DURATION, result="error")
        registry.sync_work.set_initial([successes if b >= SUCCESS_DURATION else 0 for b in buckets], successes,
                                       successes * SUCCESS_DURATION, result="success")
        name = "binding-controller"
        registry.adds.set_initial(errors + successes, controller=name, name=name)
        registry.retries.set_initial(errors, controller=name, name=name)
        registry.reconciles.set_initial(successes, controller=name, result="success")
        registry.reconciles.set_initial(errors, controller=name, result="error")
        registry.reconcile_errors.set_initial(errors, controller=name)
        # The queue drains between scrapes; its depth series exist for the priorities seen: the initial
        # list (-100, kept by its retries) and, once users changed workloads, real changes (0).
        registry.depth.set(0, controller=name, name=name, priority="-100")
        if successes:
            registry.depth.set(0, controller=name, name=name, priority="0")
        elapsed = moment - self.start
        from ..resources import NAMESPACE, WORK
        apiserver.requests.set_initial(math.floor(elapsed * 2), **request_labels("LIST", WORK, 200, "cluster"))
        apiserver.requests.set_initial(math.floor(elapsed * 1), **request_labels("GET", NAMESPACE, 200, "resource"))
        apiserver.requests.set_initial(successes, **request_labels("PUT", WORK, 200, "resource"))
        if self.write_error_code:
            apiserver.requests.set_initial(errors, **request_labels("POST", WORK, self.write_error_code,
                                                                    "resource"))

    def preload(self, registry, apiserver):
        """Start the live counters where the history ends (adding what the live run already counted)."""
        past, past_apiserver = new_registry(), new_apiserver_registry()
        self._fill(past, past_apiserver, self.end)
        for live, old in ((registry, past), (apiserver, past_apiserver)):
            for live_family, old_family in zip(live.families, old.families):
                _add_family(live_family, old_family)

    def openmetrics(self):
        """The whole history as OpenMetrics text, families grouped, series in time order."""
        registry, apiserver = new_registry(), new_apiserver_registry()
        headers, series = {}, {}
        moment = self.start
        while moment <= self.end:
            self._fill(registry, apiserver, moment)
            for source in (registry, apiserver):
                family_headers, samples = source.openmetrics_samples(moment)
                headers.update(family_headers)
                for base, line in samples:
                    key = line.rsplit(" ", 2)[0]
                    series.setdefault(base, {}).setdefault(key, []).append(line)
            moment += STEP_SECONDS
        out = []
        for base, lines in headers.items():
            if base not in series:
                continue
            out.extend(lines)
            for key in series[base]:
                out.extend(series[base][key])
        out.append("# EOF")
        return "\n".join(out) + "\n"


def _add_family(live, old):
    if hasattr(live, "merge"):
        live.merge(old)
