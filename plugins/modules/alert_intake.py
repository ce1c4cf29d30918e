#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alert_intake
short_description: Take the alert that started a run, as data, and open the diagnosis window
version_added: 0.1.0
description:
  - Reads the play variable C(karmada_alert) (an Alertmanager alert, an Alertmanager webhook payload, an
    Event-Driven Ansible event or a mapping of alert labels) or, when it is unset, C(ansible_eda.event), which
    ansible-rulebook's C(run_playbook) passes. Returns one normalized alert and the time window the checks
    look at, from the alert's C(startsAt) (minus O(margin)) to now, or the last O(lookback) without an alert.
  - The alert is read as given and returned as plain strings, never templated. Alert labels and annotations
    come from whoever can write alerting rules or post to the webhook, and ansible-core treats extra vars
    as trusted templates; taking them through a Jinja expression would run any C({{ lookup(...) }}) they hold.
  - Runs on the controller only (an action plugin); it contacts nothing.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  lookback:
    description: How far back to look when there is no alert (C(30m), C(1h), C(2d)).
    type: str
    default: 1h
  margin:
    description: How much earlier than the alert's C(startsAt) the window opens.
    type: str
    default: 5m
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - karmada.runbooks.attributes.READ_ONLY
notes:
  - An invalid alert fails the task with a message naming C(karmada_alert) (or C(ansible_eda.event)).
"""

EXAMPLES = r"""
- name: Take the alert and open the window
  karmada.runbooks.alert_intake:
    lookback: "{{ karmada_window }}"
  register: intake
"""

RETURN = r"""
alert:
  description: The normalized alert (C(alertname), C(labels), C(annotations), C(status), C(startsAt)), or null.
  returned: success
  type: dict
window:
  description: C(start) and C(end) (RFC 3339 UTC) and C(source) (C(alert) or C(default)).
  returned: success
  type: dict
"""
