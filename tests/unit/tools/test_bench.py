"""The benchmark's pure parts: run order, medians, target judgement, replay plans, process-tree RSS."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

import bench_diagnose  # noqa: E402
import bench_floor  # noqa: E402
import bench_proc  # noqa: E402

SCENARIO_ROWS = ("large", "huge")


# -- run order and medians -------------------------------------------------------------------------------

def test_runs_alternate_and_each_floor_follows_the_diagnose_it_replays():
    order = bench_diagnose.schedule(3)
    assert order[:4] == [(1, "diagnose"), (1, "floor"), (1, "empty play"), (2, "diagnose")]
    assert len(order) == 9
    for index, (run, kind) in enumerate(order):
        if kind == "floor":
            assert order[index - 1] == (run, "diagnose")


def test_median_is_per_field_and_keeps_the_first_runs_text():
    runs = [{"wall_s": 30.0, "cpu_s": 1.0, "rc": 0, "top_cause": "a"},
            {"wall_s": 10.0, "cpu_s": 3.0, "rc": 0, "top_cause": "b"},
            {"wall_s": 20.0, "cpu_s": 2.0, "rc": 0, "top_cause": "c"}]
    median = bench_diagnose.median_of(runs)
    assert (median["wall_s"], median["cpu_s"], median["top_cause"], median["runs"]) == (20.0, 2.0, "a", 3)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert bench_diagnose.median_of([{"wall_s": 1.0}, {"wall_s": 4.0}])["wall_s"] == 2.5


def test_a_field_missing_in_one_run_is_not_a_median_of_the_others():
    median = bench_diagnose.median_of([{"cpu_s": None}, {"cpu_s": 5.0}, {"cpu_s": 7.0}])
    assert median["cpu_s"] is None


# -- targets and table -----------------------------------------------------------------------------------

def _rows(large_wall=4.0, large_cpu=4.5, huge_wall=12.0, huge_floor=6.0, by_hand=281.0, rss=250.0,
          huge_requests=99, floor_requests=58):
    return {
        "large": {"diagnose": {"wall_s": large_wall, "cpu_s": large_cpu, "peak_rss_mb": rss, "runs": 3},
                  "by hand": {"wall_s": by_hand, "runs": 1}},
        "huge": {"diagnose": {"wall_s": huge_wall, "cpu_s": 11.0, "peak_rss_mb": 120.0, "k8s_requests": huge_requests},
                 "floor": {"wall_s": huge_floor, "k8s_requests": floor_requests}},
    }


def _met(rows):
    return {result["id"]: result["met"] for result in bench_diagnose.judge(rows)}


def test_every_target_met():
    assert set(_met(_rows()).values()) == {True}


@pytest.mark.parametrize("change, missed", [
    ({"large_wall": 5.01}, "wall_1k"),
    ({"large_cpu": 6.0}, "cpu_1k"),
    ({"huge_wall": 15.5, "huge_floor": 10.0}, "wall_10k"),
    ({"by_hand": 150.0}, "by_hand_1k"),          # 37.5x, not 50x
    ({"huge_floor": 4.0}, "floor_10k"),           # 12 / 4 = 3x
    ({"rss": 301.0}, "rss"),
    ({"huge_requests": 200}, "pages_10k"),
])
def test_each_target_can_be_missed_alone(change, missed):
    met = _met(_rows(**change))
    assert met.pop(missed) is False
    assert set(met.values()) == {True}


def test_limits_are_inclusive():
    met = _met(_rows(large_wall=5.0, large_cpu=5.0, huge_wall=15.0, huge_floor=6.0, by_hand=250.0, rss=300.0))
    assert set(met.values()) == {True}


def test_a_target_without_its_rows_is_not_measured_rather_than_missed():
    met = _met({"healthy": {"diagnose": {"wall_s": 20.0, "peak_rss_mb": 180.0}}})
    assert met["rss"] is True
    assert {k: v for k, v in met.items() if k != "rss"} == dict.fromkeys(
        ("wall_1k", "cpu_1k", "wall_10k", "by_hand_1k", "floor_10k", "pages_10k"))


def test_table_has_a_row_per_scenario_and_kind_in_order_and_marks_targets():
    rows = _rows()
    rows["large"]["diagnose"].update(k8s_requests=27, lists=25, gets=2, writes=0, promql=10, top_cause="ns_missing")
    lines = bench_diagnose.markdown(rows, bench_diagnose.judge(rows), list(SCENARIO_ROWS))
    body = [line for line in lines if line.startswith(("| large", "| huge"))]
    assert [line.split("|")[2].strip() for line in body] == ["diagnose", "by hand", "diagnose", "floor"]
    assert "| 27 (25/2/0) | 10 | ns_missing |" in body[0]
    assert "| - | - | - |" in body[1]           # no requests counted, no verdict for the by-hand row
    assert sum("| met |" in line for line in lines) == 7


def test_table_flags_a_missed_target():
    rows = _rows(large_wall=23.0)
    lines = bench_diagnose.markdown(rows, bench_diagnose.judge(rows), list(SCENARIO_ROWS))
    assert any(line.startswith("| diagnose wall <= 5 s at 1,000") and "| 23.00 | 5 | **missed** |" in line
               for line in lines)


# -- request log -> replay plan --------------------------------------------------------------------------

def _entry(verb, path, query=None, resource="", subresource="", server="karmada-apiserver"):
    return {"server": server, "method": "POST" if verb == "create" else "GET", "path": path, "query": query or {},
            "verb": verb, "resource": resource, "subresource": subresource, "status": 200}


CLUSTERS = "/apis/cluster.karmada.io/v1alpha1/clusters"


def test_a_paginated_list_is_one_step_and_a_repeated_list_is_done_once():
    entries = [_entry("list", CLUSTERS, {"limit": "500"}, "clusters"),
               _entry("list", CLUSTERS, {"limit": "500", "continue": "abc"}, "clusters"),
               _entry("list", CLUSTERS, {"limit": "500"}, "clusters"),
               _entry("list", CLUSTERS, {"limit": "500", "continue": "abc"}, "clusters")]
    plan = bench_floor.plan_from_requests(entries)
    assert plan["steps"] == [{"kind": "list", "server": "karmada-apiserver", "path": CLUSTERS,
                              "params": {"limit": "500"}}]
    assert bench_floor.count_requests(entries)["lists"] == 4


def test_selectors_make_distinct_lists():
    entries = [_entry("list", "/api/v1/events", {"fieldSelector": "reason=SyncWorkFailed", "limit": "500"}, "events"),
               _entry("list", "/api/v1/events", {"fieldSelector": "reason=CleanupWorkFailed", "limit": "500"}, "events"),
               _entry("list", "/api/v1/namespaces/karmada-system/pods", {"labelSelector": "app=x"}, "pods",
                      server="karmada-host")]
    steps = bench_floor.plan_from_requests(entries)["steps"]
    assert [s["params"].get("fieldSelector") or s["params"].get("labelSelector") for s in steps] == [
        "reason=SyncWorkFailed", "reason=CleanupWorkFailed", "app=x"]
    assert steps[2]["server"] == "karmada-host"


def test_logs_gets_and_access_reviews_are_replayed_writes_and_watches_are_not():
    log_query = {"container": "karmada-controller-manager", "sinceTime": "2026-11-30T15:52:29Z"}
    entries = [_entry("get", "/version"),
               _entry("get", "/api/v1/namespaces/karmada-system/pods/cm-1/log", log_query, "pods", "log", "karmada-host"),
               _entry("create", "/apis/authorization.k8s.io/v1/subjectaccessreviews", resource="subjectaccessreviews"),
               _entry("create", "/api/v1/namespaces", resource="namespaces"),
               _entry("watch", "/api/v1/namespaces", {"watch": "1"}, "namespaces")]
    plan = bench_floor.plan_from_requests(entries)
    assert [s["kind"] for s in plan["steps"]] == ["get", "log", "post"]
    assert plan["steps"][1]["params"] == log_query
    review = plan["steps"][2]["body"]
    assert review["apiVersion"] == "authorization.k8s.io/v1" and review["kind"] == "SubjectAccessReview"
    assert review["spec"]["user"] and review["spec"]["resourceAttributes"]["resource"] == "works"
    assert plan["skipped"] == 2
    counts = bench_floor.count_requests(entries)
    assert (counts["gets"], counts["reviews"], counts["writes"], counts["lists"]) == (2, 1, 1, 1)


def test_query_log_gives_api_queries_only_instant_and_range():
    def line(params, http=True):
        record = {"params": params, "ts": "2026-11-30T16:55:19.848Z"}
        if http:
            record["httpRequest"] = {"clientIP": "127.0.0.1", "method": "GET", "path": "/api/v1/query"}
        else:
            record["ruleGroup"] = {"file": "rules.yml", "name": "sloth"}
        return json.dumps(record)

    instant = {"query": "slo:current_burn_rate:ratio", "start": "2026-11-30T16:55:18.000Z",
               "end": "2026-11-30T16:55:18.000Z", "step": 0}
    ranged = {"query": "sum(rate(x[5m]))", "start": "2026-11-30T15:55:18.000Z",
              "end": "2026-11-30T16:55:18.000Z", "step": 60}
    lines = [line(instant), line(instant), line(ranged), line(instant, http=False), "", "not json"]
    steps = bench_floor.plan_from_query_log(lines)
    assert steps == [
        {"kind": "promql", "endpoint": "query",
         "params": {"query": "slo:current_burn_rate:ratio", "time": "2026-11-30T16:55:18.000Z"}},
        {"kind": "promql", "endpoint": "query_range",
         "params": {"query": "sum(rate(x[5m]))", "start": "2026-11-30T15:55:18.000Z",
                    "end": "2026-11-30T16:55:18.000Z", "step": "60"}}]
    assert bench_floor.count_promql(lines) == 3


# -- process tree RSS from /proc -------------------------------------------------------------------------

def _fake_proc(root, processes, extras=True):
    """processes: {pid: (ppid, resident pages, comm)}."""
    for pid, (ppid, pages, comm) in processes.items():
        directory = root / str(pid)
        directory.mkdir()
        # proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
        # cstime priority nice num_threads itrealvalue starttime vsize rss ...
        (directory / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 10 0 0 0 5 2 0 0 20 0 1 0 "
                                        f"100 {pages * 4096 * 3} {pages} 18446744073709551615 1 1 0 0 0\n")
    if extras:
        (root / "self").mkdir()          # not a pid: ignored
        (root / "meminfo").write_text("MemTotal: 1 kB\n")


def _fake_proc_rewrite(root, pid, ppid, pages):
    for child in (root / str(pid)).iterdir():
        child.unlink()
    (root / str(pid)).rmdir()
    _fake_proc(root, {pid: (ppid, pages, "ansible")}, extras=False)


def test_tree_rss_sums_every_descendant_but_not_the_root_or_strangers(tmp_path):
    _fake_proc(tmp_path, {
        1: (0, 1000, "init"),
        100: (1, 2560, "python"),                # the wrapper: root, not counted
        101: (100, 25600, "ansible-playbook"),
        102: (101, 12800, "ansible-playbook"),   # forked worker
        103: (102, 5120, "python3 (module) x"),   # odd command name: spaces and a ')'
        200: (1, 99999, "emulator"),             # not ours
    })
    table = bench_proc.read_proc_table(str(tmp_path))
    assert table[103][0] == 102
    assert sorted(bench_proc.descendants(table, 100)) == [101, 102, 103]
    assert bench_proc.tree_rss_kib(table, 100) == (25600 + 12800 + 5120) * bench_proc.PAGE_KIB


def test_a_process_that_vanished_mid_read_is_skipped(tmp_path):
    _fake_proc(tmp_path, {100: (1, 10, "python"), 101: (100, 20, "ansible")})
    (tmp_path / "101" / "stat").write_text("101 (ansible")     # cut short: exited mid-read
    table = bench_proc.read_proc_table(str(tmp_path))
    assert list(table) == [100]
    assert bench_proc.tree_rss_kib(table, 100) == 0


def test_peak_sampler_keeps_the_largest_sum_seen(tmp_path):
    _fake_proc(tmp_path, {100: (1, 10, "python"), 101: (100, 256, "ansible")})
    sampler = bench_proc.PeakSampler(100, interval=0.001, proc_root=str(tmp_path))
    with sampler:
        while sampler.samples < 2:
            time.sleep(0.001)
        _fake_proc_rewrite(tmp_path, 101, 100, 1)
        seen = sampler.samples
        while sampler.samples < seen + 2:
            time.sleep(0.001)
    assert sampler.peak_kib == 256 * bench_proc.PAGE_KIB


def test_the_wrapper_waits_for_orphaned_descendants_and_keeps_the_exit_status(tmp_path):
    """A daemonized grandchild (as Ansible's async wrapper makes) is still part of the measured tree."""
    marker = tmp_path / "orphan-finished"
    script = f"(sleep 0.2; touch {marker}) & exit 3"
    result = bench_proc.measure(["sh", "-c", script], result_dir=str(tmp_path))
    assert marker.exists()
    assert result["rc"] == 3
    assert result["cpu_s"] is not None and result["samples"] >= 1


def test_ratios_compare_wall_and_cpu_and_leave_missing_rows_out():
    rows = _rows()
    rows["huge"]["floor"]["cpu_s"] = 1.1
    by_text = {r["ratio"]: r for r in bench_diagnose.ratios(rows)}
    huge = by_text["diagnose / floor at 10,000 clusters"]
    assert (huge["wall"], huge["cpu"]) == (2.0, 10.0)
    assert by_text["by hand / diagnose at 1,000 clusters"]["wall"] == 70.25
    assert by_text["by hand / diagnose at 1,000 clusters"]["cpu"] is None          # by-hand CPU not given
    assert by_text["diagnose / empty play at 1,000 clusters"] == {
        "ratio": "diagnose / empty play at 1,000 clusters", "wall": None, "cpu": None}


def test_headline_names_the_load_the_runs_saw():
    saved = {"date": "2026-11-30T16:55:56Z", "commit": "e244a45", "runs": 3, "by_hand_runs": 1, "elapsed_s": 509.7,
             "machine": {"nproc": 2},
             "raw": {"large": {"diagnose": [{"loadavg": 3.61}, {"loadavg": 4.6}], "by hand": [{"loadavg": 2.49}]}}}
    line = bench_diagnose.headline(saved)
    assert "medians of 3 alternating runs (runbook by hand: 1 run)" in line
    assert line.endswith("load average 2.5-4.6 on 2 CPUs")
