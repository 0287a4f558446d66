# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project identity parsing."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._slug import Project, ProjectError, parse_project


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
    ('gl/acme/api', None, None, 'unknown VCS'),
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
