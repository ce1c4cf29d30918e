"""Least privilege: the RBAC manifests in deploy/rbac are enough for diagnose, audit and mitigate, and each
read permission in them is used by a check that says so when it is missing.

One emulator (missing-namespaces: something for mitigate to fix) started with two ServiceAccount
identities; the manifests are applied as admin. The emulator authorizes every request of those identities
by the stored (Cluster)Roles and bindings and refuses RBAC writes that would escalate, answering 403 as
kube-apiserver does. The playbooks run with those identities' kubeconfig contexts. Diagnose and audit run
without Prometheus (its checks read no Kubernetes API, so RBAC cannot change them, and the runs are twice as
fast); mitigate has it, to verify recovery.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess

import pytest
import yaml
from conftest import REPO_ROOT, VENV_BIN, EmulatorHandle

pytestmark = pytest.mark.emulator

HAVE_PROMETHEUS = os.path.exists("/usr/bin/prometheus")
RBAC_DIR = os.path.join(REPO_ROOT, "deploy", "rbac")
MANIFESTS = {"karmada_apiserver": ["karmada-apiserver-reader.yaml", "karmada-apiserver-mitigator.yaml"],
             "host": ["karmada-host-reader.yaml", "karmada-host-mitigator.yaml"]}
READER = "karmada-system/karmada-runbooks-reader"
MITIGATOR = "karmada-system/karmada-runbooks-mitigator"
SERVER_NAMES = {"karmada_apiserver": "karmada-apiserver", "host": "karmada-host"}
RBAC_V1 = "/apis/rbac.authorization.k8s.io/v1"
READER_ROLES = {("karmada_apiserver", "ClusterRole"): f"{RBAC_V1}/clusterroles/karmada-runbooks:reader",
                ("karmada_apiserver", "Role"): f"{RBAC_V1}/namespaces/karmada-system/roles/karmada-runbooks:reader",
                ("host", "Role"): f"{RBAC_V1}/namespaces/karmada-system/roles/karmada-runbooks:reader"}
MITIGATOR_ROLE = f"{RBAC_V1}/clusterroles/karmada-runbooks:mitigator"
# The controller-manager's identity as standard installs have it (a system:masters certificate), given so
# that the rbac check sends its SubjectAccessReviews (unknown, it only reads the logs).
CONTROLLER = ("-e", json.dumps({"karmada_controller_user": "system:karmada:karmada-controller-manager",
                                "karmada_controller_groups": ["system:masters"]}))
FAST_VERIFY = ("-e", "karmada_verify_metric_range=15", "-e", "karmada_verify_interval=2",
               "-e", "karmada_verify_timeout=120")


def collection_path(obj):
    """Where to POST a manifest object (the kinds deploy/rbac ships)."""
    namespace = obj["metadata"].get("namespace")
    plural = {"ServiceAccount": "serviceaccounts", "ClusterRole": "clusterroles", "Role": "roles",
              "ClusterRoleBinding": "clusterrolebindings", "RoleBinding": "rolebindings"}[obj["kind"]]
    prefix = "/api/v1" if obj["kind"] == "ServiceAccount" else RBAC_V1
    return f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"


def manifest_objects(server):
    """The objects of the server's manifests, each a v1 List (one YAML document per file), as kubectl applies them."""
    for name in MANIFESTS[server]:
        with open(os.path.join(RBAC_DIR, name), encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        assert document["kind"] == "List", name
        yield from document["items"]


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    handle = EmulatorHandle(tmp_path_factory.mktemp("emulator"), "missing-namespaces")
    handle.up("--service-account", READER, "--service-account", MITIGATOR, *(("--prometheus",) if HAVE_PROMETHEUS else ()))
    try:
        for server in MANIFESTS:
            for obj in manifest_objects(server):
                response = handle.raw("POST", collection_path(obj), server=server, body=obj)
                assert response.status == 201, (obj["kind"], obj["metadata"]["name"], response.body[:300])
        yield handle
    finally:
        handle.down()


def play(handle, name, report_dir, account=None, *extra, prometheus=False):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), f"playbooks/{name}.yml",
            "-e", f"karmada_kubeconfig={handle.kubeconfig}", "-e", f"karmada_report_dir={report_dir}"]
    if account:
        contexts = handle.endpoints["service_accounts"][account]["contexts"]
        args += ["-e", f"karmada_context={contexts['karmada-apiserver']}",
                 "-e", f"karmada_host_context={contexts['karmada-host']}"]
    if prometheus:
        args += ["-e", f"karmada_prometheus_url={handle.endpoints['prometheus']['url']}"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run(args + list(extra), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
                         check=False)
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle_:
        report = json.load(handle_)
    return run, report


def checks(report):
    items = report["audit"]["checks"] if "audit" in report else report["checks"]
    return {c["id"]: c for c in items}


def statuses(report):
    return {cid: c["status"] for cid, c in checks(report).items()}


def user_of(handle, account):
    return handle.endpoints["service_accounts"][account]["user"]


@pytest.fixture(scope="module")
def baseline(emu, tmp_path_factory):
    """{(playbook, 'admin'|'reader'): (run, report, requests)}, before anything is changed."""
    results = {}
    for name in ("diagnose", "audit"):
        for who, account in (("admin", None), ("reader", READER)):
            mark = emu.mark()
            run, report = play(emu, name, str(tmp_path_factory.mktemp(f"{name}-{who}")), account, *CONTROLLER)
            results[(name, who)] = (run, report, emu.requests_since(mark))
    return results


def test_reader_sees_what_admin_sees(emu, baseline):
    for name in ("diagnose", "audit"):
        admin_run, admin, _requests = baseline[(name, "admin")]
        reader_run, reader, requests = baseline[(name, "reader")]
        assert reader_run.returncode == admin_run.returncode, reader_run.stdout[-3000:]
        assert statuses(reader) == statuses(admin)
        # Not one request was refused, so no check is what it is for lack of permission.
        refused = [r for r in requests if r["user"] == user_of(emu, READER) and r["status"] == 403]
        assert refused == []
        assert "Traceback" not in reader_run.stdout + reader_run.stderr


def _atomic(rule):
    for group in rule["apiGroups"]:
        for resource in rule["resources"]:
            for verb in rule["verbs"]:
                yield group, resource, verb


def test_every_read_permission_is_used(emu, baseline):
    """No permission in the read-only roles goes unused by diagnose and audit: the roles are not wider than the
    requests the playbooks make (the other direction, enough, is the test above)."""
    used = set()
    for name in ("diagnose", "audit"):
        for r in baseline[(name, "reader")][2]:
            if r["user"] == user_of(emu, READER) and r["resource"]:
                resource = r["resource"] + (f"/{r['subresource']}" if r["subresource"] else "")
                used.add((r["server"], r["group"], resource, r["verb"]))
    granted = set()
    for (server, _kind), path in READER_ROLES.items():
        for rule in emu.raw("GET", path, server=server).json()["rules"]:
            granted |= {(SERVER_NAMES[server], *atom) for atom in _atomic(rule)}
    assert granted - used == set()


# Five of the 13 read permissions, one per kind of access (cluster-wide list, review create, named get in a
# namespace, subresource get, a host Deployment), each with the checks that use it: every one costs a playbook
# run. All 13 were tried by hand (README "Least privilege" lists what each one feeds). recent_changes also
# reads events, as a side read: without them it still reports, saying what it could not read (details.unread).
REMOVALS = [
    pytest.param(("karmada_apiserver", "ClusterRole"), "", "events", "list", "diagnose",
                 {"sync_failure_events"}, id="events-list"),
    pytest.param(("karmada_apiserver", "ClusterRole"), "authorization.k8s.io", "subjectaccessreviews", "create",
                 "diagnose", {"rbac"}, id="subjectaccessreviews-create"),
    pytest.param(("host", "Role"), "", "pods/log", "get", "diagnose", {"controller_logs"}, id="pods-log-get"),
    pytest.param(("karmada_apiserver", "Role"), "coordination.k8s.io", "leases", "get", "audit",
                 {"leader_lease"}, id="leases-get"),
    pytest.param(("host", "Role"), "apps", "deployments", "get", "audit", {"controller_manager"},
                 id="deployments-get"),
]


def without(rules, group, resource, verb):
    """The rules with exactly one (group, resource, verb) permission taken out."""
    out = []
    for rule in rules:
        if group not in rule["apiGroups"] or resource not in rule["resources"] or verb not in rule["verbs"]:
            out.append(rule)
            continue
        others = [r for r in rule["resources"] if r != resource]
        if others:
            out.append(dict(rule, resources=others))
        verbs = [v for v in rule["verbs"] if v != verb]
        if verbs:
            out.append(dict(rule, resources=[resource], verbs=verbs))
    return out


@pytest.mark.parametrize(("role", "group", "resource", "verb", "playbook", "affected"), REMOVALS)
def test_a_missing_permission_makes_only_its_checks_unknown(emu, baseline, tmp_path, role, group, resource, verb,
                                                            playbook, affected):
    server, path = role[0], READER_ROLES[role]
    original = emu.raw("GET", path, server=server).json()
    changed = copy.deepcopy(original)
    changed["rules"] = without(original["rules"], group, resource, verb)
    assert changed["rules"] != original["rules"], "the permission is not in the role"
    assert emu.raw("PUT", path, server=server, body=changed).status == 200
    try:
        run, report = play(emu, playbook, str(tmp_path), READER, *CONTROLLER)
    finally:
        current = emu.raw("GET", path, server=server).json()
        original["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        assert emu.raw("PUT", path, server=server, body=original).status == 200
    base_run, base, _requests = baseline[(playbook, "reader")]
    assert run.returncode == base_run.returncode, run.stdout[-3000:]
    assert "Traceback" not in run.stdout + run.stderr
    now, before = statuses(report), statuses(base)
    assert {cid for cid in now if now[cid] != before[cid]} == affected
    for cid in affected:
        check = checks(report)[cid]
        assert check["status"] == "unknown"
        # The reason is the server's own: who may not do what, so the missing rule is evident.
        assert "forbidden (403)" in check["error"], check["error"]
        assert f'User "{user_of(emu, READER)}" cannot {verb} resource "{resource}"' in check["error"], check["error"]


def test_rbac_repair_needs_escalate_and_bind(emu):
    """The RBAC repair's writes as the mitigator: allowed with the shipped role; without `escalate` the
    ClusterRole is refused and without `bind` the binding is, with kube-apiserver's escalation message."""
    from ansible_collections.karmada.runbooks.plugins.module_utils import _mitigation

    token = emu.endpoints["tokens"]["karmada-apiserver"][user_of(emu, MITIGATOR)]
    with open(os.path.join(REPO_ROOT, "roles", "repair_controller_rbac", "files",
                           "binding-controllers-clusterrole.yml"), encoding="utf-8") as handle:
        cluster_role = yaml.safe_load(handle)
    binding = _mitigation.cluster_role_binding(_mitigation.controller_subject("system:serviceaccount:karmada-system:x"))
    original = emu.raw("GET", MITIGATOR_ROLE).json()

    def mitigator_rules(rules):
        current = emu.raw("GET", MITIGATOR_ROLE).json()
        assert emu.raw("PUT", MITIGATOR_ROLE, body=dict(current, rules=rules)).status == 200

    def write(path, body):
        return emu.raw("POST", path + "?dryRun=All", token=token, body=body)

    try:
        mitigator_rules(without(original["rules"], "rbac.authorization.k8s.io", "clusterroles", "escalate"))
        refused = write(f"{RBAC_V1}/clusterroles", cluster_role)
        assert refused.status == 403
        assert "is attempting to grant RBAC permissions not currently held" in refused.json()["message"]
        assert '{APIGroups:["work.karmada.io"], Resources:["works"], Verbs:[' in refused.json()["message"]
        # The ClusterRole exists for the binding's check of the role's permissions.
        assert emu.raw("POST", f"{RBAC_V1}/clusterroles", body=cluster_role).status == 201
        mitigator_rules([r for r in original["rules"] if "bind" not in r["verbs"]])
        refused = write(f"{RBAC_V1}/clusterrolebindings", binding)
        assert refused.status == 403 and "not currently held" in refused.json()["message"]
        mitigator_rules(original["rules"])
        assert write(f"{RBAC_V1}/clusterrolebindings", binding).status == 201
        assert emu.raw("DELETE", f"{RBAC_V1}/clusterroles/{cluster_role['metadata']['name']}").status == 200
        assert write(f"{RBAC_V1}/clusterroles", cluster_role).status == 201
    finally:
        emu.raw("DELETE", f"{RBAC_V1}/clusterroles/{cluster_role['metadata']['name']}")
        mitigator_rules(original["rules"])


@pytest.mark.skipif(not HAVE_PROMETHEUS, reason="mitigate verifies recovery through Prometheus (/usr/bin/prometheus)")
def test_mitigate_with_its_minimal_identity(emu, baseline, tmp_path):
    """Last in this module: it changes the emulator's state (namespace restored, controller restarted)."""
    mark = emu.mark()
    run, report = play(emu, "mitigate", str(tmp_path), MITIGATOR, "-e", "karmada_mitigate_approve=true",
                       *FAST_VERIFY, prometheus=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    actions = {a["id"]: a for a in report["mitigation"]["actions"]}
    assert actions["restore_execution_namespaces"]["status"] == "applied"
    assert actions["restart_controller_manager"]["status"] == "applied"
    assert report["mitigation"]["lock"]["acquired"] and report["mitigation"]["lock"]["released"]
    assert report["mitigation"]["verification"]["recovered"] is True
    refused = [r for r in emu.requests_since(mark) if r["user"] == user_of(emu, MITIGATOR) and r["status"] == 403]
    assert refused == []
