# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook step 1: how fast the binding-sync SLO burns its error budget, and who else is burning.

``observe(client, options)`` asks Prometheus (Sloth's recording rules when they are there, else the
raw ``binding_sync_work_duration_seconds_count`` through the SLO's own error and total queries);
``assess(observation, options)`` turns that into the ``slo_burn_rate`` finding with plain
arithmetic from ``_burnrate``. The split keeps the judgement unit-testable without a server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from urllib.parse import quote, urlencode

from ansible_collections.karmada.runbooks.plugins.module_utils import _burnrate as br
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import SYNC_WORK_COUNT
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import NoData, range_step, validate_url
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, unknown
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_duration, parse_epoch

CHECK_ID = "slo_burn_rate"
DEFAULT_SERVICE = "karmada"
DEFAULT_SLO = "binding-sync-work-availability"
SOURCES = ("auto", "sloth", "raw")
DEFAULT_WINDOW = 3600
DEFAULT_SERIES_POINTS = 120
MAX_SERIES_POINTS = 11000           # Prometheus refuses range queries with more points per series
MAX_FLEET = 20
# Grafana links show at least this much history, so the onset before a short window is visible.
LINK_MIN_RANGE = 6 * 3600

SLI_RECORD = "slo:sli_error:ratio_rate"
RAW_METRIC = SYNC_WORK_COUNT
# The raw counter has no notion of a period: it is asked for the default (30 d) one.
ALL_WINDOWS = br.SLI_WINDOWS + (br.PERIOD,)
# Sloth's recordings may hold either period: 30d (google-30d) or 4w (google-28d).
SLOTH_WINDOWS = br.SLI_WINDOWS + br.PERIODS


def promql_string(value):
    """A PromQL double-quoted string literal."""
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def matchers(labels):
    return ", ".join("%s=%s" % (name, promql_string(labels[name])) for name in sorted(labels))


def slo_labels(service, slo):
    return {"sloth_service": service, "sloth_slo": slo}


def _selector(options):
    return matchers(slo_labels(options["service"], options["slo"]))


def sloth_query(service, slo):
    """One query for every Sloth series step 1 needs: the SLI ratios of all windows and the metadata."""
    names = "%s.+|slo:objective:ratio|slo:period_error_budget_remaining:ratio" % SLI_RECORD
    return '{__name__=~"%s", %s}' % (names, matchers(slo_labels(service, slo)))


def raw_sli_expr(window, metric=RAW_METRIC):
    """The SLO's error ratio over ``window`` from the raw counter, as Karmada's Sloth spec defines it.

    The ``or ... * 0`` and ``or ... + 1`` arms keep the ratio at 0 (rather than absent) while there
    are syncs but no errors, exactly as the recorded SLI behaves, so both sources agree.
    """
    errors = ('(sum(rate({m}{{result="error"}}[{w}])) or sum(rate({m}[{w}])) * 0)'.format(m=metric, w=window))
    total = ("(clamp_min(sum(rate({m}[{w}])), 0.000001) or (0 * ({m})) + 1)".format(m=metric, w=window))
    return "%s / %s" % (errors, total)


def alerts_query(service, slo):
    return 'ALERTS{alertstate="firing", %s}' % matchers(slo_labels(service, slo))


# -- options ---------------------------------------------------------------------------------------

def options_from_params(params, now=None):
    """Validated step-1 options from module params; InputError names the offending option."""
    now = time.time() if now is None else now
    try:
        end = parse_epoch(params.get("window_end"), "window_end")
        start = parse_epoch(params.get("window_start"), "window_start")
    except ValueError as exc:
        raise InputError(str(exc)) from None
    end = now if end is None else end
    start = end - DEFAULT_WINDOW if start is None else start
    if start >= end:
        raise InputError("window_start: %s is not before window_end %s" % (format_rfc3339(start), format_rfc3339(end)))
    for option in ("service", "slo"):
        if not (params.get(option) or "").strip():
            raise InputError("%s: must not be empty" % option)
    objective = params.get("objective")
    try:
        br.error_budget(objective)
    except (TypeError, ValueError) as exc:
        raise InputError("objective: %s" % exc) from None
    source = params.get("source") or "auto"
    if source not in SOURCES:
        raise InputError("source: must be one of %s, got %r" % (", ".join(SOURCES), source))
    points = params.get("series_points")
    points = DEFAULT_SERIES_POINTS if points is None else points
    if not 0 <= points <= MAX_SERIES_POINTS:
        raise InputError("series_points: must be between 0 (no series) and %d, got %r" % (MAX_SERIES_POINTS, points))
    grafana = (params.get("grafana_url") or "").strip()
    if grafana:
        grafana = validate_url(grafana, "grafana_url")
    uids = {}
    for option in ("grafana_detail_uid", "grafana_overview_uid"):
        uids[option] = (params.get(option) or "").strip()
        if grafana and not uids[option]:
            raise InputError("%s: must not be empty when grafana_url is set" % option)
    return {"service": params["service"].strip(), "slo": params["slo"].strip(), "objective": float(objective),
            "source": source, "start": start, "end": end, "series_points": points, "grafana_url": grafana,
            "detail_uid": uids["grafana_detail_uid"], "overview_uid": uids["grafana_overview_uid"]}


# -- observing -------------------------------------------------------------------------------------

def _observe_sloth(client, options):
    """Sloth's view, or None when none of its SLI series exist for the SLO."""
    samples = client.vector(sloth_query(options["service"], options["slo"]), options["end"])
    ratios, objective, remaining = {}, None, None
    for sample in samples:
        name = sample.metric.get("__name__", "")
        if name.startswith(SLI_RECORD):
            ratios[sample.metric.get("sloth_window") or name[len(SLI_RECORD):]] = sample.value
        elif name == "slo:objective:ratio" and sample.value:
            objective = br.objective_from_ratio(sample.value)
        elif name == "slo:period_error_budget_remaining:ratio":
            remaining = sample.value
    if not ratios:
        return None
    # Which period Sloth was run with shows in which period series it recorded (30d or 4w).
    return {"source": "sloth", "error_ratios": ratios, "objective": objective, "budget_remaining": remaining,
            "period": br.detect_period(ratios)}


def _observe_raw(client, options):
    ratios = {}
    for window in ALL_WINDOWS:
        samples = client.vector(raw_sli_expr(window), options["end"])
        ratios[window] = samples[0].value if len(samples) == 1 else None
    if all(value is None for value in ratios.values()):
        raise NoData("no Sloth series for %s and no %s samples either: is karmada-controller-manager scraped?"
                     % (_selector(options), RAW_METRIC))
    # Sloth's 30d ratio averages its 5m ratios; this one weights by syncs. Close, not identical.
    return {"source": "raw", "error_ratios": ratios, "objective": None, "budget_remaining": None,
            "period": br.PERIOD}


def _observe_fleet(client, options):
    """Every SLO's current burn rate (Sloth's 5m burn): [{"service", "slo", "burn_rate"}]."""
    fleet = []
    for sample in client.vector("slo:current_burn_rate:ratio", options["end"]):
        if sample.value is None:
            continue
        fleet.append({"service": sample.metric.get("sloth_service", ""), "slo": sample.metric.get("sloth_slo", ""),
                      "burn_rate": sample.value})
    return fleet


def _observe_series(client, options, source):
    if not options["series_points"]:
        return None
    step = range_step(options["start"], options["end"], options["series_points"])
    if source == "sloth":
        expr = "%s5m{%s}" % (SLI_RECORD, _selector(options))
    else:
        expr = raw_sli_expr("5m")
    series = client.matrix(expr, options["start"], options["end"], step)
    return {"step": step, "error_ratio": series[0][1] if len(series) == 1 else []}


def observe(client, options):
    """Everything step 1 reads from Prometheus: one Sloth query (eight raw ones more without Sloth), the fleet's
    burn rates, the firing alerts and the chart series."""
    observation = None
    if options["source"] in ("auto", "sloth"):
        observation = _observe_sloth(client, options)
        if observation is None and options["source"] == "sloth":
            raise NoData("no Sloth series (%s*) for %s: are Sloth's recording rules loaded?" % (SLI_RECORD, _selector(options)))
    if observation is None:
        observation = _observe_raw(client, options)
    observation["fleet"] = _observe_fleet(client, options)
    observation["alerts_firing"] = sorted({
        sample.metric.get("sloth_severity", "") or "firing"
        for sample in client.vector(alerts_query(options["service"], options["slo"]), options["end"])})
    observation["series"] = _observe_series(client, options, observation["source"])
    return observation


# -- judging ---------------------------------------------------------------------------------------

def grafana_links(options):
    """Deep links to Sloth's dashboards (grafana.com 14348 detail, 14643 overview); {} without grafana_url."""
    base = options.get("grafana_url")
    if not base:
        return {}
    frm = int(min(options["start"], options["end"] - LINK_MIN_RANGE) * 1000)
    to = int(options["end"] * 1000)
    detail = urlencode([("var-service", options["service"]), ("var-slo", options["slo"]), ("from", frm), ("to", to)])
    return {"grafana_slo_detail": "%s/d/%s?%s" % (base, quote(options["detail_uid"], safe=""), detail),
            "grafana_slo_overview": "%s/d/%s?%s" % (base, quote(options["overview_uid"], safe=""),
                                                    urlencode([("from", frm), ("to", to)]))}


def _charts(series, budget):
    if series is None:
        return None
    points = [[int(t) if float(t).is_integer() else t, br.round_significant(v)] for t, v in series["error_ratio"]]
    return {"step_seconds": series["step"], "error_ratio": points,
            "burn_rate": [[t, br.round_significant(v / budget)] for t, v in points]}


def _lead(slo, verdict, conditions, burns, current_burn):
    """The summary's first sentence: which condition holds, in the terms the alert uses."""
    firing = [c for c in conditions if c["firing"] and c["severity"] == verdict]
    if firing:
        cond = firing[0]
        return ("%s: %s is burning its error budget %s too fast over %s (error ratio %s; %s over %s; "
                "%ss above %s)." % (verdict.upper(), slo, br.format_burn(burns[cond["long"]]), cond["long"],
                                    br.format_percent(cond["long_ratio"]), br.format_burn(burns[cond["short"]]),
                                    cond["short"], verdict, br.format_burn(cond["factor"])))
    if current_burn is not None and current_burn > 1:
        return ("%s burns its error budget %s too fast over 5m, below the page and ticket thresholds."
                % (slo, br.format_burn(current_burn)))
    return "%s is within its error budget: burn rate %s over 5m." % (slo, br.format_burn(current_burn))


def _budget_sentence(remaining, exhaustion, period):
    period = "%g-day" % br.period_days(period)
    if remaining is None:
        return "%s error budget: unknown." % period
    if remaining <= 0:
        return "%s error budget exhausted (%s of it spent)." % (period, br.format_percent(1 - remaining))
    text = "%s error budget: %s left" % (period, br.format_percent(remaining))
    if exhaustion is not None:
        text += ", gone in %s at the current rate" % br.format_duration(exhaustion)
    return text + "."


def assess(observation, options):
    """The ``slo_burn_rate`` finding from what ``observe`` returned (pure)."""
    objective = observation.get("objective") or options["objective"]
    budget = br.error_budget(objective)
    ratios = {w: v for w, v in observation["error_ratios"].items() if w in SLOTH_WINDOWS}
    if all(v is None for v in ratios.values()):
        return unknown(CHECK_ID, "no error ratio for any window of %s" % options["slo"])
    period = observation.get("period") or br.detect_period(ratios)
    evaluation = br.evaluate_conditions(ratios, budget, period=period)
    burns = br.burn_rates(ratios, budget)
    own = [f for f in observation.get("fleet") or []
           if f["service"] == options["service"] and f["slo"] == options["slo"]]
    current = own[0]["burn_rate"] if own else burns.get("5m")
    remaining = observation.get("budget_remaining")
    if remaining is None:
        remaining = br.budget_remaining(ratios.get(period), budget)
    exhaustion = br.time_to_exhaustion(remaining, current, period)
    others = sorted((f for f in observation.get("fleet") or [] if f not in own and f["burn_rate"] > 1),
                    key=lambda f: -f["burn_rate"])

    if evaluation["page"]:
        status, verdict = "fail", "page"
    elif evaluation["ticket"]:
        status, verdict = "warn", "ticket"
    elif (current is not None and current > 1) or (remaining is not None and remaining <= 0):
        status, verdict = "warn", None
    else:
        status, verdict = "ok", None

    sentences = [_lead(options["slo"], verdict, evaluation["conditions"], burns, current),
                 _budget_sentence(remaining, exhaustion, period)]
    if others:
        sentences.append("Also burning: %s (a systemic problem?)." % ", ".join(
            "%s %s" % (f["slo"], br.format_burn(f["burn_rate"])) for f in others[:3]))
    if observation["source"] == "raw":
        sentences.append("(No Sloth rules found; computed from %s.)" % RAW_METRIC)

    ordered = sorted(ratios, key=parse_duration)
    items = []
    for window in ordered:
        if ratios[window] is not None:
            record = "%s%s" % (SLI_RECORD, window) if observation["source"] == "sloth" else "raw ratio %s" % window
            text = "%s = %s (burn rate %s)" % (record, br.format_percent(ratios[window]), br.format_burn(burns[window]))
            items.append(evidence("metric", text))
    for severity in observation.get("alerts_firing") or []:
        items.append(evidence("metric", "alert firing in Prometheus for %s: sloth_severity=%s"
                              % (options["slo"], severity)))

    details = {
        "source": observation["source"],
        "service": options["service"],
        "slo": options["slo"],
        "objective": objective,
        "error_budget": budget,
        "period": period,
        "alert_windows": br.window_set_name(period),
        "error_ratios": {w: br.round_significant(ratios[w]) for w in ordered},
        "burn_rates": {w: br.round_significant(burns[w]) for w in ordered},
        "current_burn_rate": br.round_significant(current),
        "budget_remaining": br.round_significant(remaining),
        "time_to_exhaustion_seconds": None if exhaustion is None else int(exhaustion),
        "page": evaluation["page"],
        "ticket": evaluation["ticket"],
        "conditions": evaluation["conditions"],
        "missing_windows": evaluation["missing"],
        "alerts_firing": observation.get("alerts_firing") or [],
        "fleet": [dict(f, burn_rate=br.round_significant(f["burn_rate"])) for f in others[:MAX_FLEET]],
        "window": {"start": format_rfc3339(options["start"]), "end": format_rfc3339(options["end"])},
        "series": _charts(observation.get("series"), budget),
        "links": grafana_links(options),
    }
    return finding(CHECK_ID, status, " ".join(sentences), details=details, evidence_items=items)


def check(client, options):
    return assess(observe(client, options), options)
