# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation lock: one mitigation at a time, held as a Lease on the Karmada API server.

Two alerts can start two mitigate jobs within seconds of each other, and two jobs restarting the
controller-manager one after the other only lengthen the outage. So a run applies nothing until it
holds the Lease ``_defaults.MITIGATION_LOCK_NAME`` (coordination.k8s.io/v1) in the controller-manager's
namespace on the Karmada API server, the API both runs already talk to, with nothing to install.

The model is client-go's leader election (tools/leaderelection/leaderelection.go, k8s.io/client-go
v0.35.3, the version Karmada v1.18.2 builds with), reduced to a lock taken once per run:

- the Lease's spec is the record: ``holderIdentity`` (who), ``acquireTime`` (since when),
  ``renewTime`` (last sign of life), ``leaseDurationSeconds`` (how long a sign of life counts) and
  ``leaseTransitions`` (incremented on every change of holder, tryAcquireOrRenew:483). Both times are
  MicroTime, RFC 3339 with microseconds (apimachinery pkg/apis/meta/v1/micro_time.go:26, RFC3339Micro);
- a run's identity is ``<hostname>_<uuid4>``, as Karmada's scheduler and descheduler build theirs
  (cmd/scheduler/app/scheduler.go:205-210, v1.18.2), so two runs on one AWX node differ;
- no Lease: create it (tryAcquireOrRenew:455). A Lease held by someone else whose ``renewTime +
  leaseDurationSeconds`` has not passed: wait. An empty holder (released) or a lapsed one (the run
  crashed): take it over with a PUT of the object as read, whose resourceVersion makes the server
  refuse it if anyone wrote in between (LeaseLock.Update, resourcelock/leaselock.go:73). Already ours
  (a retried task): renew, keeping acquireTime and leaseTransitions (tryAcquireOrRenew:479-480);
- a 409 from either write (AlreadyExists on the create, Conflict on the PUT) means another run won the
  race between our read and our write; the answer is to read again, never to retry the write;
- release writes the record client-go's ReleaseOnCancel writes (release():310-342): holder cleared,
  ``leaseDurationSeconds`` 1, both times now, transitions kept, and only while the Lease is still ours.

Where this differs from client-go, and why: client-go judges expiry by how long *it* has watched an
unchanged record (isLeaseValid, observedTime), which is immune to clock skew but needs a watcher
that lives for a lease duration. A run here looks for at most ``wait`` seconds (default 120, shorter
than the 600 s duration), so it reads ``renewTime`` instead, against this machine's clock. So the
clocks of the machines that run mitigations must agree to well within the duration (NTP). A holder
whose clock runs ahead writes a renewTime in the future, which only makes its lock last longer (the
message says so); a reader whose clock runs ahead sees a live lock lapse early by the skew, which is
why the duration is long next to the few minutes a run holds the lock, and why a holder renews
before a long step. A Lease without a renewTime (written by hand) falls back to acquireTime; with
neither, nothing shows a holder alive and it is taken over. A missing leaseDurationSeconds counts as
our own duration.

``decide`` is the pure part (the unit tests' subject); ``acquire``, ``renew`` and ``release`` do the
I/O around it with an injectable clock and sleep. Each returns the same result dict (``result()``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import socket
import time
import uuid

from ansible_collections.karmada.runbooks.plugins.module_utils import _karmada as karmada
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import MITIGATION_LOCK_DURATION, MITIGATION_LOCK_NAME, MITIGATION_LOCK_WAIT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import ApiException, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import UTC, format_rfc3339, parse_datetime

API_VERSION = "coordination.k8s.io/v1"
KIND = "Lease"
# Who holds the lock says which machine; this says which job, for an SRE reading the Lease with kubectl.
RUN_ANNOTATION = "karmada.runbooks/run"
DEFAULT_INTERVAL = 2
# client-go's release writes 1 so that any client-go reader sees the record lapse at once (release():331).
RELEASED_DURATION = 1
# Re-reads after a lost race are immediate; this many in a row without getting anywhere means something
# keeps writing the Lease, and the run stops at the wait bound instead of spinning.
MAX_CONFLICTS = 10

# What decide() says to do.
CREATE = "create"
TAKE_OVER = "take_over"
RENEW = "renew"
WAIT = "wait"
# What renew() and release() did when there was nothing of ours to act on.
NONE = "none"
RELEASE = "release"

STATES = ("acquired", "renewed", "released")


def holder_identity(hostname=None):
    """A fresh identity for one run: ``<hostname>_<uuid4>``, as Karmada's components name theirs."""
    return "%s_%s" % (hostname or socket.gethostname(), uuid.uuid4())


def options_from_params(params):
    """The lock's options from a module's params; InputError names the option."""
    state = params.get("state") or "acquired"
    if state not in STATES:
        raise InputError("state must be one of %s, got %r" % (", ".join(STATES), state))
    options = {
        "state": state,
        "name": (params.get("name") or MITIGATION_LOCK_NAME).strip(),
        "namespace": (params.get("namespace") or karmada.CONTROLLER_MANAGER_NAMESPACE).strip(),
        "holder": (params.get("holder") or "").strip() or None,
        "duration": _whole("duration", params.get("duration"), MITIGATION_LOCK_DURATION, minimum=1),
        "wait": _whole("wait", params.get("wait"), MITIGATION_LOCK_WAIT, minimum=0),
        "interval": _whole("interval", params.get("interval"), DEFAULT_INTERVAL, minimum=1),
        "run": (params.get("run") or "").strip() or None,
    }
    if not options["name"] or not options["namespace"]:
        raise InputError("name and namespace must not be empty")
    if state != "acquired" and not options["holder"]:
        raise InputError("holder is required with state=%s: give the holder that state=acquired returned "
                         "(lock.holder), so a run can only renew or release its own lock" % state)
    # leaseDurationSeconds is an int32 (k8s.io/api coordination/v1 LeaseSpec).
    if options["duration"] > 2 ** 31 - 1:
        raise InputError("duration must be at most %d seconds, got %d" % (2 ** 31 - 1, options["duration"]))
    return options


def _whole(option, value, default, minimum):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError("%s must be a whole number of seconds, at least %d, got %r" % (option, minimum, value))
    return value


# -- reading a Lease -------------------------------------------------------------------------------
def _moment(value):
    """A MicroTime (or anything parse_datetime reads) as an aware datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        return parse_datetime(value, "lease time")
    except InputError:
        return None


def record(lease):
    """The parts of a Lease object the lock reads, with times as datetimes; None for no Lease."""
    if lease is None:
        return None
    spec = lease.get("spec") or {}
    meta = lease.get("metadata") or {}
    duration = spec.get("leaseDurationSeconds")
    transitions = spec.get("leaseTransitions")
    return {
        "holder": spec.get("holderIdentity") or "",
        "acquire_time": _moment(spec.get("acquireTime")),
        "renew_time": _moment(spec.get("renewTime")),
        "duration": duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
        "transitions": transitions if isinstance(transitions, int) and not isinstance(transitions, bool) else 0,
        "resource_version": meta.get("resourceVersion"),
        "run": (meta.get("annotations") or {}).get(RUN_ANNOTATION),
    }


def describe(lease):
    """A Lease as the module returns it: RFC 3339 strings, the names the API uses."""
    rec = record(lease)
    if rec is None:
        return None
    return {"holder_identity": rec["holder"] or None,
            "acquire_time": format_rfc3339(rec["acquire_time"], fraction=True),
            "renew_time": format_rfc3339(rec["renew_time"], fraction=True),
            "lease_duration_seconds": rec["duration"], "lease_transitions": rec["transitions"],
            "resource_version": rec["resource_version"], "run": rec["run"]}


# -- the decision ----------------------------------------------------------------------------------
def decide(lease, holder, now, duration):
    """What a run with identity ``holder`` does about ``lease`` (the object as read, or None) at ``now``.

    Pure. ``now`` is an aware datetime, ``duration`` the seconds our hold lasts without a renewal.
    Returns a dict:

    - ``action``: CREATE (no Lease), TAKE_OVER (released, or lapsed: ``renewTime +
      leaseDurationSeconds < now``), RENEW (holderIdentity is ours) or WAIT (someone else's, alive);
    - ``spec``: the LeaseSpec to write, None for WAIT;
    - ``previous_holder``: the holderIdentity as read (None when none or empty);
    - ``acquired_at`` / ``renewed_at``: the read holder's acquireTime / renewTime;
    - ``expires_at``: when the read hold lapses (None when there is no live hold to wait for);
    - ``skew_seconds``: how far the read renewTime is ahead of ``now`` (0 when it is not), which only
      a clock running ahead on the holder's machine explains.
    """
    rec = record(lease)
    stamp = format_rfc3339(now, fraction=True)
    fresh = {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": stamp,
             "renewTime": stamp, "leaseTransitions": 0}
    decision = {"action": CREATE, "spec": fresh, "previous_holder": None, "acquired_at": None,
                "renewed_at": None, "expires_at": None, "skew_seconds": 0}
    if rec is None:
        return decision
    last_seen = rec["renew_time"] or rec["acquire_time"]
    lasts = rec["duration"] if rec["duration"] is not None else duration
    expires_at = last_seen + datetime.timedelta(seconds=lasts) if last_seen else None
    decision.update(previous_holder=rec["holder"] or None, acquired_at=rec["acquire_time"],
                    renewed_at=rec["renew_time"], expires_at=expires_at,
                    skew_seconds=max(0.0, (last_seen - now).total_seconds()) if last_seen else 0)
    if rec["holder"] == holder:
        # Ours already (a retried task, or renew): same term, so acquireTime and transitions stay.
        decision["action"] = RENEW
        decision["spec"] = dict(fresh, acquireTime=format_rfc3339(rec["acquire_time"] or now, fraction=True),
                                leaseTransitions=rec["transitions"])
        return decision
    if rec["holder"] and expires_at is not None and not expires_at < now:
        decision.update(action=WAIT, spec=None)
        return decision
    # Released (empty holder) or lapsed: a new term, so one more transition.
    decision["action"] = TAKE_OVER
    decision["spec"] = dict(fresh, leaseTransitions=rec["transitions"] + 1)
    if not rec["holder"]:
        decision["expires_at"] = None
    return decision


def released_spec(lease, now):
    """The LeaseSpec client-go's release() writes over our own record (leaderelection.go:329-334, v0.35.3)."""
    rec = record(lease)
    stamp = format_rfc3339(now, fraction=True)
    return {"holderIdentity": "", "leaseDurationSeconds": RELEASED_DURATION, "acquireTime": stamp,
            "renewTime": stamp, "leaseTransitions": rec["transitions"] if rec else 0}


def lease_object(lease, namespace, name, spec, run=None):
    """The object to write: the Lease as read with ``spec`` in place (resourceVersion kept, so the PUT
    is conditional), or a new one."""
    if lease is None:
        obj = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": namespace}}
    else:
        obj = copy.deepcopy(lease)
        obj.setdefault("apiVersion", API_VERSION)
        obj.setdefault("kind", KIND)
    obj["spec"] = spec
    if run:
        obj["metadata"].setdefault("annotations", {})[RUN_ANNOTATION] = run
    return obj


# -- results and messages --------------------------------------------------------------------------
def result(namespace, name, holder):
    """The result every operation returns; the keys are documented in the module's RETURN."""
    return {"name": name, "namespace": namespace, "holder": holder, "acquired": False, "released": False,
            "action": None, "waited_seconds": 0, "taken_over_from": None, "previous_holder": None,
            "expires_at": None, "conflicts": 0, "lease": None, "message": "", "error": None}


def held_message(namespace, name, decision, lease, waited):
    """Why a run did not get the lock, and what the SRE does about it."""
    rec = record(lease) or {}
    who = "holder %s" % decision["previous_holder"]
    if rec.get("run"):
        who += ", run %s" % rec["run"]
    if decision["acquired_at"]:
        who += ", holding it since %s" % format_rfc3339(decision["acquired_at"])
    who += ", renewed at %s" % (format_rfc3339(decision["renewed_at"]) or "an unknown time")
    until = _until(decision["expires_at"])
    text = ("another mitigation (%s) holds Lease %s/%s until %s; waited %s s and nothing was applied. "
            "Wait for it to finish, or, if that run crashed, the lock expires at %s and the next run takes it over"
            % (who, namespace, name, until, _seconds(waited), until))
    if decision["skew_seconds"] >= 1:
        text += (" (its renewTime is %s s ahead of this machine's clock: one of the two clocks is wrong, and "
                 "the lock lasts that much longer)" % _seconds(decision["skew_seconds"]))
    return text


def _seconds(value):
    # Whole seconds: a reader wants "waited 120 s", not the few milliseconds each read adds to it.
    return "%d" % int(round(value))


def _until(moment):
    """Someone else's expiry in whole seconds, rounded up: a run started at the time shown must find it lapsed."""
    if moment is None:
        return None
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + datetime.timedelta(seconds=1)
    return format_rfc3339(moment)


def _at(epoch):
    return datetime.datetime.fromtimestamp(epoch, UTC)


def _status(exc):
    return getattr(exc, "status", None) if isinstance(exc, ApiException) else None


def _reason(exc):
    return map_exception(exc).reason


# -- the operations --------------------------------------------------------------------------------
def acquire(client, namespace, name, holder, duration=MITIGATION_LOCK_DURATION, wait=MITIGATION_LOCK_WAIT,
            interval=DEFAULT_INTERVAL, run=None, check_mode=False, clock=time.time, sleep=time.sleep):
    """Take the lock for ``holder``, waiting up to ``wait`` seconds while another live run holds it.

    GET, decide, then POST (CREATE) or conditional PUT (TAKE_OVER, RENEW); a 409 re-reads at once, a
    live holder re-reads every ``interval`` seconds. The last read is at the ``wait`` bound, so
    ``wait=0`` reads once. In check mode it reads and decides once and writes nothing.
    Never raises for the API: a failure is ``acquired`` False with ``error`` saying why.
    """
    out = result(namespace, name, holder)
    path = karmada.lease_path(namespace, name)
    started = clock()
    while True:
        now = clock()
        try:
            lease = client.find(path)
        except Exception as exc:  # pylint: disable=broad-except
            return _failed(out, started, clock, "cannot read Lease %s/%s: %s" % (namespace, name, _reason(exc)))
        decision = decide(lease, holder, _at(now), duration)
        out.update(action=decision["action"], previous_holder=decision["previous_holder"], lease=describe(lease),
                   expires_at=_until(decision["expires_at"]))
        waited = clock() - started
        if decision["action"] == WAIT:
            if check_mode:
                out["message"] = ("check mode: Lease %s/%s is held by %s until %s; a run would wait up to %d s"
                                  % (namespace, name, decision["previous_holder"], out["expires_at"], wait))
                return _done(out, started, clock)
            if waited >= wait:
                return _failed(out, started, clock, held_message(namespace, name, decision, lease, waited))
            sleep(min(interval, wait - waited))
            continue
        if check_mode:
            out["message"] = "check mode: would %s Lease %s/%s for %s" % (
                {CREATE: "create", TAKE_OVER: "take over", RENEW: "renew"}[decision["action"]], namespace, name, holder)
            out["expires_at"] = None
            return _done(out, started, clock)
        body = lease_object(lease, namespace, name, decision["spec"], run)
        try:
            if decision["action"] == CREATE:
                written = client.create(karmada.leases_in(namespace), body)
            else:
                written = client.replace(path, body)
        except Exception as exc:  # pylint: disable=broad-except
            # 409: another run wrote between our read and our write (AlreadyExists, Conflict); 404 on a PUT:
            # the Lease was deleted meanwhile. Either way the next read shows the new state.
            if _status(exc) == 409 or (_status(exc) == 404 and decision["action"] != CREATE):
                out["conflicts"] += 1
                if out["conflicts"] >= MAX_CONFLICTS and clock() - started >= wait:
                    return _failed(out, started, clock, "Lease %s/%s changed under %d attempts in a row to take it; "
                                   "nothing was applied" % (namespace, name, out["conflicts"]))
                continue
            return _failed(out, started, clock, "cannot %s Lease %s/%s: %s" % (
                "create" if decision["action"] == CREATE else "update", namespace, name, _reason(exc)))
        out.update(acquired=True, lease=describe(written),
                   expires_at=format_rfc3339(_at(now) + datetime.timedelta(seconds=duration)))
        if decision["action"] == TAKE_OVER and decision["previous_holder"]:
            out["taken_over_from"] = decision["previous_holder"]
        out["message"] = {
            CREATE: "acquired Lease %s/%s (created it)",
            TAKE_OVER: "acquired Lease %s/%s" + (" from %s, whose hold had lapsed at %s" % (
                decision["previous_holder"], _until(decision["expires_at"]))
                if decision["previous_holder"] else " (it was free)"),
            RENEW: "Lease %s/%s was already ours; renewed it",
        }[decision["action"]] % (namespace, name)
        return _done(out, started, clock)


def renew(client, namespace, name, holder, duration=MITIGATION_LOCK_DURATION, run=None, check_mode=False,
          clock=time.time):
    """Extend our hold by ``duration`` from now, only while the Lease is still ours.

    A Lease that is gone or someone else's means the lock was lost (it lapsed and was taken over):
    ``acquired`` False and ``error`` saying to whom, so the caller stops writing.
    """
    out = result(namespace, name, holder)
    path = karmada.lease_path(namespace, name)
    started = clock()
    for _attempt in range(MAX_CONFLICTS):
        now = clock()
        try:
            lease = client.find(path)
        except Exception as exc:  # pylint: disable=broad-except
            return _failed(out, started, clock, "cannot read Lease %s/%s: %s" % (namespace, name, _reason(exc)))
        decision = decide(lease, holder, _at(now), duration)
        out.update(lease=describe(lease), previous_holder=decision["previous_holder"])
        if decision["action"] != RENEW:
            out["action"] = NONE
            if lease is None:
                why = "it no longer exists"
            elif decision["previous_holder"]:
                why = "it is held by %s now" % decision["previous_holder"]
            else:
                why = "it was released"
            return _failed(out, started, clock, "lost the lock: Lease %s/%s is not ours any more (%s); stop writing"
                           % (namespace, name, why))
        out["action"] = RENEW
        if check_mode:
            out["message"] = "check mode: would renew Lease %s/%s" % (namespace, name)
            return _done(out, started, clock)
        try:
            written = client.replace(path, lease_object(lease, namespace, name, decision["spec"], run))
        except Exception as exc:  # pylint: disable=broad-except
            if _status(exc) in (404, 409):
                out["conflicts"] += 1
                continue
            return _failed(out, started, clock, "cannot renew Lease %s/%s: %s" % (namespace, name, _reason(exc)))
        out.update(acquired=True, lease=describe(written),
                   expires_at=format_rfc3339(_at(now) + datetime.timedelta(seconds=duration)),
                   message="renewed Lease %s/%s" % (namespace, name))
        return _done(out, started, clock)
    return _failed(out, started, clock, "Lease %s/%s changed under %d attempts in a row to renew it"
                   % (namespace, name, MAX_CONFLICTS))


def release(client, namespace, name, holder, check_mode=False, clock=time.time):
    """Give the lock up, only while it is still ours, the way client-go's ReleaseOnCancel does.

    client-go v0.35.3 release() (tools/leaderelection/leaderelection.go:310-342) re-reads the Lease
    for its resourceVersion, does nothing unless it is the leader, then updates the record to an empty
    holderIdentity with leaseDurationSeconds 1, acquireTime and renewTime now and leaseTransitions kept.
    Its later tryRelease (client-go 1b1630d32, "retry release on conflict from inflight renew") reads
    again after a 409, as here. A Lease that is gone or someone else's is left alone and the result
    says so: the lock lapsed and was taken over, and clearing it would free another run's lock.
    """
    out = result(namespace, name, holder)
    path = karmada.lease_path(namespace, name)
    started = clock()
    for _attempt in range(MAX_CONFLICTS):
        now = clock()
        try:
            lease = client.find(path)
        except Exception as exc:  # pylint: disable=broad-except
            return _failed(out, started, clock, "cannot read Lease %s/%s: %s" % (namespace, name, _reason(exc)))
        rec = record(lease)
        out.update(lease=describe(lease), previous_holder=(rec or {}).get("holder") or None)
        if rec is None or rec["holder"] != holder:
            out["action"] = NONE
            out["message"] = "nothing to release: Lease %s/%s %s; left unchanged" % (
                namespace, name, "does not exist" if rec is None else
                "is held by %s, not by %s" % (rec["holder"], holder) if rec["holder"] else "is not held")
            return _done(out, started, clock)
        out["action"] = RELEASE
        if check_mode:
            out["message"] = "check mode: would release Lease %s/%s" % (namespace, name)
            return _done(out, started, clock)
        try:
            written = client.replace(path, lease_object(lease, namespace, name, released_spec(lease, _at(now))))
        except Exception as exc:  # pylint: disable=broad-except
            if _status(exc) in (404, 409):
                out["conflicts"] += 1
                continue
            return _failed(out, started, clock, "cannot release Lease %s/%s: %s; it lapses by itself at %s" % (
                namespace, name, _reason(exc), _until(decide(lease, holder, _at(now), 0)["expires_at"])))
        out.update(released=True, lease=describe(written), message="released Lease %s/%s" % (namespace, name))
        return _done(out, started, clock)
    return _failed(out, started, clock, "Lease %s/%s changed under %d attempts in a row to release it"
                   % (namespace, name, MAX_CONFLICTS))


def _done(out, started, clock):
    out["waited_seconds"] = round(max(0.0, clock() - started), 3)
    return out


def _failed(out, started, clock, error):
    out.update(acquired=False, error=error, message=error)
    return _done(out, started, clock)


def run(client, options, check_mode=False, clock=time.time, sleep=time.sleep):
    """The operation ``options["state"]`` names, with options from ``options_from_params``."""
    common = {"check_mode": check_mode, "clock": clock}
    if options["state"] == "acquired":
        return acquire(client, options["namespace"], options["name"], options["holder"], options["duration"],
                       options["wait"], options["interval"], options["run"], sleep=sleep, **common)
    if options["state"] == "renewed":
        return renew(client, options["namespace"], options["name"], options["holder"], options["duration"],
                     options["run"], **common)
    return release(client, options["namespace"], options["name"], options["holder"], **common)
