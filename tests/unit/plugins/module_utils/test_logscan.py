# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-manager log scan on real lines.

Lines were copied from the emulator's controller-manager logs (``kubectl --context karmada-host logs``)
in the missing-namespaces, rbac-denied, override-policy-broken and mixed scenarios (klog text), and
large (klog JSON, as hack/local-up-karmada.sh runs it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _karmada, _logscan
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import CheckUnavailable
from ansible_collections.karmada.runbooks.plugins.module_utils._logscan import LogScan, log_finding

NOW = datetime.datetime(2026, 11, 25, 15, 30, tzinfo=datetime.UTC)

STARTUP = [
    'I1125 08:59:05.916357       1 controllermanager.go:182] "Starting karmada-controller-manager" version="v1.18.2"',
    "I1125 08:59:05.916413       1 leaderelection.go:257] attempting to acquire leader lease "
    "karmada-system/karmada-controller-manager...",
    'I1125 08:59:05.916685       1 controller.go:246] "Starting Controller" controller="binding-controller" '
    'controllerGroup="work.karmada.io" controllerKind="ResourceBinding"',
]
MISSING_NS = [
    "I1125 14:59:05.917666       1 work.go:110] Work karmada-es-member1/api-77b9dc7f49 is up to date.",
    "E1125 14:59:05.917782       1 work.go:98] Failed to create/update work karmada-es-member2/api-77b9dc7f49. Error: "
    'namespaces "karmada-es-member2" not found',
    'E1125 14:59:05.918016       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
    'err="namespaces \\"karmada-es-member2\\" not found" namespace="default" binding="api-deployment"',
    'E1125 14:59:05.918125       1 controller.go:316] "Reconciler error" err="namespaces \\"karmada-es-member2\\" not '
    'found" controller="binding-controller" controllerGroup="work.karmada.io" controllerKind="ResourceBinding" '
    'ResourceBinding="default/api-deployment" namespace="default" name="api-deployment" '
    'reconcileID="baa8104b-ca8f-401c-9e47-cedd9841a6a1"',
]
RBAC_DENIED = [
    "E1125 14:59:19.774433       1 work.go:98] Failed to create/update work karmada-es-member3/api-77b9dc7f49. Error: "
    'works.work.karmada.io "api-77b9dc7f49" is forbidden: User "system:karmada:karmada-controller-manager" cannot '
    'create resource "works" in API group "work.karmada.io" in the namespace "karmada-es-member3"',
    'E1125 14:59:19.774572       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
    'err="works.work.karmada.io \\"api-77b9dc7f49\\" is forbidden: User \\"system:karmada:karmada-controller-manager\\" '
    'cannot create resource \\"works\\" in API group \\"work.karmada.io\\" in the namespace \\"karmada-es-member3\\"" '
    'namespace="default" binding="api-deployment"',
]
OVERRIDE = [
    "E1125 14:59:22.494339       1 overridemanager.go:176] Failed to apply overrides(default/nginx-tuning) for "
    "resource(default/nginx), error: replace operation does not apply: doc is missing path: "
    "/spec/template/spec/containers/0/resources/limits/cpu: missing value",
    'E1125 14:59:22.494410       1 common.go:132] "Failed to apply overrides for workload in cluster." '
    'err="replace operation does not apply: doc is missing path: /spec/template/spec/containers/0/resources/limits/cpu:'
    ' missing value" workloadKind="Deployment" workloadNamespace="default" workloadName="nginx" cluster="member1"',
]
MIXED = [
    'E1125 14:59:25.252693       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
    'err="[replace operation does not apply: doc is missing path: /spec/template/spec/containers/1/image: missing '
    'value, namespaces \\"karmada-es-member2\\" not found]" namespace="default" binding="api-deployment"',
]
JSON = [
    '{"ts":1795597477082.556,"caller":"controllermanager.go:182","msg":"Starting karmada-controller-manager","v":0,'
    '"version":"v1.18.2"}',
    '{"ts":1795618785221.582,"caller":"work.go:98","msg":"Failed to create/update work '
    'karmada-es-member0100/app-0020-584879dc6c. Error: namespaces \\"karmada-es-member0100\\" not found"}',
    '{"ts":1795618785221.726,"caller":"binding_controller.go:168","msg":"Failed to transform ResourceBinding to works",'
    '"err":"namespaces \\"karmada-es-member0100\\" not found","namespace":"shop","binding":"app-0020-deployment"}',
    '{"ts":1795618785221.812,"caller":"controller.go:316","msg":"Reconciler error","err":"namespaces '
    '\\"karmada-es-member0100\\" not found","controller":"binding-controller","controllerGroup":"work.karmada.io",'
    '"controllerKind":"ResourceBinding","ResourceBinding":"shop/app-0020-deployment","namespace":"shop",'
    '"name":"app-0020-deployment","reconcileID":"02376e4f-911f-4459-9ee5-ca98fb806436"}',
]
POD, CONTAINER = "karmada-controller-manager-5pfgv8vcz5-qlg9z", "karmada-controller-manager"


def scan(*groups, **kwargs):
    result = LogScan(now=NOW, **kwargs)
    for lines in groups:
        result.scan(iter(lines), POD, CONTAINER)
    result.add_pod(POD, [CONTAINER], result.lines)
    return result


def test_missing_namespace_lines_are_classified_with_binding_and_cluster():
    details = scan(STARTUP + MISSING_NS).details()
    assert details["lines_scanned"] == 7
    # the runbook's grep keeps the Work and binding lines, not the start and leader election lines
    assert details["lines_matched"] == 5
    # ctrlutil's "Failed to create/update work" repeats the binding controller's own error line
    assert details["errors"] == 2 and details["shared_work_write_lines"] == 1
    entry = details["by_cause"]["execution_namespace_missing"]
    assert entry["count"] == 2
    assert entry["bindings"] == ["default/api-deployment"]
    assert entry["clusters"] == ["member2"]
    # one sample per distinct error text, with how often it was seen
    assert [(s["text"], s["count"]) for s in entry["samples"]] == [('namespaces "karmada-es-member2" not found', 2)]
    assert entry["samples"][0]["pod"] == POD and entry["samples"][0]["time"] == "2026-11-25T14:59:05.918125Z"
    assert details["format"] == "text"
    assert details["rbac_lines"] == 0
    assert details["first_line_time"] == "2026-11-25T08:59:05.916357Z"
    assert details["last_line_time"] == "2026-11-25T14:59:05.918125Z"


def test_rbac_lines_are_counted_with_the_denied_user_and_namespace():
    result = scan(STARTUP + RBAC_DENIED)
    details = result.details()
    assert details["rbac_lines"] == 2
    assert details["by_cause"]["rbac_denied"]["count"] == 1
    rbac = result.rbac()
    assert rbac["users"] == ["system:karmada:karmada-controller-manager"]
    assert rbac["namespaces"] == ["karmada-es-member3"]
    assert rbac["lines"] == 2 and rbac["scanned"] is True
    assert all("is forbidden" in s["text"] for s in rbac["samples"])


def test_rbac_lines_outside_the_binding_grep_still_count():
    line = ('E1125 15:00:00.000001       1 leaderelection.go:436] error retrieving resource lock '
            'karmada-system/karmada-controller-manager: leases.coordination.k8s.io "karmada-controller-manager" is '
            'forbidden: User "system:karmada:karmada-controller-manager" cannot get resource "leases" in API group '
            '"coordination.k8s.io" in the namespace "karmada-system"')
    unauthorized = "E1125 15:00:01.000001       1 reflector.go:158] Unauthorized"
    result = scan([line, unauthorized])
    assert result.rbac_lines == 2
    assert result.rbac()["users"] == ["system:karmada:karmada-controller-manager"]
    # the leader election line is an error the step-3 grep keeps ("error"), Unauthorized is not
    assert result.matched == 1


def test_override_policy_lines_including_printf_errors():
    details = scan(OVERRIDE).details()
    entry = details["by_cause"]["override_policy_failure"]
    assert entry["count"] == 2
    assert entry["clusters"] == ["member1"]


def test_aggregated_err_counts_for_both_causes():
    details = scan(MIXED).details()
    assert set(details["by_cause"]) == {"override_policy_failure", "execution_namespace_missing"}
    assert details["errors"] == 1


def test_json_lines_and_mixed_formats():
    details = scan(JSON).details()
    assert details["format"] == "json"
    assert details["by_cause"]["execution_namespace_missing"]["count"] == 2
    assert details["by_cause"]["execution_namespace_missing"]["bindings"] == ["shop/app-0020-deployment"]
    assert details["by_cause"]["execution_namespace_missing"]["clusters"] == ["member0100"]
    assert scan(JSON, MISSING_NS).details()["format"] == "mixed"
    assert LogScan().format() == "none"


def test_unexplained_errors_are_counted_and_the_finding_warns():
    lines = ['E1125 15:00:00.000001       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
             'err="something new" namespace="default" binding="api-deployment"']
    details = scan(lines).details()
    assert details["unclassified"] == 1
    assert details["unclassified_samples"][0]["text"] == "something new"
    result = log_finding(details, "1 pod")
    assert result["status"] == "warn" and result["signals"] == []


def test_samples_are_bounded_but_counts_are_not():
    lines = ['E1125 15:00:%02d.000001       1 binding_controller.go:142] "Failed to transform ResourceBinding to works." '
             'err="namespaces \\"karmada-es-m%d\\" not found" ResourceBinding="default/app-%d"' % (i, i, i) for i in range(40)]
    details = scan(lines, max_samples=2).details()
    entry = details["by_cause"]["execution_namespace_missing"]
    assert entry["count"] == 40
    assert len(entry["samples"]) == 2
    assert len(entry["clusters"]) == 40


def test_lines_read_before_a_stream_breaks_still_count():
    def broken():
        yield from MISSING_NS
        raise OSError("connection reset by peer")

    result = LogScan(now=NOW)
    with pytest.raises(IOError):
        result.scan(broken(), POD, CONTAINER)
    assert result.lines == len(MISSING_NS)
    assert result.details()["by_cause"]["execution_namespace_missing"]["count"] == 2


def test_memory_stays_flat_over_many_lines():
    routine = ("I1125 14:00:00.000000       1 work.go:110] Work karmada-es-member01/app-%04d-7f8d9c6b5 is up to "
               "date.")

    def lines():
        for i in range(20000):
            yield routine % (i % 200)
            if i % 1000 == 0:
                yield MISSING_NS[2]

    result = LogScan(now=NOW)
    result.scan(lines(), POD, CONTAINER)
    details = result.details()
    assert details["lines_scanned"] == 20020
    assert details["by_cause"]["execution_namespace_missing"]["count"] == 20
    assert len(details["by_cause"]["execution_namespace_missing"]["samples"]) == 1


def test_finding_per_cause_signals():
    details = scan(MISSING_NS + RBAC_DENIED).details()
    result = log_finding(details, "2 pod(s)")
    assert result["id"] == "controller_logs" and result["runbook_step"] == 3
    assert result["status"] == "fail"
    assert sorted(s["cause"] for s in result["signals"]) == ["execution_namespace_missing", "rbac_denied"]
    assert all(s["strength"] == pytest.approx(0.6) for s in result["signals"])
    assert all(e["source"] == "log" for s in result["signals"] for e in s["evidence"])
    assert "forbidden/unauthorized/rbac" in result["summary"]


def test_quiet_log_is_ok():
    result = log_finding(scan(STARTUP).details(), "1 pod")
    assert result["status"] == "ok"
    assert result["signals"] == [] and result["evidence"] == []


# -- the check: options, observe (streaming into the scan), assess ---------------------------------

PODS = _karmada.pods_in("karmada-system")
SIDECAR = "istio-proxy"


def pod(name, *containers):
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": c} for c in containers]}}


def options(**params):
    return _logscan.options_from_params(params, now=NOW)


def pods_for(selector, pods):
    """A pod list that only answers ``selector``, as a label-selected list would."""
    return lambda query: pods if query.get("labelSelector") == selector else []


@pytest.mark.parametrize("params, option", [
    ({"namespace": ""}, "namespace"),
    ({"label_selectors": []}, "label_selectors"),
    ({"label_selectors": ["app=x", " "]}, "label_selectors"),
    ({"tail_lines": -1}, "tail_lines"),
    ({"max_samples": 0}, "max_samples"),
    ({"since": "yesterday"}, "since"),
])
def test_options_errors_name_the_option(params, option):
    with pytest.raises(InputError, match="^%s" % option):
        options(**params)


def test_options_default_to_the_controller_manager_of_a_standard_install():
    opts = options(since="2026-11-25T03:00:00Z")
    assert opts["namespace"] == "karmada-system"
    assert opts["label_selectors"] == list(_karmada.CONTROLLER_MANAGER_LABELS)
    assert opts["since"] == datetime.datetime(2026, 11, 25, 3, tzinfo=datetime.UTC)
    assert opts["container"] is None and opts["tail_lines"] is None and opts["now"] == NOW


def test_log_query_reads_the_last_hour_unless_told_otherwise():
    assert _logscan.log_query("c", None, None) == {"container": "c", "sinceSeconds": 3600}
    assert _logscan.log_query("c", NOW, 200) == {"container": "c", "sinceTime": "2026-11-25T15:30:00Z", "tailLines": 200}


def test_observe_uses_the_first_selector_that_matches_and_streams_every_container(fake_kube):
    operator = "app.kubernetes.io/name=karmada-controller-manager"
    client = fake_kube(
        lists={PODS: pods_for(operator, [pod("cm-b", CONTAINER), pod("cm-a", CONTAINER, SIDECAR)])},
        logs={_karmada.pod_log("karmada-system", "cm-a"): lambda query: MISSING_NS if query["container"] == CONTAINER else ["x"],
              _karmada.pod_log("karmada-system", "cm-b"): RBAC_DENIED})
    seen = _logscan.observe(client, options(tail_lines=50))
    assert seen["selector"] == operator and seen["pod_count"] == 2
    assert [(p["name"], p["containers"], p["lines"]) for p in seen["scan"]["pods"]] == [
        ("cm-a", [CONTAINER, SIDECAR], len(MISSING_NS) + 1), ("cm-b", [CONTAINER], len(RBAC_DENIED))]
    assert seen["read_errors"] == []
    # two pod lists (one per selector tried) and one stream per container
    assert seen["requests"] == 5
    assert [call[2] for call in client.calls if call[0] == "log"][0] == {"container": CONTAINER, "tailLines": 50}


def test_observe_keeps_scanning_when_one_container_cannot_be_read(fake_kube):
    client = fake_kube(
        lists={PODS: [pod("cm-a", CONTAINER), pod("cm-b", CONTAINER)]},
        logs={_karmada.pod_log("karmada-system", "cm-a"): CheckUnavailable("forbidden (403): no logs for you"),
              _karmada.pod_log("karmada-system", "cm-b"): MISSING_NS})
    seen = _logscan.observe(client, options())
    assert seen["read_errors"] == ["%s: forbidden (403): no logs for you" % CONTAINER]
    assert seen["scan"]["pods"][0]["error"] == seen["read_errors"][0]
    result = _logscan.assess(seen, options())
    assert result["status"] == "fail" and result["details"]["lines_scanned"] == len(MISSING_NS)


def observation(details, pod_count=1, read_errors=(), selector="app=karmada-controller-manager"):
    return {"selector": selector, "pod_count": pod_count, "scan": details, "read_errors": list(read_errors),
            "requests": 2}


def test_assess_rbac_denials_give_a_finding_and_the_rbac_summary():
    result = _logscan.assess(observation(scan(STARTUP + RBAC_DENIED).details()), options(since="2026-11-25T15:00:00Z"))
    assert result["status"] == "fail"
    assert [s["cause"] for s in result["signals"]] == ["rbac_denied"]
    assert result["summary"].startswith("In %d line(s) of 1 pod(s) matching app=karmada-controller-manager (text): "
                                        % len(STARTUP + RBAC_DENIED))
    assert "2 forbidden/unauthorized/rbac line(s)" in result["summary"]
    assert result["details"]["window"] == {"since": "2026-11-25T15:00:00Z", "tail_lines": None, "since_seconds": None}
    assert result["details"]["namespace"] == "karmada-system" and result["details"]["requests"] == 2
    rbac = _logscan.rbac_result(result)
    assert rbac["users"] == ["system:karmada:karmada-controller-manager"]
    assert rbac["namespaces"] == ["karmada-es-member3"] and rbac["scanned"] is True


def test_assess_without_window_options_says_it_read_the_last_hour():
    result = _logscan.assess(observation(scan(STARTUP).details()), options())
    assert result["status"] == "ok"
    assert result["details"]["window"] == {"since": None, "tail_lines": None, "since_seconds": 3600}


def test_assess_nothing_to_read_is_unknown_and_rbac_says_nothing_was_read():
    empty = LogScan(now=NOW).details()
    no_pods = _logscan.assess(observation(empty, pod_count=0, selector=None), options())
    assert no_pods["status"] == "unknown"
    assert "no pod in namespace karmada-system matches app=karmada-controller-manager or " in no_pods["error"]
    # Nothing read, and why: the rbac check repeats it when it has no other way to the controller's identity.
    assert _logscan.rbac_result(no_pods) == dict(_logscan.NOTHING_READ, error=no_pods["error"])

    no_container = _logscan.assess(observation(scan().details() | {"pods": [{"name": POD, "containers": [], "lines": 0}]}),
                                   options(container="manager"))
    assert no_container["error"] == "no pod matching app=karmada-controller-manager has a container named manager"

    unreadable = _logscan.assess(observation(empty, read_errors=["c: timeout: read timed out"]), options())
    assert unreadable["error"] == "could not read any controller-manager log: c: timeout: read timed out"


def test_check_is_assess_of_observe(fake_kube):
    client = fake_kube(lists={PODS: [pod("cm-a", CONTAINER)]}, logs={_karmada.pod_log("karmada-system", "cm-a"): MISSING_NS})
    result = _logscan.check(client, options())
    assert [s["cause"] for s in result["signals"]] == ["execution_namespace_missing"]


# -- multi-line values, message-level causes, FederatedResourceQuota lines -------------------------------

MULTILINE_WEBHOOK = [
    'E1125 14:59:30.100000       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" err=<',
    '\tInternal error occurred: failed calling webhook "work.karmada.io": failed to call webhook: Post',
    '\t"https://karmada-webhook.karmada-system.svc:443/mutate-work?timeout=3s": context deadline exceeded',
    ' > namespace="default" binding="api-deployment"',
]


def test_multiline_err_is_classified_whole_and_lines_are_counted_physically():
    details = scan(STARTUP + MULTILINE_WEBHOOK).details()
    assert details["lines_scanned"] == 7
    assert details["errors"] == 1 and details["unclassified"] == 0
    entry = details["by_cause"]["work_webhook_unavailable"]
    assert entry["count"] == 1 and entry["bindings"] == ["default/api-deployment"]
    assert entry["samples"][0]["text"].endswith("context deadline exceeded")
    assert details["last_line_time"] == "2026-11-25T14:59:30.100000Z"


@pytest.mark.parametrize("line, cause", [
    # overridemanager.go applyNamespacedOverrides (printf): the policy is named in the message only
    ("E1125 15:00:00.000001       1 overridemanager.go:191] Failed to apply overrides(default/nginx-tuning) for "
     "resource(default/nginx), error: an overrider error nobody has seen", "override_policy_failure"),
    # common.go ensureWork (structured): the message says what failed, err is the interpreter's own text
    ('E1125 15:00:00.000001       1 common.go:90] "Failed to revise replica for workload in cluster." '
     'err="lua script error" workloadKind="Deployment" cluster="member1"', "invalid_resource_template"),
    # overridemanager.go ApplyOverridePolicies (printf, JSON format)
    ('{"ts":1795618785221.5,"caller":"overridemanager.go:98","msg":"Failed to get member cluster: member9, error: '
     'an unexpected failure"}', "target_cluster_missing"),
])
def test_the_message_names_the_cause_when_err_does_not(line, cause):
    details = scan([line]).details()
    assert set(details["by_cause"]) == {cause}
    assert details["by_cause"][cause]["count"] == 1
    assert details["unclassified"] == 0


def test_err_and_message_naming_the_same_cause_count_the_line_once():
    details = scan(OVERRIDE).details()
    assert details["by_cause"]["override_policy_failure"]["count"] == 2


QUOTA_LINES = [
    'E1125 14:59:40.000001       1 federated_resource_quota_sync_controller.go:93] "Failed to build works for '
    'federatedResourceQuota" err="namespaces \\"karmada-es-member2\\" not found" namespacedName="default/quota"',
    'E1125 14:59:40.000002       1 federated_resource_quota_sync_controller.go:192] "Failed to list works" err="boom"',
    '{"ts":1795618785221.5,"caller":"federatedresourcequota/federated_resource_quota_status_controller.go:85",'
    '"msg":"Failed to collect status from works to federatedResourceQuota","err":"something new",'
    '"federatedResourceQuota":"default/quota"}',
]


def test_federated_resource_quota_lines_are_not_binding_failures():
    details = scan(QUOTA_LINES + MISSING_NS).details()
    assert details["excluded_federated_resource_quota"] == 3
    assert details["errors"] == 2  # the binding controller's own lines of MISSING_NS only
    assert details["by_cause"]["execution_namespace_missing"]["count"] == 2
    assert details["unclassified"] == 0
    assert scan(QUOTA_LINES).details()["by_cause"] == {}
    assert log_finding(scan(QUOTA_LINES).details(), "1 pod")["status"] == "ok"


@pytest.mark.parametrize("parsed, causes", [
    # common.go:90 (v1.18.2) logs the interpreter's error in err: the interpreter failed, not the template.
    ({"message": "Failed to revise replica for workload in cluster.",
      "err": 'Internal error occurred: failed calling webhook "workload-interpreter/workloads.interpreter.example.com": '
             'failed to call webhook: Post "https://workload-interpreter.karmada-system.svc:443/x": connection refused'},
     ["resource_interpreter_failure"]),
    # printf lines carry everything in the message.
    ({"message": "Failed to get member cluster: member3, error: not found", "err": None}, ["target_cluster_missing"]),
    ({"message": "Sync work of ResourceBinding(default/nginx-deployment) successful.", "err": None}, []),
])
def test_err_names_the_cause_and_the_message_only_when_err_does_not(parsed, causes):
    assert [cause for cause, _details, _part in _logscan.line_causes(parsed)] == causes


def test_a_quota_controllers_work_write_is_not_a_binding_failure():
    # federated_resource_quota_sync_controller.go (v1.18.2) writes through ctrlutil, whose line does not say
    # whose Work it is; then controller-runtime's Reconciler error names the quota by its kind.
    lines = [
        'E1125 15:00:01.000001       1 work.go:99] Failed to create/update work karmada-es-member1/q-5d8f. Error: '
        'Operation cannot be fulfilled on works.work.karmada.io "q-5d8f": the object has been modified; please '
        'apply your changes to the latest version and try again',
        'E1125 15:00:01.000002       1 controller.go:316] "Reconciler error" err="Operation cannot be fulfilled on '
        'works.work.karmada.io \\"q-5d8f\\": the object has been modified" controller="federated-resource-quota-sync-'
        'controller" controllerGroup="policy.karmada.io" controllerKind="FederatedResourceQuota" '
        'FederatedResourceQuota="default/q" namespace="default" name="q" reconcileID="1"',
    ]
    details = scan(lines).details()
    assert details["errors"] == 0 and details["by_cause"] == {}
    assert details["excluded_federated_resource_quota"] == 1 and details["shared_work_write_lines"] == 1
