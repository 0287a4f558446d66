"""v1.1 leftovers: /me user_key_fingerprint set by POST /user/ssh-key; F/OSS projects' build reads need no token."""

from __future__ import annotations

import pytest
import requests


def test_user_key_fingerprint(api):
    """/me shows null until POST /user/ssh-key, then the MD5 fingerprint of a real key (kept on a second call)."""
    assert api.get('/me').json()['user_key_fingerprint'] is None
    assert api.post('/user/ssh-key').status_code == 200
    fpr = api.get('/me').json()['user_key_fingerprint']
    assert len(fpr.split(':')) == 16
    api.post('/user/ssh-key')
    assert api.get('/me').json()['user_key_fingerprint'] == fpr
    assert api.post('/user/ssh-key', token='read_only').status_code == 403


@pytest.mark.parametrize('path', ['', '/3', '/3/artifacts', '/3/tests', '/tree/main', '/latest/artifacts'])
def test_oss_project_read_only_endpoints_need_no_token(api, path):
    """gh/acme/oss-lib has oss on: its build reads answer without a token; an invalid token is still 401."""
    resp = api.get('/project/github/acme/oss-lib' + path, token=None)
    assert resp.status_code == 200, resp.text
    assert api.get('/project/github/acme/oss-lib' + path, token='bad').status_code == 401


def test_oss_project_artifacts_are_listed_without_a_token_but_downloads_need_one(api):
    """The v1.1 reference opens read-only /project endpoints of F/OSS projects only; it gives artifact downloads as
    token-authenticated requests, so the artifact host still answers 401 without a token (oss-lib's build 3 has one)."""
    listed = api.get('/project/github/acme/oss-lib/3/artifacts', token=None).json()
    assert [a['path'] for a in listed] == ['dist/oss-lib-0.3.0.tar.gz']
    assert api.get('/project/github/acme/oss-lib/latest/artifacts', token=None).json() == listed
    resp = requests.get(listed[0]['url'], timeout=10)
    assert resp.status_code == 401 and resp.json() == {'message': 'You must log in first.'}
    fetched = requests.get(listed[0]['url'], auth=('demo-user-token', ''), timeout=10)  # Basic: dropped on the redirect
    assert fetched.status_code == 200 and fetched.content == b'oss-lib 0.3.0 source archive\n'


@pytest.mark.parametrize('method,path', [('GET', '/settings'), ('GET', '/envvar'), ('GET', '/checkout-key'),
                                         ('POST', ''), ('POST', '/follow'), ('POST', '/envvar')])
def test_oss_project_other_endpoints_still_need_a_token(api, method, path):
    """Settings, variables, keys and every write stay 401 without a token."""
    resp = api.call(method, '/project/github/acme/oss-lib' + path, token=None, json={'name': 'A', 'value': 'b'})
    assert resp.status_code == 401


def test_oss_switch_follows_the_setting(api, api2, emulator_admin):
    """Only projects with oss on are open: turning it off closes oss-lib; turning it on (admin) opens another."""
    assert api.get('/project/github/acme/api', token=None).status_code == 401
    assert api.get('/project/github/acme/oss-lib/3', token=None).json()['oss'] is True
    assert api2.patch('/project/gh/acme/oss-lib/settings', json={'advanced': {'oss': False}}).status_code == 200
    assert api.get('/project/github/acme/oss-lib', token=None).status_code == 401
    assert api2.patch('/project/gh/acme/oss-lib/settings', json={'advanced': {'oss': True}}).status_code == 200
    emulator_admin.set_project_settings('github/acme/web', oss=True)
    assert api.get('/project/github/acme/web/1', token=None).status_code == 200
    assert api.get('/project/github/acme/web/settings').json()['oss'] is True


def test_oss_project_seed_and_state(api2, emulator_admin):
    """gh/acme/oss-lib: public, oss on, not followed; v1.1 settings show oss."""
    oss = emulator_admin.v2_project('github/acme/oss-lib')
    assert oss['advanced']['oss'] is True and oss['public'] is True
    assert api2.get('/project/gh/acme/oss-lib/settings').json()['advanced']['oss'] is True
    assert emulator_admin.project('github/acme/oss-lib')['followed'] is False
