"""Command line: ``up`` starts the emulator detached, ``down`` stops it, ``serve`` runs it in the foreground."""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from . import scenarios

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROCESSES = "processes.json"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _prepare_workdir(workdir):
    try:
        os.makedirs(workdir, exist_ok=True)
        probe = os.path.join(workdir, ".write-test")
        with open(probe, "w", encoding="utf-8") as handle:
            handle.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise CliError(f"cannot use --workdir {workdir!r}: {exc.strerror or exc}") from None
    return os.path.abspath(workdir)


def _alive(pid, marker):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline


def read_processes(workdir):
    try:
        with open(os.path.join(workdir, PROCESSES), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return []


def write_processes(workdir, processes):
    path = os.path.join(workdir, PROCESSES)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(processes, handle, indent=2)
    os.replace(path + ".tmp", path)


def running(workdir):
    return [p for p in read_processes(workdir) if _alive(p["pid"], p.get("marker", ""))]


def _wait_ready(workdir, child, timeout):
    endpoints_file = os.path.join(workdir, "endpoints.json")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise CliError(f"the emulator exited with status {child.returncode} while starting; see "
                           f"{os.path.join(workdir, 'emulator.log')}:\n{_tail(os.path.join(workdir, 'emulator.log'))}")
        try:
            with open(endpoints_file, encoding="utf-8") as handle:
                endpoints = json.load(handle)
            if endpoints.get("pid") == child.pid:
                _check_ready(endpoints)
                return endpoints
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    child.terminate()
    raise CliError(f"the emulator did not answer within {timeout:.0f}s; see {workdir}/emulator.log")


def _check_ready(endpoints):
    context = ssl.create_default_context(cafile=endpoints["ca_file"])
    for server in ("karmada_apiserver", "host"):
        request = urllib.request.Request(endpoints[server]["url"] + "/readyz",
                                         headers={"Authorization": f"Bearer {endpoints[server]['token']}"})
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            if response.status != 200:
                raise OSError("not ready")


def _tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def _check_monitoring_options(args):
    if args.alertmanager and not args.prometheus:
        raise CliError("--alertmanager needs --prometheus: Alertmanager gets its alerts from the Prometheus "
                       "that --prometheus starts")
    if args.webhook_url is not None and not args.alertmanager:
        raise CliError("--webhook-url needs --alertmanager: the webhook is Alertmanager's receiver")
    if args.webhook_url is not None:
        parsed = urllib.parse.urlsplit(args.webhook_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise CliError(f"--webhook-url {args.webhook_url!r} is not an http:// or https:// URL")
    if getattr(args, "query_log", False) and not args.prometheus:
        raise CliError("--query-log needs --prometheus: it is Prometheus's query log")
    if getattr(args, "sloth_windows", "google-30d") != "google-30d" and not args.prometheus:
        raise CliError("--sloth-windows needs --prometheus: the windows shape the SLO rules Prometheus loads")
    if args.prometheus:
        from . import prometheus
        try:
            prometheus.require_binaries(alertmanager=args.alertmanager)
        except prometheus.StackError as exc:
            raise CliError(str(exc)) from None


def cmd_up(args):
    _check_monitoring_options(args)
    scenario = scenarios.load(args.scenario)          # fail fast, before anything starts
    workdir = _prepare_workdir(args.workdir)
    if running(workdir):
        raise CliError(f"an emulator is already running in {workdir}; stop it first with: "
                       f"python -m tests.emulator down --workdir {args.workdir}")
    for stale in ("endpoints.json", "kubeconfig", PROCESSES):
        try:
            os.remove(os.path.join(workdir, stale))
        except FileNotFoundError:
            pass
    command = [sys.executable, "-m", "tests.emulator", "serve", "--scenario", scenario["path"],
               "--workdir", workdir, "--listen", args.listen, "--karmada-port", str(args.karmada_port),
               "--host-port", str(args.host_port)]
    for account in args.service_account or []:
        command += ["--service-account", account]
    with open(os.path.join(workdir, "emulator.log"), "ab") as log:
        child = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
    emulator_process = {"name": "emulator", "pid": child.pid, "marker": "tests.emulator"}
    write_processes(workdir, [emulator_process])
    endpoints = _wait_ready(workdir, child, args.timeout)
    monitoring = _start_monitoring(args, workdir, endpoints, child, emulator_process) if args.prometheus else {}
    print(f"emulator up (scenario {scenario['name']}, pid {child.pid})")
    print(f"  karmada-apiserver  {endpoints['karmada_apiserver']['url']}")
    print(f"  karmada-host       {endpoints['host']['url']}")
    print(f"  kubeconfig         {endpoints['kubeconfig']}  (contexts karmada-apiserver, karmada-host)")
    if "prometheus" in monitoring:
        timings = monitoring["prometheus"]["timings"]
        print(f"  prometheus         {monitoring['prometheus']['url']}  (pid {monitoring['prometheus']['pid']}, "
              f"ready in {timings['total']}s)")
    if "alertmanager" in monitoring:
        receiver = monitoring["alertmanager"]["webhook_url"] or "no receiver"
        print(f"  alertmanager       {monitoring['alertmanager']['url']}  (pid {monitoring['alertmanager']['pid']}, "
              f"webhook {receiver})")
    print(f"  stop with          python -m tests.emulator down --workdir {args.workdir}")
    return 0


def _start_monitoring(args, workdir, endpoints, child, emulator_process):
    """Prometheus (and Alertmanager) next to the running emulator; on failure stop everything started."""
    from . import prometheus

    def record(servers):
        write_processes(workdir, [emulator_process] + [server.record() for server in servers])

    stack = prometheus.Stack(workdir, endpoints, alertmanager=args.alertmanager, webhook_url=args.webhook_url,
                             timeout=args.timeout, on_change=record,
                             log=lambda message: print(message, file=sys.stderr),
                             sloth_windows=getattr(args, "sloth_windows", None),
                             query_log=getattr(args, "query_log", False))
    try:
        info = stack.start()
    except (prometheus.StackError, OSError, subprocess.SubprocessError) as exc:
        stack.stop()
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
        try:
            os.remove(os.path.join(workdir, PROCESSES))
        except OSError:
            pass
        raise CliError(f"could not start Prometheus/Alertmanager, so the emulator was stopped again: {exc}") from None
    endpoints_file = os.path.join(workdir, "endpoints.json")
    with open(endpoints_file, encoding="utf-8") as handle:
        current = json.load(handle)
    current.update(info)
    tmp = f"{endpoints_file}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(current, handle, indent=2)
    os.replace(tmp, endpoints_file)
    return info


def cmd_down(args):
    workdir = os.path.abspath(args.workdir)
    processes = running(workdir)
    if not processes:
        print(f"nothing is running in {workdir}")
        try:
            os.remove(os.path.join(workdir, PROCESSES))
        except OSError:
            pass
        return 0
    for process in processes:
        try:
            os.kill(process["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p["pid"], p.get("marker", "")) for p in processes):
        time.sleep(0.05)
    for process in processes:
        if _alive(process["pid"], process.get("marker", "")):
            os.kill(process["pid"], signal.SIGKILL)
    os.remove(os.path.join(workdir, PROCESSES))
    print("stopped " + ", ".join(f"{p['name']} (pid {p['pid']})" for p in processes))
    return 0


def cmd_serve(args):
    from .emulator import Emulator
    from .karmada.world import seed

    scenario = scenarios.load(args.scenario)
    workdir = _prepare_workdir(args.workdir)
    emulator = Emulator(workdir, listen=args.listen,
                        ports={"karmada-apiserver": args.karmada_port, "karmada-host": args.host_port})
    seed(emulator, scenario)
    for account in args.service_account or []:
        emulator.add_service_account(*account.split("/", 1))
    emulator.start()
    emulator.write_files()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"serving scenario {scenario['name']}: {json.dumps(emulator.endpoints()['karmada_apiserver']['url'])}",
          flush=True)
    done.wait()
    emulator.stop()
    return 0


def _account(value):
    namespace, _slash, name = value.partition("/")
    from . import validation
    if not namespace or not name or validation.dns1123_label(namespace) or validation.dns1123_subdomain(name):
        raise argparse.ArgumentTypeError(f"{value!r} is not NAMESPACE/NAME of a ServiceAccount")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m tests.emulator",
                                     description="Emulated Karmada control plane for tests and demos.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("up", "start detached and return once it answers"),
                           ("serve", "run in the foreground until interrupted")):
        command = sub.add_parser(name, help=helptext)
        command.add_argument("--scenario", default="healthy",
                             help=f"built-in scenario ({', '.join(scenarios.known())}) or a YAML file")
        command.add_argument("--workdir", required=True, help="where kubeconfig, endpoints.json and logs go")
        command.add_argument("--listen", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        command.add_argument("--karmada-port", type=int, default=0, help="port for the Karmada API server "
                             "(default: a free one; a busy port falls back to a free one)")
        command.add_argument("--host-port", type=int, default=0, help="port for the host cluster API server")
        command.add_argument("--service-account", action="append", metavar="NAMESPACE/NAME", type=_account,
                             help="issue a token for this ServiceAccount (both servers; repeatable) and add "
                             "kubeconfig contexts NAME@karmada-apiserver and NAME@karmada-host: requests with it "
                             "are authorized by the (Cluster)Roles and bindings stored, as with --authorization-mode=RBAC")
        if name == "up":
            command.add_argument("--timeout", type=float, default=60, help="seconds to wait for start-up")
            command.add_argument("--prometheus", action="store_true",
                                 help="also start Prometheus (/usr/bin/prometheus) scraping the emulator, with the "
                                 "Karmada SLO rules and the scenario's history backfilled")
            command.add_argument("--sloth-windows", default="google-30d", choices=("google-30d", "google-28d"),
                                 help="Sloth alert windows for the SLO rules (default google-30d; google-28d "
                                 "records slo:sli_error:ratio_rate4w and uses the 28-day burn factors)")
            command.add_argument("--query-log", action="store_true",
                                 help="Prometheus logs every query it runs to <workdir>/prometheus/query.log "
                                 "(global.query_log_file; off by default)")
            command.add_argument("--alertmanager", action="store_true",
                                 help="also start Alertmanager wired to that Prometheus (needs --prometheus)")
            command.add_argument("--webhook-url", metavar="URL",
                                 help="Alertmanager's receiver: POST alert notifications to URL (needs --alertmanager)")
    down = sub.add_parser("down", help="stop every process 'up' started in a workdir")
    down.add_argument("--workdir", required=True)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    handlers = {"up": cmd_up, "down": cmd_down, "serve": cmd_serve}
    try:
        return handlers[args.command](args)
    except (CliError, scenarios.ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
