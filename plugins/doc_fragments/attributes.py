# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Standard attribute texts, so every module documents check mode, diff mode and its group the same way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Descriptions only; a module that writes documents its own support levels.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
"""

    # A read-only check: safe in check mode, never changes anything.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details: The module never changes anything.
"""

    # Which module_defaults group sets the connection: one per endpoint, so a play points each at its server.
    APISERVER = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/karmada.runbooks.karmada_apiserver) in C(module_defaults) to set the connection to the Karmada API server once.
    support: full
    membership: [karmada.runbooks.karmada_apiserver]
"""

    HOST = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/karmada.runbooks.karmada_host) in C(module_defaults) to set the connection to the host cluster once.
    support: full
    membership: [karmada.runbooks.karmada_host]
"""

    PROMETHEUS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/karmada.runbooks.prometheus) in C(module_defaults) to set the Prometheus connection once.
    support: full
    membership: [karmada.runbooks.prometheus]
"""

    # Every module of this collection has an action plugin of the same name (plugin_utils/_in_controller).
    ACTION = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: The module runs in the controller's worker process; nothing is copied to or started on a host.
"""
