# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the record_findings module in the controller (see plugin_utils._in_controller)."""

from __future__ import annotations

from ansible_collections.karmada.runbooks.plugins.modules.record_findings import ENTRY
from ansible_collections.karmada.runbooks.plugins.plugin_utils._in_controller import InControllerAction


class ActionModule(InControllerAction):
    ENTRY = ENTRY
