"""Every API request the emulator answered, for tests to inspect."""

from __future__ import annotations

import threading
import time

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


class RequestLog:
    def __init__(self, limit=2_000_000):
        self._entries = []
        self._lock = threading.Lock()
        self._limit = limit
        self._dropped = 0

    def record(self, **entry):
        entry.setdefault("ts", time.time())
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                drop = len(self._entries) - self._limit
                del self._entries[:drop]
                self._dropped += drop

    def entries(self, since=0):
        """Entries with sequence number >= since, and the next sequence number."""
        with self._lock:
            start = max(0, since - self._dropped)
            return list(self._entries[start:]), self._dropped + len(self._entries)

    def clear(self):
        with self._lock:
            self._dropped += len(self._entries)
            self._entries.clear()
