# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.yml: the controller-manager's leader-election Lease is held and renewed.

A controller-manager whose pods run but whose leader stopped renewing reconciles nothing: no binding
becomes a Work. The Lease is ``_karmada.LEADER_LEASE_NAME`` in ``LEADER_LEASE_NAMESPACE`` on the Karmada
API server (see there for the source). ``observe`` is one GET; ``assess`` compares ``spec.renewTime``
with the time of the observation (pure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._audit import audit_check, drift_item
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import AUDIT_LEASE_MAX_AGE
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import LEADER_LEASE_NAME, LEADER_LEASE_NAMESPACE, lease_path
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import format_rfc3339, parse_datetime, utcnow

CHECK_ID = "leader_lease"
# The holder identity is cluster text (client-go: "<hostname>_<uuid>"); a message keeps it short.
MAX_HOLDER = 120


def options_from_params(params):
    """Validated options; InputError names the module option."""
    max_age = params.get("max_age")
    max_age = AUDIT_LEASE_MAX_AGE if max_age is None else max_age
    if max_age <= 0:
        raise InputError("max_age must be a positive number of seconds, got %r" % max_age)
    return {"namespace": (params.get("namespace") or LEADER_LEASE_NAMESPACE).strip(),
            "name": (params.get("name") or LEADER_LEASE_NAME).strip(), "max_age": max_age}


def observe(client, options):
    lease = client.find(lease_path(options["namespace"], options["name"]))
    return {"lease": None if lease is None else lease.get("spec") or {}, "now": format_rfc3339(utcnow()),
            "requests": client.requests}


def assess(observation, options):
    """The ``leader_lease`` audit check (pure)."""
    where = "%s/%s" % (options["namespace"], options["name"])
    spec = observation.get("lease")
    details = {"lease": where, "thresholds": {"max_age_seconds": options["max_age"]}}
    if spec is None:
        return audit_check(CHECK_ID, "drift", "Lease %s not found on the Karmada API server: no leader was ever elected "
                           "there (or --leader-elect-resource-namespace points elsewhere, or leader election is off: --leader-elect=false)."
                           % where, details=details,
                           drift=[drift_item("leader_lease_missing", where, "leader Lease %s not found" % where)])
    holder = str(spec.get("holderIdentity") or "")[:MAX_HOLDER]
    details.update(holder=holder or None, renew_time=spec.get("renewTime"),
                   lease_duration_seconds=spec.get("leaseDurationSeconds"), transitions=spec.get("leaseTransitions"))
    try:
        renewed = parse_datetime(spec.get("renewTime"), "spec.renewTime")
    except InputError:
        renewed = None
    now = parse_datetime(observation["now"], "now")
    age = None if renewed is None else max(0.0, (now - renewed).total_seconds())
    details["age_seconds"] = None if age is None else round(age, 1)
    if not holder or age is None or age > options["max_age"]:
        why = ("has no holder" if not holder else "has no renewTime" if age is None else
               "was last renewed %d s ago by %s (more than %d s)" % (age, holder, options["max_age"]))
        return audit_check(CHECK_ID, "drift", "Leader Lease %s %s: no controller-manager is leading." % (where, why),
                           details=details, drift=[drift_item("leader_lease_stale", where, "leader Lease %s %s" % (where, why))])
    return audit_check(CHECK_ID, "ok", "Leader Lease %s held by %s, renewed %d s ago." % (where, holder, age), details=details)


def check(client, options):
    return assess(observe(client, options), options)
