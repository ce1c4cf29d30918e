# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RBAC of the controller-manager on the Karmada API server (runbook step 5).

The binding controller must create, update, get, list and watch ``works.work.karmada.io`` in every
execution namespace. SubjectAccessReviews ask the API server's own authorizer whether the
controller's identity may, for a constant sample of namespaces; the denials the controller logged
are the other half of the evidence.

Standard installs (hack/deploy-karmada.sh, karmadactl init, Helm, the operator) give the
controller-manager a client certificate in ``system:masters``, which RBAC never denies; RBAC errors
come from hardened installs with their own identity. When the identity is unknown, the denied
user in the logs is the best guess.

The check is ``options_from_params(params)`` (the identity to review, resolved from the options and
the log denials), ``observe(client, options)`` (pick the namespaces, create the reviews) and
``assess(observation, options)`` (the ``rbac`` finding, pure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError, plain_type_name
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import EXECUTION_SPACE_PREFIX, NAMESPACES, SUBJECT_ACCESS_REVIEWS, cluster_of
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, signal

CHECK_ID = "rbac"
WORK_GROUP = "work.karmada.io"
WORK_RESOURCE = "works"
DEFAULT_VERBS = ("create", "update", "get", "list", "watch")
WRITE_VERBS = ("create", "update")
DEFAULT_SAMPLE_SIZE = 3
MAX_DENIAL_NAMESPACES = 5
MAX_EVIDENCE = 20

WRITE_DENIED_STRENGTH = 0.9       # the authorizer itself says no: direct proof
READ_DENIED_STRENGTH = 0.7
LOG_ONLY_STRENGTH = 0.6
# A review denies the identity given, yet the controller-manager's logs were read and hold no denial: the
# controller works with an identity the review did not reproduce. A user named without the groups it
# authenticates with (system:masters, system:serviceaccounts) is reviewed with the user's own bindings only,
# and the authorizer denies what the real controller is allowed. A hint (below the verdict's 0.3), not proof.
CONTRADICTED_STRENGTH = 0.2

MAX_ERROR = 500                  # a log-read error repeated in the rbac finding's reason
NO_DENIALS = {"lines": 0, "samples": [], "users": [], "namespaces": [], "scanned": None}


def normalize_denials(value, option="log_denials"):
    """The controller_logs module's ``rbac`` dict, checked; None or {} means no log evidence was given."""
    if not value:
        return dict(NO_DENIALS)
    if not isinstance(value, dict):
        raise InputError("%s must be a dict (the controller_logs module's rbac result), got %s"
                         % (option, plain_type_name(value)))
    result = dict(NO_DENIALS)
    try:
        result["lines"] = int(value.get("lines") or 0)
    except (TypeError, ValueError) as exc:
        raise InputError("%s.lines must be a number, got %r" % (option, value.get("lines"))) from exc
    for key in ("samples", "users", "namespaces"):
        items = value.get(key) or []
        if not isinstance(items, list):
            raise InputError("%s.%s must be a list, got %s" % (option, key, plain_type_name(items)))
        result[key] = list(items)
    result["users"] = [str(u) for u in result["users"] if u]
    result["namespaces"] = [str(n) for n in result["namespaces"] if n]
    if "scanned" in value:
        result["scanned"] = bool(value["scanned"])
    if isinstance(value.get("error"), str) and value["error"]:
        result["error"] = value["error"][:MAX_ERROR]
    return result


def resolve_identity(user=None, groups=None, denials=None):
    """{user, groups, source}: configured if given, else the user most often denied in the logs, else unknown."""
    groups = [g for g in (groups or []) if g]
    if user or groups:
        return {"user": user or "", "groups": groups, "source": "configured"}
    users = (denials or {}).get("users") or []
    if users:
        # A log denial names the user only; its groups are not known.
        return {"user": users[0], "groups": [], "source": "logs"}
    return {"user": None, "groups": [], "source": "unknown"}


def sample_namespaces(existing, size=DEFAULT_SAMPLE_SIZE, denied=()):
    """Namespaces to review: those named in denials (at most a few), then the first ``size`` execution
    namespaces by name. Constant in size, whatever the number of clusters."""
    chosen = []
    for name in list(denied)[:MAX_DENIAL_NAMESPACES]:
        if name not in chosen:
            chosen.append(name)
    for name in sorted(n for n in existing if n.startswith(EXECUTION_SPACE_PREFIX))[:size]:
        if name not in chosen:
            chosen.append(name)
    return chosen


def review_body(identity, verb, namespace=None):
    attributes = {"verb": verb, "group": WORK_GROUP, "resource": WORK_RESOURCE}
    if namespace:
        attributes["namespace"] = namespace
    spec = {"resourceAttributes": attributes}
    if identity.get("user"):
        spec["user"] = identity["user"]
    if identity.get("groups"):
        spec["groups"] = list(identity["groups"])
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}


def review_result(verb, namespace, response):
    status = (response or {}).get("status") or {}
    result = {"verb": verb, "namespace": namespace or None, "allowed": bool(status.get("allowed"))}
    reason = status.get("reason") or status.get("evaluationError")
    if reason:
        result["reason"] = reason
    return result


def _where(namespace):
    return "in %s" % namespace if namespace else "at cluster scope"


def _identity_text(identity):
    parts = []
    if identity.get("user"):
        parts.append('user "%s"' % identity["user"])
    if identity.get("groups"):
        parts.append("groups %s" % ", ".join(identity["groups"]))
    return " with ".join(parts) or "an unknown identity"


def _log_evidence(denials):
    items = []
    for sample in denials["samples"]:
        if isinstance(sample, dict):
            items.append(evidence("log", sample.get("line") or sample.get("text") or "", count=sample.get("count"),
                                  time=sample.get("time"),
                                  ref="%s/%s" % (sample["pod"], sample["container"]) if sample.get("pod") else None))
        else:
            items.append(evidence("log", sample))
    return items


def _ordered_verbs(verbs):
    """Distinct verbs, the controller's own in their usual order first."""
    seen = set(verbs)
    return [v for v in DEFAULT_VERBS if v in seen] + sorted(seen - set(DEFAULT_VERBS))


def _clusters(namespaces):
    return [c for c in (cluster_of(n) for n in namespaces) if c]


def access_finding(identity, reviews, denials, namespaces=()):
    """The ``rbac`` finding from the identity reviewed, the review results and the log denials."""
    details = {"identity": identity, "reviews": reviews, "namespaces": list(namespaces), "log_denials": denials,
               "resource": "%s.%s" % (WORK_RESOURCE, WORK_GROUP)}
    log_items = _log_evidence(denials)
    lines = denials["lines"]
    if identity["source"] == "unknown":
        if lines:
            reason = ("%d forbidden/unauthorized/rbac line(s) in the controller-manager logs, but no denied user "
                      "could be read from them" % lines)
            return finding(CHECK_ID, "warn", "Controller identity unknown; %s." % reason, details=details,
                           evidence_items=log_items,
                           signals=[signal("rbac_denied", LOG_ONLY_STRENGTH, reason,
                                           clusters=_clusters(denials["namespaces"]), evidence_items=log_items)])
        if denials["scanned"] is False:
            why = ("no controller identity configured and no log to learn it from" if not denials.get("error") else
                   "no controller identity configured, and the logs to learn it from could not be read: %s"
                   % denials["error"])
            return finding(CHECK_ID, "unknown", "Controller identity unknown and its logs could not be read.",
                           details=details, error=why)
        return finding(CHECK_ID, "ok", "Controller identity unknown and no RBAC denials in its logs; standard "
                       "installs authenticate the controller-manager with a system:masters certificate, which "
                       "RBAC never denies. Set the identity to review it.", details=details)
    denied = [r for r in reviews if not r["allowed"]]
    write_denied = [r for r in denied if r["verb"] in WRITE_VERBS]
    who = _identity_text(identity)
    review_items = [evidence("access_review", "%s may not %s %s.%s %s%s" % (
        who, r["verb"], WORK_RESOURCE, WORK_GROUP, _where(r["namespace"]),
        " (%s)" % r["reason"] if r.get("reason") else "")) for r in denied]
    denied_namespaces = sorted({r["namespace"] for r in denied if r["namespace"]})
    # The clusters the controller was really refused for (from its logs) are the affected ones; the
    # sampled namespaces only stand for them when the logs name none.
    clusters = _clusters(denials["namespaces"]) or _clusters(denied_namespaces)
    if denied and not lines and denials["scanned"] is True:
        verbs = _ordered_verbs(r["verb"] for r in denied)
        reason = ("SubjectAccessReview: %s may not %s works (%d of %d reviews denied), but the controller-manager's "
                  "logs show no RBAC denial, so it runs with more than the identity reviewed; give its groups "
                  "(karmada_controller_groups) to review what it really has"
                  % (who, "/".join(verbs), len(denied), len(reviews)))
        items = review_items[:MAX_EVIDENCE]
        return finding(CHECK_ID, "warn", reason + ".", details=details, evidence_items=items,
                       signals=[signal("rbac_denied", CONTRADICTED_STRENGTH, reason, clusters=clusters,
                                       evidence_items=items)])
    if denied:
        verbs = _ordered_verbs(r["verb"] for r in denied)
        strength = WRITE_DENIED_STRENGTH if write_denied else READ_DENIED_STRENGTH
        reason = "SubjectAccessReview: %s may not %s works (%d of %d reviews denied)" % (
            who, "/".join(verbs), len(denied), len(reviews))
        if lines:
            reason += "; the logs show %d denial line(s)" % lines
        items = (review_items + log_items)[:MAX_EVIDENCE]
        return finding(CHECK_ID, "fail", reason + ".", details=details, evidence_items=items,
                       signals=[signal("rbac_denied", strength, reason, clusters=clusters, evidence_items=items)])
    if lines:
        reason = ("%d forbidden/unauthorized/rbac line(s) in the controller-manager logs, though %s may now do "
                  "all %d reviewed requests on works" % (lines, who, len(reviews)))
        return finding(CHECK_ID, "warn", reason + ".", details=details, evidence_items=log_items,
                       signals=[signal("rbac_denied", LOG_ONLY_STRENGTH, reason, clusters=clusters,
                                       evidence_items=log_items)])
    return finding(CHECK_ID, "ok", "%s may %s works in the %d namespace(s) reviewed and at cluster scope; no RBAC "
                   "denials in the logs." % (who, "/".join(_ordered_verbs(r["verb"] for r in reviews)),
                                             len(namespaces)), details=details)


# -- the rbac check --------------------------------------------------------------------------------

def options_from_params(params):
    """Validated options, with the identity to review resolved; InputError names the offending option."""
    sample_size = params.get("sample_size", DEFAULT_SAMPLE_SIZE)
    if sample_size < 0:
        raise InputError("sample_size must be 0 or more, got %d" % sample_size)
    verbs = params.get("verbs", DEFAULT_VERBS)
    if not verbs or not all(v and v.strip() for v in verbs):
        raise InputError("verbs must be a non-empty list of verbs such as create, got %r" % (verbs,))
    namespaces = params.get("namespaces")
    if namespaces is not None and not all(n and n.strip() for n in namespaces):
        raise InputError("namespaces must not contain empty names, got %r" % (namespaces,))
    denials = normalize_denials(params.get("log_denials"))
    return {"identity": resolve_identity(params.get("user"), params.get("groups"), denials), "denials": denials,
            "namespaces": None if namespaces is None else list(namespaces), "sample_size": sample_size,
            "verbs": list(verbs)}


def first_execution_namespaces(client, size):
    """The first ``size`` karmada-es-* namespaces; stops reading pages once it has them."""
    found = []
    if size <= 0:
        return found
    for namespace in client.list(NAMESPACES):
        name = namespace.get("metadata", {}).get("name", "")
        if name.startswith(EXECUTION_SPACE_PREFIX):
            found.append(name)
            if len(found) >= size:
                break
    return found


def observe(client, options):
    """The namespaces reviewed and one review result per verb in each and at cluster scope.

    No request at all while the identity is unknown: a review of nobody would answer nothing.
    An unlistable namespace list is a ``note``, not a failure: reviews still work at cluster scope and in
    the namespaces the logs name. A review that cannot be created stops the check (CheckUnavailable).
    """
    if options["identity"]["source"] == "unknown":
        return {"namespaces": [], "reviews": [], "requests": client.requests, "note": None}
    note = None
    namespaces = options["namespaces"]
    if namespaces is None:
        try:
            existing = first_execution_namespaces(client, options["sample_size"])
        except Exception as exc:  # pylint: disable=broad-except
            existing, note = [], "could not list namespaces: %s" % map_exception(exc).reason
        namespaces = sample_namespaces(existing, options["sample_size"], options["denials"]["namespaces"])
    reviews = []
    for namespace in namespaces + [None]:
        for verb in options["verbs"]:
            try:
                response = client.create(SUBJECT_ACCESS_REVIEWS, review_body(options["identity"], verb, namespace))
            except Exception as exc:  # pylint: disable=broad-except
                raise CheckUnavailable("cannot review access (create subjectaccessreviews.authorization.k8s.io): "
                                       "%s" % map_exception(exc).reason) from exc
            reviews.append(review_result(verb, namespace, response))
    return {"namespaces": namespaces, "reviews": reviews, "requests": client.requests, "note": note}


def assess(observation, options):
    """The ``rbac`` finding from what ``observe`` returned (pure)."""
    identity, denials = options["identity"], options["denials"]
    if identity["source"] == "unknown":
        return access_finding(identity, [], denials)
    result = access_finding(identity, observation["reviews"], denials, observation["namespaces"])
    result["details"]["requests"] = observation["requests"]
    if observation.get("note"):
        result["details"]["note"] = observation["note"]
    return result


def check(client, options):
    return assess(observe(client, options), options)


def allowed(result):
    """The module's ``allowed``: whether every review allowed the request; None when no review was made."""
    reviews = result.get("details", {}).get("reviews") or []
    return all(r["allowed"] for r in reviews) if reviews else None
