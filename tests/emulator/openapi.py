"""A minimal OpenAPI v3 document per group version.

kubectl (create -f, apply, replace) asks /openapi/v3 whether a kind's PATCH operation takes the
``fieldValidation`` query parameter; when it does, kubectl leaves validation to the server and
needs no schemas. Serving that much keeps kubectl's manifest commands working unchanged.
"""

from __future__ import annotations

import hashlib
import json


def _gv_path(group, version):
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _item_path(rtype):
    base = "/" + _gv_path(rtype.group, rtype.version)
    if rtype.namespaced:
        return f"{base}/namespaces/{{namespace}}/{rtype.plural}/{{name}}"
    return f"{base}/{rtype.plural}/{{name}}"


def _query_parameter(name):
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def group_version_document(registry, group, version):
    types = [t for t in registry.types if t.group == group and t.version == version]
    if not types:
        return None
    paths = {}
    for rtype in types:
        if "patch" not in rtype.verbs:
            continue
        gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
        paths[_item_path(rtype)] = {"patch": {
            "operationId": f"patch{rtype.kind}",
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [_query_parameter("fieldValidation"), _query_parameter("dryRun")],
            "responses": {"200": {"description": "OK"}}}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "unversioned"}, "paths": paths,
            "components": {"schemas": {}}}


def index(registry):
    gvs = sorted({(t.group, t.version) for t in registry.types})
    paths = {}
    for group, version in gvs:
        document = group_version_document(registry, group, version)
        digest = hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest()[:128].upper()
        paths[_gv_path(group, version)] = {"serverRelativeURL": f"/openapi/v3/{_gv_path(group, version)}"
                                                                f"?hash={digest}"}
    return {"paths": paths}
