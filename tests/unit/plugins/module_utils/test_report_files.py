# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering every format and writing the files: all or nothing, atomic, following the umask."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import threading
import time

import pytest

from ansible_collections.karmada.runbooks.plugins.module_utils import _report_files
from ansible_collections.karmada.runbooks.tests.unit.plugins.module_utils.report_samples import report


def test_rendering_is_deterministic():
    built = report()
    assert _report_files.render(built) == _report_files.render(copy.deepcopy(built))


def test_write_files_creates_the_directory_and_every_file(tmp_path):
    target = tmp_path / "new" / "dir"
    paths = _report_files.write_files(str(target), _report_files.render(report()))
    assert paths == {fmt: str(target / name) for fmt, name in _report_files.FILE_NAMES.items()}
    assert sorted(os.listdir(str(target))) == [".report.lock", "report.html", "report.json", "report.md"]
    with open(paths["json"], encoding="utf-8") as handle:
        assert json.load(handle) == report()


def test_unwritable_report_dir_fails_naming_it_and_writes_nothing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(_report_files.ReportWriteError) as error:
        _report_files.write_files(str(blocker / "out"), _report_files.render(report()))
    assert str(error.value).startswith(f"report_dir (karmada_report_dir): cannot write the report to {blocker / 'out'}")
    assert os.listdir(str(tmp_path)) == ["a-file"]


def test_a_failure_midway_keeps_the_previous_report_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    _report_files.write_files(str(tmp_path), {"json": "old json", "md": "old md"})
    calls = []
    real_fsync = os.fsync

    def failing_fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(_report_files.ReportWriteError, match="No space left on device"):
        _report_files.write_files(str(tmp_path), {"json": "new json", "md": "new md"})
    assert sorted(os.listdir(str(tmp_path))) == [".report.lock", "report.json", "report.md"]
    assert (tmp_path / "report.json").read_text() == "old json"


def test_two_runs_writing_at_once_leave_the_files_of_one_run(tmp_path, monkeypatch):
    # Each rename made slow, so two runs that rename without a common lock interleave their files.
    real_replace = os.replace

    def slow_replace(source, target):
        real_replace(source, target)
        time.sleep(0.002)

    monkeypatch.setattr(os, "replace", slow_replace)
    target = tmp_path / "shared" / "out"
    errors = []
    for round_number in range(15):
        start = threading.Barrier(2)

        def run(name, start=start, round_number=round_number):
            try:
                start.wait()
                _report_files.write_files(str(target), dict.fromkeys(("json", "md", "html"), f"{name} {round_number}"))
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors  # the directory created by both at once: no "File exists"
        contents = {(target / name).read_text() for name in ("report.json", "report.md", "report.html")}
        assert len(contents) == 1, (round_number, contents)
    assert not [name for name in os.listdir(str(target)) if name.endswith(".tmp")]


def test_written_files_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        paths = _report_files.write_files(str(tmp_path), {"md": "text"})
    finally:
        os.umask(previous)
    assert os.stat(paths["md"]).st_mode & 0o777 == 0o640


def test_requested_formats_keep_the_order_given_once_each_and_need_one():
    assert _report_files.requested_formats(["md", "json", "md"]) == ["md", "json"]
    with pytest.raises(ValueError, match="formats must name at least one of json, md, html"):
        _report_files.requested_formats([])
