"""Pytest configuration of the emulator's own tests."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

pytest_plugins = ['circleci_emulator.pytest_plugin']

import pytest  # noqa: E402  pylint: disable=wrong-import-position
import requests  # noqa: E402  pylint: disable=wrong-import-position


class Api:
    """Tiny requests wrapper for the emulator's own tests."""

    def __init__(self, handle):
        self.handle = handle
        self.session = requests.Session()

    def token(self, kind):
        """Token string for a kind ('bad' gives an unknown token, None none)."""
        if kind is None:
            return None
        if kind == 'bad':
            return 'not-a-valid-token'
        return self.handle.tokens[kind]

    def call(self, method, path, token='user', auth='header', accept='application/json', **kwargs):
        """Request an API path (relative to /api/v1.1)."""
        headers = dict(kwargs.pop('headers', {}) or {})
        if accept is not None:
            headers['Accept'] = accept
        params = dict(kwargs.pop('params', {}) or {})
        tok = self.token(token)
        if tok is not None:
            if auth == 'header':
                headers['Circle-Token'] = tok
            elif auth == 'basic':
                kwargs['auth'] = (tok, '')
            elif auth == 'query':
                params['circle-token'] = tok
        kwargs.setdefault('timeout', 30)
        kwargs.setdefault('allow_redirects', False)
        return self.session.request(method, self.handle.api_url + path, headers=headers, params=params, **kwargs)

    def get(self, path, **kwargs):
        """GET."""
        return self.call('GET', path, **kwargs)

    def post(self, path, **kwargs):
        """POST."""
        return self.call('POST', path, **kwargs)

    def delete(self, path, **kwargs):
        """DELETE."""
        return self.call('DELETE', path, **kwargs)


@pytest.fixture
def api(circleci_emulator):  # pylint: disable=redefined-outer-name
    """API client bound to a freshly reset emulator."""
    return Api(circleci_emulator)
