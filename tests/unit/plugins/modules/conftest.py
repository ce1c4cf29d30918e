# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.tests.unit.plugins.modules.module_runner import capture


@pytest.fixture(autouse=True)
def captured(monkeypatch):
    """Every module test runs main() in-process: exit_json/fail_json raise instead of exiting."""
    capture(monkeypatch)
