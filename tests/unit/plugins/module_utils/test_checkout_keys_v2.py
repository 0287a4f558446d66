# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checkout keys of circleci/<org id>/<project id> projects, served through API v2.

The same plan, results and guarantees as through API v1.1 (tests compare both), with v2's spelling (``public-key``,
``created-at``), paged lists, and its one rule of its own: no key can be created for such a project.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ansible_collections.community.circleci.tests.unit.answers import KEY_A, KEY_B, MD5_A, MD5_B, SHA_B, checkout_key
from ansible_collections.community.circleci.tests.unit.fakes import answer, read_timeout

CLOUD = 'circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a02'
V2_LIST = '/api/v2/project/%s/checkout-key' % CLOUD
V1_LIST = '/api/v1.1/project/github/acme/web/checkout-key'
RESULT_KEYS = ('changed', 'key', 'keys', 'added', 'deleted', 'diff')


def v1_key(line, preferred, day):
    return checkout_key(line, 'deploy-key', preferred, time='2024-01-0%dT00:00:00.000Z' % day)


def v2_key(line, preferred, day):
    v1 = v1_key(line, preferred, day)
    return {'public-key': v1['public_key'], 'type': v1['type'], 'fingerprint': v1['fingerprint'], 'preferred': preferred,
            'created-at': v1['time']}


TWO_V1 = [v1_key(KEY_A, True, 1), v1_key(KEY_B, False, 2)]
TWO_V2 = [v2_key(KEY_A, True, 1), v2_key(KEY_B, False, 2)]


def page(items, token=None):
    return answer(body={'items': items, 'next_page_token': token})


def both(run, transport, args, v1_keys, v2_keys, **options):
    """Run the module over gh/acme/web (v1.1) then the circleci twin (v2); both results."""
    transport.on('GET', V1_LIST, answer(body=v1_keys)).on('DELETE', V1_LIST + '/', answer(body={'message': 'ok'}))
    github = run('checkout_key', dict(args, project='gh/acme/web'), **options)
    transport.load({})
    transport.sent.clear()
    transport.on('GET', V2_LIST, page(v2_keys)).on('DELETE', V2_LIST + '/', answer(body={'message': 'Checkout key deleted.'}))
    cloud = run('checkout_key', dict(args, project=CLOUD), **options)
    return github, cloud


@pytest.mark.parametrize('args', [
    dict(type='deploy-key', preferred=True),
    dict(state='absent', fingerprint=SHA_B),
    dict(state='absent', fingerprint='MD5:' + MD5_A.upper()),
    dict(state='absent', type='deploy-key'),
    dict(state='absent', type='github-user-key'),
], ids=['present', 'absent-sha256', 'absent-md5', 'absent-type', 'absent-none'])
@pytest.mark.parametrize('check_mode', [False, True], ids=['real', 'check'])
def test_a_circleci_project_gets_the_same_plan_and_result_as_a_github_one(run, transport, args, check_mode):
    github, cloud = both(run, transport, args, TWO_V1, TWO_V2, check_mode=check_mode, diff=True)
    assert 'failed' not in cloud
    assert {key: cloud[key] for key in RESULT_KEYS} == {key: github[key] for key in RESULT_KEYS}
    if check_mode:
        assert transport.writes() == []


def test_through_v2_keys_are_deleted_by_md5_fingerprint_after_one_paged_read(run, transport):
    transport.on('GET', V2_LIST + '$', page(TWO_V2[:1], 'next'))
    transport.on('GET', V2_LIST + r'\?page-token=next$', page(TWO_V2[1:]))
    transport.on('DELETE', V2_LIST + '/', answer(body={'message': 'Checkout key deleted.'}))
    result = run('checkout_key', dict(project=CLOUD, state='absent', fingerprint=SHA_B))
    assert transport.requests() == [('GET', V2_LIST), ('GET', V2_LIST + '?page-token=next'),
                                    ('DELETE', '%s/%s' % (V2_LIST, quote(MD5_B, safe='')))]
    assert result['deleted'] == [SHA_B] and result['api_requests'] == 3


@pytest.mark.parametrize('check_mode', [False, True], ids=['real', 'check'])
@pytest.mark.parametrize('key_type', ['deploy-key', 'github-user-key'])
def test_through_v2_a_key_to_create_fails_after_the_read_before_any_write(run, transport, check_mode, key_type):
    transport.on('GET', V2_LIST, page([]))
    result = run('checkout_key', dict(project=CLOUD, type=key_type), check_mode=check_mode)
    assert result['failed'] is True and result['changed'] is False
    assert transport.requests() == [('GET', V2_LIST)]
    assert result['msg'].startswith('No %s exists, and CircleCI cannot create checkout keys for GitHub App, GitLab or '
                                    'standalone projects' % key_type)


def test_through_v2_a_key_of_the_type_that_exists_is_ensured_without_a_write(run, transport):
    transport.on('GET', V2_LIST, page(TWO_V2))
    result = run('checkout_key', dict(project=CLOUD, type='deploy-key'))
    assert result['changed'] is False and result['key']['fingerprint_md5'] == MD5_A
    assert result['key']['time'] == '2024-01-01T00:00:00.000Z' and result['key']['public_key'] == KEY_A.strip()


def test_through_v2_a_lost_delete_is_settled_by_reading_the_keys_again(run, transport):
    transport.on('GET', V2_LIST, page(TWO_V2), page(TWO_V2[:1]))
    transport.on('DELETE', V2_LIST + '/', read_timeout())
    result = run('checkout_key', dict(project=CLOUD, state='absent', fingerprint=MD5_B, retries=0))
    assert 'failed' not in result and result['changed'] is True and result['deleted'] == [SHA_B]
    assert [method for method, dummy in transport.requests()] == ['GET', 'DELETE', 'GET']


def test_checkout_key_info_through_v2_asks_for_the_digest(run, transport):
    transport.on('GET', V2_LIST, page(TWO_V2))
    result = run('checkout_key_info', dict(project=CLOUD, digest='sha256'))
    assert transport.requests() == [('GET', V2_LIST + '?digest=sha256')]
    assert [key['fingerprint'] for key in result['keys']] == [key['fingerprint_sha256'] for key in result['keys']]
    assert result['preferred_key']['fingerprint_md5'] == MD5_A
