"""An event recorder with client-go's correlation: identical events are merged into one with a count."""

from __future__ import annotations

import threading
import time

from .. import clock
from ..resources import EVENT


def involved_reference(obj):
    meta = obj["metadata"]
    reference = {"kind": obj["kind"], "name": meta["name"], "uid": meta.get("uid", ""),
                 "apiVersion": obj["apiVersion"], "resourceVersion": meta.get("resourceVersion", "")}
    if meta.get("namespace"):
        reference["namespace"] = meta["namespace"]
    return reference


class EventRecorder:
    """Writes core/v1 Events to the Karmada API server, as the controller-manager's recorders do."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._index = {}           # correlation key -> (namespace, event name)

    def event(self, obj, event_type, reason, message, component, when=None):
        involved = involved_reference(obj)
        # Cluster-scoped objects get their events in "default" (client-go makeEvent).
        namespace = involved.get("namespace") or "default"
        key = (involved["kind"], namespace, involved["name"], involved["uid"], event_type, reason, message,
               component)
        stamp = clock.rfc3339(when)
        with self._lock:
            existing = self._index.get(key)
            if existing and self.store.find(EVENT, *existing) is not None:
                def bump(event):
                    event["count"] = event.get("count", 1) + 1
                    event["lastTimestamp"] = stamp
                return self.store.mutate(EVENT, existing[0], existing[1], bump)
            name = f"{involved['name']}.{time.time_ns():x}"
            event = {"metadata": {"name": name, "namespace": namespace},
                     "involvedObject": involved, "reason": reason, "message": message, "type": event_type,
                     "source": {"component": component}, "reportingComponent": component, "reportingInstance": "",
                     "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
                     "eventTime": None}
            created = self.store.create(EVENT, event)
            self._index[key] = (namespace, name)
            return created
