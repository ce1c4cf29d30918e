"""The collection as a user installs it: `ansible-galaxy collection install` of the built tarball, run from a
directory without this repository's ansible.cfg, so the default stdout callback prints results as JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle, kubeconfig_of


def _clean_env(home):
    """The environment of a user's shell: none of the test run's ANSIBLE_* settings, no repository config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "K8S_AUTH_"))}
    env.update(HOME=str(home), ANSIBLE_HOME=str(home / ".ansible"), ANSIBLE_NOCOLOR="1")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """karmada.runbooks installed from its tarball next to kubernetes.core, in a tree of its own."""
    if not os.path.exists(os.path.join(VENV_BIN, "ansible-galaxy")):
        pytest.skip("run `make setup` first: .venv/bin/ansible-galaxy is missing")
    root = tmp_path_factory.mktemp("installed")
    env = _clean_env(root)
    build = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--output-path",
                            str(root / "dist"), REPO_ROOT], cwd=root, env=env, capture_output=True, text=True,
                           timeout=120, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    [tarball] = (root / "dist").iterdir()
    collections = root / "collections"
    # --no-deps: Galaxy is unreachable here; kubernetes.core is linked in from the ansible bundle instead.
    install = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p",
                              str(collections), str(tarball)], cwd=root, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    os.symlink(os.path.join(REPO_ROOT, ".collections", "ansible_collections", "kubernetes"),
               collections / "ansible_collections" / "kubernetes")
    assert not (collections / "ansible_collections" / "karmada" / "runbooks").is_symlink()
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return root, env


def _task_output(stdout, task):
    """The lines a task printed under the default callback, up to the next TASK/PLAY banner."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TASK [") and task in line)
    block = []
    for line in lines[start + 1:]:
        if line.startswith(("TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER [")):
            break
        block.append(line)
    return block


@pytest.mark.emulator
def test_installed_diagnose_prints_its_summary_line_by_line(installed, tmp_path):
    root, env = installed
    handle = EmulatorHandle(tmp_path / "emulator", scenario="missing-namespaces").up()
    try:
        run = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "karmada.runbooks.diagnose",
                              "-e", f"karmada_kubeconfig={kubeconfig_of(handle)}",
                              "-e", f"karmada_report_dir={tmp_path / 'out'}"],
                             cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        handle.down()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # Run from the installed copy (the role's FQCN prefix), under the default callback (JSON results).
    block = _task_output(run.stdout, "karmada.runbooks.report : Show the diagnosis")
    assert block[0] == "ok: [localhost] => {" and block[1].strip() == '"msg": ['
    lines = [json.loads(line.strip().rstrip(",")) for line in block[2:] if line.startswith("        \"")]
    # One summary line per printed line: no escaped newline anywhere, the verdict, the checks and a failing one.
    assert len(lines) > 5 and not any("\n" in line for line in lines)
    assert not any("\\n" in line for line in block)
    assert re.search(r"\bDEGRADED\b", lines[0])
    assert "Checks:" in [line.strip() for line in lines]
    assert any(line.lstrip().startswith("FAIL") and "execution_namespaces" in line for line in lines)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"]["causes"][0]["id"] == "execution_namespace_missing"
