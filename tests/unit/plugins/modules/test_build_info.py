# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""build_info against scripted answers: build parameter values stay hidden unless asked for, paging, input checks."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.circleci.tests.unit.answers import PATH, SLUG, build
from ansible_collections.community.circleci.tests.unit.fakes import answer

PARAMETERS = {'DEPLOY_TOKEN': 'secret-deploy-token', 'MODE': 'fast'}
MASKED = {'DEPLOY_TOKEN': '********', 'MODE': '********'}


def test_one_build_has_its_parameter_values_masked(run, transport):
    transport.then(answer(body=build(300, build_parameters=PARAMETERS, steps=[])))
    result = run('build_info', dict(project=SLUG, build_num=300))
    assert result['build']['build_parameters'] == MASKED
    assert result['builds'] == [result['build']]
    assert 'secret-deploy-token' not in json.dumps(result)
    assert transport.requests() == [('GET', PATH + '/300')]


def test_listed_builds_have_their_parameter_values_masked(run, transport):
    transport.then(answer(body=[build(300, build_parameters=PARAMETERS), build(299), build(298, build_parameters={})]))
    result = run('build_info', dict(project=SLUG, limit=3))
    assert [listed['build_parameters'] for listed in result['builds']] == [MASKED, None, {}]
    assert 'secret-deploy-token' not in json.dumps(result)


@pytest.mark.parametrize('args', [dict(build_num=300), dict(limit=1)], ids=['build', 'list'])
def test_show_build_parameters_shows_the_values(run, transport, args):
    transport.then(answer(body=build(300, build_parameters=PARAMETERS) if 'build_num' in args else [build(300, build_parameters=PARAMETERS)]))
    result = run('build_info', dict(args, project=SLUG, show_build_parameters=True))
    assert result['builds'][0]['build_parameters'] == PARAMETERS


def test_recent_builds_of_every_project_page_by_a_hundred(run, transport):
    transport.then(answer(body=[build(n) for n in range(250, 150, -1)]), answer(body=[build(n) for n in range(150, 100, -1)]))
    result = run('build_info', dict(limit=150))
    assert [listed['build_num'] for listed in result['builds']] == list(range(250, 100, -1))
    assert transport.requests() == [('GET', '/api/v1.1/recent-builds?limit=100&offset=0'), ('GET', '/api/v1.1/recent-builds?limit=50&offset=100')]


@pytest.mark.parametrize('args, words', [
    (dict(project=SLUG, limit=0), 'limit must be at least 1'),
    (dict(project=SLUG, offset=-1), 'offset must be at least 0'),
    (dict(project=SLUG, branch=' '), 'branch must not be empty'),
    (dict(branch='main'), 'project'),
    (dict(project=SLUG, build_num=300, branch='main'), 'mutually exclusive'),
])
def test_bad_input_is_refused_before_any_request(run, transport, args, words):
    result = run('build_info', args)
    assert result['failed'] is True and words in result['msg']
    assert transport.requests() == []
