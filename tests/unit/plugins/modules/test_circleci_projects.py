# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module, given a ``circleci/<organization id>/<project id>`` project (GitHub App, GitLab, standalone).

Only API v2 knows such projects. A module that works through API v1.1 alone refuses them before any request, with a
message naming the module, the API it needs and the kind of project; the others serve them through API v2.
"""

from __future__ import annotations

import pkgutil

import pytest

from ansible_collections.community.circleci.plugins import modules as modules_package
from ansible_collections.community.circleci.tests.unit.answers import PRIVATE
from ansible_collections.community.circleci.tests.unit.fakes import answer

ORG = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
PROJECT_ID = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
CLOUD = 'circleci/%s/%s' % (ORG, PROJECT_ID)
CLOUD_BASE58 = 'circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc'

# The modules that work through API v1.1 only, with what they need besides the project.
V11_ONLY = {
    'artifact': dict(build_num=300, dest='DEST'),
    'artifact_info': dict(build_num=300),
    'build': dict(branch='main'),
    'build_cache': {},
    'build_info': dict(build_num=300),
    'ssh_key': dict(hostname='deploy.example.com', private_key=PRIVATE),
    'ssh_key_info': {},
    'test_metadata_info': dict(build_num=300),
}
# The modules that serve circleci/ projects through API v2, with what they need besides the project, and their first request.
SERVED = {
    'env_var': (dict(name='DEPLOY_ENV', value='staging'), 'envvar'),
    'env_var_info': ({}, 'envvar'),
    'checkout_key': (dict(type='deploy-key'), 'checkout-key'),
    'checkout_key_info': ({}, 'checkout-key'),
    'project': (dict(settings=dict(autocancel_builds=True)), 'settings'),
}
# The modules that take no project (or list them through API v1.1, which cannot name circleci/ ones).
NO_PROJECT = {'context', 'context_env_var', 'context_info', 'heroku_key', 'project_info', 'user_info', 'user_key'}
# API v2 modules with their own circleci/ tests: webhooks and OIDC claims serve such projects; schedules refuse them
# before any request, as the API has no schedules for them (test_schedules.py).
V2_TESTED_ELSEWHERE = {'oidc_claims', 'schedule', 'schedule_info', 'webhook', 'webhook_info'}
# project_settings (many projects) parses its projects itself, serves circleci/ projects' variables, keys, settings and
# webhooks through API v2 and refuses their follow state, SSH keys and schedules before any request (test_project_settings_v2.py).
ELSEWHERE = {'project_settings'}


def test_every_module_is_classified():
    names = sorted(name for dummy, name, is_package in pkgutil.iter_modules(modules_package.__path__) if not is_package)
    assert sorted(set(V11_ONLY) | set(SERVED) | NO_PROJECT | ELSEWHERE | V2_TESTED_ELSEWHERE) == names


@pytest.mark.parametrize('module', sorted(SERVED))
def test_a_serving_module_sends_its_first_request_to_api_v2(run, transport, module):
    args, resource = SERVED[module]
    transport.on('GET', '.', answer(body={'items': [], 'next_page_token': None, 'advanced': {'autocancel_builds': True}}))
    result = run(module, dict(args, project=CLOUD_BASE58), check_mode=True)
    assert transport.requests()[0][1].split('?')[0] == '/api/v2/project/%s/%s' % (CLOUD, resource)
    assert all(path.startswith('/api/v2/') for dummy, path in transport.requests())
    assert result.get('project', CLOUD) == CLOUD


@pytest.mark.parametrize('module', sorted(V11_ONLY))
@pytest.mark.parametrize('slug', [CLOUD, CLOUD_BASE58], ids=['uuid', 'base58'])
def test_a_v11_only_module_refuses_a_circleci_project_before_any_request_naming_itself(run, transport, tmp_path, module, slug):
    args = {name: str(tmp_path) if value == 'DEST' else value for name, value in V11_ONLY[module].items()}
    result = run(module, dict(args, project=slug))
    assert result['failed'] is True and transport.requests() == []
    assert result['msg'] == (
        'community.circleci.%s works through CircleCI API v1.1, which knows GitHub OAuth and Bitbucket projects only, not %s '
        '(a GitHub App, GitLab or standalone project, which only API v2 serves)' % (module, CLOUD))
