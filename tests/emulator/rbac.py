"""Authorization from the RBAC objects a server stores, the way the RBAC authorizer decides."""

from __future__ import annotations

from dataclasses import dataclass

from .resources import CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE, ROLE_BINDING

# What every authenticated user may do (system:discovery, system:basic-user, system:public-info-viewer).
_PUBLIC_PATHS = ("/api", "/apis", "/version", "/healthz", "/readyz", "/livez", "/openapi")
_SELF_REVIEWS = {("authorization.k8s.io", "selfsubjectaccessreviews"),
                 ("authorization.k8s.io", "selfsubjectrulesreviews"),
                 ("authentication.k8s.io", "selfsubjectreviews")}


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple = ()

    def with_authenticated(self):
        groups = tuple(self.groups)
        if "system:authenticated" not in groups:
            groups += ("system:authenticated",)
        return Identity(self.user, groups)


@dataclass(frozen=True)
class Attributes:
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""           # for non-resource requests

    @property
    def is_resource(self):
        return bool(self.resource)


def _subject_matches(subject, identity):
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == identity.user
    if kind == "Group":
        return name in identity.groups
    if kind == "ServiceAccount":
        return identity.user == f"system:serviceaccount:{subject.get('namespace', '')}:{name}"
    return False


def _in(values, wanted):
    return "*" in values or wanted in values


def _rule_allows(rule, attrs):
    verbs = rule.get("verbs") or []
    if not _in(verbs, attrs.verb):
        return False
    if not attrs.is_resource:
        urls = rule.get("nonResourceURLs") or []
        return any(u == "*" or u == attrs.path or (u.endswith("*") and attrs.path.startswith(u[:-1]))
                   for u in urls)
    if not _in(rule.get("apiGroups") or [], attrs.group):
        return False
    resources = rule.get("resources") or []
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if not ("*" in resources or combined in resources
            or (attrs.subresource and f"*/{attrs.subresource}" in resources)):
        return False
    names = rule.get("resourceNames") or []
    return not names or attrs.name in names


def authorize(store, identity, attrs):
    """(allowed, reason). ``system:masters`` is allowed everything, as in a real API server."""
    identity = identity.with_authenticated()
    if "system:masters" in identity.groups:
        return True, ""
    if not attrs.is_resource and attrs.path.startswith(_PUBLIC_PATHS):
        return True, ""
    if attrs.is_resource and (attrs.group, attrs.resource) in _SELF_REVIEWS and attrs.verb == "create":
        return True, ""
    for binding in store.items(CLUSTER_ROLE_BINDING):
        if not any(_subject_matches(s, identity) for s in binding.get("subjects") or []):
            continue
        role = store.find(CLUSTER_ROLE, "", binding.get("roleRef", {}).get("name", ""))
        if role and any(_rule_allows(rule, attrs) for rule in role.get("rules") or []):
            name = binding["metadata"]["name"]
            return True, f'RBAC: allowed by ClusterRoleBinding "{name}" of ClusterRole "{role["metadata"]["name"]}"'
    if attrs.namespace:
        for binding in store.items(ROLE_BINDING, attrs.namespace):
            if not any(_subject_matches(s, identity) for s in binding.get("subjects") or []):
                continue
            ref = binding.get("roleRef", {})
            role_type = CLUSTER_ROLE if ref.get("kind") == "ClusterRole" else ROLE
            role = store.find(role_type, attrs.namespace if role_type is ROLE else "", ref.get("name", ""))
            if role and any(_rule_allows(rule, attrs) for rule in role.get("rules") or []):
                return True, (f'RBAC: allowed by RoleBinding "{binding["metadata"]["name"]}/{attrs.namespace}" '
                              f'of {ref.get("kind")} "{ref.get("name")}"')
    return False, ""
