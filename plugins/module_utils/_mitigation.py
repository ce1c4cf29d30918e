# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mitigation planning: from a diagnosis to ordered actions, and from their outcomes to the report.

The model follows the runbook's mitigation table, read with an on-call engineer's caution:

* Each probable cause of the verdict names its action (``_causes.CATALOGUE[...]["action_id"]``). Only
  ``apply`` actions change anything, and only the two that fix a root cause by themselves
  (``restore_execution_namespaces``, ``repair_controller_rbac``) or the restart may run unattended.
* A current ``apiserver_errors`` cause stops everything: the API server comes first, and every write
  would fail or make it worse.
* The restart of karmada-controller-manager is never a fix of its own. It gives failed bindings a fresh
  queue (they may sit in a 1000 s backoff), so it is worth doing only once nothing still makes them fail:
  it is triggered by a stuck workqueue, a root-cause fix made by this run, or a root cause found fixed
  since the diagnosis while bindings still lack Works; it is held back by any current cause this run
  cannot fix, by failures of no known cause, by key checks that could not run, and by the cooldown.
* Nothing is planned on names that were not checked: an execution namespace is only created for a
  Cluster that exists, is not being deleted, and whose name Karmada itself would accept.

``observe`` reads the live state the plan depends on (requests only); ``plan`` is pure; ``restart_gate``
decides the restart again under the lock, from the Deployment read then; ``settle`` merges what the
action roles did into the report's ``mitigation`` section (docs/report-schema.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import difflib
import json
import re

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import (
    ACTIONS,
    APISERVER_RUNBOOK_URL,
    CATALOGUE,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import (
    MITIGATION_LOCK_WAIT,
    RESTART_COOLDOWN,
    RESTART_TIMEOUT,
    VERIFY_INTERVAL,
    VERIFY_METRIC_RANGE,
    VERIFY_TIMEOUT,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    CLUSTERS,
    COP_KIND,
    EXECUTION_CONTROLLER_FINALIZER,
    NAMESPACES,
    OP_KIND,
    RESTARTED_AT_ANNOTATION,
    SYSTEM_LABEL,
    SYSTEM_LABEL_VALUE,
    cluster_name_problem,
    cluster_of,
    cluster_override_policy,
    execution_space,
    override_policy,
    works_in,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import printable
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime

MODES = ("plan", "apply")
NAMESPACE_METHODS = ("create", "touch_cluster")
STATUSES = ("planned", "applied", "skipped", "failed")

RESTORE = "restore_execution_namespaces"
RBAC = "repair_controller_rbac"
RESTART = "restart_controller_manager"
ROOT_FIXES = (RESTORE, RBAC)
APPLY_ACTIONS = tuple(action for action, kind in ACTIONS.items() if kind == "apply")
# A report action whose cause resolves by itself on the next retry does not hold the restart back.
TRANSIENT_ACTIONS = ("report_work_cache_stale",)
# Checks whose evidence the restart's "no root cause left" rests on (the verdict's key checks).
RESTART_EVIDENCE = ("sync_failure_events", "execution_namespaces", "controller_logs")

# What repair_controller_rbac applies: a ClusterRole shipped in roles/repair_controller_rbac/files and a
# ClusterRoleBinding of it to the controller's identity, both under this name.
RBAC_NAME = "karmada-runbooks:binding-controllers"
RBAC_API_GROUP = "rbac.authorization.k8s.io"
# Kubernetes user names are free-form; only what a certificate CN or token review plausibly yields is
# written into a binding, so a hostile name in a report file cannot smuggle anything into the write.
_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:@._-]{0,252}$")
_SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$")

MAX_TARGETS = 50
MAX_SAMPLES = 5
MAX_TEXT = 500


def _text(value, limit=MAX_TEXT):
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _list(value):
    return value if isinstance(value, list) else []


def _dict(value):
    return value if isinstance(value, dict) else {}


# -- inputs ------------------------------------------------------------------------------------------------------
def _flag(value, variable):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
        return value.strip().lower() in ("true", "yes", "on", "1")
    raise InputError("%s must be true or false, got %r" % (variable, value))


def _seconds(value, variable, default, minimum=0):
    if value in (None, ""):
        return default
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = minimum - 1
    if isinstance(value, bool) or seconds < minimum or str(seconds) != str(value).strip():
        raise InputError("%s must be a whole number of seconds (%d or more), such as %d; got %r"
                         % (variable, minimum, default, value))
    return seconds


# Waits of mitigate.yml that must last at least a second (a zero wait gives up before the first look).
POSITIVE_WAITS = (("karmada_restart_timeout", RESTART_TIMEOUT), ("karmada_mitigation_lock_wait", MITIGATION_LOCK_WAIT),
                  ("karmada_verify_timeout", VERIFY_TIMEOUT), ("karmada_verify_interval", VERIFY_INTERVAL),
                  ("karmada_verify_metric_range", VERIFY_METRIC_RANGE))


def mitigate_options(inputs):
    """The mitigate.yml inputs, validated; each error names the playbook variable and the fix.

    ``inputs`` holds ``karmada_mitigate_mode``, ``karmada_mitigate_approve``, ``karmada_mitigate_allow``,
    ``karmada_restart_cooldown``, ``karmada_namespace_restore``, ``karmada_controller_user``,
    ``karmada_controller_groups`` and ``check_mode`` (Ansible's --check).
    """
    mode = inputs.get("karmada_mitigate_mode") or "apply"
    if mode not in MODES:
        raise InputError("karmada_mitigate_mode must be 'plan' (show what would be done) or 'apply' (do it, "
                         "with karmada_mitigate_approve=true); got %r" % (mode,))
    allow = inputs.get("karmada_mitigate_allow")
    if allow in (None, ""):
        allow = list(APPLY_ACTIONS)
    elif isinstance(allow, str):
        allow = [item.strip() for item in allow.split(",") if item.strip()]
    if not isinstance(allow, list) or any(item not in APPLY_ACTIONS for item in allow):
        raise InputError("karmada_mitigate_allow must list action ids that change something, from %s; got %r"
                         % (", ".join(APPLY_ACTIONS), allow))
    method = inputs.get("karmada_namespace_restore") or "create"
    if method not in NAMESPACE_METHODS:
        raise InputError("karmada_namespace_restore must be 'create' (create karmada-es-<cluster>) or "
                         "'touch_cluster' (annotate the Cluster so the cluster controller recreates it); got %r"
                         % (method,))
    for variable, default in POSITIVE_WAITS:
        _seconds(inputs.get(variable), variable, default, minimum=1)
    return {"mode": mode,
            "approve": _flag(inputs.get("karmada_mitigate_approve", False), "karmada_mitigate_approve"),
            "allow": list(allow),
            "cooldown": _seconds(inputs.get("karmada_restart_cooldown"), "karmada_restart_cooldown",
                                 RESTART_COOLDOWN),
            "namespace_method": method,
            "check_mode": bool(inputs.get("check_mode")),
            "controller_user": inputs.get("karmada_controller_user") or None,
            "controller_groups": [g for g in _list(inputs.get("karmada_controller_groups")) if isinstance(g, str)]}


def diagnosis_summary(report, source, path):
    """The ``mitigation.diagnosis`` block; raises InputError when ``report`` is not a diagnosis report."""
    verdict = _dict(report).get("verdict") if isinstance(report, dict) else None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("causes"), list) \
            or not isinstance(report.get("checks"), list):
        raise InputError("karmada_diagnosis_report: %s is not a diagnosis report.json (it needs verdict.causes and "
                         "checks); run playbooks/diagnose.yml, or leave the variable unset to diagnose first" % path)
    return {"source": source, "path": path, "generated_at": report.get("generated_at"),
            "status": _text(verdict.get("status")), "summary": _text(verdict.get("summary"))}


# -- what the plan reads -------------------------------------------------------------------------------------------
def _causes(report):
    return [c for c in _list(_dict(report.get("verdict")).get("causes"))
            if isinstance(c, dict) and c.get("id") in CATALOGUE]


def _check(report, check_id):
    for item in _list(report.get("checks")):
        if isinstance(item, dict) and item.get("id") == check_id:
            return item
    return {}


def _cause(report, cause_id):
    for cause in _causes(report):
        if cause["id"] == cause_id:
            return cause
    return None


def observe(client, report):
    """Read what the plan depends on, now: only what the report's causes call for.

    Clusters and execution namespaces (restoring or explaining them), the Works that hold a terminating
    namespace, and the override policies that failed. Returns a dict of plain data; raises what the client
    raises (the caller turns it into a failed plan, nothing is written).
    """
    observation = {"requests": 0}
    ids = {cause["id"] for cause in _causes(report)}
    if ids & {"execution_namespace_missing", "execution_namespace_terminating", "workqueue_stuck"}:
        clusters = {}
        for item in client.list(CLUSTERS):
            meta = _dict(item.get("metadata"))
            ready = [c for c in _list(_dict(item.get("status")).get("conditions"))
                     if isinstance(c, dict) and c.get("type") == "Ready"]
            clusters[meta.get("name")] = {"deleting": bool(meta.get("deletionTimestamp")),
                                          "ready": bool(ready) and ready[0].get("status") == "True"}
        namespaces = {}
        for item in client.list(NAMESPACES):
            meta = _dict(item.get("metadata"))
            if cluster_of(meta.get("name")) is not None:
                namespaces[meta["name"]] = {"terminating": bool(meta.get("deletionTimestamp"))
                                            or _dict(item.get("status")).get("phase") == "Terminating"}
        observation.update(clusters=clusters, namespaces=namespaces)
    if "execution_namespace_terminating" in ids:
        held = {}
        for name, state in sorted(observation["namespaces"].items()):
            if state["terminating"]:
                held[name] = [_dict(w.get("metadata")) for w in client.list(works_in(name))]
        observation["works_in_terminating"] = {
            name: [{"name": meta.get("name"), "finalizers": _list(meta.get("finalizers")),
                    "deleting": bool(meta.get("deletionTimestamp"))} for meta in metas]
            for name, metas in held.items()}
    if "override_policy_failure" in ids:
        policies = {}
        for entry in _list(_dict(_check(report, "override_policies").get("details")).get("broken"))[:MAX_TARGETS]:
            ref = _policy_path(entry)
            if ref and ref not in policies:
                policies[ref] = client.find(ref)
        observation["policies"] = policies
    observation["requests"] = getattr(client, "requests", 0)
    return observation


def _policy_path(entry):
    kind, namespace, name = entry.get("kind"), entry.get("namespace"), entry.get("name")
    if not isinstance(name, str) or not name:
        return None
    if kind == OP_KIND and isinstance(namespace, str) and namespace:
        return override_policy(namespace, name)
    if kind == COP_KIND:
        return cluster_override_policy(name)
    return None


# -- the restart gate ------------------------------------------------------------------------------------------------
def restarted_at(deployment):
    """The time of the last ``kubectl rollout restart``-style restart of a Deployment, or None."""
    template = _dict(_dict(_dict(deployment).get("spec")).get("template"))
    value = _dict(_dict(template.get("metadata")).get("annotations")).get(RESTARTED_AT_ANNOTATION)
    try:
        return parse_datetime(value, RESTARTED_AT_ANNOTATION) if value else None
    except (TypeError, ValueError):
        return None


def restart_gate(deployment, now, cooldown):
    """Whether the cooldown lets the controller-manager restart now, read from its Deployment.

    The annotation is the record every restart leaves (kubectl's and ours), so two runs, or a run and a
    human, see the same history. A time in the future (clock skew) counts as just now.
    """
    previous = restarted_at(deployment)
    result = {"allowed": True, "previous_restarted_at": format_rfc3339(previous) if previous else None,
              "cooldown_seconds": cooldown, "next_allowed_at": None, "reason": ""}
    if deployment is None:
        result.update(allowed=False, reason="the controller-manager Deployment was not found")
        return result
    if previous is None:
        result["reason"] = "no earlier restart recorded on the Deployment"
        return result
    age = max(0.0, (now - previous).total_seconds())
    if age < cooldown:
        next_at = format_rfc3339(previous + datetime.timedelta(seconds=cooldown))
        result.update(allowed=False, next_allowed_at=next_at,
                      reason="cooldown: the controller-manager was restarted at %s (%d s ago); the next restart is "
                             "allowed after %s (karmada_restart_cooldown=%d s)"
                             % (result["previous_restarted_at"], age, next_at, cooldown))
    else:
        result["reason"] = "last restart at %s, %d s ago (cooldown %d s)" % (
            result["previous_restarted_at"], age, cooldown)
    return result


# -- planning ----------------------------------------------------------------------------------------------------
def _action(action_id, cause, status, reason, targets=(), next_step=None, details=None):
    return {"id": action_id, "kind": ACTIONS[action_id], "cause": cause, "status": status, "changed": False,
            "reason": _text(reason, 2000), "targets": [_text(t, 300) for t in list(targets)[:MAX_TARGETS]],
            "next_step": _text(next_step, 2000) if next_step else None, "details": details or {},
            "duration_seconds": None}


def _namespace_targets(report, cause):
    """Cluster names whose execution namespace the diagnosis found missing."""
    names = []
    missing = _list(_dict(_check(report, "execution_namespaces").get("details")).get("missing"))
    for value in missing + [execution_space(c) for c in _list(cause.get("clusters")) if isinstance(c, str)]:
        cluster = cluster_of(value) if isinstance(value, str) else None
        if cluster is not None and cluster not in names:
            names.append(cluster)
    return names


def _plan_restore(report, cause, observation, options):
    clusters = _dict(observation.get("clusters"))
    namespaces = _dict(observation.get("namespaces"))
    create, present, rejected, terminating = [], [], [], []
    for cluster in _namespace_targets(report, cause):
        problem = cluster_name_problem(cluster)
        namespace = execution_space(cluster)
        if problem:
            rejected.append({"cluster": _text(cluster, 300), "reason": "invalid cluster name: " + problem})
        elif cluster not in clusters:
            rejected.append({"cluster": cluster, "reason": "no Cluster object named %s: bindings target a cluster that "
                                                           "is not registered (re-register it or reschedule)" % cluster})
        elif clusters[cluster]["deleting"]:
            rejected.append({"cluster": cluster, "reason": "Cluster %s is being deleted" % cluster})
        elif namespace in namespaces:
            (terminating if namespaces[namespace]["terminating"] else present).append(namespace)
        else:
            create.append({"cluster": cluster, "namespace": namespace})
    details = {"method": options["namespace_method"], "to_restore": [item["namespace"] for item in create][:MAX_TARGETS],
               "present": present[:MAX_TARGETS], "rejected": rejected[:MAX_TARGETS],
               "terminating": terminating[:MAX_TARGETS]}
    inputs = {"method": options["namespace_method"], "create": create, "labels": {SYSTEM_LABEL: SYSTEM_LABEL_VALUE}}
    if options["namespace_method"] == "touch_cluster":
        targets = ["Cluster/%s" % item["cluster"] for item in create]
        what = "annotate Cluster %s so the cluster controller recreates its execution namespace"
    else:
        targets = ["Namespace/%s" % item["namespace"] for item in create]
        what = "create Namespace %s with label karmada.io/system=true"
    names = ", ".join(item["cluster" if options["namespace_method"] == "touch_cluster" else "namespace"]
                      for item in create[:10])
    notes = []
    if present:
        notes.append("already there: %s" % ", ".join(present[:5]))
    if rejected:
        notes.append("not restored: %s" % "; ".join("%s (%s)" % (r["cluster"], r["reason"]) for r in rejected[:3]))
    if terminating:
        notes.append("%s still terminating: resolve what holds it first" % ", ".join(terminating[:5]))
    if create:
        return "candidate", (what % names) + ("; " + "; ".join(notes) if notes else ""), targets, details, inputs
    if not rejected and not terminating:
        return "resolved", "nothing to do: " + ("; ".join(notes) or "no execution namespace is missing now"), targets, \
            details, inputs
    return "blocked", "nothing can be restored: " + "; ".join(notes), targets, details, inputs


def controller_subject(user):
    """The RBAC subject for the controller's user name, or None when the name is not one to write."""
    if not isinstance(user, str) or not _USER_NAME.match(user):
        return None
    match = _SERVICE_ACCOUNT.match(user)
    if match:
        return {"kind": "ServiceAccount", "name": match.group(3), "namespace": match.group(1)}
    return {"kind": "User", "apiGroup": RBAC_API_GROUP, "name": user}


def cluster_role_binding(subject):
    """The ClusterRoleBinding repair_controller_rbac applies (the ClusterRole ships as a file)."""
    return {"apiVersion": "%s/v1" % RBAC_API_GROUP, "kind": "ClusterRoleBinding",
            "metadata": {"name": RBAC_NAME, "labels": {"app.kubernetes.io/managed-by": "karmada.runbooks"}},
            "roleRef": {"apiGroup": RBAC_API_GROUP, "kind": "ClusterRole", "name": RBAC_NAME},
            "subjects": [subject]}


def _plan_rbac(report, options):
    identity = _dict(_dict(_check(report, "rbac").get("details")).get("identity"))
    user = options.get("controller_user") or identity.get("user")
    groups = options.get("controller_groups") or [g for g in _list(identity.get("groups")) if isinstance(g, str)]
    details = {"identity": {"user": _text(user, 300) if user else None, "groups": [_text(g, 300) for g in groups[:20]]},
               "cluster_role": RBAC_NAME, "binding": RBAC_NAME}
    if "system:masters" in groups:
        return "blocked", ("the controller identity is in system:masters, which RBAC never denies: the denial comes "
                           "from elsewhere (an authorization webhook, or another identity); fix by hand"), [], details, {}
    subject = controller_subject(user)
    if subject is None:
        reason = ("the controller identity is unknown: set karmada_controller_user (and karmada_controller_groups) "
                  "to the user karmada-controller-manager authenticates as" if not user
                  else "the controller user name %r is not one this collection writes into a binding" % _text(user, 80))
        return "blocked", reason, [], details, {}
    details["subject"] = subject
    targets = ["ClusterRole/%s" % RBAC_NAME, "ClusterRoleBinding/%s" % RBAC_NAME]
    return "candidate", ("apply ClusterRole %s (what the binding controllers need on Works, bindings and events) and "
                         "bind it to %s %s" % (RBAC_NAME, subject["kind"], user)), targets, details, \
        {"subject": subject, "binding_object": cluster_role_binding(subject)}


def _pretty(value):
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def suggest_override_fix(entry, policy):
    """A suggested edit of one failing overrider, as a unified diff of the rule's overriders; None when the
    error is not one a mechanical edit fixes (then the error and the runbook text are the guidance)."""
    rules = _list(_dict(_dict(policy).get("spec")).get("overrideRules"))
    index = entry.get("rule")
    if not isinstance(index, int) or not 0 <= index < len(rules):
        return None
    overriders = _dict(_dict(rules[index]).get("overriders"))
    field = entry.get("field") or ""
    match = re.search(r"\.plaintext\[(\d+)\]$", field)
    if entry.get("overrider") != "plaintext" or not match:
        return None
    items = _list(overriders.get("plaintext"))
    position = int(match.group(1))
    if position >= len(items) or not isinstance(items[position], dict):
        return None
    suggested = [dict(item) if isinstance(item, dict) else item for item in items]
    operator = items[position].get("operator")
    if operator == "replace":
        suggested[position]["operator"] = "add"
    elif operator == "remove":
        del suggested[position]
    else:
        return None
    name = "%s %s" % (entry.get("kind") or "policy", entry.get("policy") or "")
    label = "spec.overrideRules[%d].overriders.plaintext" % index
    diff = difflib.unified_diff(_pretty(items), _pretty(suggested), fromfile="%s %s (now)" % (name, label),
                                tofile="%s %s (suggested)" % (name, label), lineterm="")
    return "\n".join(diff)


def _plan_overrides(report, observation):
    broken = _list(_dict(_check(report, "override_policies").get("details")).get("broken"))
    policies = _dict(observation.get("policies"))
    rows = []
    for entry in broken[:MAX_TARGETS]:
        if not isinstance(entry, dict):
            continue
        ref = _policy_path(entry)
        diff = suggest_override_fix(entry, policies.get(ref)) if ref else None
        rows.append({"policy": _text(entry.get("policy"), 300), "kind": entry.get("kind"), "rule": entry.get("rule"),
                     "path": _text(entry.get("path"), 300), "operation": entry.get("operation"),
                     "error": _text(entry.get("error")), "clusters": _list(entry.get("clusters"))[:10],
                     "diff": _text(diff, 4000) if diff else None})
    return rows


def _plan_blockers(report, observation):
    rows = []
    clusters = _dict(observation.get("clusters"))
    works = _dict(observation.get("works_in_terminating"))
    for namespace in sorted(works):
        cluster = cluster_of(namespace)
        held = [w for w in works[namespace] if EXECUTION_CONTROLLER_FINALIZER in w["finalizers"]]
        rows.append({"namespace": namespace, "cluster": cluster, "cluster_exists": cluster in clusters,
                     "cluster_ready": _dict(clusters.get(cluster)).get("ready", False),
                     "works_with_finalizers": len(held),
                     "samples": [_text(w["name"], 300) for w in held[:MAX_SAMPLES]]})
    return rows


def _blocker_text(rows):
    parts = []
    for row in rows[:5]:
        why = ("cluster %s is not Ready, so the execution controller cannot clean up its Works" % row["cluster"]
               if row["cluster_exists"] and not row["cluster_ready"]
               else "Cluster %s no longer exists" % row["cluster"] if not row["cluster_exists"] else
               "cluster %s is Ready" % row["cluster"])
        parts.append("%s: %d Work(s) still carry the %s finalizer; %s" % (row["namespace"], row["works_with_finalizers"],
                                                                          EXECUTION_CONTROLLER_FINALIZER, why))
    return "; ".join(parts)


def _report_action(cause):
    action_id = CATALOGUE[cause["id"]]["action_id"]
    targets = ["Cluster/%s" % c for c in _list(cause.get("clusters"))[:10]] + \
        ["binding %s" % b for b in _list(cause.get("bindings"))[:10]]
    return action_id, targets


def bindings_lack_works(report):
    """Whether the diagnosis saw scheduled bindings without a Work on some target cluster (binding_status)."""
    rows = _list(_dict(_check(report, "binding_status").get("details")).get("not_fully_applied"))
    return any(isinstance(row, dict) and row.get("clusters_without_work") for row in rows)


def _key_checks_unknown(report):
    unknown = set(_list(_dict(report.get("verdict")).get("unknown_checks")))
    return [check for check in RESTART_EVIDENCE if check in unknown]


def plan(report, observation, options, deployment=None, now=None, deployment_error=None):
    """The ordered actions for a diagnosis report; pure.

    Returns ``{"actions": [...], "apply": {action id: inputs for its role}, "restart": {...},
    "stopped": bool, "effective_mode": "plan"|"apply", "summary": str}``. ``deployment`` is the
    controller-manager Deployment as read now (for the cooldown), ``deployment_error`` why it could not be
    read; ``now`` an aware datetime.
    """
    verdict = _dict(report.get("verdict"))
    effective = "apply" if options["mode"] == "apply" and options["approve"] and not options["check_mode"] else "plan"
    pending = "planned"
    actions, apply, blockers, triggers = [], {}, [], []
    stop = next((c for c in _causes(report) if c["id"] == "apiserver_errors" and c.get("current", True)), None)
    unknown_keys = _key_checks_unknown(report)
    refuse = None
    if verdict.get("status") == "unknown":
        refuse = "the diagnosis could not gather its evidence (status unknown; checks that could not run: %s)" % \
            ", ".join(_list(verdict.get("unknown_checks"))[:10])
    if observation.get("error"):
        refuse = "could not read the live state the plan depends on (%s)" % _text(observation["error"], 300)
    if stop is not None:
        actions.append(_action("stop_for_apiserver_runbook", "apiserver_errors", "skipped",
                               "stopped: the Karmada API server is failing requests; nothing is applied until it is "
                               "healthy again", next_step="Follow the Karmada API Server Availability runbook: %s; "
                               "then run the diagnosis again" % APISERVER_RUNBOOK_URL,
                               targets=["binding %s" % b for b in _list(stop.get("bindings"))[:10]]))
    for cause in _causes(report):
        cause_id, current = cause["id"], cause.get("current", True)
        action_id = CATALOGUE[cause_id]["action_id"]
        if cause_id == "apiserver_errors":
            continue
        if cause_id == "workqueue_stuck":
            triggers.append("a stuck workqueue (cause workqueue_stuck)")
            continue
        if action_id == RESTORE:
            state, reason, targets, details, inputs = _plan_restore(report, cause, observation, options)
        elif action_id == RBAC:
            state, reason, targets, details, inputs = _plan_rbac(report, options)
        else:
            state = "report"
        if state == "report":
            targets = _report_action(cause)[1]
            details, next_step = {}, CATALOGUE[cause_id]["mitigation"]
            if action_id == "suggest_override_policy_fix":
                details["policies"] = _plan_overrides(report, observation)
                next_step = ("No automatic edit: fix the policy named here (a suggested diff is attached where a "
                             "mechanical edit fits). " + next_step)
            elif action_id == "report_namespace_finalization_blockers":
                details["namespaces"] = _plan_blockers(report, observation)
                found = _blocker_text(details["namespaces"])
                next_step = (found + ". " if found else "") + "Never remove the finalizers or force the namespace by " \
                    "hand while the member cluster may come back: " + next_step
            reason = "report only: no automatic fix for %s%s" % (
                CATALOGUE[cause_id]["title"].lower(), "" if current else " (seen only in past events and logs)")
            actions.append(_action(action_id, cause_id, "skipped", reason, targets, next_step, details))
            if current and action_id not in TRANSIENT_ACTIONS:
                blockers.append(cause_id)
            continue
        action = _action(action_id, cause_id, pending, reason, targets, details=details)
        if state == "resolved":
            action.update(status="skipped")
            if current and bindings_lack_works(report):
                triggers.append("%s found fixed since the diagnosis while bindings still lack Works" % cause_id)
        elif state == "blocked":
            action.update(status="skipped", next_step=CATALOGUE[cause_id]["mitigation"])
            blockers.append(cause_id)
        elif stop is not None or refuse:
            action.update(status="skipped", reason="not applied: %s. Would: %s" % (
                "API server errors come first" if stop is not None else refuse, reason))
            blockers.append(cause_id)
        elif action_id not in options["allow"]:
            action.update(status="skipped", reason="not in karmada_mitigate_allow (%s). Would: %s" % (
                ", ".join(options["allow"]) or "empty", reason), next_step=CATALOGUE[cause_id]["mitigation"])
            blockers.append(cause_id)
        else:
            apply[action_id] = inputs
            triggers.append("the fix of %s" % cause_id)
            if details.get("rejected") or details.get("terminating"):
                # Part of the cause stays: those bindings keep failing whatever a restart does.
                blockers.append(cause_id)
        actions.append(action)
    if _dict(verdict.get("unrecognised")).get("count") and \
            _dict(verdict.get("failure_activity")).get("state") == "current":
        blockers.append("unrecognised failures")
    restart = _plan_restart(report, triggers, blockers, unknown_keys, stop, refuse, options, deployment, now, pending,
                            deployment_error)
    if restart is not None:
        actions.append(restart)
        if restart["status"] == pending:
            apply[RESTART] = restart["details"]
    return {"actions": actions, "apply": apply if effective == "apply" or options["check_mode"] else {},
            "planned_apply": sorted(apply), "effective_mode": effective, "stopped": stop is not None,
            "restart_blockers": blockers, "summary": plan_summary(actions, effective, options, stop, refuse)}


def _plan_restart(report, triggers, blockers, unknown_keys, stop, refuse, options, deployment, now, pending,
                  deployment_error=None):
    if not triggers:
        return None
    cause = "workqueue_stuck" if _cause(report, "workqueue_stuck") else None
    details = {"triggers": triggers, "cooldown_seconds": options["cooldown"]}
    target = ["Deployment %s" % (_dict(_dict(deployment).get("metadata")).get("name") or "karmada-controller-manager")]
    why = "restart karmada-controller-manager (rollout restart, then wait for the rollout) after %s" % \
        ", ".join(triggers)
    action = _action(RESTART, cause, pending, why, target, details=details)
    skip = None
    if stop is not None:
        skip = "API server errors come first"
    elif refuse:
        skip = refuse
    elif RESTART not in options["allow"]:
        skip = "not in karmada_mitigate_allow"
    elif blockers:
        skip = "a root cause remains unfixed (%s): a restart would only reset the backoff of bindings that keep " \
               "failing" % ", ".join(blockers)
    elif unknown_keys:
        skip = "cannot confirm that no root cause remains: %s could not run" % ", ".join(unknown_keys)
    if skip is None and deployment_error:
        skip = "cannot read the controller-manager Deployment on the host cluster (%s)" % printable(
            _text(deployment_error, 300))
    if skip is None and now is not None:
        gate = restart_gate(deployment, now, options["cooldown"])
        details.update(previous_restarted_at=gate["previous_restarted_at"], next_allowed_at=gate["next_allowed_at"])
        if not gate["allowed"]:
            skip = gate["reason"]
    if skip is not None:
        action.update(status="skipped", reason="restart not done: %s" % skip,
                      next_step="Fix the root cause first, then restart with this playbook or `kubectl rollout restart "
                                "deployment/karmada-controller-manager -n karmada-system` on the host cluster")
    return action


def plan_summary(actions, effective, options, stop, refuse=None):
    if stop is not None:
        return "stopped: API server errors come first, see the Karmada API Server Availability runbook"
    planned = [a for a in actions if a["status"] == "planned"]
    reports = [a for a in actions if a["kind"] == "report"]
    if refuse and not planned:
        # "No cause found" would read as "healthy"; the truth is that nothing was there to judge from.
        return "refused: nothing is applied, %s" % refuse
    if not actions:
        return "nothing to do: the diagnosis found no cause to act on"
    if effective == "plan":
        how = " (check mode)" if options["check_mode"] else \
            "; approve with -e karmada_mitigate_approve=true" if options["mode"] == "apply" else \
            "; run with karmada_mitigate_mode=apply and karmada_mitigate_approve=true to apply"
        return "plan only: %d action(s) would apply%s%s" % (
            len(planned), ", %d need a human" % len(reports) if reports else "", how if planned else "")
    return "%d action(s) to apply, %d need a human" % (len(planned), len(reports))


def plan_lines(plan_result, limit=20):
    """The plan for the job log: the summary, then one bounded, printable line per action."""
    lines = [printable(plan_result.get("summary") or "")]
    actions = _list(plan_result.get("actions"))
    for action in actions[:limit]:
        lines.append(printable("%-8s %s: %s" % (action["status"], action["id"], _text(action["reason"], 240))))
    if len(actions) > limit:
        lines.append("... and %d more action(s), see report.json" % (len(actions) - limit))
    return lines


# -- outcomes ------------------------------------------------------------------------------------------------------
def item_error(result):
    """The error of one kubernetes.core task result (or loop item), cut to a readable length."""
    if not isinstance(result, dict) or not result.get("failed"):
        return None
    text = result.get("msg") or result.get("error") or "failed"
    if isinstance(result.get("reason"), str) and result["reason"] not in text:
        text = "%s: %s" % (text, result["reason"])
    return _text(text)


def outcome(action_id, results, started=None, finished=None, extra=None, skipped=None):
    """What one action role did, from its registered kubernetes.core result(s).

    ``results`` is a registered task: a loop (``results`` list) or a single result; ``skipped`` is the reason
    the action decided not to act (the restart's gate). Returns
    ``{"id", "status", "changed", "reason", "written", "errors", "duration_seconds"}``.
    """
    items = _list(_dict(results).get("results")) if "results" in _dict(results) else [results]
    items = [i for i in items if isinstance(i, dict) and not i.get("skipped")]
    errors = [e for e in (item_error(i) for i in items) if e]
    changed = [i for i in items if i.get("changed") and not i.get("failed")]
    written = []
    for item in changed:
        meta = _dict(_dict(item.get("result")).get("metadata"))
        written.append("%s/%s" % (_dict(item.get("result")).get("kind") or "object", meta.get("name") or "?"))
    status = "failed" if errors else "applied"
    if skipped:
        status, reason = "skipped", _text(skipped, 2000)
    elif errors:
        reason = "failed: %s" % "; ".join(errors[:3])
    elif written:
        reason = "changed %s" % ", ".join(written[:10])
    else:
        reason = "already in place: nothing to change"
    duration = None
    if started is not None and finished is not None:
        duration = round(max(0.0, finished - started), 3)
    details = {}
    if action_id == RESTORE:
        details["created"] = [name.split("/", 1)[1] for name in written]
    elif action_id == RESTART and items and isinstance(_dict(items[-1].get("result")).get("status"), dict):
        details["rollout"] = items[-1]["result"]["status"]
    result = {"id": action_id, "status": status, "changed": bool(changed), "reason": reason, "details": details,
              "written": written[:MAX_TARGETS], "errors": errors[:MAX_SAMPLES], "duration_seconds": duration}
    extra = dict(extra or {})
    result["details"].update(_dict(extra.pop("details", None)))
    result.update(extra)
    return result


def fixes_failed(outcomes):
    """Root-cause fixes of this run that failed (they hold the restart back)."""
    return [o["id"] for o in _list(outcomes) if isinstance(o, dict) and o.get("id") in ROOT_FIXES
            and o.get("status") == "failed"]


def settle(plan_result, outcomes=None, lock=None, verification=None, context=None):
    """The report's ``mitigation`` section from the plan and what each action role did.

    ``outcomes`` are ``outcome()`` dicts (the restart's may carry ``status: skipped`` and the gate's reason);
    ``context`` holds ``mode``, ``approved``, ``check_mode``, ``allowed_actions``, ``diagnosis``,
    ``started_at`` and ``finished_at``.
    """
    context = _dict(context)
    mode = context.get("mode") or plan_result.get("effective_mode")
    lock = lock_record(lock)
    done = {o["id"]: o for o in _list(outcomes) if isinstance(o, dict) and o.get("id") in ACTIONS}
    actions = []
    for action in _list(plan_result.get("actions")):
        action = dict(action)
        result = done.get(action["id"])
        if result is not None and action["status"] == "planned":
            status, reason = result["status"], _text(result.get("reason"), 2000)
            if context.get("check_mode") and status == "applied":
                # kubernetes.core sent server-side dry runs: the server accepted them, nothing was written.
                status, reason = "planned", "dry run accepted: would have %s" % reason
            action.update(status=status, changed=bool(result.get("changed")) and not context.get("check_mode"),
                          reason=reason, duration_seconds=result.get("duration_seconds"))
            if result.get("details"):
                action["details"] = dict(action["details"], **result["details"])
            if result["status"] == "failed":
                action["next_step"] = CATALOGUE.get(action.get("cause") or "", {}).get("mitigation") or \
                    "Look at the error, fix it, and run the mitigation again."
        if action["status"] == "planned" and mode == "apply":
            # Approved but never carried out: the run stopped before it (a lock held elsewhere, an error).
            action.update(status="skipped", reason="not carried out: %s. Would: %s" % (
                _text(context.get("error") or "the run stopped before this action", 300), action["reason"]))
        actions.append(action)
    if mode != "apply":
        lock = verification = None
    section = {"mode": mode,
               "approved": bool(context.get("approved")), "check_mode": bool(context.get("check_mode")),
               "allowed_actions": list(_list(context.get("allowed_actions"))),
               "diagnosis": context.get("diagnosis"), "started_at": context.get("started_at"),
               "finished_at": context.get("finished_at"), "actions": actions, "lock": lock or None,
               "verification": verification or None}
    section["summary"] = settle_summary(section, plan_result)
    if context.get("error"):
        section["summary"] = "not completed: %s; %s" % (_text(context["error"], 300), section["summary"])
    return section


def lock_record(lock):
    """The report's view of the lock module's result: who held it, whether this run got it and gave it back."""
    if not isinstance(lock, dict) or not lock:
        return None
    record = {"name": lock.get("name") or "", "namespace": lock.get("namespace") or "",
              "holder": lock.get("holder") or "", "acquired": bool(lock.get("acquired")),
              "waited_seconds": lock.get("waited_seconds") if isinstance(lock.get("waited_seconds"), (int, float))
              else 0, "taken_over_from": lock.get("taken_over_from"),
              "released": bool(lock.get("released")) and bool(lock.get("acquired")),
              "error": _text(lock.get("error"), 1000) if lock.get("error") else None}
    if not record["acquired"] and not record["error"]:
        record["error"] = _text(lock.get("message") or "the mitigation lock was not acquired", 1000)
    return record


def settle_summary(section, plan_result):
    actions = section["actions"]
    if plan_result.get("stopped"):
        return plan_result["summary"]
    applied = [a for a in actions if a["status"] == "applied"]
    failed = [a for a in actions if a["status"] == "failed"]
    if section["mode"] != "apply" or not (applied or failed):
        lock = _dict(section.get("lock"))
        if lock and not lock.get("acquired"):
            return "not applied: %s" % _text(lock.get("error") or "the mitigation lock was not acquired", 300)
        return plan_result.get("summary") or "nothing applied"
    parts = ["applied %d action(s)" % len(applied)]
    if failed:
        parts.append("%d failed (%s)" % (len(failed), ", ".join(a["id"] for a in failed)))
    changed = [a for a in applied if a["changed"]]
    if applied and not changed:
        parts.append("nothing needed changing")
    verification = _dict(section.get("verification"))
    if verification:
        elapsed = verification.get("elapsed_seconds", 0)
        if verification.get("recovered"):
            parts.append("recovered in %d s" % elapsed)
        else:
            parts.append("NOT recovered after %d s: %s" % (elapsed, _text(verification.get("reason"), 200)))
    return "; ".join(parts)
