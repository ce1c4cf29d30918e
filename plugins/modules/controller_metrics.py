#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: controller_metrics
short_description: Binding sync error rate and binding controller workqueues from Prometheus
version_added: 0.1.0
description:
  - O(check=error_rate) is runbook step 7. It reads C(sum by (result) (rate(binding_sync_work_duration_seconds_count[5m])))
    and reports the error ratio. The finding fails when errors alone burn the error budget at page level (14.4 times
    the sustainable rate for a 30-day period) and warns on any error. It is a symptom, so it names no cause.
  - O(check=workqueue) is runbook step 8. It reads C(workqueue_depth), its value one O(rate_window) earlier, and
    the C(workqueue_retries_total) / C(workqueue_adds_total) ratio for each controller in O(controllers).
    The finding fails when a queue holds O(depth_threshold) items or more and does not shrink. It warns when it
    shrinks, when retries make up O(retry_ratio_threshold) of adds or more, and when a controller retried in
    the last hour but not in the last O(rate_window).
    Failed bindings that wait out their backoff are not counted in C(workqueue_depth), so that last case is the
    only trace they leave here.
  - The workqueue finding supports C(workqueue_stuck) weakly (0.4 not draining, 0.3 retries dominating).
    Both patterns also show up with any persistent failure until its cause is fixed.
  - Never fails on Prometheus errors; the finding is C(unknown) with the reason instead.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  check:
    description: Which runbook step to run.
    type: str
    required: true
    choices: [error_rate, workqueue]
  rate_window:
    description: Range of the C(rate()) queries, as a Prometheus duration of at least V(1m).
    type: str
    default: 5m
  controllers:
    description: Workqueue names (the controller names) for O(check=workqueue).
    type: list
    elements: str
    default: [binding-controller, cluster-resource-binding-controller]
  objective:
    description: SLO objective in percent; O(check=error_rate) measures the error ratio against its budget.
    type: float
    default: 99.9
  depth_threshold:
    description: Queue depth from which O(check=workqueue) calls a queue deep.
    type: int
    default: 100
  retry_ratio_threshold:
    description: Share of adds that are retries (0 to 1) from which O(check=workqueue) says retries dominate.
    type: float
    default: 0.5
  time:
    description: Evaluation time (RFC 3339 or epoch seconds), for example the end of the diagnosis window. Default is now.
    type: str
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.prometheus
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.PROMETHEUS
"""

EXAMPLES = r"""
- name: Binding sync error rate (runbook step 7)
  karmada.runbooks.controller_metrics:
    url: http://prometheus.monitoring:9090
    check: error_rate
  register: error_rate

- name: Binding controller workqueues (runbook step 8)
  karmada.runbooks.controller_metrics:
    url: http://prometheus.monitoring:9090
    check: workqueue
    depth_threshold: 500
  register: workqueue

- name: Show both
  ansible.builtin.debug:
    msg:
      - "{{ error_rate.finding.summary }}"
      - "{{ workqueue.finding.summary }}"
"""

RETURN = r"""
finding:
  description:
    - The check's finding for the report (see docs/report-schema.md, checks C(binding_sync_error_rate) and C(workqueue)).
    - For O(check=error_rate), C(details) holds C(query), C(rates) (per second, by C(result)), C(error_ratio) and
      C(burn_rate).
    - For O(check=workqueue), C(details) holds C(depth), C(depth_before), C(retry_ratio), C(adds_per_second),
      C(retries_per_second) and C(retries_last_hour) per controller, C(missing) controllers and the C(queries).
  returned: always
  type: dict
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _controller_metrics as metrics
from ansible_collections.karmada.runbooks.plugins.module_utils._burnrate import DEFAULT_OBJECTIVE
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, connect_prometheus
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import WORKQUEUE_DEPTH, WORKQUEUE_RETRY_RATIO
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import BINDING_CONTROLLERS
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import prometheus_argument_spec


def argument_spec():
    spec = prometheus_argument_spec()
    spec.update(
        check={"type": "str", "required": True, "choices": list(metrics.CHECKS)},
        rate_window={"type": "str", "default": metrics.DEFAULT_RATE_WINDOW},
        controllers={"type": "list", "elements": "str", "default": list(BINDING_CONTROLLERS)},
        objective={"type": "float", "default": DEFAULT_OBJECTIVE},
        depth_threshold={"type": "int", "default": WORKQUEUE_DEPTH},
        retry_ratio_threshold={"type": "float", "default": WORKQUEUE_RETRY_RATIO},
        time={"type": "str"},
    )
    return spec


ENTRY = check_entry(metrics, argument_spec, connect=connect_prometheus)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
