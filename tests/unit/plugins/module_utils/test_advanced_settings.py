# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Advanced settings (API v2): the rules and the plan (pure), and converge_settings against scripted answers."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _advanced_settings as settings_mod
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError
from ansible_collections.community.circleci.plugins.module_utils._slug import parse_project
from ansible_collections.community.circleci.tests.unit.fakes import answer, read_timeout

API_PROJECT = parse_project('gh/acme/api')
SETTINGS = '/api/v2/project/github/acme/api/settings'
DEFAULTS = dict(settings_mod.NEW_PROJECT)


def advanced(**changes):
    """GET/PATCH .../settings: every setting, the defaults of a new project changed as given."""
    return {'advanced': dict(DEFAULTS, **changes)}


# -- the names and rules --------------------------------------------------------------------------------------------


def test_the_names_are_the_ten_the_reference_lists():
    assert set(settings_mod.NAMES) == {
        'autocancel_builds', 'build_fork_prs', 'build_prs_only', 'disable_ssh', 'forks_receive_secret_env_vars', 'oss',
        'set_github_status', 'setup_workflows', 'write_settings_requires_admin', 'pr_only_branch_overrides'}
    assert set(settings_mod.SPEC) == set(settings_mod.NAMES)


@pytest.mark.parametrize('settings, words', [
    ({'auto_cancel_builds': True}, 'unknown setting auto_cancel_builds (the settings are autocancel_builds, '),
    ({'autocancel_builds': 'true'}, "autocancel_builds must be true or false, not 'true'"),
    ({'oss': 1}, 'oss must be true or false, not 1'),
    ({'pr_only_branch_overrides': 'main'}, 'pr_only_branch_overrides must be a list of branch names'),
    ({'pr_only_branch_overrides': ['b%d' % n for n in range(101)]}, 'holds 101 branches; CircleCI takes at most 100'),
    ({'pr_only_branch_overrides': ['main', 'main']}, 'lists main more than once'),
    ({'pr_only_branch_overrides': ['main', ' dev']}, 'a branch name is empty or starts or ends with white space'),
    (['autocancel_builds'], 'settings must be a dictionary'),
])
def test_check_settings_refuses_what_the_api_would(settings, words):
    with pytest.raises(InputError) as caught:
        settings_mod.check_settings(settings)
    assert str(caught.value).startswith('Invalid settings, nothing was sent') or 'dictionary' in str(caught.value)
    assert words in str(caught.value)


def test_check_settings_accepts_none_values_as_not_managed():
    settings_mod.check_settings(dict({name: None for name in settings_mod.NAMES}, oss=False, pr_only_branch_overrides=[]))


def test_the_plan_names_only_the_managed_settings_that_differ():
    current = dict(DEFAULTS, pr_only_branch_overrides=['main', 'release'])
    desired = dict(autocancel_builds=True, set_github_status=True, disable_ssh=None, pr_only_branch_overrides=['release', 'main'])
    assert settings_mod.plan(current, desired) == {'autocancel_builds': True}
    assert settings_mod.plan(current, dict(pr_only_branch_overrides=['main'])) == {'pr_only_branch_overrides': ['main']}


# -- converge_settings ------------------------------------------------------------------------------------------------


def test_one_get_and_one_patch_naming_only_the_differing_settings(client, transport):
    api = client([answer(body=advanced()), answer(body=advanced(autocancel_builds=True, build_prs_only=True))])
    result = settings_mod.converge_settings(api, API_PROJECT, dict(autocancel_builds=True, build_prs_only=True,
                                                                   set_github_status=True))
    assert transport.requests() == [('GET', SETTINGS), ('PATCH', SETTINGS)]
    assert transport.bodies('PATCH') == [{'advanced': {'autocancel_builds': True, 'build_prs_only': True}}]
    assert result['changed'] is True and result['updated'] == ['autocancel_builds', 'build_prs_only']
    assert result['unchanged'] == ['set_github_status']
    assert result['diff'] == {'before': {'autocancel_builds': False, 'build_prs_only': False, 'set_github_status': True},
                              'after': {'autocancel_builds': True, 'build_prs_only': True, 'set_github_status': True}}
    assert result['settings'] == advanced(autocancel_builds=True, build_prs_only=True)['advanced']


def test_settings_already_right_cost_one_get(client, transport):
    api = client([answer(body=advanced(oss=True))])
    result = settings_mod.converge_settings(api, API_PROJECT, dict(oss=True))
    assert transport.requests() == [('GET', SETTINGS)] and result['changed'] is False and result['unchanged'] == ['oss']


def test_check_mode_plans_without_writing(client, transport):
    api = client([answer(body=advanced())], read_only=True)
    result = settings_mod.converge_settings(api, API_PROJECT, dict(disable_ssh=True), check_mode=True)
    assert transport.writes() == [] and result['changed'] is True and result['settings']['disable_ssh'] is True


def test_a_setting_circleci_accepted_but_did_not_apply_fails_saying_so(client, transport):
    api = client([answer(body=advanced()), answer(body=advanced(autocancel_builds=True))])
    with pytest.raises(CircleCIError) as caught:
        settings_mod.converge_settings(api, API_PROJECT, dict(oss=True, autocancel_builds=True))
    assert str(caught.value) == ('CircleCI accepted the settings of gh/acme/api but did not apply oss (oss: asked true, CircleCI '
                                 'says false): oss only sticks on a public repository. Applied: autocancel_builds.')
    assert caught.value.result['changed'] is True and caught.value.result['updated'] == ['autocancel_builds']


def test_a_lost_patch_is_settled_by_reading_the_settings_again(client, transport):
    api = client([answer(body=advanced()), read_timeout(), answer(body=advanced(build_fork_prs=True))], retries=0)
    result = settings_mod.converge_settings(api, API_PROJECT, dict(build_fork_prs=True))
    assert [method for method, dummy in transport.requests()] == ['GET', 'PATCH', 'GET']
    assert result['changed'] is True and result['updated'] == ['build_fork_prs']


def test_a_lost_patch_that_did_not_land_fails_as_not_applied(client, transport):
    api = client([answer(body=advanced()), answer(503, body={'message': 'Internal server error.'}), answer(body=advanced())], retries=0)
    with pytest.raises(CircleCIError) as caught:
        settings_mod.converge_settings(api, API_PROJECT, dict(build_fork_prs=True))
    assert caught.value.outcome == 'not_applied' and caught.value.result['changed'] is False


@pytest.mark.parametrize('body', [{'advanced': None}, {'message': 'ok'}, {}])
def test_a_settings_answer_without_the_advanced_object_fails_naming_the_request(client, body):
    api = client([answer(body=body)])
    with pytest.raises(CircleCIError) as caught:
        settings_mod.read_settings(api, API_PROJECT)
    assert str(caught.value).startswith('GET %s failed with HTTP 200. The answer has no advanced settings object' % SETTINGS)
