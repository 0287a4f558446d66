# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project module's API v2 side: advanced settings, circleci/ projects, and project creation (idempotent by name)."""

from __future__ import annotations

import pytest

from ansible.module_utils.common.warnings import get_warning_messages

from ansible_collections.community.circleci.plugins.module_utils._advanced_settings import NEW_PROJECT
from ansible_collections.community.circleci.tests.unit.answers import settings as v11_settings
from ansible_collections.community.circleci.tests.unit.fakes import answer, read_timeout

ORG = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
LEDGER_ID = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
LEDGER = 'circleci/%s/%s' % (ORG, LEDGER_ID)
V11_CONFIG = '/api/v1.1/project/github/acme/api/settings'
V2_SETTINGS = '/api/v2/project/github/acme/api/settings'
LEDGER_SETTINGS = '/api/v2/project/%s/settings' % LEDGER
NEW = '/api/v2/project/github/acme/new-service'
COLLABORATIONS = '/api/v2/me/collaborations'
CLOUD_ORG = {'id': ORG, 'vcs-type': 'circleci', 'name': 'acme-cloud', 'avatar_url': '', 'slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY'}


def advanced(**changes):
    return {'advanced': dict(NEW_PROJECT, **changes)}


def new_project_view(project_id='2aab7f4b-15bc-418c-9f26-06fe11bb5a5d', name='billing'):
    return {'slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY/6Gc8L5g5cnjKYSXHF2wH9E', 'name': name, 'id': project_id,
            'organization_name': 'acme-cloud', 'organization_slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY', 'organization_id': ORG,
            'vcs_info': {'vcs_url': '', 'provider': 'CircleCI', 'default_branch': 'main'}}


WANTED = dict(autocancel_builds=True, build_prs_only=True, pr_only_branch_overrides=['main', 'release'], disable_ssh=False)


# -- settings of a GitHub project --------------------------------------------------------------------------------------


def test_settings_of_a_followed_project_two_gets_and_one_patch_with_the_differing_keys_only(run, transport):
    transport.on('GET', V11_CONFIG, answer(body=v11_settings(followed=True)))
    transport.on('GET', V2_SETTINGS, answer(body=advanced()))
    patched = advanced(autocancel_builds=True, build_prs_only=True, pr_only_branch_overrides=['main', 'release'])
    transport.on('PATCH', V2_SETTINGS, answer(body=patched))
    result = run('project', dict(project='gh/acme/api', settings=WANTED), diff=True)
    assert transport.requests() == [('GET', V11_CONFIG), ('GET', V2_SETTINGS), ('PATCH', V2_SETTINGS)]
    assert transport.bodies('PATCH') == [{'advanced': {'autocancel_builds': True, 'build_prs_only': True,
                                                       'pr_only_branch_overrides': ['main', 'release']}}]
    assert result['changed'] is True and result['followed'] is True and result['created'] is False
    assert result['updated'] == ['autocancel_builds', 'build_prs_only', 'pr_only_branch_overrides']
    assert result['unchanged'] == ['disable_ssh']
    assert result['diff'] == {
        'before': {'followed': True, 'settings': {'autocancel_builds': False, 'build_prs_only': False, 'disable_ssh': False,
                                                  'pr_only_branch_overrides': []}},
        'after': {'followed': True, 'settings': {'autocancel_builds': True, 'build_prs_only': True, 'disable_ssh': False,
                                                 'pr_only_branch_overrides': ['main', 'release']}}}


def test_settings_already_right_cost_two_gets_and_check_mode_never_writes(run, transport):
    transport.on('GET', V11_CONFIG, answer(body=v11_settings(followed=True)))
    already = advanced(autocancel_builds=True, build_prs_only=True, pr_only_branch_overrides=['release', 'main'])
    transport.on('GET', V2_SETTINGS, answer(body=already))
    again = run('project', dict(project='gh/acme/api', settings=WANTED))
    assert transport.requests() == [('GET', V11_CONFIG), ('GET', V2_SETTINGS)] and again['changed'] is False
    transport.sent.clear()
    check = run('project', dict(project='gh/acme/api', settings=dict(disable_ssh=True)), check_mode=True)
    assert transport.writes() == [] and check['changed'] is True and check['updated'] == ['disable_ssh']


@pytest.mark.parametrize('settings, words', [
    (dict(auto_cancel=True), 'settings.auto_cancel'),
    (dict(autocancel_builds='maybe'), 'autocancel_builds'),
    (dict(pr_only_branch_overrides=['main', 'main']), 'lists main more than once'),
])
def test_bad_settings_are_refused_before_any_request(run, transport, settings, words):
    result = run('project', dict(project='gh/acme/api', settings=settings))
    assert result['failed'] is True and transport.requests() == [] and words in result['msg']


def test_a_settings_failure_after_following_reports_the_follow(run, transport):
    transport.on('GET', V11_CONFIG, answer(body=v11_settings(followed=False)))
    transport.on('POST', '/follow$', answer(body={'first_build': None, 'followed': True}))
    transport.on('GET', V2_SETTINGS, answer(403, body={'message': 'Permission denied.'}))
    result = run('project', dict(project='gh/acme/api', settings=dict(oss=True)))
    assert result['failed'] is True and result['changed'] is True and result['followed'] is True
    assert result['msg'].startswith('GET %s failed with HTTP 403' % V2_SETTINGS) and result['error']['status'] == 403


# -- circleci/ projects: settings, never follow ------------------------------------------------------------------------


def test_a_circleci_project_manages_settings_without_any_v11_request(run, transport):
    transport.on('GET', LEDGER_SETTINGS, answer(body=advanced()))
    transport.on('PATCH', LEDGER_SETTINGS, answer(body=advanced(autocancel_builds=True)))
    result = run('project', dict(project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc', settings=dict(autocancel_builds=True)))
    assert transport.requests() == [('GET', LEDGER_SETTINGS), ('PATCH', LEDGER_SETTINGS)]
    assert result['project'] == LEDGER and result['followed'] is None and result['updated'] == ['autocancel_builds']


def test_a_circleci_project_without_settings_is_checked_with_one_get(run, transport):
    transport.on('GET', '/api/v2/project/' + LEDGER + '$', answer(body=new_project_view(LEDGER_ID, 'ledger')))
    result = run('project', dict(project=LEDGER))
    assert transport.requests() == [('GET', '/api/v2/project/' + LEDGER)] and result['changed'] is False


@pytest.mark.parametrize('args, words', [
    (dict(follow=True), 'follow works through CircleCI API v1.1, which does not know circleci/'),
    (dict(follow=False), 'follow works through CircleCI API v1.1'),
    (dict(state='absent'), 'state=absent unfollows a project, which works through CircleCI API v1.1 only'),
], ids=['follow-true', 'follow-false', 'absent'])
def test_follow_and_unfollow_of_a_circleci_project_are_refused_before_any_request(run, transport, args, words):
    result = run('project', dict(args, project=LEDGER))
    assert result['failed'] is True and transport.requests() == [] and words in result['msg']


@pytest.mark.parametrize('args, words', [
    (dict(project='gh/acme/api', state='absent', follow=True), 'follow=true contradicts it'),
    (dict(project='gh/acme/api', state='absent', settings=dict(oss=False)), 'settings are managed with state=present'),
    (dict(owner=f'circleci/{ORG}', name='billing', settings=dict(oss=False)), 'API v2 cannot find such a project by name'),
    (dict(owner='gh/acme'), 'owner'),
    (dict(name='svc'), 'owner'),
    (dict(project='gh/acme/api', name='svc'), 'mutually exclusive'),
    (dict(owner='gl/acme', name='svc'), 'no gl/ slug'),
    (dict(owner='gh/acme', name='a/b'), "must be the project's name alone"),
])
def test_contradictory_options_are_refused_before_any_request(run, transport, args, words):
    result = run('project', args)
    assert result['failed'] is True and transport.requests() == [] and words in result['msg']


# -- creating a GitHub project (owner and name): read first, created once ----------------------------------------------


def test_a_missing_github_project_is_set_up_followed_and_given_its_settings(run, transport):
    transport.on('GET', NEW + '/settings$', answer(404, body={'message': 'Project not found.'}))
    transport.on('POST', NEW + '$', answer(201, body=advanced()))
    transport.on('POST', '/follow$', answer(body={'first_build': {'build_num': 1}, 'followed': True}))
    transport.on('PATCH', NEW + '/settings$', answer(body=advanced(autocancel_builds=True)))
    result = run('project', dict(owner='gh/acme', name='new-service', settings=dict(autocancel_builds=True, set_github_status=True)),
                 diff=True)
    assert transport.requests() == [('GET', NEW + '/settings'), ('POST', NEW), ('POST', '/api/v1.1/project/github/acme/new-service/follow'),
                                    ('PATCH', NEW + '/settings')]
    assert transport.bodies('POST')[0] is None  # the creation takes no body
    assert transport.bodies('PATCH') == [{'advanced': {'autocancel_builds': True}}]
    assert result['created'] is True and result['followed'] is True and result['first_build'] == {'build_num': 1}
    assert result['project'] == 'gh/acme/new-service' and result['updated'] == ['autocancel_builds']
    assert result['diff']['before'] == {'exists': False, 'followed': False, 'settings': {'autocancel_builds': False,
                                                                                         'set_github_status': True}}


def test_creating_in_check_mode_reads_only_and_predicts(run, transport):
    transport.on('GET', NEW + '/settings$', answer(404, body={'message': 'Project not found.'}))
    result = run('project', dict(owner='gh/acme', name='new-service', settings=dict(autocancel_builds=True)), check_mode=True)
    assert transport.requests() == [('GET', NEW + '/settings')]
    assert result['changed'] is True and result['created'] is True and result['followed'] is True
    assert result['updated'] == ['autocancel_builds'] and result['settings'] == dict(NEW_PROJECT, autocancel_builds=True)


def test_an_existing_github_project_named_by_owner_and_name_is_not_created_again(run, transport):
    transport.on('GET', NEW + '/settings$', answer(body=advanced()))
    transport.on('GET', '/api/v1.1/project/github/acme/new-service/settings', answer(body=v11_settings(followed=True)))
    result = run('project', dict(owner='github/acme', name='new-service'))
    assert transport.requests() == [('GET', NEW + '/settings'), ('GET', '/api/v1.1/project/github/acme/new-service/settings')]
    assert result['changed'] is False and result['created'] is False


def test_state_absent_with_owner_and_name_only_unfollows_and_never_creates(run, transport):
    transport.on('GET', '/api/v1.1/project/github/acme/new-service/settings', answer(404, body={'message': 'Project not found'}))
    result = run('project', dict(owner='gh/acme', name='new-service', state='absent'))
    assert result['failed'] is True and transport.writes() == []
    assert transport.requests() == [('GET', '/api/v1.1/project/github/acme/new-service/settings')]


def test_a_lost_creation_answer_is_settled_by_reading_the_settings(run, transport):
    transport.on('GET', NEW + '/settings$', answer(404, body={'message': 'Project not found.'}), answer(body=advanced()))
    transport.on('POST', NEW + '$', read_timeout())
    result = run('project', dict(owner='gh/acme', name='new-service', follow=False, retries=0))
    assert 'failed' not in result and result['created'] is True and result['followed'] is False
    assert transport.requests() == [('GET', NEW + '/settings'), ('POST', NEW), ('GET', NEW + '/settings')]


def test_a_creation_refused_by_circleci_fails_with_its_message_and_no_change(run, transport):
    transport.on('GET', NEW + '/settings$', answer(404, body={'message': 'Project not found.'}))
    transport.on('POST', NEW + '$', answer(404, body={'message': 'Branch not found.'}))
    result = run('project', dict(owner='gh/acme', name='new-service'))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('POST %s failed with HTTP 404. CircleCI says: Branch not found.' % NEW)


def test_a_project_set_up_meanwhile_counts_as_existing(run, transport):
    transport.on('GET', NEW + '/settings$', answer(404, body={'message': 'Project not found.'}), answer(body=advanced()))
    transport.on('POST', NEW + '$', answer(409, body={'message': 'Project already exists.'}))
    transport.on('GET', '/api/v1.1/project/github/acme/new-service/settings', answer(body=v11_settings(followed=True)))
    result = run('project', dict(owner='gh/acme', name='new-service'))
    assert 'failed' not in result and result['created'] is False and result['changed'] is False


# -- creating in a circleci organization: the duplicate refusal is the only way to know --------------------------------


def test_a_project_is_created_in_a_circleci_organization(run, transport):
    transport.on('GET', COLLABORATIONS, answer(body=[CLOUD_ORG]))
    transport.on('POST', '/api/v2/organization/%s/project$' % ORG, answer(body=new_project_view()))
    result = run('project', dict(owner='circleci/74hDwQgJ7BDtfqPpy7htUY', name='billing'))
    assert transport.requests() == [('GET', COLLABORATIONS), ('POST', '/api/v2/organization/%s/project' % ORG)]
    assert transport.bodies('POST') == [{'name': 'billing'}]
    assert result['changed'] is True and result['created'] is True
    assert result['project'] == 'circleci/%s/2aab7f4b-15bc-418c-9f26-06fe11bb5a5d' % ORG


def test_a_project_of_that_name_refused_as_a_duplicate_is_not_a_change(run, transport):
    transport.on('GET', COLLABORATIONS, answer(body=[CLOUD_ORG]))
    transport.on('POST', '/api/v2/organization/%s/project$' % ORG, answer(409, body={'message': 'Project already exists.'}))
    result = run('project', dict(owner='circleci/' + ORG, name='billing'), diff=True)
    assert 'failed' not in result and result['changed'] is False and result['created'] is False and result['project'] is None
    assert result['diff'] == {'before': {'exists': True}, 'after': {'exists': True}}


def test_check_mode_cannot_tell_and_says_so(run, transport):
    transport.on('GET', COLLABORATIONS, answer(body=[CLOUD_ORG]))
    result = run('project', dict(owner='circleci/' + ORG, name='billing'), check_mode=True)
    assert transport.requests() == [('GET', COLLABORATIONS)] and result['changed'] is True and result['project'] is None
    assert any('cannot tell whether organization circleci/74hDwQgJ7BDtfqPpy7htUY already has a project named billing' in warning
               for warning in get_warning_messages())


def test_an_organization_the_user_is_not_in_fails_before_any_write(run, transport):
    transport.on('GET', COLLABORATIONS, answer(body=[CLOUD_ORG]))
    result = run('project', dict(owner='circleci/006748eb-fdcd-48d3-be21-50645cdad7ab', name='billing'))
    assert result['failed'] is True and transport.writes() == [] and 'not among the organizations' in result['msg']


def test_a_lost_creation_in_a_circleci_organization_is_reported_as_a_possible_change(run, transport):
    transport.on('GET', COLLABORATIONS, answer(body=[CLOUD_ORG]))
    transport.on('POST', '/api/v2/organization/', read_timeout())
    result = run('project', dict(owner='circleci/' + ORG, name='billing', retries=0))
    assert result['failed'] is True and result['changed'] is True and result['error']['outcome'] == 'unknown'
    assert len(transport.writes()) == 1  # never repeated: a repetition could not tell whether it created the project
