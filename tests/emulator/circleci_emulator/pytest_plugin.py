"""Pytest fixtures: ``circleci_emulator`` (reset before each test, one server per session) and ``emulator_admin``.

Enable with ``pytest_plugins = ["circleci_emulator.pytest_plugin"]``.
"""

from __future__ import annotations

import time

import pytest
import requests

from . import start_emulator


class AdminClient:
    """Small client for the /_emulator admin API."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.session = requests.Session()

    def _call(self, method, path, payload=None):
        resp = self.session.request(method, self.admin_url + path, json=payload, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def reset(self):
        """POST /reset."""
        return self._call('POST', '/reset')

    def seed(self, seed):
        """POST /seed with a dict (JSON) or YAML text."""
        if isinstance(seed, str):
            resp = self.session.post(self.admin_url + '/seed', data=seed.encode('utf-8'), timeout=30)
            resp.raise_for_status()
            return resp.json()
        return self._call('POST', '/seed', seed)

    def requests(self):
        """The request log."""
        return self._call('GET', '/requests')['requests']

    def clear_requests(self):
        """DELETE /requests."""
        return self._call('DELETE', '/requests')

    def counters(self):
        """GET /counters."""
        return self._call('GET', '/counters')

    def state(self):
        """GET /state."""
        return self._call('GET', '/state')

    def project(self, slug):
        """One project of GET /state."""
        for proj in self.state()['projects']:
            if proj['slug'] == slug:
                return proj
        raise KeyError(slug)

    def leaks(self):
        """GET /leaks."""
        return self._call('GET', '/leaks')['leaks']

    def faults(self):
        """GET /faults."""
        return self._call('GET', '/faults')['rules']

    def add_faults(self, *rules, replace=False):
        """POST /faults."""
        return self._call('POST', '/faults', {'rules': list(rules), 'replace': replace})

    def clear_faults(self):
        """DELETE /faults."""
        return self._call('DELETE', '/faults')

    def latency(self, ms):
        """POST /latency."""
        return self._call('POST', '/latency', {'ms': ms})

    def clock(self, advance=None, scale=None):
        """POST /clock."""
        payload = {}
        if advance is not None:
            payload['advance'] = advance
        if scale is not None:
            payload['scale'] = scale
        return self._call('POST', '/clock', payload)

    def rate_limit(self, rps, burst=None):
        """POST /rate-limit: per-token bucket of `burst` (default rps) refilled at `rps`; rps 0 turns it off."""
        payload = {'rps': rps}
        if burst is not None:
            payload['burst'] = burst
        return self._call('POST', '/rate-limit', payload)

    def rate_limit_off(self):
        """DELETE /rate-limit."""
        return self._call('DELETE', '/rate-limit')

    def rate_limit_state(self):
        """GET /rate-limit: {"enabled", "rps", "burst", "buckets"}."""
        return self._call('GET', '/rate-limit')

    def foreign_requests(self):
        """GET /foreign: what the foreign listener (target of redirect faults) received, without secrets."""
        return self._call('GET', '/foreign')['requests']

    def clear_foreign(self):
        """DELETE /foreign."""
        return self._call('DELETE', '/foreign')

    def canaries(self, values):
        """POST /canaries: strings whose arrival at the foreign listener sets canary_found; returns the count."""
        return self._call('POST', '/canaries', {'values': list(values)})['canaries']

    def clear_canaries(self):
        """DELETE /canaries."""
        return self._call('DELETE', '/canaries')

    def wait_idle(self, timeout=5.0):
        """Wait until no /api/ request is in flight (e.g. a slow fault the client gave up on); returns the counters."""
        deadline = time.monotonic() + timeout
        while True:
            counters = self.counters()
            if counters['in_flight'] == 0 or time.monotonic() >= deadline:
                return counters
            time.sleep(0.02)

    def set_envvar(self, slug, name, value):
        """Change a variable behind the module's back (not logged)."""
        return self._call('POST', '/projects/%s/envvar' % slug, {'name': name, 'value': value})

    # ---- API v2 (docs/emulator.md, "API v2"): all behind the module's back, never logged or counted
    def v2_config(self, **options):
        """GET (no options) or POST /v2/config: page_size, webhook_timestamps, absent_context_variable_delete."""
        return self._call('POST' if options else 'GET', '/v2/config', options or None)

    def page_size(self, size):
        """Items per page of every paged v2 list."""
        return self.v2_config(page_size=size)

    def context(self, ref):
        """One context of GET /state (by id or name), with clear variable values and restrictions."""
        for ctx in self.state()['contexts']:
            if ref in (ctx['id'], ctx['name']):
                return ctx
        raise KeyError(ref)

    def v2_project(self, ref):
        """One entry of GET /state's v2_projects, by v1.1 slug, v2 slug or id."""
        for proj in self.state()['v2_projects']:
            if ref in (proj['slug'], proj['v2_slug'], proj['id']):
                return proj
        raise KeyError(ref)

    def set_context_var(self, context, name, value):
        """Create or change a context variable (its updated_at moves)."""
        return self._call('POST', '/v2/contexts/%s/envvar' % context, {'name': name, 'value': value})

    def delete_context_var(self, context, name):
        """Remove a context variable."""
        return self._call('POST', '/v2/contexts/%s/envvar' % context, {'name': name, 'delete': True})

    def delete_context(self, context):
        """Remove a context with its variables and restrictions."""
        return self._call('DELETE', '/v2/contexts/%s' % context)

    def set_project_settings(self, slug, **advanced):
        """Change advanced settings (any project, oss included); answers the full settings."""
        return self._call('POST', '/v2/projects/%s/settings' % slug, {'advanced': advanced})

    def update_webhook(self, webhook_id, **fields):
        """Change a webhook as PUT /webhook/{id} would (API spelling: verify-tls, signing-secret; pass them with **{})."""
        return self._call('POST', '/v2/webhooks/%s' % webhook_id, fields)

    def update_schedule(self, schedule_id, **fields):
        """Change a schedule as PATCH /schedule/{id} would (API spelling: attribution-actor; pass it with **{})."""
        return self._call('POST', '/v2/schedules/%s' % schedule_id, fields)

    def delete_webhook(self, webhook_id):
        """Remove a webhook."""
        return self._call('DELETE', '/v2/webhooks/%s' % webhook_id)

    def delete_schedule(self, schedule_id):
        """Remove a schedule."""
        return self._call('DELETE', '/v2/schedules/%s' % schedule_id)


@pytest.fixture(scope='session')
def circleci_emulator_session():
    """One emulator for the whole session."""
    handle = start_emulator(seed='default', port=0)
    yield handle
    handle.stop()


@pytest.fixture
def circleci_emulator(circleci_emulator_session):  # pylint: disable=redefined-outer-name
    """The session emulator, reset to the default seed before each test."""
    circleci_emulator_session.load_seed('default')
    circleci_emulator_session.reset()
    return circleci_emulator_session


@pytest.fixture
def emulator_admin(circleci_emulator):  # pylint: disable=redefined-outer-name
    """Admin client for the (freshly reset) emulator."""
    return AdminClient(circleci_emulator.admin_url)
