"""Process-tree measurements for the bench: wall, CPU and peak RSS of a command and everything it starts.

ru_maxrss only reports the largest single process, and a process that daemonizes (Ansible's async
wrapper does) leaves the tree and is never waited for. So the command runs under a small wrapper
(``python bench_proc.py RESULT_FILE -- command ...``) that makes itself a child subreaper: every
descendant, orphaned or not, is reaped by it or by its own parent, so the wrapper's RUSAGE_CHILDREN
is the CPU of the whole tree. The caller samples /proc every ~50 ms and sums the RSS of the
wrapper's descendants.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
SAMPLE_SECONDS = 0.05
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
ORPHAN_GRACE_SECONDS = 120


def read_proc_table(proc_root="/proc"):
    """{pid: (ppid, rss_kib)} of every process readable under proc_root (gone or unreadable ones skipped).

    One read per process: /proc/PID/stat has both (fields 4 and 24, proc(5)), which keeps the sampler cheap.
    """
    table = {}
    try:
        names = os.listdir(proc_root)
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc_root, name, "stat"), encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        try:
            table[int(name)] = (int(fields[1]), int(fields[21]) * PAGE_KIB)
        except (IndexError, ValueError):
            continue
    return table


def descendants(table, root):
    """Pids below root (root itself excluded) in a {pid: (ppid, rss)} table."""
    children = {}
    for pid, (ppid, _rss) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def tree_rss_kib(table, root):
    """Summed RSS (KiB) of root's descendants: the wrapper itself is not part of what is measured."""
    return sum(table[pid][1] for pid in descendants(table, root))


class PeakSampler:
    """Samples the tree's summed RSS in a thread until stopped; .peak_kib is the largest sum seen."""

    def __init__(self, root, interval=SAMPLE_SECONDS, proc_root="/proc"):
        self.root = root
        self.interval = interval
        self.proc_root = proc_root
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(read_proc_table(self.proc_root), self.root))
            self.samples += 1
            self._stop.wait(self.interval)


def measure(command, cwd=None, env=None, stdout=None, stderr=None, result_dir=None):
    """Run command under the subreaper wrapper; {rc, wall_s, cpu_s, peak_rss_mb, samples}."""
    result_dir = result_dir or os.environ.get("TMPDIR", "/tmp")
    result_file = os.path.join(result_dir, f"bench-tree-{os.getpid()}-{time.monotonic_ns()}.json")
    wrapper = [sys.executable, os.path.abspath(__file__), result_file, "--", *command]
    started = time.monotonic()
    child = subprocess.Popen(wrapper, cwd=cwd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    with PeakSampler(child.pid) as sampler:
        child.wait()
    wall = time.monotonic() - started
    try:
        with open(result_file, encoding="utf-8") as handle:
            tree = json.load(handle)
        os.remove(result_file)
    except (OSError, ValueError):
        tree = {"rc": child.returncode, "cpu_s": None}
    return {"rc": tree["rc"], "wall_s": round(wall, 3), "cpu_s": tree["cpu_s"],
            "peak_rss_mb": round(sampler.peak_kib / 1024, 1), "samples": sampler.samples,
            "orphans_left": tree.get("orphans_left", 0)}


def _wrapper(argv):
    """RESULT_FILE -- command...: run command, reap every descendant, write {rc, cpu_s} of the whole tree."""
    result_file, command = argv[0], argv[2:]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # without it, daemonized descendants are missed; the tree is still measured
    child = subprocess.Popen(command)
    rc = child.wait()
    # Orphans re-parented to us: wait for them too, so their CPU is counted. One that outlives the
    # command by ORPHAN_GRACE_SECONDS (a daemon left behind) is reported, not waited for forever.
    deadline, left = time.monotonic() + ORPHAN_GRACE_SECONDS, 0
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                left = 1
                break
            time.sleep(0.02)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump({"rc": rc, "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "orphans_left": left}, handle)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: bench_proc.py RESULT_FILE -- command ...")
    sys.exit(_wrapper(sys.argv[1:]))
