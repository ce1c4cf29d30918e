# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one check runner: the same failure rules for Kubernetes and Prometheus checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _checks
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import ModuleFailure
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import CheckUnavailable, InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import Unavailable, prometheus_argument_spec

URL = "http://prometheus.example:9090"


def params_with(**given):
    """Validated parameters as a Prometheus check receives them: every option at its default unless given."""
    params = {name: option.get("default") for name, option in prometheus_argument_spec().items()}
    params.update(given)
    return params


def connect_fake(params):
    return object()


def test_a_finding_that_comes_through_is_timed():
    result = _checks.run_check(params_with(), "workqueue", lambda c: {"id": "workqueue", "status": "ok"}, connect_fake)
    assert result["status"] == "ok" and result["duration_seconds"] >= 0


def test_without_prometheus_url_the_check_is_unknown_and_never_runs():
    result = _checks.run_check(params_with(url=""), "workqueue", lambda c: pytest.fail("must not run"),
                               _checks.connect_prometheus)
    assert result["status"] == "unknown"
    assert "no Prometheus URL configured" in result["error"]


def test_a_bad_connection_option_fails_the_module_naming_it():
    with pytest.raises(ModuleFailure) as info:
        _checks.run_check(params_with(url="prometheus:9090"), "workqueue", lambda c: None, _checks.connect_prometheus)
    assert str(info.value).startswith("url (karmada_prometheus_url):")


def test_no_prometheus_url_names_the_playbook_variable():
    result = _checks.run_check(params_with(url=""), "workqueue", lambda c: None, _checks.connect_prometheus)
    assert result["error"] == "no Prometheus URL configured (set url (karmada_prometheus_url) or PROMETHEUS_URL)"


@pytest.mark.parametrize("timeout", [0, -1])
def test_a_timeout_that_is_not_positive_fails_naming_it_not_as_a_malformed_response(timeout):
    with pytest.raises(ModuleFailure) as info:
        _checks.run_check({"request_timeout": timeout}, "execution_namespaces", lambda c: None)
    assert str(info.value).startswith("request_timeout (karmada_request_timeout): must be a positive number")


def test_prometheus_errors_become_unknown_with_the_url():
    def body(client):
        raise Unavailable("unreachable: %s refused the connection" % URL)
    result = _checks.run_check(params_with(url=URL), "workqueue", body, _checks.connect_prometheus)
    assert result["status"] == "unknown" and result["error"].startswith("unreachable:")
    assert result["details"]["prometheus_url"] == URL


@pytest.mark.parametrize("error, reason", [
    (CheckUnavailable("forbidden (403): no"), "forbidden (403): no"),
    (RuntimeError("boom"), "RuntimeError: boom"),
    (ValueError("not json"), "malformed response: not json"),
])
def test_anything_that_stops_a_kubernetes_check_is_unknown(error, reason):
    def body(client):
        raise error
    result = _checks.run_check(params_with(), "execution_namespaces", body, connect_fake)
    assert (result["status"], result["error"], result["details"]) == ("unknown", reason, {})


def test_an_input_error_after_connecting_is_the_servers_answer_not_the_users():
    def body(client):
        raise InputError("time must be an RFC 3339 time")
    result = _checks.run_check(params_with(), "recent_changes", body, connect_fake)
    assert result["status"] == "unknown" and "RFC 3339" in result["error"]


def test_a_client_that_cannot_be_built_is_unknown():
    def connect(params):
        raise CheckUnavailable("cannot build the API client: context 'x' not found")
    result = _checks.run_check(params_with(), "rbac", lambda c: pytest.fail("must not run"), connect)
    assert result["status"] == "unknown" and "context 'x'" in result["error"]


class EchoCheck:
    """A check in the documented shape: options_from_params, check(client, options), CHECK_ID."""
    CHECK_ID = "recent_changes"

    @staticmethod
    def options_from_params(params):
        if params["since"] == "yesterday":
            raise InputError("since must be an RFC 3339 time such as 2026-11-25T03:00:00Z, got 'yesterday'")
        return {"since": params["since"]}

    @staticmethod
    def check(client, options):
        return {"id": "recent_changes", "status": "ok", "details": {"since": options["since"]}}


def run_entry(given, **kwargs):
    entry = _checks.check_entry(EchoCheck, lambda: {"since": {"type": "str"}}, connect=connect_fake, **kwargs)
    return entry.run(given, False)


def test_a_check_entry_returns_the_finding_and_its_extra_results():
    result = run_entry({"since": "2026-11-25T03:00:00Z"}, results=lambda finding, options: {"since": options["since"]})
    assert result["changed"] is False and result["finding"]["status"] == "ok"
    assert result["since"] == "2026-11-25T03:00:00Z" and result["finding"]["duration_seconds"] >= 0


def test_a_check_entry_fails_on_bad_options_before_connecting():
    with pytest.raises(ModuleFailure, match="^since must be an RFC 3339 time"):
        run_entry({"since": "yesterday"})
