# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster text in the report: bounded in size, and never able to drive a terminal (issue 12, item 9)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report
from ansible_collections.karmada.runbooks.plugins.module_utils._report import TEXT_LIMIT, evidence, finding, signal, unknown
from ansible_collections.karmada.runbooks.plugins.module_utils._report_console import console_summary
from ansible_collections.karmada.runbooks.plugins.module_utils._report_files import render
from ansible_collections.karmada.runbooks.plugins.module_utils._report_views import printable
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import cause, report, verdict

MEGABYTE = 1 << 20
# Clear the screen, home the cursor, set the window title, then overwrite the line and a character.
TERMINAL = "\x1b[2J\x1b[H\x1b]0;pwned-title\x07CLEARED\rOVER\x08X\x9b31m"


def test_a_long_string_keeps_its_start_and_says_how_long_it_was():
    text = "A" * MEGABYTE
    cut = _report.bounded(text)
    assert cut.startswith("A" * TEXT_LIMIT) and cut.endswith("\u2026 [truncated, 1048576 characters]")
    assert len(cut) < TEXT_LIMIT + 40
    assert _report.bounded("short") == "short" and _report.bounded(7) == 7


def test_every_string_a_finding_carries_is_bounded():
    big = "x" * MEGABYTE
    item = evidence("event", big, count=1)
    found = finding("sync_failure_events", "fail", big, details={"samples": [{"message": big}], "count": 3},
                    evidence_items=[item], signals=[signal("apiserver_errors", 0.5, big, evidence_items=[item])])
    assert len(json.dumps(found)) < 6 * (TEXT_LIMIT + 100)
    assert found["details"]["count"] == 3
    assert found["details"]["samples"][0]["message"].endswith("[truncated, 1048576 characters]")
    assert len(unknown("rbac", big)["error"]) < TEXT_LIMIT + 40


def test_one_megabyte_event_makes_a_small_report():
    event = evidence("event", "Failed to sync work: " + "A" * MEGABYTE, count=1)
    checks = [finding("sync_failure_events", "fail", "1 event", evidence_items=[event],
                      signals=[signal("apiserver_errors", 0.6, "events", evidence_items=[event])])]
    documents = render(report(checks, verdict([cause("apiserver_errors", 0.6, items=[event])])))
    assert all(len(text) < 100_000 for text in documents.values()), {k: len(v) for k, v in documents.items()}


@pytest.mark.parametrize("character", ["\x1b", "\x07", "\r", "\x08", "\x9b", "\x00", "\x0c"])
def test_printable_drops_what_a_terminal_acts_on(character):
    assert character not in printable("a" + character + "b")


def test_printable_keeps_line_ends_and_tabs():
    assert printable("a\tb\r\nc\n") == "a\tb\r\nc\n"


def test_terminal_sequences_from_the_cluster_do_not_reach_the_files_or_the_console():
    event = evidence("event", "Failed to sync work: " + TERMINAL, count=1)
    checks = [finding("sync_failure_events", "fail", "events say " + TERMINAL, evidence_items=[event],
                      details={"samples": [TERMINAL]},
                      signals=[signal("apiserver_errors", 0.6, "events " + TERMINAL, evidence_items=[event])])]
    the_report = report(checks, verdict([cause("apiserver_errors", 0.6, items=[event])]))
    documents = render(the_report)
    for fmt in ("md", "html"):
        assert "pwned-title" in documents[fmt]  # the text is there, as text
        for character in ("\x1b", "\x07", "\x08", "\x9b"):
            assert character not in documents[fmt], (fmt, character)
        assert "CLEARED\rOVER" not in documents[fmt]
    # report.json keeps the data; JSON escapes every control character.
    assert "\\u001b" in documents["json"] and "\x1b" not in documents["json"]
    summary = console_summary(the_report)
    assert "\x1b" not in summary and "\r" not in summary
