#!/usr/bin/env bash
# This target shares its name with the collection's role community.circleci.project_settings, which ansible-test's
# role run (roles: [project_settings]) would pick instead of this directory; so it runs as a script, with the same
# setup_emulator dependency (meta/main.yml) and the same tasks.
set -eux
ANSIBLE_ROLES_PATH=.. ansible-playbook runme.yml -i "${INVENTORY_PATH}" "$@"
