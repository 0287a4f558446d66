# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._errors import InvalidResponseError
from ansible_collections.community.circleci.plugins.module_utils._follow import converge_follow, plan_follow
from ansible_collections.community.circleci.plugins.module_utils._slug import Project

LEGACY = Project('github', 'acme', 'legacy')
FIRST_BUILD = {'build_num': 1, 'status': 'queued', 'why': 'first-build'}


class FakeClient:
    def __init__(self, settings, answer=None):
        self.settings = settings
        self.answer = answer
        self.calls = []

    def get(self, template, *args, params=None):
        self.calls.append(('GET', template))
        return self.settings

    def post(self, template, *args, body=None, params=None, repeatable=False):
        self.calls.append(('POST', template))
        return self.answer


@pytest.mark.parametrize('followed, state, expected', [
    (False, 'present', (True, 'follow')),
    (True, 'present', (False, None)),
    (True, 'absent', (True, 'unfollow')),
    (False, 'absent', (False, None)),
])
def test_plan_follow(followed, state, expected):
    assert plan_follow(followed, state) == expected


def test_plan_follow_rejects_unknown_state():
    with pytest.raises(ValueError):
        plan_follow(True, 'followed')


def test_follow_returns_first_build():
    client = FakeClient({'followed': False}, {'first_build': FIRST_BUILD, 'followed': True})
    result = converge_follow(client, LEGACY, 'present')
    assert client.calls == [('GET', 'project/{}/settings'), ('POST', 'project/{}/follow')]
    assert result == {'changed': True, 'project': 'gh/acme/legacy', 'followed': True, 'first_build': FIRST_BUILD,
                      'diff': {'before': {'followed': False}, 'after': {'followed': True}}}


def test_follow_check_mode_sends_no_write():
    client = FakeClient({'followed': False})
    result = converge_follow(client, LEGACY, 'present', check_mode=True)
    assert client.calls == [('GET', 'project/{}/settings')]
    assert result['changed'] and result['followed'] is True and result['first_build'] is None


def test_already_followed_is_one_request():
    client = FakeClient({'followed': True})
    result = converge_follow(client, LEGACY, 'present')
    assert client.calls == [('GET', 'project/{}/settings')]
    assert not result['changed'] and result['diff']['before'] == result['diff']['after'] == {'followed': True}


def test_unfollow():
    client = FakeClient({'followed': True}, {'followed': False})
    result = converge_follow(client, LEGACY, 'absent')
    assert client.calls[-1] == ('POST', 'project/{}/unfollow')
    assert result['changed'] and result['followed'] is False and result['first_build'] is None


def test_settings_without_followed_is_an_invalid_response():
    with pytest.raises(InvalidResponseError, match='did not say whether the project is followed'):
        converge_follow(FakeClient({'reponame': 'legacy'}), LEGACY, 'present')
