#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: project_info
short_description: List the CircleCI projects the token's user follows
version_added: 0.1.0
description:
  - Lists the followed projects (C(GET /projects)), optionally filtered by VCS, organisation and name.
  - Branch names come back decoded (CircleCI returns them URL-encoded, for example C(feature%2Flogin)).
  - With O(settings=true), also reads each listed project's advanced settings (API v2,
    C(GET /api/v2/project/:slug/settings)), concurrently - one more request per project listed (after filtering), so
    1 + N requests in all. Without it, one request.
  - C(GET /projects) is API v1.1, which knows only GitHub OAuth and Bitbucket projects that the user follows, so V(circleci/)
    projects (GitHub App, GitLab, standalone) are not listed; read their settings with M(community.circleci.project)
    and O(community.circleci.project#module:settings).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  vcs_type:
    description:
      - Only projects on this VCS.
    type: str
    choices: [github, gh, bitbucket, bb]
  username:
    description:
      - Only projects of this organisation or user (case-insensitive).
    type: str
    aliases: [organization, org]
  name:
    description:
      - Only projects with these repository names (case-insensitive).
    type: list
    elements: str
  settings:
    description:
      - Also return each listed project's advanced settings (RV(projects[].settings)), at the cost of one request per project.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: List every followed project
  community.circleci.project_info:
  register: followed

- name: List the acme organisation's GitHub projects
  community.circleci.project_info:
    vcs_type: gh
    username: acme
  register: acme_projects

- name: Show their slugs
  ansible.builtin.debug:
    msg: "{{ acme_projects.projects | map(attribute='slug') | list }}"

- name: Audit the advanced settings of two projects (1 + 2 requests)
  community.circleci.project_info:
    vcs_type: gh
    username: acme
    name: [api, web]
    settings: true
  register: audited

- name: Name those that do not cancel redundant builds
  ansible.builtin.debug:
    msg: "{{ audited.projects | rejectattr('settings.autocancel_builds') | map(attribute='slug') | list }}"
'''

RETURN = r'''
projects:
  description: The followed projects that match, as CircleCI returns them, with C(slug) and C(vcs_type) added.
  returned: success
  type: list
  elements: dict
  contains:
    slug:
      description: The short project name to pass as O(community.circleci.env_var#module:project) and the like.
      type: str
      sample: gh/acme/api
    vcs_type:
      description: V(github) or V(bitbucket).
      type: str
      sample: github
    username:
      description: The organisation or user.
      type: str
      sample: acme
    reponame:
      description: The repository name.
      type: str
      sample: api
    vcs_url:
      description: The repository URL.
      type: str
      sample: https://github.com/acme/api
    branches:
      description: Branch names (decoded) mapped to their recent build summaries.
      type: dict
    settings:
      description: With O(settings=true), the project's advanced settings, with the names API v2 uses.
      type: dict
      sample: {"autocancel_builds": true, "build_fork_prs": false, "build_prs_only": false, "disable_ssh": false,
               "forks_receive_secret_env_vars": false, "oss": false, "set_github_status": true, "setup_workflows": false,
               "write_settings_requires_admin": false, "pr_only_branch_overrides": []}
failed_projects:
  description: With O(settings=true), the projects whose settings could not be read (the task then fails).
  returned: failure
  type: list
  elements: dict
  contains:
    project:
      description: The project's short slug.
      type: str
    reason:
      description: Why it could not be read (method, path, status, CircleCI's message).
      type: str
    error:
      description: Method, path, status and CircleCI's message.
      type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from urllib.parse import unquote, urlsplit

from ansible_collections.community.circleci.plugins.module_utils._advanced_settings import read_settings
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError
from ansible_collections.community.circleci.plugins.module_utils._module import PROJECT_SPEC, CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._slug import SHORT_VCS, VCS_ALIASES, Project


def vcs_type_of(project):
    """CircleCI gives vcs_type on newer answers; older ones only have vcs_url."""
    if project.get('vcs_type') in SHORT_VCS:
        return project['vcs_type']
    host = urlsplit(project.get('vcs_url') or '').hostname or ''
    return 'bitbucket' if 'bitbucket' in host else 'github'


def describe(project):
    vcs_type = vcs_type_of(project)
    described = dict(project, vcs_type=vcs_type)
    described['slug'] = '%s/%s/%s' % (SHORT_VCS[vcs_type], project.get('username'), project.get('reponame'))
    described['branches'] = {unquote(name): branch for name, branch in (project.get('branches') or {}).items()}
    return described


def matches(project, vcs_type, username, names):
    return ((not vcs_type or project['vcs_type'] == vcs_type)
            and (not username or str(project.get('username', '')).lower() == username.lower())
            and (not names or str(project.get('reponame', '')).lower() in names))


def add_settings(client, result):
    """Read every listed project's advanced settings (API v2), concurrently; a project that cannot be read fails the task."""
    entries = result['projects']
    outcomes = client.map_concurrent(
        lambda entry: read_settings(client, Project(entry['vcs_type'], entry.get('username'), entry.get('reponame'))), entries)
    failures = []
    for entry, outcome in zip(entries, outcomes):
        if outcome.error is None:
            entry['settings'] = outcome.value
        else:
            failures.append(dict(project=entry['slug'], reason=str(outcome.error), error=outcome.error.to_result()))
    if failures:
        result['failed_projects'] = failures
        raise CircleCIError('Could not read the advanced settings of %d of %d projects: %s' % (
            len(failures), len(entries), ' | '.join('%s: %s' % (failure['project'], failure['reason']) for failure in failures)),
            result=result)


def main():
    module = CircleCIModule(
        argument_spec=dict(
            vcs_type=PROJECT_SPEC['vcs_type'],
            username=PROJECT_SPEC['username'],
            name=dict(type='list', elements='str'),
            settings=dict(type='bool', default=False),
        ),
        project_spec=False,
        supports_check_mode=True,
    )
    vcs_type = VCS_ALIASES.get(module.params['vcs_type'] or '')
    names = {name.lower() for name in module.params['name'] or []}

    def list_projects():
        projects = [describe(project) for project in module.client.get('projects', expect=list) if isinstance(project, dict)]
        result = dict(changed=False, projects=[project for project in projects if matches(project, vcs_type, module.params['username'], names)])
        if module.params['settings']:
            add_settings(module.client, result)
        return result

    module.run(list_projects)


if __name__ == '__main__':
    main()
