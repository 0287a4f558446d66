# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._builds import DEFAULT_FAIL_ON_OUTCOME
from ansible_collections.community.circleci.plugins.module_utils._errors import TransportError
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.plugins.modules import build as build_module

API = Project('github', 'acme', 'api')


class Exit(Exception):
    def __init__(self, result):
        super().__init__('exit')
        self.result = result


class Fail(Exception):
    def __init__(self, result):
        super().__init__(result.get('msg'))
        self.result = result


class FakeClient:
    """Answers GETs from ``builds`` (by number) and POSTs from ``answers`` (by path suffix); records every call."""

    def __init__(self, builds=None, answers=None, post_error=None):
        self.builds = dict(builds or {})
        self.answers = dict(answers or {})
        self.post_error = post_error
        self.calls = []

    def get(self, template, *args, params=None):
        self.calls.append(('GET', template, args))
        if template == 'project/{}/{}':
            return self.builds[args[1]]
        return []

    def post(self, template, *args, body=None, repeatable=False):
        self.calls.append(('POST', template, args, body, repeatable))
        if self.post_error:
            raise self.post_error
        return self.answers[template]

    @property
    def writes(self):
        return [call for call in self.calls if call[0] == 'POST']


class FakeModule:
    def __init__(self, client, check_mode=False, diff=False, **params):
        self.params = dict(action='trigger', branch=None, tag=None, revision=None, parallel=None, build_parameters=None,
                           pipeline=False, build_num=None, ssh=False, wait=False, wait_timeout=1800.0, poll_interval=10.0,
                           fail_on_outcome=list(DEFAULT_FAIL_ON_OUTCOME))
        self.params.update(params)
        self.client = client
        self.project = API
        self.check_mode = check_mode
        self._diff = diff

    def exit_json(self, **result):
        raise Exit(result)

    def fail_json(self, msg, **result):
        raise Fail(dict(result, msg=msg))

    def fail_from_error(self, error, **result):
        self.fail_json(str(error), **result)

    def validate_positive(self, name, minimum):
        if self.params.get(name) is not None and self.params[name] < minimum:
            self.fail_json('%s must be at least %s, got %s' % (name, minimum, self.params[name]))


def run(module):
    action = build_module.BuildAction(module)
    with pytest.raises((Exit, Fail)) as caught:
        getattr(action, module.params['action'])()
    return caught.value


def summary(num, lifecycle='not_running', status='not_running', outcome=None, **extra):
    return dict(build_num=num, lifecycle=lifecycle, status=status, outcome=outcome, username='acme', reponame='api',
                build_url='https://circleci.com/gh/acme/api/%d' % num, **extra)


def test_masked_hides_build_parameter_values_only():
    build = summary(5, build_parameters={'TOKEN': 'secret', 'MODE': 'fast'})
    assert build_module.masked(build)['build_parameters'] == {'TOKEN': '********', 'MODE': '********'}
    assert build['build_parameters']['TOKEN'] == 'secret'
    assert build_module.masked(summary(5, build_parameters=None))['build_parameters'] is None


def test_trigger_in_check_mode_posts_nothing_and_describes_the_request():
    client = FakeClient()
    outcome = run(FakeModule(client, check_mode=True, diff=True, branch='feature/login', build_parameters={'TOKEN': 'secret'}))
    assert isinstance(outcome, Exit)
    assert outcome.result['changed'] is True
    assert outcome.result['request'] == {'method': 'POST', 'path': '/project/github/acme/api/tree/feature%2Flogin',
                                         'body': {'build_parameters': {'TOKEN': '********'}}}
    assert outcome.result['diff']['after']['build_num'] == '(new)'
    assert client.writes == []
    assert 'secret' not in repr(outcome.result)


def test_trigger_posts_once_never_repeatable_and_masks_the_answer():
    client = FakeClient(answers={'project/{}/tree/{}': summary(301, build_parameters={'TOKEN': 'secret'})})
    outcome = run(FakeModule(client, branch='main', parallel=2, build_parameters={'TOKEN': 'secret'}))
    assert isinstance(outcome, Exit)
    assert client.writes == [('POST', 'project/{}/tree/{}', (API, 'main'),
                              {'parallel': 2, 'build_parameters': {'TOKEN': 'secret'}}, False)]
    assert outcome.result['build_num'] == 301
    assert outcome.result['outcome'] is None
    assert outcome.result['build']['build_parameters'] == {'TOKEN': '********'}


def test_trigger_and_wait_fails_on_a_failed_outcome_with_the_url():
    finished = summary(302, 'finished', 'failed', 'failed')
    client = FakeClient(builds={302: finished}, answers={'project/{}/tree/{}': summary(302)})
    outcome = run(FakeModule(client, branch='always-fails', wait=True, poll_interval=0.05))
    assert isinstance(outcome, Fail)
    assert 'https://circleci.com/gh/acme/api/302' in outcome.result['msg']
    assert outcome.result['changed'] is True
    assert outcome.result['outcome'] == 'failed'


def test_trigger_and_wait_tolerates_outcomes_not_listed():
    client = FakeClient(builds={302: summary(302, 'finished', 'failed', 'failed')}, answers={'project/{}/tree/{}': summary(302)})
    outcome = run(FakeModule(client, branch='always-fails', wait=True, poll_interval=0.05, fail_on_outcome=[]))
    assert isinstance(outcome, Exit)
    assert outcome.result['outcome'] == 'failed'


def test_a_reset_trigger_is_reported_with_a_hint():
    error = TransportError('POST', '/project/github/acme/api/tree/main', detail='connection reset or closed by the server')
    client = FakeClient(post_error=error)
    outcome = run(FakeModule(client, branch='main'))
    assert isinstance(outcome, Fail)
    assert 'The build may have been created' in outcome.result['msg']
    assert outcome.result['request']['path'] == '/project/github/acme/api/tree/main'
    assert len(client.writes) == 1


@pytest.mark.parametrize('answer, words', [
    ({'status': 200, 'body': 'Build created'}, None),
    ({'status': 400, 'body': 'Branch not found'}, 'carries status 400 (Branch not found)'),
    ({'message': 'ok'}, 'no status'),
])
def test_pipeline_checks_the_embedded_status(answer, words):
    client = FakeClient(answers={'project/{}/build': answer})
    outcome = run(FakeModule(client, branch='main', pipeline=True))
    if words is None:
        assert isinstance(outcome, Exit)
        assert outcome.result['message'] == 'Build created'
        assert outcome.result['changed'] is True
    else:
        assert isinstance(outcome, Fail)
        assert words in outcome.result['msg']
        assert outcome.result['changed'] is False


@pytest.mark.parametrize('state, changed', [
    (summary(7, 'running', 'running'), True),
    (summary(7, 'queued', 'queued'), True),
    (summary(7, 'finished', 'success', 'success'), False),
    (summary(7, 'finished', 'canceled', 'canceled'), False),
    (summary(7, 'not_run', 'not_run'), False),
])
@pytest.mark.parametrize('check_mode', [True, False])
def test_cancel_is_idempotent(state, changed, check_mode):
    client = FakeClient(builds={7: state}, answers={'project/{}/{}/cancel': summary(7, 'finished', 'canceled', 'canceled')})
    outcome = run(FakeModule(client, check_mode=check_mode, action='cancel', build_num=7))
    assert isinstance(outcome, Exit)
    assert outcome.result['changed'] is changed
    expected_writes = 1 if changed and not check_mode else 0
    assert len(client.writes) == expected_writes
    if expected_writes:
        assert client.writes[0][4] is True  # cancelling twice is harmless, so it may be repeated
        assert outcome.result['outcome'] == 'canceled'


@pytest.mark.parametrize('ssh, suffix', [(False, 'retry'), (True, 'ssh')])
def test_retry_paths_and_check_mode(ssh, suffix):
    template = 'project/{}/{}/' + suffix
    client = FakeClient(builds={300: summary(300, 'finished', 'success', 'success')}, answers={template: summary(301, retry_of=300)})
    checked = run(FakeModule(client, check_mode=True, action='retry', build_num=300, ssh=ssh))
    assert checked.result['changed'] is True
    assert checked.result['request']['path'] == '/project/github/acme/api/300/' + suffix
    assert client.writes == []
    done = run(FakeModule(client, action='retry', build_num=300, ssh=ssh))
    assert done.result['build']['retry_of'] == 300
    assert client.writes == [('POST', template, (API, 300), None, False)]


@pytest.mark.parametrize('params, words', [
    (dict(action='cancel', build_num=1, branch='main'), 'branch only applies to action=trigger'),
    (dict(action='retry', build_num=1, tag='v1', parallel=2), 'tag, parallel only apply to action=trigger'),
    (dict(action='cancel', build_num=1, ssh=True), 'ssh only applies to action=retry'),
    (dict(action='trigger', build_num=1), 'build_num does not apply to action=trigger'),
    (dict(action='trigger', pipeline=True, wait=True), 'wait cannot be used with pipeline=true'),
    (dict(action='trigger', poll_interval=0.0), 'poll_interval must be at least 0.05'),
    (dict(action='trigger', branch='  '), 'branch must not be empty'),
])
def test_validate_refuses_before_any_request(params, words):
    client = FakeClient()
    with pytest.raises(Fail, match=words):
        build_module.validate(FakeModule(client, **params))
    assert client.calls == []
