# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The user's Heroku API key: written only when the masked form CircleCI shows proves it differs.

For internal collection use only: names and behaviour may change without notice.

``GET me`` shows ``heroku_api_key`` masked as env var values are (``xxxx`` and the last four
characters; the same rule, kept in _env_vars); ``POST user/heroku-key`` sets it (200, empty body).
Setting the same key twice is harmless, so the POST is retried like an overwrite.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._env_vars import mask
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError, RequestError, confirm

ME_PATH = 'me'
KEY_PATH = 'user/heroku-key'


def check_api_key(api_key):
    if not api_key or api_key != api_key.strip():
        raise InputError('api_key must not be empty or start or end with white space')


def plan(shown, api_key, force=False):
    """Whether to write the key; pure.

    ``shown`` is ``heroku_api_key`` from ``GET me`` (masked, or None when unset). Returns ``{"write",
    "unverified", "before", "after"}``: ``unverified`` is true when the key is left alone only because
    its masked forms match (CircleCI never shows more than the last four characters).
    """
    matches = masked_matches(shown, api_key)
    write = force or not matches
    return {'write': write, 'unverified': matches and not write, 'before': shown, 'after': mask(api_key)}


def masked_matches(shown, value):
    """Whether a masked value CircleCI shows could be ``value`` (its last four characters agree)."""
    if not isinstance(shown, str) or not shown:
        return False
    if len(value) < 4:
        return shown == mask(value)
    return len(shown) >= 4 and shown[-4:] == value[-4:]


def read_shown(client):
    """``heroku_api_key`` as ``GET me`` shows it (masked), or None."""
    return client.get(ME_PATH, expect=dict).get('heroku_api_key')


def converge(client, api_key, force=False, check_mode=False):
    """One GET, plus one POST when the key must be written; the module result."""
    steps = plan(read_shown(client), api_key, force)
    shown = steps['after'] if steps['write'] else steps['before']
    result = dict(changed=steps['write'], heroku_api_key=shown, previous=steps['before'],
                  unverified=['api_key'] if steps['unverified'] else [],
                  diff={'before': {'heroku_api_key': steps['before']}, 'after': {'heroku_api_key': shown}})
    if steps['write'] and not check_mode:
        try:
            client.post(KEY_PATH, body={'apikey': api_key}, repeatable=True, expect=None)
        except RequestError as error:
            partial = dict(result, changed=False, heroku_api_key=steps['before'],
                           diff={'before': {'heroku_api_key': steps['before']}, 'after': {'heroku_api_key': steps['before']}})
            # Only a shown form that moved to the new key's proves the write; an unchanged one proves it did not.
            confirm(error.with_result(partial), lambda: _landed(read_shown(client), steps))
    return result


def _landed(shown, steps):
    """Whether the key now shown proves the write landed (True), did not (False), or cannot tell (None)."""
    def tail(text):
        return (text or '')[-4:]

    if steps['before'] is not None and tail(steps['before']) == tail(steps['after']):
        return None  # the old and the new key look alike once masked
    if shown is not None and tail(shown) == tail(steps['after']):
        return True
    return False if shown == steps['before'] else None
