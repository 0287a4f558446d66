"""API v2 admin view, admin options and seeding."""

from __future__ import annotations

import pytest
import requests

from circleci_emulator.state_v2 import derived_id

from .conftest import CTX_GLOBAL, LEDGER, ORG_CLOUD, ORG_GH, WEBHOOK

SEED = """
user: {login: bot2, name: Bot Two, id: 11111111-2222-4333-8444-555555555555}
tokens: {user: t-user, read_only: t-ro}
projects:
  - {slug: github/orgx/app, settings: {autocancel_builds: true}, env_vars: [{name: A, value: alpha}]}
api_v2: {page_size: 1, webhook_timestamps: both}
organizations:
  - {vcs_type: circleci, name: cloud, projects: [{name: svc}]}
contexts:
  - {name: shared, owner: gh/orgx, variables: [{name: V1, value: one}, {name: V2, value: two}],
     restrictions: [{type: project, project: gh/orgx/app}, {type: expression, value: 'pipeline.git.branch == "x"'}]}
  - {name: cloudy, owner: circleci/cloud, restrictions: [{type: project, project: circleci/cloud/svc}]}
webhooks:
  - {name: h, project: circleci/cloud/svc, url: 'https://h.example', signing_secret: s3cr3t-zzzz}
schedules:
  - {name: daily, project: github/orgx/app, timetable: {per-hour: 2, hours-of-day: [0], days-of-month: [1]},
     parameters: {tag: v1}, attribution_actor: system}
oidc_claims:
  - {org: github/orgx, project: gh/orgx/app, ttl: 10m}
"""


def test_state_shows_v2_objects_in_clear(emulator_admin):
    """Organizations, v2 project facts, contexts (clear values, timestamps, restrictions), webhooks (clear secret)..."""
    state = emulator_admin.state()
    assert {'organizations', 'v2_projects', 'repositories', 'contexts', 'webhooks', 'schedules', 'oidc_claims',
            'api_v2'} <= set(state)
    orgs = {(o['vcs_type'], o['name']): o for o in state['organizations']}
    assert orgs[('github', 'acme')]['id'] == ORG_GH and orgs[('circleci', 'other-co')]['member'] is False
    ctx = emulator_admin.context('org-global')
    assert ctx['owner_id'] == ORG_GH and ctx['variables'][0] == {
        'name': 'AWS_ACCESS_KEY_ID', 'value': 'AKIAEMULATOR00000001', 'created_at': '2024-05-02T12:00:00.000Z',
        'updated_at': '2024-05-02T12:00:00.000Z'}
    assert ctx['restrictions'][0]['restriction_type'] == 'project'
    assert [w['signing_secret'] for w in state['webhooks'] if w['id'] == WEBHOOK] == ['whsec-emulator-0123']
    ledger = emulator_admin.v2_project(LEDGER)
    assert ledger['kind'] == 'standalone' and ledger['organization_id'] == ORG_CLOUD and ledger['env_vars'][0]['value']
    assert emulator_admin.v2_project('gh/acme/api')['advanced']['oss'] is False
    assert [r['slug'] for r in state['repositories']] == ['github/acme/new-service', 'github/acme/no-config',
                                                          'bitbucket/acme/new-mobile']
    assert state['oidc_claims'][0]['org_id'] == ORG_GH
    assert state['api_v2']['page_size'] == 20


def test_existing_v11_facts_are_unchanged(api):
    """The v1.1 world the older tests rely on: followed projects, /me projects, api's settings flags."""
    slugs = sorted(p['reponame'] for p in api.get('/projects').json())
    assert slugs == ['api', 'mobile', 'web', 'worker']
    assert len(api.get('/me').json()['projects']) == 4
    flags = api.get('/project/github/acme/api/settings').json()['feature_flags']
    assert flags == {'trusty-beta': False, 'osx': False, 'set-github-status': True, 'build-prs-only': False,
                     'forks-receive-secret-env-vars': False, 'fleet': None, 'build-fork-prs': False,
                     'autocancel-builds': False, 'junit': True, 'oss': False}


def test_custom_seed_with_every_v2_section(api2, emulator_admin, circleci_emulator):
    """A seed can give all v2 sections; ids default to stable derived UUIDs; reset returns to it."""
    emulator_admin.seed(SEED)
    headers = {'Circle-Token': 't-user'}
    base = circleci_emulator.api_v2_url
    assert requests.get(base + '/me', headers=headers, timeout=10).json()['id'] == '11111111-2222-4333-8444-555555555555'
    orgs = requests.get(base + '/me/collaborations', headers=headers, timeout=10).json()
    assert sorted(o['name'] for o in orgs) == ['cloud', 'orgx']
    app = requests.get(base + '/project/gh/orgx/app', headers=headers, timeout=10).json()
    assert app['id'] == derived_id('project', 'github/orgx/app')
    assert requests.get(base + '/project/gh/orgx/app/settings', headers=headers, timeout=10).json()['advanced'][
        'autocancel_builds'] is True
    first = requests.get(base + '/context', params={'owner-slug': 'gh/orgx'}, headers=headers, timeout=10).json()
    assert len(first['items']) == 1 and first['next_page_token'] is None
    ctx_id = first['items'][0]['id']
    restrictions = requests.get(base + '/context/%s/restrictions' % ctx_id, headers=headers, timeout=10).json()
    assert len(restrictions['items']) == 1 and restrictions['next_page_token']
    state = emulator_admin.state()
    assert state['webhooks'][0]['signing_secret'] == 's3cr3t-zzzz' and 'created-at' in state['webhooks'][0]
    assert state['schedules'][0]['actor']['login'] == 'system-actor'
    assert state['oidc_claims'] == [{'org_id': derived_id('org', 'github/orgx'), 'project_id': app['id'], 'ttl': '10m',
                                     'ttl_updated_at': '2024-05-02T12:00:00.000Z'}]
    requests.put(base + '/context/%s/environment-variable/V3' % ctx_id, json={'value': '3'}, headers=headers, timeout=10)
    emulator_admin.reset()
    assert len(emulator_admin.context('shared')['variables']) == 2


@pytest.mark.parametrize('options', [{'page_size': 0}, {'page_size': 'x'}, {'webhook_timestamps': 'camel'},
                                     {'absent_context_variable_delete': 204}, {'colour': 'blue'}])
def test_admin_config_validation(emulator_admin, options):
    """Bad options are a 400 from the admin API."""
    with pytest.raises(requests.exceptions.HTTPError):
        emulator_admin.v2_config(**options)


def test_admin_unknown_objects(emulator_admin):
    """Unknown contexts, projects, webhooks or endpoints: 4xx."""
    for call in (lambda: emulator_admin.set_context_var('no-such', 'A', 'b'),
                 lambda: emulator_admin.set_project_settings('gh/acme/nope', oss=True),
                 lambda: emulator_admin.delete_webhook('00000000-0000-4000-8000-000000000000'),
                 lambda: emulator_admin.set_project_settings('gh/acme/api', bogus=True),
                 lambda: emulator_admin._call('GET', '/v2/nothing')):  # pylint: disable=protected-access
        with pytest.raises(requests.exceptions.HTTPError):
            call()
    assert emulator_admin.context(CTX_GLOBAL)['name'] == 'org-global'


def test_reset_restores_v2_state_and_options(api2, emulator_admin):
    """Reset: back to the seeded contexts and the seeded options."""
    emulator_admin.page_size(1)
    api2.delete('/context/' + CTX_GLOBAL)
    emulator_admin.reset()
    assert emulator_admin.v2_config()['page_size'] == 20
    assert api2.get('/context/' + CTX_GLOBAL).status_code == 200


def test_ready_info_has_the_v2_url(circleci_emulator):
    """The ready JSON and the handle carry api_v2_url."""
    assert circleci_emulator.ready_info()['api_v2_url'] == circleci_emulator.api_v2_url
    assert circleci_emulator.api_v2_url.endswith('/api/v2')
