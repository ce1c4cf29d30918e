"""diagnose.yml and mitigate.yml run as AWX runs them: ansible-runner, a private data directory laid out as AWX
24.6.1 lays it out, and the credentials of playbooks/awx_configure.yml injected the way AWX injects them
(tests/integration/awx_job.py says how, and where it differs).

One emulator (missing-namespaces, with Prometheus) for the module. Prometheus sits behind a small proxy that
answers 401 without the bearer token, so the token the Prometheus credential injects is proven to arrive, and
then proven never to show in the job's output.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
import urllib.error
import urllib.request

import pytest
from awx_job import SAMPLE_INPUTS, AwxJob, job_template
from conftest import REAL_KUBECONFIG, EmulatorHandle

pytestmark = pytest.mark.emulator

PROMETHEUS_TOKEN = "prom-token-7c1e9a0d-never-print-me"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
# The summary's first line and its "Checks:" heading (plugins/module_utils/_report_console.py), each alone on a
# stdout line: a YAML block line, a list item, or a quoted list item.
VERDICT_LINE = re.compile(r"^\s*(?:-\s+)?['\"]?Karmada binding-to-Work sync diagnosis: [A-Z]+['\"]?,?\s*$", re.M)
CHECKS_LINE = re.compile(r"^\s*(?:-\s+)?['\"]?Checks:['\"]?,?\s*$", re.M)
MITIGATION_LINE = re.compile(r"^\s*(?:-\s+)?['\"]?Mitigation: [A-Z]+", re.M)
# As Event-Driven Ansible hands it over; the annotation must reach the report as text, never rendered.
ALERT = {"labels": {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "severity": "critical",
                    "sloth_slo": "binding-sync-work-availability"},
         "annotations": {"summary": "{{ 6 * 7 }} bindings"},
         "status": "firing"}


class _TokenCheckingProxy(http.server.BaseHTTPRequestHandler):
    """Prometheus as an authenticating reverse proxy would serve it: 401 without the right bearer token."""

    def do_GET(self):
        self._forward()

    def do_POST(self):
        self._forward()

    def _forward(self):
        authorization = self.headers.get("Authorization")
        self.server.seen.append(authorization)
        if authorization != f"Bearer {PROMETHEUS_TOKEN}":
            self._reply(401, b"Unauthorized\n", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        request = urllib.request.Request(self.server.upstream + self.path, method=self.command,
                                         data=self.rfile.read(length) if length else None,
                                         headers={"Content-Type": self.headers.get("Content-Type") or "text/plain"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self._reply(response.status, response.read(), response.headers.get("Content-Type"))
        except urllib.error.HTTPError as exc:
            self._reply(exc.code, exc.read(), exc.headers.get("Content-Type"))

    def _reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def karmada(tmp_path_factory):
    if REAL_KUBECONFIG:
        pytest.skip("runs against the emulator (its request log proves the plan wrote nothing)")
    if not os.path.exists("/usr/bin/prometheus"):
        pytest.skip("needs /usr/bin/prometheus (make setup installs it)")
    handle = EmulatorHandle(tmp_path_factory.mktemp("emulator"), "missing-namespaces").up("--prometheus")
    yield handle
    handle.down()


@pytest.fixture(scope="module")
def prometheus_proxy(karmada):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenCheckingProxy)
    server.upstream = karmada.endpoints["prometheus"]["url"].rstrip("/")
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def credentials(karmada, prometheus_proxy):
    """The job's credentials, one of each type awx_configure.yml defines, as a user would fill them in."""
    with open(karmada.kubeconfig, encoding="utf-8") as handle:
        kubeconfig = handle.read()
    url = "http://{}:{}".format(*prometheus_proxy.server_address)
    # The API server context is left empty: the credential type's default has to name karmada-apiserver.
    return [("Karmada API server kubeconfig", {"kubeconfig": kubeconfig}),
            ("Karmada host cluster kubeconfig", {"kubeconfig": kubeconfig, "context": "karmada-host"}),
            ("Karmada Prometheus", {"url": url, "token": PROMETHEUS_TOKEN})]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """karmada_awx_report_dir: the job templates give each job its own directory below it."""
    return tmp_path_factory.mktemp("reports")


def template(playbook, reports):
    return job_template(playbook, dict(SAMPLE_INPUTS, karmada_awx_report_dir=str(reports)))


@pytest.fixture(scope="module")
def diagnose(tmp_path_factory, credentials, reports):
    """The diagnose job template launched by Event-Driven Ansible: the alert comes as a launch variable."""
    job = AwxJob(tmp_path_factory.mktemp("awx-diagnose"), template("playbooks/diagnose.yml", reports),
                 {"karmada_alert": ALERT}, credentials=credentials, job_id=101)
    job.result = job.run()
    return job


@pytest.fixture(scope="module")
def mitigate(tmp_path_factory, karmada, credentials, reports, diagnose):
    """The mitigate job template launched with its survey's defaults, planning from the diagnose job's report."""
    launch = {"karmada_diagnosis_report": diagnose.artifact_data()["karmada_diagnosis"]["paths"]["json"]}
    job = AwxJob(tmp_path_factory.mktemp("awx-mitigate"), template("playbooks/mitigate.yml", reports), launch,
                 credentials=credentials, job_id=102)
    mark = karmada.mark()
    job.result = job.run()
    job.requests = karmada.requests_since(mark)
    return job


@pytest.fixture(scope="module")
def audit(tmp_path_factory, credentials, reports, mitigate):
    """The scheduled audit job template (after the other jobs: it reads the same emulator)."""
    job = AwxJob(tmp_path_factory.mktemp("awx-audit"), template("playbooks/audit.yml", reports), {},
                 credentials=credentials, job_id=103)
    job.result = job.run()
    return job


@pytest.fixture(scope="module")
def audit_again(tmp_path_factory, credentials, reports, audit):
    """The schedule's next run of the audit template."""
    job = AwxJob(tmp_path_factory.mktemp("awx-audit-again"), template("playbooks/audit.yml", reports), {},
                 credentials=credentials, job_id=104)
    job.result = job.run()
    return job


def succeeded(job):
    assert job.result.returncode == 0, job.result.stdout[-4000:] + job.result.stderr[-2000:]
    assert job.artifact("rc").strip() == "0"
    assert job.artifact("status").strip() == "successful"


def load_report(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_diagnose_job_hands_its_verdict_to_the_workflow(diagnose, reports):
    succeeded(diagnose)
    verdict = diagnose.artifact_data()["karmada_diagnosis"]
    assert verdict["status"] == "degraded"
    assert verdict["top_cause"] == "execution_namespace_missing"
    # The template's report directory, with the job id the job itself filled in.
    assert verdict["paths"]["json"] == str(reports / "job-101" / "report.json")
    report = load_report(verdict["paths"]["json"])
    assert report["verdict"]["causes"][0]["id"] == "execution_namespace_missing"
    assert report["alert"]["alertname"] == "KarmadaBindingSyncWorkAvailabilityBurnRateHigh"
    assert report["alert"]["annotations"]["summary"] == "{{ 6 * 7 }} bindings"


def test_injected_credentials_reach_every_check(diagnose, prometheus_proxy):
    """The kubeconfig files, their contexts (one from the credential type's default) and the token all arrive."""
    succeeded(diagnose)
    report = load_report(diagnose.artifact_data()["karmada_diagnosis"]["paths"]["json"])
    unknown = {check["id"]: check["summary"] for check in report["checks"] if check["status"] == "unknown"}
    for check_id in ("execution_namespaces", "controller_logs", "slo_burn_rate", "binding_sync_error_rate"):
        assert check_id not in unknown, unknown
    assert report["targets"]["karmada_context"] == "karmada-apiserver"
    assert report["targets"]["host_context"] == "karmada-host"
    assert prometheus_proxy.seen and set(prometheus_proxy.seen) == {f"Bearer {PROMETHEUS_TOKEN}"}


def test_no_secret_in_the_job_output(diagnose, mitigate, karmada):
    secrets = [PROMETHEUS_TOKEN] + sorted({token for server in karmada.endpoints["tokens"].values()
                                          for token in server.values()})
    for job in (diagnose, mitigate):
        events = "\n".join(json.dumps(event) for event in job.events())
        for secret in secrets:
            assert secret not in job.artifact("stdout")
            assert secret not in events
            assert secret not in job.result.stdout


def test_summary_reads_line_by_line_in_the_job_log(diagnose):
    """The summary is several lines in AWX's job log (the events' stdout) and in the stdout file, not one
    escaped string."""
    succeeded(diagnose)
    for log in (diagnose.job_log(), diagnose.artifact("stdout")):
        assert VERDICT_LINE.search(log), log[-3000:]
        assert CHECKS_LINE.search(log), log[-3000:]
        assert not re.search(r"sync diagnosis: [A-Z]+\\n", log)


def test_unapproved_mitigate_job_plans_and_changes_nothing(mitigate, reports):
    succeeded(mitigate)
    handed_on = mitigate.artifact_data()["karmada_mitigation"]
    assert handed_on["mode"] == "plan"
    assert handed_on["changed"] == []
    assert handed_on["actions"].get("restore_execution_namespaces") == "planned", handed_on
    assert set(handed_on["actions"].values()) <= {"planned", "skipped"}, handed_on
    assert handed_on["paths"]["json"] == str(reports / "job-102" / "report.json")
    report = load_report(handed_on["paths"]["json"])
    assert report["mitigation"]["approved"] is False
    writes = [r for r in mitigate.requests if r["verb"] in WRITE_VERBS
              and r["resource"] not in ("subjectaccessreviews", "selfsubjectaccessreviews")]
    assert writes == []
    for log in (mitigate.job_log(), mitigate.artifact("stdout")):
        assert MITIGATION_LINE.search(log), log[-3000:]
        assert CHECKS_LINE.search(log), log[-3000:]


def test_audit_job_fails_on_drift_and_still_hands_on_its_report(audit, reports):
    """A schedule's job fails (so AWX notifies), yet the artifacts and the report say what drifted."""
    assert audit.result.returncode != 0
    assert audit.artifact("status").strip() == "failed"
    handed_on = audit.artifact_data()["karmada_audit"]
    assert handed_on["failed"] is True and handed_on["status"] == "drift"
    # Every audit job of the template writes to the same directory: the next one compares with this one.
    assert handed_on["paths"]["json"] == str(reports / "audit" / "report.json")
    report = load_report(handed_on["paths"]["json"])
    assert report["kind"] == "audit"
    assert any(item["id"].startswith("execution_namespace_missing:") for item in report["audit"]["drift"]), \
        report["audit"]["drift"]
    for log in (audit.job_log(), audit.artifact("stdout")):
        assert re.search(r'^\s*"Karmada drift audit: DRIFT', log, re.M), log[-3000:]
        assert CHECKS_LINE.search(log), log[-3000:]


def test_the_next_scheduled_audit_compares_with_the_last_one(audit, audit_again):
    first = audit.artifact_data()["karmada_audit"]
    again = audit_again.artifact_data()["karmada_audit"]
    assert audit_again.result.returncode != 0 and again["drift"] == first["drift"]
    assert again["new"] == [] and again["resolved"] == []
    assert again["comparison"].startswith(f"0 new, 0 resolved, {len(first['drift'])} unchanged since the audit of ")
