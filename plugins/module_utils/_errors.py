# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one failure type of the collection, and the messages a user can act on.

For internal collection use only: names and behaviour may change without notice.

Every failure a module can meet is a ``CircleCIError``: bad input found before any request
(``InputError``), or a request that failed (``RequestError`` and its subclasses, one per kind of
HTTP or transport failure). It carries the partial module result (what was applied before it
happened), and ``CircleCIModule.run`` turns it into the task's one ``fail_json``.
"""

from __future__ import annotations

import json

WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))

# What is known of a write when its request failed.
NOT_APPLIED = 'not_applied'   # CircleCI refused it, or it never left this machine
UNKNOWN = 'unknown'           # it may have reached CircleCI, and no answer says what happened
APPLIED = 'applied'           # CircleCI accepted it (2xx), but its answer was lost


class CircleCIError(Exception):
    """Base of every failure a module reports; ``str()`` is the complete user-facing message.

    ``result`` is the partial module result: what was applied before the failure (and, for bulk
    changes, what failed and what was not attempted). ``CircleCIModule.run`` returns it with the failure.
    """

    may_have_applied = False

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result

    def with_result(self, result):
        """This error, carrying ``result`` (for ``raise error.with_result(result)``)."""
        self.result = result
        return self

    def to_result(self):
        """The facts of the failed request for the module result, or None when no request failed."""
        return None


class InputError(CircleCIError):
    """Options or data that cannot be used, found before any request; the message says what to change."""


def _sentences(*parts):
    """Join message parts into sentences, each starting with a capital letter and ending with a full stop."""
    sentences = []
    for part in parts:
        part = (part or '').strip().rstrip('.')
        if part:
            sentences.append(part[0].upper() + part[1:])
    return '. '.join(sentences) + '.'


class RequestError(CircleCIError):
    """A request that failed: method, path, status, CircleCI's message, what to do, and whether a write may have landed."""

    hint = ''

    def __init__(self, method, path, status=None, api_message=None, detail=None, retries=0, outcome=NOT_APPLIED,
                 may_still_run=False):
        self.method = method
        # No answer came in time: CircleCI may still be carrying the request out, so a read-back that does
        # not show it yet proves nothing.
        self.may_still_run = may_still_run
        self.path = path
        self.status = status
        self.api_message = api_message
        self.detail = detail
        self.retries = retries
        self.outcome = outcome
        super().__init__(self.message)

    def __str__(self):
        return self.message  # the outcome may be settled after the error was made (see confirm)

    @property
    def may_have_applied(self):
        """True for a write that CircleCI may have carried out although the request failed."""
        return self.method in WRITE_METHODS and self.outcome != NOT_APPLIED

    @property
    def message(self):
        text = '%s %s failed' % (self.method, self.path)
        if self.status is not None:
            text += ' with HTTP %s' % self.status
        if self.retries:
            text += ' after %d retr%s' % (self.retries, 'y' if self.retries == 1 else 'ies')
        outcome = None
        if self.may_have_applied:
            outcome = ('CircleCI accepted the request, but its answer was lost: the change was made'
                       if self.outcome == APPLIED else
                       'The request may have reached CircleCI: the change may have been made')
        return _sentences(text, 'CircleCI says: %s' % self.api_message if self.api_message else None,
                          self.detail, outcome, self.hint)

    def to_result(self):
        return dict(method=self.method, path=self.path, status=self.status, api_message=self.api_message,
                    outcome=self.outcome if self.method in WRITE_METHODS else None)


def confirm(error, read_back):
    """Settle a failed write by reading back; return only when the write is known to have been applied.

    For a write that may have landed (its answer lost), ``read_back()`` says whether it did: True
    (carry on as after success), False (the error is raised as not applied, unless the request timed
    out and may still be running), or None (cannot tell).
    Any other error, or a read-back that fails itself, raises ``error`` as it stands.
    """
    if not error.may_have_applied:
        raise error
    try:
        applied = read_back()
    except CircleCIError:
        raise error
    if applied is True:
        return
    if applied is False and not getattr(error, 'may_still_run', False):
        error.outcome = NOT_APPLIED
    raise error


class AuthenticationError(RequestError):
    hint = 'The API token was refused: check api_token (or CIRCLECI_TOKEN) and that the token has not been revoked'


class PermissionDeniedError(RequestError):
    hint = ('The token may not do this: read-only and project API tokens cannot make every change '
            '(a project token cannot create checkout keys or use /user endpoints); use a personal API token with write access')


class NotFoundError(RequestError):
    hint = ('CircleCI found no such resource: check the project (vcs/organisation/name), that the token\'s user can see it, '
            'and the build number, name or fingerprint asked for')


class BadRequestError(RequestError):
    hint = 'CircleCI rejected the request as invalid: check the option values'


class RateLimitedError(RequestError):
    hint = 'CircleCI kept rate limiting the request: raise retries, lower max_concurrency, or run again later'


class ServerError(RequestError):
    hint = 'CircleCI had a server-side problem: run again later (see https://status.circleci.com)'


class TransportError(RequestError):
    hint = 'Check api_url, the network and proxy settings, and for TLS errors validate_certs and ca_path'


class InvalidResponseError(RequestError):
    hint = 'The answer was not what the CircleCI API sends: check that api_url points at it (for example https://circleci.com/api/v1.1)'


class NotCircleCIError(InvalidResponseError):
    """A 404 (or 405) without CircleCI's JSON message: the server at api_url is not the CircleCI API, or the path is wrong."""

    hint = ('The answer did not come from the CircleCI API (no JSON message): check api_url, which must end with the API '
            'version, for example https://circleci.com/api/v1.1 or https://circleci.example.com/api/v1.1')


class RedirectRefusedError(RequestError):
    """A write redirected to another origin: never followed, so neither its body nor the token leaves."""

    hint = 'Set api_url to the address the server redirects to, if you trust it'


class CheckModeWriteError(RequestError):
    """A write was attempted by a module running in check mode: a bug in the module, never sent."""

    hint = 'This is a bug in community.circleci: check mode must not write. Please report it'


class UnexpectedAnswerError(RequestError):
    """An answer whose shape the module could not use (a field missing or of another type)."""

    hint = ('CircleCI\'s answer was not shaped as this module expects: check that api_url points at the CircleCI API; '
            'if it does, please report this with the task and the CircleCI version')


# Without a token CircleCI answers only what is public: the read-only build endpoints of F/OSS projects.
TOKEN_NEEDED_HINT = ('No API token was given. Without one, CircleCI answers only the read-only build endpoints of F/OSS '
                     '(open source) projects: builds, artifact lists and test metadata. This project is not open source '
                     '(or not visible), or the request needs a token in any case (artifact downloads do): '
                     'set api_token or the CIRCLECI_TOKEN environment variable')


class TokenNeededError(AuthenticationError):
    """A 401 or 403 to a request sent without a token: a token is needed."""

    hint = TOKEN_NEEDED_HINT


class TokenNeededNotFoundError(NotFoundError):
    """A 404 to a request sent without a token: CircleCI hides what the anonymous may not see (still a NotFoundError)."""

    hint = TOKEN_NEEDED_HINT


_BY_STATUS = {400: BadRequestError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 429: RateLimitedError}
_WITHOUT_TOKEN = {401: TokenNeededError, 403: TokenNeededError, 404: TokenNeededNotFoundError}


def error_for_status(status, body_text=None, token_sent=True):
    """The error class for an HTTP status the client does not accept.

    A 404 or 405 without CircleCI's JSON message comes from something that is not the API (a web
    server, a proxy, a wrong api_url), so it is not blamed on the project or build asked for.
    A 401, 403 or 404 to a request sent without a token (``token_sent`` false) says a token is needed.
    """
    if status in (404, 405) and _json_message(body_text) is None:
        return NotCircleCIError
    if not token_sent and status in _WITHOUT_TOKEN:
        return _WITHOUT_TOKEN[status]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return InvalidResponseError


def _json_message(body_text):
    """``message`` (or v2's ``error``) of a JSON error body, or None."""
    try:
        document = json.loads(body_text)
    except (TypeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    for key in ('message', 'error'):
        if isinstance(document.get(key), str) and document[key]:
            return document[key]
    return None


def api_message_from_body(body_text):
    """CircleCI's own message from an error body, or None.

    Errors are JSON ``{"message": ...}`` (``{"error": ...}`` on some v2 routes); for repositories
    GitHub does not know, ``message`` holds GitHub's own JSON error as an escaped string, which is
    unwrapped as "GitHub: <its message>". HTML error pages give no message; short plain text such
    as ``Rate limited.`` is kept.
    """
    message = _json_message(body_text)
    if message is None:
        text = (body_text or '').strip()
        if text and '<' not in text and len(text) <= 200 and not text.startswith(('{', '[')):
            return text
        return None
    try:
        nested = json.loads(message)
    except ValueError:
        return message
    if isinstance(nested, dict) and isinstance(nested.get('message'), str):
        return 'GitHub: %s' % nested['message']
    return message
