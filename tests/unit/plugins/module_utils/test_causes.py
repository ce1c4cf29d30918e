# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cause catalogue against the texts Karmada and the API server really produce.

Samples marked "emulator" were copied from SyncWorkFailed / ApplyOverridePolicyFailed events
(``kubectl get events -A -o json``) and controller-manager logs of the emulator's scenarios; the
others are the exact formats of karmada-facts.md §1.3-1.5 (Karmada, apimachinery, json-patch,
client-go) with realistic values filled in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import (
    _COMPILED,
    _ORDER,
    ACTIONS,
    CATALOGUE,
    RUNBOOK_URL,
    classify,
    is_rbac_related,
    mitigation,
    split_aggregate,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._report import CAUSE_IDS

WEBHOOK_REFUSED = ('Internal error occurred: failed calling webhook "work.karmada.io": failed to call webhook: Post '
                   '"https://karmada-webhook.karmada-system.svc:443/mutate-work?timeout=3s": dial tcp 10.96.122.7:443: '
                   'connect: connection refused')
MISSING_NS = 'namespaces "karmada-es-member2" not found'
OVERRIDE_REPLACE = ("replace operation does not apply: doc is missing path: /spec/template/spec/containers/1/image: "
                    "missing value")
RBAC_CREATE = ('works.work.karmada.io "api-77b9dc7f49" is forbidden: User "system:karmada:karmada-controller-manager" '
               'cannot create resource "works" in API group "work.karmada.io" in the namespace "karmada-es-member3"')
TERMINATING = ('works.work.karmada.io "api-77b9dc7f49" is forbidden: unable to create new content in namespace '
               "karmada-es-member3 because it is being terminated")
SERVER_TIMEOUT = ("the server was unable to return a response in the time allotted, but may still be processing the "
                  "request (post works.work.karmada.io)")

# (message, expected cause, expected named groups)
SAMPLES = [
    # emulator: missing-namespaces, large (event message and klog err=)
    (MISSING_NS, "execution_namespace_missing", {"namespace": "karmada-es-member2"}),
    ('namespaces "karmada-es-member0100" not found', "execution_namespace_missing",
     {"namespace": "karmada-es-member0100"}),
    # emulator: terminating-namespace
    (TERMINATING, "execution_namespace_terminating", {"namespace": "karmada-es-member3"}),
    # emulator: rbac-denied
    (RBAC_CREATE, "rbac_denied", {"user": "system:karmada:karmada-controller-manager", "verb": "create",
                                  "resource": "works", "group": "work.karmada.io"}),
    # client-go reflector wording for a denied list at cluster scope
    ('failed to list *v1alpha1.Work: works.work.karmada.io is forbidden: User "system:serviceaccount:karmada-system:'
     'karmada-controller-manager" cannot list resource "works" in API group "work.karmada.io" at the cluster scope',
     "rbac_denied", {"verb": "list", "resource": "works",
                     "user": "system:serviceaccount:karmada-system:karmada-controller-manager"}),
    # emulator: webhook-down; facts §1.5 timeout variant
    (WEBHOOK_REFUSED, "work_webhook_unavailable", {"webhook": "work.karmada.io"}),
    ('Internal error occurred: failed calling webhook "work.karmada.io": failed to call webhook: Post '
     '"https://karmada-webhook.karmada-system.svc:443/mutate-work?timeout=3s": context deadline exceeded',
     "work_webhook_unavailable", {"webhook": "work.karmada.io"}),
    # emulator: work-being-deleted
    ("work karmada-es-member1/nginx-687f7fb96f is being deleted", "work_being_deleted",
     {"namespace": "karmada-es-member1", "work": "nginx-687f7fb96f"}),
    # apimachinery NewConflict / NewAlreadyExists (emulator errors.py uses the same formats)
    ('Operation cannot be fulfilled on works.work.karmada.io "nginx-687f7fb96f": the object has been modified; please '
     "apply your changes to the latest version and try again", "work_conflict", {"work": "nginx-687f7fb96f"}),
    # AlreadyExists comes from a Create after a stale cached Get (controllerutil.CreateOrUpdate), not a second writer
    ('works.work.karmada.io "nginx-687f7fb96f" already exists', "work_cache_stale", {"work": "nginx-687f7fb96f"}),
    # invalid templates: Job completions, Work validation, ReviseReplica, JSON decoding
    ("no completions found for cluster member1", "invalid_resource_template", {"cluster": "member1"}),
    ('Work.work.karmada.io "pi-6d5f8b7c9" is invalid: metadata.name: Invalid value: "pi-6d5f8b7c9": must be no more '
     "than 63 characters", "invalid_resource_template", {"work": "pi-6d5f8b7c9"}),
    ("Failed to revise replica for workload in cluster.", "invalid_resource_template", {}),
    ("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
     "invalid_resource_template", {}),
    # emulator: custom scenario with a binding on an unregistered cluster (event and printf log line)
    ('clusters.cluster.karmada.io "member9" not found', "target_cluster_missing", {"cluster": "member9"}),
    ("Failed to get member cluster: member9, error: no such cluster", "target_cluster_missing",
     {"cluster": "member9"}),
    # emulator: override-policy-broken, mixed; json-patch v5 wordings (facts §1.5)
    ("replace operation does not apply: doc is missing path: /spec/template/spec/containers/0/resources/limits/cpu: "
     "missing value", "override_policy_failure",
     {"operation": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu"}),
    ("replace operation does not apply: doc is missing key: /spec/replicas: missing value", "override_policy_failure",
     {"operation": "replace", "path": "/spec/replicas"}),
    ('add operation does not apply: doc is missing path: "/spec/template/metadata/labels/tier": missing value',
     "override_policy_failure", {"operation": "add", "path": "/spec/template/metadata/labels/tier"}),
    ('remove operation does not apply: doc is missing path: "/metadata/annotations/team": missing value',
     "override_policy_failure", {"operation": "remove", "path": "/metadata/annotations/team"}),
    ("error in remove for path: '/metadata/labels/tier': unable to remove nonexistent key: tier: missing value",
     "override_policy_failure", {"path": "/metadata/labels/tier"}),
    ("Get object's value by overrider's path(/spec/template/spec/containers/0/image) is not string",
     "override_policy_failure", {"path": "/spec/template/spec/containers/0/image"}),
    ("failed to obtain imageValue with predicate path(/spec/template/spec/containers/0/image), error: doc is "
     "missing path", "override_policy_failure", {"path": "/spec/template/spec/containers/0/image"}),
    ("failed to parse image value(nginx::1.25), error: invalid reference format", "override_policy_failure", {}),
    ("unsupported image component(digest)", "override_policy_failure", {}),
    ("imagePath should be start with / character", "override_policy_failure", {}),
    ("failed to retrieves path(/spec/template/spec/containers/0/command) from rawObj, error: not found",
     "override_policy_failure", {"path": "/spec/template/spec/containers/0/command"}),
    ("Apply override policy(default/api-sidecar) for cluster(member1) failed.", "override_policy_failure",
     {"policy": "default/api-sidecar", "cluster": "member1"}),
    ("Apply cluster override policy(global-limits) for cluster(member2) failed.", "override_policy_failure",
     {"policy": "global-limits", "cluster": "member2"}),
    ("Failed to apply cluster overrides(global-limits) for resource(default/nginx), error: boom",
     "override_policy_failure", {"policy": "global-limits"}),
    # emulator: apiserver-errors; apimachinery / client-go texts for 503, 504, 429, timeouts
    ("etcdserver: request timed out", "apiserver_errors", {"detail": "request timed out"}),
    ("etcdserver: leader changed", "apiserver_errors", {"detail": "leader changed"}),
    ("the server is currently unable to handle the request (post works.work.karmada.io)", "apiserver_errors", {}),
    (SERVER_TIMEOUT, "apiserver_errors", {}),
    ("Timeout: request did not complete within requested timeout - context deadline exceeded", "apiserver_errors", {}),
    ("the server has received too many requests and has asked us to try again later (post works.work.karmada.io)",
     "apiserver_errors", {}),
    ('Post "https://karmada-apiserver.karmada-system.svc:5443/apis/work.karmada.io/v1alpha1/namespaces/'
     'karmada-es-member1/works": http2: client connection lost', "apiserver_errors", {}),
    ('Get "https://karmada-apiserver.karmada-system.svc:5443/api/v1/namespaces/karmada-es-member1": net/http: TLS '
     "handshake timeout", "apiserver_errors", {}),
    ("Internal error occurred: resource quota evaluation timed out", "apiserver_errors", {}),
]


@pytest.mark.parametrize("message, cause, groups", SAMPLES, ids=[s[0][:60] for s in SAMPLES])
def test_sample_is_classified(message, cause, groups):
    results = classify(message)
    assert len(results) == 1
    found, details, part = results[0]
    assert found == cause
    assert part == message
    for key, value in groups.items():
        assert details.get(key) == value, key


def _corpus_parts():
    """(part, cause) of every part of the sourced corpus (corpus/sync_errors.yml) that names a cause."""
    with open(os.path.join(os.path.dirname(__file__), "corpus", "sync_errors.yml")) as corpus_file:
        corpus = yaml.safe_load(corpus_file)
    return [(part, cause) for entry in corpus for cause, _details, part in classify(entry["example"])
            if cause in entry["causes"]]


def test_every_pattern_has_a_real_sample():
    texts = [(text, expected) for text, expected, _groups in SAMPLES] + _corpus_parts()
    unmatched = [pattern.pattern for cause, pattern in _COMPILED
                 if not any(cause == expected and pattern.search(text) for text, expected in texts)]
    assert unmatched == []


def test_every_cause_but_the_inferred_one_has_patterns_and_an_order():
    assert set(CATALOGUE) == set(CAUSE_IDS)
    assert set(_ORDER) == set(CAUSE_IDS) - {"workqueue_stuck"}
    assert CATALOGUE["workqueue_stuck"]["patterns"] == []


def test_webhook_wins_over_generic_internal_error(causes_in):
    assert causes_in(WEBHOOK_REFUSED) == ["work_webhook_unavailable"]


def test_terminating_is_not_taken_for_rbac(causes_in):
    # Both are 403 "is forbidden" texts; only one is about permissions.
    assert causes_in(TERMINATING) == ["execution_namespace_terminating"]
    assert causes_in(RBAC_CREATE) == ["rbac_denied"]


def test_rbac_namespace_is_not_taken_for_a_missing_namespace(causes_in):
    # The RBAC text ends with 'in the namespace "karmada-es-member3"', which must not read as namespace-not-found.
    assert "execution_namespace_missing" not in causes_in(RBAC_CREATE)


def test_aggregated_event_from_mixed_scenario(causes_in):
    # emulator: mixed, one binding hits a broken override on member1 and a missing namespace on member2
    message = "[%s, %s]" % (OVERRIDE_REPLACE, MISSING_NS)
    results = classify(message)
    assert [r[0] for r in results] == ["override_policy_failure", "execution_namespace_missing"]
    assert [r[2] for r in results] == [OVERRIDE_REPLACE, MISSING_NS]
    assert results[0][1]["path"] == "/spec/template/spec/containers/1/image"
    assert results[1][1]["namespace"] == "karmada-es-member2"
    assert causes_in(message) == ["override_policy_failure", "execution_namespace_missing"]


def test_aggregate_of_three_with_unknown_part_reports_it_unexplained(causes_in):
    message = "[%s, something nobody has seen before, %s]" % (MISSING_NS, WEBHOOK_REFUSED)
    assert [r[0] for r in classify(message)] == ["execution_namespace_missing", None, "work_webhook_unavailable"]
    assert causes_in(message) == ["execution_namespace_missing", "work_webhook_unavailable"]


def test_aggregate_keeps_nested_brackets_and_parentheses_together():
    nested = ('works.work.karmada.io "a" is forbidden: User "u" cannot update resource "works" in API group '
              '"work.karmada.io" in the namespace "karmada-es-m1": RBAC: [role.rbac.authorization.k8s.io "x" not '
              'found, role.rbac.authorization.k8s.io "y" not found]')
    assert split_aggregate("[%s, %s]" % (nested, MISSING_NS)) == [nested, MISSING_NS]
    image = "failed to parse image value(a, b), error: bad"
    assert split_aggregate("[%s, %s]" % (image, MISSING_NS)) == [image, MISSING_NS]


@pytest.mark.parametrize("message", [SERVER_TIMEOUT,
                                     "failed to obtain imageValue with predicate path(/spec/x), error: doc is missing",
                                     "failed to retrieves path(/spec/y) from rawObj, error: not found"])
def test_aggregate_does_not_cut_a_message_at_its_own_comma(message):
    # apimachinery joins errors with ", "; these single errors contain ", but" / ", error:" themselves.
    assert split_aggregate("[%s, %s]" % (message, MISSING_NS)) == [message, MISSING_NS]
    assert None not in [r[0] for r in classify("[%s, %s]" % (message, MISSING_NS))]


def test_identical_causes_are_reported_once(causes_in):
    message = '[namespaces "karmada-es-a" not found, namespaces "karmada-es-b" not found]'
    assert [r[1]["namespace"] for r in classify(message)] == ["karmada-es-a", "karmada-es-b"]
    assert causes_in(message) == ["execution_namespace_missing"]


def test_unknown_and_empty_messages(causes_in):
    assert classify("something else entirely") == [(None, {}, "something else entirely")]
    assert classify("") == []
    assert classify(None) == []
    assert causes_in("Sync work of ResourceBinding(default/nginx-deployment) successful.") == []


@pytest.mark.parametrize("line, expected", [
    ('E1125 14:57:59.837688       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
     'err="works.work.karmada.io \\"api-77b9dc7f49\\" is forbidden: User \\"system:karmada:karmada-controller-'
     'manager\\" cannot create resource ..."', True),
    ("E1125 10:00:00.000000       1 reflector.go:158] Unauthorized", True),
    ("I1125 10:00:00.000000       1 rbac.go:12] RBAC check passed", True),
    ("I1125 14:57:59.923659       1 work.go:110] Work karmada-es-member1/api-77b9dc7f49 is up to date.", False),
    ("", False),
    (None, False),
])
def test_is_rbac_related_mirrors_the_runbook_grep(line, expected):
    assert is_rbac_related(line) is expected


def test_mitigation_for_every_cause():
    rows = {}
    for cause in CAUSE_IDS:
        entry = mitigation(cause)
        assert entry["cause"] == cause
        assert entry["runbook_url"] == RUNBOOK_URL
        assert entry["action"] and entry["title"]
        rows[cause] = entry["runbook_row"]
    assert rows["execution_namespace_missing"] == "Missing execution namespaces"
    assert rows["workqueue_stuck"] == "Controller workqueue stuck"
    assert rows["rbac_denied"] == "RBAC errors"
    assert rows["override_policy_failure"] == "Override policy failures"
    assert rows["apiserver_errors"] == "API server errors"
    assert rows["work_conflict"] is None
    with pytest.raises(KeyError):
        mitigation("not_a_cause")


def test_every_cause_has_a_known_action_and_every_action_a_cause():
    used = {entry["action_id"] for entry in CATALOGUE.values()}
    assert all(CATALOGUE[cause]["action_id"] in ACTIONS for cause in CATALOGUE)
    assert used == set(ACTIONS)
    assert set(ACTIONS.values()) <= {"apply", "report", "stop"}


def test_the_report_knows_exactly_the_catalogues_causes():
    assert CAUSE_IDS == tuple(CATALOGUE)


@pytest.mark.parametrize("cause, action, kind", [
    ("execution_namespace_missing", "restore_execution_namespaces", "apply"),
    ("rbac_denied", "repair_controller_rbac", "apply"),
    ("workqueue_stuck", "restart_controller_manager", "apply"),
    ("apiserver_errors", "stop_for_apiserver_runbook", "stop"),
    ("override_policy_failure", "suggest_override_policy_fix", "report"),
])
def test_mitigation_carries_the_action_id_next_to_the_prose(cause, action, kind):
    entry = mitigation(cause)
    assert entry["action_id"] == action and ACTIONS[action] == kind
    assert entry["action"] == CATALOGUE[cause]["mitigation"]
