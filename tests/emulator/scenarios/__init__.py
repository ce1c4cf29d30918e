"""Scenario files: the state an emulated Karmada starts with, one YAML file per scenario.

A new fault is a file, not code. ``load`` validates a file (built-in name or path) and returns a
normalised dict; every error names the field that is wrong. The format is documented in
``scenarios/README.md``.
"""

from __future__ import annotations

import os
import re

import yaml

from ..faults import Fault, FaultSpecError
from ..karmada.writefaults import THROTTLE_ERRORS, TRANSPORT_ERRORS

HERE = os.path.dirname(os.path.abspath(__file__))
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Cluster names: any object name storage can hold (a DNS-1123 subdomain). Karmada's own rule (a label of at
# most 48 characters) is enforced by its API, which a scenario may describe as bypassed (invalid-cluster-name).
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
TOP_LEVEL = {"description", "seed", "time_scale", "clusters", "workloads", "cluster_workloads", "override_policies",
             "faults", "history", "controller_manager", "noise", "federated_resource_quotas"}
# Faults on the binding controller's path to a Work (karmada/writefaults.py).
WRITE_FAULTS = ("interpreter_webhook", "lua_interpreter_error", "oversized_templates", "work_quota",
                "admission_denial", "transport_errors", "throttling", "conflicting_works", "stale_work_cache")
FAULTS = {"missing_namespaces", "terminating_namespaces", "unsynced_clusters", "missing_clusters",
          "webhook_available", "stuck_works", "controller_identity", "rbac", "apiserver_error", "api_faults",
          "resolved", "orphaned_namespaces", "controller_restarts", "leader_stopped_renewing", *WRITE_FAULTS}
MANAGER_DEFAULTS = {"namespace": "karmada-system", "name": "karmada-controller-manager",
                    "labels": {"app": "karmada-controller-manager"}, "replicas": 2, "log_format": "text",
                    "verbosity": 2}
HISTORY_DEFAULTS = {"minutes": 360, "failing_minutes": 45, "resolved_minutes_ago": 0, "churn_per_minute": 6}


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the field and what was wrong."""


def known():
    return sorted(f[:-5] for f in os.listdir(HERE) if f.endswith(".yaml"))


def resolve(name_or_path):
    if os.path.sep in name_or_path or name_or_path.endswith((".yaml", ".yml")):
        if not os.path.isfile(name_or_path):
            raise ScenarioError(f"scenario file {name_or_path!r} does not exist")
        return name_or_path
    path = os.path.join(HERE, f"{name_or_path}.yaml")
    if not os.path.isfile(path):
        raise ScenarioError(f"unknown scenario {name_or_path!r}; known scenarios: {', '.join(known())} "
                            "(or give a path to a scenario file)")
    return path


def load(name_or_path):
    path = resolve(name_or_path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario file {path!r} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file {path!r} must hold a mapping at the top level")
    data = normalise(data)
    data["name"] = os.path.splitext(os.path.basename(path))[0]
    data["path"] = os.path.abspath(path)
    return data


def _check_keys(value, field, allowed):
    if not isinstance(value, dict):
        raise ScenarioError(f"{field} must be a mapping")
    unknown = set(value) - set(allowed)
    if unknown:
        raise ScenarioError(f"{field}: unknown field(s) {sorted(unknown)}; known: {sorted(allowed)}")
    return value


def _names(value, field):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{field} must be a list of names")
    for name in value:
        if not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
            raise ScenarioError(f"{field}: {name!r} is not a valid cluster name (an RFC 1123 subdomain; Karmada "
                                "itself accepts only RFC 1123 labels of at most 48 characters)")
    return list(value)


def _count(value, field, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return value


def _number(value, field, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ScenarioError(f"{field} must be a number >= {minimum}, got {value!r}")
    return float(value)


def _clusters(spec):
    spec = _check_keys(spec or {}, "clusters", {"names", "count", "prefix", "not_ready"})
    if "names" in spec and "count" in spec:
        raise ScenarioError("clusters: give either 'names' or 'count', not both")
    if "names" in spec:
        names = _names(spec["names"], "clusters.names")
    else:
        count = _count(spec.get("count", 0), "clusters.count")
        width = max(2, len(str(count)))
        prefix = spec.get("prefix", "member")
        names = [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]
    not_ready = _names(spec.get("not_ready", []), "clusters.not_ready")
    _known(not_ready, names, "clusters.not_ready")
    return names, not_ready


def _known(subset, names, field):
    missing = sorted(set(subset) - set(names))
    if missing:
        raise ScenarioError(f"{field} names clusters that the scenario does not have: {missing}")


def _targets(value, clusters, field, index):
    if value in (None, "all"):
        return list(clusters)
    if isinstance(value, dict):
        _check_keys(value, field, {"spread"})
        spread = _count(value.get("spread"), f"{field}.spread", 1)
        return [clusters[(index * spread + i) % len(clusters)] for i in range(min(spread, len(clusters)))] \
            if clusters else []
    return _names(value, field)


def _workloads(items, clusters, extra_targets, field, kind_field):
    result = []
    for index, item in enumerate(items or []):
        where = f"{field}[{index}]"
        _check_keys(item, where, {"namespace", kind_field, "clusters"})
        names = item.get(kind_field, [])
        if isinstance(names, int) and not isinstance(names, bool):
            names = [f"app-{i:04d}" for i in range(1, names + 1)]
        if not isinstance(names, list) or not all(isinstance(n, str) and _DNS_LABEL.match(n) for n in names):
            raise ScenarioError(f"{where}.{kind_field} must be a list of DNS-1123 names or a count")
        per_name = []
        for position, name in enumerate(names):
            targets = _targets(item.get("clusters"), clusters, f"{where}.clusters", position)
            _known(targets, clusters + extra_targets, f"{where}.clusters")
            per_name.append({"name": name, "clusters": targets})
        entry = {"items": per_name}
        if kind_field == "deployments":
            entry["namespace"] = item.get("namespace", "default")
        result.append(entry)
    return result


def _override_policies(items, clusters):
    result = []
    for index, item in enumerate(items or []):
        where = f"override_policies[{index}]"
        _check_keys(item, where, {"name", "namespace", "deployments", "clusters", "plaintext"})
        if not item.get("name"):
            raise ScenarioError(f"{where}.name is required")
        plaintext = item.get("plaintext") or []
        for position, step in enumerate(plaintext):
            _check_keys(step, f"{where}.plaintext[{position}]", {"path", "operator", "value"})
            if step.get("operator") not in ("add", "remove", "replace"):
                raise ScenarioError(f"{where}.plaintext[{position}].operator must be add, remove or replace")
        targets = item.get("clusters")
        if targets is not None:
            _known(_names(targets, f"{where}.clusters"), clusters, f"{where}.clusters")
        result.append({"name": item["name"], "namespace": item.get("namespace"),
                       "deployments": list(item.get("deployments") or []), "clusters": targets,
                       "plaintext": plaintext})
    return result


def _faults(spec, clusters):
    spec = _check_keys(spec or {}, "faults", FAULTS)
    faults = {"webhook_available": bool(spec.get("webhook_available", True)),
              "resolved": bool(spec.get("resolved", False))}
    for field in ("missing_namespaces", "terminating_namespaces", "unsynced_clusters"):
        faults[field] = _names(spec.get(field, []), f"faults.{field}")
        _known(faults[field], clusters, f"faults.{field}")
    faults["missing_clusters"] = _names(spec.get("missing_clusters", []), "faults.missing_clusters")
    # audit.yml's drift: execution namespaces of clusters no longer registered, a crash-looping container, a
    # leader that stopped renewing its Lease (karmada/world.py, karmada/controller_manager.py).
    faults["orphaned_namespaces"] = _names(spec.get("orphaned_namespaces", []), "faults.orphaned_namespaces")
    clash = sorted(set(faults["orphaned_namespaces"]) & set(clusters))
    if clash:
        raise ScenarioError(f"faults.orphaned_namespaces must name clusters that are not registered: {clash}")
    faults["controller_restarts"] = _count(spec.get("controller_restarts", 0), "faults.controller_restarts")
    faults["leader_stopped_renewing"] = bool(spec.get("leader_stopped_renewing", False))
    clash = sorted(set(faults["missing_clusters"]) & set(clusters))
    if clash:
        raise ScenarioError(f"faults.missing_clusters must not also be in clusters: {clash}")
    stuck = []
    for index, item in enumerate(spec.get("stuck_works", [])):
        where = f"faults.stuck_works[{index}]"
        _check_keys(item, where, {"namespace", "deployment", "cluster"})
        if not item.get("deployment") or item.get("cluster") not in clusters:
            raise ScenarioError(f"{where} needs 'deployment' and a 'cluster' the scenario has")
        stuck.append({"namespace": item.get("namespace", "default"), "deployment": item["deployment"],
                      "cluster": item["cluster"]})
    faults["stuck_works"] = stuck
    identity = _check_keys(spec.get("controller_identity", {}), "faults.controller_identity", {"user", "groups"})
    faults["controller_identity"] = {"user": identity.get("user", "system:karmada:karmada-controller-manager"),
                                     "groups": list(identity.get("groups", ["system:masters"]))}
    rbac = spec.get("rbac", [])
    if not isinstance(rbac, list) or not all(isinstance(o, dict) and o.get("kind") in (
            "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding") for o in rbac):
        raise ScenarioError("faults.rbac must be a list of Role, RoleBinding, ClusterRole or ClusterRoleBinding "
                            "objects")
    faults["rbac"] = rbac
    error = spec.get("apiserver_error")
    if error is not None:
        _check_keys(error, "faults.apiserver_error", {"message", "code", "fraction"})
        if not error.get("message"):
            raise ScenarioError("faults.apiserver_error.message is required")
        error = {"message": error["message"], "code": _count(error.get("code", 500), "faults.apiserver_error.code",
                                                             500),
                 "fraction": min(1.0, _number(error.get("fraction", 1.0), "faults.apiserver_error.fraction"))}
    faults["apiserver_error"] = error
    api_faults = []
    for index, item in enumerate(spec.get("api_faults", [])):
        try:
            Fault.from_dict(item)
        except (FaultSpecError, TypeError) as exc:
            raise ScenarioError(f"faults.api_faults[{index}]: {exc}") from None
        api_faults.append(item)
    faults["api_faults"] = api_faults
    faults.update(_write_faults(spec, clusters))
    return faults


def _text(value, field, default=None):
    value = default if value is None else value
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{field} must be a non-empty string")
    return value


def _selector(item, where):
    deployments = item.get("deployments", [])
    if not isinstance(deployments, list) or not all(isinstance(d, str) for d in deployments):
        raise ScenarioError(f"{where}.deployments must be a list of Deployment names")
    namespace = item.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise ScenarioError(f"{where}.namespace must be a string")
    return {"namespace": namespace, "deployments": list(deployments)}


def _choices(value, field, allowed):
    value = list(allowed) if value is None else value
    if not isinstance(value, list) or not value or any(v not in allowed for v in value):
        raise ScenarioError(f"{field} must be a non-empty list of {list(allowed)}")
    return value


def _fraction(item, where):
    return min(1.0, _number(item.get("fraction", 1.0), f"{where}.fraction"))


def _write_faults(spec, clusters):
    """Normalised WRITE_FAULTS; each absent one is None (or an empty list)."""
    result = {}
    where = "faults.interpreter_webhook"
    item = spec.get("interpreter_webhook")
    if item is not None:
        _check_keys(item, where, {"configuration", "hook", "url", "timeout_seconds", "error", "namespace",
                                  "deployments"})
        result["interpreter_webhook"] = {
            "configuration": _text(item.get("configuration"), f"{where}.configuration", "workload-interpreter"),
            "hook": _text(item.get("hook"), f"{where}.hook", "workloads.interpreter.example.com"),
            "url": _text(item.get("url"), f"{where}.url",
                         "https://workload-interpreter.karmada-system.svc:443/interpreter-workload"),
            "timeout_seconds": _count(item.get("timeout_seconds", 3), f"{where}.timeout_seconds"),
            "error": _text(item.get("error"), f"{where}.error", "dial tcp 10.96.201.37:443: connect: connection refused"),
            **_selector(item, where)}
    where = "faults.lua_interpreter_error"
    item = spec.get("lua_interpreter_error")
    if item is not None:
        _check_keys(item, where, {"customization", "line", "message", "namespace", "deployments"})
        result["lua_interpreter_error"] = {
            "customization": _text(item.get("customization"), f"{where}.customization", "deployment-replicas"),
            "line": _count(item.get("line", 3), f"{where}.line", 1),
            "message": _text(item.get("message"), f"{where}.message",
                             "attempt to index a non-table object(nil) with key 'replicas'"),
            **_selector(item, where)}
    oversized = []
    for index, item in enumerate(spec.get("oversized_templates", [])):
        where = f"faults.oversized_templates[{index}]"
        _check_keys(item, where, {"namespace", "deployment", "bytes"})
        oversized.append({"namespace": item.get("namespace", "default"),
                          "deployment": _text(item.get("deployment"), f"{where}.deployment"),
                          "bytes": _count(item.get("bytes", 2 * 1024 * 1024), f"{where}.bytes", 1536 * 1024 + 1)})
    result["oversized_templates"] = oversized
    where = "faults.work_quota"
    item = spec.get("work_quota")
    if item is not None:
        _check_keys(item, where, {"clusters", "name", "hard"})
        quota_clusters = _names(item.get("clusters", []), f"{where}.clusters")
        _known(quota_clusters, clusters, f"{where}.clusters")
        result["work_quota"] = {"clusters": quota_clusters, "name": _text(item.get("name"), f"{where}.name",
                                                                          "works-quota"),
                                "hard": _count(item.get("hard", 0), f"{where}.hard")}
    where = "faults.admission_denial"
    item = spec.get("admission_denial")
    if item is not None:
        _check_keys(item, where, {"clusters", "webhook", "policy", "binding", "message", "code"})
        denial_clusters = _names(item.get("clusters", []), f"{where}.clusters")
        _known(denial_clusters, clusters, f"{where}.clusters")
        if bool(item.get("webhook")) == bool(item.get("policy")):
            raise ScenarioError(f"{where}: give either 'webhook' or 'policy'")
        denial = {"clusters": denial_clusters, "message": _text(item.get("message"), f"{where}.message")}
        if item.get("webhook"):
            denial.update(webhook=_text(item["webhook"], f"{where}.webhook"),
                          code=_count(item.get("code", 400), f"{where}.code", 400))
        else:
            denial.update(policy=_text(item["policy"], f"{where}.policy"),
                          binding=_text(item.get("binding"), f"{where}.binding", f"{item['policy']}-binding"))
        result["admission_denial"] = denial
    where = "faults.transport_errors"
    item = spec.get("transport_errors")
    if item is not None:
        _check_keys(item, where, {"errors", "fraction"})
        result["transport_errors"] = {"errors": _choices(item.get("errors"), f"{where}.errors", TRANSPORT_ERRORS),
                                      "fraction": _fraction(item, where)}
    where = "faults.throttling"
    item = spec.get("throttling")
    if item is not None:
        _check_keys(item, where, {"errors", "fraction"})
        result["throttling"] = {"errors": _choices(item.get("errors"), f"{where}.errors", THROTTLE_ERRORS),
                                "fraction": _fraction(item, where)}
    conflicting = []
    for index, item in enumerate(spec.get("conflicting_works", [])):
        where = f"faults.conflicting_works[{index}]"
        _check_keys(item, where, {"namespace", "deployment", "cluster"})
        if not item.get("deployment") or item.get("cluster") not in clusters:
            raise ScenarioError(f"{where} needs 'deployment' and a 'cluster' the scenario has")
        conflicting.append({"namespace": item.get("namespace", "default"), "deployment": item["deployment"],
                            "cluster": item["cluster"]})
    result["conflicting_works"] = conflicting
    where = "faults.stale_work_cache"
    item = spec.get("stale_work_cache")
    if item is not None:
        _check_keys(item, where, {"clusters", "seconds"})
        stale = _names(item.get("clusters", []), f"{where}.clusters")
        _known(stale, clusters, f"{where}.clusters")
        result["stale_work_cache"] = {"clusters": stale, "seconds": _number(item.get("seconds", 0),
                                                                            f"{where}.seconds")}
    for name in WRITE_FAULTS:
        result.setdefault(name, None)
    return result


def _quotas(value, clusters):
    """FederatedResourceQuotas: [{name, namespace, clusters (static assignments), hard, failing_clusters}]."""
    quotas = []
    if not isinstance(value or [], list):
        raise ScenarioError("federated_resource_quotas must be a list")
    for index, item in enumerate(value or []):
        field = f"federated_resource_quotas[{index}]"
        _check_keys(item, field, {"name", "namespace", "clusters", "hard", "failing_clusters"})
        if not item.get("name"):
            raise ScenarioError(f"{field}.name is required")
        targets = _names(item.get("clusters", list(clusters)), f"{field}.clusters")
        failing = _names(item.get("failing_clusters", []), f"{field}.failing_clusters")
        _known(failing, targets, f"{field}.failing_clusters")
        hard = item.get("hard", {"cpu": "10", "memory": "20Gi"})
        if not isinstance(hard, dict) or not hard:
            raise ScenarioError(f"{field}.hard must be a non-empty mapping of resource names to quantities")
        quotas.append({"name": str(item["name"]), "namespace": str(item.get("namespace", "default")),
                       "clusters": targets, "hard": {str(k): str(v) for k, v in hard.items()},
                       "failing_clusters": failing})
    return quotas


def normalise(data):
    unknown = set(data) - TOP_LEVEL - {"name", "path"}
    if unknown:
        raise ScenarioError(f"unknown top-level field(s) {sorted(unknown)}; known: {sorted(TOP_LEVEL)}")
    clusters, not_ready = _clusters(data.get("clusters"))
    faults = _faults(data.get("faults"), clusters)
    workloads = _workloads(data.get("workloads"), clusters, faults["missing_clusters"], "workloads", "deployments")
    cluster_workloads = _workloads(data.get("cluster_workloads"), clusters, faults["missing_clusters"],
                                   "cluster_workloads", "clusterroles")
    manager = dict(MANAGER_DEFAULTS)
    manager.update(_check_keys(data.get("controller_manager") or {}, "controller_manager", MANAGER_DEFAULTS))
    if manager["log_format"] not in ("text", "json"):
        raise ScenarioError(f"controller_manager.log_format must be 'text' or 'json', got {manager['log_format']!r}")
    _count(manager["replicas"], "controller_manager.replicas", 1)
    _count(manager["verbosity"], "controller_manager.verbosity")
    if not isinstance(manager["labels"], dict) or not manager["labels"]:
        raise ScenarioError("controller_manager.labels must be a non-empty mapping")
    history = dict(HISTORY_DEFAULTS)
    history.update(_check_keys(data.get("history") or {}, "history", HISTORY_DEFAULTS))
    for field, value in history.items():
        history[field] = _number(value, f"history.{field}")
    if history["failing_minutes"] > history["minutes"]:
        raise ScenarioError("history.failing_minutes must not exceed history.minutes")
    if history["resolved_minutes_ago"] > history["failing_minutes"]:
        raise ScenarioError("history.resolved_minutes_ago must not exceed history.failing_minutes")
    noise = _check_keys(data.get("noise") or {}, "noise", {"events", "log_lines"})
    return {
        "description": str(data.get("description", "")),
        "seed": _count(data.get("seed", 7), "seed"),
        "time_scale": _number(data.get("time_scale", 0.01), "time_scale", 0.0001),
        "clusters": clusters, "not_ready": not_ready,
        "workloads": workloads, "cluster_workloads": cluster_workloads,
        "override_policies": _override_policies(data.get("override_policies"), clusters),
        "faults": faults, "history": history, "controller_manager": manager,
        "federated_resource_quotas": _quotas(data.get("federated_resource_quotas"), clusters),
        "noise": {"events": _count(noise.get("events", 0), "noise.events"),
                  "log_lines": _count(noise.get("log_lines", 0), "noise.log_lines")},
    }
