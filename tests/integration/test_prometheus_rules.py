"""The Sloth-shaped Karmada SLO rules (tests/emulator/sloth.py) and the backfill planning around them.

Pure Python, plus ``promtool check rules`` / ``promtool test rules`` where promtool is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.emulator import prometheus, sloth

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
needs_promtool = pytest.mark.skipif(not os.access(PROMTOOL, os.X_OK),
                                    reason="promtool is not installed (Debian package prometheus; `make setup` as root)")

BINDING = "binding-sync-work-availability"
BINDING_ID = {"sloth_id": "karmada-binding-sync-work-availability", "sloth_service": "karmada", "sloth_slo": BINDING}
BINDING_LABELS = {**BINDING_ID, "category": "availability", "component": "karmada-controller-manager"}
FILTER = ('{sloth_id="karmada-binding-sync-work-availability", sloth_service="karmada", '
          'sloth_slo="binding-sync-work-availability"}')
WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


@pytest.fixture(scope="module")
def rules():
    return sloth.karmada_rules()


def _groups(rules, slo=BINDING):
    return {g["name"]: g["rules"] for g in rules["groups"] if g["name"].endswith(f"karmada-{slo}")}


# -- formatting as Go/Prometheus do it ------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (0.999, "0.999"), (99.9 / 100, "0.9990000000000001"), ((100 - 99.9) / 100, "0.0009999999999999432"),
    (14.4, "14.4"), (6.0, "6"), (30.0, "30"), (1.0, "1"), (0.0001, "0.0001"), (0.00001, "1e-05"),
    (123456.0, "123456"), (1e21, "1e+21"), (-2.5, "-2.5"), (0.0, "0"),
])
def test_go_float_matches_go_percent_g(value, text):
    assert sloth.go_float(value) == text


@pytest.mark.parametrize("seconds, text", [
    (300, "5m"), (1800, "30m"), (3600, "1h"), (7200, "2h"), (21600, "6h"), (86400, "1d"), (259200, "3d"),
    (30 * 86400, "30d"), (28 * 86400, "4w"), (90, "1m30s"), (0, "0s"),
])
def test_prom_duration_like_prometheus(seconds, text):
    assert sloth.prom_duration(seconds) == text


def test_prom_filter_sorted_and_quoted():
    assert sloth.prom_filter({"sloth_slo": "b", "sloth_id": 'a"x'}) == '{sloth_id="a\\"x", sloth_slo="b"}'


# -- what Sloth generates --------------------------------------------------------------------------------

def test_burn_factors_and_windows_of_the_google_30d_set():
    windows = sloth.AlertWindows()
    factors = [windows.burn_factor(w) for w in (windows.page_quick, windows.page_slow, windows.ticket_quick,
                                                windows.ticket_slow)]
    assert factors == pytest.approx([14.4, 6, 3, 1])
    assert [sloth.prom_duration(w) for w in windows.sli_windows()] == WINDOWS


def test_three_groups_per_slo_named_like_sloth(rules):
    names = [g["name"] for g in rules["groups"]]
    for slo in (BINDING, "apiserver-availability"):
        for kind in ("sli-recordings", "meta-recordings", "alerts"):
            assert f"sloth-slo-{kind}-karmada-{slo}" in names
    # 13 SLOs; every one has a ticket alert (the seven latency SLOs disable the page alert only).
    assert len(names) == 13 * 3


def test_all_thirteen_slos_of_karmadas_published_spec():
    assert [slo.name for slo in sloth.KARMADA_SLOS] == [
        "apiserver-availability", "apiserver-latency", "scheduler-availability", "scheduler-latency",
        "scheduler-estimator-availability", "scheduler-estimator-latency", "binding-sync-work-availability",
        "binding-sync-work-latency", "work-sync-workload-availability", "work-sync-workload-latency",
        "policy-apply-availability", "policy-apply-latency", "cluster-sync-latency"]
    assert sloth.SERVICE == "karmada"
    objectives = {slo.name: slo.objective for slo in sloth.KARMADA_SLOS}
    assert objectives["work-sync-workload-latency"] == 99.0
    assert {slo.name for slo in sloth.KARMADA_SLOS if slo.page_alert.disable} == {
        name for name in objectives if name.endswith("-latency")}


def test_google_28d_windows_record_4w_and_use_28_day_factors():
    windows = sloth.windows_named("google-28d")
    factors = [windows.burn_factor(w) for w in (windows.page_quick, windows.page_slow, windows.ticket_quick,
                                                windows.ticket_slow)]
    assert factors == pytest.approx([13.44, 5.6, 2.8, 0.1 * 672 / 72])
    rules = sloth.karmada_rules("google-28d")
    sli = _groups(rules)[f"sloth-slo-sli-recordings-karmada-{BINDING}"]
    assert sli[-1]["record"] == "slo:sli_error:ratio_rate4w"
    assert sli[-1]["labels"]["sloth_window"] == "4w"
    assert "[4w])" in sli[-1]["expr"]
    meta = {r["record"]: r for r in _groups(rules)[f"sloth-slo-meta-recordings-karmada-{BINDING}"]}
    assert meta["slo:time_period:days"]["expr"] == "vector(28)"
    assert meta["slo:period_burn_rate:ratio"]["expr"].startswith(f"slo:sli_error:ratio_rate4w{FILTER}\n")
    page, ticket = _groups(rules)[f"sloth-slo-alerts-karmada-{BINDING}"]
    assert "(13.44 * 0.0009999999999999432)" in page["expr"]
    # 10 x 672 / 100 / 24 in float64 is 2.8000000000000003; Go prints it so, as go_float does.
    assert "(2.8000000000000003 * 0.0009999999999999432)" in ticket["expr"]
    with pytest.raises(ValueError, match="google-28d"):
        sloth.windows_named("google-7d")


def test_sli_rules_every_window_plus_optimized_period(rules):
    sli = _groups(rules)[f"sloth-slo-sli-recordings-karmada-{BINDING}"]
    assert [r["record"] for r in sli] == [f"slo:sli_error:ratio_rate{w}" for w in WINDOWS + ["30d"]]
    for rule, window in zip(sli, WINDOWS + ["30d"]):
        assert rule["labels"] == {**BINDING_LABELS, "sloth_window": window}
    first = sli[0]["expr"]
    assert first.startswith("((\n  sum(\n    rate(binding_sync_work_duration_seconds_count{\n      result=\"error\"\n    }[5m])")
    assert "\n/\n(clamp_min(\n" in first and first.endswith("(0 * (binding_sync_work_duration_seconds_count{})) + 1\n)\n")
    assert "{{" not in first
    assert sli[-1]["expr"] == (f"sum_over_time(slo:sli_error:ratio_rate5m{FILTER}[30d])\n"
                               "/ ignoring (sloth_window)\n"
                               f"count_over_time(slo:sli_error:ratio_rate5m{FILTER}[30d])\n")


def test_metadata_rules(rules):
    meta = {r["record"]: r for r in _groups(rules)[f"sloth-slo-meta-recordings-karmada-{BINDING}"]}
    assert list(meta) == ["slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days",
                          "slo:current_burn_rate:ratio", "slo:period_burn_rate:ratio",
                          "slo:period_error_budget_remaining:ratio", "sloth_slo_info"]
    assert meta["slo:objective:ratio"]["expr"] == "vector(0.9990000000000001)"
    assert meta["slo:error_budget:ratio"]["expr"] == "vector(1-0.9990000000000001)"
    assert meta["slo:time_period:days"]["expr"] == "vector(30)"
    assert meta["slo:current_burn_rate:ratio"]["expr"] == (
        f"slo:sli_error:ratio_rate5m{FILTER}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
        f"slo:error_budget:ratio{FILTER}\n")
    assert meta["slo:period_burn_rate:ratio"]["expr"].startswith(f"slo:sli_error:ratio_rate30d{FILTER}\n")
    assert meta["slo:period_error_budget_remaining:ratio"]["expr"] == f"1 - slo:period_burn_rate:ratio{FILTER}"
    for name, rule in meta.items():
        if name != "sloth_slo_info":
            assert rule["labels"] == BINDING_LABELS
    assert meta["sloth_slo_info"]["labels"] == {**BINDING_LABELS, "sloth_mode": "cli-gen-prom", "sloth_objective": "99.9",
                                                "sloth_spec": "prometheus/v1", "sloth_version": sloth.SLOTH_VERSION}


def test_page_and_ticket_alerts_multiwindow_sloth_0_11_style(rules):
    page, ticket = _groups(rules)[f"sloth-slo-alerts-karmada-{BINDING}"]
    assert page["alert"] == ticket["alert"] == "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"
    assert page["labels"] == {"severity": "critical", "sloth_severity": "page"}
    assert ticket["labels"] == {"severity": "warning", "sloth_severity": "ticket"}
    budget = "0.0009999999999999432"
    for rule, pairs in ((page, [("5m", "1h", "14.4"), ("30m", "6h", "6")]),
                        (ticket, [("2h", "1d", "3"), ("6h", "3d", "1")])):
        assert "for" not in rule
        assert "ignoring" not in rule["expr"] and rule["expr"].count("without (sloth_window)") == 4
        for short, long, factor in pairs:
            for window in (short, long):
                assert f"max(slo:sli_error:ratio_rate{window}{FILTER} > ({factor} * {budget})) without (sloth_window)" \
                    in rule["expr"]
    assert page["expr"].startswith("(\n    max(slo:sli_error:ratio_rate5m") and "\n)\nor\n(\n" in page["expr"]
    assert page["annotations"]["runbook_url"] == \
        "https://karmada.io/docs/administrator/reliability/runbooks/SLO/{{ $labels.sloth_slo }}"
    assert page["annotations"]["summary"].startswith("[KarmadaAlerts][Page] Binding to Work Sync Availability SLO")
    assert ticket["annotations"]["summary"].startswith("[KarmadaAlerts][Ticket] ")
    assert page["annotations"]["title"] == \
        "[Page] {{ $labels.sloth_service }} {{ $labels.sloth_slo }} SLO error budget burn rate is too fast."
    assert set(page["annotations"]) == {"summary", "title", "description", "runbook_url"}


def test_apiserver_availability_slo(rules):
    groups = _groups(rules, "apiserver-availability")
    sli = groups["sloth-slo-sli-recordings-karmada-apiserver-availability"][0]
    assert 'code=~"(5..|429)"' in sli["expr"] and 'subresource!~"healthz|livez|readyz"' in sli["expr"]
    assert sli["labels"]["component"] == "karmada-apiserver"
    alerts = groups["sloth-slo-alerts-karmada-apiserver-availability"]
    assert {a["alert"] for a in alerts} == {"KarmadaApiserverAvailabilityBurnRateHigh"}


def test_disabled_page_alert_leaves_only_the_ticket():
    slo = sloth.SLO(name="x-latency", objective=99.0, description="", labels={}, error_query="a[{{.window}}]",
                    total_query="b[{{ .window }}]", alert_name="X", page_alert=sloth.AlertMeta(disable=True),
                    ticket_alert=sloth.AlertMeta(labels={"severity": "warning"}))
    groups = sloth.render_slo("svc", slo)
    assert [r["labels"]["sloth_severity"] for r in groups[2]["rules"]] == ["ticket"]
    assert groups[2]["rules"][0]["annotations"]["title"].startswith("(ticket) {{$labels.sloth_service}}")
    assert groups[0]["rules"][0]["expr"] == "(a[5m])\n/\n(b[5m])\n"
    assert "(3 * 0.01)" in groups[2]["rules"][0]["expr"]


def test_yaml_round_trips_with_literal_blocks(rules):
    text = sloth.to_yaml(rules, sloth.RULES_HEADER)
    assert text.startswith("# Karmada SLO rules")
    assert yaml.safe_load(text) == rules
    assert "expr: |\n" in text


# -- backfill planning ---------------------------------------------------------------------------------

def test_backfill_levels_follow_rule_dependencies(rules):
    levels = [{r["record"] for g in level["groups"] for r in g["rules"]} for level in prometheus.backfill_levels(rules)]
    assert levels[0] == {f"slo:sli_error:ratio_rate{w}" for w in WINDOWS} | {
        "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "sloth_slo_info"}
    assert levels[1] == {"slo:sli_error:ratio_rate30d", "slo:current_burn_rate:ratio"}
    assert levels[2] == {"slo:period_burn_rate:ratio"}
    assert levels[3] == {"slo:period_error_budget_remaining:ratio"}
    assert len(levels) == 4


def test_split_rules_keeps_every_rule_once_with_a_step_per_window(rules):
    windows = prometheus.rule_windows(rules)
    level = prometheus.backfill_levels(rules)[0]
    parts = prometheus.split_rules(level, 2, windows)
    assert len(parts) == 2
    split = [(g["interval"], r["record"], r["labels"]["sloth_slo"]) for p in parts for g in p["groups"] for r in g["rules"]]
    original = [(r["record"], r["labels"]["sloth_slo"]) for g in level["groups"] for r in g["rules"]]
    assert sorted(s[1:] for s in split) == sorted(original)
    steps = {record: interval for interval, record, unused_slo in split}
    assert steps["slo:sli_error:ratio_rate5m"] == "15s"
    assert steps["slo:sli_error:ratio_rate1h"] == "60s"
    assert steps["slo:sli_error:ratio_rate3d"] == "240s"
    assert prometheus.backfill_step(windows["slo:current_burn_rate:ratio"]) == 15
    for part in parts:
        names = [g["name"] for g in part["groups"]]
        assert len(names) == len(set(names))


def test_label_history_splits_per_block_and_labels_like_the_scrape(tmp_path):
    source = tmp_path / "history.om"
    source.write_text(
        "# HELP workqueue_adds Total adds\n# TYPE workqueue_adds counter\n"
        'workqueue_adds_total{name="binding-controller",controller="binding-controller"} 1 7190\n'
        'workqueue_adds_total{name="binding-controller",controller="binding-controller"} 2 7205\n'
        "# HELP apiserver_request Requests\n# TYPE apiserver_request counter\n"
        'apiserver_request_total{code="200"} 5 7190\n'
        'apiserver_request_total{code="200",job="kept"} 6 7205\n'
        "# TYPE up gauge\nup 1 7205.5\n"
        "# EOF\n")
    out = tmp_path / "out"
    out.mkdir()
    jobs = {"apiserver_request_total": ("karmada-apiserver", "127.0.0.1:2")}

    def assign(name):
        return jobs.get(name, ("karmada-controller-manager", "127.0.0.1:1"))

    files, samples = prometheus.label_history(str(source), str(out), assign)
    assert samples == 5 and [os.path.basename(f) for f in files] == ["history-0.om", "history-1.om"]
    first, second = (open(f, encoding="utf-8").read() for f in files)
    assert first == ("# HELP workqueue_adds Total adds\n# TYPE workqueue_adds counter\n"
                     'workqueue_adds_total{job="karmada-controller-manager",instance="127.0.0.1:1",'
                     'name="binding-controller",controller="binding-controller"} 1 7190\n'
                     "# HELP apiserver_request Requests\n# TYPE apiserver_request counter\n"
                     'apiserver_request_total{job="karmada-apiserver",instance="127.0.0.1:2",code="200"} 5 7190\n'
                     "# EOF\n")
    assert 'apiserver_request_total{code="200",job="kept"} 6 7205\n' in second
    assert 'up{job="karmada-controller-manager",instance="127.0.0.1:1"} 1 7205.5\n' in second
    assert second.count("# TYPE") == 3 and second.endswith("# EOF\n")


def test_history_without_samples_is_skipped(tmp_path):
    empty = tmp_path / "history.om"
    empty.write_text("# EOF\n")
    assert prometheus.history_of({"history": {"file": str(empty), "start": 1, "end": 2}}) is None
    assert prometheus.history_of({"history": {"file": str(tmp_path / "missing.om"), "start": 1, "end": 2}}) is None
    assert prometheus.history_of({}) is None


# -- promtool --------------------------------------------------------------------------------------------

@needs_promtool
def test_promtool_accepts_the_rendered_rules(tmp_path, rules):
    path = tmp_path / "rules.yml"
    path.write_text(sloth.to_yaml(rules, sloth.RULES_HEADER))
    result = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # 13 SLOs x (8 SLI + 7 metadata) recording rules + 6 x 2 (page, ticket) + 7 x 1 (ticket) alerts
    assert "SUCCESS: 214 rules found" in result.stdout
    path.write_text(sloth.to_yaml(sloth.karmada_rules("google-28d")))
    result = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "SUCCESS: 214 rules found" in result.stdout, result.stdout + result.stderr


@needs_promtool
def test_promtool_unit_test_page_fires_at_a_third_failing_and_not_when_healthy(tmp_path, rules):
    """Evaluate the real rules on synthetic series: a third of syncs failing pages; all succeeding does not."""
    (tmp_path / "rules.yml").write_text(sloth.to_yaml(rules))
    page_annotations = _groups(rules)[f"sloth-slo-alerts-karmada-{BINDING}"][0]["annotations"]
    expanded = {key: value.replace("{{ $labels.sloth_service }}", "karmada").replace("{{ $labels.sloth_slo }}", BINDING)
                for key, value in page_annotations.items()}
    alert_labels = {**BINDING_LABELS, "severity": "critical", "sloth_severity": "page"}
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {"interval": "1m",
             "input_series": [
                 {"series": 'binding_sync_work_duration_seconds_count{result="error",job="karmada-controller-manager"}',
                  "values": "0+20x180"},
                 {"series": 'binding_sync_work_duration_seconds_count{result="success",job="karmada-controller-manager"}',
                  "values": "0+40x180"}],
             "promql_expr_test": [
                 {"expr": f"slo:sli_error:ratio_rate1h{FILTER}", "eval_time": "2h",
                  "exp_samples": [{"labels": "slo:sli_error:ratio_rate1h{" + ",".join(
                      f'{k}="{v}"' for k, v in {**BINDING_LABELS, "sloth_window": "1h"}.items()) + "}",
                      "value": 1 / 3}]}],
             "alert_rule_test": [
                 {"eval_time": "2h", "alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh",
                  "exp_alerts": [
                      {"exp_labels": alert_labels, "exp_annotations": expanded},
                      {"exp_labels": {**alert_labels, "severity": "warning", "sloth_severity": "ticket"},
                       "exp_annotations": {**expanded, "summary": expanded["summary"].replace("[Page]", "[Ticket]"),
                                           "title": expanded["title"].replace("[Page]", "[Ticket]")}}]}]},
            {"interval": "1m",
             "input_series": [
                 {"series": 'binding_sync_work_duration_seconds_count{result="error"}', "values": "0+0x180"},
                 {"series": 'binding_sync_work_duration_seconds_count{result="success"}', "values": "0+60x180"}],
             "alert_rule_test": [
                 {"eval_time": "2h", "alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "exp_alerts": []}]},
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([PROMTOOL, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
