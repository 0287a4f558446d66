"""Faults that apply the request and then lose the answer (`after: true`), and the `timeout` kind.

The table below is the one in docs/emulator.md ("Does the request take effect?"), for a write (POST).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

P = '/project/github/acme/api'
KINDS = ('429', '500', '502', '503', '504', 'reset', 'truncated', 'malformed', 'slow', 'timeout')
# kind -> (applied without after, applied with after)
APPLIED = {kind: (kind == 'slow', True) for kind in KINDS}


def _post_envvar(api, name, timeout=5):
    """POST an env var; return the response or the exception the client got."""
    try:
        resp = api.post(P + '/envvar', json={'name': name, 'value': 'testvalue'}, timeout=timeout)
        resp.content  # pylint: disable=pointless-statement
        return resp
    except requests.exceptions.RequestException as exc:
        return exc


def _names(emulator_admin):
    return {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']}


@pytest.mark.parametrize('after', [False, True], ids=['plain', 'after'])
@pytest.mark.parametrize('kind', KINDS)
def test_write_takes_effect_as_documented(api, emulator_admin, kind, after):
    """For every kind, the POST is applied exactly when the table says so, and the client still sees the fault."""
    rule = {'kind': kind, 'method': 'POST', 'path': '/envvar$', 'after': after, 'delay': 0.3 if kind == 'timeout' else 0.05}
    emulator_admin.add_faults(rule)
    got = _post_envvar(api, 'FAULTED', timeout=0.15 if kind == 'timeout' else 5)
    assert ('FAULTED' in _names(emulator_admin)) is APPLIED[kind][after]
    if kind in ('429', '500', '502', '503', '504'):
        assert got.status_code == int(kind)
    elif kind == 'slow':
        assert got.status_code == 201 and got.json()['value'] == 'xxxxalue'
    elif kind == 'timeout':
        assert isinstance(got, requests.exceptions.ReadTimeout)
    elif kind == 'malformed':
        assert got.status_code == (201 if after else 200)
        with pytest.raises(ValueError):
            got.json()
    else:  # reset, truncated
        assert isinstance(got, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError))
    entry = emulator_admin.requests()[-1]
    assert entry['fault'] == kind and entry['write'] is True
    emulator_admin.wait_idle()


def _raw(handle, method, path, body=None, accept='application/json'):
    """Call with http.client; return (status, headers, bytes received) even if the body is cut short."""
    url = urlsplit(handle.api_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    headers = {'Circle-Token': handle.tokens['user'], 'Content-Type': 'application/json'}
    if accept:
        headers['Accept'] = accept
    conn.request(method, url.path + path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    try:
        data = resp.read()
    except http.client.IncompleteRead as exc:
        data = exc.partial
    conn.close()
    return resp.status, resp.headers, data


def test_truncated_after_sends_half_of_the_real_answer(circleci_emulator, emulator_admin):
    """truncated + after on a write: real status, real Location, real Content-Length, half the real body."""
    real = json.dumps({'name': 'CUT', 'value': 'xxxxalue'}, separators=(',', ':')).encode()
    emulator_admin.add_faults({'kind': 'truncated', 'method': 'POST', 'after': True})
    status, headers, data = _raw(circleci_emulator, 'POST', P + '/envvar', {'name': 'CUT', 'value': 'testvalue'})
    assert status == 201 and headers['Location'].endswith('/envvar/CUT')
    assert int(headers['Content-Length']) == len(real) and data == real[:len(real) // 2]
    assert 'CUT' in _names(emulator_admin)


def test_malformed_after_garbles_the_real_answer(circleci_emulator, emulator_admin):
    """malformed + after on a write: real status and headers, half the real body then '#garbled#'."""
    real = json.dumps({'name': 'GARBLED', 'value': 'xxxxalue'}, separators=(',', ':')).encode()
    emulator_admin.add_faults({'kind': 'malformed', 'method': 'POST', 'after': True})
    status, headers, data = _raw(circleci_emulator, 'POST', P + '/envvar', {'name': 'GARBLED', 'value': 'testvalue'})
    assert status == 201 and headers['Location'].endswith('/envvar/GARBLED')
    assert data == real[:len(real) // 2] + b'#garbled#' and int(headers['Content-Length']) == len(data)
    assert 'GARBLED' in _names(emulator_admin)


def test_truncated_read_cuts_the_answer_in_the_asked_format(circleci_emulator, emulator_admin):
    """On a GET without Accept: application/json, the EDN answer is what gets cut."""
    full = _raw(circleci_emulator, 'GET', '/me', accept=None)[2]
    emulator_admin.add_faults({'kind': 'truncated'})
    status, headers, data = _raw(circleci_emulator, 'GET', '/me', accept=None)
    assert status == 200 and headers['Content-Type'].startswith('application/edn')
    assert int(headers['Content-Length']) == len(full) and data == full[:len(full) // 2]


def test_truncated_empty_real_body_is_still_cut(api, emulator_admin):
    """A real answer with an empty body (POST /user/heroku-key) is announced as 2 bytes and none sent."""
    emulator_admin.add_faults({'kind': 'truncated', 'method': 'POST', 'after': True})
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api.post('/user/heroku-key', json={'apikey': 'heroku-0123456789'}).content  # pylint: disable=expression-not-assigned
    assert emulator_admin.state()['user']['heroku_api_key'] == 'heroku-0123456789'


def test_write_without_after_uses_a_stand_in(api, emulator_admin):
    """Without after, truncated/malformed on a write are a 200 stand-in and nothing is applied."""
    emulator_admin.add_faults({'kind': 'malformed', 'method': 'POST'})
    resp = api.post(P + '/envvar', json={'name': 'NOPE', 'value': 'testvalue'})
    assert resp.status_code == 200 and 'Location' not in resp.headers
    assert 'NOPE' not in _names(emulator_admin)


def test_timeout_holds_then_closes_without_answer(circleci_emulator, emulator_admin):
    """timeout: no byte for `delay` seconds, then the connection is closed (EOF, not reset)."""
    emulator_admin.add_faults({'kind': 'timeout', 'delay': 0.3})
    url = urlsplit(circleci_emulator.api_url)
    start = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b'GET /api/v1.1/me HTTP/1.1\r\nHost: x\r\nCircle-Token: demo-user-token\r\n\r\n')
        assert sock.recv(1024) == b''
    assert time.monotonic() - start >= 0.3
    entry = emulator_admin.requests()[-1]
    assert entry['status'] == 0 and entry['fault'] == 'timeout'


def test_timeout_default_delay_is_60s_and_cli_form(emulator_admin):
    """The CLI form accepts after and delay; the default hold is 60 s (documented; not waited for here)."""
    from circleci_emulator.faults import parse_cli_rule  # pylint: disable=import-outside-toplevel
    assert parse_cli_rule('kind=timeout,after=true,delay=0.5') == {'kind': 'timeout', 'after': True, 'delay': 0.5}
    emulator_admin.add_faults({'kind': 'timeout'})
    assert emulator_admin.faults()[0]['kind'] == 'timeout'
