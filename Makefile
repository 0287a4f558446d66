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

.PHONY: help venv bench test sanity units emulator-tests integration lint demo emulator collection build clean lock \
	docs-test compat compat-ends compat-venvs compat-lock fault-matrix canary

help:
	@echo "make demo   - run the main job against the local CircleCI emulator"
	@echo "make test   - run every test (sanity, units, emulator, integration, docs, linters)"
	@echo "make docs-test - run every playbook and task list of the docs and module EXAMPLES against the emulator"
	@echo "make compat - docs tests and the smoke playbook under each ansible-core (COMPAT_VERSIONS='2.16 2.21')"
	@echo "make compat-ends - the same for the oldest and the newest ansible-core only (what CI runs)"
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

test: sanity units emulator-tests integration docs-test lint fault-matrix canary
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

# Robustness: every module under injected faults, and secrets as canaries (tests/robustness/README.md).
fault-matrix: collection
	$(BIN)/python tests/robustness/fault_matrix.py

canary: collection
	$(BIN)/python tests/robustness/canary.py

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

# Every YAML block of README.md, the role READMEs, docs/docsite/rst/*.rst and the modules' EXAMPLES runs
# against one emulator, as written; tests/harness/doc_playbooks.yml says how each is run. DOCS_ARGS
# passes options, for example DOCS_ARGS='--only README.md' or DOCS_ARGS=--list.
DOCS_ARGS ?=
# The smoke playbook of the compat matrix runs here too, under the pinned ansible-core, so that make test finds it broken.
docs-test: collection
	$(BIN)/python tests/harness/doc_playbooks.py $(DOCS_ARGS)
	$(BIN)/python tests/harness/doc_playbooks.py --compat --only 'tests/compat/smoke.yml*'

# The ansible-core matrix: from the oldest release meta/runtime.yml claims to the newest on the index.
# Each version gets its own virtual environment under .venv-compat/<version>, built with the Python
# named here from tests/compat/requirements-<version>.txt (regenerate those with 'make compat-lock').
# Python: ansible-core 2.16 and 2.17 run on 3.10-3.12, 2.18 and 2.19 on 3.11-3.13, 2.20 and 2.21 on 3.12-3.14.
COMPAT_ALL := 2.16 2.17 2.18 2.19 2.20 2.21
COMPAT_VERSIONS ?= $(COMPAT_ALL)
COMPAT_PYTHON_2.16 := 3.11
COMPAT_PYTHON_2.17 := 3.12
COMPAT_PYTHON_2.18 := 3.13
COMPAT_PYTHON_2.19 := 3.11
COMPAT_PYTHON_2.20 := 3.12
COMPAT_PYTHON_2.21 := 3.13
COMPAT_VENVS := $(CURDIR)/.venv-compat

compat-venvs: $(foreach v,$(COMPAT_VERSIONS),$(COMPAT_VENVS)/$(v)/.installed)

$(COMPAT_VENVS)/%/.installed: tests/compat/requirements-%.txt
	@test -n "$(COMPAT_PYTHON_$*)" || { echo "compat: no Python is set for ansible-core $* (COMPAT_PYTHON_$* in the Makefile)" >&2; exit 1; }
	rm -rf $(COMPAT_VENVS)/$*
	python="$$(tests/compat/find_python.sh $(COMPAT_PYTHON_$*))"; \
	"$$python" -m venv $(COMPAT_VENVS)/$*
	$(COMPAT_VENVS)/$*/bin/python -m pip install --quiet --disable-pip-version-check -r tests/compat/requirements-$*.txt
	touch $@

# Runs, per version: the docs tests (tests/harness/doc_playbooks.py) and the smoke playbook that uses
# every module once (tests/compat/smoke.yml), with that version's ansible-playbook; one summary at the end.
compat: collection compat-venvs
	$(BIN)/python tests/compat/run.py --venvs $(COMPAT_VENVS) $(COMPAT_VERSIONS)

# The oldest and the newest ansible-core of the matrix (what CI runs).
compat-ends:
	$(MAKE) compat COMPAT_VERSIONS='$(firstword $(COMPAT_ALL)) $(lastword $(COMPAT_ALL))'

# Regenerates tests/compat/requirements-<version>.txt for COMPAT_VERSIONS, as 'make lock' does: a fresh virtual
# environment with that version's Python, pip install "ansible-core==<version>.*" -r tests/compat/requirements.in
# (so the newest patch release on the index), pip freeze.
compat-lock: $(foreach v,$(COMPAT_VERSIONS),compat-lock-$(v))

compat-lock-%:
	python="$$(tests/compat/find_python.sh $(COMPAT_PYTHON_$*))"; \
	rm -rf /tmp/circleci-compat-lock-$*; "$$python" -m venv /tmp/circleci-compat-lock-$*; \
	/tmp/circleci-compat-lock-$*/bin/pip install --quiet --disable-pip-version-check "ansible-core==$*.*" -r tests/compat/requirements.in; \
	{ echo "# ansible-core $* (newest patch) and tests/compat/requirements.in, pip freeze with Python $(COMPAT_PYTHON_$*); regenerate with 'make compat-lock'."; \
	  /tmp/circleci-compat-lock-$*/bin/pip freeze; } > tests/compat/requirements-$*.txt; \
	rm -rf /tmp/circleci-compat-lock-$*

clean:
	rm -rf .build tests/output .venv-compat
