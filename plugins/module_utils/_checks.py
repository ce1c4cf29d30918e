# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one runner every read-only check module uses, and the option helpers they share.

A check module declares ``ENTRY = check_entry(...)`` with its argument spec (see ``_entry``): the
entry turns validated parameters into the check's options and runs the check through ``run_check``,
whether as a module or in the controller through the action plugin of the same name. ``run_check``
takes a body ``body(client) -> finding`` and a way to open the client (``connect_kube`` for the
Karmada API server or the host cluster, ``connect_prometheus`` for Prometheus), and applies the
same failure rules to every check (see ``_errors``):

- an ``InputError`` while connecting (a Prometheus URL that is not one, two ways to authenticate)
  fails the task with its message: that is the user's input to fix;
- anything else that stops the check (forbidden, unreachable, timeout, no data, a malformed
  answer, no Prometheus configured) becomes an ``unknown`` finding with the reason, and the task
  still succeeds so the diagnosis goes on;
- a finding that came through gets ``duration_seconds``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import REQUEST_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleEntry, ModuleFailure
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError, option_name
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import KubeClient, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import ENV_VARS, PrometheusClient
from ansible_collections.karmada.runbooks.plugins.module_utils._report import unknown


def connect_kube(params):
    """A KubeClient from kubernetes.core's auth options and ``request_timeout`` in ``params``."""
    timeout = params.get("request_timeout")
    if timeout is not None and timeout <= 0:
        # urllib3 would refuse it with a ValueError, which reads as a malformed response.
        raise InputError("%s: must be a positive number of seconds, such as %d; got %r"
                         % (option_name("request_timeout", "kube"), REQUEST_TIMEOUT, timeout))
    return KubeClient.from_params(params, timeout=timeout or REQUEST_TIMEOUT)


def connect_prometheus(params):
    """A PrometheusClient from the prometheus doc fragment's options; no URL means no Prometheus."""
    if not (params.get("url") or "").strip():
        raise CheckUnavailable("no Prometheus URL configured (set %s or %s)" % (option_name("url", "prometheus"), ENV_VARS["url"]))
    return PrometheusClient.from_params(params)


def _endpoint(client):
    """What an unknown finding says about where it tried (Prometheus' URL; nothing for Kubernetes)."""
    url = getattr(client, "display_url", None)
    return {"prometheus_url": url} if url else None


def run_check(params, check_id, body, connect=connect_kube, make_unknown=unknown):
    """The finding ``body(client)`` returns, or an ``unknown`` one with the reason it could not run.

    ``make_unknown(check_id, reason, details=..., duration_seconds=...)`` builds that one (audit.yml's
    checks have a schema of their own, ``_audit.unknown_check``)."""
    started = time.time()
    client = None
    try:
        client = connect(params)
        result = body(client)
    except InputError as exc:
        if client is None:
            raise ModuleFailure(str(exc)) from exc
        reason = map_exception(exc).reason
    except CheckUnavailable as exc:
        reason = exc.reason
    except Exception as exc:  # pylint: disable=broad-except
        reason = map_exception(exc).reason
    else:
        result["duration_seconds"] = round(time.time() - started, 3)
        return result
    return make_unknown(check_id, reason, details=_endpoint(client), duration_seconds=time.time() - started)


def check_entry(check, argument_spec, connect=connect_kube, results=None, make_unknown=unknown, key="finding"):
    """The ``ENTRY`` of a check module: validated parameters in, ``{key: finding, ...}`` out.

    ``argument_spec()`` returns the module's argument spec.
    ``check`` is the check's module_utils module, in the shape docs/DEVELOPING-CHECKS.md describes:
    ``options_from_params(params)`` (raises InputError naming the option), ``check(client, options)``
    and ``CHECK_ID`` (or ``check_id(options)`` when one module serves two checks). ``results(finding,
    options)`` returns the module's return values besides ``finding``. audit.yml's modules pass their own
    ``make_unknown`` and return the result under ``key`` ``check``.
    """
    def run(params, check_mode):
        try:
            options = check.options_from_params(params)
        except InputError as exc:
            raise ModuleFailure(str(exc)) from exc
        check_id = check.check_id(options) if hasattr(check, "check_id") else check.CHECK_ID
        finding = run_check(params, check_id, lambda client: check.check(client, options), connect, make_unknown)
        extra = results(finding, options) if results else {}
        extra[key] = finding
        return dict(extra, changed=False)

    return ModuleEntry(argument_spec, run)


def request_timeout_option():
    """The ``request_timeout`` option of every Kubernetes check module (doc fragment kube_check)."""
    return {"type": "int", "default": REQUEST_TIMEOUT}
