"""A stand-in for the AWX controller API that ansible-rulebook's ``run_job_template`` talks to.

It answers exactly the requests ansible-rulebook 1.3.2 makes (``ansible_rulebook/job_template_runner.py``
and ``shared_job_monitor.py``, installed in .venv), with the fields AWX's API gives them
(ansible/awx ``awx/api/views/root.py``, ``awx/api/views/__init__.py`` ``JobTemplateLaunch.post``,
``awx/api/serializers.py`` ``BaseSerializer``/``UnifiedJobSerializer``/``JobSerializer``/``JobOptionsSerializer``,
``awx/main/models/unified_jobs.py`` ``JOB_STATUS_CHOICES``):

- ``GET  /api/v2/config/``                        ``{"version", "time_zone", "license_info", ...}`` (app.py logs the version)
- ``GET  /api/v2/ping/``                          ``{"ha", "version", "active_node", "install_uuid", "instances", ...}``
- ``GET  /api/v2/unified_job_templates/?name=N``  a page of templates: ``type``, ``name``, ``related.launch``,
  ``summary_fields.organization.name``, ``ask_*_on_launch`` (the runner filters by type, name and organization)
- ``POST /api/v2/job_templates/<id>/launch/``     201 ``{"job": id, "ignored_fields": {...}, <the job>}``; launch
  ``extra_vars`` are taken only with ``ask_variables_on_launch`` (else listed in ``ignored_fields``, as AWX does)
- ``GET  /api/v2/jobs/?id__in=1,2&page_size=2``   the batch poll; ``GET /api/v2/jobs/<id>/`` one job

Auth is ``Authorization: Bearer <token>`` (``--controller-token`` / EDA_CONTROLLER_TOKEN) or basic auth; anything
else gets 401 with Django REST framework's ``NotAuthenticated`` detail.

Each launch is recorded (template, extra vars as launched) and run for real: ``ansible-runner run`` on a private
data directory (``env/extravars`` = the template's variables overlaid with the launch's, ``project`` = the
checkout, ``inventory/hosts`` = the given inventory), status ``pending`` -> ``running`` -> ``successful`` /
``failed``, ``artifacts`` from ``set_stats`` (the ``artifact_data`` of the ``playbook_on_stats`` event, where AWX
reads them).

    python tests/tools/controller_standin.py --workdir DIR --token T --project . \\
        --template 'Karmada diagnose binding-to-Work sync=playbooks/diagnose.yml' --inventory inventory/localhost.yml
"""

from __future__ import annotations

import argparse
import base64
import datetime
import glob
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

import yaml

AWX_VERSION = "24.6.1"     # the awx.awx collection this project pins
API = "/api/v2/"
# rest_framework/exceptions.py NotAuthenticated.default_detail (AWX answers unauthenticated requests with it).
NOT_AUTHENTICATED = "Authentication credentials were not provided."
# awx/main/models/unified_jobs.py JOB_STATUS_CHOICES: the states a job passes and the ones it ends in.
FINISHED = ("successful", "failed", "error", "canceled")


def now_iso():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JobTemplate:
    def __init__(self, template_id, name, playbook, organization, extra_vars=None, ask_variables_on_launch=True):
        self.id = template_id
        self.name = name
        self.playbook = playbook
        self.organization = organization
        self.extra_vars = dict(extra_vars or {})
        self.ask_variables_on_launch = ask_variables_on_launch

    def as_api(self):
        return {
            "id": self.id, "type": "job_template", "url": f"{API}job_templates/{self.id}/",
            "related": {"launch": f"{API}job_templates/{self.id}/launch/", "jobs": f"{API}job_templates/{self.id}/jobs/"},
            "summary_fields": {"organization": {"id": 1, "name": self.organization, "description": ""}},
            "created": "2026-01-01T00:00:00.000000Z", "modified": "2026-01-01T00:00:00.000000Z",
            "name": self.name, "description": "", "playbook": self.playbook,
            "extra_vars": json.dumps(self.extra_vars), "status": "never updated",
            "ask_variables_on_launch": self.ask_variables_on_launch, "ask_limit_on_launch": False,
            "ask_labels_on_launch": False, "ask_inventory_on_launch": False,
        }


class ControllerStandIn:
    """The HTTP server, the templates, the recorded launches and the jobs they started."""

    def __init__(self, workdir, token, project, inventory, templates, host="127.0.0.1", port=0, env=None):
        self.workdir = os.path.abspath(workdir)
        self.token = token
        self.project = os.path.abspath(project)
        self.inventory = os.path.abspath(inventory)
        self.templates = templates
        self.env = dict(env or {})
        self.launches = []
        self.jobs = {}
        self.requests = []
        self.lock = threading.Lock()
        self._threads = []
        os.makedirs(self.workdir, exist_ok=True)
        self.server = http.server.ThreadingHTTPServer((host, port), self._handler())
        self.url = f"http://{host}:{self.server.server_address[1]}"

    # -- lifecycle --
    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=120)

    def wait_for_jobs(self, count, timeout):
        """The first ``count`` jobs once all of them finished (or whatever exists at the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                jobs = [self.jobs[k] for k in sorted(self.jobs)][:count]
            if len(jobs) >= count and all(j["status"] in FINISHED for j in jobs):
                return jobs
            time.sleep(0.2)
        with self.lock:
            return [dict(self.jobs[k]) for k in sorted(self.jobs)]

    # -- API --
    def _authorized(self, header):
        if not header:
            return False
        scheme, value = header.partition(" ")[::2]
        if scheme == "Bearer":
            return value == self.token
        if scheme == "Basic":
            try:
                return base64.b64decode(value).decode().partition(":")[2] == self.token
            except (ValueError, UnicodeDecodeError):
                return False
        return False

    def handle(self, method, path, query, body):
        """(status, body) for one request."""
        if path == API + "config/":
            return 200, {"time_zone": "UTC", "license_info": {"license_type": "open"}, "version": AWX_VERSION,
                         "eula": "", "analytics_status": "off", "analytics_collectors": {}, "become_methods": []}
        if path == API + "ping/":
            return 200, {"ha": False, "version": AWX_VERSION, "active_node": "controller-standin",
                         "install_uuid": "00000000-0000-0000-0000-000000000000", "instances": [], "instance_groups": []}
        if path == API + "unified_job_templates/" and method == "GET":
            names = query.get("name")
            found = [t.as_api() for t in self.templates.values() if not names or t.name == names[0]]
            return 200, page(found)
        parts = path[len(API):].strip("/").split("/") if path.startswith(API) else []
        if len(parts) == 3 and parts[0] == "job_templates" and parts[2] == "launch" and method == "POST":
            template = self.templates.get(int(parts[1])) if parts[1].isdigit() else None
            if template is None:
                return 404, {"detail": "Not found."}
            return self._launch(template, body or {})
        if parts[:1] == ["jobs"] and method == "GET":
            with self.lock:
                if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) in self.jobs:
                    return 200, dict(self.jobs[int(parts[1])])
                if len(parts) == 1:
                    wanted = {int(i) for i in query.get("id__in", [""])[0].split(",") if i.isdigit()}
                    return 200, page([dict(j) for k, j in sorted(self.jobs.items()) if not wanted or k in wanted])
            return 404, {"detail": "Not found."}
        return 404, {"detail": "Not found."}

    def _launch(self, template, body):
        launched = body.get("extra_vars") or {}
        if isinstance(launched, str):
            launched = yaml.safe_load(launched) or {}
        ignored = {}
        extra_vars = dict(template.extra_vars)
        if template.ask_variables_on_launch:
            extra_vars.update(launched)
        elif launched:
            ignored["extra_vars"] = launched
        for field in ("limit", "inventory", "labels"):
            if field in body:      # ask_*_on_launch is false for these: AWX ignores them and says so
                ignored[field] = body[field]
        with self.lock:
            job_id = len(self.jobs) + 1
            self.launches.append({"template": template.name, "template_id": template.id, "job": job_id,
                                  "body": body, "extra_vars": extra_vars})
            job = {
                "id": job_id, "type": "job", "url": f"{API}jobs/{job_id}/",
                "related": {"job_template": f"{API}job_templates/{template.id}/", "stdout": f"{API}jobs/{job_id}/stdout/"},
                "summary_fields": {"job_template": {"id": template.id, "name": template.name}},
                "created": now_iso(), "modified": now_iso(), "name": template.name, "description": "",
                "job_type": "run", "playbook": template.playbook, "limit": "", "extra_vars": json.dumps(extra_vars),
                "job_template": template.id, "unified_job_template": template.id, "launch_type": "manual",
                "status": "pending", "failed": False, "started": None, "finished": None, "elapsed": 0.0,
                "job_explanation": "", "result_traceback": "", "artifacts": {},
            }
            self.jobs[job_id] = job
        thread = threading.Thread(target=self._run, args=(job_id, template, extra_vars), daemon=True)
        self._threads.append(thread)
        thread.start()
        return 201, dict({"job": job_id, "ignored_fields": ignored}, **job)

    # -- running a job --
    def _update(self, job_id, **fields):
        with self.lock:
            self.jobs[job_id].update(fields, modified=now_iso())

    def _run(self, job_id, template, extra_vars):
        private = os.path.join(self.workdir, "jobs", str(job_id))
        for sub in ("env", "inventory"):
            os.makedirs(os.path.join(private, sub), exist_ok=True)
        with open(os.path.join(private, "env", "extravars"), "w", encoding="utf-8") as handle:
            json.dump(extra_vars, handle)
        shutil.copy(self.inventory, os.path.join(private, "inventory", "hosts.yml"))
        os.symlink(self.project, os.path.join(private, "project"))
        began = time.monotonic()
        self._update(job_id, status="running", started=now_iso())
        bin_dir = os.path.dirname(sys.executable)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), **self.env)
        try:
            result = subprocess.run([os.path.join(bin_dir, "ansible-runner"), "run", private, "-p", template.playbook,
                                     "--ident", str(job_id)], env=env, capture_output=True, text=True, timeout=600,
                                    check=False)
            rc, explanation = result.returncode, ""
        except (OSError, subprocess.TimeoutExpired) as exc:
            rc, explanation = -1, f"ansible-runner did not run: {exc}"
        status = read_artifact(private, job_id, "status") or ("error" if rc == -1 else "failed")
        status = status if status in FINISHED else "failed"
        self._update(job_id, status=status, failed=status != "successful", finished=now_iso(),
                     elapsed=round(time.monotonic() - began, 3), job_explanation=explanation,
                     artifacts=set_stats_of(private, job_id))

    def _handler(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, method):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with standin.lock:
                    standin.requests.append({"method": method, "path": parsed.path, "query": parsed.query})
                if not standin._authorized(self.headers.get("Authorization", "")):
                    status, body = 401, {"detail": NOT_AUTHENTICATED}
                else:
                    try:
                        data = json.loads(raw) if raw else None
                    except ValueError:
                        data = None
                    status, body = standin.handle(method, parsed.path, urllib.parse.parse_qs(parsed.query), data)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):  # noqa: N802 - http.server's naming
                self._answer("GET")

            def do_POST(self):  # noqa: N802 - http.server's naming
                self._answer("POST")

            def log_message(self, *args):
                pass

        return Handler


def page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def read_artifact(private, ident, name):
    try:
        with open(os.path.join(private, "artifacts", str(ident), name), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


def set_stats_of(private, ident):
    for path in glob.glob(os.path.join(private, "artifacts", str(ident), "job_events", "*.json")):
        try:
            with open(path, encoding="utf-8") as handle:
                event = json.load(handle)
        except (OSError, ValueError):
            continue
        if event.get("event") == "playbook_on_stats":
            return (event.get("event_data") or {}).get("artifact_data") or {}
    return {}


def parse_templates(specs, organization, extra_vars):
    templates = {}
    for index, spec in enumerate(specs, start=1):
        name, sep, playbook = spec.partition("=")
        if not sep or not name or not playbook:
            raise SystemExit(f"--template must be NAME=PLAYBOOK, got {spec!r}")
        templates[index] = JobTemplate(index, name, playbook, organization, extra_vars)
    return templates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--project", default=".")
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--organization", default="Default")
    parser.add_argument("--template", action="append", required=True, help="NAME=PLAYBOOK (relative to --project)")
    parser.add_argument("--extra-vars", default="{}", help="JSON: the templates' own variables")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    templates = parse_templates(args.template, args.organization, json.loads(args.extra_vars))
    standin = ControllerStandIn(args.workdir, args.token, args.project, args.inventory, templates, port=args.port).start()
    print(json.dumps({"url": standin.url}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
