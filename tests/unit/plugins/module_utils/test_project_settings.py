# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""project_settings against scripted answers: one read per resource, input checked first, failed projects reported."""

from __future__ import annotations

import json

from ansible_collections.community.circleci.tests.unit.answers import (
    KEY_A,
    PATH,
    PRIVATE,
    SHA_P,
    SLUG,
    env_vars,
    not_found,
    settings,
    ssh_key,
)
from ansible_collections.community.circleci.tests.unit.fakes import answer

WEB = '/api/v1.1/project/github/acme/web'


def test_one_configuration_read_serves_the_follow_state_and_every_ssh_key(run, transport):
    transport.then(answer(body=settings(followed=True, ssh_keys=[ssh_key('other', KEY_A)])), answer(200, text=''), answer(200, text=''))
    result = run('project_settings', dict(projects=[dict(project=SLUG, followed=True, ssh_keys=[
        dict(hostname='h1', private_key=PRIVATE), dict(hostname='h2', private_key=PRIVATE)])]))
    assert result['changed'] is True
    assert transport.requests() == [('GET', PATH + '/settings'), ('POST', PATH + '/ssh-key'), ('POST', PATH + '/ssh-key')]
    entry = result['projects'][0]
    assert entry['project'] == SLUG and entry['follow']['changed'] is False
    assert [step['added'] for step in entry['ssh_key']] == [[SHA_P], [SHA_P]]
    assert PRIVATE not in json.dumps(result)


def test_input_is_checked_for_every_project_before_any_request(run, transport):
    result = run('project_settings', dict(projects=[
        dict(project=SLUG, ssh_keys=[dict(hostname='h', private_key='RSA Private Key')]),
        dict(project='gh/acme/web', env_vars=[dict(name='BAD-NAME', value='x')]),
        dict(project='acme/web'),
    ]))
    assert result['failed'] is True
    assert result['msg'].startswith('Invalid project settings, nothing was sent: ')
    for where in ('projects[0].ssh_keys[0]: private_key:', 'projects[1].env_vars: variable BAD-NAME', 'projects[2].project:'):
        assert where in result['msg']
    assert transport.requests() == []


def test_a_project_that_fails_does_not_stop_the_others(run, transport):
    transport.on('GET', '/acme/api/envvar$', answer(body=env_vars())).on('POST', '/acme/api/envvar$', answer(201, body={'name': 'A', 'value': 'xxxx'}))
    transport.on('GET', '/acme/web/envvar$', not_found('Project not found'))
    result = run('project_settings', dict(projects=[dict(project=SLUG, env_vars=[dict(name='A', value='a')]),
                                                    dict(project='gh/acme/web', env_vars=[dict(name='B', value='b')])]))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('1 of 2 projects could not be converged (the others were): gh/acme/web: GET /project/github/acme/web/envvar')
    assert [entry['project'] for entry in result['projects']] == [SLUG, 'gh/acme/web']
    assert result['projects'][0]['env_var']['added'] == ['A']
    assert [(failed['project'], failed['error']['status']) for failed in result['failed_projects']] == [('gh/acme/web', 404)]
    assert 'Project not found' in result['failed_projects'][0]['reason']
    assert set(result['failed_projects'][0]) == {'project', 'reason', 'error'}
    assert WEB + '/envvar' in [path for dummy, path in transport.requests()]


def test_check_mode_sends_no_write(run, transport):
    transport.then(answer(body=settings(followed=False)), answer(body=env_vars(OLD='xxxx')))
    result = run('project_settings', dict(projects=[dict(project=SLUG, followed=True, env_vars=[dict(name='A', value='a')],
                                                         purge_env_vars=True)]), check_mode=True, diff=True)
    assert result['changed'] is True
    assert transport.writes() == []
    entry = result['projects'][0]
    assert entry['follow']['followed'] is True
    assert (entry['env_var']['added'], entry['env_var']['deleted']) == (['A'], ['OLD'])
    assert [diff['before_header'] for diff in result['diff']] == ['gh/acme/api follow', 'gh/acme/api env_var']


def many_projects(count, changed=()):
    """``count`` projects of one variable each; the names in ``changed`` get a new value."""
    for number in range(count):
        transport_path = '/acme/p%03d/envvar$' % number
        value = 'changed-1234' if number in changed else 'same-value'
        yield transport_path, dict(project='gh/acme/p%03d' % number, env_vars=[dict(name='V', value=value)])


def test_projects_left_as_they_were_are_counted_not_listed(run, transport):
    projects = []
    for path, entry in many_projects(12, changed={3}):
        transport.on('GET', path, answer(body=env_vars(V='xxxxalue')))
        projects.append(entry)
    transport.on('POST', '/envvar$', answer(201, body={'name': 'V', 'value': 'xxxxalue'}))
    result = run('project_settings', dict(projects=projects))
    assert (result['projects_total'], result['projects_changed']) == (12, 1)
    assert [entry['project'] for entry in result['projects']] == ['gh/acme/p003']
    assert set(result['projects'][0]['env_var']) == {'changed', 'added', 'updated', 'deleted', 'failures', 'not_attempted'}
    assert result['projects'][0]['env_var']['updated'] == ['V']


def test_details_list_every_project_with_whole_step_results(run, transport):
    projects = []
    for path, entry in many_projects(3):
        transport.on('GET', path, answer(body=env_vars(V='xxxxalue')))
        projects.append(entry)
    result = run('project_settings', dict(projects=projects, details=True))
    assert [entry['project'] for entry in result['projects']] == ['gh/acme/p000', 'gh/acme/p001', 'gh/acme/p002']
    assert result['projects'][0]['env_var']['unverified'] == ['V']
    assert result['projects'][0]['env_var']['env_vars'] == [{'name': 'V', 'value': 'xxxxalue'}]


def test_with_many_secrets_long_lists_are_not_echoed_back(run, transport):
    projects = []
    for number in range(40):
        transport.on('GET', '/acme/p%03d/envvar$' % number, answer(body=env_vars(**{'V%d' % index: 'xxxx' for index in range(6)})))
        variables = [dict(name='V%d' % index, value='s%03d%d' % (number, index)) for index in range(6)]
        projects.append(dict(project='gh/acme/p%03d' % number, env_vars=variables))
    result = run('project_settings', dict(projects=projects, update_value='on_create'))
    assert result['projects_changed'] == 0
    echoed = result['invocation']['module_args']
    assert echoed['projects'].startswith('(40 items, not echoed')
    assert echoed['update_value'] == 'on_create'
