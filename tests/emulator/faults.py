"""Fault injection: make chosen requests fail the ways real API servers and networks fail."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field

ACTIONS = ("status", "latency", "reset", "malformed")


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; the message names the bad field."""


@dataclass
class Fault:
    """One rule. ``path`` is a glob on the request path (``*`` crosses ``/``)."""

    path: str = "*"
    verb: str = "*"                 # Kubernetes verb (get, list, watch, create, patch, ...) or HTTP method
    server: str = "*"               # karmada-apiserver, karmada-host or *
    param: str = ""                 # only requests with this query parameter (e.g. continue: a list's next page)
    action: str = "status"
    status: int = 500
    message: str = ""
    retry_after: int = 0
    latency: float = 0.0
    times: int | None = None        # only the first N matching requests
    fraction: float | None = None   # or this share of them
    hits: int = field(default=0, compare=False)

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise FaultSpecError(f"a fault must be a mapping, got {type(data).__name__}")
        known = {f for f in cls.__dataclass_fields__ if f != "hits"}
        unknown = set(data) - known
        if unknown:
            raise FaultSpecError(f"unknown fault field(s) {sorted(unknown)}; known: {sorted(known)}")
        fault = cls(**data)
        if fault.action not in ACTIONS:
            raise FaultSpecError(f"fault action must be one of {list(ACTIONS)}, got {fault.action!r}")
        if not isinstance(fault.status, int) or not 100 <= fault.status <= 599:
            raise FaultSpecError(f"fault status must be an HTTP status code, got {fault.status!r}")
        if fault.fraction is not None and not 0 <= float(fault.fraction) <= 1:
            raise FaultSpecError(f"fault fraction must be between 0 and 1, got {fault.fraction!r}")
        if fault.times is not None and (not isinstance(fault.times, int) or fault.times < 0):
            raise FaultSpecError(f"fault times must be a non-negative integer, got {fault.times!r}")
        if float(fault.latency) < 0:
            raise FaultSpecError(f"fault latency must be >= 0 seconds, got {fault.latency!r}")
        return fault

    def to_dict(self):
        return {f: getattr(self, f) for f in self.__dataclass_fields__}

    def matches(self, server, verb, method, path, query=None):
        if self.server not in ("*", server):
            return False
        if self.param and not (query or {}).get(self.param):
            return False
        if self.verb not in ("*", verb, method.upper(), method.lower()):
            return False
        return fnmatch.fnmatchcase(path, self.path)


class FaultInjector:
    def __init__(self, seed=None):
        self._faults = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, fault):
        if isinstance(fault, dict):
            fault = Fault.from_dict(fault)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults.clear()

    def list(self):
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def pick(self, server, verb, method, path, query=None):
        """The faults that fire for this request (latency ones first, at most one failing one)."""
        fired = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(server, verb, method, path, query):
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if fault.fraction is not None and self._random.random() >= float(fault.fraction):
                    continue
                fault.hits += 1
                fired.append(fault)
        latency = [f for f in fired if f.action == "latency"]
        failing = [f for f in fired if f.action != "latency"][:1]
        return latency + failing
