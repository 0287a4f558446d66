# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""project_info's settings option: the advanced settings of each listed project, one more request per project."""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._advanced_settings import NEW_PROJECT
from ansible_collections.community.circleci.tests.unit.fakes import answer


def advanced(**changes):
    return {'advanced': dict(NEW_PROJECT, **changes)}


def project_entry(name):
    return {'vcs_url': 'https://github.com/acme/%s' % name, 'vcs_type': 'github', 'username': 'acme', 'reponame': name,
            'branches': {}}


def test_project_info_reads_the_settings_of_each_listed_project_only_when_asked(run, transport):
    transport.on('GET', '/api/v1.1/projects', answer(body=[project_entry('api'), project_entry('web'), project_entry('worker')]))
    transport.on('GET', '/api/v2/project/github/acme/api/settings', answer(body=advanced(autocancel_builds=True)))
    transport.on('GET', '/api/v2/project/github/acme/web/settings', answer(body=advanced()))
    plain = run('project_info', dict(name=['api', 'web']))
    assert transport.requests() == [('GET', '/api/v1.1/projects')] and 'settings' not in plain['projects'][0]
    transport.sent.clear()
    result = run('project_info', dict(name=['api', 'web'], settings=True), workers=4)
    assert sorted(transport.requests()) == [('GET', '/api/v1.1/projects'), ('GET', '/api/v2/project/github/acme/api/settings'),
                                            ('GET', '/api/v2/project/github/acme/web/settings')]
    assert [entry['settings']['autocancel_builds'] for entry in result['projects']] == [True, False]
    assert result['api_requests'] == 3


def test_project_info_names_the_projects_whose_settings_it_could_not_read(run, transport):
    transport.on('GET', '/api/v1.1/projects', answer(body=[project_entry('api'), project_entry('web')]))
    transport.on('GET', '/api/v2/project/github/acme/api/settings', answer(body=advanced()))
    transport.on('GET', '/api/v2/project/github/acme/web/settings', answer(403, body={'message': 'Permission denied.'}))
    result = run('project_info', dict(settings=True))
    assert result['failed'] is True and [failure['project'] for failure in result['failed_projects']] == ['gh/acme/web']
    assert result['projects'][0]['settings'] == NEW_PROJECT
