#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: oidc_claims
short_description: Set the OIDC custom claims (audience, token TTL) of a CircleCI organization or project
version_added: 0.2.0
description:
  - Sets the custom claims of the OIDC tokens CircleCI issues to jobs, the audience list (C(aud)) and the token
    lifetime (TTL), through CircleCI API v2 (C(/org/{orgID}/oidc-custom-claims) and
    C(/org/{orgID}/project/{projectID}/oidc-custom-claims)).
  - Claims set for an organization apply to all its projects; claims set for a project override the organization's
    for that project. A claim never set, or reset with O(state=absent), takes CircleCI's default (for a project,
    the organization's claim).
  - Idempotent. Reads the claims once and sends one C(PATCH) with only the claims that differ, or, with O(state=absent),
    one C(DELETE) of only the claims that are set; nothing when they are as asked. An audience is compared as a set
    (order and repetition do not matter) and a TTL as a duration (V(60m) is V(1h)).
  - "Requests: one C(GET) of the claims, plus one to locate them: C(GET /project/{slug}) with O(project) (the claim routes
    take the project's and organization's UUIDs), C(GET /me/collaborations) with a V(gh/) or V(bb/) O(owner), none with
    a V(circleci/) O(owner); plus one C(PATCH) or C(DELETE) when something changes. So 2 requests when nothing changes
    (1 for a V(circleci/) owner), 3 when it does."
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  owner:
    description:
      - The organization, as V(gh/acme), V(bb/acme) (also V(github/) and V(bitbucket/)), or V(circleci/<organization id>)
        with the organization's UUID (as its settings page shows it) or its base58 form.
      - Without O(project), the organization whose claims to manage. A V(gh/) or V(bb/) organization must be among the
        organizations of the token's user (checked with C(GET /me/collaborations), before the claims are read).
      - With O(project), optional; when given, it must be the project's organization (checked before any change).
      - One of O(owner) and O(project) is required.
    type: str
  project:
    description:
      - The project whose claims to manage, instead of the organization's, as V(gh/acme/api), V(bb/acme/mobile) or
        V(circleci/<organization id>/<project id>) (UUIDs or base58) for GitHub App, GitLab and standalone projects.
      - Its UUID and its organization's UUID are read with C(GET /project/{slug}).
    type: str
  state:
    description:
      - V(present) sets the claims given with O(audience) and O(ttl); those left out are not changed.
      - V(absent) resets the claims named in O(claims) to CircleCI's default (C(DELETE)); only claims that are set are sent.
    type: str
    choices: [present, absent]
    default: present
  audience:
    description:
      - The audience list (the C(aud) claim), with O(state=present). Non-empty, without repeated values; compared with
        CircleCI's as a set.
      - To go back to the default audience, use O(state=absent) with O(claims=[audience]).
    type: list
    elements: str
  ttl:
    description:
      - How long the OIDC tokens are valid, with O(state=present). One to seven parts of a number and a unit, V(ms), V(s),
        V(m), V(h), V(d) or V(w), such as V(30m), V(1h) or V(1h30m), the format CircleCI's API reference gives.
        Checked before any request; compared with CircleCI's as a duration.
    type: str
  claims:
    description:
      - With O(state=absent), which claims to reset. If not set, both.
    type: list
    elements: str
    choices: [audience, ttl]
notes:
  - Needs a personal API token of a member of the organization; a read-only token can read but not change the claims.
  - CircleCI answers 403, never 404, on the claim routes for an organization that does not exist, one the token's user is
    not a member of, and a project outside the organization. The failure message says so.
  - When the answer to the C(PATCH) or C(DELETE) is lost, the claims are read again to learn whether it was applied.
seealso:
  - name: OpenID Connect tokens (CircleCI documentation)
    description: What the audience and the TTL of CircleCI's OIDC tokens are used for.
    link: https://circleci.com/docs/openid-connect-tokens/
'''

EXAMPLES = r'''
- name: Tokens of every acme project are for AWS and Vault, and live one hour
  community.circleci.oidc_claims:
    owner: gh/acme
    audience: [sts.amazonaws.com, vault.acme.example]
    ttl: 1h

- name: The deploy project gets shorter-lived tokens than the rest of the organization
  community.circleci.oidc_claims:
    project: gh/acme/api
    ttl: 30m
  register: api_claims

- name: Show the claims of gh/acme/api (a claim not set shows null - the organization's applies)
  ansible.builtin.debug:
    msg: "{{ api_claims.oidc_claims }}"

- name: A standalone project, named by its organization and project ids
  community.circleci.oidc_claims:
    project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/9c966ef9-d584-44b5-98aa-126e97fcb2e3
    audience: [ledger.acme.example]

- name: Drift check - would the organization's claims change? (check mode changes nothing)
  community.circleci.oidc_claims:
    owner: gh/acme
    audience: [sts.amazonaws.com]
    ttl: 60m
  check_mode: true
  register: drift

- name: Back to CircleCI's default TTL for the organization, keeping its audience
  community.circleci.oidc_claims:
    owner: gh/acme
    state: absent
    claims: [ttl]

- name: Drop the project's own claims, so the organization's apply again
  community.circleci.oidc_claims:
    project: gh/acme/api
    state: absent
'''

RETURN = r'''
oidc_claims:
  description:
    - The claims after the run (in check mode, as they would be). A claim not set is V(null), and CircleCI's default
      applies (for a project, the organization's claim).
  returned: success
  type: dict
  contains:
    org_id:
      description: The organization's UUID.
      type: str
      sample: b0de2883-ba52-4530-abc0-d74091c72852
    project_id:
      description: The project's UUID; V(null) for the organization's claims.
      type: str
      sample: a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3
    audience:
      description: The audience list, or V(null) when not set.
      type: list
      elements: str
      sample: [sts.amazonaws.com]
    audience_updated_at:
      description: When the audience was last set (V(null) when not set, and in check mode for an audience that would change).
      type: str
      sample: '2024-06-01T12:00:00.000Z'
    ttl:
      description: The token TTL, as CircleCI shows it, or V(null) when not set.
      type: str
      sample: 1h
    ttl_updated_at:
      description: When the TTL was last set (V(null) when not set, and in check mode for a TTL that would change).
      type: str
      sample: '2024-06-01T12:00:00.000Z'
added:
  description: The claims (V(audience), V(ttl)) that were not set and were (in check mode, would be) set.
  returned: success
  type: list
  elements: str
  sample: [ttl]
updated:
  description: The claims that were set and changed (in check mode, would change).
  returned: success
  type: list
  elements: str
  sample: [audience]
deleted:
  description: The claims reset to CircleCI's default with O(state=absent) (in check mode, that would be).
  returned: success
  type: list
  elements: str
  sample: []
unchanged:
  description: The claims asked for that were already as asked (with O(state=absent), already not set).
  returned: success
  type: list
  elements: str
  sample: []
diff:
  description: With C(--diff), the audience and TTL before and after.
  returned: diff mode
  type: dict
  sample: {before: {audience: [sts.amazonaws.com], ttl: 1h}, after: {audience: [sts.amazonaws.com], ttl: 30m}}
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils import _oidc_claims
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def converge(module):
    params = module.params
    owner, project = _oidc_claims.check_options(params)
    return _oidc_claims.converge(module.client, owner, project, params['state'], params['audience'], params['ttl'],
                                 params['claims'], module.check_mode)


def main():
    module = CircleCIModule(argument_spec=_oidc_claims.SPEC, project_spec=False, supports_check_mode=True, **_oidc_claims.RULES)
    module.run(lambda: converge(module))


if __name__ == '__main__':
    main()
