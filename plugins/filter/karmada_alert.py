# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: karmada_alert
short_description: Normalize the alert that started a run
version_added: 0.1.0
description:
  - Accepts an Alertmanager alert, an Alertmanager webhook payload, an Event-Driven Ansible event or a
    plain mapping of alert labels, and returns one alert with C(alertname), C(labels), C(annotations),
    C(status) and C(startsAt) (RFC 3339 UTC, or null).
  - Returns null for an empty input (a run started by hand).
positional: option
options:
  _input:
    description: The alert, payload, event or labels.
    type: raw
    required: true
  option:
    description: Name of the variable the input came from, used in error messages.
    type: str
    default: karmada_alert
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Alert from EDA or extra vars
  ansible.builtin.set_fact:
    alert: "{{ (ansible_eda.event | default(karmada_alert | default({}))) | karmada.runbooks.karmada_alert }}"
"""

RETURN = r"""
_value:
  description: The normalized alert, or null.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import normalize_alert
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError


def karmada_alert(value, option="karmada_alert"):
    try:
        return normalize_alert(value, option)
    except InputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"karmada_alert": karmada_alert}
