#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: webhook_info
short_description: List the outbound webhooks of a CircleCI project
version_added: 0.2.0
description:
  - Lists the outbound webhooks of one project (CircleCI API v2), or only those named O(name).
  - B(Requests.) The project's id (C(GET /project/{slug}), one request; none for a C(circleci/) project, whose slug
    holds the id), then C(GET /webhook) for that project, one request per page.
  - The signing secret of a webhook is write-only; it is returned as CircleCI shows it, masked (C(xxxx) and the last
    four characters), never in clear. Timestamps are read in both spellings CircleCI uses (C(created_at) and C(created-at)).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  project:
    description:
      - The project, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile)
        (the VCS may be V(gh), V(github), V(bb) or V(bitbucket)), or V(circleci/<organization id>/<project id>) for a
        GitHub App, GitLab or standalone project (each id a UUID or its base58 form).
      - Or only the repository name, with O(vcs_type) and O(username) set.
      - Checked before any request is made.
    type: str
    required: true
  name:
    description:
      - Return only the webhooks of this name (none when the project has none of that name, which is not an error).
    type: str
seealso:
  - module: community.circleci.webhook
'''

EXAMPLES = r'''
- name: List the webhooks of gh/acme/api
  community.circleci.webhook_info:
    project: gh/acme/api
  register: hooks

- name: Show their names and URLs
  ansible.builtin.debug:
    msg: "{{ hooks.webhooks | map(attribute='name') | zip(hooks.webhooks | map(attribute='url')) | list }}"

- name: Read one webhook by name, and fail if it is missing
  community.circleci.webhook_info:
    project: gh/acme/api
    name: slack-notify
  register: slack
  failed_when: slack.webhooks | length != 1
'''

RETURN = r'''
webhooks:
  description: The project's webhooks (only those named O(name) when it is set), in CircleCI's order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The webhook's id.
      type: str
      sample: f07623af-b373-4b3a-a8a2-964f04322549
    name:
      description: The webhook's name.
      type: str
      sample: slack-notify
    url:
      description: The URL CircleCI calls.
      type: str
      sample: https://hooks.acme.example/circleci
    events:
      description: The events that trigger a call (V(workflow-completed), V(job-completed)).
      type: list
      elements: str
      sample: [workflow-completed]
    verify_tls:
      description: Whether CircleCI verifies the TLS certificate of the URL.
      type: bool
      sample: true
    signing_secret:
      description: The secret as CircleCI shows it, masked (C(xxxx) and the last four characters); never the secret.
      type: str
      sample: xxxx0123
    scope:
      description: What the webhook belongs to, C({id, type}); the id is the project's id, the type V(project).
      type: dict
      sample: {"id": "a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3", "type": "project"}
    project:
      description: The project's short slug, as given.
      type: str
      sample: gh/acme/api
    created_at:
      description: When the webhook was created (ISO 8601).
      type: str
      sample: '2024-05-02T12:00:00.000Z'
    updated_at:
      description: When the webhook was last changed (ISO 8601).
      type: str
      sample: '2024-05-02T12:00:00.000Z'
project:
  description: The project's short slug.
  returned: success
  type: str
  sample: gh/acme/api
error:
  description: The facts of the failed request (method, path, status, CircleCI's message).
  returned: failure
  type: dict
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
from ansible_collections.community.circleci.plugins.module_utils._webhooks import read_webhooks


def read(module):
    hooks = read_webhooks(module.client, module.project)
    name = module.params['name']
    if name is not None:
        hooks = [hook for hook in hooks if hook['name'] == name]
    return dict(changed=False, project=module.project.slug, webhooks=hooks)


def main():
    module = CircleCIModule(argument_spec=dict(name=dict(type='str')), circleci_projects=True, supports_check_mode=True)
    module.run(lambda: read(module))


if __name__ == '__main__':
    main()
