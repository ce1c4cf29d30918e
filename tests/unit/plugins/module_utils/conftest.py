# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the module_utils tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import classify


def _causes_in(message):
    seen = []
    for cause, _details, _part in classify(message):
        if cause and cause not in seen:
            seen.append(cause)
    return seen


@pytest.fixture(name="causes_in")
def causes_in_fixture():
    """The distinct cause ids a message points at, in first-seen order (what a reader of the log would list)."""
    return _causes_in
