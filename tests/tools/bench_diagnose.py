"""Benchmark diagnose.yml: wall time, peak memory and API requests per scenario.

Usage: .venv/bin/python tests/tools/bench_diagnose.py [scenario ...]   (default: healthy large)
Prints one row per scenario; numbers only, no pass/fail (targets are judged by people, not by tests).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from conftest import EmulatorHandle  # noqa: E402


def bench(scenario, workdir):
    prometheus = os.path.exists("/usr/bin/prometheus")
    started = time.monotonic()
    extra = ["--prometheus"] if prometheus else []
    handle = EmulatorHandle(os.path.join(workdir, scenario), scenario=scenario).up(*extra)
    up_seconds = time.monotonic() - started
    try:
        mark = handle.mark()
        args = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "playbooks/diagnose.yml",
                "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={workdir}/{scenario}-out"]
        if prometheus:
            args += ["-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        run = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False,
                             env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")))
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        requests = handle.requests_since(mark)
        with open(f"{workdir}/{scenario}-out/report.json", encoding="utf-8") as report_file:
            verdict = json.load(report_file)["verdict"]
        return {"scenario": scenario, "up_s": round(up_seconds, 2), "diagnose_s": round(seconds, 2),
                "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
                "peak_rss_mb": round(after.ru_maxrss / 1024, 1), "requests": len(requests),
                "lists": sum(1 for r in requests if r["verb"] == "list"),
                "writes": sum(1 for r in requests if r["verb"] in ("create", "update", "patch", "delete")
                              and r["resource"] != "subjectaccessreviews"),
                "rc": run.returncode, "top_cause": (verdict["causes"] or [{"id": "-"}])[0]["id"]}
    finally:
        handle.down()


def main(argv):
    scenarios = argv or ["healthy", "large"]
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        rows = [bench(name, workdir) for name in scenarios]
    columns = list(rows[0])
    print("  ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print("  ".join(f"{str(row[c]):>12}" for c in columns))
    return 0 if all(row["rc"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
