"""playbooks/awx_configure.yml, proven without an AWX (none can run on the development machines).

- Every awx.awx task's arguments, rendered with sample inputs, validate against that module's real argument
  spec: the spec is captured from the installed awx.awx 24.6.1 module by running its ``main()`` up to the point
  where it builds ``ControllerAPIModule`` (the constructor is patched to hand the spec over and stop), then
  merged with ``ControllerModule.AUTH_ARGSPEC`` exactly as ``ControllerModule.__init__`` merges it, and checked
  with ansible's ``ArgumentSpecValidator`` (with the module's mutually_exclusive etc.).
  Templated values are rendered, not waved through: the playbook is loaded as ansible-playbook loads it (its
  templates trusted, ``!unsafe`` strings untouched) and rendered by ansible's Templar with the play's vars and
  sample inputs, so a Jinja expression that yields the wrong type (a string where a list is needed) fails too.
  Negative cases prove a misspelled option and a wrong choice are caught.
- The credential types and the survey follow AWX's own server-side rules (awx/main/fields.py and
  awx/api/views/__init__.py at AWX 24.6.1), and inject only variables the roles document.
- ``--syntax-check`` passes, and bad inputs stop the play before any controller is contacted.
"""

from __future__ import annotations

import copy
import importlib
import os
import re
import subprocess

import jinja2
import jinja2.meta
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from awx_job import CONFIGURE_PLAYBOOK, REPO_ROOT, SAMPLE_INPUTS, VENV_BIN, configure_play, credential_types, inject_credential, rendered_tasks, templar

from ansible_collections.karmada.runbooks.plugins.module_utils._mitigation import MODES, mitigate_options
from ansible_collections.karmada.runbooks.plugins.module_utils._prometheus import ENV_VARS

CONTROLLER_INPUTS = {"controller_host": "https://awx.example", "controller_username": "admin",
                     "controller_password": "secret", "controller_validate_certs": False}
EXPECTED_MODULES = {"awx.awx.credential_type", "awx.awx.credential", "awx.awx.execution_environment",
                    "awx.awx.project", "awx.awx.inventory", "awx.awx.host", "awx.awx.notification_template",
                    "awx.awx.job_template", "awx.awx.schedule"}
# awx/main/constants.py ENV_BLOCKLIST at AWX 24.6.1: credential env injectors may not set these.
AWX_ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                     "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                     "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                     "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}
# awx/main/constants.py SURVEY_TYPE_MAPPING at AWX 24.6.1.
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                "integer": int, "float": (float, int)}


class _SpecCaptured(Exception):
    pass


def awx_module_spec(module):
    """(argument_spec, constraints) of an installed awx.awx module, as its AnsibleModule receives them."""
    controller_api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")
    plugin = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + module.split(".")[-1])
    captured = {}

    def capture(self, argument_spec, **kwargs):
        captured.update(kwargs, argument_spec=argument_spec)
        raise _SpecCaptured

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(controller_api.ControllerAPIModule, "__init__", capture)
        with pytest.raises(_SpecCaptured):
            plugin.main()
    spec = dict(controller_api.ControllerModule.AUTH_ARGSPEC)
    spec.update(captured.pop("argument_spec"))
    constraints = {key: value for key, value in captured.items()
                   if key in ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")}
    return spec, constraints


def argument_errors(module, args):
    spec, constraints = awx_module_spec(module)
    return [str(error) for error in ArgumentSpecValidator(spec, **constraints).validate(copy.deepcopy(args)).errors]


@pytest.fixture(scope="module")
def kubeconfigs(tmp_path_factory):
    root = tmp_path_factory.mktemp("kubeconfigs")
    paths = {}
    for name in ("karmada_awx_kubeconfig", "karmada_awx_host_kubeconfig"):
        paths[name] = str(root / name)
        with open(paths[name], "w", encoding="utf-8") as handle:
            handle.write("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    return paths


@pytest.fixture(params=["every input", "required inputs only"])
def inputs(request, kubeconfigs):
    """(inputs, the awx.awx modules the play then calls)."""
    if request.param == "every input":
        return (dict(SAMPLE_INPUTS, **kubeconfigs, **CONTROLLER_INPUTS, karmada_awx_context="karmada-apiserver"),
                EXPECTED_MODULES)
    # No credential is created and no notification without their inputs.
    return ({key: SAMPLE_INPUTS[key] for key in ("karmada_awx_scm_url", "karmada_awx_ee_image")},
            EXPECTED_MODULES - {"awx.awx.credential", "awx.awx.notification_template"})


def test_every_awx_task_validates_against_its_module(inputs):
    given, modules = inputs
    tasks = rendered_tasks(given)
    assert {task[1] for task in tasks} == modules
    problems = {f"{name} ({module})": errors for name, module, args in tasks
                if (errors := argument_errors(module, args))}
    assert problems == {}


def test_the_validation_catches_a_misspelled_option_and_a_wrong_choice(kubeconfigs):
    tasks = rendered_tasks(dict(SAMPLE_INPUTS, **kubeconfigs))
    module, args = next(task[1:] for task in tasks if task[0] == "Create the diagnose job template")
    assert argument_errors(module, args) == []

    misspelled = dict(args)
    misspelled["ask_variable_on_launch"] = misspelled.pop("ask_variables_on_launch")
    errors = argument_errors(module, misspelled)
    assert len(errors) == 1 and "ask_variable_on_launch" in errors[0]

    errors = argument_errors(module, dict(args, job_type="execute"))
    assert len(errors) == 1 and "job_type" in errors[0] and "execute" in errors[0]

    module, args = next(task[1:] for task in tasks if task[1] == "awx.awx.credential_type")
    errors = argument_errors(module, dict(args, kind="kubernetes"))
    assert len(errors) == 1 and "kind" in errors[0]


def test_templated_values_are_checked_for_their_type(kubeconfigs):
    """A Jinja expression that renders to a string where the module wants a list is caught."""
    tasks = rendered_tasks(dict(SAMPLE_INPUTS, **kubeconfigs))
    module, args = next(task[1:] for task in tasks if task[0] == "Create the mitigate job template")
    assert args["credentials"] == ["Karmada API server", "Karmada host cluster", "Karmada Prometheus"]
    assert args["notification_templates_error"] == ["Karmada runbook job failed"]
    errors = argument_errors(module, dict(args, survey_spec="Apply the plan?"))
    assert len(errors) == 1 and "survey_spec" in errors[0]


def _variables(template):
    return jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(template))


def test_credential_types_follow_awx_rules_and_inject_documented_variables(tmp_path):
    with open(os.path.join(REPO_ROOT, "roles", "common", "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        documented = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    with open(os.path.join(REPO_ROOT, "roles", "common", "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    types = credential_types()
    assert set(types) == {"Karmada API server kubeconfig", "Karmada host cluster kubeconfig", "Karmada Prometheus"}
    injected_vars, injected_env = {}, {}
    for name, ctype in types.items():
        fields = {field["id"]: field for field in ctype["inputs"]["fields"]}
        assert set(ctype["inputs"]["required"]) <= set(fields)
        for field in fields.values():
            assert field["type"] in ("string", "boolean") and field["label"]
        # Secrets are stored encrypted and masked by AWX only when marked so.
        assert {fid for fid, field in fields.items() if field.get("secret")} == {"kubeconfig", "token"} & set(fields), name
        injectors = ctype["injectors"]
        assert set(injectors) <= {"file", "env", "extra_vars"}
        # awx/main/fields.py CredentialTypeInjectorField: its schema, the env blocklist and defined fields only.
        assert all(re.match(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$", label) for label in injectors.get("file", {}))
        labels = {label.split(".")[1] for label in injectors.get("file", {})}
        for env_var in injectors.get("env", {}):
            assert re.match(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$", env_var)
            assert not env_var.startswith("ANSIBLE_") and env_var not in AWX_ENV_BLOCKLIST
        for section in ("file", "env", "extra_vars"):
            for template in injectors.get(section, {}).values():
                assert _variables(template) <= set(fields) | {"tower"}, template
                assert set(re.findall(r"tower\.filename\.(\w+)", template)) <= labels, template

        sample = {fid: ("a-" + fid) for fid in fields}
        (tmp_path / name / "env").mkdir(parents=True)
        env, args = inject_credential(ctype, sample, str(tmp_path / name))
        injected_env.update(env)
        assert args[0] == "-e" and args[1].startswith("@")
        with open(args[1][1:], encoding="utf-8") as handle:
            extra_vars = yaml.load(handle, Loader=_UnsafeLoader)
        injected_vars.update(extra_vars)
        for variable, value in extra_vars.items():
            if variable.endswith("kubeconfig"):
                with open(value, encoding="utf-8") as handle:
                    assert handle.read() == "a-kubeconfig"
        # Unset, a context falls back to the role's default, not to an empty string.
        if "context" in fields:
            args = inject_credential(ctype, {"kubeconfig": "x"}, str(tmp_path / name))[1]
            with open(args[1][1:], encoding="utf-8") as handle:
                unset = yaml.load(handle, Loader=_UnsafeLoader)
            context_var = next(var for var in unset if var.endswith("context"))
            assert unset[context_var] == defaults[context_var]

    assert set(injected_vars) == {"karmada_kubeconfig", "karmada_context", "karmada_host_kubeconfig",
                                  "karmada_host_context", "karmada_prometheus_url"}
    assert set(injected_vars) <= set(documented)
    assert injected_vars["karmada_prometheus_url"] == "a-url"
    # The token goes where the Prometheus modules look for it, never into a playbook variable.
    assert injected_env == {ENV_VARS["bearer_token"]: "a-token"}


class _UnsafeLoader(yaml.SafeLoader):
    pass


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def test_mitigate_survey_follows_awx_rules_and_is_not_approved_by_default():
    loader, play = configure_play()
    survey = templar(SAMPLE_INPUTS, loader, play).template(play["vars"]["karmada_awx_mitigate_survey"])
    # awx/api/views/__init__.py JobTemplateSurveySpec._validate_spec_data
    assert isinstance(survey["name"], str) and isinstance(survey["description"], str) and survey["spec"]
    variables = [question["variable"] for question in survey["spec"]]
    assert len(set(variables)) == len(variables)
    for question in survey["spec"]:
        assert all(isinstance(question[key], str) for key in ("type", "question_name", "variable"))
        assert isinstance(question["required"], bool)
        assert question["type"] in SURVEY_TYPES
        assert isinstance(question["default"], SURVEY_TYPES[question["type"]])
        if question["type"] in ("multiplechoice", "multiselect"):
            assert question["default"] in question["choices"]
    by_variable = {question["variable"]: question for question in survey["spec"]}
    approval = by_variable["karmada_mitigate_approve"]
    # Each answer means what it says to mitigate.yml's input validation; the default approves nothing.
    assert {answer: mitigate_options({"karmada_mitigate_approve": answer})["approve"]
            for answer in approval["choices"]} == {"false": False, "true": True}
    assert mitigate_options({"karmada_mitigate_approve": approval["default"]})["approve"] is False
    assert set(by_variable["karmada_mitigate_mode"]["choices"]) == set(MODES)


def test_job_templates_run_the_collection_playbooks(kubeconfigs):
    playbooks = {task[2]["name"]: task[2]["playbook"] for task in rendered_tasks(dict(SAMPLE_INPUTS, **kubeconfigs))
                 if task[1] == "awx.awx.job_template"}
    assert sorted(playbooks.values()) == ["playbooks/audit.yml", "playbooks/diagnose.yml", "playbooks/mitigate.yml"]
    for playbook in ("playbooks/diagnose.yml", "playbooks/mitigate.yml"):
        assert os.path.exists(os.path.join(REPO_ROOT, playbook))


def run_configure(*args, env=None):
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("CONTROLLER_", "TOWER_", "KARMADA_AWX_"))}
    clean.update(env or {}, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), CONFIGURE_PLAYBOOK, *args], cwd=REPO_ROOT,
                          env=clean, capture_output=True, text=True, timeout=120, check=False)


def test_syntax_check():
    result = run_configure("--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_settings_stop_the_play_naming_the_variable(tmp_path):
    result = run_configure()
    assert result.returncode == 2
    assert "controller_host is not set: export CONTROLLER_HOST" in result.stdout

    controller = {"CONTROLLER_HOST": "https://awx.invalid", "CONTROLLER_OAUTH_TOKEN": "t"}
    result = run_configure("-e", "karmada_awx_kubeconfig=" + str(tmp_path / "absent"), env=controller)
    assert result.returncode == 2
    for message in ("karmada_awx_scm_url is not set", "karmada_awx_ee_image is not set",
                    "karmada_awx_kubeconfig: no file at " + str(tmp_path / "absent")):
        assert message in result.stdout
    # Stopped before any awx.awx task (the first would try to reach awx.invalid).
    assert "Define the credential types" not in result.stdout
