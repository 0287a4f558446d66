# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project resource: its v1.1 configuration, and following it (read once, write only when needed).

For internal collection use only: names and behaviour may change without notice.

``GET project/:slug/settings`` answers the project's configuration (called ``config`` here, to keep
"settings" for the v2 advanced settings): whether the token's user follows the project
(``followed``), also for a project nobody follows yet, and its SSH keys; an unknown project answers
404. ``POST .../follow`` answers ``{"first_build": ..., "followed": true}`` (``first_build`` is the
build that following started, or null) and ``POST .../unfollow`` answers ``{"followed": false}``.
Both are idempotent, so they are retried like overwrites.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import InvalidResponseError, RequestError, confirm

CONFIG_PATH = 'project/{}/settings'
FOLLOW_PATH = 'project/{}/follow'
UNFOLLOW_PATH = 'project/{}/unfollow'


def read_config(client, project):
    """The project's v1.1 configuration (follow state, SSH keys, feature flags...), with one GET."""
    return client.get(CONFIG_PATH, project, expect=dict)


def followed_in(config, project):
    """Whether the configuration says the token's user follows the project."""
    if not isinstance(config.get('followed'), bool):
        raise InvalidResponseError('GET', '/' + encode_path(CONFIG_PATH, project), 200,
                                   detail='The project configuration does not say whether the project is followed')
    return config['followed']


def plan_follow(followed, state):
    """``(changed, action)``: action is ``follow``, ``unfollow`` or None."""
    want = state == 'present'
    if followed == want:
        return False, None
    return True, 'follow' if want else 'unfollow'


def converge_follow(client, project, state, check_mode=False, config=None):
    """Follow (state present) or unfollow (absent): one GET (none when ``config`` is given), plus one POST when it changes.

    Returns ``changed``, ``project`` (slug), ``followed`` (after), ``first_build`` (the build a
    follow started, else None) and ``diff`` (``{followed: bool}`` before and after).
    """
    before = followed_in(config if config is not None else read_config(client, project), project)
    changed, action = plan_follow(before, state)
    after = before if not changed else action == 'follow'
    result = {'changed': changed, 'project': project.slug, 'followed': after, 'first_build': None,
              'diff': {'before': {'followed': before}, 'after': {'followed': after}}}
    if not changed or check_mode:
        return result
    try:
        answer = client.post(FOLLOW_PATH if action == 'follow' else UNFOLLOW_PATH, project, repeatable=True)
    except RequestError as error:
        partial = dict(result, changed=False, followed=before, diff={'before': {'followed': before}, 'after': {'followed': before}})
        confirm(error.with_result(partial), lambda: followed_in(read_config(client, project), project) == after)
        answer = None  # applied; its answer was lost
    if isinstance(answer, dict):
        if isinstance(answer.get('followed'), bool):
            result['followed'] = answer['followed']
        if action == 'follow' and isinstance(answer.get('first_build'), dict):
            result['first_build'] = answer['first_build']
    return result
