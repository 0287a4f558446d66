#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: checkout_key_info
short_description: List the checkout keys of a CircleCI project
version_added: 0.1.0
description:
  - Lists a project's checkout keys (C(GET project/:vcs/:org/:name/checkout-key)) with one request.
  - Each key has both fingerprints, computed locally from the public key, and RV(keys[].fingerprint) in the O(digest) form.
  - GitHub App, GitLab and standalone projects (O(project=circleci/<organization id>/<project id>)), which only API v2 knows,
    are read through API v2 (C(GET /api/v2/project/:slug/checkout-key), one request per page) with the same results;
    GitHub OAuth and Bitbucket projects through API v1.1.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  digest:
    description:
      - The fingerprint form of RV(keys[].fingerprint) (and the form CircleCI is asked for).
    type: str
    choices: [md5, sha256]
    default: md5
'''

EXAMPLES = r'''
- name: List the checkout keys of gh/acme/api, with SHA256 fingerprints from CircleCI
  community.circleci.checkout_key_info:
    project: gh/acme/api
    digest: sha256
  register: checkout_keys

- name: Drift check - the preferred key of every acme project is a deploy key
  community.circleci.checkout_key_info:
    project: "gh/acme/{{ item }}"
  loop: [api]
  register: keys_of
  failed_when: keys_of['keys'] | selectattr('preferred') | rejectattr('type', 'equalto', 'deploy-key') | list | length > 0

- name: List the checkout keys of a standalone project (through API v2)
  community.circleci.checkout_key_info:
    project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01
  register: cloud_keys
'''

RETURN = r'''
keys:
  description:
    - The project's checkout keys, in CircleCI's order.
    - In Jinja write C(result['keys']), as C(result.keys) is the dictionary's own method.
  returned: success
  type: list
  elements: dict
  contains:
    type:
      description: V(deploy-key) or V(github-user-key).
      type: str
      sample: deploy-key
    public_key:
      description: The public key, in the OpenSSH format.
      type: str
      sample: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC...
    fingerprint:
      description:
        - The fingerprint in the O(digest) form, the same as RV(keys[].fingerprint_md5) or RV(keys[].fingerprint_sha256)
          (with its C(SHA256:) prefix).
      type: str
      sample: c9:0b:1c:4f:d5:65:56:b9:ad:88:f9:81:2b:37:74:2f
    fingerprint_md5:
      description: The MD5 fingerprint, computed from the public key.
      type: str
      sample: c9:0b:1c:4f:d5:65:56:b9:ad:88:f9:81:2b:37:74:2f
    fingerprint_sha256:
      description: The SHA256 fingerprint, computed from the public key.
      type: str
      sample: SHA256:AddwN379YO1pnTyrOqALUZmo6XU4zJ2RLuOZslrl7c4
    preferred:
      description: Whether CircleCI uses this key to check out code.
      type: bool
      sample: true
    time:
      description: When the key was created (API v1.1's C(time), API v2's C(created-at)).
      type: str
      sample: '2015-09-21T17:29:21.042Z'
    login:
      description: For a user key, the user it acts as.
      type: str
      sample: acme-bot
preferred_key:
  description: The preferred key (as in RV(keys)), or V(null) when the project has no checkout key.
  returned: success
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

from ansible_collections.community.circleci.plugins.module_utils._checkout_keys import read_keys
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def list_keys(module):
    digest = module.params['digest']
    keys = [dict(key, fingerprint=key['fingerprint_%s' % digest]) for key in read_keys(module.client, module.project, digest)]
    return dict(changed=False, keys=keys, preferred_key=next((key for key in keys if key['preferred']), None))


def main():
    module = CircleCIModule(
        argument_spec=dict(
            digest=dict(type='str', choices=['md5', 'sha256'], default='md5'),
        ),
        supports_check_mode=True,
        circleci_projects=True,
    )
    module.run(lambda: list_keys(module))


if __name__ == '__main__':
    main()
