#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: access_review
short_description: Check whether the Karmada controller-manager may write Works, with SubjectAccessReviews
version_added: 0.1.0
description:
  - Runbook step 5. Asks the Karmada API server's authorizer (C(authorization.k8s.io/v1)
    SubjectAccessReview) whether the controller-manager's identity may create, update, get, list and
    watch C(works.work.karmada.io) in a constant sample of execution namespaces and at cluster scope, the
    equivalent of C(kubectl auth can-i ... --as ... --as-group ...).
  - A SubjectAccessReview is sent as a POST but stores nothing, so the module runs the reviews in check
    mode too.
  - The identity is O(user) and O(groups) when given, else the user the API server denied in the
    controller-manager logs (O(log_denials), from M(karmada.runbooks.controller_logs)). When neither is
    known, no review is made; standard installs authenticate the controller-manager with a
    C(system:masters) certificate, which RBAC never denies, so the finding is C(ok) unless the logs show
    denials.
  - The number of requests is constant (one namespace list and one review per verb and namespace),
    whatever the number of clusters.
  - Never fails on API errors. If the caller may not create SubjectAccessReviews, the finding is
    C(unknown) with that reason.
author: karmada.runbooks contributors (@karmada-runbooks)
options:
  user:
    description: The controller-manager's user name on the Karmada API server (the CN of its client certificate).
    type: str
  groups:
    description: The controller-manager's groups (the O of its client certificate).
    type: list
    elements: str
  log_denials:
    description:
      - The RV(karmada.runbooks.controller_logs#module:rbac) result of M(karmada.runbooks.controller_logs),
        included as evidence; its most often denied user is reviewed when O(user) and O(groups) are not
        set, and the namespaces it names are reviewed too.
    type: dict
  namespaces:
    description:
      - Review these namespaces. By default the namespaces named in O(log_denials) and the first
        O(sample_size) C(karmada-es-*) namespaces are reviewed.
    type: list
    elements: str
  sample_size:
    description: How many execution namespaces to review when O(namespaces) is not set.
    type: int
    default: 3
  verbs:
    description: The verbs to review on C(works.work.karmada.io).
    type: list
    elements: str
    default: [create, update, get, list, watch]
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - karmada.runbooks.kube_check
  - karmada.runbooks.attributes.READ_ONLY
  - karmada.runbooks.attributes.APISERVER
"""

EXAMPLES = r"""
- name: Review the identity the logs show being denied
  karmada.runbooks.access_review:
    kubeconfig: ~/.kube/karmada.config
    context: karmada-apiserver
    log_denials: "{{ logs.rbac }}"
  register: access

- name: Review a hardened install's identity
  karmada.runbooks.access_review:
    user: system:karmada:karmada-controller-manager
    groups: [system:authenticated]
"""

RETURN = r"""
allowed:
  description: Whether every review allowed the request; null when no review was made.
  returned: always
  type: bool
  sample: false
finding:
  description:
    - The check's finding for the report (see docs/report-schema.md, check C(rbac)).
    - C(details) holds C(identity) (user, groups, source C(configured), C(logs) or C(unknown)),
      C(reviews) (verb, namespace, allowed, reason), C(namespaces) and C(log_denials).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.karmada.runbooks.plugins.module_utils._access import (
    SUBJECT_ACCESS_REVIEWS,
    AccessInputError,
    access_finding,
    normalize_denials,
    resolve_identity,
    review_body,
    review_result,
    sample_namespaces,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import request_timeout_option, run_check
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import NAMESPACES
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable, auth_argument_spec, map_exception
from ansible_collections.karmada.runbooks.plugins.module_utils._namespaces import EXECUTION_SPACE_PREFIX


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


def make_check(params, identity, denials):
    def check(client):
        note = None
        if identity["source"] == "unknown":
            return access_finding(identity, [], denials)
        if params["namespaces"] is not None:
            namespaces = list(params["namespaces"])
        else:
            try:
                existing = first_execution_namespaces(client, params["sample_size"])
            except Exception as exc:  # pylint: disable=broad-except
                # Reviews still work at cluster scope and in the namespaces the logs name.
                existing, note = [], "could not list namespaces: %s" % map_exception(exc).reason
            namespaces = sample_namespaces(existing, params["sample_size"], denials["namespaces"])
        reviews = []
        for namespace in namespaces + [None]:
            for verb in params["verbs"]:
                try:
                    response = client.create(SUBJECT_ACCESS_REVIEWS, review_body(identity, verb, namespace))
                except Exception as exc:  # pylint: disable=broad-except
                    raise CheckUnavailable("cannot review access (create subjectaccessreviews.authorization.k8s.io): "
                                           "%s" % map_exception(exc).reason) from exc
                reviews.append(review_result(verb, namespace, response))
        result = access_finding(identity, reviews, denials, namespaces)
        result["details"]["requests"] = client.requests
        if note:
            result["details"]["note"] = note
        return result
    return check


def main():
    argument_spec = auth_argument_spec()
    argument_spec.update(
        user={"type": "str"},
        groups={"type": "list", "elements": "str"},
        log_denials={"type": "dict"},
        namespaces={"type": "list", "elements": "str"},
        sample_size={"type": "int", "default": 3},
        verbs={"type": "list", "elements": "str", "default": ["create", "update", "get", "list", "watch"]},
        request_timeout=request_timeout_option(),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["sample_size"] < 0:
        module.fail_json(msg="sample_size must be 0 or more, got %d" % params["sample_size"])
    if not params["verbs"] or not all(v and v.strip() for v in params["verbs"]):
        module.fail_json(msg="verbs must be a non-empty list of verbs such as create, got %r" % (params["verbs"],))
    if params["namespaces"] is not None and not all(n and n.strip() for n in params["namespaces"]):
        module.fail_json(msg="namespaces must not contain empty names, got %r" % (params["namespaces"],))
    try:
        denials = normalize_denials(params["log_denials"])
    except AccessInputError as exc:
        module.fail_json(msg=str(exc))
    identity = resolve_identity(params["user"], params["groups"], denials)
    result = run_check(module, "rbac", make_check(params, identity, denials))
    reviews = result.get("details", {}).get("reviews") or []
    module.exit_json(changed=False, finding=result,
                     allowed=all(r["allowed"] for r in reviews) if reviews else None)


if __name__ == "__main__":
    main()
