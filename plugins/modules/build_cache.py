#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: build_cache
short_description: Clear a CircleCI project's dependency cache
version_added: 0.1.0
description:
  - With O(state=absent), clears the project's build dependency cache (C(DELETE .../build-cache)).
  - The task always reports a change, since CircleCI cannot say whether a cache existed.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
attributes:
  check_mode:
    details:
      - Check mode sends no request at all and reports a change.
options:
  state:
    description:
      - V(absent) clears the cache; it is the only state, as a cache cannot be created through the API.
    type: str
    choices: [absent]
    default: absent
'''

EXAMPLES = r'''
- name: Clear the dependency cache of the api project before a clean rebuild
  community.circleci.build_cache:
    project: gh/acme/api
    state: absent
  register: cache

- name: Then build main
  community.circleci.build:
    project: gh/acme/api
    branch: main
'''

RETURN = r'''
message:
  description: CircleCI's answer.
  returned: changed and not in check mode
  type: str
  sample: build dependency caches deleted
diff:
  description: The cache state before (unknown, as CircleCI cannot tell) and after.
  returned: diff mode
  type: dict
  sample: {before: {project: gh/acme/api, dependency_cache: unknown}, after: {project: gh/acme/api, dependency_cache: absent}}
api_requests:
  description: How many HTTP requests the module sent (none in check mode).
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def clear(module):
    """One DELETE; always a change, as CircleCI cannot tell whether a cache existed."""
    project = module.project
    result = dict(changed=True, diff=dict(before=dict(project=project.slug, dependency_cache='unknown'),
                                          after=dict(project=project.slug, dependency_cache='absent')))
    if module.check_mode:
        return result
    answer = module.client.delete('project/{}/build-cache', project, expect=dict)
    result['message'] = answer.get('status') or ''
    return result


def main():
    module = CircleCIModule(
        argument_spec=dict(
            state=dict(type='str', choices=['absent'], default='absent'),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: clear(module))


if __name__ == '__main__':
    main()
