# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""klog parsing against real controller-manager lines.

Lines marked "emulator" were copied from ``kubectl logs -n karmada-system -l
app=karmada-controller-manager`` of the emulator's scenarios (text format, and JSON for ``large`` and
a custom scenario with a missing Cluster); the ``<= v1.14`` lines follow the printf formats of
karmada-facts.md §1.3.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._klog import (
    CUT_MARK,
    MultilineJoiner,
    binding_of,
    clusters_of,
    error_text,
    go_unquote,
    is_binding_related,
    is_error,
    is_quota_line,
    klog_time,
    parse_line,
    printf_error,
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

# emulator: missing-namespaces (text)
TEXT_TRANSFORM = ('E1125 14:57:59.923951       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
                  'err="namespaces \\"karmada-es-member2\\" not found" namespace="default" binding="api-deployment"')
TEXT_RECONCILER = ('E1125 14:57:59.924049       1 controller.go:316] "Reconciler error" err="namespaces \\"karmada-es-'
                   'member2\\" not found" controller="binding-controller" controllerGroup="work.karmada.io" '
                   'controllerKind="ResourceBinding" ResourceBinding="default/api-deployment" namespace="default" '
                   'name="api-deployment" reconcileID="4ef729e4-6c4f-4b79-880d-b33ddcfb9fd1"')
TEXT_WORK_PRINTF = ('E1125 14:57:59.923751       1 work.go:98] Failed to create/update work karmada-es-member2/'
                    'api-77b9dc7f49. Error: namespaces "karmada-es-member2" not found')
TEXT_UP_TO_DATE = "I1125 14:57:59.923659       1 work.go:110] Work karmada-es-member1/api-77b9dc7f49 is up to date."
TEXT_WORKERS = ('I1125 08:57:59.922824       1 controller.go:255] "Starting workers" controller="cluster-controller" '
                'controllerGroup="cluster.karmada.io" controllerKind="Cluster" worker count=5')
TEXT_LEASE = ("I1125 08:57:59.923258       1 leaderelection.go:257] attempting to acquire leader lease karmada-system/"
              "karmada-controller-manager...")
# emulator: mixed (aggregated err) and override-policy-broken (printf override lines)
TEXT_MIXED = ('E1125 14:57:59.153439       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
              'err="[replace operation does not apply: doc is missing path: /spec/template/spec/containers/1/image: '
              'missing value, namespaces \\"karmada-es-member2\\" not found]" namespace="default" binding="api-deployment"')
TEXT_OVERRIDE_PRINTF = ("E1125 14:58:00.020992       1 overridemanager.go:176] Failed to apply overrides(default/nginx-"
                        "tuning) for resource(default/nginx), error: replace operation does not apply: doc is missing "
                        "path: /spec/template/spec/containers/0/resources/limits/cpu: missing value")
TEXT_OVERRIDE_STRUCTURED = ('E1125 14:58:00.021049       1 common.go:132] "Failed to apply overrides for workload in '
                            'cluster." err="replace operation does not apply: doc is missing path: /spec/template/spec/'
                            'containers/0/resources/limits/cpu: missing value" workloadKind="Deployment" '
                            'workloadNamespace="default" workloadName="nginx" cluster="member1"')
# emulator: rbac-denied
TEXT_RBAC = ('E1125 14:57:59.837688       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" '
             'err="works.work.karmada.io \\"api-77b9dc7f49\\" is forbidden: User \\"system:karmada:karmada-controller-'
             'manager\\" cannot create resource \\"works\\" in API group \\"work.karmada.io\\" in the namespace '
             '\\"karmada-es-member3\\"" namespace="default" binding="api-deployment"')
# <= v1.14 printf wording (facts §1.3)
OLD_TRANSFORM = ("E0310 09:12:44.120337       1 binding_controller.go:121] Failed to transform resourceBinding(default/"
                 'nginx-deployment) to works. Error: namespaces "karmada-es-member2" not found.')
OLD_CRB = ("E0310 09:12:44.220337       1 cluster_resource_binding_controller.go:117] Failed to transform "
           'clusterResourceBinding(config-reader-clusterrole) to works. Error: clusters.cluster.karmada.io "member9" '
           "not found.")
OLD_OVERRIDE = ("E0310 09:12:44.320337       1 common.go:96] Failed to apply overrides for Deployment/default/nginx in "
                "cluster member1, err is: replace operation does not apply: doc is missing key: /spec/replicas: "
                "missing value")
OLD_SUCCESS = ("I0310 09:12:45.000001       1 binding_controller.go:140] Sync work of resourceBinding(default/nginx-"
               "deployment) successful.")
# emulator: large (JSON) and a custom scenario with a missing Cluster (JSON, read with --timestamps)
JSON_TRANSFORM = ('{"ts":1795618681492.295,"caller":"binding_controller.go:168","msg":"Failed to transform '
                  'ResourceBinding to works","err":"namespaces \\"karmada-es-member0100\\" not found","namespace":'
                  '"default","binding":"app-0020-deployment"}')
JSON_WORK_PRINTF = ('{"ts":1795618681492.145,"caller":"work.go:98","msg":"Failed to create/update work karmada-es-'
                    'member0100/app-0020-584879dc6c. Error: namespaces \\"karmada-es-member0100\\" not found"}')
JSON_INFO = ('{"ts":1795597081449.552,"caller":"controller.go:246","msg":"Starting Controller","v":0,"controller":'
             '"cluster-controller","controllerGroup":"cluster.karmada.io","controllerKind":"Cluster"}')
JSON_CRB_STAMPED = ('2026-11-25T15:00:15.887509000Z {"ts":1795618815887.5,"caller":"cluster_resource_binding_controller.'
                    'go:152","msg":"Failed to transform ClusterResourceBinding to works.","err":"clusters.cluster.'
                    'karmada.io \\"member9\\" not found","ClusterResourceBinding":"config-reader-clusterrole"}')
# facts §1.3 JSON example
JSON_FACTS = ('{"ts":1764082000123.456,"caller":"binding_controller.go:168","msg":"Failed to transform ResourceBinding '
              'to works","err":"namespaces \\"karmada-es-member2\\" not found","namespace":"default","binding":"x"}')
# emulator: missing-namespaces read with kubectl logs --timestamps --prefix
STAMPED_PREFIXED = ("[pod/karmada-controller-manager-5pfgv8vcz5-94hw2/karmada-controller-manager] 2026-11-25T15:00:15."
                    '993300000Z E1125 15:00:15.993266       1 binding_controller.go:168] "Failed to transform '
                    'ResourceBinding to works" err="namespaces \\"karmada-es-member2\\" not found" namespace="default" '
                    'binding="nginx-deployment"')


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_text_structured_error(causes_in):
    parsed = parse_line(TEXT_TRANSFORM, NOW)
    assert parsed == {
        "format": "text", "severity": "E", "time": _utc(2026, 11, 25, 14, 57, 59, 923951),
        "source": "binding_controller.go:168", "message": "Failed to transform ResourceBinding to works",
        "err": 'namespaces "karmada-es-member2" not found',
        "fields": {"namespace": "default", "binding": "api-deployment"}, "raw": TEXT_TRANSFORM}
    assert binding_of(parsed) == "default/api-deployment"
    assert clusters_of(parsed) == ["member2"]
    assert causes_in(error_text(parsed)) == ["execution_namespace_missing"]


def test_text_reconciler_error_keeps_every_key():
    parsed = parse_line(TEXT_RECONCILER, NOW)
    assert parsed["message"] == "Reconciler error"
    assert parsed["err"] == 'namespaces "karmada-es-member2" not found'
    assert parsed["fields"] == {
        "controller": "binding-controller", "controllerGroup": "work.karmada.io", "controllerKind": "ResourceBinding",
        "ResourceBinding": "default/api-deployment", "namespace": "default", "name": "api-deployment",
        "reconcileID": "4ef729e4-6c4f-4b79-880d-b33ddcfb9fd1"}
    assert binding_of(parsed) == "default/api-deployment"


def test_text_printf_error_extracts_the_error():
    parsed = parse_line(TEXT_WORK_PRINTF, NOW)
    assert parsed["format"] == "text"
    assert parsed["severity"] == "E"
    assert parsed["source"] == "work.go:98"
    assert parsed["message"].startswith("Failed to create/update work karmada-es-member2/api-77b9dc7f49.")
    assert parsed["err"] == 'namespaces "karmada-es-member2" not found'
    assert parsed["fields"] == {}
    assert clusters_of(parsed) == ["member2"]


def test_text_info_printf_line_has_no_error():
    parsed = parse_line(TEXT_UP_TO_DATE, NOW)
    assert (parsed["severity"], parsed["err"], parsed["fields"]) == ("I", None, {})
    assert parsed["message"] == "Work karmada-es-member1/api-77b9dc7f49 is up to date."
    assert not is_error(parsed)
    assert error_text(parsed) == parsed["message"]


def test_text_key_with_a_space():
    parsed = parse_line(TEXT_WORKERS, NOW)
    assert parsed["fields"] == {"controller": "cluster-controller", "controllerGroup": "cluster.karmada.io",
                                "controllerKind": "Cluster", "worker count": "5"}


def test_text_aggregated_error_from_mixed(causes_in):
    parsed = parse_line(TEXT_MIXED, NOW)
    assert parsed["err"].startswith("[replace operation does not apply")
    assert causes_in(error_text(parsed)) == ["override_policy_failure", "execution_namespace_missing"]
    assert clusters_of(parsed) == ["member2"]


def test_override_lines_printf_and_structured(causes_in):
    printf = parse_line(TEXT_OVERRIDE_PRINTF, NOW)
    assert printf["err"] == ("replace operation does not apply: doc is missing path: "
                             "/spec/template/spec/containers/0/resources/limits/cpu: missing value")
    structured = parse_line(TEXT_OVERRIDE_STRUCTURED, NOW)
    assert structured["err"] == printf["err"]
    assert structured["fields"]["cluster"] == "member1"
    assert clusters_of(structured) == ["member1"]
    assert causes_in(error_text(printf)) == causes_in(error_text(structured)) == ["override_policy_failure"]


def test_rbac_line_unescapes_the_quoted_error(causes_in):
    parsed = parse_line(TEXT_RBAC, NOW)
    assert parsed["err"] == ('works.work.karmada.io "api-77b9dc7f49" is forbidden: User "system:karmada:karmada-'
                             'controller-manager" cannot create resource "works" in API group "work.karmada.io" in '
                             'the namespace "karmada-es-member3"')
    assert causes_in(error_text(parsed)) == ["rbac_denied"]
    assert clusters_of(parsed) == ["member3"]


@pytest.mark.parametrize("line, err, binding, cause", [
    (OLD_TRANSFORM, 'namespaces "karmada-es-member2" not found', "default/nginx-deployment",
     "execution_namespace_missing"),
    (OLD_CRB, 'clusters.cluster.karmada.io "member9" not found', "config-reader-clusterrole", "target_cluster_missing"),
    (OLD_OVERRIDE, "replace operation does not apply: doc is missing key: /spec/replicas: missing value", None,
     "override_policy_failure"),
])
def test_older_printf_wording(line, err, binding, cause, causes_in):
    parsed = parse_line(line, NOW)
    assert parsed["format"] == "text"
    assert parsed["severity"] == "E"
    assert parsed["time"] == _utc(2026, 3, 10, 9, 12, 44, int(line[15:21]))
    assert parsed["err"] == err  # the trailing "." of "Error: %v." is not part of the error
    assert binding_of(parsed) == binding
    assert causes_in(error_text(parsed)) == [cause]


def test_older_success_line_names_its_binding():
    parsed = parse_line(OLD_SUCCESS, NOW)
    assert parsed["err"] is None
    assert binding_of(parsed) == "default/nginx-deployment"


def test_json_error_line():
    parsed = parse_line(JSON_TRANSFORM, NOW)
    assert parsed["format"] == "json"
    assert parsed["severity"] == "E"
    assert parsed["time"] == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1795618681492.295)
    assert parsed["source"] == "binding_controller.go:168"
    assert parsed["message"] == "Failed to transform ResourceBinding to works"
    assert parsed["err"] == 'namespaces "karmada-es-member0100" not found'
    assert parsed["fields"] == {"namespace": "default", "binding": "app-0020-deployment"}
    assert binding_of(parsed) == "default/app-0020-deployment"
    assert clusters_of(parsed) == ["member0100"]


def test_json_facts_example_time():
    parsed = parse_line(JSON_FACTS, NOW)
    assert parsed["time"] == _utc(2025, 11, 25, 14, 46, 40, 123456)
    assert binding_of(parsed) == "default/x"


def test_json_printf_error_has_no_err_key_but_an_error():
    parsed = parse_line(JSON_WORK_PRINTF, NOW)
    assert parsed["severity"] == "E"
    assert parsed["err"] == 'namespaces "karmada-es-member0100" not found'
    assert parsed["fields"] == {}


def test_json_info_line_is_info_with_its_verbosity():
    parsed = parse_line(JSON_INFO, NOW)
    assert parsed["severity"] == "I"
    assert parsed["err"] is None
    assert parsed["fields"] == {"v": 0, "controller": "cluster-controller", "controllerGroup": "cluster.karmada.io",
                                "controllerKind": "Cluster"}
    assert not is_error(parsed)


def test_json_with_kubectl_timestamp_uses_the_records_own_time(causes_in):
    parsed = parse_line(JSON_CRB_STAMPED, NOW)
    assert parsed["format"] == "json"
    assert parsed["raw"] == JSON_CRB_STAMPED
    assert parsed["time"] == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1795618815887.5)
    assert binding_of(parsed) == "config-reader-clusterrole"
    assert causes_in(error_text(parsed)) == ["target_cluster_missing"]


def test_json_without_a_usable_ts_falls_back_to_the_kubectl_time():
    stamped = parse_line('2026-11-25T15:00:15.5Z {"msg":"x","ts":NaN,"v":2}', NOW)
    assert (stamped["format"], stamped["severity"]) == ("json", "I")
    assert stamped["time"] == _utc(2026, 11, 25, 15, 0, 15, 500000)
    assert parse_line('{"msg":"x","ts":"yesterday"}', NOW)["time"] is None


def test_text_with_kubectl_timestamp_and_prefix():
    parsed = parse_line(STAMPED_PREFIXED, NOW)
    assert parsed["format"] == "text"
    assert parsed["time"] == _utc(2026, 11, 25, 15, 0, 15, 993266)
    assert parsed["raw"] == STAMPED_PREFIXED
    assert binding_of(parsed) == "default/nginx-deployment"


def test_kubectl_timestamp_decides_the_year_over_now():
    line = "2027-01-01T00:00:00.250000000Z E1231 23:59:59.900000       1 work.go:98] Failed. Error: boom"
    parsed = parse_line(line, datetime(2030, 6, 1, tzinfo=UTC))
    assert parsed["time"] == _utc(2026, 12, 31, 23, 59, 59, 900000)
    assert parsed["err"] == "boom"


@pytest.mark.parametrize("line", [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "goroutine 1 [running]:",
    "\t/go/src/github.com/karmada-io/karmada/pkg/controllers/binding/binding_controller.go:168 +0x1d",
    "{not json at all",
    '{"level":"info","message":"no msg key here"}',
    "E11 bad header",
    "",
])
def test_anything_else_is_raw(line):
    parsed = parse_line(line, NOW)
    assert parsed["format"] == "raw"
    assert parsed["severity"] is None
    assert parsed["time"] is None
    assert parsed["err"] is None
    assert parsed["fields"] == {}
    assert parsed["message"] == line
    assert not is_error(parsed)


def test_raw_line_keeps_the_kubectl_time():
    parsed = parse_line("2026-11-25T14:00:00.5+01:00 Flag --foo has been deprecated\r\n", NOW)
    assert parsed["format"] == "raw"
    assert parsed["time"] == _utc(2026, 11, 25, 13, 0, 0, 500000)
    assert parsed["message"] == "Flag --foo has been deprecated"
    assert parsed["raw"] == "2026-11-25T14:00:00.5+01:00 Flag --foo has been deprecated"


@pytest.mark.parametrize("now, header, expected", [
    (_utc(2027, 1, 1, 0, 5), (12, 31, 23, 59, 58, 0), _utc(2026, 12, 31, 23, 59, 58)),
    (_utc(2026, 12, 31, 23, 59, 59), (1, 1, 0, 0, 1, 0), _utc(2027, 1, 1, 0, 0, 1)),
    (_utc(2026, 11, 25, 15, 0), (11, 25, 14, 57, 59, 923951), _utc(2026, 11, 25, 14, 57, 59, 923951)),
    (_utc(2026, 11, 25, 15, 0), (11, 26, 14, 0, 0, 0), _utc(2026, 11, 26, 14, 0)),  # clock skew within a day
    (_utc(2026, 11, 25, 15, 0), (11, 27, 14, 0, 0, 0), _utc(2025, 11, 27, 14, 0)),
    (_utc(2025, 3, 1, 12, 0), (2, 29, 10, 0, 0, 0), _utc(2024, 2, 29, 10, 0)),
    (datetime(2026, 1, 1, 0, 10), (12, 31, 23, 0, 0, 0), _utc(2025, 12, 31, 23, 0)),  # naive now is UTC
])
def test_year_is_taken_from_now_with_new_year_wrap(now, header, expected):
    assert klog_time(*header, now=now) == expected


def test_year_wrap_through_parse_line():
    parsed = parse_line("E1231 23:59:58.000001       1 work.go:98] x. Error: y", _utc(2027, 1, 1, 0, 5))
    assert parsed["time"] == _utc(2026, 12, 31, 23, 59, 58, 1)


def test_garbled_header_date_gives_no_time():
    assert klog_time(13, 40, 0, 0, 0, 0, now=NOW) is None
    assert parse_line("E1340 10:00:00.000000       1 a.go:1] x", NOW)["time"] is None


def test_default_now_is_the_current_year():
    parsed = parse_line(TEXT_UP_TO_DATE)
    assert parsed["time"] is not None
    assert abs(parsed["time"].year - datetime.now(UTC).year) <= 1


def test_go_unquote():
    assert go_unquote(r'a \"b\" \\ c\n\td') == 'a "b" \\ c\n\td'
    assert go_unquote(r"\x41\u00e9\U0001F600\101") == "A\u00e9\U0001F600A"
    assert go_unquote("plain") == "plain"
    assert go_unquote(r"\UFFFFFFFF") == r"\UFFFFFFFF"  # beyond Unicode: kept as written


@pytest.mark.parametrize("message, err", [
    ("Failed to create/update work ns/w. Error: namespaces \"x\" not found", 'namespaces "x" not found'),
    ("Failed to apply namespaced override policies. error: bad path", "bad path"),
    ("Failed to get member cluster: member9, error: clusters.cluster.karmada.io \"member9\" not found",
     'clusters.cluster.karmada.io "member9" not found'),
    ("Failed to apply overrides for a/b/c in cluster m, err is: x", "x"),
    # the first wrapper wins: the error itself may say "error: " again
    ("Failed to apply cluster overrides(p) for resource(a/b), error: failed to obtain imageValue with predicate "
     "path(/x), error: nope", "failed to obtain imageValue with predicate path(/x), error: nope"),
    ("Work karmada-es-member1/api is up to date.", None),
    ("Failed to transform. Error: ", None),
])
def test_printf_error(message, err):
    assert printf_error(message) == err


@pytest.mark.parametrize("line, expected", [
    (TEXT_TRANSFORM, True),
    (TEXT_UP_TO_DATE, True),
    (TEXT_WORKERS, True),  # grep -i 'work' matches "workers" too; the runbook's filter is kept as is
    (TEXT_LEASE, False),
    ('I1125 08:57:59.923242       1 controllermanager.go:182] "Starting karmada-controller-manager" version="v1.18.2"',
     False),
    ("E1125 10:00:00.000000       1 x.go:1] something FAILED", True),
    ("plain ERROR text", True),
])
def test_is_binding_related_mirrors_the_runbook_grep(line, expected):
    assert is_binding_related(parse_line(line, NOW)) is expected
    assert is_binding_related(line) is expected


def test_is_error():
    assert is_error(parse_line(TEXT_TRANSFORM, NOW))
    assert is_error(parse_line(JSON_WORK_PRINTF, NOW))
    assert is_error({"severity": "I", "err": "boom"})
    assert is_error({"severity": "F"})
    assert not is_error({"severity": "W"})


def test_error_text_prefers_err():
    assert error_text({"err": "e", "message": "m"}) == "e"
    assert error_text({"err": None, "message": "m"}) == "m"
    assert error_text({}) == ""


def test_binding_of_cluster_scoped_and_unknown():
    assert binding_of({"fields": {"ClusterResourceBinding": "config-reader-clusterrole"}}) == "config-reader-clusterrole"
    assert binding_of({"fields": {"binding": "nginx-deployment"}}) == "nginx-deployment"
    assert binding_of({"fields": {"binding": "default/nginx-deployment", "namespace": "default"}}) == \
        "default/nginx-deployment"
    assert binding_of({"message": "nothing here"}) is None
    assert binding_of({}) is None


def test_clusters_of_collects_every_execution_space():
    parsed = {"message": "m", "err": '[namespaces "karmada-es-b" not found, namespaces "karmada-es-a" not found]',
              "fields": {"cluster": "c"}}
    assert clusters_of(parsed) == ["a", "b", "c"]
    assert clusters_of({}) == []


def test_hostile_lines_stay_linear():
    head = 'E1125 00:00:00.000000       1 x.go:1] "m" '
    lines = [head + "k k k k " * 20000 + "=", head + "k" * 200000, head + 'k="' + "a b " * 50000,
             head + 'a=" ' * 30000, head + 'x="karmada-es-a' + "-" * 100000 + '"']
    started = time.process_time()
    for line in lines:
        assert parse_line(line, NOW)["format"] == "text"
    # Quadratic behaviour on any of these takes minutes; linear takes milliseconds.
    assert time.process_time() - started < 5


# -- multi-line values (k8s.io/klog/v2 v2.130.1 internal/serialize/keyvalues.go writeStringValue) ---------
# A value with a line break is written "key=<", then each of its lines after a tab, then " >" and the
# remaining pairs; the klog test (keyvalues_test.go) shows the same shape.
WEBHOOK_ERR = ('Internal error occurred: failed calling webhook "work.karmada.io": failed to call webhook: '
               'Post "https://karmada-webhook.karmada-system.svc:443/mutate-work?timeout=3s": context deadline exceeded')
MULTILINE = [
    'E1125 14:59:05.918016       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" err=<',
    "\t[" + WEBHOOK_ERR + ",",
    '\t\tsecond line, "quoted" and = signs',
    "\t]",
    ' > namespace="default" binding="api-deployment"',
]


def join(lines, **kwargs):
    joiner = MultilineJoiner(**kwargs)
    return list(joiner.records(iter(lines))), joiner.lines


def test_multiline_err_is_rejoined_and_parsed_whole(causes_in):
    records, count = join(MULTILINE + ["I1125 14:59:06.000000       1 work.go:110] Work a/b is up to date."])
    assert count == 6 and len(records) == 2
    parsed = parse_line(records[0], NOW)
    assert parsed["err"] == "[" + WEBHOOK_ERR + ',\n\tsecond line, "quoted" and = signs\n]'
    assert parsed["fields"] == {"namespace": "default", "binding": "api-deployment"}
    assert binding_of(parsed) == "default/api-deployment"
    assert "work_webhook_unavailable" in causes_in(error_text(parsed))


def test_multiline_with_kubectl_timestamps_and_prefix_on_every_line():
    prefix = "[pod/karmada-controller-manager-5pfgv/karmada-controller-manager] 2026-11-25T14:59:05.918016123Z "
    records, count = join([prefix + line for line in MULTILINE])
    assert count == 5 and len(records) == 1
    parsed = parse_line(records[0], NOW)
    assert parsed["err"].startswith("[Internal error occurred") and parsed["err"].endswith("\n]")
    assert parsed["fields"]["binding"] == "api-deployment"


def test_two_multiline_values_in_one_record():
    lines = ['E1125 14:59:05.918016       1 x.go:1] "Failed" err=<', "\tone", "\ttwo", " > detail=<", "\tthree",
             ' > k="v"']
    records, _count = join(lines)
    parsed = parse_line(records[0], NOW)
    assert parsed["err"] == "one\ntwo"
    assert parsed["fields"] == {"detail": "three", "k": "v"}


def test_unterminated_multiline_value_ends_at_the_next_record():
    lines = MULTILINE[:3] + ['E1125 14:59:07.000000       1 x.go:1] "Next" err="plain"']
    records, count = join(lines)
    assert count == 4 and len(records) == 2
    assert parse_line(records[0], NOW)["err"].endswith('"quoted" and = signs')
    assert parse_line(records[1], NOW)["err"] == "plain"


def test_multiline_value_is_bounded():
    lines = [MULTILINE[0]] + ["\t" + "x" * 100] * 10000 + [" >"]
    records, count = join(lines, max_chars=1000)
    assert count == 10002 and len(records) == 1
    assert len(records[0]) < 1300
    assert parse_line(records[0], NOW)["err"].endswith(CUT_MARK)


def test_joiner_counts_lines_read_before_a_stream_breaks():
    def broken():
        yield from MULTILINE[:3]
        raise OSError("connection reset by peer")

    joiner = MultilineJoiner()
    with pytest.raises(OSError):
        list(joiner.records(broken()))
    assert joiner.lines == 3


def test_single_lines_pass_through_unchanged():
    lines = ['E1125 14:59:05.918016       1 x.go:1] "Failed" err="a=<"', "\tnot a continuation", "{}"]
    assert join(lines) == (lines, 3)


@pytest.mark.parametrize("line, expected", [
    ('E1125 14:59:05.918016       1 federated_resource_quota_sync_controller.go:93] "Failed to build works for '
     'federatedResourceQuota" err="x" namespacedName="default/quota"', True),
    ('E1125 14:59:05.918016       1 federated_resource_quota_sync_controller.go:192] "Failed to list works" err="x"', True),
    ('{"ts":1795618785221.5,"caller":"federatedresourcequota/federated_resource_quota_status_controller.go:85",'
     '"msg":"Failed to collect status from works to federatedResourceQuota","err":"x"}', True),
    ('{"ts":1795618785221.5,"caller":"controller.go:316","msg":"Reconciler error","err":"x",'
     '"federatedResourceQuota":"default/quota"}', True),
    ('E1125 14:59:05.918016       1 binding_controller.go:168] "Failed to transform ResourceBinding to works" err="x"',
     False),
])
def test_is_quota_line(line, expected):
    assert is_quota_line(parse_line(line, NOW)) is expected
