# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.community.circleci.plugins.module_utils._builds import (
    DEFAULT_FAIL_ON_OUTCOME,
    MASK,
    BuildRequestError,
    WaitTimeout,
    cancel_plan,
    check_build_created,
    describe_request,
    is_terminal,
    list_builds,
    outcome_failure,
    outcome_of,
    summarize_tests,
    trigger_request,
    wait_for_build,
)
from ansible_collections.community.circleci.plugins.module_utils._client import CircleCIClient, RetryPolicy
from ansible_collections.community.circleci.plugins.module_utils._errors import ServerError
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.tests.unit.fakes import ScriptedTransport, answer

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
                                           build_parameters={'RUN_EXTRA': True, 'COUNT': 3, 'NAME': 'x'})
    assert (template, args) == ('project/{}/tree/{}', (API, 'feature/login'))
    assert body == {'revision': 'abc123', 'parallel': 2, 'build_parameters': {'RUN_EXTRA': 'true', 'COUNT': '3', 'NAME': 'x'}}
    described = describe_request('POST', template, args, body)
    assert described == {'method': 'POST', 'path': '/project/github/acme/api/tree/feature%2Flogin',
                         'body': {'revision': 'abc123', 'parallel': 2,
                                  'build_parameters': {'RUN_EXTRA': MASK, 'COUNT': MASK, 'NAME': MASK}}}
    assert body['build_parameters']['NAME'] == 'x'  # describing does not change the real body


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
    (dict(branch='main', pipeline=True, build_parameters={'A': 'b'}), 'neither build_parameters nor parallel'),
    (dict(branch='main', pipeline=True, parallel=2), 'neither build_parameters nor parallel'),
])
def test_trigger_rejects_what_circleci_rejects(kwargs, words):
    with pytest.raises(BuildRequestError, match=words):
        trigger_request(API, **kwargs)


def test_check_build_created():
    assert check_build_created({'status': 200, 'body': 'Build created'}) == 'Build created'
    assert check_build_created({'status': '200', 'body': 'Build created'}) == 'Build created'
    with pytest.raises(BuildRequestError, match='status 400 \\(Branch not found\\)'):
        check_build_created({'status': 400, 'body': 'Branch not found'})
    with pytest.raises(BuildRequestError, match='no status'):
        check_build_created({'message': 'ok'})
    with pytest.raises(BuildRequestError, match='no status'):
        check_build_created(None)


# -- waiting -------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class PollingClient:
    """Answers GET project/:p/:n with the given states in turn (the last one repeats)."""

    def __init__(self, states):
        self.states = list(states)
        self.calls = []

    def get(self, template, *args, params=None):
        self.calls.append((template, args))
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


def test_wait_polls_until_the_build_is_over():
    clock = FakeClock()
    client = PollingClient([build(5, 'running', 'running', None), build(5, 'running', 'running', None),
                            build(5, 'finished', 'failed', 'failed')])
    final = wait_for_build(client, API, 5, timeout=60, interval=2, build=build(5, 'queued', 'queued', None),
                           clock=clock.clock, sleep=clock.sleep)
    assert final['outcome'] == 'failed'
    assert client.calls == [('project/{}/{}', (API, 5))] * 3
    assert clock.sleeps == [2, 2, 2]


def test_wait_without_a_known_state_reads_first():
    clock = FakeClock()
    client = PollingClient([build(5)])
    assert wait_for_build(client, API, 5, timeout=60, interval=2, clock=clock.clock, sleep=clock.sleep)['outcome'] == 'success'
    assert len(client.calls) == 1
    assert clock.sleeps == []


def test_wait_on_a_finished_build_makes_no_request():
    client = PollingClient([build(5, 'running', 'running', None)])
    assert wait_for_build(client, API, 5, timeout=60, interval=2, build=build(5))['build_num'] == 5
    assert client.calls == []


def test_wait_times_out_with_the_build_url():
    clock = FakeClock()
    client = PollingClient([build(9, 'running', 'running', None)])
    with pytest.raises(WaitTimeout) as caught:
        wait_for_build(client, API, 9, timeout=5, interval=2, build=build(9, 'queued', 'queued', None),
                       clock=clock.clock, sleep=clock.sleep)
    assert clock.sleeps == [2, 2, 1]  # the last sleep stops at the deadline
    assert len(client.calls) == 3
    assert caught.value.build['status'] == 'running'
    assert str(caught.value) == ('Build 9 of acme/api did not finish within 5 s (last status running): '
                                 'https://circleci.com/gh/acme/api/9')


# -- listing and pagination ----------------------------------------------------------------------

class RecordingClient:
    def __init__(self):
        self.calls = []

    def paginate(self, template, *args, params=None, limit=None, offset=0):
        self.calls.append((template, args, params, limit, offset))
        return ['built']


@pytest.mark.parametrize('kwargs, expected', [
    (dict(), ('recent-builds', (), {}, 30, 0)),
    (dict(project=API, limit=250, offset=5), ('project/{}', (API,), {}, 250, 5)),
    (dict(project=API, branch='feature/login', build_filter='failed', shallow=True),
     ('project/{}/tree/{}', (API, 'feature/login'), {'filter': 'failed', 'shallow': 'true'}, 30, 0)),
])
def test_list_builds_picks_the_endpoint(kwargs, expected):
    client = RecordingClient()
    assert list_builds(client, **kwargs) == ['built']
    assert client.calls == [expected]


def serve_builds(total, failures=None):
    """A transport serving ``total`` builds newest first, honouring limit and offset; request N may fail with a status."""
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

    transport = ScriptedTransport([step] * 50)
    transport.served = served
    return transport


def make_client(transport):
    policy = RetryPolicy(retries=2, sleep=lambda seconds: None, rand=lambda: 0.0)
    client = CircleCIClient('https://circleci.example/api/v1.1', 'token', policy=policy)
    client.session.mount('https://', transport)
    return client


def test_paginate_250_builds_in_three_requests_in_order():
    transport = serve_builds(total=300)
    client = make_client(transport)
    builds = list_builds(client, project=API, limit=250, build_filter='completed')
    assert [item['build_num'] for item in builds] == list(range(300, 50, -1))
    assert client.request_count == 3
    pages = sorted((int(query['offset']), int(query['limit']), query['filter']) for dummy, query in transport.served)
    assert pages == [(0, 100, 'completed'), (100, 100, 'completed'), (200, 50, 'completed')]
    assert {path for path, dummy in transport.served} == {'/api/v1.1/project/github/acme/api'}


def test_paginate_with_offset_and_short_last_page():
    transport = serve_builds(total=120)
    client = make_client(transport)
    builds = list_builds(client, project=API, branch='feature/login', limit=250, offset=10)
    assert [item['build_num'] for item in builds] == list(range(110, 0, -1))
    assert {path for path, dummy in transport.served} == {'/api/v1.1/project/github/acme/api/tree/feature%2Flogin'}


def test_paginate_retries_a_failed_page_and_keeps_order():
    client = make_client(serve_builds(total=300, failures={2: 503}))
    builds = list_builds(client, limit=300)
    assert [item['build_num'] for item in builds] == list(range(300, 0, -1))
    assert client.retry_count == 1
    assert client.request_count == 4


def test_paginate_fails_when_a_page_keeps_failing():
    client = make_client(serve_builds(total=300, failures={number: 503 for number in range(1, 20)}))
    with pytest.raises(ServerError, match='HTTP 503'):
        list_builds(client, limit=300)


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
