# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report module end to end (arguments in, files and result out), with the real verdict."""

import json
import os

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._report import SCHEMA_VERSION, evidence, finding, signal, unknown
from ansible_collections.karmada.runbooks.plugins.modules import report as report_module
from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import ExitJson, FailJson, run_main


def run(args, outcome=ExitJson):
    return run_main(report_module.main, args, outcome)


def findings():
    gone = evidence("object", "namespace karmada-es-member2 does not exist")
    return [
        finding("execution_namespaces", "fail", "Of 3 execution namespaces, 1 missing (karmada-es-member2).",
                details={"missing": ["karmada-es-member2"]}, evidence_items=[gone],
                signals=[signal("execution_namespace_missing", 0.9, "1 missing", clusters=["member2"], evidence_items=[gone])]),
        unknown("slo_burn_rate", "Prometheus at http://prometheus:9090 is unreachable: connection refused"),
    ]


def test_writes_every_format_and_returns_the_verdict(tmp_path):
    out = tmp_path / "report"
    result = run({"findings": findings(), "report_dir": str(out), "started_at": "2020-01-01T00:00:00Z",
                  "alert": {"labels": {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"},
                            "startsAt": "2025-11-25T02:10:00Z"},
                  "targets": {"karmada_context": "karmada-apiserver", "labels": ["app=karmada-controller-manager"]}})
    assert result["changed"] is False
    assert result["verdict"]["status"] == "degraded"
    assert result["verdict"]["causes"][0]["id"] == "execution_namespace_missing"
    assert result["paths"] == {"json": str(out / "report.json"), "md": str(out / "report.md"), "html": str(out / "report.html")}
    with open(result["paths"]["json"], encoding="utf-8") as handle:
        written = json.load(handle)
    assert written == json.loads(json.dumps(result["report"]))  # what the play gets is what the file says
    assert written["schema_version"] == SCHEMA_VERSION
    assert [c["id"] for c in written["checks"]] == ["slo_burn_rate", "execution_namespaces"]
    assert written["window"]["source"] == "alert" and written["window"]["start"] == "2025-11-25T02:10:00Z"
    assert written["alert"]["alertname"] == "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"
    assert written["targets"]["labels"] == ["app=karmada-controller-manager"]
    assert written["duration_seconds"] > 0
    lines = result["summary"].splitlines()
    assert len(lines) < 30 and lines[0].endswith("DEGRADED")
    assert lines[-1].strip() == str(out / "report.html")


def test_check_mode_still_writes_the_report(tmp_path):
    result = run({"findings": findings(), "report_dir": str(tmp_path), "_ansible_check_mode": True})
    assert result["changed"] is False
    assert sorted(os.listdir(str(tmp_path))) == [".report.lock", "report.html", "report.json", "report.md"]


def test_formats_choose_the_files(tmp_path):
    result = run({"findings": findings(), "report_dir": str(tmp_path), "formats": ["json"]})
    assert list(result["paths"]) == ["json"]
    assert sorted(os.listdir(str(tmp_path))) == [".report.lock", "report.json"]


def test_a_malformed_finding_fails_naming_the_check_and_field(tmp_path):
    broken = findings()
    broken[0]["signals"][0]["strength"] = 2
    result = run({"findings": broken, "report_dir": str(tmp_path)}, FailJson)
    assert result["msg"] == ("findings[0] (check execution_namespaces): field 'signals[0].strength' must be a number "
                             "between 0 and 1, got 2")
    assert os.listdir(str(tmp_path)) == []


def test_an_unwritable_report_dir_fails_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run({"findings": findings(), "report_dir": str(blocker / "out")}, FailJson)
    assert result["msg"].startswith("report_dir (karmada_report_dir): cannot write the report to ")
    assert os.listdir(str(tmp_path)) == ["file"]


@pytest.mark.parametrize("args, expected", [
    ({"window_start": "an hour ago"}, "window_start must be an RFC 3339 time"),
    ({"started_at": "now"}, "started_at must be an RFC 3339 time"),
    ({"alert": {"labels": "alertname=x"}}, "alert.labels must be a mapping"),
    ({"formats": []}, "formats must name at least one of json, md, html"),
    ({"formats": ["pdf"]}, "formats"),
])
def test_invalid_input_names_the_option(tmp_path, args, expected):
    result = run(dict({"findings": findings(), "report_dir": str(tmp_path)}, **args), FailJson)
    assert expected in result["msg"]
