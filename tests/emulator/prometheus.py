"""Real Prometheus and Alertmanager (the Debian packages) wired to a running emulator.

``Stack(workdir, endpoints, ...).start()`` does, in order:

1. renders the Karmada SLO rules (``sloth.py``) to ``DIR/prometheus/rules.yml``;
2. starts Alertmanager when asked (no gossip, fresh storage, routes to one webhook);
3. backfills history when the emulator wrote ``DIR/history.om``: the raw samples are labelled with
   the ``job``/``instance`` their live scrape target will give them and imported with
   ``promtool tsdb create-blocks-from openmetrics``; Prometheus is started on that data (scraping, no
   rules), and the recording rules are backfilled over the same period with ``promtool tsdb
   create-blocks-from rules`` one dependency level at a time (a rule that reads another recorded
   series needs that series' blocks loaded first, and Prometheus only loads new blocks on start);
4. (re)starts Prometheus with the rules and Alertmanager, and returns once ``/-/ready`` answers and
   every rule group is loaded.

Each process is a direct child (no shell), so the PID reported through ``on_change`` is the server's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from . import sloth

PROMETHEUS_BIN = os.environ.get("EMULATOR_PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL_BIN = os.environ.get("EMULATOR_PROMTOOL_BIN", "/usr/bin/promtool")
ALERTMANAGER_BIN = os.environ.get("EMULATOR_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")

INTERVAL = "5s"                 # scrape and rule evaluation
FOLLOW_INTERVAL = "1s"          # groups that read other groups' series (see follow_quickly)
BACKFILL_STEP = 15              # seconds: the history file's resolution
RETENTION = "60d"               # keeps a 30-day SLO period of backfilled history
BLOCK_SECONDS = 2 * 3600        # promtool's block length
WORKERS = max(1, min(4, os.cpu_count() or 1))
# Scrape job name -> key of the target under endpoints.json "metrics".
JOBS = (("karmada-controller-manager", "controller_manager"), ("karmada-apiserver", "karmada_apiserver"))
SETUP_HINT = ("`make setup` (run as root) installs them, or run: "
              "sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager")


class StackError(Exception):
    """Prometheus or Alertmanager could not be set up; the message says why and where the log is."""


class PortTaken(StackError):
    """The free port picked for a server was taken by someone else before the server bound it."""


def require_binaries(alertmanager=False):
    needed = [("prometheus", PROMETHEUS_BIN, "--prometheus"), ("promtool", PROMTOOL_BIN, "--prometheus")]
    if alertmanager:
        needed.append(("prometheus-alertmanager", ALERTMANAGER_BIN, "--alertmanager"))
    missing = [(name, path, option) for name, path, option in needed if not os.access(path, os.X_OK)]
    if missing:
        what = ", ".join(f"{path} (for {option})" for unused_name, path, option in missing)
        raise StackError(f"{what} not found: {SETUP_HINT}")


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def query(base_url, promql, timeout=10):
    """An instant query against Prometheus: the ``data.result`` list."""
    url = f"{base_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    return json.loads(http_get(url, timeout)[1])["data"]["result"]


# -- processes -----------------------------------------------------------------------------------------

class Server:
    """One server binary run as a direct child in its own session, logging to a file."""

    def __init__(self, name, command, log_path, marker):
        self.name = name
        self.command = command
        self.log_path = log_path
        self.marker = marker
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        return self.process.pid

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=15):
        if not self.running():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def record(self):
        return {"name": self.name, "pid": self.pid, "marker": self.marker}

    def wait_ready(self, url, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                log = tail(self.log_path)
                kind = PortTaken if "address already in use" in log else StackError
                raise kind(f"{self.name} exited with status {self.process.returncode} while starting; "
                           f"see {self.log_path}:\n{log}")
            try:
                if http_get(url, timeout=2)[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise StackError(f"{self.name} was not ready at {url} within {timeout:.0f}s; see {self.log_path}:\n"
                         f"{tail(self.log_path)}")


def tail(path, lines=15):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


# -- history -----------------------------------------------------------------------------------------

_SERIES = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?')
_HAS_JOB = re.compile(r'[{,]\s*job\s*=')


def label_history(source, out_dir, assign, block_seconds=BLOCK_SECONDS):
    """Split an OpenMetrics file into one file per TSDB block period, labelling every sample.

    Samples without a ``job`` label get ``job`` and ``instance`` from ``assign(metric_name)``, so
    backfilled series carry the same labels as the live scrape of the same target and history and
    live samples form one series. ``promtool tsdb create-blocks-from openmetrics`` re-reads its whole
    input once per 2-hour block, so feeding it one block's worth at a time keeps the import linear in
    the history's length. Returns ``(files, samples)``.
    """
    cache = {}
    outputs = {}            # block index -> [handle, family header written?]
    header = []
    family = 0
    samples = 0
    with open(source, encoding="utf-8") as src:
        for line in src:
            if line.startswith("#"):
                if line.startswith("# EOF"):
                    break
                if line.startswith(("# HELP", "# TYPE", "# UNIT")):
                    if not header or header[-1].split()[2] != line.split()[2]:
                        header = []
                        family += 1
                    header.append(line)
                continue
            if not line.strip():
                continue
            match = _SERIES.match(line)
            series = match.group(0)
            labelled = cache.get(series)
            if labelled is None:
                labelled = _with_target(series, match.group(1), assign)
                cache[series] = labelled
            rest = line[match.end():]
            fields = rest.split()
            if len(fields) < 2:
                raise StackError(f"{source}: a history sample has no timestamp: {line.strip()!r}")
            block = int(float(fields[1]) // block_seconds)
            output = outputs.get(block)
            if output is None:
                path = os.path.join(out_dir, f"history-{block}.om")
                output = outputs[block] = [open(path, "w", encoding="utf-8"), 0]
            if output[1] != family:
                output[0].writelines(header)
                output[1] = family
            output[0].write(labelled + rest)
            samples += 1
    files = []
    for block in sorted(outputs):
        handle = outputs[block][0]
        handle.write("# EOF\n")
        handle.close()
        files.append(handle.name)
    return files, samples


def _with_target(series, label_part, assign):
    if label_part and _HAS_JOB.search(label_part):
        return series
    name = series[:len(series) - len(label_part or "")]
    job, instance = assign(name)
    extra = f'job="{job}",instance="{instance}"'
    if not label_part or label_part == "{}":
        return f"{name}{{{extra}}}"
    return f"{name}{{{extra},{label_part[1:]}"


def history_of(endpoints):
    """``(file, start, end)`` of the emulator's history, or None when there is nothing to backfill."""
    history = endpoints.get("history") or {}
    path = history.get("file")
    if not path or not os.path.isfile(path) or os.path.getsize(path) == 0:
        return None
    with open(path, encoding="utf-8") as handle:
        if not any(line.strip() and not line.startswith("#") for line in handle):
            return None
    return path, int(history["start"]), int(history["end"]) + 1


# -- rules ---------------------------------------------------------------------------------------------

def _dependencies(rules):
    """Recorded name -> the recorded names its expressions read (a name may be recorded by several rules)."""
    recorded = sloth.recorded_names(rules)
    patterns = {name: re.compile(r"(?<![\w:])" + re.escape(name) + r"(?![\w:])") for name in recorded}
    deps = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                deps.setdefault(rule["record"], set()).update(
                    n for n, pattern in patterns.items() if n != rule["record"] and pattern.search(rule["expr"]))
    return deps


def group_reads(rules):
    """Group name -> the other groups whose recorded series its rules (recording or alerting) read.

    Every SLO records the same names (Sloth tells them apart by the ``sloth_id`` label), so a group
    reads a series of another group only when both carry the same ``sloth_id``.
    """
    recorded_in = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                key = (rule["record"], (rule.get("labels") or {}).get("sloth_id"))
                recorded_in.setdefault(key, set()).add(group["name"])
    names = {name for name, unused_id in recorded_in}
    patterns = {name: re.compile(r"(?<![\w:])" + re.escape(name) + r"(?![\w:])") for name in names}
    reads = {}
    for group in rules["groups"]:
        ids = {(rule.get("labels") or {}).get("sloth_id") for rule in group["rules"]}
        exprs = " ".join(rule["expr"] for rule in group["rules"])
        used = {name for name, pattern in patterns.items() if pattern.search(exprs)}
        reads[group["name"]] = sorted({other for (name, sloth_id), groups in recorded_in.items()
                                       if name in used and sloth_id in ids
                                       for other in groups if other != group["name"]})
    return reads


def follow_quickly(rules, interval=FOLLOW_INTERVAL):
    """The rules with every group that reads another group's series evaluated every ``interval``.

    Sloth's metadata groups are a few divisions of the SLI groups' series (the error budget reads the
    30d SLI). At the global interval one of them may wait a whole interval for the SLI it reads after
    start-up; at 1s it follows at once, so a fresh stack answers every series without a long wait.
    Everything else (names, expressions, labels, the SLI and alert groups) is Sloth's output unchanged.
    """
    reads = group_reads(rules)
    return {"groups": [dict(group, interval=interval) if reads.get(group["name"]) else group
                       for group in rules["groups"]]}


def _resolve(names, own_value, deps):
    """Evaluate ``own_value(name, [values of its dependencies])`` for every name, dependencies first."""
    values = {}

    def value(name, seen=()):
        if name not in values:
            if name in seen:
                raise StackError(f"recording rules depend on each other in a cycle through {name}")
            values[name] = own_value(name, [value(dep, seen + (name,)) for dep in sorted(deps[name])])
        return values[name]

    return {name: value(name) for name in names}


def backfill_levels(rules):
    """Recording rules grouped so that each level only reads raw series or series of earlier levels.

    Returns a list of rule-file dicts (same group names, recording rules only), level 1 first.
    """
    deps = _dependencies(rules)
    levels = _resolve(deps, lambda name, below: 1 + max(below, default=0), deps)
    files = []
    for wanted in range(1, max(levels.values(), default=0) + 1):
        groups = []
        for group in rules["groups"]:
            chosen = [r for r in group["rules"] if "record" in r and levels[r["record"]] == wanted]
            if chosen:
                groups.append({"name": group["name"], "rules": chosen})
        files.append({"groups": groups})
    return files


_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_RANGE = re.compile(r"\[(\d+)([smhdwy])\]")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def rule_windows(rules):
    """Recorded name -> the longest range (seconds) the rule reads, directly or through the series it reads."""
    direct = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                ranges = [int(n) * _UNIT[u] for n, u in _RANGE.findall(rule["expr"])]
                direct[rule["record"]] = max([direct.get(rule["record"], 0), *ranges])
    deps = _dependencies(rules)
    return _resolve(deps, lambda name, below: direct[name] or max(below, default=0), deps)


def backfill_step(window):
    """Backfill resolution for a rule reading ``window`` seconds of data (0: reads no range).

    The 5m SLI and what is computed from it keep the history's 15s resolution (the 30d SLI averages
    the 5m samples); longer windows change slowly and get 1m, 1d and longer 4m steps (inside the 5m
    lookback, so instant queries over the backfilled period see no gaps).
    """
    if 0 < window <= 5 * 60:
        return BACKFILL_STEP
    return 60 if window <= 6 * 3600 else 240


def split_rules(level, parts, windows=None):
    """Spread one level's recording rules over ``parts`` rule files of similar cost, each group with its step."""
    windows = windows or rule_windows(level)
    jobs = []
    for group in level["groups"]:
        for rule in group["rules"]:
            window = windows.get(rule["record"], 0)
            step = backfill_step(window)
            jobs.append((max(window, 60) / step + 10, group["name"], step, rule))
    jobs.sort(key=lambda job: -job[0])
    bins = [[0.0, {}] for unused_index in range(max(1, min(parts, len(jobs))))]
    for cost, group_name, step, rule in jobs:
        target = min(bins, key=lambda b: b[0])
        target[0] += cost
        target[1].setdefault((group_name, step), []).append(rule)
    return [{"groups": [{"name": f"{name}-every-{step}s", "interval": f"{step}s", "rules": rules}
                        for (name, step), rules in sorted(groups.items())]}
            for unused_cost, groups in bins if groups]


# -- the stack -----------------------------------------------------------------------------------------

class Stack:
    """Prometheus (and optionally Alertmanager) for one emulator workdir."""

    def __init__(self, workdir, endpoints, alertmanager=False, webhook_url=None, timeout=60, on_change=None,
                 log=None, sloth_windows=None, query_log=False):
        self.workdir = workdir
        self.endpoints = endpoints
        self.want_alertmanager = alertmanager
        self.webhook_url = webhook_url
        self.timeout = timeout
        self.on_change = on_change or (lambda servers: None)
        self.log = log or (lambda message: None)
        self.prom_dir = os.path.join(workdir, "prometheus")
        self.data_dir = os.path.join(self.prom_dir, "data")
        self.config_file = os.path.join(self.prom_dir, "prometheus.yml")
        self.rules_file = os.path.join(self.prom_dir, "rules.yml")
        # Opt-in (the bench reads it to count diagnose's PromQL): Prometheus appends one JSON line per query.
        self.query_log_file = os.path.join(self.prom_dir, "query.log") if query_log else None
        self.am_dir = os.path.join(workdir, "alertmanager")
        self.prometheus = None
        self.alertmanager = None
        self.prometheus_url = None
        self.alertmanager_url = None
        self.timings = {}
        self.sloth_windows = sloth_windows or sloth.DEFAULT_WINDOWS
        self.rules = sloth.karmada_rules(self.sloth_windows)

    # -- public --
    def start(self):
        began = time.monotonic()
        require_binaries(self.want_alertmanager)
        self._fresh_dirs()
        with open(self.rules_file, "w", encoding="utf-8") as handle:
            handle.write(sloth.to_yaml(follow_quickly(self.rules), sloth.RULES_HEADER))
        self._check_rules()
        targets = self._targets()
        if self.want_alertmanager:
            self._start_alertmanager()
        self._new_prometheus(free_port())
        history = history_of(self.endpoints)
        if history:
            self._import_history(history, targets)
            self._write_config(targets, final=False)
            self._start_prometheus()
            staging = self._backfill_rules(history)
            self._write_config(targets, final=True)
            self._restart_prometheus(lambda: self._move_blocks(staging))
        else:
            self._write_config(targets, final=True)
            self._start_prometheus()
        self._wait_rules_loaded()
        self.timings["total"] = round(time.monotonic() - began, 2)
        return self.info()

    def info(self):
        info = {"prometheus": {"url": self.prometheus_url, "pid": self.prometheus.pid, "config": self.config_file,
                               "rules": self.rules_file, "data": self.data_dir, "timings": self.timings}}
        if self.query_log_file:
            info["prometheus"]["query_log"] = self.query_log_file
        if self.alertmanager:
            info["alertmanager"] = {"url": self.alertmanager_url, "pid": self.alertmanager.pid,
                                    "webhook_url": self.webhook_url}
        return info

    def servers(self):
        return [s for s in (self.alertmanager, self.prometheus) if s is not None and s.running()]

    def stop(self):
        for server in (self.prometheus, self.alertmanager):
            if server is not None:
                server.stop()
        self.on_change(self.servers())

    # -- steps --
    def _fresh_dirs(self):
        for path in (self.prom_dir, self.am_dir):
            shutil.rmtree(path, ignore_errors=True)
        os.makedirs(self.data_dir)
        if self.want_alertmanager:
            os.makedirs(os.path.join(self.am_dir, "data"))

    def _check_rules(self):
        result = subprocess.run([PROMTOOL_BIN, "check", "rules", self.rules_file], capture_output=True, text=True,
                                check=False, timeout=60)
        if result.returncode != 0:
            raise StackError(f"promtool check rules {self.rules_file} failed:\n{result.stdout}{result.stderr}")

    def _targets(self):
        metrics = self.endpoints.get("metrics") or {}
        targets = {}
        for job, key in JOBS:
            target = metrics.get(key)
            if target:
                targets[job] = {"target": target["target"], "path": target.get("path", "/metrics")}
        if not targets:
            self.log("warning: endpoints.json has no \"metrics\" targets; Prometheus starts without scrape targets")
        return targets

    def _start_alertmanager(self):
        began = time.monotonic()
        for attempt in range(3):
            try:
                self._launch_alertmanager(free_port())
                break
            except PortTaken:
                if attempt == 2:
                    raise
        self.timings["alertmanager_ready"] = round(time.monotonic() - began, 2)

    def _launch_alertmanager(self, port):
        self.alertmanager_url = f"http://127.0.0.1:{port}"
        config = os.path.join(self.am_dir, "alertmanager.yml")
        receiver = {"name": "webhook"}
        if self.webhook_url:
            receiver["webhook_configs"] = [{"url": self.webhook_url, "send_resolved": True}]
        with open(config, "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "route": {"receiver": "webhook", "group_by": ["alertname", "sloth_id", "sloth_severity"],
                          "group_wait": "1s", "group_interval": "5s", "repeat_interval": "1h"},
                "receivers": [receiver],
            }, handle, sort_keys=False)
        self.alertmanager = Server("alertmanager", [
            ALERTMANAGER_BIN, f"--config.file={config}", f"--storage.path={os.path.join(self.am_dir, 'data')}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=info",
        ], os.path.join(self.am_dir, "alertmanager.log"), f"--config.file={config}")
        self.alertmanager.start()
        self.on_change(self.servers())
        self.alertmanager.wait_ready(self.alertmanager_url + "/-/ready", self.timeout)

    def _prometheus_command(self, port):
        return [PROMETHEUS_BIN, f"--config.file={self.config_file}", f"--storage.tsdb.path={self.data_dir}",
                f"--storage.tsdb.retention.time={RETENTION}", f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle", "--web.enable-admin-api", "--log.level=info",
                # Alerts evaluated before Alertmanager discovery finishes are dropped; resend soon, not after 1m.
                f"--rules.alert.resend-delay={INTERVAL}"]

    def _write_config(self, targets, final):
        config = {
            "global": {"scrape_interval": INTERVAL, "scrape_timeout": "4s", "evaluation_interval": INTERVAL},
            "scrape_configs": [{"job_name": job, "metrics_path": t["path"], "static_configs": [{"targets": [t["target"]]}]}
                               for job, t in targets.items()],
        }
        if final:
            config["rule_files"] = [self.rules_file]
            if self.query_log_file:
                # Only in the final config: promtool's backfill queries before it are not the client's.
                config["global"]["query_log_file"] = self.query_log_file
            if self.alertmanager:
                config["alerting"] = {"alertmanagers": [{"static_configs": [
                    {"targets": [self.alertmanager_url.split("//", 1)[1]]}]}]}
        tmp = self.config_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        os.replace(tmp, self.config_file)

    def _new_prometheus(self, port):
        self.prometheus_url = f"http://127.0.0.1:{port}"
        self.prometheus = Server("prometheus", self._prometheus_command(port), os.path.join(self.prom_dir, "prometheus.log"),
                                 f"--config.file={self.config_file}")

    def _start_prometheus(self):
        began = time.monotonic()
        for attempt in range(3):
            self.prometheus.start()
            self.on_change(self.servers())
            try:
                self.prometheus.wait_ready(self.prometheus_url + "/-/ready", self.timeout)
                break
            except PortTaken:
                if attempt == 2:
                    raise
                self._new_prometheus(free_port())
        self.timings.setdefault("prometheus_starts", []).append(round(time.monotonic() - began, 2))

    def _restart_prometheus(self, before_start=None):
        self.prometheus.stop()
        if before_start:
            before_start()
        self._start_prometheus()

    def _import_history(self, history, targets):
        path = history[0]
        began = time.monotonic()
        chunks = os.path.join(self.prom_dir, "history")
        os.makedirs(chunks)
        files, samples = label_history(path, chunks, self._assigner(targets))
        self.timings["history_label"] = round(time.monotonic() - began, 2)
        began = time.monotonic()
        self._promtool_all([["tsdb", "create-blocks-from", "openmetrics", "--quiet", f, self.data_dir] for f in files])
        self.timings["history_import"] = round(time.monotonic() - began, 2)
        self.timings["history_samples"] = samples
        shutil.rmtree(chunks, ignore_errors=True)

    def _assigner(self, targets):
        """Which job a history metric belongs to: the target that serves it live, else by name."""
        served = {}
        for job, target in targets.items():
            try:
                body = http_get(f"http://{target['target']}{target['path']}", timeout=5)[1]
            except (OSError, urllib.error.URLError):
                continue
            for line in body.decode(errors="replace").splitlines():
                if line and not line.startswith("#"):
                    served.setdefault(_SERIES.match(line).group(0).split("{", 1)[0], job)
        by_job = {job: t["target"] for job, t in targets.items()}
        fallback = {"karmada-apiserver": "apiserver_"}

        def assign(name):
            job = served.get(name)
            if job is None:
                job = next((j for j, prefix in fallback.items() if name.startswith(prefix)), "karmada-controller-manager")
            return job, by_job.get(job, "")
        return assign

    def _backfill_rules(self, history):
        """Backfill every recording rule, level by level; returns the staging dirs of the last level's blocks.

        Levels before the last are loaded by restarting Prometheus; the caller's final restart (with
        the rules) loads the last one. Within a level the rules are split over parallel promtool runs.
        """
        start, end = history[1:]
        staging = []
        for number, level in enumerate(backfill_levels(self._fed_rules(history[0])), start=1):
            if number > 1:
                self._restart_prometheus(lambda dirs=staging: self._move_blocks(dirs))
            began = time.monotonic()
            staging, commands = [], []
            for part, rules in enumerate(split_rules(level, WORKERS), start=1):
                rules_file = os.path.join(self.prom_dir, f"backfill-{number}-{part}.yml")
                with open(rules_file, "w", encoding="utf-8") as handle:
                    handle.write(sloth.to_yaml(rules))
                output = os.path.join(self.prom_dir, f"backfill-{number}-{part}")
                staging.append(output)
                commands.append(["tsdb", "create-blocks-from", "rules", "--quiet", f"--start={start}", f"--end={end}",
                                 f"--url={self.prometheus_url}", f"--eval-interval={BACKFILL_STEP}s",
                                 f"--output-dir={output}", rules_file])
            self._promtool_all(commands)
            self.timings.setdefault("rules_backfill", []).append(round(time.monotonic() - began, 2))
        return staging

    def _fed_rules(self, history_file):
        """The rules of the SLOs whose queries read a metric the history holds: backfilling the others
        (scheduler, estimator, ... which the emulator does not run) would only cost time and record nothing."""
        names = set()
        with open(history_file, encoding="utf-8") as handle:
            for line in handle:
                if line and line[0] != "#":
                    names.add(_METRIC_NAME.match(line).group(0))
        fed = [slo for slo in sloth.KARMADA_SLOS
               if names & set(_METRIC_NAME.findall(slo.error_query + " " + slo.total_query))]
        return sloth.render(sloth.SERVICE, fed, sloth.windows_named(self.sloth_windows))

    def _move_blocks(self, staging_dirs):
        for staging in staging_dirs:
            if os.path.isdir(staging):
                for entry in os.listdir(staging):
                    if os.path.isfile(os.path.join(staging, entry, "meta.json")):
                        os.replace(os.path.join(staging, entry), os.path.join(self.data_dir, entry))
            shutil.rmtree(staging, ignore_errors=True)

    def _promtool_all(self, commands):
        """Run promtool commands, ``WORKERS`` at a time; fail with the first failure's output."""
        pending = list(commands)
        running = []
        failure = None
        while pending or running:
            while pending and len(running) < WORKERS and failure is None:
                args = pending.pop(0)
                running.append((args, subprocess.Popen([PROMTOOL_BIN, *args], stdout=subprocess.PIPE,
                                                       stderr=subprocess.STDOUT, text=True)))
            args, process = running.pop(0)
            output = process.communicate(timeout=600)[0]
            if process.returncode != 0 and failure is None:
                failure = f"promtool {' '.join(args)} failed ({process.returncode}):\n{output[-3000:]}"
            if failure is not None:
                pending.clear()
        if failure:
            raise StackError(failure)

    def _wait_rules_loaded(self):
        """Wait until every rule group has been evaluated after the groups whose series it reads.

        The backfilled long-window series end up to one backfill step before the history's end; on a
        slow machine that last sample can fall outside the 5m lookback by the time Prometheus is up,
        so only live evaluations bring them back. Groups evaluate independently, and Sloth's metadata
        group reads the SLI group's series (the error budget reads the 30d SLI): a group that went
        before a group it reads must run once more.
        """
        reads = group_reads(self.rules)
        deadline = time.monotonic() + self.timeout
        first, last = {}, {}
        while time.monotonic() < deadline:
            try:
                body = http_get(self.prometheus_url + "/api/v1/rules", timeout=5)[1]
                last = {group["name"]: _evaluated_at(group.get("lastEvaluation", ""))
                        for group in json.loads(body)["data"]["groups"]}
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                last = {}
            for name, evaluated in last.items():
                if evaluated:
                    first.setdefault(name, evaluated)
            if all(last.get(name) for name in reads) and all(
                    last[name] > first[other] for name, others in reads.items() for other in others):
                return
            time.sleep(0.1)
        waiting = sorted(name for name in reads if not last.get(name)) or sorted(reads)
        raise StackError(f"Prometheus did not load and evaluate the rule groups {waiting} "
                         f"within {self.timeout:.0f}s; see {self.prometheus.log_path}")


def _evaluated_at(value):
    """A group's lastEvaluation (RFC 3339 with nanoseconds) as a sortable string; "" when never evaluated."""
    if not value or value.startswith("0001"):
        return ""
    # Same zone (Z) and format for every group of one Prometheus: pad the fraction so strings sort as times.
    stamp, unused_dot, fraction = value.rstrip("Z").partition(".")
    return f"{stamp}.{fraction.ljust(9, '0')}"
