#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: artifact_info
short_description: List the artifacts of a CircleCI build
version_added: 0.1.0
description:
  - Lists the artifacts of one build (C(GET /project/:vcs/:org/:name/:build_num/artifacts)), or of the latest build of the
    project or of a branch (C(GET /project/:vcs/:org/:name/latest/artifacts)).
  - A build without artifacts gives an empty list. So does a latest-build query that no build matches (then RV(build_found) is
    V(false)); an unknown project still fails.
  - To download artifacts, use M(community.circleci.artifact).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  build_num:
    description:
      - The build whose artifacts to list.
      - If not set, the latest build is used, chosen with O(branch) and O(filter).
      - A build number that does not exist fails the task.
    type: int
  branch:
    description:
      - With no O(build_num), the branch whose latest build to use (names with C(/) such as V(feature/login) work as is).
      - If not set, the latest build of the whole project.
    type: str
  filter:
    description:
      - With no O(build_num), which builds count as "latest".
      - If not set, CircleCI's default (V(completed)).
    type: str
    choices: [completed, successful, failed]
notes:
  - Works without O(api_token) for F/OSS projects (open-source projects whose advanced setting C(oss) is on), as CircleCI
    answers their read-only build endpoints without a token; no C(Circle-Token) header is sent then. For any other project,
    a request without a token fails with a message saying that a token is needed (set O(api_token) or E(CIRCLECI_TOKEN)).
'''

EXAMPLES = r'''
- name: List the artifacts of build 300
  community.circleci.artifact_info:
    project: gh/acme/api
    build_num: 300
  register: build_artifacts

- name: Show where the JUnit reports are
  ansible.builtin.debug:
    msg: "{{ build_artifacts.artifacts | selectattr('path', 'search', 'junit') | map(attribute='url') | list }}"

- name: List the artifacts of the latest successful build of a branch
  community.circleci.artifact_info:
    project: gh/acme/api
    branch: feature/login
    filter: successful
  register: latest

- name: Check that the latest main build published its report (a drift check)
  community.circleci.artifact_info:
    project: gh/acme/api
    branch: main
  register: main_artifacts
  failed_when: main_artifacts.artifacts | selectattr('path', 'search', 'report/index.html') | list | length == 0

- name: List the artifacts of an open-source (F/OSS) project's build, which needs no api_token
  community.circleci.artifact_info:
    project: gh/acme/oss-lib
    build_num: 3
'''

RETURN = r'''
artifacts:
  description: The artifacts, in CircleCI's order; empty when the build has none or no build matched.
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description:
        - Where the file was in the build; may be absolute.
        - M(community.circleci.artifact) saves it under its O(community.circleci.artifact#module:dest) without the leading C(/).
      type: str
      sample: /tmp/circle-junit.vCFLHp7/rspec/junit.xml
    pretty_path:
      description: The same path, as CircleCI displays it.
      type: str
      sample: $CIRCLE_TEST_REPORTS/rspec/junit.xml
    node_index:
      description: The parallel node that stored it.
      type: int
      sample: 0
    url:
      description: Where to download it, with the token in the C(Circle-Token) header (M(community.circleci.artifact) does this).
      type: str
      sample: https://300-9485764-gh.circle-artifacts.com/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml
build_found:
  description:
    - Whether a build was found. V(false) only when O(build_num) is not set and no build matched O(branch) and O(filter).
  returned: success
  type: bool
  sample: true
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._artifacts import LATEST_FILTERS, check_selection, list_artifacts
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def list_them(module):
    params = module.params
    check_selection(module)
    artifacts, found = list_artifacts(module.client, module.project, params['build_num'], params['branch'], params['filter'])
    return dict(changed=False, artifacts=artifacts, build_found=found)


def main():
    module = CircleCIModule(
        argument_spec=dict(
            build_num=dict(type='int'),
            branch=dict(type='str'),
            filter=dict(type='str', choices=list(LATEST_FILTERS)),
        ),
        mutually_exclusive=[('build_num', 'branch'), ('build_num', 'filter')],
        supports_check_mode=True,
        token_optional=True,  # F/OSS projects answer without a token
    )
    module.run(lambda: list_them(module))


if __name__ == '__main__':
    main()
