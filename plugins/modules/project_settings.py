#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: project_settings
short_description: Converge the settings of many CircleCI projects in one task
version_added: 0.1.0
description:
  - Converges, for each project listed, its follow state, environment variables (with purge), checkout keys and
    additional SSH keys, with the same logic as M(community.circleci.project), M(community.circleci.env_var),
    M(community.circleci.checkout_key) and M(community.circleci.ssh_key).
  - One module run for any number of projects; the projects are worked through concurrently (at most 4 requests in flight).
  - "Requests per project: one GET of the environment variables when O(projects[].env_vars) or O(projects[].purge_env_vars)
    is set, one GET of the settings when O(projects[].followed) or O(projects[].ssh_keys) is set, one GET of the checkout keys
    per O(projects[].checkout_keys) entry, and one request per change. A project whose variables are already right costs one GET."
  - Every input is checked before the first request. A project that fails does not stop the others; the task then fails,
    naming each failed project and what it had applied.
  - This module is what the role C(community.circleci.project_settings) runs.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  projects:
    description:
      - The projects and the settings they should have. Settings left out are left alone.
    type: list
    elements: dict
    required: true
    suboptions:
      project:
        description:
          - The project, as V(vcs/organisation/name), for example V(gh/acme/api).
        type: str
        required: true
      followed:
        description:
          - Whether the token's user follows the project. Left alone when not set.
        type: bool
      env_vars:
        description:
          - Environment variables, as for O(community.circleci.env_var#module:variables).
        type: list
        elements: dict
        suboptions:
          name:
            description: The variable's name.
            type: str
            required: true
          value:
            description: The value. Required when O(projects[].env_vars[].state=present).
            type: str
          state:
            description: Whether the variable should exist.
            type: str
            choices: [present, absent]
            default: present
      purge_env_vars:
        description:
          - Delete every variable of the project not listed in O(projects[].env_vars).
        type: bool
        default: false
      checkout_keys:
        description:
          - Checkout keys, as for M(community.circleci.checkout_key).
        type: list
        elements: dict
        suboptions:
          type:
            description: The key type.
            type: str
            choices: [deploy-key, github-user-key]
            required: true
          state:
            description: V(present) creates a key of this type when none exists; V(absent) deletes the keys of this type.
            type: str
            choices: [present, absent]
            default: present
          preferred:
            description: Require the preferred key to be of this type.
            type: bool
            default: false
          fingerprint:
            description: With V(absent), delete only the key with this fingerprint (MD5 or SHA256 form).
            type: str
      ssh_keys:
        description:
          - Additional SSH keys, as for M(community.circleci.ssh_key).
        type: list
        elements: dict
        suboptions:
          hostname:
            description: The host the key is for; empty for all hosts.
            type: str
            default: ''
          private_key:
            description: The unencrypted private key. Mutually exclusive with O(projects[].ssh_keys[].private_key_path).
            type: str
          private_key_path:
            description: A file holding the private key.
            type: path
          state:
            description: Whether the key should be there.
            type: str
            choices: [present, absent]
            default: present
          exclusive:
            description: Remove the hostname's other keys.
            type: bool
            default: false
          remove_duplicates:
            description: Remove extra copies of the key.
            type: bool
            default: false
  update_value:
    description:
      - When to write the value of a variable that exists, as for O(community.circleci.env_var#module:update_value).
    type: str
    choices: [always, on_create, when_masked_differs]
    default: when_masked_differs
'''

EXAMPLES = r'''
- name: Converge two projects (the connection comes from module_defaults or the CIRCLECI_* environment variables)
  community.circleci.project_settings:
    projects:
      - project: gh/acme/api
        followed: true
        purge_env_vars: false
        env_vars:
          - name: LOG_LEVEL
            value: info
          - name: FEATURE_FLAGS
            value: "search,checkout"
        checkout_keys:
          - type: deploy-key
      - project: gh/acme/web
        env_vars:
          - name: NODE_ENV
            value: production
  register: converged

- name: Rotate one secret across many projects (one module run, projects worked through concurrently)
  community.circleci.project_settings:
    update_value: always
    projects: "{{ rotation_entries }}"
  vars:
    rotation_entries:
      - project: gh/acme/api
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
      - project: gh/acme/web
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
      - project: gh/acme/worker
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
    new_secret: s3cr3t-rotated-value
'''

RETURN = r'''
projects:
  description: One result per project, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    project:
      description: The project slug.
      type: str
      sample: gh/acme/api
    changed:
      description: Whether anything of this project changed (or would, in check mode).
      type: bool
    follow:
      description: The follow result, as M(community.circleci.project) returns it; present when O(projects[].followed) was set.
      type: dict
    env_vars:
      description: The environment variable result, as M(community.circleci.env_var) returns it (masked values only).
      type: dict
    checkout_keys:
      description: One result per O(projects[].checkout_keys) entry, as M(community.circleci.checkout_key) returns it.
      type: list
      elements: dict
    ssh_keys:
      description: One result per O(projects[].ssh_keys) entry, as M(community.circleci.ssh_key) returns it (fingerprints and public keys only).
      type: list
      elements: dict
    failure:
      description: Why this project could not be converged; what it applied before is in its other keys.
      type: str
      returned: when the project failed
failed_projects:
  description: The messages of the projects that failed.
  returned: failure
  type: list
  elements: str
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._project_settings import converge_projects, prepare

ENV_VAR_SPEC = dict(
    name=dict(type='str', required=True),
    value=dict(type='str', no_log=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)
CHECKOUT_KEY_SPEC = dict(
    type=dict(type='str', choices=['deploy-key', 'github-user-key'], required=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    preferred=dict(type='bool', default=False),
    fingerprint=dict(type='str'),
)
SSH_KEY_SPEC = dict(
    hostname=dict(type='str', default=''),
    private_key=dict(type='str', no_log=True),
    private_key_path=dict(type='path'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    exclusive=dict(type='bool', default=False),
    remove_duplicates=dict(type='bool', default=False),
)
PROJECT_SPEC = dict(
    project=dict(type='str', required=True),
    followed=dict(type='bool'),
    env_vars=dict(type='list', elements='dict', options=ENV_VAR_SPEC),
    purge_env_vars=dict(type='bool', default=False),
    checkout_keys=dict(type='list', elements='dict', options=CHECKOUT_KEY_SPEC, no_log=False),
    ssh_keys=dict(type='list', elements='dict', options=SSH_KEY_SPEC, no_log=False,
                  mutually_exclusive=[('private_key', 'private_key_path')]),
)


def main():
    module = CircleCIModule(
        argument_spec=dict(
            projects=dict(type='list', elements='dict', required=True, options=PROJECT_SPEC),
            update_value=dict(type='str', choices=['always', 'on_create', 'when_masked_differs'], default='when_masked_differs'),
        ),
        project_spec=False,
        supports_check_mode=True,
    )
    entries, errors = prepare(module.params['projects'])
    if errors:
        module.fail_json(msg='Invalid project settings, nothing was sent: %s' % '; '.join(errors))

    results, failures = converge_projects(module.client, entries, module.params['update_value'], module.check_mode)
    diff = [entry for result in results for entry in result.pop('diff')]
    outcome = dict(changed=any(result['changed'] for result in results), projects=results, diff=diff)
    if failures:
        module.fail_json(msg='%d of %d projects could not be converged (the others were): %s' % (
            len(failures), len(results), ' | '.join(failures)), failed_projects=failures, **outcome)
    module.exit_json(**outcome)


if __name__ == '__main__':
    main()
