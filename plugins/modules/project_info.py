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

from ansible_collections.community.circleci.plugins.module_utils._module import PROJECT_SPEC, CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._slug import SHORT_VCS, VCS_ALIASES


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


def main():
    module = CircleCIModule(
        argument_spec=dict(
            vcs_type=PROJECT_SPEC['vcs_type'],
            username=PROJECT_SPEC['username'],
            name=dict(type='list', elements='str'),
        ),
        project_spec=False,
        supports_check_mode=True,
    )
    vcs_type = VCS_ALIASES.get(module.params['vcs_type'] or '')
    names = {name.lower() for name in module.params['name'] or []}

    def list_projects():
        projects = [describe(project) for project in module.client.get('projects', expect=list) if isinstance(project, dict)]
        return dict(changed=False, projects=[project for project in projects if matches(project, vcs_type, module.params['username'], names)])

    module.run(list_projects)


if __name__ == '__main__':
    main()
