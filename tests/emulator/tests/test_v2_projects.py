"""API v2 projects: slugs, creation and deletion, advanced settings, env vars and checkout keys shared with v1.1."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
import requests

from circleci_emulator.state_v2 import b58encode

from .conftest import LEDGER, LEDGER_SLUG, ORG_BB, ORG_CLOUD, ORG_GH, ORG_OTHER, VAULT_APP

ADVANCED_KEYS = {'autocancel_builds', 'build_fork_prs', 'build_prs_only', 'disable_ssh', 'forks_receive_secret_env_vars',
                 'oss', 'set_github_status', 'setup_workflows', 'write_settings_requires_admin', 'pr_only_branch_overrides'}
LEDGER_B58 = 'circleci/%s/%s' % (b58encode(ORG_CLOUD), b58encode(LEDGER))


@pytest.mark.parametrize('slug', ['gh/acme/api', 'github/acme/api', 'gh%2Facme%2Fapi', 'github%2facme%2fapi', 'gh/acme%2Fapi'])
def test_project_by_slug_raw_or_escaped(api2, slug):
    """gh/ and github/, raw or %2F-escaped slashes: the same project, answered with the gh/ slug."""
    body = api2.get('/project/' + slug).json()
    assert body['slug'] == 'gh/acme/api' and body['name'] == 'api' and uuid.UUID(body['id'])
    assert body['organization_id'] == ORG_GH and body['organization_name'] == 'acme' and body['organization_slug'] == 'gh/acme'
    assert body['vcs_info'] == {'vcs_url': 'https://github.com/acme/api', 'provider': 'GitHub', 'default_branch': 'main'}


def test_bitbucket_project(api2):
    """bb/ and bitbucket/."""
    body = api2.get('/project/bb/acme/mobile').json()
    assert body == api2.get('/project/bitbucket/acme/mobile').json()
    assert body['slug'] == 'bb/acme/mobile' and body['organization_id'] == ORG_BB
    assert body['vcs_info']['provider'] == 'Bitbucket' and body['vcs_info']['default_branch'] == 'develop'


@pytest.mark.parametrize('org', [ORG_CLOUD, b58encode(ORG_CLOUD)])
@pytest.mark.parametrize('proj', [LEDGER, b58encode(LEDGER)])
def test_circleci_project_by_uuid_or_base58(api2, org, proj):
    """circleci/<org>/<project> with UUIDs or base58 ids (mixed too); answered with base58 ids."""
    body = api2.get('/project/circleci/%s/%s' % (org, proj)).json()
    assert body == {'slug': LEDGER_B58, 'name': 'ledger', 'id': LEDGER, 'organization_name': 'acme-cloud',
                    'organization_slug': 'circleci/' + b58encode(ORG_CLOUD), 'organization_id': ORG_CLOUD,
                    'vcs_info': {'vcs_url': '', 'provider': 'CircleCI', 'default_branch': 'main'}}


@pytest.mark.parametrize('slug', ['gh/acme/nope', 'gh/nobody/api', 'svn/acme/api', 'circleci/%s/%s' % (ORG_GH, LEDGER),
                                  'circleci/%s/%s' % (ORG_CLOUD, ORG_CLOUD), 'circleci/acme-cloud/ledger',
                                  'gh/acme/new-service'])
def test_unknown_projects_404(api2, slug):
    """Unknown, wrong org, names instead of ids, or a repository that is no project yet."""
    resp = api2.get('/project/' + slug)
    assert resp.status_code == 404 and resp.json() == {'message': 'Project not found'}


def test_v11_does_not_know_circleci_projects(api, api2):
    """The standalone project answers v1.1 exactly like an unknown project; v2 knows it."""
    for slug in (LEDGER_SLUG, LEDGER_B58):
        for tail in ('/settings', '/envvar', ''):
            assert api.get('/project/' + slug + tail).json() == api.get('/project/github/acme/nope' + tail).json()
            assert api.get('/project/' + slug + tail).status_code == 404
    assert api2.get('/project/' + LEDGER_SLUG + '/envvar').status_code == 200
    assert 'ledger' not in repr(api.get('/projects').json())


# ---------------------------------------------------------------------- creation and deletion
def test_create_classic_project_shared_with_v11(api, api2, emulator_admin):
    """POST /project/gh/acme/new-service: 201 with the advanced settings; v1.1 then knows it (not followed)."""
    assert api.get('/project/github/acme/new-service/settings').status_code == 404
    resp = api2.post('/project/gh/acme/new-service')
    assert resp.status_code == 201 and set(resp.json()) == {'advanced'}
    assert set(resp.json()['advanced']) == ADVANCED_KEYS and resp.json()['advanced']['set_github_status'] is True
    assert api.get('/project/github/acme/new-service/settings').json()['followed'] is False
    assert api2.get('/project/gh/acme/new-service').json()['organization_id'] == ORG_GH
    assert 'github/acme/new-service' in [p['slug'] for p in emulator_admin.state()['projects']]
    assert api2.post('/project/gh/acme/new-service').status_code == 409
    followed = api.post('/project/github/acme/new-service/follow').json()
    assert followed['followed'] is True and followed['first_build']['build_num'] == 1


@pytest.mark.parametrize('slug,body,status,message', [
    ('circleci/%s/%s' % (ORG_CLOUD, LEDGER), None, 405,
     'Create projects using the API is currently supported for classic Github OAuth and Bitbucket projects only.'),
    ('gh/acme/new-service', {}, 400, 'Unexpected request body provided.'),
    ('gh/acme/no-config', None, 404, 'Branch not found.'),
    ('gh/acme/unknown-repo', None, 404, 'Project not found.'),
    ('gh/acme/api', None, 409, 'Project already exists.'),
])
def test_create_classic_project_refusals(api2, slug, body, status, message):
    """circleci → 405, a body → 400, no config → 404 Branch not found., unknown repo → 404, existing → 409."""
    resp = api2.post('/project/' + slug, json=body)
    assert resp.status_code == status and resp.json() == {'message': message}


def test_create_bitbucket_project(api2):
    """Bitbucket works the same way."""
    assert api2.post('/project/bitbucket/acme/new-mobile').status_code == 201
    assert api2.get('/project/bb/acme/new-mobile').json()['vcs_info']['provider'] == 'Bitbucket'


def test_v11_follow_sets_up_a_repository(api, api2):
    """Following a repository that is no project yet sets it up, as the real v1.1 follow does; v2 sees it."""
    resp = api.post('/project/github/acme/no-config/follow')
    assert resp.status_code == 200 and resp.json()['followed'] is True
    assert api2.get('/project/gh/acme/no-config').status_code == 200
    assert api.post('/project/github/acme/never-heard-of/follow').status_code == 404


def test_standalone_project_create_and_delete(api, api2, emulator_admin):
    """POST /organization/{id}/project in a circleci org (UUID or base58 id), DELETE /project/{slug}."""
    resp = api2.post('/organization/%s/project' % b58encode(ORG_CLOUD), json={'name': 'billing'})
    assert resp.status_code == 200
    body = resp.json()
    assert body['name'] == 'billing' and body['organization_id'] == ORG_CLOUD and body['vcs_info']['provider'] == 'CircleCI'
    assert body['slug'] == 'circleci/%s/%s' % (b58encode(ORG_CLOUD), b58encode(body['id']))
    assert api2.get('/project/circleci/%s/%s' % (ORG_CLOUD, body['id'])).json() == body
    assert api2.post('/organization/%s/project' % ORG_CLOUD, json={'name': 'billing'}).status_code == 409
    assert api2.post('/organization/%s/project' % ORG_CLOUD, json={'name': 'bad name!'}).status_code == 400
    assert api.get('/project/' + body['slug'] + '/settings').status_code == 404
    assert api2.post('/project/%s/envvar' % body['slug'], json={'name': 'A', 'value': 'b'}).status_code == 201
    deleted = api2.delete('/project/' + body['slug'])
    assert deleted.status_code == 200 and deleted.json() == {'message': 'Project deleted.'}
    assert api2.get('/project/' + body['slug']).status_code == 404
    assert body['id'] not in [p['id'] for p in emulator_admin.state()['v2_projects']]


def test_org_project_create_refusals_and_classic_org(api2):
    """Unknown org 404, foreign org 403, classic org needs an existing repository."""
    assert api2.post('/organization/%s/project' % uuid.uuid4(), json={'name': 'x'}).status_code == 404
    assert api2.post('/organization/%s/project' % ORG_OTHER, json={'name': 'x'}).status_code == 403
    assert api2.post('/organization/%s/project' % ORG_GH, json={'name': 'nope'}).status_code == 404
    resp = api2.post('/organization/%s/project' % ORG_GH, json={'name': 'new-service'})
    assert resp.status_code == 200 and resp.json()['slug'] == 'gh/acme/new-service'


def test_delete_is_for_standalone_projects_only(api2):
    """A classic project cannot be deleted through the API."""
    resp = api2.delete('/project/gh/acme/api')
    assert resp.status_code == 405 and resp.json() == {'message': 'Only standalone projects can be deleted.'}
    assert api2.delete('/project/gh/acme/nope').status_code == 404


# ---------------------------------------------------------------------- advanced settings
def test_settings_defaults_and_partial_patch(api, api2):
    """GET answers every setting; PATCH changes only what it names and answers the full settings."""
    before = api2.get('/project/gh/acme/api/settings').json()
    assert set(before) == {'advanced'} and set(before['advanced']) == ADVANCED_KEYS
    assert before['advanced']['set_github_status'] is True and before['advanced']['pr_only_branch_overrides'] == []
    resp = api2.patch('/project/github/acme/api/settings',
                      json={'advanced': {'autocancel_builds': True, 'pr_only_branch_overrides': ['main', 'release/*']}})
    assert resp.status_code == 200
    after = resp.json()['advanced']
    assert after == dict(before['advanced'], autocancel_builds=True, pr_only_branch_overrides=['main', 'release/*'])
    assert api2.get('/project/gh/acme/api/settings').json()['advanced'] == after
    assert api2.get('/project/gh/acme/web/settings').json() == before
    flags = api.get('/project/github/acme/api/settings').json()['feature_flags']
    assert flags['autocancel-builds'] is True and flags['set-github-status'] is True and flags['junit'] is True


def test_settings_shared_with_v11_feature_flags(api, api2):
    """The six switches the reference pairs with v1.1 feature_flags follow the v2 value."""
    api2.patch('/project/gh/acme/api/settings', json={'advanced': {
        'build_fork_prs': True, 'build_prs_only': True, 'forks_receive_secret_env_vars': True, 'set_github_status': False}})
    flags = api.get('/project/github/acme/api/settings').json()['feature_flags']
    assert flags['build-fork-prs'] and flags['build-prs-only'] and flags['forks-receive-secret-env-vars']
    assert flags['set-github-status'] is False and flags['autocancel-builds'] is False


@pytest.mark.parametrize('body,message', [
    ({}, 'No JSON fields found.'),
    ({'advanced': {}}, 'No JSON fields found.'),
    ({'incorrect': 1}, "Unexpected JSON field 'incorrect'"),
    ({'advanced': {'incorrect': True}}, "Unknown advanced setting 'incorrect'."),
    ({'advanced': {'autocancel_builds': 'yes'}}, "Setting 'autocancel_builds' must be boolean."),
    ({'advanced': {'disable_ssh': 1}}, "Setting 'disable_ssh' must be boolean."),
    ({'advanced': {'pr_only_branch_overrides': ['b%d' % i for i in range(101)]}},
     "Field 'pr_only_branch_overrides' only supports up to 100 branches."),
    ({'advanced': {'oss': True}}, "Feature flag 'oss' is not settable for this project."),
    ({'advanced': {'autocancel_builds': True, 'nope': True}}, "Unknown advanced setting 'nope'."),
])
def test_settings_patch_validation(api2, body, message):
    """Messages from the reference; nothing is applied when anything is wrong."""
    resp = api2.patch('/project/gh/acme/api/settings', json=body)
    assert resp.status_code == 400 and resp.json() == {'message': message}
    assert api2.get('/project/gh/acme/api/settings').json()['advanced']['autocancel_builds'] is False


def test_settings_invalid_json_and_unknown_project(api2):
    """Invalid JSON body.; Project not found. (the newer services' spelling)."""
    resp = api2.patch('/project/gh/acme/api/settings', data=b'{', headers={'Content-Type': 'application/json'})
    assert resp.json() == {'message': 'Invalid JSON body.'}
    assert api2.get('/project/gh/acme/nope/settings').json() == {'message': 'Project not found.'}


def test_settings_of_circleci_project_and_admin_change(api2, emulator_admin):
    """Settings work for circleci/ projects; the admin API changes them behind the module's back."""
    assert api2.get('/project/%s/settings' % LEDGER_B58).json()['advanced']['oss'] is False
    changed = emulator_admin.set_project_settings(LEDGER_SLUG, disable_ssh=True)
    assert changed['advanced']['disable_ssh'] is True
    assert api2.get('/project/%s/settings' % LEDGER_SLUG).json()['advanced']['disable_ssh'] is True
    assert emulator_admin.v2_project(LEDGER)['advanced']['disable_ssh'] is True


# ---------------------------------------------------------------------- env vars
def test_env_vars_shared_both_ways(api, api2, emulator_admin):
    """Set in v1.1, listed by v2; set in v2, listed by v1.1; masked everywhere; created-at ISO with ms."""
    assert api.post('/project/github/acme/api/envvar', json={'name': 'FROM_V11', 'value': 'value-1111'}).status_code == 201
    created = api2.post('/project/gh/acme/api/envvar', json={'name': 'FROM_V2', 'value': 'value-2222'})
    assert created.status_code == 201
    assert created.json()['name'] == 'FROM_V2' and created.json()['value'] == 'xxxx2222'
    assert created.json()['created-at'].endswith('Z') and len(created.json()['created-at']) == 24
    v2_items, dummy = api2.items('/project/gh/acme/api/envvar')
    v2_names = [i['name'] for i in v2_items]
    assert 'FROM_V11' in v2_names and 'FROM_V2' in v2_names and v2_names == sorted(v2_names)
    assert {i['name']: i['value'] for i in v2_items}['FROM_V11'] == 'xxxx1111'
    assert {'name': 'FROM_V2', 'value': 'xxxx2222'} in api.get('/project/github/acme/api/envvar').json()
    assert api2.get('/project/gh/acme/api/envvar/API_KEY').json() == {
        'name': 'API_KEY', 'value': 'xxxx6789', 'created-at': '2024-05-02T12:00:00.000Z'}
    assert api2.delete('/project/gh/acme/api/envvar/FROM_V11').json() == {'message': 'Environment variable deleted.'}
    assert api.get('/project/github/acme/api/envvar/FROM_V11').status_code == 404
    assert api2.get('/project/gh/acme/api/envvar/FROM_V11').json() == {'message': 'Environment variable not found.'}
    assert api2.delete('/project/gh/acme/api/envvar/FROM_V11').status_code == 404
    state = {e['name']: e['value'] for e in emulator_admin.project('github/acme/api')['env_vars']}
    assert state['FROM_V2'] == 'value-2222'


def test_env_var_overwrite_moves_created_at(api, api2):
    """POST on an existing name overwrites (v1.1 and v2 share the store); created-at moves."""
    first = api2.post('/project/gh/acme/api/envvar', json={'name': 'ROTATE', 'value': 'one-1111'}).json()
    api.post('/project/github/acme/api/envvar', json={'name': 'ROTATE', 'value': 'two-2222'})
    second = api2.get('/project/gh/acme/api/envvar/ROTATE').json()
    assert second['value'] == 'xxxx2222' and second['created-at'] > first['created-at']


@pytest.mark.parametrize('body', [{'name': 'A'}, {'name': 'A', 'value': 5}, {'value': 'v'}, {'name': '1A', 'value': 'v'}, []])
def test_env_var_create_validation(api2, body):
    """name and a string value are required; names as v1.1."""
    assert api2.post('/project/gh/acme/api/envvar', json=body).status_code == 400


def test_env_vars_of_circleci_project(api2, emulator_admin):
    """Standalone projects have variables too (v2 only); admin state shows them in clear."""
    items, dummy = api2.items('/project/%s/envvar' % LEDGER_B58)
    assert [i['name'] for i in items] == ['LEDGER_DB_URL', 'STRIPE_KEY'] and items[1]['value'] == 'xxxx4242'
    api2.post('/project/%s/envvar' % LEDGER_SLUG, json={'name': 'NEW', 'value': 'clear-value'})
    clear = {e['name']: e['value'] for e in emulator_admin.v2_project(LEDGER)['env_vars']}
    assert clear['NEW'] == 'clear-value'


def test_env_var_paging(api2, emulator_admin):
    """Small pages with opaque tokens; a token of another list or an unknown token → 400; empty token = first page."""
    emulator_admin.page_size(2)
    first = api2.get('/project/gh/acme/api/envvar', params={'page-token': ''}).json()
    assert [i['name'] for i in first['items']] == ['API_KEY', 'AWS_REGION'] and first['next_page_token']
    items, pages = api2.items('/project/gh/acme/api/envvar')
    assert pages == 3 and [i['name'] for i in items] == ['API_KEY', 'AWS_REGION', 'DATABASE_URL', 'LOG_LEVEL', 'SHORT']
    token = first['next_page_token']
    assert api2.delete('/project/gh/acme/api/envvar/DATABASE_URL').status_code == 200
    second = api2.get('/project/gh/acme/api/envvar', params={'page-token': token}).json()
    assert [i['name'] for i in second['items']] == ['LOG_LEVEL', 'SHORT'] and second['next_page_token'] is None
    for bad in ('nonsense', token + 'x'):
        resp = api2.get('/project/gh/acme/api/envvar', params={'page-token': bad})
        assert resp.status_code == 400 and resp.json() == {'message': 'Invalid page-token.'}
    assert api2.get('/project/gh/acme/web/envvar', params={'page-token': token}).status_code == 400


# ---------------------------------------------------------------------- checkout keys
def _md5(public_key):
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()  # nosec
    return ':'.join(digest[i:i + 2] for i in range(0, 32, 2))


def test_checkout_keys_v2_spelling_and_shared_state(api, api2):
    """public-key, created-at; user-key comes back github-user-key; v1.1 sees the same keys."""
    items, dummy = api2.items('/project/gh/acme/api/checkout-key')
    assert len(items) == 1 and set(items[0]) == {'public-key', 'type', 'fingerprint', 'preferred', 'created-at'}
    assert items[0]['fingerprint'] == api.get('/project/github/acme/api/checkout-key').json()[0]['fingerprint']
    created = api2.post('/project/gh/acme/api/checkout-key', json={'type': 'user-key'})
    assert created.status_code == 201
    key = created.json()
    assert key['type'] == 'github-user-key' and key['preferred'] is True and key['fingerprint'] == _md5(key['public-key'])
    v11 = api.get('/project/github/acme/api/checkout-key').json()
    assert key['fingerprint'] in [k['fingerprint'] for k in v11]
    sha = api2.get('/project/gh/acme/api/checkout-key', params={'digest': 'sha256'}).json()['items']
    sha_fp = [k['fingerprint'] for k in sha if k['public-key'] == key['public-key']][0]
    assert sha_fp.startswith('SHA256:')
    assert api2.get('/project/gh/acme/api/checkout-key/' + requests.utils.quote(sha_fp, safe='')).json()['fingerprint'] == sha_fp
    assert api2.get('/project/gh/acme/api/checkout-key/' + key['fingerprint']).json() == key
    assert api2.delete('/project/gh/acme/api/checkout-key/' + key['fingerprint']).json() == {'message': 'Checkout key deleted.'}
    assert api2.get('/project/gh/acme/api/checkout-key/' + key['fingerprint']).json() == {'message': 'Checkout key not found.'}
    assert len(api.get('/project/github/acme/api/checkout-key').json()) == 1


@pytest.mark.parametrize('slug,body,status', [
    ('gh/acme/web', {'type': 'github-user-key'}, 400), ('gh/acme/web', {}, 400), ('gh/acme/web', {'type': 'deploy-key'}, 201),
    (LEDGER_SLUG, {'type': 'deploy-key'}, 400), ('gh/acme/nope', {'type': 'deploy-key'}, 404),
])
def test_checkout_key_create_rules(api2, slug, body, status):
    """Input types deploy-key | user-key; not available for circleci/ projects."""
    assert api2.post('/project/%s/checkout-key' % slug, json=body).status_code == status


def test_checkout_key_digest_validation_and_circleci_list(api2):
    """digest must be md5 or sha256; circleci projects list their (here: no) keys."""
    assert api2.get('/project/gh/acme/api/checkout-key', params={'digest': 'sha1'}).status_code == 400
    assert api2.get('/project/%s/checkout-key' % LEDGER_B58).json() == {'items': [], 'next_page_token': None}


def test_project_of_a_foreign_org_is_hidden(api2):
    """A project of an org the user is not a member of answers like an unknown project."""
    assert api2.get('/project/circleci/%s/%s' % (ORG_OTHER, VAULT_APP)).json() == {'message': 'Project not found'}
    assert api2.get('/webhook', params={'scope-id': VAULT_APP, 'scope-type': 'project'}).status_code == 404


def test_the_request_log_names_the_body_keys_sent_never_their_values(api, api2, emulator_admin):
    """body_keys: the key paths of a JSON object body, two levels deep (a settings PATCH names the settings it sends)."""
    resp = api2.patch('/project/gh/acme/api/settings', json={'advanced': {'oss': False, 'autocancel_builds': True}})
    assert resp.status_code == 200
    api.post('/project/github/acme/api/envvar', json={'name': 'LOGGED', 'value': 'secret-value-1234'})
    api2.get('/project/gh/acme/api/settings')
    log = emulator_admin.requests()
    assert log[0]['body_keys'] == ['advanced', 'advanced.autocancel_builds', 'advanced.oss']
    assert log[1]['body_keys'] == ['name', 'value'] and 'secret-value-1234' not in repr(log)
    assert 'body_keys' not in log[2]


def test_the_seed_has_circleci_twins_of_api_web_and_worker(api2, emulator_admin):
    """Same variables as the classic projects, seeded checkout keys; the admin drift route reaches them too."""
    twin = 'circleci/%s/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01' % ORG_CLOUD
    names = [item['name'] for item in api2.items('/project/%s/envvar' % twin)[0]]
    assert names == ['API_KEY', 'AWS_REGION', 'DATABASE_URL', 'LOG_LEVEL', 'SHORT']
    keys = api2.items('/project/%s/checkout-key' % twin)[0]
    assert [(k['type'], k['preferred']) for k in keys] == [('deploy-key', True)]
    shown = emulator_admin.v2_project(twin.rsplit('/', maxsplit=1)[-1])['checkout_keys'][0]
    sha = api2.items('/project/%s/checkout-key' % twin, params={'digest': 'sha256'})[0][0]['fingerprint']
    assert shown['public_key'] == keys[0]['public-key'] and shown['fingerprint_sha256'] == sha
    web_keys = api2.items('/project/circleci/%s/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a02/checkout-key' % ORG_CLOUD)[0]
    assert len(web_keys) == 2
    resp = requests.post(emulator_admin.admin_url + '/projects/%s/envvar' % twin, json={'name': 'SHORT', 'value': 'drifted'},
                         timeout=10)
    assert resp.status_code == 200 and resp.json()['value'] == 'xxxxfted'
    assert api2.get('/project/%s/envvar/SHORT' % twin).json()['value'] == 'xxxxfted'
