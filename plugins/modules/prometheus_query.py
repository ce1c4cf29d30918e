#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: prometheus_query
short_description: Run a PromQL instant or range query
version_added: 0.1.0
description:
  - Runs one PromQL query against the Prometheus HTTP API (C(/api/v1/query) or C(/api/v1/query_range)) and
    returns Prometheus' result as it is, plus a flat list of samples that is easy to use in Jinja.
  - "A query that Prometheus rejects fails the task with Prometheus' own error text, for example
    C(bad_data: 1:6: parse error: unexpected right parenthesis). So do an unreachable server, a timeout and
    refused credentials; unlike the check modules, this module has no finding to degrade to."
  - Uses C(ansible.module_utils.urls), so no Python package beyond ansible-core is needed.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  query:
    description: The PromQL expression.
    type: str
    required: true
  time:
    description:
      - Evaluation time of an instant query, as RFC 3339 (V(2026-01-02T03:04:05Z)) or epoch seconds.
        Default is the server's current time.
      - Not with O(start).
    type: str
  start:
    description:
      - Start of a range query (RFC 3339 or epoch seconds). Setting it makes the query a range query.
    type: str
  end:
    description:
      - End of a range query (RFC 3339 or epoch seconds). Default is now. Needs O(start).
    type: str
  step:
    description:
      - Resolution of a range query, as a duration (V(30s), V(1m)) or seconds. Needs O(start).
      - Default is the step that gives about 250 points between O(start) and O(end).
    type: str
extends_documentation_fragment:
  - karmada.runbooks.prometheus
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.PROMETHEUS
"""

EXAMPLES = r"""
- name: Binding sync rate by result, as in runbook step 7
  karmada.runbooks.prometheus_query:
    url: http://prometheus.monitoring:9090
    query: sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))
  register: sync_rate

- name: Show the error rate
  ansible.builtin.debug:
    msg: "{{ sync_rate.samples | selectattr('metric.result', 'equalto', 'error') | map(attribute='value') | first }}"

- name: Error ratio of the binding-sync SLO over the last hour, one point a minute
  karmada.runbooks.prometheus_query:
    url: https://prometheus.example.com
    bearer_token: "{{ prometheus_token }}"
    query: slo:sli_error:ratio_rate5m{sloth_slo="binding-sync-work-availability"}
    start: "{{ now(utc=true).timestamp() | int - 3600 }}"
    step: 1m
  register: error_ratio
"""

RETURN = r"""
query:
  description: The query that ran.
  returned: success
  type: str
result_type:
  description: Prometheus' C(resultType).
  returned: success
  type: str
  sample: vector
result:
  description: Prometheus' C(result), unchanged (values are strings, as Prometheus sends them).
  returned: success
  type: raw
samples:
  description:
    - One item per series. For a range query the C(time) and C(value) of the last point, plus all C(values).
    - Values are floats; NaN and infinities become null because JSON cannot carry them.
  returned: success
  type: list
  elements: dict
  contains:
    metric:
      description: The series' labels.
      type: dict
    time:
      description: Epoch seconds of the value.
      type: float
    value:
      description: The value (the text for a C(string) result).
      type: raw
    values:
      description: Range queries only, C([[time, value], ...]).
      type: list
      elements: list
  sample: [{metric: {result: error}, time: 1795618750.8, value: 0.3}]
step:
  description: Step in seconds of a range query.
  returned: success and the query was a range query
  type: float
prometheus_warnings:
  description: Warnings Prometheus returned with the result (for example about partial data); also shown as task warnings.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import (
    ENV_VARS,
    InputError,
    PrometheusClient,
    PrometheusError,
    QueryError,
    prometheus_argument_spec,
    query_request,
    run_query,
)


def main():
    argument_spec = prometheus_argument_spec()
    argument_spec.update(query={"type": "str", "required": True}, time={"type": "str"}, start={"type": "str"},
                         end={"type": "str"}, step={"type": "str"})
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not (module.params["url"] or "").strip():
        module.fail_json(msg="url: no Prometheus URL given (set url or %s)" % ENV_VARS["url"])
    try:
        client = PrometheusClient.from_params(module.params)
        request = query_request(module.params)
    except InputError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = run_query(client, request)
    except QueryError as exc:
        module.fail_json(msg="Prometheus rejected the query: %s" % exc.reason, error_type=exc.error_type,
                         status=exc.status)
    except PrometheusError as exc:
        module.fail_json(msg=exc.reason, status=exc.status)
    for warning in result["prometheus_warnings"]:
        module.warn("Prometheus: %s" % warning)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
