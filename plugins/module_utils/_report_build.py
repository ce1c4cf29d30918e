# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assembling report.json: the report dict from the findings, the verdict and the run's inputs.

report.json (docs/report-schema.md) is the product; the other formats are views of this dict
(_report_views and the renderers). Nothing here renders or writes: :func:`report_from_inputs`
takes the report module's inputs, validates the findings against the schema (_report) and
returns the dict that _report_files serialises; :func:`with_mitigation` adds mitigate.yml's
``mitigation`` section to a diagnosis report read back from report.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import normalize_alert
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import RUNBOOK_URL
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._report import (
    CHECKS,
    SCHEMA_VERSION,
    SchemaError,
    mitigation_diagnosis,
    validate_findings,
    validate_mitigation,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime
from ansible_collections.karmada.runbooks.plugins.module_utils._verdict import decide
from ansible_collections.karmada.runbooks.plugins.module_utils._version import COLLECTION_VERSION

TARGET_KEYS = ("karmada_context", "host_context", "prometheus_url", "namespace", "deployment", "labels")
LINK_KEYS = ("runbook", "grafana_slo_detail", "grafana_slo_overview")

_ORDER = {check_id: index for index, check_id in enumerate(CHECKS)}


def runbook_order(findings):
    """Findings sorted by runbook step (and, within a step, by the order of _report.CHECKS)."""
    return sorted(findings, key=lambda item: (item.get("runbook_step", 99), _ORDER.get(item.get("id"), 99)))


def report_window(start=None, end=None, source=None, alert=None, generated_at=None):
    """The window object: the given bounds, else the alert's startsAt .. the report time.

    Raises InputError naming window_start / window_end when a bound is not RFC 3339 or the bounds
    are reversed. source: as given, else ``alert`` when the alert has a startsAt, else ``default``.
    """
    starts_at = (alert or {}).get("startsAt")
    window = {"start": None, "end": None, "source": source or ("alert" if starts_at else "default")}
    if start or starts_at:
        window["start"] = format_rfc3339(parse_datetime(start or starts_at, "window_start" if start else "alert.startsAt"))
    if end or generated_at:
        window["end"] = format_rfc3339(parse_datetime(end or generated_at, "window_end" if end else "generated_at"))
    if window["start"] and window["end"] and window["start"] > window["end"]:
        raise InputError(f"window_start ({window['start']}) is after window_end ({window['end']})")
    return window


def elapsed_seconds(started_at, now):
    """Seconds from ``started_at`` (RFC 3339, or epoch seconds) to ``now`` (an aware datetime)."""
    try:
        began = datetime.datetime.fromtimestamp(float(started_at), tz=datetime.timezone.utc)
    except (TypeError, ValueError):
        began = parse_datetime(started_at, "started_at")
    # A clock that stepped back must not give a negative duration.
    return round(max(0.0, (now - began).total_seconds()), 3)


def redact_url(url):
    """Drop user:password@ from a URL: the report is shared, credentials must not travel with it."""
    if not url:
        return url
    parts = urlsplit(str(url))
    if "@" not in parts.netloc:
        return str(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[1], parts.path, parts.query, parts.fragment))


def normalize_targets(targets):
    result = {key: (targets or {}).get(key) for key in TARGET_KEYS}
    result["prometheus_url"] = redact_url(result["prometheus_url"])
    return result


def slo_finding(checks):
    return next((item for item in checks if item.get("id") == "slo_burn_rate"), None)


def merge_links(links, checks):
    """Links given to the module win over those the SLO check found (details.links); the runbook always has one."""
    found = ((slo_finding(checks) or {}).get("details") or {}).get("links")
    found = found if isinstance(found, dict) else {}
    merged = {key: (links or {}).get(key) or found.get(key) for key in LINK_KEYS}
    merged["runbook"] = merged["runbook"] or RUNBOOK_URL
    return merged


def build_report(findings, verdict, alert=None, window=None, targets=None, links=None, generated_at=None,
                 duration_seconds=None):
    """report.json as a dict (docs/report-schema.md), from findings that passed validate_findings.

    duration_seconds: wall time of the diagnosis; without it, the sum of the checks' own durations.
    """
    checks = runbook_order(findings)
    if duration_seconds is None:
        duration_seconds = round(sum(item.get("duration_seconds", 0) for item in checks), 3)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "collection_version": COLLECTION_VERSION,
        "alert": alert or None,
        "window": window or {"start": None, "end": generated_at, "source": "default"},
        "targets": normalize_targets(targets),
        "verdict": verdict,
        "checks": checks,
        "links": merge_links(links, checks),
        "duration_seconds": duration_seconds,
    }


def report_from_inputs(findings, now, alert=None, window_start=None, window_end=None, window_source=None,
                       started_at=None, targets=None, links=None):
    """report.json as a dict from the report module's inputs, at ``now`` (an aware datetime).

    Raises SchemaError for a malformed finding and ValueError (InputError) for a malformed alert,
    window or started_at, each naming the input at fault.
    """
    validate_findings(findings)
    alert = normalize_alert(alert, "alert")
    generated_at = format_rfc3339(now)
    window = report_window(window_start, window_end, window_source, alert, generated_at)
    duration = elapsed_seconds(started_at, now) if started_at not in (None, "") else None
    return build_report(findings, decide(findings, now=now), alert=alert, window=window, targets=targets, links=links,
                        generated_at=generated_at, duration_seconds=duration)


# ---------------------------------------------------------------------------------------------
# mitigate.yml: the diagnosis report, read back from report.json, gains a mitigation section.

def check_report(report, where="report"):
    """Raise SchemaError unless ``report`` looks like a diagnosis report of this schema version.

    Only what the renderers and the mitigation rely on is checked (the version, the verdict and the
    checks): the findings were validated when the report was written, and a report is not re-judged.
    """
    if not isinstance(report, dict):
        raise SchemaError(f"{where} is not a karmada.runbooks report: it must be a JSON object, got {type(report).__name__}")
    if report.get("schema_version") != SCHEMA_VERSION:
        raise SchemaError(f"{where} is not a karmada.runbooks report of schema {SCHEMA_VERSION}: field 'schema_version' "
                          f"is {report.get('schema_version')!r}")
    verdict = report.get("verdict")
    if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
        raise SchemaError(f"{where} is not a karmada.runbooks report: field 'verdict' must be a mapping with a status")
    if not isinstance(report.get("checks"), list) or not all(isinstance(item, dict) for item in report["checks"]):
        raise SchemaError(f"{where} is not a karmada.runbooks report: field 'checks' must be a list of findings")


def diagnosis_reference(report, source, path=None):
    """The section's ``diagnosis`` for a report: where it came from (``run`` or ``file``), its time and verdict."""
    check_report(report)
    verdict = report["verdict"]
    generated_at = report.get("generated_at")
    return mitigation_diagnosis(source, path, verdict["status"], str(verdict.get("summary") or ""),
                                generated_at=generated_at if isinstance(generated_at, str) else None)


def with_mitigation(report, mitigation):
    """A copy of the diagnosis ``report`` with the validated ``mitigation`` section (replacing any earlier one).

    The diagnosis part is kept as it was, its ``generated_at`` and ``duration_seconds`` included: they
    describe the diagnosis, and the section has its own started_at / finished_at. schema_version stays
    1.0, because the section is an additive field (docs/report-schema.md). Raises SchemaError naming the
    field at fault, in the report or in the section.
    """
    check_report(report)
    validate_mitigation(mitigation)
    combined = copy.deepcopy(report)
    combined["mitigation"] = copy.deepcopy(mitigation)
    return combined
