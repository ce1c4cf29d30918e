"""Benchmark diagnose.yml against its floor, an empty play and the runbook done by hand (issue 11).

Usage: .venv/bin/python tests/tools/bench_diagnose.py [--scenarios "healthy large huge"] [--runs 3]
                                                      [--by-hand-runs 1] [--json FILE] [scenario ...]

Per scenario one emulator (with Prometheus and its query log) serves every run. The runs alternate
(diagnose, floor, empty play, diagnose, floor, ...) so drift on this shared machine hits each the same;
each row is the median of --runs. Measured per run: wall, CPU (user+sys of the whole process tree),
peak RSS of the tree (summed over ansible-playbook and every descendant, sampled every 50 ms), the
Kubernetes requests the emulator logged and the PromQL queries Prometheus logged.

- diagnose:   ansible-playbook playbooks/diagnose.yml with the repository's ansible.cfg
- floor:      the same API work in one plain Python process (tests/tools/bench_floor.py)
- empty play: one debug task on localhost, same ansible.cfg: Ansible's own start-up cost
- by hand:    tests/tools/runbook-by-hand.sh (the runbook's literal kubectl/curl commands, its
              per-cluster namespace loop included), on the by-hand scenario only (default: large)

Progress goes to stderr; a markdown table and the issue's targets (met/missed) to stdout; --json
writes the same data (bench/RESULTS.md is written from it). Numbers only: no target is a test.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)

import bench_floor  # noqa: E402
import bench_proc  # noqa: E402

DEFAULT_SCENARIOS = ("healthy", "large", "huge")
KINDS = ("diagnose", "floor", "empty play")
BY_HAND = "by hand"
ROW_ORDER = KINDS + (BY_HAND,)
EMPTY_PLAY = """---
- name: Empty play (bench baseline)
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Say nothing much
      ansible.builtin.debug:
        msg: empty
"""
# Issue 11's targets: (id, text, scenario, what is compared, limit).
TARGETS = (
    ("wall_1k", "diagnose wall <= 5 s at 1,000 clusters", "large", "wall_s", 5.0),
    ("cpu_1k", "diagnose CPU <= 5 s at 1,000 clusters", "large", "cpu_s", 5.0),
    ("wall_10k", "diagnose wall <= 15 s at 10,000 clusters", "huge", "wall_s", 15.0),
)
RSS_LIMIT_MB = 300.0
BY_HAND_MIN_RATIO = 50.0
FLOOR_MAX_RATIO = 2.5
PAGES_MAX_RATIO = 2.0


def progress(message):
    print(f"[bench {datetime.datetime.now(datetime.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- pure helpers (unit-tested) --------------------------------------------------------------------------

def schedule(runs, kinds=KINDS):
    """Alternating order: [(1, diagnose), (1, floor), (1, empty play), (2, diagnose), ...].

    A floor run replays the diagnose run just before it, so diagnose comes first in each round.
    """
    return [(run, kind) for run in range(1, runs + 1) for kind in kinds]


def median_of(runs):
    """Median per numeric field of a list of run dicts (None where no run has the field); other fields from run 1."""
    if not runs:
        return {}
    merged = dict(runs[0])
    for key in runs[0]:
        values = [run.get(key) for run in runs]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(values):
            merged[key] = round(statistics.median(numbers), 3)
        elif numbers:
            merged[key] = None          # a run without the value: no median of the others
    merged["runs"] = len(runs)
    return merged


def ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return None
    return round(numerator / denominator, 2)


def judge(rows):
    """The issue's targets against median rows {scenario: {kind: row}}: a list of {id, target, value, limit, met}.

    met is None when the rows needed were not measured (scenario or kind left out).
    """
    def value(scenario, kind, field):
        return (rows.get(scenario, {}).get(kind) or {}).get(field)

    results = []
    for target_id, text, scenario, field, limit in TARGETS:
        measured = value(scenario, "diagnose", field)
        results.append(_verdict(target_id, text, measured, limit, measured is not None and measured <= limit))
    by_hand = ratio(value("large", BY_HAND, "wall_s"), value("large", "diagnose", "wall_s"))
    results.append(_verdict("by_hand_1k", f"diagnose >= {BY_HAND_MIN_RATIO:g}x faster than the runbook by hand at "
                            "1,000 clusters (by-hand wall / diagnose wall)", by_hand, BY_HAND_MIN_RATIO,
                            by_hand is not None and by_hand >= BY_HAND_MIN_RATIO))
    floor = ratio(value("huge", "diagnose", "wall_s"), value("huge", "floor", "wall_s"))
    results.append(_verdict("floor_10k", f"diagnose within {FLOOR_MAX_RATIO:g}x of the raw-request floor at 10,000 "
                            "clusters (diagnose wall / floor wall)", floor, FLOOR_MAX_RATIO,
                            floor is not None and floor <= FLOOR_MAX_RATIO))
    peaks = [row["peak_rss_mb"] for kinds in rows.values() for kind, row in kinds.items()
             if kind == "diagnose" and row.get("peak_rss_mb") is not None]
    peak = max(peaks) if peaks else None
    results.append(_verdict("rss", f"diagnose peak tree RSS <= {RSS_LIMIT_MB:g} MB (largest over the scenarios)",
                            peak, RSS_LIMIT_MB, peak is not None and peak <= RSS_LIMIT_MB))
    pages = ratio(value("huge", "diagnose", "k8s_requests"), value("huge", "floor", "k8s_requests"))
    results.append(_verdict("pages_10k", "API requests O(pages) at 10,000 clusters: diagnose's Kubernetes requests / "
                            f"the floor's (each distinct page once) <= {PAGES_MAX_RATIO:g}", pages, PAGES_MAX_RATIO,
                            pages is not None and pages <= PAGES_MAX_RATIO))
    return results


def ratios(rows):
    """The comparisons the targets rest on, in wall and in CPU (None where a row is missing)."""
    def value(scenario, kind, field):
        return (rows.get(scenario, {}).get(kind) or {}).get(field)

    pairs = (("diagnose / floor at 10,000 clusters", "huge", "diagnose", "floor"),
             ("diagnose / floor at 1,000 clusters", "large", "diagnose", "floor"),
             ("by hand / diagnose at 1,000 clusters", "large", BY_HAND, "diagnose"),
             ("diagnose / empty play at 1,000 clusters", "large", "diagnose", "empty play"))
    return [{"ratio": text, "wall": ratio(value(s, a, "wall_s"), value(s, b, "wall_s")),
             "cpu": ratio(value(s, a, "cpu_s"), value(s, b, "cpu_s"))} for text, s, a, b in pairs]


def load_range(raw):
    """(lowest, highest) 1-minute load average seen at the end of a measured run, or None."""
    loads = [run["loadavg"] for kinds in raw.values() for runs in kinds.values() for run in runs if "loadavg" in run]
    return (round(min(loads), 1), round(max(loads), 1)) if loads else None


def _verdict(target_id, text, measured, limit, met):
    return {"id": target_id, "target": text, "value": measured, "limit": limit,
            "met": None if measured is None else bool(met)}


def _cell(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(rows, targets, scenarios):
    """The results table and the target list, as markdown lines."""
    lines = ["| scenario | what | runs | wall s | CPU s | peak tree RSS MB | K8s requests (lists/gets/writes) "
             "| PromQL queries | verdict top cause |",
             "|---|---|---|---|---|---|---|---|---|"]
    for scenario in scenarios:
        for kind in ROW_ORDER:
            row = rows.get(scenario, {}).get(kind)
            if not row:
                continue
            requests = "-" if row.get("k8s_requests") is None else (
                f"{_cell(row['k8s_requests'], 0)} ({_cell(row.get('lists'), 0)}/{_cell(row.get('gets'), 0)}"
                f"/{_cell(row.get('writes'), 0)})")
            lines.append(f"| {scenario} | {kind} | {row.get('runs', 0)} | {_cell(row.get('wall_s'))} "
                         f"| {_cell(row.get('cpu_s'))} | {_cell(row.get('peak_rss_mb'), 0)} | {requests} "
                         f"| {_cell(row.get('promql'), 0)} | {row.get('top_cause') or '-'} |")
    lines += ["", "| ratio (medians) | wall | CPU |", "|---|---|---|"]
    lines += [f"| {r['ratio']} | {_cell(r['wall'], 2)} | {_cell(r['cpu'], 2)} |" for r in ratios(rows)]
    lines += ["", "| target | measured | limit | |", "|---|---|---|---|"]
    for result in targets:
        status = {True: "met", False: "**missed**", None: "not measured"}[result["met"]]
        lines.append(f"| {result['target']} | {_cell(result['value'], 2)} | {result['limit']:g} | {status} |")
    return lines


def headline(saved):
    by_hand = saved["by_hand_runs"]
    load = load_range(saved.get("raw") or {})
    load_text = f"; load average {load[0]}-{load[1]} on {saved['machine']['nproc']} CPUs" if load else ""
    return (f"diagnose benchmark, {saved['date']}, commit {saved['commit']}, medians of {saved['runs']} alternating "
            f"runs (runbook by hand: {by_hand} run{'' if by_hand == 1 else 's'}); bench took {saved['elapsed_s']}s"
            f"{load_text}")


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
        with open("/proc/meminfo", encoding="utf-8") as handle:
            ram_kib = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        ram_kib = 0
    try:
        import ansible.release
        ansible_version = ansible.release.__version__
    except ImportError:
        ansible_version = "unknown"
    return {"nproc": os.cpu_count(), "cpu_model": model, "ram_gib": round(ram_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "ansible_core": ansible_version, "kernel": platform.release()}


# -- measuring (I/O) -------------------------------------------------------------------------------------

class Scenario:
    """One running emulator (with Prometheus and its query log when /usr/bin/prometheus exists)."""

    def __init__(self, name, workdir):
        sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
        from conftest import EmulatorHandle
        self.name = name
        self.workdir = os.path.join(workdir, name)
        self.handle = EmulatorHandle(self.workdir, scenario=name)
        self.prometheus = os.path.exists("/usr/bin/prometheus")

    def __enter__(self):
        self.handle.up(*(["--prometheus", "--query-log"] if self.prometheus else []), "--timeout", "300")
        return self

    def __exit__(self, *exc):
        self.handle.down()

    @property
    def prometheus_url(self):
        return (self.handle.endpoints.get("prometheus") or {}).get("url")

    @property
    def query_log(self):
        return (self.handle.endpoints.get("prometheus") or {}).get("query_log")

    def mark(self):
        offset = os.path.getsize(self.query_log) if self.query_log and os.path.exists(self.query_log) else 0
        return self.handle.mark(), offset

    def since(self, mark):
        requests = self.handle.requests_since(mark[0])
        lines = []
        if self.query_log and os.path.exists(self.query_log):
            with open(self.query_log, encoding="utf-8", errors="replace") as handle:
                handle.seek(mark[1])
                lines = handle.read().splitlines()
        return requests, lines


def timed(scenario, command, log_path, env=None):
    mark = scenario.mark()
    with open(log_path, "w", encoding="utf-8") as log:
        result = bench_proc.measure(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    result_dir=os.path.dirname(log_path))
    requests, query_lines = scenario.since(mark)
    counts = bench_floor.count_requests(requests)
    result.update(k8s_requests=counts["total"], lists=counts["lists"], gets=counts["gets"] + counts["reviews"],
                  writes=counts["writes"], promql=bench_floor.count_promql(query_lines), loadavg=os.getloadavg()[0])
    return result, requests, query_lines


def ansible_env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))


def run_diagnose(scenario, out_dir, number):
    report_dir = os.path.join(out_dir, f"{scenario.name}-report-{number}")
    command = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "playbooks/diagnose.yml",
               "-e", f"karmada_kubeconfig={scenario.handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    if scenario.prometheus_url:
        command += ["-e", f"karmada_prometheus_url={scenario.prometheus_url}"]
    result, requests, query_lines = timed(scenario, command, os.path.join(out_dir, f"{scenario.name}-diagnose-{number}.log"),
                                          ansible_env())
    try:
        with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
            causes = json.load(handle)["verdict"]["causes"]
        result["top_cause"] = causes[0]["id"] if causes else "(none)"
    except (OSError, ValueError, KeyError, IndexError):
        result["top_cause"] = "(no report)"
    plan = bench_floor.plan_from_requests(requests)
    plan["promql"] = bench_floor.plan_from_query_log(query_lines)
    return result, plan


def run_floor(scenario, out_dir, number, plan):
    plan_file = os.path.join(out_dir, f"{scenario.name}-plan-{number}.json")
    with open(plan_file, "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
    command = [sys.executable, os.path.join(TOOLS, "bench_floor.py"), plan_file,
               "--kubeconfig", scenario.handle.kubeconfig]
    if scenario.prometheus_url:
        command += ["--prometheus", scenario.prometheus_url]
    log_path = os.path.join(out_dir, f"{scenario.name}-floor-{number}.log")
    result = timed(scenario, command, log_path)[0]
    try:
        with open(log_path, encoding="utf-8") as handle:
            result["replay"] = json.loads(handle.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        result["replay"] = None
    return result


def run_empty_play(scenario, out_dir, number):
    playbook = os.path.join(out_dir, "empty-play.yml")
    if not os.path.exists(playbook):
        with open(playbook, "w", encoding="utf-8") as handle:
            handle.write(EMPTY_PLAY)
    command = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), playbook]
    return timed(scenario, command, os.path.join(out_dir, f"{scenario.name}-empty-{number}.log"), ansible_env())[0]


def run_by_hand(scenario, out_dir, number):
    command = [os.path.join(TOOLS, "runbook-by-hand.sh"), scenario.handle.kubeconfig, scenario.prometheus_url or ""]
    return timed(scenario, command, os.path.join(out_dir, f"{scenario.name}-by-hand-{number}.log"))[0]


def bench_scenario(name, workdir, runs, by_hand_runs):
    began = time.monotonic()
    progress(f"{name}: starting the emulator")
    with Scenario(name, workdir) as scenario:
        progress(f"{name}: up in {time.monotonic() - began:.0f}s")
        measured = {kind: [] for kind in ROW_ORDER}
        plan = None
        for number, kind in schedule(runs):
            if kind == "diagnose":
                result, plan = run_diagnose(scenario, workdir, number)
            elif kind == "floor":
                result = run_floor(scenario, workdir, number, plan)
            else:
                result = run_empty_play(scenario, workdir, number)
            measured[kind].append(result)
            if result.get("orphans_left"):
                progress(f"{name}: {kind} run {number} left a process running after it exited; not waited for")
            progress(f"{name}: {kind} run {number}/{runs}: {result['wall_s']:.1f}s wall, {result['cpu_s']} CPU-s, "
                     f"{result['peak_rss_mb']:.0f} MB, {result['k8s_requests']} requests, rc {result['rc']}")
        for number in range(1, by_hand_runs + 1):
            progress(f"{name}: runbook by hand, run {number}/{by_hand_runs} (about 5 minutes at 1,000 clusters)")
            result = run_by_hand(scenario, workdir, number)
            measured[BY_HAND].append(result)
            progress(f"{name}: by hand run {number}: {result['wall_s']:.1f}s wall, {result['cpu_s']} CPU-s")
    return {kind: results for kind, results in measured.items() if results}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark diagnose (issue 11).")
    parser.add_argument("positional", nargs="*", metavar="scenario", help="scenarios (same as --scenarios)")
    parser.add_argument("--scenarios", help=f"space- or comma-separated (default: {' '.join(DEFAULT_SCENARIOS)})")
    parser.add_argument("--runs", type=int, default=3, help="runs of each of diagnose/floor/empty play (default 3)")
    parser.add_argument("--by-hand-runs", type=int, default=int(os.environ.get("BENCH_BY_HAND_RUNS", "1")),
                        help="runs of the runbook by hand (env BENCH_BY_HAND_RUNS; default 1; 0 skips it)")
    parser.add_argument("--by-hand-scenario", default="large", help="where the runbook is done by hand (default large)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw runs, medians and targets as JSON")
    parser.add_argument("--keep", metavar="DIR", help="keep logs, reports and replay plans in DIR")
    parser.add_argument("--from-json", metavar="FILE", help="measure nothing: print the tables of an earlier --json")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as handle:
            saved = json.load(handle)
        print(headline(saved))
        print()
        print("\n".join(markdown(saved["medians"], judge(saved["medians"]), saved["scenarios"])))
        return 0
    scenarios = args.positional or (args.scenarios or " ".join(DEFAULT_SCENARIOS)).replace(",", " ").split()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    started = time.monotonic()
    if os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        progress(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs before starting: other work "
                 "on this machine inflates wall times (each run records the load; see the headline)")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         check=False).stdout.strip()
    raw = {}
    workdir = args.keep or tempfile.mkdtemp(prefix="bench-")
    os.makedirs(workdir, exist_ok=True)
    try:
        for name in scenarios:
            by_hand_runs = args.by_hand_runs if name == args.by_hand_scenario else 0
            raw[name] = bench_scenario(name, workdir, args.runs, by_hand_runs)
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", workdir], check=False)
    rows = {name: {kind: median_of(results) for kind, results in kinds.items()} for name, kinds in raw.items()}
    targets = judge(rows)
    elapsed = round(time.monotonic() - started, 1)
    saved = {"date": stamp, "commit": git, "runs": args.runs, "by_hand_runs": args.by_hand_runs, "elapsed_s": elapsed,
             "machine": machine(), "scenarios": scenarios, "medians": rows, "targets": targets, "raw": raw}
    print(headline(saved))
    print()
    print("\n".join(markdown(rows, targets, scenarios)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(saved, handle, indent=1)
    failed = [(name, kind) for name, kinds in raw.items() for kind, results in kinds.items()
              if kind != BY_HAND and any(result["rc"] != 0 for result in results)]
    for name, kind in failed:
        progress(f"{name}: a {kind} run exited non-zero; see its log (--keep DIR keeps them)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
