# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitigation_lock module: what it fails on, what changed means, check mode, and that its documentation
says what its argument spec does (validate-modules checks the same, but only in `make sanity`)."""

import datetime

import pytest
import yaml
from ansible.module_utils import basic

from ansible_collections.karmada.runbooks.plugins.module_utils import _kube, _lease
from ansible_collections.karmada.runbooks.plugins.modules import mitigation_lock as module
from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import ExitJson, FailJson, run_main


class OneLease:
    """find/create/replace on one stored Lease; counts writes."""

    def __init__(self, obj=None):
        self.obj = obj
        self.writes = 0

    def find(self, path):
        return self.obj

    def create(self, path, body):
        self.writes += 1
        self.obj = dict(body, metadata=dict(body["metadata"], resourceVersion="1"))
        return self.obj

    def replace(self, path, body):
        self.writes += 1
        self.obj = body
        return body


@pytest.fixture
def server(monkeypatch):
    store = OneLease()
    monkeypatch.setattr(module, "connect_kube", lambda params: store)
    return store


def run(args, outcome=ExitJson):
    return run_main(module.main, args, outcome)


def someone_elses(seconds_ago=10):
    renewed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds_ago)
    return {"metadata": {"name": "karmada-runbooks-mitigation", "namespace": "karmada-system", "resourceVersion": "9"},
            "spec": {"holderIdentity": "other_1", "leaseDurationSeconds": 600,
                     "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}


def test_acquire_generates_a_holder_writes_and_reports_changed(server):
    result = run({})
    assert result["changed"] is True and server.writes == 1
    assert result["lock"]["acquired"] is True and result["lock"]["holder"].count("_") >= 1
    assert result["msg"] == "acquired Lease karmada-system/karmada-runbooks-mitigation (created it)"
    released = run({"state": "released", "holder": result["lock"]["holder"]})
    assert released["changed"] is True and released["lock"]["released"] is True
    again = run({"state": "released", "holder": result["lock"]["holder"]})
    assert again["changed"] is False and again["msg"].startswith("nothing to release")


def test_a_held_lock_fails_the_task_with_the_holder_and_returns_the_lock(server):
    server.obj = someone_elses()
    result = run({"wait": 0}, FailJson)
    assert result["msg"].startswith("another mitigation (holder other_1, renewed at ")
    assert result["changed"] is False and server.writes == 0
    assert result["lock"]["acquired"] is False and result["lock"]["previous_holder"] == "other_1"


def test_check_mode_writes_nothing_and_says_what_it_would_do(server):
    result = run({"_ansible_check_mode": True})
    assert result["changed"] is False and server.writes == 0
    assert result["lock"]["acquired"] is False and result["lock"]["action"] == "create"
    server.obj = someone_elses()
    result = run({"_ansible_check_mode": True})
    assert result["lock"]["action"] == "wait" and result["msg"].startswith("check mode: Lease ")


def test_renew_and_release_need_the_holder(server):
    assert "holder is required with state=renewed" in run({"state": "renewed"}, FailJson)["msg"]


def test_a_lost_lock_fails_renew(server):
    server.obj = someone_elses()
    result = run({"state": "renewed", "holder": "me_1"}, FailJson)
    assert "lost the lock" in result["msg"] and server.writes == 0


def test_an_unreachable_api_server_fails_with_the_reason(monkeypatch):
    def refuse(params):
        raise _kube.CheckUnavailable("unreachable: connection refused")
    monkeypatch.setattr(module, "connect_kube", refuse)
    result = run({}, FailJson)
    assert result["msg"] == "cannot connect to the Karmada API server: unreachable: connection refused"
    assert result["lock"]["acquired"] is False


def test_the_documentation_matches_the_argument_spec(monkeypatch):
    spec = {}

    class Capture(Exception):
        pass

    def capture(self, argument_spec, **kwargs):
        spec.update(argument_spec)
        assert kwargs == {"supports_check_mode": True}
        raise Capture()
    monkeypatch.setattr(basic.AnsibleModule, "__init__", capture)
    with pytest.raises(Capture):
        module.main()
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    own = {name: value for name, value in spec.items() if name not in _kube.AUTH_ARG_SPEC and name != "request_timeout"}
    assert sorted(own) == sorted(documented)
    for name, option in own.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name
    # Every key of the lock dict is documented, and nothing else.
    returned = yaml.safe_load(module.RETURN)
    assert sorted(returned["lock"]["contains"]) == sorted(_lease.result("ns", "n", "h"))
