"""Object validation the emulated API servers apply, worded exactly as the real servers word it.

Name rules are apimachinery v0.35.3 (the version Karmada v1.18.2's go.mod pins; kube-apiserver 1.27+ words
them the same): ``pkg/util/validation/validation.go`` (IsDNS1123Label, IsDNS1123Subdomain, MaxLenError,
RegexError), ``pkg/api/validation/path/name.go`` (IsValidPathSegmentName, what RBAC objects use), and
Karmada's own rule for Clusters. Errors become ``NewInvalid`` (``pkg/api/errors/errors.go``) with field
errors rendered as ``pkg/util/validation/field/errors.go`` renders them.
"""

from __future__ import annotations

import datetime as _dt
import json
import re

from .errors import ApiError

DNS1123_LABEL_MAX = 63          # validation.go DNS1123LabelMaxLength
DNS1123_SUBDOMAIN_MAX = 253     # validation.go DNS1123SubdomainMaxLength
CLUSTER_NAME_MAX = 48           # karmada v1.18.2 pkg/apis/cluster/validation/validation.go clusterNameMaxLength
_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_LABEL = re.compile("^" + _LABEL_FMT + "$")
_SUBDOMAIN = re.compile("^" + _SUBDOMAIN_FMT + "$")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character")


def max_len_error(length):
    return f"must be no more than {length} characters"


def regex_error(message, fmt, *examples):
    """validation.go RegexError: note the two spaces after the first example ("'my-name',  or")."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{fmt}')"


def dns1123_label(value):
    """IsDNS1123Label: a subdomain that is no label only has dots in it (apimachinery cf894f11, 2022-12)."""
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _LABEL.match(value):
        if _SUBDOMAIN.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errs


def dns1123_subdomain(value):
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _SUBDOMAIN.match(value):
        errs.append(regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errs


def path_segment_name(value):
    """IsValidPathSegmentName: RBAC's ValidateRBACName (kubernetes pkg/apis/rbac/validation), so ':' is fine."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def karmada_cluster_name(value):
    """Karmada v1.18.2 ValidateClusterName (pkg/apis/cluster/validation/validation.go:45), which
    karmada-aggregated-apiserver runs on every Cluster create and update (pkg/registry/cluster/strategy.go:127,
    :156 -- not on status updates). Before v1.1.0 a validating webhook ran it (pkg/webhook/cluster/validating.go,
    removed in f697c03c7), so a Cluster that got past a bypassed webhook, or was restored into etcd, can
    still carry a name it rejects."""
    if not value:
        return ["must be not empty"]
    if len(value) > CLUSTER_NAME_MAX:
        return [max_len_error(CLUSTER_NAME_MAX)]
    return dns1123_label(value)


NAME_RULES = {"dns-label": dns1123_label, "dns-subdomain": dns1123_subdomain, "path-segment": path_segment_name,
              "karmada-cluster": karmada_cluster_name}


def go_value(value):
    """How field.Error.ErrorBody prints a bad value: strings %q, numbers as they are, the rest as JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def field_invalid(field, value, detail):
    """A field.Invalid error: (field, body)."""
    return field, f"Invalid value: {go_value(value)}: {detail}"


def new_invalid(group, kind, name, field_errors):
    """apierrors.NewInvalid: ``<Kind>.<group> "<name>" is invalid: <aggregate of field errors>``."""
    messages = list(dict.fromkeys(f"{field}: {body}" for field, body in field_errors))
    aggregate = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    qualified = f"{kind}.{group}" if group else kind
    details = {"name": name, "kind": kind,
               "causes": [{"reason": "FieldValueInvalid", "message": body, "field": field}
                          for field, body in field_errors]}
    if group:
        details["group"] = group
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {aggregate}', details)


def name_errors(rtype, name):
    return [field_invalid("metadata.name", name, message) for message in NAME_RULES[rtype.name_rule](name)]


def spec_errors(rtype, obj):
    """Field rules beyond the name; only Lease's are modelled (kubernetes pkg/apis/coordination/validation
    ValidateLeaseSpec: leaseDurationSeconds > 0, leaseTransitions >= 0)."""
    if rtype.kind != "Lease":
        return []
    spec = obj.get("spec") or {}
    errs = []
    duration, transitions = spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")
    if isinstance(duration, int) and duration <= 0:
        errs.append(field_invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    if isinstance(transitions, int) and transitions < 0:
        errs.append(field_invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    return errs


# -- metav1.MicroTime ------------------------------------------------------------------------------------
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"      # apimachinery pkg/apis/meta/v1/micro_time.go


class TimeParseError(ValueError):
    """Go's time.ParseError, worded as its Error() (go src/time/format.go)."""

    def __init__(self, value, layout_elem=None, value_elem=None, message=None):
        if message is None:
            text = (f"parsing time {go_value(value)} as {go_value(RFC3339_MICRO)}: cannot parse "
                    f"{go_value(value_elem)} as {go_value(layout_elem)}")
        else:
            text = f"parsing time {go_value(value)}{message}"
        super().__init__(text)


def _getnum(value, fixed):
    if not value[:1].isdigit():
        return None, value
    if not value[1:2].isdigit():
        return (None, value) if fixed else (int(value[0]), value[1:])
    return int(value[:2]), value[2:]


def parse_micro_time(text):
    """time.Parse(RFC3339Micro, text) as Go does it: exactly six fraction digits, a 'Z' or a ±hh:mm offset.

    MicroTime.UnmarshalJSON uses this layout, so "…:05Z" (no fraction, what Python's isoformat() gives for a
    whole second) and nine-digit fractions are rejected by the API server.
    """
    value = text
    # (prefix, element, kind) in layout order; kinds mirror format.go's std codes for this one layout
    steps = [("", "2006", "year"), ("-", "01", "month"), ("-", "02", "day"), ("T", "15", "hour"),
             (":", "04", "minute"), (":", "05", "second"), ("", ".000000", "fraction"), ("", "Z07:00", "zone")]
    parts = {}
    for prefix, element, kind in steps:
        if not value.startswith(prefix):
            raise TimeParseError(text, prefix, value)
        value = value[len(prefix):]
        hold = value
        bad = False
        if kind == "year":
            bad = len(value) < 4 or not value[:4].isdigit()
            if not bad:
                parts[kind], value = int(value[:4]), value[4:]
        elif kind in ("month", "day", "minute", "second", "hour"):
            number, value = _getnum(value, fixed=kind != "hour")
            bad = number is None
            parts[kind] = number
            limits = {"month": (1, 12), "hour": (0, 23), "minute": (0, 59), "second": (0, 59)}
            if not bad and kind in limits and not limits[kind][0] <= number <= limits[kind][1]:
                raise TimeParseError(text, message=f": {kind} out of range")
        elif kind == "fraction":
            bad = len(value) < 7 or value[0] not in ".," or not value[1:7].isdigit()
            if not bad:
                parts[kind], value = int(value[1:7]), value[7:]
        else:
            if value.startswith("Z"):
                parts[kind], value = 0, value[1:]
            elif len(value) < 6 or value[3] != ":" or value[0] not in "+-" or not (
                    value[1:3].isdigit() and value[4:6].isdigit()):
                bad = True
            else:
                if int(value[1:3]) > 24:                    # format.go: "> rather than >="
                    raise TimeParseError(text, message=": time zone offset hour out of range")
                if int(value[4:6]) > 60:
                    raise TimeParseError(text, message=": time zone offset minute out of range")
                sign = -1 if value[0] == "-" else 1
                parts[kind], value = sign * (int(value[1:3]) * 3600 + int(value[4:6]) * 60), value[6:]
        if bad:
            raise TimeParseError(text, element, hold)
    if value:
        raise TimeParseError(text, message=f": extra text: {go_value(value)}")
    try:
        moment = _dt.datetime(parts["year"], parts["month"], parts["day"], parts["hour"], parts["minute"],
                              parts["second"], parts["fraction"], tzinfo=_dt.UTC)
    except ValueError:
        raise TimeParseError(text, message=": day out of range") from None
    return moment - _dt.timedelta(seconds=parts["zone"])


def format_micro_time(moment):
    """MicroTime.MarshalJSON: UTC, six fraction digits."""
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode_micro_times(rtype, obj):
    """Parse and re-render the MicroTime fields of a request body, or fail the way the decoder does.

    The JSON decoder calls MicroTime.UnmarshalJSON; its error reaches the client through apiserver
    v0.35.3 pkg/endpoints/handlers/rest.go transformDecodeError as a 400:
    ``<Kind> in version "<v>" cannot be handled as a <Kind>: <time.ParseError>``.
    """
    for path in rtype.micro_time_fields:
        holder = obj
        *parents, leaf = path.split(".")
        for key in parents:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or holder.get(leaf) is None:
            continue
        raw = holder[leaf]
        if not isinstance(raw, str):
            continue                  # not modelled: encoding/json's type error, wrapped with field context
        try:
            holder[leaf] = format_micro_time(parse_micro_time(raw))
        except TimeParseError as exc:
            raise ApiError(400, "BadRequest", f'{rtype.kind} in version "{rtype.version}" cannot be handled as a '
                                              f"{rtype.kind}: {exc}") from None
    return obj
