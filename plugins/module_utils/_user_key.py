# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The user key: the SSH key CircleCI adds to the token user's GitHub account, added only when there is none.

For internal collection use only: names and behaviour may change without notice.

Facts of CircleCI API v1.1 this relies on (the v1.1 reference and the emulator, which implements it):
``GET me`` shows ``user_key_fingerprint``: the MD5 fingerprint of the user's key, or null when there is none
(the reference's own ``/me`` example shows ``"user_key_fingerprint": null``). ``POST user/ssh-key`` "adds a
CircleCI key to your GitHub User account"; it takes no body and its answer carries nothing (no fingerprint), so
the fingerprint is read from ``GET me`` afterwards. CircleCI generates the key and keeps the private half. The
reference has no endpoint that removes it. The POST is never replayed once it may have reached CircleCI (a
replay could add a second key to GitHub); a lost answer is settled by reading ``GET me`` again.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._checkout_keys import NEW_KEY
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CircleCIError,
    InvalidResponseError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._fingerprints import KeyFormatError, normalize_fingerprint

ME_PATH = 'me'
KEY_PATH = 'user/ssh-key'

SPEC = dict(
    state=dict(type='str', choices=['present'], default='present'),
)


def read_fingerprint(client):
    """``user_key_fingerprint`` of ``GET me`` (canonical MD5 form when it is one), or None when the user has no key."""
    shown = client.get(ME_PATH, expect=dict).get('user_key_fingerprint')
    if shown is None or shown == '':
        return None
    if not isinstance(shown, str):
        raise InvalidResponseError('GET', '/' + ME_PATH, 200, detail='The answer\'s user_key_fingerprint is neither a string nor null')
    try:
        return normalize_fingerprint(shown)[1]
    except KeyFormatError:
        return shown  # as CircleCI shows it


def _result(changed, before, after):
    return {
        'changed': changed,
        'fingerprint_md5': after if after != NEW_KEY else None,
        'added': [after] if changed else [],
        'unchanged': [] if changed else [before],
        'diff': {'before': {'user_key_fingerprint': before}, 'after': {'user_key_fingerprint': after}},
    }


def converge(client, check_mode=False):
    """One GET of ``me``; when the user has no key, one POST and one GET of ``me`` for its fingerprint. The module result.

    In check mode a key to add shows as NEW_KEY in ``added`` and the diff, and ``fingerprint_md5`` is None.
    """
    before = read_fingerprint(client)
    if before is not None:
        return _result(False, before, before)
    result = _result(True, None, NEW_KEY)
    if check_mode:
        return result
    partial = _result(False, None, None)
    partial['unchanged'] = []
    seen = []
    try:
        client.post(KEY_PATH, repeatable=False, expect=None)
    except RequestError as error:
        def read_back():
            seen.append(read_fingerprint(client))
            return seen[-1] is not None

        confirm(error.with_result(partial), read_back)
    else:
        seen.append(read_fingerprint(client))
        if seen[-1] is None:
            raise CircleCIError('POST /%s succeeded, but GET /%s still shows no user_key_fingerprint: CircleCI may not have '
                                'added the key (is the token\'s user signed in with GitHub?). Run again to check' % (KEY_PATH, ME_PATH),
                                result=dict(partial, changed=True))
    return _result(True, None, seen[-1])
