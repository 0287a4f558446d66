"""Per-token token-bucket rate limiter: 429 + Retry-After from the bucket, no effect, exact under concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from circleci_emulator import ratelimit, start_emulator

P = '/project/github/acme/api'
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _limited(resp, retry_after):
    assert resp.status_code == 429
    assert resp.headers['Content-Type'].startswith('application/json')
    assert resp.json() == {'message': 'Rate limit exceeded.'}
    assert resp.headers['Retry-After'] == str(retry_after)


def test_burst_then_429_with_retry_after(api, emulator_admin):
    """burst requests pass, the next gets 429 with Retry-After; counted and logged as fault rate-limit."""
    assert emulator_admin.rate_limit(2, burst=3) == {'enabled': True, 'rps': 2, 'burst': 3, 'buckets': 0}
    assert [api.get('/me').status_code for dummy in range(3)] == [200, 200, 200]
    _limited(api.get('/me'), 1)
    counters = emulator_admin.counters()
    assert counters['rate_limited'] == 1 and counters['total'] == 4 and counters['reads'] == 4
    last = emulator_admin.requests()[-1]
    assert last['status'] == 429 and last['fault'] == 'rate-limit'


@pytest.mark.parametrize('rps,retry_after', [(0.5, 2), (0.25, 4), (0.01, 100), (3, 1)])
def test_retry_after_is_computed_from_the_bucket(api, emulator_admin, rps, retry_after):
    """Retry-After = time until one token is back, rounded up, at least 1; answered at once, never slept."""
    emulator_admin.rate_limit(rps, burst=1)
    assert api.get('/me').status_code == 200
    start = time.monotonic()
    _limited(api.get('/me'), retry_after)
    assert time.monotonic() - start < 0.5


def test_bucket_refills(api, emulator_admin):
    """After 1/rps seconds a token is back."""
    emulator_admin.rate_limit(20, burst=1)
    assert api.get('/me').status_code == 200
    assert api.get('/me').status_code == 429
    time.sleep(0.08)
    assert api.get('/me').status_code == 200


def test_buckets_are_per_token(api, emulator_admin):
    """Each token value has its own bucket; requests without a token share one."""
    emulator_admin.rate_limit(0.01, burst=1)
    assert api.get('/me').status_code == 200
    assert api.get('/me').status_code == 429
    assert api.get('/me', token='read_only').status_code == 200
    assert api.get(P + '/envvar', token='project').status_code == 200
    assert api.get('/me', token='bad').status_code == 401
    assert api.get('/me', token=None).status_code == 401
    assert api.get('/me', token=None).status_code == 429
    assert api.get('/me', token='read_only', auth='basic').status_code == 429
    assert emulator_admin.rate_limit_state()['buckets'] == 5


def test_limited_write_has_no_effect_and_meets_no_fault(api, emulator_admin):
    """A limited POST is not applied, and fault rules do not see it."""
    emulator_admin.add_faults({'kind': '500', 'path': '/nothing-matches-this', 'times': 5}, {'kind': '503', 'nth': 2})
    emulator_admin.rate_limit(0.01, burst=1)
    assert api.post(P + '/envvar', json={'name': 'FIRST', 'value': 'v'}).status_code == 201
    _limited(api.post(P + '/envvar', json={'name': 'LIMITED', 'value': 'v'}), 100)
    names = {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']}
    assert 'FIRST' in names and 'LIMITED' not in names
    assert [r['seen'] for r in emulator_admin.faults()] == [0, 1]
    assert emulator_admin.counters()['writes'] == 2


def test_exact_under_concurrency(circleci_emulator, emulator_admin):
    """20 parallel requests against a bucket of 5: exactly 5 pass."""
    emulator_admin.rate_limit(0.001, burst=5)
    barrier = threading.Barrier(20)
    codes = []
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        barrier.wait()
        code = session.get(circleci_emulator.api_url + '/me', timeout=30,
                           headers={'Circle-Token': circleci_emulator.tokens['user'], 'Accept': 'application/json'}).status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=worker) for dummy in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [429] * 15
    assert emulator_admin.counters()['rate_limited'] == 15


def test_turned_off_by_rps_zero_delete_and_reset(api, emulator_admin):
    """{"rps": 0}, DELETE and reset all turn the limiter off."""
    for turn_off in (lambda: emulator_admin.rate_limit(0), emulator_admin.rate_limit_off, emulator_admin.reset):
        emulator_admin.rate_limit(0.01, burst=1)
        api.get('/me')
        assert api.get('/me').status_code == 429
        turn_off()
        assert emulator_admin.rate_limit_state()['enabled'] is False
        assert api.get('/me').status_code == 200


def test_reconfigure_refills_buckets(api, emulator_admin):
    """A new POST starts every bucket full."""
    emulator_admin.rate_limit(0.01, burst=1)
    api.get('/me')
    assert api.get('/me').status_code == 429
    emulator_admin.rate_limit(0.01, burst=1)
    assert api.get('/me').status_code == 200


@pytest.mark.parametrize('payload', [{'rps': -1}, {'rps': 1, 'burst': 0.5}, {'rps': 'fast'}, {'burst': 3}])
def test_bad_config_is_400(circleci_emulator, payload):
    """Bad limits are refused."""
    resp = requests.post(circleci_emulator.admin_url + '/rate-limit', json=payload, timeout=10)
    assert resp.status_code == 400 and 'message' in resp.json()


def test_parse_forms():
    """'RPS[:BURST]'; burst defaults to rps but at least 1."""
    assert ratelimit.parse('10') == (10.0, 10.0)
    assert ratelimit.parse('10:25') == (10.0, 25.0)
    assert ratelimit.parse('0.5') == (0.5, 1.0)
    assert ratelimit.parse('0') == (0.0, None)
    assert ratelimit.parse(None) == (0.0, None)
    with pytest.raises(ValueError):
        ratelimit.parse('x:1')


def test_in_process_limit_survives_reset():
    """A limit given at start (like --rate-limit) is what reset returns to."""
    with start_emulator(rate_limit='1:2') as handle:
        admin = handle.admin_url
        assert requests.get(admin + '/rate-limit', timeout=10).json() == {'enabled': True, 'rps': 1, 'burst': 2, 'buckets': 0}
        requests.post(admin + '/rate-limit', json={'rps': 0}, timeout=10)
        requests.post(admin + '/reset', timeout=10)
        assert requests.get(admin + '/rate-limit', timeout=10).json()['enabled'] is True


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = HERE + os.pathsep + env.get('PYTHONPATH', '')
    return env


def test_ensure_and_cli_rate_limit(tmp_path):
    """ensure --rate-limit passes --rate-limit RPS:BURST to the emulator."""
    state = str(tmp_path / 'emu.json')
    cmd = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', state]
    info = json.loads(subprocess.run(cmd + ['--rate-limit', '4:6'], capture_output=True, text=True, check=True,
                                     env=_env()).stdout)
    try:
        assert requests.get(info['admin_url'] + '/rate-limit', timeout=10).json()['burst'] == 6
        codes = [requests.get(info['api_url'] + '/me', timeout=10).status_code for dummy in range(7)]
        assert codes[:6] == [401] * 6 and codes[6] == 429
    finally:
        subprocess.run(cmd + ['--stop'], capture_output=True, text=True, check=True, env=_env())


def test_cli_bad_rate_limit_is_a_usage_error():
    """A bad --rate-limit is an argparse error (exit 2), not a traceback."""
    proc = subprocess.run([sys.executable, '-m', 'circleci_emulator', '--port', '0', '--rate-limit', '-3'],
                          capture_output=True, text=True, env=_env(), timeout=30, check=False)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr and 'rate limit' in proc.stderr
