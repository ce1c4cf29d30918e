# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role / module / check id map in docs/DEVELOPING-CHECKS.md is the one place that says how the
names line up; these tests keep it true, so a newcomer can trust it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import pytest
import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils._report import CHECKS

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROW = re.compile(r"^\| (\d) \| `(\w+)` \| `(\w+)`(?: \(`check: (\w+)`\))? \| `(\w+)` \| `(_\w+\.py)` \|$")


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def check_map():
    text = read("docs", "DEVELOPING-CHECKS.md")
    block = text.split("<!-- check-map:start -->")[1].split("<!-- check-map:end -->")[0]
    rows = [ROW.match(line) for line in block.strip().splitlines()[2:]]
    assert all(rows), "a row of the check map does not have the expected shape"
    return [row.groups() for row in rows]


def module_utils_ids(filename):
    """The check ids a module_utils file declares (CHECK_ID or *_ID constants)."""
    tree = ast.parse(read("plugins", "module_utils", filename))
    return {node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Name) and (t.id == "CHECK_ID" or t.id.endswith("_ID")) for t in node.targets)}


def test_every_check_of_the_schema_is_mapped_once():
    assert sorted(row[4] for row in check_map()) == sorted(CHECKS)


@pytest.mark.parametrize("step, role, module, mode, check_id, utils", check_map())
def test_the_row_matches_the_code(step, role, module, mode, check_id, utils):
    assert CHECKS[check_id][0] == int(step)
    tasks = yaml.safe_load(read("roles", role, "tasks", "main.yml"))
    calls = [task["karmada.runbooks." + module] or {} for task in tasks if "karmada.runbooks." + module in task]
    assert calls, "role %s does not call karmada.runbooks.%s" % (role, module)
    if mode:
        assert [call.get("check") for call in calls] == [mode]
    assert check_id in module_utils_ids(utils)
    assert os.path.exists(os.path.join(ROOT, "plugins", "modules", module + ".py"))


def test_every_step_role_records_through_common_and_depends_on_it():
    for role in {row[1] for row in check_map()}:
        tasks = yaml.safe_load(read("roles", role, "tasks", "main.yml"))
        last = tasks[-1]
        assert last.get("ansible.builtin.import_role", {}).get("tasks_from") == "record_finding", role
        dependencies = yaml.safe_load(read("roles", role, "meta", "main.yml"))["dependencies"]
        assert {"role": "karmada.runbooks.common"} in dependencies, role
