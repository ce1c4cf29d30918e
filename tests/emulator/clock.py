"""Time as the emulated servers see it, in the formats the Kubernetes API uses."""

from __future__ import annotations

import contextlib
import datetime as _dt

UTC = _dt.UTC


_OFFSET = [_dt.timedelta()]          # one process-wide emulated clock


def now():
    return _dt.datetime.now(UTC) + _OFFSET[0]


@contextlib.contextmanager
def shifted(seconds):
    """Run a block as if it happened ``seconds`` ago (seeding a scenario's past)."""
    previous = _OFFSET[0]
    _OFFSET[0] = previous - _dt.timedelta(seconds=seconds)
    try:
        yield
    finally:
        _OFFSET[0] = previous


def rfc3339(moment=None):
    """Second precision, as in metadata.creationTimestamp and Event timestamps."""
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(moment=None):
    """Microsecond precision, as in Event.eventTime and Lease renewTime."""
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_nano(moment):
    """Nanosecond layout kubelet uses for ``kubectl logs --timestamps``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def parse(text):
    """Parse an RFC 3339 timestamp (any fraction, ``Z`` or an offset); None when empty."""
    if not text:
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, rest = value.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        value = f"{head}.{(digits + '000000')[:6]}{zone}"
    parsed = _dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def short_duration(seconds):
    """kubectl's compact age: 45s, 3m12s, 5h, 2d."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    return f"{days}d" if days < 365 * 2 else f"{days // 365}y"


def age(timestamp):
    created = parse(timestamp)
    return short_duration((now() - created).total_seconds()) if created else "<unknown>"
