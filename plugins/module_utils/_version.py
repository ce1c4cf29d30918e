# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, for report.json.

A module runs from a zip on the managed host and cannot find galaxy.yml there, so the version is a
constant. Keep it equal to ``version`` in galaxy.yml (a unit test compares them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLLECTION_VERSION = "0.1.0"
