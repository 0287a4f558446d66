# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project slugs: one way to name a CircleCI project in every module.

For internal collection use only: names and behaviour may change without notice.
"""

from __future__ import annotations

import re
import uuid
from collections import namedtuple

VCS_ALIASES = {'gh': 'github', 'github': 'github', 'bb': 'bitbucket', 'bitbucket': 'bitbucket', 'circleci': 'circleci'}
SHORT_VCS = {'github': 'gh', 'bitbucket': 'bb', 'circleci': 'circleci'}
# API v1.1 knows GitHub OAuth and Bitbucket projects only; GitHub App, GitLab and standalone projects
# are circleci/<organization id>/<project id> and live in API v2 alone.
V1_VCS = ('github', 'bitbucket')
# GitHub and Bitbucket owner and repository names: letters, digits, '-', '_' and '.'.
_NAME = re.compile(r'[A-Za-z0-9_.-]+')
_BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
# CircleCI has no gl/ (or gitlab/) slug: GitLab projects are standalone, circleci/<organization id>/<project id>.
_GITLAB = ('gl', 'gitlab')
GITLAB_HINT = ('CircleCI has no gl/ slug: GitLab projects (like GitHub App and standalone ones) are named '
               'circleci/<organization id>/<project id>, with the ids shown in the organization and project settings')


class ProjectError(ValueError):
    """A project name that cannot be used; the message says why."""


def canonical_id(text):
    """The UUID (lower case) that a CircleCI organization or project id names, or None.

    CircleCI shows these ids as UUIDs in its settings pages and base58-encoded in the slugs it
    returns; both forms name the same object.
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        pass
    if not 20 <= len(text) <= 22:  # a 128-bit id takes 22 base58 characters (fewer when it starts small)
        return None
    number = 0
    for char in text:
        position = _BASE58.find(char)
        if position < 0:
            return None
        number = number * 58 + position
    if number >= 1 << 128:
        return None
    return str(uuid.UUID(int=number))


class Project(namedtuple('Project', ['vcs_type', 'username', 'name'])):
    """A project: ``<vcs_type>/<organisation>/<name>``, or ``circleci/<organization id>/<project id>``."""

    __slots__ = ()

    @property
    def slug(self):
        """The short form users write, e.g. ``gh/acme/api``."""
        return '%s/%s/%s' % (SHORT_VCS[self.vcs_type], self.username, self.name)

    @property
    def segments(self):
        """The path segments, each to be URL-encoded separately (API v2 takes the slashes between them as they are)."""
        return (self.vcs_type, self.username, self.name)

    @property
    def in_v1(self):
        """Whether API v1.1 knows projects of this kind."""
        return self.vcs_type in V1_VCS

    def require_v1(self, what):
        """ProjectError before any request when ``what`` (an API v1.1-only feature) cannot serve this project."""
        if not self.in_v1:
            raise ProjectError('%s works through CircleCI API v1.1, which knows GitHub OAuth and Bitbucket projects only, '
                               'not %s (a GitHub App, GitLab or standalone project, which only API v2 serves)' % (what, self.slug))

    def __str__(self):
        return self.slug


def parse_project(project, vcs_type=None, username=None):
    """Parse ``gh/acme/api`` (also ``github/``, ``bb/``, ``bitbucket/``, ``circleci/<org id>/<project id>``),
    or a bare name with vcs_type and username.

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
    if str(vcs_type).lower() in _GITLAB:
        raise ProjectError('project %r: %s' % (project, GITLAB_HINT))
    if canonical_vcs is None:
        raise ProjectError('unknown VCS %r in project %r: use gh, github, bb, bitbucket or circleci' % (vcs_type, project))
    if canonical_vcs == 'circleci':
        ids = [canonical_id(value) for value in (username, name)]
        if None in ids:
            raise ProjectError('project %r: a circleci/ slug is circleci/<organization id>/<project id>, each a UUID '
                               '(as in the organization and project settings) or its base58 form' % project)
        return Project(canonical_vcs, ids[0], ids[1])
    for label, value in (('organisation', username), ('name', name)):
        if not _NAME.fullmatch(value) or value in ('.', '..'):
            raise ProjectError('project %s %r is not valid: use letters, digits, "-", "_" and "."' % (label, value))
    return Project(canonical_vcs, username, name)


class Owner(namedtuple('Owner', ['vcs_type', 'name'])):
    """An organization as users name it: ``gh/acme``, ``bb/acme``, or ``circleci/<organization id>``."""

    __slots__ = ()

    @property
    def slug(self):
        return '%s/%s' % (SHORT_VCS[self.vcs_type], self.name)

    def __str__(self):
        return self.slug


def parse_owner(owner):
    """Parse ``gh/acme`` (also ``github/``, ``bb/``, ``bitbucket/``) or ``circleci/<organization id>``; ProjectError otherwise."""
    if not isinstance(owner, str) or owner != owner.strip() or not owner:
        raise ProjectError('owner must be an organization such as gh/acme or circleci/<organization id>, got %r' % (owner,))
    parts = owner.strip('/').split('/')
    canonical_vcs = VCS_ALIASES.get(parts[0].lower()) if len(parts) == 2 else None
    if parts[0].lower() in _GITLAB:
        raise ProjectError('owner %r: CircleCI has no gl/ slug: a GitLab organization (like a GitHub App or standalone one) '
                           'is circleci/<organization id>, the id shown in the organization settings' % owner)
    if canonical_vcs is None:
        raise ProjectError('owner %r must look like gh/acme, bb/acme or circleci/<organization id>' % owner)
    if canonical_vcs == 'circleci':
        org_id = canonical_id(parts[1])
        if org_id is None:
            raise ProjectError('owner %r: circleci/ takes the organization id, a UUID or its base58 form' % owner)
        return Owner(canonical_vcs, org_id)
    if not _NAME.fullmatch(parts[1]):
        raise ProjectError('owner %r: the organization name is not valid: use letters, digits, "-", "_" and "."' % owner)
    return Owner(canonical_vcs, parts[1])
