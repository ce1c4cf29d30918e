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
