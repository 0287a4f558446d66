#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_info
short_description: Read the CircleCI user that owns the API token
version_added: 0.1.0
description:
  - Reads the user that the API token belongs to (C(GET /me)).
  - The Heroku API key is returned as CircleCI shows it, masked but for its last four characters.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options: {}
'''

EXAMPLES = r'''
- name: Check that the token works and see whose it is
  community.circleci.user_info:
    api_token: "{{ circleci_token }}"
  register: circleci_user

- name: Read the user from a CircleCI Server install, with the connection set once for the group
  module_defaults:
    group/community.circleci.circleci:
      api_url: "{{ circleci_server_api_url }}"   # for example https://circleci.example.com/api/v1.1
      api_token: "{{ circleci_token }}"
  block:
    - name: Read the user
      community.circleci.user_info:
      register: circleci_user

    - name: Show the login
      ansible.builtin.debug:
        msg: "Token of {{ circleci_user.user.login }}"
'''

RETURN = r'''
user:
  description: The user as CircleCI returns it (secrets masked by CircleCI).
  returned: success
  type: dict
  contains:
    login:
      description: The user's VCS login.
      type: str
      sample: acme-bot
    name:
      description: The user's display name.
      type: str
      sample: Acme Bot
    heroku_api_key:
      description: The Heroku API key, masked but for its last four characters, or null.
      type: str
      sample: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1234
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 1
api_retries:
  description: How many of those were retries (rate limits, connection failures, server errors).
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec={}, project_spec=False, supports_check_mode=True)
    module.run(lambda: dict(changed=False, user=module.client.get('me', expect=dict)))


if __name__ == '__main__':
    main()
