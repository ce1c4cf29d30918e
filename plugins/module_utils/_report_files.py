# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as files: which formats there are, their text (:func:`render`) and writing them.

This is the only part of the report that touches the file system. :func:`write_files` writes
every format to a temporary file in the report directory and renames them into place only once
all of them are written, so a failed run leaves the previous report untouched and never a partial
file. The renames happen under an exclusive lock on ``.report.lock`` in the directory, so two runs
writing into one directory at once leave the complete set of one of them, never a mix.
:func:`read_report` reads a report.json back (mitigate.yml starts from a diagnosis report).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import json
import os
import tempfile

from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError, option_name
from ansible_collections.karmada.runbooks.plugins.module_utils._report import SchemaError
from ansible_collections.karmada.runbooks.plugins.module_utils._report_build import check_report
from ansible_collections.karmada.runbooks.plugins.module_utils._report_html import to_html
from ansible_collections.karmada.runbooks.plugins.module_utils._report_markdown import to_markdown

FORMATS = ("json", "md", "html")
FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html"}
# Held while a run renames its files into place (fcntl.flock: released when the file is closed, also by a
# crash). It stays in the directory, empty, so every run locks the same file.
LOCK_NAME = ".report.lock"


class ReportWriteError(Exception):
    """The report directory cannot be created or written; the message names report_dir."""


def to_json(report):
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


_RENDERERS = {"json": to_json, "md": to_markdown, "html": to_html}


def render(report, formats=FORMATS):
    """{format: text} for each requested format."""
    return {fmt: _RENDERERS[fmt](report) for fmt in formats}


def requested_formats(formats):
    """The formats in the order given, each once; ValueError when there is none."""
    formats = list(dict.fromkeys(formats))
    if not formats:
        raise ValueError(f"formats must name at least one of {', '.join(FORMATS)}")
    return formats


def read_report(path, option="diagnosis"):
    """The report in the report.json at ``path``; InputError naming ``option`` when it cannot be read,
    is not JSON or is not a report of this schema version."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        raise InputError(f"{option}: cannot read the diagnosis report {path}: {exc.strerror or exc}") from None
    try:
        report = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        # UnicodeDecodeError is a ValueError too: a binary file is "not JSON" as far as the user is concerned.
        raise InputError(f"{option}: {path} is not JSON: {exc}") from None
    try:
        check_report(report, path)
    except SchemaError as exc:
        raise InputError(f"{option}: {exc}") from None
    return report


def _current_umask():
    # The umask can only be read by setting it; it is put straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_files(report_dir, documents):
    """Write {format: text} as report.<ext> in ``report_dir``, all or nothing; return {format: path}.

    Creates the directory when needed. Every document is written and synced to a temporary file
    in the same directory first; only when all are complete are they renamed over the old files
    (a rename is atomic within one file system), all under one exclusive lock (LOCK_NAME). On any failure the temporary files are removed
    and ReportWriteError names report_dir.
    """
    directory = os.path.abspath(os.path.expanduser(str(report_dir)))
    temporary = {}
    try:
        # exist_ok: a test-then-create failed with "File exists" when another run created it in between.
        os.makedirs(directory, exist_ok=True)
        mode = 0o666 & ~_current_umask()
        for fmt, text in documents.items():
            handle, path = tempfile.mkstemp(prefix=f".{FILE_NAMES[fmt]}.", suffix=".tmp", dir=directory)
            temporary[fmt] = path
            with os.fdopen(handle, "wb") as stream:
                stream.write(text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            # mkstemp creates files 0600; a report is read like any other file the user creates.
            os.chmod(path, mode)
        paths = {}
        with open(os.path.join(directory, LOCK_NAME), "a") as lock:
            # Each rename is atomic but the set is not: without the lock two runs interleave their renames.
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            for fmt, path in temporary.items():
                paths[fmt] = os.path.join(directory, FILE_NAMES[fmt])
                os.replace(path, paths[fmt])
        temporary = {}
        return paths
    except OSError as exc:
        raise ReportWriteError(f"{option_name('report_dir', 'report')}: cannot write the report to {directory}: {exc.strerror or exc}") from exc
    finally:
        for path in temporary.values():
            try:
                os.unlink(path)
            except OSError:
                pass
