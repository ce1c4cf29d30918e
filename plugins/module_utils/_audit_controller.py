# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml: the controller-manager on the host cluster -- its Deployment available, its containers not restarting.

``observe`` GETs the Deployment and lists its pods (the label selectors tried in order, as the log scan
does: ``_karmada.CONTROLLER_MANAGER_LABELS``); ``assess`` is pure. Two requests, three at most.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._audit import audit_check, drift_item, from_drift
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_RESTART_THRESHOLD, AUDIT_RESTART_WINDOW
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CONTROLLER_MANAGER,
    CONTROLLER_MANAGER_LABELS,
    CONTROLLER_MANAGER_NAMESPACE,
    deployment_path,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._logscan import find_pods
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, utcnow

CHECK_ID = "controller_manager"
MAX_PODS = 20


def options_from_params(params):
    """Validated options; InputError names the module option."""
    namespace = (params.get("namespace") or CONTROLLER_MANAGER_NAMESPACE).strip()
    deployment = (params.get("deployment") or CONTROLLER_MANAGER).strip()
    selectors = params.get("label_selectors") or list(CONTROLLER_MANAGER_LABELS)
    if not all(s and s.strip() for s in selectors):
        raise InputError("label_selectors must be a list of non-empty label selectors, got %r" % (selectors,))
    threshold = params.get("restart_threshold")
    threshold = AUDIT_RESTART_THRESHOLD if threshold is None else threshold
    if threshold < 1:
        raise InputError("restart_threshold must be 1 or more (restarts that count as drift), got %r" % threshold)
    window = params.get("restart_window")
    window = AUDIT_RESTART_WINDOW if window is None else window
    if window < 1:
        raise InputError("restart_window must be a positive number of seconds, got %r" % window)
    return {"namespace": namespace, "deployment": deployment, "label_selectors": list(selectors),
            "restart_threshold": threshold, "restart_window": window}


def _pod(item):
    meta, status = item.get("metadata") or {}, item.get("status") or {}
    containers = []
    for status_item in status.get("containerStatuses") or []:
        # k8s.io/api core/v1 ContainerStatus: restartCount, lastState.terminated {exitCode, reason, finishedAt}.
        last = (status_item.get("lastState") or {}).get("terminated") or {}
        containers.append({"name": status_item.get("name"), "restarts": int(status_item.get("restartCount") or 0),
                           "ready": bool(status_item.get("ready")), "last_reason": last.get("reason"),
                           "last_exit_code": last.get("exitCode"), "last_finished": last.get("finishedAt")})
    return {"name": meta.get("name"), "phase": status.get("phase"), "containers": containers,
            "terminating": bool(meta.get("deletionTimestamp"))}


def observe(client, options):
    """{deployment: {replicas, available, ready, updated} or None, pods: [...], selector, requests}."""
    found = client.find(deployment_path(options["namespace"], options["deployment"]))
    deployment = None
    if found is not None:
        spec, status = found.get("spec") or {}, found.get("status") or {}
        # apps/v1 defaults spec.replicas to 1 (k8s.io/api apps/v1 DeploymentSpec.Replicas).
        deployment = {"replicas": spec.get("replicas", 1), "available": status.get("availableReplicas") or 0,
                      "ready": status.get("readyReplicas") or 0, "updated": status.get("updatedReplicas") or 0}
    used, items = find_pods(client, options["namespace"], options["label_selectors"])
    return {"deployment": deployment, "pods": [_pod(item) for item in items], "selector": used,
            "requests": client.requests, "observed_at": format_rfc3339(utcnow())}


def _restarted_recently(container, now, window):
    """Whether the container's last restart ended within ``window`` seconds of ``now``; a restart whose end
    the kubelet did not record (or recorded unreadably) counts as recent: better one audit too many."""
    try:
        finished = parse_datetime(container.get("last_finished"), "finishedAt")
    except (InputError, TypeError, ValueError):
        return True
    return finished is None or (now - finished).total_seconds() <= window


def _last_exit(container):
    """'; last exit: OOMKilled, code 137' (whichever of the two kubelet recorded), or nothing."""
    parts = [str(container["last_reason"])] if container.get("last_reason") else []
    if container.get("last_exit_code") is not None:
        parts.append("code %s" % container["last_exit_code"])
    return "; last exit: %s" % ", ".join(parts) if parts else ""


def assess(observation, options):
    """The ``controller_manager`` audit check (pure)."""
    where = "%s/%s" % (options["namespace"], options["deployment"])
    deployment, pods = observation.get("deployment"), observation.get("pods") or []
    threshold, window = options["restart_threshold"], options["restart_window"]
    now = parse_datetime(observation["observed_at"], "observed_at")
    details = {"deployment": deployment, "pods": pods[:MAX_PODS], "selector": observation.get("selector"),
               "thresholds": {"restarts": threshold, "restart_window_seconds": window},
               "requests": observation.get("requests")}
    drift = []
    if deployment is None:
        drift.append(drift_item("controller_manager_missing", where, "Deployment %s not found on the host cluster" % where))
    elif deployment["available"] < deployment["replicas"]:
        drift.append(drift_item("controller_manager_unavailable", where, "Deployment %s has %d of %d replicas available"
                                % (where, deployment["available"], deployment["replicas"])))
    for pod in pods:
        for container in pod["containers"]:
            if container["restarts"] >= threshold and _restarted_recently(container, now, window):
                drift.append(drift_item(
                    "controller_container_restarts", "%s/%s" % (pod["name"], container["name"]),
                    "container %s of pod %s restarted %d times (threshold %d), the last within %d s%s" % (
                        container["name"], pod["name"], container["restarts"], threshold, window,
                        _last_exit(container))))
    if deployment is None:
        return audit_check(CHECK_ID, "drift", drift[0]["message"] + ".", drift=drift, details=details)
    restarts = sum(c["restarts"] for p in pods for c in p["containers"])
    state = "%d/%d replicas available, %d pod(s), %d restart(s)" % (
        deployment["available"], deployment["replicas"], len(pods), restarts)
    return from_drift(CHECK_ID, drift, "Deployment %s: %s." % (where, state),
                      "Deployment %s: %s; %s." % (where, state, "; ".join(d["message"] for d in drift[:3])), details=details)


def check(client, options):
    return assess(observe(client, options), options)
