# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the module_utils tests: a stand-in for KubeClient, so each check's ``observe`` can be
tested without an API server, and the causes a message points at."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils._causes import cause_ids


class FakeKube:
    """Answers from dicts keyed by path and counts requests as KubeClient does (one per list, stream or create).

    ``lists[path]`` and ``logs[path]`` are a list (items, lines), an exception (raised), or a function of
    the query returning one of those; ``reviews`` is a function of a created body returning the response.
    Every call is recorded in ``calls`` as (verb, path, query or body).
    """

    def __init__(self, lists=None, logs=None, reviews=None):
        self.lists = lists or {}
        self.logs = logs or {}
        self.reviews = reviews
        self.requests = 0
        self.calls = []

    def _answer(self, table, verb, path, query):
        self.requests += 1
        self.calls.append((verb, path, dict(query or {})))
        answer = table.get(path, [])
        if callable(answer):
            answer = answer(dict(query or {}))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list(self, path, query=None):
        yield from self._answer(self.lists, "list", path, query)

    def stream_lines(self, path, query=None):
        yield from self._answer(self.logs, "log", path, query)

    def create(self, path, body):
        self.requests += 1
        self.calls.append(("create", path, body))
        if isinstance(self.reviews, Exception):
            raise self.reviews
        return self.reviews(body)


@pytest.fixture
def fake_kube():
    return FakeKube


def _causes_in(message):
    return cause_ids(message)


@pytest.fixture(name="causes_in")
def causes_in_fixture():
    """The distinct cause ids a message points at, in first-seen order (what a reader of the log would list)."""
    return _causes_in
