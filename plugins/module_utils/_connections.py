# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the playbook inputs to what each module group connects with: one place, tested.

Relative paths mean "relative to where ansible-playbook was started", as on any command line;
modules run elsewhere, so they only ever see absolute paths. The host cluster uses the Karmada
kubeconfig unless it has its own. Timeouts travel with the connection options (the play's
``module_defaults``), so no role restates them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import PROMETHEUS_TIMEOUT, REQUEST_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError

PROMETHEUS_OPTIONS = (("karmada_prometheus_token", "token"), ("karmada_prometheus_username", "username"),
                      ("karmada_prometheus_password", "password"), ("karmada_prometheus_ca_cert", "ca_cert"))


def absolute(path, cwd):
    """An absolute path ('' stays ''), with ~ expanded and a relative one anchored at ``cwd``."""
    if not path:
        return ""
    return os.path.normpath(os.path.join(cwd, os.path.expanduser(str(path))))


def _seconds(value, default, variable):
    """A positive whole number of seconds; the error names the playbook variable."""
    if value is None:
        return default
    try:
        seconds = int(str(value).strip())
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise InputError("%s must be a positive number of seconds, such as %d; got %r" % (variable, default, value))
    return seconds


def connection_settings(inputs, cwd):
    """{kubeconfig, host_kubeconfig, report_dir, apiserver, host, prometheus} from the karmada_* inputs.

    ``inputs`` holds the playbook variables; unset ones may be missing or None.
    """
    def given(name):
        value = inputs.get(name)
        return value if value not in (None, "") else None

    kubeconfig = absolute(given("karmada_kubeconfig"), cwd)
    host_kubeconfig = absolute(given("karmada_host_kubeconfig"), cwd) or kubeconfig
    request_timeout = _seconds(given("karmada_request_timeout"), REQUEST_TIMEOUT, "karmada_request_timeout")
    apiserver = {"context": given("karmada_context") or "karmada-apiserver", "request_timeout": request_timeout}
    host = {"context": given("karmada_host_context") or "karmada-host", "request_timeout": request_timeout}
    if kubeconfig:
        apiserver["kubeconfig"] = kubeconfig
    if host_kubeconfig:
        host["kubeconfig"] = host_kubeconfig
    prometheus = {"url": given("karmada_prometheus_url") or "",
                  "validate_certs": boolean(inputs.get("karmada_prometheus_validate_certs", True), strict=False),
                  "timeout": _seconds(given("karmada_prometheus_timeout"), PROMETHEUS_TIMEOUT, "karmada_prometheus_timeout")}
    for variable, option in PROMETHEUS_OPTIONS:
        if given(variable) is not None:
            prometheus[option] = given(variable)
    return {"kubeconfig": kubeconfig, "host_kubeconfig": host_kubeconfig,
            "report_dir": absolute(given("karmada_report_dir") or "karmada-report", cwd),
            "apiserver": apiserver, "host": host, "prometheus": prometheus}
