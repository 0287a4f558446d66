"""API v2 contexts: owners, paging, variables (never a value, upsert timestamps), restrictions, admin helpers."""

from __future__ import annotations

import re
import uuid

import pytest

from circleci_emulator.state_v2 import b58encode

from .conftest import CTX_CLOUD, CTX_DEPLOY, CTX_GLOBAL, LEDGER, ORG_CLOUD, ORG_GH, ORG_OTHER

ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')


@pytest.mark.parametrize('params', [{'owner-slug': 'gh/acme'}, {'owner-slug': 'github/acme'}, {'owner-id': ORG_GH},
                                    {'owner-id': ORG_GH, 'owner-type': 'organization'}])
def test_list_contexts_by_owner_id_or_slug(api2, params):
    """Only id, name, created_at per context, in creation order."""
    items, pages = api2.items('/context', params=params)
    assert pages == 1 and [c['name'] for c in items] == ['org-global', 'deploy-prod']
    assert items[0] == {'id': CTX_GLOBAL, 'name': 'org-global', 'created_at': '2024-05-02T12:00:00.000Z'}


def test_list_contexts_of_circleci_org(api2):
    """A circleci org by id or by its circleci/<base58> slug."""
    for params in ({'owner-id': ORG_CLOUD}, {'owner-slug': 'circleci/' + b58encode(ORG_CLOUD)}):
        assert [c['id'] for c in api2.items('/context', params=params)[0]] == [CTX_CLOUD]


@pytest.mark.parametrize('params,status', [
    ({}, 400), ({'owner-id': ORG_GH, 'owner-slug': 'gh/acme'}, 400), ({'owner-id': 'not-a-uuid'}, 400),
    ({'owner-slug': 'gh/acme', 'owner-type': 'team'}, 400), ({'owner-slug': 'gh/acme', 'owner-type': 'account'}, 400),
    ({'owner-id': ORG_GH, 'owner-type': 'account'}, 404), ({'owner-id': str(uuid.uuid4())}, 404),
    ({'owner-slug': 'gh/nobody'}, 404), ({'owner-slug': 'gh/acme-labs'}, 404), ({'owner-id': ORG_OTHER}, 403),
])
def test_list_contexts_owner_errors(api2, params, status):
    """Exactly one of owner-id / owner-slug; accounts exist on server only; unknown 404; not a member 403."""
    resp = api2.get('/context', params=params)
    assert resp.status_code == status and isinstance(resp.json()['message'], str)


def test_create_context_and_duplicate(api2, emulator_admin):
    """200 (not 201) with id, name, created_at; a duplicate name in the same org is refused; other orgs may reuse it."""
    resp = api2.post('/context', json={'name': 'staging', 'owner': {'id': ORG_GH, 'type': 'organization'}})
    assert resp.status_code == 200
    ctx = resp.json()
    assert set(ctx) == {'id', 'name', 'created_at'} and uuid.UUID(ctx['id']) and ISO.match(ctx['created_at'])
    assert api2.get('/context/' + ctx['id']).json() == ctx
    dup = api2.post('/context', json={'name': 'staging', 'owner': {'slug': 'gh/acme', 'type': 'organization'}})
    assert dup.status_code == 409 and dup.json() == {'message': 'A context already exists with this name'}
    other = api2.post('/context', json={'name': 'staging', 'owner': {'slug': 'bb/acme'}})
    assert other.status_code == 200
    assert [c['name'] for c in emulator_admin.state()['contexts']].count('staging') == 2


@pytest.mark.parametrize('body,status', [
    ({'name': 'x'}, 400), ({'owner': {'id': ORG_GH}}, 400), ({'name': '', 'owner': {'id': ORG_GH}}, 400),
    ({'name': 'x', 'owner': {'id': ORG_GH, 'slug': 'gh/acme'}}, 400), ({'name': 'x', 'owner': 'gh/acme'}, 400),
    ({'name': 'x', 'owner': {'slug': 'gh/acme', 'type': 'account'}}, 400), ({'name': 'x', 'owner': {'id': ORG_OTHER}}, 403),
    ({'name': 'x', 'owner': {'id': str(uuid.uuid4())}}, 404), ({'name': 5, 'owner': {'id': ORG_GH}}, 400),
])
def test_create_context_validation(api2, body, status):
    """name and owner are required; owner is {id|slug, type}."""
    assert api2.post('/context', json=body).status_code == status


def test_get_and_delete_context(api2, emulator_admin):
    """Unknown: 404 Context not found.; delete removes variables and restrictions with it."""
    for cid in (str(uuid.uuid4()), 'not-a-uuid'):
        assert api2.get('/context/' + cid).json() == {'message': 'Context not found.'}
        assert api2.delete('/context/' + cid).status_code == 404
        assert api2.put('/context/%s/environment-variable/A' % cid, json={'value': 'v'}).json() == {'message': 'Context not found.'}
    resp = api2.delete('/context/' + CTX_GLOBAL)
    assert resp.status_code == 200 and resp.json() == {'message': 'Context deleted.'}
    assert api2.get('/context/%s/environment-variable' % CTX_GLOBAL).status_code == 404
    assert CTX_GLOBAL not in [c['id'] for c in emulator_admin.state()['contexts']]


def test_context_variables_never_show_a_value(api2):
    """variable, created_at, updated_at, context_id: no value in lists or PUT answers."""
    items, dummy = api2.items('/context/%s/environment-variable' % CTX_GLOBAL)
    assert [i['variable'] for i in items] == ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']
    assert all(set(i) == {'variable', 'created_at', 'updated_at', 'context_id'} and i['context_id'] == CTX_GLOBAL for i in items)
    put = api2.put('/context/%s/environment-variable/NEW_SECRET' % CTX_GLOBAL, json={'value': 'super-secret-value'})
    assert put.status_code == 200 and 'super-secret' not in put.text and 'value' not in put.json()


def test_upsert_keeps_created_at_and_moves_updated_at_every_time(api2, emulator_admin):
    """Each PUT moves updated_at, strictly, even with the same value and within one millisecond."""
    path = '/context/%s/environment-variable/TOKEN' % CTX_DEPLOY
    first = api2.put(path, json={'value': 'same'}).json()
    assert first['created_at'] == first['updated_at'] and ISO.match(first['created_at'])
    stamps = [first['updated_at']]
    for dummy in range(5):
        again = api2.put(path, json={'value': 'same'}).json()
        assert again['created_at'] == first['created_at']
        stamps.append(again['updated_at'])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    seeded = api2.put('/context/%s/environment-variable/DEPLOY_TOKEN' % CTX_DEPLOY, json={'value': 'rotated'}).json()
    assert seeded['created_at'] == '2024-05-02T12:00:02.000Z' and seeded['updated_at'] > seeded['created_at']
    clear = {v['name']: v['value'] for v in emulator_admin.context('deploy-prod')['variables']}
    assert clear == {'DEPLOY_TOKEN': 'rotated', 'TOKEN': 'same'}


@pytest.mark.parametrize('name,body', [('1BAD', {'value': 'v'}), ('OK', {}), ('OK', {'value': 3}), ('A-B', {'value': 'v'})])
def test_put_context_variable_validation(api2, name, body):
    """Variable names as for project variables; value is a required string."""
    assert api2.put('/context/%s/environment-variable/%s' % (CTX_GLOBAL, name), json=body).status_code == 400


def test_delete_context_variable_present_and_absent(api2, emulator_admin):
    """200 when present; absent: 404 by default, 200 when configured like CircleCI's Go fake."""
    path = '/context/%s/environment-variable/AWS_ACCESS_KEY_ID' % CTX_GLOBAL
    assert api2.delete(path).json() == {'message': 'Environment variable deleted.'}
    assert api2.delete(path).status_code == 404
    emulator_admin.v2_config(absent_context_variable_delete=200)
    assert api2.delete(path).status_code == 200
    assert emulator_admin.v2_config()['absent_context_variable_delete'] == 200


def test_context_paging(api2, emulator_admin):
    """Contexts and their variables come in small pages; tokens are bound to one list."""
    emulator_admin.page_size(3)
    for index in range(7):
        api2.post('/context', json={'name': 'ctx-%d' % index, 'owner': {'slug': 'gh/acme'}})
        api2.put('/context/%s/environment-variable/VAR_%d' % (CTX_GLOBAL, index), json={'value': 'v'})
    contexts, pages = api2.items('/context', params={'owner-slug': 'gh/acme'})
    assert pages == 3 and len(contexts) == 9 and len({c['id'] for c in contexts}) == 9
    variables, pages = api2.items('/context/%s/environment-variable' % CTX_GLOBAL)
    assert pages == 3 and len(variables) == 9
    token = api2.get('/context', params={'owner-slug': 'gh/acme'}).json()['next_page_token']
    assert api2.get('/context', params={'owner-slug': 'bb/acme', 'page-token': token}).status_code == 400
    assert api2.get('/context/%s/environment-variable' % CTX_GLOBAL, params={'page-token': token}).status_code == 400


def test_admin_moves_updated_at_behind_the_back(api2, emulator_admin):
    """The admin helper changes a value (by context id or name) and moves updated_at; not logged."""
    before = {i['variable']: i for i in api2.items('/context/%s/environment-variable' % CTX_GLOBAL)[0]}
    emulator_admin.clear_requests()
    answer = emulator_admin.set_context_var('org-global', 'AWS_SECRET_ACCESS_KEY', 'drifted')
    assert answer['value'] == 'drifted'
    after = {i['variable']: i for i in api2.items('/context/%s/environment-variable' % CTX_GLOBAL)[0]}
    assert after['AWS_SECRET_ACCESS_KEY']['updated_at'] > before['AWS_SECRET_ACCESS_KEY']['updated_at']
    assert after['AWS_ACCESS_KEY_ID'] == before['AWS_ACCESS_KEY_ID']
    assert [e['path'] for e in emulator_admin.requests()] == ['/api/v2/context/%s/environment-variable' % CTX_GLOBAL]
    emulator_admin.delete_context_var(CTX_GLOBAL, 'AWS_ACCESS_KEY_ID')
    emulator_admin.delete_context('deploy-prod')
    assert [v['name'] for v in emulator_admin.context(CTX_GLOBAL)['variables']] == ['AWS_SECRET_ACCESS_KEY']
    assert api2.get('/context/' + CTX_DEPLOY).status_code == 404


# ---------------------------------------------------------------------- restrictions
def test_seeded_restrictions(api2):
    """A project restriction (value = project UUID, name, deprecated project_id) and an expression one (name null)."""
    api_id = api2.project_id('gh/acme/api')
    items, dummy = api2.items('/context/%s/restrictions' % CTX_GLOBAL)
    assert items == [{'id': '1b651a33-e6a0-4525-9e1d-a3cb00feca58', 'context_id': CTX_GLOBAL, 'project_id': api_id,
                      'name': 'api', 'restriction_type': 'project', 'restriction_value': api_id}]
    expr = api2.get('/context/%s/restrictions' % CTX_DEPLOY).json()['items'][0]
    assert expr['restriction_type'] == 'expression' and expr['name'] is None and 'project_id' not in expr
    assert expr['restriction_value'] == 'pipeline.git.branch == "main"'


def test_create_and_delete_restrictions(api2, emulator_admin):
    """201 answers; duplicates 409; delete by id; the deprecated project_id form still works."""
    web_id = api2.project_id('gh/acme/web')
    resp = api2.post('/context/%s/restrictions' % CTX_GLOBAL, json={'restriction_type': 'project', 'restriction_value': web_id})
    assert resp.status_code == 201
    created = resp.json()
    assert created == {'id': created['id'], 'project_id': web_id, 'name': 'web', 'restriction_type': 'project',
                       'restriction_value': web_id}
    dup = api2.post('/context/%s/restrictions' % CTX_GLOBAL, json={'project_id': web_id})
    assert dup.status_code == 409 and dup.json() == {'message': "The restriction you're trying to add already exists."}
    expr = api2.post('/context/%s/restrictions' % CTX_GLOBAL,
                     json={'restriction_type': 'expression', 'restriction_value': 'pipeline.git.tag starts-with "v"'})
    assert expr.status_code == 201 and expr.json()['name'] is None
    assert len(emulator_admin.context(CTX_GLOBAL)['restrictions']) == 3
    gone = api2.delete('/context/%s/restrictions/%s' % (CTX_GLOBAL, created['id']))
    assert gone.status_code == 200 and gone.json() == {'message': 'Context restriction deleted.'}
    assert api2.delete('/context/%s/restrictions/%s' % (CTX_GLOBAL, created['id'])).status_code == 404
    assert api2.delete('/context/%s/restrictions/nope' % CTX_GLOBAL).json() == {'message': 'restriction_id is invalid.'}
    worker = api2.post('/context/%s/restrictions' % CTX_GLOBAL, json={'project_id': api2.project_id('gh/acme/worker')})
    assert worker.status_code == 201 and worker.json()['restriction_type'] == 'project'


@pytest.mark.parametrize('body,status,message', [
    ({'restriction_type': 'project', 'restriction_value': str(uuid.uuid4())}, 400,
     'Project does not exist, or user does not have access to this project.'),
    ({'restriction_type': 'project', 'restriction_value': LEDGER}, 400, 'This restriction cannot be applied to this context.'),
    ({'restriction_type': 'group', 'restriction_value': 'admins'}, 400, 'This restriction cannot be applied to this context.'),
    ({'restriction_type': 'expression', 'restriction_value': ''}, 400, "Field 'restriction_value' is required."),
    ({'restriction_type': 'expression', 'restriction_value': 'pipeline.git.branch == "main'}, 400,
     'Invalid expression: unbalanced quotes or parentheses.'),
    ({'project_id': LEDGER, 'restriction_type': 'project'}, 400, None),
    ({'restriction_type': 'project', 'restriction_value': 'x', 'extra': 1}, 400, "Unexpected JSON field 'extra'"),
    ({}, 400, 'No JSON fields found.'),
])
def test_restriction_validation(api2, body, status, message):
    """Only project (a project of the context's org) and expression; no other fields."""
    resp = api2.post('/context/%s/restrictions' % CTX_GLOBAL, json=body)
    assert resp.status_code == status
    if message:
        assert resp.json() == {'message': message}


def test_restriction_routes_context_errors(api2):
    """context_id is invalid. (400) for a malformed id, Context not found. (404) for an unknown one."""
    assert api2.get('/context/nope/restrictions').json() == {'message': 'context_id is invalid.'}
    resp = api2.get('/context/%s/restrictions' % uuid.uuid4())
    assert resp.status_code == 404 and resp.json() == {'message': 'Context not found.'}


def test_restriction_on_circleci_context(api2):
    """A circleci org's context takes its own projects (by UUID)."""
    resp = api2.post('/context/%s/restrictions' % CTX_CLOUD, json={'restriction_type': 'project', 'restriction_value': LEDGER})
    assert resp.status_code == 201 and resp.json()['name'] == 'ledger'


def test_restrictions_paging(api2, emulator_admin):
    """Restrictions come in pages too."""
    emulator_admin.page_size(2)
    for index in range(4):
        api2.post('/context/%s/restrictions' % CTX_DEPLOY,
                  json={'restriction_type': 'expression', 'restriction_value': 'pipeline.number > %d' % index})
    items, pages = api2.items('/context/%s/restrictions' % CTX_DEPLOY)
    assert pages == 3 and len(items) == 5
