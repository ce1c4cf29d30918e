# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Override policies (runbook step 6): which policy applies to which template on which cluster, and
whether its overriders can be applied at all.

Karmada applies overriders to the resource template right before it writes the Work of each target
cluster; an overrider whose path is not in the template fails that cluster's sync with a json-patch
error. The runbook only says "list the policies". This check answers what the override manager
would: for every scheduled binding some policy may select, it takes the rules that apply on each
target cluster, in Karmada's order (``_selectors``), and dry-runs their overriders over a copy of
the template (``_overriders``, on the json-patch rules of ``_jsonpointer``).
``ApplyOverridePolicyFailed`` events corroborate what the dry-run finds, or show failures it cannot
see (a policy since fixed, a template since changed).

The check is ``observe(client, options)`` -- every request, and nothing else -- then
``assess(observation, options)``, pure, which returns the finding; ``check`` runs both. Requests
follow the policies' reach, not the fleet: no policy, no further request; templates are fetched
only for bindings a policy may select, one GET each when few of a kind share a namespace, else
one list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.karmada.runbooks.plugins.module_utils._bindings import binding_ref, target_clusters
from ansible_collections.karmada.runbooks.plugins.module_utils._events import FailureEvents, field_selector
from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import (
    APPLY_OVERRIDE_POLICY_FAILED,
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    CLUSTERS,
    COP_KIND,
    CRB_KIND,
    EVENTS,
    OP_KIND,
    OVERRIDE_POLICIES,
    RB_KIND,
    RESOURCE_BINDINGS,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._kube import resource_path, side_query
from ansible_collections.karmada.runbooks.plugins.module_utils._overriders import dry_run
from ansible_collections.karmada.runbooks.plugins.module_utils._report import evidence, finding, note_unread, signal
from ansible_collections.karmada.runbooks.plugins.module_utils._selectors import (
    applicable_rules,
    could_apply,
    policy_key,
    policy_ref,
    policy_rules,
)
from ansible_collections.karmada.runbooks.plugins.module_utils._timeutil import parse_datetime

CHECK_ID = "override_policies"

# Above this many templates of one kind in one namespace, one list is cheaper than a GET each.
TEMPLATE_GET_LIMIT = 5
MAX_EVIDENCE = 20
MAX_LISTED = 50


def options_from_params(params):
    """The check's options from the module's parameters; InputError names the option it cannot read.

    ``since`` (aware datetime or None): ApplyOverridePolicyFailed events last seen before it belong
    to an earlier episode.
    """
    since = params.get("since")
    return {"since": parse_datetime(since, "since") if since else None}


# ---------------------------------------------------------------------------------------------
# The analysis of bound templates


def describe_template(ref):
    namespace = ref.get("namespace")
    return "%s %s" % (ref.get("kind"), "%s/%s" % (namespace, ref.get("name")) if namespace else ref.get("name"))


def template_key(ref):
    return (ref.get("apiVersion") or "", ref.get("kind") or "", ref.get("namespace") or "", ref.get("name") or "")


def field_of(rule, problem):
    """Where in the policy to look: spec.overrideRules[0].overriders.plaintext[1] (an SRE can jump there)."""
    base = "spec.overrideRules[%d].overriders" % rule if rule is not None else "spec.overriders"
    return "%s.%s[%d]" % (base, problem["overrider"], problem["index"])


class Analysis:
    """Which policies select which bound templates, and every overrider step that cannot be applied."""

    def __init__(self, policies, clusters):
        self.policies = policies
        self.clusters = {(c.get("metadata") or {}).get("name"): c for c in clusters}
        self.matched = {}            # policy key -> set of binding refs
        self.broken = {}             # (policy key, rule, overrider, index, sub path) -> entry
        self.checked_bindings = 0
        self.unknown_clusters = set()
        self.missing_templates = []

    def add_binding(self, binding, template):
        ref = (binding.get("spec") or {}).get("resource") or {}
        if template is None:
            self.missing_templates.append(describe_template(ref))
            return
        meta = template.get("metadata") or {}
        resource = {"apiVersion": ref.get("apiVersion") or template.get("apiVersion"),
                    "kind": ref.get("kind") or template.get("kind"),
                    "namespace": meta.get("namespace") or "", "name": meta.get("name"),
                    "labels": meta.get("labels") or {}}
        what = describe_template(resource)
        bref = binding_ref(binding)
        self.checked_bindings += 1
        # Clusters that see the same policy rules see the same result: dry-run once per rule set.
        by_chain = {}
        for cluster_name in target_clusters(binding):
            cluster = self.clusters.get(cluster_name)
            if cluster is None:
                # Karmada fails before any overrider runs; that is target_cluster_missing, not ours.
                self.unknown_clusters.add(cluster_name)
                continue
            chain = applicable_rules(self.policies, resource, cluster)
            signature = tuple((policy_key(p), rule) for p, rule, _o in chain)
            by_chain.setdefault(signature, (chain, []))[1].append(cluster_name)
        for chain, cluster_names in by_chain.values():
            for policy, _rule, _o in chain:
                self.matched.setdefault(policy_key(policy), set()).add(bref)
            for policy, rule, problem in dry_run(template, chain, what):
                self._record(policy_key(policy), rule, problem, bref, cluster_names, what)

    def _record(self, key, rule, problem, bref, cluster_names, what):
        ident = (key, rule, problem["overrider"], problem["index"], problem.get("sub_path"))
        entry = self.broken.get(ident)
        if entry is None:
            entry = {"kind": key[0], "policy": policy_ref(key), "namespace": key[1], "name": key[2],
                     "rule": rule, "field": field_of(rule, problem), "overrider": problem["overrider"],
                     "path": problem["path"], "operation": problem["operation"], "error": problem["error"],
                     "bindings": set(), "clusters": set(), "templates": set()}
            if problem.get("sub_path") is not None:
                entry["sub_path"] = problem["sub_path"]
            self.broken[ident] = entry
        entry["bindings"].add(bref)
        entry["clusters"].update(cluster_names)
        entry["templates"].add(what)

    def broken_list(self):
        entries = []
        for entry in self.broken.values():
            item = dict(entry)
            for key in ("bindings", "clusters", "templates"):
                item[key] = sorted(entry[key])
            entries.append(item)
        entries.sort(key=lambda e: (-len(e["bindings"]), e["policy"], e["rule"] if e["rule"] is not None else -1,
                                    e["field"]))
        return entries


def bound_templates(policies, bindings):
    """[(binding, template ref)] for scheduled bindings whose template some policy may select."""
    found = []
    for binding in bindings:
        ref = (binding.get("spec") or {}).get("resource") or {}
        if ref.get("kind") and ref.get("name") and target_clusters(binding) \
                and any(could_apply(policy, ref) for policy in policies):
            found.append((binding, ref))
    return found


# ---------------------------------------------------------------------------------------------
# Fetching templates with a bounded number of requests


def plan_template_fetch(refs, get_limit=TEMPLATE_GET_LIMIT):
    """Group template refs by (apiVersion, kind, namespace): a GET each for a few, one list for many.

    Returns [(apiVersion, kind, namespace, sorted names, use_list)].
    """
    groups = {}
    for ref in refs:
        key = template_key(ref)
        groups.setdefault(key[:3], set()).add(key[3])
    return [(api_version, kind, namespace, sorted(names), len(names) > get_limit)
            for (api_version, kind, namespace), names in sorted(groups.items())]


def discovery_path(api_version):
    return "/apis/%s" % api_version if "/" in api_version else "/api/%s" % api_version


def plural_of(client, api_version, kind, cache):
    """The resource (plural) serving ``kind`` in ``api_version`` from discovery, or None; ``cache`` per run."""
    if api_version not in cache:
        discovery = client.find(discovery_path(api_version)) or {}
        # Subresources (deployments/scale) share the kind name of other objects; skip them.
        cache[api_version] = {r.get("kind"): r.get("name") for r in discovery.get("resources") or []
                              if "/" not in (r.get("name") or "")}
    return cache[api_version].get(kind)


def fetch_templates(client, refs, get_limit=TEMPLATE_GET_LIMIT):
    """{template_key: object, or None when it does not exist} for ``refs``.

    Requests: one discovery per API version, then per kind and namespace either a GET for each of a
    few templates or one paginated list, so the count follows the policies' reach, not the fleet.
    """
    templates = {}
    cache = {}
    for api_version, kind, namespace, names, use_list in plan_template_fetch(refs, get_limit):
        plural = plural_of(client, api_version, kind, cache)
        keys = [(api_version, kind, namespace, name) for name in names]
        if not plural:
            templates.update((key, None) for key in keys)
            continue
        group, _sep, version = api_version.rpartition("/")
        if not use_list:
            for key in keys:
                templates[key] = client.find(resource_path(group, version, plural, namespace=namespace or None,
                                                           name=key[3]))
            continue
        wanted = set(names)
        found = {}
        for item in client.list(resource_path(group, version, plural, namespace=namespace or None)):
            name = (item.get("metadata") or {}).get("name")
            if name in wanted:
                # Items of built-in lists carry no apiVersion/kind of their own.
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                found[name] = item
        templates.update((key, found.get(key[3])) for key in keys)
    return templates


# ---------------------------------------------------------------------------------------------
# The finding


def _policy_rows(policies, matched):
    rows = []
    for policy in policies:
        key = policy_key(policy)
        rows.append({"kind": key[0], "namespace": key[1], "name": key[2], "rules": len(policy_rules(policy)),
                     "bindings": len(matched.get(key, ()))})
    rows.sort(key=lambda r: (r["kind"] != COP_KIND, r["namespace"], r["name"]))
    return rows


def _broken_text(entry):
    return "%s %s %s: %s %s: %s" % (entry["kind"], entry["policy"], entry["field"], entry["operation"] or "read",
                                    entry["path"], entry["error"])


def _event_text(entry):
    return "ApplyOverridePolicyFailed x%d for policy %s on cluster(s) %s (%s)" % (
        entry["count"], entry["policy"], ", ".join(entry["clusters"]) or "?", ", ".join(entry["templates"]) or "?")


def override_finding(policies, analysis, events, extra_details=None):
    """The ``override_policies`` finding from the policies, an Analysis and a FailureEvents."""
    broken = analysis.broken_list()
    event_items = events.summary()
    known = {policy_ref(policy_key(p)) for p in policies}
    broken_policies = {entry["policy"] for entry in broken}
    signals = []
    evidence_items = [evidence("object", _broken_text(e), ref=e["policy"]) for e in broken[:MAX_EVIDENCE]]
    corroborating = [e for e in event_items if e["policy"] in broken_policies]
    event_only = [e for e in event_items if e["policy"] not in broken_policies and e["policy"] in known]
    stale = [e for e in event_items if e["policy"] not in known]
    for entry in corroborating + event_only + stale:
        if len(evidence_items) < MAX_EVIDENCE:
            evidence_items.append(evidence("event", _event_text(entry), count=entry["count"], time=entry["last"],
                                           ref=entry["policy"]))
    if broken:
        signals.append(signal(
            "override_policy_failure", 0.9,
            "%d overrider step(s) of %d policy(ies) cannot be applied to the templates they select"
            % (len(broken), len(broken_policies)),
            bindings=[b for e in broken for b in e["bindings"]], clusters=[c for e in broken for c in e["clusters"]],
            evidence_items=[evidence("object", _broken_text(e), ref=e["policy"]) for e in broken[:MAX_EVIDENCE]]
            + [evidence("event", _event_text(e), count=e["count"], time=e["last"], ref=e["policy"])
               for e in corroborating[:MAX_EVIDENCE]]))
    if event_only:
        signals.append(signal(
            "override_policy_failure", 0.6,
            "the override manager reported failures for %s, although its overriders apply to the current templates"
            % ", ".join(e["policy"] for e in event_only[:5]),
            bindings=[b for e in event_only for b in e["bindings"]], clusters=[c for e in event_only for c in e["clusters"]],
            evidence_items=[evidence("event", _event_text(e), count=e["count"], time=e["last"], ref=e["policy"])
                            for e in event_only[:MAX_EVIDENCE]]))
    if broken:
        status = "fail"
        first = broken[0]
        summary = "%s %s cannot be applied to %s: %s%s" % (
            first["kind"], first["policy"], _clusters_phrase(first), first["error"],
            " (and %d more broken overrider step(s))" % (len(broken) - 1) if len(broken) > 1 else "")
    elif event_only:
        status = "warn"
        summary = "No overrider is broken now, but ApplyOverridePolicyFailed events name %s" % ", ".join(
            e["policy"] for e in event_only[:5])
    else:
        status = "ok"
        summary = ("No override policies." if not policies else
                   "All %d override policies apply cleanly to the %d bound templates they select." % (
                       len(policies), analysis.checked_bindings))
    details = {"policies": _policy_rows(policies, analysis.matched)[:MAX_LISTED], "broken": broken[:MAX_LISTED],
               "events": event_items[:MAX_EVIDENCE], "bindings_checked": analysis.checked_bindings,
               "templates_missing": sorted(set(analysis.missing_templates))[:MAX_EVIDENCE],
               "clusters_not_registered": sorted(analysis.unknown_clusters)[:MAX_EVIDENCE]}
    details.update(extra_details or {})
    return finding(CHECK_ID, status, summary, details=details, evidence_items=evidence_items,
                   signals=signals)


def _clusters_phrase(entry):
    bindings, clusters = entry["bindings"], entry["clusters"]
    return "%s on %s" % (", ".join(bindings[:3]) + (" and %d more" % (len(bindings) - 3) if len(bindings) > 3 else ""),
                         ", ".join(clusters[:5]) + (" and %d more" % (len(clusters) - 5) if len(clusters) > 5 else ""))


# ---------------------------------------------------------------------------------------------
# The check


def _listed(client, path, kind):
    # Items of a list may omit their kind; the analysis tells policies and bindings apart by it.
    return [dict(item, kind=kind) for item in client.list(path)]


def observe(client, options):
    """Read what the check needs: {policies, bindings, templates, clusters, events, requests}.

    ``templates`` maps ``template_key`` to the object (None when it does not exist), for the bound
    templates some policy may select; ``events`` are the ApplyOverridePolicyFailed events. Without
    policies nothing past the two policy lists is read.
    """
    observation = {"policies": _listed(client, OVERRIDE_POLICIES, OP_KIND)
                   + _listed(client, CLUSTER_OVERRIDE_POLICIES, COP_KIND),
                   "bindings": [], "templates": {}, "clusters": [], "events": []}
    policies = observation["policies"]
    if policies:
        observation["bindings"] = (_listed(client, RESOURCE_BINDINGS, RB_KIND)
                                   + _listed(client, CLUSTER_RESOURCE_BINDINGS, CRB_KIND))
        candidates = bound_templates(policies, observation["bindings"])
        if candidates:
            observation["templates"] = fetch_templates(client, [ref for _binding, ref in candidates])
            observation["clusters"] = list(client.list(CLUSTERS))
        # The events only confirm what the dry run of the policies finds: their failure is noted, not fatal.
        observation["events"] = side_query(observation, "ApplyOverridePolicyFailed events", lambda: list(
            client.list(EVENTS, {"fieldSelector": field_selector(APPLY_OVERRIDE_POLICY_FAILED)})), [])
    observation["requests"] = client.requests
    return observation


def assess(observation, options):
    """The ``override_policies`` finding from an observation (see ``observe``); pure.

    Missing keys count as empty; ``requests``, when present, is reported in the details.
    """
    policies = observation.get("policies") or []
    templates = observation.get("templates") or {}
    analysis = Analysis(policies, observation.get("clusters") or [])
    for binding, ref in bound_templates(policies, observation.get("bindings") or []):
        analysis.add_binding(binding, templates.get(template_key(ref)))
    events = FailureEvents(options.get("since"))
    for event in observation.get("events") or []:
        events.add(event)
    extra = {"requests": observation["requests"]} if "requests" in observation else None
    return note_unread(override_finding(policies, analysis, events, extra), observation.get("unread"))


def check(client, options):
    return assess(observe(client, options), options)
