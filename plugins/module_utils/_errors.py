# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two kinds of failure every check tells apart, because the run treats them differently.

``InputError``: what the caller gave cannot work (a bad time, an unknown option value, a URL that is
not one). Its message names the option or playbook variable and says what to give instead; the
module fails, because retrying will not help and the user has to change the input.

``CheckUnavailable``: the world kept the check from running (forbidden, unreachable, timeout, no
data). Its ``reason`` is short enough for a report; the check becomes ``unknown`` and the rest of
the diagnosis goes on. Client-specific subclasses (Prometheus errors) and mappers (``_kube``'s
``map_exception``) turn library exceptions into it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class InputError(ValueError):
    """Input that cannot be understood; the message names the option and what was wrong."""


class CheckUnavailable(Exception):
    """Something kept a check from running; ``reason`` is what the report shows for it."""

    def __init__(self, reason, status=None):
        super(CheckUnavailable, self).__init__(reason)
        self.reason = reason
        self.status = status


# Module options and the playbook variables that set them (roles/common/tasks/preflight.yml hands them to
# the modules through module_defaults). A module cannot tell whether it runs alone or from a playbook, so
# an error names both: the option for a task that sets it, the variable for someone running the playbooks.
PLAYBOOK_VARIABLES = {
    ("prometheus", "url"): "karmada_prometheus_url",
    ("prometheus", "bearer_token"): "karmada_prometheus_token",
    ("prometheus", "username"): "karmada_prometheus_username",
    ("prometheus", "password"): "karmada_prometheus_password",
    ("prometheus", "ca_cert"): "karmada_prometheus_ca_cert",
    ("prometheus", "request_timeout"): "karmada_prometheus_timeout",
    ("kube", "request_timeout"): "karmada_request_timeout",
    ("report", "report_dir"): "karmada_report_dir",
}


def option_name(option, group):
    """``option`` followed by the playbook variable that sets it, e.g. 'url (karmada_prometheus_url)'."""
    variable = PLAYBOOK_VARIABLES.get((group, option))
    return "%s (%s)" % (option, variable) if variable else option


def plain_type_name(value):
    """The builtin type a value is, by name, for an error message: ansible-core 2.19 hands variables over as
    tagged subclasses (_AnsibleTaggedStr), a name that means nothing to someone who typed a string."""
    for kind in type(value).__mro__:
        if kind.__module__ == "builtins" and kind is not object:
            return kind.__name__
    return type(value).__name__


def tls_reason(exc):
    """``"TLS: certificate verify failed: <why>"`` when ``exc`` (or what it wraps) is a TLS failure, else None.

    urllib3 and urllib bury the SSL error (MaxRetryError -> SSLError -> ssl.SSLCertVerificationError, or
    URLError.reason), and their text starts with the pool's repr, so a cut message loses the part that
    says what to fix. This finds the innermost TLS error and keeps OpenSSL's reason."""
    seen = set()
    pending = [exc]
    found = None
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        name = type(current).__name__
        text = _text(current)
        if "SSL" in name or "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text:
            found = current
        pending.extend([getattr(current, "reason", None), getattr(current, "__cause__", None),
                        getattr(current, "__context__", None)])
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    if found is None:
        return None
    verify = getattr(found, "verify_message", None)
    text = _text(found)
    if verify or "CERTIFICATE_VERIFY_FAILED" in text:
        why = verify or text.split("certificate verify failed:", 1)[-1].split("(_ssl.c", 1)[0]
        return "TLS: certificate verify failed: %s" % why.strip(" :)")
    # The SSL library's own words without the wrapper's repr: the last "[SSL: ...] ..." part.
    if "[SSL" in text:
        text = text[text.rindex("[SSL"):]
    text = text.replace("SSLError\n", "").strip().rstrip(")")
    return "TLS: %s" % (text if len(text) <= 200 else text[:200] + "...")


def _text(exc):
    """str(exc), or its ``reason`` when str() fails (an ApiException built without a response)."""
    try:
        return str(exc)
    except Exception:  # pylint: disable=broad-except
        return str(getattr(exc, "reason", "") or "")
