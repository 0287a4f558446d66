#!/usr/bin/env bash
# Where the roles take their connection from: play-level, block-level and role-variable connections, with no
# CircleCI environment variable set, then with CIRCLECI_TOKEN set (which must not send anything elsewhere).
set -eux
unset CIRCLECI_TOKEN CIRCLE_TOKEN CIRCLECI_API_URL
# setup_emulator is a sibling target; "$@" carries -e @integration_config.yml (the emulator's state file).
ANSIBLE_ROLES_PATH=.. ansible-playbook connection.yml -i "${INVENTORY_PATH}" "$@"
