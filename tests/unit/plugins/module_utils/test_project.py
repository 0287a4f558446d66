# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Following a project: the plan (pure), and the project module against scripted answers."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._project import plan_follow
from ansible_collections.community.circleci.tests.unit.answers import settings
from ansible_collections.community.circleci.tests.unit.fakes import answer

LEGACY = 'gh/acme/legacy'
SETTINGS = '/api/v1.1/project/github/acme/legacy/settings'
FOLLOW = '/api/v1.1/project/github/acme/legacy/follow'
UNFOLLOW = '/api/v1.1/project/github/acme/legacy/unfollow'
FIRST_BUILD = {'build_num': 1, 'status': 'queued', 'why': 'first-build'}


@pytest.mark.parametrize('followed, state, expected', [
    (False, 'present', (True, 'follow')),
    (True, 'present', (False, None)),
    (True, 'absent', (True, 'unfollow')),
    (False, 'absent', (False, None)),
])
def test_plan_follow(followed, state, expected):
    assert plan_follow(followed, state) == expected


def test_an_unknown_state_is_refused_before_any_request(run, transport):
    result = run('project', dict(project=LEGACY, state='followed'))
    assert result['failed'] is True and 'state' in result['msg']
    assert transport.requests() == []


def test_follow_returns_the_first_build(run, transport):
    transport.then(answer(body=settings(followed=False)), answer(body={'first_build': FIRST_BUILD, 'followed': True}))
    result = run('project', dict(project=LEGACY), diff=True)
    assert transport.requests() == [('GET', SETTINGS), ('POST', FOLLOW)]
    assert {key: result[key] for key in ('changed', 'project', 'followed', 'first_build', 'diff')} == {
        'changed': True, 'project': 'gh/acme/legacy', 'followed': True, 'first_build': FIRST_BUILD,
        'diff': {'before': {'followed': False}, 'after': {'followed': True}}}


def test_follow_in_check_mode_sends_no_write(run, transport):
    transport.then(answer(body=settings(followed=False)))
    result = run('project', dict(project=LEGACY), check_mode=True)
    assert transport.requests() == [('GET', SETTINGS)]
    assert result['changed'] is True and result['followed'] is True and result['first_build'] is None


def test_an_already_followed_project_costs_one_request(run, transport):
    transport.then(answer(body=settings(followed=True)))
    result = run('project', dict(project=LEGACY), diff=True)
    assert transport.requests() == [('GET', SETTINGS)]
    assert result['changed'] is False
    assert result['diff']['before'] == result['diff']['after'] == {'followed': True}


def test_unfollow(run, transport):
    transport.then(answer(body=settings(followed=True)), answer(body={'followed': False}))
    result = run('project', dict(project=LEGACY, state='absent'))
    assert transport.requests()[-1] == ('POST', UNFOLLOW)
    assert result['changed'] is True and result['followed'] is False and result['first_build'] is None


def test_a_configuration_that_does_not_say_whether_followed_fails_naming_the_request(run, transport):
    transport.then(answer(body={'reponame': 'legacy'}))
    result = run('project', dict(project=LEGACY))
    assert result['failed'] is True
    assert result['msg'].startswith('GET %s failed' % SETTINGS.replace('/api/v1.1', ''))
    assert 'does not say whether the project is followed' in result['msg']
