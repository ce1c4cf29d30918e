"""Fixtures for integration tests: a running emulator (or a real Karmada), kubectl and ansible-playbook.

Set KARMADA_TEST_KUBECONFIG (and optionally KARMADA_TEST_CONTEXT / KARMADA_TEST_HOST_CONTEXT) to run
the read-only tests against a real Karmada; tests marked ``emulator`` need the emulator's control
API (faults, request log) and are skipped then.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import typing
import urllib.error
import urllib.request

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")
# `make setup` links this checkout into .collections, so tests can import the collection's module_utils
# (e.g. to check that the emulator and the collection compute Karmada's names alike).
# Imported through ansible-core's collection finder, installed before any ansible_collections import: a test
# that loads plugins in-process (awx_job.configure_play) installs it anyway, and a package imported earlier
# as a plain one would then lack the finder's metadata ("collection metadata was not loaded").
COLLECTIONS = os.path.join(REPO_ROOT, ".collections")
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([COLLECTIONS])
REAL_KUBECONFIG = os.environ.get("KARMADA_TEST_KUBECONFIG")


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator: needs the emulator's control API (skipped on a real Karmada)")


def pytest_collection_modifyitems(config, items):
    if not REAL_KUBECONFIG:
        return
    skip = pytest.mark.skip(reason="KARMADA_TEST_KUBECONFIG is set: this test needs the emulator")
    for item in items:
        if "emulator" in item.keywords:
            item.add_marker(skip)


class RawResponse(typing.NamedTuple):
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class EmulatorHandle:
    """A running emulator started with the same command users run, and its control API."""

    def __init__(self, workdir, scenario="healthy"):
        self.workdir = str(workdir)
        self.scenario = scenario
        self.endpoints = None

    def up(self, *extra):
        result = run_emulator_cli("up", "--scenario", self.scenario, "--workdir", self.workdir, *extra)
        assert result.returncode == 0, result.stderr + result.stdout
        with open(os.path.join(self.workdir, "endpoints.json"), encoding="utf-8") as handle:
            self.endpoints = json.load(handle)
        return self

    def down(self):
        return run_emulator_cli("down", "--workdir", self.workdir)

    @property
    def kubeconfig(self):
        return self.endpoints["kubeconfig"]

    def url(self, server="karmada_apiserver"):
        return self.endpoints[server]["url"]

    def control(self, method, what, body=None, server="karmada_apiserver"):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url(server)}/_emulator/{what}", data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.endpoints['control_token']}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.ssl_context(), timeout=30) as response:
            return json.loads(response.read())

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.endpoints["ca_file"])

    def raw(self, method, path, server="karmada_apiserver", token=None, body=None, headers=None):
        """One raw API request: a RawResponse (status, headers, body bytes; .json())."""
        token = token if token is not None else self.endpoints[server]["token"]
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        all_headers.update(headers or {})
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        request = urllib.request.Request(self.url(server) + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, context=self.ssl_context(), timeout=30) as response:
                return RawResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return RawResponse(exc.code, dict(exc.headers), exc.read())

    def requests(self, since=0):
        return self.control("GET", f"requests?since={since}")

    def mark(self):
        """A position in the request log; pass it to requests_since()."""
        return self.requests()["next"]

    def requests_since(self, mark):
        return self.requests(mark)["items"]

    def add_faults(self, *faults):
        return self.control("POST", "faults", list(faults))

    def clear_faults(self):
        return self.control("DELETE", "faults")


def process_gone(pid):
    """Exited (a zombie waiting for an absent reaper counts as exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            state = next(line for line in handle if line.startswith("State:"))
    except (OSError, StopIteration):
        return True
    return "Z" in state.split()[1]


def run_emulator_cli(*args, timeout=120):
    return subprocess.run([python(), "-m", "tests.emulator", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def python():
    candidate = os.path.join(VENV_BIN, "python")
    return candidate if os.path.exists(candidate) else sys.executable


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """One emulator per test module, healthy scenario (or the real cluster when configured)."""
    if REAL_KUBECONFIG:
        yield None
        return
    handle = EmulatorHandle(tmp_path_factory.mktemp("emulator")).up()
    yield handle
    handle.down()


@pytest.fixture
def fresh_emulator(tmp_path):
    """A private emulator for a test that changes state."""
    handle = EmulatorHandle(tmp_path / "emulator").up()
    yield handle
    handle.down()


@pytest.fixture(autouse=True)
def _no_leftover_faults(request):
    """Faults a test injects into the shared emulator never leak into the next test."""
    yield
    if "emulator" in request.fixturenames:
        handle = request.getfixturevalue("emulator")
        if handle is not None:
            handle.clear_faults()


def kubeconfig_of(handle):
    return REAL_KUBECONFIG or handle.kubeconfig


class Kubectl:
    def __init__(self, kubeconfig, cache_dir):
        self.binary = shutil.which("kubectl")
        self.env = dict(os.environ, KUBECONFIG=kubeconfig, KUBECACHEDIR=str(cache_dir))

    def __call__(self, *args, context="karmada-apiserver", check=True, timeout=60):
        context = {"karmada-apiserver": os.environ.get("KARMADA_TEST_CONTEXT", "karmada-apiserver"),
                   "karmada-host": os.environ.get("KARMADA_TEST_HOST_CONTEXT", "karmada-host")}.get(context, context)
        result = subprocess.run([self.binary, "--context", context, *args], env=self.env, capture_output=True,
                                text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def json(self, *args, **kwargs):
        return json.loads(self(*args, "-o", "json", **kwargs).stdout)


@pytest.fixture
def kubectl_for(tmp_path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed on this machine (it ships with the image as /usr/bin/kubectl)")

    def make(handle):
        return Kubectl(kubeconfig_of(handle), tmp_path / "kube-cache")
    return make


@pytest.fixture
def kubectl(kubectl_for, emulator):
    return kubectl_for(emulator)


class AnsiblePlaybook:
    def __init__(self, workdir, kubeconfig):
        self.workdir = workdir
        self.kubeconfig = kubeconfig
        self.binary = os.path.join(VENV_BIN, "ansible-playbook")

    def run(self, playbook_text, *args, check=True):
        path = os.path.join(self.workdir, "playbook.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(playbook_text)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
                   K8S_AUTH_KUBECONFIG=self.kubeconfig, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, "tmp"),
                   ANSIBLE_HOME=os.path.join(self.workdir, "ansible-home"))
        result = subprocess.run([self.binary, path, *args], env=env,
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"ansible-playbook failed ({result.returncode}):\n{result.stdout[-6000:]}\n"
                                 f"{result.stderr[-3000:]}")
        return result

    def results(self, playbook_text, *args, **kwargs):
        """{task name: result} from the json callback."""
        output = json.loads(self.run(playbook_text, *args, **kwargs).stdout)
        results = {}
        for play in output["plays"]:
            for task in play["tasks"]:
                for host_result in task["hosts"].values():
                    results[task["task"]["name"]] = host_result
        return results


@pytest.fixture
def ansible_playbook(tmp_path, emulator):
    if not os.path.exists(os.path.join(VENV_BIN, "ansible-playbook")):
        pytest.skip("run `make setup` first: .venv/bin/ansible-playbook is missing")
    return AnsiblePlaybook(str(tmp_path), kubeconfig_of(emulator))
