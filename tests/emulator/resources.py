"""The API resource types each emulated server serves, and their discovery documents."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
KARMADA_CATEGORY = ("karmada-io",)


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()
    categories: tuple = ()
    verbs: tuple = ALL_VERBS
    subresources: tuple = ()
    # Field selectors the real API server accepts beyond metadata.name / metadata.namespace.
    field_labels: dict = field(default_factory=dict, hash=False, compare=False)
    # metadata.name rule (validation.NAME_RULES): most kinds take a DNS-1123 subdomain.
    name_rule: str = "dns-subdomain"
    # The registry strategy's AllowUnconditionalUpdate / AllowCreateOnUpdate (PUT without resourceVersion,
    # PUT of an absent object); true / false for most built-in kinds.
    unconditional_update: bool = True
    create_on_update: bool = False
    # metav1.MicroTime fields: RFC 3339 with exactly six fraction digits on the wire.
    micro_time_fields: tuple = ()

    @property
    def singular(self):
        return self.kind.lower()

    @property
    def group_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self):
        return self.group_version

    @property
    def has_status(self):
        return "status" in self.subresources

    def discovery_entries(self):
        entries = [{
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
            **({"shortNames": list(self.short_names)} if self.short_names else {}),
            **({"categories": list(self.categories)} if self.categories else {}),
            "storageVersionHash": "",
        }]
        for sub in self.subresources:
            sub_kind, sub_verbs = {
                "status": (self.kind, ["get", "patch", "update"]),
                "log": ("Pod", ["get"]),
                "scale": ("Scale", ["get", "patch", "update"]),
                "finalize": (self.kind, ["update"]),
            }[sub]
            entry = {"name": f"{self.plural}/{sub}", "singularName": "", "namespaced": self.namespaced,
                     "kind": sub_kind, "verbs": sub_verbs}
            if sub == "scale":
                entry.update(group="autoscaling", version="v1")
            entries.append(entry)
        return entries


EVENT_FIELDS = {
    "involvedObject.kind": "involvedObject.kind",
    "involvedObject.namespace": "involvedObject.namespace",
    "involvedObject.name": "involvedObject.name",
    "involvedObject.uid": "involvedObject.uid",
    "involvedObject.apiVersion": "involvedObject.apiVersion",
    "involvedObject.resourceVersion": "involvedObject.resourceVersion",
    "involvedObject.fieldPath": "involvedObject.fieldPath",
    "reason": "reason",
    "reportingComponent": "reportingComponent",
    "source": "source.component",
    "type": "type",
}
POD_FIELDS = {
    "spec.nodeName": "spec.nodeName",
    "spec.restartPolicy": "spec.restartPolicy",
    "spec.schedulerName": "spec.schedulerName",
    "spec.serviceAccountName": "spec.serviceAccountName",
    "spec.hostNetwork": "spec.hostNetwork",
    "status.phase": "status.phase",
    "status.podIP": "status.podIP",
    "status.nominatedNodeName": "status.nominatedNodeName",
}


def _t(group, version, kind, plural, namespaced, **kw):
    return ResourceType(group, version, kind, plural, namespaced, **kw)


NAMESPACE = _t("", "v1", "Namespace", "namespaces", False, short_names=("ns",),
               verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
               subresources=("status", "finalize"), field_labels={"status.phase": "status.phase"},
               name_rule="dns-label")            # apimachinery pkg/api/validation ValidateNamespaceName
EVENT = _t("", "v1", "Event", "events", True, short_names=("ev",), field_labels=EVENT_FIELDS)
CONFIGMAP = _t("", "v1", "ConfigMap", "configmaps", True, short_names=("cm",))
SECRET = _t("", "v1", "Secret", "secrets", True, field_labels={"type": "type"})
SERVICE_ACCOUNT = _t("", "v1", "ServiceAccount", "serviceaccounts", True, short_names=("sa",))
POD = _t("", "v1", "Pod", "pods", True, short_names=("po",), categories=("all",),
         subresources=("status", "log"), field_labels=POD_FIELDS)
DEPLOYMENT = _t("apps", "v1", "Deployment", "deployments", True, short_names=("deploy",), categories=("all",),
                subresources=("status", "scale"))
REPLICASET = _t("apps", "v1", "ReplicaSet", "replicasets", True, short_names=("rs",), categories=("all",),
                subresources=("status", "scale"))
# kubernetes pkg/registry/coordination/lease/strategy.go: AllowUnconditionalUpdate false (a PUT must carry
# metadata.resourceVersion), AllowCreateOnUpdate true; acquireTime and renewTime are MicroTimes.
LEASE = _t("coordination.k8s.io", "v1", "Lease", "leases", True, unconditional_update=False, create_on_update=True,
           micro_time_fields=("spec.acquireTime", "spec.renewTime"))
# RBAC names are path segments (kubernetes pkg/apis/rbac/validation ValidateRBACName): "system:foo" is fine.
ROLE = _t("rbac.authorization.k8s.io", "v1", "Role", "roles", True, name_rule="path-segment")
ROLE_BINDING = _t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, name_rule="path-segment")
CLUSTER_ROLE = _t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, name_rule="path-segment")
CLUSTER_ROLE_BINDING = _t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False,
                          name_rule="path-segment")
SUBJECT_ACCESS_REVIEW = _t("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False,
                           verbs=("create",))
SELF_SUBJECT_ACCESS_REVIEW = _t("authorization.k8s.io", "v1", "SelfSubjectAccessReview",
                                "selfsubjectaccessreviews", False, verbs=("create",))
# Served by karmada-aggregated-apiserver, whose strategy runs Karmada's ValidateClusterName on create and
# update (pkg/registry/cluster/strategy.go v1.18.2).
CLUSTER = _t("cluster.karmada.io", "v1alpha1", "Cluster", "clusters", False, categories=KARMADA_CATEGORY,
             subresources=("status",), name_rule="karmada-cluster")
RESOURCE_BINDING = _t("work.karmada.io", "v1alpha2", "ResourceBinding", "resourcebindings", True,
                      short_names=("rb",), categories=KARMADA_CATEGORY, subresources=("status",))
CLUSTER_RESOURCE_BINDING = _t("work.karmada.io", "v1alpha2", "ClusterResourceBinding", "clusterresourcebindings",
                              False, short_names=("crb",), categories=KARMADA_CATEGORY, subresources=("status",))
WORK = _t("work.karmada.io", "v1alpha1", "Work", "works", True, short_names=("wk",), categories=KARMADA_CATEGORY,
          subresources=("status",))
OVERRIDE_POLICY = _t("policy.karmada.io", "v1alpha1", "OverridePolicy", "overridepolicies", True,
                     short_names=("op",), categories=KARMADA_CATEGORY)
CLUSTER_OVERRIDE_POLICY = _t("policy.karmada.io", "v1alpha1", "ClusterOverridePolicy", "clusteroverridepolicies",
                             False, short_names=("cop",), categories=KARMADA_CATEGORY)
PROPAGATION_POLICY = _t("policy.karmada.io", "v1alpha1", "PropagationPolicy", "propagationpolicies", True,
                        short_names=("pp",), categories=KARMADA_CATEGORY)
CLUSTER_PROPAGATION_POLICY = _t("policy.karmada.io", "v1alpha1", "ClusterPropagationPolicy",
                                "clusterpropagationpolicies", False, short_names=("cpp",),
                                categories=KARMADA_CATEGORY)
# charts/karmada/_crds/bases/policy/policy.karmada.io_federatedresourcequotas.yaml (v1.18.2): namespaced,
# category karmada-io, no short names, status subresource.
FEDERATED_RESOURCE_QUOTA = _t("policy.karmada.io", "v1alpha1", "FederatedResourceQuota", "federatedresourcequotas",
                              True, categories=KARMADA_CATEGORY, subresources=("status",))

_RBAC = (ROLE, ROLE_BINDING, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_ACCESS_REVIEW)

KARMADA_APISERVER_TYPES = (
    NAMESPACE, EVENT, CONFIGMAP, SECRET, SERVICE_ACCOUNT, DEPLOYMENT, LEASE, *_RBAC,
    CLUSTER, RESOURCE_BINDING, CLUSTER_RESOURCE_BINDING, WORK,
    OVERRIDE_POLICY, CLUSTER_OVERRIDE_POLICY, PROPAGATION_POLICY, CLUSTER_PROPAGATION_POLICY,
    FEDERATED_RESOURCE_QUOTA,
)
HOST_TYPES = (NAMESPACE, EVENT, CONFIGMAP, SECRET, SERVICE_ACCOUNT, POD, DEPLOYMENT, REPLICASET, LEASE, *_RBAC)

# Groups whose served versions are more than the one our types use (the real order: preferred first).
EXTRA_GROUP_VERSIONS = {"work.karmada.io": ("v1alpha2", "v1alpha1")}


class ResourceRegistry:
    """The set of types one API server serves, indexed the ways the router needs."""

    def __init__(self, types):
        self.types = tuple(types)
        self._by_path = {(t.group, t.version, t.plural): t for t in self.types}
        self._by_kind = {(t.group, t.kind): t for t in self.types}

    def lookup(self, group, version, plural):
        return self._by_path.get((group, version, plural))

    def by_kind(self, group, kind):
        return self._by_kind.get((group, kind))

    def by_api_version(self, api_version, kind):
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        return self.by_kind(group, kind)

    def group_versions(self):
        """{group: [versions, preferred first]} for the named groups (core excluded)."""
        groups = {}
        for t in self.types:
            if not t.group:
                continue
            versions = groups.setdefault(t.group, [])
            if t.version not in versions:
                versions.append(t.version)
        for group, order in EXTRA_GROUP_VERSIONS.items():
            if group in groups:
                groups[group] = [v for v in order if v in groups[group]]
        return groups

    def api_group_list(self):
        groups = []
        for group, versions in self.group_versions().items():
            groups.append(self.api_group(group, versions))
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_group(self, group, versions=None):
        versions = versions or self.group_versions().get(group)
        if not versions:
            return None
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs,
                "preferredVersion": gvs[0]}

    def resource_list(self, group, version):
        types = [t for t in self.types if t.group == group and t.version == version]
        if not types:
            return None
        resources = [entry for t in types for entry in t.discovery_entries()]
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": resources}

    def namespaced_plurals(self, group, version):
        return {t.plural for t in self.types if t.group == group and t.version == version and t.namespaced}
