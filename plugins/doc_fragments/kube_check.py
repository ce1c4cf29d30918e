# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check module that reads a Kubernetes API server documents the same way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  request_timeout:
    description: Seconds to wait for each API request.
    type: int
    default: 30
requirements:
  - kubernetes >= 24.2.0
"""
