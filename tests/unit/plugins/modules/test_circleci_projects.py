# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module, given a ``circleci/<organization id>/<project id>`` project (GitHub App, GitLab, standalone).

Only API v2 knows such projects. A module that works through API v1.1 alone refuses them before any request, with a
message naming the module, the API it needs and the kind of project; the others serve them through API v2.
"""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.tests.unit.answers import PRIVATE

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


@pytest.mark.parametrize('module', sorted(V11_ONLY))
@pytest.mark.parametrize('slug', [CLOUD, CLOUD_BASE58], ids=['uuid', 'base58'])
def test_a_v11_only_module_refuses_a_circleci_project_before_any_request_naming_itself(run, transport, tmp_path, module, slug):
    args = {name: str(tmp_path) if value == 'DEST' else value for name, value in V11_ONLY[module].items()}
    result = run(module, dict(args, project=slug))
    assert result['failed'] is True and transport.requests() == []
    assert result['msg'] == (
        'community.circleci.%s works through CircleCI API v1.1, which knows GitHub OAuth and Bitbucket projects only, not %s '
        '(a GitHub App, GitLab or standalone project, which only API v2 serves)' % (module, CLOUD))
