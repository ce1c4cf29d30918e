# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation_report module end to end: a diagnosis report.json and a section in, the combined files out."""

import json
import os

import pytest
import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_files
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SCHEMA_VERSION
from ansible_collections.karmada.runbooks.plugins.modules import mitigation_report as module
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import (
    mitigation_applied,
    mitigation_plan,
    report,
)
from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import ExitJson, FailJson, run_main


def run(args, outcome=ExitJson):
    return run_main(module.main, args, outcome)


@pytest.fixture
def diagnosis(tmp_path):
    """The report.json diagnose.yml wrote, in a directory of its own."""
    paths = _report_files.write_files(str(tmp_path / "diagnosis"), _report_files.render(report()))
    return paths["json"]


def test_writes_the_combined_report_where_asked(tmp_path, diagnosis):
    out = tmp_path / "mitigation"
    result = run({"diagnosis": diagnosis, "mitigation": mitigation_applied(), "report_dir": str(out)})
    assert result["changed"] is False
    assert result["mitigation"] == mitigation_applied()
    assert result["paths"] == {"json": str(out / "report.json"), "md": str(out / "report.md"), "html": str(out / "report.html")}
    with open(result["paths"]["json"], encoding="utf-8") as handle:
        written = json.load(handle)
    assert written["schema_version"] == SCHEMA_VERSION
    assert written["mitigation"] == result["mitigation"]
    with open(diagnosis, encoding="utf-8") as handle:
        assert {key: value for key, value in written.items() if key != "mitigation"} == json.load(handle)
    with open(result["paths"]["md"], encoding="utf-8") as handle:
        assert "### Verification" in handle.read()
    lines = result["summary"].splitlines()
    assert lines[0].endswith("DEGRADED")
    assert "Mitigation: RECOVERED - applied 2 of 2 actions; recovered in 41 s" in lines
    assert lines[-1].strip() == str(out / "report.html")


def test_report_dir_may_be_the_diagnosis_directory(diagnosis):
    directory = os.path.dirname(diagnosis)
    result = run({"diagnosis": diagnosis, "mitigation": mitigation_plan(), "report_dir": directory, "formats": ["json"]})
    assert result["paths"] == {"json": diagnosis}
    with open(diagnosis, encoding="utf-8") as handle:
        assert json.load(handle)["mitigation"]["mode"] == "plan"
    assert sorted(os.listdir(directory)) == [".report.lock", "report.html", "report.json", "report.md"]


def test_check_mode_still_writes_the_report(tmp_path, diagnosis):
    result = run({"diagnosis": diagnosis, "mitigation": mitigation_plan(), "report_dir": str(tmp_path / "out"),
                  "_ansible_check_mode": True})
    assert result["changed"] is False
    assert sorted(os.listdir(str(tmp_path / "out"))) == [".report.lock", "report.html", "report.json", "report.md"]


def test_a_malformed_section_fails_naming_the_field_and_writes_nothing(tmp_path, diagnosis):
    section = mitigation_applied()
    section["actions"][0]["status"] = "done"
    result = run({"diagnosis": diagnosis, "mitigation": section, "report_dir": str(tmp_path / "out")}, FailJson)
    assert result["msg"] == ("mitigation.actions[0] (action restore_execution_namespaces): field 'status' must be one of "
                             "planned, applied, skipped, failed, got 'done'")
    assert not os.path.exists(str(tmp_path / "out"))


@pytest.mark.parametrize("content, expected", [
    (None, "diagnosis: cannot read the diagnosis report {path}: No such file or directory"),
    ("not json", "diagnosis: {path} is not JSON: "),
    ('{"verdict": {}}', "diagnosis: {path} is not a karmada.runbooks report of schema 1.0: field 'schema_version' is None"),
])
def test_a_bad_diagnosis_fails_naming_the_option(tmp_path, content, expected):
    path = tmp_path / "given.json"
    if content is not None:
        path.write_text(content)
    result = run({"diagnosis": str(path), "mitigation": mitigation_applied(), "report_dir": str(tmp_path / "out")}, FailJson)
    assert result["msg"].startswith(expected.format(path=path))
    assert not os.path.exists(str(tmp_path / "out"))


def test_an_unwritable_report_dir_fails_naming_it(tmp_path, diagnosis):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run({"diagnosis": diagnosis, "mitigation": mitigation_applied(), "report_dir": str(blocker / "out")}, FailJson)
    assert result["msg"].startswith("report_dir (karmada_report_dir): cannot write the report to ")


def test_documentation_matches_the_argument_spec():
    # validate-modules compares the two; this keeps them in step between sanity runs.
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    spec = module.argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        for key in ("type", "required", "default", "choices", "elements"):
            assert documented[name].get(key, False if key == "required" else None) == option.get(
                key, False if key == "required" else None), (name, key)
    yaml.safe_load(module.EXAMPLES)
    assert set(yaml.safe_load(module.RETURN)) == {"mitigation", "summary", "paths"}
