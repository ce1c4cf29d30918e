# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module does, apart from how it is started.

Every module of this collection declares ``ENTRY = ModuleEntry(argument_spec, run)``:
``argument_spec()`` returns the AnsibleModule argument spec and ``run(params, check_mode)`` does the
work on validated parameters and returns the result, or raises ``ModuleFailure``. Two callers use it:

- ``run_module(entry)``, the module's ``main()``, when Ansible starts the module as its own Python
  process (``ansible-doc``, ansible-test, and a play that runs the module on another host);
- the action plugin of the same name (``plugin_utils._in_controller``), which Ansible prefers: it runs
  ``run`` in the controller's worker process, where the Kubernetes client is already imported. That
  saves a Python start and about 0.4 s of imports per task, most of a diagnosis' cost (issue 11).

Both validate the arguments against the same spec and return the same result, so a task behaves the
same either way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleFailure(Exception):
    """The task fails with ``msg``; ``extra`` are further return values (e.g. the lock's state)."""

    def __init__(self, msg, changed=False, **extra):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.changed = changed
        self.extra = extra


class ModuleEntry:
    """A module's argument spec and its work; see the module docstring."""

    def __init__(self, argument_spec, run):
        self.argument_spec = argument_spec
        self.run = run


def run_module(entry):
    """A module's whole ``main()``: parse the arguments, run the entry, exit. Never returns."""
    # Imported here so the action plugins, which never build an AnsibleModule, need not import basic.
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec=entry.argument_spec(), supports_check_mode=True)
    try:
        result = entry.run(module.params, module.check_mode)
    except ModuleFailure as exc:
        module.fail_json(msg=exc.msg, changed=exc.changed, **exc.extra)
    for warning in result.pop("warnings", None) or ():
        module.warn(warning)
    module.exit_json(**result)
