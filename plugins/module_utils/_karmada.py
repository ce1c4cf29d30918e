# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this collection knows about Karmada's API and install, in one place.

Every name here is one Karmada itself uses; the comment next to it says where (karmada-io/karmada,
tag v1.18.2, unless it says otherwise). When Karmada renames something, this is the file to change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.karmada.runbooks.plugins.module_utils._kube import resource_path

# -- resources on the Karmada API server ------------------------------------------------------------
CLUSTERS = resource_path("cluster.karmada.io", "v1alpha1", "clusters")
WORKS = resource_path("work.karmada.io", "v1alpha1", "works")
RESOURCE_BINDINGS = resource_path("work.karmada.io", "v1alpha2", "resourcebindings")
CLUSTER_RESOURCE_BINDINGS = resource_path("work.karmada.io", "v1alpha2", "clusterresourcebindings")
OVERRIDE_POLICIES = resource_path("policy.karmada.io", "v1alpha1", "overridepolicies")
CLUSTER_OVERRIDE_POLICIES = resource_path("policy.karmada.io", "v1alpha1", "clusteroverridepolicies")
NAMESPACES = resource_path("", "v1", "namespaces")
EVENTS = resource_path("", "v1", "events")
SUBJECT_ACCESS_REVIEWS = resource_path("authorization.k8s.io", "v1", "subjectaccessreviews")
# The event recorder puts events of cluster-scoped objects (Cluster, ClusterResourceBinding) in
# "default" (client-go tools/record: metav1.NamespaceDefault when the object has no namespace).
CLUSTER_SCOPED_EVENTS_NAMESPACE = "default"


def works_in(namespace):
    return resource_path("work.karmada.io", "v1alpha1", "works", namespace)


def override_policy(namespace, name):
    return resource_path("policy.karmada.io", "v1alpha1", "overridepolicies", namespace, name)


def cluster_override_policy(name):
    return resource_path("policy.karmada.io", "v1alpha1", "clusteroverridepolicies", name=name)


def events_in(namespace):
    """The events of one namespace."""
    return resource_path("", "v1", "events", namespace=namespace)


def pods_in(namespace):
    return resource_path("", "v1", "pods", namespace=namespace)


def pod_log(namespace, pod):
    return resource_path("", "v1", "pods", namespace=namespace, name=pod, subresource="log")


def leases_in(namespace):
    """The Leases of one namespace (coordination.k8s.io/v1, k8s.io/api coordination/v1/types.go). The
    controller-manager's leader election lock is one, in CONTROLLER_MANAGER_NAMESPACE on the Karmada API
    server (cmd/controller-manager/app/options/options.go:152-153, resourcelock.LeasesResourceLock)."""
    return resource_path("coordination.k8s.io", "v1", "leases", namespace=namespace)


def deployment_path(namespace, name):
    """One Deployment (apps/v1), such as the controller-manager's on the host cluster."""
    return resource_path("apps", "v1", "deployments", namespace=namespace, name=name)


def lease_path(namespace, name):
    """One Lease, such as the mitigation lock (_defaults.MITIGATION_LOCK_NAME, _lease.py)."""
    return resource_path("coordination.k8s.io", "v1", "leases", namespace=namespace, name=name)


# -- kinds -----------------------------------------------------------------------------------------
CLUSTER_KIND = "Cluster"
RB_KIND = "ResourceBinding"
CRB_KIND = "ClusterResourceBinding"
BINDING_KINDS = (RB_KIND, CRB_KIND)
OP_KIND = "OverridePolicy"
COP_KIND = "ClusterOverridePolicy"
# FederatedResourceQuota's controller records SyncWorkFailed too (pkg/controllers/federatedresourcequota).
QUOTA_KIND = "FederatedResourceQuota"
# Its controllers' source files (pkg/controllers/federatedresourcequota/federated_resource_quota_
# {enforcement,status,sync}_controller.go at v1.18.2), which klog names in every line, and the key
# their structured lines name the quota with ("federatedResourceQuota", same files).
QUOTA_SOURCE_PREFIX = "federated_resource_quota_"
QUOTA_LOG_KEY = "federatedResourceQuota"
# pkg/controllers/ctrlutil/work.go:99 (v1.18.2) logs every failed Work write, for the binding controllers
# and the FederatedResourceQuota sync controller alike, without saying whose Work it is; each caller
# then logs the same error on a line of its own ("Failed to transform ResourceBinding to works.").
SHARED_WORK_WRITE_FILE = "work.go"
SHARED_WORK_WRITE_MESSAGE = "Failed to create/update work "

# -- execution namespaces --------------------------------------------------------------------------
# pkg/util/names/names.go: ExecutionSpacePrefix, GenerateExecutionSpaceName.
EXECUTION_SPACE_PREFIX = "karmada-es-"
# pkg/util/constants.go: KarmadaSystemLabel; the cluster controller labels execution namespaces with it.
SYSTEM_LABEL = "karmada.io/system"
SYSTEM_LABEL_VALUE = "true"
# pkg/util/constants.go: ExecutionControllerFinalizer, on every Work.
EXECUTION_CONTROLLER_FINALIZER = "karmada.io/execution-controller"


# pkg/apis/cluster/validation/validation.go:45 ValidateClusterName: a DNS-1123 label of at most 48
# characters, leaving room for the prefix within the 63 a namespace name may have. The Karmada webhook
# enforces it on Cluster objects; a name read from elsewhere (a report file, a cluster registered while the
# webhook was bypassed) is checked again before a namespace is named after it.
CLUSTER_NAME_MAX_LENGTH = 48
# apimachinery v0.35.3 pkg/util/validation/validation.go:155,161: dns1123LabelFmt, DNS1123LabelMaxLength.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_MAX_LENGTH = 63


def cluster_name_problem(name):
    """Why ``name`` cannot name an execution namespace (None when it can), in ValidateClusterName's order."""
    if not isinstance(name, str) or not name:
        return "must be not empty"
    if len(name) > CLUSTER_NAME_MAX_LENGTH:
        return "must be no more than %d characters" % CLUSTER_NAME_MAX_LENGTH
    if not DNS1123_LABEL.match(name):
        return "must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit)"
    return None


def execution_space(cluster):
    """The execution namespace of a member cluster."""
    return EXECUTION_SPACE_PREFIX + cluster


def cluster_of(namespace):
    """The member cluster an execution namespace belongs to; None for any other namespace."""
    if namespace and namespace.startswith(EXECUTION_SPACE_PREFIX) and len(namespace) > len(EXECUTION_SPACE_PREFIX):
        return namespace[len(EXECUTION_SPACE_PREFIX):]
    return None


# -- labels on bindings and Works ------------------------------------------------------------------
# pkg/apis/work/v1alpha2/well_known_constants.go.
PERMANENT_ID_LABELS = {
    RB_KIND: "resourcebinding.karmada.io/permanent-id",
    CRB_KIND: "clusterresourcebinding.karmada.io/permanent-id",
}

# -- Work names ------------------------------------------------------------------------------------
# pkg/util/names/names.go GenerateWorkName, with k8s.io/apimachinery's rand.SafeEncodeString alphabet
# (no vowels, no look-alikes) and pkg/util/hash.DeepHashObject (kr/pretty "%v" of a string: its bytes).
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def fnv32a(text):
    """32-bit FNV-1a of the UTF-8 bytes of ``text``."""
    value = _FNV32_OFFSET
    for byte in bytearray(text.encode("utf-8")):
        value ^= byte
        value = (value * _FNV32_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text):
    """Map every byte of ``text`` onto the safe alphabet (byte modulo its length)."""
    return "".join(_SAFE_ALPHABET[byte % len(_SAFE_ALPHABET)] for byte in bytearray(text.encode("utf-8")))


def work_name(kind, name, namespace=None):
    """The name Karmada gives the Work of a resource template in every execution namespace.

    GenerateWorkName first turns ``:`` into ``.`` (RBAC objects such as ``system:foo``; Work names
    must be DNS subdomains) and lower-cases the name, *then* hashes ``lower(<ns>-<name>-<kind>)``
    (``lower(<name>-<kind>)`` for cluster-scoped templates): ``<name>-<safe(decimal(fnv32a(key)))>``.
    """
    name = name.replace(":", ".").lower()
    key = ("%s-%s-%s" % (namespace, name, kind) if namespace else "%s-%s" % (name, kind)).lower()
    return "%s-%s" % (name, safe_encode(str(fnv32a(key))))


# -- the controller-manager ------------------------------------------------------------------------
CONTROLLER_MANAGER = "karmada-controller-manager"
CONTROLLER_MANAGER_NAMESPACE = "karmada-system"
# Helm chart and karmadactl/hack installs label the pods app=... (artifacts/deploy/
# karmada-controller-manager.yaml); karmada-operator uses app.kubernetes.io/name=...
# (operator/pkg/controlplane/manifests.go). Tried in this order.
CONTROLLER_MANAGER_LABELS = ("app=karmada-controller-manager", "app.kubernetes.io/name=karmada-controller-manager")
# kubernetes/kubectl v0.32.9 (kubectl 1.32) pkg/polymorphichelpers/objectrestarter.go:41: `kubectl rollout restart` sets this pod-template
# annotation to the current time (RFC 3339); the changed template rolls every pod.
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
# The leader-election lock (cmd/controller-manager/app/options/options.go:150-155, v1.18.2): a Lease
# (resourcelock.LeasesResourceLock) named names.KarmadaControllerManagerComponentName in
# --leader-elect-resource-namespace, default names.NamespaceKarmadaSystem, on the Karmada API server (the
# controller-manager's --kubeconfig). The Helm chart passes its systemNamespace (default karmada-system) there
# whatever the release namespace (charts/karmada/templates/karmada-controller-manager.yaml).
LEADER_LEASE_NAME = "karmada-controller-manager"
LEADER_LEASE_NAMESPACE = "karmada-system"
# Same file: --leader-elect-lease-duration defaults to 15s (defaultElectionLeaseDuration); the leader renews
# every --leader-elect-retry-period (2s), so a renewTime older than the duration means no leader is renewing.
LEADER_LEASE_DURATION = 15
# pkg/controllers/binding: ControllerName, ClusterResourceBindingControllerName. They are also the
# workqueue "name" label and the event source component.
BINDING_CONTROLLERS = ("binding-controller", "cluster-resource-binding-controller")
# pkg/util/overridemanager/overridemanager.go: OverrideManagerName, the event source of ApplyOverridePolicyFailed.
OVERRIDE_MANAGER = "override-manager"

# -- events ----------------------------------------------------------------------------------------
# pkg/events/events.go.
SYNC_WORK_FAILED = "SyncWorkFailed"
APPLY_OVERRIDE_POLICY_FAILED = "ApplyOverridePolicyFailed"
CLEANUP_WORK_FAILED = "CleanupWorkFailed"
FAILURE_REASONS = (SYNC_WORK_FAILED, APPLY_OVERRIDE_POLICY_FAILED, CLEANUP_WORK_FAILED)
EXECUTION_SPACE_REASONS = ("CreateExecutionSpaceSucceed", "CreateExecutionSpaceFailed",
                           "RemoveExecutionSpaceSucceed", "RemoveExecutionSpaceFailed")

# -- metrics ---------------------------------------------------------------------------------------
# pkg/metrics/resource.go: syncWorkDurationMetricsName, a histogram labelled result=success|error.
SYNC_WORK_DURATION = "binding_sync_work_duration_seconds"
# Its "result" label: pkg/util/metrics/metrics.go GetResultByError (v1.18.2), ResultError "error" for a sync
# that failed, ResultSuccess "success" otherwise.
SYNC_RESULT_LABEL = "result"
SYNC_RESULT_ERROR = "error"
SYNC_WORK_COUNT = SYNC_WORK_DURATION + "_count"
