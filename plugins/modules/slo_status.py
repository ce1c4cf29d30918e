#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: slo_status
short_description: Burn rate, error budget and alert conditions of the binding-sync SLO
version_added: 0.1.0
description:
  - Runbook step 1. Reads the SLO from Prometheus the way Sloth's dashboards show it - the error ratio and burn
    rate of every alert window (5m to 3d), the 30-day error budget left, Sloth's page and ticket conditions
    (burn factors 14.4 and 6 page, 3 and 1 ticket, derived from the 30-day period) and the time until the budget
    is gone at the current burn rate.
  - Uses Sloth's recording rules (C(slo:sli_error:ratio_rate<window>), C(slo:objective:ratio),
    C(slo:period_error_budget_remaining:ratio)) when they exist, else computes the same ratios from
    C(binding_sync_work_duration_seconds_count) with the error and total queries of Karmada's SLO spec.
    C(finding.details.source) says which.
  - Lists the other SLOs whose C(slo:current_burn_rate:ratio) is above 1 - several burning at once hints at a
    systemic problem rather than a binding-sync one.
  - Builds links to Sloth's Grafana dashboards (grafana.com 14348 "SLO / Detail" and 14643 "High level Sloth SLOs")
    when O(grafana_url) is set.
  - Fetches the 5m error ratio over the diagnosis window (O(window_start) to O(window_end)) as a series for the
    report's charts.
  - The finding fails when the page condition holds, warns on the ticket condition, on a burn rate above 1 or an
    exhausted budget. It is C(unknown), and the module still succeeds, when Prometheus is not configured,
    cannot be reached or has no data.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  service:
    description: The SLO's C(sloth_service) label.
    type: str
    default: karmada
  slo:
    description: The SLO's C(sloth_slo) label.
    type: str
    default: binding-sync-work-availability
  objective:
    description:
      - The SLO objective in percent. Sloth's C(slo:objective:ratio) wins when it exists; this is used for the raw
        metric.
    type: float
    default: 99.9
  source:
    description:
      - Where the error ratios come from. V(auto) uses Sloth's recording rules when they exist, else the raw metric.
        V(sloth) reports C(unknown) without Sloth's rules. V(raw) always uses the raw metric.
    type: str
    choices: [auto, sloth, raw]
    default: auto
  window_start:
    description:
      - Start of the diagnosis window (RFC 3339 or epoch seconds), for example the alert's C(startsAt).
        Default is one hour before O(window_end).
    type: str
  window_end:
    description:
      - End of the diagnosis window (RFC 3339 or epoch seconds); the instant queries are evaluated at this time.
        Default is now.
    type: str
  series_points:
    description:
      - At most this many points per chart series over the window. V(0) skips the series.
    type: int
    default: 120
  grafana_url:
    description:
      - Base URL of the Grafana that has Sloth's dashboards imported. Without it no links are built.
    type: str
  grafana_detail_uid:
    description:
      - UID of the imported "SLO / Detail" dashboard (grafana.com 14348). Its UID depends on how it was imported;
        look it up in the dashboard's URL (C(/d/<uid>/...)).
    type: str
    default: slo-detail
  grafana_overview_uid:
    description:
      - UID of the imported "High level Sloth SLOs" dashboard (grafana.com 14643).
    type: str
    default: slo-overview
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.prometheus
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.PROMETHEUS
"""

EXAMPLES = r"""
- name: How fast is the binding-sync SLO burning?
  karmada.runbooks.slo_status:
    url: http://prometheus.monitoring:9090
    grafana_url: https://grafana.example.com
  register: slo

- name: Page-level burn?
  ansible.builtin.debug:
    msg: "{{ slo.finding.summary }}"
  when: slo.page

- name: The window of an alert, with the connection set once for the play
  module_defaults:
    group/karmada.runbooks.prometheus:
      url: https://prometheus.example.com
      bearer_token: "{{ prometheus_token }}"
  karmada.runbooks.slo_status:
    window_start: "{{ alert.startsAt }}"
    grafana_url: https://grafana.example.com
    grafana_detail_uid: sceM28uGk
"""

RETURN = r"""
finding:
  description:
    - The check's finding for the report (see docs/report-schema.md, check C(slo_burn_rate)).
    - C(details) holds C(source) (V(sloth) or V(raw)), C(objective) (percent), C(error_budget), C(error_ratios) and
      C(burn_rates) per window, C(current_burn_rate), C(budget_remaining), C(time_to_exhaustion_seconds), C(page),
      C(ticket), C(conditions), C(alerts_firing), C(fleet), C(window), C(series) and C(links).
  returned: always
  type: dict
page:
  description: Whether Sloth's page condition holds (null when the check could not run).
  returned: always
  type: bool
ticket:
  description: Whether Sloth's ticket condition holds (null when the check could not run).
  returned: always
  type: bool
burn_rates:
  description: Burn rate per window (error ratio divided by the error budget).
  returned: always
  type: dict
  sample: {5m: 747.8, 1h: 689.2, 30d: 119.7}
budget_remaining:
  description: Share of the 30-day error budget left; below 0 when overspent (null when unknown).
  returned: always
  type: float
links:
  description: C(grafana_slo_detail) and C(grafana_slo_overview) deep links; empty without O(grafana_url).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _slo
from ansible_collections.karmada.runbooks.plugins.module_utils._burnrate import DEFAULT_OBJECTIVE
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, connect_prometheus
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import prometheus_argument_spec


def _results(finding, options):
    details = finding["details"]
    # The dashboards are worth opening even when Prometheus could not be asked.
    details.setdefault("links", _slo.grafana_links(options))
    return {"page": details.get("page"), "ticket": details.get("ticket"), "burn_rates": details.get("burn_rates", {}),
            "budget_remaining": details.get("budget_remaining"), "links": details["links"]}


def argument_spec():
    spec = prometheus_argument_spec()
    spec.update(
        service={"type": "str", "default": _slo.DEFAULT_SERVICE},
        slo={"type": "str", "default": _slo.DEFAULT_SLO},
        objective={"type": "float", "default": DEFAULT_OBJECTIVE},
        source={"type": "str", "choices": list(_slo.SOURCES), "default": "auto"},
        window_start={"type": "str"},
        window_end={"type": "str"},
        series_points={"type": "int", "default": _slo.DEFAULT_SERIES_POINTS},
        grafana_url={"type": "str"},
        grafana_detail_uid={"type": "str", "default": "slo-detail"},
        grafana_overview_uid={"type": "str", "default": "slo-overview"},
    )
    return spec


ENTRY = check_entry(_slo, argument_spec, connect=connect_prometheus, results=_results)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
