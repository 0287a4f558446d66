# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors the CircleCI client raises, each with a message a user can act on.

For internal collection use only: names and behaviour may change without notice.
"""

from __future__ import annotations

import json


class CircleCIError(Exception):
    """Base of every error the client raises; ``str()`` is the complete user-facing message."""

    hint = ''

    def __init__(self, method, path, status=None, api_message=None, detail=None, retries=0):
        self.method = method
        self.path = path
        self.status = status
        self.api_message = api_message
        self.detail = detail
        self.retries = retries
        super().__init__(self.message)

    @property
    def message(self):
        text = '%s %s failed' % (self.method, self.path)
        if self.status is not None:
            text += ' with HTTP %s' % self.status
        if self.retries:
            text += ' after %d retr%s' % (self.retries, 'y' if self.retries == 1 else 'ies')
        sentences = [text]
        if self.api_message:
            sentences.append('CircleCI says: %s' % self.api_message)
        if self.detail:
            sentences.append(self.detail)
        if self.hint:
            sentences.append(self.hint)
        return '. '.join(sentence.rstrip('.') for sentence in sentences) + '.'

    def to_result(self):
        """The facts of the failure, for the module result (never a secret)."""
        return dict(method=self.method, path=self.path, status=self.status, api_message=self.api_message)


class AuthenticationError(CircleCIError):
    hint = 'The API token was refused: check api_token (or CIRCLECI_TOKEN) and that the token has not been revoked.'


class PermissionDeniedError(CircleCIError):
    hint = ('The token may not do this: read-only and project API tokens cannot make every change '
            '(a project token cannot create checkout keys or use /user endpoints); use a personal API token with write access.')


class NotFoundError(CircleCIError):
    hint = ('CircleCI found no such resource: check the project (vcs/organisation/name), that the token\'s user can see it, '
            'and the build number, name or fingerprint asked for.')


class BadRequestError(CircleCIError):
    hint = 'CircleCI rejected the request as invalid: check the option values.'


class RateLimitedError(CircleCIError):
    hint = 'CircleCI kept rate limiting the request: raise retries, lower concurrency, or run again later.'


class ServerError(CircleCIError):
    hint = 'CircleCI had a server-side problem: run again later (see https://status.circleci.com).'


class TransportError(CircleCIError):
    hint = 'Check api_url, the network and proxy settings, and for TLS errors validate_certs and ca_path.'


class InvalidResponseError(CircleCIError):
    hint = 'The answer was not the JSON expected: check that api_url points at the CircleCI API (for example https://circleci.com/api/v1.1).'


class CheckModeWriteError(CircleCIError):
    """A write was attempted by a module running in check mode: a bug in the module, never sent."""

    hint = 'This is a bug in community.circleci: check mode must not write. Please report it.'


_BY_STATUS = {400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 429: RateLimitedError}


def error_for_status(status):
    """The error class for an HTTP status the client does not accept."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return InvalidResponseError


def api_message_from_body(body_text):
    """CircleCI's own message from an error body, or None.

    Errors are JSON ``{"message": ...}``; for repositories GitHub does not know, ``message`` holds
    GitHub's own JSON error as an escaped string, which is unwrapped as "GitHub: <its message>".
    HTML error pages and plain-text bodies give no message.
    """
    try:
        document = json.loads(body_text)
    except (TypeError, ValueError):
        text = (body_text or '').strip()
        if text and '<' not in text and len(text) <= 200:
            return text  # plain text such as "Rate limited."
        return None
    message = document.get('message') if isinstance(document, dict) else None
    if not isinstance(message, str) or not message:
        return None
    try:
        nested = json.loads(message)
    except ValueError:
        return message
    if isinstance(nested, dict) and isinstance(nested.get('message'), str):
        return 'GitHub: %s' % nested['message']
    return message
