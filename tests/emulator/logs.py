"""Container logs as kubelet keeps them: per container, current and previous instance."""

from __future__ import annotations

import bisect
import datetime as _dt
import threading

from . import clock


class ContainerLog:
    __slots__ = ("times", "lines")

    def __init__(self):
        self.times = []    # epoch seconds, non-decreasing
        self.lines = []


class LogBook:
    def __init__(self):
        self._logs = {}                 # (namespace, pod, container, previous) -> ContainerLog
        self._changed = threading.Condition()

    def append(self, namespace, pod, container, line, when=None, previous=False):
        moment = when or clock.now()
        with self._changed:
            log = self._logs.setdefault((namespace, pod, container, previous), ContainerLog())
            stamp = moment.timestamp()
            if log.times and stamp < log.times[-1]:
                stamp = log.times[-1]
            log.times.append(stamp)
            log.lines.append(line)
            self._changed.notify_all()

    def extend(self, namespace, pod, container, stamped_lines, previous=False):
        """Bulk append of (epoch seconds, line) pairs already in time order."""
        with self._changed:
            log = self._logs.setdefault((namespace, pod, container, previous), ContainerLog())
            for stamp, line in stamped_lines:
                log.times.append(stamp)
                log.lines.append(line)
            self._changed.notify_all()

    def has(self, namespace, pod, container, previous=False):
        return (namespace, pod, container, previous) in self._logs

    def line_count(self, namespace, pod, container, previous=False):
        log = self._logs.get((namespace, pod, container, previous))
        return len(log.lines) if log else 0

    def rotate(self, namespace, pod, container):
        """The container restarted: its log becomes the previous instance's."""
        with self._changed:
            current = self._logs.pop((namespace, pod, container, False), None)
            if current is not None:
                self._logs[(namespace, pod, container, True)] = current

    def forget_pod(self, namespace, pod):
        with self._changed:
            for key in [k for k in self._logs if k[0] == namespace and k[1] == pod]:
                del self._logs[key]

    def read(self, namespace, pod, container, previous=False, since=None, tail=None, timestamps=False,
             limit_bytes=None, start_index=0):
        """Yield formatted lines as bytes (newline-terminated); returns when the stored log is exhausted."""
        log = self._logs.get((namespace, pod, container, previous))
        if log is None:
            return
        count = len(log.lines)
        start = start_index
        if since is not None:
            start = max(start, bisect.bisect_left(log.times, since.timestamp()))
        if tail is not None:
            start = max(start, count - tail)
        sent = 0
        for index in range(start, count):
            text = log.lines[index]
            # A line planted as bytes (a test's invalid UTF-8) goes out as it is.
            data = text if isinstance(text, bytes) else text.encode()
            if timestamps:
                moment = _dt.datetime.fromtimestamp(log.times[index], clock.UTC)
                data = clock.rfc3339_nano(moment).encode() + b" " + data
            chunk = data + b"\n"
            if limit_bytes is not None:
                room = limit_bytes - sent
                if room <= 0:
                    return
                chunk = chunk[:room]
            sent += len(chunk)
            yield chunk

    def wait_for_more(self, namespace, pod, container, seen, timeout):
        """Block until the container has more than ``seen`` lines or the timeout passes."""
        with self._changed:
            self._changed.wait_for(lambda: self.line_count(namespace, pod, container) > seen, timeout=timeout)
        return self.line_count(namespace, pod, container)
