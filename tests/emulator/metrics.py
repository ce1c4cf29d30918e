"""A small Prometheus client: counters, gauges and histograms with labels, in text and OpenMetrics form.

The emulator exposes what the leader karmada-controller-manager pod serves on :8080 and what the
karmada-apiserver serves on /metrics, under the real metric names and labels.
"""

from __future__ import annotations

import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SYNC_WORK_BUCKETS = tuple(0.001 * 2 ** i for i in range(12))          # ExponentialBuckets(0.001, 2, 12)


def _format_value(value):
    if value == math.inf:
        return "+Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _format_labels(names, values, extra=()):
    pairs = list(zip(names, values)) + list(extra)
    if not pairs:
        return ""
    escaped = (f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in pairs)
    return "{" + ",".join(escaped) + "}"


class _Family:
    kind = ""

    def __init__(self, name, help_text, labels=()):
        self.name = name
        self.help = help_text
        self.label_names = tuple(labels)
        self._values = {}
        self._lock = threading.Lock()

    def _key(self, labels):
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {sorted(labels)}")
        return tuple(str(labels[name]) for name in self.label_names)

    def clear(self):
        with self._lock:
            self._values.clear()


class Counter(_Family):
    kind = "counter"

    def inc(self, amount=1.0, **labels):
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels):
        return self._values.get(self._key(labels), 0.0)

    def set_initial(self, value, **labels):
        with self._lock:
            self._values[self._key(labels)] = float(value)

    def merge(self, other):
        """Add another counter's values (a restarted series continuing an older one)."""
        with self._lock:
            for key, value in other._values.items():
                self._values[key] = self._values.get(key, 0.0) + value

    def samples(self):
        base = self.name[:-len("_total")] if self.name.endswith("_total") else self.name
        for key, value in sorted(self._values.items()):
            yield f"{base}_total", self.label_names, key, (), value


class Gauge(_Family):
    kind = "gauge"

    def set(self, value, **labels):
        with self._lock:
            self._values[self._key(labels)] = float(value)

    def value(self, **labels):
        return self._values.get(self._key(labels), 0.0)

    def samples(self):
        for key, value in sorted(self._values.items()):
            yield self.name, self.label_names, key, (), value


class Histogram(_Family):
    kind = "histogram"

    def __init__(self, name, help_text, labels=(), buckets=SYNC_WORK_BUCKETS):
        super().__init__(name, help_text, labels)
        self.buckets = tuple(buckets)

    def observe(self, value, **labels):
        key = self._key(labels)
        with self._lock:
            state = self._values.setdefault(key, {"counts": [0] * len(self.buckets), "count": 0, "sum": 0.0})
            for index, bound in enumerate(self.buckets):
                if value <= bound:
                    state["counts"][index] += 1
            state["count"] += 1
            state["sum"] += value

    def count(self, **labels):
        state = self._values.get(self._key(labels))
        return state["count"] if state else 0

    def set_initial(self, counts, count, total, **labels):
        with self._lock:
            self._values[self._key(labels)] = {"counts": list(counts), "count": count, "sum": total}

    def merge(self, other):
        with self._lock:
            for key, value in other._values.items():
                state = self._values.setdefault(key, {"counts": [0] * len(self.buckets), "count": 0, "sum": 0.0})
                state["counts"] = [a + b for a, b in zip(state["counts"], value["counts"])]
                state["count"] += value["count"]
                state["sum"] += value["sum"]

    def samples(self):
        for key, state in sorted(self._values.items()):
            for bound, cumulative in zip(self.buckets, state["counts"]):
                yield f"{self.name}_bucket", self.label_names, key, (("le", _format_value(bound)),), cumulative
            yield f"{self.name}_bucket", self.label_names, key, (("le", "+Inf"),), state["count"]
            yield f"{self.name}_sum", self.label_names, key, (), state["sum"]
            yield f"{self.name}_count", self.label_names, key, (), state["count"]


class Registry:
    def __init__(self):
        self.families = []

    def add(self, family):
        self.families.append(family)
        return family

    def counter(self, name, help_text, labels=()):
        return self.add(Counter(name, help_text, labels))

    def gauge(self, name, help_text, labels=()):
        return self.add(Gauge(name, help_text, labels))

    def histogram(self, name, help_text, labels=(), buckets=SYNC_WORK_BUCKETS):
        return self.add(Histogram(name, help_text, labels, buckets))

    def expose(self):
        """Prometheus text format 0.0.4."""
        lines = []
        for family in self.families:
            lines.append(f"# HELP {family.name} {family.help}")
            lines.append(f"# TYPE {family.name} {family.kind}")
            for name, label_names, key, extra, value in family.samples():
                lines.append(f"{name}{_format_labels(label_names, key, extra)} {_format_value(value)}")
        return "\n".join(lines) + "\n"

    def openmetrics_samples(self, timestamp):
        """(family header lines, sample lines) for one point in time, OpenMetrics style."""
        headers, samples = {}, []
        for family in self.families:
            base = family.name[:-len("_total")] if family.kind == "counter" and family.name.endswith("_total") \
                else family.name
            headers[base] = [f"# HELP {base} {family.help}", f"# TYPE {base} {family.kind}"]
            for name, label_names, key, extra, value in family.samples():
                samples.append((base, f"{name}{_format_labels(label_names, key, extra)} {_format_value(value)} "
                                      f"{timestamp:.3f}"))
        return headers, samples


class MetricsServer:
    """Plain-HTTP /metrics endpoints (what Prometheus scrapes), one port for all emulated components."""

    def __init__(self, listen="127.0.0.1", port=0):
        self.routes = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server naming
                provider = routes.get(self.path.split("?")[0])
                body = provider().encode() if provider else b"404 page not found\n"
                self.send_response(200 if provider else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        try:
            self.server = ThreadingHTTPServer((listen, port), Handler)
        except OSError:
            self.server = ThreadingHTTPServer((listen, 0), Handler)
        self.server.daemon_threads = True
        self.address = f"{listen}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="metrics", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
