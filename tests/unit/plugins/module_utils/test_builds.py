# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Builds: states, outcomes, trigger requests, masks and test summaries (pure); polling and listing on the scripted transport."""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.community.circleci.plugins.module_utils._builds import (
    DEFAULT_FAIL_ON_OUTCOME,
    MASK,
    WaitTimeout,
    build_brief,
    cancel_plan,
    check_build_created,
    describe_request,
    is_terminal,
    list_builds,
    mask_build_parameters,
    outcome_failure,
    outcome_of,
    summarize_tests,
    trigger_request,
    wait_for_build,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError, ServerError
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.tests.unit.fakes import answer

API = Project('github', 'acme', 'api')


def build(num=1, lifecycle='finished', status='success', outcome='success'):
    return {'build_num': num, 'lifecycle': lifecycle, 'status': status, 'outcome': outcome, 'username': 'acme',
            'reponame': 'api', 'build_url': 'https://circleci.com/gh/acme/api/%d' % num}


# -- terminal state and outcome -------------------------------------------------------------------

@pytest.mark.parametrize('lifecycle, status, outcome, expected', [
    ('finished', 'success', 'success', True),
    ('finished', 'failed', 'failed', True),
    ('not_run', 'not_run', None, True),
    ('queued', 'canceled', 'canceled', True),  # right after a cancel, as in the API reference
    ('finished', 'fixed', None, True),
    ('queued', 'queued', None, False),
    ('not_running', 'not_running', None, False),
    ('scheduled', 'scheduled', None, False),
    ('running', 'running', None, False),
])
def test_is_terminal(lifecycle, status, outcome, expected):
    assert is_terminal(build(lifecycle=lifecycle, status=status, outcome=outcome)) is expected


def test_is_terminal_of_nothing():
    assert is_terminal(None) is False
    assert is_terminal({}) is False


@pytest.mark.parametrize('lifecycle, status, outcome, expected', [
    ('finished', 'success', 'success', 'success'),
    ('finished', 'fixed', None, 'success'),
    ('finished', 'failed', None, 'failed'),
    ('queued', 'canceled', 'canceled', 'canceled'),
    ('not_run', 'not_run', None, 'not_run'),
    ('running', 'running', None, None),
    ('finished', 'retried', None, None),
])
def test_outcome_of(lifecycle, status, outcome, expected):
    assert outcome_of(build(lifecycle=lifecycle, status=status, outcome=outcome)) == expected


def test_default_fail_on_outcome_is_everything_but_success():
    assert 'success' not in DEFAULT_FAIL_ON_OUTCOME
    assert set(DEFAULT_FAIL_ON_OUTCOME) == {'failed', 'canceled', 'infrastructure_fail', 'timedout', 'no_tests', 'not_run'}


def test_outcome_failure_names_the_build_and_its_url():
    failed = build(num=301, status='failed', outcome='failed')
    message = outcome_failure(failed, DEFAULT_FAIL_ON_OUTCOME)
    assert message == ('Build 301 of acme/api finished with outcome failed (status failed): '
                       'https://circleci.com/gh/acme/api/301')
    assert outcome_failure(failed, []) is None
    assert outcome_failure(failed, ['canceled']) is None
    assert outcome_failure(build(), DEFAULT_FAIL_ON_OUTCOME) is None
    assert outcome_failure(build(lifecycle='running', status='running', outcome=None), DEFAULT_FAIL_ON_OUTCOME) is None


def test_cancel_plan():
    assert cancel_plan(build(lifecycle='running', status='running', outcome=None))[0] is True
    assert cancel_plan(build(lifecycle='queued', status='queued', outcome=None))[0] is True
    changed, reason = cancel_plan(build(num=7, status='canceled', outcome='canceled'))
    assert changed is False
    assert reason == 'build 7 is already over (status canceled)'
    assert cancel_plan(build(status='success'))[0] is False


# -- trigger request shaping ---------------------------------------------------------------------

def test_trigger_branch_is_one_encoded_segment():
    template, args, body = trigger_request(API, branch='feature/login', revision='abc123', parallel=2,
                                           build_parameters={'RUN_EXTRA': 'true', 'COUNT': '3', 'NAME': 'x'})
    assert (template, args) == ('project/{}/tree/{}', (API, 'feature/login'))
    assert body == {'revision': 'abc123', 'parallel': 2, 'build_parameters': {'RUN_EXTRA': 'true', 'COUNT': '3', 'NAME': 'x'}}
    described = describe_request('POST', template, args, body)
    assert described == {'method': 'POST', 'path': '/project/github/acme/api/tree/feature%2Flogin',
                         'body': {'revision': 'abc123', 'parallel': 2,
                                  'build_parameters': {'RUN_EXTRA': MASK, 'COUNT': MASK, 'NAME': MASK}}}
    assert body['build_parameters']['NAME'] == 'x'  # describing does not change the real body


@pytest.mark.parametrize('value, words', [
    (True, 'build_parameters.P: the value must be a string, not a boolean: quote it'),
    (3, 'build_parameters.P: the value must be a string, not a number: quote it'),
    (1.5, 'build_parameters.P: the value must be a string, not a number: quote it'),
    ({'a': 'b'}, 'build_parameters.P: the value must be a string, not a dictionary'),
    (['a'], 'build_parameters.P: the value must be a string, not a list'),
])
def test_trigger_refuses_build_parameters_that_are_not_strings(value, words):
    with pytest.raises(InputError) as caught:
        trigger_request(API, branch='main', build_parameters={'P': value})
    assert words in str(caught.value)


def test_trigger_tag_or_revision_posts_to_the_project():
    assert trigger_request(API, tag='v1.0') == ('project/{}', (API,), {'tag': 'v1.0'})
    assert trigger_request(API, revision='abc') == ('project/{}', (API,), {'revision': 'abc'})
    assert trigger_request(API) == ('project/{}', (API,), {})


def test_trigger_pipeline_uses_the_build_processing_endpoint():
    assert trigger_request(API, branch='main', revision='abc', pipeline=True) == (
        'project/{}/build', (API,), {'branch': 'main', 'revision': 'abc'})
    assert trigger_request(API, tag='v2', pipeline=True) == ('project/{}/build', (API,), {'tag': 'v2'})


@pytest.mark.parametrize('kwargs, words', [
    (dict(tag='v1', revision='abc'), 'tag and revision'),
    (dict(tag='v1', branch='main'), 'tag and branch'),
    (dict(branch='main', parallel=0), 'parallel must be at least 1'),
    (dict(branch='main', build_parameters=['A']), 'build_parameters must be a dictionary'),
    (dict(branch='main', build_parameters={'A': 1}), 'quote it'),
    (dict(branch='main', pipeline=True, build_parameters={'A': 'b'}), 'neither build_parameters nor parallel'),
    (dict(branch='main', pipeline=True, parallel=2), 'neither build_parameters nor parallel'),
])
def test_trigger_rejects_what_circleci_rejects(kwargs, words):
    with pytest.raises(InputError, match=words):
        trigger_request(API, **kwargs)


def test_check_build_created():
    assert check_build_created({'status': 200, 'body': 'Build created'}) == (True, 'Build created')
    assert check_build_created({'status': '200', 'body': 'Build created'}) == (True, 'Build created')
    created, message = check_build_created({'status': 400, 'body': 'Branch not found'})
    assert created is False and 'carries status 400 (Branch not found)' in message
    for answer_ in ({'message': 'ok'}, None, ['Build created']):
        created, message = check_build_created(answer_)
        assert created is False and 'no status' in message


# -- masks -------------------------------------------------------------------------------------------

def test_mask_build_parameters_hides_values_only():
    summary = build(5)
    summary['build_parameters'] = {'TOKEN': 'secret', 'MODE': 'fast'}
    assert mask_build_parameters(summary)['build_parameters'] == {'TOKEN': MASK, 'MODE': MASK}
    assert summary['build_parameters']['TOKEN'] == 'secret'  # the build read stays as it was
    for empty in (None, {}):
        assert mask_build_parameters(dict(summary, build_parameters=empty))['build_parameters'] == empty
    assert mask_build_parameters(None) is None


def test_build_brief_has_the_identifying_fields_only():
    assert build_brief(build(7, status='failed', outcome='failed')) == {
        'build_num': 7, 'build_url': 'https://circleci.com/gh/acme/api/7', 'branch': None, 'vcs_revision': None,
        'vcs_tag': None, 'lifecycle': 'finished', 'status': 'failed', 'outcome': 'failed'}
    assert build_brief(None) == {}


# -- waiting -------------------------------------------------------------------------------------

BUILD_5 = '/api/v1.1/project/github/acme/api/5'


def test_wait_polls_until_the_build_is_over(client, transport, clock):
    api = client([answer(body=build(5, 'running', 'running', None)), answer(body=build(5, 'running', 'running', None)),
                  answer(body=build(5, 'finished', 'failed', 'failed'))])
    final = wait_for_build(api, API, 5, timeout=60, interval=2, build=build(5, 'queued', 'queued', None),
                           clock=clock.clock, sleep=clock.sleep)
    assert final['outcome'] == 'failed'
    assert transport.requests() == [('GET', BUILD_5)] * 3
    assert clock.sleeps == [2, 2, 2]


def test_wait_without_a_known_state_reads_first(client, transport, clock):
    api = client([answer(body=build(5))])
    assert wait_for_build(api, API, 5, timeout=60, interval=2, clock=clock.clock, sleep=clock.sleep)['outcome'] == 'success'
    assert len(transport.requests()) == 1
    assert clock.sleeps == []


def test_wait_on_a_finished_build_makes_no_request(client, transport):
    api = client([])
    assert wait_for_build(api, API, 5, timeout=60, interval=2, build=build(5))['build_num'] == 5
    assert transport.requests() == []


def test_wait_times_out_with_the_build_url(client, transport, clock):
    api = client([answer(body=build(9, 'running', 'running', None))] * 3)
    with pytest.raises(WaitTimeout) as caught:
        wait_for_build(api, API, 9, timeout=5, interval=2, build=build(9, 'queued', 'queued', None),
                       clock=clock.clock, sleep=clock.sleep)
    assert clock.sleeps == [2, 2, 1]  # the last sleep stops at the deadline
    assert len(transport.requests()) == 3
    assert caught.value.build['status'] == 'running'
    assert str(caught.value) == ('Build 9 of acme/api did not finish within 5 s (last status running): '
                                 'https://circleci.com/gh/acme/api/9')


def test_wait_reads_again_after_an_answer_that_is_not_a_build(client, transport, clock):
    api = client([answer(body=['not', 'a', 'build']), answer(body=build(5))])
    final = wait_for_build(api, API, 5, timeout=60, interval=2, build=build(5, 'running', 'running', None),
                           clock=clock.clock, sleep=clock.sleep)
    assert final['outcome'] == 'success' and len(transport.requests()) == 2


# -- listing and pagination ----------------------------------------------------------------------

@pytest.mark.parametrize('kwargs, path, query', [
    (dict(), '/api/v1.1/recent-builds', {'limit': '30', 'offset': '0'}),
    (dict(project=API, limit=25, offset=5), '/api/v1.1/project/github/acme/api', {'limit': '25', 'offset': '5'}),
    (dict(project=API, branch='feature/login', build_filter='failed', shallow=True),
     '/api/v1.1/project/github/acme/api/tree/feature%2Flogin', {'filter': 'failed', 'shallow': 'true', 'limit': '30', 'offset': '0'}),
])
def test_list_builds_picks_the_endpoint(client, transport, kwargs, path, query):
    api = client([answer(body=[build(1)])])
    assert list_builds(api, **kwargs) == [build(1)]
    sent = urlsplit(transport.sent[0].url)
    assert (sent.path, dict(parse_qsl(sent.query))) == (path, query)


def serve_builds(total, failures=None):
    """A step serving ``total`` builds newest first, honouring limit and offset; request N may fail with a status."""
    failures = dict(failures or {})
    lock = threading.Lock()
    served = []

    def step(request):
        query = dict(parse_qsl(urlsplit(request.url).query))
        with lock:
            served.append((urlsplit(request.url).path, query))
            number = len(served)
        if number in failures:
            return answer(failures.pop(number), body={'message': 'Service Unavailable'})
        limit, offset = int(query['limit']), int(query['offset'])
        return answer(body=[{'build_num': num} for num in list(range(total, 0, -1))[offset:offset + limit]])

    step.served = served
    return step


def test_paginate_250_builds_in_three_requests_in_order(client):
    step = serve_builds(total=300)
    api = client([step] * 50, max_concurrency=4, retries=2)
    builds = list_builds(api, project=API, limit=250, build_filter='completed')
    assert [item['build_num'] for item in builds] == list(range(300, 50, -1))
    assert api.request_count == 3
    pages = sorted((int(query['offset']), int(query['limit']), query['filter']) for dummy, query in step.served)
    assert pages == [(0, 100, 'completed'), (100, 100, 'completed'), (200, 50, 'completed')]
    assert {path for path, dummy in step.served} == {'/api/v1.1/project/github/acme/api'}


def test_paginate_with_offset_and_short_last_page(client):
    step = serve_builds(total=120)
    api = client([step] * 50, max_concurrency=4, retries=2)
    builds = list_builds(api, project=API, branch='feature/login', limit=250, offset=10)
    assert [item['build_num'] for item in builds] == list(range(110, 0, -1))
    assert {path for path, dummy in step.served} == {'/api/v1.1/project/github/acme/api/tree/feature%2Flogin'}


def test_paginate_retries_a_failed_page_and_keeps_order(client):
    api = client([serve_builds(total=300, failures={2: 503})] * 50, max_concurrency=4, retries=2)
    builds = list_builds(api, limit=300)
    assert [item['build_num'] for item in builds] == list(range(300, 0, -1))
    assert api.retry_count == 1
    assert api.request_count == 4


def test_paginate_fails_when_a_page_keeps_failing(client):
    api = client([serve_builds(total=300, failures={number: 503 for number in range(1, 20)})] * 50, max_concurrency=4, retries=2)
    with pytest.raises(ServerError, match='HTTP 503'):
        list_builds(api, limit=300)


# -- test metadata summary -----------------------------------------------------------------------

def test_summarize_tests():
    tests = [
        {'name': 'a', 'classname': 'c', 'result': 'success', 'run_time': 0.5, 'message': None},
        {'name': 'b', 'classname': 'c', 'result': 'failure', 'run_time': 2.0, 'message': 'boom'},
        {'name': 'c', 'classname': 'c', 'result': 'skipped', 'run_time': 0.0},
        {'name': 'd', 'classname': 'c', 'result': 'error', 'run_time': 1.0, 'message': 'crash'},
        {'name': 'e', 'classname': 'c', 'result': 'success', 'run_time': 2.0},
        {'name': 'f', 'classname': 'c', 'result': None, 'run_time': None},
    ]
    summary = summarize_tests(tests, slowest=3)
    assert summary['total'] == 6
    assert summary['counts'] == {'success': 2, 'failure': 1, 'skipped': 1, 'error': 1, 'unknown': 1}
    assert summary['failed'] == 2
    assert [(test['name'], test['message']) for test in summary['failures']] == [('b', 'boom'), ('d', 'crash')]
    assert [test['name'] for test in summary['slowest']] == ['b', 'e', 'd']  # ties keep CircleCI's order
    assert summary['run_time'] == 5.5


def test_summarize_no_tests():
    assert summarize_tests([], slowest=10) == {'total': 0, 'counts': {}, 'failed': 0, 'failures': [], 'slowest': [], 'run_time': 0}
    assert summarize_tests([{'name': 'a', 'result': 'success', 'run_time': 1}], slowest=0)['slowest'] == []
