# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Project identity options (kept in step with module_utils/_module.py PROJECT_SPEC)."""

    DOCUMENTATION = r'''
options:
  project:
    description:
      - The project, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile).
        The VCS may be V(gh), V(github), V(bb) or V(bitbucket).
      - Or only the repository name, with O(vcs_type) and O(username) set.
      - GitHub App, GitLab and standalone projects are V(circleci/<organization id>/<project id>), each id a UUID (as the
        organization and project settings show it) or its base58 form (as CircleCI's answers show it). Only API v2 knows
        them. The modules that serve them through API v2 say so; the others refuse them before any request.
        CircleCI has no V(gl/) slug.
      - Checked before any request is made.
    type: str
    required: true
  vcs_type:
    description:
      - The VCS of the project when O(project) is a bare repository name.
    type: str
    choices: [github, gh, bitbucket, bb]
  username:
    description:
      - The organisation or user owning the project when O(project) is a bare repository name.
    type: str
    aliases: [organization, org]
'''
