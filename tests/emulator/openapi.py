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


# -- /openapi/v2 ---------------------------------------------------------------------------------------
# kubectl's client-side validation (``kubectl apply -f`` with the default --validate=strict) asks
# /openapi/v3 whether a kind's PATCH takes ``fieldValidation``; for ``kind: List`` it never does
# (k8s.io/cli-runtime pkg/resource/query_param_verifier_v3.go returns ParamUnsupportedError for
# v1/List), so kubectl validates the List's items itself against the Swagger 2.0 document of
# ``GET /openapi/v2`` (k8s.io/kubectl pkg/validation/schema.go ``validateList``), which client-go's
# ``DiscoveryClient.OpenAPISchema`` fetches with ``Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf``
# and decodes as a gnostic ``openapi_v2.Document`` (google/gnostic-models openapiv2/OpenAPIv2.proto).
# kube-apiserver serves that document as JSON by default and as protobuf when asked (kube-openapi
# pkg/handler). Definitions are named as kube-apiserver names them: ``io.k8s.api.<group>.<version>.<Kind>``
# for built-in types and the reversed group for CRDs (``io.karmada.policy.v1alpha1.OverridePolicy``,
# apiextensions-apiserver's OpenAPI builder), each with ``x-kubernetes-group-version-kind``.

# What clients ask for (client-go discovery ``openAPIV2mimePb``) and what kube-openapi's handler answers
# with (pkg/handler: ``subTypeProtobuf``; the ``@`` form is its deprecated alias, unparsable as a MIME type).
PROTOBUF_V2_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

_STRING = {"type": "string"}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_OBJECT = {"type": "object"}                 # no properties: kubectl treats it as a map of anything
_ARRAY = {"type": "array", "items": {"type": "object"}}

# Top-level fields per kind besides apiVersion/kind/metadata (k8s.io/api types; Karmada's CRDs have spec/status).
_FIELDS = {
    "ConfigMap": {"data": _STRING_MAP, "binaryData": {"type": "object", "additionalProperties":
                                                      {"type": "string", "format": "byte"}},
                  "immutable": {"type": "boolean"}},
    "Secret": {"data": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
               "stringData": _STRING_MAP, "type": _STRING, "immutable": {"type": "boolean"}},
    "ServiceAccount": {"secrets": _ARRAY, "imagePullSecrets": _ARRAY,
                       "automountServiceAccountToken": {"type": "boolean"}},
    "Event": dict.fromkeys(("action", "eventTime", "firstTimestamp", "lastTimestamp", "message", "reason",
                            "reportingComponent", "reportingInstance", "type"), _STRING),
    "Role": {"rules": _ARRAY},
    "ClusterRole": {"rules": _ARRAY, "aggregationRule": _OBJECT},
    "RoleBinding": {"subjects": _ARRAY, "roleRef": _OBJECT},
    "ClusterRoleBinding": {"subjects": _ARRAY, "roleRef": _OBJECT},
}
_FIELDS["Event"].update({"count": {"type": "integer", "format": "int32"}, "involvedObject": _OBJECT,
                         "related": _OBJECT, "series": _OBJECT, "source": _OBJECT})
_DEFAULT_FIELDS = {"spec": _OBJECT, "status": _OBJECT}
_META_FIELDS = {
    **dict.fromkeys(("name", "generateName", "namespace", "uid", "resourceVersion", "selfLink"), _STRING),
    "creationTimestamp": {"type": "string", "format": "date-time"},
    "deletionTimestamp": {"type": "string", "format": "date-time"},
    "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
    "generation": {"type": "integer", "format": "int64"},
    "labels": _STRING_MAP, "annotations": _STRING_MAP,
    "finalizers": {"type": "array", "items": _STRING},
    "ownerReferences": _ARRAY, "managedFields": _ARRAY,
}


def definition_name(rtype):
    if not rtype.group:
        return f"io.k8s.api.core.{rtype.version}.{rtype.kind}"
    if rtype.group.endswith(".k8s.io") or "." not in rtype.group:
        return f"io.k8s.api.{rtype.group.split('.')[0]}.{rtype.version}.{rtype.kind}"
    return f"{'.'.join(reversed(rtype.group.split('.')))}.{rtype.version}.{rtype.kind}"


def _definition(rtype):
    properties = {"apiVersion": {"description": "APIVersion defines the versioned schema of this representation "
                                                "of an object.", "type": "string"},
                  "kind": {"description": "Kind is a string value representing the REST resource this object "
                                          "represents.", "type": "string"},
                  "metadata": {"$ref": f"#/definitions/{OBJECT_META}"}}
    properties.update(_FIELDS.get(rtype.kind, _DEFAULT_FIELDS))
    return {"type": "object", "properties": properties,
            "x-kubernetes-group-version-kind": [{"group": rtype.group, "kind": rtype.kind,
                                                 "version": rtype.version}]}


def swagger_document(registry, version="v1.31.2"):
    """The Swagger 2.0 document of ``GET /openapi/v2`` (JSON form)."""
    definitions = {OBJECT_META: {"description": "ObjectMeta is metadata that all persisted resources must have.",
                                 "type": "object", "properties": dict(_META_FIELDS)}}
    for rtype in registry.types:
        definitions[definition_name(rtype)] = _definition(rtype)
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": version}, "paths": {},
            "definitions": {name: definitions[name] for name in sorted(definitions)}}


# -- protobuf encoding of gnostic's openapi_v2.Document (field numbers from OpenAPIv2.proto) ----------------

def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bytes_field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _named_any(name, value):
    import yaml
    any_message = _bytes_field(2, yaml.safe_dump(value, default_flow_style=False))       # Any.yaml = 2
    return _bytes_field(1, name) + _bytes_field(2, any_message)                           # NamedAny


def _schema(schema):
    """openapi_v2.Schema: _ref 1, format 2, description 4, required 19, additional_properties 21,
    type 22, items 23, properties 25, vendor_extension 31."""
    out = b""
    if "$ref" in schema:
        out += _bytes_field(1, schema["$ref"])
    if "format" in schema:
        out += _bytes_field(2, schema["format"])
    if "description" in schema:
        out += _bytes_field(4, schema["description"])
    for name in schema.get("required") or ():
        out += _bytes_field(19, name)
    if isinstance(schema.get("additionalProperties"), dict):
        out += _bytes_field(21, _bytes_field(1, _schema(schema["additionalProperties"])))   # oneof schema = 1
    elif isinstance(schema.get("additionalProperties"), bool):
        out += _bytes_field(21, _varint(2 << 3) + _varint(int(schema["additionalProperties"])))
    if "type" in schema:
        out += _bytes_field(22, _bytes_field(1, schema["type"]))                             # TypeItem.value
    if "items" in schema:
        out += _bytes_field(23, _bytes_field(1, _schema(schema["items"])))                  # ItemsItem.schema
    if "properties" in schema:
        named = b"".join(_bytes_field(1, _bytes_field(1, key) + _bytes_field(2, _schema(value)))
                         for key, value in schema["properties"].items())
        out += _bytes_field(25, named)                                                       # Properties
    for key, value in schema.items():
        if key.startswith("x-"):
            out += _bytes_field(31, _named_any(key, value))
    return out


def swagger_protobuf(document):
    """``document`` as the protobuf kube-apiserver serves for Accept: PROTOBUF_V2."""
    info = _bytes_field(1, document["info"]["title"]) + _bytes_field(2, document["info"]["version"])
    definitions = b"".join(_bytes_field(1, _bytes_field(1, name) + _bytes_field(2, _schema(schema)))
                           for name, schema in document["definitions"].items())
    return (_bytes_field(1, document["swagger"]) + _bytes_field(2, info) + _bytes_field(8, b"")
            + _bytes_field(9, definitions))
