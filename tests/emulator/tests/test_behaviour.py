"""Behaviour tests: auth, tokens, Accept, env vars, keys, builds, artifacts, admin, garbage input."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess

import pytest
import requests

from circleci_emulator import keys
from circleci_emulator.server import large_sha256

P = '/project/github/acme/api'


@pytest.mark.parametrize('auth', ['header', 'basic', 'query'])
def test_each_auth_path_is_accepted_and_logged(api, emulator_admin, auth):
    """Circle-Token header, Basic (token as user), circle-token query; logged without the token value."""
    resp = api.get('/me', auth=auth)
    assert resp.status_code == 200 and resp.json()['login'] == 'acme-bot'
    log = emulator_admin.requests()
    assert log[-1]['auth'] == auth and log[-1]['token_kind'] == 'user' and log[-1]['listener'] == 'api'
    assert 'demo-user-token' not in repr(log)


def test_missing_and_invalid_tokens_are_401(api, emulator_admin):
    """No token / bad token → recorded 401."""
    for tok in (None, 'bad'):
        resp = api.get(P + '/envvar', token=tok)
        assert resp.status_code == 401 and resp.json() == {'message': 'You must log in first.'}
    kinds = [e['token_kind'] for e in emulator_admin.requests()]
    assert kinds == ['none', 'invalid']


def test_read_only_token(api):
    """Reads work; every write is 403 Permission denied."""
    assert api.get(P + '/envvar', token='read_only').status_code == 200
    for method, path, body in (('POST', P + '/envvar', {'name': 'A', 'value': 'b'}), ('DELETE', P + '/envvar/SHORT', None),
                               ('POST', P + '/follow', None), ('POST', '/user/heroku-key', {'apikey': 'x' * 10})):
        resp = api.call(method, path, token='read_only', json=body)
        assert resp.status_code == 403 and resp.json() == {'message': 'Permission denied'}


def test_project_token_scope(api):
    """Project token: own project read/write env vars; no checkout-key creation, no /me, other projects 404."""
    assert api.post(P + '/envvar', token='project', json={'name': 'NEW_VAR', 'value': 'value1'}).status_code == 201
    assert api.get(P + '/300', token='project').status_code == 200
    assert api.post(P + '/checkout-key', token='project', json={'type': 'deploy-key'}).json() == {'message': 'Permission denied'}
    assert api.get('/me', token='project').status_code == 403
    resp = api.get('/project/github/acme/web/envvar', token='project')
    assert resp.status_code == 404
    assert api.get('/project/github/acme/web/settings', token='project').json() == {'message': 'Project not found'}


def test_accept_header_required_for_json(api):
    """Without Accept: application/json the answer is EDN, not JSON."""
    resp = api.get('/me', accept=None)
    assert resp.headers['Content-Type'].startswith('application/edn')
    assert resp.text.startswith('{:login "acme-bot"')
    with pytest.raises(ValueError):
        resp.json()
    assert api.get('/me', accept='*/*; q=0.5, application/xml').headers['Content-Type'].startswith('application/edn')
    assert api.get('/me', accept='application/json; charset=utf-8').json()['name'] == 'Acme Bot'


def test_masking_overwrite_and_short_values(api, emulator_admin):
    """xxxx + last four; shorter than 4 → xxxx; POST overwrites and answers 201."""
    values = {v['name']: v['value'] for v in api.get(P + '/envvar').json()}
    assert values['DATABASE_URL'] == 'xxxx/api' and values['API_KEY'] == 'xxxx6789' and values['SHORT'] == 'xxxx'
    first = api.post(P + '/envvar', json={'name': 'API_KEY', 'value': 'sk_live_new_9999'})
    assert first.status_code == 201 and first.json() == {'name': 'API_KEY', 'value': 'xxxx9999'}
    state = {e['name']: e['value'] for e in emulator_admin.project('github/acme/api')['env_vars']}
    assert state['API_KEY'] == 'sk_live_new_9999'
    assert api.get(P + '/envvar/API_KEY').json() == {'name': 'API_KEY', 'value': 'xxxx9999'}
    for bad in ('1ABC', 'A-B', 'A B', ''):
        resp = api.post(P + '/envvar', json={'name': bad, 'value': 'v'})
        assert resp.status_code == 400 and isinstance(resp.json()['message'], str)


def _independent_md5(public_line):
    blob = base64.b64decode(public_line.split()[1])
    hexd = hashlib.md5(blob).hexdigest()  # nosec
    return ':'.join(hexd[i:i + 2] for i in range(0, 32, 2))


def test_checkout_keys_fingerprints_and_preferred(api):
    """Real RSA key; md5 and sha256 fingerprints match an independent computation; one preferred key."""
    created = api.post(P + '/checkout-key', json={'type': 'github-user-key'})
    assert created.status_code == 201
    key = created.json()
    assert key['public_key'].startswith('ssh-rsa ') and key['login'] == 'acme-bot'
    assert key['fingerprint'] == _independent_md5(key['public_key'])
    assert created.headers['Location'].endswith('/checkout-key/' + key['fingerprint'])
    listed = api.get(P + '/checkout-key').json()
    assert [k['preferred'] for k in listed].count(True) == 1
    assert [k for k in listed if k['preferred']][0]['type'] == 'github-user-key'
    sha = api.get(P + '/checkout-key', params={'digest': 'sha256'}).json()
    blob = base64.b64decode(key['public_key'].split()[1])
    expected = 'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip('=')
    assert expected in [k['fingerprint'] for k in sha]
    assert api.get(P + '/checkout-key/' + requests.utils.quote(expected, safe='')).status_code == 200
    if shutil.which('ssh-keygen'):
        out = subprocess.run(['ssh-keygen', '-l', '-E', 'md5', '-f', '-'], input=key['public_key'].strip(), capture_output=True,
                             text=True, check=True).stdout
        assert 'MD5:' + key['fingerprint'] in out
    assert api.delete(P + '/checkout-key/' + key['fingerprint']).json() == {'message': 'ok'}
    assert api.get(P + '/checkout-key/' + key['fingerprint']).status_code == 404


@pytest.mark.parametrize('kind', ['rsa', 'ecdsa', 'ed25519'])
def test_ssh_keys_parse_duplicate_and_delete(api, kind):
    """Keys are parsed for real; posting twice stores twice; DELETE with JSON body removes them."""
    private, public = keys.generate_key(kind)
    for dummy in range(2):
        resp = api.post(P + '/ssh-key', json={'hostname': 'git.example.com', 'private_key': private})
        assert resp.status_code == 200 and resp.json() == ''
    fpr = _independent_md5(public)
    entries = [k for k in api.get(P + '/settings').json()['ssh_keys'] if k['hostname'] == 'git.example.com']
    assert len(entries) == 2 and all(k['fingerprint'] == fpr and k['public_key'] == public for k in entries)
    assert api.delete(P + '/ssh-key', json={'fingerprint': fpr, 'hostname': 'git.example.com'}).status_code == 200
    assert not [k for k in api.get(P + '/settings').json()['ssh_keys'] if k['hostname'] == 'git.example.com']


def test_heroku_key_masked_in_me(api):
    """POST /user/heroku-key then /me shows it masked."""
    assert api.post('/user/heroku-key', json={'apikey': 'heroku-secret-abcd'}).status_code == 200
    assert api.get('/me').json()['heroku_api_key'] == 'xxxxabcd'


def test_build_lists(api):
    """Newest first, limit ≤ 100, offset, filters, shallow, branch with a slash."""
    builds = api.get(P, params={'limit': 100}).json()
    assert len(builds) == 100 and builds[0]['build_num'] == 300 and builds[-1]['build_num'] == 201
    assert api.get(P, params={'limit': 5, 'offset': 10}).json()[0]['build_num'] == 290
    assert api.get(P, params={'limit': 101}).status_code == 400
    assert api.get(P, params={'limit': 'abc'}).status_code == 400
    assert all(b['outcome'] == 'failed' for b in api.get(P, params={'filter': 'failed'}).json())
    assert all(b['outcome'] == 'success' for b in api.get(P, params={'filter': 'successful'}).json())
    shallow = api.get(P, params={'shallow': 'true', 'limit': 1}).json()[0]
    assert 'all_commit_details' not in shallow and 'build_num' in shallow
    tree = api.get(P + '/tree/feature%2Flogin').json()
    assert tree and all(b['branch'] == 'feature/login' for b in tree)
    assert api.get('/recent-builds', params={'limit': 3}).status_code == 200


def test_lifecycle_with_clock(api, emulator_admin):
    """queued → running → finished on the emulator clock; failing branch fails; cancel works."""
    ok = api.post(P + '/tree/feature%2Flogin').json()
    bad = api.post(P, json={'branch': 'always-fails'}).json()
    assert ok['branch'] == 'feature/login' and ok['lifecycle'] == 'not_running' and ok['status'] == 'not_running'
    emulator_admin.clock(advance=3)
    assert api.get(P + '/%d' % ok['build_num']).json()['lifecycle'] == 'running'
    emulator_admin.clock(advance=60)
    done = api.get(P + '/%d' % ok['build_num']).json()
    assert done['lifecycle'] == 'finished' and done['outcome'] == 'success' and done['steps']
    assert api.get(P + '/%d' % bad['build_num']).json()['status'] == 'failed'
    assert len(api.get(P + '/%d/artifacts' % ok['build_num']).json()) == 2
    queued = api.post(P + '/build', json={'branch': 'main'})
    assert queued.json() == {'status': 200, 'body': 'Build created'}
    num = max(b['build_num'] for b in api.get(P, params={'limit': 1}).json())
    canceled = api.post(P + '/%d/cancel' % num).json()
    assert canceled['status'] == 'canceled' and canceled['canceled'] is True
    retry = api.post(P + '/%d/retry' % num).json()
    assert retry['retry_of'] == num and retry['why'] == 'retry'
    assert api.get(P + '/99999').json() == {'message': 'Build not found'}


def test_follow_unfollowed_project_creates_first_build(api):
    """github/acme/legacy is not followed and has no builds."""
    assert api.get('/project/github/acme/legacy/settings').json()['followed'] is False
    resp = api.post('/project/github/acme/legacy/follow').json()
    assert resp['followed'] is True and resp['first_build']['why'] == 'first-build'
    assert api.post('/project/github/acme/legacy/follow').json() == {'first_build': None, 'followed': True}


def test_artifacts_redirect_and_leaks(api, emulator_admin):
    """Artifacts need the token, answer 302 to storage; a token reaching storage is recorded as a leak."""
    arts = api.get(P + '/300/artifacts').json()
    nested = [a for a in arts if a['path'].endswith('report/index.html')][0]
    assert requests.get(nested['url'], timeout=10).status_code == 401
    first = requests.get(nested['url'], headers={'Circle-Token': 'demo-user-token'}, allow_redirects=False, timeout=10)
    assert first.status_code == 302 and first.headers['Location'].startswith(emulator_admin.state and api.handle.storage_url)
    clean = requests.get(first.headers['Location'], timeout=10)
    assert clean.status_code == 200 and b'Report for build 300' in clean.content
    assert emulator_admin.leaks() == []
    leaky = requests.get(nested['url'], headers={'Circle-Token': 'demo-user-token'}, timeout=10)
    assert leaky.status_code == 200
    leaks = emulator_admin.leaks()
    assert len(leaks) == 1 and leaks[0]['found'][0]['header'].lower() == 'circle-token'
    hostile = [a for a in api.get(P + '/299/artifacts').json() if 'escape' in a['path']][0]
    assert hostile['path'] == '../../escape.txt'
    assert requests.get(hostile['url'], auth=('demo-user-token', ''), timeout=10).status_code == 200
    assert api.get('/project/github/acme/worker/1/artifacts').json() == []
    assert api.get(P + '/99999/artifacts').status_code == 404
    latest = api.get(P + '/latest/artifacts', params={'branch': 'main'}).json()
    assert len(latest) == 3


def test_large_artifact_is_streamed(api):
    """48 MiB generated artifact with a stable digest."""
    big = [a for a in api.get(P + '/298/artifacts').json() if a['path'] == 'big/large.bin'][0]
    resp = requests.get(big['url'], auth=('demo-user-token', ''), stream=True, timeout=60)
    digest = hashlib.sha256()
    size = 0
    for chunk in resp.iter_content(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    assert size == 48 * 1024 * 1024
    blob_id = resp.url.split('/')[3]
    assert digest.hexdigest() == large_sha256(blob_id, size)


def test_test_metadata(api):
    """Build 300 has 20 tests with mixed results."""
    tests = api.get(P + '/300/tests').json()['tests']
    assert len(tests) == 20 and {t['result'] for t in tests} == {'success', 'failure', 'skipped'}


def test_admin_counters_state_and_drift(api, emulator_admin):
    """Counters count /api/ only; admin drift changes state without being logged."""
    api.get('/me')
    api.post(P + '/envvar', json={'name': 'X', 'value': 'y'})
    emulator_admin.set_envvar('github/acme/api', 'DATABASE_URL', 'postgres://drifted/db')
    counters = emulator_admin.counters()
    assert counters['reads'] == 1 and counters['writes'] == 1 and counters['total'] == 2 and counters['by_method'] == {'GET': 1, 'POST': 1}
    assert api.get(P + '/envvar/DATABASE_URL').json()['value'] == 'xxxxd/db'
    emulator_admin.clear_requests()
    assert emulator_admin.counters()['total'] == 0 and emulator_admin.requests() == []
    emulator_admin.reset()
    assert {e['name'] for e in emulator_admin.project('github/acme/api')['env_vars']} >= {'DATABASE_URL', 'API_KEY', 'SHORT'}


def test_admin_seed_yaml(api, emulator_admin):
    """POST /_emulator/seed replaces the state; reset returns to it."""
    emulator_admin.seed('user: {login: other, name: Other}\ntokens: {user: t1}\nprojects:\n  - {slug: github/o/p, followed: true}\n')
    assert api.get('/me').status_code == 401
    resp = api.session.get(api.handle.api_url + '/me', headers={'Circle-Token': 't1', 'Accept': 'application/json'}, timeout=10)
    assert resp.json()['login'] == 'other'


@pytest.mark.parametrize('method,path,body', [
    ('POST', P + '/envvar', b'{not json'), ('POST', P + '/checkout-key', b'[1,2'), ('POST', P + '/ssh-key', b'\xff\xfe'),
    ('POST', P, b'{"tag": 1}'), ('POST', P + '/tree/main', b'"str"'), ('DELETE', P + '/ssh-key', b'{}'),
    ('GET', P + '?offset=-1', None), ('GET', '/project/svn/acme/api', None), ('PUT', P + '/envvar', b'{}'),
    ('GET', P + '/%00/artifacts', None), ('POST', P + '/envvar', b'{"name": "A", "value": {"x": 1}}'),
])
def test_garbage_never_500(api, method, path, body):
    """Bad input gets 400/404, never a 500 traceback."""
    resp = api.call(method, path, data=body, headers={'Content-Type': 'application/json'})
    assert resp.status_code in (400, 403, 404), resp.text
