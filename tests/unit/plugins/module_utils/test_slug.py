# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project identity parsing."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._slug import (
    Owner,
    Project,
    ProjectError,
    canonical_id,
    parse_owner,
    parse_project,
)


@pytest.mark.parametrize('text, vcs_type, username, expected', [
    ('gh/acme/api', None, None, Project('github', 'acme', 'api')),
    ('github/acme/api', None, None, Project('github', 'acme', 'api')),
    ('bb/acme/mobile', None, None, Project('bitbucket', 'acme', 'mobile')),
    ('bitbucket/acme/mobile', None, None, Project('bitbucket', 'acme', 'mobile')),
    ('GH/acme/my.repo-2_x', None, None, Project('github', 'acme', 'my.repo-2_x')),
    ('api', 'gh', 'acme', Project('github', 'acme', 'api')),
    ('mobile', 'bitbucket', 'acme', Project('bitbucket', 'acme', 'mobile')),
    ('gh/acme/api', 'github', 'acme', Project('github', 'acme', 'api')),
])
def test_parse(text, vcs_type, username, expected):
    project = parse_project(text, vcs_type, username)
    assert project == expected
    assert project.slug == '%s/%s/%s' % ({'github': 'gh', 'bitbucket': 'bb'}[expected.vcs_type], expected.username, expected.name)


@pytest.mark.parametrize('text, vcs_type, username, says', [
    ('', None, None, 'non-empty'),
    ('api', None, None, 'bare name'),
    ('acme/api', None, None, 'vcs/organisation/name'),
    ('xx/acme/api', None, None, 'unknown VCS'),
    ('gl/acme/api', None, None, 'no gl/ slug'),
    ('gh/acme/a b', None, None, 'not valid'),
    ('gh/../api', None, None, 'not valid'),
    ('gh/acme/api/extra', None, None, 'vcs/organisation/name'),
    ('gh/acme/api', 'bitbucket', None, 'conflicts'),
    ('gh/acme/api', None, 'other', 'conflicts'),
    ('gh/acme\n/api', None, None, 'not valid'),
    ('api', 'gh', 'acme\n', 'not valid'),
    ('gh/acme/api\x00', None, None, 'not valid'),
])
def test_rejected_before_any_request(text, vcs_type, username, says):
    with pytest.raises(ProjectError) as caught:
        parse_project(text, vcs_type, username)
    assert says in str(caught.value)


# -- circleci/<organization id>/<project id>, and owners ----------------------------------------------

ORG_UUID = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
PROJECT_UUID = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
ORG_B58 = '74hDwQgJ7BDtfqPpy7htUY'
PROJECT_B58 = 'LLVfkQk1e9RmCZVWHpHrFc'


def test_base58_and_uuid_ids_name_the_same_object():
    assert canonical_id(ORG_B58) == ORG_UUID
    assert canonical_id(PROJECT_B58) == PROJECT_UUID
    assert canonical_id(ORG_UUID.upper()) == ORG_UUID
    assert canonical_id('not-an-id!') is None


@pytest.mark.parametrize('text', ['circleci/%s/%s' % (ORG_UUID, PROJECT_UUID), 'circleci/%s/%s' % (ORG_B58, PROJECT_B58)])
def test_circleci_slugs_parse_to_uuids_and_are_not_v1(text):
    project = parse_project(text)
    assert project == Project('circleci', ORG_UUID, PROJECT_UUID)
    assert project.slug == 'circleci/%s/%s' % (ORG_UUID, PROJECT_UUID)
    assert not project.in_v1
    with pytest.raises(ProjectError, match='only API v2 serves'):
        project.require_v1('build_info')
    parse_project('gh/acme/api').require_v1('build_info')


def test_a_circleci_slug_needs_ids():
    with pytest.raises(ProjectError, match='circleci/<organization id>/<project id>'):
        parse_project('circleci/acme/api')


@pytest.mark.parametrize('text, expected', [
    ('gh/acme', Owner('github', 'acme')),
    ('bitbucket/acme', Owner('bitbucket', 'acme')),
    ('circleci/' + ORG_B58, Owner('circleci', ORG_UUID)),
])
def test_parse_owner(text, expected):
    assert parse_owner(text) == expected


@pytest.mark.parametrize('text', ['acme', 'gh/acme/api', 'gl/acme', 'circleci/acme', 'gh/acme\n', ''])
def test_parse_owner_refuses(text):
    with pytest.raises(ProjectError):
        parse_owner(text)


@pytest.mark.parametrize('text', ['gl/acme/api', 'gitlab/acme/api', 'GL/acme/api'])
def test_gitlab_slugs_are_refused_naming_the_circleci_form(text):
    with pytest.raises(ProjectError, match=r'CircleCI has no gl/ slug: GitLab projects .* circleci/<organization id>/<project id>'):
        parse_project(text)


def test_gitlab_owners_are_refused_naming_the_circleci_form():
    with pytest.raises(ProjectError, match=r'no gl/ slug: a GitLab organization .* is circleci/<organization id>'):
        parse_owner('gl/acme')
