# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the playbook inputs to what each module group connects with: one place, tested.

Relative paths mean "relative to where ansible-playbook was started", as on any command line;
modules run elsewhere, so they only ever see absolute paths. The host cluster uses the Karmada
kubeconfig unless it has its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.parsing.convert_bool import boolean

PROMETHEUS_OPTIONS = (("karmada_prometheus_token", "token"), ("karmada_prometheus_username", "username"),
                      ("karmada_prometheus_password", "password"), ("karmada_prometheus_ca_cert", "ca_cert"))


def absolute(path, cwd):
    """An absolute path ('' stays ''), with ~ expanded and a relative one anchored at ``cwd``."""
    if not path:
        return ""
    return os.path.normpath(os.path.join(cwd, os.path.expanduser(str(path))))


def connection_settings(inputs, cwd):
    """{kubeconfig, host_kubeconfig, report_dir, apiserver, host, prometheus} from the karmada_* inputs.

    ``inputs`` holds the playbook variables; unset ones may be missing or None.
    """
    def given(name):
        value = inputs.get(name)
        return value if value not in (None, "") else None

    kubeconfig = absolute(given("karmada_kubeconfig"), cwd)
    host_kubeconfig = absolute(given("karmada_host_kubeconfig"), cwd) or kubeconfig
    apiserver = {"context": given("karmada_context") or "karmada-apiserver"}
    host = {"context": given("karmada_host_context") or "karmada-host"}
    if kubeconfig:
        apiserver["kubeconfig"] = kubeconfig
    if host_kubeconfig:
        host["kubeconfig"] = host_kubeconfig
    prometheus = {"url": given("karmada_prometheus_url") or "",
                  "validate_certs": boolean(inputs.get("karmada_prometheus_validate_certs", True), strict=False),
                  "timeout": int(given("karmada_prometheus_timeout") or 15)}
    for variable, option in PROMETHEUS_OPTIONS:
        if given(variable) is not None:
            prometheus[option] = given(variable)
    return {"kubeconfig": kubeconfig, "host_kubeconfig": host_kubeconfig,
            "report_dir": absolute(given("karmada_report_dir") or "karmada-report", cwd),
            "apiserver": apiserver, "host": host, "prometheus": prometheus}
