# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the playbook inputs to what each module group connects with: one place, tested.

Relative paths mean "relative to where ansible-playbook was started", as on any command line;
modules run elsewhere, so they only ever see absolute paths. The host cluster uses the Karmada
kubeconfig unless it has its own. Timeouts travel with the connection options (the play's
``module_defaults``), so no role restates them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.karmada.runbooks.plugins.module_utils._defaults import PROMETHEUS_TIMEOUT, REQUEST_TIMEOUT
from ansible_collections.karmada.runbooks.plugins.module_utils._errors import InputError

# The contexts Karmada's hack/local-up-karmada.sh (v1.18.2, lines 53-54) writes to karmada.config;
# roles/common/defaults/main.yml repeats them.
DEFAULT_CONTEXT = "karmada-apiserver"
DEFAULT_HOST_CONTEXT = "karmada-host"

PROMETHEUS_OPTIONS = (("karmada_prometheus_token", "token"), ("karmada_prometheus_username", "username"),
                      ("karmada_prometheus_password", "password"), ("karmada_prometheus_ca_cert", "ca_cert"))


def absolute(path, cwd):
    """An absolute path ('' stays ''), with ~ expanded and a relative one anchored at ``cwd``."""
    if not path:
        return ""
    return os.path.normpath(os.path.join(cwd, os.path.expanduser(str(path))))


def _seconds(value, default, variable):
    """A positive whole number of seconds; the error names the playbook variable."""
    if value is None:
        return default
    try:
        seconds = int(str(value).strip())
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise InputError("%s must be a positive number of seconds, such as %d; got %r" % (variable, default, value))
    return seconds


def connection_settings(inputs, cwd):
    """{kubeconfig, host_kubeconfig, report_dir, apiserver, host, prometheus} from the karmada_* inputs.

    ``inputs`` holds the playbook variables; unset ones may be missing or None.
    """
    def given(name):
        value = inputs.get(name)
        return value if value not in (None, "") else None

    kubeconfig = absolute(given("karmada_kubeconfig"), cwd)
    host_kubeconfig = absolute(given("karmada_host_kubeconfig"), cwd) or kubeconfig
    request_timeout = _seconds(given("karmada_request_timeout"), REQUEST_TIMEOUT, "karmada_request_timeout")
    apiserver = {"context": given("karmada_context") or DEFAULT_CONTEXT, "request_timeout": request_timeout}
    host = {"context": given("karmada_host_context") or DEFAULT_HOST_CONTEXT, "request_timeout": request_timeout}
    if kubeconfig:
        apiserver["kubeconfig"] = kubeconfig
    if host_kubeconfig:
        host["kubeconfig"] = host_kubeconfig
    prometheus = {"url": given("karmada_prometheus_url") or "",
                  "validate_certs": boolean(inputs.get("karmada_prometheus_validate_certs", True), strict=False),
                  "timeout": _seconds(given("karmada_prometheus_timeout"), PROMETHEUS_TIMEOUT, "karmada_prometheus_timeout")}
    for variable, option in PROMETHEUS_OPTIONS:
        if given(variable) is not None:
            prometheus[option] = given(variable)
    if prometheus.get("ca_cert"):
        prometheus["ca_cert"] = absolute(prometheus["ca_cert"], cwd)
    return {"kubeconfig": kubeconfig, "host_kubeconfig": host_kubeconfig,
            "report_dir": absolute(given("karmada_report_dir") or "karmada-report", cwd),
            "apiserver": apiserver, "host": host, "prometheus": prometheus}


def _kubeconfig_files(path, environ):
    """The kubeconfig files the Kubernetes client will read: the given one, else kubernetes.core's
    K8S_AUTH_KUBECONFIG, else KUBECONFIG (a list, merged), else ~/.kube/config."""
    if path:
        return [path]
    listed = environ.get("K8S_AUTH_KUBECONFIG") or environ.get("KUBECONFIG") or ""
    files = [os.path.expanduser(part) for part in listed.split(os.pathsep) if part]
    return files or [os.path.expanduser("~/.kube/config")]


def _load_kubeconfig(path, variable):
    import yaml  # the controller's PyYAML, which ansible-core needs anyway
    try:
        with open(path, "rb") as stream:
            data = yaml.safe_load(stream)
    except OSError as exc:
        raise InputError("%s: cannot read %s: %s" % (variable, path, exc.strerror or exc)) from None
    except yaml.YAMLError as exc:
        raise InputError("%s: %s is not a kubeconfig (not YAML: %s)" % (variable, path, str(exc).splitlines()[0])) from None
    if not isinstance(data, dict):
        raise InputError("%s: %s is not a kubeconfig (no contexts, clusters or users)" % (variable, path))
    return data


def _named(data, kind):
    """{name: entry} of a kubeconfig list (contexts, clusters, users), skipping malformed items."""
    items = data.get(kind) if isinstance(data.get(kind), list) else []
    return {str(item["name"]): item.get(kind[:-1]) or {} for item in items
            if isinstance(item, dict) and item.get("name") is not None}


# Files a kubeconfig may point at (client-go's clientcmd API names); relative ones are relative to the
# kubeconfig file itself (client-go's ResolvePaths, the Python client's FileOrData).
_CLUSTER_FILES = ("certificate-authority",)
_USER_FILES = ("client-certificate", "client-key", "tokenFile")


def check_kubeconfig_context(files, context, context_variable, kubeconfig_variable):
    """InputError naming ``context_variable`` when no file in ``files`` has the context, or naming
    ``kubeconfig_variable`` when the context's cluster or user points at a file that is not there.

    Reads the files only (no cluster is contacted). Files that do not exist are skipped: the caller
    checks the given ones exist, and without any kubeconfig the client may still run in a pod."""
    contexts, clusters, users, origin = {}, {}, {}, {}
    read = []
    for path in files:
        if not os.path.isfile(path):
            continue
        data = _load_kubeconfig(path, kubeconfig_variable)
        read.append(path)
        for kind, into in (("contexts", contexts), ("clusters", clusters), ("users", users)):
            for name, entry in _named(data, kind).items():
                # client-go's merge: the first file that names an entry wins.
                if name not in into:
                    into[name] = entry
                    origin[(kind, name)] = path
    if not read:
        return
    if context not in contexts:
        raise InputError("%s: no context %r in %s; it has %s. Set %s to one of them (kubectl config get-contexts)"
                         % (context_variable, context, ", ".join(read),
                            ", ".join(sorted(contexts)) or "no contexts", context_variable))
    entry = contexts[context] if isinstance(contexts[context], dict) else {}
    for kind, keys, name in (("clusters", _CLUSTER_FILES, entry.get("cluster")),
                             ("users", _USER_FILES, entry.get("user"))):
        item = (clusters if kind == "clusters" else users).get(str(name)) if name is not None else None
        if not isinstance(item, dict):
            continue
        base = os.path.dirname(origin[(kind, str(name))])
        for key in keys:
            if item.get(key) and not os.path.isfile(absolute(item[key], base)):
                raise InputError("%s: context %r uses %s %r whose %s file %s is not there; fix the kubeconfig or "
                                 "use another context with %s" % (kubeconfig_variable, context, kind[:-1], name, key,
                                                                  absolute(item[key], base), context_variable))


_URL = re.compile(r"^https?://[^/]+")


def check_plain_inputs(inputs):
    """The inputs whose form alone is wrong: URLs that are not http(s), an events scope that is neither 'all'
    nor a namespace name. InputError names the playbook variable."""
    for variable in ("karmada_prometheus_url", "karmada_grafana_url"):
        value = inputs.get(variable)
        if value not in (None, "") and not (isinstance(value, str) and _URL.match(value)):
            raise InputError("%s must start with http:// or https://, got %r" % (variable, value))
    scope = inputs.get("karmada_events_scope")
    if scope in (None, "all"):
        return
    # Imported here: _karmada brings in the Kubernetes client, which the preflight's worker need not import.
    from ansible_collections.karmada.runbooks.plugins.module_utils._karmada import DNS1123_LABEL
    if not (isinstance(scope, str) and DNS1123_LABEL.match(scope)):
        raise InputError("karmada_events_scope must be 'all' or a namespace name (RFC 1123 label), got %r" % (scope,))


def check_local_inputs(settings, inputs, environ):
    """Everything about the inputs that can be checked without contacting anything: the kubeconfigs and
    their contexts, the Prometheus CA file. InputError names the playbook variable."""
    for variable, path in (("karmada_kubeconfig", settings["kubeconfig"]),
                           ("karmada_host_kubeconfig", settings["host_kubeconfig"])):
        if path and not os.path.isfile(path):
            raise InputError("%s: no file at %s" % (variable, path))
    check_kubeconfig_context(_kubeconfig_files(settings["kubeconfig"], environ), settings["apiserver"]["context"],
                             "karmada_context", "karmada_kubeconfig")
    # A kubeconfig for the Karmada API server alone is a normal way to run: without the default host
    # context the host checks are unknown with their reason. A host context or kubeconfig someone set on
    # purpose must exist.
    host_given = settings["host"]["context"] != DEFAULT_HOST_CONTEXT or (
        inputs.get("karmada_host_kubeconfig") not in (None, ""))
    if host_given:
        check_kubeconfig_context(_kubeconfig_files(settings["host_kubeconfig"], environ), settings["host"]["context"],
                                 "karmada_host_context", "karmada_host_kubeconfig" if inputs.get("karmada_host_kubeconfig")
                                 else "karmada_kubeconfig")
    ca_cert = settings["prometheus"].get("ca_cert")
    if ca_cert and not os.path.isfile(ca_cert):
        raise InputError("karmada_prometheus_ca_cert: no file at %s; give the PEM file of the CA that signed "
                         "Prometheus' certificate" % ca_cert)


def prepare_report_dir(path, variable="karmada_report_dir"):
    """Prove the report directory can be written, or created where it is missing, so a bad ``variable`` fails
    before the diagnosis rather than in its last task. InputError names the variable.

    Nothing is created (a run that stops on another input leaves no directory behind): the directory, or
    its nearest existing parent when it is missing, must be a directory a file can be created in.
    """
    import tempfile
    existing = path
    while not os.path.lexists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        if existing == path:
            raise InputError("%s: %s is a file, not a directory; give a directory (it is created when missing)"
                             % (variable, path))
        raise InputError("%s: cannot create the directory %s: %s is not a directory" % (variable, path, existing))
    # os.access() answers yes to root even on a read-only file system; creating a file is the real test.
    try:
        handle, probe = tempfile.mkstemp(prefix=".karmada-runbooks-probe.", dir=existing)
    except OSError as exc:
        raise InputError("%s: cannot write in %s: %s; give a directory you can write to"
                         % (variable, existing, exc.strerror or exc)) from None
    os.close(handle)
    os.unlink(probe)


def preflight(inputs, cwd, environ=None):
    """connection_settings() after check_local_inputs() and prepare_report_dir(): what the preflight uses.
    Contacts nothing and creates nothing."""
    check_plain_inputs(inputs)
    settings = connection_settings(inputs, cwd)
    check_local_inputs(settings, inputs, os.environ if environ is None else environ)
    prepare_report_dir(settings["report_dir"])
    return settings
