# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""F/OSS projects without a token: the project reads run with no Circle-Token header; everything else needs a token.

CircleCI answers the read-only build endpoints of F/OSS projects without a token (v1.1 reference, "F/OSS"). So
build_info (with a project), artifact_info, artifact and test_metadata_info start without a token; a 401, 403 or
404 then says a token is needed. Every other module refuses to start without one, before any request.
"""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _client
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    TokenNeededError,
    TokenNeededNotFoundError,
)
from ansible_collections.community.circleci.tests.unit.answers import build, not_found
from ansible_collections.community.circleci.tests.unit.fakes import API, TOKEN, answer

OSS = 'gh/acme/oss-lib'
OSS_PATH = '/api/v1.1/project/github/acme/oss-lib'
ART_URL = 'https://3-77-gh.circle-artifacts.example/0/dist/oss-lib.tar.gz'
LOGIN = answer(401, body={'message': 'You must log in first.'})
TOKEN_NEEDED = 'No API token was given'


@pytest.fixture(autouse=True)
def no_token_in_the_environment(monkeypatch):
    for name in ('CIRCLECI_TOKEN', 'CIRCLE_TOKEN'):
        monkeypatch.delenv(name, raising=False)


def no_token_sent(transport):
    return transport.sent and all('Circle-Token' not in sent.headers for sent in transport.sent)


# -- the client and the connection check --------------------------------------------------------------

def test_a_client_without_a_token_sends_no_token_header(transport, clock):
    transport.then(answer(body=[]), answer(body={'items': [], 'next_page_token': None}))
    api = _client.CircleCIClient(API, None, policy=clock.policy())
    api.get('project/{}', 'x')
    api.v2.items('context')
    assert no_token_sent(transport) and len(transport.sent) == 2
    assert all('circle-token' not in sent.url.lower() and 'Authorization' not in sent.headers for sent in transport.sent)


def test_a_client_with_a_token_still_sends_it(client, transport):
    client([answer(body=[])]).get('projects')
    assert transport.sent[0].headers['Circle-Token'] == TOKEN


@pytest.mark.parametrize('token', [None, ''])
def test_no_token_is_an_input_error_unless_the_module_allows_it(token):
    with pytest.raises(InputError, match='api_token is required'):
        _client.check_connection(API, token)
    _client.check_connection(API, token, token_optional=True)


def test_a_token_optional_module_still_checks_the_other_options(tmp_path):
    with pytest.raises(InputError, match='ca_path'):
        _client.check_connection(API, None, str(tmp_path / 'nope.pem'), token_optional=True)
    with pytest.raises(InputError, match='white space'):
        _client.check_connection(API, ' %s\n' % TOKEN, token_optional=True)


@pytest.mark.parametrize('status, body, error_class', [
    (401, {'message': 'You must log in first.'}, TokenNeededError),
    (403, {'message': 'Permission denied'}, TokenNeededError),
    (404, {'message': 'Project not found'}, TokenNeededNotFoundError),
])
def test_refusals_without_a_token_say_a_token_is_needed(transport, clock, status, body, error_class):
    transport.then(answer(status, body=body))
    api = _client.CircleCIClient(API, None, policy=clock.policy())
    with pytest.raises(error_class) as caught:
        api.get('project/{}/{}/{}', 'github', 'acme', 'api')
    message = str(caught.value)
    assert message.startswith('GET /project/github/acme/api failed with HTTP %d. CircleCI says: %s. ' % (status, body['message'].rstrip('.')))
    assert TOKEN_NEEDED in message and 'set api_token or the CIRCLECI_TOKEN environment variable' in message
    if status == 404:
        assert isinstance(caught.value, NotFoundError)  # callers that tell "no build matches" from "no project" still can


def test_a_401_with_a_token_keeps_the_refused_token_message(client):
    api = client([LOGIN])
    with pytest.raises(AuthenticationError) as caught:
        api.get('me')
    assert not isinstance(caught.value, TokenNeededError) and 'The API token was refused' in str(caught.value)


# -- the modules that read a project's public data ------------------------------------------------------

def test_build_info_reads_an_oss_project_without_a_token(run, transport):
    transport.then(answer(body=[build(3), build(2)]))
    result = run('build_info', dict(project=OSS, limit=2, api_token=None))
    assert result.get('failed') is not True, result.get('msg')
    assert [one['build_num'] for one in result['builds']] == [3, 2]
    assert transport.requests() == [('GET', OSS_PATH + '?limit=2&offset=0')]
    assert no_token_sent(transport)


def test_build_info_reads_one_build_without_a_token(run, transport):
    transport.then(answer(body=build(3)))
    result = run('build_info', dict(project=OSS, build_num=3, api_token=None))
    assert result['build']['build_num'] == 3 and no_token_sent(transport)


def test_test_metadata_info_reads_an_oss_project_without_a_token(run, transport):
    transport.then(answer(body={'tests': [{'name': 't', 'classname': 'c', 'result': 'success', 'run_time': 0.5}], 'exceptions': []}))
    result = run('test_metadata_info', dict(project=OSS, build_num=3, api_token=None))
    assert result['summary']['total'] == 1 and no_token_sent(transport)


def test_artifact_info_reads_an_oss_project_without_a_token(run, transport):
    transport.then(answer(body=[dict(path='dist/oss-lib.tar.gz', pretty_path='dist/oss-lib.tar.gz', node_index=0, url=ART_URL)]))
    result = run('artifact_info', dict(project=OSS, build_num=3, api_token=None))
    assert [one['path'] for one in result['artifacts']] == ['dist/oss-lib.tar.gz'] and no_token_sent(transport)


def test_artifact_lists_and_plans_without_a_token_in_check_mode(run, transport, tmp_path):
    transport.then(answer(body=[dict(path='dist/oss-lib.tar.gz', pretty_path='dist/oss-lib.tar.gz', node_index=0, url=ART_URL)]))
    result = run('artifact', dict(project=OSS, build_num=3, dest=str(tmp_path), api_token=None), check_mode=True)
    assert result['changed'] is True and [one['path'] for one in result['downloaded']] == ['dist/oss-lib.tar.gz']
    assert transport.requests() == [('GET', OSS_PATH + '/3/artifacts')] and no_token_sent(transport)


def test_artifact_downloads_without_a_token_when_the_host_serves_them(run, transport, tmp_path):
    transport.on('GET', r'/artifacts$', answer(body=[dict(path='dist/oss-lib.tar.gz', node_index=0, url=ART_URL)]))
    transport.on('GET', r'oss-lib\.tar\.gz$', answer(200, text=b'tarball'))
    result = run('artifact', dict(project=OSS, build_num=3, dest=str(tmp_path), api_token=None))
    assert result.get('failed') is not True, result.get('msg')
    assert (tmp_path / 'dist' / 'oss-lib.tar.gz').read_bytes() == b'tarball' and no_token_sent(transport)


def test_an_artifact_download_refused_without_a_token_says_a_token_is_needed(run, transport, tmp_path):
    transport.on('GET', r'/artifacts$', answer(body=[dict(path='dist/oss-lib.tar.gz', node_index=0, url=ART_URL)]))
    transport.on('GET', r'oss-lib\.tar\.gz$', LOGIN)
    result = run('artifact', dict(project=OSS, build_num=3, dest=str(tmp_path), api_token=None))
    assert result['failed'] is True and result['changed'] is False
    assert '1 of 1 artifact downloads failed' in result['msg'] and 'HTTP 401' in result['msg']
    assert TOKEN_NEEDED in result['msg'] and 'artifact downloads do' in result['msg']
    assert [one['path'] for one in result['failed_downloads']] == ['dist/oss-lib.tar.gz']
    assert not list(tmp_path.rglob('*.part'))


@pytest.mark.parametrize('module, args, refusal', [
    ('build_info', dict(project='gh/acme/api', limit=1), LOGIN),
    ('artifact_info', dict(project='gh/acme/api', build_num=300), LOGIN),
    ('test_metadata_info', dict(project='gh/acme/api', build_num=300), answer(403, body={'message': 'Permission denied'})),
    ('artifact', dict(project='gh/acme/api', build_num=300, dest='DEST'), not_found('Project not found')),
])
def test_a_private_project_without_a_token_fails_saying_a_token_is_needed(run, transport, tmp_path, module, args, refusal):
    transport.then(refusal)
    args = {name: str(tmp_path) if value == 'DEST' else value for name, value in args.items()}
    result = run(module, dict(args, api_token=None))
    assert result['failed'] is True and result['changed'] is False
    assert TOKEN_NEEDED in result['msg'] and 'CIRCLECI_TOKEN' in result['msg']
    assert result['error']['status'] == refusal['status'] and len(transport.sent) == 1


def test_a_latest_artifacts_404_without_a_token_still_tells_no_build_from_no_project(run, transport):
    transport.then(not_found('Build not found'), answer(body=[build(3)]))
    result = run('artifact_info', dict(project=OSS, branch='no-such-branch', api_token=None))
    assert result['build_found'] is False and result['artifacts'] == [] and no_token_sent(transport)


# -- everything else needs a token, before any request ---------------------------------------------------

@pytest.mark.parametrize('module, args', [
    ('build_info', dict()),
    ('build_info', dict(limit=5)),
    ('user_info', dict()),
    ('project_info', dict(username='acme')),
    ('heroku_key', dict(api_key='0000-1a2b')),
    ('env_var_info', dict(project='gh/acme/oss-lib')),
    ('env_var', dict(project='gh/acme/oss-lib', name='A', value='b')),
    ('checkout_key_info', dict(project='gh/acme/oss-lib')),
    ('ssh_key_info', dict(project='gh/acme/oss-lib')),
    ('build', dict(project='gh/acme/oss-lib', branch='main')),
    ('build_cache', dict(project='gh/acme/oss-lib')),
    ('project', dict(project='gh/acme/oss-lib')),
    ('oidc_claims', dict(project='gh/acme/oss-lib', ttl='1h')),
    ('user_key', dict()),
])
def test_other_modules_need_a_token_before_any_request(run, transport, module, args):
    result = run(module, dict(args, api_token=None))
    assert result['failed'] is True and 'api_token is required' in result['msg'] and 'CIRCLECI_TOKEN' in result['msg']
    assert transport.sent == []
