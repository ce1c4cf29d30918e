# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dry-running every overrider kind of a rule against a copy of the resource template.

Karmada applies one rule's overriders in a fixed order (image, command, args, labels, annotations,
field, plaintext) to the template before it writes a cluster's Work; a step whose path is not in
the template fails that cluster's sync. ``dry_run`` walks a chain of rules (in the order
``_selectors.applicable_rules`` gives) over a copy of the template the same way, applying each
step that works so later steps see its result, and reports every step that does not.

Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None
    HAS_YAML = False

from ansible_collections.karmada.runbooks.plugins.module_utils._jsonpointer import PathError, apply_step, join_pointer, resolve, type_name, walk

# The order in which one rule's overriders are applied (overridemanager applyPolicyOverriders).
OVERRIDER_ORDER = ("imageOverrider", "commandOverrider", "argsOverrider", "labelsOverrider",
                   "annotationsOverrider", "fieldOverrider", "plaintext")

# Where the pod spec sits in the kinds Karmada's image/command/args overriders know; other kinds are
# left alone by those overriders.
POD_SPEC_PATHS = {"Pod": ("spec",), "ReplicaSet": ("spec", "template", "spec"),
                  "Deployment": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
                  "StatefulSet": ("spec", "template", "spec"), "Job": ("spec", "template", "spec")}

IMAGE_COMPONENTS = ("Registry", "Repository", "Tag")

# An image reference as container runtimes parse it: [host[:port]/]path[:tag][@digest], lower-case
# path components (distribution/reference grammar, written out again here).
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" % (_HOST_PART, _HOST_PART)
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(r"^(?:%s/)?%s(?:/%s)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
                    r":[0-9a-fA-F]{32,})?$" % (_HOST, _PATH_PART, _PATH_PART))


def image_is_valid(image):
    return isinstance(image, str) and len(image) <= 4096 and bool(_IMAGE.match(image))


def _problem(overrider, index, path, operation, error, sub_path=None):
    item = {"overrider": overrider, "index": index, "path": path, "operation": operation, "error": error}
    if sub_path is not None:
        item["sub_path"] = sub_path
    return item


def _containers(doc, kind):
    """(pointer of the containers list, list or None, problem text or None) for a workload kind."""
    base = POD_SPEC_PATHS.get(kind)
    if base is None:
        return None, None, None
    tokens = list(base) + ["containers"]
    value, problem = walk(doc, tokens)
    if problem is not None or value is None:
        return join_pointer(tokens), None, None
    if not isinstance(value, list):
        return join_pointer(tokens), None, "%s is %s, not a list of containers" % (join_pointer(tokens), type_name(value))
    return join_pointer(tokens), value, None


def _image_targets(doc, item, what, kind):
    """[(path, current value)] an image overrider rewrites, or a problem text when it cannot find them."""
    predicate = item.get("predicate")
    if predicate is None:
        pointer, containers, problem = _containers(doc, kind)
        if problem:
            return None, pointer, "%s in %s" % (problem, what)
        return [("%s/%d/image" % (pointer, i), c.get("image") if isinstance(c, dict) else None)
                for i, c in enumerate(containers or [])], pointer, None
    path = predicate.get("path") or ""
    if not path.startswith("/"):
        return None, path, "the image predicate path %r must start with /" % path
    found, image = resolve(doc, path)
    if not found:
        return None, path, "image path %s does not exist in %s" % (path, what)
    return [(path, image)], path, None


def _check_image(doc, items, what, kind):
    problems = []
    for index, item in enumerate(items or []):
        operation = item.get("operator")
        targets, path, problem = _image_targets(doc, item, what, kind)
        if problem:
            problems.append(_problem("imageOverrider", index, path, operation, problem))
            continue
        for target, image in targets:
            if not isinstance(image, str):
                problem = "the value at %s in %s is %s, not an image" % (target, what, type_name(image))
            elif not image_is_valid(image):
                problem = "the image %r at %s in %s is not a valid image reference" % (image, target, what)
            elif item.get("component") not in IMAGE_COMPONENTS:
                problem = "unsupported image component %r (expected Registry, Repository or Tag)" % (
                    item.get("component"),)
            else:
                continue
            # One problem per overrider: the first container that fails is where Karmada stops.
            problems.append(_problem("imageOverrider", index, target, operation, problem))
            break
    return problems


def _check_command_args(doc, items, what, kind, field):
    overrider = "commandOverrider" if field == "command" else "argsOverrider"
    problems = []
    for index, item in enumerate(items or []):
        pointer, containers, problem = _containers(doc, kind)
        if problem:
            problems.append(_problem(overrider, index, pointer, item.get("operator"), "%s in %s" % (problem, what)))
            continue
        for container in containers or []:
            if not isinstance(container, dict) or container.get("name") != item.get("containerName"):
                continue
            current = [str(v) for v in container.get(field) or []]
            values = [str(v) for v in item.get("value") or []]
            if item.get("operator") == "add":
                container[field] = current + values
            elif item.get("operator") == "remove":
                container[field] = [v for v in current if v not in values]
    return problems


def _apply_label_map(doc, items, field):
    """labelsOverrider / annotationsOverrider never fail: replace/remove skip absent keys, add creates the map."""
    meta = doc.setdefault("metadata", {}) if isinstance(doc, dict) else {}
    for item in items or []:
        operation = item.get("operator")
        for key, value in (item.get("value") or {}).items():
            current = meta.get(field)
            if operation == "add":
                if not isinstance(current, dict):
                    meta[field] = current = {}
                current[key] = value
            elif isinstance(current, dict) and key in current:
                if operation == "replace":
                    current[key] = value
                elif operation == "remove":
                    del current[key]
    return []


def _embedded_document(doc, item, what):
    """The document a fieldOverrider edits: the JSON or YAML string at its fieldPath, parsed."""
    path = item.get("fieldPath") or ""
    language = "YAML" if item.get("yaml") else "JSON"
    if path and not path.startswith("/"):
        raise PathError("the field path %r must start with /" % path)
    found, text = resolve(doc, path)
    if not found:
        raise PathError("field path %s does not exist in %s" % (path, what))
    if not isinstance(text, str):
        raise PathError("the value at %s in %s is %s; fieldOverrider needs a string holding %s"
                        % (path, what, type_name(text), language))
    if language == "YAML" and not HAS_YAML:
        raise PathError("PyYAML is not installed on the controller: the YAML at %s cannot be checked" % path)
    try:
        return yaml.safe_load(text) if language == "YAML" else json.loads(text)
    except Exception:  # pylint: disable=broad-except
        # The parser's own message points into the string; what the SRE needs is which field.
        raise PathError("the string at %s in %s is not valid %s" % (path, what, language)) from None


def _check_field(doc, items, what):
    problems = []
    for index, item in enumerate(items or []):
        path = item.get("fieldPath") or ""
        try:
            embedded = _embedded_document(doc, item, what)
        except PathError as exc:
            problems.append(_problem("fieldOverrider", index, path, None, exc.text))
            continue
        inner = "the %s held at %s of %s" % ("YAML" if item.get("yaml") else "JSON", path, what)
        failed = False
        for operation in item.get("yaml") or item.get("json") or []:
            sub_path = operation.get("subPath") or ""
            try:
                embedded = apply_step(embedded, operation.get("operator"), sub_path, operation.get("value"), inner)
            except PathError as exc:
                failed = True
                problems.append(_problem("fieldOverrider", index, path, operation.get("operator"), exc.text,
                                         sub_path=sub_path))
        if not failed:
            # Later overriders see the edited string, as they do in Karmada.
            apply_step(doc, "replace", path, json.dumps(embedded), what)
    return problems


def _check_plaintext(doc, items, what):
    problems = []
    for index, item in enumerate(items or []):
        try:
            doc = apply_step(doc, item.get("operator"), item.get("path"), item.get("value"), what)
        except PathError as exc:
            problems.append(_problem("plaintext", index, item.get("path"), item.get("operator"), exc.text))
    return doc, problems


def dry_run(template, chain, what):
    """Walk ``chain`` ([(policy, rule index, overriders)], in application order) over a copy of the
    template. Returns [(policy, rule index, problem)] for every step that cannot be applied.

    Karmada stops at the first failure; this goes on (skipping the failed step) so one run lists
    every broken overrider, not only the first an SRE would otherwise fix and rediscover.
    """
    doc = copy.deepcopy(template)
    kind = template.get("kind")
    found = []
    for policy, rule, overriders in chain:
        problems = []
        problems += _check_image(doc, overriders.get("imageOverrider"), what, kind)
        problems += _check_command_args(doc, overriders.get("commandOverrider"), what, kind, "command")
        problems += _check_command_args(doc, overriders.get("argsOverrider"), what, kind, "args")
        problems += _apply_label_map(doc, overriders.get("labelsOverrider"), "labels")
        problems += _apply_label_map(doc, overriders.get("annotationsOverrider"), "annotations")
        problems += _check_field(doc, overriders.get("fieldOverrider"), what)
        doc, plaintext_problems = _check_plaintext(doc, overriders.get("plaintext"), what)
        problems += plaintext_problems
        found.extend((policy, rule, p) for p in problems)
    return found
