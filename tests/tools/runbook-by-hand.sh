#!/usr/bin/env bash
# The runbook's own commands, run by hand against an emulated (or real) Karmada: what an on-call SRE
# sees before any automation. Usage: runbook-by-hand.sh KUBECONFIG [PROMETHEUS_URL]
set -uo pipefail
kubeconfig=${1:?usage: runbook-by-hand.sh KUBECONFIG [PROMETHEUS_URL]}
prometheus=${2:-}
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
promql() {
  [ -n "$prometheus" ] || { echo "(no Prometheus URL given)"; return; }
  curl -fsS "$prometheus/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    labels = ",".join("%s=%s" % kv for kv in sorted(r["metric"].items()) if kv[0] != "__name__")
    print("  {%s} %s" % (labels, r["value"][1]))'
}

step "2. SyncWorkFailed events (runbook: -n karmada-system; all namespaces shown too)" \
  "kubectl get events -n karmada-system --field-selector reason=SyncWorkFailed --sort-by=.lastTimestamp"
k --context karmada-apiserver get events -n karmada-system --field-selector reason=SyncWorkFailed --sort-by=.lastTimestamp
echo "$ kubectl get events -A --field-selector reason=SyncWorkFailed --sort-by=.lastTimestamp"
k --context karmada-apiserver get events -A --field-selector reason=SyncWorkFailed --sort-by=.lastTimestamp

step "3. Controller-manager logs" \
  'kubectl logs -n karmada-system -l app=karmada-controller-manager --tail=200 | grep -i "binding\|work\|error\|failed"'
k --context karmada-host logs -n karmada-system -l app=karmada-controller-manager --tail=200 \
  | grep -i "binding\|work\|error\|failed" | tail -8

step "4. Execution namespaces" "kubectl get namespaces | grep karmada-es-; for each cluster: kubectl get namespace karmada-es-<cluster>"
k --context karmada-apiserver get namespaces | grep karmada-es-
k --context karmada-apiserver get clusters -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | while read -r cluster; do
  k --context karmada-apiserver get namespace "karmada-es-${cluster}" >/dev/null 2>&1 || echo "MISSING: karmada-es-${cluster}"
done

step "5. RBAC in the logs" 'kubectl logs -n karmada-system -l app=karmada-controller-manager --tail=200 | grep -i "forbidden\|unauthorized\|rbac"'
k --context karmada-host logs -n karmada-system -l app=karmada-controller-manager --tail=200 \
  | grep -i "forbidden\|unauthorized\|rbac" | tail -5 || echo "(none)"

step "6. Override policies" "kubectl get overridepolicies -A; kubectl get clusteroverridepolicies"
k --context karmada-apiserver get overridepolicies -A
k --context karmada-apiserver get clusteroverridepolicies

step "7. Binding sync error rate" "sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))"
promql 'sum by (result) (rate(binding_sync_work_duration_seconds_count[5m]))'

step "8. Workqueue depth and retry ratio" 'workqueue_depth{name=~"binding-controller|cluster-resource-binding-controller"}'
promql 'workqueue_depth{name=~"binding-controller|cluster-resource-binding-controller"}'
promql 'rate(workqueue_retries_total{name=~"binding-controller|cluster-resource-binding-controller"}[5m]) / rate(workqueue_adds_total{name=~"binding-controller|cluster-resource-binding-controller"}[5m])'

step "1. SLO burn rate (Sloth)" 'slo:current_burn_rate:ratio / slo:period_error_budget_remaining:ratio'
promql 'slo:current_burn_rate:ratio'
promql 'slo:period_error_budget_remaining:ratio'
