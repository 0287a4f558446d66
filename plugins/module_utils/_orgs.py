# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Organizations: named the way users know them (``gh/acme``, ``bb/acme``, ``circleci/<id>``), resolved to ids.

For internal collection use only: names and behaviour may change without notice.

API v2 names organizations by id (contexts' ``owner-id``, OIDC claims' ``orgID``) or slug.
``GET /me/collaborations`` lists the token user's organizations as a bare array of
``{id, vcs-type, name, avatar_url, slug}``; it is read once per module run and kept in the client.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, canonical_id, parse_owner

COLLABORATIONS_PATH = 'me/collaborations'
_VCS_OF_ANSWER = {'github': 'github', 'gh': 'github', 'bitbucket': 'bitbucket', 'bb': 'bitbucket', 'circleci': 'circleci'}


def collaborations(client):
    """The token user's organizations, read once per client."""
    if 'collaborations' not in client.cache:
        client.cache['collaborations'] = [org for org in client.v2.get(COLLABORATIONS_PATH, expect=list) if isinstance(org, dict)]
    return client.cache['collaborations']


def resolve_owner(client, owner):
    """``{id, slug, name, vcs_type}`` of the organization ``owner`` names; InputError when the token's user is not in it.

    ``owner`` is ``gh/acme``, ``github/acme``, ``bb/acme``, ``bitbucket/acme`` or ``circleci/<organization id>``
    (a UUID or its base58 form). Names compare without regard to case, ids by value.
    """
    try:
        wanted = parse_owner(owner)
    except ProjectError as error:
        raise InputError(str(error))
    orgs = collaborations(client)
    for org in orgs:
        vcs = _VCS_OF_ANSWER.get(str(org.get('vcs-type') or org.get('vcs_type') or '').lower())
        if wanted.vcs_type == 'circleci':
            found = canonical_id(org.get('id')) == wanted.name
        else:
            found = vcs == wanted.vcs_type and str(org.get('name') or '').lower() == wanted.name.lower()
        if found:
            if not org.get('id'):
                raise InputError('organization %s has no CircleCI id yet (it was never used on CircleCI): set it up first' % owner)
            return {'id': canonical_id(org['id']), 'slug': org.get('slug') or wanted.slug, 'name': org.get('name'), 'vcs_type': vcs}
    known = ', '.join(sorted(str(org.get('slug') or org.get('name')) for org in orgs)) or 'none'
    raise InputError('organization %s is not among the organizations of the token\'s user (GET /api/v2/me/collaborations '
                     'lists: %s); check the owner and the token' % (owner, known))
