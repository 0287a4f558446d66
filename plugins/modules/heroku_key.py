#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: heroku_key
short_description: Set the Heroku API key of the CircleCI user
version_added: 0.1.0
description:
  - Sets the Heroku API key of the token's CircleCI user (C(POST user/heroku-key)), which CircleCI uses to deploy to Heroku.
  - CircleCI never shows the key again, only C(xxxx) and its last four characters (C(heroku_api_key) of C(GET me)).
    So the module reads that first and writes only when those four characters differ from O(api_key)'s;
    when they agree it cannot tell a different key with the same ending, and says so with RV(unverified).
    Use O(force=true) to write in every run.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  api_key:
    description:
      - The Heroku API key. Never shown in results, logs or diffs (only as CircleCI masks it).
    type: str
    required: true
  force:
    description:
      - Write the key even when its last four characters match the key CircleCI has (then always V(changed)).
    type: bool
    default: false
notes:
  - Needs a personal API token with write access; project API tokens and read-only tokens cannot use C(/user) endpoints.
  - Costs one request when nothing changes and two when the key is written.
'''

EXAMPLES = r'''
- name: Give the CircleCI user its Heroku API key
  community.circleci.heroku_key:
    api_key: "{{ vault_heroku_api_key }}"

- name: Drift check - does CircleCI's Heroku key end like the one in HEROKU_API_KEY? (changes nothing)
  community.circleci.heroku_key:
    api_key: "{{ lookup('ansible.builtin.env', 'HEROKU_API_KEY', default='00000000-0000-0000-0000-000000000000') }}"
  check_mode: true
  register: heroku_drift

- name: Report the drift
  ansible.builtin.debug:
    msg: >-
      {{ 'CircleCI has another Heroku key (' ~ (heroku_drift.previous or 'none') ~ ')' if heroku_drift is changed
         else 'The Heroku key ends as expected (only its last four characters can be compared)' }}

- name: Rotate the key even if CircleCI's copy happens to end the same way
  community.circleci.heroku_key:
    api_key: "{{ vault_heroku_api_key }}"
    force: true
'''

RETURN = r'''
heroku_api_key:
  description: The key as CircleCI shows it after the run (in check mode, as it would), C(xxxx) and the last four characters.
  returned: success
  type: str
  sample: xxxx1a2b
previous:
  description: The key as CircleCI showed it before the run; V(null) when none was set.
  returned: success
  type: str
  sample: xxxx9z8y
unverified:
  description:
    - V([api_key]) when the key was left alone only because its last four characters match (CircleCI shows no more of it,
      so a different key with the same ending would not be noticed; use O(force) to be sure), else empty.
    - A list, as in M(community.circleci.env_var), where it names the variables left alone for the same reason.
  returned: success
  type: list
  elements: str
  sample: []
diff:
  description: With C(--diff), the masked key before and after.
  returned: diff mode
  type: dict
  sample: {before: {heroku_api_key: xxxx9z8y}, after: {heroku_api_key: xxxx1a2b}}
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils import _heroku
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def converge(module):
    _heroku.check_api_key(module.params['api_key'])
    return _heroku.converge(module.client, module.params['api_key'], module.params['force'], module.check_mode)


def main():
    module = CircleCIModule(
        argument_spec=dict(
            api_key=dict(type='str', required=True, no_log=True),
            force=dict(type='bool', default=False),
        ),
        project_spec=False,
        supports_check_mode=True,
    )
    module.run(lambda: converge(module))


if __name__ == '__main__':
    main()
