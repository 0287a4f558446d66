#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ssh_key_info
short_description: List the additional SSH keys of a CircleCI project
version_added: 0.1.0
description:
  - Lists a project's additional SSH keys from its settings (C(GET project/:vcs/:org/:name/settings), the only place
    CircleCI shows them), with one request.
  - Both fingerprints are computed locally from the public keys. A key CircleCI stores more than once is listed
    once per copy; RV(duplicates) names those.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  hostname:
    description:
      - Only the keys for this host. An empty string selects the keys for every host.
    type: str
'''

EXAMPLES = r'''
- name: List the SSH keys of gh/acme/api
  community.circleci.ssh_key_info:
    project: gh/acme/api
  register: ssh

- name: Drift check - deploy.example.com has exactly one key, stored once
  community.circleci.ssh_key_info:
    project: gh/acme/api
    hostname: deploy.example.com
  register: deploy_keys
  failed_when: deploy_keys.ssh_keys | length != 1 or deploy_keys.duplicates | length > 0
'''

RETURN = r'''
ssh_keys:
  description: The project's SSH keys (only those of O(hostname) when set), in CircleCI's order, one entry per stored copy.
  returned: success
  type: list
  elements: dict
  contains:
    hostname:
      description: The host the key is for; empty for every host.
      type: str
      sample: deploy.example.com
    fingerprint_md5:
      description: The MD5 fingerprint, computed from the public key.
      type: str
      sample: 9f:41:51:e7:c0:5a:7e:b6:48:06:d2:e4:5e:a1:64:01
    fingerprint_sha256:
      description: The SHA256 fingerprint, computed from the public key.
      type: str
      sample: SHA256:0DqdOc7yp6lTWBRmvi3dcnqSDP2d9rq0ETj7m1OlSmg
    public_key:
      description: The public key, in the OpenSSH format.
      type: str
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP...
duplicates:
  description: The keys stored more than once for the same hostname, with C(hostname), C(fingerprint_md5),
    C(fingerprint_sha256) and C(copies).
  returned: success
  type: list
  elements: dict
  sample: [{hostname: deploy.example.com, fingerprint_md5: "9f:41:51:e7:c0:5a:7e:b6:48:06:d2:e4:5e:a1:64:01",
            fingerprint_sha256: "SHA256:0DqdOc7yp6lTWBRmvi3dcnqSDP2d9rq0ETj7m1OlSmg", copies: 2}]
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._project import read_config
from ansible_collections.community.circleci.plugins.module_utils._ssh_keys import find_duplicates, keys_of


def list_keys(module):
    hostname = module.params['hostname']
    keys = keys_of(read_config(module.client, module.project))
    if hostname is not None:
        keys = [key for key in keys if key['hostname'] == hostname]
    return dict(changed=False, ssh_keys=keys, duplicates=find_duplicates(keys))


def main():
    module = CircleCIModule(
        argument_spec=dict(
            hostname=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: list_keys(module))


if __name__ == '__main__':
    main()
