"""`python -m tests.emulator up/down`: the contract other tooling relies on, and its errors."""

from __future__ import annotations

import json
import os

import yaml
from conftest import EmulatorHandle, process_gone, run_emulator_cli


def test_up_writes_kubeconfig_and_endpoints_then_down_stops(tmp_path):
    handle = EmulatorHandle(tmp_path / "emu").up()
    kubeconfig = yaml.safe_load(open(handle.kubeconfig, encoding="utf-8"))
    assert {c["name"] for c in kubeconfig["contexts"]} == {"karmada-apiserver", "karmada-host"}
    assert kubeconfig["current-context"] == "karmada-apiserver"
    assert oct(os.stat(handle.kubeconfig).st_mode & 0o777) == "0o600"
    endpoints = json.load(open(tmp_path / "emu" / "endpoints.json", encoding="utf-8"))
    assert endpoints["karmada_apiserver"]["url"].startswith("https://127.0.0.1:")
    assert endpoints["host"]["url"] != endpoints["karmada_apiserver"]["url"]
    pid = endpoints["pid"]
    again = run_emulator_cli("up", "--workdir", str(tmp_path / "emu"))
    assert again.returncode == 2 and "already running" in again.stderr
    result = handle.down()
    assert result.returncode == 0 and f"pid {pid}" in result.stdout
    assert process_gone(pid)


def test_down_with_nothing_running_says_so(tmp_path):
    result = run_emulator_cli("down", "--workdir", str(tmp_path))
    assert result.returncode == 0 and "nothing is running" in result.stdout


def test_unknown_scenario_lists_known_ones(tmp_path):
    result = run_emulator_cli("up", "--scenario", "no-such-thing", "--workdir", str(tmp_path / "emu"))
    assert result.returncode == 2
    assert "unknown scenario 'no-such-thing'" in result.stderr and "healthy" in result.stderr
    assert "Traceback" not in result.stderr
    assert not os.path.exists(tmp_path / "emu")          # nothing written on bad input


def test_unwritable_workdir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_emulator_cli("up", "--workdir", str(blocker / "emu"))
    assert result.returncode == 2
    assert "cannot use --workdir" in result.stderr and "Traceback" not in result.stderr


def test_bad_scenario_file_names_the_field(tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("clusters: {names: [Member_1]}\n")
    result = run_emulator_cli("up", "--scenario", str(scenario), "--workdir", str(tmp_path / "emu"))
    assert result.returncode == 2
    assert "clusters.names" in result.stderr and "Member_1" in result.stderr


def test_scenario_file_by_path(tmp_path):
    scenario = tmp_path / "two.yaml"
    scenario.write_text("clusters: {count: 2}\nworkloads: [{namespace: default, deployments: [nginx]}]\n")
    handle = EmulatorHandle(tmp_path / "emu", scenario=str(scenario)).up()
    try:
        body = handle.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters").body
        assert [c["metadata"]["name"] for c in json.loads(body)["items"]] == ["member01", "member02"]
    finally:
        handle.down()
