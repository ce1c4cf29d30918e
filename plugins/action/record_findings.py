# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Add findings to karmada_findings without printing the whole list at -v (see the module's documentation)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.karmada.runbooks.plugins.module_utils._report import add_findings


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("findings", "add"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        unknown = sorted(set(args) - self._VALID_ARGS)
        if unknown:
            return dict(result, failed=True, msg="unsupported option(s) %s; supported: findings, add" % ", ".join(unknown))
        findings, new = args.get("findings") or [], args.get("add")
        if not isinstance(findings, list) or not isinstance(new, list):
            return dict(result, failed=True, msg="findings and add must be lists of findings")
        findings = add_findings(findings, new)
        # The callbacks print nothing of an ok result with this key at any verbosity (ansible.builtin.setup's
        # facts use it); a failed one is printed in full.
        result.update(changed=False, ansible_facts={"karmada_findings": findings}, count=len(findings),
                      _ansible_verbose_override=True)
        return result
