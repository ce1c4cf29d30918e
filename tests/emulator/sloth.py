"""Prometheus rules for Karmada SLOs, rendered the way Sloth (v0.16, ``prometheus/v1`` specs) renders them.

Sloth turns an SLO spec into three rule groups per SLO: SLI error-ratio recording rules for every
alert window (plus the SLO period -- 30d, or ``4w`` with the google-28d windows -- computed
"optimized" from the 5m rule), metadata recording
rules (objective, error budget, burn rates, budget remaining, info), and two multiwindow,
multi-burn-rate alerts (page and ticket) that share one alert name. Rule names, group names,
labels and expression text follow Sloth's generator so that dashboards and queries written for
Sloth's output work unchanged against the emulator's Prometheus.

``render(SERVICE, KARMADA_SLOS)`` returns the rule file as a dict; ``to_yaml`` serialises it.
``KARMADA_SLOS`` are all 13 SLOs of Karmada's published Sloth spec (``data/karmada-slo-config.yaml``);
``karmada_rules("google-28d")`` renders them with Sloth's 28-day window set instead of the default.
"""

from __future__ import annotations

import dataclasses
import decimal
import os
import re

import yaml

SLOTH_VERSION = "v0.16.0"
SLOTH_MODE = "cli-gen-prom"
SLOTH_SPEC = "prometheus/v1"

WINDOW_LABEL = "sloth_window"
ID_LABELS = ("sloth_id", "sloth_service", "sloth_slo")

SECOND = 1
MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclasses.dataclass(frozen=True)
class BurnWindow:
    """One multiwindow condition: burning ``budget_percent`` of the period's budget within ``long``."""
    budget_percent: float
    short: int          # seconds
    long: int           # seconds


@dataclasses.dataclass(frozen=True)
class AlertWindows:
    """Sloth's default ``google-30d`` windows (from the Google SRE workbook)."""
    period: int = 30 * DAY
    page_quick: BurnWindow = BurnWindow(2, 5 * MINUTE, 1 * HOUR)
    page_slow: BurnWindow = BurnWindow(5, 30 * MINUTE, 6 * HOUR)
    ticket_quick: BurnWindow = BurnWindow(10, 2 * HOUR, 1 * DAY)
    ticket_slow: BurnWindow = BurnWindow(10, 6 * HOUR, 3 * DAY)

    def burn_factor(self, window):
        """How many times faster than "exactly the budget over the period" the window's condition means."""
        hours_to_consume = window.budget_percent * (self.period / HOUR) / 100
        return hours_to_consume / (window.long / HOUR)

    def sli_windows(self):
        """Every distinct short/long window, shortest first (the period is added separately)."""
        windows = {w for pair in (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)
                   for w in (pair.short, pair.long)}
        return sorted(windows)


@dataclasses.dataclass(frozen=True)
class AlertMeta:
    labels: dict = dataclasses.field(default_factory=dict)
    annotations: dict = dataclasses.field(default_factory=dict)
    disable: bool = False


@dataclasses.dataclass(frozen=True)
class SLO:
    """An events-based SLO as a ``prometheus/v1`` Sloth spec states it (queries keep ``{{.window}}``)."""
    name: str
    objective: float
    description: str
    labels: dict
    error_query: str
    total_query: str
    alert_name: str
    page_alert: AlertMeta
    ticket_alert: AlertMeta
    alert_labels: dict = dataclasses.field(default_factory=dict)
    alert_annotations: dict = dataclasses.field(default_factory=dict)


# -- formatting helpers that mirror Go/Prometheus formatting ------------------------------------------

def go_float(value):
    """A float64 as Go's ``%g``/``%v`` prints it (shortest round-trip digits; exponent below 1e-4 or from 1e21)."""
    value = float(value)
    if value == 0:
        return "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    decimal_point = len(digits) + exponent       # position of the decimal point within ``text``
    exp10 = decimal_point - 1
    prefix = "-" if sign else ""
    if exp10 < -4 or exp10 >= 21:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if decimal_point <= 0:
        return f"{prefix}0.{'0' * -decimal_point}{text}"
    if decimal_point >= len(text):
        return prefix + text + "0" * (decimal_point - len(text))
    return f"{prefix}{text[:decimal_point]}.{text[decimal_point:]}"


def go_float_fixed(value):
    """``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    text = format(decimal.Decimal(repr(float(value))).normalize(), "f")
    return text


def prom_duration(seconds):
    """A duration as Prometheus prints it: ``5m``, ``1h``, ``1d``, ``30d`` (weeks/years only when exact)."""
    ms = int(seconds * 1000)
    if ms == 0:
        return "0s"
    out = ""
    for unit, mult, exact in (("y", 365 * DAY * 1000, True), ("w", 7 * DAY * 1000, True), ("d", DAY * 1000, False),
                              ("h", HOUR * 1000, False), ("m", MINUTE * 1000, False), ("s", 1000, False),
                              ("ms", 1, False)):
        if exact and ms % mult:
            continue
        count = ms // mult
        if count:
            out += f"{count}{unit}"
            ms -= count * mult
    return out


def prom_filter(labels):
    """A label set as Prometheus prints one: ``{a="x", b="y"}`` (sorted, Go-quoted)."""
    return "{" + ", ".join(f"{key}={_go_quote(labels[key])}" for key in sorted(labels)) + "}"


def _go_quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_WINDOW_VAR = re.compile(r"{{ *\.window *}}")


def _with_window(query, window):
    return _WINDOW_VAR.sub(prom_duration(window), query)


# -- rule generation ----------------------------------------------------------------------------------

def slo_id(service, slo):
    return f"{service}-{slo.name}"


def id_labels(service, slo):
    return {"sloth_id": slo_id(service, slo), "sloth_service": service, "sloth_slo": slo.name}


def sli_metric(window):
    return f"slo:sli_error:ratio_rate{prom_duration(window)}"


def _merge(*label_sets):
    merged = {}
    for labels in label_sets:
        merged.update(labels)
    return {key: merged[key] for key in sorted(merged)}


def sli_rules(service, slo, windows=AlertWindows()):
    rules = []
    ids = id_labels(service, slo)
    for window in windows.sli_windows():
        expr = f"({_with_window(slo.error_query, window)})\n/\n({_with_window(slo.total_query, window)})\n"
        rules.append(_record(sli_metric(window), expr,
                             _merge(ids, {WINDOW_LABEL: prom_duration(window)}, slo.labels)))
    # The period ratio is averaged from the shortest (page quick) window's recording: cheap, slightly coarse.
    short = sli_metric(windows.page_quick.short)
    period = prom_duration(windows.period)
    selector = short + prom_filter(ids)
    expr = (f"sum_over_time({selector}[{period}])\n/ ignoring ({WINDOW_LABEL})\n"
            f"count_over_time({selector}[{period}])\n")
    rules.append(_record(sli_metric(windows.period), expr, _merge(ids, {WINDOW_LABEL: period}, slo.labels)))
    return rules


def metadata_rules(service, slo, windows=AlertWindows()):
    ids = id_labels(service, slo)
    labels = _merge(ids, slo.labels)
    objective_ratio = slo.objective / 100
    flt = prom_filter(ids)

    def burn_rate(sli):
        return (f"{sli}{flt}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                f"slo:error_budget:ratio{flt}\n")

    info_labels = _merge(labels, {"sloth_version": SLOTH_VERSION, "sloth_mode": SLOTH_MODE, "sloth_spec": SLOTH_SPEC,
                                  "sloth_objective": go_float_fixed(slo.objective)})
    return [
        _record("slo:objective:ratio", f"vector({go_float(objective_ratio)})", labels),
        _record("slo:error_budget:ratio", f"vector(1-{go_float(objective_ratio)})", labels),
        _record("slo:time_period:days", f"vector({go_float(windows.period / DAY)})", labels),
        _record("slo:current_burn_rate:ratio", burn_rate(sli_metric(windows.page_quick.short)), labels),
        _record("slo:period_burn_rate:ratio", burn_rate(sli_metric(windows.period)), labels),
        _record("slo:period_error_budget_remaining:ratio", f"1 - slo:period_burn_rate:ratio{flt}", labels),
        _record("sloth_slo_info", "vector(1)", info_labels),
    ]


def alert_rules(service, slo, windows=AlertWindows()):
    rules = []
    budget_ratio = (100 - slo.objective) / 100
    flt = prom_filter(id_labels(service, slo))

    def condition(window):
        factor = go_float(windows.burn_factor(window))
        threshold = f"({factor} * {go_float(budget_ratio)})"
        return (f"    max({sli_metric(window.short)}{flt} > {threshold}) without ({WINDOW_LABEL})\n"
                f"    and\n"
                f"    max({sli_metric(window.long)}{flt} > {threshold}) without ({WINDOW_LABEL})\n")

    for severity, meta, quick, slow in (("page", slo.page_alert, windows.page_quick, windows.page_slow),
                                        ("ticket", slo.ticket_alert, windows.ticket_quick, windows.ticket_slow)):
        if meta.disable:
            continue
        expr = f"(\n{condition(quick)})\nor\n(\n{condition(slow)})\n"
        default_annotations = {
            "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate is too fast.",
            "summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.",
        }
        rules.append({
            "alert": slo.alert_name,
            "expr": expr,
            "labels": _merge({"sloth_severity": severity}, slo.alert_labels, meta.labels),
            "annotations": _merge(default_annotations, slo.alert_annotations, meta.annotations),
        })
    return rules


def _record(name, expr, labels):
    return {"record": name, "expr": expr, "labels": dict(labels)}


def render_slo(service, slo, windows=AlertWindows()):
    """The three rule groups Sloth writes for one SLO."""
    ident = slo_id(service, slo)
    groups = [
        {"name": f"sloth-slo-sli-recordings-{ident}", "rules": sli_rules(service, slo, windows)},
        {"name": f"sloth-slo-meta-recordings-{ident}", "rules": metadata_rules(service, slo, windows)},
    ]
    alerts = alert_rules(service, slo, windows)
    if alerts:
        groups.append({"name": f"sloth-slo-alerts-{ident}", "rules": alerts})
    return groups


def render(service, slos, windows=AlertWindows()):
    """A Prometheus rule file (as a dict) for every SLO of a service."""
    return {"groups": [group for slo in slos for group in render_slo(service, slo, windows)]}


class _RuleDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, like Sloth's output."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RuleDumper.add_representer(str, _represent_str)


def to_yaml(rules, header=None):
    text = yaml.dump(rules, Dumper=_RuleDumper, sort_keys=False, default_flow_style=False, width=1000,
                     allow_unicode=True)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + "\n" + text
    return text


def recorded_names(rules):
    return {rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule}


# -- Karmada's SLOs -----------------------------------------------------------------------------------
# All 13 SLOs of Karmada's published Sloth spec, read from a verbatim copy of it
# (karmada-io/website static/sloth/karmada-slo-config.yaml at 747f80c, see data/karmada-slo-config.yaml).

SPEC_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "karmada-slo-config.yaml")

# Sloth's internal/alert/windows/google-30d.yaml and google-28d.yaml (slok/sloth v0.16.0): the same four
# conditions, only ``sloPeriod`` differs (30d / 28d), so the 28d burn factors are 13.44, 5.6, 2.8, 0.9333.
WINDOW_SETS = {"google-30d": AlertWindows(), "google-28d": AlertWindows(period=28 * DAY)}
DEFAULT_WINDOWS = "google-30d"


def _alert_meta(spec):
    spec = spec or {}
    return AlertMeta(labels=dict(spec.get("labels") or {}), annotations=dict(spec.get("annotations") or {}),
                     disable=bool(spec.get("disable", False)))


def slos_from_spec(spec):
    """``(service, [SLO])`` from a ``prometheus/v1`` Sloth spec (events SLIs only, as Karmada's are)."""
    if spec.get("version") != SLOTH_SPEC:
        raise ValueError(f"not a {SLOTH_SPEC} Sloth spec: version {spec.get('version')!r}")
    slos = []
    for item in spec["slos"]:
        events = item["sli"]["events"]
        alerting = item.get("alerting") or {}
        slos.append(SLO(name=item["name"], objective=float(item["objective"]),
                        description=item.get("description", ""), labels=dict(item.get("labels") or {}),
                        error_query=events["error_query"], total_query=events["total_query"],
                        alert_name=alerting.get("name", ""), page_alert=_alert_meta(alerting.get("page_alert")),
                        ticket_alert=_alert_meta(alerting.get("ticket_alert")),
                        alert_labels=dict(alerting.get("labels") or {}),
                        alert_annotations=dict(alerting.get("annotations") or {})))
    return spec["service"], tuple(slos)


def load_spec(path=SPEC_FILE):
    with open(path, encoding="utf-8") as handle:
        return slos_from_spec(yaml.safe_load(handle))


SERVICE, KARMADA_SLOS = load_spec()
_BY_NAME = {slo.name: slo for slo in KARMADA_SLOS}
BINDING_SYNC_WORK_AVAILABILITY = _BY_NAME["binding-sync-work-availability"]
APISERVER_AVAILABILITY = _BY_NAME["apiserver-availability"]

RULES_HEADER = (f"Karmada SLO rules in the shape Sloth {SLOTH_VERSION} generates from Karmada's Sloth spec.\n"
                "Rendered by tests/emulator/sloth.py for the emulator's Prometheus; do not edit.")


def windows_named(name):
    """The alert window set Sloth's ``--default-slo-period``/windows option names (google-30d, google-28d)."""
    try:
        return WINDOW_SETS[name or DEFAULT_WINDOWS]
    except KeyError:
        raise ValueError(f"unknown Sloth alert windows {name!r}; known: {', '.join(sorted(WINDOW_SETS))}") from None


def karmada_rules(windows=DEFAULT_WINDOWS):
    if isinstance(windows, str) or windows is None:
        windows = windows_named(windows)
    return render(SERVICE, KARMADA_SLOS, windows)
