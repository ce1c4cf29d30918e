# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sample findings, verdicts and reports shared by the tests of the report (test_report_*.py).

The verdicts here are written by hand (the shape docs/report-schema.md gives) so that the tests
pin the assembly and the renderers, not the ranking; tests/unit/plugins/modules/test_report.py
runs the real verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils import _causes, _report, _report_build
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import mitigation
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal, unknown

T0 = 1764036000  # 2025-11-25T02:00:00Z
NOW = "2025-11-25T03:00:00Z"
XSS = '<script>alert("pwned")</script>'
# An event message as the binding controller writes it, with markup an attacker put in a resource name.
EVENT_TEXT = 'Failed to create or update work: namespaces "karmada-es-member2" not found ' + XSS + " | `x`"


def series(values, step=60):
    return [[T0 + index * step, value] for index, value in enumerate(values)]


def slo(status="fail", with_series=True):
    details = {"source": "sloth", "objective": 99.9, "burn_rates": {"1h": 25.1, "5m": 30.2, "3d": 1.2},
               "error_ratios": {"1h": 0.0251, "5m": 0.0302}, "budget_remaining": 0.72, "page": True, "ticket": False,
               "time_to_exhaustion_seconds": 12000, "fleet": [{"slo": "api-availability", "service": "karmada", "burn_rate": 3.1}],
               "series": {"error_ratio": series([0.02, "0.03", "NaN", 0.05]) if with_series else [],
                          "burn_rate": series([20, 30, 50, 40]) if with_series else []}}
    return finding("slo_burn_rate", status, "Burning 25x the budget over 1h; the page condition holds.", details=details,
                   duration_seconds=0.5)


def findings():
    missing = evidence("object", "namespace karmada-es-member2 does not exist")
    event = evidence("event", EVENT_TEXT, count=12, time="2025-11-25T02:50:00Z", ref={"kind": "ResourceBinding"})
    return [
        finding("execution_namespaces", "fail", "Of 3 execution namespaces, 1 missing (karmada-es-member2).",
                details={"missing": ["karmada-es-member2"]}, evidence_items=[missing],
                signals=[signal("execution_namespace_missing", 0.9, "1 missing", clusters=["member2"], evidence_items=[missing])],
                duration_seconds=0.25),
        slo(),
        finding("sync_failure_events", "fail", "12 SyncWorkFailed events for 2 bindings.", evidence_items=[event],
                signals=[signal("execution_namespace_missing", 0.7, "events name the namespace",
                                bindings=["default/nginx", "default/web"], clusters=["member2"], evidence_items=[event])],
                duration_seconds=1),
        unknown("rbac", 'selfsubjectaccessreviews is forbidden: User "diag" cannot create it', duration_seconds=0.1),
    ]


def cause(cause_id, confidence, clusters=(), bindings=(), items=()):
    return {"id": cause_id, "title": _causes.CATALOGUE[cause_id]["title"], "confidence": confidence,
            "evidence": list(items), "supported_by": ["execution_namespaces", "sync_failure_events"],
            "bindings": list(bindings), "clusters": list(clusters), "mitigation": mitigation(cause_id)}


def verdict(causes=None, status="degraded"):
    if causes is None:
        causes = [cause("execution_namespace_missing", 0.97, ["member2"], ["default/nginx", "default/web"],
                        [evidence("event", EVENT_TEXT, count=12)])]
    return {"status": status, "summary": f"{status}: execution namespaces are missing (karmada-es-member2)",
            "causes": causes, "unknown_checks": ["rbac"]}


def unrecognised_verdict():
    """A verdict with no cause but failures that match none, one sample carrying markup and a line break."""
    result = verdict([], "degraded")
    result["summary"] = "degraded: 3 binding sync failures match no known cause; see samples"
    result["unrecognised"] = {"count": 3, "by_source": {"sync_failure_events": 3}, "sources": ["sync_failure_events"],
                              "samples": ["admission denied: " + XSS + "\n\tsecond | `line`\x1b[2J\x1b]0;title\x07", "y" * 800]}
    return result


ALERT = {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "status": "firing", "startsAt": "2025-11-25T02:10:00Z",
         "labels": {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "severity": "page"},
         "annotations": {"runbook_url": "javascript:alert(1)", "summary": "burning <b>fast</b>"}}


def report(checks=None, the_verdict=None, **kwargs):
    options = {"alert": ALERT, "window": {"start": "2025-11-25T02:05:00Z", "end": NOW, "source": "alert"},
               "targets": {"karmada_context": "karmada-apiserver", "prometheus_url": "https://user:secret@prom.example:9090/"},
               "links": {"grafana_slo_detail": "https://grafana.example/d/slo-detail?var-slo=binding-sync"},
               "generated_at": NOW, "duration_seconds": 4.2}
    options.update(kwargs)
    return _report_build.build_report(findings() if checks is None else checks, the_verdict or verdict(), **options)


# --- mitigation sections (mitigate.yml), built with the schema's constructors -------------------

DIFF = """--- OverridePolicy default/nginx-override
+++ suggested
@@ spec.overrideRules[0].overriders.plaintext[0] @@
-  path: /spec/template/spec/containers/0/imagePullPolicy
-  operator: replace
+  path: /spec/template/spec/containers/0/imagePullPolicy
+  operator: add
 # value: Always """ + XSS + """
```
"""


def diagnosis_ref(source="run"):
    return _report.mitigation_diagnosis(source, "/out/report.json", "degraded",
                                        "degraded: execution namespaces are missing (karmada-es-member2)",
                                        generated_at="2025-11-25T03:00:00Z")


def verified(recovered=True):
    criteria = {
        "bindings": _report.bindings_criterion(recovered, 12, 0 if recovered else 2,
                                               [] if recovered else [{"binding": "default/nginx", "clusters_without_work": ["member2"]}]),
        "events": _report.events_criterion(recovered, 0 if recovered else 3,
                                           [] if recovered else ['Failed to create or update work: namespaces "karmada-es-member2" not found']),
        "metric": _report.metric_criterion(None, None, 60, 'sum(increase(binding_sync_work_duration_seconds_count{result="error"}[60s]))',
                                           error="Prometheus at http://prometheus:9090 is unreachable"),
    }
    return _report.verification(recovered, "2025-11-25T03:02:10Z", "2025-11-25T03:02:51Z" if recovered else "2025-11-25T03:12:10Z",
                                41.2 if recovered else 600.0, 600, 5 if recovered else 60, "2025-11-25T03:02:09Z", criteria,
                                "every scheduled binding has its Works and no new failure events" if recovered
                                else "2 binding(s) still without Works after 600 s")


def lock(released=True):
    return _report.mitigation_lock("karmada-runbooks-mitigation", "karmada-system", "awx-job-4711", True, waited_seconds=3.5,
                                   taken_over_from="awx-job-4700", released=released)


def mitigation_applied(recovered=True):
    """mitigate.yml on missing-namespaces, approved: the namespace restored, the restart, a report-only action."""
    actions = [
        _report.mitigation_action("restore_execution_namespaces", "applied", "created 1 execution namespace; 1 cluster rejected",
                                  cause="execution_namespace_missing", changed=True,
                                  targets=["Namespace/karmada-es-member2"], duration_seconds=0.8,
                                  details={"created": ["karmada-es-member2"], "present": ["karmada-es-member1"],
                                           "rejected": [{"cluster": "Member_3", "reason": "not a DNS-1123 label"}]}),
        _report.mitigation_action("restart_controller_manager", "applied", "restarted after the namespaces were restored",
                                  changed=True, targets=["Deployment karmada-system/karmada-controller-manager"], duration_seconds=35,
                                  details={"restarted_at": "2025-11-25T03:01:30Z", "previous_restarted_at": None,
                                           "cooldown_seconds": 900,
                                           "rollout": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}),
        _report.mitigation_action("suggest_override_policy_fix", "skipped", "report only: the policy fails for " + XSS,
                                  cause="override_policy_failure", targets=["OverridePolicy default/nginx-override"],
                                  next_step="Review the diff and apply the policy change by hand.",
                                  details={"policies": [{"policy": "default/nginx-override", "rule": 0,
                                                         "path": "/spec/template/spec/containers/0/imagePullPolicy",
                                                         "operation": "replace", "error": "replace operation does not apply",
                                                         "diff": DIFF}]}),
    ]
    summary = "applied 2 of 2 actions; recovered in 41 s" if recovered else "applied 2 of 2 actions; not recovered in 600 s"
    return _report.mitigation_section("apply", True, False, list(_causes.ACTIONS), diagnosis_ref(),
                                      "2025-11-25T03:01:00Z", "2025-11-25T03:02:51Z", summary, actions,
                                      lock=lock(), verification_item=verified(recovered))


def mitigation_plan():
    """An unapproved run: two actions would apply, one is not allowed."""
    actions = [
        _report.mitigation_action("restore_execution_namespaces", "planned", "would create Namespace karmada-es-member2",
                                  cause="execution_namespace_missing", targets=["Namespace/karmada-es-member2"]),
        _report.mitigation_action("repair_controller_rbac", "skipped", "not in the allow-list", cause="rbac_denied",
                                  targets=["ClusterRole/karmada-runbooks:binding-controllers"],
                                  details={"identity": {"user": "system:serviceaccount:karmada-system:karmada-controller-manager",
                                                        "groups": [], "source": "logs"},
                                           "cluster_role": "karmada-runbooks:binding-controllers",
                                           "binding": "karmada-runbooks:binding-controllers"}),
        _report.mitigation_action("restart_controller_manager", "planned", "would restart after the fixes",
                                  targets=["Deployment karmada-system/karmada-controller-manager"]),
    ]
    return _report.mitigation_section("plan", False, False, ["restore_execution_namespaces", "restart_controller_manager"],
                                      diagnosis_ref("file"), "2025-11-25T03:01:00Z", "2025-11-25T03:01:02Z",
                                      "plan only: 2 actions would apply; approve with -e karmada_mitigate_approve=true", actions)


def mitigation_stopped():
    """apiserver_errors: nothing is applied, the next step is the other runbook."""
    actions = [
        _report.mitigation_action("stop_for_apiserver_runbook", "skipped", "the Karmada API server returns errors",
                                  cause="apiserver_errors",
                                  next_step="Follow the Karmada API Server Availability runbook; run mitigate again once it answers."),
        _report.mitigation_action("restart_controller_manager", "skipped", "stopped: a restart does not help while the API server fails",
                                  targets=["Deployment karmada-system/karmada-controller-manager"]),
    ]
    return _report.mitigation_section("apply", True, False, list(_causes.ACTIONS), diagnosis_ref(), "2025-11-25T03:01:00Z",
                                      "2025-11-25T03:01:01Z",
                                      "stopped: API server errors, see the Karmada API Server Availability runbook", actions)


def mitigated(section=None, **kwargs):
    """A diagnosis report with a mitigation section."""
    return _report_build.with_mitigation(report(**kwargs), mitigation_applied() if section is None else section)
