#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: project
short_description: Follow or unfollow a CircleCI project
version_added: 0.1.0
description:
  - Makes the token's user follow (O(state=present)) or unfollow (O(state=absent)) a project.
  - Reads the project settings first (C(GET /project/:slug/settings)) and sends C(POST .../follow) or
    C(POST .../unfollow) only when the project is not already in the wanted state, so a run that changes nothing costs one request.
  - Following a project that nobody followed before can start its first build; it is returned as RV(first_build).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  state:
    description:
      - V(present) follows the project, V(absent) unfollows it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - An unknown project, or one the token's user cannot see, fails with CircleCI's 404 message.
  - A read-only API token can read whether the project is followed but not change it (HTTP 403).
'''

EXAMPLES = r'''
- name: Follow the legacy project (starts its first build if it never had one)
  community.circleci.project:
    project: gh/acme/legacy
    state: present
  register: legacy

- name: Show the build that following started, if any
  ansible.builtin.debug:
    msg: "{{ legacy.first_build.build_url | default('no first build was started') }}"

- name: Follow several projects in bulk
  community.circleci.project:
    project: "{{ item }}"
  loop:
    - gh/acme/api
    - gh/acme/web
    - gh/acme/worker

- name: Check for drift only (check mode), would following change anything?
  community.circleci.project:
    project: gh/acme/legacy
  check_mode: true
  register: follow_drift

- name: Unfollow a project given by its bare name
  community.circleci.project:
    project: legacy
    vcs_type: github
    username: acme
    state: absent
'''

RETURN = r'''
project:
  description: The project's short slug.
  returned: success
  type: str
  sample: gh/acme/legacy
followed:
  description: Whether the token's user follows the project after the task (in check mode, would follow).
  returned: success
  type: bool
  sample: true
first_build:
  description:
    - The build that following the project started, as CircleCI returns it (a build summary), or V(null)
      when the task did not follow the project or following it started no build.
    - Never set in check mode.
  returned: success
  type: dict
  sample: {"build_num": 1, "status": "queued", "branch": "master", "build_url": "https://circleci.com/gh/acme/legacy/1"}
diff:
  description: Whether the project was followed before and after the task.
  returned: diff mode
  type: dict
  contains:
    before:
      description: Whether the project was followed, as read.
      type: dict
      sample: {"followed": false}
    after:
      description: Whether the project is followed after the task (or would be, in check mode).
      type: dict
      sample: {"followed": true}
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 2
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._project import converge_follow


def main():
    module = CircleCIModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: converge_follow(module.client, module.project, module.params['state'], check_mode=module.check_mode))


if __name__ == '__main__':
    main()
