# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of this collection inside the controller, without starting it as a process.

Every module declares ``ENTRY`` (``module_utils._entry``). Its action plugin of the same name
subclasses ``InControllerAction`` and names that entry; Ansible then runs the action plugin instead
of packaging the module, starting a Python interpreter and importing the Kubernetes client again for
every task. The work is the same code on the same validated parameters:

- the arguments (already merged with ``module_defaults`` by ansible-core) are validated against the
  module's own argument spec, with its defaults, types, choices and environment fallbacks, and fail
  the task with AnsibleModule's messages;
- check mode is the play's;
- the result leaves as JSON data, like a module's: plain strings, so nothing read from a cluster
  carries a template trust mark, and values of ``no_log`` options are masked.

The import of this file, and of each action plugin, happens in the controller's main process when the
strategy first looks the action up; the worker processes Ansible forks per task inherit the modules
already imported, which is where the time is saved.
"""

from __future__ import annotations

import datetime
import json
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleFailure


def _json_default(value):
    """What a module's JSON encoder would make of the few non-JSON values a result may hold."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError("%s is not JSON serializable" % type(value).__name__)


# A surrogate code point in a Python str is always a lone one (pairs decode to one code point): a JSON
# string escape such as "\ud800" in an API answer makes one, and ansible-core refuses the result
# ("Refusing to deserialize an invalid UTF8 string value"), ending the run.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def as_module_result(result, no_log_values=()):
    """``result`` as a module would have returned it: JSON data with no_log values masked, and every lone
    surrogate replaced by U+FFFD so one bad string read from a cluster cannot end the run."""
    text = _LONE_SURROGATE.sub("\ufffd", json.dumps(result, default=_json_default, ensure_ascii=False))
    data = json.loads(text)
    return remove_values(data, no_log_values) if no_log_values else data


class InControllerAction(ActionBase):
    """Runs ``ENTRY`` (a ``ModuleEntry``) in the worker process; see the module docstring."""

    TRANSFERS_FILES = False
    _requires_connection = False
    ENTRY = None

    def run(self, tmp=None, task_vars=None):
        result = super(InControllerAction, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(self.ENTRY.argument_spec()).validate(self._task.args)
        if validation.error_messages:
            msg = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (self._task.resolved_action or self._task.action, msg)
            return dict(result, failed=True, changed=False, msg=msg)
        try:
            outcome = self.ENTRY.run(validation.validated_parameters, bool(self._play_context.check_mode))
            outcome = as_module_result(outcome, validation._no_log_values)
        except ModuleFailure as exc:
            outcome = as_module_result(dict(exc.extra, failed=True, changed=exc.changed, msg=exc.msg),
                                       validation._no_log_values)
        except Exception as exc:  # pylint: disable=broad-except
            # A module would have died with a traceback in module_stderr; here the run goes on to its report
            # (a check's own failures never get here: run_check turns them into an unknown finding).
            outcome = {"failed": True, "changed": False,
                       "msg": "%s failed unexpectedly (%s: %s); please report this as a bug of karmada.runbooks"
                              % (self._task.resolved_action or self._task.action, type(exc).__name__, exc)}
        result.update(outcome)
        return result
