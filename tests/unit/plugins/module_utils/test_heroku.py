# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Heroku key: the masked comparison and the plan (pure), and heroku_key against scripted answers."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _heroku
from ansible_collections.community.circleci.tests.unit.answers import me
from ansible_collections.community.circleci.tests.unit.fakes import answer

KEY = '0000-1a2b'
ME = '/api/v1.1/me'
HEROKU = '/api/v1.1/user/heroku-key'


@pytest.mark.parametrize('shown, value, expected', [
    ('xxxx1a2b', '0000-1a2b', True),
    ('xxxxxxxxxxxx1a2b', '0000-1a2b', True),  # a longer mask: only the last four characters count
    ('xxxx1a2b', '0000-1a2c', False),
    (None, '0000-1a2b', False),
    ('', '0000-1a2b', False),
    ('xxxx', 'abc', True),  # shorter than four characters: CircleCI shows xxxx only
    ('xxxx', 'abcd', False),
])
def test_masked_matches(shown, value, expected):
    assert _heroku.masked_matches(shown, value) is expected


def test_plan():
    assert _heroku.plan(None, KEY) == {'write': True, 'unverified': False, 'before': None, 'after': 'xxxx1a2b'}
    assert _heroku.plan('xxxx1a2b', '9999-1a2b') == {'write': False, 'unverified': True, 'before': 'xxxx1a2b', 'after': 'xxxx1a2b'}
    assert _heroku.plan('xxxx1a2b', '9999-1a2b', force=True)['write'] is True
    assert _heroku.plan('xxxx1a2b', '9999-1a2b', force=True)['unverified'] is False
    assert _heroku.plan('xxxx9z8y', KEY)['write'] is True


def test_an_unset_key_is_written_with_one_post(run, transport):
    transport.then(answer(body=me(None)), answer(200, text=''))
    result = run('heroku_key', dict(api_key=KEY), diff=True)
    assert result['changed'] is True
    assert (result['heroku_api_key'], result['previous'], result['unverified']) == ('xxxx1a2b', None, [])
    assert transport.requests() == [('GET', ME), ('POST', HEROKU)]
    assert transport.bodies('POST') == [{'apikey': KEY}]
    assert result['diff'] == {'before': {'heroku_api_key': None}, 'after': {'heroku_api_key': 'xxxx1a2b'}}
    assert KEY not in repr(result)


def test_a_key_with_the_same_ending_is_left_alone_and_unverified(run, transport):
    transport.then(answer(body=me('xxxx1a2b')))
    result = run('heroku_key', dict(api_key='9999-1a2b'))
    assert result['changed'] is False and result['unverified'] == ['api_key']
    assert transport.requests() == [('GET', ME)]


def test_force_writes_a_key_with_the_same_ending(run, transport):
    transport.then(answer(body=me('xxxx1a2b')), answer(200, text=''))
    result = run('heroku_key', dict(api_key='9999-1a2b', force=True))
    assert result['changed'] is True and result['unverified'] == []
    assert transport.writes() == [('POST', HEROKU)]


def test_check_mode_writes_nothing(run, transport):
    transport.then(answer(body=me('xxxx9z8y')))
    result = run('heroku_key', dict(api_key=KEY), check_mode=True)
    assert result['changed'] is True and result['heroku_api_key'] == 'xxxx1a2b' and result['previous'] == 'xxxx9z8y'
    assert transport.writes() == []


@pytest.mark.parametrize('api_key', [' ' + KEY, KEY + '\n', ''])
def test_a_key_with_surrounding_white_space_is_refused_before_any_request(run, transport, api_key):
    result = run('heroku_key', dict(api_key=api_key))
    assert result['failed'] is True and 'api_key must not be empty or start or end with white space' in result['msg']
    assert transport.requests() == []
