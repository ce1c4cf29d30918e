"""Inputs, report files and output hygiene of the playbooks, on one emulator (issue 12, items 3, 4, 7, 9, 10).

Bad input must fail before anything is contacted: each case runs diagnose.yml and reads the emulator's
request log, which must stay empty.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess

import pytest
from conftest import REPO_ROOT, VENV_BIN

pytestmark = pytest.mark.emulator


def playbook(name, handle, *extra, report_dir=None, env=None):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), f"playbooks/{name}",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}"]
    if report_dir is not None:
        args += ["-e", f"karmada_report_dir={report_dir}"]
    environment = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                       **(env or {}))
    return subprocess.run(args + list(extra), cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
                          timeout=300, check=False)


def bad_kubeconfig(tmp_path, handle):
    """The emulator's kubeconfig with its CA as a file that is not there."""
    with open(handle.kubeconfig, encoding="utf-8") as stream:
        text = stream.read()
    path = tmp_path / "missing-ca.kubeconfig"
    lines = [line.split("certificate-authority-data:")[0] + "certificate-authority: no-such-ca.crt"
             if "certificate-authority-data:" in line else line for line in text.splitlines()]
    path.write_text("\n".join(lines) + "\n")
    return path


# (id, extra vars, the variable the message must name, a part of the message)
BAD_INPUTS = [
    ("unknown-context", {"karmada_context": "karmada"}, "karmada_context", "it has karmada-apiserver, karmada-host"),
    ("unknown-host-context", {"karmada_host_context": "host"}, "karmada_host_context", "no context 'host'"),
    ("missing-kubeconfig", {"karmada_kubeconfig": "/nonexistent/karmada.config"}, "karmada_kubeconfig", "no file at"),
    ("kubeconfig-ca-missing", {"karmada_kubeconfig": "@missing-ca"}, "karmada_kubeconfig",
     "certificate-authority file"),
    ("negative-request-timeout", {"karmada_request_timeout": "-5"}, "karmada_request_timeout", "positive number"),
    ("zero-prometheus-timeout", {"karmada_prometheus_timeout": "0"}, "karmada_prometheus_timeout", "positive number"),
    ("prometheus-ca-missing", {"karmada_prometheus_url": "https://127.0.0.1:9",
                               "karmada_prometheus_ca_cert": "/nonexistent/ca.pem"},
     "karmada_prometheus_ca_cert", "no file at /nonexistent/ca.pem"),
    ("window-too-long", {"karmada_window": "99999d"}, "karmada_window", "at most 30d"),
    ("window-not-a-duration", {"karmada_window": "an hour"}, "karmada_window", "duration such as"),
    ("report-dir-is-a-file", {"karmada_report_dir": "@file"}, "karmada_report_dir", "is a file, not a directory"),
    ("report-dir-below-a-file", {"karmada_report_dir": "@file/out"}, "karmada_report_dir", "cannot create"),
    ("alert-not-a-mapping", {"karmada_alert": "firing"}, "karmada_alert", "must be a mapping"),
    ("prometheus-url-scheme", {"karmada_prometheus_url": "prometheus:9090"}, "karmada_prometheus_url", "http://"),
    # With a Prometheus token the credentials are handled under no_log: the input error must still show.
    ("unknown-context-with-a-token", {"karmada_prometheus_token": "s3cr3t-token", "karmada_context": "karmada"},
     "karmada_context", "no context 'karmada'"),
]


@pytest.mark.parametrize("variables, variable, expected", [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_fails_before_anything_is_contacted(emulator, tmp_path, variables, variable, expected):
    (tmp_path / "file").write_text("not a directory")
    extra = []
    for name, value in variables.items():
        value = value.replace("@missing-ca", str(bad_kubeconfig(tmp_path, emulator))).replace("@file", str(tmp_path / "file"))
        extra += ["-e", f"{name}={value}"]
    mark = emulator.mark()
    run = playbook("diagnose.yml", emulator, *extra, report_dir=tmp_path / "report")
    assert run.returncode != 0, run.stdout[-3000:]
    failure = [line for line in run.stdout.splitlines() if line.startswith("fatal:")]
    assert failure and variable in failure[0] and expected in failure[0], run.stdout[-3000:]
    assert "Traceback" not in run.stdout + run.stderr and "_AnsibleTagged" not in run.stdout
    assert "s3cr3t-token" not in run.stdout + run.stderr
    assert emulator.requests_since(mark) == []
    # The diagnosis never started, so no report either.
    assert not (tmp_path / "report" / "report.json").exists()


@pytest.mark.parametrize("name, extra", [
    ("mitigate.yml", ["-e", "karmada_mitigate_mode=plan"]),
    ("audit.yml", []),
])
def test_mitigate_and_audit_refuse_a_report_dir_that_is_a_file(emulator, tmp_path, name, extra):
    (tmp_path / "file").write_text("")
    mark = emulator.mark()
    run = playbook(name, emulator, *extra, report_dir=tmp_path / "file")
    assert run.returncode != 0
    assert "karmada_report_dir: %s is a file" % (tmp_path / "file") in run.stdout
    assert emulator.requests_since(mark) == []


def test_mitigate_refuses_a_wait_that_is_not_positive(emulator, tmp_path):
    mark = emulator.mark()
    run = playbook("mitigate.yml", emulator, "-e", "karmada_mitigate_mode=plan", "-e", "karmada_verify_timeout=-1",
                   report_dir=tmp_path / "report")
    assert run.returncode != 0 and "karmada_verify_timeout must be a whole number of seconds (1 or more)" in run.stdout
    assert emulator.requests_since(mark) == []


def load_report(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as stream:
        return json.load(stream)


def test_a_controller_user_without_its_groups_is_no_proof_of_rbac_denial(emulator, tmp_path):
    # The healthy control plane: Works are created and the logs hold no denial. The service account named
    # without the groups its permissions come from is denied by a SubjectAccessReview; that alone used to
    # make rbac_denied a 90 % cause.
    run = playbook("diagnose.yml", emulator, "-e",
                   "karmada_controller_user=system:serviceaccount:karmada-system:karmada-controller-manager",
                   report_dir=tmp_path / "report")
    assert run.returncode == 0, run.stdout[-3000:]
    report = load_report(tmp_path / "report")
    rbac = next(check for check in report["checks"] if check["id"] == "rbac")
    assert rbac["status"] == "warn" and rbac["details"]["log_denials"]["lines"] == 0
    assert [s["strength"] for s in rbac["signals"]] == [0.2]
    assert "rbac_denied" not in [cause["id"] for cause in report["verdict"]["causes"]]
    assert report["verdict"]["status"] == "healthy"


# Clear the screen, home the cursor, set the terminal title, overwrite the line: then a megabyte.
TERMINAL = "\x1b[2J\x1b[H\x1b]0;pwned-title\x07CLEARED\rOVER\x08X "
MEGABYTE = 1 << 20


def test_a_megabyte_event_with_terminal_escapes_gives_a_bounded_safe_report(emulator, tmp_path):
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = "Failed to sync work: " + TERMINAL + "A" * MEGABYTE
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "nginx-deployment.big", "namespace": "karmada-system"},
             "involvedObject": {"kind": "ResourceBinding", "namespace": "default", "name": "nginx-deployment",
                                "apiVersion": "work.karmada.io/v1alpha2"},
             # karmada v1.18.2 pkg/events/events.go EventReasonSyncWorkFailed, recorded by the binding controller.
             "reason": "SyncWorkFailed", "message": message, "type": "Warning", "count": 1,
             "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "binding-controller"}}
    status, _headers, body = emulator.raw("POST", "/api/v1/namespaces/karmada-system/events", body=event)
    assert status == 201, body
    try:
        run = playbook("diagnose.yml", emulator, "-v", report_dir=tmp_path / "report")
    finally:
        emulator.raw("DELETE", "/api/v1/namespaces/karmada-system/events/nginx-deployment.big")
    assert run.returncode == 0, run.stdout[-3000:]
    sizes = {name: os.path.getsize(tmp_path / "report" / name) for name in ("report.json", "report.md", "report.html")}
    assert all(size < 200_000 for size in sizes.values()), sizes
    # -v printed the whole findings list after every check: 34 MB with this event.
    assert len(run.stdout) < 500_000, len(run.stdout)
    text = (tmp_path / "report" / "report.json").read_text(encoding="utf-8")
    assert f"[truncated, {len(message)} characters]" in text
    for name in ("report.md", "report.html"):
        content = (tmp_path / "report" / name).read_text(encoding="utf-8")
        assert "pwned-title" in content, name  # the event is reported, as text
        assert not any(character in content for character in "\x1b\x07\x08"), name
        assert "CLEARED\rOVER" not in content, name
    assert "\x1b" not in run.stdout
