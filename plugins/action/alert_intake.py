# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the alert a run was given without templating it (see the module's documentation)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import alert_input, diagnosis_window, normalize_alert, plain_data
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("lookback", "margin"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        unknown = sorted(set(args) - self._VALID_ARGS)
        if unknown:
            return dict(result, failed=True, msg="unsupported option(s) %s; supported: lookback, margin" % ", ".join(unknown))
        # task_vars hold the variables as given, not templated: the alert is taken from there, never through
        # a template, so Jinja in a label or annotation stays text.
        value, variable = alert_input(task_vars.get("karmada_alert"), task_vars.get("ansible_eda"))
        try:
            alert = normalize_alert(plain_data(value), variable)
            window = diagnosis_window(alert, lookback=str(args.get("lookback", "1h")), margin=str(args.get("margin", "5m")))
        except InputError as exc:
            return dict(result, failed=True, msg=str(exc))
        result.update(changed=False, alert=alert, window=window)
        return result
