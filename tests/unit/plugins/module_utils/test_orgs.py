# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Organizations named as users know them, resolved once per run through /me/collaborations."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._orgs import resolve_owner
from ansible_collections.community.circleci.tests.unit.fakes import answer

GH = {'id': 'b0de2883-ba52-4530-abc0-d74091c72852', 'vcs-type': 'github', 'name': 'Acme', 'avatar_url': '', 'slug': 'gh/Acme'}
CLOUD = {'id': '311ada03-9e36-4e03-893b-c0f0d7ac28c9', 'vcs-type': 'circleci', 'name': 'acme-cloud', 'avatar_url': '',
         'slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY'}
NEW = {'id': None, 'vcs-type': 'github', 'name': 'acme-labs', 'avatar_url': '', 'slug': 'gh/acme-labs'}


def test_owners_resolve_by_name_or_id_with_one_read(client, transport):
    api = client([answer(body=[GH, CLOUD, NEW])])
    assert resolve_owner(api, 'gh/acme')['id'] == GH['id']
    assert resolve_owner(api, 'github/ACME')['slug'] == 'gh/Acme'
    assert resolve_owner(api, 'circleci/74hDwQgJ7BDtfqPpy7htUY')['id'] == CLOUD['id']
    assert resolve_owner(api, 'circleci/' + CLOUD['id'])['name'] == 'acme-cloud'
    assert len(transport.sent) == 1
    assert transport.sent[0].url.endswith('/api/v2/me/collaborations')


@pytest.mark.parametrize('owner, says', [
    ('gh/nobody', 'not among the organizations of the token\'s user'),
    ('bb/acme', 'not among'),
    ('gh/acme-labs', 'never used on CircleCI'),
])
def test_unknown_owners_are_named(client, owner, says):
    api = client([answer(body=[GH, CLOUD, NEW])])
    with pytest.raises(InputError, match=says):
        resolve_owner(api, owner)


def test_a_malformed_owner_is_refused_before_any_request(client, transport):
    api = client([])
    with pytest.raises(InputError):
        resolve_owner(api, 'acme')
    assert transport.sent == []
