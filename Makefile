# community.circleci — developer entry points. `make demo` and `make test` do all set-up themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# ansible-test only works from a path ending in ansible_collections/<namespace>/<name>.
COLLECTION_ROOT := $(CURDIR)/.build/ansible_collections
COLLECTION := $(COLLECTION_ROOT)/community/circleci
EMULATOR_PORT ?= 8765
# The integration targets share one emulator, started by their setup target and stopped here.
EMULATOR_STATE := $(VENV)/circleci-emulator/state.json
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build
export ANSIBLE_NOCOLOR := $(if $(CI),1,)

.PHONY: help venv bench test sanity units emulator-tests integration lint demo emulator collection build clean lock

help:
	@echo "make demo   - run the main job against the local CircleCI emulator"
	@echo "make test   - run every test (sanity, units, emulator, integration, linters)"
	@echo "make integration TARGETS='env_var build' - run some integration targets"
	@echo "make bench  - measure converge and audit of 20 and 100 projects x 30 variables against the emulator (BENCH_FULL=1: also 500)"
	@echo "make emulator - run the CircleCI emulator in the foreground (EMULATOR_PORT, default 8765)"

# The virtual environment is rebuilt only when the pinned requirements change.
venv: $(VENV)/.installed
$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	echo "$(CURDIR)/tests/emulator" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/circleci_emulator.pth"
	$(BIN)/python tests/harness/seed_pip_bootstrap.py
	touch $@

# A copy of the collection where ansible-test and ansible-playbook expect it.
collection: venv
	$(BIN)/python tests/harness/stage_collection.py $(CURDIR) $(COLLECTION)

test: sanity units emulator-tests integration lint
	@echo "make test: all suites passed"

sanity: collection
	cd $(COLLECTION) && $(BIN)/ansible-test sanity --color no --python 3.11 --requirements

units: collection
	cd $(COLLECTION) && $(BIN)/ansible-test units --color no --python 3.11

emulator-tests: venv
	cd tests/emulator && $(BIN)/python -m pytest tests -q -p no:cacheprovider

integration: collection
	printf -- '---\ncircleci_emulator_state_file: %s\n' '$(EMULATOR_STATE)' > $(COLLECTION)/tests/integration/integration_config.yml
	status=0; (cd $(COLLECTION) && $(BIN)/ansible-test integration --color no --python 3.11 $(TARGETS)) || status=$$?; \
	$(BIN)/python -m circleci_emulator.ensure --state-file $(EMULATOR_STATE) --stop || true; \
	exit $$status

# Docs, changelog, ansible-lint, the built tarball and the execution environment metadata (offline).
# LINT_STEPS picks some of: docs changelog ansible-lint package ee.
lint: collection
	BIN=$(BIN) COLLECTION=$(COLLECTION) tests/harness/lint.sh $(LINT_STEPS)

emulator: venv
	EMULATOR_PORT=$(EMULATOR_PORT) $(BIN)/python -m circleci_emulator --port $(EMULATOR_PORT)

demo: collection
	$(BIN)/python tests/harness/demo.py

# Speed is measured here, not asserted in tests (docs/performance.md): 20 and 100 projects x 30 variables,
# 50 ms per API answer, the rate-limited converge and the artifact download; BENCH_FULL=1 adds 500 projects.
# It rewrites the generated block of docs/performance.md and docs/performance.png. BENCH_ARGS: more options
# (python tests/benchmarks/bench.py --help), e.g. --collection-root DIR to measure another staged collection.
BENCH_VENV := $(CURDIR)/.build/bench-venv
BENCH_ARGS ?=
bench: collection $(BENCH_VENV)/.installed
	$(BIN)/python tests/benchmarks/bench.py --write-docs --plot-python $(BENCH_VENV)/bin/python $(if $(filter 1,$(BENCH_FULL)),--full,) $(BENCH_ARGS)
$(BENCH_VENV)/.installed: tests/benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/benchmarks/requirements.txt
	touch $@

build: collection
	cd $(COLLECTION) && $(BIN)/ansible-galaxy collection build --force --output-path $(CURDIR)/.build/dist

lock:
	$(PYTHON) -m venv /tmp/circleci-lock-venv
	/tmp/circleci-lock-venv/bin/pip install --quiet -r tests/requirements.in
	{ echo "# Generated from tests/requirements.in with pip freeze (Python 3.11); regenerate with 'make lock'."; \
	  /tmp/circleci-lock-venv/bin/pip freeze; } > tests/requirements.txt

clean:
	rm -rf .build tests/output
