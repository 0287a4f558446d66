# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project slugs: one way to name a CircleCI project in every module.

For internal collection use only: names and behaviour may change without notice.
"""

from __future__ import annotations

import re
from collections import namedtuple

VCS_ALIASES = {'gh': 'github', 'github': 'github', 'bb': 'bitbucket', 'bitbucket': 'bitbucket'}
SHORT_VCS = {'github': 'gh', 'bitbucket': 'bb'}
# GitHub and Bitbucket owner and repository names: letters, digits, '-', '_' and '.'.
_NAME = re.compile(r'[A-Za-z0-9_.-]+')


class ProjectError(ValueError):
    """A project name that cannot be used; the message says why."""


class Project(namedtuple('Project', ['vcs_type', 'username', 'name'])):
    """A project as CircleCI v1.1 paths name it: ``<vcs_type>/<username>/<name>``."""

    __slots__ = ()

    @property
    def slug(self):
        """The short form users write, e.g. ``gh/acme/api``."""
        return '%s/%s/%s' % (SHORT_VCS[self.vcs_type], self.username, self.name)

    @property
    def segments(self):
        """The path segments, each to be URL-encoded separately."""
        return (self.vcs_type, self.username, self.name)

    def __str__(self):
        return self.slug


def parse_project(project, vcs_type=None, username=None):
    """Parse ``gh/acme/api`` (also ``github/``, ``bb/``, ``bitbucket/``), or a bare name with vcs_type and username.

    Raises ProjectError with a message naming what is wrong, before any request is made.
    """
    if not isinstance(project, str) or not project.strip():
        raise ProjectError('project must be a non-empty string such as gh/acme/api')
    if project != project.strip():
        raise ProjectError('project %r starts or ends with white space: remove it' % project)
    parts = project.strip('/').split('/')
    if len(parts) == 3:
        if vcs_type or username:
            given = parts[0] if not vcs_type else vcs_type
            if VCS_ALIASES.get(given) != VCS_ALIASES.get(parts[0]) or (username and username != parts[1]):
                raise ProjectError('project %r conflicts with vcs_type/username; give the full slug alone or a bare name with them' % project)
        vcs_type, username, name = parts
    elif len(parts) == 1:
        if not vcs_type or not username:
            raise ProjectError('project %r is a bare name: give it as vcs/organisation/name (e.g. gh/acme/api) or set vcs_type and username' % project)
        name = parts[0]
    else:
        raise ProjectError('project %r must look like vcs/organisation/name, e.g. gh/acme/api or bitbucket/acme/mobile' % project)
    canonical_vcs = VCS_ALIASES.get(str(vcs_type).lower())
    if canonical_vcs is None:
        raise ProjectError('unknown VCS %r in project %r: use gh, github, bb or bitbucket' % (vcs_type, project))
    for label, value in (('organisation', username), ('name', name)):
        if not _NAME.fullmatch(value) or value in ('.', '..'):
            raise ProjectError('project %s %r is not valid: use letters, digits, "-", "_" and "."' % (label, value))
    return Project(canonical_vcs, username, name)
