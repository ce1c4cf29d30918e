# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict: noisy-OR, threshold, ranking, status rules and the workqueue_stuck inference.

Findings are built the way the checks build them (``_report.finding``/``signal``/``evidence``) with
the messages and names the emulator's scenarios produce.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import WORKQUEUE_DEPTH
from ansible_collections.karmada.runbooks.plugins.module_utils._report import CAUSE_IDS, CHECKS, evidence, finding, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._verdict import (
    EVIDENCE_PER_CAUSE,
    PRIORITY,
    THRESHOLD,
    decide,
    describe,
    failure_activity,
    noisy_or,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
MISSING_NS = 'namespaces "karmada-es-member2" not found'
OVERRIDE = "replace operation does not apply: doc is missing path: /spec/template/spec/containers/1/image: missing value"
BINDINGS = ["default/api-deployment", "default/nginx-deployment", "default/web-deployment"]


def _ago(minutes):
    return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def events_finding(signals=(), minutes_ago=0.5, total=None, message=MISSING_NS):
    """sync_failure_events as sync_events builds it (last_failure is the newest failure entry)."""
    failures = [] if minutes_ago is None else [
        {"kind": "ResourceBinding", "namespace": "default", "name": b.split("/")[1], "reason": "SyncWorkFailed",
         "message": message, "count": 272, "first": _ago(45), "last": _ago(minutes_ago), "binding": b}
        for b in BINDINGS]
    details = {"scope": "all", "total": len(failures) if total is None else total, "failures": failures,
               "by_cause": {}, "unclassified": 0, "last_failure": failures[0] if failures else None}
    return finding("sync_failure_events", "fail" if signals else "ok", "events", details=details, signals=signals)


def missing_ns_event_signal():
    return signal("execution_namespace_missing", 0.7, "3 failure events say: execution namespaces are missing",
                  bindings=BINDINGS, clusters=["member2"],
                  evidence_items=[evidence("event", MISSING_NS, count=272, time=_ago(1),
                                           ref="ResourceBinding %s" % b) for b in BINDINGS])


def missing_ns_log_signal():
    line = ('E1125 14:57:59.923951       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
            'err="namespaces \\"karmada-es-member2\\" not found" namespace="default" binding="api-deployment"')
    return signal("execution_namespace_missing", 0.6, "9 controller-manager error lines", bindings=BINDINGS[:2],
                  clusters=["member2"], evidence_items=[evidence("log", line, count=9, ref="pod-a/karmada-controller-manager")])


def logs_finding(signals=()):
    return finding("controller_logs", "fail" if signals else "ok", "logs", details={"lines_scanned": 40},
                   signals=signals)


def namespaces_finding(missing=(), terminating=()):
    signals = []
    if missing:
        signals.append(signal("execution_namespace_missing", 0.9, "missing", clusters=missing,
                              evidence_items=[evidence("object", "namespace karmada-es-%s does not exist" % c)
                                              for c in missing]))
    if terminating:
        signals.append(signal("execution_namespace_terminating", 0.9, "terminating", clusters=terminating,
                              evidence_items=[evidence("object", "namespace karmada-es-%s is Terminating" % c)
                                              for c in terminating]))
    return finding("execution_namespaces", "fail" if signals else "ok", "namespaces",
                   details={"clusters": 3, "missing": ["karmada-es-" + c for c in missing],
                            "terminating": ["karmada-es-" + c for c in terminating], "orphaned": []},
                   signals=signals)


def status_finding(entries):
    """binding_status with not_fully_applied entries: (namespace/name, [clusters without work])."""
    listed = [{"kind": "ResourceBinding", "namespace": key.split("/")[0], "name": key.split("/")[1],
               "clusters": ["member1", "member2", "member3"], "clusters_without_work": list(clusters)}
              for key, clusters in entries]
    return finding("binding_status", "fail" if listed else "ok", "status",
                   details={"bindings": 5, "not_fully_applied": listed})


def error_rate_finding(ratio):
    return finding("binding_sync_error_rate", "ok" if ratio < 0.001 else "fail", "rate",
                   details={"query": "q", "rates": {"success": 0.1, "error": 0.1 * ratio}, "error_ratio": ratio})


def ok(check_id):
    return finding(check_id, "ok", "fine")


def unknown(check_id):
    return finding(check_id, "unknown", "Could not check: forbidden (403)", error="forbidden (403)")


def ids(verdict):
    return [c["id"] for c in verdict["causes"]]


# ---------------------------------------------------------------------------------------------- math


def test_noisy_or():
    assert noisy_or([]) == 0
    assert noisy_or([0.9]) == pytest.approx(0.9)
    assert noisy_or([0.9, 0.7]) == pytest.approx(0.97)
    assert noisy_or([0.5, 0.5, 0.5]) == pytest.approx(0.875)
    assert noisy_or([1.5, -1]) == pytest.approx(1.0)  # clamped


def test_priority_lists_every_cause_once():
    assert sorted(PRIORITY) == sorted(CAUSE_IDS)


# ------------------------------------------------------------------------------------ single cause


def test_missing_namespace_verdict():
    findings = [events_finding([missing_ns_event_signal()]), logs_finding([missing_ns_log_signal()]),
                namespaces_finding(missing=["member2"])]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "degraded"
    assert ids(verdict) == ["execution_namespace_missing"]
    cause = verdict["causes"][0]
    assert cause["confidence"] == pytest.approx(1 - 0.3 * 0.4 * 0.1, abs=1e-3)
    # strongest signal first, then by strength
    assert cause["supported_by"] == ["execution_namespaces", "sync_failure_events", "controller_logs"]
    assert cause["bindings"] == BINDINGS
    assert cause["clusters"] == ["member2"]
    assert cause["evidence"][0] == {"source": "object", "text": "namespace karmada-es-member2 does not exist"}
    assert {e["source"] for e in cause["evidence"]} == {"object", "event", "log"}
    assert cause["title"] == "Execution namespaces are missing"
    assert cause["mitigation"]["runbook_row"] == "Missing execution namespaces"
    assert cause["mitigation"]["runbook_url"] == RUNBOOK_URL
    assert "karmada-es-<cluster>" in cause["mitigation"]["action"]
    assert cause["current"] is True
    assert verdict["summary"] == ("degraded: execution namespaces are missing (karmada-es-member2) \u2014 "
                                  "3 bindings affected")
    assert verdict["unknown_checks"] == []
    assert verdict["failure_activity"]["state"] == "current"


def test_confidence_is_noisy_or_across_checks():
    one = decide([events_finding([missing_ns_event_signal()])], now=NOW)
    two = decide([events_finding([missing_ns_event_signal()]), logs_finding([missing_ns_log_signal()])], now=NOW)
    assert one["causes"][0]["confidence"] == pytest.approx(0.7)
    assert two["causes"][0]["confidence"] == pytest.approx(0.88)


def test_evidence_is_deduplicated_and_capped():
    items = [evidence("event", "message %d" % (i % 15), ref="ResourceBinding default/b%d" % (i % 15)) for i in range(40)]
    sig = signal("apiserver_errors", 0.7, "etcd", evidence_items=items)
    verdict = decide([finding("sync_failure_events", "fail", "e", signals=[sig]),
                      finding("controller_logs", "fail", "l", signals=[copy.deepcopy(sig)])], now=NOW)
    texts = [e["text"] for e in verdict["causes"][0]["evidence"]]
    assert len(texts) == EVIDENCE_PER_CAUSE
    assert len(set(texts)) == EVIDENCE_PER_CAUSE


# ------------------------------------------------------------------------------ threshold, ranking


def test_threshold_drops_weak_causes():
    weak = finding("recent_changes", "warn", "changes", signals=[signal("work_conflict", 0.2, "a second writer?")])
    boundary = finding("rbac", "warn", "rbac", signals=[signal("rbac_denied", THRESHOLD, "hint")])
    verdict = decide([weak, boundary, ok("sync_failure_events")], now=NOW)
    assert ids(verdict) == ["rbac_denied"]
    assert decide([weak, boundary], now=NOW, threshold=0.1)["causes"][1]["id"] == "work_conflict"
    assert decide([weak, boundary], now=NOW, threshold=0.5)["causes"] == []


def test_ranking_by_confidence_then_catalogue_priority():
    findings = [
        finding("sync_failure_events", "fail", "e", signals=[
            signal("apiserver_errors", 0.7, "etcd"), signal("execution_namespace_missing", 0.7, "ns"),
            signal("work_conflict", 0.8, "conflicts")]),
    ]
    verdict = decide(findings, now=NOW)
    # work_conflict is more likely; the two at 0.7 tie and the namespace comes first by priority
    assert ids(verdict) == ["work_conflict", "execution_namespace_missing", "apiserver_errors"]
    reordered = copy.deepcopy(findings)
    reordered[0]["signals"].reverse()
    assert ids(decide(reordered, now=NOW)) == ids(verdict)


def test_mixed_causes_are_both_ranked():
    aggregated = "[%s, %s]" % (OVERRIDE, MISSING_NS)
    events = events_finding([
        missing_ns_event_signal(),
        signal("override_policy_failure", 0.7, "1 failure event says: an override policy cannot be applied",
               bindings=["default/api-deployment"], clusters=["member1"],
               evidence_items=[evidence("event", aggregated, count=272, ref="ResourceBinding default/api-deployment"),
                               evidence("event", "Apply override policy(default/api-sidecar) for cluster(member1) "
                                        "failed.", count=272, ref="Deployment default/api")])],
        message=aggregated)
    policies = finding("override_policies", "fail", "1 broken", signals=[
        signal("override_policy_failure", 0.9, "policy default/api-sidecar replaces a missing path",
               bindings=["default/api-deployment"], clusters=["member1"],
               evidence_items=[evidence("object", "OverridePolicy default/api-sidecar rule 0 path "
                                        "/spec/template/spec/containers/1/image is missing")])])
    verdict = decide([events, namespaces_finding(missing=["member2"]), policies], now=NOW)
    assert ids(verdict) == ["execution_namespace_missing", "override_policy_failure"]
    override = verdict["causes"][1]
    assert override["confidence"] == pytest.approx(0.97)
    assert override["supported_by"] == ["override_policies", "sync_failure_events"]
    assert override["bindings"] == ["default/api-deployment"]
    assert override["mitigation"]["runbook_row"] == "Override policy failures"
    assert verdict["summary"] == ("degraded: execution namespaces are missing (karmada-es-member2) \u2014 3 bindings "
                                  "affected; also: an override policy cannot be applied")


# -------------------------------------------------------------------------------------- status


def test_healthy_when_nothing_fails():
    findings = [ok(check) for check in CHECKS]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "healthy"
    assert verdict["causes"] == []
    assert verdict["summary"] == "healthy: no cause found and no check failing (10 checks)"


def test_healthy_mentions_warnings_and_checks_that_could_not_run():
    findings = [ok(c) for c in CHECKS if c not in ("slo_burn_rate", "recent_changes")]
    findings += [unknown("slo_burn_rate"), finding("recent_changes", "warn", "3 changes")]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "healthy"
    assert verdict["unknown_checks"] == ["slo_burn_rate"]
    assert verdict["summary"].endswith("; could not run: slo_burn_rate; warnings: recent_changes")


def test_unknown_when_every_key_check_is_unknown():
    findings = [unknown("sync_failure_events"), unknown("execution_namespaces"), unknown("controller_logs")]
    findings += [ok(c) for c in ("slo_burn_rate", "rbac", "override_policies", "binding_sync_error_rate",
                                 "workqueue", "binding_status", "recent_changes")]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "unknown"
    assert verdict["unknown_checks"] == ["sync_failure_events", "execution_namespaces", "controller_logs"]
    assert verdict["summary"] == ("unknown: no cause found, but 3 of 10 checks could not run (sync_failure_events, "
                                  "execution_namespaces, controller_logs)")


def test_one_key_check_that_ran_is_enough_when_few_checks_are_unknown():
    findings = [unknown("sync_failure_events"), unknown("execution_namespaces"), ok("controller_logs")]
    findings += [ok(c) for c in ("slo_burn_rate", "rbac", "override_policies", "binding_sync_error_rate")]
    assert decide(findings, now=NOW)["status"] == "healthy"


def test_unknown_when_half_of_the_checks_are_unknown():
    findings = [ok("sync_failure_events"), ok("execution_namespaces"), ok("controller_logs"),
                unknown("slo_burn_rate"), unknown("rbac"), unknown("binding_sync_error_rate")]
    assert decide(findings, now=NOW)["status"] == "unknown"
    assert decide(findings[:-1], now=NOW)["status"] == "healthy"


def test_unknown_without_findings():
    verdict = decide([], now=NOW)
    assert verdict["status"] == "unknown"
    assert verdict["summary"] == "unknown: no check reported"


def test_a_failing_check_without_a_cause_is_degraded():
    findings = [finding("slo_burn_rate", "fail", "burning 20x"), ok("sync_failure_events"),
                ok("execution_namespaces"), ok("controller_logs")]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "degraded"
    assert verdict["causes"] == []
    assert verdict["summary"] == "degraded: no known cause found; failing checks: slo_burn_rate"


def test_a_cause_wins_over_unknown_checks():
    findings = [unknown("sync_failure_events"), unknown("controller_logs"), namespaces_finding(missing=["member2"])]
    assert decide(findings, now=NOW)["status"] == "degraded"


# ---------------------------------------------------------------------------- failure activity


def test_failure_activity_from_events_and_error_rate():
    current = failure_activity([events_finding(minutes_ago=1)], now=NOW)
    assert current["state"] == "current"
    assert current["last_failure"] == _ago(1)
    assert current["last_failure_age_seconds"] == 60
    stopped = failure_activity([events_finding(minutes_ago=10), error_rate_finding(0.0)], now=NOW)
    assert stopped["state"] == "stopped"
    assert stopped["error_ratio"] == 0
    assert failure_activity([events_finding(minutes_ago=10), error_rate_finding(0.2)], now=NOW)["state"] == "current"
    assert failure_activity([events_finding(minutes_ago=None)], now=NOW)["stopped"] == ["no sync failure events"]
    assert failure_activity([unknown("sync_failure_events")], now=NOW)["state"] == "unknown"
    assert failure_activity([], now=NOW)["state"] == "unknown"


def test_failure_activity_accepts_a_plain_timestamp_and_string_now():
    events = events_finding(minutes_ago=10)
    events["details"]["last_failure"] = _ago(2)
    assert failure_activity([events], now="2026-11-25T15:00:00Z")["state"] == "current"


def test_error_ratio_from_rates_when_the_ratio_is_absent():
    rate = finding("binding_sync_error_rate", "fail", "rate", details={"rates": {"success": 0.5, "error": 0.5}})
    activity = failure_activity([rate], now=NOW)
    assert activity["error_ratio"] == pytest.approx(0.5)
    assert activity["state"] == "current"


# ---------------------------------------------------------------------------- workqueue_stuck


def stuck_scenario(namespaces=None, minutes_ago=10, ratio=0.0, extra=()):
    """The workqueue-stuck scenario: member2's namespace was recreated 10 minutes ago, Works still missing."""
    return [events_finding([missing_ns_event_signal()], minutes_ago=minutes_ago),
            logs_finding([missing_ns_log_signal()]),
            namespaces or namespaces_finding(),
            status_finding([(b, ["member2"]) for b in BINDINGS]),
            error_rate_finding(ratio)] + list(extra)


def test_workqueue_stuck_is_inferred_after_the_cause_was_fixed():
    verdict = decide(stuck_scenario(), now=NOW)
    assert ids(verdict) == ["workqueue_stuck", "execution_namespace_missing"]
    stuck = verdict["causes"][0]
    assert stuck["confidence"] == pytest.approx(1 - 0.5 * 0.6 * 0.7)
    assert stuck["supported_by"] == ["binding_status", "sync_failure_events", "binding_sync_error_rate"]
    assert stuck["bindings"] == BINDINGS
    assert stuck["clusters"] == ["member2"]
    assert stuck["mitigation"]["runbook_row"] == "Controller workqueue stuck"
    assert any("earlier failures pointed at execution_namespace_missing" in r for r in stuck["reasons"])
    assert {"source": "object", "text": "ResourceBinding default/web-deployment has no Work for member2"} in \
        stuck["evidence"]
    # the old namespace errors are still listed, but as a past cause at half confidence
    past = verdict["causes"][1]
    assert past["current"] is False
    assert past["confidence"] == pytest.approx(0.5 * (1 - 0.3 * 0.4), abs=1e-3)
    assert verdict["status"] == "degraded"
    assert verdict["summary"] == ("degraded: the binding controller's workqueue is stuck (member2) \u2014 3 bindings "
                                  "affected; earlier: execution namespaces are missing")


@pytest.mark.parametrize("blind", ["controller_logs", "override_policies", "rbac"])
def test_not_stuck_when_a_check_that_names_causes_could_not_run(blind):
    """Elimination needs every witness: a check that is unknown (a TLS error on its server, say) may hold the
    real cause, so its silence is no reason to propose restarting the controller-manager."""
    findings = [f for f in stuck_scenario() if f["id"] != blind] + [unknown(blind)]
    verdict = decide(findings, now=NOW)
    assert "workqueue_stuck" not in ids(verdict)
    assert blind in verdict["unknown_checks"]


def test_not_stuck_while_the_namespace_is_still_missing():
    # Backed-off bindings retry rarely, so the last event can be old while the namespace is still gone.
    verdict = decide(stuck_scenario(namespaces=namespaces_finding(missing=["member2"])), now=NOW)
    assert ids(verdict) == ["execution_namespace_missing"]
    assert verdict["causes"][0]["current"] is True
    assert verdict["causes"][0]["confidence"] == pytest.approx(1 - 0.1 * 0.3 * 0.4, abs=1e-3)


def test_not_stuck_while_a_terminating_namespace_explains_the_bindings():
    findings = stuck_scenario(namespaces=namespaces_finding(terminating=["member2"]))
    assert "workqueue_stuck" not in ids(decide(findings, now=NOW))


def test_a_cause_for_other_clusters_does_not_explain_the_bindings():
    findings = stuck_scenario(namespaces=namespaces_finding(terminating=["member3"]))
    verdict = decide(findings, now=NOW)
    assert ids(verdict)[:2] == ["execution_namespace_terminating", "workqueue_stuck"]
    assert verdict["causes"][1]["bindings"] == BINDINGS


def test_a_cause_naming_the_binding_explains_it():
    webhook = finding("rbac", "fail", "denied", signals=[signal(
        "rbac_denied", 0.9, "access review: cannot create works", bindings=["default/web-deployment"],
        evidence_items=[evidence("access_review", "create works in karmada-es-member2: denied")])])
    verdict = decide(stuck_scenario(extra=[webhook]), now=NOW)
    stuck = [c for c in verdict["causes"] if c["id"] == "workqueue_stuck"][0]
    assert stuck["bindings"] == BINDINGS[:2]


def test_a_cause_without_scope_explains_everything():
    down = signal("work_webhook_unavailable", 0.9, "no endpoints", evidence_items=[evidence("object", "no endpoints")])
    webhook = finding("rbac", "fail", "webhook", signals=[down])
    assert "workqueue_stuck" not in ids(decide(stuck_scenario(extra=[webhook]), now=NOW))


def test_not_stuck_while_failures_are_current():
    assert "workqueue_stuck" not in ids(decide(stuck_scenario(minutes_ago=1), now=NOW))
    assert "workqueue_stuck" not in ids(decide(stuck_scenario(ratio=0.3), now=NOW))


def test_not_stuck_when_failure_activity_is_unknown():
    findings = [unknown("sync_failure_events"), namespaces_finding(), status_finding([(BINDINGS[0], ["member2"])])]
    assert "workqueue_stuck" not in ids(decide(findings, now=NOW))


def test_not_stuck_when_every_binding_is_applied_or_has_its_works():
    findings = stuck_scenario()
    findings[3] = status_finding([(b, []) for b in BINDINGS])  # Works exist: member side, not the queue
    assert "workqueue_stuck" not in ids(decide(findings, now=NOW))
    findings[3] = status_finding([])
    assert "workqueue_stuck" not in ids(decide(findings, now=NOW))


def test_stale_after_is_a_parameter():
    findings = stuck_scenario(minutes_ago=4)
    assert "workqueue_stuck" not in ids(decide(findings, now=NOW))
    assert ids(decide(findings, now=NOW, stale_after=120))[0] == "workqueue_stuck"


def test_no_failure_events_at_all_still_infers_stuck():
    findings = [events_finding(minutes_ago=None), logs_finding(), namespaces_finding(),
                status_finding([(BINDINGS[0], ["member2"])]), error_rate_finding(0.0)]
    verdict = decide(findings, now=NOW)
    assert ids(verdict) == ["workqueue_stuck"]
    assert verdict["causes"][0]["confidence"] == pytest.approx(1 - 0.5 * 0.7 * 0.7)


def test_workqueue_metrics_add_support():
    base = decide(stuck_scenario(), now=NOW)["causes"][0]["confidence"]
    deep = finding("workqueue", "warn", "q", details={"depth": {"binding-controller": 250,
                                                                "cluster-resource-binding-controller": 0},
                                                      "retry_ratio": {"binding-controller": 0.1}})
    calm = finding("workqueue", "ok", "q", details={"depth": {"binding-controller": 0},
                                                    "retry_ratio": {"binding-controller": 0.1}})
    boosted = decide(stuck_scenario(extra=[deep]), now=NOW)["causes"][0]
    assert boosted["confidence"] == pytest.approx(1 - (1 - base) * 0.7, abs=1e-3)
    assert "workqueue" in boosted["supported_by"]
    assert decide(stuck_scenario(extra=[calm]), now=NOW)["causes"][0]["confidence"] == base


def _queue(depth, thresholds=None):
    details = {"depth": {"binding-controller": depth}, "retry_ratio": {"binding-controller": 0.1}}
    if thresholds is not None:
        details["thresholds"] = thresholds
    return finding("workqueue", "warn", "q", details=details)


@pytest.mark.parametrize("depth, thresholds, counts", [
    (25, {"depth": 20, "retry_ratio": 0.5}, True),     # the user lowered the threshold: 25 is deep
    (25, {"depth": 100, "retry_ratio": 0.5}, False),   # regression: the verdict used 10 whatever the user set
    (25, None, False),                                 # a finding without thresholds gets the shared default
    (WORKQUEUE_DEPTH, None, True),
    (0, {"depth": 100, "retry_ratio": 0.05}, True),    # retries 10 % of adds pass a 5 % retry threshold
])
def test_workqueue_support_uses_the_thresholds_the_check_applied(depth, thresholds, counts):
    verdict = decide(stuck_scenario(extra=[_queue(depth, thresholds)]), now=NOW)
    assert ("workqueue" in verdict["causes"][0]["supported_by"]) is counts


def test_historical_signals_from_logs_only_are_discounted_once_failures_stopped():
    log_only = finding("rbac", "warn", "log denials", signals=[signal(
        "rbac_denied", 0.6, "denials in the log", evidence_items=[evidence("log", "is forbidden: User ...")])])
    findings = [events_finding(minutes_ago=30), log_only, error_rate_finding(0.0)]
    cause = decide(findings, now=NOW)["causes"][0]
    assert (cause["id"], cause["current"], cause["confidence"]) == ("rbac_denied", False, 0.3)
    assert decide(findings, now=NOW)["summary"] == ("degraded: the controller-manager is denied by RBAC (no failures for "
                                                    "30 min)")
    current = decide([events_finding(minutes_ago=1), log_only], now=NOW)["causes"][0]
    assert (current["current"], current["confidence"]) == (True, 0.6)


# ------------------------------------------------------------------------------- robustness


def test_robust_to_malformed_findings():
    findings = [None, "text", {"status": "fail"}, {"id": "sync_failure_events"},
                {"id": "controller_logs", "status": "fail", "signals": [
                    None, "x", {"cause": "no_such_cause", "strength": 0.9},
                    {"cause": "apiserver_errors", "strength": "high"},
                    {"cause": "apiserver_errors", "strength": 5, "bindings": "not-a-list", "clusters": [None, "m1"],
                     "evidence": [None, {"source": "log", "text": "etcdserver: request timed out"}]}]},
                {"id": "binding_status", "status": "fail", "details": {"not_fully_applied": [None, {"name": ""}]}},
                {"id": "binding_sync_error_rate", "status": "ok", "details": {"error_ratio": "n/a", "rates": None}},
                {"id": "execution_namespaces", "status": "ok", "details": None, "signals": None}]
    verdict = decide(findings, now="not a time")
    assert ids(verdict) == ["apiserver_errors"]
    cause = verdict["causes"][0]
    assert cause["confidence"] == 1.0
    assert cause["clusters"] == ["m1"]
    assert cause["bindings"] == []
    assert cause["evidence"] == [{"source": "log", "text": "etcdserver: request timed out"}]
    assert verdict["status"] == "degraded"


def test_pure_and_deterministic():
    findings = stuck_scenario(extra=[finding("override_policies", "warn", "p", signals=[
        signal("override_policy_failure", 0.4, "hint", clusters=["member1"])])])
    before = copy.deepcopy(findings)
    first = decide(findings, now=NOW)
    assert findings == before
    assert decide(findings, now=NOW) == first


def test_describe_caps_long_lists():
    cause = {"id": "execution_namespace_missing", "title": "Execution namespaces are missing",
             "clusters": ["m1", "m2", "m3", "m4", "m5"], "bindings": ["default/a"]}
    assert describe(cause) == ("execution namespaces are missing (karmada-es-m1, karmada-es-m2, karmada-es-m3, +2 "
                               "more) \u2014 1 binding affected")
    assert describe({"id": "apiserver_errors", "title": "The Karmada API server is failing"}) == \
        "the Karmada API server is failing"


def test_retries_are_a_symptom_while_a_current_cause_explains_them():
    # missing-namespaces live: the queue retries a lot because the namespace is still missing; the fix is the
    # namespace, so the workqueue must not be offered as a cause (restarting would not help).
    retrying = finding("workqueue", "warn", "retries 75% of adds", details={"depth": {"binding-controller": 0},
                                                                            "retry_ratio": {"binding-controller": 0.75}},
                       signals=[signal("workqueue_stuck", 0.3, "retries dominate adds")])
    findings = [events_finding([missing_ns_event_signal()], minutes_ago=0.2),
                namespaces_finding(missing=["member2"]), status_finding([(b, ["member2"]) for b in BINDINGS]),
                error_rate_finding(0.75), retrying]
    verdict = decide(findings, now=NOW)
    assert ids(verdict) == ["execution_namespace_missing"]
    without_cause = decide([events_finding(minutes_ago=0.2), error_rate_finding(0.75), retrying], now=NOW)
    assert "workqueue_stuck" in ids(without_cause)        # unexplained retries still count


# ---------------------------------------------------------------------------------------- unrecognised


def unclassified_events(count, messages):
    details = {"scope": "all", "total": count, "failures": [], "by_cause": {}, "unclassified": count,
               "unclassified_samples": [{"message": m, "events": 1, "count": 1} for m in messages],
               "last_failure": None}
    return finding("sync_failure_events", "warn", "events", details=details)


def unclassified_logs(count, texts):
    details = {"lines_scanned": 40, "unclassified": count,
               "unclassified_samples": [{"text": t, "count": 1} for t in texts]}
    return finding("controller_logs", "warn", "logs", details=details)


def test_unrecognised_failures_make_the_verdict_degraded_with_bounded_samples():
    long_text = "x" * 2000
    findings = [ok(c) for c in CHECKS if c not in ("sync_failure_events", "controller_logs")]
    findings += [unclassified_events(4, ["something new", long_text, "a", "b"]),
                 unclassified_logs(3, ["something new", "c", "d"])]
    verdict = decide(findings, now=NOW)
    assert verdict["status"] == "degraded"
    assert verdict["causes"] == []
    entry = verdict["unrecognised"]
    assert entry["count"] == 7
    assert entry["by_source"] == {"sync_failure_events": 4, "controller_logs": 3}
    assert entry["sources"] == ["sync_failure_events", "controller_logs"]
    assert len(entry["samples"]) == 5 and entry["samples"][0] == "something new"
    assert entry["samples"].count("something new") == 1  # distinct texts only
    assert max(len(s) for s in entry["samples"]) <= 500
    assert verdict["summary"] == "degraded: 7 binding sync failures match no known cause; see samples"


def test_unrecognised_failures_are_added_to_a_cause_summary():
    findings = [events_finding([missing_ns_event_signal()]), namespaces_finding(missing=["member2"]),
                unclassified_logs(1, ["something new"])]
    verdict = decide(findings, now=NOW)
    assert ids(verdict)[0] == "execution_namespace_missing"
    assert verdict["unrecognised"]["count"] == 1
    assert verdict["summary"].endswith("; 1 binding sync failure matches no known cause; see samples")


def test_nothing_unrecognised_stays_healthy():
    verdict = decide([ok(check) for check in CHECKS], now=NOW)
    assert verdict["unrecognised"] == {"count": 0, "by_source": {}, "sources": [], "samples": []}
    assert verdict["status"] == "healthy"
