# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cause catalogue: what each probable cause is, how its error texts read, and what to do about it.

Patterns follow the texts Karmada's binding controller, override manager and the Kubernetes API
server produce (SyncWorkFailed event messages, the ``err=`` of klog lines), in both the v1.15+
structured wording and the older printf wording. Mitigations come from the runbook's table; the
causes the table does not list get guidance of our own, marked ``runbook_row: None``.

Each entry's ``action_id`` names what mitigate.yml does about the cause, next to the prose a human
reads: ``ACTIONS`` says which ids change something (``apply``), which only gather and report
(``report``) and which stop the mitigation for another runbook (``stop``). The report's cause ids
(``_report.CAUSE_IDS``) are this catalogue's keys, so a cause exists exactly when it has an entry.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

RUNBOOK_URL = "https://karmada.io/docs/administrator/reliability/runbooks/SLO/binding-sync-work-availability"
# The runbook the mitigation table sends API server errors to (karmada-io/website
# docs/administrator/reliability/runbooks/SLO/karmada-apiserver-availability.md).
APISERVER_RUNBOOK_URL = "https://karmada.io/docs/administrator/reliability/runbooks/SLO/karmada-apiserver-availability"

# Runbook mitigation table rows, verbatim symptom names with our own wording of the action.
ROW_MISSING_NAMESPACES = "Missing execution namespaces"
ROW_RBAC = "RBAC errors"
ROW_OVERRIDE = "Override policy failures"
ROW_APISERVER = "API server errors"
ROW_WORKQUEUE = "Controller workqueue stuck"

# What mitigate.yml may do for each action id. ``restart_controller_manager`` only ever runs after the
# root causes are fixed; the planner, not this table, enforces that order.
ACTIONS = {
    "restore_execution_namespaces": "apply",
    "repair_controller_rbac": "apply",
    "restart_controller_manager": "apply",
    "report_namespace_finalization_blockers": "report",
    "suggest_override_policy_fix": "report",
    "report_webhook_outage": "report",
    "report_works_being_deleted": "report",
    "report_other_work_writer": "report",
    "report_invalid_template": "report",
    "report_missing_target_cluster": "report",
    "report_interpreter_failure": "report",
    "report_oversized_template": "report",
    "report_admission_denial": "report",
    "report_work_cache_stale": "report",
    "stop_for_apiserver_runbook": "stop",
}

CATALOGUE = {
    "execution_namespace_missing": {
        "title": "Execution namespaces are missing",
        "runbook_row": ROW_MISSING_NAMESPACES,
        "action_id": "restore_execution_namespaces",
        "mitigation": "Recreate the missing karmada-es-<cluster> namespaces (label karmada.io/system=true) or "
                      "trigger cluster re-registration (touch the Cluster object so the cluster controller "
                      "recreates them); then let the failing bindings retry or restart the controller-manager.",
        "patterns": [r'namespaces "(?P<namespace>karmada-es-[^"]+)" not found'],
    },
    "execution_namespace_terminating": {
        "title": "An execution namespace is stuck terminating",
        "runbook_row": ROW_MISSING_NAMESPACES,
        "action_id": "report_namespace_finalization_blockers",
        "mitigation": "The namespace is being deleted and refuses new Works. Find what holds it (Works whose "
                      "karmada.io/execution-controller finalizer cannot be cleared, usually because the member "
                      "cluster is not Ready), resolve that, let the namespace go, then recreate it or re-register "
                      "the cluster.",
        "patterns": [r"unable to create new content in namespace (?P<namespace>\S+) because it is being "
                     r"terminated"],
    },
    "rbac_denied": {
        "title": "The controller-manager is denied by RBAC",
        "runbook_row": ROW_RBAC,
        "action_id": "repair_controller_rbac",
        "mitigation": "Review and fix the controller-manager's RBAC roles on the Karmada API server: its identity "
                      "must be allowed to create, update, get, list and watch works.work.karmada.io in every "
                      "karmada-es-* namespace (standard installs use a system:masters certificate).",
        "patterns": [r'is forbidden: User "(?P<user>[^"]+)" cannot (?P<verb>[a-z]+) resource "(?P<resource>[^"]+)"'
                     r' in API group "(?P<group>[^"]*)"'],
    },
    "override_policy_failure": {
        "title": "An override policy cannot be applied",
        "runbook_row": ROW_OVERRIDE,
        "action_id": "suggest_override_policy_fix",
        "mitigation": "Review and fix the OverridePolicy / ClusterOverridePolicy named in the evidence: correct "
                      "the overrider path or value, or narrow its resource selector or target clusters. A "
                      "policy change re-enqueues the bindings it matches.",
        "patterns": [
            # evanphx/json-patch v5.9.11 v5/patch.go (plaintext, image, command/args, label/annotation and
            # fieldOverrider patches all go through Patch.Apply): add/remove/replace/move/copy "does not apply"
            # and test's "is missing path" wordings.
            r"(?P<operation>add|remove|replace|move|copy|test) operation does not apply: (?:doc )?is missing "
            r"(?:path|key|from path|destination path): \"?(?P<path>[^\":]+)\"?",
            # json-patch v5.9.11: "error in <op> for path: '%s': %w" wraps index-out-of-range, nonexistent key
            # and bad array index errors (replace reports itself as "remove"); copy uses "for from:".
            r"error in (?P<operation>add|remove|replace|move|copy|test) for (?:path|from): '(?P<path>[^']+)'",
            r"testing value (?P<path>\S+) failed: test failed",
            r"unable to move entire document to another path",
            # go-openapi/jsonpointer v0.22.4 errors.go (fieldOverrider fieldPath lookups), all ending in
            # the sentinel ErrPointer "JSON pointer error".
            r"(?:object has no key|object has no field|index out of bounds array|invalid token reference|"
            r"nil value has no field).*: JSON pointer error",
            r'JSON pointer must be empty or start with a "/"',
            # karmada v1.18.2 pkg/util/overridemanager/overridemanager.go applyFieldOverriders
            r"Get object's value by overrider's path\((?P<path>[^)]*)\) is not string",
            # karmada v1.18.2 pkg/util/overridemanager/imageoverride.go
            r"failed to obtain imageValue with predicate path\((?P<path>[^)]*)\)",
            r"failed to parse image value\(",
            r"unsupported image component\(",
            r"imagePath should be start with / character",
            r"path\((?P<path>[^)]*)\) of rawObj's (?:is not number|type is not map)",
            r"failed to convert path\((?P<path>[^)]*)\) to string",
            r"failed to convert (?:Pod|ReplicaSet|Deployment|DaemonSet|StatefulSet|Job) from unstructured object",
            # karmada v1.18.2 pkg/util/overridemanager/commandargsoverride.go
            r"failed to retrieves path\((?P<path>[^)]*)\) from rawObj",
            r"commandRunPath should be start with / character",
            # karmada v1.18.2 overridemanager.go: ApplyOverridePolicyFailed events and the printf log lines
            r"Apply (?:cluster )?override policy\((?P<policy>[^)]+)\) for cluster\((?P<cluster>[^)]+)\) failed",
            r"Failed to apply (?:cluster )?overrides\((?P<policy>[^)]+)\)",
            # pkg/controllers/binding/common.go:111 (v1.18.2): the klog message; read only when its err names no cause.
            r"Failed to apply overrides for workload in cluster\.",
        ],
    },
    "work_webhook_unavailable": {
        "title": "The Work admission webhook is unavailable",
        "runbook_row": ROW_APISERVER,
        "action_id": "report_webhook_outage",
        "mitigation": "Restore the admission webhook named in the evidence. For work.karmada.io that is "
                      "karmada-webhook (its pods, Service and certificate on the host cluster): its mutating "
                      "webhook fails closed, so every Work write is rejected until it answers. Any other name is a "
                      "third-party webhook on works (a policy engine): restore it or scope it away from works.",
        # apiserver v0.35.3 pkg/util/webhook/error.go ErrCallingWebhook, wrapped by NewInternalError. Admission
        # webhook names are DNS names (no "/"); resource interpreter webhooks are matched earlier.
        "patterns": [r'failed calling webhook "(?P<webhook>[^"/]+)"'],
    },
    "work_being_deleted": {
        "title": "Works are stuck in deletion",
        "runbook_row": None,
        "action_id": "report_works_being_deleted",
        "mitigation": "A Work the binding controller must update is being deleted and its "
                      "karmada.io/execution-controller finalizer is not cleared. Check the member cluster and the "
                      "execution controller; once the member side is cleaned up the finalizer goes and the Work is "
                      "recreated. Remove the finalizer by hand only if the member cluster is gone for good.",
        "patterns": [r"work (?P<namespace>[^/\s]+)/(?P<work>\S+) is being deleted"],
    },
    "work_conflict": {
        "title": "Work updates conflict",
        "runbook_row": None,
        "action_id": "report_other_work_writer",
        "mitigation": "Another writer keeps changing the same Works. Find it (a second controller-manager "
                      "without leader election, a GitOps tool or a script writing works.work.karmada.io) and "
                      "stop it.",
        # apimachinery v0.35.3 pkg/api/errors/errors.go NewConflict; CreateOrUpdateWork's RetryOnConflict
        # (retry.DefaultRetry, 5 tries) gave up, so someone else keeps writing the Work.
        "patterns": [r'Operation cannot be fulfilled on works\.work\.karmada\.io "(?P<work>[^"]+)": the object has '
                     r"been modified"],
    },
    "work_cache_stale": {
        "title": "A Work was created behind the controller's cache",
        "runbook_row": None,
        "action_id": "report_work_cache_stale",
        "mitigation": "Transient: CreateOrUpdateWork reads the Work from the controller-manager's informer cache, "
                      "did not find it and tried to create it, but it already exists (created moments ago, the "
                      "cache had not caught up). The binding is requeued and the next retry updates the Work; no "
                      "action is needed. Only if it persists for minutes is the controller's Work watch broken: "
                      "look for watch/list errors in its log and restart karmada-controller-manager.",
        # apimachinery v0.35.3 errors.go NewAlreadyExists from the Create of controller-runtime v0.23.1
        # controllerutil.CreateOrUpdate after a cached Get said NotFound; RetryOnConflict does not retry it.
        "patterns": [r'works\.work\.karmada\.io "(?P<work>[^"]+)" already exists'],
    },
    "invalid_resource_template": {
        "title": "A resource template cannot be turned into a Work",
        "runbook_row": None,
        "action_id": "report_invalid_template",
        "mitigation": "Fix the resource template named in the evidence (its spec is rejected or cannot be "
                      "revised for the target cluster); the binding resyncs when the template changes.",
        "patterns": [r"no completions found for cluster (?P<cluster>\S+)",
                     r'Work\.work\.karmada\.io "(?P<work>[^"]+)" is invalid',
                     r"Failed to revise replica",
                     r"json: cannot unmarshal"],
    },
    "target_cluster_missing": {
        "title": "Bindings target a cluster that does not exist",
        "runbook_row": None,
        "action_id": "report_missing_target_cluster",
        "mitigation": "A binding is scheduled to a Cluster that is no longer registered. Re-register the cluster "
                      "or let the scheduler reschedule the binding (check the PropagationPolicy placement).",
        # overridemanager.go (v1.18.2) Gets the Cluster through the manager's cached client: controller-runtime
        # v0.23.1 pkg/cache/internal/cache_reader.go builds NotFound from the kind ("Cluster.cluster.karmada.io");
        # a direct (uncached) read names the resource ("clusters.cluster.karmada.io").
        "patterns": [r'(?:Cluster|clusters)\.cluster\.karmada\.io "(?P<cluster>[^"]+)" not found',
                     r"Failed to get member cluster: (?P<cluster>\S+?),"],
    },
    "resource_interpreter_failure": {
        "title": "The resource interpreter fails for the workload",
        "runbook_row": None,
        "action_id": "report_interpreter_failure",
        "mitigation": "ReviseReplica of the workload's kind is customized and failing. For a "
                      "ResourceInterpreterWebhookConfiguration (the webhook is named <configuration>/<hook>) "
                      "restore the interpreter webhook's service or fix its responses; for a "
                      "ResourceInterpreterCustomization fix its Lua script (the error names the line). This is "
                      "not karmada-webhook.",
        "patterns": [
            # karmada v1.18.2 pkg/resourceinterpreter/customized/webhook/customized.go callHook: ErrCallingWebhook
            # with WebhookName = hook.GetUID(), which configmanager/manager.go sets to "<configuration>/<hook>".
            r'failed calling webhook "(?P<webhook>[^"/]+/[^"]+)"',
            r"not yet ready to handle request",
            # karmada v1.18.2 pkg/resourceinterpreter/customized/declarative/luavm/lua.go RunScript / ReviseReplica
            r"not found function (?P<function>\w+)",
            r"\b(?P<function>\w+) is not a function: ",
            r"expect the returned (?:requires|replica) type is table but got",
            # yuin/gopher-lua v1.1.1: runtime errors carry the chunk position "<string>:<line>:" (DoString),
            # syntax errors "<string> line:<n>(column:<m>) near" (parse/lexer.go).
            r"<string>:(?P<line>\d+): ",
            r"<string> line:(?P<line>\d+)\(column:\d+\) near",
        ],
    },
    "resource_template_too_large": {
        "title": "The resource template is too large for a Work",
        "runbook_row": None,
        "action_id": "report_oversized_template",
        "mitigation": "The Work that embeds the resource template exceeds the API server's or etcd's request size "
                      "limit. Shrink the template named in the evidence (large ConfigMap/Secret data, embedded "
                      "files, managedFields or last-applied annotations) or split it; raising etcd's "
                      "--max-request-bytes is the last resort.",
        "patterns": [
            # apiserver v0.35.3 pkg/endpoints/handlers/rest.go isTooLargeError: the etcd error text reaches the client
            r"etcdserver: request is too large",
            r"trying to send message larger than max",
            # apimachinery v0.35.3 errors.go NewRequestEntityTooLargeError ("limit is %d", handlers/rest.go)
            r"Request entity too large: ",
        ],
    },
    "admission_denied": {
        "title": "An admission policy rejects the Work",
        "runbook_row": None,
        "action_id": "report_admission_denial",
        "mitigation": "An admission control on the Karmada API server rejects the Work (a ResourceQuota in the "
                      "execution namespace, a ValidatingAdmissionPolicy or a third-party validating/mutating "
                      "webhook named in the evidence). This is a policy decision, not RBAC: raise or remove the "
                      "quota on karmada-es-* namespaces, or exempt works.work.karmada.io from the policy.",
        "patterns": [
            # apiserver v0.35.3 pkg/admission/plugin/webhook/errors/statuserror.go ToStatusErr
            r'admission webhook "(?P<webhook>[^"]+)" denied the request',
            # apiserver v0.35.3 pkg/admission/plugin/policy/validating/dispatcher.go
            r"ValidatingAdmissionPolicy '(?P<policy>[^']+)'(?: with binding '[^']+')? denied request",
            # apiserver v0.35.3 pkg/admission/plugin/resourcequota/controller.go
            r"exceeded quota: (?P<quota>[^,]+)",
            r"status unknown for quota: (?P<quota>[^,]+)",
        ],
    },
    "apiserver_errors": {
        "title": "The Karmada API server is failing",
        "runbook_row": ROW_APISERVER,
        "action_id": "stop_for_apiserver_runbook",
        "mitigation": "Address the API server issues first (see the Karmada API Server Availability runbook): "
                      "etcd health, API server pods, load and throttling. Binding sync recovers once Work writes "
                      "succeed again.",
        "patterns": [
            # etcd errors relayed by the API server (the too-large one is matched earlier)
            r"etcdserver: (?P<detail>[^,\]\"]+)",
            # apimachinery v0.35.3 pkg/api/errors/errors.go NewGenericServerResponse (503, 504, 429, other 5xx)
            r"the server is currently unable to handle the request",
            r"the server was unable to return a response in the time allotted",
            r"the server has received too many requests",
            r'an error on the server \("[^"]*"\) has prevented the request from succeeding',
            # errors.go NewTimeoutError / NewServerTimeout / NewTooManyRequests; apiserver v0.35.3
            # handlers/finisher/finisher.go and server/filters/timeout.go supply the timeout texts
            r"Timeout: request did not complete",
            r"The \w+ operation against \S+ could not be completed at this time",
            r"Too many requests: ",
            # errors.go NewInternalError, unless a webhook is named (matched earlier)
            r"Internal error occurred: (?!failed calling webhook)",
            # client-go v0.35.3 rest/request.go tryThrottleWithInfo: the client-side QPS limiter ran out of time
            r"client rate limiter Wait returned an error",
            # transport errors client-go returns as url.Error: Go net / io / x/net/http2 / gRPC status texts
            r"connect: connection refused",
            r"unexpected EOF",
            r"http2: client connection lost",
            r"TLS handshake timeout",
            r"rpc error: code = Unavailable",
        ],
    },
    "workqueue_stuck": {
        "title": "The binding controller's workqueue is stuck",
        "runbook_row": ROW_WORKQUEUE,
        "action_id": "restart_controller_manager",
        "mitigation": "Once the root cause is fixed, restart karmada-controller-manager (rollout restart of its "
                      "Deployment on the host cluster): bindings that failed sit in per-item backoff for up to "
                      "~16 minutes, and a restart gives a fresh queue that reconciles every binding once.",
        "patterns": [],
    },
}

# Order in which overlapping patterns are tried, most specific first: an interpreter webhook before the admission
# webhook (both "failed calling webhook"), both before the generic internal error and the transport error they
# wrap; admission denials before RBAC (both "is forbidden:"); the too-large etcd error before other etcd errors.
_ORDER = ("resource_interpreter_failure", "work_webhook_unavailable", "admission_denied",
          "execution_namespace_terminating", "execution_namespace_missing", "rbac_denied", "work_being_deleted",
          "work_cache_stale", "work_conflict", "target_cluster_missing", "override_policy_failure",
          "invalid_resource_template", "resource_template_too_large", "apiserver_errors")
_COMPILED = [(cause, re.compile(pattern)) for cause in _ORDER for pattern in CATALOGUE[cause]["patterns"]]
RBAC_LOG_WORDS = re.compile(r"forbidden|unauthorized|rbac", re.IGNORECASE)
# Single errors with a top-level ", " of their own ("..., but may still be processing the request",
# "failed to parse image value(x), error: ...", the quota plugin's "exceeded quota: %s, requested: %s, used: %s,
# limited: %s" and "status unknown for quota: %s, resources: %s"): what follows the comma continues the same error.
_CONTINUATION = re.compile(r"(?:but|error:|err:|requested:|used:|limited:|resources:) ")


def split_aggregate(message):
    """apimachinery aggregates several errors as '[a, b]'; return the parts (one message -> [message])."""
    text = (message or "").strip()
    if not (text.startswith("[") and text.endswith("]")):
        return [text] if text else []
    parts, depth, current = [], 0, []
    for char in text[1:-1]:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    merged = []
    for part in parts:
        if merged and _CONTINUATION.match(part):
            merged[-1] += ", " + part
        elif part:
            merged.append(part)
    return merged


def classify(message):
    """[(cause id, details dict, part)] for every part of a (possibly aggregated) error message.

    A part that matches nothing is returned as cause None so callers can count the unexplained.
    """
    results = []
    for part in split_aggregate(message):
        for cause, pattern in _COMPILED:
            match = pattern.search(part)
            if match:
                details = {k: v for k, v in match.groupdict().items() if v}
                results.append((cause, details, part))
                break
        else:
            results.append((None, {}, part))
    return results


def cause_ids(message):
    """The distinct cause ids of a (possibly aggregated) error message, in order; [] when none.

    One cause per part (the most specific pattern of ``_ORDER``); what the sync_error_cause filter returns.
    """
    seen = []
    for cause, _details, _part in classify(message):
        if cause and cause not in seen:
            seen.append(cause)
    return seen


def is_rbac_related(line):
    """The runbook's step 5 filter: grep -i 'forbidden\\|unauthorized\\|rbac'."""
    return bool(RBAC_LOG_WORDS.search(line or ""))


def mitigation(cause):
    entry = CATALOGUE[cause]
    return {"cause": cause, "title": entry["title"], "runbook_row": entry["runbook_row"],
            "action": entry["mitigation"], "action_id": entry["action_id"], "runbook_url": RUNBOOK_URL}
