#!/usr/bin/env bash
# Linters and packaging checks run by `make lint` (part of `make test`).
#
# Usage: tests/harness/lint.sh [STEP...]      STEP: docs changelog ansible-lint package ee (default: all)
#
# Works on the staged copy of the collection that `make collection` creates (COLLECTION, by default
# .build/ansible_collections/community/circleci), with the tools of the project's virtual environment.
# Every step runs offline: only local files are read, nothing is downloaded.
#
#   docs          antsibull-docs lint-collection-docs --plugin-docs: module and role docs render and
#                 their markup and references are valid; docs/docsite (links.yml, extra-docs.yml,
#                 rst/*.rst) is well formed, with valid labels, toctrees and references.
#   changelog     antsibull-changelog lint (fragments) and lint-changelog-yaml (changelogs/changelog.yaml).
#   ansible-lint  ansible-lint, production profile (.ansible-lint), offline, on the shipped content:
#                 roles/ and playbooks/ when they have files, meta/ and galaxy.yml.
#   package       ansible-galaxy collection build from a copy of the staged collection in which local
#                 artifacts are planted (.venv, .build, tests/output, __pycache__, tarballs...); the
#                 tarball must contain none of them and must contain the files users need; it is then
#                 installed with ansible-galaxy (offline) into a temporary path, verified against its
#                 manifest, and ansible-doc must render community.circleci.user_info from it.
#   ee            the execution environment metadata: ansible-builder create on meta/execution-environment.yml
#                 (with its paths resolved from the collection root, as ansible-builder does for a
#                 collection's metadata) must write a build context that installs requests, and
#                 ansible-builder introspect on the installed tarball must find requests for the collection.
#
# Each step prints one line (PASS/FAIL and its time); a failing step prints its output. The script
# runs every step asked for and exits non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${BIN:-$ROOT/.venv/bin}"
COLLECTION="${COLLECTION:-$ROOT/.build/ansible_collections/community/circleci}"
ALL_STEPS=(docs changelog ansible-lint package ee)

if [[ ! -f "$COLLECTION/galaxy.yml" || "$COLLECTION" != */ansible_collections/community/circleci ]]; then
    echo "lint.sh: no staged collection at $COLLECTION (run 'make collection' first)" >&2
    exit 2
fi
for tool in ansible ansible-doc ansible-galaxy ansible-lint antsibull-docs antsibull-changelog ansible-builder; do
    if [[ ! -x "$BIN/$tool" ]]; then
        echo "lint.sh: $BIN/$tool is missing (run 'make venv')" >&2
        exit 2
    fi
done

export PATH="$BIN:$PATH"   # antsibull-docs runs ansible-doc and ansible --version from PATH
export ANSIBLE_COLLECTIONS_PATH="${COLLECTION%/ansible_collections/community/circleci}"
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0
export ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1   # no schema refresh from the network
export PIP_DISABLE_PIP_VERSION_CHECK=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/circleci-lint.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
FAILED=()

# run_step NAME FUNCTION: runs FUNCTION with its output in $WORK/NAME.log; one line of verdict.
run_step() {
    local name="$1" func="$2" started status
    started=$(date +%s.%N)
    ("$func") >"$WORK/$name.log" 2>&1
    status=$?
    local took
    took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [[ $status -eq 0 ]]; then
        printf 'PASS  %-13s (%ss)\n' "$name" "$took"
    else
        printf 'FAIL  %-13s (%ss)\n' "$name" "$took"
        sed 's/^/      /' "$WORK/$name.log"
        FAILED+=("$name")
    fi
}

step_docs() {
    cd "$COLLECTION" &&
        antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .
}

step_changelog() {
    cd "$COLLECTION" &&
        antsibull-changelog lint &&
        antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
}

step_ansible_lint() {
    cd "$COLLECTION" || return 1
    local targets=(galaxy.yml meta/)
    local dir
    for dir in roles playbooks; do
        # An empty or missing directory has nothing to lint (git does not even stage an empty one).
        if [[ -d "$dir" ]] && [[ -n "$(find "$dir" -type f -print -quit)" ]]; then
            targets+=("$dir/")
        fi
    done
    echo "ansible-lint targets: ${targets[*]}"
    ansible-lint --offline --profile production --config-file .ansible-lint "${targets[@]}"
}

# Paths that must never be in the tarball (extended regular expression on its member names).
FORBIDDEN='(^|/)(\.venv|\.build|\.git|\.ansible|\.cache|\.pytest_cache|\.mypy_cache|__pycache__)(/|$)|^tests/output(/|$)|^tests/harness(/|$)|\.pyc$|\.tar\.gz$|\.egg-info(/|$)|^changelogs/\.plugin-cache\.yaml$|^tests/integration/(integration_config\.yml|inventory)$'
# Files that must be in it.
REQUIRED=(MANIFEST.json FILES.json LICENSE meta/runtime.yml meta/execution-environment.yml meta/ee-requirements.txt
          meta/ee-bindep.txt docs/docsite/extra-docs.yml docs/docsite/links.yml changelogs/changelog.yaml
          changelogs/config.yaml plugins/modules/user_info.py plugins/module_utils/_client.py)

step_package() {
    local src="$WORK/src" dist="$WORK/dist" installed="$WORK/installed"
    mkdir -p "$src" "$dist" || return 1
    # A copy of the staged collection (without its git index and test output), with the clutter a
    # developer's checkout has planted in it: the build must leave all of it out.
    tar -C "$COLLECTION" --exclude=./.git --exclude=./tests/output -cf - . | tar -C "$src" -xf - || return 1
    local decoy
    for decoy in .venv/pyvenv.cfg .venv/bin/python .build/dist/community-circleci-0.0.1.tar.gz tests/output/junit/x.xml \
            plugins/modules/__pycache__/user_info.cpython-311.pyc plugins/module_utils/stale.pyc .pytest_cache/README.md \
            tests/emulator/.pytest_cache/v/cache/lastfailed tests/emulator/.venv/pyvenv.cfg .ansible/collections/x \
            community-circleci-0.0.1.tar.gz tests/harness/x.py changelogs/.plugin-cache.yaml \
            tests/integration/integration_config.yml .cache/x .mypy_cache/x; do
        mkdir -p "$src/$(dirname "$decoy")" && echo decoy >"$src/$decoy" || return 1
    done
    ansible-galaxy collection build --output-path "$dist" "$src" || return 1
    local tarball
    tarball=$(ls "$dist"/community-circleci-*.tar.gz) || return 1
    echo "built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
    tar -tzf "$tarball" | sed 's#/$##' >"$WORK/members.txt" || return 1
    local bad=0 name
    if grep -E "$FORBIDDEN" "$WORK/members.txt"; then
        echo "^ these paths must not be in the tarball: add them to build_ignore in galaxy.yml"
        bad=1
    fi
    for name in "${REQUIRED[@]}"; do
        grep -qxF "$name" "$WORK/members.txt" || { echo "missing from the tarball: $name"; bad=1; }
    done
    if [[ -f "$COLLECTION/README.md" ]] && ! grep -qxF README.md "$WORK/members.txt"; then
        echo "missing from the tarball: README.md"
        bad=1
    fi
    [[ $bad -eq 0 ]] || return 1
    ansible-galaxy collection install --offline --force -p "$installed" "$tarball" || return 1
    # Only the installed copy may be found from here on, not the staged one.
    ANSIBLE_COLLECTIONS_PATH="$installed" ansible-galaxy collection verify --offline community.circleci || return 1
    local rendered
    rendered=$(ANSIBLE_COLLECTIONS_PATH="$installed" ansible-doc -t module community.circleci.user_info) || return 1
    grep -q 'community.circleci.user_info' <<<"$rendered" || { echo "ansible-doc did not render user_info:"; echo "$rendered"; return 1; }
    echo "installed and rendered from $installed"
}

step_ee() {
    local meta
    if [[ -d "$WORK/installed/ansible_collections/community/circleci/meta" ]]; then
        meta="$WORK/installed/ansible_collections/community/circleci/meta"   # what Galaxy users get
    else
        meta="$COLLECTION/meta"
    fi
    # ansible-builder resolves a definition's paths from the definition's folder, but a collection's
    # meta/execution-environment.yml names them from the collection root (meta/ee-requirements.txt), as
    # ansible-builder's introspection of installed collections expects. So the definition is read
    # from a folder laid out like the collection root.
    local definition="$WORK/ee-definition"
    mkdir -p "$definition" && cp -r "$meta" "$definition/meta" &&
        cp "$meta/execution-environment.yml" "$definition/execution-environment.yml" || return 1
    ansible-builder create -f "$definition/execution-environment.yml" --context "$WORK/ee-context" || return 1
    grep -qE '^requests([^A-Za-z0-9_.-]|$)' "$WORK/ee-context/_build/requirements.txt" ||
        { echo "the build context does not install requests"; return 1; }
    echo "build context written: $(cd "$WORK/ee-context" && find . -type f | sort | tr '\n' ' ')"
    if [[ -d "$WORK/installed/ansible_collections" ]]; then
        local found
        found=$(ansible-builder introspect "$WORK/installed") || return 1
        echo "$found"
        grep -qE "^- '?requests\b.*# from collection community\.circleci" <<<"$found" ||
            { echo "introspection found no requests for community.circleci"; return 1; }
    else
        echo "introspection skipped: run the package step first (it installs the tarball)"
    fi
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=("${ALL_STEPS[@]}")
for step in "${steps[@]}"; do
    case "$step" in
        docs) run_step docs step_docs ;;
        changelog) run_step changelog step_changelog ;;
        ansible-lint) run_step ansible-lint step_ansible_lint ;;
        package) run_step package step_package ;;
        ee) run_step ee step_ee ;;
        *) echo "lint.sh: unknown step '$step' (steps: ${ALL_STEPS[*]})" >&2; exit 2 ;;
    esac
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "lint: FAILED: ${FAILED[*]}"
    exit 1
fi
echo "lint: all checks passed (${steps[*]})"
