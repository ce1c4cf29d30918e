"""execution-environment.yml: `make ee-context` builds the collection tarball and an ansible-builder v3 build
context that installs what the collection needs (no container engine is needed for that)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import tarfile

import yaml
from conftest import REPO_ROOT


def test_ee_context_installs_the_collection_and_its_requirements():
    # execution-environment.yml names the tarball's place (.ee/), so the target always builds there.
    shutil.rmtree(os.path.join(REPO_ROOT, ".ee"), ignore_errors=True)
    run = subprocess.run(["make", "--no-print-directory", "ee-context"], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    context = pathlib.Path(REPO_ROOT, ".ee", "context")
    containerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-core>=2.19,<2.20 ansible-runner" in containerfile
    assert "COPY _build/collections /build/collections" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in requirements["collections"]]
    assert names == ["kubernetes.core", "/build/collections/karmada-runbooks.tar.gz"]
    assert "kubernetes>=24.2.0" in (context / "_build" / "requirements.txt").read_text(encoding="utf-8")
    assert (context / "_build" / "bindep.txt").exists()
    with tarfile.open(context / "_build" / "collections" / "karmada-runbooks.tar.gz") as tarball:
        members = set(tarball.getnames())
        manifest = json.load(tarball.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "karmada" and manifest["collection_info"]["name"] == "runbooks"
    assert {"playbooks/diagnose.yml", "playbooks/mitigate.yml", "meta/execution-environment.yml",
            "requirements.txt", "bindep.txt"} <= members
    assert not any(name.startswith(("tests/", ".venv", ".collections", ".ee")) for name in members)
