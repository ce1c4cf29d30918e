"""The raw-request floor: the API work one diagnose run did, replayed in one plain Python process.

The bench turns the emulator's request log (Kubernetes requests) and Prometheus's query log (PromQL)
of one diagnose run into a replay plan (``plan_from_requests``, ``plan_from_query_log``); then

    python tests/tools/bench_floor.py PLAN.json --kubeconfig KUBECONFIG [--prometheus URL]

does that work sequentially with urllib3: every list again as a full paginated list (same limit and
selectors, following ``continue``), pod logs in full with the same parameters, SubjectAccessReviews
POSTed with a minimal valid body, PromQL with the same parameters. Every response is read and
parsed (JSON; logs split into lines, JSON lines parsed). No Ansible, no analysis: what is left is
the cost of fetching and decoding the data, the least any implementation must pay. Work diagnose
did twice (the same list with the same parameters) is done once here: the floor is the distinct work.
Prints a JSON summary (requests, bytes, items) on stdout.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import tempfile

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
ACCESS_REVIEWS = {
    "subjectaccessreviews": {"kind": "SubjectAccessReview",
                             "spec": {"user": "bench", "resourceAttributes": {
                                 "verb": "create", "group": "work.karmada.io", "resource": "works"}}},
    "selfsubjectaccessreviews": {"kind": "SelfSubjectAccessReview",
                                 "spec": {"resourceAttributes": {
                                     "verb": "create", "group": "work.karmada.io", "resource": "works"}}},
}


# -- planning (pure) -------------------------------------------------------------------------------------

def classify(entry):
    """'list', 'get' or 'write' for one request-log entry (SubjectAccessReviews are not writes: they store nothing)."""
    verb = entry.get("verb", "")
    if verb in ("list", "watch"):
        return "list"
    if verb in WRITE_VERBS and entry.get("resource") not in ACCESS_REVIEWS:
        return "write"
    if verb in WRITE_VERBS:
        return "review"
    return "get"


def count_requests(entries):
    """{lists, gets, writes, reviews, total} of request-log entries: every page counts as one list request."""
    counts = {"lists": 0, "gets": 0, "writes": 0, "reviews": 0}
    for entry in entries:
        counts[classify(entry) + "s"] += 1
    counts["total"] = len(entries)
    return counts


def plan_from_requests(entries):
    """Replay steps for request-log entries, in order, each distinct step once.

    A list's follow-up pages (``continue`` set) are not steps: replaying the first page follows them.
    Watches and writes other than access reviews are skipped (diagnose is read-only); ``skipped`` counts them.
    """
    steps, seen, skipped = [], set(), 0
    for entry in entries:
        query = dict(entry.get("query") or {})
        verb = entry.get("verb", "")
        if verb == "watch" or query.get("watch") in ("1", "true"):
            skipped += 1
            continue
        kind = classify(entry)
        if kind == "list":
            if query.get("continue"):
                continue
            step = {"kind": "list", "server": entry["server"], "path": entry["path"], "params": query}
        elif kind == "review":
            step = {"kind": "post", "server": entry["server"], "path": entry["path"], "params": {},
                    "body": access_review_body(entry["path"], entry["resource"])}
        elif kind == "write":
            skipped += 1
            continue
        else:
            step = {"kind": "log" if entry.get("subresource") == "log" else "get", "server": entry["server"],
                    "path": entry["path"], "params": query}
        key = json.dumps([step["kind"], step["server"], step["path"], sorted(step["params"].items())])
        if key in seen:
            continue
        seen.add(key)
        steps.append(step)
    return {"steps": steps, "skipped": skipped}


def access_review_body(path, resource):
    api_version = path.split("/apis/", 1)[1].rsplit("/", 1)[0] if "/apis/" in path else "authorization.k8s.io/v1"
    return dict(ACCESS_REVIEWS[resource], apiVersion=api_version)


def plan_from_query_log(lines):
    """PromQL replay steps from Prometheus query-log lines: API queries only (rule evaluations carry no httpRequest).

    An instant query is logged with step 0 and start == end (its evaluation time).
    """
    steps, seen = [], set()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "httpRequest" not in record:
            continue
        params = record.get("params") or {}
        step_seconds = params.get("step") or 0
        if step_seconds:
            step = {"kind": "promql", "endpoint": "query_range",
                    "params": {"query": params["query"], "start": params["start"], "end": params["end"],
                               "step": str(step_seconds)}}
        else:
            step = {"kind": "promql", "endpoint": "query", "params": {"query": params["query"], "time": params["end"]}}
        key = json.dumps([step["endpoint"], sorted(step["params"].items())])
        if key not in seen:
            seen.add(key)
            steps.append(step)
    return steps


def count_promql(lines):
    """API queries in query-log lines (every one, duplicates included)."""
    total = 0
    for line in lines:
        try:
            total += "httpRequest" in json.loads(line)
        except ValueError:
            continue
    return total


# -- replay (I/O) ----------------------------------------------------------------------------------------

class Server:
    """One API server from a kubeconfig context: a keep-alive urllib3 pool with its credentials."""

    def __init__(self, kubeconfig, context_name, scratch):
        import urllib3
        context = _named(kubeconfig["contexts"], context_name)["context"]
        cluster = _named(kubeconfig["clusters"], context["cluster"])["cluster"]
        user = _named(kubeconfig["users"], context["user"])["user"]
        self.base = cluster["server"].rstrip("/")
        self.headers = {"Accept": "application/json"}
        if user.get("token"):
            self.headers["Authorization"] = f"Bearer {user['token']}"
        tls = ssl.create_default_context()
        if cluster.get("certificate-authority-data"):
            tls.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif cluster.get("certificate-authority"):
            tls.load_verify_locations(cafile=cluster["certificate-authority"])
        if user.get("client-certificate-data"):
            cert, key = (_scratch_file(scratch, user[f"client-{what}-data"]) for what in ("certificate", "key"))
            tls.load_cert_chain(cert, key)
        elif user.get("client-certificate"):
            tls.load_cert_chain(user["client-certificate"], user.get("client-key"))
        self.pool = urllib3.PoolManager(ssl_context=tls, retries=False, timeout=120)

    def request(self, method, path, params, body=None):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = self.base + path
        if params:
            from urllib.parse import urlencode
            url += "?" + urlencode(params)
        response = self.pool.request(method, url, body=data, headers=headers, preload_content=True)
        return response.status, response.data


def _named(items, name):
    for item in items:
        if item["name"] == name:
            return item
    raise KeyError(f"kubeconfig has no entry named {name!r}")


def _scratch_file(directory, data_b64):
    fd, path = tempfile.mkstemp(dir=directory)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64decode(data_b64))
    return path


def replay(plan, kubeconfig, contexts, prometheus_url=None):
    """Do the plan's work; {requests, bytes, items, lines, promql, errors}."""
    import urllib3
    totals = {"requests": 0, "bytes": 0, "items": 0, "lines": 0, "promql": 0, "errors": 0}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        servers = {}
        for step in plan["steps"]:
            if step["kind"] == "promql":
                continue
            server = servers.get(step["server"])
            if server is None:
                server = servers[step["server"]] = Server(kubeconfig, contexts.get(step["server"], step["server"]),
                                                          scratch)
            if step["kind"] == "list":
                params = dict(step["params"])
                while True:
                    status, data = server.request("GET", step["path"], params)
                    _count(totals, status, data)
                    body = json.loads(data)
                    totals["items"] += len(body.get("items") or [])
                    token = (body.get("metadata") or {}).get("continue")
                    if not token or status != 200:
                        break
                    params["continue"] = token
            elif step["kind"] == "log":
                status, data = server.request("GET", step["path"], step["params"])
                _count(totals, status, data)
                for line in data.decode("utf-8", errors="replace").splitlines():
                    totals["lines"] += 1
                    if line.startswith("{"):
                        json.loads(line)
            else:
                method = "POST" if step["kind"] == "post" else "GET"
                status, data = server.request(method, step["path"], step["params"], step.get("body"))
                _count(totals, status, data)
                if data[:1] in (b"{", b"["):
                    json.loads(data)
        promql = list(plan.get("promql", []))
        if promql and prometheus_url:
            pool = urllib3.PoolManager(retries=False, timeout=120)
            from urllib.parse import urlencode
            for step in promql:
                response = pool.request("GET", f"{prometheus_url.rstrip('/')}/api/v1/{step['endpoint']}?"
                                        + urlencode(step["params"]))
                _count(totals, response.status, response.data)
                totals["promql"] += 1
                json.loads(response.data)
    return totals


def _count(totals, status, data):
    totals["requests"] += 1
    totals["bytes"] += len(data)
    if status >= 400:
        totals["errors"] += 1


def main(argv=None):
    import argparse

    import yaml
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("plan", help="JSON: {steps: [...], promql: [...]} as the bench writes it")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--context", action="append", default=[], metavar="SERVER=CONTEXT",
                        help="kubeconfig context for a request-log server name (default: the same name)")
    parser.add_argument("--prometheus", help="Prometheus base URL for the PromQL steps")
    args = parser.parse_args(argv)
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    with open(args.kubeconfig, encoding="utf-8") as handle:
        kubeconfig = yaml.safe_load(handle)
    contexts = dict(item.split("=", 1) for item in args.context)
    json.dump(replay(plan, kubeconfig, contexts, args.prometheus), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
