"""Scenario files: the state an emulated Karmada starts with, one YAML file per scenario.

A scenario names its member clusters, the workloads propagated to them and how the
karmada-controller-manager is installed. ``load`` validates a file (built-in name or path)
and returns a normalised dict; errors name the field that is wrong.
"""

from __future__ import annotations

import os
import re

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


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
    data["path"] = path
    return data


def _names(value, field):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{field} must be a list of names")
    for name in value:
        if not _DNS_LABEL.match(name) or len(name) > 48:
            raise ScenarioError(f"{field}: {name!r} is not a valid cluster name (RFC 1123 label, at most 48 "
                                "characters)")
    return value


def _cluster_names(spec):
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise ScenarioError("clusters must be a mapping with 'names' or 'count'")
    unknown = set(spec) - {"names", "count", "prefix"}
    if unknown:
        raise ScenarioError(f"clusters: unknown field(s) {sorted(unknown)}; known: count, names, prefix")
    if "names" in spec:
        return _names(spec["names"], "clusters.names")
    count = spec.get("count", 0)
    if not isinstance(count, int) or count < 0:
        raise ScenarioError(f"clusters.count must be a non-negative integer, got {count!r}")
    width = max(2, len(str(count)))
    prefix = spec.get("prefix", "member")
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def normalise(data):
    known_fields = {"description", "clusters", "workloads", "controller_manager"}
    unknown = set(data) - known_fields - {"name", "path"}
    if unknown:
        raise ScenarioError(f"unknown top-level field(s) {sorted(unknown)}; known: {sorted(known_fields)}")
    clusters = _cluster_names(data.get("clusters"))
    workloads = []
    for index, item in enumerate(data.get("workloads") or []):
        field = f"workloads[{index}]"
        if not isinstance(item, dict):
            raise ScenarioError(f"{field} must be a mapping")
        namespace = item.get("namespace", "default")
        deployments = item.get("deployments", [])
        if isinstance(deployments, int):
            deployments = [f"app-{i:03d}" for i in range(1, deployments + 1)]
        if not isinstance(deployments, list):
            raise ScenarioError(f"{field}.deployments must be a list of names or a count")
        targets = item.get("clusters", "all")
        if targets == "all":
            targets = list(clusters)
        else:
            targets = _names(targets, f"{field}.clusters")
            missing = sorted(set(targets) - set(clusters))
            if missing:
                raise ScenarioError(f"{field}.clusters names clusters that the scenario does not have: {missing}")
        workloads.append({"namespace": namespace, "deployments": deployments, "clusters": targets})
    manager = {"namespace": "karmada-system", "name": "karmada-controller-manager",
               "labels": {"app": "karmada-controller-manager"}, "replicas": 2, "log_format": "text"}
    given = data.get("controller_manager") or {}
    if not isinstance(given, dict):
        raise ScenarioError("controller_manager must be a mapping")
    unknown = set(given) - set(manager)
    if unknown:
        raise ScenarioError(f"controller_manager: unknown field(s) {sorted(unknown)}; known: {sorted(manager)}")
    manager.update(given)
    if manager["log_format"] not in ("text", "json"):
        raise ScenarioError(f"controller_manager.log_format must be 'text' or 'json', got {manager['log_format']!r}")
    if not isinstance(manager["replicas"], int) or manager["replicas"] < 1:
        raise ScenarioError(f"controller_manager.replicas must be a positive integer, got {manager['replicas']!r}")
    return {"description": data.get("description", ""), "clusters": clusters, "workloads": workloads,
            "controller_manager": manager}
