"""API v2 webhooks (write-only secret, partial PUT, fixed scope), schedules (timetable rules) and OIDC claims."""

from __future__ import annotations


import pytest
import requests

from .conftest import LEDGER, LEDGER_SLUG, ORG_CLOUD, ORG_GH, ORG_OTHER, SCHEDULE, VAULT_APP, WEBHOOK

UNKNOWN_ID = '5b66bda8-5c34-4b3f-9aab-eb569d486650'  # a UUID no seeded object has (fixed, so test ids are stable)

HOOK_KEYS = {'id', 'name', 'url', 'events', 'verify-tls', 'signing-secret', 'scope', 'created_at', 'updated_at'}


def _new_hook(api2, scope_id, **extra):
    body = {'name': 'deploy-hook', 'events': ['workflow-completed', 'job-completed'], 'url': 'https://example.com/hook',
            'verify-tls': False, 'signing-secret': 'topsecret-abcd', 'scope': {'id': scope_id, 'type': 'project'}}
    body.update(extra)
    return api2.post('/webhook', json=body)


# ---------------------------------------------------------------------- webhooks
def test_list_seeded_webhook(api2):
    """The seeded hook of gh/acme/api, secret masked, created_at/updated_at (the live API's spelling) by default."""
    api_id = api2.project_id('gh/acme/api')
    items, pages = api2.items('/webhook', params={'scope-id': api_id, 'scope-type': 'project'})
    assert pages == 1 and len(items) == 1
    hook = items[0]
    assert set(hook) == HOOK_KEYS and hook['id'] == WEBHOOK and hook['signing-secret'] == 'xxxx0123'
    assert hook['scope'] == {'id': api_id, 'type': 'project'} and hook['events'] == ['workflow-completed']
    assert api2.get('/webhook', params={'scope-id': api2.project_id('gh/acme/web'), 'scope-type': 'project'}).json() == {
        'items': [], 'next_page_token': None}


@pytest.mark.parametrize('params,status', [
    ({}, 400), ({'scope-type': 'project'}, 400), ({'scope-id': 'x', 'scope-type': 'project'}, 400),
    ({'scope-id': ORG_GH, 'scope-type': 'organization'}, 400), ({'scope-id': UNKNOWN_ID, 'scope-type': 'project'}, 404),
])
def test_list_webhooks_needs_a_project_scope(api2, params, status):
    """scope-id (a project UUID) and scope-type=project are both required."""
    assert api2.get('/webhook', params=params).status_code == status


def test_webhook_lifecycle_secret_never_returned(api2, emulator_admin):
    """Create 201, read, partial PUT (secret and scope untouched), delete; the admin state has the clear secret."""
    ledger = _new_hook(api2, LEDGER)
    assert ledger.status_code == 201
    hook = ledger.json()
    assert hook['signing-secret'] == 'xxxxabcd' and 'topsecret' not in ledger.text and hook['verify-tls'] is False
    assert hook['created_at'] == hook['updated_at']
    assert api2.get('/webhook/' + hook['id']).json() == hook
    partial = {'name': 'renamed', 'events': ['job-completed'], 'verify-tls': True, 'scope': {}}
    put = api2.put('/webhook/' + hook['id'], json=partial)
    assert put.status_code == 200
    changed = put.json()
    assert changed['name'] == 'renamed' and changed['events'] == ['job-completed'] and changed['verify-tls'] is True
    assert changed['url'] == hook['url'] and changed['scope'] == hook['scope'] and changed['signing-secret'] == 'xxxxabcd'
    assert changed['created_at'] == hook['created_at'] and changed['updated_at'] > hook['updated_at']
    api2.put('/webhook/' + hook['id'], json={'signing-secret': 'rotated-9999'})
    clear = [w for w in emulator_admin.state()['webhooks'] if w['id'] == hook['id']][0]
    assert clear['signing_secret'] == 'rotated-9999' and clear['signing-secret'] == 'xxxx9999'
    assert api2.delete('/webhook/' + hook['id']).json() == {'message': 'Webhook deleted.'}
    assert api2.get('/webhook/' + hook['id']).json() == {'message': 'Webhook not found.'}


@pytest.mark.parametrize('change', [{'name': ''}, {'events': []}, {'events': ['push']}, {'url': 'http://plain.example/x'},
                                    {'verify-tls': 'yes'}, {'signing-secret': 7}, {'scope': {'id': LEDGER, 'type': 'project'}},
                                    {'scope': {'type': 'organization'}}])
def test_webhook_put_validation_and_fixed_scope(api2, change):
    """Bad values and any scope change are refused; nothing is applied."""
    before = api2.get('/webhook/' + WEBHOOK).json()
    assert api2.put('/webhook/' + WEBHOOK, json=change).status_code == 400
    assert api2.get('/webhook/' + WEBHOOK).json() == before


@pytest.mark.parametrize('missing', ['name', 'events', 'url', 'verify-tls', 'signing-secret', 'scope'])
def test_webhook_create_needs_all_six_fields(api2, missing):
    """All six fields are required."""
    body = {'name': 'h', 'events': ['job-completed'], 'url': 'https://x.example', 'verify-tls': True, 'signing-secret': 's',
            'scope': {'id': LEDGER, 'type': 'project'}}
    del body[missing]
    resp = api2.post('/webhook', json=body)
    assert resp.status_code == 400 and resp.json() == {'message': "Field '%s' is required." % missing}


def test_webhook_create_for_unknown_or_hidden_project(api2):
    """A scope that is no visible project: 404."""
    assert _new_hook(api2, UNKNOWN_ID).status_code == 404
    assert _new_hook(api2, VAULT_APP).status_code == 404
    assert _new_hook(api2, LEDGER, scope={'id': LEDGER, 'type': 'organization'}).status_code == 400


@pytest.mark.parametrize('style,present,absent', [
    ('hyphen', {'created-at', 'updated-at'}, {'created_at', 'updated_at'}),
    ('both', {'created-at', 'updated-at', 'created_at', 'updated_at'}, set()),
])
def test_webhook_timestamp_spelling_is_configurable(api2, emulator_admin, style, present, absent):
    """api_v2.webhook_timestamps: underscore (default), hyphen (the spec), both."""
    emulator_admin.v2_config(webhook_timestamps=style)
    hook = api2.get('/webhook/' + WEBHOOK).json()
    assert present <= set(hook) and not absent & set(hook)


def test_webhook_paging_and_admin_delete(api2, emulator_admin):
    """Webhooks page too; the admin API deletes one behind the module's back."""
    emulator_admin.page_size(2)
    for index in range(4):
        assert _new_hook(api2, LEDGER, name='hook-%d' % index).status_code == 201
    items, pages = api2.items('/webhook', params={'scope-id': LEDGER, 'scope-type': 'project'})
    assert pages == 2 and [h['name'] for h in items] == ['hook-0', 'hook-1', 'hook-2', 'hook-3']
    emulator_admin.delete_webhook(items[0]['id'])
    assert api2.get('/webhook/' + items[0]['id']).status_code == 404


# ---------------------------------------------------------------------- schedules
def _schedule_body(**extra):
    body = {'name': 'hourly', 'timetable': {'per-hour': 1, 'hours-of-day': [9, 10, 11], 'days-of-week': ['MON', 'WED']},
            'attribution-actor': 'current', 'parameters': {'branch': 'main', 'deploy': False}}
    body.update(extra)
    return body


def test_seeded_schedule(api2):
    """Hyphenated keys, project-slug, actor = the user."""
    items, dummy = api2.items('/project/gh/acme/api/schedule')
    assert [s['id'] for s in items] == [SCHEDULE]
    sched = items[0]
    assert set(sched) == {'id', 'name', 'description', 'project-slug', 'timetable', 'parameters', 'actor', 'created-at',
                          'updated-at'}
    assert sched['project-slug'] == 'gh/acme/api' and sched['actor']['login'] == 'acme-bot'
    assert sched['actor']['id'] == api2.get('/me').json()['id'] and sched['parameters'] == {'branch': 'main'}
    assert api2.get('/schedule/' + SCHEDULE).json() == sched


def test_schedule_lifecycle(api2):
    """Create 201, PATCH merges (days-of-month replaces days-of-week; parameters replaced), system actor, delete."""
    resp = api2.post('/project/github/acme/web/schedule', json=_schedule_body(description=None))
    assert resp.status_code == 201
    sched = resp.json()
    assert sched['project-slug'] == 'gh/acme/web' and sched['description'] is None
    assert sched['timetable'] == {'per-hour': 1, 'hours-of-day': [9, 10, 11], 'days-of-week': ['MON', 'WED']}
    patched = api2.patch('/schedule/' + sched['id'], json={
        'timetable': {'days-of-month': [1, 15], 'months': ['JAN', 'JUL']}, 'parameters': {'tag': 'v1.0.0'},
        'attribution-actor': 'system', 'description': 'Twice a month'}).json()
    assert patched['timetable'] == {'per-hour': 1, 'hours-of-day': [9, 10, 11], 'days-of-month': [1, 15], 'months': ['JAN', 'JUL']}
    assert patched['parameters'] == {'tag': 'v1.0.0'} and patched['actor']['login'] == 'system-actor'
    assert patched['name'] == 'hourly' and patched['description'] == 'Twice a month'
    assert patched['created-at'] == sched['created-at'] and patched['updated-at'] > sched['updated-at']
    assert api2.delete('/schedule/' + sched['id']).json() == {'message': 'Schedule deleted.'}
    assert api2.get('/schedule/' + sched['id']).json() == {'message': 'Schedule not found.'}
    assert api2.patch('/schedule/' + sched['id'], json={'name': 'x'}).status_code == 404


@pytest.mark.parametrize('change', [
    {'name': ''}, {'attribution-actor': 'me'}, {'parameters': {}}, {'parameters': {'branch': 'main', 'tag': 'v1'}},
    {'parameters': {'branch': 'main', 'x': 1.5}}, {'parameters': {'branch': 'main', 'x': None}}, {'parameters': 'main'},
    {'timetable': {'per-hour': 0, 'hours-of-day': [1], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 61, 'hours-of-day': [1], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [24], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MONDAY']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-month': [0]}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-month': [32]}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1]}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MON'], 'days-of-month': [1]}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MON'], 'months': ['JANUARY']}},
    {'timetable': {'per-hour': True, 'hours-of-day': [1], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1, 1], 'days-of-week': ['MON']}},
    {'timetable': {'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MON'], 'minutes': [5]}},
    {'extra': True},
])
def test_schedule_create_validation(api2, change):
    """Timetable per-hour 1-60, hours 0-23, exactly one of days-of-week/days-of-month, months JAN..DEC; parameters with
    exactly one of branch/tag and scalar values; actor current|system."""
    resp = api2.post('/project/gh/acme/api/schedule', json=_schedule_body(**change))
    assert resp.status_code == 400 and isinstance(resp.json()['message'], str)


@pytest.mark.parametrize('missing', ['name', 'timetable', 'attribution-actor', 'parameters'])
def test_schedule_required_fields(api2, missing):
    """name, timetable, attribution-actor and parameters are required."""
    body = _schedule_body()
    del body[missing]
    assert api2.post('/project/gh/acme/api/schedule', json=body).json() == {'message': "Field '%s' is required." % missing}


def test_schedules_of_circleci_projects_and_paging(api2, emulator_admin):
    """Not available for circleci/ projects (empty list, creation 400); lists page."""
    assert api2.get('/project/%s/schedule' % LEDGER_SLUG).json() == {'items': [], 'next_page_token': None}
    assert api2.post('/project/%s/schedule' % LEDGER_SLUG, json=_schedule_body()).status_code == 400
    emulator_admin.page_size(2)
    for index in range(3):
        api2.post('/project/gh/acme/api/schedule', json=_schedule_body(name='s%d' % index))
    items, pages = api2.items('/project/gh/acme/api/schedule')
    assert pages == 2 and [s['name'] for s in items] == ['nightly', 's0', 's1', 's2']
    emulator_admin.delete_schedule(SCHEDULE)
    assert api2.get('/schedule/' + SCHEDULE).status_code == 404


def test_admin_changes_hooks_and_schedules_behind_the_modules_back(api2, emulator_admin):
    """POST /_emulator/v2/webhooks/<id> and /schedules/<id> change fields with the API's rules; updated_at moves; not logged."""
    emulator_admin.clear_requests()
    before = api2.get('/webhook/' + WEBHOOK).json()
    changes = {'url': 'https://elsewhere.example/hook', 'verify-tls': False, 'signing-secret': 'changed-7777'}
    hook = emulator_admin.update_webhook(WEBHOOK, **changes)
    assert hook['url'] == 'https://elsewhere.example/hook' and hook['verify-tls'] is False and hook['signing-secret'] == 'xxxx7777'
    assert hook['updated_at'] > before['updated_at'] and hook['name'] == before['name']
    assert [w['signing_secret'] for w in emulator_admin.state()['webhooks'] if w['id'] == WEBHOOK] == ['changed-7777']
    sched = emulator_admin.update_schedule(SCHEDULE, timetable={'hours-of-day': [3]}, **{'attribution-actor': 'system'})
    assert sched['timetable']['hours-of-day'] == [3] and sched['actor']['login'] == 'system-actor'
    assert api2.get('/schedule/' + SCHEDULE).json() == sched
    assert [r for r in emulator_admin.requests() if '/webhook' in r['path'] and r['method'] != 'GET'] == []
    with pytest.raises(requests.exceptions.HTTPError):
        emulator_admin.update_webhook(WEBHOOK, url='http://plain.example/')
    with pytest.raises(requests.exceptions.HTTPError):
        emulator_admin.update_schedule(UNKNOWN_ID, name='x')


# ---------------------------------------------------------------------- OIDC claims
def test_org_claims_get_patch_delete(api2):
    """Seeded org claims; PATCH audience moves audience_updated_at only; DELETE drops the named claims."""
    seeded = api2.get('/org/%s/oidc-custom-claims' % ORG_GH).json()
    assert seeded == {'org_id': ORG_GH, 'audience': ['sts.amazonaws.com'], 'audience_updated_at': '2024-05-02T12:00:00.000Z',
                      'ttl': '1h', 'ttl_updated_at': '2024-05-02T12:00:00.000Z'}
    patched = api2.patch('/org/%s/oidc-custom-claims' % ORG_GH, json={'audience': ['sts.amazonaws.com', 'vault.acme.example']})
    assert patched.status_code == 200
    body = patched.json()
    assert body['audience'] == ['sts.amazonaws.com', 'vault.acme.example'] and body['audience_updated_at'] > seeded['audience_updated_at']
    assert body['ttl_updated_at'] == seeded['ttl_updated_at']
    deleted = api2.delete('/org/%s/oidc-custom-claims' % ORG_GH, params={'claims': 'audience,ttl'})
    assert deleted.json() == {'org_id': ORG_GH}
    assert api2.get('/org/%s/oidc-custom-claims' % ORG_CLOUD).json() == {'org_id': ORG_CLOUD}


def test_project_claims(api2):
    """Project claims by org UUID + project UUID; answers carry project_id."""
    api_id = api2.project_id('gh/acme/api')
    path = '/org/%s/project/%s/oidc-custom-claims' % (ORG_GH, api_id)
    assert api2.get(path).json() == {'org_id': ORG_GH, 'project_id': api_id}
    body = api2.patch(path, json={'ttl': '30m'}).json()
    assert body['ttl'] == '30m' and body['project_id'] == api_id and 'audience' not in body
    assert api2.delete(path, params={'claims': 'ttl'}).json() == {'org_id': ORG_GH, 'project_id': api_id}
    assert api2.patch('/org/%s/project/%s/oidc-custom-claims' % (ORG_CLOUD, LEDGER), json={'audience': ['a']}).status_code == 200


@pytest.mark.parametrize('path,status,error', [
    ('/org/nope/oidc-custom-claims', 400, 'OwnerID: must be a valid UUID.'),
    ('/org/%s/oidc-custom-claims' % UNKNOWN_ID, 403, 'Forbidden'),
    ('/org/%s/oidc-custom-claims' % ORG_OTHER, 403, 'Forbidden'),
    ('/org/%s/project/nope/oidc-custom-claims' % ORG_GH, 400, 'ProjectID: must be a valid UUID.'),
    ('/org/%s/project/%s/oidc-custom-claims' % (ORG_GH, LEDGER), 403, 'Forbidden'),
    ('/org/%s/project/%s/oidc-custom-claims' % (ORG_OTHER, VAULT_APP), 403, 'Forbidden'),
])
def test_claims_errors_use_the_error_key(api2, path, status, error):
    """400 for malformed ids, 403 (never 404) for unknown or foreign orgs and projects; {"error": ...} bodies."""
    resp = api2.get(path)
    assert resp.status_code == status and resp.json() == {'error': error}


@pytest.mark.parametrize('body', [{}, {'ttl': '1 hour'}, {'ttl': 60}, {'ttl': '1h2m3s4ms5d6w7h8m'}, {'audience': []},
                                  {'audience': 'sts'}, {'audience': ['']}, {'audience': [1]}, {'issuer': 'x'}])
def test_claims_patch_validation(api2, body):
    """audience a non-empty list of strings, ttl matching ^([0-9]+(ms|s|m|h|d|w)){1,7}$."""
    resp = api2.patch('/org/%s/oidc-custom-claims' % ORG_GH, json=body)
    assert resp.status_code == 400 and set(resp.json()) == {'error'}


@pytest.mark.parametrize('ttl', ['5m', '1h30m', '90s', '2d', '1w', '500ms'])
def test_claims_ttl_forms(api2, ttl):
    """Duration forms the pattern allows."""
    assert api2.patch('/org/%s/oidc-custom-claims' % ORG_GH, json={'ttl': ttl}).json()['ttl'] == ttl


def test_claims_delete_needs_claims_and_auth_errors_use_error_key(api2):
    """claims= is required; read-only writes and missing tokens answer {"error": ...} too."""
    assert set(api2.delete('/org/%s/oidc-custom-claims' % ORG_GH).json()) == {'error'}
    assert api2.delete('/org/%s/oidc-custom-claims' % ORG_GH, params={'claims': 'issuer'}).status_code == 400
    resp = api2.patch('/org/%s/oidc-custom-claims' % ORG_GH, json={'ttl': '1h'}, token='read_only')
    assert resp.status_code == 403 and resp.json() == {'error': 'Forbidden'}
    resp = api2.get('/org/%s/oidc-custom-claims' % ORG_GH, token=None)
    assert resp.status_code == 401 and resp.json() == {'error': 'You must log in first.'}
