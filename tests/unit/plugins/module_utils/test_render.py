# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report: schema validation, report.json assembly, the Markdown/HTML/console views and safe writing.

The verdicts here are written by hand (the shape docs/report-schema.md gives) so that these tests
pin the renderers, not the ranking; tests/unit/plugins/modules/test_report.py runs the real verdict.
"""

import copy
import datetime
import json
import os
import re

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _render, _svg
from ansible_collections.karmada.runbooks.plugins.module_utils._alert import AlertError
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL, mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._report import CAUSE_IDS, CHECKS, SCHEMA_VERSION, SchemaError, evidence, finding, signal, unknown
from ansible_collections.karmada.runbooks.plugins.module_utils._version import COLLECTION_VERSION

T0 = 1764036000  # 2025-11-25T02:00:00Z
NOW = "2025-11-25T03:00:00Z"
XSS = '<script>alert("pwned")</script>'
# An event message as the binding controller writes it, with markup an attacker put in a resource name.
EVENT_TEXT = 'Failed to create or update work: namespaces "karmada-es-member2" not found ' + XSS + " | `x`"


def series(values, step=60):
    return [[T0 + index * step, value] for index, value in enumerate(values)]


def slo(status="fail", with_series=True):
    details = {"source": "sloth", "objective": 99.9, "burn_rates": {"1h": 25.1, "5m": 30.2, "3d": 1.2},
               "error_ratios": {"1h": 0.0251, "5m": 0.0302}, "budget_remaining": 0.72, "page": True, "ticket": False,
               "time_to_exhaustion_seconds": 12000, "fleet": [{"slo": "api-availability", "service": "karmada", "burn_rate": 3.1}],
               "series": {"error_ratio": series([0.02, "0.03", "NaN", 0.05]) if with_series else [],
                          "burn_rate": series([20, 30, 50, 40]) if with_series else []}}
    return finding("slo_burn_rate", status, "Burning 25x the budget over 1h; the page condition holds.", details=details,
                   duration_seconds=0.5)


def findings():
    missing = evidence("object", "namespace karmada-es-member2 does not exist")
    event = evidence("event", EVENT_TEXT, count=12, time="2025-11-25T02:50:00Z", ref={"kind": "ResourceBinding"})
    return [
        finding("execution_namespaces", "fail", "Of 3 execution namespaces, 1 missing (karmada-es-member2).",
                details={"missing": ["karmada-es-member2"]}, evidence_items=[missing],
                signals=[signal("execution_namespace_missing", 0.9, "1 missing", clusters=["member2"], evidence_items=[missing])],
                duration_seconds=0.25),
        slo(),
        finding("sync_failure_events", "fail", "12 SyncWorkFailed events for 2 bindings.", evidence_items=[event],
                signals=[signal("execution_namespace_missing", 0.7, "events name the namespace",
                                bindings=["default/nginx", "default/web"], clusters=["member2"], evidence_items=[event])],
                duration_seconds=1),
        unknown("rbac", 'selfsubjectaccessreviews is forbidden: User "diag" cannot create it', duration_seconds=0.1),
    ]


def cause(cause_id, confidence, clusters=(), bindings=(), items=()):
    return {"id": cause_id, "title": _render.CATALOGUE[cause_id]["title"], "confidence": confidence,
            "evidence": list(items), "supported_by": ["execution_namespaces", "sync_failure_events"],
            "bindings": list(bindings), "clusters": list(clusters), "mitigation": mitigation(cause_id)}


def verdict(causes=None, status="degraded"):
    if causes is None:
        causes = [cause("execution_namespace_missing", 0.97, ["member2"], ["default/nginx", "default/web"],
                        [evidence("event", EVENT_TEXT, count=12)])]
    return {"status": status, "summary": f"{status}: execution namespaces are missing (karmada-es-member2)",
            "causes": causes, "unknown_checks": ["rbac"]}


ALERT = {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "status": "firing", "startsAt": "2025-11-25T02:10:00Z",
         "labels": {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "severity": "page"},
         "annotations": {"runbook_url": "javascript:alert(1)", "summary": "burning <b>fast</b>"}}


def report(checks=None, the_verdict=None, **kwargs):
    options = {"alert": ALERT, "window": {"start": "2025-11-25T02:05:00Z", "end": NOW, "source": "alert"},
               "targets": {"karmada_context": "karmada-apiserver", "prometheus_url": "https://user:secret@prom.example:9090/"},
               "links": {"grafana_slo_detail": "https://grafana.example/d/slo-detail?var-slo=binding-sync"},
               "generated_at": NOW, "duration_seconds": 4.2}
    options.update(kwargs)
    return _render.build_report(findings() if checks is None else checks, the_verdict or verdict(), **options)


# --- validation -----------------------------------------------------------------------------

def test_findings_built_with_the_schema_constructors_are_valid():
    _render.validate_findings(findings())


@pytest.mark.parametrize("mutate, expected", [
    (lambda f: f[2]["signals"][0].update(strength=1.5),
     "findings[2] (check sync_failure_events): field 'signals[0].strength' must be a number between 0 and 1, got 1.5"),
    (lambda f: f[0].update(summary=""), "findings[0] (check execution_namespaces): field 'summary' must be a non-empty string"),
    (lambda f: f[1].update(status="broken"), "findings[1] (check slo_burn_rate): field 'status' must be one of ok, warn, fail, unknown"),
    (lambda f: f[0].update(id="namespaces"), "findings[0]: field 'id' must be a check id"),
    (lambda f: f[0].update(runbook_step=3), "findings[0] (check execution_namespaces): field 'runbook_step' must be 4"),
    (lambda f: f[2]["evidence"][0].update(source="kubectl"), "field 'evidence[0].source' must be one of event, log"),
    (lambda f: f[2]["signals"][0].update(cause="gremlins"), "field 'signals[0].cause' must be a cause id"),
    (lambda f: f[2]["signals"][0].update(clusters="member2"), "field 'signals[0].clusters' must be a list of strings"),
    (lambda f: f[3].pop("error"), "findings[3] (check rbac): field 'error' must say why the check could not run"),
    (lambda f: f[0].update(details=None), "field 'details' must be a mapping"),
    (lambda f: f.append(copy.deepcopy(f[0])), "findings[4] (check execution_namespaces): the check already reported at findings[0]"),
    (lambda f: f.__setitem__(1, "slo_burn_rate"), "findings[1] must be a finding"),
])
def test_a_malformed_finding_names_the_check_and_the_field(mutate, expected):
    items = findings()
    mutate(items)
    with pytest.raises(SchemaError) as error:
        _render.validate_findings(items)
    assert expected in str(error.value)


def test_findings_must_be_a_list():
    with pytest.raises(SchemaError, match="findings must be a list"):
        _render.validate_findings({"id": "rbac"})


# --- report.json ----------------------------------------------------------------------------

def test_report_has_every_top_level_field_of_the_schema():
    built = report()
    assert list(built) == ["schema_version", "generated_at", "collection_version", "alert", "window", "targets",
                           "verdict", "checks", "links", "duration_seconds"]
    assert built["schema_version"] == SCHEMA_VERSION
    assert built["collection_version"] == COLLECTION_VERSION
    assert built["generated_at"] == NOW
    assert set(built["targets"]) == set(_render.TARGET_KEYS)


def test_checks_are_in_runbook_order():
    assert [c["id"] for c in report()["checks"]] == ["slo_burn_rate", "sync_failure_events", "execution_namespaces", "rbac"]
    assert [c["runbook_step"] for c in report()["checks"]] == [1, 2, 4, 5]


def test_prometheus_credentials_do_not_travel_with_the_report():
    built = report()
    assert built["targets"]["prometheus_url"] == "https://prom.example:9090/"
    assert "secret" not in _render.to_json(built)


def test_links_the_runbook_by_default_and_inputs_win_over_the_slo_check():
    checks = findings()
    checks[1]["details"]["links"] = {"grafana_slo_detail": "https://from-check/d/1", "grafana_slo_overview": "https://from-check/d/2"}
    links = report(checks, links={"grafana_slo_detail": "https://given/d/1"})["links"]
    assert links == {"runbook": RUNBOOK_URL, "grafana_slo_detail": "https://given/d/1", "grafana_slo_overview": "https://from-check/d/2"}


def test_duration_falls_back_to_the_sum_of_the_checks():
    assert report(duration_seconds=None)["duration_seconds"] == pytest.approx(0.25 + 0.5 + 1 + 0.1)


def test_json_round_trip_is_lossless():
    built = report()
    assert json.loads(_render.to_json(built)) == built


def test_window_defaults_to_the_alert_and_the_report_time():
    assert _render.report_window(alert=ALERT, generated_at=NOW) == {
        "start": "2025-11-25T02:10:00Z", "end": NOW, "source": "alert"}
    assert _render.report_window("2025-11-25T02:00:00+01:00", NOW, "default") == {
        "start": "2025-11-25T01:00:00Z", "end": NOW, "source": "default"}
    assert _render.report_window(generated_at=NOW)["source"] == "default"


@pytest.mark.parametrize("start, end, expected", [
    ("yesterday", NOW, "window_start must be an RFC 3339 time"),
    (None, "03:00", "window_end must be an RFC 3339 time"),
    ("2025-11-25T04:00:00Z", NOW, "window_start (2025-11-25T04:00:00Z) is after window_end"),
])
def test_bad_window_names_the_option(start, end, expected):
    with pytest.raises(AlertError) as error:
        _render.report_window(start, end, generated_at=NOW)
    assert expected in str(error.value)


def test_elapsed_seconds_from_rfc3339_or_epoch():
    now = datetime.datetime(2025, 11, 25, 3, 0, tzinfo=datetime.UTC)
    assert _render.elapsed_seconds("2025-11-25T02:59:30Z", now) == 30
    assert _render.elapsed_seconds(str(T0 + 3590), now) == 10
    assert _render.elapsed_seconds("2025-11-25T03:01:00Z", now) == 0  # a clock step back is not negative time
    with pytest.raises(AlertError, match="started_at must be an RFC 3339 time"):
        _render.elapsed_seconds("soon", now)


def test_collection_version_matches_galaxy_yml():
    root = os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)
    with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
        version = re.search(r"^version:\s*(\S+)", handle.read(), re.MULTILINE).group(1).strip("\"'")
    assert COLLECTION_VERSION == version


# --- Markdown -------------------------------------------------------------------------------

def _outside_code(markdown):
    return re.sub(r"(`+).*?\1", "", markdown)


def test_markdown_has_the_runbook_sections_in_order():
    text = _render.to_markdown(report())
    positions = [text.index(f"\n## {name}\n") for name in ("Meaning", "Impact", "Diagnosis", "Mitigation")]
    assert positions == sorted(positions)
    impact = text[positions[1]:positions[2]]
    assert "25.1x" in impact and "72%" in impact and "3h 20m" in impact and "karmada/api-availability 3.1x" in impact
    diagnosis = text[positions[2]:positions[3]]
    assert "confidence 97%" in diagnosis and "`execution_namespace_missing`" in diagnosis
    for check_id in ("slo_burn_rate", "sync_failure_events", "execution_namespaces", "rbac"):
        assert f"(`{check_id}`)" in diagnosis
    mitigation_part = text[positions[3]:]
    assert 'runbook row "Missing execution namespaces"' in mitigation_part
    assert RUNBOOK_URL in mitigation_part


def test_markdown_never_lets_cluster_text_become_html():
    text = _render.to_markdown(report())
    assert XSS in text  # shown literally, inside a code span
    assert "<script" not in _outside_code(text)
    assert "<b>" not in _outside_code(text)


def test_markdown_escapes_syntax_but_keeps_identifiers_readable():
    assert _render.md_text("execution_namespace_missing on _all_ *3* <b>x</b> [a](b) | c") == (
        "execution_namespace_missing on \\_all\\_ \\*3\\* \\<b\\>x\\</b\\> \\[a\\](b) \\| c")


def test_markdown_code_span_survives_backticks_and_pipes():
    assert _render.md_code("a `b` | c") == "``a `b` \\| c``"
    assert _render.md_code("`x`") == "`` `x` ``"


def test_markdown_without_causes_says_what_to_do():
    text = _render.to_markdown(report(the_verdict=verdict([], "unknown")))
    assert "some checks could not run (rbac)" in text


# --- HTML -----------------------------------------------------------------------------------

def test_html_escapes_every_string_from_the_cluster():
    page = _render.to_html(report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "<b>fast</b>" not in page
    assert 'href="javascript' not in page.lower()  # the alert's runbook_url annotation stays text


def test_html_is_self_contained():
    page = _render.to_html(report())
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.IGNORECASE)
    assert not re.search(r"\bsrc=", page)
    assert set(re.findall(r'href="([a-z]+):', page)) <= {"https", "http"}
    for name in ("Meaning", "Impact", "Diagnosis", "Mitigation"):
        assert f"<h2>{name}</h2>" in page


def test_html_has_both_charts_with_axes_and_page_thresholds():
    page = _render.to_html(report())
    assert page.count("<svg") == 2
    assert page.count('<polyline class="series"') == 2
    assert "page 14.4x (1h/5m)" in page and "page 6x (6h/30m)" in page
    assert "No data" not in page


@pytest.mark.parametrize("checks, reason", [
    ([slo(with_series=False)], "no samples in the window"),
    ([unknown("slo_burn_rate", "Prometheus unreachable")], "the SLO check could not run: Prometheus unreachable"),
    ([], "the SLO check did not run"),
])
def test_charts_without_data_show_a_placeholder_and_why(checks, reason):
    page = _render.to_html(report(checks, verdict([], "unknown")))
    assert page.count('class="no-data"') == 2
    assert reason in page
    assert "<polyline" not in page


def test_rendering_is_deterministic():
    built = report()
    assert _render.render(built) == _render.render(copy.deepcopy(built))


# --- console --------------------------------------------------------------------------------

def test_console_summary_is_short_and_names_the_cause_and_the_fix():
    text = _render.console_summary(report(), {"json": "/out/report.json", "md": "/out/report.md", "html": "/out/report.html"})
    lines = text.splitlines()
    assert len(lines) < 30
    assert lines[0] == "Karmada binding-to-Work sync diagnosis: DEGRADED"
    assert "[97%] Execution namespaces are missing (execution_namespace_missing)" in text
    assert 'fix (runbook row "Missing execution namespaces"): Recreate' in text
    assert "UNKNOWN 5 rbac" in text
    assert lines[-3:] == ["Report: /out/report.json", "        /out/report.md", "        /out/report.html"]


def test_console_summary_stays_under_30_lines_in_the_worst_case():
    long_text = "x" * 400 + "\nsecond line"
    checks = [finding(check_id, "fail", long_text, duration_seconds=1) for check_id in CHECKS]
    causes = [cause(cause_id, 0.9, [f"member{i}" for i in range(50)], [f"ns/b{i}" for i in range(500)]) for cause_id in CAUSE_IDS]
    paths = {fmt: f"/very/long/{'d' * 100}/report.{fmt}" for fmt in _render.FORMATS}
    lines = _render.console_summary(report(checks, verdict(causes)), paths).splitlines()
    assert len(lines) < 30
    assert all(len(line) <= _render.CONSOLE_WIDTH for line in lines)
    assert "  (+8 more in the report)" in lines
    assert sum(line.startswith("  FAIL") for line in lines) == len(CHECKS)
    assert any(line.startswith("     fix") for line in lines)


def test_console_summary_groups_passing_checks_when_space_is_short():
    # More checks than a screen holds (a future runbook revision): the passing ones share a line.
    checks = [dict(finding("rbac", "ok", "fine"), id=f"check_{index}") for index in range(18)]
    checks.append(finding("execution_namespaces", "fail", "1 missing"))
    paths = {fmt: f"/out/report.{fmt}" for fmt in _render.FORMATS}
    lines = _render.console_summary(report(checks), paths).splitlines()
    assert len(lines) < 30
    assert any(line.startswith("  OK      check_0, check_1, check_2") for line in lines)
    assert not any("fine" in line for line in lines)
    assert "  FAIL    4 execution_namespaces: 1 missing" in lines
    assert 'fix (runbook row "Missing execution namespaces")' in "\n".join(lines)


def test_console_summary_when_healthy():
    text = _render.console_summary(report([slo("ok")], {"status": "healthy", "summary": "healthy: no cause found",
                                                        "causes": [], "unknown_checks": []}, alert=None))
    assert "No probable cause found" in text and "Alert: none given" in text
    assert "SLO: OK - burn rate 5m 30.2x" in text


# --- writing --------------------------------------------------------------------------------

def test_write_files_creates_the_directory_and_every_file(tmp_path):
    target = tmp_path / "new" / "dir"
    paths = _render.write_files(str(target), _render.render(report()))
    assert paths == {fmt: str(target / name) for fmt, name in _render.FILE_NAMES.items()}
    assert sorted(os.listdir(str(target))) == ["report.html", "report.json", "report.md"]
    with open(paths["json"], encoding="utf-8") as handle:
        assert json.load(handle) == report()


def test_unwritable_report_dir_fails_naming_it_and_writes_nothing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(_render.ReportWriteError) as error:
        _render.write_files(str(blocker / "out"), _render.render(report()))
    assert str(error.value).startswith(f"report_dir: cannot write the report to {blocker / 'out'}")
    assert os.listdir(str(tmp_path)) == ["a-file"]


def test_a_failure_midway_keeps_the_previous_report_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    _render.write_files(str(tmp_path), {"json": "old json", "md": "old md"})
    calls = []
    real_fsync = os.fsync

    def failing_fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(_render.ReportWriteError, match="No space left on device"):
        _render.write_files(str(tmp_path), {"json": "new json", "md": "new md"})
    assert sorted(os.listdir(str(tmp_path))) == ["report.json", "report.md"]
    assert (tmp_path / "report.json").read_text() == "old json"


def test_written_files_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        paths = _render.write_files(str(tmp_path), {"md": "text"})
    finally:
        os.umask(previous)
    assert os.stat(paths["md"]).st_mode & 0o777 == 0o640


# --- SVG primitives -------------------------------------------------------------------------

def test_clean_series_keeps_finite_numbers_in_time_order():
    assert _svg.clean_series([[2, "1.5"], [1, 0.5], [3, "NaN"], [4, None], ["x", 1], [5]]) == [(1.0, 0.5), (2.0, 1.5)]


def test_segments_break_where_samples_are_missing():
    points = [(t, 1.0) for t in (0, 60, 120, 180, 600, 660)]
    assert [len(part) for part in _svg.segments(points)] == [4, 2]


def test_downsample_keeps_the_peaks():
    points = [(float(t), 100.0 if t == 777 else 1.0) for t in range(5000)]
    reduced = _svg.downsample(points)
    assert len(reduced) <= _svg.MAX_POINTS
    assert max(value for _moment, value in reduced) == 100.0


def test_y_ticks_reach_the_top_with_round_steps():
    assert _svg.y_ticks(15.6) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert _svg.y_ticks(0.034) == [0.0, 0.01, 0.02, 0.03, 0.04]


def test_labels_spread_apart_within_the_plot():
    assert _svg.spread([50, 52, 180], 11, 40, 186) == [50, 61, 180]
    assert _svg.spread([184, 185], 11, 40, 186) == [175, 186]


def test_chart_escapes_its_labels():
    svg = _svg.line_chart([[T0, 1]], "<title>", thresholds=[(2, "<b>", "#000")], markers=[(T0, "<i>")])
    assert "<b>" not in svg and "<i>" not in svg and "&lt;title&gt;" in svg


@pytest.mark.parametrize("left,expected", [(12000, "3h 20m"), (0, "already exhausted"),
                                           (None, "not at the current burn")])
def test_markdown_says_when_the_budget_runs_out(left, expected):
    check = slo()
    check["details"]["time_to_exhaustion_seconds"] = left
    markdown = _render.to_markdown(report(checks=[check]))
    row = next(line for line in markdown.splitlines() if line.startswith("| Budget exhausted in"))
    assert expected in row
