# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a module's entry in the controller: same validation, same failures, module-like results."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import pytest
from ansible.template import is_trusted_as_template, trust_as_template

from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure
from ansible_collections.karmada.runbooks.plugins.plugin_utils import _in_controller


def spec():
    return {"name": {"type": "str", "required": True}, "count": {"type": "int", "default": 3},
            "token": {"type": "str", "no_log": True}, "mode": {"type": "str", "choices": ["plan", "apply"], "default": "plan"}}


def work(params, check_mode):
    if params["name"] == "crash":
        raise KeyError("details")
    if params["name"] == "refuse":
        raise ModuleFailure("name: refused", changed=False, lock={"held": True})
    return {"changed": False, "params": params, "check_mode": check_mode, "echo": "token is %s" % params["token"]}


class Action(_in_controller.InControllerAction):
    ENTRY = ModuleEntry(spec, work)


def run(args, check_mode=False):
    task = mock.MagicMock(args=args, async_val=0, check_mode=check_mode, resolved_action="karmada.runbooks.example")
    action = Action(task, mock.MagicMock(), mock.MagicMock(check_mode=check_mode), None, None, None)
    return action.run(task_vars={})


def test_parameters_are_validated_with_defaults_and_types():
    result = run({"name": "x", "count": "7"})
    assert "failed" not in result
    assert result["params"] == {"name": "x", "count": 7, "token": None, "mode": "plan"}


@pytest.mark.parametrize("args, message", [
    ({}, "missing required arguments: name"),
    ({"name": "x", "mode": "delete"}, "value of mode must be one of: plan, apply, got: delete"),
    ({"name": "x", "count": "many"}, "argument 'count' is of type str and we were unable to convert to int"),
    ({"name": "x", "colour": "red"}, "Unsupported parameters for (karmada.runbooks.example) module: colour"),
])
def test_bad_arguments_fail_the_task_with_ansiblemodules_message(args, message):
    result = run(args)
    assert result["failed"] is True and message in result["msg"]


def test_a_module_failure_fails_the_task_with_its_extra_values():
    result = run({"name": "refuse"})
    assert (result["failed"], result["msg"], result["lock"]) == (True, "name: refused", {"held": True})


def test_check_mode_is_the_plays():
    assert run({"name": "x"}, check_mode=True)["check_mode"] is True
    assert run({"name": "x"})["check_mode"] is False


def test_no_log_values_are_masked_in_the_result():
    result = run({"name": "x", "token": "s3cret-value"})
    assert "s3cret-value" not in repr(result)
    assert result["echo"] == "token is ********"


def test_results_are_plain_json_data_never_trusted_templates():
    # A string read from a cluster must stay text: the result carries no template trust mark, as a module's would not.
    data = _in_controller.as_module_result({"message": trust_as_template("{{ lookup('pipe', 'id') }}"),
                                            "when": datetime.datetime(2026, 11, 30, 3, 0), "ids": {"b", "a"}})
    assert data == {"message": "{{ lookup('pipe', 'id') }}", "when": "2026-11-30T03:00:00", "ids": ["a", "b"]}
    assert not is_trusted_as_template(data["message"])


def test_an_unexpected_error_fails_the_task_with_a_message_not_a_traceback():
    result = run({"name": "crash"})
    assert result["failed"] is True
    assert result["msg"] == ("karmada.runbooks.example failed unexpectedly (KeyError: 'details'); "
                             "please report this as a bug of karmada.runbooks")


def test_a_lone_surrogate_read_from_a_cluster_becomes_a_replacement_character():
    # json.loads('"\\ud800"') is how one arrives: a JSON escape in an event message or a log line.
    result = _in_controller.as_module_result({"finding": {"evidence": [{"text": json.loads('"bad \\ud800 here"')}]},
                                              "other": "caf\u00e9 \U0001F600"})
    assert result["finding"]["evidence"][0]["text"] == "bad \ufffd here"
    assert result["other"] == "caf\u00e9 \U0001F600"      # real characters, astral ones included, stay
    json.dumps(result).encode("utf-8")                      # and the result is valid UTF-8 again
