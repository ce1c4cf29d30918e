# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recovery_status module: its documentation matches its argument spec, it never fails on what it finds,
and it fails on invalid options."""

import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils import _recovery as recovery
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import prometheus_argument_spec
from ansible_collections.karmada.runbooks.plugins.modules import recovery_status as module
from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import ExitJson, FailJson, run_main


def run(args, outcome=ExitJson):
    return run_main(module.main, args, outcome)


def _compare(documented, spec, where):
    assert set(documented) == set(spec), where
    for name, entry in spec.items():
        doc = documented[name]
        assert doc.get("type") == entry.get("type", "str"), (where, name)
        assert doc.get("default") == entry.get("default"), (where, name)
        assert bool(doc.get("required")) == bool(entry.get("required")), (where, name)
        assert doc.get("aliases") == entry.get("aliases"), (where, name)
        if "options" in entry:
            _compare(doc["suboptions"], entry["options"], "%s.%s" % (where, name))


def test_documentation_matches_the_argument_spec():
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]
    spec = {name: entry for name, entry in module.argument_spec().items() if name in documented}
    # The rest comes from the fragments: kubernetes.core's auth options and kube_check's request_timeout.
    assert set(module.argument_spec()) - set(spec) >= {"kubeconfig", "context", "request_timeout"}
    _compare(documented, spec, "options")
    assert module.argument_spec()["prometheus"]["options"] == prometheus_argument_spec()
    returned = yaml.safe_load(module.RETURN)
    assert set(returned) == {"recovered", "verification"}
    yaml.safe_load(module.EXAMPLES)


class EmptyKarmada:
    """A Karmada API server with nothing in it, counting requests as KubeClient does."""

    requests = 0

    def list(self, path, query=None):
        self.requests += 1
        return iter(())


def fake_clients(monkeypatch, prometheus_reason="no Prometheus URL configured"):
    seen = {}

    def clients(params):
        seen.update(params)
        return EmptyKarmada(), recovery.Missing(prometheus_reason)
    monkeypatch.setattr(module, "clients", clients)
    return seen


def test_nothing_scheduled_and_no_events_is_recovered_without_failing(monkeypatch):
    params = fake_clients(monkeypatch)
    result = run({"since": "2026-11-25T15:00:00Z", "timeout": 0,
                  "prometheus": {"url": "", "validate_certs": True, "timeout": 10, "token": "secret"}})
    assert result["changed"] is False and result["recovered"] is True
    assert result["verification"]["status"] == "recovered"
    assert result["verification"]["criteria"]["metric"]["ok"] is None
    # karmada_prometheus_auth's keys (token, timeout are aliases) are accepted as they are.
    assert params["prometheus"]["bearer_token"] == "secret" and params["prometheus"]["request_timeout"] == 10


def test_check_mode_polls_once(monkeypatch):
    fake_clients(monkeypatch)
    result = run({"since": "2026-11-25T15:00:00Z", "_ansible_check_mode": True})
    assert result["verification"]["polls"] == 1 and result["changed"] is False


def test_invalid_since_fails_naming_the_option(monkeypatch):
    fake_clients(monkeypatch)
    result = run({"since": "after the restart"}, outcome=FailJson)
    assert result["msg"].startswith("since must be an RFC 3339 time")


def test_clients_turn_unusable_settings_into_reasons():
    kube, prometheus = module.clients({"kubeconfig": "/nonexistent/kubeconfig", "prometheus": {"url": "prometheus:9090"}})
    assert isinstance(kube, recovery.Missing) and kube.reason
    assert isinstance(prometheus, recovery.Missing)
    assert prometheus.reason == "invalid Prometheus settings: url (karmada_prometheus_url): 'prometheus:9090' is not an http:// or https:// URL"
    _kube, none = module.clients({"kubeconfig": "/nonexistent/kubeconfig", "prometheus": {"url": ""}})
    assert none.reason.startswith("no Prometheus URL configured")
