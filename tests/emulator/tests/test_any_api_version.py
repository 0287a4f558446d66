"""The limiter, in-flight counters and faults apply to every /api/ path, not only /api/v1.1 (v2 will come)."""

from __future__ import annotations

import requests

V2 = '/api/v2/me'


def _get(handle, path, **kwargs):
    return requests.get(handle.base_url + path, headers={'Circle-Token': handle.tokens['user']}, timeout=10,
                        allow_redirects=False, **kwargs)


def test_v2_paths_share_the_token_bucket(circleci_emulator, emulator_admin):
    """A v2 request takes from the same per-token bucket as v1.1."""
    emulator_admin.rate_limit(0.01, burst=2)
    assert _get(circleci_emulator, '/api/v1.1/me').status_code == 200
    assert _get(circleci_emulator, V2).status_code != 429
    resp = _get(circleci_emulator, V2)
    assert resp.status_code == 429 and resp.json() == {'message': 'Rate limit exceeded.'}
    counters = emulator_admin.counters()
    assert counters['rate_limited'] == 1 and counters['total'] == 3 and counters['max_in_flight'] == 1


def test_faults_fire_on_v2_paths(circleci_emulator, emulator_admin):
    """Fault rules match /api/v2 paths (path regex after the version prefix, api matcher) and redirect keeps the path."""
    emulator_admin.add_faults({'kind': 'redirect', 'path': '^/me$', 'api': 'v2'}, {'kind': '503', 'path': '^/me$', 'api': 'v2', 'nth': 2})
    first = _get(circleci_emulator, V2)
    assert first.status_code == 307 and first.headers['Location'] == circleci_emulator.foreign_url + V2
    assert _get(circleci_emulator, V2).status_code == 503
    assert _get(circleci_emulator, '/api/v1.1/me').status_code == 200


def test_admin_helpers_clear(circleci_emulator, emulator_admin):
    """clear_foreign() and clear_canaries() of the pytest plugin."""
    assert emulator_admin.canaries(['secret-one']) == 1
    requests.get(circleci_emulator.foreign_url + '/secret-one', timeout=10)
    assert emulator_admin.foreign_requests()[0]['canary_found'] is True
    emulator_admin.clear_foreign()
    assert emulator_admin.foreign_requests() == []
    emulator_admin.clear_canaries()
    requests.get(circleci_emulator.foreign_url + '/secret-one', timeout=10)
    assert emulator_admin.foreign_requests()[0]['canary_found'] is False
