"""In-memory object storage with the semantics clients rely on.

resourceVersion moves on every write, stale updates conflict, names are validated, namespaced
objects need a live namespace, finalizers hold deletion, namespaces terminate before they vanish,
lists paginate with continue tokens that expire, and watches replay from a resourceVersion.
Stored objects are never mutated in place: every write stores a new dict, so readers may hold
references without copying.
"""

from __future__ import annotations

import base64
import bisect
import collections
import copy
import json
import queue
import random
import string
import threading
import uuid

from . import clock, errors, validation
from .resources import NAMESPACE
from .selectors import field_matches, label_matches

WATCH_HISTORY = 100_000


def _spec_part(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Watcher:
    def __init__(self, rtype, namespace, labels, fields):
        self.rtype = rtype
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.events = queue.Queue()

    def wants(self, obj):
        meta = obj.get("metadata", {})
        if self.namespace and meta.get("namespace") != self.namespace:
            return False
        return label_matches(self.labels, meta.get("labels")) and field_matches(self.fields, obj)


class Store:
    """All objects of one API server."""

    def __init__(self, name="server"):
        self.name = name
        self.lock = threading.RLock()
        self._objects = collections.defaultdict(dict)      # rtype -> {(ns, name): obj}
        self._sorted_keys = {}                              # rtype -> sorted [(ns, name)] cache
        self._rv = 1000
        self.compacted_rv = 0
        self._history = collections.deque(maxlen=WATCH_HISTORY)
        self._watchers = []
        self._listeners = []

    # -- bookkeeping -------------------------------------------------------------------------------
    @property
    def resource_version(self):
        return str(self._rv)

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def subscribe(self, callback):
        """callback(event_type, rtype, new_or_deleted_obj, old_obj) after every write (under the lock)."""
        self._listeners.append(callback)

    def compact(self):
        """Forget history: continue tokens and watch resourceVersions issued so far answer 410 Gone."""
        with self.lock:
            self.compacted_rv = self._rv + 1
            self._history.clear()

    def _publish(self, event_type, rtype, obj, old=None):
        self._history.append((int(obj["metadata"]["resourceVersion"]), rtype, event_type, obj))
        for watcher in list(self._watchers):
            if watcher.rtype == rtype and watcher.wants(obj):
                watcher.events.put((event_type, obj))
        for listener in self._listeners:
            listener(event_type, rtype, obj, old)

    def _store(self, rtype, key, obj):
        bucket = self._objects[rtype]
        if key not in bucket:
            self._sorted_keys.pop(rtype, None)
        bucket[key] = obj

    def _drop(self, rtype, key):
        self._objects[rtype].pop(key, None)
        self._sorted_keys.pop(rtype, None)

    def _keys(self, rtype):
        keys = self._sorted_keys.get(rtype)
        if keys is None:
            keys = sorted(self._objects[rtype])
            self._sorted_keys[rtype] = keys
        return keys

    # -- reads ---------------------------------------------------------------------------------------
    def get(self, rtype, namespace, name):
        obj = self._objects[rtype].get((namespace or "", name))
        if obj is None:
            raise errors.not_found(rtype, name)
        return obj

    def find(self, rtype, namespace, name):
        return self._objects[rtype].get((namespace or "", name))

    def count(self, rtype):
        return len(self._objects[rtype])

    def items(self, rtype, namespace=None):
        """Every object of a type (optionally in one namespace), in name order. Do not mutate them."""
        with self.lock:
            keys = self._keys(rtype)
            if namespace:
                lo = bisect.bisect_left(keys, (namespace, ""))
                hi = bisect.bisect_left(keys, (namespace + "\x00", ""))
                keys = keys[lo:hi]
            bucket = self._objects[rtype]
            return [bucket[k] for k in keys]

    def list(self, rtype, namespace=None, labels=None, fields=None, limit=None, continue_token=None):
        """One page: (items, resourceVersion, continue token or "", remainingItemCount or None)."""
        with self.lock:
            list_rv = self._rv
            keys = self._keys(rtype)
            lo, hi = 0, len(keys)
            if namespace:
                lo = bisect.bisect_left(keys, (namespace, ""))
                hi = bisect.bisect_left(keys, (namespace + "\x00", ""))
            if continue_token:
                token = self._decode_continue(continue_token)
                list_rv = token["rv"]
                lo = max(lo, bisect.bisect_right(keys, tuple(token["start"])))
            bucket = self._objects[rtype]
            selected, next_key, remaining = [], None, 0
            for index in range(lo, hi):
                obj = bucket[keys[index]]
                meta = obj["metadata"]
                if labels and not label_matches(labels, meta.get("labels")):
                    continue
                if fields and not field_matches(fields, obj):
                    continue
                if limit and len(selected) >= limit:
                    remaining = sum(1 for j in range(index, hi) if self._matches(bucket[keys[j]], labels, fields))
                    last = selected[-1]["metadata"]
                    next_key = (last.get("namespace", ""), last["name"])
                    break
                selected.append(obj)
            token = self._encode_continue(list_rv, next_key) if next_key else ""
            return selected, str(self._rv if not continue_token else list_rv), token, (remaining or None)

    @staticmethod
    def _matches(obj, labels, fields):
        if labels and not label_matches(labels, obj["metadata"].get("labels")):
            return False
        return not (fields and not field_matches(fields, obj))

    @staticmethod
    def _encode_continue(rv, key):
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(key)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_continue(self, token):
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            rv, start = int(data["rv"]), data["start"]
        except (ValueError, KeyError, TypeError):
            raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                     "(version meta.k8s.io/v1)") from None
        if rv < self.compacted_rv:
            raise errors.gone_continue()
        return {"rv": rv, "start": start}

    # -- watch --------------------------------------------------------------------------------------
    def watch(self, rtype, namespace, labels, fields, resource_version):
        """Register a watcher; returns (watcher, initial events). Raises 410 for a compacted version."""
        with self.lock:
            watcher = Watcher(rtype, namespace, labels, fields)
            initial = []
            if resource_version in (None, "", "0"):
                initial = [("ADDED", obj) for obj in self.items(rtype, namespace) if watcher.wants(obj)]
            else:
                since = int(resource_version)
                if since < self.compacted_rv or (self._history and since < self._history[0][0] - 1
                                                 and since < self._rv):
                    raise errors.gone_resource_version(resource_version)
                initial = [(etype, obj) for rv, rt, etype, obj in self._history
                           if rv > since and rt == rtype and watcher.wants(obj)]
            self._watchers.append(watcher)
            return watcher, initial

    def unwatch(self, watcher):
        with self.lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    # -- writes -------------------------------------------------------------------------------------
    def validate_name(self, rtype, obj):
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name and meta.get("generateName"):
            suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            name = meta["name"] = meta["generateName"] + suffix
        if not name:
            raise errors.required(rtype, rtype.kind, "", "metadata.name")
        return name

    @staticmethod
    def validate(rtype, obj, name, update=False):
        """The registry strategy's Validate / ValidateUpdate (rest.BeforeCreate / BeforeUpdate): NewInvalid
        with the kind qualified by its group. Names are checked on create; only Karmada's Cluster strategy
        checks them again on update (ValidateClusterUpdate calls ValidateCluster)."""
        field_errors = [] if update and rtype.name_rule != "karmada-cluster" else validation.name_errors(rtype, name)
        field_errors += validation.spec_errors(rtype, obj)
        if field_errors:
            raise validation.new_invalid(rtype.group, rtype.kind, name, field_errors)

    def admit_namespace(self, rtype, name, namespace):
        ns = self._objects[NAMESPACE].get(("", namespace))
        if ns is None:
            raise errors.namespace_not_found(namespace)
        if ns.get("status", {}).get("phase") == "Terminating":
            raise errors.namespace_terminating(rtype, name, namespace)

    def create(self, rtype, obj, dry_run=False, namespace=None, validate=True):
        """validate=False writes what the API server would refuse, as a restore straight into etcd does."""
        with self.lock:
            obj = copy.deepcopy(obj)
            obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
            meta = obj.setdefault("metadata", {})
            name = self.validate_name(rtype, obj)
            if rtype.namespaced:
                namespace = namespace or meta.get("namespace") or "default"
                if meta.get("namespace") and meta["namespace"] != namespace:
                    raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                             "sent on the request")
                meta["namespace"] = namespace
                self.admit_namespace(rtype, name, namespace)      # admission comes before validation
            else:
                meta.pop("namespace", None)
                namespace = ""
            if validate:
                self.validate(rtype, obj, name)
            key = (namespace, name)
            if key in self._objects[rtype]:
                raise errors.already_exists(rtype, name)
            for transient in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                meta.pop(transient, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = clock.rfc3339()
            meta["generation"] = 1
            if rtype is NAMESPACE:
                obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
                obj["status"] = {"phase": "Active"}
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            if dry_run:
                meta["resourceVersion"] = ""
                return obj
            meta["resourceVersion"] = self._next_rv()
            self._store(rtype, key, obj)
            self._publish("ADDED", rtype, obj)
            return obj

    def update(self, rtype, obj, dry_run=False, subresource=None, namespace=None, name=None):
        """Replace an object (PUT). A stale resourceVersion is a 409; omitting it means unconditional."""
        with self.lock:
            meta = obj.get("metadata") or {}
            name = name or meta.get("name")
            namespace = (namespace or meta.get("namespace") or "") if rtype.namespaced else ""
            if meta.get("name") and name != meta["name"]:
                raise errors.bad_request(f'the name of the object ({meta["name"]}) does not match the name on '
                                         f"the URL ({name})")
            current = self._objects[rtype].get((namespace, name))
            if current is None:
                raise errors.not_found(rtype, name)
            requested_rv = meta.get("resourceVersion")
            if not requested_rv and not rtype.unconditional_update:
                # apiserver v0.35.3 pkg/registry/generic/registry/store.go:732: the Invalid error names the
                # resource (plural) where a kind belongs, and the value is the uint64 0.
                raise validation.new_invalid(rtype.group, rtype.plural, name, [validation.field_invalid(
                    "metadata.resourceVersion", 0, "must be specified for an update")])
            if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(rtype, name)
            new = self._merge_for_update(rtype, current, copy.deepcopy(obj), subresource)
            if subresource != "status":
                self.validate(rtype, new, name, update=True)
            return self._commit_update(rtype, current, new, dry_run)

    def _merge_for_update(self, rtype, current, new, subresource):
        if subresource == "status":
            merged = copy.deepcopy(current)
            merged["status"] = new.get("status", {})
            return merged
        new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
        meta = new.setdefault("metadata", {})
        old_meta = current["metadata"]
        for immutable in ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation"):
            if immutable in old_meta:
                meta[immutable] = old_meta[immutable]
            else:
                meta.pop(immutable, None)
        if rtype.has_status or rtype is NAMESPACE:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        if rtype is NAMESPACE:
            new.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        return new

    def _commit_update(self, rtype, current, new, dry_run):
        meta = new["metadata"]
        if _spec_part(new) != _spec_part(current):
            meta["generation"] = current["metadata"].get("generation", 1) + 1
        if new == current:
            return current
        if dry_run:
            return new
        meta["resourceVersion"] = self._next_rv()
        key = (meta.get("namespace", ""), meta["name"])
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and rtype is not NAMESPACE:
            self._drop(rtype, key)
            self._publish("DELETED", rtype, new, current)
            return new
        self._store(rtype, key, new)
        self._publish("MODIFIED", rtype, new, current)
        return new

    def patch(self, rtype, namespace, name, apply_patch, dry_run=False, subresource=None):
        """apply_patch(current_obj) -> patched obj; resourceVersion in the patch still guards."""
        with self.lock:
            current = self.get(rtype, namespace if rtype.namespaced else "", name)
            patched = apply_patch(copy.deepcopy(current))
            requested_rv = (patched.get("metadata") or {}).get("resourceVersion")
            if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(rtype, name)
            patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
            new = self._merge_for_update(rtype, current, patched, subresource)
            if subresource != "status":
                self.validate(rtype, new, name, update=True)
            return self._commit_update(rtype, current, new, dry_run)

    def mutate(self, rtype, namespace, name, change, subresource=None):
        """In-process read-modify-write for controllers: change(copy) edits the copy in place."""
        with self.lock:
            current = self.find(rtype, namespace if rtype.namespaced else "", name)
            if current is None:
                return None
            new = copy.deepcopy(current)
            change(new)
            new = self._merge_for_update(rtype, current, new, subresource) if subresource != "all" else new
            return self._commit_update(rtype, current, new, dry_run=False)

    def delete(self, rtype, namespace, name, dry_run=False):
        """Returns (object, removed): finalizers or a namespace's content keep it around for a while."""
        with self.lock:
            namespace = namespace if rtype.namespaced else ""
            current = self.get(rtype, namespace, name)
            meta = current["metadata"]
            if rtype is NAMESPACE:
                if dry_run or meta.get("deletionTimestamp"):
                    return current, False
                new = copy.deepcopy(current)
                new["metadata"]["deletionTimestamp"] = clock.rfc3339()
                new["status"] = {"phase": "Terminating"}
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._store(rtype, (namespace, name), new)
                self._publish("MODIFIED", rtype, new, current)
                return new, False
            if meta.get("finalizers"):
                if dry_run or meta.get("deletionTimestamp"):
                    return current, False
                new = copy.deepcopy(current)
                new["metadata"]["deletionTimestamp"] = clock.rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._store(rtype, (namespace, name), new)
                self._publish("MODIFIED", rtype, new, current)
                return new, False
            if dry_run:
                return current, True
            gone = copy.deepcopy(current)
            gone["metadata"]["resourceVersion"] = self._next_rv()
            self._drop(rtype, (namespace, name))
            self._publish("DELETED", rtype, gone, current)
            return gone, True

    def finish_namespace_deletions(self, namespaced_types):
        """The namespace controller: empty terminating namespaces, then remove them once empty."""
        with self.lock:
            terminating = [ns for ns in self.items(NAMESPACE)
                           if ns.get("status", {}).get("phase") == "Terminating"]
            for ns in terminating:
                name = ns["metadata"]["name"]
                remaining = 0
                for rtype in namespaced_types:
                    for obj in self.items(rtype, name):
                        if not obj["metadata"].get("deletionTimestamp"):
                            self.delete(rtype, name, obj["metadata"]["name"])
                        if self.find(rtype, name, obj["metadata"]["name"]) is not None:
                            remaining += 1
                if remaining == 0:
                    gone = copy.deepcopy(ns)
                    gone["metadata"]["resourceVersion"] = self._next_rv()
                    gone["spec"] = {"finalizers": []}
                    self._drop(NAMESPACE, ("", name))
                    self._publish("DELETED", NAMESPACE, gone, ns)
