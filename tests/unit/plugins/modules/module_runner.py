# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process and catch what it would have printed for Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def capture(monkeypatch):
    """Make exit_json/fail_json raise ExitJson/FailJson with the module's result."""
    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_main(main, args, outcome=ExitJson):
    """The result a module's ``main`` exits with (``outcome`` ExitJson) or fails with (FailJson)."""
    with patch_module_args(args), pytest.raises(outcome) as result:
        main()
    return result.value.args[0]
