"""A tiny controller runtime: a delaying work queue of keys and one worker thread per controller."""

from __future__ import annotations

import heapq
import threading
import time
import traceback


class Controller:
    """reconcile(key) returns None when done or a delay in seconds to look again."""

    def __init__(self, name, reconcile):
        self.name = name
        self.reconcile = reconcile
        self._heap = []
        self._due = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = None

    def enqueue(self, key, after=0.0):
        when = time.monotonic() + after
        with self._cond:
            current = self._due.get(key)
            if current is not None and current <= when:
                return
            self._due[key] = when
            heapq.heappush(self._heap, (when, key))
            self._cond.notify()

    def pending(self):
        """Keys waiting, whether due now or backing off."""
        with self._cond:
            return len(self._due)

    def ready(self):
        """Keys due now and not yet picked up: what a workqueue reports as its depth."""
        now = time.monotonic()
        with self._cond:
            return sum(1 for when in self._due.values() if when <= now)

    def ready_keys(self):
        """The keys ``ready`` counts."""
        now = time.monotonic()
        with self._cond:
            return [key for key, when in self._due.items() if when <= now]

    def delay_of(self, key):
        with self._cond:
            when = self._due.get(key)
        return None if when is None else max(0.0, when - time.monotonic())

    def reschedule(self, key, after):
        """Replace a key's due time (unlike enqueue, which only ever brings it forward)."""
        with self._cond:
            self._due[key] = time.monotonic() + after
            heapq.heappush(self._heap, (self._due[key], key))
            self._cond.notify()

    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"controller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def _next(self):
        with self._cond:
            while not self._stop.is_set():
                while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
                    heapq.heappop(self._heap)          # superseded entry
                if self._heap:
                    when, key = self._heap[0]
                    wait = when - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._heap)
                        del self._due[key]
                        return key
                    self._cond.wait(min(wait, 0.5))
                else:
                    self._cond.wait(0.5)
        return None

    def _run(self):
        while not self._stop.is_set():
            key = self._next()
            if key is None:
                return
            try:
                delay = self.reconcile(key)
            except Exception:  # noqa: BLE001 - a controller logs and retries, never dies
                traceback.print_exc()
                delay = 1.0
            if delay is not None:
                self.enqueue(key, delay)
