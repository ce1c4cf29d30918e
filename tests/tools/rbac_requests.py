"""The Kubernetes API accesses diagnose, audit and mitigate make: what deploy/rbac must grant.

Usage: .venv/bin/python tests/tools/rbac_requests.py [scenario ...]   (default: missing-namespaces rbac-denied)
Starts the emulator (with Prometheus) per scenario, runs diagnose, audit and an approved mitigate as admin and
prints, per playbook, each distinct (server, verb, group, resource[/subresource], namespace, name) from the
emulator's request log. Names are shown for the objects the roles grant by name (Leases, Deployments, the RBAC
repair's objects). Compare the output with deploy/rbac when a check starts reading something new.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from conftest import VENV_BIN, EmulatorHandle  # noqa: E402

NAMED = ("leases", "deployments", "clusterroles", "clusterrolebindings")
PLAYS = (("diagnose", ()), ("audit", ()),
         ("mitigate", ("-e", "karmada_mitigate_approve=true", "-e", "karmada_verify_metric_range=15",
                       "-e", "karmada_verify_interval=2", "-e", "karmada_verify_timeout=120")))


def run(name, handle, report_dir, extra):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), f"playbooks/{name}.yml",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}",
            "-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}", *extra]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)


def main(scenarios):
    seen = {name: set() for name, _args in PLAYS}
    for scenario in scenarios:
        workdir = tempfile.mkdtemp(prefix="rbac-requests-")
        handle = EmulatorHandle(os.path.join(workdir, "emulator"), scenario).up("--prometheus")
        try:
            for name, extra in PLAYS:
                mark = handle.mark()
                result = run(name, handle, os.path.join(workdir, name), extra)
                print(f"# {scenario}: {name} exited {result.returncode}", file=sys.stderr)
                for r in handle.requests_since(mark):
                    if not r["resource"]:
                        continue                 # discovery: every authenticated user may
                    resource = r["resource"] + (f"/{r['subresource']}" if r["subresource"] else "")
                    named = r["name"] if r["resource"] in NAMED and r["verb"] not in ("list", "watch") else ""
                    seen[name].add((r["server"], r["verb"], r["group"] or '""', resource, r["namespace"] or "-",
                                    named or "-"))
        finally:
            handle.down()
    for name, accesses in seen.items():
        print(f"{name}:")
        for access in sorted(accesses):
            print("  " + "  ".join(access))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["missing-namespaces", "rbac-denied"]))
