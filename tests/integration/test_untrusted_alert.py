"""An alert is untrusted text: whoever writes alerting rules or posts to the EDA webhook chooses its labels and
annotations. ansible-core treats extra vars as trusted templates, so Jinja inside an alert must stay text on
every way an alert reaches a run (karmada_alert from AWX or the shell, ansible_eda.event from ansible-rulebook)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.emulator

PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: karmada.runbooks.common
  tasks:
    - name: alert as the run sees it
      ansible.builtin.debug:
        var: karmada_alert_normalized
    - name: window as the run sees it
      ansible.builtin.debug:
        msg: "{{ karmada_window_start }} {{ karmada_window_source }}"
"""


def _payload(marker):
    return {"labels": {"alertname": "KarmadaBindingSyncWorkAvailabilityBurnRateHigh", "sloth_severity": "page",
                       "team": f"{{{{ lookup('ansible.builtin.pipe', 'touch {marker}') }}}}"},
            "annotations": {"summary": "{{ 6 * 7 }}", "runbook": "{% raw %}x{% endraw %}"},
            "status": "firing", "startsAt": "2026-11-30T03:00:00Z"}


@pytest.mark.parametrize("shape", ["karmada_alert", "ansible_eda"])
def test_jinja_in_an_alert_is_never_run_and_stays_text(ansible_playbook, tmp_path, shape):
    marker = tmp_path / "templated"
    alert = _payload(marker)
    extra = {"karmada_alert": alert} if shape == "karmada_alert" else {
        # what ansible-rulebook's run_playbook writes into the extra vars
        "ansible_eda": {"ruleset": "karmada", "rule": "page", "event": dict(alert, meta={"endpoint": "/"})}}
    (tmp_path / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
    results = ansible_playbook.results(PLAY, "-e", f"@{tmp_path / 'extra.json'}",
                                       "-e", f"karmada_report_dir={tmp_path / 'out'}")
    assert not marker.exists(), "a lookup inside an alert label ran on the controller"
    seen = results["alert as the run sees it"]["karmada_alert_normalized"]
    assert seen["labels"]["team"] == alert["labels"]["team"]
    assert seen["annotations"] == alert["annotations"]
    # The alert still does its job: its startsAt opens the window (minus the 5 min margin).
    assert results["window as the run sees it"]["msg"] == "2026-11-30T02:55:00Z alert"


def test_a_malformed_alert_names_the_variable_it_came_from(ansible_playbook, tmp_path):
    (tmp_path / "extra.json").write_text(json.dumps({"ansible_eda": {"event": {"labels": ["not", "a", "map"]}}}),
                                         encoding="utf-8")
    run = ansible_playbook.run(PLAY, "-e", f"@{tmp_path / 'extra.json'}", check=False)
    assert run.returncode != 0
    assert "ansible_eda.event.labels must be a mapping" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
