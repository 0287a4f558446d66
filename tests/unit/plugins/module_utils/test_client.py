# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared client's rules, against a scripted transport (no network)."""

from __future__ import annotations

import email.utils
import io
import json
import os
import tempfile
import threading
import time

import pytest
import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.community.circleci.plugins.module_utils._client import (
    USER_AGENT,
    CircleCIClient,
    RetryPolicy,
    encode_path,
    parse_retry_after,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    AuthenticationError,
    CheckModeWriteError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    api_message_from_body,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project

API = 'https://circleci.example.com/api/v1.1'
TOKEN = 'secret-token-0123456789'


def answer(status=200, body=None, headers=None, text=None):
    """A scripted answer: status, JSON body (or raw text) and headers."""
    return dict(status=status, body=body, headers=headers or {}, text=text)


def refused():
    return requests.exceptions.ConnectionError(MaxRetryError(None, '/x', NewConnectionError(None, 'Connection refused')))


def reset():
    return requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


class ScriptedAdapter(BaseAdapter):
    """Answers requests from a script, in order, and records what was sent."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.sent = []

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        self.sent.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        response = requests.Response()
        response.status_code = step['status']
        response.headers.update(step['headers'])
        if step['text'] is not None:
            content = step['text']
        elif step['body'] is not None:
            content = json.dumps(step['body'])
            response.headers.setdefault('Content-Type', 'application/json')
        else:
            content = ''
        response.raw = io.BytesIO(content.encode('utf-8'))
        response.url = request.url
        response.request = request
        response.reason = 'scripted'
        return response

    def close(self):
        pass


class Recorder:
    def __init__(self):
        self.sleeps = []
        self.now = 0.0

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def make_client(script, retries=5, read_only=False, deadline=300.0):
    recorder = Recorder()
    policy = RetryPolicy(retries=retries, deadline=deadline, sleep=recorder.sleep, clock=recorder.clock, rand=lambda: 0.5)
    client = CircleCIClient(API, TOKEN, retries=retries, read_only=read_only, policy=policy, max_workers=1)
    adapter = ScriptedAdapter(script)
    client.session.mount('https://', adapter)
    client.session.mount('http://', adapter)
    return client, adapter, recorder


# -- requests as sent ---------------------------------------------------------------------------

def test_token_only_in_header_with_json_accept_and_user_agent():
    client, adapter, dummy = make_client([answer(body={'login': 'acme-bot'})])
    assert client.get('me') == {'login': 'acme-bot'}
    sent = adapter.sent[0]
    assert sent.url == API + '/me'
    assert sent.headers['Circle-Token'] == TOKEN
    assert TOKEN not in sent.url
    assert sent.headers['Accept'] == 'application/json'
    assert sent.headers['User-Agent'] == USER_AGENT
    assert 'Authorization' not in sent.headers


def test_json_body_is_sent_as_json():
    client, adapter, dummy = make_client([answer(201, body={'name': 'A', 'value': 'xxxx1234'})])
    client.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v1234'}, repeatable=True)
    sent = adapter.sent[0]
    assert sent.headers['Content-Type'] == 'application/json'
    assert json.loads(sent.body) == {'name': 'A', 'value': 'v1234'}


@pytest.mark.parametrize('template, args, expected', [
    ('project/{}/tree/{}', (Project('github', 'acme', 'api'), 'feature/login'), 'project/github/acme/api/tree/feature%2Flogin'),
    ('project/{}/envvar/{}', (Project('bitbucket', 'acme', 'mobile'), 'A B?#'), 'project/bitbucket/acme/mobile/envvar/A%20B%3F%23'),
    ('project/{}/checkout-key/{}', (Project('github', 'acme', 'api'), 'SHA256:ab/c+d='), 'project/github/acme/api/checkout-key/SHA256%3Aab%2Fc%2Bd%3D'),
    ('project/{}/{}', (Project('github', 'acme', 'my.repo'), 42), 'project/github/acme/my.repo/42'),
])
def test_every_path_segment_is_encoded(template, args, expected):
    assert encode_path(template, *args) == expected


def test_check_mode_client_refuses_writes_without_sending():
    client, adapter, dummy = make_client([], read_only=True)
    for method in ('post', 'delete'):
        with pytest.raises(CheckModeWriteError):
            getattr(client, method)('project/{}/envvar', Project('github', 'acme', 'api'))
    assert not adapter.sent


# -- retries --------------------------------------------------------------------------------------

@pytest.mark.parametrize('method', ['GET', 'POST', 'DELETE'])
def test_429_is_retried_on_any_method_honouring_retry_after_seconds(method):
    client, adapter, recorder = make_client([answer(429, text='Rate limited.', headers={'Retry-After': '7'}), answer(body={'ok': True})])
    assert client.request(method, 'me') == {'ok': True}
    assert len(adapter.sent) == 2
    assert recorder.sleeps == [7.0]
    assert client.retry_count == 1


def test_429_retry_after_as_http_date():
    moment = email.utils.formatdate(time.time() + 30, usegmt=True)
    client, dummy, recorder = make_client([answer(429, text='Rate limited.', headers={'Retry-After': moment}), answer(body={})])
    client.get('me')
    assert 25 <= recorder.sleeps[0] <= 31


def test_429_without_retry_after_backs_off_exponentially_with_jitter():
    client, dummy, recorder = make_client([answer(429, text='Rate limited.')] * 3 + [answer(body={})])
    client.get('me')
    # rand() is 0.5: half of 0.5 * 2**n for n = 1, 2, 3
    assert recorder.sleeps == [0.5, 1.0, 2.0]


def test_retry_after_is_clamped():
    client, dummy, recorder = make_client([answer(429, headers={'Retry-After': '100000'}), answer(body={})], deadline=10000)
    client.get('me')
    assert recorder.sleeps == [120.0]


def test_retries_give_up_after_the_limit_with_the_count_in_the_message():
    client, adapter, dummy = make_client([answer(429, text='Rate limited.')] * 3, retries=2)
    with pytest.raises(RateLimitedError) as caught:
        client.get('me')
    assert len(adapter.sent) == 3
    assert caught.value.retries == 2
    assert 'after 2 retries' in str(caught.value)
    assert 'CircleCI says: Rate limited.' in str(caught.value)


def test_deadline_stops_retries_before_a_long_wait():
    client, adapter, recorder = make_client([answer(429, headers={'Retry-After': '60'})], deadline=30)
    with pytest.raises(RateLimitedError) as caught:
        client.get('me')
    assert len(adapter.sent) == 1
    assert not recorder.sleeps
    assert 'deadline' in str(caught.value)


@pytest.mark.parametrize('status', [502, 503, 504])
def test_gateway_errors_are_retried_for_get_and_delete(status):
    for method in ('GET', 'DELETE'):
        client, adapter, dummy = make_client([answer(status, body={'message': 'busy'}), answer(body={'message': 'ok'})])
        assert client.request(method, 'me') == {'message': 'ok'}
        assert len(adapter.sent) == 2


@pytest.mark.parametrize('failure', [answer(503, text='<html>nginx</html>'), reset(), requests.exceptions.ReadTimeout('read timed out')],
                         ids=['503', 'reset', 'read-timeout'])
def test_a_creating_post_that_may_have_arrived_is_never_replayed(failure):
    client, adapter, dummy = make_client([failure, answer(201, body={'build_num': 2})])
    with pytest.raises((ServerError, TransportError)) as caught:
        client.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main')
    assert len(adapter.sent) == 1
    assert client.retry_count == 0
    if isinstance(caught.value, TransportError):
        assert 'not repeated' in str(caught.value)


@pytest.mark.parametrize('failure', [answer(503, text='busy'), reset(), requests.exceptions.ReadTimeout('read timed out')],
                         ids=['503', 'reset', 'read-timeout'])
def test_an_overwriting_post_marked_repeatable_is_retried(failure):
    client, adapter, dummy = make_client([failure, answer(201, body={'name': 'A', 'value': 'xxxx1234'})])
    client.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v1234'}, repeatable=True)
    assert len(adapter.sent) == 2


def test_connect_failures_are_retried_on_any_method():
    client, adapter, dummy = make_client([refused(), requests.exceptions.ConnectTimeout('connect timed out'), answer(201, body={'build_num': 3})])
    assert client.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main') == {'build_num': 3}
    assert len(adapter.sent) == 3
    assert client.retry_count == 2


def test_500_is_not_retried():
    client, adapter, dummy = make_client([answer(500, body={'message': 'boom'})])
    with pytest.raises(ServerError):
        client.get('me')
    assert len(adapter.sent) == 1


def test_retry_warnings_name_method_path_and_wait_but_not_the_token():
    warnings = []
    client, dummy, dummy2 = make_client([answer(429, headers={'Retry-After': '1'}), answer(body={})])
    client._warn = warnings.append  # pylint: disable=protected-access
    client.get('me')
    assert warnings == ['GET /me: HTTP 429; retry 1 of 5 in 1.0 s']


@pytest.mark.parametrize('value, expected', [
    ('5', 5.0), (' 12 ', 12.0), ('0', 0.0), (None, None), ('soon', None), ('-3', None),
])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_date_in_the_past_is_zero():
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT', now=time.time()) == 0.0


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('status, body, error_class, says', [
    (401, {'message': 'You must log in first.'}, AuthenticationError, 'You must log in first.'),
    (403, {'message': 'Permission denied'}, PermissionDeniedError, 'Permission denied'),
    (404, {'message': 'Project not found'}, NotFoundError, 'Project not found'),
    (404, {'message': '{"message":"Not Found","documentation_url":"https://developer.github.com/v3"}'}, NotFoundError, 'GitHub: Not Found'),
    (500, {'message': 'Internal error'}, ServerError, 'Internal error'),
])
def test_errors_carry_method_path_status_message_and_a_hint(status, body, error_class, says):
    client, dummy, dummy2 = make_client([answer(status, body=body)])
    with pytest.raises(error_class) as caught:
        client.get('project/{}/envvar', Project('github', 'acme', 'api'))
    message = str(caught.value)
    assert message.startswith('GET /project/github/acme/api/envvar failed with HTTP %d' % status)
    assert 'CircleCI says: %s' % says in message
    assert error_class.hint in message
    assert TOKEN not in message
    assert caught.value.to_result() == dict(method='GET', path='/project/github/acme/api/envvar', status=status,
                                            api_message=says)


def test_html_error_pages_give_no_message_but_a_clear_error():
    client, dummy, dummy2 = make_client([answer(404, text='<!DOCTYPE html><html>...</html>', headers={'Content-Type': 'text/html'})])
    with pytest.raises(NotFoundError) as caught:
        client.get('project/{}/envvar', Project('github', 'acme', 'nope'))
    assert 'CircleCI says' not in str(caught.value)
    assert '<html' not in str(caught.value)


def test_a_non_json_success_is_an_invalid_response():
    client, dummy, dummy2 = make_client([answer(200, text='{:login "acme-bot"}', headers={'Content-Type': 'application/edn'})])
    with pytest.raises(InvalidResponseError) as caught:
        client.get('me')
    assert 'application/edn' in str(caught.value)
    assert 'api_url' in str(caught.value)


def test_empty_success_body_is_none():
    client, dummy, dummy2 = make_client([answer(200, text='')])
    assert client.post('user/heroku-key', body={'apikey': 'k'}) is None


def test_connection_refused_is_a_transport_error_after_retries():
    client, adapter, dummy = make_client([refused()] * 3, retries=2)
    with pytest.raises(TransportError) as caught:
        client.get('me')
    assert len(adapter.sent) == 3
    assert 'connection refused' in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize('body, expected', [
    ('{"message":"ok"}', 'ok'),
    ('Rate limited.', 'Rate limited.'),
    ('<html><body>502 Bad Gateway</body></html>', None),
    ('{}', None),
    ('', None),
    ('{"message":"{\\"message\\":\\"API rate limit exceeded\\"}"}', 'GitHub: API rate limit exceeded'),
])
def test_api_message_from_body(body, expected):
    assert api_message_from_body(body) == expected


# -- redirects ------------------------------------------------------------------------------------

def test_redirect_to_another_host_does_not_carry_the_token():
    storage = 'https://storage.example.net/bucket/report.html?sig=abc'
    client, adapter, dummy = make_client([answer(302, headers={'Location': storage}), answer(200, text='<html>report</html>')])
    artifact = 'https://output.circle-artifacts.com/output/job/1/artifacts/0/report.html'
    with tempfile.TemporaryDirectory() as directory:
        size, digest = client.download(artifact, os.path.join(directory, 'report.html'))
    first, second = adapter.sent
    assert first.url == artifact and first.headers['Circle-Token'] == TOKEN
    assert second.url == storage
    assert 'Circle-Token' not in second.headers
    assert TOKEN not in second.url and TOKEN not in json.dumps(dict(second.headers))
    assert size == len('<html>report</html>')
    assert len(digest) == 64


def test_same_host_redirect_keeps_the_token_and_api_redirect_elsewhere_drops_it():
    client, adapter, dummy = make_client([
        answer(301, headers={'Location': API + '/me/'}),
        answer(302, headers={'Location': 'https://elsewhere.example.org/me'}),
        answer(200, body={'login': 'x'}),
    ])
    client.get('me')
    assert adapter.sent[1].headers['Circle-Token'] == TOKEN
    assert 'Circle-Token' not in adapter.sent[2].headers


def test_redirect_loops_end():
    client, dummy, dummy2 = make_client([answer(302, headers={'Location': API + '/me'})] * 10)
    with pytest.raises(InvalidResponseError):
        client.get('me')


# -- pagination and concurrency -------------------------------------------------------------------

def test_paginate_with_a_limit_fetches_known_offsets_and_merges_in_order():
    builds = [{'build_num': n} for n in range(300, 0, -1)]
    client, adapter, dummy = make_client([answer(body=builds[0:100]), answer(body=builds[100:200]), answer(body=builds[200:250])])
    items = client.paginate('project/{}', Project('github', 'acme', 'api'), limit=250)
    assert [item['build_num'] for item in items] == list(range(300, 50, -1))
    queries = [request.url.split('?', 1)[1] for request in adapter.sent]
    assert queries == ['limit=100&offset=0', 'limit=100&offset=100', 'limit=50&offset=200']


def test_paginate_stops_at_a_short_page():
    client, adapter, dummy = make_client([answer(body=[{'n': 1}] * 100), answer(body=[{'n': 2}] * 20), answer(body=[])])
    assert len(client.paginate('recent-builds', limit=300)) == 120


def test_paginate_without_limit_reads_until_a_short_page():
    client, adapter, dummy = make_client([answer(body=[{'n': 1}] * 100), answer(body=[{'n': 2}] * 3)])
    assert len(client.paginate('recent-builds', offset=10)) == 103
    assert adapter.sent[1].url.endswith('offset=110')


def test_map_concurrent_keeps_order_and_captures_api_errors():
    client, dummy, dummy2 = make_client([])

    def work(item):
        if item == 2:
            raise NotFoundError('GET', '/x', 404)
        return item * 10

    outcomes = client.map_concurrent(work, [1, 2, 3])
    assert [(o.item, o.value) for o in outcomes] == [(1, 10), (2, None), (3, 30)]
    assert isinstance(outcomes[1].error, NotFoundError)


def test_tls_options_reach_the_session():
    assert CircleCIClient(API, TOKEN, validate_certs=False).session.verify is False
    assert CircleCIClient(API, TOKEN, ca_path='/etc/ca.pem').session.verify == '/etc/ca.pem'
    assert CircleCIClient(API, TOKEN).session.verify is True


def test_requests_in_flight_stay_bounded_even_when_pools_nest():
    state = {'now': 0, 'peak': 0}
    lock = threading.Lock()

    class SlowAdapter(ScriptedAdapter):
        def send(self, request, **kwargs):
            with lock:
                state['now'] += 1
                state['peak'] = max(state['peak'], state['now'])
            time.sleep(0.02)
            with lock:
                state['now'] -= 1
            return super().send(request, **kwargs)

    client = CircleCIClient(API, TOKEN, max_workers=3)
    client.session.mount('https://', SlowAdapter([answer(body={})] * 16))
    outer = client.map_concurrent(lambda i: client.map_concurrent(lambda j: client.get('me'), range(4)), range(4))
    assert all(not outcome.error for outcome in outer)
    assert state['peak'] == 3
