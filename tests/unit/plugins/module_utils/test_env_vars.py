# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Env vars: masks, validation, plans and drift (pure), and env_var / env_var_info against scripted answers."""

from __future__ import annotations

import json
import re
import threading

import pytest

from ansible_collections.community.circleci.plugins.module_utils._env_vars import (
    describe_drift,
    drift_report,
    mask,
    normalize_expected,
    plan_env_vars,
    validate_variables,
    value_problem,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.tests.unit.answers import PATH, SLUG, env_vars, masked, not_found
from ansible_collections.community.circleci.tests.unit.fakes import API, answer

SEED = env_vars(API_KEY='xxxx6789',       # sk_live_0123456789
                DATABASE_URL='xxxx/api',  # postgres://db.internal/api
                SHORT='xxxx')             # abc
LIST = PATH + '/envvar'


def present(name, value):
    return {'name': name, 'value': value, 'state': 'present'}


def absent(name):
    return {'name': name, 'value': None, 'state': 'absent'}


def created(request):
    """POST .../envvar: 201 with the masked value and a Location, as recorded."""
    body = json.loads(request.body)
    return answer(201, body={'name': body['name'], 'value': masked(body['value'])},
                  headers={'Location': '%s/project/github/acme/api/envvar/%s' % (API, body['name'])})


OK = answer(body={'message': 'ok'})  # DELETE .../envvar/:name


def listed(current=None):
    """GET .../envvar."""
    return answer(body=SEED if current is None else current)


# -- mask -----------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('', 'xxxx'),
    ('a', 'xxxx'),
    ('abc', 'xxxx'),           # shorter than 4: the API shows xxxx alone
    ('abcd', 'xxxxabcd'),      # exactly 4: the whole value shows
    ('testvalue', 'xxxxalue'),  # as recorded against circleci.com
    ('sk_live_0123456789', 'xxxx6789'),
    ('pässwörd', 'xxxxwörd'),   # code points, not bytes
    ('日本語の値です', 'xxxxの値です'),
    ('ab€', 'xxxx'),
    (None, 'xxxx'),
])
def test_mask(value, expected):
    assert mask(value) == expected


# -- validate_variables ---------------------------------------------------------------------

def test_validate_accepts_good_variables():
    assert validate_variables([present('A', 'x'), present('_b9', ''), absent('GONE'), {'name': 'C', 'value': 'v'}]) == []


@pytest.mark.parametrize('name', ['9LIVES', 'HAS-DASH', 'with space', 'DOT.NAME', 'ÜBER', '', 'TRAILING\n', ' LEADING'])
def test_validate_rejects_bad_names(name):
    errors = validate_variables([present(name, 'v')])
    assert len(errors) == 1
    assert ('not valid' in errors[0]) or ('has no name' in errors[0])


def test_validate_rejects_duplicates_naming_the_items():
    errors = validate_variables([present('A', '1'), present('B', '2'), absent('A')])
    assert errors == ['variable A is listed 2 times (items 1, 3): list each name once']


def test_validate_needs_value_when_present_only():
    errors = validate_variables([present('A', None), absent('B'), {'name': 'C', 'state': 'present', 'value': 5}])
    assert errors == ['variable A: a value is required when state is present',
                      'variable C: the value must be a string, not a number: quote it in YAML (value: "5"), or add "| string" to a template']


@pytest.mark.parametrize('value, words', [
    (True, 'not a boolean: quote it in YAML (value: "true")'),
    (False, 'not a boolean: quote it in YAML (value: "false")'),
    (1.10, 'not a number: quote it in YAML (value: "1.1")'),
    (8080, 'not a number: quote it in YAML (value: "8080")'),
    ({'a': 1}, 'not a dictionary'),
    (['a'], 'not a list'),
])
def test_value_problem_refuses_what_yaml_made_of_unquoted_text(value, words):
    assert words in value_problem(value)


def test_value_problem_accepts_any_string():
    assert [value_problem(value) for value in ('', 'true', '1.10', 'x' * 1000)] == [None] * 4


# -- plan_env_vars --------------------------------------------------------------------------

def test_plan_noop_for_the_seed_reports_unverified():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('DATABASE_URL', 'postgres://db.internal/api'),
                                present('SHORT', 'abc')])
    assert not plan.changed
    assert [c.name for c in plan.unchanged] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    assert plan.unverified == ['API_KEY', 'DATABASE_URL', 'SHORT']
    reasons = {c.name: c.reason for c in plan.unchanged}
    assert 'only the last 4 characters' in reasons['API_KEY']
    assert 'shorter than 4' in reasons['SHORT']
    assert plan.diff() == {'before': {'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'},
                           'after': {'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'}}


def test_same_suffix_different_value_is_unverified_and_unchanged():
    plan = plan_env_vars(SEED, [present('API_KEY', 'a-completely-different-secret-6789')])
    assert not plan.changed
    assert plan.unverified == ['API_KEY']
    assert [c.name for c in plan.unchanged] == ['API_KEY']


def test_short_value_versus_short_stored_is_unverified_but_versus_long_is_update():
    plan = plan_env_vars(SEED, [present('SHORT', 'xyz'), present('API_KEY', 'xyz')])
    assert plan.unverified == ['SHORT']
    assert [(c.name, c.action) for c in plan.update] == [('API_KEY', 'update')]
    assert plan.update[0].reason == 'the stored value xxxx6789 differs from the desired xxxx'


def test_exactly_four_characters_against_short_stored_is_update():
    plan = plan_env_vars(SEED, [present('SHORT', 'abcd')])
    assert [c.name for c in plan.update] == ['SHORT']
    assert plan.diff()['after']['SHORT'] == 'xxxxabcd'


def test_add_update_delete_and_absent_of_missing():
    plan = plan_env_vars(SEED, [present('NEW', 'value-1'), present('API_KEY', 'sk_live_9999999990'), absent('SHORT'), absent('NEVER_SET')])
    assert [c.name for c in plan.add] == ['NEW']
    assert [c.name for c in plan.update] == ['API_KEY']
    assert [c.name for c in plan.delete] == ['SHORT']
    assert [(c.name, c.reason) for c in plan.unchanged] == [('NEVER_SET', 'absent already')]
    assert plan.unverified == []
    assert plan.changed
    diff = plan.diff()
    assert diff['after'] == {'API_KEY': 'xxxx9990', 'DATABASE_URL': 'xxxx/api', 'NEW': 'xxxxue-1'}
    assert 'value-1' not in repr(diff) and 'sk_live_9999999990' not in repr(diff)


def test_absent_of_missing_variable_is_no_change():
    plan = plan_env_vars(SEED, [absent('NOT_THERE')])
    assert not plan.changed
    assert plan.to_result()['unchanged'] == ['NOT_THERE']


def test_purge_deletes_unlisted_only():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('NEW', 'n')], purge=True)
    assert [c.name for c in plan.delete] == ['DATABASE_URL', 'SHORT']
    assert all(c.reason == 'not listed, and purge is true' for c in plan.delete)
    assert [c.name for c in plan.add] == ['NEW']
    assert plan.after == {'API_KEY': 'xxxx6789', 'NEW': 'xxxx'}


def test_purge_with_empty_list_deletes_everything():
    plan = plan_env_vars(SEED, [], purge=True)
    assert [c.name for c in plan.delete] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    assert plan.after == {}


def test_without_purge_unlisted_are_kept():
    plan = plan_env_vars(SEED, [present('NEW', 'n')])
    assert plan.delete == []
    assert set(plan.after) == {'API_KEY', 'DATABASE_URL', 'SHORT', 'NEW'}


def test_update_value_always_writes_every_present_variable():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('NEW', 'n'), absent('GONE')], update_value='always')
    assert [c.name for c in plan.update] == ['API_KEY']
    assert [c.name for c in plan.add] == ['NEW']
    assert plan.changed
    assert plan.unverified == []


def test_update_value_on_create_never_updates_existing():
    plan = plan_env_vars(SEED, [present('API_KEY', 'totally-different'), present('NEW', 'n')], update_value='on_create')
    assert plan.update == []
    assert [c.name for c in plan.add] == ['NEW']
    assert [c.name for c in plan.unchanged] == ['API_KEY']
    assert plan.unverified == []
    assert 'on_create' in plan.unchanged[0].reason


def test_update_value_when_masked_differs_updates_on_different_suffix():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456780')])
    assert [c.name for c in plan.update] == ['API_KEY']


def test_plan_refuses_bad_input():
    with pytest.raises(InputError, match='Invalid variables, nothing was sent: variable A is listed 2 times'):
        plan_env_vars(SEED, [present('A', '1'), present('A', '2')])


def test_result_never_holds_a_clear_value():
    secret = 'super-secret-value-42'
    result = plan_env_vars(SEED, [present('NEW', secret), present('API_KEY', secret)]).to_result()
    assert secret not in repr(result)
    assert result['added'] == ['NEW'] and result['updated'] == ['API_KEY']
    assert {'name': 'NEW', 'value': 'xxxxe-42'} in result['env_vars']
    assert [step['action'] for step in result['plan']] == ['add', 'update']


# -- env_var: requests ------------------------------------------------------------------------------


def test_a_noop_costs_one_get(run, transport):
    transport.then(listed())
    result = run('env_var', dict(project=SLUG, name='API_KEY', value='sk_live_0123456789'))
    assert transport.requests() == [('GET', LIST)]
    assert result['changed'] is False
    assert result['unverified'] == ['API_KEY'] and result['unchanged'] == ['API_KEY']
    assert (result['added'], result['updated'], result['deleted']) == ([], [], [])
    assert result['project'] == SLUG


def test_k_changes_cost_one_plus_k_requests(run, transport):
    transport.then(listed(), created, created, OK)
    result = run('env_var', dict(project=SLUG, variables=[present('A', 'aaaa1'), present('B', 'bbbb2'), absent('SHORT')]))
    assert len(transport.requests()) == 4
    assert result['changed'] is True and result['added'] == ['A', 'B'] and result['deleted'] == ['SHORT']
    assert result['env_vars'] == [{'name': 'A', 'value': 'xxxxaaa1'}, {'name': 'API_KEY', 'value': 'xxxx6789'},
                                  {'name': 'B', 'value': 'xxxxbbb2'}, {'name': 'DATABASE_URL', 'value': 'xxxx/api'}]


def test_writes_are_single_posts_and_deletions_come_last(run, transport):
    transport.then(listed(), created, created, OK)
    result = run('env_var', dict(project=SLUG, variables=[absent('SHORT'), present('NEW', 'new-value'), present('API_KEY', 'other-value')]))
    assert (result['added'], result['updated'], result['deleted']) == (['NEW'], ['API_KEY'], ['SHORT'])
    assert transport.writes() == [('POST', LIST), ('POST', LIST), ('DELETE', LIST + '/SHORT')]
    assert transport.bodies('POST') == [{'name': 'NEW', 'value': 'new-value'}, {'name': 'API_KEY', 'value': 'other-value'}]


def test_a_write_is_never_a_delete_and_a_create(run, transport):
    transport.then(listed(), created)
    run('env_var', dict(project=SLUG, name='API_KEY', value='sk_live_rotated_0000'))
    assert transport.writes() == [('POST', LIST)]


def test_an_overwrite_answered_503_is_sent_again(run, transport):
    transport.then(listed(), answer(503, body={'message': 'Service Unavailable'}), created)
    result = run('env_var', dict(project=SLUG, name='NEW', value='new-value'))
    assert result['changed'] is True and result['added'] == ['NEW']
    assert transport.writes() == [('POST', LIST), ('POST', LIST)]
    assert result['api_retries'] == 1


def test_check_mode_sends_no_write(run, transport):
    transport.then(listed())
    result = run('env_var', dict(project=SLUG, variables=[present('A', 'a'), absent('SHORT')], purge=True), check_mode=True)
    assert transport.writes() == []
    assert result['changed'] is True
    assert result['added'] == ['A'] and result['deleted'] == ['SHORT', 'API_KEY', 'DATABASE_URL']


def test_a_variable_deleted_meanwhile_counts_as_deleted(run, transport):
    transport.then(listed(), not_found('env var not found'))
    result = run('env_var', dict(project=SLUG, name='SHORT', state='absent'))
    assert result['changed'] is True and result['deleted'] == ['SHORT'] and result['failures'] == []


def test_the_diff_shows_masked_values_only(run, transport):
    transport.then(listed(), created)
    result = run('env_var', dict(project=SLUG, name='API_KEY', value='sk_live_9999999990'), diff=True)
    assert result['diff']['before']['API_KEY'] == 'xxxx6789' and result['diff']['after']['API_KEY'] == 'xxxx9990'
    assert 'sk_live_9999999990' not in json.dumps(result)


def test_no_diff_outside_diff_mode(run, transport):
    transport.then(listed(), created)
    assert 'diff' not in run('env_var', dict(project=SLUG, name='NEW', value='new-value'))


# -- env_var: failures -------------------------------------------------------------------------------


def rate_limited():
    return answer(429, text='Rate limited.')


def test_a_failing_write_stops_the_others_and_skips_the_deletions(run, transport):
    transport.then(listed(), created, rate_limited())
    desired = [present('N1', 'v1'), present('N2', 'v2'), present('N3', 'v3'), present('N4', 'v4')]
    result = run('env_var', dict(project=SLUG, variables=desired, purge=True, retries=0))
    assert result['failed'] is True and result['changed'] is True
    assert result['added'] == ['N1']
    assert [(f['name'], f['action'], f['status'], f['outcome']) for f in result['failures']] == [('N2', 'add', 429, 'not_applied')]
    assert 'HTTP 429' in result['failures'][0]['reason']
    assert result['not_attempted'] == ['N3', 'N4', 'API_KEY', 'DATABASE_URL', 'SHORT']
    assert result['deleted'] == []
    assert [method for method, dummy in transport.requests()] == ['GET', 'POST', 'POST']


def test_a_partial_failure_says_what_was_applied_failed_and_not_attempted(run, transport):
    transport.then(listed(), created, rate_limited())
    desired = [present('A', 'a1234'), present('B', 'b1234'), present('C', 'c1234'), absent('SHORT')]
    result = run('env_var', dict(project=SLUG, variables=desired, retries=0), diff=True)
    assert result['changed'] is True
    assert result['added'] == ['A'] and result['not_attempted'] == ['C', 'SHORT']
    assert result['diff']['after'] == {'A': 'xxxx1234', 'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'}
    assert result['msg'].startswith('Environment variables of gh/acme/api were only partly converged. applied: added A. '
                                    'failed: add B: POST /project/github/acme/api/envvar failed with HTTP 429')
    assert 'not attempted: C, SHORT' in result['msg']
    assert 'running the task again converges the rest' in result['msg']


def test_a_refused_first_write_changes_nothing(run, transport):
    transport.then(listed(), answer(403, body={'message': 'Permission denied'}))
    result = run('env_var', dict(project=SLUG, name='A', value='a1234'))
    assert result['failed'] is True and result['changed'] is False
    assert result['failures'][0]['status'] == 403
    assert result['msg'].startswith('Environment variables of gh/acme/api were not converged. applied: nothing. failed: add A: POST')
    assert result['msg'].endswith('Running the task again retries every change.')


def test_a_failing_delete_is_reported_and_stops_the_others(run, transport):
    transport.then(listed(), answer(403, body={'message': 'Permission denied'}))
    result = run('env_var', dict(project=SLUG, variables=[absent('SHORT'), absent('API_KEY')]))
    assert [(f['name'], f['status']) for f in result['failures']] == [('SHORT', 403)]
    assert result['not_attempted'] == ['API_KEY'] and result['deleted'] == []


def test_on_the_modules_pool_every_change_is_accounted_for(run, transport):
    posts, lock = [], threading.Lock()

    def third_fails(request):
        with lock:
            posts.append(json.loads(request.body)['name'])
            number = len(posts)
        return rate_limited() if number == 3 else created(request)

    transport.on('GET', re.escape(LIST) + '$', listed()).on('POST', re.escape(LIST) + '$', third_fails).on('DELETE', '/envvar/', OK)
    desired = [present('N%d' % number, 'value-%d' % number) for number in range(1, 11)] + [absent('SHORT')]
    result = run('env_var', dict(project=SLUG, variables=desired, retries=0), workers=4)
    assert len(result['failures']) == 1
    assert 'SHORT' in result['not_attempted'] and result['deleted'] == []
    assert transport.requests('DELETE') == []
    names = result['added'] + [failure['name'] for failure in result['failures']] + result['not_attempted']
    assert sorted(names) == sorted(['N%d' % number for number in range(1, 11)] + ['SHORT'])
    assert sorted(result['added']) == sorted(name for name in posts if name != result['failures'][0]['name'])


def test_on_the_modules_pool_writes_all_land_before_the_deletions(run, transport):
    transport.on('GET', re.escape(LIST) + '$', listed()).on('POST', re.escape(LIST) + '$', created).on('DELETE', '/envvar/', OK)
    desired = [present('N%d' % number, 'value-%d' % number) for number in range(1, 11)]
    result = run('env_var', dict(project=SLUG, variables=desired, purge=True), workers=4)
    assert result['added'] == ['N%d' % number for number in range(1, 11)]
    assert result['deleted'] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    assert [method for method, dummy in transport.requests()] == ['GET'] + ['POST'] * 10 + ['DELETE'] * 3


def test_a_list_answer_of_another_shape_fails_naming_the_request(run, transport):
    transport.then(answer(body={'message': 'odd'}))
    result = run('env_var', dict(project=SLUG, name='A', value='a'))
    assert result['failed'] is True
    assert result['msg'].startswith('GET /project/github/acme/api/envvar failed with HTTP 200. The answer should be a JSON list')


def test_an_unknown_project_fails_with_circlecis_message(run, transport):
    transport.then(answer(404, body={'message': '{"message":"Not Found","documentation_url":"https://developer.github.com/v3"}'}))
    result = run('env_var', dict(project='gh/acme/nope', name='A', value='a'))
    assert result['failed'] is True and 'CircleCI says: GitHub: Not Found' in result['msg']
    assert result['error']['status'] == 404


@pytest.mark.parametrize('status', [307, 308])
def test_a_post_redirected_to_another_origin_is_refused_and_nothing_goes_there(run, transport, status):
    transport.then(listed(), answer(status, headers={'Location': 'https://collector.example.net/envvar'}))
    result = run('env_var', dict(project=SLUG, name='SECRET', value='super-secret-value'))
    assert result['failed'] is True and result['changed'] is False
    assert 'https://circleci.example.com:443' in result['msg'] and 'https://collector.example.net:443' in result['msg']
    assert [url.split('/')[2] for url in transport.urls()] == ['circleci.example.com', 'circleci.example.com']
    assert 'super-secret-value' not in json.dumps(result)


# -- env_var: input refused before any request ----------------------------------------------------------


@pytest.mark.parametrize('args, words', [
    (dict(variables=[present('BAD-NAME', 'x')]), 'variable BAD-NAME: the name is not valid'),
    (dict(variables=[present('A', '1'), absent('A')]), 'variable A is listed 2 times'),
    (dict(name='A'), 'variable A: a value is required when state is present'),
    (dict(variables='A=1'), 'variables'),
    (dict(variables=[{'name': 'A', 'value': 'x', 'state': 'gone'}]), 'state'),
    (dict(name='A', value='x', update_value='sometimes'), 'update_value'),
    (dict(name='A', variables=[present('B', 'x')]), 'mutually exclusive'),
])
def test_unusable_input_is_refused_before_any_request(run, transport, args, words):
    result = run('env_var', dict(args, project=SLUG))
    assert result['failed'] is True and words in result['msg']
    assert transport.requests() == []


# -- env_var_info ------------------------------------------------------------------------------------


def test_info_of_one_project(run, transport):
    transport.then(listed())
    result = run('env_var_info', dict(project=SLUG))
    assert result['env_vars'] == SEED and 'drift' not in result and 'projects' not in result
    assert transport.requests() == [('GET', LIST)]


def test_info_of_one_project_with_a_drift_report(run, transport):
    transport.then(listed())
    result = run('env_var_info', dict(project=SLUG, expected={'API_KEY': 'wrong-suffix', 'MISSING_ONE': None}, expected_names=['SHORT']))
    assert result['drift'] == {'missing': ['MISSING_ONE'], 'unexpected': ['DATABASE_URL'], 'masked_mismatch': ['API_KEY'],
                               'unverified': [], 'in_sync': False}
    assert result['in_sync'] is False and result['changed'] is False


def test_info_of_many_projects_reads_each_once_and_reports_the_unreadable(run, transport):
    transport.on('GET', '/acme/api/envvar', listed()).on('GET', '/acme/nope/envvar', not_found('Project not found'))
    result = run('env_var_info', dict(projects=[SLUG, 'gh/acme/nope', 'github/acme/api'], expected_names=['API_KEY']))
    assert result['failed'] is True
    assert [entry['project'] for entry in result['projects']] == [SLUG]
    assert set(result['projects'][0]) == {'project', 'env_vars', 'drift'}
    assert [(entry['project'], entry['error']['status']) for entry in result['failed_projects']] == [('gh/acme/nope', 404)]
    assert set(result['failed_projects'][0]) == {'project', 'reason', 'error'}
    assert 'Project not found' in result['failed_projects'][0]['reason']
    assert len(transport.requests()) == 2


def test_info_fails_on_drift_only_when_asked(run, transport):
    transport.on('GET', '/envvar', listed())
    assert run('env_var_info', dict(project=SLUG, expected_names=['API_KEY']))['in_sync'] is False
    result = run('env_var_info', dict(project=SLUG, expected_names=['API_KEY'], fail_on_drift=True))
    assert result['failed'] is True
    assert result['msg'] == ('Environment variables drifted from expected in 1 of 1 project: '
                             'gh/acme/api: unexpected: DATABASE_URL, SHORT.')
    assert run('env_var_info', dict(project=SLUG, expected_names=['API_KEY'], fail_on_drift=True, allow_unexpected=True))['in_sync'] is True


def test_info_fail_on_drift_needs_something_to_compare_with(run, transport):
    result = run('env_var_info', dict(project=SLUG, fail_on_drift=True))
    assert result['failed'] is True and 'fail_on_drift needs expected or expected_names' in result['msg']
    assert transport.requests() == []


# -- drift ----------------------------------------------------------------------------------

def test_drift_in_sync_with_unverified_values():
    report = drift_report(SEED, {'API_KEY': 'sk_live_0123456789', 'DATABASE_URL': None, 'SHORT': 'xyz'})
    assert report == {'missing': [], 'unexpected': [], 'masked_mismatch': [], 'unverified': ['API_KEY', 'SHORT'], 'in_sync': True}


def test_drift_reports_each_kind():
    report = drift_report(SEED, {'API_KEY': 'wrong-suffix', 'MISSING_ONE': '', 'SHORT': None})
    assert report == {'missing': ['MISSING_ONE'], 'unexpected': ['DATABASE_URL'], 'masked_mismatch': ['API_KEY'],
                      'unverified': [], 'in_sync': False}
    assert describe_drift('gh/acme/api', report) == \
        'gh/acme/api: missing: MISSING_ONE; unexpected: DATABASE_URL; value differs (masked form): API_KEY'
    assert describe_drift('gh/acme/api', drift_report(SEED, normalize_expected(['API_KEY', 'DATABASE_URL', 'SHORT']))) is None


def test_drift_names_only_list():
    report = drift_report(SEED, normalize_expected(['API_KEY', 'OTHER']))
    assert report['missing'] == ['OTHER'] and report['unexpected'] == ['DATABASE_URL', 'SHORT'] and report['unverified'] == []


def test_normalize_expected():
    assert normalize_expected({'A': 'v', 'B': None, 'C': ''}) == {'A': 'v', 'B': None, 'C': None}
    assert normalize_expected(['A', 'B']) == {'A': None, 'B': None}


@pytest.mark.parametrize('expected, words', [
    ('A', 'expected must be a dict of name: value'),
    ({'D': 5}, 'expected: D: the value must be a string, not a number: quote it'),
    ({'BAD-NAME': 'v'}, "the name 'BAD-NAME' is not valid"),
    ({'TRAILING\n': None}, 'is not valid'),
])
def test_normalize_expected_refuses(expected, words):
    with pytest.raises(InputError) as caught:
        normalize_expected(expected)
    assert words in str(caught.value)


def test_drift_report_can_allow_unexpected_names():
    current = [{'name': 'A', 'value': 'xxxx1234'}, {'name': 'EXTRA', 'value': 'xxxxabcd'}]
    strict = drift_report(current, {'A': 'value-1234'})
    lenient = drift_report(current, {'A': 'value-1234'}, allow_unexpected=True)
    assert strict['unexpected'] == lenient['unexpected'] == ['EXTRA']
    assert not strict['in_sync']
    assert lenient['in_sync']
    assert not drift_report(current, {'B': None}, allow_unexpected=True)['in_sync']
