# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""record_findings: one finding per check in karmada_findings, and a result the callbacks keep quiet."""

from __future__ import annotations

from ansible_collections.karmada.runbooks.plugins.modules.record_findings import ENTRY, main
from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import FailJson, run_main


def test_a_later_finding_of_the_same_check_replaces_the_earlier_one():
    old = [{"id": "rbac", "status": "unknown"}, {"id": "slo_burn_rate", "status": "ok"}]
    result = ENTRY.run({"findings": old, "add": [{"id": "rbac", "status": "ok"}]}, False)
    assert result["ansible_facts"]["karmada_findings"] == [{"id": "slo_burn_rate", "status": "ok"},
                                                           {"id": "rbac", "status": "ok"}]
    assert result["count"] == 2 and result["changed"] is False


def test_no_findings_yet_counts_as_none_and_the_result_is_not_printed_at_v():
    result = ENTRY.run({"findings": None, "add": []}, False)
    assert result["ansible_facts"] == {"karmada_findings": []}
    assert result["_ansible_verbose_override"] is True


def test_findings_that_are_not_mappings_fail_with_the_option_named():
    failure = run_main(main, {"add": ["not a finding"]}, outcome=FailJson)
    assert "add" in failure["msg"] and "dict" in failure["msg"]
