# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhooks: the option rules and the plan (pure), and webhook / webhook_info against scripted API v2 answers."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _webhooks
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._slug import parse_project
from ansible_collections.community.circleci.tests.unit.answers import SLUG
from ansible_collections.community.circleci.tests.unit.fakes import answer, cut, read_timeout, reset

PROJECT = parse_project(SLUG)
PROJECT_ID = 'a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3'
LEDGER_ORG, LEDGER_ID = '311ada03-9e36-4e03-893b-c0f0d7ac28c9', '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
HOOK_ID = 'f07623af-b373-4b3a-a8a2-964f04322549'
NEW_ID = '47d18005-c108-4d08-9bce-cd321c7e0b27'
SECRET = 'whsec-unit-test-secret-4242'
PROJECT_GET = r'^/api/v2/project/github/acme/api$'
LIST = r'^/api/v2/webhook\?'
ITEM = r'^/api/v2/webhook/' + HOOK_ID + '$'


def hook(hook_id=HOOK_ID, name='slack-notify', url='https://hooks.acme.example/circleci', events=('workflow-completed',),
         verify_tls=True, secret='xxxx0123', scope_id=PROJECT_ID, stamps='underscore', updated='2024-05-02T12:00:00.000Z'):
    """A webhook as API v2 answers it: the secret masked, timestamps in the live spelling (or the spec's)."""
    body = {'id': hook_id, 'name': name, 'url': url, 'events': list(events), 'verify-tls': verify_tls, 'signing-secret': secret,
            'scope': {'id': scope_id, 'type': 'project'}}
    keys = {'underscore': ('created_at', 'updated_at'), 'hyphen': ('created-at', 'updated-at')}[stamps]
    body.update({keys[0]: '2024-05-02T12:00:00.000Z', keys[1]: updated})
    return body


def page(*items, token=None):
    return answer(body={'items': list(items), 'next_page_token': token})


def project_answer(project_id=PROJECT_ID):
    return answer(body={'slug': SLUG, 'name': 'api', 'id': project_id, 'organization_name': 'acme', 'organization_slug': 'gh/acme',
                        'organization_id': 'b0de2883-ba52-4530-abc0-d74091c72852',
                        'vcs_info': {'vcs_url': 'https://github.com/acme/api', 'provider': 'GitHub', 'default_branch': 'main'}})


def args(**extra):
    base = dict(project=SLUG, name='slack-notify', url='https://hooks.acme.example/circleci', events=['workflow-completed'],
                signing_secret=SECRET)
    base.update(extra)
    return base


def desired(**extra):
    return dict(dict(verify_tls=True, update_secret='on_create', state='present'), **args(**extra))


def described(**extra):
    return _webhooks.describe(hook(**extra), PROJECT)


def no_secret(result, transport=None):
    """The secret is in no result, no diff and no URL sent."""
    assert SECRET not in json.dumps(result) and SECRET[:-4] not in json.dumps(result)
    if transport is not None:
        assert not any(SECRET in url for url in transport.urls())


# -- option rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize('change, words', [
    (dict(url='http://hooks.acme.example/x'), 'url must be an https URL'),
    (dict(url='https://'), 'url must be an https URL'),
    (dict(url='hooks.acme.example'), 'url must be an https URL'),
    (dict(events=[]), 'events must name at least one'),
    (dict(events=['job-completed', 'job-completed']), 'lists an event twice'),
    (dict(events=['build-completed']), 'unknown build-completed'),
    (dict(signing_secret=''), 'signing_secret must be a non-empty string'),
    (dict(signing_secret=None), 'signing_secret missing'),
    (dict(name=' padded'), 'starts or ends with white space'),
    (dict(name=''), 'name must be a non-empty string'),
    (dict(state='absent'), 'url, events, signing_secret are only used with state=present'),
])
def test_check_options_refuses(change, words):
    with pytest.raises(InputError, match=words):
        _webhooks.check_options(desired(**change))


def test_check_options_accepts_a_webhook_to_delete_by_name_alone():
    _webhooks.check_options(dict(name='slack-notify', state='absent', url=None, events=None, signing_secret=None))


# -- reading ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize('stamps', ['underscore', 'hyphen'])
def test_describe_reads_both_timestamp_spellings_and_masks_the_secret(stamps):
    one = _webhooks.describe(hook(stamps=stamps, secret='whsec-emulator-0123', updated='2024-06-01T00:00:00.000Z'), PROJECT)
    assert one['created_at'] == '2024-05-02T12:00:00.000Z' and one['updated_at'] == '2024-06-01T00:00:00.000Z'
    assert one['signing_secret'] == 'xxxx0123'  # masked again, even if an answer ever held it in clear
    assert one['verify_tls'] is True and one['scope'] == {'id': PROJECT_ID, 'type': 'project'} and one['project'] == SLUG


# -- the plan (pure) ---------------------------------------------------------------------------------------


def test_plan_nothing_to_do_when_right_whatever_the_event_order():
    current = [described(events=('job-completed', 'workflow-completed'))]
    steps = _webhooks.plan(current, desired(events=['workflow-completed', 'job-completed']))
    assert steps['action'] is None and steps['fields'] == [] and steps['after'] == current[0]


def test_plan_creates_a_missing_webhook_with_every_field():
    steps = _webhooks.plan([described(name='other')], desired(name='deploy'))
    assert steps['action'] == 'create'
    assert steps['fields'] == ['url', 'events', 'verify_tls', 'signing_secret']
    assert steps['after']['signing_secret'] == 'xxxx4242' and steps['after']['id'] is None


def test_plan_updates_only_the_differing_fields():
    steps = _webhooks.plan([described(verify_tls=False)], desired(url='https://new.example/hook'))
    assert steps['action'] == 'update' and steps['fields'] == ['url', 'verify_tls']
    assert steps['after']['url'] == 'https://new.example/hook' and steps['after']['signing_secret'] == 'xxxx0123'
    assert _webhooks.body_of(desired(url='https://new.example/hook'), steps['fields']) == {
        'url': 'https://new.example/hook', 'verify-tls': True}


def test_plan_update_secret_on_create_never_rewrites_an_existing_secret():
    assert _webhooks.plan([described()], desired(update_secret='on_create'))['action'] is None


def test_plan_update_secret_always_rewrites_it():
    steps = _webhooks.plan([described()], desired(update_secret='always'))
    assert steps['action'] == 'update' and steps['fields'] == ['signing_secret']
    assert steps['after']['signing_secret'] == 'xxxx4242'


def test_plan_absent_deletes_every_webhook_of_the_name():
    current = [described(), described(hook_id=NEW_ID), described(hook_id='x', name='other')]
    steps = _webhooks.plan(current, dict(name='slack-notify', state='absent'))
    assert steps['action'] == 'delete' and [one['id'] for one in steps['delete']] == [HOOK_ID, NEW_ID]
    assert _webhooks.plan(current, dict(name='nope', state='absent'))['action'] is None


def test_plan_refuses_to_guess_between_webhooks_of_the_same_name():
    with pytest.raises(InputError, match='2 webhooks of gh/acme/api are named slack-notify .*%s, %s' % (HOOK_ID, NEW_ID)):
        _webhooks.plan([described(), described(hook_id=NEW_ID)], desired())


# -- the modules against scripted answers ------------------------------------------------------------------------


def test_a_webhook_that_is_right_costs_two_gets(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook()))
    result = run('webhook', args(), diff=True)
    assert result['changed'] is False and result['unchanged'] == ['slack-notify'] and result['api_requests'] == 2
    assert transport.requests() == [('GET', '/api/v2/project/github/acme/api'),
                                    ('GET', '/api/v2/webhook?scope-id=%s&scope-type=project' % PROJECT_ID)]
    assert result['diff']['before'] == result['diff']['after']
    assert result['diff']['before']['signing_secret'] == '(set)'
    no_secret(result, transport)


def test_a_circleci_project_needs_no_project_read(run, transport):
    ledger = 'circleci/%s/%s' % (LEDGER_ORG, LEDGER_ID)
    transport.on('GET', LIST, page(hook(scope_id=LEDGER_ID)))
    result = run('webhook', args(project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc'))
    assert result['changed'] is False and result['api_requests'] == 1
    assert transport.requests() == [('GET', '/api/v2/webhook?scope-id=%s&scope-type=project' % LEDGER_ID)]
    assert result['project'] == ledger


def test_create_sends_all_six_fields_once(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page())
    transport.on('POST', r'^/api/v2/webhook$', answer(201, body=hook(hook_id=NEW_ID, secret='xxxx4242')))
    result = run('webhook', args(), diff=True)
    assert result['changed'] is True and result['added'] == ['slack-notify'] and result['api_requests'] == 3
    assert transport.bodies('POST') == [{'name': 'slack-notify', 'url': 'https://hooks.acme.example/circleci',
                                         'events': ['workflow-completed'], 'verify-tls': True, 'signing-secret': SECRET,
                                         'scope': {'id': PROJECT_ID, 'type': 'project'}}]
    assert result['webhook']['id'] == NEW_ID and result['webhook']['signing_secret'] == 'xxxx4242'
    assert result['diff'] == {'before': {}, 'after': {'name': 'slack-notify', 'url': 'https://hooks.acme.example/circleci',
                                                      'events': ['workflow-completed'], 'verify_tls': True,
                                                      'signing_secret': '(new value)'}}
    no_secret(result)


def test_check_mode_predicts_a_creation_and_sends_no_write(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page())
    result = run('webhook', args(), check_mode=True, diff=True)
    assert result['changed'] is True and result['added'] == ['slack-notify'] and transport.writes() == []
    assert result['webhook']['scope'] == {'id': PROJECT_ID, 'type': 'project'} and result['webhook']['id'] is None
    no_secret(result)


def test_update_sends_one_put_with_the_differing_fields_only(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook(verify_tls=False)))
    transport.on('PUT', ITEM, answer(body=hook(events=('workflow-completed', 'job-completed'))))
    result = run('webhook', args(events=['job-completed', 'workflow-completed']), diff=True)
    assert result['changed'] is True and result['updated'] == ['slack-notify'] and result['api_requests'] == 3
    assert transport.bodies('PUT') == [{'events': ['job-completed', 'workflow-completed'], 'verify-tls': True}]
    assert result['changed_fields'] == ['events', 'verify_tls']
    assert result['diff']['before']['verify_tls'] is False and result['diff']['after']['verify_tls'] is True
    assert result['diff']['after']['signing_secret'] == '(set)'


def test_update_secret_always_sends_the_secret_in_the_put_and_never_shows_it(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook()))
    transport.on('PUT', ITEM, answer(body=hook(secret='xxxx4242')))
    result = run('webhook', args(update_secret='always'), diff=True)
    assert result['changed'] is True and transport.bodies('PUT') == [{'signing-secret': SECRET}]
    assert result['diff']['after']['signing_secret'] == '(new value)' and result['webhook']['signing_secret'] == 'xxxx4242'
    no_secret(result, transport)


def test_delete_and_delete_again(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook()), page())
    transport.on('DELETE', ITEM, answer(body={'message': 'Webhook deleted.'}))
    first = run('webhook', dict(project=SLUG, name='slack-notify', state='absent'))
    second = run('webhook', dict(project=SLUG, name='slack-notify', state='absent'))
    assert first['changed'] is True and first['deleted'] == ['slack-notify'] and first['webhook'] is None
    assert second['changed'] is False and second['unchanged'] == ['slack-notify']
    assert transport.writes() == [('DELETE', '/api/v2/webhook/' + HOOK_ID)]


def test_lists_are_followed_page_after_page(run, transport):
    transport.on('GET', PROJECT_GET, project_answer())
    transport.on('GET', LIST + r'.*page-token=p2', page(hook()))
    transport.on('GET', LIST, page(hook(hook_id=NEW_ID, name='other'), token='p2'))
    result = run('webhook_info', dict(project=SLUG))
    assert [one['name'] for one in result['webhooks']] == ['other', 'slack-notify'] and result['api_requests'] == 3


@pytest.mark.parametrize('loss', [reset, read_timeout, lambda: answer(500, body={'message': 'boom'}), lambda: cut(201)])
def test_a_lost_create_answer_is_read_back_and_never_sent_twice(run, transport, loss):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(), page(hook(hook_id=NEW_ID, secret='xxxx4242')))
    transport.on('POST', r'^/api/v2/webhook$', loss())
    result = run('webhook', args())
    assert result.get('failed') is None and result['changed'] is True and result['webhook']['id'] == NEW_ID
    assert len(transport.requests('POST')) == 1 and result['api_requests'] == 4


def test_a_lost_create_that_did_not_land_fails_as_not_applied(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page())
    transport.on('POST', r'^/api/v2/webhook$', reset())
    result = run('webhook', args())
    assert result['failed'] is True and result['changed'] is False and result['error']['outcome'] == 'not_applied'
    assert 'POST /api/v2/webhook failed' in result['msg'] and len(transport.requests('POST')) == 1
    no_secret(result)


def test_a_lost_secret_only_update_is_settled_by_updated_at(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook()))
    transport.on('PUT', ITEM, reset()).on('GET', ITEM, answer(body=hook(updated='2024-06-01T00:00:00.000Z')))
    result = run('webhook', dict(args(update_secret='always'), retries=0))
    assert result.get('failed') is None and result['changed'] is True and result['updated'] == ['slack-notify']


def test_an_unknown_project_fails_naming_the_request(run, transport):
    transport.on('GET', r'^/api/v2/project/', answer(404, body={'message': 'Project not found'}))
    result = run('webhook_info', dict(project='gh/acme/nope'))
    assert result['failed'] is True and 'GET /api/v2/project/github/acme/nope failed with HTTP 404' in result['msg']


def test_bad_input_fails_before_any_request(run, transport):
    result = run('webhook', args(url='http://insecure.example/hook'))
    assert result['failed'] is True and 'https URL' in result['msg'] and transport.requests() == []


def test_webhook_info_filters_by_name_and_masks(run, transport):
    transport.on('GET', PROJECT_GET, project_answer()).on('GET', LIST, page(hook(secret='whsec-emulator-0123'), hook(hook_id=NEW_ID, name='x')))
    result = run('webhook_info', dict(project=SLUG, name='slack-notify'))
    assert [one['id'] for one in result['webhooks']] == [HOOK_ID] and result['webhooks'][0]['signing_secret'] == 'xxxx0123'
    assert 'whsec-emulator' not in json.dumps(result)
