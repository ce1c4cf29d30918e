# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing karmada-controller-manager log lines: klog text, klog JSON, and anything else.

Helm, karmadactl and the operator run the controller-manager with klog's text format;
hack/local-up-karmada.sh uses ``--logging-format=json``. Both carry structured lines (``ErrorS``:
a quoted message, then ``err=`` and other key/values) and printf lines (``Errorf``: one free-text
message, the error after ``Error: ``, ``error: `` or ``err is: ``). ``kubectl logs --timestamps``
(and the pods/log API with ``timestamps=true``) puts an RFC 3339 time in front; ``--prefix`` puts
``[pod/<name>/<container>] `` in front of that.

klog's text format writes a value that contains a line break over several lines (k8s.io/klog/v2
v2.130.1, the version Karmada v1.18.2's go.mod pins, internal/serialize/keyvalues.go
``writeStringValue``): ``key=<`` ends the line, each line of the value follows indented by a tab,
and a line `` >`` (a space, then ``>``) closes it, followed by the remaining `` key=value`` pairs.
An error that wraps a multi-line message (a webhook's denial, a YAML decoding error) is written that
way. ``MultilineJoiner`` puts such a record back together from the line stream; ``parse_line``
reads the value back.

The log scan runs this over up to a million lines, so the common path is a couple of precompiled
regular expressions and no ``json.loads`` unless the line is a JSON object.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from datetime import datetime, timedelta

from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    EXECUTION_SPACE_PREFIX,
    QUOTA_KIND,
    QUOTA_LOG_KEY,
    QUOTA_SOURCE_PREFIX,
    SHARED_WORK_WRITE_FILE,
    SHARED_WORK_WRITE_MESSAGE,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC, utcnow

FORMATS = ("text", "json", "raw")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_KUBECTL_PREFIX = re.compile(r"\[pod/[^\]\s]+\] ")
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
_TEXT_HEADER = re.compile(r"([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{1,9})\s+\d+ ([^\s\]]+)\] ")
_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
# Keys may contain a few spaces ("worker count=5" is how klog prints controller-runtime's key). A key
# starts after whitespace and has at most four words, so a hostile line cannot make the scan quadratic.
# A value is one of: a multi-line value as MultilineJoiner rejoins it (``<``, a line break, tab-indented
# lines, `` >``; keyvalues.go writeStringValue), a Go-quoted string, a bare word, or nothing.
_PAIR = re.compile(r'(?<=\s)([^\s="]+(?: [^\s="]+){0,3})=(<\n(?:\t[^\n]*(?:\n|\Z))*(?: >)?|'
                   r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]\S*|(?=\s)|$)')
_GO_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)')
_GO_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
# The error part of a printf line: the first wrapper wins (the error itself may say "error: " again).
_PRINTF_ERROR = re.compile(r"(?:\b[Ee]rror: |\berr is: )")
_BINDING_WORDS = re.compile(r"binding|work|error|failed", re.IGNORECASE)
_PRINTF_BINDING = re.compile(r"\b(?:resource|cluster)(?:Binding|ResourceBinding)\(([^)\s]+)\)", re.IGNORECASE)
_EXECUTION_SPACE = re.compile(re.escape(EXECUTION_SPACE_PREFIX) + r"([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)")
_JSON_RESERVED = ("ts", "caller", "msg", "err")

# The ends of a line that opens a multi-line value (keyvalues.go writeStringValue: ``=<`` then a line break).
_MULTILINE_OPENERS = ("=<", "=<\n", "=<\r\n")
# A rejoined record keeps at most this many characters of its values' lines (a stack trace or a
# dumped object can run to thousands of lines); the rest is consumed and left out.
MAX_RECORD_CHARS = 16384
CUT_MARK = "... (cut)"

# How far a klog text time may lie ahead of the reference before it is taken for last year's
# (pod clocks drift a little; a whole day ahead means the line was written before New Year).
YEAR_SLACK = timedelta(days=1)


def _as_aware(moment):
    if moment is None:
        return utcnow()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def go_unquote(body):
    """The text of a Go-quoted string without its quotes (strconv.Quote escapes, as klog writes them)."""
    if "\\" not in body:
        return body
    return _GO_ESCAPE.sub(_unescape_one, body)


def _unescape_one(match):
    code = match.group(1)
    head = code[0]
    if head in "xuU" and len(code) > 1:
        value = int(code[1:], 16)
        return chr(value) if value <= 0x10FFFF else match.group(0)
    if head in "01234567" and len(code) == 3:
        return chr(int(code, 8))
    return _GO_SIMPLE.get(head, head)


def _fraction(digits):
    # klog prints microseconds; kubectl prints nanoseconds. datetime keeps microseconds.
    return int((digits or "0").ljust(6, "0")[:6])


def _rfc3339(match):
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), _fraction(frac),
                          tzinfo=UTC)
    except ValueError:
        return None
    if zone not in ("Z", "z"):
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        moment = moment - offset if zone[0] == "+" else moment + offset
    return moment


def klog_time(month, day, hour, minute, second, micro, now=None):
    """The aware UTC time of a klog text header, which has no year: the latest year that does not put
    the line more than YEAR_SLACK after ``now`` (so December lines read in January belong to last year).

    klog writes the process' local time; containers run in UTC, which is assumed here.
    """
    limit = _as_aware(now).astimezone(UTC) + YEAR_SLACK
    year = limit.year
    latest = (limit.month, limit.day, limit.hour, limit.minute, limit.second, limit.microsecond)
    if (month, day, hour, minute, second, micro) > latest:
        year -= 1
    # 29 February only exists in leap years: step back to the last one (a garbled header gives None).
    for candidate in range(year, year - 8, -1):
        try:
            return datetime(candidate, month, day, hour, minute, second, micro, tzinfo=UTC)
        except ValueError:
            if not (month == 2 and day == 29):
                return None
    return None


def _multiline_value(value):
    """The text of a rejoined multi-line value: each line without its indenting tab, the `` >`` dropped."""
    return "\n".join(line[1:] for line in value[2:].split("\n") if line[:1] == "\t")


def _text_fields(rest):
    fields = {}
    err = None
    for key, value in _PAIR.findall(rest):
        if value[:2] == "<\n":
            value = _multiline_value(value)
        elif value[:1] == '"':
            value = value[1:-1]
            if "\\" in value:
                value = go_unquote(value)
        if key == "err":
            err = value
        else:
            fields[key] = value
    return err, fields


def printf_error(message):
    """The error of a printf-style message (``... Error: <err>``), or None."""
    match = _PRINTF_ERROR.search(message)
    if not match:
        return None
    err = message[match.end():].strip()
    # "Failed to transform resourceBinding(%s/%s) to works. Error: %v." (<= v1.14) ends with a period.
    if err.endswith(".") and not err.endswith(".."):
        err = err[:-1]
    return err or None


def _result(fmt, severity, moment, source, message, err, fields, raw):
    return {"format": fmt, "severity": severity, "time": moment, "source": source, "message": message,
            "err": err, "fields": fields, "raw": raw}


def _parse_json(body, raw, stamp):
    try:
        record = json.loads(body)
    except ValueError:
        return None
    if not isinstance(record, dict) or "msg" not in record:
        return None
    moment = None
    ts = record.get("ts")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        try:
            moment = EPOCH + timedelta(milliseconds=ts)
        except (OverflowError, ValueError):  # out of range, or NaN (json.loads accepts it)
            pass
    if moment is None and stamp is not None:
        moment = _rfc3339(stamp)
    message = record.get("msg")
    message = message if isinstance(message, str) else json.dumps(message)
    err = record.get("err")
    if err is not None and not isinstance(err, str):
        err = json.dumps(err)
    # component-base's JSON logger has no severity: info lines carry a verbosity "v", errors do not.
    severity = "I" if "v" in record else "E"
    if err is None and severity == "E":
        err = printf_error(message)
    fields = {k: v for k, v in record.items() if k not in _JSON_RESERVED}
    caller = record.get("caller")
    return _result("json", severity, moment, caller if isinstance(caller, str) else None, message, err, fields,
                   raw)


def _body_start(raw):
    """(where the container's own text starts, the ``--timestamps`` match or None) past kubectl's prefixes."""
    pos = 0
    if raw.startswith("[pod/"):
        match = _KUBECTL_PREFIX.match(raw)
        if match:
            pos = match.end()
    stamp = None
    if raw[pos:pos + 1].isdigit():
        match = _RFC3339.match(raw, pos)
        if match and raw[match.end():match.end() + 1] == " ":
            stamp = match  # turned into a datetime only when the line has no time of its own
            pos = match.end() + 1
    return pos, stamp


class MultilineJoiner:
    """Rejoin klog text records whose values span several lines, from a stream of lines.

    ``records(lines)`` yields one string per record: a line as it came, or a line ending in ``=<``
    with its value's lines appended as klog wrote them (``\\n\\t<line>`` each, then ``\\n >`` and the
    rest of the record), which ``parse_line`` reads back. A value's lines are recognised by their
    tab and the close by `` >`` (keyvalues.go writeStringValue); with ``kubectl logs --timestamps``
    or ``--prefix`` every line carries its own prefix, which is dropped from the continuation lines.
    A line that is neither ends the record early (a truncated log) and is then read on its own.

    Bounded: a record keeps at most ``max_chars`` characters of continuation text. ``lines`` is the
    number of physical lines read, kept up to date even when the stream breaks part way.
    """

    def __init__(self, max_chars=MAX_RECORD_CHARS):
        self.max_chars = max_chars
        self.lines = 0

    def records(self, lines):
        count = 0
        parts = None      # the record being joined: its lines, or None
        size = 0
        try:
            for line in lines:
                count += 1
                if parts is not None:
                    raw = line.rstrip("\r\n")
                    body = raw[_body_start(raw)[0]:]
                    if body[:1] == "\t":
                        if size + len(body) <= self.max_chars:
                            parts.append(body)
                            size += len(body) + 1
                        elif parts[-1] != "\t" + CUT_MARK:
                            parts.append("\t" + CUT_MARK)
                            size = self.max_chars + 1
                        continue
                    if body[:2] == " >":
                        parts.append(body)
                        if not body.endswith("=<"):   # another multi-line value may follow
                            yield "\n".join(parts)
                            parts = None
                        continue
                    yield "\n".join(parts)
                    parts = None
                if line.endswith(_MULTILINE_OPENERS):
                    parts, size = [line.rstrip("\r\n")], 0
                    continue
                yield line
            if parts is not None:
                yield "\n".join(parts)
        finally:
            self.lines = count


def parse_line(line, now=None):
    """Parse one log line into a dict.

    Keys: ``format`` (text|json|raw), ``severity`` (I|W|E|F or None), ``time`` (aware UTC datetime or
    None), ``source`` (``file.go:123`` or None), ``message``, ``err`` (str or None), ``fields`` (the
    other key/values), ``raw`` (the line as given, without its line ending). ``now`` resolves the
    year of klog text times (default: the current time); a ``kubectl logs --timestamps`` time, when
    present, is used instead as the reference, and as the time of lines that have none of their own.
    """
    raw = line.rstrip("\r\n")
    pos, stamp = _body_start(raw)
    head = raw[pos:pos + 1]
    if head == "{":
        parsed = _parse_json(raw[pos:], raw, stamp)
        if parsed is not None:
            return parsed
    elif head in ("I", "W", "E", "F"):
        match = _TEXT_HEADER.match(raw, pos)
        if match:
            return _parse_text(match, raw, (stamp and _rfc3339(stamp)) or now)
    return _result("raw", None, stamp and _rfc3339(stamp), None, raw[pos:], None, {}, raw)


def _parse_text(match, raw, reference):
    severity, month, day, hour, minute, second, frac, source = match.groups()
    moment = klog_time(int(month), int(day), int(hour), int(minute), int(second), _fraction(frac), reference)
    body = raw[match.end():]
    if body.startswith('"'):
        quoted = _QUOTED.match(body)
        if quoted:
            err, fields = _text_fields(body[quoted.end():])
            return _result("text", severity, moment, source, go_unquote(quoted.group(1)), err, fields, raw)
    err = printf_error(body) if severity in ("E", "F", "W") else None
    return _result("text", severity, moment, source, body, err, {}, raw)


def error_text(parsed):
    """The text to classify for causes: the error if the line has one, else its message."""
    return parsed.get("err") or parsed.get("message") or ""


def is_error(parsed):
    """An error line: severity E/F, or any line that carries an error."""
    return parsed.get("severity") in ("E", "F") or bool(parsed.get("err"))


def is_quota_line(parsed):
    """A line of the FederatedResourceQuota controllers (not about bindings; facts §1.4 for their events).

    Their source files are pkg/controllers/federatedresourcequota/federated_resource_quota_*.go at
    v1.18.2 (klog text shows the file name, the JSON ``caller`` the directory and file), and their
    structured lines carry the key ``federatedResourceQuota``. Their Work writes go through
    ctrlutil/work.go, whose ``Failed to create/update work`` line does not say whose Work it is.
    """
    source = parsed.get("source") or ""
    if source.startswith(QUOTA_SOURCE_PREFIX) or "/" + QUOTA_SOURCE_PREFIX in source:
        return True
    fields = parsed.get("fields") or {}
    # controller-runtime's "Reconciler error" (internal/controller/controller.go) names the object by its
    # kind as key, next to controllerKind.
    return QUOTA_LOG_KEY in fields or QUOTA_KIND in fields or fields.get("controllerKind") == QUOTA_KIND


def is_shared_work_write_line(parsed):
    """ctrlutil's line for a failed Work write: every caller logs the same error again on its own line,
    which says whose Work it was, so this one adds nothing and would count a quota's Work as a binding's."""
    source = (parsed.get("source") or "").split(":")[0]
    return (source == SHARED_WORK_WRITE_FILE or source.endswith("/" + SHARED_WORK_WRITE_FILE)) and \
        (parsed.get("message") or "").startswith(SHARED_WORK_WRITE_MESSAGE)


def is_binding_related(parsed):
    """The runbook's step 3 filter, grep -i 'binding\\|work\\|error\\|failed', on the whole line."""
    text = parsed if isinstance(parsed, str) else parsed.get("raw") or ""
    return bool(_BINDING_WORDS.search(text))


def binding_of(parsed):
    """The binding a line is about, as ``namespace/name`` (ResourceBinding) or ``name`` (cluster-scoped)."""
    fields = parsed.get("fields") or {}
    for key in ("ResourceBinding", "ClusterResourceBinding"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value.strip("/")
    binding = fields.get("binding")
    if isinstance(binding, str) and binding:
        if "/" in binding:
            return binding
        namespace = fields.get("namespace")
        return f"{namespace}/{binding}" if isinstance(namespace, str) and namespace else binding
    match = _PRINTF_BINDING.search(parsed.get("message") or "")
    return match.group(1) if match else None


def clusters_of(parsed):
    """Member clusters a line names: its ``cluster`` key and every ``karmada-es-<cluster>`` it mentions."""
    found = set()
    cluster = (parsed.get("fields") or {}).get("cluster")
    if isinstance(cluster, str) and cluster:
        found.add(cluster)
    for text in (parsed.get("message"), parsed.get("err")):
        if text and EXECUTION_SPACE_PREFIX in text:
            found.update(_EXECUTION_SPACE.findall(text))
    return sorted(found)
