# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alert that starts a run, and the time window the checks look at.

A run can be started by hand (no alert), by AWX with the alert's labels as extra vars, by an
Alertmanager webhook payload, or by Event-Driven Ansible (``ansible_eda.event``). All of them are
reduced to one alert shape here, and the alert's ``startsAt`` opens the diagnosis window.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import MAX_WINDOW
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError, plain_type_name
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, parse_duration, utcnow

ALERT_NAME = "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"


def plain_data(value):
    """``value`` as plain JSON data: ansible-core's trust markers (and any other str/dict subclass) dropped.

    ansible-core treats extra vars as trusted templates, so an alert label holding ``{{ lookup('pipe', ...) }}``
    would run when a task templates it. The alert is read raw from the task vars and passed on as
    plain strings, which ansible-core never templates again.
    """
    return json.loads(json.dumps(value, default=str))


def alert_input(karmada_alert=None, ansible_eda=None):
    """(value, variable name) of the alert a run was given: ``karmada_alert``, else the EDA event."""
    if karmada_alert not in (None, "", {}):
        return karmada_alert, "karmada_alert"
    if isinstance(ansible_eda, dict) and ansible_eda.get("event") not in (None, "", {}):
        return ansible_eda["event"], "ansible_eda.event"
    return None, "karmada_alert"


def normalize_alert(value, option="karmada_alert"):
    """One alert dict (labels, annotations, startsAt, status, alertname) from what a caller has.

    Accepts an Alertmanager alert, an Alertmanager webhook payload (first firing alert of ours,
    else the first), an EDA event (``{'alert': {...}}`` or ``{'payload': {...}}``), or a plain
    label dict. None or {} means no alert.
    """
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise InputError("%s must be a mapping (an Alertmanager alert or its labels), got %s"
                         % (option, plain_type_name(value)))
    if "alert" in value and isinstance(value["alert"], dict):
        return normalize_alert(value["alert"], option)
    if "payload" in value and isinstance(value["payload"], dict):
        return normalize_alert(value["payload"], option)
    if isinstance(value.get("alerts"), list):
        alerts = [a for a in value["alerts"] if isinstance(a, dict)]
        if not alerts:
            raise InputError("%s holds an Alertmanager payload without alerts" % option)
        ours = [a for a in alerts if (a.get("labels") or {}).get("alertname") == ALERT_NAME]
        firing = [a for a in ours or alerts if a.get("status", "firing") == "firing"]
        return normalize_alert((firing or ours or alerts)[0], option)
    if "labels" in value:
        labels = value.get("labels") or {}
        if not isinstance(labels, dict):
            raise InputError("%s.labels must be a mapping" % option)
    else:
        labels = {k: v for k, v in value.items() if isinstance(v, (str, int, float))}
    annotations = value.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise InputError("%s.annotations must be a mapping" % option)
    alert = {"alertname": str(labels.get("alertname", "")), "labels": {str(k): str(v) for k, v in labels.items()},
             "annotations": {str(k): str(v) for k, v in annotations.items()},
             "status": str(value.get("status", "firing")), "startsAt": None}
    if value.get("startsAt"):
        alert["startsAt"] = format_rfc3339(parse_datetime(value["startsAt"], option + ".startsAt"))
    return alert


def window_seconds(lookback, variable="karmada_window"):
    """Seconds in the diagnosis window; InputError naming ``variable`` when it is not a duration or is
    longer than the SLO's period (_defaults.MAX_WINDOW)."""
    seconds = parse_duration(lookback, variable)
    if seconds > MAX_WINDOW:
        raise InputError("%s must be at most %s (the SLO's period), such as 1h or 1d; got %r"
                         % (variable, "%dd" % (MAX_WINDOW // 86400), lookback))
    return seconds


def diagnosis_window(alert, lookback="1h", now=None, margin="5m"):
    """{start, end, source}: from the alert's startsAt (minus a margin) to now, else the last ``lookback``."""
    end = now or utcnow()
    if alert and alert.get("startsAt"):
        start = parse_datetime(alert["startsAt"], "karmada_alert.startsAt") - datetime.timedelta(
            seconds=parse_duration(margin, "alert_intake margin"))
        source = "alert"
        if start > end:
            start = end - datetime.timedelta(seconds=window_seconds(lookback))
            source = "default"
    else:
        start = end - datetime.timedelta(seconds=window_seconds(lookback))
        source = "default"
    return {"start": format_rfc3339(start), "end": format_rfc3339(end), "source": source}
