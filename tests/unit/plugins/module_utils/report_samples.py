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

from ansible_collections.karmada.runbooks.plugins.module_utils import _causes, _report_build
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
