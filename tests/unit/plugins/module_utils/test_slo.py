# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 1: choosing Sloth or the raw metric, and judging burn rates into a finding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _slo
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import NoData, Sample

END = 1795618800.0
SLO = {"sloth_service": "karmada", "sloth_slo": "binding-sync-work-availability"}
# The missing-namespaces picture: three quarters of the syncs fail, and have for about 45 minutes.
FAILING = {"5m": 0.75, "30m": 0.75, "1h": 0.69, "2h": 0.56, "6h": 0.3, "1d": 0.29, "3d": 0.29, "30d": 0.12}


def options(**overrides):
    params = {"service": "karmada", "slo": "binding-sync-work-availability", "objective": 99.9, "source": "auto",
              "window_start": END - 3600, "window_end": END, "series_points": 120, "grafana_url": "",
              "grafana_detail_uid": "slo-detail", "grafana_overview_uid": "slo-overview"}
    params.update(overrides)
    return _slo.options_from_params(params)


def sloth_samples(ratios, objective=0.9990000000000001, remaining=None):
    samples = [Sample(dict(SLO, __name__="slo:sli_error:ratio_rate" + w, sloth_window=w), v, END)
               for w, v in ratios.items()]
    samples.append(Sample(dict(SLO, __name__="slo:objective:ratio"), objective, END))
    if remaining is not None:
        samples.append(Sample(dict(SLO, __name__="slo:period_error_budget_remaining:ratio"), remaining, END))
    return samples


class FakeClient:
    """Answers instant queries by rule; records every query."""

    def __init__(self, sloth=(), raw=None, fleet=(), alerts=(), series=None):
        self.sloth, self.raw, self.fleet, self.alerts = list(sloth), raw or {}, list(fleet), list(alerts)
        self.series = series if series is not None else [[END - 60, 0.5], [END, 0.75]]
        self.queries = []

    def vector(self, expr, at=None):
        self.queries.append(expr)
        assert at == END
        if expr.startswith("{__name__=~"):
            return self.sloth
        if expr == "slo:current_burn_rate:ratio":
            return self.fleet
        if expr.startswith("ALERTS{"):
            return self.alerts
        for window, value in self.raw.items():
            if "[%s]" % window in expr:
                return [] if value is None else [Sample({}, value, END)]
        return []

    def matrix(self, expr, start, end, step):
        self.queries.append(expr)
        return [({}, self.series)]


# -- where the ratios come from ------------------------------------------------------------------

def test_sloth_rules_win_when_present():
    fake = FakeClient(sloth=sloth_samples(FAILING, remaining=-118.6), raw=dict(FAILING, **{"5m": 0.01}))
    observation = _slo.observe(fake, options())
    assert observation["source"] == "sloth"
    assert observation["error_ratios"]["5m"] == 0.75
    assert observation["objective"] == 99.9 and observation["budget_remaining"] == -118.6
    assert not any("binding_sync_work_duration_seconds_count" in q for q in fake.queries)
    assert fake.queries[-1].startswith('slo:sli_error:ratio_rate5m{sloth_service="karmada"')


def test_raw_metric_when_sloth_is_absent():
    fake = FakeClient(raw=FAILING)
    observation = _slo.observe(fake, options())
    assert observation["source"] == "raw"
    assert observation["error_ratios"] == FAILING
    raw_queries = [q for q in fake.queries if "binding_sync_work_duration_seconds_count" in q]
    # One query per alert window and the period, then the chart series.
    assert len(raw_queries) == 9
    assert 'result="error"' in raw_queries[0] and "clamp_min" in raw_queries[0]


def test_source_sloth_without_rules_is_no_data():
    with pytest.raises(NoData) as info:
        _slo.observe(FakeClient(raw=FAILING), options(source="sloth"))
    assert "Sloth" in info.value.reason


def test_source_raw_skips_sloth():
    fake = FakeClient(sloth=sloth_samples(FAILING), raw=FAILING)
    assert _slo.observe(fake, options(source="raw"))["source"] == "raw"
    assert not any(q.startswith("{__name__=~") for q in fake.queries)


def test_no_data_anywhere():
    with pytest.raises(NoData) as info:
        _slo.observe(FakeClient(raw=dict.fromkeys(FAILING)), options())
    assert "scraped" in info.value.reason


def test_sloth_query_selects_the_slo():
    query = _slo.sloth_query("karmada", 'we"ird')
    assert query.startswith('{__name__=~"slo:sli_error:ratio_rate.+|slo:objective:ratio|')
    assert 'sloth_slo="we\\"ird"' in query


# -- the finding --------------------------------------------------------------------------------

def assess(ratios, source="sloth", remaining=None, fleet=(), alerts=(), series=None, **overrides):
    observation = {"source": source, "error_ratios": dict(ratios), "objective": 99.9 if source == "sloth" else None,
                   "budget_remaining": remaining, "fleet": list(fleet), "alerts_firing": list(alerts),
                   "series": series}
    return _slo.assess(observation, options(**overrides))


def zero(**values):
    ratios = dict.fromkeys(FAILING, 0.0)
    ratios.update(values)
    return ratios


def test_page_condition_fails_with_a_pager_summary():
    result = assess(FAILING, remaining=-118.6, alerts=["page", "ticket"])
    details = result["details"]
    assert result["status"] == "fail" and details["page"] and details["ticket"]
    assert result["summary"].startswith("PAGE: binding-sync-work-availability is burning its error budget 690x "
                                        "too fast over 1h (error ratio 69%; 750x over 5m; pages above 14.4x).")
    assert "exhausted" in result["summary"]
    assert details["burn_rates"]["1h"] == 690 and details["current_burn_rate"] == 750
    assert details["time_to_exhaustion_seconds"] == 0
    assert result["signals"] == []
    assert any("sloth_severity=page" in e["text"] for e in result["evidence"])


def test_ticket_condition_warns():
    result = assess(zero(**{"2h": 0.004, "1d": 0.0035, "5m": 0.002, "30d": 0.0004}))
    details = result["details"]
    assert result["status"] == "warn" and not details["page"] and details["ticket"]
    assert result["summary"].startswith("TICKET:")
    # 60 % of the budget left at a burn of 2 (5m): 0.6 * 30 d / 2 = 9 days.
    assert details["budget_remaining"] == pytest.approx(0.6)
    assert details["time_to_exhaustion_seconds"] == 9 * 86400
    assert "gone in 9d at the current rate" in result["summary"]


def test_burning_below_alert_thresholds_warns():
    result = assess(zero(**{"5m": 0.003}))
    assert result["status"] == "warn"
    assert "3x too fast over 5m, below the page and ticket thresholds" in result["summary"]


def test_exhausted_budget_without_current_burn_warns():
    result = assess(zero(), remaining=-0.5)
    assert result["status"] == "warn" and "exhausted (150% of it spent)" in result["summary"]


def test_healthy_is_ok():
    result = assess(zero(), remaining=1.0)
    assert result["status"] == "ok"
    assert result["summary"] == ("binding-sync-work-availability is within its error budget: burn rate 0x over 5m. "
                                 "30-day error budget: 100% left.")
    assert result["details"]["time_to_exhaustion_seconds"] is None


def test_google_28d_sloth_rules_are_detected_from_the_4w_series():
    ratios = {w: v for w, v in FAILING.items() if w != "30d"}
    ratios["4w"] = 0.12
    fake = FakeClient(sloth=sloth_samples(ratios))
    observation = _slo.observe(fake, options())
    assert observation["period"] == "4w" and observation["error_ratios"]["4w"] == 0.12
    result = _slo.assess(dict(observation, fleet=[], alerts_firing=[], series=None), options())
    details = result["details"]
    assert details["period"] == "4w" and details["alert_windows"] == "google-28d"
    assert details["conditions"][0]["factor"] == pytest.approx(13.44)
    assert [c["factor"] for c in details["conditions"]] == pytest.approx([13.44, 5.6, 2.8, 0.933333])
    # The budget comes from the 4w ratio: 1 - 0.12 / 0.001.
    assert details["budget_remaining"] == pytest.approx(1 - 120)
    assert "28-day error budget exhausted" in result["summary"]
    assert "pages above 13.4x" in result["summary"]
    assert "4w" in details["error_ratios"] and "30d" not in details["error_ratios"]


def test_28d_only_thresholds_decide_a_borderline_page():
    # 1.4 % errors over 5m and 1h: a page at 28 d (13.44x), not at 30 d (14.4x).
    values = dict(zero(**{"5m": 0.014, "1h": 0.014}))
    thirty = assess(values)
    values.pop("30d")
    values["4w"] = 0.0
    twenty_eight = assess(values)
    assert not thirty["details"]["page"] and thirty["details"]["period"] == "30d"
    assert twenty_eight["details"]["page"] and twenty_eight["status"] == "fail"
    assert "28-day error budget" in twenty_eight["summary"]


def test_raw_source_computes_budget_from_the_period_ratio_and_says_so():
    result = assess(zero(**{"30d": 0.00025}), source="raw")
    assert result["details"]["budget_remaining"] == pytest.approx(0.75)
    assert result["details"]["objective"] == 99.9
    assert result["summary"].endswith("(No Sloth rules found; computed from binding_sync_work_duration_seconds_count.)")


def test_sloth_objective_wins_over_the_option():
    observation = {"source": "sloth", "error_ratios": zero(**{"5m": 0.02}), "objective": 99.0,
                   "budget_remaining": None, "fleet": [], "alerts_firing": [], "series": None}
    result = _slo.assess(observation, options(objective=99.9))
    assert result["details"]["error_budget"] == 0.01 and result["details"]["burn_rates"]["5m"] == 2


def test_fleet_lists_other_burning_slos_only():
    fleet = [{"service": "karmada", "slo": "binding-sync-work-availability", "burn_rate": 750.0},
             {"service": "karmada", "slo": "apiserver-availability", "burn_rate": 3.2},
             {"service": "karmada", "slo": "scheduler-availability", "burn_rate": 0.4},
             {"service": "karmada", "slo": "policy-apply-availability", "burn_rate": 12.0}]
    result = assess(FAILING, fleet=fleet)
    assert [f["slo"] for f in result["details"]["fleet"]] == ["policy-apply-availability", "apiserver-availability"]
    assert "Also burning: policy-apply-availability 12x, apiserver-availability 3.2x" in result["summary"]
    # Sloth's own current burn rate is used for "current" when it is there.
    assert result["details"]["current_burn_rate"] == 750


def test_missing_windows_are_reported_not_guessed():
    result = assess({"5m": 0.75, "30m": 0.75, "1h": None, "6h": 0.3})
    assert result["details"]["page"] is True          # the slow page condition (30m and 6h) still holds
    assert "1h" in result["details"]["missing_windows"]


def test_all_windows_missing_is_unknown():
    assert assess({"5m": None, "1h": None})["status"] == "unknown"


def test_series_carry_burn_rate():
    result = assess(FAILING, series={"step": 30, "error_ratio": [[1795618770, 0.5], [1795618800.5, 0.0144]]})
    series = result["details"]["series"]
    assert series["error_ratio"] == [[1795618770, 0.5], [1795618800.5, 0.0144]]
    assert series["burn_rate"] == [[1795618770, 500.0], [1795618800.5, 14.4]]
    assert series["step_seconds"] == 30


def test_grafana_links():
    result = assess(FAILING, grafana_url="https://grafana.example.com/", grafana_detail_uid="sceM28uGk")
    links = result["details"]["links"]
    # At least six hours of history, so the onset before a one-hour window shows.
    frm, to = int((END - 6 * 3600) * 1000), int(END * 1000)
    assert links["grafana_slo_detail"] == ("https://grafana.example.com/d/sceM28uGk?var-service=karmada&"
                                           "var-slo=binding-sync-work-availability&from=%d&to=%d" % (frm, to))
    assert links["grafana_slo_overview"] == "https://grafana.example.com/d/slo-overview?from=%d&to=%d" % (frm, to)
    assert assess(FAILING)["details"]["links"] == {}


# -- options ---------------------------------------------------------------------------------------

def test_window_defaults_to_the_last_hour():
    opts = _slo.options_from_params({"service": "karmada", "slo": "x", "objective": 99.9, "window_start": "",
                                     "window_end": None}, now=END)
    assert (opts["start"], opts["end"]) == (END - 3600, END)


@pytest.mark.parametrize("overrides, option", [
    ({"window_start": "an hour ago"}, "window_start"),
    ({"window_end": "2026-99-01T00:00:00Z"}, "window_end"),
    ({"window_start": END + 1}, "window_start"),
    ({"objective": 100.0}, "objective"),
    ({"series_points": -1}, "series_points"),
    ({"grafana_url": "grafana.example.com"}, "grafana_url"),
    ({"grafana_url": "https://g.example", "grafana_detail_uid": " "}, "grafana_detail_uid"),
    ({"slo": ""}, "slo"),
])
def test_option_errors_name_the_option(overrides, option):
    with pytest.raises(InputError) as info:
        options(**overrides)
    assert str(info.value).startswith(option)
