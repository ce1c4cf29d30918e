"""Event-Driven Ansible: the shipped rulebooks, driven by real Alertmanager and real ansible-rulebook.

- The live chain: the emulator's failing scenario -> real Prometheus alert -> real Alertmanager routing it
  with the shipped receiver config (examples/alertmanager/alertmanager.yml) -> ansible-rulebook with
  extensions/eda/rulebooks/diagnose_alert.yml -> diagnose (and, for a page, a mitigation plan) -> report.json.
- What must start nothing: a resolved alert, another alert name, a repeat inside the throttle window, and a
  request without the token (401).
- The AWX rulebook (diagnose_alert_awx.yml) against tests/tools/controller_standin.py, which records the launch
  and runs the job template's playbook with ansible-runner.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

from tests.emulator import prometheus

sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "tools"))
import controller_standin  # noqa: E402  pylint: disable=wrong-import-position

ALERT = "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"
BINDING = "binding-sync-work-availability"
SLOTH = {"sloth_id": f"karmada-{BINDING}", "sloth_service": "karmada", "sloth_slo": BINDING}
RULEBOOKS = os.path.join(REPO_ROOT, "extensions", "eda", "rulebooks")
LOCAL_RULEBOOK = os.path.join(RULEBOOKS, "diagnose_alert.yml")
AWX_RULEBOOK = os.path.join(RULEBOOKS, "diagnose_alert_awx.yml")
RECEIVER_EXAMPLE = os.path.join(REPO_ROOT, "examples", "alertmanager", "alertmanager.yml")
AMTOOL = "/usr/bin/amtool"
RULEBOOK_BIN = os.path.join(VENV_BIN, "ansible-rulebook")
TOKEN = "eda-webhook-test-token"
CONTROLLER_TOKEN = "controller-test-token"
DIAGNOSE_TEMPLATE = "Karmada diagnose binding-to-Work sync"
MITIGATE_TEMPLATE = "Karmada mitigate binding-to-Work sync"

HAVE_SERVERS = all(os.access(p, os.X_OK) for p in (prometheus.PROMETHEUS_BIN, prometheus.ALERTMANAGER_BIN))
HAVE_RULEBOOK = os.access(RULEBOOK_BIN, os.X_OK) and shutil.which("java") is not None
needs_chain = pytest.mark.skipif(not (HAVE_SERVERS and HAVE_RULEBOOK),
                                 reason="needs Prometheus/Alertmanager (`make setup` as root) and ansible-rulebook "
                                        "with Java 17 (requirements-dev.txt)")


# -- helpers ---------------------------------------------------------------------------------------------------

class Rulebook:
    """One ansible-rulebook process (-vv: its debug log names every event posted and every action started)."""

    def __init__(self, rulebook, workdir, variables, env=None, inventory=True):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.port = prometheus.free_port()
        self.url = f"http://127.0.0.1:{self.port}/alerts"
        self.log_path = os.path.join(self.workdir, "rulebook.log")
        vars_path = os.path.join(self.workdir, "vars.yml")
        with open(vars_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(dict(variables, karmada_eda_host="127.0.0.1", karmada_eda_port=self.port), handle)
        command = [RULEBOOK_BIN, "-r", rulebook, "-E", "KARMADA_EDA_WEBHOOK_TOKEN", "--vars", vars_path, "-vv"]
        if inventory:
            command += ["-i", os.path.join(REPO_ROOT, "inventory", "localhost.yml")]
        full_env = dict(os.environ, KARMADA_EDA_WEBHOOK_TOKEN=TOKEN, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
                        PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, "tmp"),
                        ANSIBLE_HOME=os.path.join(self.workdir, "ansible-home"), **(env or {}))
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(command, cwd=self.workdir, env=full_env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"ansible-rulebook exited:\n{self.log()[-4000:]}"
            if "Waiting for events" in self.log():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"ansible-rulebook did not start listening in {timeout}s:\n{self.log()[-4000:]}")

    def post(self, payload, token=TOKEN):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url, data=json.dumps(payload).encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def actions_started(self):
        """Actions ansible-rulebook started (rule_set_runner.py logs each one at debug level)."""
        return re.findall(r"Creating action task action::(\w+)::[^:]+::(.+)", self.log())

    def events_posted(self, marker):
        """Events the engine got (rule_set_runner.py logs each at debug level) that carry ``marker``."""
        return [line for line in self.log().splitlines() if "Posting data to ruleset" in line and marker in line]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def alert(severity="page", status="firing", name=ALERT, starts_at=None, **labels):
    """One alert as Alertmanager's webhook (version 4) carries it."""
    starts_at = starts_at or (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20))
    return {"status": status,
            "labels": dict({"alertname": name, "severity": "critical" if severity == "page" else "warning",
                            "sloth_severity": severity, **SLOTH}, **labels),
            "annotations": {"summary": "test alert"},
            "startsAt": starts_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph", "fingerprint": "0123456789abcdef"}


def notification(*alerts):
    """An Alertmanager webhook payload (alertmanager notify/webhook/webhook.go Message, version 4)."""
    first = alerts[0]
    return {"receiver": "karmada-runbooks-eda", "status": first["status"], "alerts": list(alerts),
            "groupLabels": {}, "commonLabels": first["labels"], "commonAnnotations": first["annotations"],
            "externalURL": "http://alertmanager.example", "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0}


def wait_for_file(path, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def wait_for_mitigation(path, timeout, process=None):
    """The mitigate play writes report.json twice (its diagnosis, then with the mitigation): wait for the second."""
    deadline = time.monotonic() + timeout
    while wait_for_file(path, max(0.0, deadline - time.monotonic()), process):
        try:
            if "mitigation" in load_json(path):
                return True
        except ValueError:
            pass                        # caught between the write and the rename of a report being replaced
        time.sleep(0.2)
    return False


def load_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def cause_ids(report):
    return [c["id"] for c in report["verdict"]["causes"]]


def snapshot(directory):
    """{path: mtime} of every file under directory."""
    return {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(directory, "**"), recursive=True)
            if os.path.isfile(p)}


# -- fixtures: one emulator, both rulebooks, started together ------------------------------------------------

@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    if not (HAVE_SERVERS and HAVE_RULEBOOK):
        pytest.skip("needs Prometheus/Alertmanager and ansible-rulebook with Java 17")
    root = tmp_path_factory.mktemp("eda")
    reports = str(root / "reports")
    standin_dir = str(root / "controller")
    handle = EmulatorHandle(root / "emu", scenario="missing-namespaces")
    started = []
    try:
        handle.up("--prometheus", "--alertmanager")
        endpoints = handle.endpoints
        local = Rulebook(LOCAL_RULEBOOK, root / "local", {
            "karmada_eda_report_dir": reports, "karmada_kubeconfig": endpoints["kubeconfig"],
            "karmada_prometheus_url": endpoints["prometheus"]["url"]})
        started.append(local)
        templates = {
            1: controller_standin.JobTemplate(1, DIAGNOSE_TEMPLATE, "playbooks/diagnose.yml", "Default", {
                "karmada_kubeconfig": endpoints["kubeconfig"], "karmada_report_dir": os.path.join(standin_dir, "report")}),
            2: controller_standin.JobTemplate(2, MITIGATE_TEMPLATE, "playbooks/mitigate.yml", "Default", {
                "karmada_kubeconfig": endpoints["kubeconfig"], "karmada_report_dir": os.path.join(standin_dir, "plan")}),
        }
        standin = controller_standin.ControllerStandIn(
            standin_dir, CONTROLLER_TOKEN, REPO_ROOT, os.path.join(REPO_ROOT, "inventory", "localhost.yml"), templates,
            env={"ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
                 "ANSIBLE_HOME": os.path.join(standin_dir, "ansible-home")}).start()
        awx = Rulebook(AWX_RULEBOOK, root / "awx", {}, inventory=False, env={
            "EDA_CONTROLLER_URL": standin.url, "EDA_CONTROLLER_TOKEN": CONTROLLER_TOKEN,
            # job_template_runner.py polls a job every EDA_JOB_TEMPLATE_REFRESH_DELAY seconds (10 by default).
            "EDA_JOB_TEMPLATE_REFRESH_DELAY": "1"})
        started.append(awx)
        local.wait_ready()
        awx.wait_ready()
        # Alertmanager with the shipped route and receiver, pointed at the rulebook; only the address, the
        # token file and group_wait (30s shipped; 1s keeps the test short) differ.
        token_file = root / "eda-token"
        token_file.write_text(TOKEN)
        am_config = receiver_config(local.url, str(token_file))
        with open(os.path.join(handle.workdir, "alertmanager", "alertmanager.yml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(am_config, out, sort_keys=False)
        reload = urllib.request.Request(endpoints["alertmanager"]["url"] + "/-/reload", method="POST")
        with urllib.request.urlopen(reload, timeout=10) as response:
            assert response.status == 200
        yield {"handle": handle, "local": local, "awx": awx, "standin": standin, "reports": reports,
               "standin_dir": standin_dir, "am_config": am_config}
        standin.stop()
    finally:
        for rulebook in started:
            rulebook.stop()
        handle.down()


def receiver_config(url, token_file):
    with open(RECEIVER_EXAMPLE, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    [route] = [r for r in config["route"]["routes"] if r["receiver"] == "karmada-runbooks-eda"]
    route["group_wait"] = "1s"
    [receiver] = [r for r in config["receivers"] if r["name"] == "karmada-runbooks-eda"]
    [webhook] = receiver["webhook_configs"]
    webhook["url"] = url
    webhook["http_config"]["authorization"]["credentials_file"] = token_file
    return config


# -- static: the shipped files -------------------------------------------------------------------------------

def test_receiver_example_passes_amtool_check_config():
    if not os.access(AMTOOL, os.X_OK):
        pytest.skip("amtool (Debian prometheus-alertmanager) is not installed: `make setup` as root")
    result = subprocess.run([AMTOOL, "check-config", RECEIVER_EXAMPLE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_receiver_example_routes_our_alert_with_bearer_token_and_sloth_grouping():
    with open(RECEIVER_EXAMPLE, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    [route] = [r for r in config["route"]["routes"] if r["receiver"] == "karmada-runbooks-eda"]
    assert route["matchers"] == [f'alertname="{ALERT}"']
    assert {"sloth_id", "sloth_slo", "sloth_severity"} <= set(route["group_by"])
    [receiver] = [r for r in config["receivers"] if r["name"] == "karmada-runbooks-eda"]
    [webhook] = receiver["webhook_configs"]
    assert webhook["send_resolved"] is True
    assert webhook["http_config"]["authorization"] == {
        "type": "Bearer", "credentials_file": "/etc/alertmanager/karmada-eda-token"}
    [inhibit] = config["inhibit_rules"]
    assert f'alertname="{ALERT}"' in inhibit["source_matchers"] and 'sloth_severity="page"' in inhibit["source_matchers"]
    assert 'sloth_severity="ticket"' in inhibit["target_matchers"] and inhibit["equal"] == ["sloth_id", "sloth_slo"]


@pytest.mark.parametrize("path", [LOCAL_RULEBOOK, AWX_RULEBOOK])
def test_rulebooks_take_the_token_from_a_variable_and_never_apply(path):
    with open(path, encoding="utf-8") as handle:
        [ruleset] = yaml.safe_load(handle)
    [source] = ruleset["sources"]
    assert source["eda.builtin.webhook"]["token"] == "{{ KARMADA_EDA_WEBHOOK_TOKEN }}"
    assert source["filters"] == [{"eda.builtin.event_splitter": {"splitter_key": "payload.alerts"}}]
    launches = [a for rule in ruleset["rules"] for a in rule["actions"]]
    mitigations = [a for a in launches
                   if (a.get("run_playbook") or {}).get("name") == "karmada.runbooks.mitigate"
                   or "mitigate" in (a.get("run_job_template") or {}).get("name", "")]
    assert mitigations, "a page chains into a mitigation plan"
    for action in mitigations:
        args = action.get("run_playbook") or action["run_job_template"]["job_args"]
        assert args["extra_vars"]["karmada_mitigate_mode"] == "plan"
        # What the mitigate play reads as "not approved"; for AWX also one of the survey's choices.
        assert args["extra_vars"]["karmada_mitigate_approve"] in (False, "false")
        if "run_job_template" in action:
            assert args["extra_vars"]["karmada_mitigate_approve"] in _mitigate_survey_choices()
        assert "karmada_diagnosis_report" not in args["extra_vars"]     # never a previous run's report
    for rule in ruleset["rules"]:
        assert rule["throttle"]["group_by_attributes"] == [
            "event.labels.sloth_id", "event.labels.sloth_slo", "event.labels.sloth_severity"]
        # The event reaches the playbooks only as ansible_eda.event: no action argument templates it.
        assert "event." not in json.dumps(rule["actions"])


def _awx_configure_play():
    loader = type("UnsafeAsText", (yaml.SafeLoader,), {})
    loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    with open(os.path.join(REPO_ROOT, "playbooks", "awx_configure.yml"), encoding="utf-8") as handle:
        [play] = yaml.load(handle, Loader=loader)  # noqa: S506 - a SafeLoader with one more scalar tag
    return play


def _mitigate_survey_choices():
    [question] = [q for q in _awx_configure_play()["vars"]["karmada_awx_mitigate_survey"]["spec"]
                  if q["variable"] == "karmada_mitigate_approve"]
    return question["choices"]


def test_awx_rulebook_launches_the_templates_awx_configure_creates():
    """The rulebook's default template names and organization are the ones playbooks/awx_configure.yml creates."""
    play = _awx_configure_play()
    names = {key: value.replace("{{ karmada_awx_prefix }}", play["vars"]["karmada_awx_prefix"])
             for key, value in play["vars"]["karmada_awx_names"].items()}
    with open(AWX_RULEBOOK, encoding="utf-8") as handle:
        [ruleset] = yaml.safe_load(handle)
    launched = {a["run_job_template"]["name"] for rule in ruleset["rules"] for a in rule["actions"]}
    assert launched == {f"{{{{ karmada_eda_diagnose_template | default('{names['diagnose']}') }}}}",
                        f"{{{{ karmada_eda_mitigate_template | default('{names['mitigate']}') }}}}"}
    organizations = {a["run_job_template"]["organization"] for rule in ruleset["rules"] for a in rule["actions"]}
    assert organizations == {f"{{{{ karmada_eda_organization | default('{play['vars']['karmada_awx_organization']}') }}}}"}
    assert (DIAGNOSE_TEMPLATE, MITIGATE_TEMPLATE) == (names["diagnose"], names["mitigate"])


# -- live ------------------------------------------------------------------------------------------------------

@needs_chain
@pytest.mark.emulator
def test_webhook_without_the_token_is_rejected(chain):
    local = chain["local"]
    assert local.post(notification(alert(sloth_id="karmada-eda-test-no-token")), token=None) == 401
    assert local.post(notification(alert(sloth_id="karmada-eda-test-bad-token")), token="wrong") == 401
    assert not local.events_posted("karmada-eda-test-no-token")
    assert not local.events_posted("karmada-eda-test-bad-token")


@needs_chain
@pytest.mark.emulator
def test_alertmanager_page_runs_diagnose_then_a_plan(chain, capsys):
    local, reports = chain["local"], chain["reports"]
    diagnosis = os.path.join(reports, "page", "report.json")
    plan = os.path.join(reports, "page-plan", "report.json")
    assert wait_for_mitigation(plan, timeout=150, process=local.process), (
        f"no mitigation plan in {reports}; rulebook log:\n{local.log()[-5000:]}")
    report = load_json(diagnosis)
    assert report["alert"]["alertname"] == ALERT and report["alert"]["labels"]["sloth_severity"] == "page"
    assert report["window"]["source"] == "alert"
    assert "execution_namespace_missing" in cause_ids(report)
    planned = load_json(plan)
    assert planned["mitigation"]["mode"] == "plan" and planned["mitigation"]["approved"] is False
    assert planned["mitigation"]["lock"] is None      # applying takes the Lease; a plan never does
    # Alertmanager's own POST (its token from credentials_file accepted) carried the alert; when it arrived.
    assert re.search(r'"POST /alerts HTTP/1.1" 200 .*"Alertmanager/', local.log())
    received = local.events_posted("'sloth_severity': 'page'")
    assert received, local.log()[-4000:]
    match = re.search(r"'received_at': '([^']+)'", received[0])
    posted_at = datetime.datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).timestamp()
    seconds = os.stat(diagnosis).st_mtime - posted_at
    with capsys.disabled():     # into the CI log, not only on failure
        print(f"\nEDA: Alertmanager POST -> report.json on disk: {seconds:.1f} s (diagnosis; the play itself "
              f"{report['duration_seconds']:.1f} s), {os.stat(plan).st_mtime - posted_at:.1f} s (plan)")
    assert ("run_playbook", "Page - diagnose, then plan the mitigation") in local.actions_started()


@needs_chain
@pytest.mark.emulator
def test_resolved_other_alerts_and_repeats_start_nothing(chain):
    local, reports = chain["local"], chain["reports"]
    assert wait_for_mitigation(os.path.join(reports, "page-plan", "report.json"), timeout=150, process=local.process)
    wait_until_idle(local)
    before_actions, before_files = len(local.actions_started()), snapshot(reports)
    cases = {
        # Fresh sloth_ids, so only the condition (not the throttle) can hold these back.
        "resolved": alert(status="resolved", sloth_id="karmada-eda-test-resolved"),
        # Another alert of Karmada's SLOs (tests/emulator/data/karmada-slo-config.yaml).
        "other-alertname": alert(name="KarmadaApiserverAvailabilityBurnRateHigh", sloth_id="karmada-eda-test-other"),
        # The same SLO and severity as the page that just ran: the throttle holds it back.
        "repeat": alert(),
    }
    cases["repeat"]["annotations"]["eda_test"] = "eda-test-repeat"
    for payload in cases.values():
        assert local.post(notification(payload)) == 200
    markers = ["karmada-eda-test-resolved", "karmada-eda-test-other", "eda-test-repeat"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(local.events_posted(m) for m in markers):
        time.sleep(0.2)
    assert all(local.events_posted(m) for m in markers), "the rulebook never saw the events"
    # An action starts as soon as its rule matches (nothing else is running); give it a moment to show.
    time.sleep(2)
    assert local.actions_started()[before_actions:] == []
    assert snapshot(reports) == before_files


def wait_until_idle(rulebook, quiet=2.0, timeout=90):
    """Until no new action started and no playbook ran for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = (len(rulebook.actions_started()), rulebook.log().count("PLAY RECAP"))
        if state != last:
            last, since = state, time.monotonic()
        elif time.monotonic() - since >= quiet and state[1] >= state[0]:
            return
        time.sleep(0.3)
    raise AssertionError(f"the rulebook did not become idle:\n{rulebook.log()[-3000:]}")


# Last, so that its job does not share the CPU with the page's diagnosis measured above.
@needs_chain
@pytest.mark.emulator
def test_awx_rulebook_launches_the_diagnose_template_with_the_alert(chain):
    awx, standin = chain["awx"], chain["standin"]
    ticket = alert(severity="ticket")
    assert awx.post(notification(ticket)) == 200
    [job] = standin.wait_for_jobs(1, timeout=120)
    [launch] = standin.launches
    assert launch["template"] == DIAGNOSE_TEMPLATE
    event = launch["body"]["extra_vars"]["ansible_eda"]["event"]
    assert event["labels"] == ticket["labels"] and event["startsAt"] == ticket["startsAt"]
    assert job["status"] == "successful", open(os.path.join(chain["standin_dir"], "jobs", "1", "artifacts", "1",
                                                            "stdout"), encoding="utf-8").read()[-3000:]
    assert job["artifacts"]["karmada_diagnosis"]["top_cause"] == "execution_namespace_missing"
    report = load_json(os.path.join(chain["standin_dir"], "report", "report.json"))
    assert report["alert"]["labels"] == ticket["labels"]
    assert report["window"]["source"] == "alert"
    assert "execution_namespace_missing" in cause_ids(report)
    # What ansible-rulebook asked the controller for: its version, the template by name, the launch, the poll.
    paths = [r["path"] for r in standin.requests]
    assert paths[0] == "/api/v2/config/"
    assert "/api/v2/unified_job_templates/" in paths and "/api/v2/job_templates/1/launch/" in paths
    assert "/api/v2/jobs/" in paths
    # ansible-rulebook sees the end of the job at its next poll.
    done = "Job template 'Karmada diagnose binding-to-Work sync' completed successfully (job_id: 1)"
    deadline = time.monotonic() + 30
    while done not in awx.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done in awx.log()
