# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: sync_error_cause
short_description: The probable causes named by a binding-to-Work sync error message
version_added: 0.2.0
description:
  - Takes one error message, a SyncWorkFailed event message or the C(err) of a karmada-controller-manager
    log line, and returns the ids of the causes it names, in order and without duplicates.
  - An aggregated error C([a, b]) (how the binding controller reports several target clusters) gives the
    cause of each part; each part gets one cause, the most specific one that matches.
  - Uses the cause catalogue the diagnosis checks use, so the ids are those of C(report.json)'s
    C(verdict.causes[].id) (see C(docs/report-schema.md)).
  - Returns an empty list for a message that names no known cause, for success messages and for an empty input.
positional: _input
options:
  _input:
    description: The error message. Null is treated as an empty message.
    type: str
    required: true
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Causes of the SyncWorkFailed events of a binding
  ansible.builtin.debug:
    msg: "{{ item.message | karmada.runbooks.sync_error_cause }}"
  loop: "{{ sync_failed_events }}"

- name: An aggregated error gives one cause per part
  ansible.builtin.assert:
    that:
      - >-
        ('[namespaces "karmada-es-member2" not found, Cluster.cluster.karmada.io "m3" not found]'
        | karmada.runbooks.sync_error_cause) == ['execution_namespace_missing', 'target_cluster_missing']
"""

RETURN = r"""
_value:
  description: Cause ids in the order the message names them, without duplicates; empty when none is known.
  type: list
  elements: str
  sample: [override_policy_failure, execution_namespace_missing]
"""

from ansible.errors import AnsibleFilterError

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def sync_error_cause(message):
    from ansible_collections.karmada.runbooks.plugins.module_utils._causes import cause_ids
    if message is not None and not isinstance(message, str):
        raise AnsibleFilterError("sync_error_cause expects an error message string, got %s" % type(message).__name__)
    return cause_ids(message)


class FilterModule:
    def filters(self):
        return {"sync_error_cause": sync_error_cause}
