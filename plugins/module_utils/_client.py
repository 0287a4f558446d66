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
- every failed request becomes a ``RequestError`` whose message names method, path, status and
  CircleCI's own message, and never a secret.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import threading
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError
except ImportError:  # the module reports this with missing_required_lib
    HAS_REQUESTS = False
else:
    HAS_REQUESTS = True

from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    NOT_APPLIED,
    UNKNOWN,
    WRITE_METHODS,
    CheckModeWriteError,
    CircleCIError,
    InputError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RedirectRefusedError,
    TransportError,
    api_message_from_body,
    error_for_status,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.plugins.module_utils._throttle import Throttle

USER_AGENT = 'community.circleci (Ansible collection; +https://github.com/ansible-collections/community.circleci)'
DEFAULT_API_URL = 'https://circleci.com/api/v1.1'
DEFAULT_CONCURRENCY = 8  # requests in flight at once; see docs/performance.md for how it was chosen
PAGE_SIZE = 100  # the most a v1.1 list endpoint returns per request
MAX_REDIRECTS = 5
# Repeating these cannot create anything new; any other method is repeatable only when the caller says so.
REPEATABLE_METHODS = frozenset(('GET', 'HEAD', 'DELETE'))
RETRYABLE_SERVER_STATUSES = frozenset((500, 502, 503, 504))

Outcome = namedtuple('Outcome', ['item', 'value', 'error'])


def check_connection(api_url, token, ca_path=None, api_v2_url=None, token_optional=False):
    """Fail before any request on connection options that cannot work; the message never shows the token.

    ``token_optional``: the module can work without a token (reads of F/OSS projects), so none is not an error.
    """
    for name, url in (('api_url', api_url), ('api_v2_url', api_v2_url)):
        if name == 'api_v2_url' and url is None:
            continue
        parts = urlsplit(url or '')
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise InputError('%s must be an http or https URL such as %s, got %r' % (
                name, DEFAULT_API_URL if name == 'api_url' else v2_url(DEFAULT_API_URL), url))
        if parts.username or parts.password or parts.query or parts.fragment:
            raise InputError('%s must not carry credentials, a query or a fragment: give the token as api_token' % name)
    if not token:
        if token_optional:
            return check_ca_path(ca_path)
        raise InputError('api_token is required: set it, or the CIRCLECI_TOKEN (or CIRCLE_TOKEN) environment variable')
    if token != token.strip():
        raise InputError('api_token starts or ends with white space (often a newline read from a file): strip it')
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in token):
        raise InputError('api_token contains white space or control characters: it cannot be a CircleCI token')
    return check_ca_path(ca_path)


def check_ca_path(ca_path):
    """InputError when ca_path is set to a path that does not exist."""
    if ca_path is not None and not (os.path.isfile(ca_path) or os.path.isdir(ca_path)):
        raise InputError('ca_path %s does not exist: give a PEM file (or a directory of them) of the CA that signed '
                         'the server certificate' % ca_path)


def v2_url(api_url):
    """The API v2 base next to an API v1.1 base: ``.../api/v1.1`` becomes ``.../api/v2``, else ``<origin>/api/v2``."""
    base = (api_url or DEFAULT_API_URL).rstrip('/')
    if base.endswith('/api/v1.1'):
        return base[:-len('v1.1')] + 'v2'
    parts = urlsplit(base)
    return '%s://%s/api/v2' % (parts.scheme, parts.netloc)


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
    """When to try a request again, and how long to wait first (the table in docs/docsite/rst/guide.rst).

    ``failure`` is an HTTP status or one of:
    - ``'unreachable'``: the connection was refused or the host name did not resolve. Nothing was
      sent; not retried, as it is a wrong api_url or a server that is down far more often than a blip.
    - ``'connect'``: opening the connection timed out. Nothing was sent; retried on any method.
    - ``'sent'``: the connection was reset or the answer timed out after the request was sent.
    - ``'cut'``: the answer started but was cut off.
    - 429 on any method: CircleCI refused the request before acting on it; retried, honouring Retry-After.
    - ``'sent'``, ``'cut'`` and 500/502/503/504 only when the request is repeatable (GET, HEAD, DELETE, and
      writes the caller marks as overwrites, such as the env var POST or a follow): the request may have
      reached CircleCI, and replaying a creating POST would create twice.
    - Any other status: never (the answer is definite).
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
        if failure in (429, 'connect'):
            return True
        return repeatable and (failure in ('sent', 'cut') or failure in RETRYABLE_SERVER_STATUSES)

    def clamp(self, retry_after):
        """A Retry-After within bounds (None stays None), so that a bogus header cannot stall a play."""
        return None if retry_after is None else min(max(retry_after, 0.0), self.retry_after_max)

    def delay(self, retry_number, retry_after=None):
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if retry_after is not None:
            return self.clamp(retry_after)
        return self.rand() * min(self.backoff_max, self.backoff_base * (2 ** retry_number))


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
    """A keep-alive session to the CircleCI API with the collection's auth, TLS, retry and error rules."""

    def __init__(self, api_url, token, validate_certs=True, ca_path=None, timeout=30, retries=5,
                 max_concurrency=DEFAULT_CONCURRENCY, read_only=False, warn=None, policy=None, session=None, user_agent=USER_AGENT,
                 api_v2_url=None):
        self.api_url = (api_url or DEFAULT_API_URL).rstrip('/')
        self.api_v2_url = (api_v2_url or v2_url(self.api_url)).rstrip('/')
        self._api_origins = {_origin(self.api_url), _origin(self.api_v2_url)}
        self.v2 = ApiV2(self)
        self.cache = {}  # answers worth reading once per run (the user's organizations), by key
        self._token = token
        # Given with every request: requests lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE override a
        # session-wide setting, but not a per-request one, so validate_certs and ca_path always hold.
        self._verify = (ca_path or True) if validate_certs else False
        self.timeout = timeout
        self.policy = policy or RetryPolicy(retries=retries)
        self.max_concurrency = max(1, max_concurrency)
        self.read_only = read_only
        self._warn = warn
        self._lock = threading.Lock()
        # Bounds the requests in flight across every pool (a many-project converge nests pools) and
        # paces them to the rate CircleCI's 429 answers teach.
        self.throttle = Throttle(self.max_concurrency, clock=self.policy.clock, sleep=self.policy.sleep)
        self.retry_count = 0
        self.request_count = 0
        self._local = threading.local()  # this thread's newest API request, to name it in messages
        self.session = session or requests.Session()
        # The token is added per request (see _headers_for), so a redirect can never carry it.
        self.session.headers.update({'Accept': 'application/json', 'User-Agent': user_agent})
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.max_concurrency + 2, max_retries=0)
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)

    @property
    def last_request(self):
        """``(method, path)`` of this thread's newest API request, or None."""
        return getattr(self._local, 'request', None)

    # -- JSON API ---------------------------------------------------------------------------

    def get(self, template, *args, params=None, expect='json', api='v1.1'):
        return self.request('GET', template, *args, params=params, expect=expect, api=api)

    def post(self, template, *args, body=None, params=None, repeatable=False, expect='json', api='v1.1'):
        return self.request('POST', template, *args, body=body, params=params, repeatable=repeatable, expect=expect, api=api)

    def put(self, template, *args, body=None, params=None, repeatable=True, expect='json', api='v1.1'):
        """PUT: an upsert or overwrite, so repeatable unless the caller says otherwise."""
        return self.request('PUT', template, *args, body=body, params=params, repeatable=repeatable, expect=expect, api=api)

    def patch(self, template, *args, body=None, params=None, repeatable=True, expect='json', api='v1.1'):
        """PATCH: sets the fields given, so repeatable unless the caller says otherwise."""
        return self.request('PATCH', template, *args, body=body, params=params, repeatable=repeatable, expect=expect, api=api)

    def delete(self, template, *args, body=None, params=None, missing_ok=False, expect='json', api='v1.1'):
        """DELETE; with ``missing_ok`` a 404 carrying CircleCI's message means "gone already" and returns None."""
        try:
            return self.request('DELETE', template, *args, body=body, params=params, expect=expect, api=api)
        except NotFoundError:
            if missing_ok:
                return None
            raise

    def request(self, method, template, *args, params=None, body=None, repeatable=None, expect='json', api='v1.1'):
        """Send one API request and return its decoded answer.

        ``template`` is a path below api_url (``api='v1.1'``) or below api_v2_url (``api='v2'``, see
        ``client.v2``) such as ``project/{}/envvar/{}``; see encode_path. Messages show v1.1 paths as
        ``/project/...`` and v2 paths as ``/api/v2/...``.
        ``repeatable`` says whether replaying the request after it may have reached the server is
        harmless; it defaults to True for GET, HEAD and DELETE only. ``expect`` is what the answer
        must be: ``'json'`` (any JSON; an empty body is None), ``dict`` or ``list`` (else an
        InvalidResponseError naming the request), or None (the body is not needed and not read as JSON).
        """
        path = encode_path(template, *args)
        base, display_path = (self.api_v2_url, '/api/v2/' + path) if api == 'v2' else (self.api_url, '/' + path)
        self._local.request = (method, display_path)
        if self.read_only and method in WRITE_METHODS:
            raise CheckModeWriteError(method, display_path)
        if repeatable is None:
            repeatable = method in REPEATABLE_METHODS
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        response = self._send_with_retries(method, base + '/' + path, display_path, repeatable,
                                           params=params, data=data, headers=headers)
        return _decode(response, method, display_path, expect)

    def paginate(self, template, *args, params=None, limit=None, offset=0):
        """Items of a list endpoint from ``offset``, ``limit`` of them (all when None), in order.

        With a limit the page offsets are known in advance, so pages are fetched concurrently and
        merged in order; pages after a short one are dropped. Without one, pages are read in turn.
        """
        params = dict(params or {})

        def page(page_offset, page_limit):
            return self.get(template, *args, params=dict(params, limit=page_limit, offset=page_offset), expect=list)

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
        other exception propagates.
        """
        items = list(items)

        def run(item):
            try:
                return Outcome(item, func(item), None)
            except CircleCIError as error:
                return Outcome(item, None, error)

        if len(items) <= 1 or self.max_concurrency == 1:
            return [run(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(run, items))

    # -- Downloads ----------------------------------------------------------------------------

    def download(self, url, path, chunk_size=1024 * 1024):
        """Stream ``url`` into the file ``path``.

        The token goes to the API's origin and to the origin of ``url`` (an artifact host the API
        named), never to where a redirect points elsewhere. Returns (size, sha256 hex digest).
        """
        display_path = urlsplit(url).path
        trusted = self._api_origins | {_origin(url)}
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

        HTTP failures raise RequestError like any request (object stores may refuse a HEAD on a URL signed for GET).
        """
        display_path = urlsplit(url).path
        trusted = self._api_origins | {_origin(url)}
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

    def _send_once(self, method, url, display_path, trusted, headers, **kwargs):
        """One request, following redirects by hand so the token is only sent where it belongs.

        A write (or any request with a body) is never sent to another origin: its body may hold a
        secret, and an answer from elsewhere would say nothing of what CircleCI did.
        """
        for dummy in range(MAX_REDIRECTS + 1):
            self._note()
            with self.throttle.slot():
                response = self.session.request(method, url, headers=self._headers_for(url, trusted, headers),
                                                timeout=self.timeout, allow_redirects=False, stream=True,
                                                verify=self._verify, **kwargs)
            self.throttle.answered(response.status_code, self.policy.clamp(parse_retry_after(response.headers.get('Retry-After'))))
            if not response.is_redirect:
                return response
            target = urljoin(url, response.headers['Location'])
            response.close()
            if (method in WRITE_METHODS or kwargs.get('data') is not None) and _origin(target) != _origin(url):
                raise RedirectRefusedError(method, display_path, response.status_code, detail=(
                    'The server at %s redirected it to another origin, %s: not followed, so nothing was sent there'
                    % (_origin_text(url), _origin_text(target))))
            url = target
            if response.status_code == 303 or (response.status_code in (301, 302) and method not in ('GET', 'HEAD')):
                method, kwargs = 'GET', {key: value for key, value in kwargs.items() if key != 'data'}
                headers = {key: value for key, value in (headers or {}).items() if key != 'Content-Type'}
            kwargs.pop('params', None)  # the Location carries its own query
        raise InvalidResponseError(method, display_path, detail='more than %d redirects' % MAX_REDIRECTS)

    def _send_with_retries(self, method, url, display_path, repeatable, trusted=None, headers=None, stream=False, **kwargs):
        """Send until there is a final answer; the response (its body read unless ``stream``), or a RequestError."""
        trusted = trusted or self._api_origins
        started = self.policy.clock()
        retries = 0
        while True:
            failure, response, error = None, None, None
            try:
                response = self._send_once(method, url, display_path, trusted, headers, **kwargs)
                if not stream or response.status_code >= 400:
                    response.content  # pylint: disable=pointless-statement  # read it all now: a cut-off answer fails here
            except requests.exceptions.SSLError as exc:
                raise TransportError(method, display_path, detail='TLS with %s failed: %s' % (_origin_text(url), _reason(exc)),
                                     retries=retries)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                failure, error = _transport_failure(exc, response), exc
            except requests.exceptions.RequestException as exc:
                raise TransportError(method, display_path, detail=_reason(exc), retries=retries, outcome=UNKNOWN)
            else:
                if response.status_code < 400:
                    return response
                failure = response.status_code

            retryable = self.policy.is_retryable(failure, repeatable)
            retry_after = parse_retry_after(response.headers.get('Retry-After')) if isinstance(failure, int) else None
            wait = self.policy.delay(retries + 1, retry_after)
            out_of_time = self.policy.clock() - started + wait > self.policy.deadline
            if not retryable or retries >= self.policy.retries or out_of_time:
                raise _failure(method, url, display_path, failure, response, error, retries, repeatable,
                               out_of_time and retryable, token_sent=bool(self._token))
            retries += 1
            self._note(retried=True)
            if self._warn:
                self._warn('%s %s: %s; retry %d of %d in %.1f s' % (
                    method, display_path, 'HTTP %s' % failure if isinstance(failure, int) else _reason(error),
                    retries, self.policy.retries, wait))
            if response is not None:
                response.close()
            self.policy.sleep(wait)


class ApiV2:
    """The same client speaking API v2: same session, token, TLS, retries and throttle; paths below api_v2_url."""

    MAX_PAGES = 200  # a bound on next_page_token chains, so a server that never ends a list cannot loop a task

    def __init__(self, client):
        self.client = client

    def get(self, *args, **kwargs):
        return self.client.get(*args, api='v2', **kwargs)

    def post(self, *args, **kwargs):
        return self.client.post(*args, api='v2', **kwargs)

    def put(self, *args, **kwargs):
        return self.client.put(*args, api='v2', **kwargs)

    def patch(self, *args, **kwargs):
        return self.client.patch(*args, api='v2', **kwargs)

    def delete(self, *args, **kwargs):
        return self.client.delete(*args, api='v2', **kwargs)

    def items(self, template, *args, params=None):
        """Every item of a v2 list, following ``next_page_token`` (``?page-token=``) page after page."""
        params, items, token = dict(params or {}), [], None
        for dummy in range(self.MAX_PAGES):
            page = self.get(template, *args, params=dict(params, **{'page-token': token}) if token else (params or None), expect=dict)
            batch = page.get('items')
            if not isinstance(batch, list):
                raise InvalidResponseError('GET', '/api/v2/' + encode_path(template, *args), 200, outcome=APPLIED,
                                           detail='The answer has no list of items')
            items.extend(batch)
            token = page.get('next_page_token')
            if not token:
                return items
        raise InvalidResponseError('GET', '/api/v2/' + encode_path(template, *args), 200,
                                   detail='The list did not end after %d pages' % self.MAX_PAGES)


def _decode(response, method, display_path, expect):
    """The answer as ``expect`` asks (see CircleCIClient.request); a 2xx that cannot be used is an InvalidResponseError."""
    if expect is None:
        return None
    text = response.text.strip()
    if text in ('', '""'):  # CircleCI answers some writes with an empty JSON string
        value = None
    else:
        try:
            value = json.loads(text)
        except ValueError:
            raise InvalidResponseError(method, display_path, response.status_code, outcome=APPLIED,
                                       detail='The answer is not JSON (Content-Type %s)' % response.headers.get('Content-Type', 'unknown'))
    if expect in (dict, list) and not isinstance(value, expect):
        raise InvalidResponseError(method, display_path, response.status_code, outcome=APPLIED,
                                   detail='The answer should be a JSON %s, not %s' % (_JSON_NAMES[expect], _json_kind(value)))
    return value


_JSON_NAMES = {dict: 'object', list: 'list', str: 'string', bool: 'boolean', int: 'number', float: 'number', type(None): 'null'}


def _json_kind(value):
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _origin(url):
    parts = urlsplit(url)
    port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), port)


def _origin_text(url):
    """``scheme://host:port`` of a URL, for messages (never its path or query)."""
    return '%s://%s:%s' % _origin(url)


def _transport_failure(error, response):
    """The failure kind of a transport error (see RetryPolicy); ``response`` is set when the answer had begun."""
    if response is not None:
        return 'cut'
    if isinstance(error, (requests.exceptions.ProxyError, requests.exceptions.ConnectTimeout)):
        return 'connect'
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(reason, NewConnectionError):  # refused, no route, no such host (a ConnectTimeoutError subclass)
        return 'unreachable'
    if isinstance(reason, ConnectTimeoutError):
        return 'connect'
    return 'sent'


def _failure(method, url, display_path, failure, response, error, retries, repeatable, out_of_time, token_sent=True):
    """The RequestError for a request that will not be tried again (``token_sent`` false: the client has no token)."""
    detail = 'The retry deadline would be passed' if out_of_time else None
    if not isinstance(failure, int):
        outcome = {'unreachable': NOT_APPLIED, 'connect': NOT_APPLIED}.get(failure, UNKNOWN)
        if failure == 'cut' and response.status_code < 300:
            outcome = APPLIED
            reason = 'CircleCI answered HTTP %s, but the answer was cut off (%s)' % (response.status_code, _reason(error))
        elif failure in ('unreachable', 'connect'):
            reason = 'Could not connect to %s (%s)' % (_origin_text(url), _reason(error))
        else:
            reason = 'No usable answer from %s (%s)' % (_origin_text(url), _reason(error))
            if not repeatable:
                reason += '; not repeated, as the request may have reached CircleCI and repeating it could act twice'
        return TransportError(method, display_path, detail='; '.join(part for part in (reason, detail) if part),
                              retries=retries, outcome=outcome, may_still_run=failure == 'sent' and _reason(error) == 'timed out')
    body = response.text
    error_class = error_for_status(failure, body, token_sent)
    if error_class is RateLimitedError and response.headers.get('Retry-After'):
        detail = '; '.join(part for part in (detail, 'Retry-After: %s' % response.headers['Retry-After']) if part)
    return error_class(method, display_path, failure, api_message_from_body(body), detail=detail, retries=retries,
                       outcome=UNKNOWN if failure >= 500 else NOT_APPLIED)


def _reason(error):
    """A short, secret-free description of a transport error (no URL, no headers)."""
    reason = error.args[0] if getattr(error, 'args', None) else error
    if isinstance(reason, MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    text = str(reason)
    lowered = text.lower()
    if 'connection refused' in lowered:
        return 'connection refused'
    if isinstance(reason, NameResolutionError) or 'name or service not known' in lowered or 'nodename nor servname' in lowered:
        return 'the host name could not be resolved'
    if 'timed out' in lowered:
        return 'timed out'
    if 'incompleteread' in lowered or 'incomplete' in lowered or 'connection broken' in lowered:
        return 'the answer was cut off'
    if 'reset' in lowered or 'remotedisconnected' in lowered or 'aborted' in lowered:
        return 'connection reset or closed by the server'
    return '%s: %s' % (type(error).__name__, text.split(' (Caused by', maxsplit=1)[0][:200])
