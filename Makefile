# Developer and CI entry points for the karmada.runbooks collection.
# Every tool is called from .venv/bin explicitly; no activated venv is needed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
PYTHON_VERSION := 3.11
KUBECTL ?= kubectl

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
VBIN := $(VENV)/bin
CACHE := $(ROOT)/.cache

# kubernetes.core is not on PyPI by itself and Galaxy is unreachable, so the
# collections come out of the `ansible` community wheel (for Python 3.11).
ANSIBLE_BUNDLE_VERSION := 12.3.0
ANSIBLE_BUNDLE_WHEEL := $(CACHE)/ansible-$(ANSIBLE_BUNDLE_VERSION)-py3-none-any.whl
BUNDLED_COLLECTIONS := kubernetes/core community/general ansible/posix awx/awx
COLLECTIONS := $(ROOT)/.collections
COLLECTIONS_ROOT := $(COLLECTIONS)/ansible_collections

# ansible-test must run from a directory named ansible_collections/<ns>/<name>.
# The checkout is copied there (tracked and untracked files, minus what
# .gitignore excludes) before each run.
AT_ROOT := $(ROOT)/.ansible-test/ansible_collections
AT_DIR := $(AT_ROOT)/karmada/runbooks
ANSIBLE_TEST := $(VBIN)/ansible-test
ANSIBLE_TEST_ARGS ?=

# Drop pip's warnings about configured local index folders that do not exist.
PIP_NOISE_FILTER := { grep --line-buffered -v "is ignored: it is neither a file nor a directory" || true; }

STAMP_VENV := $(VENV)/.stamp-requirements
STAMP_COLLECTIONS := $(COLLECTIONS)/.stamp-ansible-$(ANSIBLE_BUNDLE_VERSION)

GET_PIP_STANDIN := $(ROOT)/tests/tools/get_pip_offline.py
SERVER_PACKAGES := prometheus prometheus-alertmanager
SERVER_BINARIES := /usr/bin/prometheus /usr/bin/prometheus-alertmanager

DEMO_DIR := $(ROOT)/.demo
# execution-environment.yml reads the collection tarball from .ee/ (relative to the file), so this is fixed.
override EE_DIR := $(ROOT)/.ee
DEMO_SCENARIO ?= missing-namespaces
BENCH_SCENARIOS ?= healthy large huge
# e.g. BENCH_ARGS="--runs 1 --json bench/results.json"; BENCH_BY_HAND_RUNS=3 repeats the runbook by hand.
BENCH_ARGS ?=
INTEGRATION_DIR ?= tests/integration
PYTEST_ARGS ?=
# Integration tests spend much of their time waiting (emulator start-up, Prometheus scrapes, verification
# polls), so two workers keep a 2-core machine busy. Whole files go to one worker: their emulators are
# module-scoped. INTEGRATION_WORKERS=0 runs them in one process.
INTEGRATION_WORKERS ?= 2
INTEGRATION_WORKERS_ARGS := $(if $(filter-out 0,$(INTEGRATION_WORKERS)),-n $(INTEGRATION_WORKERS) --dist loadfile,)

.PHONY: help setup sanity units integration test lint demo demo-down bench ee-context runbook-by-hand clean distclean \
	_self-link _servers _ansible-test-offline _sync-ansible-test

help: ## List the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# --------------------------------------------------------------------------
# setup

setup: $(STAMP_VENV) $(STAMP_COLLECTIONS) _self-link _servers _ansible-test-offline ## Create .venv, unpack collections, install test servers (idempotent)
	@echo "setup: ok (ansible-core $$($(VBIN)/python -c "import ansible.release; print(ansible.release.__version__)"))"

$(STAMP_VENV): $(ROOT)/requirements.txt $(ROOT)/requirements-dev.txt
	@test -x $(VBIN)/python || { echo "setup: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(VBIN)/python -m pip install --quiet --disable-pip-version-check -r $(ROOT)/requirements-dev.txt \
		2>&1 | $(PIP_NOISE_FILTER)
	@touch $@

$(STAMP_COLLECTIONS): $(STAMP_VENV)
	@mkdir -p $(CACHE) $(COLLECTIONS_ROOT)
	@test -s $(ANSIBLE_BUNDLE_WHEEL) || \
		$(VBIN)/python -m pip download --quiet --disable-pip-version-check --no-deps \
			--dest $(CACHE) ansible==$(ANSIBLE_BUNDLE_VERSION) 2>&1 | $(PIP_NOISE_FILTER)
	@for c in $(BUNDLED_COLLECTIONS); do rm -rf "$(COLLECTIONS_ROOT)/$$c"; done
	unzip -q -o $(ANSIBLE_BUNDLE_WHEEL) $(foreach c,$(BUNDLED_COLLECTIONS),'ansible_collections/$(c)/*') -d $(COLLECTIONS)
	@rm -f $(COLLECTIONS)/.stamp-ansible-*
	@touch $@

# .collections/ansible_collections/karmada/runbooks -> the checkout itself, so
# `ansible-playbook karmada.runbooks.<playbook>` resolves through ansible.cfg.
_self-link:
	@mkdir -p $(COLLECTIONS_ROOT)/karmada
	@test "$$(readlink $(COLLECTIONS_ROOT)/karmada/runbooks 2>/dev/null)" = "../../.." || \
		ln -sfn ../../.. $(COLLECTIONS_ROOT)/karmada/runbooks

# Prometheus and Alertmanager (Debian packages) back the alerting tests.
_servers:
	@missing=""; for b in $(SERVER_BINARIES); do test -x "$$b" || missing="$$missing $$b"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "setup: NOTE:$$missing not found; install them with:"; \
		echo "         sudo apt-get install -y --no-install-recommends $(SERVER_PACKAGES)"; \
		echo "       (tests that need them will skip or fail until then)"; \
		exit 0; \
	fi; \
	echo "setup: installing $(SERVER_PACKAGES) with apt-get"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -qq --no-install-recommends $(SERVER_PACKAGES) >/dev/null 2>&1 || { \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $(SERVER_PACKAGES) >/dev/null; }

# ansible-test bootstraps pip in each test venv with a get-pip script that it
# downloads from a host that is unreachable here; pre-seed its cache with a
# stand-in under the name this ansible-test version looks for.
_ansible-test-offline: $(STAMP_VENV)
	@pipver=$$($(VBIN)/python -c 'from types import SimpleNamespace; \
		from ansible_test._internal.python_requirements import get_venv_packages; \
		print(get_venv_packages(SimpleNamespace(version="$(PYTHON_VERSION)"))["pip"])'); \
	dest="$$HOME/.ansible/test/cache/get_pip_$${pipver//./_}.py"; \
	cmp -s $(GET_PIP_STANDIN) "$$dest" || { install -D -m 0644 $(GET_PIP_STANDIN) "$$dest"; echo "setup: installed $$dest"; }

# --------------------------------------------------------------------------
# tests

_sync-ansible-test:
	@test -x $(ANSIBLE_TEST) || { echo "run 'make setup' first"; exit 1; }
	@mkdir -p $(AT_DIR)
	@# Start from a clean copy but keep tests/output (ansible-test's cache).
	@find $(AT_DIR) -mindepth 1 -depth ! -path '$(AT_DIR)/tests' ! -path '$(AT_DIR)/tests/output' \
		! -path '$(AT_DIR)/tests/output/*' -delete
	@cd $(ROOT) && git ls-files -z --cached --others --exclude-standard \
		| tar --null --files-from=- --ignore-failed-read --create --file=- 2>/dev/null \
		| tar --extract --file=- --directory=$(AT_DIR)
	@# Dependencies must sit in the same collection root.
	@ln -sfn ../../.collections/ansible_collections/kubernetes $(AT_ROOT)/kubernetes

# ANSIBLE_TEST_CONTENT_ROOT stops ansible-test from walking up to the
# enclosing git checkout (whose .gitignore hides the copy).
sanity: _sync-ansible-test ## ansible-test sanity (no ignore files)
	cd $(AT_DIR) && ANSIBLE_TEST_CONTENT_ROOT=$(AT_DIR) \
		$(ANSIBLE_TEST) sanity --venv --python $(PYTHON_VERSION) --color no $(ANSIBLE_TEST_ARGS) \
		2>&1 | $(PIP_NOISE_FILTER)

units: ## ansible-test units (skips when tests/unit has no tests)
	@if ! find $(ROOT)/tests/unit -name 'test_*.py' -print -quit 2>/dev/null | grep -q .; then \
		echo "units: no unit tests under tests/unit yet - skipped"; exit 0; fi; \
	$(MAKE) _sync-ansible-test; \
	cd $(AT_DIR) && ANSIBLE_TEST_CONTENT_ROOT=$(AT_DIR) \
		$(ANSIBLE_TEST) units --venv --python $(PYTHON_VERSION) --color no $(ANSIBLE_TEST_ARGS) \
		2>&1 | $(PIP_NOISE_FILTER)

integration: ## pytest tests/integration (against the emulated API server)
	@cd $(ROOT); if [ ! -d "$(INTEGRATION_DIR)" ]; then \
		echo "integration: $(INTEGRATION_DIR) does not exist yet - skipped"; exit 0; fi; \
	rc=0 && $(VBIN)/python -m pytest -q $(INTEGRATION_WORKERS_ARGS) $(INTEGRATION_DIR) $(PYTEST_ARGS) || rc=$$?; \
	if [ "$$rc" = 5 ]; then echo "integration: no tests collected - skipped"; exit 0; fi; \
	exit $$rc

test: setup ## setup, then sanity, units and integration (fails if any fails)
	@failed=""; \
	for t in sanity units integration; do \
		echo "=== make $$t"; \
		$(MAKE) $$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "test: FAILED:$$failed"; exit 1; fi; \
	echo "test: all passed"

lint: ## ansible-lint (production profile, offline) and ruff
	cd $(ROOT) && PATH=$(VBIN):$$PATH $(VBIN)/ansible-lint --offline
	cd $(ROOT) && $(VBIN)/ruff check .

# --------------------------------------------------------------------------
# demo

demo: setup ## Start an emulated Karmada with a fault (and Prometheus), diagnose it, mitigate it (approved), show the reports
	@test -d $(ROOT)/tests/emulator || { echo "demo: tests/emulator is not there yet"; exit 1; }
	cd $(ROOT) && $(VBIN)/python -m tests.emulator down --workdir $(DEMO_DIR) >/dev/null
	cd $(ROOT) && $(VBIN)/python -m tests.emulator up --scenario $(DEMO_SCENARIO) --workdir $(DEMO_DIR) \
		$$(test -x /usr/bin/prometheus && echo --prometheus)
	cd $(ROOT) && ANSIBLE_CONFIG=$(ROOT)/ansible.cfg $(VBIN)/ansible-playbook playbooks/diagnose.yml \
		-e karmada_kubeconfig=$(DEMO_DIR)/kubeconfig -e karmada_report_dir=$(DEMO_DIR)/report \
		-e karmada_prometheus_url="$$($(VBIN)/python -c 'import json; print(json.load(open("$(DEMO_DIR)/endpoints.json")).get("prometheus", {}).get("url", ""))')"
	@echo
	@echo "demo: mitigating from that diagnosis, approved (restore what is missing, restart, verify):"
	cd $(ROOT) && ANSIBLE_CONFIG=$(ROOT)/ansible.cfg $(VBIN)/ansible-playbook playbooks/mitigate.yml \
		-e karmada_kubeconfig=$(DEMO_DIR)/kubeconfig -e karmada_report_dir=$(DEMO_DIR)/report \
		-e karmada_diagnosis_report=$(DEMO_DIR)/report/report.json -e karmada_mitigate_approve=true \
		-e karmada_verify_metric_range=15 -e karmada_verify_interval=3 \
		-e karmada_prometheus_url="$$($(VBIN)/python -c 'import json; print(json.load(open("$(DEMO_DIR)/endpoints.json")).get("prometheus", {}).get("url", ""))')"
	@echo
	@echo "Report (diagnosis and mitigation): $(DEMO_DIR)/report/report.md, report.html, report.json"
	@echo "The emulated Karmada ($(DEMO_SCENARIO)) keeps running:"
	@echo "  $(KUBECTL) --kubeconfig $(DEMO_DIR)/kubeconfig --context karmada-apiserver get events -A"
	@echo "  make runbook-by-hand    # the runbook's commands, typed by hand, against it"
	@echo "  make demo-down          # stop it"

bench: setup ## Benchmark diagnose vs its raw-request floor, an empty play and the runbook by hand (bench/RESULTS.md)
	cd $(ROOT) && $(VBIN)/python tests/tools/bench_diagnose.py --scenarios "$(BENCH_SCENARIOS)" $(BENCH_ARGS)

ee-context: $(STAMP_VENV) ## Build the collection tarball and the execution environment's build context in $(EE_DIR)/context
	@rm -rf $(EE_DIR) && mkdir -p $(EE_DIR)
	cd $(ROOT) && $(VBIN)/ansible-galaxy collection build --force --output-path $(EE_DIR) >/dev/null
	mv $(EE_DIR)/karmada-runbooks-*.tar.gz $(EE_DIR)/karmada-runbooks.tar.gz
	cd $(ROOT) && $(VBIN)/ansible-builder create -f execution-environment.yml -c $(EE_DIR)/context
	@echo "ee-context: build it with: podman build -t karmada-runbooks-ee $(EE_DIR)/context"

runbook-by-hand: ## Run the runbook's own kubectl/PromQL commands against the demo emulator
	$(ROOT)/tests/tools/runbook-by-hand.sh $(DEMO_DIR)/kubeconfig \
		"$$($(VBIN)/python -c 'import json; print(json.load(open("$(DEMO_DIR)/endpoints.json")).get("prometheus", {}).get("url", ""))')"

demo-down: ## Stop the emulated Karmada started by `make demo`
	cd $(ROOT) && $(VBIN)/python -m tests.emulator down --workdir $(DEMO_DIR)

# --------------------------------------------------------------------------
# cleaning

clean: ## Remove test output, caches and build artefacts (keeps .venv/.collections)
	rm -rf $(ROOT)/.ansible-test $(ROOT)/tests/output $(ROOT)/.pytest_cache $(ROOT)/.ruff_cache \
		$(ROOT)/.ansible $(ROOT)/out $(ROOT)/.ee
	rm -f $(ROOT)/karmada-runbooks-*.tar.gz
	find $(ROOT) -path $(VENV) -prune -o -path $(COLLECTIONS) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and also remove .venv, .collections and .cache
	rm -rf $(VENV) $(COLLECTIONS) $(CACHE)
