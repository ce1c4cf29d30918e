"""`up --prometheus [--alertmanager --webhook-url URL]`: real Prometheus and Alertmanager wired to the emulator.

The runbook's own PromQL (steps 7 and 8) runs against the real Prometheus, the Sloth SLO series are
there with Sloth's labels and with backfilled history, the page alert fires for a failing scenario
(and reaches a webhook through Alertmanager) and never for ``healthy``.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
import yaml
from conftest import REPO_ROOT, EmulatorHandle, process_gone, python, run_emulator_cli
from prometheus_synthetic import SyntheticKarmada

from tests.emulator import prometheus, scenarios

HAVE_SERVERS = all(os.access(p, os.X_OK)
                   for p in (prometheus.PROMETHEUS_BIN, prometheus.PROMTOOL_BIN, prometheus.ALERTMANAGER_BIN))
NO_SERVERS = ("Prometheus/Alertmanager are not installed (/usr/bin/prometheus, /usr/bin/prometheus-alertmanager): "
              "`make setup` as root installs the Debian packages")
needs_prometheus = pytest.mark.skipif(not HAVE_SERVERS, reason=NO_SERVERS)

ALERT = "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"
BINDING = "binding-sync-work-availability"
SLO_LABELS = {"sloth_id": f"karmada-{BINDING}", "sloth_service": "karmada", "sloth_slo": BINDING,
              "category": "availability", "component": "karmada-controller-manager"}
QUEUES = 'name=~"binding-controller|cluster-resource-binding-controller"'
STEP7 = "sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))"
STEP8_DEPTH = f"workqueue_depth{{{QUEUES}}}"
STEP8_RETRY_RATIO = (f"sum by (name) (rate(workqueue_retries_total{{{QUEUES}}}[5m]))\n/\n"
                     f"sum by (name) (rate(workqueue_adds_total{{{QUEUES}}}[5m]))")
FAILING = "missing-namespaces"


class WebhookReceiver:
    """A tiny HTTP server that records Alertmanager webhook payloads."""

    def __init__(self):
        self.payloads = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.changed:
                    receiver.payloads.append(json.loads(body))
                    receiver.changed.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [a for p in self.payloads for a in p.get("alerts", []) if predicate(p, a)]
                if found or time.monotonic() > deadline:
                    return found
                self.changed.wait(max(0.0, min(1.0, deadline - time.monotonic())))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Prom:
    def __init__(self, url):
        self.url = url

    def query(self, promql):
        return prometheus.query(self.url, promql)

    def values(self, promql, key=None):
        """{label value (or label set) -> float} of an instant query."""
        out = {}
        for item in self.query(promql):
            label = item["metric"].get(key) if key else tuple(sorted(item["metric"].items()))
            out[label] = float(item["value"][1])
        return out

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def wait(self, promql, timeout=40):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result:
                return result
            time.sleep(0.5)
        return []

    def alert_group_evaluations(self, group):
        groups = {g["name"]: g for g in self.get("/api/v1/rules?type=alert")["data"]["groups"]}
        return groups[group]["lastEvaluation"]


def _up_in_parallel(specs):
    """Start several emulators at once (each `up` runs its own backfill); returns their handles."""
    handles, errors = [None] * len(specs), []

    def start(index, workdir, scenario, extra):
        try:
            handles[index] = EmulatorHandle(workdir, scenario=scenario).up(*extra)
        except AssertionError as exc:          # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i, *spec)) for i, spec in enumerate(specs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        for handle in handles:
            if handle is not None:
                handle.down()
        raise errors[0]
    return handles


@pytest.fixture(scope="module")
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def stacks(tmp_path_factory, webhook):
    """A failing scenario (with Alertmanager -> webhook) and healthy, both with Prometheus, started together."""
    if not HAVE_SERVERS:
        pytest.skip(NO_SERVERS)
    began = time.monotonic()
    failing, healthy = _up_in_parallel([
        (tmp_path_factory.mktemp("failing"), FAILING, ("--prometheus", "--alertmanager", "--webhook-url", webhook.url)),
        (tmp_path_factory.mktemp("healthy"), "healthy", ("--prometheus",)),
    ])
    started = time.monotonic()
    yield {"failing": failing, "healthy": healthy, "started": started, "up_seconds": started - began}
    failing.down()
    healthy.down()


@pytest.fixture(scope="module")
def failing(stacks):
    """The failing scenario's Prometheus."""
    return Prom(stacks["failing"].endpoints["prometheus"]["url"])


@pytest.fixture(scope="module")
def healthy(stacks):
    """The healthy scenario's Prometheus."""
    return Prom(stacks["healthy"].endpoints["prometheus"]["url"])


# -- command line ----------------------------------------------------------------------------------------

def _cli(*args, env=None):
    return subprocess.run([python(), "-m", "tests.emulator", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args, message", [
    (("--alertmanager",), "--alertmanager needs --prometheus"),
    (("--prometheus", "--webhook-url", "http://127.0.0.1:9/x"), "--webhook-url needs --alertmanager"),
    (("--webhook-url", "http://127.0.0.1:9/x"), "--webhook-url needs --alertmanager"),
    (("--prometheus", "--alertmanager", "--webhook-url", "not a url"), "is not an http:// or https:// URL"),
    (("--query-log",), "--query-log needs --prometheus"),
])
def test_option_errors_name_the_option_and_start_nothing(tmp_path, args, message):
    result = run_emulator_cli("up", "--workdir", str(tmp_path / "emu"), *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not os.path.exists(tmp_path / "emu")


@pytest.mark.parametrize("variable, option", [("EMULATOR_PROMETHEUS_BIN", "--prometheus"),
                                              ("EMULATOR_ALERTMANAGER_BIN", "--alertmanager")])
def test_missing_server_binary_says_make_setup_installs_it(tmp_path, variable, option):
    result = _cli("up", "--workdir", str(tmp_path / "emu"), "--prometheus", "--alertmanager",
                  env={variable: str(tmp_path / "no-such-binary")})
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'no-such-binary'} (for {option}) not found" in result.stderr
    assert "`make setup` (run as root) installs them" in result.stderr and "Traceback" not in result.stderr
    assert not os.path.exists(tmp_path / "emu")


@needs_prometheus
@pytest.mark.emulator
def test_a_server_that_dies_at_start_stops_everything_again(tmp_path):
    result = _cli("up", "--workdir", str(tmp_path / "emu"), "--prometheus", env={"EMULATOR_PROMETHEUS_BIN": "/bin/false"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "could not start Prometheus/Alertmanager, so the emulator was stopped again" in result.stderr
    assert "prometheus exited with status 1 while starting" in result.stderr
    assert not os.path.exists(tmp_path / "emu" / "processes.json")
    pid = json.loads((tmp_path / "emu" / "endpoints.json").read_text())["pid"]
    assert process_gone(pid)
    assert "nothing is running" in run_emulator_cli("down", "--workdir", str(tmp_path / "emu")).stdout


@needs_prometheus
@pytest.mark.emulator
def test_up_records_every_server_pid_and_down_stops_them(tmp_path):
    handle = EmulatorHandle(tmp_path / "emu").up("--prometheus", "--alertmanager")
    try:
        processes = _check_recorded_servers(tmp_path / "emu", handle.endpoints)
    finally:
        result = handle.down()
    assert result.returncode == 0
    for process in processes:
        assert f"pid {process['pid']}" in result.stdout
        assert process_gone(process["pid"])


def _check_recorded_servers(workdir, endpoints):
    processes = json.loads((workdir / "processes.json").read_text())
    assert [p["name"] for p in processes] == ["emulator", "alertmanager", "prometheus"]
    binaries = {"prometheus": prometheus.PROMETHEUS_BIN, "alertmanager": prometheus.ALERTMANAGER_BIN}
    for process in processes[1:]:
        with open(f"/proc/{process['pid']}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        assert argv[0].decode() == binaries[process["name"]]        # the server itself, not a shell around it
    assert endpoints["prometheus"]["url"].startswith("http://127.0.0.1:")
    assert endpoints["prometheus"]["pid"] == processes[2]["pid"]
    assert endpoints["alertmanager"]["url"].startswith("http://127.0.0.1:")
    assert oct(os.stat(workdir / "endpoints.json").st_mode & 0o777) == "0o600"
    # `up` returned only once Prometheus was ready with every rule group loaded.
    prom = Prom(endpoints["prometheus"]["url"])
    groups = {g["name"] for g in prom.get("/api/v1/rules")["data"]["groups"]}
    assert len(groups) == 13 * 3 and f"sloth-slo-alerts-karmada-{BINDING}" in groups
    config = yaml.safe_load(prom.get("/api/v1/status/config")["data"]["yaml"])
    [alerting] = config["alerting"]["alertmanagers"]
    assert alerting["static_configs"][0]["targets"] == [endpoints["alertmanager"]["url"].split("//")[1]]
    with urllib.request.urlopen(endpoints["alertmanager"]["url"] + "/-/ready", timeout=5) as response:
        assert response.status == 200
    again = run_emulator_cli("up", "--prometheus", "--workdir", str(workdir))
    assert again.returncode == 2 and "already running" in again.stderr
    return processes


# -- a failing scenario ------------------------------------------------------------------------------------

@needs_prometheus
@pytest.mark.emulator
def test_up_with_backfill_is_quick(stacks):
    timings = stacks["failing"].endpoints["prometheus"]["timings"]
    assert timings["history_samples"] > 0 and len(timings["rules_backfill"]) == 4
    assert stacks["up_seconds"] < 30, timings


@needs_prometheus
@pytest.mark.emulator
def test_runbook_step7_error_rate_is_positive(failing):
    prom = failing
    rates = prom.values(STEP7, "result")
    assert rates.get("error", 0) > 0 and rates.get("success", 0) >= 0


@needs_prometheus
@pytest.mark.emulator
def test_runbook_step8_workqueue_depth_and_retry_ratio(failing):
    prom = failing
    depth = prom.query(STEP8_DEPTH)
    # missing-namespaces has no ClusterResourceBindings: the priority queue never created that depth series.
    assert {item["metric"]["name"] for item in depth} == {"binding-controller"}
    assert {item["metric"]["priority"] for item in depth} <= {"0", "-100"}
    for item in depth:
        assert item["metric"]["job"] == "karmada-controller-manager" and item["metric"]["controller"] == item["metric"]["name"]
    ratio = prom.values(STEP8_RETRY_RATIO, "name")
    assert ratio["binding-controller"] > 0


@needs_prometheus
@pytest.mark.emulator
def test_history_and_live_samples_are_one_series(failing):
    prom = failing
    series = prom.query("binding_sync_work_duration_seconds_count")
    assert sorted(s["metric"]["result"] for s in series) == ["error", "success"]
    assert all(s["metric"]["job"] == "karmada-controller-manager" for s in series)
    assert prom.values("resets(binding_sync_work_duration_seconds_count[15m])", "result") == {"error": 0, "success": 0}
    assert prom.values('count_over_time(binding_sync_work_duration_seconds_count{result="error"}[6h])', "result")[
        "error"] > 1000                               # 6h of 15s history, not just the few live scrapes


@needs_prometheus
@pytest.mark.emulator
def test_sloth_series_have_sloths_labels(failing):
    prom = failing
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        [item] = prom.query(f'slo:sli_error:ratio_rate{window}{{sloth_slo="{BINDING}"}}')
        assert item["metric"] == {"__name__": f"slo:sli_error:ratio_rate{window}", **SLO_LABELS, "sloth_window": window}
    for name in ("slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days"):
        [item] = prom.query(f'{name}{{sloth_slo="{BINDING}"}}')
        assert item["metric"] == {"__name__": name, **SLO_LABELS}
    # Burn rates keep the sloth_window of the SLI they divide, as Sloth's rules do.
    for name, window in (("slo:current_burn_rate:ratio", "5m"), ("slo:period_burn_rate:ratio", "30d"),
                         ("slo:period_error_budget_remaining:ratio", "30d")):
        [item] = prom.query(f'{name}{{sloth_slo="{BINDING}"}}')
        assert item["metric"] == {"__name__": name, **SLO_LABELS, "sloth_window": window}
    [info] = prom.query(f'sloth_slo_info{{sloth_slo="{BINDING}"}}')
    assert info["metric"]["sloth_objective"] == "99.9" and info["metric"]["sloth_mode"] == "cli-gen-prom"
    # All 13 SLOs of Karmada's spec are loaded (see the rule groups above); only the SLOs the emulator feeds
    # are backfilled, the others' metadata appears with the first live rule evaluation.
    objectives = prom.values('slo:objective:ratio', "sloth_slo")
    assert {BINDING, "apiserver-availability"} <= set(objectives) and objectives[BINDING] == pytest.approx(0.999)
    assert prom.values(f'slo:sli_error:ratio_rate5m{{sloth_slo="{BINDING}"}}', "sloth_slo")[BINDING] > 0.0144


@needs_prometheus
@pytest.mark.emulator
def test_backfilled_sli_history_tells_the_scenarios_story(failing):
    """Healthy before the fault began, failing since: visible in the recorded series' past, not only live."""
    prom = failing
    history = scenarios.load(FAILING)["history"]
    before = int(history["failing_minutes"]) + 20
    sel = f'{{sloth_slo="{BINDING}"}}'
    assert prom.values(f"slo:sli_error:ratio_rate5m{sel} offset {before}m", "sloth_slo")[BINDING] == 0
    assert prom.values(f"slo:period_error_budget_remaining:ratio{sel} offset {before}m", "sloth_slo")[BINDING] == 1
    assert prom.values(f"slo:sli_error:ratio_rate1h{sel} offset 10m", "sloth_slo")[BINDING] > 0.0144
    assert prom.values(f"slo:period_error_budget_remaining:ratio{sel}", "sloth_slo")[BINDING] < 1
    counts = prom.values(f"count_over_time(slo:sli_error:ratio_rate1h{sel}[{before}m])", "sloth_slo")
    assert counts[BINDING] >= before - 5              # backfilled at 1m steps, then live every 5s
    counts = prom.values(f"count_over_time(slo:period_error_budget_remaining:ratio{sel}[{before}m])", "sloth_slo")
    assert counts[BINDING] >= before - 5


@needs_prometheus
@pytest.mark.emulator
def test_page_alert_fires_within_a_few_evaluations(failing, stacks):
    prom = failing
    firing = prom.wait(f'ALERTS{{alertname="{ALERT}",sloth_severity="page",alertstate="firing"}}', timeout=40)
    assert firing, "the page alert did not fire"
    assert time.monotonic() - stacks["started"] < 40
    [alert] = firing
    assert alert["metric"] == {"__name__": "ALERTS", "alertname": ALERT, "alertstate": "firing", "severity": "critical",
                               "sloth_severity": "page", **SLO_LABELS}


@needs_prometheus
@pytest.mark.emulator
def test_webhook_receives_the_firing_page_alert(failing, webhook):
    def is_page(payload, alert):
        labels = alert["labels"]
        return (payload["status"] == "firing" and alert["status"] == "firing" and labels.get("alertname") == ALERT
                and labels.get("sloth_severity") == "page")

    alerts = webhook.wait_for(is_page, timeout=60)
    assert alerts, f"no firing page alert reached the webhook; got {webhook.payloads}"
    alert = alerts[0]
    assert alert["labels"]["severity"] == "critical" and alert["labels"]["sloth_slo"] == BINDING
    assert alert["annotations"]["runbook_url"] == f"https://karmada.io/docs/administrator/reliability/runbooks/SLO/{BINDING}"
    assert alert["annotations"]["summary"].startswith("[KarmadaAlerts][Page] Binding to Work Sync Availability")


# -- healthy -------------------------------------------------------------------------------------------------

@needs_prometheus
@pytest.mark.emulator
def test_healthy_step7_has_no_errors(healthy):
    prom = healthy
    rates = prom.values(STEP7, "result")
    assert rates.get("error", 0) == 0 and rates.get("success", 0) > 0


@needs_prometheus
@pytest.mark.emulator
def test_healthy_budget_untouched(healthy):
    prom = healthy
    sel = f'{{sloth_slo="{BINDING}"}}'
    assert prom.values(f"slo:sli_error:ratio_rate1h{sel}", "sloth_slo")[BINDING] == 0
    assert prom.values(f"slo:period_error_budget_remaining:ratio{sel}", "sloth_slo")[BINDING] == 1
    assert prom.values(f"min_over_time(slo:period_error_budget_remaining:ratio{sel}[6h])", "sloth_slo")[BINDING] == 1


@needs_prometheus
@pytest.mark.emulator
def test_healthy_never_pages(healthy):
    prom = healthy
    group = f"sloth-slo-alerts-karmada-{BINDING}"
    deadline = time.monotonic() + 40
    first = None
    while time.monotonic() < deadline:                # two evaluations of the alert group after its SLIs exist
        evaluated = prom.alert_group_evaluations(group)
        if not evaluated.startswith("0001"):
            if first is None:
                first = evaluated
            elif evaluated != first:
                break
        time.sleep(0.5)
    else:
        pytest.fail("the alert group was not evaluated twice within 40s")
    assert prom.query(f'max_over_time(ALERTS{{alertname="{ALERT}"}}[1h])') == []
    assert [a for a in prom.get("/api/v1/alerts")["data"]["alerts"] if a["labels"]["alertname"] == ALERT] == []


# -- the wiring without the emulator's model -------------------------------------------------------------------

@needs_prometheus
def test_synthetic_history_and_live_target_give_exact_runbook_numbers(tmp_path):
    """A synthetic Karmada (a third of 2 syncs/s failing) through the same Stack: the numbers are exact."""
    now = time.time()
    model = SyntheticKarmada(origin=now - 3 * 3600, error_ratio=1 / 3)
    end = int(now) - 5
    model.write_history(str(tmp_path / "history.om"), end - 2 * 3600, end)
    server, metrics = model.serve(time.time)
    stack = prometheus.Stack(str(tmp_path), {"metrics": metrics, "history": {
        "file": str(tmp_path / "history.om"), "start": end - 2 * 3600, "end": end}})
    try:
        info = stack.start()
        prom = Prom(info["prometheus"]["url"])
        expected = {"error": pytest.approx(2 / 3, rel=0.02), "success": pytest.approx(4 / 3, rel=0.02)}
        assert prom.values(STEP7, "result") == expected
        assert prom.values(STEP8_RETRY_RATIO, "name")["binding-controller"] == pytest.approx(1 / 3, rel=0.02)
        assert prom.values(STEP8_DEPTH, "name") == {"binding-controller": 4, "cluster-resource-binding-controller": 1}
        sel = f'{{sloth_slo="{BINDING}"}}'
        assert prom.values(f"slo:sli_error:ratio_rate1h{sel} offset 30m", "sloth_slo")[BINDING] == pytest.approx(1 / 3, rel=0.02)
        assert prom.values(f"slo:period_error_budget_remaining:ratio{sel}", "sloth_slo")[BINDING] == pytest.approx(
            1 - (1 / 3) / 0.001, rel=0.02)
        jobs = prom.values('count by (job) (apiserver_request_total)', "job")
        assert jobs == {"karmada-apiserver": 1}
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@needs_prometheus
def test_long_windows_answer_as_soon_as_the_stack_is_up(tmp_path):
    """History that ended minutes before Prometheus came up (a slow, loaded CI machine): the 30d series'
    last backfilled sample is then outside the 5m lookback, and only a live evaluation brings it back.
    start() returns after that evaluation, so a query right away finds the series."""
    now = time.time()
    model = SyntheticKarmada(origin=now - 3 * 3600, error_ratio=1 / 3)
    end = int(now) - 6 * 60
    model.write_history(str(tmp_path / "history.om"), end - 2 * 3600, end)
    server, metrics = model.serve(time.time)
    stack = prometheus.Stack(str(tmp_path), {"metrics": metrics, "history": {
        "file": str(tmp_path / "history.om"), "start": end - 2 * 3600, "end": end}})
    try:
        prom = Prom(stack.start()["prometheus"]["url"])
        sel = f'{{sloth_slo="{BINDING}"}}'
        assert BINDING in prom.values(f"slo:period_error_budget_remaining:ratio{sel}", "sloth_slo")
        assert BINDING in prom.values(f"slo:sli_error:ratio_rate30d{sel}", "sloth_slo")
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@needs_prometheus
def test_without_history_prometheus_starts_without_backfill(tmp_path):
    model = SyntheticKarmada(origin=time.time() - 60, error_ratio=0)
    server, metrics = model.serve(time.time)
    stack = prometheus.Stack(str(tmp_path), {"metrics": metrics, "history": {
        "file": str(tmp_path / "absent.om"), "start": 0, "end": 1}})
    try:
        info = stack.start()
        assert "history_import" not in info["prometheus"]["timings"]
        assert len(info["prometheus"]["timings"]["prometheus_starts"]) == 1
        config = yaml.safe_load(Prom(info["prometheus"]["url"]).get("/api/v1/status/config")["data"]["yaml"])
        assert {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]} == {
            "karmada-controller-manager": [metrics["controller_manager"]["target"]],
            "karmada-apiserver": [metrics["karmada_apiserver"]["target"]]}
        assert not os.path.exists(tmp_path / "prometheus" / "history")
        assert "query_log_file" not in config["global"] and "query_log" not in info["prometheus"]   # opt-in
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@needs_prometheus
def test_query_log_records_the_clients_queries_apart_from_rule_evaluations(tmp_path):
    """The bench counts diagnose's PromQL from this log (tests/tools/bench_floor.py reads httpRequest lines)."""
    model = SyntheticKarmada(origin=time.time() - 60, error_ratio=0)
    server, metrics = model.serve(time.time)
    stack = prometheus.Stack(str(tmp_path), {"metrics": metrics}, query_log=True)
    try:
        info = stack.start()
        url = info["prometheus"]["url"]
        Prom(url).query(STEP7)
        with open(info["prometheus"]["query_log"], encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        client = [r for r in records if "httpRequest" in r]
        assert STEP7 in [r["params"]["query"] for r in client]
        assert any("ruleGroup" in r for r in records)          # rule evaluations are there, told apart
        config = yaml.safe_load(Prom(url).get("/api/v1/status/config")["data"]["yaml"])
        assert config["global"]["query_log_file"] == info["prometheus"]["query_log"]
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@needs_prometheus
def test_a_port_taken_before_prometheus_binds_it_is_replaced(tmp_path, monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ports = iter([busy.getsockname()[1]])
        real = prometheus.free_port
        monkeypatch.setattr(prometheus, "free_port", lambda host="127.0.0.1": next(ports, None) or real(host))
        stack = prometheus.Stack(str(tmp_path), {})
        try:
            info = stack.start()
            assert info["prometheus"]["url"] != f"http://127.0.0.1:{busy.getsockname()[1]}"
            assert Prom(info["prometheus"]["url"]).get("/api/v1/rules")["status"] == "success"
        finally:
            stack.stop()


@needs_prometheus
@pytest.mark.emulator
def test_sloth_windows_google_28d(tmp_path):
    """`up --sloth-windows google-28d`: the period SLI is ratio_rate4w and the alerts use the 28-day factors."""
    handle = EmulatorHandle(tmp_path / "emulator28", scenario=FAILING).up("--prometheus", "--sloth-windows",
                                                                          "google-28d")
    try:
        prom = Prom(handle.endpoints["prometheus"]["url"])
        selector = f'{{sloth_slo="{BINDING}"}}'
        [period] = prom.query(f"slo:sli_error:ratio_rate4w{selector}")
        assert period["metric"]["sloth_window"] == "4w" and float(period["value"][1]) > 0
        assert prom.query(f"slo:sli_error:ratio_rate30d{selector}") == []
        assert prom.values(f"slo:time_period:days{selector}", "sloth_slo") == {BINDING: 28}
        rules = [r for g in prom.get("/api/v1/rules?type=alert")["data"]["groups"] for r in g["rules"]
                 if g["name"] == f"sloth-slo-alerts-karmada-{BINDING}"]
        assert "(13.44 * 0.0009999999999999432)" in rules[0]["query"]
    finally:
        handle.down()
