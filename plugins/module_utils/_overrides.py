# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Override policies (runbook step 6): which policy applies to which template on which cluster, and
whether its overriders can be applied at all.

Karmada applies overriders to the resource template right before it writes the Work of each target
cluster; an overrider whose path is not in the template fails that cluster's sync with a json-patch
error. The runbook only says "list the policies". This module answers what the override manager
would: it matches resource selectors and target clusters the way Karmada does, orders the policies
as Karmada applies them (ClusterOverridePolicies, then the template namespace's OverridePolicies;
match-all before label match before name match, then by name), and walks every overrider's paths
over a copy of the template.

The path walker follows the rules of the json-patch library Karmada uses -- ``replace`` and
``remove`` need the whole path, ``add`` needs the parent, ``-`` appends to an array, a negative
index counts from the end -- and applies each step to its copy so that later steps see what earlier
ones added. It is a checker that explains failures, not a patch engine: values are never validated.
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

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import format_time
from ansible_collections.karmada.runbooks.plugins.module_utils._bindings import binding_ref, target_clusters
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import classify
from ansible_collections.karmada.runbooks.plugins.module_utils._events import binding_of_event, event_time, first_time
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import resource_path
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal

OP_KIND = "OverridePolicy"
COP_KIND = "ClusterOverridePolicy"

# ResourceSelector match strength (Karmada util.ImplicitPriority): a policy that names the template
# is applied last, so its values win over label-selector and match-all policies.
MISMATCH, MATCH_ALL, MATCH_LABELS, MATCH_NAME = 0, 1, 2, 3

# The order in which one rule's overriders are applied (overridemanager applyPolicyOverriders).
OVERRIDER_ORDER = ("imageOverrider", "commandOverrider", "argsOverrider", "labelsOverrider",
                   "annotationsOverrider", "fieldOverrider", "plaintext")

# Where the pod spec sits in the kinds Karmada's image/command/args overriders know; other kinds are
# left alone by those overriders.
POD_SPEC_PATHS = {"Pod": ("spec",), "ReplicaSet": ("spec", "template", "spec"),
                  "Deployment": ("spec", "template", "spec"), "DaemonSet": ("spec", "template", "spec"),
                  "StatefulSet": ("spec", "template", "spec"), "Job": ("spec", "template", "spec")}

IMAGE_COMPONENTS = ("Registry", "Repository", "Tag")
OPERATIONS = ("add", "remove", "replace")

# Above this many templates of one kind in one namespace, one list is cheaper than a GET each.
TEMPLATE_GET_LIMIT = 5
MAX_EVIDENCE = 20
MAX_LISTED = 50

_INDEX = re.compile(r"^[+-]?[0-9]+$")

# An image reference as container runtimes parse it: [host[:port]/]path[:tag][@digest], lower-case
# path components (distribution/reference grammar, written out again here).
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" % (_HOST_PART, _HOST_PART)
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(r"^(?:%s/)?%s(?:/%s)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
                    r":[0-9a-fA-F]{32,})?$" % (_HOST, _PATH_PART, _PATH_PART))


class PathError(Exception):
    """An overrider step that cannot be applied; ``text`` says why in words an SRE can act on."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


# ---------------------------------------------------------------------------------------------
# JSON pointers


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


def _type_name(value):
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
    return "%s is %s, not an object or array" % (where, _type_name(container))


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


# ---------------------------------------------------------------------------------------------
# Selectors


def _requirement_matches(operator, present, value, values):
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return None


def label_selector_matches(selector, labels):
    """metav1.LabelSelector semantics; an invalid selector matches nothing, as in Karmada."""
    labels = labels or {}
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        matched = _requirement_matches(expression.get("operator"), key in labels, labels.get(key),
                                       expression.get("values") or [])
        if not matched:
            return False
    return True


def selector_priority(selector, resource):
    """How strongly one ResourceSelector matches ``resource`` (MISMATCH .. MATCH_NAME).

    ``resource``: {apiVersion, kind, namespace, name, labels}. ``labels`` None means "not known
    yet": a label selector is then taken to match, which is what planning which templates to fetch
    needs.
    """
    if selector.get("apiVersion") != resource.get("apiVersion") or selector.get("kind") != resource.get("kind"):
        return MISMATCH
    if selector.get("namespace") and selector["namespace"] != (resource.get("namespace") or ""):
        return MISMATCH
    if selector.get("name"):
        return MATCH_NAME if selector["name"] == resource.get("name") else MISMATCH
    if selector.get("labelSelector") is None:
        return MATCH_ALL
    if resource.get("labels") is None:
        return MATCH_LABELS
    return MATCH_LABELS if label_selector_matches(selector["labelSelector"], resource["labels"]) else MISMATCH


def policy_priority(policy, resource):
    """A policy's match strength for ``resource``; no selectors at all match every resource."""
    kind, namespace, _name = policy_key(policy)
    if kind == OP_KIND and namespace != (resource.get("namespace") or ""):
        # An OverridePolicy only ever applies to templates of its own namespace.
        return MISMATCH
    selectors = (policy.get("spec") or {}).get("resourceSelectors") or []
    if not selectors:
        return MATCH_ALL
    return max(selector_priority(s, resource) for s in selectors)


def _field_requirement(expression, fields):
    key = expression.get("key")
    operator = expression.get("operator")
    values = expression.get("values") or []
    if operator in ("Gt", "Lt"):
        try:
            have, want = int(fields[key]), int(values[0])
        except (KeyError, IndexError, TypeError, ValueError):
            return False
        return have > want if operator == "Gt" else have < want
    return bool(_requirement_matches(operator, key in fields, fields.get(key), values))


def _zones_match(expression, zones):
    operator, values = expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return any(zone in values for zone in zones)
    if operator == "NotIn":
        return not any(zone in values for zone in zones)
    if operator == "Exists":
        return bool(zones)
    if operator == "DoesNotExist":
        return not zones
    return False


def cluster_matches(affinity, cluster):
    """Karmada ClusterAffinity semantics: exclude wins; label selector, field selector and names must
    all match where given; an empty affinity matches every cluster."""
    meta = cluster.get("metadata") or {}
    name = meta.get("name")
    if name in (affinity.get("exclude") or []):
        return False
    selector = affinity.get("labelSelector")
    if selector is not None and not label_selector_matches(selector, meta.get("labels")):
        return False
    spec = cluster.get("spec") or {}
    fields = {k: spec[k] for k in ("provider", "region") if spec.get(k)}
    for expression in (affinity.get("fieldSelector") or {}).get("matchExpressions") or []:
        if expression.get("key") == "zone":
            if not _zones_match(expression, spec.get("zones") or []):
                return False
        elif not _field_requirement(expression, fields):
            return False
    names = affinity.get("clusterNames") or []
    return not names or name in names


def policy_rules(policy):
    """[(rule index or None, targetCluster or None, overriders)] of a policy.

    ``spec.overrideRules`` when present, else the deprecated ``spec.targetCluster``/``spec.overriders``
    pair (index None); the webhook keeps the two forms from being mixed.
    """
    spec = policy.get("spec") or {}
    rules = spec.get("overrideRules") or []
    if rules:
        return [(i, r.get("targetCluster"), r.get("overriders") or {}) for i, r in enumerate(rules)]
    if spec.get("overriders"):
        return [(None, spec.get("targetCluster"), spec.get("overriders") or {})]
    return []


def policy_key(policy):
    meta = policy.get("metadata") or {}
    if policy.get("kind") == COP_KIND or not meta.get("namespace"):
        return (COP_KIND, "", meta.get("name", ""))
    return (OP_KIND, meta.get("namespace", ""), meta.get("name", ""))


def policy_ref(key):
    """How ApplyOverridePolicyFailed events name a policy: 'namespace/name', or 'name' when cluster-wide."""
    return "%s/%s" % (key[1], key[2]) if key[1] else key[2]


def applicable_rules(policies, resource, cluster):
    """[(policy, rule index, overriders)] in the order Karmada applies them to ``resource`` for ``cluster``."""
    ordered = []
    groups = ([p for p in policies if policy_key(p)[0] == COP_KIND],
              [p for p in policies if policy_key(p)[0] == OP_KIND] if resource.get("namespace") else [])
    for group in groups:
        matching = [(policy_priority(p, resource), policy_key(p)[2], p) for p in group]
        matching = sorted((m for m in matching if m[0] > MISMATCH), key=lambda m: (m[0], m[1]))
        for _priority, _name, policy in matching:
            for index, target, overriders in policy_rules(policy):
                if target is None or cluster_matches(target, cluster):
                    ordered.append((policy, index, overriders))
    return ordered


def could_apply(policy, ref):
    """Whether ``policy`` may select the template ``ref`` (its labels are not known yet)."""
    return policy_priority(policy, dict(ref, labels=None)) > MISMATCH


# ---------------------------------------------------------------------------------------------
# Overrider dry-run


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
        return join_pointer(tokens), None, "%s is %s, not a list of containers" % (join_pointer(tokens), _type_name(value))
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
                problem = "the value at %s in %s is %s, not an image" % (target, what, _type_name(image))
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
                        % (path, what, _type_name(text), language))
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


def describe_template(ref):
    namespace = ref.get("namespace")
    return "%s %s" % (ref.get("kind"), "%s/%s" % (namespace, ref.get("name")) if namespace else ref.get("name"))


def template_key(ref):
    return (ref.get("apiVersion") or "", ref.get("kind") or "", ref.get("namespace") or "", ref.get("name") or "")


def field_of(rule, problem):
    """Where in the policy to look: spec.overrideRules[0].overriders.plaintext[1] (an SRE can jump there)."""
    base = "spec.overrideRules[%d].overriders" % rule if rule is not None else "spec.overriders"
    return "%s.%s[%d]" % (base, problem["overrider"], problem["index"])


class Analysis:
    """Which policies select which bound templates, and every overrider step that cannot be applied."""

    def __init__(self, policies, clusters):
        self.policies = policies
        self.clusters = {(c.get("metadata") or {}).get("name"): c for c in clusters}
        self.matched = {}            # policy key -> set of binding refs
        self.broken = {}             # (policy key, rule, overrider, index, sub path) -> entry
        self.checked_bindings = 0
        self.unknown_clusters = set()
        self.missing_templates = []

    def add_binding(self, binding, template):
        ref = (binding.get("spec") or {}).get("resource") or {}
        if template is None:
            self.missing_templates.append(describe_template(ref))
            return
        meta = template.get("metadata") or {}
        resource = {"apiVersion": ref.get("apiVersion") or template.get("apiVersion"),
                    "kind": ref.get("kind") or template.get("kind"),
                    "namespace": meta.get("namespace") or "", "name": meta.get("name"),
                    "labels": meta.get("labels") or {}}
        what = describe_template(resource)
        bref = binding_ref(binding)
        self.checked_bindings += 1
        # Clusters that see the same policy rules see the same result: dry-run once per rule set.
        by_chain = {}
        for cluster_name in target_clusters(binding):
            cluster = self.clusters.get(cluster_name)
            if cluster is None:
                # Karmada fails before any overrider runs; that is target_cluster_missing, not ours.
                self.unknown_clusters.add(cluster_name)
                continue
            chain = applicable_rules(self.policies, resource, cluster)
            signature = tuple((policy_key(p), rule) for p, rule, _o in chain)
            by_chain.setdefault(signature, (chain, []))[1].append(cluster_name)
        for chain, cluster_names in by_chain.values():
            for policy, _rule, _o in chain:
                self.matched.setdefault(policy_key(policy), set()).add(bref)
            for policy, rule, problem in dry_run(template, chain, what):
                self._record(policy_key(policy), rule, problem, bref, cluster_names, what)

    def _record(self, key, rule, problem, bref, cluster_names, what):
        ident = (key, rule, problem["overrider"], problem["index"], problem.get("sub_path"))
        entry = self.broken.get(ident)
        if entry is None:
            entry = {"kind": key[0], "policy": policy_ref(key), "namespace": key[1], "name": key[2],
                     "rule": rule, "field": field_of(rule, problem), "overrider": problem["overrider"],
                     "path": problem["path"], "operation": problem["operation"], "error": problem["error"],
                     "bindings": set(), "clusters": set(), "templates": set()}
            if problem.get("sub_path") is not None:
                entry["sub_path"] = problem["sub_path"]
            self.broken[ident] = entry
        entry["bindings"].add(bref)
        entry["clusters"].update(cluster_names)
        entry["templates"].add(what)

    def broken_list(self):
        entries = []
        for entry in self.broken.values():
            item = dict(entry)
            for key in ("bindings", "clusters", "templates"):
                item[key] = sorted(entry[key])
            entries.append(item)
        entries.sort(key=lambda e: (-len(e["bindings"]), e["policy"], e["rule"] if e["rule"] is not None else -1,
                                    e["field"]))
        return entries


# ---------------------------------------------------------------------------------------------
# ApplyOverridePolicyFailed events (corroboration)


def parse_failure_event(event):
    """(policy ref, cluster) an ApplyOverridePolicyFailed message names, from the cause catalogue."""
    for cause, details, _part in classify(event.get("message") or ""):
        if cause == "override_policy_failure" and details.get("policy"):
            return details["policy"], details.get("cluster")
    return None


class FailureEvents:
    """ApplyOverridePolicyFailed events grouped by the policy they name; feed them with ``add``.

    ``since`` (aware datetime or None): events last seen before it are about an older episode and
    are left out.
    """

    def __init__(self, since=None):
        self.since = since
        self.by_policy = {}
        self.ignored_old = 0
        self.unparsed = 0

    def add(self, event):
        last = event_time(event)
        if self.since is not None and last is not None and last < self.since:
            self.ignored_old += 1
            return
        parsed = parse_failure_event(event)
        if parsed is None:
            self.unparsed += 1
            return
        policy, cluster = parsed
        involved = event.get("involvedObject") or {}
        entry = self.by_policy.setdefault(policy, {"policy": policy, "clusters": set(), "templates": set(),
                                                   "bindings": set(), "count": 0, "first": None, "last": None})
        if cluster:
            entry["clusters"].add(cluster)
        if involved.get("name"):
            entry["templates"].add(describe_template(involved))
        binding = binding_of_event(involved)
        if binding:
            entry["bindings"].add(binding)
        entry["count"] += int(event.get("count") or 1)
        first = first_time(event) or last
        if first is not None and (entry["first"] is None or first < entry["first"]):
            entry["first"] = first
        if last is not None and (entry["last"] is None or last > entry["last"]):
            entry["last"] = last

    def summary(self):
        items = []
        for entry in self.by_policy.values():
            item = dict(entry)
            for key in ("clusters", "templates", "bindings"):
                item[key] = sorted(entry[key])
            item["first"] = format_time(entry["first"]) if entry["first"] else None
            item["last"] = format_time(entry["last"]) if entry["last"] else None
            items.append(item)
        items.sort(key=lambda i: (i["last"] or "", i["policy"]), reverse=True)
        return items


# ---------------------------------------------------------------------------------------------
# Fetching templates with a bounded number of requests


def plan_template_fetch(refs, get_limit=TEMPLATE_GET_LIMIT):
    """Group template refs by (apiVersion, kind, namespace): a GET each for a few, one list for many.

    Returns [(apiVersion, kind, namespace, sorted names, use_list)].
    """
    groups = {}
    for ref in refs:
        key = template_key(ref)
        groups.setdefault(key[:3], set()).add(key[3])
    return [(api_version, kind, namespace, sorted(names), len(names) > get_limit)
            for (api_version, kind, namespace), names in sorted(groups.items())]


def discovery_path(api_version):
    return "/apis/%s" % api_version if "/" in api_version else "/api/%s" % api_version


def _plural_of(client, api_version, kind, cache):
    if api_version not in cache:
        discovery = client.find(discovery_path(api_version)) or {}
        # Subresources (deployments/scale) share the kind name of other objects; skip them.
        cache[api_version] = {r.get("kind"): r.get("name") for r in discovery.get("resources") or []
                              if "/" not in (r.get("name") or "")}
    return cache[api_version].get(kind)


def fetch_templates(client, refs, get_limit=TEMPLATE_GET_LIMIT):
    """{template_key: object, or None when it does not exist} for ``refs``.

    Requests: one discovery per API version, then per kind and namespace either a GET for each of a
    few templates or one paginated list, so the count follows the policies' reach, not the fleet.
    """
    templates = {}
    cache = {}
    for api_version, kind, namespace, names, use_list in plan_template_fetch(refs, get_limit):
        plural = _plural_of(client, api_version, kind, cache)
        keys = [(api_version, kind, namespace, name) for name in names]
        if not plural:
            templates.update((key, None) for key in keys)
            continue
        group, _sep, version = api_version.rpartition("/")
        if not use_list:
            for key in keys:
                templates[key] = client.find(resource_path(group, version, plural, namespace=namespace or None,
                                                           name=key[3]))
            continue
        wanted = set(names)
        found = {}
        for item in client.list(resource_path(group, version, plural, namespace=namespace or None)):
            name = (item.get("metadata") or {}).get("name")
            if name in wanted:
                # Items of built-in lists carry no apiVersion/kind of their own.
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                found[name] = item
        templates.update((key, found.get(key[3])) for key in keys)
    return templates


# ---------------------------------------------------------------------------------------------
# The finding


def _policy_rows(policies, matched):
    rows = []
    for policy in policies:
        key = policy_key(policy)
        rows.append({"kind": key[0], "namespace": key[1], "name": key[2], "rules": len(policy_rules(policy)),
                     "bindings": len(matched.get(key, ()))})
    rows.sort(key=lambda r: (r["kind"] != COP_KIND, r["namespace"], r["name"]))
    return rows


def _broken_text(entry):
    return "%s %s %s: %s %s: %s" % (entry["kind"], entry["policy"], entry["field"], entry["operation"] or "read",
                                    entry["path"], entry["error"])


def _event_text(entry):
    return "ApplyOverridePolicyFailed x%d for policy %s on cluster(s) %s (%s)" % (
        entry["count"], entry["policy"], ", ".join(entry["clusters"]) or "?", ", ".join(entry["templates"]) or "?")


def override_finding(policies, analysis, events, extra_details=None):
    """The ``override_policies`` finding from the policies, an Analysis and a FailureEvents."""
    broken = analysis.broken_list()
    event_items = events.summary()
    known = {policy_ref(policy_key(p)) for p in policies}
    broken_policies = {entry["policy"] for entry in broken}
    signals = []
    evidence_items = [evidence("object", _broken_text(e), ref=e["policy"]) for e in broken[:MAX_EVIDENCE]]
    corroborating = [e for e in event_items if e["policy"] in broken_policies]
    event_only = [e for e in event_items if e["policy"] not in broken_policies and e["policy"] in known]
    stale = [e for e in event_items if e["policy"] not in known]
    for entry in corroborating + event_only + stale:
        if len(evidence_items) < MAX_EVIDENCE:
            evidence_items.append(evidence("event", _event_text(entry), count=entry["count"], time=entry["last"],
                                           ref=entry["policy"]))
    if broken:
        signals.append(signal(
            "override_policy_failure", 0.9,
            "%d overrider step(s) of %d policy(ies) cannot be applied to the templates they select"
            % (len(broken), len(broken_policies)),
            bindings=[b for e in broken for b in e["bindings"]], clusters=[c for e in broken for c in e["clusters"]],
            evidence_items=[evidence("object", _broken_text(e), ref=e["policy"]) for e in broken[:MAX_EVIDENCE]]
            + [evidence("event", _event_text(e), count=e["count"], time=e["last"], ref=e["policy"])
               for e in corroborating[:MAX_EVIDENCE]]))
    if event_only:
        signals.append(signal(
            "override_policy_failure", 0.6,
            "the override manager reported failures for %s, although its overriders apply to the current templates"
            % ", ".join(e["policy"] for e in event_only[:5]),
            bindings=[b for e in event_only for b in e["bindings"]], clusters=[c for e in event_only for c in e["clusters"]],
            evidence_items=[evidence("event", _event_text(e), count=e["count"], time=e["last"], ref=e["policy"])
                            for e in event_only[:MAX_EVIDENCE]]))
    if broken:
        status = "fail"
        first = broken[0]
        summary = "%s %s cannot be applied to %s: %s%s" % (
            first["kind"], first["policy"], _clusters_phrase(first), first["error"],
            " (and %d more broken overrider step(s))" % (len(broken) - 1) if len(broken) > 1 else "")
    elif event_only:
        status = "warn"
        summary = "No overrider is broken now, but ApplyOverridePolicyFailed events name %s" % ", ".join(
            e["policy"] for e in event_only[:5])
    else:
        status = "ok"
        summary = ("No override policies." if not policies else
                   "All %d override policies apply cleanly to the %d bound templates they select." % (
                       len(policies), analysis.checked_bindings))
    details = {"policies": _policy_rows(policies, analysis.matched)[:MAX_LISTED], "broken": broken[:MAX_LISTED],
               "events": event_items[:MAX_EVIDENCE], "bindings_checked": analysis.checked_bindings,
               "templates_missing": sorted(set(analysis.missing_templates))[:MAX_EVIDENCE],
               "clusters_not_registered": sorted(analysis.unknown_clusters)[:MAX_EVIDENCE]}
    details.update(extra_details or {})
    return finding("override_policies", status, summary, details=details, evidence_items=evidence_items,
                   signals=signals)


def _clusters_phrase(entry):
    bindings, clusters = entry["bindings"], entry["clusters"]
    return "%s on %s" % (", ".join(bindings[:3]) + (" and %d more" % (len(bindings) - 3) if len(bindings) > 3 else ""),
                         ", ".join(clusters[:5]) + (" and %d more" % (len(clusters) - 5) if len(clusters) > 5 else ""))


def bound_templates(policies, bindings):
    """[(binding, template ref)] for scheduled bindings whose template some policy may select."""
    found = []
    for binding in bindings:
        ref = (binding.get("spec") or {}).get("resource") or {}
        if ref.get("kind") and ref.get("name") and target_clusters(binding) \
                and any(could_apply(policy, ref) for policy in policies):
            found.append((binding, ref))
    return found
