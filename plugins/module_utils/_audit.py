# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml: the drift audit's schema, its judgement of the diagnose checks it reuses, and the comparison.

An audit is a list of *audit checks*, each ``ok``, ``drift`` or ``unknown``; a check in drift names
*drift items*, each with an id that stays the same from one run to the next for the same thing
(``execution_namespace_missing:karmada-es-member2``), so two runs can be compared: :func:`compare`
says which items are new and which were resolved since the previous audit report.

Four checks reuse diagnose's findings as they are (``from_findings``: execution namespaces, the
controller's RBAC, the SLO's error budget); the others observe on their own (``_audit_checks``). All
of this is pure: the constructors validate (SchemaError names the field), and nothing here does I/O.
The section lives in report.json under ``audit`` (docs/report-schema.md, "audit").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_BUDGET_THRESHOLD
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import cluster_of
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SchemaError, is_number
from ansible_collections.karmada.runbooks.plugins.module_utils._slo import DEFAULT_SERVICE, DEFAULT_SLO

REPORT_KIND = "audit"
CHECK_STATUSES = ("ok", "drift", "unknown")
AUDIT_STATUSES = ("clean", "drift", "unknown")

# audit check id -> title, in the order the report lists them.
AUDIT_CHECKS = {
    "execution_namespaces": "Execution namespaces match the Clusters",
    "controller_rbac": "RBAC of the controller identity on Works",
    "override_policy_targets": "Override policies select existing templates",
    "controller_manager": "Controller-manager Deployment and pods",
    "leader_lease": "Controller-manager leader Lease",
    "slo_error_budget": "Binding-sync SLO error budget",
    "prometheus_rules": "Sloth recording rules and the burn-rate alert in Prometheus",
}

# drift kind -> the audit check that reports it. An item's id is "<kind>:<subject>".
DRIFT_KINDS = {
    "execution_namespace_missing": "execution_namespaces",
    "execution_namespace_terminating": "execution_namespaces",
    "execution_namespace_orphaned": "execution_namespaces",
    "rbac_denied": "controller_rbac",
    "override_policy_unmatched": "override_policy_targets",
    "controller_manager_missing": "controller_manager",
    "controller_manager_unavailable": "controller_manager",
    "controller_container_restarts": "controller_manager",
    "leader_lease_missing": "leader_lease",
    "leader_lease_stale": "leader_lease",
    "slo_budget_low": "slo_error_budget",
    "prometheus_rule_missing": "prometheus_rules",
    "prometheus_alert_missing": "prometheus_rules",
}

# A subject is a name read from a cluster; an id stays bounded whatever a cluster holds.
MAX_SUBJECT = 300
MAX_DRIFT_PER_CHECK = 200


def drift_item(kind, subject, message):
    """One thing that drifted from what the runbook needs; ``id`` is stable across runs."""
    if kind not in DRIFT_KINDS:
        raise SchemaError("drift kind must be one of %s, got %r" % (", ".join(DRIFT_KINDS), kind))
    subject = str(subject)[:MAX_SUBJECT]
    if not subject:
        raise SchemaError("drift item %s: field 'subject' must not be empty" % kind)
    return {"id": "%s:%s" % (kind, subject), "check": DRIFT_KINDS[kind], "kind": kind, "subject": subject,
            "message": str(message)}


def audit_check(check_id, status, summary, drift=(), details=None, error=None):
    """One audit check's result. ``drift`` only when ``status`` is drift; ``error`` only (and always) when unknown."""
    if check_id not in AUDIT_CHECKS:
        raise SchemaError("audit check id must be one of %s, got %r" % (", ".join(AUDIT_CHECKS), check_id))
    if status not in CHECK_STATUSES:
        raise SchemaError("audit check %s: status must be one of %s, got %r" % (check_id, ", ".join(CHECK_STATUSES), status))
    drift = list(drift)
    if (status == "drift") != bool(drift):
        raise SchemaError("audit check %s: status %s %s drift items" % (check_id, status, "with" if drift else "without"))
    for item in drift:
        if item.get("check") != check_id:
            raise SchemaError("audit check %s: drift item %s belongs to check %s" % (check_id, item.get("id"), item.get("check")))
    if (status == "unknown") != bool(error):
        raise SchemaError("audit check %s: field 'error' is required exactly when the status is unknown" % check_id)
    result = {"id": check_id, "title": AUDIT_CHECKS[check_id], "status": status, "summary": str(summary),
              "drift": drift[:MAX_DRIFT_PER_CHECK], "details": dict(details or {})}
    if len(drift) > MAX_DRIFT_PER_CHECK:
        result["details"]["drift_not_listed"] = len(drift) - MAX_DRIFT_PER_CHECK
    if error:
        result["error"] = str(error)
    return result


def unknown_check(check_id, reason, details=None, duration_seconds=None):
    """A check that could not run: not drift, but reported (and, by default, failing the scheduled audit)."""
    result = audit_check(check_id, "unknown", "Could not check: %s" % reason, details=details, error=reason)
    if duration_seconds is not None:
        result["duration_seconds"] = round(float(duration_seconds), 3)
    return result


def from_drift(check_id, drift, ok_summary, drift_summary, details=None):
    """ok with ``ok_summary`` when ``drift`` is empty, else drift with ``drift_summary``."""
    if drift:
        return audit_check(check_id, "drift", drift_summary, drift=drift, details=details)
    return audit_check(check_id, "ok", ok_summary, details=details)


def validate_check(item, where="audit.checks"):
    """Raise SchemaError unless ``item`` (arriving as data from a module) is an audit check."""
    if not isinstance(item, dict):
        raise SchemaError("%s: must be a mapping, got %s" % (where, type(item).__name__))
    drift = item.get("drift")
    if not isinstance(drift, list) or not all(isinstance(d, dict) for d in drift):
        raise SchemaError("%s: field 'drift' must be a list of drift items" % where)
    for entry in drift:
        rebuilt = drift_item(entry.get("kind"), entry.get("subject") or "", entry.get("message") or "")
        if rebuilt["id"] != entry.get("id"):
            raise SchemaError("%s: drift item id %r does not match its kind and subject" % (where, entry.get("id")))
    if not isinstance(item.get("details", {}), dict):
        raise SchemaError("%s: field 'details' must be a mapping" % where)
    audit_check(item.get("id"), item.get("status"), item.get("summary", ""), drift=drift,
                details=item.get("details"), error=item.get("error"))


# ---------------------------------------------------------------------------------------------
# The diagnose findings the audit reuses


def _unknown_from(check_id, finding):
    return unknown_check(check_id, finding.get("error") or finding.get("summary") or "the check did not run")


def namespaces_check(finding):
    """execution_namespaces finding -> audit check: missing, terminating and orphaned are all drift."""
    if finding.get("status") == "unknown":
        return _unknown_from("execution_namespaces", finding)
    details = finding.get("details") or {}
    drift = []
    for kind, key, what in (("execution_namespace_missing", "missing", "does not exist for Cluster %s"),
                            ("execution_namespace_terminating", "terminating", "is terminating (Cluster %s)"),
                            ("execution_namespace_orphaned", "orphaned", "has no Cluster %s")):
        for namespace in details.get(key) or []:
            drift.append(drift_item(kind, namespace, "execution namespace %s %s" % (namespace, what % cluster_of(namespace))))
    counts = {key: len(details.get(key) or []) for key in ("missing", "terminating", "orphaned")}
    summary = "%d missing, %d terminating, %d orphaned execution namespace(s) for %s Cluster(s)." % (
        counts["missing"], counts["terminating"], counts["orphaned"], details.get("clusters", "?"))
    return from_drift("execution_namespaces", drift,
                      "All %s Clusters have their execution namespace and none is orphaned." % details.get("clusters", "?"),
                      summary, details=dict(counts, clusters=details.get("clusters")))


def rbac_check(finding):
    """rbac finding -> audit check: a denied review, or denials in the logs, are drift."""
    if finding.get("status") == "unknown":
        return _unknown_from("controller_rbac", finding)
    details = finding.get("details") or {}
    identity = details.get("identity") or {}
    subject = identity.get("user") or ",".join(identity.get("groups") or []) or "unknown-identity"
    denied = [r for r in details.get("reviews") or [] if isinstance(r, dict) and not r.get("allowed")]
    drift = []
    if finding.get("status") in ("fail", "warn"):
        drift.append(drift_item("rbac_denied", subject, finding.get("summary") or "RBAC denies the controller"))
    return from_drift("controller_rbac", drift, finding.get("summary") or "No RBAC denial.",
                      finding.get("summary") or "RBAC denies the controller.",
                      details={"identity": identity, "denied_reviews": len(denied),
                               "reviews": len(details.get("reviews") or [])})


def budget_check(finding, threshold=AUDIT_BUDGET_THRESHOLD, slo="%s/%s" % (DEFAULT_SERVICE, DEFAULT_SLO)):
    """slo_burn_rate finding -> audit check: drift when less than ``threshold`` of the budget is left."""
    if finding.get("status") == "unknown":
        return _unknown_from("slo_error_budget", finding)
    details = finding.get("details") or {}
    remaining = details.get("budget_remaining")
    shown = {"budget_remaining": remaining, "threshold": threshold, "source": details.get("source"), "slo": slo}
    if not is_number(remaining):
        return unknown_check("slo_error_budget", "the SLO finding has no error budget remaining (source %s)"
                             % details.get("source"), details=shown)
    if remaining < threshold:
        return audit_check("slo_error_budget", "drift", "%.1f%% of the error budget left, under the %.1f%% threshold."
                           % (remaining * 100, threshold * 100), details=shown,
                           drift=[drift_item("slo_budget_low", slo, "%.1f%% of the period's error budget left (threshold %.1f%%)"
                                             % (remaining * 100, threshold * 100))])
    return audit_check("slo_error_budget", "ok", "%.1f%% of the error budget left (threshold %.1f%%)."
                       % (remaining * 100, threshold * 100), details=shown)


_FROM_FINDINGS = {"execution_namespaces": ("execution_namespaces", namespaces_check),
                  "rbac": ("controller_rbac", rbac_check)}


def from_findings(findings, budget_threshold=AUDIT_BUDGET_THRESHOLD):
    """The audit checks built from diagnose findings ({check id: finding}); checks not run are left out."""
    by_id = {f.get("id"): f for f in findings or [] if isinstance(f, dict)}
    checks = []
    for finding_id, (_check_id, build) in _FROM_FINDINGS.items():
        if finding_id in by_id:
            checks.append(build(by_id[finding_id]))
    if "slo_burn_rate" in by_id:
        checks.append(budget_check(by_id["slo_burn_rate"], budget_threshold))
    return checks


# ---------------------------------------------------------------------------------------------
# The audit as a whole, and the comparison with the previous one


def ordered(checks):
    order = list(AUDIT_CHECKS)
    return sorted(checks, key=lambda c: order.index(c["id"]))


def assess(checks, fail_on_unknown=True):
    """{status, drift, unknown_checks, failed, summary} over all audit checks (pure)."""
    checks = ordered(checks)
    drift = [item for check in checks for item in check["drift"]]
    unknown = [check["id"] for check in checks if check["status"] == "unknown"]
    status = "drift" if drift else "unknown" if unknown else "clean"
    failed = bool(drift) or (bool(unknown) and fail_on_unknown)
    parts = ["%d drift item(s) in %d check(s)" % (len(drift), len({d["check"] for d in drift}))] if drift else []
    if unknown:
        parts.append("%d check(s) could not run (%s)" % (len(unknown), ", ".join(unknown)))
    summary = "; ".join(parts) if parts else "No drift: all %d checks passed." % len(checks)
    return {"status": status, "drift": drift, "unknown_checks": unknown, "failed": failed, "summary": summary}


def previous_audit(report):
    """The previous audit's {generated_at, drift, statuses} from a report read back, or None when it is not one."""
    if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
        return None
    section = report.get("audit")
    if not isinstance(section, dict) or not isinstance(section.get("drift"), list):
        return None
    drift = [d for d in section["drift"] if isinstance(d, dict) and isinstance(d.get("id"), str)]
    statuses = {c.get("id"): c.get("status") for c in section.get("checks") or [] if isinstance(c, dict)}
    generated = report.get("generated_at")
    return {"generated_at": generated if isinstance(generated, str) else None, "drift": drift, "statuses": statuses}


def compare(previous, current, checks=(), path=None, note=None):
    """What is new and what was resolved since ``previous`` (``previous_audit``'s result, or None).

    ``current``: this run's drift items; ``checks``: this run's audit checks. Items are matched by id.
    A previous item whose check could not run this time is neither resolved nor new: it is ``unverified``.
    """
    if previous is None:
        return {"previous": None, "note": note or "no previous audit report to compare with",
                "new": [], "resolved": [], "unverified": [], "unchanged": 0, "checks_changed": []}
    now_ids = {item["id"] for item in current}
    before = {item["id"]: item for item in previous["drift"]}
    unknown_now = {c["id"] for c in checks if c["status"] == "unknown"}
    new = [item["id"] for item in current if item["id"] not in before]
    resolved, unverified = [], []
    for ident, item in before.items():
        if ident in now_ids:
            continue
        entry = {"id": ident, "message": str(item.get("message") or "")}
        (unverified if item.get("check") in unknown_now else resolved).append(entry)
    changed = [{"id": c["id"], "from": previous["statuses"][c["id"]], "to": c["status"]} for c in checks
               if c["id"] in previous["statuses"] and previous["statuses"][c["id"]] != c["status"]]
    return {"previous": {"path": path, "generated_at": previous["generated_at"]}, "note": note,
            "new": new, "resolved": resolved, "unverified": unverified,
            "unchanged": len(now_ids & set(before)), "checks_changed": changed}


def comparison_text(comparison):
    """One line: '2 new, 1 resolved since the audit of <time>'."""
    if comparison["previous"] is None:
        return comparison["note"]
    text = "%d new, %d resolved, %d unchanged since the audit of %s" % (
        len(comparison["new"]), len(comparison["resolved"]), comparison["unchanged"],
        comparison["previous"].get("generated_at") or "unknown time")
    if comparison["unverified"]:
        text += " (%d not re-checked: their check could not run)" % len(comparison["unverified"])
    return text


def section(checks, thresholds, fail_on_unknown, comparison):
    """The report's ``audit`` section, validated."""
    for index, item in enumerate(checks):
        validate_check(item, "audit.checks[%d]" % index)
    ids = [c["id"] for c in checks]
    if len(set(ids)) != len(ids):
        raise SchemaError("audit.checks: each check at most once, got %s" % ", ".join(ids))
    result = assess(checks, fail_on_unknown)
    return dict(result, checks=ordered(checks), thresholds=dict(thresholds), fail_on_unknown=bool(fail_on_unknown),
                comparison=comparison)
