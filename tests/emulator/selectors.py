"""Label and field selectors with the grammar and errors of the real API server."""

from __future__ import annotations

import re

from .errors import bad_request

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"


def _split_top_level(text):
    """Split on commas that are not inside a ``(...)`` value set."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(rf"^({_KEY})\s+(in|notin)\s*\((.*)\)$")
_CMP_RE = re.compile(rf"^({_KEY})\s*(==|!=|=)\s*(.*)$")
_EXISTS_RE = re.compile(rf"^(!?)\s*({_KEY})$")


def parse_label_selector(text):
    """Return a list of (key, op, values) requirements; raise 400 on bad syntax."""
    requirements = []
    for part in _split_top_level(text or ""):
        match = _SET_RE.match(part)
        if match:
            values = {v.strip() for v in match.group(4).split(",") if v.strip()}
            requirements.append((match.group(1), match.group(3), values))
            continue
        match = _CMP_RE.match(part)
        if match:
            op = "!=" if match.group(3) == "!=" else "="
            requirements.append((match.group(1), op, {match.group(4).strip()}))
            continue
        match = _EXISTS_RE.match(part)
        if match:
            requirements.append((match.group(2), "!" if match.group(1) else "exists", set()))
            continue
        raise bad_request(f'unable to parse requirement: found \'{part}\', expected: in, notin, =, ==, !=, '
                          'gt, lt')
    return requirements


def label_matches(requirements, labels):
    labels = labels or {}
    for key, op, values in requirements:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
        if op == "=" and (not present or labels[key] not in values):
            return False
        if op == "!=" and present and labels[key] in values:
            return False
        if op == "in" and (not present or labels[key] not in values):
            return False
        if op == "notin" and present and labels[key] in values:
            return False
    return True


def parse_field_selector(text, rtype):
    """Return (path, op, value) triples; unsupported field labels are a 400 as in the real API."""
    supported = {"metadata.name": "metadata.name"}
    if rtype.namespaced:
        supported["metadata.namespace"] = "metadata.namespace"
    supported.update(rtype.field_labels)
    result = []
    for part in _split_top_level(text or ""):
        match = re.match(r"^([^=!]+?)\s*(==|!=|=)\s*(.*)$", part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        key, op, value = match.group(1).strip(), match.group(2), match.group(3).strip()
        if key not in supported:
            raise bad_request(f"field label not supported: {key}")
        result.append((supported[key], "!=" if op == "!=" else "=", value))
    return result


def field_value(obj, path):
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_matches(requirements, obj):
    for path, op, value in requirements:
        actual = field_value(obj, path)
        if (actual == value) != (op == "="):
            return False
    return True
