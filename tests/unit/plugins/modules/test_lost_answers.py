# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes whose answer was lost: the task is changed exactly when the write landed, as reading back shows.

Each write is answered by a connection reset, a read timeout, an HTTP 500 or a 2xx whose body is cut off;
the module then reads the resource again. The result is ``changed`` exactly when the write landed (or may
have, when reading back cannot tell); never ``failed`` with ``changed: false`` after a write that was made.
A creating POST (checkout key, SSH key, build trigger and retry) is sent once, whatever the retries.
Overwriting writes are retried by the client, so they run here with ``retries: 0`` to lose the answer for good.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.community.circleci.tests.unit.answers import (
    KEY_B,
    MD5_B,
    PATH,
    PRIVATE,
    PUBLIC,
    SHA_B,
    SHA_P,
    SLUG,
    build,
    checkout_key,
    env_vars,
    me,
    running,
    settings,
    ssh_key,
)
from ansible_collections.community.circleci.tests.unit.fakes import answer, cut, read_timeout, reset

# A read timeout leaves the request possibly still running at CircleCI: a read-back that does not show it
# yet proves nothing, so the outcome stays unknown (and counts as a change).
STILL_RUNNING = ('read-timeout',)
LOSSES = {
    'reset': reset,
    'read-timeout': read_timeout,
    '500': lambda: answer(500, body={'message': 'Internal Server Error'}),
    'cut-off-2xx': lambda: cut(200, text='{"name": "NEW", "val'),
}
SEED = env_vars(API_KEY='xxxx6789', SHORT='xxxx')
CANCELED = build(7, status='canceled', outcome='canceled')


def keys_configured(*keys):
    return answer(body=settings(ssh_keys=[ssh_key(hostname, line) for hostname, line in keys]))


def scenario(module, args, before, landed, not_landed, check, creates=False):
    """A module run with one write: what is read ``before`` it, and what reading back shows when it ``landed`` or not;
    ``check`` tells a landed result is right, ``creates`` that the write is a creating POST."""
    return SimpleNamespace(module=module, args=args, before=before, landed=landed, not_landed=not_landed, check=check,
                           creates=creates)


WRITES = {
    'env_var': scenario(
        'env_var', dict(project=SLUG, name='NEW', value='new-value', retries=0),
        before=[answer(body=SEED)],
        landed=[answer(body=env_vars(API_KEY='xxxx6789', NEW='xxxxalue', SHORT='xxxx'))],
        not_landed=[answer(body=SEED)],
        check=lambda result: result['added'] == ['NEW'] and result['failures'] == []),
    'checkout_key': scenario(
        'checkout_key', dict(project=SLUG, type='deploy-key'),
        before=[answer(body=[])],
        landed=[answer(body=[checkout_key(KEY_B)])],
        not_landed=[answer(body=[])],
        check=lambda result: result['added'] == [SHA_B] and result['key']['fingerprint_md5'] == MD5_B,
        creates=True),
    'ssh_key': scenario(
        'ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE),
        before=[keys_configured()],
        landed=[keys_configured(('h', PUBLIC))],
        not_landed=[keys_configured()],
        check=lambda result: result['added'] == [SHA_P],
        creates=True),
    'project': scenario(
        'project', dict(project=SLUG, retries=0),
        before=[answer(body=settings(followed=False))],
        landed=[answer(body=settings(followed=True))],
        not_landed=[answer(body=settings(followed=False))],
        check=lambda result: result['followed'] is True),
    'heroku_key': scenario(
        'heroku_key', dict(api_key='0000-1a2b', retries=0),
        before=[answer(body=me('xxxx9z8y'))],
        landed=[answer(body=me('xxxx1a2b'))],
        not_landed=[answer(body=me('xxxx9z8y'))],
        check=lambda result: result['heroku_api_key'] == 'xxxx1a2b'),
    'build-cancel': scenario(
        'build', dict(project=SLUG, action='cancel', build_num=7, retries=0),
        before=[answer(body=running(7))],
        landed=[answer(body=CANCELED), answer(body=CANCELED)],
        not_landed=[answer(body=running(7))],
        check=lambda result: result['outcome'] == 'canceled'),
}


def params():
    for name, write in WRITES.items():
        for landed in (True, False):
            for loss in LOSSES:
                yield pytest.param(name, landed, loss, id='%s-%s-%s' % (name, 'landed' if landed else 'not-landed', loss))


@pytest.mark.parametrize('name, landed, loss', list(params()))
def test_a_write_whose_answer_was_lost_is_changed_exactly_when_it_landed(run, transport, name, landed, loss):
    write = WRITES[name]
    transport.then(*write.before + [LOSSES[loss]()] + (write.landed if landed else write.not_landed))
    result = run(write.module, write.args)
    assert result['changed'] is (landed or loss in STILL_RUNNING)
    if landed:
        assert 'failed' not in result, result['msg']
        assert write.check(result)
    else:
        assert result['failed'] is True
    if write.creates:
        assert len(transport.requests('POST')) == 1


def test_env_var_reports_an_unknown_outcome_when_reading_back_cannot_tell(run, transport):
    # Rewriting a value whose masked form does not change: the variables read back look the same either way.
    transport.then(answer(body=SEED), reset(), answer(body=SEED))
    result = run('env_var', dict(project=SLUG, name='API_KEY', value='sk_live_0123456789', update_value='always', retries=0))
    assert result['failed'] is True and result['changed'] is True
    assert [(failure['name'], failure['outcome']) for failure in result['failures']] == [('API_KEY', 'unknown')]


def test_heroku_key_reports_an_unknown_outcome_when_reading_back_cannot_tell(run, transport):
    # force=true with a key that ends like the one set: both look the same once masked.
    transport.then(answer(body=me('xxxx1a2b')), reset(), answer(body=me('xxxx1a2b')))
    result = run('heroku_key', dict(api_key='9999-1a2b', force=True, retries=0))
    assert result['failed'] is True and result['changed'] is True
    assert result['error']['outcome'] == 'unknown'


@pytest.mark.parametrize('loss', LOSSES)
@pytest.mark.parametrize('action, args, path', [
    ('trigger', dict(branch='main'), PATH + '/tree/main'),
    ('retry', dict(build_num=300), PATH + '/300/retry'),
])
def test_a_build_trigger_or_retry_whose_answer_was_lost_is_sent_once_and_may_have_created_a_build(run, transport, action, args, path, loss):
    transport.then(LOSSES[loss]())
    result = run('build', dict(args, project=SLUG, action=action))
    assert result['failed'] is True and result['changed'] is True
    assert 'a build may have been created all the same' in result['msg'].lower()
    assert transport.requests() == [('POST', path)]
    assert result['error']['outcome'] == ('applied' if loss == 'cut-off-2xx' else 'unknown')


@pytest.mark.parametrize('landed', [True, False], ids=['landed', 'not-landed'])
@pytest.mark.parametrize('loss', LOSSES)
def test_a_lost_ssh_key_delete_is_settled_by_reading_back(run, transport, landed, loss):
    after = keys_configured() if landed else keys_configured(('h', PUBLIC))
    transport.then(keys_configured(('h', PUBLIC)), LOSSES[loss](), after)
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, state='absent', retries=0))
    assert result['changed'] is (landed or loss in STILL_RUNNING)
    assert ('failed' not in result) is landed


@pytest.mark.parametrize('landed', [True, False], ids=['landed', 'not-landed'])
@pytest.mark.parametrize('loss', LOSSES)
def test_a_lost_checkout_key_delete_is_settled_by_reading_back(run, transport, landed, loss):
    after = answer(body=[]) if landed else answer(body=[checkout_key(KEY_B)])
    transport.then(answer(body=[checkout_key(KEY_B)]), LOSSES[loss](), after)
    result = run('checkout_key', dict(project=SLUG, type='deploy-key', state='absent', retries=0))
    assert result['changed'] is (landed or loss in STILL_RUNNING)


@pytest.mark.parametrize('landed', [True, False], ids=['landed', 'not-landed'])
def test_a_lost_env_var_delete_is_settled_by_reading_back(run, transport, landed):
    after = env_vars(API_KEY='xxxx6789') if landed else SEED
    transport.then(answer(body=SEED), reset(), answer(body=after))
    result = run('env_var', dict(project=SLUG, name='SHORT', state='absent', retries=0))
    assert result['changed'] is landed
    assert result['deleted'] == (['SHORT'] if landed else [])
    assert ('failed' not in result) is landed


def test_env_var_never_succeeds_with_changes_left_unattempted(run, transport):
    transport.then(answer(body=SEED), reset(), answer(body=env_vars(API_KEY='xxxx6789', NEW='xxxxalue', SHORT='xxxx')),
                   answer(body={'message': 'ok'}))
    result = run('env_var', dict(project=SLUG, variables=[dict(name='NEW', value='new-value'), dict(name='SHORT', state='absent')],
                                 retries=0))
    assert result.get('failed') or result['not_attempted'] == []
