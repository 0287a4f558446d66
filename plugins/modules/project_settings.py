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
  - Each item takes the options, and follows the rules, of the single-project module it stands for.
  - "Requests per project: one GET of the environment variables when O(projects[].env_vars) or O(projects[].purge_env_vars)
    is set, one GET of the settings when O(projects[].followed) or O(projects[].ssh_keys) is set, one GET of the checkout keys
    per O(projects[].checkout_keys) entry, and one request per change. A project whose variables are already right costs one GET."
  - Every input is checked before the first request. A project that fails does not stop the others; the task then fails,
    naming each failed project and what it had applied.
  - This module is what the role C(community.circleci.project_settings) runs.
  - The invocation is not logged to syslog or journald (other modules log it with their secrets masked), because with
    hundreds of projects the masking would cost more time than the task.
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
            description:
              - The value, a string (numbers and booleans are refused, so quote them). Required when the variable is present.
            type: raw
          state:
            description: Whether the variable should exist; V(present) when not set.
            type: str
            choices: [present, absent]
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
            description: The key type. Required with O(projects[].checkout_keys[].state=present).
            type: str
            choices: [deploy-key, github-user-key]
          state:
            description:
              - V(present) creates a key of this type when none exists; V(absent) deletes the keys of this type, or the one
                with O(projects[].checkout_keys[].fingerprint).
            type: str
            choices: [present, absent]
            default: present
          preferred:
            description: Require the preferred key to be of this type.
            type: bool
            default: false
          fingerprint:
            description: With V(absent), delete only the key with this fingerprint (MD5 or SHA256 form); only with V(absent).
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
            description:
              - The unencrypted private key. One of O(projects[].ssh_keys[].private_key), O(projects[].ssh_keys[].private_key_path)
                and (with V(absent)) O(projects[].ssh_keys[].fingerprint) is needed.
            type: str
          private_key_path:
            description: A file holding the private key.
            type: path
          fingerprint:
            description: With V(absent), the fingerprint of the key to remove instead of the private key (MD5 or SHA256 form).
            type: str
          state:
            description: Whether the key should be there.
            type: str
            choices: [present, absent]
            default: present
          exclusive:
            description: Remove the hostname's other keys; only with V(present).
            type: bool
            default: false
          remove_duplicates:
            description: Remove extra copies of the key; only with V(present).
            type: bool
            default: false
  details:
    description:
      - Return each step's whole result, as the single-project module returns it (all variable names, plan steps,
        keys). By default each step's result holds only what changed (C(changed), C(added), C(updated), C(deleted), and
        C(failures), C(not_attempted), C(followed), C(first_build) where they apply).
      - Without it, projects that needed no change are counted (RV(projects_total), RV(projects_changed)) rather than listed
        in RV(projects).
      - Ansible masks every secret of the task in every string of the result, which takes time proportional to both;
        with hundreds of projects the whole state costs more than the API calls, hence the summary by default.
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
  description:
    - One result per project that changed (in check mode, would change) or failed, in the order given; with O(details=true),
      one per project.
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
      description:
        - The follow result, present when O(projects[].followed) was set, C(changed), C(followed) and C(first_build), or with
          O(details=true) as M(community.circleci.project) returns it.
      type: dict
    env_var:
      description:
        - The environment variable result, present when O(projects[].env_vars) or O(projects[].purge_env_vars) was set
          (masked values only).
        - C(changed), C(added), C(updated), C(deleted), C(failures) and C(not_attempted), or with O(details=true) the
          whole result as M(community.circleci.env_var) returns it.
      type: dict
    checkout_key:
      description:
        - One result per O(projects[].checkout_keys) entry, C(changed), C(added) and C(deleted), or with O(details=true)
          as M(community.circleci.checkout_key) returns it.
      type: list
      elements: dict
    ssh_key:
      description:
        - One result per O(projects[].ssh_keys) entry, C(changed), C(added) and C(deleted), or with O(details=true) as
          M(community.circleci.ssh_key) returns it (fingerprints and public keys only).
      type: list
      elements: dict
    failure:
      description: Why this project could not be converged; what it applied before is in its other keys.
      type: str
      returned: when the project failed
projects_total:
  description: How many projects were converged (or checked, in check mode).
  returned: always
  type: int
  sample: 20
projects_changed:
  description: How many of them changed (in check mode, would change).
  returned: always
  type: int
  sample: 1
failed_projects:
  description: The projects that could not be converged (what each applied before is in RV(projects)).
  returned: failure
  type: list
  elements: dict
  contains:
    project:
      description: The project's short slug.
      type: str
    reason:
      description: Why (the failed step's message).
      type: str
    error:
      description: Method, path, status and CircleCI's message of the failed request, when a request failed.
      type: dict
diff:
  description: One before/after entry per project and step that changed (names, masked values and fingerprints only).
  returned: diff mode
  type: list
  elements: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._env_vars import UPDATE_VALUE_SPEC
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._project_settings import ENTRY_SPEC, converge_projects, prepare


def main():
    module = CircleCIModule(
        argument_spec=dict(
            projects=dict(type='list', elements='dict', required=True, options=ENTRY_SPEC),
            update_value=UPDATE_VALUE_SPEC,
            details=dict(type='bool', default=False),
        ),
        project_spec=False,
        supports_check_mode=True,
        # Not logging the invocation to syslog/journald: masking the secrets of hundreds of projects in its text
        # would cost more than the task (time grows with projects x secrets), and it would hold no value anyway.
        no_log=True,
    )
    module.run(lambda: converge_projects(module.client, prepare(module.params['projects']), module.params['update_value'],
                                         module.check_mode, module.params['details']))


if __name__ == '__main__':
    main()
