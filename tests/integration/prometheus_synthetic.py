"""A stand-in for the emulator's metrics model, for wiring tests of the Prometheus stack.

``SyntheticKarmada`` produces controller-manager and Karmada API server metrics (names and labels as
real Karmada and controller-runtime expose them) as pure functions of time: it serves them over HTTP
like the emulator does and writes the same series as an OpenMetrics history file, so the live
counters continue exactly where the history stops.
"""

from __future__ import annotations

import http.server
import math
import threading

BUCKETS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048)
# Share of observations at or below each bucket bound (successes are fast, errors a little slower).
SUCCESS_CDF = (0.0, 0.05, 0.5, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
ERROR_CDF = (0.0, 0.0, 0.1, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
QUEUES = ("binding-controller", "cluster-resource-binding-controller", "cluster-controller")


class SyntheticKarmada:
    """Binding syncs at ``syncs_per_second``; ``error_ratio`` of them fail (each failure is retried)."""

    def __init__(self, origin, error_ratio, syncs_per_second=2.0, requests_per_second=10.0):
        self.origin = origin
        self.error_ratio = error_ratio
        self.rate = syncs_per_second
        self.requests = requests_per_second

    def families(self, now):
        """[(family, type, help, [(sample name, labels dict, value)])] at time ``now`` (seconds)."""
        elapsed = max(0.0, now - self.origin)
        total = math.floor(self.rate * elapsed)
        errors = math.floor(self.rate * self.error_ratio * elapsed)
        successes = total - errors
        samples = []
        for result, count, cdf, mean in (("success", successes, SUCCESS_CDF, 0.005), ("error", errors, ERROR_CDF, 0.009)):
            for bound, share in zip(BUCKETS, cdf):
                samples.append(("binding_sync_work_duration_seconds_bucket", {"result": result, "le": _num(bound)},
                                math.floor(count * share)))
            samples.append(("binding_sync_work_duration_seconds_bucket", {"result": result, "le": "+Inf"}, count))
            samples.append(("binding_sync_work_duration_seconds_sum", {"result": result}, round(count * mean, 6)))
            samples.append(("binding_sync_work_duration_seconds_count", {"result": result}, count))
        failing = self.error_ratio > 0
        depth = {"binding-controller": 4 if failing else 0, "cluster-resource-binding-controller": 1 if failing else 0,
                 "cluster-controller": 0}
        adds = {"binding-controller": total, "cluster-resource-binding-controller": total // 4,
                "cluster-controller": math.floor(0.2 * elapsed)}
        retries = {"binding-controller": errors, "cluster-resource-binding-controller": errors // 4, "cluster-controller": 0}
        reconcile_errors = {"binding-controller": errors, "cluster-resource-binding-controller": errors // 4,
                            "cluster-controller": 0}
        ok_requests = math.floor(self.requests * elapsed)
        return [
            ("binding_sync_work_duration_seconds", "histogram",
             "Duration in seconds to sync works for ResourceBinding and ClusterResourceBinding objects.", samples),
            ("workqueue_depth", "gauge", "Current depth of workqueue",
             [("workqueue_depth", {"controller": q, "name": q, "priority": ""}, depth[q]) for q in QUEUES]),
            ("workqueue_adds", "counter", "Total number of adds handled by workqueue",
             [("workqueue_adds_total", {"controller": q, "name": q}, adds[q]) for q in QUEUES]),
            ("workqueue_retries", "counter", "Total number of retries handled by workqueue",
             [("workqueue_retries_total", {"controller": q, "name": q}, retries[q]) for q in QUEUES]),
            ("controller_runtime_reconcile_errors", "counter", "Total number of reconciliation errors per controller",
             [("controller_runtime_reconcile_errors_total", {"controller": q}, reconcile_errors[q]) for q in QUEUES]),
            ("apiserver_request", "counter", "Counter of apiserver requests broken out for each verb, ...",
             [("apiserver_request_total", {"code": "200", "component": "apiserver", "dry_run": "", "group": "work.karmada.io",
                                           "resource": "works", "scope": "namespace", "subresource": "", "verb": "GET",
                                           "version": "v1alpha1"}, ok_requests)]),
        ]

    # -- exposition --
    def text(self, now, target):
        """Prometheus text format 0.0.4 for one target ("controller_manager" or "karmada_apiserver")."""
        lines = []
        for family, kind, helptext, samples in self._for_target(now, target):
            name = family + "_total" if kind == "counter" else family
            lines.append(f"# HELP {name} {helptext}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{sample}{_labels(labels)} {_num(value)}" for sample, labels, value in samples)
        return "\n".join(lines) + "\n"

    def write_history(self, path, start, end, step=15):
        """OpenMetrics history from ``start`` to ``end`` (inclusive) at ``step`` seconds, ``# EOF`` terminated."""
        times = list(range(int(start), int(end) + 1, step))
        snapshots = [self.families(t) for t in times]
        with open(path, "w", encoding="utf-8") as handle:
            for index, (family, kind, helptext, samples) in enumerate(snapshots[0]):
                handle.write(f"# HELP {family} {helptext}\n# TYPE {family} {kind}\n")
                for position, (sample, labels) in enumerate(s[:2] for s in samples):
                    prefix = f"{sample}{_labels(labels)} "
                    handle.writelines(f"{prefix}{_num(snapshot[index][3][position][2])} {t}\n"
                                      for t, snapshot in zip(times, snapshots))
            handle.write("# EOF\n")

    def _for_target(self, now, target):
        for family in self.families(now):
            if (family[0].startswith("apiserver_")) == (target == "karmada_apiserver"):
                yield family

    def serve(self, clock):
        """Serve /metrics and /apiserver/metrics on a free port; returns (server, endpoints "metrics" dict)."""
        model = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                target = {"/metrics": "controller_manager", "/apiserver/metrics": "karmada_apiserver"}.get(self.path)
                if target is None:
                    self.send_error(404)
                    return
                body = model.text(clock(), target).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"127.0.0.1:{server.server_address[1]}"
        metrics = {"controller_manager": {"url": f"http://{address}/metrics", "target": address, "path": "/metrics"},
                   "karmada_apiserver": {"url": f"http://{address}/apiserver/metrics", "target": address,
                                         "path": "/apiserver/metrics"}}
        return server, metrics


def _labels(labels):
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)
