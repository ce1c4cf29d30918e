"""kubernetes.core modules, in real ansible-playbook runs, work against the emulator unchanged."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.emulator

INFO_PLAYBOOK = """
- name: Read the emulated Karmada with kubernetes.core
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Execution namespaces by label
      kubernetes.core.k8s_info:
        context: karmada-apiserver
        kind: Namespace
        label_selectors: ["karmada.io/system=true"]
    - name: Clusters
      kubernetes.core.k8s_info:
        context: karmada-apiserver
        api_version: cluster.karmada.io/v1alpha1
        kind: Cluster
    - name: One work by field selector
      kubernetes.core.k8s_info:
        context: karmada-apiserver
        api_version: work.karmada.io/v1alpha1
        kind: Work
        namespace: karmada-es-member2
        field_selectors: ["metadata.name=nginx-687f7fb96f"]
    - name: Controller-manager pods on the host cluster
      kubernetes.core.k8s_info:
        context: karmada-host
        kind: Pod
        namespace: karmada-system
        label_selectors: ["app in (karmada-controller-manager)", "pod-template-hash"]
    - name: Controller-manager log
      kubernetes.core.k8s_log:
        context: karmada-host
        namespace: karmada-system
        label_selectors: ["app=karmada-controller-manager"]
        tail_lines: 2
"""

WRITE_PLAYBOOK = """
- name: Write through kubernetes.core
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Recreate an execution namespace
      kubernetes.core.k8s:
        context: karmada-apiserver
        state: present
        definition:
          apiVersion: v1
          kind: Namespace
          metadata:
            name: karmada-es-member7
            labels: {karmada.io/system: "true"}
    - name: Touch a cluster
      kubernetes.core.k8s:
        context: karmada-apiserver
        state: patched
        api_version: cluster.karmada.io/v1alpha1
        kind: Cluster
        name: member1
        definition:
          metadata:
            annotations: {runbook.karmada.io/touched: "yes"}
    - name: Restart the controller-manager
      kubernetes.core.k8s:
        context: karmada-host
        state: patched
        kind: Deployment
        namespace: karmada-system
        name: karmada-controller-manager
        definition:
          spec:
            template:
              metadata:
                annotations: {kubectl.kubernetes.io/restartedAt: "2026-11-25T03:00:00Z"}
"""


def test_k8s_info_with_label_and_field_selectors(ansible_playbook, emulator):
    results = ansible_playbook.results(INFO_PLAYBOOK)
    namespaces = [r["metadata"]["name"] for r in results["Execution namespaces by label"]["resources"]]
    assert namespaces == ["karmada-es-member1", "karmada-es-member2", "karmada-es-member3"]
    assert [c["metadata"]["name"] for c in results["Clusters"]["resources"]] == ["member1", "member2", "member3"]
    works = results["One work by field selector"]["resources"]
    assert [(w["metadata"]["namespace"], w["metadata"]["name"]) for w in works] == [
        ("karmada-es-member2", "nginx-687f7fb96f")]
    assert len(results["Controller-manager pods on the host cluster"]["resources"]) == 2
    log = results["Controller-manager log"]
    lines = [line for line in log["log_lines"] if line]      # k8s_log splits on newline: a trailing "" is real
    assert len(lines) == 2 and all(line.startswith("I1") for line in lines)


def test_k8s_present_and_patched(ansible_playbook, fresh_emulator):
    ansible_playbook.kubeconfig = fresh_emulator.kubeconfig
    results = ansible_playbook.results(WRITE_PLAYBOOK)
    assert all(results[name]["changed"] for name in results)
    namespace = json.loads(fresh_emulator.raw("GET", "/api/v1/namespaces/karmada-es-member7")[2])
    assert namespace["metadata"]["labels"]["karmada.io/system"] == "true"
    cluster = json.loads(fresh_emulator.raw("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/member1")[2])
    assert cluster["metadata"]["annotations"]["runbook.karmada.io/touched"] == "yes"
    deployment = json.loads(fresh_emulator.raw(
        "GET", "/apis/apps/v1/namespaces/karmada-system/deployments/karmada-controller-manager", server="host")[2])
    assert deployment["metadata"]["generation"] == 2
    again = ansible_playbook.results(WRITE_PLAYBOOK)
    assert not any(again[name]["changed"] for name in again)          # idempotent


def test_check_mode_stores_nothing(ansible_playbook, fresh_emulator):
    ansible_playbook.kubeconfig = fresh_emulator.kubeconfig
    mark = fresh_emulator.mark()
    results = ansible_playbook.results(WRITE_PLAYBOOK, "--check")
    assert all(results[name]["changed"] for name in results)          # predicted by server-side dry run
    writes = [r for r in fresh_emulator.requests_since(mark) if r["verb"] in ("create", "patch", "update")]
    assert writes and all(r["dry_run"] for r in writes)
    assert fresh_emulator.raw("GET", "/api/v1/namespaces/karmada-es-member7")[0] == 404
    deployment = json.loads(fresh_emulator.raw(
        "GET", "/apis/apps/v1/namespaces/karmada-system/deployments/karmada-controller-manager", server="host")[2])
    assert deployment["metadata"]["generation"] == 1
