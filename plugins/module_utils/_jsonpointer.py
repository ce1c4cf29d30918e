# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON pointers and single JSON-patch steps, checked the way Karmada's override manager applies them.

Karmada turns plaintext, field and image overriders into JSON-patch operations and applies them
with the json-patch library it vendors (github.com/evanphx/json-patch). The walker here follows
that library's rules -- ``replace`` and ``remove`` need the whole path, ``add`` needs the parent,
``-`` appends to an array, a negative index counts from the end -- and applies each step to the
document it is given, so that later steps see what earlier ones added. It is a checker that
explains failures, not a patch engine: values are never validated, and an error names the first
step of the path that does not exist.

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

OPERATIONS = ("add", "remove", "replace")

_INDEX = re.compile(r"^[+-]?[0-9]+$")


class PathError(Exception):
    """An overrider step that cannot be applied; ``text`` says why in words an SRE can act on."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


def split_pointer(path):
    """``/a/b~1c/0`` -> ``['a', 'b/c', '0']`` (RFC 6901 unescaping: ``~1`` then ``~0``).

    Raises PathError for a path that is not a JSON pointer (anything but "" must start with ``/``).
    """
    if path == "":
        return []
    if not isinstance(path, str) or not path.startswith("/"):
        raise PathError("path %r is not a JSON pointer: it must start with /" % (path,))
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def join_pointer(tokens):
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens) or "/"


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _array_index(token, size, for_insert):
    """The position ``token`` names in an array of ``size`` items, or None when it names none.

    ``-`` is one past the end and only meaningful for an insert; negative numbers count from the end
    (Karmada's json-patch library allows that), and an insert may also target position ``size``.
    """
    if token == "-":
        return size if for_insert else None
    if not _INDEX.match(token):
        return None
    index = int(token)
    limit = size + 1 if for_insert else size
    if index < 0:
        index += limit
    return index if 0 <= index < limit else None


def _missing_step(container, tokens, depth):
    """Why tokens[depth] cannot be followed from ``container`` (reached via tokens[:depth])."""
    where = join_pointer(tokens[:depth])
    token = tokens[depth]
    if isinstance(container, dict):
        return "%s has no key %s" % (where, json.dumps(token))
    if isinstance(container, list):
        if token == "-":
            return "'-' (past the end of the array at %s) names no element" % where
        if not _INDEX.match(token):
            return "%s is an array and %r is not an index" % (where, token)
        return "%s has %d item(s), there is no index %s" % (where, len(container), token)
    return "%s is %s, not an object or array" % (where, type_name(container))


def walk(doc, tokens):
    """Follow ``tokens`` from ``doc``: (value, None) or (None, reason the path stops)."""
    current = doc
    for depth, token in enumerate(tokens):
        if isinstance(current, dict) and token in current:
            current = current[token]
            continue
        if isinstance(current, list):
            index = _array_index(token, len(current), False)
            if index is not None:
                current = current[index]
                continue
        return None, _missing_step(current, tokens, depth)
    return current, None


def resolve(doc, path):
    """(True, value) when the pointer ``path`` names a value in ``doc``, else (False, None)."""
    try:
        value, problem = walk(doc, split_pointer(path))
    except PathError:
        return False, None
    return problem is None, value


def apply_step(doc, operation, path, value=None, what="the object"):
    """Check one add/remove/replace on ``doc`` and, when it applies, make it.

    Returns the (possibly new) document; raises PathError naming the path, ``what`` (e.g.
    "Deployment default/nginx") and the first step that does not exist.
    """
    if operation not in OPERATIONS:
        raise PathError("unknown operator %r (expected add, remove or replace)" % (operation,))
    tokens = split_pointer(path)
    if not tokens:
        if operation == "remove":
            raise PathError("remove cannot delete the whole of %s (path is empty)" % what)
        return copy.deepcopy(value)
    parent, problem = walk(doc, tokens[:-1])
    if problem is not None and operation == "add":
        raise PathError("add needs the parent %s of path %s to exist in %s: %s"
                        % (join_pointer(tokens[:-1]), path, what, problem))
    key = tokens[-1]
    index = _array_index(key, len(parent), operation == "add") if isinstance(parent, list) else None
    if problem is None and isinstance(parent, dict) and (operation == "add" or key in parent):
        if operation == "remove":
            del parent[key]
        else:
            parent[key] = copy.deepcopy(value)
        return doc
    if problem is None and index is not None:
        if operation == "add":
            parent.insert(index, copy.deepcopy(value))
        elif operation == "replace":
            parent[index] = copy.deepcopy(value)
        else:
            del parent[index]
        return doc
    if problem is None and isinstance(parent, list) and key == "-":
        raise PathError("path %s ends in '-', which only add can use (it appends to the array %s of %s)"
                        % (path, join_pointer(tokens[:-1]), what))
    raise PathError("path %s does not exist in %s: %s"
                    % (path, what, problem or _missing_step(parent, tokens, len(tokens) - 1)))
