# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checkout keys: the option rules and the plan (pure), and checkout_key / checkout_key_info against scripted answers."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _checkout_keys
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.tests.unit.answers import (
    KEY_A,
    KEY_B,
    KEY_C,
    MD5_A,
    MD5_B,
    MD5_C,
    PATH,
    SHA_A,
    SHA_B,
    SLUG,
    checkout_key,
    not_found,
)
from ansible_collections.community.circleci.tests.unit.fakes import answer

NEW_KEY = _checkout_keys.NEW_KEY
LIST = PATH + '/checkout-key'
LINES = {0: KEY_A, 1: KEY_B, 2: KEY_C}


def item_path(fingerprint):
    return '%s/checkout-key/%s' % (PATH, quote(fingerprint, safe=''))


def ck(key_type, n, preferred=False):
    """A described key (as read from CircleCI) of public key n (0, 1 or 2), created on day n + 1."""
    return _checkout_keys.describe(checkout_key(LINES[n], key_type, preferred, time='2020-01-0%dT00:00:00.000Z' % (n + 1)))


# -- option rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize('options, words', [
    (dict(state='present', type='deploy-key', fingerprint=MD5_A), 'fingerprint is only used with state=absent'),
    (dict(state='absent', type='deploy-key', preferred=True), 'preferred is only used with state=present'),
    (dict(state='absent', fingerprint='asdf-bogus'), 'is not an MD5 fingerprint'),
])
def test_check_options_refuses(options, words):
    with pytest.raises(InputError, match=words):
        _checkout_keys.check_options(dict(dict(preferred=False, fingerprint=None), **options))


def test_check_options_accepts_either_fingerprint_form():
    for fingerprint in (MD5_A, 'MD5:' + MD5_A.upper(), SHA_A):
        _checkout_keys.check_options(dict(state='absent', type=None, preferred=False, fingerprint=fingerprint))


# -- describe and plan -----------------------------------------------------------------------------------


def test_describe_computes_both_fingerprints():
    described = _checkout_keys.describe({'type': 'deploy-key', 'public_key': KEY_A, 'preferred': True,
                                         'time': 't', 'fingerprint': 'ignored', 'login': None})
    assert described == {'type': 'deploy-key', 'public_key': KEY_A.strip(), 'fingerprint_md5': MD5_A,
                         'fingerprint_sha256': SHA_A, 'preferred': True, 'time': 't', 'login': None}


def test_plan_present_exists():
    current = [ck('deploy-key', 0, preferred=True)]
    plan = _checkout_keys.plan(current, 'deploy-key', 'present')
    assert plan['create'] is None and plan['delete'] == []
    assert plan['key'] is current[0]
    assert plan['after'] == current


def test_plan_present_missing_creates_one():
    current = [ck('deploy-key', 0, preferred=True)]
    plan = _checkout_keys.plan(current, 'github-user-key', 'present', preferred=True)
    assert plan['create'] == 'github-user-key'
    assert plan['key'] is None
    assert [(key['type'], key['preferred']) for key in plan['after']] == [('deploy-key', False), ('github-user-key', True)]
    assert plan['after'][1]['fingerprint_md5'] == NEW_KEY


def test_plan_present_in_empty_project():
    plan = _checkout_keys.plan([], 'deploy-key', 'present', preferred=True)
    assert plan['create'] == 'deploy-key'
    assert plan['after'][0]['preferred'] is True


def test_plan_several_of_the_type_picks_the_preferred_then_the_newest():
    current = [ck('deploy-key', 0), ck('deploy-key', 1), ck('github-user-key', 2, preferred=True)]
    assert _checkout_keys.plan(current, 'deploy-key', 'present')['key'] is current[1]
    current[0]['preferred'], current[2]['preferred'] = True, False
    assert _checkout_keys.plan(current, 'deploy-key', 'present')['key'] is current[0]


def test_plan_preferred_deploy_key_blocked_by_user_key():
    current = [ck('deploy-key', 0), ck('github-user-key', 1, preferred=True)]
    with pytest.raises(InputError, match='CircleCI prefers the github-user-key') as caught:
        _checkout_keys.plan(current, 'deploy-key', 'present', preferred=True)
    assert current[1]['fingerprint_md5'] in str(caught.value)
    # without preferred, the existing deploy key is enough
    assert _checkout_keys.plan(current, 'deploy-key', 'present')['create'] is None


def test_plan_preferred_deploy_key_missing_and_user_key_present():
    current = [ck('github-user-key', 1, preferred=True)]
    with pytest.raises(InputError, match='a new one would not be preferred'):
        _checkout_keys.plan(current, 'deploy-key', 'present', preferred=True)
    assert _checkout_keys.plan(current, 'deploy-key', 'present')['create'] == 'deploy-key'


def test_plan_absent_by_md5_sha256_and_type():
    current = [ck('deploy-key', 0, preferred=True), ck('github-user-key', 1), ck('deploy-key', 2)]
    by_md5 = _checkout_keys.plan(current, None, 'absent', fingerprint='MD5:' + MD5_B.upper())
    assert by_md5['delete'] == [current[1]]
    by_sha = _checkout_keys.plan(current, None, 'absent', fingerprint=SHA_A)
    assert by_sha['delete'] == [current[0]]
    assert [key['fingerprint_md5'] for key in by_sha['after']] == [MD5_B, MD5_C]
    assert by_sha['after'][0]['preferred'] is True  # the user key becomes preferred
    by_type = _checkout_keys.plan(current, 'deploy-key', 'absent')
    assert by_type['delete'] == [current[0], current[2]]
    both = _checkout_keys.plan(current, 'deploy-key', 'absent', fingerprint=MD5_B)
    assert both['delete'] == []  # that fingerprint is a user key
    missing = _checkout_keys.plan(current, None, 'absent', fingerprint='00' * 16)
    assert missing['delete'] == [] and missing['after'] == current


# -- checkout_key ------------------------------------------------------------------------------------------


def test_an_existing_key_costs_one_get(run, transport):
    transport.then(answer(body=[checkout_key(KEY_A, preferred=True)]))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key', preferred=True))
    assert result['changed'] is False
    assert result['key']['fingerprint_sha256'] == SHA_A
    assert (result['added'], result['deleted']) == ([], [])
    assert transport.requests() == [('GET', LIST)]


def test_check_mode_predicts_a_new_key_and_writes_nothing(run, transport):
    transport.then(answer(body=[]))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key'), check_mode=True)
    assert result['changed'] is True
    assert result['key'] is None
    assert result['added'] == [NEW_KEY]
    assert transport.writes() == []


def test_a_missing_key_is_created_with_one_post(run, transport):
    transport.then(answer(body=[]), answer(201, body=checkout_key(KEY_B, preferred=True)))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key'), diff=True)
    assert transport.writes() == [('POST', LIST)]
    assert transport.bodies('POST') == [{'type': 'deploy-key'}]
    assert result['changed'] is True
    assert result['key']['fingerprint_md5'] == MD5_B
    assert result['added'] == [SHA_B]
    assert result['keys'] == [result['key']]
    assert result['diff']['after']['checkout_keys'][0]['fingerprint_sha256'] == SHA_B


def test_a_project_token_gets_a_clear_message(run, transport):
    transport.then(answer(body=[]), answer(403, body={'message': 'Permission denied'}))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key'))
    assert result['failed'] is True and result['changed'] is False
    assert 'needs a personal API token' in result['msg']
    assert 'project API token' in result['msg']
    assert result['error']['status'] == 403


def test_a_new_key_circleci_does_not_prefer_fails_after_creating_it(run, transport):
    transport.then(answer(body=[]), answer(201, body=checkout_key(KEY_B, preferred=False)))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key', preferred=True))
    assert result['failed'] is True
    assert 'did not make it the preferred key' in result['msg']
    assert result['changed'] is True
    assert result['added'] == [SHA_B]
    assert result['key']['fingerprint_md5'] == MD5_B


def test_absent_deletes_every_key_of_the_type_by_md5_and_a_404_means_gone_already(run, transport):
    transport.on('GET', re.escape(LIST) + '$', answer(body=[checkout_key(KEY_A, preferred=True), checkout_key(KEY_B, preferred=False)]))
    transport.on('DELETE', re.escape(item_path(MD5_A)), answer(body={'message': 'ok'}))
    transport.on('DELETE', re.escape(item_path(MD5_B)), not_found('checkout key not found'))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key', state='absent'))
    assert result['changed'] is True and result['keys'] == []
    assert result['deleted'] == [SHA_A, SHA_B]
    assert transport.writes() == [('DELETE', item_path(MD5_A)), ('DELETE', item_path(MD5_B))]


def test_absent_by_sha256_fingerprint_deletes_that_key_only(run, transport):
    transport.on('GET', re.escape(LIST) + '$', answer(body=[checkout_key(KEY_A, preferred=True), checkout_key(KEY_B, preferred=False)]))
    transport.on('DELETE', re.escape(item_path(MD5_A)), answer(body={'message': 'ok'}))
    result = run('checkout_key', dict(project=SLUG, fingerprint=SHA_A, state='absent'))
    assert result['deleted'] == [SHA_A]
    assert transport.writes() == [('DELETE', item_path(MD5_A))]


def test_a_failed_delete_reports_what_was_deleted_before(run, transport):
    transport.on('GET', re.escape(LIST) + '$', answer(body=[checkout_key(KEY_A, preferred=True), checkout_key(KEY_B, preferred=False)]))
    transport.on('DELETE', re.escape(item_path(MD5_A)), answer(body={'message': 'ok'}))
    transport.on('DELETE', re.escape(item_path(MD5_B)), answer(400, body={'message': 'Invalid fingerprint'}))
    result = run('checkout_key', dict(project=SLUG, type='deploy-key', state='absent'))
    assert result['failed'] is True and result['changed'] is True
    assert result['deleted'] == [SHA_A]
    assert [key['fingerprint_md5'] for key in result['keys']] == [MD5_B]
    assert result['error']['status'] == 400


@pytest.mark.parametrize('args, words', [
    (dict(state='absent', fingerprint='asdf-bogus'), 'is not an MD5 fingerprint'),
    (dict(state='present', type='deploy-key', fingerprint=MD5_A), 'fingerprint is only used with state=absent'),
    (dict(state='present'), 'type'),
])
def test_bad_options_fail_before_any_request(run, transport, args, words):
    result = run('checkout_key', dict(args, project=SLUG))
    assert result['failed'] is True and words in result['msg']
    assert transport.requests() == []


# -- checkout_key_info -------------------------------------------------------------------------------------


@pytest.mark.parametrize('digest, field', [('md5', 'fingerprint_md5'), ('sha256', 'fingerprint_sha256')])
def test_info_fingerprint_is_the_one_of_the_digest_asked(run, transport, digest, field):
    listed = [checkout_key(KEY_A, preferred=False), checkout_key(KEY_B, 'github-user-key', preferred=True, login='acme-bot')]
    if digest == 'sha256':  # CircleCI shows the SHA256 form when asked
        listed = [dict(key, fingerprint=sha) for key, sha in zip(listed, (SHA_A, SHA_B))]
    transport.then(answer(body=listed))
    result = run('checkout_key_info', dict(project=SLUG, digest=digest))
    assert [key['fingerprint'] for key in result['keys']] == [key[field] for key in result['keys']]
    assert [key['fingerprint_sha256'] for key in result['keys']] == [SHA_A, SHA_B]
    assert result['preferred_key']['fingerprint_md5'] == MD5_B
    assert transport.requests() == [('GET', LIST + ('?digest=sha256' if digest == 'sha256' else '?digest=md5'))]


def test_info_of_a_project_without_keys(run, transport):
    transport.then(answer(body=[]))
    result = run('checkout_key_info', dict(project=SLUG))
    assert result['keys'] == [] and result['preferred_key'] is None
