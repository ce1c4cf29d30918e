#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_alert_rules
short_description: Check that Prometheus has Sloth's recording rules for the SLO and the burn-rate alert
version_added: 0.1.0
description:
  - Part of C(playbooks/audit.yml). Reads Prometheus' C(/api/v1/rules) and reports every Sloth recording rule of
    the SLO that is not loaded (C(slo:sli_error:ratio_rate<window>) for 5m to 3d and the period, 30d or 4w, and the
    metadata recordings such as C(slo:period_error_budget_remaining:ratio), labelled with O(service) and O(slo)) and
    the alerting rule O(alert_name).
  - Without them the alert this runbook answers cannot fire.
  - The check is C(unknown), and the module still succeeds, when Prometheus is not configured or cannot be reached.
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
  alert_name:
    description: The alerting rule that must be loaded (Karmada's SLO spec, C(alerting.name)).
    type: str
    default: KarmadaBindingSyncWorkAvailabilityBurnRateHigh
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.prometheus
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.PROMETHEUS
"""

EXAMPLES = r"""
- name: Check the SLO rules are loaded
  karmada.runbooks.audit_alert_rules:
    url: https://prometheus.example:9090
  register: rules
"""

RETURN = r"""
check:
  description:
    - The audit check C(prometheus_rules) - C(status), C(summary), C(drift) (C(prometheus_rule_missing) with subject
      C(<service>/<slo>/<record>), C(prometheus_alert_missing) with the alert name) and C(details).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _audit_rules
from ansible_collections.karmada.runbooks.plugins.module_utils._alert import ALERT_NAME
from ansible_collections.karmada.runbooks.plugins.module_utils._audit import unknown_check
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, connect_prometheus
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import prometheus_argument_spec
from ansible_collections.karmada.runbooks.plugins.module_utils._slo import DEFAULT_SERVICE, DEFAULT_SLO


def argument_spec():
    spec = prometheus_argument_spec()
    spec.update(
        service={"type": "str", "default": DEFAULT_SERVICE},
        slo={"type": "str", "default": DEFAULT_SLO},
        alert_name={"type": "str", "default": ALERT_NAME},
    )
    return spec


ENTRY = check_entry(_audit_rules, argument_spec, connect=connect_prometheus, make_unknown=unknown_check, key="check")


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
