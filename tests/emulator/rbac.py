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


def _atomic(rule):
    """One (verb, group, resource, subresource, name) or (verb, path) per permission a rule grants, as
    kubernetes' validation.Covers breaks servant rules down (pkg/registry/rbac/validation/policy_compact.go)."""
    verbs = rule.get("verbs") or []
    if rule.get("nonResourceURLs"):
        return [(Attributes(verb, path=url), {"NonResourceURLs": [url], "Verbs": [verb]})
                for url in rule["nonResourceURLs"] for verb in verbs]
    out = []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            plural, _slash, sub = resource.partition("/")
            for name in rule.get("resourceNames") or [""]:
                for verb in verbs:
                    compact = {"APIGroups": [group], "Resources": [resource], "Verbs": [verb]}
                    if name:
                        compact["ResourceNames"] = [name]
                    out.append((Attributes(verb, group, plural, sub, "", name), compact))
    return out


_COMPACT_ORDER = ("APIGroups", "Resources", "NonResourceURLs", "ResourceNames", "Verbs")


def _compact(rule):
    # kubernetes pkg/apis/rbac/v1/evaluation_helpers.go CompactString: fields in this order, each a Go %q of a
    # []string, which separates by spaces: {APIGroups:["g"], Resources:["r"], Verbs:["create" "delete"]}
    return "{" + ", ".join(f"{key}:[{' '.join(chr(34) + v + chr(34) for v in rule[key])}]"
                           for key in _COMPACT_ORDER if rule.get(key)) + "}"


def missing_rights(store, identity, rules, namespace=""):
    """The permissions in ``rules`` the identity does not hold in ``namespace`` (ConfirmNoEscalation)."""
    missing = {}                    # verbs merged per rule shape, as CompactRules does; listed sorted
    for rule in rules or []:
        for attrs, compact in _atomic(rule):
            if attrs.is_resource:
                attrs = Attributes(attrs.verb, attrs.group, attrs.resource, attrs.subresource, namespace, attrs.name)
            if not authorize(store, identity, attrs)[0]:
                shape = tuple((k, tuple(v)) for k, v in compact.items() if k != "Verbs")
                missing.setdefault(shape, []).extend(v for v in compact["Verbs"] if v not in missing.get(shape, []))
    return sorted(_compact({**dict(shape), "Verbs": verbs}) for shape, verbs in missing.items())


def escalation_denied(store, identity, rtype, obj, url_name=""):
    """Why writing this Role/ClusterRole/(Cluster)RoleBinding would escalate privileges, or "".

    The RBAC storage's check (kubernetes pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
    policybased/storage.go): system:masters may; a role writer may with ``escalate`` on the resource (named by
    the request's URL, so a create never matches resourceNames: escalation_check.go RoleEscalationAuthorized); a
    binding writer may with ``bind`` on the referenced role (BindingAuthorized names roleRef.name); otherwise
    the writer must already hold every permission granted (validation/rule.go ConfirmNoEscalation), else:
    ``user "U" (groups=["g"]) is attempting to grant RBAC permissions not currently held:\\n{...}``.
    """
    identity = identity.with_authenticated()
    if "system:masters" in identity.groups:
        return ""
    namespace = (obj.get("metadata") or {}).get("namespace", "") if rtype.namespaced else ""
    if rtype in (ROLE, CLUSTER_ROLE):
        if authorize(store, identity, Attributes("escalate", rtype.group, rtype.plural, "", namespace, url_name))[0]:
            return ""
        rules = obj.get("rules") or []
    else:
        ref = obj.get("roleRef") or {}
        role_type = CLUSTER_ROLE if ref.get("kind") == "ClusterRole" else ROLE
        if authorize(store, identity, Attributes("bind", ref.get("apiGroup", ""), role_type.plural, "", namespace,
                                                 ref.get("name", "")))[0]:
            return ""
        role = store.find(role_type, namespace if role_type is ROLE else "", ref.get("name", ""))
        if role is None:
            return f'{role_type.plural}.{role_type.group} "{ref.get("name", "")}" not found'
        rules = role.get("rules") or []
    missing = missing_rights(store, identity, rules, namespace)
    if not missing:
        return ""
    groups = " ".join(f'"{g}"' for g in identity.groups)
    return (f'user "{identity.user}" (groups=[{groups}]) is attempting to grant RBAC permissions not currently '
            "held:\n" + "\n".join(missing))
