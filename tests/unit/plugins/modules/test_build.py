# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The build module end to end against scripted answers: trigger, retry, cancel, waiting and check mode."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.circleci.tests.unit.answers import PATH, SLUG, build, running
from ansible_collections.community.circleci.tests.unit.fakes import answer, reset

TREE_MAIN = PATH + '/tree/main'


def queued(num, **extra):
    return build(num, 'not_running', 'not_running', None, **extra)


def test_trigger_in_check_mode_posts_nothing_and_describes_the_request(run, transport):
    transport.then(answer(body=[build(300)]))
    result = run('build', dict(project=SLUG, branch='feature/login', build_parameters={'TOKEN': 'secret'}), check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['request'] == {'method': 'POST', 'path': '/project/github/acme/api/tree/feature%2Flogin',
                                 'body': {'build_parameters': {'TOKEN': '********'}}}
    assert result['diff']['after']['build_num'] == '(new)'
    assert transport.requests() == [('GET', PATH + '?limit=1&shallow=true')]
    assert 'secret' not in json.dumps(result)


def test_trigger_posts_once_and_masks_the_answer(run, transport):
    transport.then(answer(201, body=queued(301, build_parameters={'TOKEN': 'secret'})))
    result = run('build', dict(project=SLUG, branch='main', parallel=2, build_parameters={'TOKEN': 'secret'}))
    assert result['changed'] is True
    assert transport.requests() == [('POST', TREE_MAIN)]
    assert transport.bodies() == [{'parallel': 2, 'build_parameters': {'TOKEN': 'secret'}}]
    assert (result['build_num'], result['outcome']) == (301, None)
    assert result['build']['build_parameters'] == {'TOKEN': '********'}
    assert 'secret' not in json.dumps(result)


def test_trigger_and_wait_fails_on_a_failed_outcome_with_the_url(run, transport, clock):
    transport.then(answer(201, body=queued(302)), answer(body=running(302)), answer(body=build(302, status='failed', outcome='failed')))
    result = run('build', dict(project=SLUG, branch='always-fails', wait=True, poll_interval=5))
    assert result['failed'] is True
    assert 'https://circleci.com/gh/acme/api/302' in result['msg']
    assert result['changed'] is True
    assert result['outcome'] == 'failed'
    assert clock.sleeps == [5, 5]


def test_trigger_and_wait_tolerates_outcomes_not_listed(run, transport):
    transport.then(answer(201, body=queued(302)), answer(body=build(302, status='failed', outcome='failed')))
    result = run('build', dict(project=SLUG, branch='always-fails', wait=True, fail_on_outcome=[]))
    assert 'failed' not in result
    assert result['outcome'] == 'failed'


def test_trigger_and_wait_times_out_naming_the_build(run, transport, clock):
    transport.then(answer(201, body=queued(303)), answer(body=running(303)), answer(body=running(303)))
    result = run('build', dict(project=SLUG, branch='main', wait=True, wait_timeout=20, poll_interval=10))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('Build 303 of acme/api did not finish within 20 s')
    assert sum(clock.sleeps) == 20


def test_a_reset_trigger_is_not_sent_again_and_says_a_build_may_exist(run, transport):
    transport.then(reset())
    result = run('build', dict(project=SLUG, branch='main'))
    assert result['failed'] is True
    assert 'a build may have been created all the same' in result['msg'].lower()
    assert 'not repeated' in result['msg'] and result['changed'] is True
    assert result['request']['path'] == '/project/github/acme/api/tree/main'
    assert len(transport.requests('POST')) == 1


@pytest.mark.parametrize('body, words', [
    ({'status': 200, 'body': 'Build created'}, None),
    ({'status': 400, 'body': 'Branch not found'}, 'carries status 400 (Branch not found)'),
    ({'message': 'ok'}, 'no status'),
])
def test_pipeline_checks_the_embedded_status(run, transport, body, words):
    transport.then(answer(200, body=body))
    result = run('build', dict(project=SLUG, branch='main', pipeline=True))
    assert transport.requests() == [('POST', PATH + '/build')]
    if words is None:
        assert 'failed' not in result
        assert result['message'] == 'Build created'
        assert result['changed'] is True
    else:
        assert result['failed'] is True
        assert words in result['msg']
        assert result['changed'] is False


@pytest.mark.parametrize('state, changed', [
    (running(7), True),
    (build(7, 'queued', 'queued', None), True),
    (build(7), False),
    (build(7, status='canceled', outcome='canceled'), False),
    (build(7, 'not_run', 'not_run', None), False),
])
@pytest.mark.parametrize('check_mode', [True, False])
def test_cancel_is_idempotent(run, transport, state, changed, check_mode):
    transport.then(answer(body=state), answer(body=build(7, status='canceled', outcome='canceled')))
    result = run('build', dict(project=SLUG, action='cancel', build_num=7), check_mode=check_mode)
    assert result['changed'] is changed
    writes = 1 if changed and not check_mode else 0
    assert transport.writes() == [('POST', PATH + '/7/cancel')] * writes
    if writes:
        assert result['outcome'] == 'canceled'


def test_a_cancel_answered_503_is_sent_again(run, transport):
    transport.then(answer(body=running(7)), answer(503, body={'message': 'Service Unavailable'}),
                   answer(body=build(7, status='canceled', outcome='canceled')))
    result = run('build', dict(project=SLUG, action='cancel', build_num=7))
    assert result['changed'] is True and result['outcome'] == 'canceled'
    assert len(transport.requests('POST')) == 2


@pytest.mark.parametrize('ssh, suffix', [(False, 'retry'), (True, 'ssh')])
def test_retry_in_check_mode_reads_the_build_and_posts_nothing(run, transport, ssh, suffix):
    transport.then(answer(body=build(300)))
    result = run('build', dict(project=SLUG, action='retry', build_num=300, ssh=ssh), check_mode=True)
    assert result['changed'] is True
    assert result['request']['path'] == '/project/github/acme/api/300/' + suffix
    assert transport.writes() == []


@pytest.mark.parametrize('ssh, suffix', [(False, 'retry'), (True, 'ssh')])
def test_retry_posts_once_and_returns_the_new_build(run, transport, ssh, suffix):
    transport.then(answer(body=queued(301, retry_of=300)))
    result = run('build', dict(project=SLUG, action='retry', build_num=300, ssh=ssh))
    assert result['build']['retry_of'] == 300 and result['build_num'] == 301
    assert transport.requests() == [('POST', PATH + '/300/' + suffix)]


def test_add_ssh_user(run, transport):
    transport.then(answer(body=running(300, ssh_users=[{'login': 'acme-bot'}])))
    result = run('build', dict(project=SLUG, action='add_ssh_user', build_num=300))
    assert result['changed'] is True and result['build_num'] == 300
    assert transport.requests() == [('POST', PATH + '/300/ssh-users')]


@pytest.mark.parametrize('params, words', [
    (dict(action='cancel', build_num=1, branch='main'), 'branch only applies to action=trigger'),
    (dict(action='retry', build_num=1, tag='v1', parallel=2), 'tag, parallel only apply to action=trigger'),
    (dict(action='cancel', build_num=1, ssh=True), 'ssh only applies to action=retry'),
    (dict(action='trigger', build_num=1), 'build_num does not apply to action=trigger'),
    (dict(action='trigger', pipeline=True, wait=True), 'wait cannot be used with pipeline=true'),
    (dict(action='trigger', poll_interval=0.0), 'poll_interval must be at least 0.05'),
    (dict(action='trigger', branch='  '), 'branch must not be empty'),
    (dict(action='trigger', parallel=0), 'parallel must be at least 1'),
    (dict(action='trigger', pipeline=True, build_parameters={'A': 'b'}), 'neither build_parameters nor parallel'),
    (dict(action='cancel'), 'build_num'),
])
def test_options_that_do_not_fit_are_refused_before_any_request(run, transport, params, words):
    result = run('build', dict(params, project=SLUG))
    assert result['failed'] is True and words in result['msg']
    assert transport.requests() == []
