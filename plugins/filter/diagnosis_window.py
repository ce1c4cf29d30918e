# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: diagnosis_window
short_description: The time window a diagnosis looks at
version_added: 0.1.0
description:
  - From the alert's C(startsAt) (minus a margin) to now; without an alert, the last O(lookback).
positional: lookback
options:
  _input:
    description: The normalized alert (see the P(karmada.runbooks.karmada_alert#filter) filter) or null.
    type: raw
    required: true
  lookback:
    description: How far back to look without an alert, such as V(1h) or V(30m).
    type: str
    default: 1h
  margin:
    description: How much earlier than the alert's C(startsAt) to start.
    type: str
    default: 5m
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Window of the alert
  ansible.builtin.set_fact:
    window: "{{ alert | karmada.runbooks.diagnosis_window('1h') }}"
"""

RETURN = r"""
_value:
  description: V(start) and V(end) as RFC 3339 UTC times, and V(source) (V(alert) or V(default)).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import diagnosis_window
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError


def window(alert, lookback="1h", margin="5m"):
    try:
        return diagnosis_window(alert, lookback=lookback, margin=margin)
    except InputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"diagnosis_window": window}
