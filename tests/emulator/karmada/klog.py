"""klog output in the two formats Karmada components use: text (Helm, karmadactl) and JSON (local-up)."""

from __future__ import annotations

import json
import os


def _text_value(value):
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_line(moment, severity, source, message, fmt="text", err=None, verbosity=0, pid=1, **fields):
    """One structured log line. severity: I, W, E. source: 'file.go:123'."""
    if fmt == "json":
        record = {"ts": round(moment.timestamp() * 1000, 3), "caller": source, "msg": message}
        if severity == "I":
            record["v"] = verbosity
        if err is not None:
            record["err"] = err
        record.update(fields)
        return json.dumps(record, separators=(",", ":"))
    header = f"{severity}{moment:%m%d %H:%M:%S.%f} {pid:>7} {source}] "
    body = json.dumps(message)
    parts = [body]
    if err is not None:
        parts.append(f"err={json.dumps(err)}")
    parts.extend(f"{key}={_text_value(value)}" for key, value in fields.items())
    return header + " ".join(parts)


def format_printf(moment, severity, source, text, fmt="text", verbosity=0, pid=1):
    """An unstructured (printf-style) klog line."""
    if fmt == "json":
        record = {"ts": round(moment.timestamp() * 1000, 3), "caller": source, "msg": text}
        if severity == "I":
            record["v"] = verbosity
        return json.dumps(record, separators=(",", ":"))
    return f"{severity}{moment:%m%d %H:%M:%S.%f} {pid:>7} {source}] {text}"


PID = os.getpid() % 100 or 1
