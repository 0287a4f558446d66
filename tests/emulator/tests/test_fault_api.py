"""Fault rules: the optional api matcher (v1.1 | v2) and paths relative to the version prefix."""

from __future__ import annotations

import pytest
import requests

from circleci_emulator.faults import FaultRule, parse_cli_rule
from circleci_emulator.server import split_version


def test_split_version():
    """The version and the path after its prefix; other paths are left whole."""
    assert split_version('/api/v1.1/me') == ('v1.1', '/me')
    assert split_version('/api/v2/project/gh/acme/api') == ('v2', '/project/gh/acme/api')
    assert split_version('/api/v2') == ('v2', '')
    assert split_version('/api/v21/me') == (None, '/api/v21/me')
    assert split_version('/_emulator/state') == (None, '/_emulator/state')


def test_api_matcher_on_v11(api, emulator_admin):
    """A rule with api: v2 neither counts nor fires on a v1.1 request; api: v1.1 fires."""
    emulator_admin.add_faults({'kind': '503', 'path': '^/me$', 'api': 'v2', 'times': 3},
                              {'kind': '500', 'path': '^/me$', 'api': 'v1.1'})
    assert api.get('/me').status_code == 500
    rules = emulator_admin.faults()
    assert rules[0]['seen'] == 0 and rules[1]['fired'] == 1
    assert emulator_admin.requests()[-1]['api'] == 'v1.1'


def test_api_matcher_validation_and_cli_form():
    """Only v1.1 or v2; the CLI form takes it like any other key."""
    assert FaultRule({'kind': '500', 'api': 'v2'}).api == 'v2'
    with pytest.raises(ValueError):
        FaultRule({'kind': '500', 'api': 'v3'})
    assert parse_cli_rule('kind=429,api=v2,path=^/context') == {'kind': '429', 'api': 'v2', 'path': '^/context'}


def test_bad_api_value_is_a_400_from_the_admin_api(emulator_admin):
    """The admin API refuses the rule."""
    with pytest.raises(requests.exceptions.HTTPError):
        emulator_admin.add_faults({'kind': '500', 'api': 'v3'})
