"""What AWX does with playbooks/awx_configure.yml, without an AWX: its objects, and a job's private data directory.

No AWX can run on the development machines. Two things stand in for it:

- ``configure_play()`` / ``rendered_tasks()`` load playbooks/awx_configure.yml the way ansible-playbook does
  (templates trusted, ``!unsafe`` strings left alone) and render each task's arguments with sample inputs, so
  tests can check them against the awx.awx modules and the credential types against AWX's own rules.
- ``AwxJob`` lays out a private data directory as AWX 24.6.1 does for a job of one of those job templates
  (``job_template()``) (awx/main/tasks/jobs.py:
  ``BaseTask.run``, ``build_private_data_dir``, ``write_inventory_file``, ``_write_extra_vars_file``,
  ``write_args_file``, the ``settings`` file; awx/main/models/credential/__init__.py:
  ``CredentialType.inject_credential``) and runs it with ``ansible-runner run``. Credentials are injected from
  the credential types the playbook defines, with AWX's algorithm, so the job sees what an AWX job would.

Differences from AWX, on purpose: no container (paths are the host's, where AWX gives ``/runner/...``), the
environment variables go to ``env/envvars`` (AWX hands them to ansible-runner as ``envvars`` over receptor),
``suppress_output_file`` is off so ``artifacts/<ident>/stdout`` exists (AWX builds its job log from the job
events, which tests read too), and the execution environment's collections are the checkout's ``.collections``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile

import yaml
from ansible_runner.utils import args2cmdline
from jinja2 import sandbox

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")
CONFIGURE_PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "awx_configure.yml")

# Inputs a user gives awx_configure.yml (its header documents them); the kubeconfig paths are filled in by callers.
SAMPLE_INPUTS = {
    "karmada_awx_scm_url": "https://git.example/karmada-runbooks.git",
    "karmada_awx_ee_image": "registry.example/karmada-runbooks-ee:0.1.0",
    "karmada_awx_prometheus_url": "https://prometheus.example:9090",
    "karmada_awx_notification_url": "https://chat.example/hooks/karmada",
    "karmada_awx_report_dir": "/var/lib/karmada-reports",
}

# The checkout's files an AWX project checkout has (the git tree), without the local toolchain and test data.
PROJECT_IGNORE = shutil.ignore_patterns(".git", ".venv", ".collections", ".cache", ".ansible", ".ansible-test",
                                        ".pytest_cache", ".ruff_cache", ".demo", ".ee", "tests", "out", "__pycache__",
                                        "karmada-report")


_PLUGINS_READY = False


def configure_play():
    """(loader, play) of awx_configure.yml, loaded as ansible-playbook loads it: its templates are trusted."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader

    global _PLUGINS_READY
    if not _PLUGINS_READY:
        init_plugin_loader()  # lookups (env, file) and filters, as ansible-playbook loads them
        _PLUGINS_READY = True
    loader = DataLoader()
    play = loader.load_from_file(CONFIGURE_PLAYBOOK, trusted_as_template=True)[0]
    return loader, play


def templar(inputs, loader, play):
    from ansible.template import Templar

    variables = dict(play.get("vars") or {})
    variables.update(inputs)
    return Templar(loader=loader, variables=variables)


def module_of(task):
    """(name, args) of the awx.awx module a task calls, or None."""
    for key, value in task.items():
        if key.startswith("awx.awx."):
            return key, value
    return None


def rendered_tasks(inputs):
    """[(task name, module, args)] for every awx.awx task the play would run with these inputs, its args rendered
    (once per loop item) with the play's module_defaults for the awx.awx.controller group merged under them, as
    Ansible merges them. set_fact tasks are applied and ``when`` is evaluated on the way, as the play does."""
    loader, play = configure_play()
    facts = dict(inputs)
    defaults = templar(facts, loader, play).template(
        (play.get("module_defaults") or {}).get("group/awx.awx.controller") or {})
    rendered = []
    for task in play["tasks"]:
        render = templar(dict(facts, **(task.get("vars") or {})), loader, play)
        conditions = task.get("when", [])
        if not all(render.evaluate_conditional(condition)
                   for condition in (conditions if isinstance(conditions, list) else [conditions])):
            continue
        if "ansible.builtin.set_fact" in task:
            facts.update(render.template(task["ansible.builtin.set_fact"]))
            continue
        found = module_of(task)
        if found is None:
            continue
        module, args = found
        items = render.template(task["loop"]) if "loop" in task else [None]
        for item in items:
            item_render = templar(dict(facts, item=item), loader, play) if item is not None else render
            rendered.append((task["name"], module, dict(defaults, **item_render.template(args))))
    return rendered


def credential_types(inputs=None):
    """The credential types awx_configure.yml defines, {name: {inputs, injectors, ...}}; injectors unrendered."""
    loader, play = configure_play()
    types = templar(dict(SAMPLE_INPUTS, **(inputs or {})), loader, play).template(play["vars"]["karmada_awx_credential_types"])
    return {ctype["name"]: ctype for ctype in types}


def inject_credential(ctype, inputs, private_data_dir):
    """(env, args) a credential of ``ctype`` with ``inputs`` adds to a job, as AWX 24.6.1's
    CredentialType.inject_credential does: files from ``file`` templates in ``env/`` (0600), ``tower.filename``
    pointing at them, ``env`` templates into the environment, ``extra_vars`` templates into a YAML file in
    ``env/`` passed as ``-e @file`` (every string ``!unsafe``)."""
    class Namespace:
        pass

    tower = Namespace()
    namespace = {"tower": tower}
    for field_name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[field_name] = value
    env_dir = os.path.join(private_data_dir, "env")
    sandbox_env = sandbox.ImmutableSandboxedEnvironment()
    injectors = ctype.get("injectors") or {}
    for label, template in (injectors.get("file") or {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(sandbox_env.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = Namespace()
            setattr(tower.filename, label.split(".")[1], path)
    env = {name: sandbox_env.from_string(template).render(**namespace)
           for name, template in (injectors.get("env") or {}).items()}
    args = []
    extra_vars = {name: sandbox_env.from_string(template).render(**namespace)
                  for name, template in (injectors.get("extra_vars") or {}).items()}
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(safe_dump(extra_vars))
        os.chmod(path, stat.S_IRUSR)
        args = ["-e", "@" + path]
    return env, args


class _UnsafeDumper(yaml.SafeDumper):
    """awx/main/utils/safe_yaml.py SafeStringDumper: every string is tagged !unsafe."""

    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar("!unsafe", data)
        return super().represent_data(data)


def safe_dump(variables, safe_dict=None):
    """awx/main/utils/safe_yaml.py safe_dump: a top-level variable is trusted (may hold Jinja the job renders)
    only when the job template itself sets it to that value; everything else is !unsafe."""
    safe_dict = safe_dict or {}
    return "".join(yaml.dump_all([{key: value}], None, default_flow_style=False,
                                 Dumper=yaml.SafeDumper if key in safe_dict and safe_dict[key] == value else _UnsafeDumper)
                   for key, value in variables.items())


def job_template(playbook, inputs):
    """The rendered awx.awx.job_template arguments of the template awx_configure.yml defines for ``playbook``."""
    return next(task[2] for task in rendered_tasks(inputs)
                if task[1] == "awx.awx.job_template" and task[2]["playbook"] == playbook)


class AwxJob:
    """One job of a job template (rendered awx.awx.job_template arguments), in its private data directory, run
    by ``ansible-runner run``.

    Extra vars combine as AWX combines them (awx/main/models/mixins.py ``_update_unified_job_kwargs``): the
    template's extra vars, then its survey's defaults, then ``launch_vars`` (survey answers, variables prompted on
    launch, as Event-Driven Ansible passes them); AWX's meta variables (``awx_job_id``...) last.
    ``credentials``: [(credential type name, inputs)] of awx_configure.yml's types.
    """

    def __init__(self, root, template, launch_vars=None, credentials=(), job_id=42):
        self.private_data_dir = os.path.join(str(root), f"awx_{job_id}_job")
        self.playbook = template["playbook"]
        self.ident = str(job_id)
        self.env = {}
        os.makedirs(os.path.join(self.private_data_dir, "env"))
        os.makedirs(os.path.join(self.private_data_dir, "inventory"))
        shutil.copytree(REPO_ROOT, os.path.join(self.private_data_dir, "project"), ignore=PROJECT_IGNORE)
        template_vars = dict(template.get("extra_vars") or {})
        extra_vars = dict(template_vars)
        if template.get("survey_enabled"):
            extra_vars.update({question["variable"]: question["default"]
                               for question in template["survey_spec"]["spec"] if "default" in question})
        extra_vars.update(launch_vars or {})
        extra_vars.update({f"{prefix}_{name}": value for prefix in ("awx", "tower")
                           for name, value in (("job_id", job_id), ("job_launch_type", "manual"),
                                               ("job_template_name", template["name"]))})
        self.extra_vars = extra_vars
        self._write("env/extravars", safe_dump(extra_vars, template_vars))
        self._write_inventory()
        args = []
        types = credential_types()
        for type_name, inputs in credentials:
            env, cred_args = inject_credential(types[type_name], inputs, self.private_data_dir)
            self.env.update(env)
            args += cred_args
        # RunJob.build_args with no machine credential: `-u root`; the credentials' `-e @file`s after it.
        self._write("env/cmdline", args2cmdline("-u", "root", *args))
        self._write("env/envvars", json.dumps(self._envvars(job_id)))
        self._write("env/settings", json.dumps({"job_timeout": 0, "suppress_ansible_output": True,
                                                "suppress_output_file": False}))

    def _write(self, relative, text, mode=0o600):
        path = os.path.join(self.private_data_dir, relative)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(path, mode)
        return path

    def _write_inventory(self):
        """inventory/hosts as BaseTask.write_inventory_file writes it: a script printing the inventory's JSON,
        here awx_configure.yml's localhost host with its variables."""
        play = configure_play()[1]
        host = next(module_of(task)[1] for task in play["tasks"] if (module_of(task) or ("",))[0] == "awx.awx.host")
        data = {"all": {"hosts": [host["name"]]},
                "_meta": {"hostvars": {host["name"]: dict(host["variables"], remote_tower_enabled="true",
                                                          remote_tower_id=1)}}}
        self._write("inventory/hosts", f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({json.dumps(data)!r})\n",
                    mode=0o700)

    def _envvars(self, job_id):
        """RunJob.build_env's variables (paths are the host's), then the credentials' env injectors."""
        collections = os.path.join(REPO_ROOT, ".collections")
        env = {"JOB_ID": str(job_id), "INVENTORY_ID": "1", "ANSIBLE_RETRY_FILES_ENABLED": "False",
               "AWX_PRIVATE_DATA_DIR": self.private_data_dir,
               # The execution environment carries karmada.runbooks and kubernetes.core; here the checkout's do.
               "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([os.path.join(self.private_data_dir, "requirements_collections"),
                                                           collections]),
               "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
        env.update(self.env)
        return env

    def run(self, timeout=300):
        """ansible-runner run; the runner's own environment is a clean one, as in an execution environment."""
        home = os.path.join(self.private_data_dir, "home")
        os.makedirs(home, exist_ok=True)
        env = {"PATH": os.pathsep.join([VENV_BIN, "/usr/local/bin", "/usr/bin", "/bin"]), "HOME": home,
               "LANG": "C.UTF-8", "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp")}
        return subprocess.run([os.path.join(VENV_BIN, "ansible-runner"), "run", self.private_data_dir,
                               "-p", self.playbook, "--ident", self.ident],
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)

    @property
    def artifacts(self):
        return os.path.join(self.private_data_dir, "artifacts", self.ident)

    def artifact(self, name):
        with open(os.path.join(self.artifacts, name), encoding="utf-8") as handle:
            return handle.read()

    def events(self):
        directory = os.path.join(self.artifacts, "job_events")
        events = []
        for name in os.listdir(directory):
            if name.endswith(".json"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    events.append(json.load(handle))
        return sorted(events, key=lambda event: event.get("counter", 0))

    def job_log(self):
        """The job log as AWX shows it: the stdout of every job event, in order."""
        return "\n".join(event["stdout"] for event in self.events() if event.get("stdout"))

    def artifact_data(self):
        """What set_stats handed on: the playbook_on_stats event's artifact_data."""
        stats = [event for event in self.events() if event.get("event") == "playbook_on_stats"]
        assert stats, "no playbook_on_stats event in the job events"
        return stats[-1]["event_data"].get("artifact_data") or {}
