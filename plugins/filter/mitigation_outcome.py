# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mitigation_outcome
short_description: What one mitigation action did, from its registered kubernetes.core results
version_added: 0.2.0
description:
  - Reads a registered C(kubernetes.core.k8s) result (a loop or a single task) and returns the action's
    outcome for the report - C(status) (V(applied), V(failed) or V(skipped)), C(changed), C(reason), C(written),
    C(errors) - so the action roles build no dictionaries in Jinja.
positional: action_id, started, finished, extra, skipped
options:
  _input:
    description: The registered result.
    type: dict
    required: true
  action_id:
    description: The action's id.
    type: str
    required: true
  started:
    description: Seconds since the epoch when the action started.
    type: float
  finished:
    description: Seconds since the epoch when it finished.
    type: float
  extra:
    description: Fields to add or override (for example C(details)).
    type: dict
  skipped:
    description: Why the action decided not to act; makes the status V(skipped).
    type: str
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Record what the namespace restore did
  ansible.builtin.set_fact:
    karmada_mitigation_outcomes: "{{ karmada_mitigation_outcomes + [created | karmada.runbooks.mitigation_outcome('restore_execution_namespaces')] }}"
"""

RETURN = r"""
_value:
  description: C(id), C(status), C(changed), C(reason), C(written), C(errors), C(duration_seconds).
  type: dict
"""

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _outcome(results, action_id, started=None, finished=None, extra=None, skipped=None):
    from ansible_collections.karmada.runbooks.plugins.module_utils._mitigation import outcome
    return outcome(action_id, results, started=_number(started), finished=_number(finished), extra=extra,
                   skipped=skipped)


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class FilterModule(object):
    def filters(self):
        return {"mitigation_outcome": _outcome}
