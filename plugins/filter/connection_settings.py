# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: connection_settings
short_description: Connection options for each module group, from the karmada_* playbook inputs
version_added: 0.1.0
description:
  - Returns the kubernetes.core auth options for the Karmada API server and the host cluster, the Prometheus
    connection options, and absolute paths for the kubeconfigs and the report directory.
  - Relative paths are anchored at O(cwd), the directory ansible-playbook was started in.
  - Fails naming the variable when a timeout is not a positive number of seconds, a kubeconfig or the
    Prometheus CA file is not there, a context is not in its kubeconfig (or points at a missing CA or
    client file), or the report directory cannot be created or written.
  - Contacts nothing and creates nothing; reads the kubeconfig files and probes the report directory (or its
    nearest existing parent) with a temporary file.
positional: cwd
options:
  _input:
    description: A mapping of the C(karmada_*) inputs; unset ones may be missing or null.
    type: dict
    required: true
  cwd:
    description: Directory relative paths are resolved against.
    type: str
    required: true
author: karmada.runbooks contributors (@karmada-runbooks)
"""

EXAMPLES = r"""
- name: Derive the connection settings
  ansible.builtin.set_fact:
    connections: "{{ {'karmada_kubeconfig': 'karmada.config'} | karmada.runbooks.connection_settings('/home/oncall') }}"
"""

RETURN = r"""
_value:
  description: V(kubeconfig), V(host_kubeconfig), V(report_dir), and the option mappings V(apiserver), V(host), V(prometheus).
  type: dict
"""

from ansible.errors import AnsibleFilterError

# Loading any filter of this collection executes every filter file in each worker process Ansible forks, so
# the module_utils are imported when the filter is called, not when the file is loaded.


def _connection_settings(inputs, cwd):
    from ansible_collections.karmada.runbooks.plugins.module_utils._connections import preflight
    from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError
    try:
        return preflight(inputs, cwd)
    except InputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule(object):
    def filters(self):
        return {"connection_settings": _connection_settings}
