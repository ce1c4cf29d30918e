# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sync_error_cause filter against the sourced corpus of binding -> Work error texts.

corpus/sync_errors.yml holds one entry per real call site or error constructor (Karmada v1.18.2 and the
library tags its go.mod pins), each with the source it was read from and the causes it must give.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.karmada.runbooks.plugins.filter.sync_error_cause import FilterModule, sync_error_cause
from ansible_collections.karmada.runbooks.plugins.module_utils._causes import _COMPILED
from ansible_collections.karmada.runbooks.plugins.module_utils._report import CAUSE_IDS

CORPUS_PATH = os.path.join(os.path.dirname(__file__), "..", "module_utils", "corpus", "sync_errors.yml")
with open(CORPUS_PATH) as corpus_file:
    CORPUS = yaml.safe_load(corpus_file)
TAG = re.compile(r"^v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_corpus_entry_gives_its_causes(entry):
    assert sync_error_cause(entry["example"]) == entry["causes"]


def test_corpus_entries_are_sourced_and_unique():
    assert len({entry["id"] for entry in CORPUS}) == len(CORPUS)
    for entry in CORPUS:
        assert set(entry) == {"id", "format", "source", "example", "causes"}, entry["id"]
        assert entry["format"] and entry["example"], entry["id"]
        source = entry["source"]
        assert set(source) == {"repo", "tag", "file"} and TAG.match(source["tag"]), entry["id"]
        assert set(entry["causes"]) <= set(CAUSE_IDS), entry["id"]


def test_every_pattern_is_exercised_by_the_corpus_or_the_samples():
    # test_causes.py covers the rest; here: the corpus alone reaches every cause with patterns.
    reached = {cause for entry in CORPUS for cause in entry["causes"]}
    assert reached == {cause for cause, _pattern in _COMPILED}


def test_empty_and_none():
    assert sync_error_cause("") == []
    assert sync_error_cause(None) == []


def test_not_a_string_is_an_error():
    with pytest.raises(AnsibleFilterError, match="expects an error message string"):
        sync_error_cause(["a"])


def test_filter_is_registered():
    assert FilterModule().filters()["sync_error_cause"] is sync_error_cause
