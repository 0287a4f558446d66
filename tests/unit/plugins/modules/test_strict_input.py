# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input that cannot be what the user meant is refused before any request, with a message saying what to change.

A trailing newline (from a file or a ``>`` YAML block) in a variable name or a project slug; a value that YAML
turned into a boolean, a number, a dictionary or a list where CircleCI stores text; a token with white space.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.circleci.tests.unit.answers import SLUG, not_found
from ansible_collections.community.circleci.tests.unit.fakes import TOKEN


@pytest.fixture(autouse=True)
def circleci_answers_what_is_sent_after_all(transport):
    """Input that is wrongly accepted fails the test on its request, not on a script without an answer for it."""
    transport.on('GET', '.', not_found('Project not found'))


def refused_before_any_request(result, transport):
    assert result.get('failed') is True, 'accepted: %r' % result
    assert transport.requests() == []
    return result['msg']


# -- trailing newlines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize('module, args', [
    ('env_var', dict(project=SLUG, name='DEPLOY_ENV\n', value='staging')),
    ('env_var', dict(project=SLUG, variables=[dict(name='DEPLOY_ENV\n', value='staging')])),
    ('env_var', dict(project=SLUG, name='DEPLOY_ENV\n', state='absent')),
    ('env_var_info', dict(project=SLUG, expected={'DEPLOY_ENV\n': 'staging'})),
    ('env_var_info', dict(project=SLUG, expected_names=['DEPLOY_ENV\n'])),
    ('project_settings', dict(projects=[dict(project=SLUG, env_vars=[dict(name='DEPLOY_ENV\n', value='staging')])])),
], ids=['env_var-name', 'env_var-variables', 'env_var-absent', 'env_var_info-expected', 'env_var_info-expected_names',
        'project_settings-env_vars'])
def test_a_variable_name_with_a_trailing_newline_is_refused(run, transport, module, args):
    message = refused_before_any_request(run(module, args), transport)
    assert 'not valid' in message


@pytest.mark.parametrize('module, args', [
    pytest.param('env_var', dict(project=SLUG + '\n', name='A', value='a')),
    pytest.param('env_var', dict(project='api\n', vcs_type='gh', username='acme', name='A', value='a')),
    ('env_var', dict(project='api', vcs_type='gh', username='acme\n', name='A', value='a')),
    ('env_var', dict(project='gh/acme\n/api', name='A', value='a')),
    pytest.param('env_var_info', dict(projects=[SLUG + '\n'])),
    pytest.param('project_settings', dict(projects=[dict(project=SLUG + '\n', followed=True)])),
], ids=['env_var-slug', 'env_var-bare-name', 'env_var-username', 'env_var-organisation', 'env_var_info-projects',
        'project_settings-project'])
def test_a_slug_with_a_trailing_newline_is_refused(run, transport, module, args):
    message = refused_before_any_request(run(module, args), transport)
    assert 'project' in message


# -- values YAML did not keep as text ---------------------------------------------------------------------------------

VALUES = [
    pytest.param(True, id='bool'),
    pytest.param(8080, id='int'),
    pytest.param(1.10, id='float'),
    pytest.param({'region': 'eu'}, id='dict'),
    pytest.param(['eu', 'us'], id='list'),
]
WHERE = {
    'env_var-value': ('env_var', lambda value: dict(project=SLUG, name='DEPLOY_ENV', value=value)),
    'env_var-variables': ('env_var', lambda value: dict(project=SLUG, variables=[dict(name='DEPLOY_ENV', value=value)])),
    'project_settings-env_vars': ('project_settings', lambda value: dict(projects=[dict(project=SLUG, env_vars=[dict(name='DEPLOY_ENV', value=value)])])),
    'build-build_parameters': ('build', lambda value: dict(project=SLUG, branch='main', build_parameters={'DEPLOY_ENV': value})),
    'env_var_info-expected': ('env_var_info', lambda value: dict(project=SLUG, expected={'DEPLOY_ENV': value})),
}


@pytest.mark.parametrize('value', VALUES)
@pytest.mark.parametrize('where', WHERE)
def test_a_value_that_is_not_text_is_refused_with_a_hint_to_quote_it(run, transport, where, value):
    module, args = WHERE[where]
    message = refused_before_any_request(run(module, args(value)), transport)
    assert 'must be a string' in message
    assert 'quote' in message


# -- tokens -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('token', [TOKEN + '\n', ' ' + TOKEN, TOKEN[:6] + ' ' + TOKEN[6:], TOKEN[:6] + '\t' + TOKEN[6:]],
                         ids=['trailing-newline', 'leading-space', 'inner-space', 'inner-tab'])
@pytest.mark.parametrize('module, args', [('user_info', {}), ('env_var', dict(project=SLUG, name='A', value='a'))])
def test_a_token_with_white_space_is_refused_and_never_shown(run, transport, module, args, token):
    result = run(module, dict(args, api_token=token))
    message = refused_before_any_request(result, transport)
    assert 'api_token' in message
    text = json.dumps(result)
    assert token not in text
    assert all(part not in text for part in token.split() if len(part) > 4)
