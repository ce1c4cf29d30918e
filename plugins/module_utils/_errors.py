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
