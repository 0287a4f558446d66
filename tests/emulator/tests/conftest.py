"""Fixtures of the API v2 tests: ``api2``, a client of /api/v2 on the freshly reset emulator."""

from __future__ import annotations

import pytest

from conftest import Api  # the emulator's root conftest (tests/emulator/conftest.py)

ORG_GH = 'b0de2883-ba52-4530-abc0-d74091c72852'
ORG_BB = '4b56461e-12e9-4795-b105-b99e8959df4d'
ORG_CLOUD = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
ORG_OTHER = '006748eb-fdcd-48d3-be21-50645cdad7ab'
LEDGER = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
VAULT_APP = 'be63da02-9eb7-4b03-b76f-97892b3513c3'
CTX_GLOBAL = '9957d515-7682-4f4b-825d-8249e0d6d320'
CTX_DEPLOY = 'f3e9363b-e6e3-44de-8de1-542479a869b1'
CTX_CLOUD = 'c8626484-f1e2-45c5-bfed-a179b7eeaa08'
WEBHOOK = 'f07623af-b373-4b3a-a8a2-964f04322549'
SCHEDULE = 'cd724574-9aaf-4179-9bc1-c141d61d3922'
LEDGER_SLUG = 'circleci/%s/%s' % (ORG_CLOUD, LEDGER)


class _V2Handle:  # pylint: disable=too-few-public-methods
    """The handle with api_url pointing at /api/v2, so the v1.1 test client can be reused."""

    def __init__(self, handle):
        self.api_url = handle.api_v2_url
        self.tokens = dict(handle.tokens, legacy='demo-legacy-token')
        self.storage_url = handle.storage_url


class Api2(Api):
    """Client of /api/v2 (paths relative to it); Accept: application/json by default, like the v1.1 client."""

    def put(self, path, **kwargs):
        """PUT."""
        return self.call('PUT', path, **kwargs)

    def patch(self, path, **kwargs):
        """PATCH."""
        return self.call('PATCH', path, **kwargs)

    def items(self, path, **kwargs):
        """Every item of a paged list, following next_page_token; also returns the number of pages."""
        params = dict(kwargs.pop('params', {}) or {})
        out, pages = [], 0
        while True:
            resp = self.get(path, params=params, **kwargs)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert set(body) == {'items', 'next_page_token'}
            out.extend(body['items'])
            pages += 1
            if not body['next_page_token']:
                return out, pages
            params['page-token'] = body['next_page_token']

    def project_id(self, slug):
        """The v2 id of a project."""
        return self.get('/project/' + slug).json()['id']


@pytest.fixture
def api2(circleci_emulator):  # pylint: disable=redefined-outer-name
    """API v2 client bound to a freshly reset emulator."""
    return Api2(_V2Handle(circleci_emulator))
