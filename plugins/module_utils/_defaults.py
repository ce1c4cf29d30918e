# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defaults and thresholds that more than one place reads, defined once.

Module argument specs, the connection settings and the verdict take their defaults from here;
role defaults that restate one of these say so next to the value (YAML cannot import Python), and
``tests/unit/plugins/module_utils/test_defaults.py`` fails when the two drift apart. A threshold
a user can change travels in the finding that applied it (``details.thresholds``), and the
verdict reads it from there, so the report and the decision never use two different values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Seconds one Kubernetes API request may take (kubernetes.core's modules default to no limit; a
# diagnosis must not hang on a dead API server).
REQUEST_TIMEOUT = 30
# Seconds one Prometheus query may take; a range query over 30 days of Sloth rules takes a few.
PROMETHEUS_TIMEOUT = 15

# The longest karmada_window a diagnosis accepts: the SLO's own period (Sloth's google-30d, _burnrate.PERIOD).
# Evidence older than the error budget cannot explain its burn, and a longer window only makes every list
# and range query bigger.
MAX_WINDOW = 30 * 24 * 3600

# Runbook step 8: a binding workqueue holding this many items and not shrinking is stuck, and
# retries making up this share of adds mean items keep failing and coming back.
WORKQUEUE_DEPTH = 100
WORKQUEUE_RETRY_RATIO = 0.5

# mitigate.yml. One mitigation at a time holds this Lease (coordination.k8s.io) in the controller-manager's
# namespace on the Karmada API server; a holder that has not renewed it for the duration is presumed crashed.
MITIGATION_LOCK_NAME = "karmada-runbooks-mitigation"
MITIGATION_LOCK_DURATION = 600
# How long a second run waits for the Lease before it gives up and says who holds it.
MITIGATION_LOCK_WAIT = 120
# A restart drops every queue and cache; two in a row (two alerts, two jobs) only lengthen the outage.
RESTART_COOLDOWN = 900
RESTART_TIMEOUT = 300
# Verification polls the evidence until it shows recovery or this many seconds pass.
VERIFY_TIMEOUT = 600
VERIFY_INTERVAL = 10
# increase() needs two scrapes inside its range; a minute covers the usual 15-30 s scrape intervals.
VERIFY_METRIC_RANGE = 60

# audit.yml. Drift when the binding-sync SLO has less than this share of its 30-day error budget left.
AUDIT_BUDGET_THRESHOLD = 0.5
# Drift when a controller-manager container restarted at least this many times (a crash loop passes it in
# minutes; one node drain or OOM kill does not page a schedule).
AUDIT_RESTART_THRESHOLD = 3
# ... and the last of those restarts ended this recently (seconds). restartCount only grows while the pod
# lives, so without a window a crash loop that stopped weeks ago would fail every scheduled audit.
AUDIT_RESTART_WINDOW = 3600
# Drift when the leader Lease was last renewed longer ago than this (seconds): the leader renews every 2 s
# and the Lease expires after 15 s (_karmada.LEADER_LEASE_DURATION); the rest is room for clock skew.
AUDIT_LEASE_MAX_AGE = 60
# A check that could not run fails the scheduled audit unless told otherwise: a schedule must notice a
# check that silently stopped running.
AUDIT_FAIL_ON_UNKNOWN = True
