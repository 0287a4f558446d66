"""redirect faults: to another origin (the foreign listener, which logs without secrets) or to the same origin."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests

from circleci_emulator.faults import parse_cli_rule

P = '/project/github/acme/api'
SECRET = 'sk_canary_5f0c1d9e'


def _names(emulator_admin):
    return {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']}


@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_redirect_to_foreign_is_not_applied(api, circleci_emulator, emulator_admin, status):
    """3xx with Location on the foreign listener, same path; the write did not happen at the origin."""
    emulator_admin.add_faults({'kind': 'redirect', 'status': status, 'method': 'POST'})
    resp = api.post(P + '/envvar', json={'name': 'MOVED', 'value': 'v'})
    assert resp.status_code == status and resp.content == b''
    assert resp.headers['Location'] == circleci_emulator.foreign_url + '/api/v1.1' + P + '/envvar'
    assert 'MOVED' not in _names(emulator_admin)
    entry = emulator_admin.requests()[-1]
    assert entry['fault'] == 'redirect' and entry['status'] == status and entry['redirect_to'] == 'foreign'
    assert emulator_admin.foreign_requests() == []


def test_default_is_307_to_foreign(api, circleci_emulator, emulator_admin):
    """No status and no `to`: 307 to the foreign listener."""
    emulator_admin.add_faults({'kind': 'redirect'})
    resp = api.get('/me')
    assert resp.status_code == 307 and resp.headers['Location'].startswith(circleci_emulator.foreign_url + '/')


def test_following_client_leaks_header_token_and_body(api, emulator_admin):
    """requests keeps Circle-Token across origins and resends the body on 307: the foreign log proves it."""
    emulator_admin.canaries([SECRET])
    emulator_admin.add_faults({'kind': 'redirect', 'method': 'POST'})
    body = json.dumps({'name': 'LEAKED', 'value': SECRET}).encode()
    resp = api.post(P + '/envvar', data=body, headers={'Content-Type': 'application/json'}, allow_redirects=True)
    assert resp.status_code == 200 and resp.json() == {'message': 'foreign host'}
    [seen] = emulator_admin.foreign_requests()
    assert seen['method'] == 'POST' and seen['path'] == '/api/v1.1' + P + '/envvar'
    assert seen['token_present'] is True and {'where': 'header', 'header': 'Circle-Token', 'token_kind': 'user'} in seen['token_found']
    assert 'Circle-Token' in seen['headers'] and seen['canary_found'] is True
    assert seen['body_length'] == len(body) and seen['body_sha256'] == hashlib.sha256(body).hexdigest()
    assert 'LEAKED' not in _names(emulator_admin)
    text = json.dumps(emulator_admin.foreign_requests())
    assert 'demo-user-token' not in text and SECRET not in text


def test_basic_auth_is_dropped_by_requests_across_origins(api, emulator_admin):
    """Authorization is stripped by requests on a cross-origin redirect: no token arrives, and the log says so."""
    emulator_admin.add_faults({'kind': 'redirect', 'status': 302})
    assert api.get('/me', auth='basic', allow_redirects=True).json() == {'message': 'foreign host'}
    [seen] = emulator_admin.foreign_requests()
    assert seen['token_present'] is False and 'Authorization' not in seen['headers'] and seen['canary_found'] is False
    assert seen['body_length'] == 0 and seen['body_sha256'] == hashlib.sha256(b'').hexdigest()


def test_303_turns_a_post_into_a_bodiless_get(api, emulator_admin):
    """303: the client follows with GET and no body."""
    emulator_admin.canaries([SECRET])
    emulator_admin.add_faults({'kind': 'redirect', 'status': 303})
    api.post(P + '/envvar', json={'name': 'X', 'value': SECRET}, token=None, allow_redirects=True)
    [seen] = emulator_admin.foreign_requests()
    assert seen['method'] == 'GET' and seen['body_length'] == 0 and seen['canary_found'] is False


def test_query_token_is_not_forwarded_by_the_server(api, circleci_emulator, emulator_admin):
    """The Location drops circle-token (any token at the foreign host was sent by the client); other params stay."""
    emulator_admin.add_faults({'kind': 'redirect'})
    resp = api.get(P + '/envvar', auth='query', params={'limit': '5'})
    assert resp.headers['Location'] == circleci_emulator.foreign_url + '/api/v1.1' + P + '/envvar?limit=5'


def test_foreign_log_redacts_tokens_and_canaries_in_the_url(circleci_emulator, emulator_admin):
    """Direct requests: query tokens and canaries are redacted but flagged; Basic tokens are found."""
    emulator_admin.canaries([SECRET])
    url = circleci_emulator.foreign_url + '/x/' + SECRET
    requests.get(url, params={'circle-token': 'demo-readonly-token', 'q': 'a' + SECRET, 'keep': 'me'}, timeout=10)
    requests.get(circleci_emulator.foreign_url + '/basic', auth=('demo-project-token', ''), timeout=10)
    first, second = emulator_admin.foreign_requests()
    assert first['query'] == {'circle-token': '<redacted>', 'q': '<redacted>', 'keep': 'me'}
    assert first['path'] == '/x/<redacted>' and first['canary_found'] is True and first['token_present'] is True
    assert first['token_found'] == [{'where': 'query', 'param': 'circle-token', 'token_kind': 'read_only'}]
    assert second['token_found'] == [{'where': 'header', 'header': 'Authorization', 'token_kind': 'project'}]
    text = json.dumps([first, second])
    assert 'demo-readonly-token' not in text and 'demo-project-token' not in text and SECRET not in text


def test_canary_in_a_header_or_json_escaped(circleci_emulator, emulator_admin):
    """A canary is found in any header value, and in a body where JSON escaped it."""
    emulator_admin.canaries(['p"ss/word'])
    requests.get(circleci_emulator.foreign_url + '/h', headers={'X-Anything': 'Bearer p"ss/word'}, timeout=10)
    requests.post(circleci_emulator.foreign_url + '/b', json={'v': 'p"ss/word'}, timeout=10)
    requests.post(circleci_emulator.foreign_url + '/c', json={'v': 'nothing'}, timeout=10)
    assert [e['canary_found'] for e in emulator_admin.foreign_requests()] == [True, True, False]


def test_redirect_to_same_origin_follows_once(api, circleci_emulator, emulator_admin):
    """to: same redirects to the same URL plus a mark; a rule without a limit does not loop; the write then lands."""
    emulator_admin.add_faults({'kind': 'redirect', 'to': 'same', 'status': 307, 'share': 1})
    first = api.post(P + '/envvar', json={'name': 'SAME', 'value': 'v'})
    assert first.status_code == 307
    assert first.headers['Location'] == circleci_emulator.api_url + P + '/envvar?_emulator_redirected=1'
    assert 'SAME' not in _names(emulator_admin)
    resp = api.post(P + '/envvar', json={'name': 'SAME', 'value': 'v'}, allow_redirects=True)
    assert resp.status_code == 201 and 'SAME' in _names(emulator_admin)
    log = emulator_admin.requests()
    assert [(e['status'], e.get('fault')) for e in log] == [(307, 'redirect'), (307, 'redirect'), (201, None)]
    assert log[-1]['query'] == {'_emulator_redirected': '1'}
    assert emulator_admin.faults()[0]['fired'] == 2 and emulator_admin.foreign_requests() == []


@pytest.mark.parametrize('rule', [{'kind': 'redirect', 'status': 305}, {'kind': 'redirect', 'to': 'elsewhere'},
                                  {'kind': 'redirect', 'after': True}])
def test_bad_redirect_rules_are_400(circleci_emulator, rule):
    """Impossible redirect rules are refused when posted."""
    resp = requests.post(circleci_emulator.admin_url + '/faults', json={'rules': [rule]}, timeout=10)
    assert resp.status_code == 400


def test_canaries_admin_and_reset(circleci_emulator, emulator_admin):
    """Canaries count, refuse short values, are kept by DELETE /requests and dropped by reset; logs are cleared."""
    assert emulator_admin.canaries(['abcd', 'efgh']) == 2
    assert requests.post(circleci_emulator.admin_url + '/canaries', json={'values': ['abc']}, timeout=10).status_code == 400
    requests.get(circleci_emulator.foreign_url + '/abcd', timeout=10)
    assert len(emulator_admin.foreign_requests()) == 1
    emulator_admin.clear_requests()
    assert emulator_admin.foreign_requests() == []
    assert requests.get(circleci_emulator.admin_url + '/canaries', timeout=10).json() == {'canaries': 2}
    emulator_admin.reset()
    assert requests.get(circleci_emulator.admin_url + '/canaries', timeout=10).json() == {'canaries': 0}


def test_cli_form_and_ready_info(circleci_emulator):
    """status is an integer in the CLI form; foreign_url is in the ready info."""
    assert parse_cli_rule('kind=redirect,status=301,to=same') == {'kind': 'redirect', 'status': 301, 'to': 'same'}
    assert circleci_emulator.ready_info()['foreign_url'] == circleci_emulator.foreign_url
