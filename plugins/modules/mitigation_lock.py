#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mitigation_lock
short_description: Hold the Lease that lets one Karmada mitigation run at a time
version_added: 0.1.0
description:
  - Acquires, renews or releases the mitigation lock, a C(coordination.k8s.io/v1) Lease (by default
    C(karmada-system/karmada-runbooks-mitigation)) on the Karmada API server, so that two mitigations
    started by two alerts never write at the same time.
  - It works like client-go's leader election. O(state=acquired) creates the Lease, or takes it over
    when it is free (released) or lapsed (its C(renewTime) plus C(leaseDurationSeconds) has passed, as
    when a run crashed), with a PUT conditional on the C(resourceVersion) it read; when two runs race,
    the server accepts one write and answers the other with 409, and the loser reads again.
  - While another run holds a live Lease, O(state=acquired) reads it again every O(interval) seconds
    for up to O(wait) seconds, then fails with a message naming the holder, since when it holds it and
    when it lapses, so the play stops before it writes anything.
  - O(state=renewed) and O(state=released) act only while the Lease still names O(holder). Releasing
    clears the holder as client-go's C(ReleaseOnCancel) does; releasing a lock that is no longer ours
    changes nothing and says so. Renewing a lock that is no longer ours fails, so the play stops writing.
  - Expiry is judged from C(renewTime) against the clock of the machine running the module, so the
    clocks of the machines that run mitigations must agree to well within O(duration) (NTP). A holder
    whose clock runs ahead only keeps the lock longer; a reader whose clock runs ahead sees it lapse
    early by the difference.
  - The Lease can be read with C(kubectl get lease -n karmada-system karmada-runbooks-mitigation -o yaml);
    deleting it by hand frees the lock at once. Only do that when no mitigation is running.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  state:
    description:
      - V(acquired) takes the lock (or renews it, if O(holder) already holds it).
      - V(renewed) extends the hold of O(holder) by O(duration) from now.
      - V(released) gives the lock up, if O(holder) still holds it.
    type: str
    choices: [acquired, renewed, released]
    default: acquired
  name:
    description: The Lease's name.
    type: str
    default: karmada-runbooks-mitigation
  namespace:
    description: The Lease's namespace on the Karmada API server, the controller-manager's.
    type: str
    default: karmada-system
  holder:
    description:
      - The holder identity written into C(spec.holderIdentity).
      - Required for O(state=renewed) and O(state=released); give the RV(lock.holder) that
        O(state=acquired) returned.
      - For O(state=acquired) a fresh C(<hostname>_<uuid4>) is generated when it is not set.
    type: str
  duration:
    description:
      - Seconds the hold lasts without a renewal (C(spec.leaseDurationSeconds)). A run that crashes
        holding the lock blocks other runs this long.
    type: int
    default: 600
  wait:
    description:
      - Seconds O(state=acquired) waits for another run's lock before it fails. V(0) reads once.
    type: int
    default: 120
  interval:
    description: Seconds between two reads of the Lease while waiting.
    type: int
    default: 2
  run:
    description:
      - What started this run, for example the AWX job id (C({{ awx_job_id }})), written into the
        Lease's C(karmada.runbooks/run) annotation and named in another run's error message.
      - Not written when not set.
    type: str
extends_documentation_fragment:
  - karmada.runbooks.attributes.ACTION
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes
  - karmada.runbooks.attributes.APISERVER
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reads the Lease once and reports in RV(lock.action) and RV(msg) what
        it would do; it neither writes nor waits, and returns RV(lock.acquired=false) and C(changed=false).
  diff_mode:
    support: none
notes:
  - C(changed) is true when the module wrote the Lease.
"""

EXAMPLES = r"""
- name: Take the mitigation lock, waiting up to two minutes for another run
  karmada.runbooks.mitigation_lock:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    run: "{{ awx_job_id | default(omit) }}"
  register: mitigation_lock

- name: Apply the mitigation under the lock, and always give it back
  block:
    - name: Extend the hold before a long step
      karmada.runbooks.mitigation_lock:
        state: renewed
        holder: "{{ mitigation_lock.lock.holder }}"
  always:
    - name: Release the mitigation lock
      karmada.runbooks.mitigation_lock:
        state: released
        holder: "{{ mitigation_lock.lock.holder }}"
"""

RETURN = r"""
msg:
  description: One line saying what happened, or would happen in check mode, or why it failed.
  returned: always
  type: str
  sample: acquired Lease karmada-system/karmada-runbooks-mitigation (created it)
lock:
  description: The lock as this call left it (also returned when the module fails).
  returned: always
  type: dict
  contains:
    name:
      description: The Lease's name.
      type: str
      sample: karmada-runbooks-mitigation
    namespace:
      description: The Lease's namespace.
      type: str
      sample: karmada-system
    holder:
      description: Our holder identity (generated by O(state=acquired) when O(holder) is not set).
      type: str
      sample: awx-task-7d9f_3f1c6a52-0b7e-4c1e-9a53-0f6a8f1e2b44
    acquired:
      description:
        - Whether we hold the lock after this call (O(state=acquired) or O(state=renewed) succeeded).
        - Always false in check mode and after O(state=released).
      type: bool
    released:
      description: Whether this call released the lock.
      type: bool
    action:
      description:
        - What was done, or in check mode would be done, after the last read of the Lease.
        - V(create) (no Lease), V(take_over) (free or lapsed), V(renew) (already ours), V(wait) (another run
          holds it), V(release), or V(none) (nothing of ours to renew or release).
      type: str
      sample: take_over
    waited_seconds:
      description: Seconds the call took, most of it waiting for another run's lock.
      type: float
      sample: 0.042
    taken_over_from:
      description: The holder of a lapsed Lease that was taken over, null otherwise.
      type: str
      sample: awx-task-1a2b_6d0c21f4-1f35-4a43-bb1d-6a3d0a5f7c10
    previous_holder:
      description:
        - The holder identity the Lease named when last read before acting, null when none.
        - When O(state=acquired) fails, the run that holds the lock.
      type: str
    expires_at:
      description:
        - When we acquired or renewed, when our hold lapses unless renewed (RFC 3339).
        - When another run holds the lock, when its hold lapses (rounded up to the second).
      type: str
      sample: "2026-11-25T03:10:00Z"
    conflicts:
      description: How many of our writes lost a race (409) and were followed by a fresh read.
      type: int
      sample: 0
    lease:
      description:
        - The Lease as this call last read or wrote it, null when there is none.
        - C(holder_identity), C(acquire_time), C(renew_time) (RFC 3339 with microseconds),
          C(lease_duration_seconds), C(lease_transitions), C(resource_version) and C(run) (the
          C(karmada.runbooks/run) annotation).
      type: dict
    message:
      description: The same line as RV(msg).
      type: str
    error:
      description: Why the lock was not acquired, renewed or released; null on success.
      type: str
      sample: >-
        another mitigation (holder awx-task-1a2b_6d0c21f4-1f35-4a43-bb1d-6a3d0a5f7c10, run 4711, holding it
        since 2026-11-25T03:00:00Z, renewed at 2026-11-25T03:00:00Z) holds Lease
        karmada-system/karmada-runbooks-mitigation until 2026-11-25T03:10:00Z; waited 120 s and nothing was
        applied. Wait for it to finish, or, if that run crashed, the lock expires at 2026-11-25T03:10:00Z
        and the next run takes it over
"""

from ansible_collections.karmada.runbooks.plugins.module_utils import _karmada as karmada
from ansible_collections.karmada.runbooks.plugins.module_utils import _lease as lease
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import connect_kube, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import MITIGATION_LOCK_DURATION, MITIGATION_LOCK_NAME, MITIGATION_LOCK_WAIT
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure, run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import printable

MESSAGE_LIMIT = 1000


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        state={"type": "str", "default": "acquired", "choices": list(lease.STATES)},
        name={"type": "str", "default": MITIGATION_LOCK_NAME},
        namespace={"type": "str", "default": karmada.CONTROLLER_MANAGER_NAMESPACE},
        holder={"type": "str"},
        duration={"type": "int", "default": MITIGATION_LOCK_DURATION},
        wait={"type": "int", "default": MITIGATION_LOCK_WAIT},
        interval={"type": "int", "default": lease.DEFAULT_INTERVAL},
        run={"type": "str"},
        request_timeout=request_timeout_option(),
    )
    return spec


def run(params, check_mode):
    try:
        options = lease.options_from_params(params)
    except InputError as exc:
        raise ModuleFailure(str(exc)) from exc
    if options["holder"] is None:
        options["holder"] = lease.holder_identity()
    try:
        client = connect_kube(params)
    except Exception as exc:  # pylint: disable=broad-except
        outcome = lease.result(options["namespace"], options["name"], options["holder"])
        outcome["error"] = outcome["message"] = "cannot connect to the Karmada API server: %s" % map_exception(exc).reason
        raise ModuleFailure(outcome["error"], lock=outcome) from exc
    outcome = lease.run(client, options, check_mode=check_mode)
    # Another run's holder and run annotation are text anyone with Lease write access chose: the messages
    # that quote them reach the job log, so they leave here printable and bounded.
    for key in ("error", "message"):
        if outcome.get(key):
            outcome[key] = printable(outcome[key])[:MESSAGE_LIMIT]
    wrote = not check_mode and (outcome["acquired"] or outcome["released"])
    if outcome["error"]:
        raise ModuleFailure(outcome["error"], changed=wrote, lock=outcome)
    return {"msg": outcome["message"], "lock": outcome, "changed": wrote}


ENTRY = ModuleEntry(argument_spec, run)


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
