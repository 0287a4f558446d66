# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared client's rules, against a scripted transport (no network)."""

from __future__ import annotations

import email.utils
import json
import os
import tempfile
import threading
import time

import pytest
import requests

from ansible_collections.community.circleci.plugins.module_utils._client import (
    USER_AGENT,
    ApiV2,
    check_connection,
    encode_path,
    parse_retry_after,
    v2_url,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    NOT_APPLIED,
    UNKNOWN,
    AuthenticationError,
    CheckModeWriteError,
    InputError,
    InvalidResponseError,
    NotCircleCIError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RedirectRefusedError,
    ServerError,
    TransportError,
    api_message_from_body,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.tests.unit.fakes import (
    API,
    TOKEN,
    answer,
    connect_timeout,
    cut,
    read_timeout,
    refused,
    reset,
)


# -- requests as sent ---------------------------------------------------------------------------

def test_token_only_in_header_with_json_accept_and_user_agent(client, transport):
    api = client([answer(body={'login': 'acme-bot'})])
    assert api.get('me') == {'login': 'acme-bot'}
    sent = transport.sent[0]
    assert sent.url == API + '/me'
    assert sent.headers['Circle-Token'] == TOKEN
    assert TOKEN not in sent.url
    assert sent.headers['Accept'] == 'application/json'
    assert sent.headers['User-Agent'] == USER_AGENT
    assert 'Authorization' not in sent.headers


def test_json_body_is_sent_as_json(client, transport):
    api = client([answer(201, body={'name': 'A', 'value': 'xxxx1234'})])
    api.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v1234'}, repeatable=True)
    sent = transport.sent[0]
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


def test_check_mode_client_refuses_writes_without_sending(client, transport):
    api = client([], read_only=True)
    for method in ('post', 'delete'):
        with pytest.raises(CheckModeWriteError):
            getattr(api, method)('project/{}/envvar', Project('github', 'acme', 'api'))
    assert not transport.sent


# -- retries --------------------------------------------------------------------------------------

@pytest.mark.parametrize('method', ['GET', 'POST', 'DELETE'])
def test_429_is_retried_on_any_method_honouring_retry_after_seconds(client, transport, clock, method):
    api = client([answer(429, text='Rate limited.', headers={'Retry-After': '7'}), answer(body={'ok': True})])
    assert api.request(method, 'me') == {'ok': True}
    assert len(transport.sent) == 2
    assert clock.sleeps == [7.0]
    assert api.retry_count == 1


def test_429_retry_after_as_http_date(client, clock):
    moment = email.utils.formatdate(time.time() + 30, usegmt=True)
    api = client([answer(429, text='Rate limited.', headers={'Retry-After': moment}), answer(body={})])
    api.get('me')
    assert 25 <= clock.sleeps[0] <= 31


def test_429_without_retry_after_backs_off_exponentially_with_jitter(client, clock):
    api = client([answer(429, text='Rate limited.')] * 3 + [answer(body={})])
    api.get('me')
    # rand() is 0.5: half of 0.5 * 2**n for n = 1, 2, 3
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_retry_after_is_clamped(client, clock):
    api = client([answer(429, headers={'Retry-After': '100000'}), answer(body={})], deadline=10000)
    api.get('me')
    assert clock.sleeps == [120.0]


def test_retries_give_up_after_the_limit_with_the_count_in_the_message(client, transport):
    api = client([answer(429, text='Rate limited.')] * 3, retries=2)
    with pytest.raises(RateLimitedError) as caught:
        api.get('me')
    assert len(transport.sent) == 3
    assert caught.value.retries == 2
    assert 'after 2 retries' in str(caught.value)
    assert 'CircleCI says: Rate limited.' in str(caught.value)


def test_deadline_stops_retries_before_a_long_wait(client, transport, clock):
    api = client([answer(429, headers={'Retry-After': '60'})], deadline=30)
    with pytest.raises(RateLimitedError) as caught:
        api.get('me')
    assert len(transport.sent) == 1
    assert not clock.sleeps
    assert 'deadline' in str(caught.value)


@pytest.mark.parametrize('status', [502, 503, 504])
@pytest.mark.parametrize('method', ['GET', 'DELETE'])
def test_gateway_errors_are_retried_for_get_and_delete(client, transport, method, status):
    api = client([answer(status, body={'message': 'busy'}), answer(body={'message': 'ok'})])
    assert api.request(method, 'me') == {'message': 'ok'}
    assert len(transport.sent) == 2


@pytest.mark.parametrize('failure', [answer(503, text='<html>nginx</html>'), reset(), requests.exceptions.ReadTimeout('read timed out')],
                         ids=['503', 'reset', 'read-timeout'])
def test_a_creating_post_that_may_have_arrived_is_never_replayed(client, transport, failure):
    api = client([failure, answer(201, body={'build_num': 2})])
    with pytest.raises((ServerError, TransportError)) as caught:
        api.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main')
    assert len(transport.sent) == 1
    assert api.retry_count == 0
    if isinstance(caught.value, TransportError):
        assert 'not repeated' in str(caught.value)


@pytest.mark.parametrize('failure', [answer(503, text='busy'), reset(), requests.exceptions.ReadTimeout('read timed out')],
                         ids=['503', 'reset', 'read-timeout'])
def test_an_overwriting_post_marked_repeatable_is_retried(client, transport, failure):
    api = client([failure, answer(201, body={'name': 'A', 'value': 'xxxx1234'})])
    api.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v1234'}, repeatable=True)
    assert len(transport.sent) == 2


def test_connect_timeouts_are_retried_on_any_method(client, transport):
    api = client([connect_timeout(), connect_timeout(), answer(201, body={'build_num': 3})])
    assert api.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main') == {'build_num': 3}
    assert len(transport.sent) == 3
    assert api.retry_count == 2


def test_a_refused_connection_fails_at_once_naming_the_origin(client, transport, clock):
    api = client([refused()])
    with pytest.raises(TransportError) as caught:
        api.get('me')
    assert len(transport.sent) == 1 and not clock.sleeps
    assert 'Could not connect to https://circleci.example.com:443 (connection refused)' in str(caught.value)
    assert caught.value.outcome == NOT_APPLIED
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize('method', ['GET', 'DELETE'])
def test_500_is_retried_where_repeating_is_harmless(client, transport, method):
    api = client([answer(500, body={'message': 'boom'}), answer(body={'ok': True})])
    assert api.request(method, 'me') == {'ok': True}
    assert len(transport.sent) == 2


def test_500_on_a_creating_post_is_not_retried_and_may_have_applied(client, transport):
    api = client([answer(500, body={'message': 'boom'})])
    with pytest.raises(ServerError) as caught:
        api.post('project/{}/checkout-key', Project('github', 'acme', 'api'), body={'type': 'deploy-key'})
    assert len(transport.sent) == 1
    assert caught.value.may_have_applied
    assert 'may have been made' in str(caught.value)


def test_retries_of_a_get_that_run_out_do_not_claim_it_was_not_repeated(client, transport):
    api = client([reset()] * 3, retries=2)
    with pytest.raises(TransportError) as caught:
        api.get('me')
    assert len(transport.sent) == 3
    assert 'not repeated' not in str(caught.value)
    assert 'after 2 retries' in str(caught.value)
    assert not caught.value.may_have_applied  # a read changes nothing


def test_a_cut_off_answer_to_a_get_is_read_again(client, transport):
    api = client([cut(200), answer(body={'login': 'x'})])
    assert api.get('me') == {'login': 'x'}
    assert len(transport.sent) == 2


def test_a_cut_off_answer_to_a_creating_post_says_the_write_was_made(client, transport):
    api = client([cut(201)])
    with pytest.raises(TransportError) as caught:
        api.post('project/{}/checkout-key', Project('github', 'acme', 'api'), body={'type': 'deploy-key'})
    assert len(transport.sent) == 1
    assert caught.value.outcome == APPLIED
    message = str(caught.value)
    assert 'CircleCI answered HTTP 201, but the answer was cut off' in message
    assert 'the change was made' in message
    assert 'api_url' not in message.split('.', maxsplit=1)[0]


def test_a_write_whose_body_is_not_needed_succeeds_when_its_answer_is_garbled(client):
    api = client([answer(201, text='{"name": "A", "val')])
    assert api.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v'},
                    repeatable=True, expect=None) is None


def test_a_read_timeout_on_a_creating_post_is_not_replayed_and_says_so(client):
    api = client([read_timeout()])
    with pytest.raises(TransportError) as caught:
        api.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main')
    assert caught.value.outcome == UNKNOWN and caught.value.may_have_applied
    assert 'not repeated' in str(caught.value)


def test_a_lost_answer_names_the_origin_as_written(client):
    api = client([reset()])
    with pytest.raises(TransportError) as caught:
        api.post('project/{}/tree/{}', Project('github', 'acme', 'api'), 'main')
    assert 'No usable answer from https://circleci.example.com:443 (connection reset' in str(caught.value)


def test_retry_warnings_name_method_path_and_wait_but_not_the_token(client):
    warnings = []
    api = client([answer(429, headers={'Retry-After': '1'}), answer(body={})])
    api._warn = warnings.append  # pylint: disable=protected-access
    api.get('me')
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
def test_errors_carry_method_path_status_message_and_a_hint(client, status, body, error_class, says):
    api = client([answer(status, body=body)], retries=0)
    with pytest.raises(error_class) as caught:
        api.get('project/{}/envvar', Project('github', 'acme', 'api'))
    message = str(caught.value)
    assert message.startswith('GET /project/github/acme/api/envvar failed with HTTP %d' % status)
    assert 'CircleCI says: %s' % says in message
    assert error_class.hint in message
    assert TOKEN not in message
    assert caught.value.to_result() == dict(method='GET', path='/project/github/acme/api/envvar', status=status,
                                            api_message=says, outcome=None)


@pytest.mark.parametrize('text', ['<!DOCTYPE html><html>...</html>', '', '404 page not found'])
def test_a_404_without_circleci_message_blames_api_url_not_the_project(client, text):
    api = client([answer(404, text=text, headers={'Content-Type': 'text/html'})])
    with pytest.raises(NotCircleCIError) as caught:
        api.get('project/{}/envvar', Project('github', 'acme', 'nope'))
    message = str(caught.value)
    assert '<html' not in message
    assert 'check api_url' in message
    assert 'check the project' not in message


def test_a_wrongly_shaped_answer_names_the_request(client):
    api = client([answer(body={'not': 'a list'})])
    with pytest.raises(InvalidResponseError) as caught:
        api.get('project/{}/envvar', Project('github', 'acme', 'api'), expect=list)
    assert str(caught.value).startswith('GET /project/github/acme/api/envvar failed with HTTP 200. The answer should be a JSON list, not object.')


def test_a_non_json_success_is_an_invalid_response(client):
    api = client([answer(200, text='{:login "acme-bot"}', headers={'Content-Type': 'application/edn'})])
    with pytest.raises(InvalidResponseError) as caught:
        api.get('me')
    assert 'application/edn' in str(caught.value)
    assert 'api_url' in str(caught.value)


def test_empty_success_body_is_none(client):
    api = client([answer(200, text='')])
    assert api.post('user/heroku-key', body={'apikey': 'k'}) is None


@pytest.mark.parametrize('api_url, token, words', [
    ('circleci.com/api/v1.1', TOKEN, 'api_url must be an http or https URL'),
    ('ftp://circleci.com/api/v1.1', TOKEN, 'api_url must be an http or https URL'),
    ('https://user:pw@circleci.com/api/v1.1', TOKEN, 'must not carry credentials'),
    (API, '', 'api_token is required'),
    (API, TOKEN + '\n', 'api_token starts or ends with white space'),
    (API, 'abc def', 'white space or control characters'),
])
def test_connection_options_are_checked_before_any_request_and_never_show_the_token(api_url, token, words):
    with pytest.raises(InputError) as caught:
        check_connection(api_url, token)
    assert words in str(caught.value)
    if token:
        assert token.strip() not in str(caught.value)


def test_a_missing_ca_path_is_refused_before_any_request(tmp_path):
    with pytest.raises(InputError) as caught:
        check_connection(API, TOKEN, str(tmp_path / 'nope.pem'))
    assert 'ca_path' in str(caught.value) and 'does not exist' in str(caught.value)
    (tmp_path / 'ca.pem').write_text('pem')
    check_connection(API, TOKEN, str(tmp_path / 'ca.pem'))


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

def test_redirect_to_another_host_does_not_carry_the_token(client, transport):
    storage = 'https://storage.example.net/bucket/report.html?sig=abc'
    api = client([answer(302, headers={'Location': storage}), answer(200, text='<html>report</html>')])
    artifact = 'https://output.circle-artifacts.com/output/job/1/artifacts/0/report.html'
    with tempfile.TemporaryDirectory() as directory:
        size, digest = api.download(artifact, os.path.join(directory, 'report.html'))
    first, second = transport.sent
    assert first.url == artifact and first.headers['Circle-Token'] == TOKEN
    assert second.url == storage
    assert 'Circle-Token' not in second.headers
    assert TOKEN not in second.url and TOKEN not in json.dumps(dict(second.headers))
    assert size == len('<html>report</html>')
    assert len(digest) == 64


def test_same_host_redirect_keeps_the_token_and_api_redirect_elsewhere_drops_it(client, transport):
    api = client([
        answer(301, headers={'Location': API + '/me/'}),
        answer(302, headers={'Location': 'https://elsewhere.example.org/me'}),
        answer(200, body={'login': 'x'}),
    ])
    api.get('me')
    assert transport.sent[1].headers['Circle-Token'] == TOKEN
    assert 'Circle-Token' not in transport.sent[2].headers


@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
@pytest.mark.parametrize('method', ['POST', 'DELETE'])
def test_a_write_is_never_redirected_to_another_origin(client, transport, status, method):
    api = client([answer(status, headers={'Location': 'https://evil.example.net/collect'})])
    with pytest.raises(RedirectRefusedError) as caught:
        api.request(method, 'project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'secret-value'})
    assert len(transport.sent) == 1  # nothing went to the other origin
    message = str(caught.value)
    assert 'https://circleci.example.com:443' in message and 'https://evil.example.net:443' in message
    assert 'secret-value' not in message
    assert not caught.value.may_have_applied


def test_a_write_may_follow_a_redirect_within_the_api_origin(client, transport):
    api = client([answer(307, headers={'Location': API + '/project/github/acme/api/envvar?x=1'}),
                  answer(201, body={'name': 'A', 'value': 'xxxx1234'})])
    api.post('project/{}/envvar', Project('github', 'acme', 'api'), body={'name': 'A', 'value': 'v1234'}, repeatable=True)
    assert [request.method for request in transport.sent] == ['POST', 'POST']
    assert json.loads(transport.sent[1].body) == {'name': 'A', 'value': 'v1234'}
    assert transport.sent[1].headers['Circle-Token'] == TOKEN


def test_redirect_loops_end(client):
    api = client([answer(302, headers={'Location': API + '/me'})] * 10)
    with pytest.raises(InvalidResponseError):
        api.get('me')


# -- pagination and concurrency -------------------------------------------------------------------

def test_paginate_with_a_limit_fetches_known_offsets_and_merges_in_order(client, transport):
    builds = [{'build_num': n} for n in range(300, 0, -1)]
    api = client([answer(body=builds[0:100]), answer(body=builds[100:200]), answer(body=builds[200:250])])
    items = api.paginate('project/{}', Project('github', 'acme', 'api'), limit=250)
    assert [item['build_num'] for item in items] == list(range(300, 50, -1))
    queries = [request.url.split('?', 1)[1] for request in transport.sent]
    assert queries == ['limit=100&offset=0', 'limit=100&offset=100', 'limit=50&offset=200']


def test_paginate_stops_at_a_short_page(client):
    api = client([answer(body=[{'n': 1}] * 100), answer(body=[{'n': 2}] * 20), answer(body=[])])
    assert len(api.paginate('recent-builds', limit=300)) == 120


def test_paginate_without_limit_reads_until_a_short_page(client, transport):
    api = client([answer(body=[{'n': 1}] * 100), answer(body=[{'n': 2}] * 3)])
    assert len(api.paginate('recent-builds', offset=10)) == 103
    assert transport.sent[1].url.endswith('offset=110')


def test_map_concurrent_keeps_order_and_captures_api_errors(client):
    api = client([])

    def work(item):
        if item == 2:
            raise NotFoundError('GET', '/x', 404)
        return item * 10

    outcomes = api.map_concurrent(work, [1, 2, 3])
    assert [(o.item, o.value) for o in outcomes] == [(1, 10), (2, None), (3, 30)]
    assert isinstance(outcomes[1].error, NotFoundError)


@pytest.mark.parametrize('options, verify', [
    (dict(validate_certs=False), False),
    (dict(validate_certs=False, ca_path='/etc/ca.pem'), False),
    (dict(ca_path='/etc/ca.pem'), '/etc/ca.pem'),
])
def test_tls_options_win_over_the_ca_bundle_environment_variables(client, transport, monkeypatch, options, verify):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    monkeypatch.setenv('CURL_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    api = client([answer(body={})], **options)
    api.get('me')
    assert transport.last_kwargs['verify'] == verify


def test_without_tls_options_the_environment_ca_bundle_applies(client, transport, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/company-ca.pem')
    api = client([answer(body={})])
    api.get('me')
    assert transport.last_kwargs['verify'] == '/etc/company-ca.pem'


def test_requests_in_flight_stay_bounded_even_when_pools_nest(client):
    state = {'now': 0, 'peak': 0}
    lock = threading.Lock()
    full = threading.Event()

    def held(request):  # pylint: disable=unused-argument
        """Keep each request in flight until three are (more would arrive meanwhile if the bound leaked)."""
        with lock:
            state['now'] += 1
            state['peak'] = max(state['peak'], state['now'])
            if state['now'] == 3:
                full.set()
        full.wait(timeout=10)
        with lock:
            state['now'] -= 1
        return answer(body={})

    api = client([held] * 16, max_concurrency=3)
    outer = api.map_concurrent(lambda i: api.map_concurrent(lambda j: api.get('me'), range(4)), range(4))
    assert all(not outcome.error for outcome in outer)
    assert state['peak'] == 3


# -- API v2 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('api_url, expected', [
    ('https://circleci.com/api/v1.1', 'https://circleci.com/api/v2'),
    ('https://circleci.example.com/api/v1.1/', 'https://circleci.example.com/api/v2'),
    ('http://127.0.0.1:8765', 'http://127.0.0.1:8765/api/v2'),
])
def test_the_v2_base_is_derived_from_api_url(api_url, expected):
    assert v2_url(api_url) == expected


def test_v2_requests_share_the_token_rules_and_name_their_path(client, transport):
    api = client([answer(body={'login': 'acme-bot'}), answer(404, body={'message': 'Context not found.'})])
    assert api.v2.get('me') == {'login': 'acme-bot'}
    assert transport.sent[0].url == 'https://circleci.example.com/api/v2/me'
    assert transport.sent[0].headers['Circle-Token'] == TOKEN
    with pytest.raises(NotFoundError) as caught:
        api.v2.get('context/{}', 'abc')
    assert str(caught.value).startswith('GET /api/v2/context/abc failed with HTTP 404. CircleCI says: Context not found.')


def test_v2_lists_follow_next_page_token(client, transport):
    api = client([answer(body={'items': [1, 2], 'next_page_token': 'p2'}), answer(body={'items': [3], 'next_page_token': None})])
    assert api.v2.items('context', params={'owner-id': 'o'}) == [1, 2, 3]
    assert [sent.url.split('?', 1)[1] for sent in transport.sent] == ['owner-id=o', 'owner-id=o&page-token=p2']


def test_a_v2_list_without_items_is_an_invalid_answer(client):
    api = client([answer(body={'message': 'odd'})])
    with pytest.raises(InvalidResponseError, match='no list of items'):
        api.v2.items('context')


def test_a_v2_list_that_never_ends_is_cut(client, monkeypatch):
    monkeypatch.setattr(ApiV2, 'MAX_PAGES', 3)
    api = client([answer(body={'items': [1], 'next_page_token': 'again'})] * 3)
    with pytest.raises(InvalidResponseError, match='did not end after 3 pages'):
        api.v2.items('context')


def test_v2_errors_in_the_error_key_are_read():
    assert api_message_from_body('{"error": "OwnerID: must be a valid UUID."}') == 'OwnerID: must be a valid UUID.'
