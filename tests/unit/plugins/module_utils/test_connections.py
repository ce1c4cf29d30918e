# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the playbook inputs to each module group's connection options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._connections import connection_settings
from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import PROMETHEUS_TIMEOUT, REQUEST_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError


def test_defaults_leave_the_kubeconfig_to_the_client():
    settings = connection_settings({}, "/home/oncall")
    assert settings["apiserver"] == {"context": "karmada-apiserver", "request_timeout": REQUEST_TIMEOUT}
    assert settings["host"] == {"context": "karmada-host", "request_timeout": REQUEST_TIMEOUT}
    assert settings["report_dir"] == "/home/oncall/karmada-report"
    assert settings["prometheus"] == {"url": "", "validate_certs": True, "timeout": PROMETHEUS_TIMEOUT}


def test_relative_paths_are_anchored_where_the_playbook_started():
    settings = connection_settings({"karmada_kubeconfig": ".demo/kubeconfig", "karmada_report_dir": "../out",
                                    "karmada_context": "karmada", "karmada_host_context": None}, "/work/main")
    assert settings["apiserver"]["kubeconfig"] == settings["host"]["kubeconfig"] == "/work/main/.demo/kubeconfig"
    assert (settings["apiserver"]["context"], settings["host"]["context"]) == ("karmada", "karmada-host")
    assert settings["report_dir"] == "/work/out"


def test_the_host_may_have_its_own_kubeconfig_and_home_is_expanded():
    settings = connection_settings({"karmada_kubeconfig": "/etc/karmada/karmada-apiserver.config",
                                    "karmada_host_kubeconfig": "~/.kube/config"}, "/tmp")
    assert settings["apiserver"]["kubeconfig"] == "/etc/karmada/karmada-apiserver.config"
    assert settings["host"]["kubeconfig"] == os.path.expanduser("~/.kube/config")


def test_prometheus_options_only_when_given():
    settings = connection_settings({"karmada_prometheus_url": "https://prom.example", "karmada_prometheus_token": "t",
                                    "karmada_prometheus_validate_certs": "False", "karmada_prometheus_timeout": "30",
                                    "karmada_prometheus_username": None}, "/")
    assert settings["prometheus"] == {"url": "https://prom.example", "validate_certs": False, "timeout": 30,
                                      "token": "t"}


def test_one_request_timeout_reaches_both_kubernetes_groups():
    settings = connection_settings({"karmada_request_timeout": "45"}, "/")
    assert settings["apiserver"]["request_timeout"] == settings["host"]["request_timeout"] == 45


@pytest.mark.parametrize("variable", ["karmada_request_timeout", "karmada_prometheus_timeout"])
@pytest.mark.parametrize("value", ["-5", "0", "soon"])
def test_a_timeout_that_cannot_work_names_its_variable(variable, value):
    with pytest.raises(InputError, match="^%s must be a positive number of seconds" % variable):
        connection_settings({variable: value}, "/")
