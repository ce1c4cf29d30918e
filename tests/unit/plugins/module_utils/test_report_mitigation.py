# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation section: its validation (errors name the field), adding it to a diagnosis report,
reading that report back, and how report.md, report.html and the console show it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report, _report_build, _report_console, _report_files
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import ACTIONS
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SchemaError
from ansible_collections.karmada.runbooks.plugins.module_utils._report_html import to_html
from ansible_collections.karmada.runbooks.plugins.module_utils._report_markdown import to_markdown
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import ACTION_TITLES, mitigation_view
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import (
    XSS,
    mitigated,
    mitigation_applied,
    mitigation_plan,
    mitigation_stopped,
    report,
)

PATHS = {"json": "/out/report.json", "md": "/out/report.md", "html": "/out/report.html"}


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("section", [mitigation_applied(), mitigation_applied(recovered=False), mitigation_plan(), mitigation_stopped()])
def test_sections_built_with_the_constructors_are_valid(section):
    _report.validate_mitigation(section)
    assert json.loads(json.dumps(section)) == section  # plain data, as report.json stores it


def test_the_vocabularies_come_from_the_catalogue():
    assert _report.ACTION_IDS == tuple(ACTIONS)
    assert set(ACTIONS.values()) == set(_report.ACTION_KINDS)
    assert _report.ACTION_STATUSES == ("planned", "applied", "skipped", "failed")
    assert set(ACTION_TITLES) == set(ACTIONS)


def _criterion(section, name):
    return section["verification"]["criteria"][name]


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.update(mode="fix"), "mitigation: field 'mode' must be one of plan, apply, got 'fix'"),
    (lambda s: s.update(approved="yes"), "mitigation: field 'approved' must be true or false, got 'yes'"),
    (lambda s: s.update(started_at="yesterday"), "mitigation: field 'started_at' must be an RFC 3339 time"),
    (lambda s: s.update(summary=" "), "mitigation: field 'summary' must be a non-empty string"),
    (lambda s: s.pop("finished_at"), "mitigation: field 'finished_at' is missing"),
    (lambda s: s.update(allowed_actions=["restore_execution_namespaces", "delete_everything"]),
     "mitigation: field 'allowed_actions[1]' must be an action id: restore_execution_namespaces, "),
    (lambda s: s["diagnosis"].update(source="s3"), "mitigation: field 'diagnosis.source' must be one of run, file, got 's3'"),
    (lambda s: s.update(approved=False), "mitigation: field 'mode' must be 'plan' when the run is not approved or in check mode"),
    (lambda s: s.update(actions={}), "mitigation: field 'actions' must be a list of actions"),
    (lambda s: s["actions"].append("restart"), "mitigation.actions[3] must be an action"),
    (lambda s: s["actions"][0].update(id="delete_everything"), "mitigation.actions[0]: field 'id' must be an action id: "),
    (lambda s: s["actions"][0].update(status="done"),
     "mitigation.actions[0] (action restore_execution_namespaces): field 'status' must be one of planned, applied, skipped, failed, got 'done'"),
    (lambda s: s["actions"][0].update(kind="report"),
     "mitigation.actions[0] (action restore_execution_namespaces): field 'kind' must be 'apply' for this action, got 'report'"),
    (lambda s: s["actions"][0].update(cause="gremlins"), "field 'cause' must be null or a cause id: execution_namespace_missing, "),
    (lambda s: s["actions"][0].update(reason=""), "(action restore_execution_namespaces): field 'reason' must be a non-empty string"),
    (lambda s: s["actions"][0].update(targets="Namespace/x"), "field 'targets' must be a list of strings, got 'Namespace/x'"),
    (lambda s: s["actions"][0].update(duration_seconds=-1), "field 'duration_seconds' must be a non-negative number of seconds or null"),
    (lambda s: s["actions"][0]["details"].update(created="karmada-es-member2"),
     "(action restore_execution_namespaces): field 'details.created' must be a list of strings"),
    (lambda s: s["actions"][0]["details"]["rejected"][0].update(reason=None), "field 'details.rejected[0].reason' must be a string, got None"),
    (lambda s: s["actions"][1]["details"].update(restarted_at="now"), "(action restart_controller_manager): field 'details.restarted_at' must be an RFC"),
    (lambda s: s["actions"][2]["details"]["policies"][0].update(rule="0"),
     "(action suggest_override_policy_fix): field 'details.policies[0].rule' must be a non-negative integer or null, got '0'"),
    (lambda s: s["actions"][2].update(changed=True),
     "mitigation.actions[2] (action suggest_override_policy_fix): field 'changed' must be false for a report action (it writes nothing)"),
    (lambda s: s["actions"][1].update(status="skipped"),
     "mitigation.actions[1] (action restart_controller_manager): field 'changed' must be false for an action that is skipped"),
    (lambda s: s["actions"][1].update(status="planned", changed=False),
     "mitigation.actions[1] (action restart_controller_manager): field 'status' cannot be 'planned' in apply mode"),
    (lambda s: s.update(allowed_actions=["suggest_override_policy_fix"]),
     "mitigation.actions[0] (action restore_execution_namespaces): field 'status' cannot be 'applied': "
     "restore_execution_namespaces is not in allowed_actions"),
    (lambda s: s["lock"].update(acquired=False, released=False), "mitigation: field 'lock.error' must say why the lock was not acquired"),
    (lambda s: s["lock"].update(acquired=False, error="held by awx-job-1"), "mitigation: field 'lock.released' cannot be true"),
    (lambda s: s["lock"].pop("holder"), "mitigation: field 'lock.holder' is missing"),
    (lambda s: s.update(lock="karmada-runbooks-mitigation"), "mitigation: field 'lock' must be null or a mapping"),
    (lambda s: s["verification"].update(status="not_recovered"),
     "mitigation.verification: field 'status' must be 'recovered' as recovered is True, got 'not_recovered'"),
    (lambda s: s["verification"].update(polls=1.5), "mitigation.verification: field 'polls' must be a non-negative integer, got 1.5"),
    (lambda s: s["verification"]["criteria"].pop("metric"), "mitigation.verification: field 'criteria.metric' must be a mapping"),
    (lambda s: _criterion(s, "bindings").update(scheduled=-1), "field 'criteria.bindings.scheduled' must be a non-negative integer"),
    (lambda s: _criterion(s, "bindings")["samples"].append({"binding": 3}), "field 'criteria.bindings.samples[0].binding' must be a string"),
    (lambda s: _criterion(s, "metric").update(error=None), "field 'criteria.metric.error' must say why the criterion could not be measured"),
    (lambda s: _criterion(s, "events").update(ok=False),
     "mitigation.verification: field 'recovered' cannot be true when criteria events failed"),
    (lambda s: [_criterion(s, name).update(ok=None, error="forbidden") for name in ("bindings", "events")],
     "mitigation.verification: field 'recovered' cannot be true when no criterion could be measured"),
])
def test_a_malformed_section_names_the_field(mutate, expected):
    section = mitigation_applied()
    mutate(section)
    with pytest.raises(SchemaError) as error:
        _report.validate_mitigation(section)
    assert expected in str(error.value)


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s["actions"][0].update(status="applied"),
     "mitigation.actions[0] (action restore_execution_namespaces): field 'status' cannot be 'applied' in plan mode (plan mode writes nothing)"),
    (lambda s: s.update(lock=mitigation_applied()["lock"]), "mitigation: field 'lock' must be null in plan mode"),
    (lambda s: s.update(verification=mitigation_applied()["verification"]), "mitigation: field 'verification' must be null in plan mode"),
])
def test_plan_mode_cannot_record_a_change(mutate, expected):
    section = mitigation_plan()
    mutate(section)
    with pytest.raises(SchemaError) as error:
        _report.validate_mitigation(section)
    assert expected in str(error.value)


def test_a_section_must_be_a_mapping():
    with pytest.raises(SchemaError, match="mitigation must be a mapping"):
        _report.validate_mitigation([])


def test_constructors_apply_the_validator_rules():
    with pytest.raises(SchemaError, match="field 'status' must be one of planned"):
        _report.mitigation_action("restart_controller_manager", "done", "restarted")
    with pytest.raises(SchemaError, match="field 'changed' must be false for a stop action"):
        _report.mitigation_action("stop_for_apiserver_runbook", "skipped", "API server errors", changed=True)
    with pytest.raises(SchemaError, match="field 'lock.waited_seconds' must be a non-negative number"):
        _report.mitigation_lock("l", "karmada-system", "me", True, waited_seconds=-2)
    with pytest.raises(SchemaError, match="field 'diagnosis.source' must be one of run, file"):
        _report.mitigation_diagnosis("s3", None, "degraded", "x")
    # kind is the catalogue's, whatever the caller thinks it is.
    assert _report.mitigation_action("report_webhook_outage", "skipped", "report only")["kind"] == "report"
    # A failed write may have written part of its change.
    assert _report.mitigation_action("restore_execution_namespaces", "failed", "forbidden", changed=True)["changed"] is True


def test_free_form_details_of_other_actions_are_not_checked():
    item = _report.mitigation_action("report_webhook_outage", "skipped", "report only", details={"webhook": ["a", 1], "n": {"x": 1}})
    assert item["details"] == {"webhook": ["a", 1], "n": {"x": 1}}


# --- adding the section to a diagnosis report ----------------------------------------------------

def test_with_mitigation_adds_the_section_and_keeps_the_diagnosis():
    diagnosis = report()
    before = copy.deepcopy(diagnosis)
    combined = _report_build.with_mitigation(diagnosis, mitigation_applied())
    assert diagnosis == before  # the input is not changed
    assert combined["schema_version"] == _report.SCHEMA_VERSION == "1.0"
    assert {key: value for key, value in combined.items() if key != "mitigation"} == before
    assert combined["mitigation"] == mitigation_applied()
    # A mitigation report given as the diagnosis gets its section replaced, not doubled.
    again = _report_build.with_mitigation(combined, mitigation_plan())
    assert again["mitigation"]["mode"] == "plan"


@pytest.mark.parametrize("diagnosis, expected", [
    ([], "report is not a karmada.runbooks report: it must be a JSON object, got list"),
    (dict(report(), schema_version="2.0"), "report is not a karmada.runbooks report of schema 1.0: field 'schema_version' is '2.0'"),
    ({"schema_version": "1.0", "checks": []}, "report is not a karmada.runbooks report: field 'verdict' must be a mapping"),
    (dict(report(), checks={}), "field 'checks' must be a list of findings"),
])
def test_with_mitigation_refuses_what_is_not_a_report(diagnosis, expected):
    with pytest.raises(SchemaError) as error:
        _report_build.with_mitigation(diagnosis, mitigation_applied())
    assert expected in str(error.value)


def test_with_mitigation_validates_the_section():
    section = mitigation_applied()
    section["actions"][0]["status"] = "done"
    with pytest.raises(SchemaError, match=r"mitigation.actions\[0\] \(action restore_execution_namespaces\): field 'status'"):
        _report_build.with_mitigation(report(), section)


def test_diagnosis_reference_reads_the_report():
    reference = _report_build.diagnosis_reference(report(), "file", "/out/report.json")
    assert reference == {"source": "file", "path": "/out/report.json", "generated_at": "2025-11-25T03:00:00Z",
                         "status": "degraded", "summary": "degraded: execution namespaces are missing (karmada-es-member2)"}


def test_read_report_reads_back_what_was_written(tmp_path):
    paths = _report_files.write_files(str(tmp_path), _report_files.render(report(), ["json"]))
    assert _report_files.read_report(paths["json"]) == json.loads(json.dumps(report()))


@pytest.mark.parametrize("content, expected", [
    (None, "diagnosis: cannot read the diagnosis report {path}: No such file or directory"),
    (b"<html>", "diagnosis: {path} is not JSON: Expecting value"),
    (b"\xff\xfe", "diagnosis: {path} is not JSON: "),
    (b'{"findings": []}', "diagnosis: {path} is not a karmada.runbooks report of schema 1.0: field 'schema_version' is None"),
])
def test_read_report_names_the_option(tmp_path, content, expected):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as error:
        _report_files.read_report(str(path))
    assert str(error.value).startswith(expected.format(path=path))


# --- report.md ----------------------------------------------------------------------------------

def _md_mitigation(text):
    return text[text.index("## Mitigation"):]


def test_markdown_shows_an_applied_and_verified_mitigation():
    text = to_markdown(mitigated())
    assert "> **Mitigation: recovered** - applied 2 of 2 actions; recovered in 41 s" in text
    part = _md_mitigation(text)
    assert part.index("### Actions") < part.index("### Lock") < part.index("### Verification") < part.index("### Runbook guidance")
    assert "| Mode | apply (approved) |" in part
    assert "#### 1. Restore the execution namespaces (`restore_execution_namespaces`): APPLIED, changed" in part
    assert "- Targets: `Namespace/karmada-es-member2`" in part
    assert "- Created: karmada-es-member2" in part and "- Rejected: Member_3: not a DNS-1123 label" in part
    assert "- Rollout: ready 2/2, updated 2/2, available 2/2" in part and "- Cooldown: 15m" in part
    assert "- **Next step:** Review the diff and apply the policy change by hand." in part
    assert "taken over from awx-job-4700 (its lease had expired); released" in part
    assert "**Recovered in 41 s after 5 poll(s)**: every scheduled binding has its Works" in part
    assert "| Every scheduled binding has its Works (`bindings`) | **OK** | 0 of 12 scheduled binding(s) without Works |" in part
    assert "| **NOT MEASURED** | not measured (range 60 s); error: `Prometheus at http://prometheus:9090 is unreachable` |" in part
    assert "| Polls | 5 |" in part and "| Timeout | 10m |" in part


def test_markdown_puts_a_suggested_fix_in_a_diff_block_it_cannot_close():
    part = _md_mitigation(to_markdown(mitigated()))
    # The diff carries a ``` line of its own: the fence is longer, so the block holds to its end.
    start = part.index("````diff\n")
    block = part[start:part.index("\n````\n", start) + 6]
    assert "-  operator: replace\n+  path: /spec/template/spec/containers/0/imagePullPolicy\n+  operator: add" in block
    assert "\n```\n" in block
    assert XSS in block  # literal inside a code block, never HTML
    outside = part.replace(block, "")
    assert XSS not in outside and "\\<script\\>" in outside


def test_markdown_shows_a_plan_only_run():
    text = to_markdown(mitigated(mitigation_plan()))
    part = _md_mitigation(text)
    assert "**Outcome: PLAN ONLY** - plan only: 2 actions would apply; approve with -e karmada_mitigate_approve=true" in part
    assert "| Mode | plan only (not approved: approve with -e karmada_mitigate_approve=true) |" in part
    assert "): PLANNED" in part and "(`repair_controller_rbac`): SKIPPED" in part
    assert "- Identity: system:serviceaccount:karmada-system:karmada-controller-manager (source: logs)" in part
    assert "Not run: plan mode applies nothing." in part
    assert "### Lock" not in part


def test_markdown_shows_a_stopped_run_with_the_next_step():
    part = _md_mitigation(to_markdown(mitigated(mitigation_stopped())))
    assert "**Outcome: STOPPED** - stopped: API server errors, see the Karmada API Server Availability runbook" in part
    assert "- **Next step:** Follow the Karmada API Server Availability runbook" in part
    assert "Not run: nothing was applied." in part


def test_a_diagnosis_only_report_has_no_mitigation_run():
    text = to_markdown(report())
    assert "### Actions" not in text and "**Mitigation:" not in text and "### Runbook guidance" not in text
    assert mitigation_view(report()) is None


def test_markdown_and_console_drop_terminal_controls_from_mitigation_text():
    section = mitigation_applied()
    section["actions"][0]["reason"] = "created\x1b[2J\x1b]0;pwned\x07 1 namespace"
    section["actions"][2]["details"]["policies"][0]["diff"] = "+ a\x1b[31m\n- b\r\n"
    built = mitigated(section)
    for text in (to_markdown(built), _report_console.console_summary(built), to_html(built)):
        assert "\x1b" not in text and "\x07" not in text


# --- report.html --------------------------------------------------------------------------------

def test_html_shows_the_mitigation_escaped_and_self_contained():
    section = mitigation_applied()
    section["actions"][0]["reason"] = "created " + XSS
    section["actions"][0]["targets"].append('Namespace/"><img src=x onerror=alert(1)>')
    page = to_html(mitigated(section))
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "created &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert '<span class="ctx"> # value: Always &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;</span>' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+=", page.replace("onerror=alert(1)&gt;", ""))  # no event handler attribute


def test_html_shows_actions_lock_and_verification_with_numbers():
    page = to_html(mitigated())
    part = page[page.index("<h2>Mitigation</h2>"):]
    assert '<div class="action applied kind-apply"><h3>1. Restore the execution namespaces <code>restore_execution_namespaces</code>' in part
    assert '<span class="del">-  operator: replace</span>' in part and '<span class="add">+  operator: add</span>' in part
    assert "<h3>Lock</h3>" in part and "awx-job-4711" in part
    assert "Recovered in 41 s after 5 poll(s)" in part and "0 of 12 scheduled binding(s) without Works" in part
    assert ">not measured</span>" in part
    assert part.index("<h3>Verification</h3>") < part.index("<h3>Runbook guidance</h3>")
    assert "Mitigation: <span" in page[:page.index("</header>")]


def test_html_shows_a_failed_verification_and_action():
    section = mitigation_applied(recovered=False)
    section["actions"][1].update(status="failed", reason="rollout did not finish within 5m: 1 of 2 pods ready",
                                 next_step="Check the controller-manager pods on the host cluster.")
    section["summary"] = "1 of 2 actions failed; not recovered in 600 s"
    page = to_html(mitigated(section))
    assert '<div class="action failed kind-apply">' in page and "<strong>Error:</strong> rollout did not finish" in page
    assert "Not recovered after 10m (60 poll(s), timeout 10m)" in page
    assert "default/nginx: no Work in member2" in page


# --- console ------------------------------------------------------------------------------------

def _mitigation_lines(text):
    lines = text.splitlines()
    return lines[next(index for index, line in enumerate(lines) if line.startswith("Mitigation: ")):-len(PATHS)]


def test_console_shows_one_line_per_action_and_the_verification():
    text = _report_console.console_summary(mitigated(), PATHS)
    block = _mitigation_lines(text)
    assert block == [
        "Mitigation: RECOVERED - applied 2 of 2 actions; recovered in 41 s",
        "  mode apply (approved); actions 2 applied, 1 skipped",
        "  lock: taken over from awx-job-4700 (its lease had expired); released",
        "  APPLIED  restore_execution_namespaces (changed): created 1 execution namespace; 1 cluster rejected",
        "  APPLIED  restart_controller_manager (changed): restarted after the namespaces were restored",
        block[5],
        "Verification: Recovered in 41 s after 5 poll(s): every scheduled binding has its Works and no new failure events",
        block[7],
    ]
    assert block[5].startswith("  SKIPPED  suggest_override_policy_fix: report only: the policy fails for")
    assert block[7].startswith("  bindings ok (0 of 12 without Works); events ok (0 new); metric not measured (Prometheus at")
    assert text.splitlines()[-3:] == ["Report: /out/report.json", "        /out/report.md", "        /out/report.html"]


def test_console_shows_a_plan_and_a_stop():
    plan = _mitigation_lines(_report_console.console_summary(mitigated(mitigation_plan()), PATHS))
    assert plan[0].startswith("Mitigation: PLAN ONLY - plan only: 2 actions would apply")
    assert "  PLANNED  restore_execution_namespaces: would create Namespace karmada-es-member2" in plan
    assert not any(line.startswith("Verification") for line in plan)
    stop = _mitigation_lines(_report_console.console_summary(mitigated(mitigation_stopped()), PATHS))
    assert stop[2].startswith("  SKIPPED  stop_for_apiserver_runbook: the Karmada API server returns errors Next: Follow the Karmada")


def test_console_stays_bounded_with_50_actions():
    section = mitigation_applied()
    report_only = [_report.mitigation_action("report_webhook_outage", "skipped", f"report only {index}: " + "x" * 300,
                                             next_step="restore the webhook") for index in range(46)]
    failed = _report.mitigation_action("restore_execution_namespaces", "failed", 'namespaces is forbidden: User "x" cannot create')
    section["actions"] = report_only[:20] + [failed] + report_only[20:] + section["actions"]
    assert len(section["actions"]) == 50
    without = _report_console.console_summary(report(), PATHS).splitlines()
    lines = _report_console.console_summary(mitigated(section), PATHS).splitlines()
    assert len(lines) - len(without) <= _report_console.MITIGATION_MAX_LINES == 15
    assert all(len(line) <= _report_console.CONSOLE_WIDTH for line in lines)
    block = _mitigation_lines("\n".join(lines))
    # What failed and what changed stay on screen, in plan order; the rest is counted.
    shown = [line.split()[1].rstrip(":") for line in block if line.startswith(("  FAILED", "  APPLIED", "  SKIPPED"))]
    assert shown == ["report_webhook_outage"] * 6 + ["restore_execution_namespaces", "restore_execution_namespaces",
                                                     "restart_controller_manager"]
    assert "  FAILED   restore_execution_namespaces: namespaces is forbidden: User \"x\" cannot create" in block
    assert sum(line.startswith("  APPLIED") for line in block) == 2
    hidden = 50 - len(shown)
    assert f"  ... and {hidden} more action(s) in the report" in block
    assert block[-2].startswith("Verification: Recovered in 41 s")


def test_views_show_finalization_blockers_and_free_form_details():
    section = mitigation_stopped()
    section["actions"].append(_report.mitigation_action(
        "report_namespace_finalization_blockers", "skipped", "report only: 1 namespace is stuck terminating",
        cause="execution_namespace_terminating", next_step="Bring member3 back to Ready, then let the namespace go.",
        details={"namespaces": [{"namespace": "karmada-es-member3", "cluster": "member3", "cluster_ready": False,
                                 "works_with_finalizers": 2, "samples": ["nginx-687f7fb96f", "web-5b6c9d"]}]}))
    free_form = {"webhook": "work.karmada.io", "endpoints": ["10.0.0.1", 8443], "ready": False, "service": {"name": "karmada-webhook"}}
    section["actions"].append(_report.mitigation_action("report_webhook_outage", "skipped", "report only", details=free_form))
    text = to_markdown(mitigated(section))
    assert "- karmada-es-member3: cluster member3 (not Ready); 2 Work(s) with finalizers, e.g. nginx-687f7fb96f, web-5b6c9d" in text
    assert "- webhook: work.karmada.io" in text and "- endpoints: 10.0.0.1, 8443" in text and "- ready: no" in text
    assert '- service: {"name": "karmada-webhook"}' in text
    page = to_html(mitigated(section))
    assert "<tr><th>karmada-es-member3</th><td>cluster member3 (not Ready); 2 Work(s) with finalizers" in page
