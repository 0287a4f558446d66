# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one CircleCI API v1.1 client every module shares.

For internal collection use only: names and behaviour may change without notice.

The rules users depend on live here and nowhere else:
- the token travels only in the ``Circle-Token`` header, only to the API's own origin and to the
  artifact hosts the API itself names, never in a URL and never across a redirect to another host;
- every path segment is URL-encoded (branch names contain ``/``);
- retries never replay a request that may have created something (see ``RetryPolicy``);
- every failure becomes a ``CircleCIError`` whose message names method, path, status and
  CircleCI's own message, and never a secret.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import threading
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
except ImportError:  # the module reports this with missing_required_lib
    HAS_REQUESTS = False
else:
    HAS_REQUESTS = True

from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CheckModeWriteError,
    CircleCIError,
    InvalidResponseError,
    RateLimitedError,
    TransportError,
    api_message_from_body,
    error_for_status,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'community.circleci/%s (Ansible collection; +https://github.com/ansible-collections/community.circleci)' % COLLECTION_VERSION
DEFAULT_API_URL = 'https://circleci.com/api/v1.1'
PAGE_SIZE = 100  # the most a v1.1 list endpoint returns per request
MAX_REDIRECTS = 5
WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))
# Repeating these cannot create anything new; any other method is repeatable only when the caller says so.
REPEATABLE_METHODS = frozenset(('GET', 'HEAD', 'DELETE'))
RETRYABLE_SERVER_STATUSES = frozenset((502, 503, 504))

Outcome = namedtuple('Outcome', ['item', 'value', 'error'])


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, moment.timestamp() - now)


class RetryPolicy:
    """When to try a request again, and how long to wait first.

    - 429 on any method: CircleCI refused the request before acting on it.
    - A connection that could not be opened, on any method: nothing reached the server.
    - 502/503/504, a reset connection or a read timeout only when the request is repeatable
      (GET, DELETE, and writes the caller marks as overwrites, such as the env var POST): the
      request may have reached the server, and replaying a creating POST would create twice.
    Waits are exponential with full jitter, or what Retry-After asks (clamped), and all of it must
    fit in ``deadline`` seconds.
    """

    def __init__(self, retries=5, backoff_base=0.5, backoff_max=30.0, retry_after_max=120.0, deadline=300.0,
                 sleep=time.sleep, clock=time.monotonic, rand=random.random):
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock
        self.rand = rand

    @staticmethod
    def is_retryable(failure, repeatable):
        """``failure`` is an HTTP status, ``'connect'`` (never sent) or ``'sent'`` (reset or read timeout)."""
        if failure == 429 or failure == 'connect':
            return True
        return repeatable and (failure == 'sent' or failure in RETRYABLE_SERVER_STATUSES)

    def delay(self, retry_number, retry_after=None):
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        return self.rand() * min(self.backoff_max, self.backoff_base * (2 ** retry_number))


def _origin(url):
    parts = urlsplit(url)
    port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), port)


def encode_path(template, *args):
    """Fill ``{}`` in a path template, URL-encoding each argument as one path segment.

    A Project fills its three segments; any other value is one segment with every reserved
    character (``/`` included) encoded, so ``feature/login`` stays one branch name.
    """
    segments = []
    for arg in args:
        if isinstance(arg, Project):
            segments.append('/'.join(quote(part, safe='') for part in arg.segments))
        else:
            segments.append(quote(str(arg), safe=''))
    return template.format(*segments)


class CircleCIClient:
    """A keep-alive session to CircleCI API v1.1 with the collection's auth, retry and error rules."""

    def __init__(self, api_url, token, validate_certs=True, ca_path=None, timeout=30, retries=5,
                 max_workers=4, read_only=False, warn=None, policy=None, session=None):
        self.api_url = (api_url or DEFAULT_API_URL).rstrip('/')
        self._api_origin = _origin(self.api_url)
        self._token = token
        self.timeout = timeout
        self.policy = policy or RetryPolicy(retries=retries)
        self.max_workers = max(1, max_workers)
        self.read_only = read_only
        self._warn = warn
        self._lock = threading.Lock()
        # Bounds the requests in flight across every pool (a many-project converge nests pools).
        self._in_flight = threading.BoundedSemaphore(self.max_workers)
        self.retry_count = 0
        self.request_count = 0
        self.session = session or requests.Session()
        # The token is added per request (see _headers_for), so a redirect can never carry it.
        self.session.headers.update({'Accept': 'application/json', 'User-Agent': USER_AGENT})
        self.session.verify = (ca_path or True) if validate_certs else False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.max_workers + 2, max_retries=0)
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)

    # -- JSON API ---------------------------------------------------------------------------

    def get(self, template, *args, params=None):
        return self.request('GET', template, *args, params=params)

    def post(self, template, *args, body=None, params=None, repeatable=False):
        return self.request('POST', template, *args, body=body, params=params, repeatable=repeatable)

    def delete(self, template, *args, body=None, params=None):
        return self.request('DELETE', template, *args, body=body, params=params)

    def request(self, method, template, *args, params=None, body=None, repeatable=None):
        """Send one API request and return its decoded JSON (None for an empty body).

        ``template`` is a path below api_url such as ``project/{}/envvar/{}``; see encode_path.
        ``repeatable`` says whether replaying the request after it may have reached the server is
        harmless; it defaults to True for GET and DELETE only.
        """
        path = encode_path(template, *args)
        display_path = '/' + path
        if self.read_only and method in WRITE_METHODS:
            raise CheckModeWriteError(method, display_path)
        if repeatable is None:
            repeatable = method in REPEATABLE_METHODS
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        response = self._send_with_retries(method, self.api_url + '/' + path, display_path, repeatable,
                                           params=params, data=data, headers=headers)
        return self._decode(response, method, display_path)

    @staticmethod
    def _decode(response, method, display_path):
        text = response.text.strip()
        if text in ('', '""'):  # CircleCI answers some writes with an empty JSON string
            return None
        try:
            return response.json()
        except ValueError:
            raise InvalidResponseError(method, display_path, response.status_code,
                                       detail='the body is not JSON (Content-Type %s)' % response.headers.get('Content-Type', 'unknown'))

    def paginate(self, template, *args, params=None, limit=None, offset=0):
        """Items of a list endpoint from ``offset``, ``limit`` of them (all when None), in order.

        With a limit the page offsets are known in advance, so pages are fetched concurrently and
        merged in order; pages after a short one are dropped. Without one, pages are read in turn.
        """
        params = dict(params or {})

        def page(page_offset, page_limit):
            page_params = dict(params, limit=page_limit, offset=page_offset)
            items = self.get(template, *args, params=page_params)
            if not isinstance(items, list):
                raise InvalidResponseError('GET', '/' + encode_path(template, *args), detail='expected a JSON list of items')
            return items

        if limit is None:
            items, page_offset = [], offset
            while True:
                batch = page(page_offset, PAGE_SIZE)
                items.extend(batch)
                if len(batch) < PAGE_SIZE:
                    return items
                page_offset += PAGE_SIZE
        windows = [(start, min(PAGE_SIZE, offset + limit - start)) for start in range(offset, offset + limit, PAGE_SIZE)]
        items = []
        for outcome in self.map_concurrent(lambda window: page(*window), windows):
            if outcome.error:
                raise outcome.error
            items.extend(outcome.value)
            if len(outcome.value) < outcome.item[1]:
                break
        return items

    def map_concurrent(self, func, items):
        """Call ``func(item)`` for each item on a bounded pool; Outcomes in input order.

        A CircleCIError is captured in its Outcome so callers can report partial progress; any
        other exception is a bug and propagates.
        """
        items = list(items)

        def run(item):
            try:
                return Outcome(item, func(item), None)
            except CircleCIError as error:
                return Outcome(item, None, error)

        if len(items) <= 1 or self.max_workers == 1:
            return [run(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(run, items))

    # -- Downloads ----------------------------------------------------------------------------

    def download(self, url, path, chunk_size=1024 * 1024):
        """Stream ``url`` into the file ``path`` (rewritten from the start on a retry).

        The token goes to the API's origin and to the origin of ``url`` (an artifact host the API
        named), never to where a redirect points elsewhere. Returns (size, sha256 hex digest).
        """
        display_path = urlsplit(url).path
        trusted = {self._api_origin, _origin(url)}
        response = self._send_with_retries('GET', url, display_path, True, stream=True, trusted=trusted)
        with response:
            digest, size = hashlib.sha256(), 0
            try:
                with open(path, 'wb') as target:
                    for chunk in response.iter_content(chunk_size=chunk_size):
                        target.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            except requests.exceptions.RequestException as error:
                raise TransportError('GET', display_path, detail='the download was cut off after %d bytes (%s)' % (size, type(error).__name__))
        return size, digest.hexdigest()

    def head_size(self, url):
        """The size in bytes the artifact host gives for ``url`` (a HEAD, same token rule as download), or None if it gives none.

        HTTP failures raise CircleCIError like any request (object stores may refuse a HEAD on a URL signed for GET).
        """
        display_path = urlsplit(url).path
        trusted = {self._api_origin, _origin(url)}
        response = self._send_with_retries('HEAD', url, display_path, True, trusted=trusted)
        with response:
            length = response.headers.get('Content-Length', '')
            encoded = response.headers.get('Content-Encoding', 'identity').lower() not in ('', 'identity')
        return int(length) if length.isdigit() and not encoded else None

    # -- Transport ----------------------------------------------------------------------------

    def _note(self, retried=False):
        with self._lock:
            if retried:
                self.retry_count += 1
            else:
                self.request_count += 1

    def _headers_for(self, url, trusted, headers):
        headers = dict(headers or {})
        if _origin(url) in trusted and self._token:
            headers['Circle-Token'] = self._token
        return headers

    def _send_once(self, method, url, trusted, headers, **kwargs):
        """One request, following redirects by hand so the token is only sent where it belongs."""
        for dummy in range(MAX_REDIRECTS + 1):
            self._note()
            with self._in_flight:
                response = self.session.request(method, url, headers=self._headers_for(url, trusted, headers),
                                                timeout=self.timeout, allow_redirects=False, **kwargs)
            if not response.is_redirect:
                return response
            url = urljoin(url, response.headers['Location'])
            response.close()
            if response.status_code == 303 or (response.status_code == 302 and method != 'HEAD'):
                method, kwargs = 'GET', {key: value for key, value in kwargs.items() if key not in ('data', 'params')}
                headers = {key: value for key, value in (headers or {}).items() if key != 'Content-Type'}
            kwargs.pop('params', None)  # the Location carries its own query
        raise InvalidResponseError(method, urlsplit(url).path, detail='more than %d redirects' % MAX_REDIRECTS)

    def _send_with_retries(self, method, url, display_path, repeatable, trusted=None, headers=None, **kwargs):
        trusted = trusted or {self._api_origin}
        started = self.policy.clock()
        retries = 0
        while True:
            failure, response, error = None, None, None
            try:
                response = self._send_once(method, url, trusted, headers, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise TransportError(method, display_path, detail='TLS failed: %s' % _reason(exc), retries=retries)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                failure, error = ('connect' if _never_sent(exc) else 'sent'), exc
            except requests.exceptions.RequestException as exc:
                raise TransportError(method, display_path, detail=_reason(exc), retries=retries)
            else:
                if response.status_code < 400:
                    return response
                failure = response.status_code

            retry_after = parse_retry_after(response.headers.get('Retry-After')) if response is not None else None
            wait = self.policy.delay(retries + 1, retry_after)
            out_of_time = self.policy.clock() - started + wait > self.policy.deadline
            if retries >= self.policy.retries or out_of_time or not self.policy.is_retryable(failure, repeatable):
                raise self._failure(method, display_path, failure, response, error, retries,
                                    out_of_time and self.policy.is_retryable(failure, repeatable))
            retries += 1
            self._note(retried=True)
            if self._warn:
                self._warn('%s %s: %s; retry %d of %d in %.1f s' % (
                    method, display_path, 'HTTP %s' % failure if response is not None else _reason(error),
                    retries, self.policy.retries, wait))
            if response is not None:
                response.close()
            self.policy.sleep(wait)

    @staticmethod
    def _failure(method, display_path, failure, response, error, retries, out_of_time):
        detail = 'the retry deadline would be passed' if out_of_time else None
        if response is None:
            reason = _reason(error)
            if failure == 'sent':
                reason += '; not repeated, as the request may have reached CircleCI and repeating it could act twice'
            return TransportError(method, display_path, detail=reason, retries=retries)
        error_class = error_for_status(response.status_code)
        if error_class is RateLimitedError and response.headers.get('Retry-After'):
            detail = ((detail + '; ') if detail else '') + 'Retry-After: %s' % response.headers['Retry-After']
        return error_class(method, display_path, response.status_code, api_message_from_body(response.text),
                           detail=detail, retries=retries)


def _never_sent(error):
    """True when a ConnectionError happened while opening the connection, before any byte was sent."""
    if isinstance(error, (requests.exceptions.ProxyError, requests.exceptions.ConnectTimeout)):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError and NameResolutionError are subclasses


def _reason(error):
    """A short, secret-free description of a transport error (no URL, no headers)."""
    reason = error.args[0] if getattr(error, 'args', None) else error
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    text = str(reason)
    if 'Connection refused' in text:
        return 'connection refused'
    if 'timed out' in text.lower():
        return 'timed out'
    if 'reset' in text.lower() or 'RemoteDisconnected' in text or 'aborted' in text.lower():
        return 'connection reset or closed by the server'
    return '%s: %s' % (type(error).__name__, text.split(' (Caused by', maxsplit=1)[0][:200])
