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
  - karmada.runbooks.attributes.ACTION
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

from ansible_collections.karmada.runbooks.plugins.module_utils import _access as access
from ansible_collections.karmada.runbooks.plugins.module_utils._checks import check_entry, request_timeout_option
from ansible_collections.karmada.runbooks.plugins.module_utils._entry import run_module
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import auth_argument_spec


def argument_spec():
    spec = auth_argument_spec()
    spec.update(
        user={"type": "str"},
        groups={"type": "list", "elements": "str"},
        log_denials={"type": "dict"},
        namespaces={"type": "list", "elements": "str"},
        sample_size={"type": "int", "default": access.DEFAULT_SAMPLE_SIZE},
        verbs={"type": "list", "elements": "str", "default": list(access.DEFAULT_VERBS)},
        request_timeout=request_timeout_option(),
    )
    return spec


ENTRY = check_entry(access, argument_spec, results=lambda finding, options: {"allowed": access.allowed(finding)})


def main():
    run_module(ENTRY)


if __name__ == "__main__":
    main()
