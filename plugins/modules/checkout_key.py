#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: checkout_key
short_description: Ensure a CircleCI project has a checkout key of a given type, or delete checkout keys
version_added: 0.1.0
description:
  - Checkout keys are the SSH keys CircleCI uses to check out a project's code. CircleCI generates them and keeps
    the private half; the public half must be registered with the VCS (CircleCI does that itself for keys it creates
    through its web app, not for keys created through the API).
  - With O(state=present), makes sure a key of O(type) exists and creates one only when none does, so running the
    task again never adds another key. The result holds the key's public key and fingerprints, to register it next.
  - With O(state=absent), deletes the key with O(fingerprint), or every key of O(type), or the key with
    O(fingerprint) only if it is of O(type) when both are set.
  - Fingerprints are computed locally from the public keys, in the MD5 form CircleCI shows by default and the
    SHA256 form of current OpenSSH, so either form can be used and both are returned; listing costs one request.
  - GitHub App, GitLab and standalone projects (O(project=circleci/<organization id>/<project id>)), which only API v2 knows,
    are served through API v2 (C(GET /api/v2/project/:slug/checkout-key), one request per page, and
    C(DELETE /api/v2/project/:slug/checkout-key/:fingerprint)) with the same plan, results and guarantees. CircleCI cannot
    create a checkout key for them, so O(state=present) succeeds when a key of O(type) exists, and otherwise fails after the
    read, before any write (in check mode too). GitHub OAuth and Bitbucket projects keep using API v1.1.
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
      - V(present) ensures a key of O(type) exists; V(absent) deletes keys.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The kind of key. V(deploy-key) is a read-only key of the repository; V(github-user-key) acts as the token's
        GitHub user and can check out the other private repositories the user can read.
      - Required with O(state=present). With O(state=absent), deletes every key of this type (or, with O(fingerprint),
        the key with that fingerprint only if it is of this type).
    type: str
    choices: [deploy-key, github-user-key]
  preferred:
    description:
      - With O(state=present), also require the key CircleCI uses for checkout (its preferred key) to be of O(type).
      - CircleCI alone chooses the preferred key, and prefers a user key over deploy keys; the API cannot change that
        choice. So a key is created only when none of O(type) exists and the new key will be preferred
        (a V(github-user-key), or a V(deploy-key) in a project without user key). When a key of another type stays
        preferred, the module fails before any change, naming the key to delete first.
    type: bool
    default: false
  fingerprint:
    description:
      - With O(state=absent), the fingerprint of the key to delete, in the MD5 form (V(aa:bb:...), with or without
        C(MD5:)) or the SHA256 form (V(SHA256:...)). Matched locally against fingerprints computed from the public keys.
      - A key that does not exist is not an error (nothing to delete).
    type: str
notes:
  - Creating a checkout key needs a personal API token; project API tokens and read-only tokens get a clear error.
  - The request that creates a key is never repeated once it may have reached CircleCI (a repetition would create a
    second key). When its answer is lost, the keys are listed again to learn whether it was created.
  - The public key of a V(deploy-key) created through the API still has to be added to the repository as a deploy key
    (for example with M(community.general.github_deploy_key)), using RV(key.public_key).
'''

EXAMPLES = r'''
- name: Make sure gh/acme/api has a deploy key, and get its public key
  community.circleci.checkout_key:
    project: gh/acme/api
    type: deploy-key
  register: checkout

- name: Show the public key to register on GitHub
  ansible.builtin.debug:
    msg: "{{ checkout.key.public_key }} ({{ checkout.key.fingerprint_sha256 }})"

- name: Drift check - fail when gh/acme/api would get a new deploy key, or the preferred key is not a deploy key
  community.circleci.checkout_key:
    project: gh/acme/api
    type: deploy-key
    preferred: true
  check_mode: true
  register: drift
  failed_when: drift is failed or drift is changed

- name: Bulk - every acme project has a deploy key
  community.circleci.checkout_key:
    project: "gh/acme/{{ item }}"
    type: deploy-key
  loop: [api, web, worker]

- name: Delete a key by its SHA256 fingerprint
  community.circleci.checkout_key:
    project: gh/acme/api
    state: absent
    fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"

- name: Delete every user key of a project
  community.circleci.checkout_key:
    project: gh/acme/api
    state: absent
    type: github-user-key

- name: Check that a standalone project has a deploy key (through API v2, which cannot create one)
  community.circleci.checkout_key:
    project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01
    type: deploy-key
'''

RETURN = r'''
key:
  description:
    - The key of O(type) that is ensured (with O(state=present)), the preferred one among them, else the newest.
    - V(null) in check mode when the key would be created, and with O(state=absent).
  returned: success
  type: dict
  contains: &key
    type:
      description: V(deploy-key) or V(github-user-key).
      type: str
      sample: deploy-key
    public_key:
      description: The public key, in the OpenSSH format.
      type: str
      sample: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC...
    fingerprint_md5:
      description: The MD5 fingerprint, computed from the public key (the form CircleCI shows by default).
      type: str
      sample: c9:0b:1c:4f:d5:65:56:b9:ad:88:f9:81:2b:37:74:2f
    fingerprint_sha256:
      description: The SHA256 fingerprint, computed from the public key (the form OpenSSH shows).
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
keys:
  description:
    - The project's checkout keys after the change (in check mode, as they would be). In Jinja write C(result['keys']),
      as C(result.keys) is the dictionary's own method. A key still to be created shows
      C((generated by CircleCI)) as its fingerprints; the preference of keys after a change is CircleCI's rule applied locally.
  returned: success
  type: list
  elements: dict
  contains: *key
added:
  description:
    - The SHA256 fingerprint of the key created by this run (in check mode, C((generated by CircleCI)) for the key that
      would be created); empty when none was. The key itself is RV(key).
  returned: success
  type: list
  elements: str
  sample: ["SHA256:AddwN379YO1pnTyrOqALUZmo6XU4zJ2RLuOZslrl7c4"]
deleted:
  description: The SHA256 fingerprints of the keys deleted (in check mode, to be deleted).
  returned: success
  type: list
  elements: str
  sample: ["SHA256:AddwN379YO1pnTyrOqALUZmo6XU4zJ2RLuOZslrl7c4"]
diff:
  description: With C(--diff), the keys before and after as type, fingerprints and preference.
  returned: diff mode
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

from ansible_collections.community.circleci.plugins.module_utils import _checkout_keys
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def converge(module):
    params = module.params
    _checkout_keys.check_options(params)
    return _checkout_keys.converge(module.client, module.project, params['type'], params['state'], params['preferred'],
                                   params['fingerprint'], module.check_mode)


def main():
    module = CircleCIModule(argument_spec=_checkout_keys.SPEC, supports_check_mode=True, circleci_projects=True, **_checkout_keys.RULES)
    module.run(lambda: converge(module))


if __name__ == '__main__':
    main()
