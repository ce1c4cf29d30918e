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


# -- preflight: what can be checked without contacting anything --

from ansible_collections.karmada.runbooks.plugins.module_utils._alert import diagnosis_window, normalize_alert  # noqa: E402
from ansible_collections.karmada.runbooks.plugins.module_utils._connections import check_plain_inputs, preflight, prepare_report_dir  # noqa: E402
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import option_name, plain_type_name  # noqa: E402

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
- name: karmada-apiserver
  cluster: {server: "https://127.0.0.1:1", certificate-authority: %(ca)s}
- name: karmada-host
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: admin
  user: {token: t}
contexts:
- name: karmada-apiserver
  context: {cluster: karmada-apiserver, user: admin}
- name: karmada-host
  context: {cluster: karmada-host, user: admin}
"""


@pytest.fixture
def kubeconfig(tmp_path):
    (tmp_path / "ca.crt").write_text("pem")
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG % {"ca": "ca.crt"})
    return path


def run_preflight(tmp_path, environ=None, **inputs):
    inputs.setdefault("karmada_report_dir", str(tmp_path / "out"))
    return preflight(inputs, str(tmp_path), environ or {})


def test_preflight_accepts_good_inputs_and_creates_nothing(tmp_path, kubeconfig):
    settings = run_preflight(tmp_path, karmada_kubeconfig=str(kubeconfig))
    assert settings["apiserver"]["kubeconfig"] == str(kubeconfig)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ca.crt", "kubeconfig"]


@pytest.mark.parametrize("inputs, expected", [
    ({"karmada_context": "nope"}, "karmada_context: no context 'nope'"),
    ({"karmada_host_context": "nope"}, "karmada_host_context: no context 'nope'"),
    ({"karmada_kubeconfig": "missing.config"}, "karmada_kubeconfig: no file at"),
    ({"karmada_host_kubeconfig": "missing.config"}, "karmada_host_kubeconfig: no file at"),
    ({"karmada_prometheus_ca_cert": "missing.pem"}, "karmada_prometheus_ca_cert: no file at"),
    ({"karmada_request_timeout": "-1"}, "karmada_request_timeout must be a positive number"),
    ({"karmada_prometheus_timeout": "0"}, "karmada_prometheus_timeout must be a positive number"),
])
def test_preflight_errors_name_the_variable(tmp_path, kubeconfig, inputs, expected):
    inputs = dict({"karmada_kubeconfig": str(kubeconfig)}, **inputs)
    with pytest.raises(InputError) as info:
        run_preflight(tmp_path, **inputs)
    assert str(info.value).startswith(expected)


def test_an_unknown_context_lists_the_ones_there(tmp_path, kubeconfig):
    with pytest.raises(InputError) as info:
        run_preflight(tmp_path, karmada_kubeconfig=str(kubeconfig), karmada_context="karmada")
    assert "it has karmada-apiserver, karmada-host. Set karmada_context to one of them" in str(info.value)


def test_the_kubeconfig_is_found_as_the_client_finds_it(tmp_path, kubeconfig):
    with pytest.raises(InputError, match="karmada_context: no context 'nope'"):
        run_preflight(tmp_path, {"K8S_AUTH_KUBECONFIG": str(kubeconfig)}, karmada_context="nope")
    with pytest.raises(InputError, match="karmada_context: no context 'nope'"):
        run_preflight(tmp_path, {"KUBECONFIG": "%s:%s" % (tmp_path / "absent", kubeconfig)}, karmada_context="nope")
    # No kubeconfig anywhere: the client may still run in a pod with its service account.
    assert run_preflight(tmp_path, {"KUBECONFIG": str(tmp_path / "absent")}, karmada_context="nope")


def test_a_kubeconfig_without_the_default_host_context_is_allowed(tmp_path, kubeconfig):
    kubeconfig.write_text(KUBECONFIG.replace("- name: karmada-host\n  context", "- name: other\n  context")
                          % {"ca": "ca.crt"})
    assert run_preflight(tmp_path, karmada_kubeconfig=str(kubeconfig))
    with pytest.raises(InputError, match="karmada_host_context: no context 'elsewhere'"):
        run_preflight(tmp_path, karmada_kubeconfig=str(kubeconfig), karmada_host_context="elsewhere")


def test_a_missing_certificate_authority_file_is_an_input_error(tmp_path, kubeconfig):
    kubeconfig.write_text(KUBECONFIG % {"ca": "gone/ca.crt"})
    with pytest.raises(InputError) as info:
        run_preflight(tmp_path, karmada_kubeconfig=str(kubeconfig))
    message = str(info.value)
    assert message.startswith("karmada_kubeconfig: context 'karmada-apiserver' uses cluster 'karmada-apiserver'")
    assert "certificate-authority file %s is not there" % (tmp_path / "gone" / "ca.crt") in message


def test_a_kubeconfig_that_is_not_yaml_is_an_input_error(tmp_path):
    (tmp_path / "kubeconfig").write_text("{not: yaml: [")
    with pytest.raises(InputError, match="karmada_kubeconfig: .* is not a kubeconfig"):
        run_preflight(tmp_path, karmada_kubeconfig=str(tmp_path / "kubeconfig"))


def test_the_report_dir_must_be_a_writable_directory(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="karmada_report_dir: .* is a file, not a directory"):
        prepare_report_dir(str(tmp_path / "file"))
    with pytest.raises(InputError, match="karmada_report_dir: cannot create the directory .*: .*/file is not a directory"):
        prepare_report_dir(str(tmp_path / "file" / "below" / "out"))
    prepare_report_dir(str(tmp_path / "a" / "b"))
    prepare_report_dir(str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(not os.path.isdir("/proc/self") or not os.path.exists("/sys"), reason="needs a read-only /sys")
def test_a_report_dir_that_cannot_be_written_fails_even_for_root():
    # /sys is read-only even for root, where os.access() would say yes.
    with pytest.raises(InputError, match="karmada_report_dir: cannot write in /sys"):
        prepare_report_dir("/sys")


def test_the_window_is_bounded_by_the_slo_period():
    assert diagnosis_window(None, lookback="30d")["source"] == "default"
    with pytest.raises(InputError, match=r"karmada_window must be at most 30d .* got '99999d'"):
        diagnosis_window(None, lookback="99999d")


def test_errors_name_plain_types_and_playbook_variables():
    class _TaggedStr(str):
        pass
    assert plain_type_name(_TaggedStr("x")) == "str"
    with pytest.raises(InputError, match="karmada_alert must be a mapping .* got str$"):
        normalize_alert(_TaggedStr("firing"))
    assert option_name("url", "prometheus") == "url (karmada_prometheus_url)"
    assert option_name("request_timeout", "kube") == "request_timeout (karmada_request_timeout)"
    assert option_name("something", "kube") == "something"


@pytest.mark.parametrize("inputs, message", [
    ({"karmada_prometheus_url": "prometheus:9090"}, "karmada_prometheus_url must start with http:// or https://"),
    ({"karmada_grafana_url": "grafana.example"}, "karmada_grafana_url must start with http:// or https://"),
    ({"karmada_events_scope": "Karmada_System"}, "karmada_events_scope must be 'all' or a namespace name"),
])
def test_inputs_of_the_wrong_form_fail_naming_the_variable(inputs, message):
    with pytest.raises(InputError, match=message):
        check_plain_inputs(inputs)


@pytest.mark.parametrize("inputs", [
    {}, {"karmada_prometheus_url": "", "karmada_grafana_url": "", "karmada_events_scope": "all"},
    {"karmada_prometheus_url": "https://prom.example/sub", "karmada_events_scope": "karmada-system"},
])
def test_inputs_of_the_right_form_pass(inputs):
    check_plain_inputs(inputs)
