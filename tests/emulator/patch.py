"""The three patch flavours of the Kubernetes API: JSON merge, strategic merge and JSON patch.

JSON patch errors use the wording of evanphx/json-patch v5, which Karmada's override manager
uses too, so that a broken OverridePolicy produces the same text here as in a real cluster.
"""

from __future__ import annotations

import copy

# List fields that strategic merge patch merges element-wise, by this key (subset of the real schema).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name",
    "conditions": "type", "tolerations": "key", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
}


class PatchError(Exception):
    """A patch that cannot be applied; the message is what a real server reports."""


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch, field_name=None):
    """Strategic merge patch: merge patch plus keyed list merging and the ``$patch`` directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name) or [] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(result.get(key), list):
            result[key] = _merge_keyed_list(result[key], value, MERGE_KEYS[key])
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_keyed_list(current, patch_items, merge_key):
    result = copy.deepcopy(current)
    for item in patch_items:
        if not isinstance(item, dict) or merge_key not in item:
            result.append(copy.deepcopy(item))
            continue
        index = next((i for i, existing in enumerate(result)
                      if isinstance(existing, dict) and existing.get(merge_key) == item[merge_key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append({k: v for k, v in copy.deepcopy(item).items() if k != "$patch"})
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def _split_pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must be empty or start with a \"/\": {path}")
    return [_unescape(t) for t in path[1:].split("/")]


def _container_for(doc, tokens):
    """The parent container of the pointer's last token, or None when a step is missing."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                return None
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    return node


def _get(doc, path):
    tokens = _split_pointer(path)
    if not tokens:
        return doc
    parent = _container_for(doc, tokens)
    key = tokens[-1]
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    if isinstance(parent, list):
        try:
            return parent[int(key)]
        except (ValueError, IndexError):
            pass
    raise KeyError(path)


def json_patch(doc, operations):
    """Apply RFC 6902 operations; errors read like evanphx/json-patch v5."""
    if not isinstance(operations, list):
        raise PatchError("invalid JSON patch: the patch must be an array of operations")
    result = copy.deepcopy(doc)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise PatchError("Unexpected kind: <nil>")
        op, path = operation["op"], operation.get("path", "")
        if op == "add":
            result = _add(result, path, copy.deepcopy(operation.get("value")))
        elif op == "remove":
            result = _remove(result, path)
        elif op == "replace":
            result = _replace(result, path, copy.deepcopy(operation.get("value")))
        elif op in ("move", "copy"):
            source = operation.get("from", "")
            try:
                value = copy.deepcopy(_get(result, source))
            except KeyError:
                raise PatchError(f"{op} operation does not apply: doc is missing from path: {source}: "
                                 "missing value") from None
            if op == "move":
                result = _remove(result, source)
            result = _add(result, path, value)
        elif op == "test":
            try:
                actual = _get(result, path)
            except KeyError:
                actual = None
            if actual != operation.get("value"):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {op}")
    return result


def _add(doc, path, value):
    tokens = _split_pointer(path)
    if not tokens:
        return value
    parent = _container_for(doc, tokens)
    key = tokens[-1]
    if isinstance(parent, dict):
        parent[key] = value
        return doc
    if isinstance(parent, list):
        if key == "-":
            parent.append(value)
            return doc
        try:
            index = int(key)
        except ValueError:
            index = -1
        if 0 <= index <= len(parent):
            parent.insert(index, value)
            return doc
        raise PatchError(f"add operation does not apply: doc is missing path: \"{path}\": missing value")
    raise PatchError(f"add operation does not apply: doc is missing path: \"{path}\": missing value")


def _remove(doc, path):
    tokens = _split_pointer(path)
    parent = _container_for(doc, tokens) if tokens else None
    key = tokens[-1] if tokens else ""
    if isinstance(parent, dict):
        if key in parent:
            del parent[key]
            return doc
        raise PatchError(f"error in remove for path: '{path}': unable to remove nonexistent key: {key}: "
                         "missing value")
    if isinstance(parent, list):
        try:
            parent.pop(int(key))
            return doc
        except (ValueError, IndexError):
            pass
    raise PatchError(f"remove operation does not apply: doc is missing path: \"{path}\": missing value")


def _replace(doc, path, value):
    tokens = _split_pointer(path)
    if not tokens:
        return value
    parent = _container_for(doc, tokens)
    key = tokens[-1]
    if isinstance(parent, dict):
        if key in parent:
            parent[key] = value
            return doc
        raise PatchError(f"replace operation does not apply: doc is missing key: {path}: missing value")
    if isinstance(parent, list):
        try:
            parent[int(key)] = value
            return doc
        except (ValueError, IndexError):
            pass
    raise PatchError(f"replace operation does not apply: doc is missing path: {path}: missing value")
