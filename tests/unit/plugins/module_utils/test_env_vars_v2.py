# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment variables of circleci/<org id>/<project id> projects, served through API v2.

The same plan, results and guarantees as through API v1.1 for a GitHub project (each test runs both and compares),
with v2's shapes: paged lists ({items, next_page_token}), ``created-at`` on every item, 404 for an unknown name.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.circleci.tests.unit.answers import masked
from ansible_collections.community.circleci.tests.unit.fakes import answer, read_timeout

CLOUD = 'circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01'
V2_LIST = '/api/v2/project/circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01/envvar'
V1_LIST = '/api/v1.1/project/github/acme/api/envvar'
SEEDED = {'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'}
T0 = '2024-05-02T12:00:00.000Z'
T1 = '2024-06-01T09:30:00.000Z'
RESULT_KEYS = ('changed', 'added', 'updated', 'deleted', 'unchanged', 'unverified', 'failures', 'not_attempted', 'plan',
               'env_vars', 'diff')


def v2_items(stored, created=None):
    return [{'name': name, 'value': value, 'created-at': (created or {}).get(name, T0)} for name, value in sorted(stored.items())]


def script(transport, kind, stored, pages=1, created=None):
    """Answer the list (paged in v2), writes and deletions of one project of ``kind`` (v1 or v2)."""
    if kind == 'v1':
        transport.on('GET', V1_LIST + '$', answer(body=[{'name': n, 'value': v} for n, v in sorted(stored.items())]))
        transport.on('POST', V1_LIST + '$', lambda request: answer(201, body=dict(json.loads(request.body), value='xxxx')))
        transport.on('DELETE', V1_LIST + '/', answer(body={'message': 'ok'}))
        return
    items = v2_items(stored, created)
    size = max(1, -(-len(items) // pages))
    chunks = [items[index:index + size] for index in range(0, len(items), size)] or [[]]
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        pattern = V2_LIST + ('\\?page-token=t%d$' % index if index else '$')
        transport.on('GET', pattern, answer(body={'items': chunk, 'next_page_token': None if last else 't%d' % (index + 1)}))
    transport.on('POST', V2_LIST + '$', lambda request: answer(201, body={
        'name': json.loads(request.body)['name'], 'value': masked(json.loads(request.body)['value']), 'created-at': T1}))
    transport.on('DELETE', V2_LIST + '/', answer(body={'message': 'Environment variable deleted.'}))


def converge(run, transport, kind, args, stored=None, **options):
    script(transport, kind, SEEDED if stored is None else stored, pages=options.pop('pages', 1))
    project = CLOUD if kind == 'v2' else 'gh/acme/api'
    return run('env_var', dict(args, project=project), **options)


MIXED = dict(variables=[dict(name='API_KEY', value='sk_live_rotated_0000'), dict(name='NEW_ONE', value='fresh-value'),
                        dict(name='SHORT', state='absent'), dict(name='DATABASE_URL', value='postgres://db.internal/api')])


@pytest.mark.parametrize('options', [dict(), dict(check_mode=True), dict(diff=True)], ids=['real', 'check', 'diff'])
def test_a_circleci_project_gets_the_same_plan_and_result_as_a_github_one(run, transport, options):
    github = converge(run, transport, 'v1', MIXED, **dict(options))
    transport.load({})
    transport.sent.clear()
    cloud = converge(run, transport, 'v2', MIXED, **dict(options))
    assert {key: cloud.get(key) for key in RESULT_KEYS} == {key: github.get(key) for key in RESULT_KEYS}
    assert cloud['project'] == CLOUD and cloud['changed'] is True


def test_through_v2_the_list_is_read_page_by_page_then_one_request_per_change(run, transport):
    result = converge(run, transport, 'v2', MIXED, pages=3)
    requests = transport.requests()
    assert requests[:3] == [('GET', V2_LIST), ('GET', V2_LIST + '?page-token=t1'), ('GET', V2_LIST + '?page-token=t2')]
    assert sorted(requests[3:]) == [('DELETE', V2_LIST + '/SHORT'), ('POST', V2_LIST), ('POST', V2_LIST)]
    assert requests[-1] == ('DELETE', V2_LIST + '/SHORT')  # deletions last
    assert result['api_requests'] == 6 and result['added'] == ['NEW_ONE'] and result['updated'] == ['API_KEY']
    assert sorted(body['name'] for body in transport.bodies('POST')) == ['API_KEY', 'NEW_ONE']


def test_through_v2_check_mode_sends_no_write_and_converged_variables_cost_the_reads_only(run, transport):
    check = converge(run, transport, 'v2', MIXED, check_mode=True)
    assert transport.writes() == [] and check['changed'] is True
    transport.load({})
    transport.sent.clear()
    done = converge(run, transport, 'v2', dict(variables=[dict(name='DATABASE_URL', value='postgres://db.internal/api')]))
    assert transport.requests() == [('GET', V2_LIST)] and done['changed'] is False and done['unverified'] == ['DATABASE_URL']


def test_through_v2_a_variable_already_gone_counts_as_deleted(run, transport):
    script(transport, 'v2', SEEDED)
    transport.on('DELETE', V2_LIST + '/', answer(404, body={'message': 'Environment variable not found.'}))
    result = run('env_var', dict(project=CLOUD, name='SHORT', state='absent'))
    assert result['changed'] is True and result['deleted'] == ['SHORT'] and 'failed' not in result


def test_through_v2_a_lost_overwrite_with_the_same_masked_value_is_settled_by_created_at(run, transport):
    # update_value=always rewrites API_KEY with a value of the same masked form: only created-at can tell it landed.
    transport.on('GET', V2_LIST + '$', answer(body={'items': v2_items(SEEDED), 'next_page_token': None}),
                 answer(body={'items': v2_items(SEEDED, {'API_KEY': T1}), 'next_page_token': None}))
    transport.on('POST', V2_LIST + '$', read_timeout())
    result = run('env_var', dict(project=CLOUD, name='API_KEY', value='sk_test_other_6789', update_value='always', retries=0))
    assert 'failed' not in result and result['changed'] is True and result['updated'] == ['API_KEY']
    assert transport.requests() == [('GET', V2_LIST), ('POST', V2_LIST), ('GET', V2_LIST)]


def test_through_v11_the_same_lost_overwrite_stays_unknown(run, transport):
    transport.on('GET', V1_LIST + '$', answer(body=[{'name': n, 'value': v} for n, v in sorted(SEEDED.items())]))
    transport.on('POST', V1_LIST + '$', read_timeout())
    result = run('env_var', dict(project='gh/acme/api', name='API_KEY', value='sk_test_other_6789', update_value='always', retries=0))
    assert result['failed'] is True and result['changed'] is True and result['failures'][0]['outcome'] == 'unknown'


def test_through_v2_a_lost_write_whose_created_at_did_not_move_stays_unknown(run, transport):
    transport.on('GET', V2_LIST + '$', answer(body={'items': v2_items(SEEDED), 'next_page_token': None}))
    transport.on('POST', V2_LIST + '$', read_timeout())
    result = run('env_var', dict(project=CLOUD, name='API_KEY', value='sk_test_other_6789', update_value='always', retries=0))
    assert result['failed'] is True and result['failures'][0]['outcome'] == 'unknown'
    assert 'POST /api/v2/project/%s/envvar failed' % CLOUD in result['msg']


def test_a_v2_list_of_another_shape_fails_naming_the_request(run, transport):
    transport.on('GET', V2_LIST, answer(body=[{'name': 'A', 'value': 'xxxx'}]))
    result = run('env_var', dict(project=CLOUD, name='A', value='alpha'))
    assert result['failed'] is True and result['msg'].startswith('GET /api/v2/project/%s/envvar failed' % CLOUD)


def test_env_var_info_reads_github_through_v11_and_circleci_projects_through_v2(run, transport):
    script(transport, 'v2', {'LEDGER_DB_URL': 'xxxx/db'})
    transport.on('GET', V1_LIST + '$', answer(body=[{'name': 'API_KEY', 'value': 'xxxx6789'}]))
    result = run('env_var_info', dict(projects=['gh/acme/api', CLOUD], expected_names=['API_KEY'], allow_unexpected=True))
    assert sorted(transport.requests()) == [('GET', V1_LIST), ('GET', V2_LIST)]
    assert [(entry['project'], entry['env_vars'], entry['drift']['missing']) for entry in result['projects']] == [
        ('gh/acme/api', [{'name': 'API_KEY', 'value': 'xxxx6789'}], []),
        (CLOUD, [{'name': 'LEDGER_DB_URL', 'value': 'xxxx/db'}], ['API_KEY'])]


def test_project_tokens_refused_by_v2_fail_with_the_token_hint(run, transport):
    transport.on('GET', V2_LIST, answer(401, body={'message': 'Invalid token provided.'}))
    result = run('env_var', dict(project=CLOUD, name='A', value='alpha'))
    assert result['failed'] is True and 'HTTP 401' in result['msg'] and 'Invalid token provided.' in result['msg']
