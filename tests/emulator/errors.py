"""Kubernetes ``Status`` errors with the wording of the real API server."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client as a ``metav1.Status`` object."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(rtype):
    """``works.work.karmada.io`` for grouped kinds, ``namespaces`` for core ones."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def _details(rtype, name):
    details = {"kind": rtype.plural}
    if name:
        details["name"] = name
    if rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype, name):
    return ApiError(404, "NotFound", f'{qualified(rtype)} "{name}" not found', _details(rtype, name))


def namespace_not_found(namespace):
    return ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                    {"name": namespace, "kind": "namespaces"})


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", f'{qualified(rtype)} "{name}" already exists', _details(rtype, name))


def conflict(rtype, name):
    return ApiError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {qualified(rtype)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(rtype, name))


def namespace_terminating(rtype, name, namespace):
    return ApiError(
        403, "Forbidden",
        f'{qualified(rtype)} "{name}" is forbidden: unable to create new content in namespace '
        f"{namespace} because it is being terminated",
        _details(rtype, name) | {"causes": [{
            "reason": "NamespaceTerminating",
            "message": f"namespace {namespace} is being terminated",
            "field": "metadata.namespace"}]})


def forbidden(rtype, name, user, verb, namespace, subresource=""):
    """An authorizer's denial, worded as kube-apiserver words it: responsewriters.Forbidden/forbiddenMessage
    (k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go: 'User %q cannot %s resource %q in API
    group %q in the namespace %q' / 'at the cluster scope') wrapped by apierrors.NewForbidden (k8s.io/apimachinery
    pkg/api/errors/errors.go: '<resource>.<group> "<name>" is forbidden: ...'; details kind is the resource
    without its subresource)."""
    resource = rtype.plural
    if subresource:
        what = f'cannot {verb} resource "{rtype.plural}/{subresource}"'
    else:
        what = f'cannot {verb} resource "{rtype.plural}"'
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    subject = f'{qualified(rtype)} "{name}"' if name else qualified(rtype)
    message = f'{subject} is forbidden: User "{user}" {what} in API group "{rtype.group}" {scope}'
    return ApiError(403, "Forbidden", message, {"name": name, "group": rtype.group, "kind": resource}
                    if name else {"group": rtype.group, "kind": resource})


def forbidden_path(user, verb, path):
    return ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"', {})


def required(rtype, kind, name, field):
    message = f'{kind} "{name}" is invalid: {field}: Required value'
    return ApiError(422, "Invalid", message, _details(rtype, name) | {"kind": kind, "causes": [{
        "reason": "FieldValueRequired", "message": "Required value", "field": field}]})


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def method_not_allowed(message="the server does not allow this method on the requested resource"):
    return ApiError(405, "MethodNotAllowed", message, {})


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - '
                    f'accepted media types include: application/json-patch+json, application/merge-patch+json, '
                    f'application/strategic-merge-patch+json, application/apply-patch+yaml; got "{content_type}"')


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def gone_continue():
    return ApiError(
        410, "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new "
        "list without the continue parameter, or use the continue token in this response to retrieve the "
        "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
        "that were created, modified, or deleted between the time the first chunk was returned and now may "
        "show up in the list.")


def gone_resource_version(rv):
    return ApiError(410, "Expired", f"too old resource version: {rv}")


def too_many_requests(retry_after):
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after}, headers={"Retry-After": str(retry_after)})


def internal(message):
    return ApiError(500, "InternalError", f"Internal error occurred: {message}",
                    {"causes": [{"message": message}]})


def from_code(code, message=None, retry_after=None):
    """A plausible Status for an injected HTTP status code."""
    if code == 429:
        return too_many_requests(retry_after or 1)
    reasons = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
               410: "Expired", 422: "Invalid", 500: "InternalError", 503: "ServiceUnavailable",
               504: "Timeout"}
    reason = reasons.get(code, "InternalError" if code >= 500 else "BadRequest")
    default = {503: "the server is currently unable to handle the request",
               504: "the server was unable to return a response in the time allotted"}.get(code, reason)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return ApiError(code, reason, message or default, {}, headers=headers)
