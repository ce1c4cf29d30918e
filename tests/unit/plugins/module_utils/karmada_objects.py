# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builders of the Karmada objects the override tests read (templates, policies, rules, clusters),
shaped as the API server returns them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

WHAT = "Deployment default/nginx"


def deployment(name="nginx", namespace="default", containers=None, labels=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels if labels is not None else {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers if containers is not None else [
                                      {"name": name, "image": "registry.example/%s:1.0" % name}]}}}}


def policy(name, rules=None, selectors=None, namespace="default", kind="OverridePolicy", legacy=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    spec = {"resourceSelectors": selectors if selectors is not None else
            [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]}
    if rules is not None:
        spec["overrideRules"] = rules
    if legacy is not None:
        spec.update(legacy)
    return {"kind": kind, "metadata": meta, "spec": spec}


def plaintext(path, operator="replace", value="x", clusters=None):
    rule = {"overriders": {"plaintext": [{"path": path, "operator": operator, "value": value}]}}
    if clusters is not None:
        rule["targetCluster"] = {"clusterNames": clusters}
    return rule


def cluster(name, labels=None, **spec):
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec}
