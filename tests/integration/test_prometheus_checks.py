"""Runbook steps 1, 7 and 8 (the metric side) against a real Prometheus scraping the emulator
(`up --prometheus`, Sloth's rules loaded, history backfilled): slo_status, controller_metrics and
prometheus_query run by ansible-playbook through the prometheus action group, and the roles that
wrap them. One emulator and one playbook run per scenario (both scenarios run at the same time),
shared by the tests of this module."""

from __future__ import annotations

import concurrent.futures
import json
import os
import socket

import pytest
from conftest import AnsiblePlaybook, EmulatorHandle

PROMETHEUS_BIN = "/usr/bin/prometheus"
pytestmark = [pytest.mark.emulator,
              pytest.mark.skipif(not os.access(PROMETHEUS_BIN, os.X_OK),
                                 reason=f"{PROMETHEUS_BIN} is missing: `make setup` (as root) installs it")]

SLO_LABELS = 'sloth_service="karmada", sloth_slo="binding-sync-work-availability"'
GRAFANA = "https://grafana.example.com"
BUDGET = 0.001


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def playbook(prometheus, tasks, kubeconfig, roles=False):
    """One play running [(task name, module, args)] with the connection set once, as diagnose.yml does;
    with ``roles`` a second play runs the three roles and shows the findings they appended."""
    defaults = {
        # The keys the karmada role fills karmada_prometheus_auth with (token/timeout are aliases).
        "group/karmada.runbooks.prometheus": {"url": prometheus, "validate_certs": True, "timeout": 10},
        "group/karmada.runbooks.karmada_apiserver": {"kubeconfig": kubeconfig, "context": "karmada-apiserver"},
    }
    plays = [{"name": "Checks", "hosts": "localhost", "gather_facts": False, "module_defaults": defaults,
              "tasks": [{"name": name, "karmada.runbooks." + module: args, "ignore_errors": True}
                        for name, module, args in tasks]}]
    if roles:
        plays.append({"name": "Roles", "hosts": "localhost", "gather_facts": False, "module_defaults": defaults,
                      "roles": ["karmada.runbooks.slo_status", "karmada.runbooks.error_rate",
                                "karmada.runbooks.workqueue"],
                      "tasks": [{"name": "findings", "ansible.builtin.debug": {"var": "karmada_findings"}}]})
    return json.dumps(plays)


# The roles' module tasks, as the json callback names them (the role play runs them as diagnose.yml does).
SLO_TASK = "karmada.runbooks.slo_status : Measure the SLO burn rate and error budget (runbook step 1)"
ERROR_RATE_TASK = "karmada.runbooks.error_rate : Measure the binding sync error rate (runbook step 7)"
WORKQUEUE_TASK = "karmada.runbooks.workqueue : Inspect the binding controllers' workqueues (runbook step 8)"


def missing_namespaces_tasks():
    return [
        # No Sloth series for this name: the check must fall back to the raw metric.
        ("fallback", "slo_status", {"slo": "binding-sync-work-availability-unrecorded"}),
        ("sloth series", "prometheus_query",
         {"query": f'{{__name__=~"slo:sli_error:ratio_rate(1h|6h)", {SLO_LABELS}}}'}),
        ("range", "prometheus_query", {"query": "sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))",
                                       "start": "{{ now(utc=true).timestamp() | int - 600 }}", "step": "1m"}),
        ("bad query", "prometheus_query", {"query": "sum(rate(binding_sync_work_duration_seconds_count[5m])))"}),
    ]


def healthy_tasks():
    down = f"http://127.0.0.1:{closed_port()}"
    return [
        ("slo", "slo_status", {}),
        ("error rate", "controller_metrics", {"check": "error_rate"}),
        ("workqueue", "controller_metrics", {"check": "workqueue"}),
        ("slo unreachable", "slo_status", {"url": down, "grafana_url": GRAFANA}),
        ("workqueue unreachable", "controller_metrics", {"check": "workqueue", "url": down}),
        ("slo without prometheus", "slo_status", {"url": ""}),
    ]


# scenario -> (tasks, run the roles too, extra ansible-playbook arguments)
RUNS = {
    # karmada-es-member2 deleted ~45 min ago: three quarters of the binding syncs fail.
    "missing-namespaces": (missing_namespaces_tasks, True,
                           ("-e", "slo_status_grafana_url=" + GRAFANA, "-e", "slo_status_grafana_detail_uid=sceM28uGk")),
    # Nothing has failed for six hours; in check mode, as an operator trying it out would run it.
    "healthy": (healthy_tasks, False, ("--check",)),
}


def _run(work, scenario):
    """Start the scenario with Prometheus, run its playbook, stop it: {task name: result}."""
    tasks, roles, args = RUNS[scenario]
    handle = EmulatorHandle(work / "emulator", scenario=scenario)
    try:
        handle.up("--prometheus")
        url = handle.endpoints["prometheus"]["url"]
        runner = AnsiblePlaybook(str(work), handle.kubeconfig)
        return runner.results(playbook(url, tasks(), handle.kubeconfig, roles=roles), *args)
    finally:
        if handle.endpoints:
            handle.down()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both scenarios at once: each spends most of its time waiting on processes, so they overlap well."""
    with concurrent.futures.ThreadPoolExecutor(len(RUNS)) as pool:
        futures = {name: pool.submit(_run, tmp_path_factory.mktemp(name), name) for name in RUNS}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def missing_namespaces(runs):
    results = dict(runs["missing-namespaces"])
    results.update(slo=results[SLO_TASK], **{"error rate": results[ERROR_RATE_TASK],
                                             "workqueue": results[WORKQUEUE_TASK]})
    return results


@pytest.fixture(scope="module")
def healthy(runs):
    return runs["healthy"]


# -- missing-namespaces ----------------------------------------------------------------------------

def test_page_condition_holds_while_bindings_fail(missing_namespaces):
    result = missing_namespaces["slo"]
    finding = result["finding"]
    details = finding["details"]
    assert finding["status"] == "fail", finding["summary"]
    assert details["source"] == "sloth" and details["page"] is True and result["page"] is True
    assert finding["summary"].startswith("PAGE: binding-sync-work-availability is burning its error budget")
    assert details["objective"] == 99.9 and details["error_budget"] == BUDGET
    # The fast page condition: both 5m and 1h above 14.4 x budget.
    quick = details["conditions"][0]
    assert (quick["short"], quick["long"], quick["factor"], quick["firing"]) == ("5m", "1h", 14.4, True)
    assert details["error_ratios"]["5m"] > 0.0144 and details["error_ratios"]["1h"] > 0.0144
    # Forty-five minutes at ~75 % errors spend far more than a 30-day budget (history is 6 h long).
    assert details["budget_remaining"] < 0 and details["time_to_exhaustion_seconds"] == 0
    assert finding["signals"] == []


def test_burn_rates_are_the_sloth_ratios_over_the_budget(missing_namespaces):
    details = missing_namespaces["slo"]["finding"]["details"]
    assert set(details["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"}
    for window, ratio in details["error_ratios"].items():
        assert details["burn_rates"][window] == pytest.approx(ratio / BUDGET, rel=1e-4)
    recorded = {s["metric"]["sloth_window"]: s["value"] for s in missing_namespaces["sloth series"]["samples"]}
    assert set(recorded) == {"1h", "6h"}
    for window, value in recorded.items():
        assert details["error_ratios"][window] == pytest.approx(value, rel=0.02)


def test_chart_series_and_grafana_links(missing_namespaces):
    details = missing_namespaces["slo"]["finding"]["details"]
    series = details["series"]
    assert 50 <= len(series["error_ratio"]) <= 120
    ratios = [point[1] for point in series["error_ratio"]]
    assert [point[1] for point in series["burn_rate"]] == pytest.approx([r / BUDGET for r in ratios], rel=1e-4)
    assert [point[0] for point in series["burn_rate"]] == [point[0] for point in series["error_ratio"]]
    assert max(ratios) > 0.5
    links = missing_namespaces["slo"]["links"]
    assert links["grafana_slo_detail"].startswith(GRAFANA + "/d/sceM28uGk?var-service=karmada&"
                                                  "var-slo=binding-sync-work-availability&from=")
    assert links["grafana_slo_overview"].startswith(GRAFANA + "/d/slo-overview?from=")


def test_raw_metric_fallback_agrees_with_sloth(missing_namespaces):
    sloth = missing_namespaces["slo"]["finding"]["details"]
    finding = missing_namespaces["fallback"]["finding"]
    raw = finding["details"]
    assert raw["source"] == "raw" and finding["status"] == "fail"
    assert "No Sloth rules found" in finding["summary"]
    # The same error and total queries as the recording rules, so the ratios match (30d aside: Sloth
    # averages 5m ratios, the raw query weights by syncs).
    for window in ("30m", "1h", "6h"):
        assert raw["error_ratios"][window] == pytest.approx(sloth["error_ratios"][window], rel=0.05)
    assert raw["page"] is True


def test_error_rate_shows_failing_syncs(missing_namespaces):
    finding = missing_namespaces["error rate"]["finding"]
    details = finding["details"]
    assert finding["status"] == "fail", finding["summary"]
    assert details["query"] == "sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))"
    assert details["rates"]["error"] > 0 and details["rates"]["success"] > 0
    assert 0.5 < details["error_ratio"] < 1
    assert details["error_ratio"] == pytest.approx(
        missing_namespaces["slo"]["finding"]["details"]["error_ratios"]["5m"], rel=0.1)
    assert finding["signals"] == []


def test_workqueue_retries_dominate(missing_namespaces):
    finding = missing_namespaces["workqueue"]["finding"]
    details = finding["details"]
    assert finding["status"] == "warn", finding["summary"]
    # No ClusterResourceBindings in this scenario: the priority queue never created that depth series.
    assert set(details["depth"]) == {"binding-controller"}
    assert details["retry_ratio"]["binding-controller"] > 0.5
    assert [(s["cause"], s["strength"]) for s in finding["signals"]] == [("workqueue_stuck", 0.3)]


def test_prometheus_query_instant_range_and_promql_error(missing_namespaces):
    assert missing_namespaces["sloth series"]["result_type"] == "vector"
    ranged = missing_namespaces["range"]
    assert ranged["result_type"] == "matrix" and ranged["step"] == 60
    by_result = {s["metric"]["result"]: s for s in ranged["samples"]}
    assert set(by_result) == {"error", "success"}
    assert 10 <= len(by_result["error"]["values"]) <= 11 and by_result["error"]["value"] > 0
    bad = missing_namespaces["bad query"]
    assert bad["failed"] is True and bad["error_type"] == "bad_data"
    assert bad["msg"].startswith("Prometheus rejected the query: bad_data:") and "parse error" in bad["msg"]


def test_roles_append_their_findings_in_runbook_order(missing_namespaces):
    findings = missing_namespaces["findings"]["karmada_findings"]
    assert [f["id"] for f in findings] == ["slo_burn_rate", "binding_sync_error_rate", "workqueue", "binding_status"]
    assert [f["status"] for f in findings[:3]] == ["fail", "fail", "warn"]


# -- healthy, and Prometheus out of reach ------------------------------------------------------------

def test_healthy_slo_is_within_budget(healthy):
    result = healthy["slo"]
    finding = result["finding"]
    assert finding["status"] == "ok", finding["summary"]
    assert result["page"] is False and result["ticket"] is False and result["changed"] is False
    assert set(result["burn_rates"].values()) == {0}
    assert result["budget_remaining"] == 1
    assert finding["summary"].startswith("binding-sync-work-availability is within its error budget")
    assert result["links"] == {}


def test_healthy_controllers(healthy):
    error_rate, workqueue = healthy["error rate"]["finding"], healthy["workqueue"]["finding"]
    assert error_rate["status"] == "ok" and error_rate["details"]["rates"]["error"] == 0
    assert error_rate["details"]["rates"]["success"] > 0
    assert workqueue["status"] == "ok" and workqueue["signals"] == []


def test_unreachable_prometheus_is_unknown_not_a_failure(healthy):
    for name in ("slo unreachable", "workqueue unreachable"):
        result = healthy[name]
        assert not result.get("failed"), result
        assert result["finding"]["status"] == "unknown"
        assert result["finding"]["error"].startswith("unreachable: http://127.0.0.1:")
    # The dashboards are still worth opening.
    assert healthy["slo unreachable"]["links"]["grafana_slo_detail"].startswith(GRAFANA + "/d/slo-detail?")


def test_no_prometheus_url_is_unknown(healthy):
    finding = healthy["slo without prometheus"]["finding"]
    assert finding["status"] == "unknown" and "no Prometheus URL configured" in finding["error"]
