# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Following and unfollowing a project: read once, write only when needed.

For internal collection use only: names and behaviour may change without notice.

``GET project/:slug/settings`` tells whether the token's user follows the project (``followed``),
also for a project nobody follows yet; an unknown project answers 404. ``POST .../follow``
answers ``{"first_build": ..., "followed": true}`` (``first_build`` is the build that following
started, or null) and ``POST .../unfollow`` answers ``{"followed": false}``.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import InvalidResponseError

SETTINGS_PATH = 'project/{}/settings'
FOLLOW_PATH = 'project/{}/follow'
UNFOLLOW_PATH = 'project/{}/unfollow'


def read_followed(client, project):
    """Whether the token's user follows the project, with one GET of its settings."""
    settings = client.get(SETTINGS_PATH, project)
    if not isinstance(settings, dict) or not isinstance(settings.get('followed'), bool):
        raise InvalidResponseError('GET', '/' + encode_path(SETTINGS_PATH, project),
                                   detail='the project settings did not say whether the project is followed')
    return settings['followed']


def plan_follow(followed, state):
    """``(changed, action)``: action is ``follow``, ``unfollow`` or None."""
    if state not in ('present', 'absent'):
        raise ValueError('state must be present or absent, got %r' % (state,))
    want = state == 'present'
    if followed == want:
        return False, None
    return True, 'follow' if want else 'unfollow'


def converge_follow(client, project, state, check_mode=False, followed=None):
    """Follow (state present) or unfollow (absent): one GET, plus one POST when it changes.

    ``followed`` is the current state when the caller already read the settings (no GET then).

    Returns ``changed``, ``project`` (slug), ``followed`` (after), ``first_build`` (the build a
    follow started, else None) and ``diff`` (``{followed: bool}`` before and after).
    """
    before = read_followed(client, project) if followed is None else followed
    changed, action = plan_follow(before, state)
    after = before if not changed else action == 'follow'
    result = {'changed': changed, 'project': project.slug, 'followed': after, 'first_build': None,
              'diff': {'before': {'followed': before}, 'after': {'followed': after}}}
    if not changed or check_mode:
        return result
    answer = client.post(FOLLOW_PATH if action == 'follow' else UNFOLLOW_PATH, project)
    if isinstance(answer, dict):
        if isinstance(answer.get('followed'), bool):
            result['followed'] = answer['followed']
        if action == 'follow' and isinstance(answer.get('first_build'), dict):
            result['first_build'] = answer['first_build']
    return result
