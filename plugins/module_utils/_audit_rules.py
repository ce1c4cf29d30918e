# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml: Prometheus still has Sloth's recording rules for the SLO and the burn-rate alert.

Without them the alert this runbook answers cannot fire, and the diagnosis falls back to the raw
metric. The names are Sloth's (slok/sloth v0.16.0, as ``tests/emulator/sloth.py`` renders them from
Karmada's SLO spec): ``slo:sli_error:ratio_rate<window>`` for every SLI window and for the period
(30d, or 4w with the google-28d windows), and the metadata recordings, each labelled ``sloth_service``
and ``sloth_slo``; the alert is Karmada's (``_alert.ALERT_NAME``, from the spec's ``alerting.name``).
``observe`` is one request (``/api/v1/rules``); ``assess`` is pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils import _burnrate as br
from ansible_collections.karmada.runbooks.plugins.module_utils._alert import ALERT_NAME
from ansible_collections.karmada.runbooks.plugins.module_utils._audit import drift_item, from_drift
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import Unavailable
from ansible_collections.karmada.runbooks.plugins.module_utils._slo import DEFAULT_SERVICE, DEFAULT_SLO, SLI_RECORD

CHECK_ID = "prometheus_rules"
# Sloth's metadata recordings (sloth v0.16.0 internal/prometheus/recording_rules.go; tests/emulator/sloth.py
# metadata_rules): the diagnosis reads the objective and the budget left, the burn rates feed the dashboards.
METADATA_RECORDS = ("slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days",
                    "slo:current_burn_rate:ratio", "slo:period_burn_rate:ratio",
                    "slo:period_error_budget_remaining:ratio", "sloth_slo_info")


def options_from_params(params):
    """Validated options; InputError names the module option."""
    options = {}
    for option, default in (("service", DEFAULT_SERVICE), ("slo", DEFAULT_SLO), ("alert_name", ALERT_NAME)):
        value = params.get(option)
        value = default if value is None else str(value).strip()
        if not value:
            raise InputError("%s must not be empty" % option)
        options[option] = value
    return options


def required_records():
    """The recorded names an SLO needs; the period SLI is checked apart (either 30d or 4w will do)."""
    return tuple(SLI_RECORD + window for window in br.SLI_WINDOWS) + METADATA_RECORDS


def observe(client, options):
    """{records: [name] recorded for this SLO, alerts: [alert names], groups, requests}."""
    data = client.rules()
    groups = data.get("groups")
    if not isinstance(groups, list):
        raise Unavailable("malformed response from %s/api/v1/rules: no groups" % client.display_url)
    records, alerts = set(), set()
    for group in groups:
        for rule in (group or {}).get("rules") or []:
            labels = rule.get("labels") or {}
            if rule.get("type") == "alerting":
                alerts.add(rule.get("name"))
            elif rule.get("type") == "recording" and labels.get("sloth_service") == options["service"] \
                    and labels.get("sloth_slo") == options["slo"]:
                records.add(rule.get("name"))
    return {"records": sorted(records), "alerts": sorted(a for a in alerts if a), "groups": len(groups),
            "requests": client.requests}


def assess(observation, options):
    """The ``prometheus_rules`` audit check (pure)."""
    records = set(observation.get("records") or [])
    missing = [name for name in required_records() if name not in records]
    periods = [SLI_RECORD + period for period in br.PERIODS]
    if not any(name in records for name in periods):
        missing.append(periods[0])
    slo = "%s/%s" % (options["service"], options["slo"])
    drift = [drift_item("prometheus_rule_missing", "%s/%s" % (slo, name),
                        "recording rule %s for SLO %s is not loaded" % (name, slo)) for name in missing]
    if options["alert_name"] not in (observation.get("alerts") or []):
        drift.append(drift_item("prometheus_alert_missing", options["alert_name"],
                                "alerting rule %s is not loaded" % options["alert_name"]))
    details = {"slo": slo, "alert": options["alert_name"], "records_found": len(records), "missing": missing,
               "alert_found": options["alert_name"] in (observation.get("alerts") or []),
               "groups": observation.get("groups"), "requests": observation.get("requests")}
    summary = "%s rules missing from Prometheus: %s" % (
        len(drift), ", ".join(d["subject"] for d in drift[:4]) + (", ..." if len(drift) > 4 else ""))
    return from_drift(CHECK_ID, drift, "Sloth's %d recording rules for %s and the alert %s are loaded."
                      % (len(records), slo, options["alert_name"]), summary, details=details)


def check(client, options):
    return assess(observe(client, options), options)
