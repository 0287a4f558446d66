#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: ssh_key
short_description: Add or remove an additional SSH key of a CircleCI project
version_added: 0.1.0
description:
  - Manages the additional SSH keys of a project, which jobs use to reach other hosts (C(add_ssh_keys) in the configuration).
  - The private key is read locally first, so a damaged, encrypted or unsupported key fails before any request.
    Its MD5 and SHA256 fingerprints are computed locally and compared with the project settings' C(ssh_keys)
    (CircleCI has no other list of them); reading costs one request, and a key already there is not added again.
  - CircleCI stores a key again each time it is posted, so duplicates pile up when keys are added without checking;
    O(remove_duplicates) cleans them up, O(exclusive) removes the other keys of O(hostname).
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
      - V(present) adds the key for O(hostname) when it is not there; V(absent) removes it (every copy).
    type: str
    choices: [present, absent]
    default: present
  hostname:
    description:
      - The host the key is for. Empty (the default) means every host, as in CircleCI's web app.
      - Keys are matched by hostname and fingerprint together.
    type: str
    default: ''
  private_key:
    description:
      - The private key, unencrypted, in the PEM (PKCS#1, SEC1 or PKCS#8) or OpenSSH format; RSA, ECDSA or Ed25519.
      - Never shown in results, logs or diffs.
      - Exactly one of O(private_key) and O(private_key_path) is needed; with O(state=absent), O(fingerprint) may name the key instead.
    type: str
  private_key_path:
    description:
      - A file on the controller holding the private key, as for O(private_key).
    type: path
  fingerprint:
    description:
      - With O(state=absent), the fingerprint of the key to remove instead of the private key, in the MD5 form
        (V(aa:bb:...), with or without C(MD5:)) or the SHA256 form (V(SHA256:...)).
    type: str
  remove_duplicates:
    description:
      - With O(state=present), when the key is stored more than once for O(hostname), keep one copy.
      - CircleCI's delete removes every copy at once, so this deletes the key and adds it back once (three requests
        after the read, namely delete, one read to count what is left, and add). Between the delete and the add the key is
        briefly missing; should the add fail, the result says so and a new run adds it.
    type: bool
    default: false
  exclusive:
    description:
      - With O(state=present), remove every other key of O(hostname), so this key is its only one.
    type: bool
    default: false
notes:
  - The request that adds a key is never repeated once it may have reached CircleCI (a repetition would store the
    key twice). When its answer is lost, the project's keys are read again to learn whether it was added.
  - Results and diffs show hostnames, fingerprints and public keys only.
requirements:
  - cryptography, to read private keys (it comes with ansible-core)
'''

EXAMPLES = r'''
- name: Give gh/acme/api's jobs a key for deploy.example.com
  community.circleci.ssh_key:
    project: gh/acme/api
    hostname: deploy.example.com
    private_key: "{{ lookup('ansible.builtin.file', 'files/deploy_ed25519') }}"

- name: Same, from a file on the controller, with this key the host's only one and no duplicates
  community.circleci.ssh_key:
    project: gh/acme/api
    hostname: deploy.example.com
    private_key_path: files/deploy_ed25519
    exclusive: true
    remove_duplicates: true

- name: Drift check - a removal of an old key by fingerprint that must find nothing to do
  community.circleci.ssh_key:
    project: gh/acme/api
    hostname: old.example.com
    state: absent
    fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
  check_mode: true
  register: drift
  failed_when: drift is failed or drift is changed

- name: Remove the key from the project
  community.circleci.ssh_key:
    project: gh/acme/api
    hostname: deploy.example.com
    private_key_path: files/deploy_ed25519
    state: absent
'''

RETURN = r'''
key:
  description: The key asked for, from the private key (or O(fingerprint)); no secret.
  returned: success
  type: dict
  contains:
    hostname:
      description: O(hostname).
      type: str
      sample: deploy.example.com
    fingerprint_md5:
      description: The MD5 fingerprint (the form CircleCI shows); V(null) when only a SHA256 O(fingerprint) of an absent key is known.
      type: str
      sample: 9f:41:51:e7:c0:5a:7e:b6:48:06:d2:e4:5e:a1:64:01
    fingerprint_sha256:
      description: The SHA256 fingerprint (the form OpenSSH shows).
      type: str
      sample: SHA256:0DqdOc7yp6lTWBRmvi3dcnqSDP2d9rq0ETj7m1OlSmg
    public_key:
      description: The public key, in the OpenSSH format; V(null) when the key was named by O(fingerprint).
      type: str
      sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP...
copies:
  description: How many copies of the key CircleCI had for O(hostname) before the run.
  returned: success
  type: int
  sample: 1
added:
  description:
    - The SHA256 fingerprint of the key when it was added (in check mode, would be), including adding back the one copy
      of a duplicated key; empty otherwise.
  returned: success
  type: list
  elements: str
  sample: ["SHA256:0DqdOc7yp6lTWBRmvi3dcnqSDP2d9rq0ETj7m1OlSmg"]
deleted:
  description:
    - The SHA256 fingerprints of the keys of O(hostname) deleted (in check mode, to be deleted), each with every copy of it
      (a duplicated key deleted to be added back once is listed here and in RV(added)).
  returned: success
  type: list
  elements: str
  sample: ["SHA256:0DqdOc7yp6lTWBRmvi3dcnqSDP2d9rq0ETj7m1OlSmg"]
ssh_keys:
  description: The project's SSH keys after the change (in check mode, as they would be), with hostname, fingerprints and public key.
  returned: success
  type: list
  elements: dict
diff:
  description: With C(--diff), the project's SSH keys before and after, as hostnames and fingerprints.
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

from ansible_collections.community.circleci.plugins.module_utils import _ssh_keys
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec=_ssh_keys.SPEC, supports_check_mode=True, **_ssh_keys.RULES)
    module.run(lambda: _ssh_keys.converge(module.client, module.project, _ssh_keys.prepare(module.params), module.check_mode))


if __name__ == '__main__':
    main()
