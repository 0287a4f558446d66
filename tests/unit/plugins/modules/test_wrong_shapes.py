# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module, fed an answer of the wrong shape, fails cleanly: a message naming the request, no traceback.

The first request of each module is answered with the other JSON container (a list where the module
expects an object, an object where it expects a list), with ``null``, and with an HTML page sent with
HTTP 200 (what a wrong api_url, a sign-in page or a proxy gives).
"""

from __future__ import annotations

import pkgutil

import pytest

from ansible_collections.community.circleci.plugins import modules as modules_package
from ansible_collections.community.circleci.tests.unit.answers import PRIVATE, SLUG, build, html_200
from ansible_collections.community.circleci.tests.unit.fakes import answer

PROJECT = '/project/github/acme/api'
ORG_ID = 'b0de2883-ba52-4530-abc0-d74091c72852'
CONTEXT_ID = 'f3e9363b-e6e3-44de-8de1-542479a869b1'
CLOUD = 'circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/9c966ef9-d584-44b5-98aa-126e97fcb2e3'
CLOUD_PATH = '/api/v2/project/' + CLOUD  # a circleci/ project, served through API v2


def case(module, args, method, path, expects):
    """A module run whose first request (``method`` ``path``, as messages show it) is answered with a JSON ``expects``."""
    return dict(module=module, args=args, request='%s %s' % (method, path), expects=expects)


CASES = [
    case('artifact', dict(project=SLUG, build_num=300, dest='DEST'), 'GET', PROJECT + '/300/artifacts', list),
    case('artifact_info', dict(project=SLUG, build_num=300), 'GET', PROJECT + '/300/artifacts', list),
    case('artifact_info', dict(project=SLUG, branch='main'), 'GET', PROJECT + '/latest/artifacts', list),
    case('build', dict(project=SLUG, branch='main'), 'POST', PROJECT + '/tree/main', dict),
    case('build', dict(project=SLUG, action='cancel', build_num=7), 'GET', PROJECT + '/7', dict),
    case('build_cache', dict(project=SLUG), 'DELETE', PROJECT + '/build-cache', dict),
    case('build_info', dict(project=SLUG, build_num=300), 'GET', PROJECT + '/300', dict),
    case('build_info', dict(project=SLUG, limit=5), 'GET', PROJECT, list),
    case('checkout_key', dict(project=SLUG, type='deploy-key'), 'GET', PROJECT + '/checkout-key', list),
    case('checkout_key_info', dict(project=SLUG), 'GET', PROJECT + '/checkout-key', list),
    case('context', dict(name='deploy-prod', owner='gh/acme'), 'GET', '/api/v2/me/collaborations', list),
    case('context_env_var', dict(context_id=CONTEXT_ID, name='DEPLOY_ENV', value='staging'), 'GET',
         '/api/v2/context/%s/environment-variable' % CONTEXT_ID, dict),
    case('context_info', dict(owner='gh/acme'), 'GET', '/api/v2/me/collaborations', list),
    case('checkout_key', dict(project=CLOUD, type='deploy-key'), 'GET', CLOUD_PATH + '/checkout-key', dict),
    case('checkout_key_info', dict(project=CLOUD), 'GET', CLOUD_PATH + '/checkout-key', dict),
    case('env_var', dict(project=SLUG, name='DEPLOY_ENV', value='staging'), 'GET', PROJECT + '/envvar', list),
    case('env_var_info', dict(project=SLUG, expected_names=['DEPLOY_ENV']), 'GET', PROJECT + '/envvar', list),
    case('env_var_info', dict(projects=[SLUG]), 'GET', PROJECT + '/envvar', list),
    case('env_var', dict(project=CLOUD, name='DEPLOY_ENV', value='staging'), 'GET', CLOUD_PATH + '/envvar', dict),
    case('env_var_info', dict(projects=[CLOUD]), 'GET', CLOUD_PATH + '/envvar', dict),
    case('heroku_key', dict(api_key='0000-1a2b'), 'GET', '/me', dict),
    case('oidc_claims', dict(owner='gh/acme', ttl='1h'), 'GET', '/api/v2/me/collaborations', list),
    case('oidc_claims', dict(owner='circleci/' + ORG_ID, ttl='1h'), 'GET', '/api/v2/org/%s/oidc-custom-claims' % ORG_ID, dict),
    case('oidc_claims', dict(project=SLUG, ttl='1h'), 'GET', '/api/v2/project/github/acme/api', dict),
    case('project', dict(project=SLUG), 'GET', PROJECT + '/settings', dict),
    case('project', dict(project=CLOUD, settings=dict(oss=False)), 'GET', CLOUD_PATH + '/settings', dict),
    case('project', dict(owner='gh/acme', name='new-service'), 'GET', '/api/v2/project/github/acme/new-service/settings', dict),
    case('project_info', dict(settings=True), 'GET', '/projects', list),
    case('project_info', dict(username='acme'), 'GET', '/projects', list),
    case('project_settings', dict(projects=[dict(project=SLUG, followed=True)]), 'GET', PROJECT + '/settings', dict),
    case('project_settings', dict(projects=[dict(project=SLUG, env_vars=[dict(name='A', value='a')])]), 'GET', PROJECT + '/envvar', list),
    case('project_settings', dict(projects=[dict(project=SLUG, settings=dict(oss=False))]), 'GET', '/api/v2' + PROJECT + '/settings', dict),
    case('project_settings', dict(projects=[dict(project=CLOUD, webhooks=[dict(name='x', state='absent')])]), 'GET', '/api/v2/webhook', dict),
    case('project_settings', dict(contexts=[dict(name='deploy-prod', owner='gh/acme')]), 'GET', '/api/v2/me/collaborations', list),
    case('schedule', dict(project=SLUG, name='nightly', branch='main', timetable=dict(per_hour=1, hours_of_day=[2], days_of_week=['MON'])),
         'GET', '/api/v2' + PROJECT + '/schedule', dict),
    case('schedule_info', dict(project=SLUG), 'GET', '/api/v2' + PROJECT + '/schedule', dict),
    case('ssh_key', dict(project=SLUG, hostname='deploy.example.com', private_key=PRIVATE), 'GET', PROJECT + '/settings', dict),
    case('ssh_key_info', dict(project=SLUG), 'GET', PROJECT + '/settings', dict),
    case('test_metadata_info', dict(project=SLUG, build_num=300), 'GET', PROJECT + '/300/tests', dict),
    case('user_info', dict(), 'GET', '/me', dict),
    case('user_key', dict(), 'GET', '/me', dict),
    case('webhook', dict(project=SLUG, name='slack-notify', url='https://hooks.acme.example/circleci', events=['workflow-completed'],
                         signing_secret='whsec-0123'), 'GET', '/api/v2' + PROJECT, dict),
    case('webhook', dict(project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc', name='x', state='absent'),
         'GET', '/api/v2/webhook', dict),
    case('webhook_info', dict(project=SLUG), 'GET', '/api/v2' + PROJECT, dict),
]

WRONG = {
    'list': answer(body=[{'build_num': 300, 'name': 'DEPLOY_ENV'}]),  # where an object is expected
    'object': answer(body={'message': 'ok', 'items': []}),             # where a list is expected
    'null': answer(text='null'),
    'html': html_200(),
}


def params():
    for index, one in enumerate(CASES):
        for shape in ('list' if one['expects'] is dict else 'object', 'null', 'html'):
            yield pytest.param(one, shape, id='%s-%d-%s' % (one['module'], index, shape))


def module_names():
    return sorted(name for dummy, name, is_package in pkgutil.iter_modules(modules_package.__path__) if not is_package)


def test_every_module_has_a_case():
    assert module_names() and sorted({one['module'] for one in CASES}) == module_names()


@pytest.mark.parametrize('one, shape', list(params()))
def test_a_wrongly_shaped_first_answer_fails_cleanly_naming_the_request(run, transport, tmp_path, one, shape):
    args = {name: str(tmp_path) if value == 'DEST' else value for name, value in one['args'].items()}
    transport.then(WRONG[shape])
    result = run(one['module'], args)
    assert result.get('failed') is True, 'succeeded with %s' % {key: result[key] for key in result if key != 'invocation'}
    assert one['request'] in result['msg']
    assert 'Traceback' not in result['msg'] and 'exception' not in result
    assert len(transport.requests()) == 1


def test_an_answer_that_cannot_be_read_after_a_write_succeeded_still_reports_the_change(run, transport):
    # The trigger's 201 names the build, but its status is not a string, so reading the build fails after it was created.
    transport.then(answer(201, body=build(301, 'not_running', ['not_running'], None)))
    result = run('build', dict(project=SLUG, branch='main'))
    assert result['failed'] is True and 'POST %s/tree/main' % PROJECT in result['msg']
    assert result['changed'] is True


def test_a_project_whose_answer_cannot_be_read_does_not_hide_the_others_changes(run, transport):
    transport.on('GET', '/acme/api/envvar$', answer(body=[])).on('POST', '/acme/api/envvar$', answer(201, body={'name': 'A', 'value': 'xxxx'}))
    transport.on('GET', '/acme/web/checkout-key', answer(body=[{'type': 'deploy-key', 'public_key': 42, 'preferred': True}]))
    result = run('project_settings', dict(projects=[dict(project=SLUG, env_vars=[dict(name='A', value='a')]),
                                                    dict(project='gh/acme/web', checkout_keys=[dict(type='deploy-key')])]))
    assert result['failed'] is True and 'GET /project/github/acme/web/checkout-key' in result['msg']
    assert result['changed'] is True


def test_an_answer_that_cannot_be_read_fails_naming_the_last_request(run, transport):
    transport.then(answer(body=build(7, 'running', ['running'], None)))
    result = run('build', dict(project=SLUG, action='cancel', build_num=7))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('GET %s/7 failed. Reading the answer failed with TypeError' % PROJECT)
    assert 'exception' not in result
