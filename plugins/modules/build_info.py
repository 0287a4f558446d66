#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: build_info
short_description: Read CircleCI builds
version_added: 0.1.0
description:
  - Without O(project), lists the recent builds of every project the token's user follows (C(GET /recent-builds)).
  - With O(project), lists the builds of that project (C(GET /project/:vcs/:org/:name)),
    or of one of its branches with O(branch) (C(GET .../tree/:branch); the branch name is URL-encoded, so V(feature/login) works).
  - With O(build_num), reads the full details of one build, steps included (C(GET .../:build_num)).
  - Builds are listed newest first. O(limit) may exceed the 100 builds CircleCI returns per request; the pages are then
    fetched concurrently and merged in order.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  project:
    description:
      - The project, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile).
        The VCS may be V(gh), V(github), V(bb) or V(bitbucket).
      - Or only the repository name, with O(vcs_type) and O(username) set.
      - If not set, the recent builds of every followed project are listed.
      - Checked before any request is made.
    type: str
  vcs_type:
    description:
      - The VCS of the project when O(project) is a bare repository name.
    type: str
    choices: [github, gh, bitbucket, bb]
  username:
    description:
      - The organisation or user owning the project when O(project) is a bare repository name.
    type: str
    aliases: [organization, org]
  branch:
    description:
      - Only builds of this branch. Requires O(project).
    type: str
  build_num:
    description:
      - Read this one build, with its steps, instead of listing builds. Requires O(project).
      - O(limit), O(offset), O(filter) and O(shallow) do not apply.
    type: int
  limit:
    description:
      - How many builds to list at most.
      - More than 100 takes one request per 100 builds.
    type: int
    default: 30
  offset:
    description:
      - How many of the newest builds to skip.
    type: int
    default: 0
  filter:
    description:
      - Only builds that are V(completed), V(successful), V(failed) or V(running).
    type: str
    choices: [completed, successful, failed, running]
  shallow:
    description:
      - Ask CircleCI for shallow build summaries (fewer fields, faster).
    type: bool
    default: false
  show_build_parameters:
    description:
      - Return the values of the builds' C(build_parameters). By default they are masked (C(********)), as
        M(community.circleci.build) masks them, because secrets are often passed that way; the names are always shown.
    type: bool
    default: false
notes:
  - With O(project), works without O(api_token) for F/OSS projects (open-source projects whose advanced setting C(oss) is on), as CircleCI
    answers their read-only build endpoints without a token; no C(Circle-Token) header is sent then. For any other project,
    a request without a token fails with a message saying that a token is needed (set O(api_token) or E(CIRCLECI_TOKEN)).
  - Without O(project) (the recent builds of every followed project), a token is required, checked before any request.
'''

EXAMPLES = r'''
- name: Read the 30 most recent builds of every followed project
  community.circleci.build_info:
  register: recent

- name: Read the last 250 builds of a project (3 requests, in order)
  community.circleci.build_info:
    project: gh/acme/api
    limit: 250
    shallow: true
  register: history

- name: Read the failed builds of a branch whose name contains a slash
  community.circleci.build_info:
    project: gh/acme/api
    branch: feature/login
    filter: failed
  register: login_failures

- name: Read one build with its steps
  community.circleci.build_info:
    project: gh/acme/api
    build_num: 300
  register: one

- name: Drift check - the newest completed build on main must have succeeded
  community.circleci.build_info:
    project: gh/acme/api
    branch: main
    filter: completed
    limit: 1
  register: main_head
  failed_when: main_head.builds | length == 0 or main_head.builds[0].outcome != 'success'

- name: Read the builds of an open-source (F/OSS) project, which needs no api_token
  community.circleci.build_info:
    project: gh/acme/oss-lib
    limit: 3
  register: oss_builds
'''

RETURN = r'''
builds:
  description:
    - The builds, newest first, as CircleCI returns them (build summaries, or shallow summaries with O(shallow)).
    - With O(build_num), a list of that one build.
  returned: success
  type: list
  elements: dict
  contains:
    build_num:
      description: The build number.
      type: int
      sample: 300
    build_url:
      description: The build's page on CircleCI.
      type: str
      sample: https://circleci.com/gh/acme/api/300
    branch:
      description: The branch built.
      type: str
      sample: feature/login
    vcs_revision:
      description: The commit built.
      type: str
    lifecycle:
      description: V(queued), V(not_run), V(not_running), V(running) or V(finished).
      type: str
      sample: finished
    status:
      description: For example V(success), V(failed), V(canceled), V(running) or V(queued).
      type: str
      sample: success
    outcome:
      description: V(success), V(failed), V(canceled), V(infrastructure_fail), V(timedout) or V(no_tests); null while the build runs.
      type: str
      sample: success
    username:
      description: The organisation or user owning the project.
      type: str
      sample: acme
    reponame:
      description: The repository name.
      type: str
      sample: api
build:
  description: With O(build_num), the build's full details, steps included (C(steps) lists each step with its C(actions)).
  returned: success and O(build_num) is set
  type: dict
  sample:
    build_num: 300
    lifecycle: finished
    outcome: success
    steps: [{name: Checkout code, actions: [{status: success}]}]
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._builds import FILTERS, list_builds, mask_build_parameters
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._module import PROJECT_SPEC, CircleCIModule


def read(module):
    params = module.params
    module.require_at_least('limit', 1)
    module.require_at_least('offset', 0)
    module.require_at_least('build_num', 1)
    if params['branch'] is not None and not params['branch'].strip():
        raise InputError('branch must not be empty')
    project = module.parse_project(params['project']) if params['project'] else None
    if project is None:
        module.require_token('listing the recent builds of every followed project (without project)')
    show = (lambda build: build) if params['show_build_parameters'] else mask_build_parameters
    if params['build_num'] is not None:
        build = show(module.client.get('project/{}/{}', project, params['build_num'], expect=dict))
        return dict(changed=False, build=build, builds=[build])
    builds = list_builds(module.client, project=project, branch=params['branch'], limit=params['limit'],
                         offset=params['offset'], build_filter=params['filter'], shallow=params['shallow'])
    return dict(changed=False, builds=[show(build) for build in builds])


def main():
    module = CircleCIModule(
        argument_spec=dict(
            project=dict(type='str'),
            vcs_type=PROJECT_SPEC['vcs_type'],
            username=PROJECT_SPEC['username'],
            branch=dict(type='str'),
            build_num=dict(type='int'),
            limit=dict(type='int', default=30),
            offset=dict(type='int', default=0),
            filter=dict(type='str', choices=list(FILTERS)),
            shallow=dict(type='bool', default=False),
            show_build_parameters=dict(type='bool', default=False),
        ),
        project_spec=False,
        required_by=dict(vcs_type=('username', 'project'), username=('project',), branch=('project',), build_num=('project',)),
        mutually_exclusive=[('build_num', 'branch'), ('build_num', 'filter')],
        supports_check_mode=True,
        token_optional=True,  # F/OSS projects answer without a token
    )
    module.run(lambda: read(module))


if __name__ == '__main__':
    main()
