# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RBAC review of the controller-manager: identity, namespace sample, review bodies and the finding.

The denial texts and the review answers are the emulator's rbac-denied scenario's (a hardened install
whose ClusterRole lost create/update on works).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._access import (
    access_finding,
    allowed,
    assess,
    check,
    normalize_denials,
    observe,
    options_from_params,
    resolve_identity,
    review_body,
    review_result,
    sample_namespaces,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import NAMESPACES
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable

USER = "system:karmada:karmada-controller-manager"
DENIAL = ('works.work.karmada.io "api-77b9dc7f49" is forbidden: User "system:karmada:karmada-controller-manager" cannot '
          'create resource "works" in API group "work.karmada.io" in the namespace "karmada-es-member3"')
LOG_DENIALS = {"lines": 15, "users": [USER], "namespaces": ["karmada-es-member3"], "scanned": True,
               "samples": [{"text": DENIAL, "count": 6, "pod": "karmada-controller-manager-5pfgv8vcz5-9wkr3",
                            "container": "karmada-controller-manager", "time": "2026-11-25T15:04:21.690127Z",
                            "line": "E1125 15:04:21.690127       1 controller.go:316] \"Reconciler error\" ..."}]}
ALLOWED_REASON = 'RBAC: allowed by ClusterRoleBinding "karmada-controller-manager" of ClusterRole "karmada-controller-manager"'


def reviews(denied_verbs, namespaces=("karmada-es-member3", "karmada-es-member1", None)):
    results = []
    for namespace in namespaces:
        for verb in ("create", "update", "get", "list", "watch"):
            allowed = verb not in denied_verbs
            status = {"allowed": allowed}
            if allowed:
                status["reason"] = ALLOWED_REASON
            results.append(review_result(verb, namespace, {"status": status}))
    return results


def test_identity_configured_wins_over_logs():
    denials = normalize_denials(LOG_DENIALS)
    assert resolve_identity("admin", ["system:masters"], denials) == {
        "user": "admin", "groups": ["system:masters"], "source": "configured"}
    assert resolve_identity(None, ["system:masters"], denials)["source"] == "configured"
    assert resolve_identity(None, None, denials) == {"user": USER, "groups": [], "source": "logs"}
    assert resolve_identity(None, [], normalize_denials(None)) == {"user": None, "groups": [], "source": "unknown"}


def test_log_denials_are_checked_and_the_error_names_the_option():
    with pytest.raises(InputError, match="log_denials must be a dict"):
        normalize_denials(["x"])
    with pytest.raises(InputError, match="log_denials.users must be a list"):
        normalize_denials({"users": "someone"})
    with pytest.raises(InputError, match="log_denials.lines must be a number"):
        normalize_denials({"lines": "many"})
    assert normalize_denials({})["scanned"] is None
    assert normalize_denials({"lines": 0, "scanned": False})["scanned"] is False


def test_namespace_sample_is_constant_whatever_the_cluster_count():
    many = ["default", "kube-system", "karmada-system"] + ["karmada-es-member%04d" % i for i in range(1000)]
    chosen = sample_namespaces(many, 3, ["karmada-es-member0777"])
    assert chosen == ["karmada-es-member0777", "karmada-es-member0000", "karmada-es-member0001",
                      "karmada-es-member0002"]
    assert len(sample_namespaces(many, 3, ["karmada-es-x%d" % i for i in range(50)])) == 5 + 3
    # a denied namespace that is also in the sample is reviewed once
    assert sample_namespaces(["karmada-es-a", "karmada-es-b"], 3, ["karmada-es-a"]) == ["karmada-es-a", "karmada-es-b"]


def test_review_body_is_a_subject_access_review_on_works():
    body = review_body({"user": USER, "groups": ["system:authenticated"]}, "create", "karmada-es-member3")
    assert body["apiVersion"] == "authorization.k8s.io/v1" and body["kind"] == "SubjectAccessReview"
    assert body["spec"] == {"user": USER, "groups": ["system:authenticated"],
                            "resourceAttributes": {"verb": "create", "group": "work.karmada.io", "resource": "works",
                                                   "namespace": "karmada-es-member3"}}
    cluster_scope = review_body({"user": "", "groups": ["system:masters"]}, "list")
    assert "namespace" not in cluster_scope["spec"]["resourceAttributes"]
    assert "user" not in cluster_scope["spec"]


def test_write_denial_is_strong_evidence():
    denials = normalize_denials(LOG_DENIALS)
    result = access_finding(resolve_identity(None, None, denials), reviews({"create", "update"}), denials,
                            ["karmada-es-member3", "karmada-es-member1"])
    assert result["id"] == "rbac" and result["runbook_step"] == 5
    assert result["status"] == "fail"
    (sig,) = result["signals"]
    assert sig["cause"] == "rbac_denied" and sig["strength"] == pytest.approx(0.9)
    # the cluster the controller was really refused for, not every sampled namespace
    assert sig["clusters"] == ["member3"]
    sources = {e["source"] for e in sig["evidence"]}
    assert sources == {"access_review", "log"}
    assert "create/update" in result["summary"] and "6 of 15" in result["summary"]
    assert result["details"]["identity"]["source"] == "logs"


def test_read_denial_only_is_weaker():
    result = access_finding(resolve_identity(USER), reviews({"watch"}), normalize_denials(None), ["karmada-es-member3"])
    assert result["status"] == "fail"
    assert result["signals"][0]["strength"] == pytest.approx(0.7)
    assert result["signals"][0]["clusters"] == ["member1", "member3"]


def test_a_denial_the_logs_contradict_is_only_a_hint():
    # The user given without the group its permissions come from: the review denies, the controller works.
    quiet = normalize_denials({"lines": 0, "scanned": True})
    result = access_finding(resolve_identity(USER), reviews({"create", "update"}), quiet, ["karmada-es-member3"])
    assert result["status"] == "warn"
    (sig,) = result["signals"]
    assert sig["strength"] == pytest.approx(0.2) and sig["strength"] < 0.3  # below the verdict's threshold
    assert "logs show no RBAC denial" in sig["reason"] and "karmada_controller_groups" in sig["reason"]


def test_a_denial_is_proof_when_the_logs_were_not_read():
    # No log evidence at all (not given, or the logs could not be read): the review stands alone.
    for denials in (normalize_denials(None), normalize_denials({"lines": 0, "scanned": False})):
        result = access_finding(resolve_identity(USER), reviews({"create"}), denials, ["karmada-es-member3"])
        assert result["status"] == "fail" and result["signals"][0]["strength"] == pytest.approx(0.9)


def test_logs_alone_are_weaker_evidence():
    denials = normalize_denials(LOG_DENIALS)
    result = access_finding(resolve_identity(USER), reviews(()), denials, ["karmada-es-member3"])
    assert result["status"] == "warn"
    assert result["signals"][0]["strength"] == pytest.approx(0.6)


def test_unknown_identity():
    quiet = access_finding(resolve_identity(), [], normalize_denials({"lines": 0, "scanned": True}))
    assert quiet["status"] == "ok" and quiet["signals"] == []
    assert "system:masters" in quiet["summary"]
    noisy = access_finding(resolve_identity(), [], normalize_denials({"lines": 4, "scanned": True}))
    assert noisy["status"] == "warn" and noisy["signals"][0]["strength"] == pytest.approx(0.6)
    blind = access_finding(resolve_identity(), [], normalize_denials({"lines": 0, "scanned": False}))
    assert blind["status"] == "unknown" and blind["error"]
    # Why the logs could not be read (e.g. no pods/log permission) is the reason, so the fix is evident.
    forbidden = 'forbidden (403): pods "p" is forbidden: User "u" cannot get resource "pods/log"'
    denials = normalize_denials({"lines": 0, "scanned": False, "error": forbidden})
    refused = access_finding(resolve_identity(), [], denials)
    assert refused["status"] == "unknown" and refused["error"].endswith("could not be read: " + forbidden)


def test_everything_allowed_and_no_denials_is_ok():
    result = access_finding(resolve_identity(USER, ["system:masters"]), reviews(()), normalize_denials(None),
                            ["karmada-es-member3", "karmada-es-member1"])
    assert result["status"] == "ok" and result["signals"] == []
    assert "create/update/get/list/watch" in result["summary"]


# -- the check: options, observe (namespaces and reviews), assess ----------------------------------

def params(**overrides):
    base = {"user": None, "groups": None, "log_denials": None, "namespaces": None, "sample_size": 3,
            "verbs": ["create", "update", "get", "list", "watch"]}
    return dict(base, **overrides)


def authorizer(denied_verbs=()):
    """A SubjectAccessReview answer that denies ``denied_verbs`` everywhere."""
    def answer(body):
        verb = body["spec"]["resourceAttributes"]["verb"]
        return {"status": {"allowed": verb not in denied_verbs}}
    return answer


NAMESPACE_LIST = [{"metadata": {"name": n}} for n in ("default", "karmada-es-member1", "karmada-es-member2",
                                                      "karmada-es-member3", "karmada-es-member4")]


@pytest.mark.parametrize("overrides, option", [
    ({"sample_size": -1}, "sample_size"),
    ({"verbs": []}, "verbs"),
    ({"verbs": ["create", ""]}, "verbs"),
    ({"namespaces": ["karmada-es-a", " "]}, "namespaces"),
    ({"log_denials": ["x"]}, "log_denials"),
])
def test_options_errors_name_the_option(overrides, option):
    with pytest.raises(InputError, match="^%s" % option):
        options_from_params(params(**overrides))


def test_options_resolve_the_identity_from_the_log_denials():
    options = options_from_params(params(log_denials=LOG_DENIALS))
    assert options["identity"] == {"user": USER, "groups": [], "source": "logs"}
    assert options["denials"]["lines"] == 15 and options["namespaces"] is None


def test_observe_reviews_every_verb_in_the_sample_and_at_cluster_scope(fake_kube):
    client = fake_kube(lists={NAMESPACES: NAMESPACE_LIST}, reviews=authorizer({"create"}))
    options = options_from_params(params(log_denials=LOG_DENIALS, sample_size=2, verbs=["create", "get"]))
    seen = observe(client, options)
    assert seen["namespaces"] == ["karmada-es-member3", "karmada-es-member1", "karmada-es-member2"]
    assert [(r["verb"], r["namespace"], r["allowed"]) for r in seen["reviews"]][-2:] == [("create", None, False),
                                                                                         ("get", None, True)]
    assert len(seen["reviews"]) == 4 * 2
    # one namespace list (stopped once it had the sample) and one review per verb and namespace
    assert seen["requests"] == 1 + 8 and seen["note"] is None
    assert all(call[2]["spec"]["user"] == USER for call in client.calls if call[0] == "create")


def test_observe_reviews_only_the_given_namespaces(fake_kube):
    client = fake_kube(reviews=authorizer())
    seen = observe(client, options_from_params(params(user=USER, namespaces=["karmada-es-x"], verbs=["get"])))
    assert seen["namespaces"] == ["karmada-es-x"] and client.requests == 2
    assert not [call for call in client.calls if call[0] == "list"]


def test_observe_without_namespace_list_still_reviews_at_cluster_scope(fake_kube):
    client = fake_kube(lists={NAMESPACES: CheckUnavailable("forbidden (403): cannot list namespaces")},
                       reviews=authorizer())
    seen = observe(client, options_from_params(params(user=USER, verbs=["get"])))
    assert seen["note"] == "could not list namespaces: forbidden (403): cannot list namespaces"
    assert [r["namespace"] for r in seen["reviews"]] == [None]
    result = assess(seen, options_from_params(params(user=USER, verbs=["get"])))
    assert result["status"] == "ok" and result["details"]["note"] == seen["note"]


def test_observe_makes_no_request_for_an_unknown_identity(fake_kube):
    client = fake_kube(reviews=authorizer())
    options = options_from_params(params())
    result = assess(observe(client, options), options)
    assert client.requests == 0
    assert result["status"] == "ok" and "requests" not in result["details"]
    assert allowed(result) is None


def test_a_review_that_cannot_be_created_stops_the_check(fake_kube):
    client = fake_kube(reviews=CheckUnavailable("forbidden (403): cannot create subjectaccessreviews"))
    with pytest.raises(CheckUnavailable, match="^cannot review access"):
        observe(client, options_from_params(params(user=USER, namespaces=[])))


def test_check_reports_requests_and_allowed(fake_kube):
    client = fake_kube(lists={NAMESPACES: NAMESPACE_LIST}, reviews=authorizer({"update"}))
    result = check(client, options_from_params(params(user=USER)))
    assert result["status"] == "fail" and result["signals"][0]["strength"] == pytest.approx(0.9)
    assert result["details"]["requests"] == client.requests == 1 + 4 * 5
    assert allowed(result) is False
    assert allowed(check(fake_kube(reviews=authorizer()), options_from_params(params(user=USER, namespaces=[])))) is True
