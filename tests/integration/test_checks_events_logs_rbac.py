"""Runbook steps 2, 3 and 5 against the emulator: sync_events, controller_logs and access_review.

One emulator per scenario; all three modules run in one ansible-playbook run (in check mode, as
diagnose may be run), and the emulator's request log shows what they asked for.
"""

from __future__ import annotations

import datetime
import os

import pytest
import yaml
from conftest import REPO_ROOT, AnsiblePlaybook, EmulatorHandle

pytestmark = pytest.mark.emulator

USER = "system:karmada:karmada-controller-manager"
MISSING_BINDINGS = ["default/api-deployment", "default/nginx-deployment", "default/web-deployment"]
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
REVIEWED_VERBS = 5          # create, update, get, list, watch

CHECKS = """
- name: Runbook steps 2, 3 and 5
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/karmada.runbooks.karmada_apiserver: {context: karmada-apiserver}
    group/karmada.runbooks.karmada_host: {context: karmada-host}
  tasks:
    - name: events
      karmada.runbooks.sync_events: {}
    - name: events in karmada-system
      karmada.runbooks.sync_events: {scope: namespace}
    - name: logs
      karmada.runbooks.controller_logs: {since: "{{ since }}"}
      register: logs
    - name: review
      karmada.runbooks.access_review:
        log_denials: "{{ logs.rbac }}"
        user: "{{ user | default(omit) }}"
"""


def scenario_file(tmp_path, name, **overrides):
    """A built-in scenario with some fields replaced (noise, say), written where the emulator can read it."""
    with open(os.path.join(REPO_ROOT, "tests", "emulator", "scenarios", f"{name}.yaml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


class Run:
    """One emulator, the results of one checks playbook run and the requests it made."""

    def __init__(self, tmp_path, scenario, extra_vars=()):
        self.handle = EmulatorHandle(tmp_path / "emulator", scenario=scenario).up()
        self.playbook = AnsiblePlaybook(str(tmp_path), self.handle.kubeconfig)
        start = datetime.datetime.fromtimestamp(self.handle.endpoints["history"]["start"] - 60, datetime.UTC)
        self.since = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        mark = self.handle.mark()
        args = ["--check", "-e", f"since={self.since}"]
        for pair in extra_vars:
            args += ["-e", pair]
        self.results = self.playbook.results(CHECKS, *args)
        self.requests = self.handle.requests_since(mark)

    def finding(self, task):
        result = self.results[task]
        assert not result.get("failed"), result
        assert result["changed"] is False
        return result["finding"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    started = {}

    def get(key, scenario=None, **kwargs):
        if key not in started:
            tmp = tmp_path_factory.mktemp(key)
            if callable(scenario):
                scenario = scenario(tmp)
            started[key] = Run(tmp, scenario or key, **kwargs)
        return started[key]
    yield get
    for run in started.values():
        run.handle.down()


def noisy_missing_namespaces(tmp):
    return scenario_file(tmp, "missing-namespaces", noise={"events": 2000})


def by_cause(finding):
    return finding["details"]["by_cause"]


def test_missing_namespaces_events_name_the_cause_and_bindings_without_quota_noise(runs):
    run = runs("missing-namespaces-noisy", noisy_missing_namespaces)
    finding = run.finding("events")
    assert finding["status"] == "fail"
    entry = by_cause(finding)["execution_namespace_missing"]
    assert entry["bindings"] == MISSING_BINDINGS
    assert entry["clusters"] == ["member2"]
    details = finding["details"]
    # 3 bindings, each with the event on the binding and on its Deployment
    assert details["total"] == 6 and details["binding_count"] == 3
    assert details["excluded_federated_resource_quota"] > 0
    assert details["unclassified"] == 0
    assert all(f["kind"] in ("ResourceBinding", "Deployment") for f in details["failures"])
    lasts = [f["last"] for f in details["failures"]]
    assert lasts == sorted(lasts, reverse=True)
    (sig,) = finding["signals"]
    assert sig["cause"] == "execution_namespace_missing" and sig["strength"] >= 0.7
    assert sig["bindings"] == MISSING_BINDINGS and sig["clusters"] == ["member2"]


def test_the_runbooks_namespace_scope_misses_the_failures(runs):
    run = runs("missing-namespaces-noisy", noisy_missing_namespaces)
    finding = run.finding("events in karmada-system")
    assert finding["details"]["scope"] == "namespace" and finding["details"]["namespace"] == "karmada-system"
    assert finding["details"]["total"] == 0
    assert finding["status"] == "ok"


def test_missing_namespaces_logs_and_rbac(runs):
    run = runs("missing-namespaces-noisy", noisy_missing_namespaces)
    logs = run.finding("logs")
    assert logs["status"] == "fail"
    assert set(by_cause(logs)) == {"execution_namespace_missing"}
    assert by_cause(logs)["execution_namespace_missing"]["bindings"] == MISSING_BINDINGS
    assert len(logs["details"]["pods"]) == 2          # the leader and the standby replica
    assert logs["details"]["format"] == "text"
    assert logs["details"]["rbac_lines"] == 0
    review = run.finding("review")
    assert review["status"] == "ok"
    assert review["details"]["identity"]["source"] == "unknown"
    assert review["details"]["reviews"] == []


def test_rbac_denied_user_found_in_logs_and_the_review_denies_create(runs):
    run = runs("rbac-denied")
    logs = run.finding("logs")
    rbac = run.results["logs"]["rbac"]
    assert rbac["users"] == [USER]
    assert rbac["namespaces"] == ["karmada-es-member3"]
    assert rbac["lines"] > 0 and logs["details"]["rbac_lines"] == rbac["lines"]
    assert "rbac_denied" in by_cause(logs)

    review = run.finding("review")
    assert review["status"] == "fail"
    assert review["details"]["identity"] == {"user": USER, "groups": [], "source": "logs"}
    denied = [(r["verb"], r["namespace"]) for r in review["details"]["reviews"] if not r["allowed"]]
    assert ("create", "karmada-es-member3") in denied and ("update", "karmada-es-member3") in denied
    assert not any(verb in ("get", "list", "watch") for verb, _namespace in denied)
    (sig,) = review["signals"]
    assert sig["cause"] == "rbac_denied" and sig["strength"] == pytest.approx(0.9)
    assert sig["clusters"] == ["member3"]
    assert {e["source"] for e in sig["evidence"]} == {"access_review", "log"}
    assert run.results["review"]["allowed"] is False

    events = run.finding("events")
    assert set(by_cause(events)) == {"rbac_denied"}


def test_healthy_is_ok_with_no_signals(runs):
    run = runs("healthy")
    for task in ("events", "logs", "review"):
        finding = run.finding(task)
        assert finding["status"] == "ok", (task, finding["summary"])
        assert finding["signals"] == []
    assert run.finding("logs")["details"]["lines_scanned"] > 0


def requests_of(run, predicate):
    """The run's API requests that match, leaving out the client's discovery (/version, /apis) on a cold cache."""
    return [r for r in run.requests if r["resource"] and predicate(r)]


@pytest.mark.parametrize("key, scenario", [("missing-namespaces-noisy", noisy_missing_namespaces),
                                           ("rbac-denied", None), ("healthy", None)])
def test_no_writes_but_access_reviews_and_a_constant_number_of_requests(runs, key, scenario):
    run = runs(key, scenario)
    writes = requests_of(run, lambda r: r["verb"] in WRITE_VERBS)
    assert all(r["method"] == "POST" and r["path"] == SAR_PATH for r in writes), writes
    # one list per reason and scope, however many events (2,000 of noise) or namespaces there are
    event_lists = requests_of(run, lambda r: r["resource"] == "events" and r["verb"] == "list")
    assert len(event_lists) == 2 * 3
    assert all("reason=" in r["query"].get("fieldSelector", "") for r in event_lists)
    # one pod list with the first selector that matches, one stream per pod and container
    host = requests_of(run, lambda r: r["server"] == "karmada-host")
    pods = run.finding("logs")["details"]["pods"]
    assert len(host) == 1 + sum(len(p["containers"]) for p in pods)
    reviews = run.finding("review")["details"]["reviews"]
    assert len(writes) == len(reviews)
    if reviews:
        namespaces = run.finding("review")["details"]["namespaces"]
        assert len(reviews) == REVIEWED_VERBS * (len(namespaces) + 1)
        assert len(namespaces) <= 3 + 5


def test_request_count_does_not_grow_with_clusters(runs):
    """large (1,000 clusters, 400 bindings) makes the same requests as rbac-denied (3 clusters).

    Both review one identity (large's is given, rbac-denied's comes from its logs) in three execution
    namespaces and at cluster scope.
    """
    large = runs("large", extra_vars=[f"user={USER}"])
    small = runs("rbac-denied")
    assert by_cause(large.finding("events"))["execution_namespace_missing"]["clusters"] == ["member0100", "member0777"]
    assert large.finding("logs")["details"]["format"] == "json"
    assert len(large.finding("review")["details"]["namespaces"]) == 3

    def counts(run):
        return sorted((r["server"], r["resource"], r["subresource"], r["verb"]) for r in requests_of(run, bool))
    assert counts(large) == counts(small)


@pytest.fixture(scope="module")
def healthy(runs):
    return runs("healthy")


def viewer_kubeconfig(handle, tmp_path):
    """The emulator's kubeconfig with the karmada-viewer token (authenticated, no RBAC at all)."""
    with open(handle.kubeconfig, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    contexts = {c["context"]["user"]: c["name"] for c in config["contexts"]}
    for user in config["users"]:
        user["user"] = {"token": handle.endpoints["tokens"][contexts[user["name"]]]["karmada-viewer"]}
    path = tmp_path / "viewer.kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


# Invalid inputs ride along with the forbidden run (one ansible-playbook run fewer): they fail before
# any request, whoever the caller is.
INVALID_INPUTS = """
    - name: invalid since
      karmada.runbooks.sync_events: {since: yesterday}
      ignore_errors: true
    - name: invalid selectors
      karmada.runbooks.controller_logs: {label_selectors: []}
      ignore_errors: true
    - name: invalid denials
      karmada.runbooks.access_review: {log_denials: {users: somebody}}
      ignore_errors: true
"""


@pytest.fixture(scope="module")
def forbidden(healthy, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forbidden")
    viewer = viewer_kubeconfig(healthy.handle, tmp)
    playbook = CHECKS.replace("{context: karmada-apiserver}", f"{{context: karmada-apiserver, kubeconfig: {viewer}}}")
    playbook = playbook.replace("{context: karmada-host}", f"{{context: karmada-host, kubeconfig: {viewer}}}")
    return AnsiblePlaybook(str(tmp), healthy.handle.kubeconfig).results(
        playbook + INVALID_INPUTS, "--check", "-e", f"since={healthy.since}", "-e", f"user={USER}")


def test_forbidden_caller_makes_every_check_unknown_not_failed(forbidden):
    for task in ("events", "logs", "review"):
        result = forbidden[task]
        assert not result.get("failed") and result["changed"] is False
        finding = result["finding"]
        assert finding["status"] == "unknown", (task, finding)
        assert "forbidden (403)" in finding["error"], finding["error"]
    assert "subjectaccessreviews" in forbidden["review"]["finding"]["error"]
    assert forbidden["logs"]["rbac"]["scanned"] is False


def test_invalid_input_fails_naming_the_option(forbidden):
    assert forbidden["invalid since"]["failed"]
    assert "since must be an RFC 3339 time" in forbidden["invalid since"]["msg"]
    assert forbidden["invalid selectors"]["failed"] and "label_selectors" in forbidden["invalid selectors"]["msg"]
    assert forbidden["invalid denials"]["failed"]
    assert "log_denials.users must be a list" in forbidden["invalid denials"]["msg"]


def test_injected_faults_degrade_to_unknown(healthy, tmp_path):
    healthy.handle.add_faults(
        {"server": "karmada-apiserver", "verb": "list", "path": "/api/v1/events", "status": 403,
         "message": 'events is forbidden: User "karmada-admin" cannot list resource "events"'},
        {"server": "karmada-host", "path": "/api/v1/namespaces/karmada-system/pods/*/log", "action": "reset"})
    try:
        results = AnsiblePlaybook(str(tmp_path), healthy.handle.kubeconfig).results(
            CHECKS, "--check", "-e", f"since={healthy.since}")
    finally:
        healthy.handle.clear_faults()
    events = results["events"]["finding"]
    assert events["status"] == "unknown" and "forbidden (403)" in events["error"]
    logs = results["logs"]["finding"]
    assert logs["status"] == "unknown" and "could not read any controller-manager log" in logs["error"]


ROLES = """
- name: Runbook steps 2, 3 and 5 as diagnose runs them
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/karmada.runbooks.karmada_apiserver: {context: karmada-apiserver}
    group/karmada.runbooks.karmada_host: {context: karmada-host}
  roles:
    - karmada.runbooks.sync_events
    - karmada.runbooks.controller_logs
    - karmada.runbooks.rbac
"""


def test_roles_record_their_findings_and_hand_the_log_denials_to_rbac(runs, tmp_path):
    run = runs("rbac-denied")
    results = AnsiblePlaybook(str(tmp_path), run.handle.kubeconfig).results(
        ROLES, "--check", "-e", f"karmada_window_start={run.since}", "-e", "karmada_events_scope=karmada-system")
    # Every step records through the common role's record_finding; the last one holds the whole list.
    findings = results["karmada.runbooks.common : Add the findings to the diagnosis"]["ansible_facts"]["karmada_findings"]
    assert [f["id"] for f in findings] == ["sync_failure_events", "controller_logs", "rbac"]
    events, logs, rbac = findings
    # karmada_events_scope names one namespace: the runbook's own view, which sees none of the failures
    assert events["details"]["scope"] == "namespace" and events["details"]["total"] == 0
    assert logs["details"]["window"]["since"] == run.since
    # the user came from the controller_logs role's fact controller_logs_rbac
    assert rbac["details"]["identity"] == {"user": USER, "groups": [], "source": "logs"}
    assert rbac["status"] == "fail"
