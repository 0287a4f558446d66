"""API v2 base: auth and token kinds, JSON always, routing errors, request log, counters, faults, latency, /me."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from circleci_emulator.state_v2 import b58decode, b58encode, parse_id

from .conftest import CTX_GLOBAL, ORG_BB, ORG_CLOUD, ORG_GH, ORG_OTHER

QUERY_MSG = ('Support for query parameter authentication has been deprecated to improve security. Please use a '
             'supported authentication method such as header-based, or basic authentication.')


@pytest.mark.parametrize('auth', ['header', 'basic', 'query'])
def test_token_sources_on_an_older_route(api2, emulator_admin, auth):
    """Circle-Token header, Basic, and the deprecated query parameter all work on the older routes."""
    resp = api2.get('/me', auth=auth)
    assert resp.status_code == 200
    assert resp.json() == {'id': resp.json()['id'], 'login': 'acme-bot', 'name': 'Acme Bot'}
    assert uuid.UUID(resp.json()['id'])
    entry = emulator_admin.requests()[-1]
    assert entry['auth'] == auth and entry['api'] == 'v2' and entry['path'] == '/api/v2/me'
    assert 'demo-user-token' not in repr(emulator_admin.requests())


@pytest.mark.parametrize('path', ['/project/gh/acme/api/settings', '/context/%s/restrictions' % CTX_GLOBAL])
def test_newer_services_refuse_the_query_parameter(api2, path):
    """Settings, restrictions, project creation: ?circle-token= is a 401 with the deprecation message."""
    resp = api2.get(path, auth='query')
    assert resp.status_code == 401 and resp.json() == {'message': QUERY_MSG}
    assert api2.get(path, auth='basic').status_code == 200
    assert api2.post('/project/gh/acme/new-service', auth='query').json() == {'message': QUERY_MSG}


def test_missing_invalid_and_project_tokens_are_401(api2):
    """No token: You must log in first.; unknown token and project tokens (not supported on v2): Invalid token provided."""
    assert api2.get('/me', token=None).json() == {'message': 'You must log in first.'}
    for kind in ('bad', 'project'):
        resp = api2.get('/project/gh/acme/api/envvar', token=kind)
        assert resp.status_code == 401 and resp.json() == {'message': 'Invalid token provided.'}


def test_old_format_token_refused_by_the_newer_services_only(api2):
    """demo-legacy-token (created before 2023-06-23) works on older routes, not on the newer services."""
    assert api2.get('/me', token='legacy').status_code == 200
    resp = api2.get('/project/gh/acme/api/settings', token='legacy')
    assert resp.status_code == 401 and resp.json()['message'].startswith('New format tokens are needed')


@pytest.mark.parametrize('method,path,body', [
    ('POST', '/project/gh/acme/api/envvar', {'name': 'A', 'value': 'b'}),
    ('DELETE', '/project/gh/acme/api/envvar/SHORT', None),
    ('PUT', '/context/%s/environment-variable/X' % CTX_GLOBAL, {'value': 'v'}),
    ('POST', '/context', {'name': 'n', 'owner': {'slug': 'gh/acme'}}),
    ('PATCH', '/project/gh/acme/api/settings', {'advanced': {'autocancel_builds': True}}),
    ('DELETE', '/webhook/f07623af-b373-4b3a-a8a2-964f04322549', None),
])
def test_read_only_token_reads_but_never_writes(api2, emulator_admin, method, path, body):
    """Every write with the read-only token: 403 Permission denied. (with the full stop); nothing changes."""
    before = emulator_admin.state()
    resp = api2.call(method, path, token='read_only', json=body)
    assert resp.status_code == 403 and resp.json() == {'message': 'Permission denied.'}
    after = emulator_admin.state()
    assert before['contexts'] == after['contexts'] and before['v2_projects'] == after['v2_projects']
    assert before['webhooks'] == after['webhooks']
    assert api2.get('/project/gh/acme/api/envvar', token='read_only').status_code == 200


def test_json_whatever_the_accept_header(api2):
    """v2 answers JSON even without Accept (v1.1 would answer EDN)."""
    for accept in (None, '*/*', 'application/edn'):
        resp = api2.get('/me', accept=accept)
        assert resp.headers['Content-Type'].startswith('application/json') and resp.json()['login'] == 'acme-bot'
    resp = api2.get('/nope', accept=None)
    assert resp.status_code == 404 and resp.json() == {'message': 'Not found.'}


@pytest.mark.parametrize('method,path,status', [
    ('GET', '/nope', 404), ('GET', '/project/gh/acme', 404), ('GET', '/project/gh/acme/api/', 404),
    ('GET', '/project//acme/api', 404), ('PUT', '/me', 405), ('POST', '/context/%s' % CTX_GLOBAL, 405),
    ('GET', '/project/gh/acme/api/nothing', 404), ('GET', '', 404),
])
def test_routing_errors_are_json(api2, method, path, status):
    """Unknown paths 404, known path with another method 405; always a JSON message."""
    resp = api2.call(method, path)
    assert resp.status_code == status and isinstance(resp.json()['message'], str)


@pytest.mark.parametrize('method,path,body', [
    ('POST', '/context', b'{not json'), ('PUT', '/context/%s/environment-variable/A' % CTX_GLOBAL, b'[1'),
    ('PATCH', '/project/gh/acme/api/settings', b'\xff\xfe'), ('POST', '/webhook', b'"str"'),
    ('POST', '/project/gh/acme/api/schedule', b'[]'), ('PATCH', '/org/%s/oidc-custom-claims' % ORG_GH, b'{'),
    ('POST', '/context/%s/restrictions' % CTX_GLOBAL, b'7'), ('GET', '/context?owner-id=%00', None),
    ('POST', '/project/gh/acme/api/envvar', b'{"name": 1, "value": "x"}'), ('GET', '/schedule/..', None),
])
def test_garbage_gets_4xx_never_500(api2, method, path, body):
    """Bad bodies and parameters: 400/404 with a body, never a 500."""
    resp = api2.call(method, path, data=body, headers={'Content-Type': 'application/json'})
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.json()


def test_counters_and_log_count_v2_like_v11(api2, api, emulator_admin):
    """Reads and writes of both versions are counted together; the log says which API."""
    api2.get('/me')
    api2.put('/context/%s/environment-variable/NEW_ONE' % CTX_GLOBAL, json={'value': 'v'})
    api.get('/me')
    counters = emulator_admin.counters()
    assert {key: counters[key] for key in ('reads', 'writes', 'total', 'by_method')} == {
        'reads': 2, 'writes': 1, 'total': 3, 'by_method': {'GET': 2, 'PUT': 1}}
    assert [e['api'] for e in emulator_admin.requests()] == ['v2', 'v2', 'v1.1']


def test_fault_path_is_after_the_version_prefix(api2, api, emulator_admin):
    """A rule path=^/me$ fires for v1.1 and v2; api: v2 limits it to v2."""
    emulator_admin.add_faults({'kind': '503', 'path': '^/me$', 'times': 2})
    assert api2.get('/me').status_code == 503
    assert api.get('/me').status_code == 503
    emulator_admin.add_faults({'kind': '500', 'path': '^/me$', 'api': 'v2', 'times': 5}, replace=True)
    assert api.get('/me').status_code == 200
    assert api2.get('/me').status_code == 500
    rule = emulator_admin.faults()[0]
    assert rule['seen'] == 1 and rule['fired'] == 1
    emulator_admin.add_faults({'kind': '500', 'api': 'v1.1', 'times': 5}, replace=True)
    assert api2.get('/me').status_code == 200


def test_faulted_v2_write_is_not_applied_and_after_applies(api2, emulator_admin):
    """Same fault semantics as v1.1: a faulted write has no effect unless after: true."""
    path = '/context/%s/environment-variable/FAULTED' % CTX_GLOBAL
    emulator_admin.add_faults({'kind': '429', 'method': 'PUT', 'path': '/environment-variable/', 'retry_after': 1})
    resp = api2.put(path, json={'value': 'v'})
    assert resp.status_code == 429 and resp.headers['Retry-After'] == '1'
    assert 'FAULTED' not in [v['name'] for v in emulator_admin.context(CTX_GLOBAL)['variables']]
    emulator_admin.add_faults({'kind': 'reset', 'method': 'PUT', 'after': True}, replace=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api2.put(path, json={'value': 'v'})
    assert 'FAULTED' in [v['name'] for v in emulator_admin.context(CTX_GLOBAL)['variables']]
    assert emulator_admin.requests()[-1]['status'] == 0


def test_truncated_and_malformed_on_a_v2_read(api2, emulator_admin):
    """truncated cuts the real v2 body; malformed garbles it."""
    emulator_admin.add_faults({'kind': 'truncated', 'path': '^/context$'})
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api2.get('/context', params={'owner-slug': 'gh/acme'})
    emulator_admin.add_faults({'kind': 'malformed', 'path': '^/context$'}, replace=True)
    resp = api2.get('/context', params={'owner-slug': 'gh/acme'})
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def test_latency_applies_to_v2(api2, emulator_admin):
    """The per-request latency delays v2 answers too."""
    emulator_admin.latency(200)
    start = time.monotonic()
    api2.get('/me/collaborations')
    assert time.monotonic() - start >= 0.2


def test_collaborations_bare_array(api2):
    """Member orgs only, vcs-type with a hyphen, circleci slugs with base58 ids, id null for a never-used org."""
    orgs = api2.get('/me/collaborations').json()
    assert isinstance(orgs, list)
    assert all(set(o) == {'id', 'vcs-type', 'name', 'avatar_url', 'slug'} for o in orgs)
    by_slug = {o['slug']: o for o in orgs}
    assert by_slug['gh/acme']['id'] == ORG_GH and by_slug['gh/acme']['vcs-type'] == 'github'
    assert by_slug['bb/acme']['id'] == ORG_BB and by_slug['bb/acme']['vcs-type'] == 'bitbucket'
    assert by_slug['gh/acme-labs']['id'] is None
    cloud = by_slug['circleci/' + b58encode(ORG_CLOUD)]
    assert cloud['id'] == ORG_CLOUD and cloud['vcs-type'] == 'circleci' and cloud['name'] == 'acme-cloud'
    assert ORG_OTHER not in [o['id'] for o in orgs]


def test_base58_matches_the_reference_examples():
    """The encoding of the reference's example ids, a leading zero byte, and garbage."""
    assert b58encode('5256d012-7286-4977-8029-c767765eddb8') == 'BAikmq7cLMhDuMGKeoQuSf'
    assert b58encode('2aab7f4b-15bc-418c-9f26-06fe11bb5a5d') == '6Gc8L5g5cnjKYSXHF2wH9E'
    assert b58encode(ORG_OTHER).startswith('1') and b58decode(b58encode(ORG_OTHER)) == ORG_OTHER
    assert parse_id('5256D012-7286-4977-8029-C767765EDDB8') == '5256d012-7286-4977-8029-c767765eddb8'
    for bad in ('', '0OIl', 'acme', 'x' * 30):
        assert parse_id(bad) is None
