"""Faults, latency, CLI, TLS and the ensure launcher."""

from __future__ import annotations

import email.utils
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from circleci_emulator import start_emulator
from circleci_emulator.faults import parse_cli_rule

P = '/project/github/acme/api'
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize('retry_after', [3, 'date', 'none'])
def test_429_retry_after_forms(api, emulator_admin, retry_after):
    """429 with Retry-After in seconds, as an HTTP date, or absent; plain-text body."""
    emulator_admin.add_faults({'kind': '429', 'path': '/envvar', 'retry_after': retry_after})
    resp = api.get(P + '/envvar')
    assert resp.status_code == 429 and resp.text == 'Rate limited.'
    if retry_after == 3:
        assert resp.headers['Retry-After'] == '3'
    elif retry_after == 'date':
        assert email.utils.parsedate_to_datetime(resp.headers['Retry-After'])
    else:
        assert 'Retry-After' not in resp.headers
    assert api.get(P + '/envvar').status_code == 200
    assert emulator_admin.faults()[0]['fired'] == 1
    assert emulator_admin.requests()[0]['status'] == 429


@pytest.mark.parametrize('code,body', [('500', 'json'), ('502', 'html'), ('503', 'json'), ('504', 'html')])
def test_5xx(api, emulator_admin, code, body):
    """5xx with JSON or nginx HTML bodies."""
    emulator_admin.add_faults({'kind': code, 'body': body})
    resp = api.get('/me')
    assert resp.status_code == int(code)
    if body == 'json':
        assert 'message' in resp.json()
    else:
        assert '<center>nginx</center>' in resp.text


def test_nth_and_write_not_applied(api, emulator_admin):
    """nth fires on the Nth match only; a faulted write has no effect."""
    emulator_admin.add_faults({'kind': '500', 'method': 'POST', 'path': '/envvar$', 'nth': 2})
    assert api.post(P + '/envvar', json={'name': 'A1', 'value': 'v'}).status_code == 201
    assert api.post(P + '/envvar', json={'name': 'A2', 'value': 'v'}).status_code == 500
    assert api.post(P + '/envvar', json={'name': 'A3', 'value': 'v'}).status_code == 201
    names = {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']}
    assert 'A1' in names and 'A2' not in names and 'A3' in names


def test_reset_after_applies_write(api, emulator_admin):
    """after: true applies the POST and then resets the connection."""
    emulator_admin.add_faults({'kind': 'reset', 'method': 'POST', 'after': True})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(P + '/envvar', json={'name': 'REACHED', 'value': 'yes'})
    assert 'REACHED' in {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']}


def test_reset_slow_truncated_malformed(api, emulator_admin):
    """Connection reset, slow answer past a timeout, truncated body, malformed JSON."""
    emulator_admin.add_faults({'kind': 'reset'})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get('/me')
    emulator_admin.add_faults({'kind': 'slow', 'delay': 1.5}, replace=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get('/me', timeout=0.5)
    emulator_admin.add_faults({'kind': 'truncated'}, replace=True)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api.get(P + '/envvar')
    emulator_admin.add_faults({'kind': 'malformed'}, replace=True)
    resp = api.get(P + '/envvar')
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def test_share_is_deterministic(api, emulator_admin):
    """share with seed fires on a deterministic subset."""
    emulator_admin.add_faults({'kind': '503', 'share': 0.5, 'seed': 7})
    first = [api.get('/me').status_code for dummy in range(10)]
    emulator_admin.add_faults({'kind': '503', 'share': 0.5, 'seed': 7}, replace=True)
    second = [api.get('/me').status_code for dummy in range(10)]
    assert first == second and 503 in first and 200 in first


def test_latency(api, emulator_admin):
    """Per-request latency."""
    emulator_admin.latency(200)
    start = time.monotonic()
    api.get('/me')
    assert time.monotonic() - start >= 0.2


def test_cli_rule_parse():
    """CLI fault form."""
    assert parse_cli_rule('kind=429,path=/envvar,nth=3,retry_after=date') == {
        'kind': '429', 'path': '/envvar', 'nth': 3, 'retry_after': 'date'}


def test_tls_in_process():
    """--tls: HTTPS verified with the throw-away CA."""
    with start_emulator(tls=True) as handle:
        assert handle.api_url.startswith('https://') and os.path.exists(handle.ca_path)
        resp = requests.get(handle.api_url + '/me', headers={'Circle-Token': 'demo-user-token', 'Accept': 'application/json'},
                            verify=handle.ca_path, timeout=10)
        assert resp.json()['login'] == 'acme-bot'
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(handle.api_url + '/me', timeout=10)


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = HERE + os.pathsep + env.get('PYTHONPATH', '')
    return env


def test_cli_ready_line_ready_file_and_sigterm(tmp_path):
    """CLI prints one ready line, writes the ready file, stops on SIGTERM with exit 0."""
    ready = tmp_path / 'ready.json'
    with subprocess.Popen([sys.executable, '-m', 'circleci_emulator', '--port', '0', '--ready-file', str(ready),
                           '--fault', 'kind=503,nth=1'], stdout=subprocess.PIPE, text=True, env=_env()) as proc:
        line = proc.stdout.readline()
        assert line.startswith('CircleCI emulator ready: api_url=http://127.0.0.1:') and 'token=demo-user-token' in line
        info = json.loads(ready.read_text())
        assert info['pid'] == proc.pid and info['tokens']['read_only'] == 'demo-readonly-token' and info['ca_path'] is None
        assert requests.get(info['api_url'] + '/me', timeout=10).status_code == 503
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_ensure_launcher(tmp_path):
    """ensure starts once, reuses the running emulator, and stops it."""
    state = str(tmp_path / 'emu.json')
    cmd = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', state]
    first = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env()).stdout)
    second = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, env=_env()).stdout)
    assert first['pid'] == second['pid']
    assert requests.get(first['api_url'] + '/me', headers={'Circle-Token': 'demo-user-token', 'Accept': 'application/json'},
                        timeout=10).status_code == 200
    subprocess.run(cmd + ['--stop'], capture_output=True, text=True, check=True, env=_env())
    assert not os.path.exists(state)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(first['api_url'] + '/me', timeout=2)
