"""Text read from a cluster is untrusted: anyone who can write an Event, an object's status or make the
controller-manager log an error chooses it. The modules run inside the controller (action plugins), so a
template that slipped through would run there: Jinja planted in cluster objects must reach report.json as
the same literal text, and never run (no file created by a lookup, no ``42`` computed from ``{{ 6 * 7 }}``)."""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess

import pytest
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

pytestmark = pytest.mark.emulator

_NOW = datetime.datetime.now(datetime.UTC)
NOW = _NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
KLOG_NOW = _NOW.strftime("E%m%d %H:%M:%S.%f")   # klog's header (k8s.io/klog/v2 v2.130.1, klog.go formatHeader)


def _payload(marker):
    return f"{{{{ lookup('ansible.builtin.pipe', 'touch {marker}') }}}} and {{{{ 6 * 7 }}}}"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """One emulator (healthy) with Jinja in an Event, a controller-manager log line and a binding's condition."""
    tmp = tmp_path_factory.mktemp("untrusted")
    handle = EmulatorHandle(tmp / "emulator").up()
    marker = tmp / "MARKER"
    text = _payload(marker)
    try:
        # An Event with a reason sync_events lists (pkg/events/events.go v1.18.2: EventReasonSyncWorkFailed),
        # about a binding, as binding-controller records it; its message is the attacker's.
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": "nginx-deployment.planted", "namespace": "default"},
                 "involvedObject": {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
                                    "namespace": "default", "name": "nginx-deployment"},
                 "reason": "SyncWorkFailed", "message": text, "type": "Warning", "count": 1,
                 "source": {"component": "binding-controller"}, "firstTimestamp": NOW, "lastTimestamp": NOW}
        created = handle.raw("POST", "/api/v1/namespaces/default/events", body=event)
        assert created.status == 201, created.body
        # A second one whose message holds a lone surrogate (a JSON escape no UTF-8 text can carry).
        bad = dict(event, metadata={"name": "web-deployment.planted", "namespace": "default"},
                   involvedObject=dict(event["involvedObject"], name="web-deployment"))
        body = json.dumps(dict(bad, message="MARK-SURROGATE")).replace("MARK-SURROGATE", "lone \\ud800 surrogate")
        created = handle.raw("POST", "/api/v1/namespaces/default/events", body=body.encode(),
                             headers={"Content-Type": "application/json"})
        assert created.status == 201, created.body
        # A binding's FullyApplied condition whose message is the attacker's (binding_status shows it).
        path = "/apis/work.karmada.io/v1alpha2/namespaces/default/resourcebindings/nginx-deployment"
        binding = handle.raw("GET", path).json()
        for condition in binding["status"]["conditions"]:
            if condition["type"] == "FullyApplied":
                condition.update(status="False", reason="FullyAppliedFailed", message=text)
        updated = handle.raw("PUT", path + "/status", body=binding)
        assert updated.status == 200, updated.body
        # A controller-manager error line whose error text is the attacker's (a webhook's answer, say),
        # plus one line of invalid UTF-8 and a lone surrogate's bytes.
        handle.control("POST", "logs", {
            "klog": [{"severity": "E", "source": "controller.go:324", "message": "Reconciler error", "err": text},
                     # a megabyte-long error with terminal escapes (clear screen, set title) in it
                     {"severity": "E", "source": "controller.go:324", "message": "Reconciler error",
                      "err": "\x1b[2J\x1b]0;pwned\x07" + "x" * 1_000_000}],
            "raw_base64": [base64.b64encode(KLOG_NOW.encode() + b"       1 x.go:1] failed: bad \xff\xfe bytes "
                                            b"\xed\xa0\x80 here").decode()]})
        yield handle, marker, text, tmp
    finally:
        handle.down()


def _diagnose(handle, report_dir, playbook="playbooks/diagnose.yml"):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), playbook,
                           "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_jinja_in_cluster_objects_stays_text_in_diagnose(planted):
    handle, marker, text, tmp = planted
    run = _diagnose(handle, tmp / "diagnose")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert not marker.exists(), "a lookup planted in a cluster object ran on the controller"
    assert "Traceback" not in run.stdout + run.stderr
    report = json.loads((tmp / "diagnose" / "report.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for c in report["checks"]}
    events = json.dumps(checks["sync_failure_events"])
    logs = json.dumps(checks["controller_logs"])
    bindings = json.dumps(checks["binding_status"])
    # Each planted text arrived literally (JSON-escaped the same way in both).
    literal = json.dumps(text)[1:-1]
    assert literal in events, events[:2000]
    assert literal in logs, logs[:2000]
    assert literal in bindings, bindings[:2000]
    assert not any("42" in s and "6 * 7" not in s and "lookup" in s for s in _strings(report))
    # The megabyte line did not become a megabyte of report (samples are cut).
    assert (tmp / "diagnose" / "report.json").stat().st_size < 200_000
    # The invalid bytes were read as text with replacement characters, not the end of the run.
    assert "bad \ufffd\ufffd bytes" in "\n".join(_strings(checks["controller_logs"])), logs
    assert "lone \ufffd surrogate" in "\n".join(_strings(checks["sync_failure_events"])), events


def test_jinja_in_cluster_objects_stays_text_in_audit(planted):
    handle, marker, _text, tmp = planted
    run = _diagnose(handle, tmp / "audit", playbook="playbooks/audit.yml")
    # The audit fails on drift by design (its last task), after writing its report.
    assert run.returncode == 0 or "Fail the audit on drift" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]
    assert not marker.exists(), "a lookup planted in a cluster object ran on the controller during audit"
    assert "Traceback" not in run.stdout + run.stderr
    assert (tmp / "audit" / "report.json").exists()
