# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oidc_claims module end to end against scripted API v2 answers: requests, check mode, diff, 403s, lost answers."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.tests.unit.fakes import answer, reset

ORG = 'b0de2883-ba52-4530-abc0-d74091c72852'
CLOUD = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
API_ID = 'a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3'
LEDGER = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'
V2 = '/api/v2'
ORG_CLAIMS = '%s/org/%s/oidc-custom-claims' % (V2, ORG)
API_CLAIMS = '%s/org/%s/project/%s/oidc-custom-claims' % (V2, ORG, API_ID)
COLLABORATIONS = [{'id': ORG, 'vcs-type': 'github', 'name': 'acme', 'avatar_url': '', 'slug': 'gh/acme'},
                  {'id': CLOUD, 'vcs-type': 'circleci', 'name': 'acme-cloud', 'avatar_url': '', 'slug': 'circleci/74hDwQgJ7BDtfqPpy7htUY'}]
WHEN = '2024-05-02T12:00:00.000Z'
LATER = '2024-06-01T12:00:00.000Z'
FORBIDDEN = answer(403, body={'error': 'Forbidden'})


def org_claims(audience=None, ttl=None, when=WHEN, **ids):
    body = dict({'org_id': ORG}, **ids)
    if audience is not None:
        body.update(audience=audience, audience_updated_at=when)
    if ttl is not None:
        body.update(ttl=ttl, ttl_updated_at=when)
    return body


def project_view(slug='gh/acme/api', project_id=API_ID, org_id=ORG):
    return {'slug': slug, 'name': 'api', 'id': project_id, 'organization_name': 'acme', 'organization_slug': 'gh/acme',
            'organization_id': org_id, 'vcs_info': {'vcs_url': 'https://github.com/acme/api', 'provider': 'GitHub', 'default_branch': 'main'}}


def script_org(transport, before, after=None):
    transport.on('GET', r'/me/collaborations$', answer(body=COLLABORATIONS))
    transport.on('GET', r'/org/%s/oidc-custom-claims$' % ORG, answer(body=before))
    if after is not None:
        transport.on('PATCH', r'/oidc-custom-claims$', answer(body=after))
        transport.on('DELETE', r'/oidc-custom-claims\?', answer(body=after))


# -- requests, check mode and diff ----------------------------------------------------------------------------

def test_an_org_claim_that_differs_is_patched_alone_with_three_requests(run, transport):
    script_org(transport, org_claims(['sts.amazonaws.com'], '1h'), org_claims(['sts.amazonaws.com'], '30m', when=LATER))
    result = run('oidc_claims', dict(owner='gh/acme', audience=['sts.amazonaws.com'], ttl='30m'), diff=True)
    assert result['changed'] is True and result['api_requests'] == 3
    assert transport.requests() == [('GET', V2 + '/me/collaborations'), ('GET', ORG_CLAIMS), ('PATCH', ORG_CLAIMS)]
    assert transport.bodies('PATCH') == [{'ttl': '30m'}]
    assert (result['added'], result['updated'], result['deleted'], result['unchanged']) == ([], ['ttl'], [], ['audience'])
    assert result['oidc_claims'] == {'org_id': ORG, 'project_id': None, 'audience': ['sts.amazonaws.com'], 'audience_updated_at': LATER,
                                     'ttl': '30m', 'ttl_updated_at': LATER}
    assert result['diff'] == {'before': {'audience': ['sts.amazonaws.com'], 'ttl': '1h'}, 'after': {'audience': ['sts.amazonaws.com'], 'ttl': '30m'}}


def test_check_mode_reads_and_predicts_without_writing(run, transport):
    script_org(transport, org_claims(['sts.amazonaws.com'], '1h'))
    result = run('oidc_claims', dict(owner='gh/acme', audience=['vault.acme.example']), check_mode=True, diff=True)
    assert result['changed'] is True and transport.writes() == [] and result['api_requests'] == 2
    assert result['updated'] == ['audience'] and result['oidc_claims']['audience'] == ['vault.acme.example']
    assert result['oidc_claims']['audience_updated_at'] is None and result['oidc_claims']['ttl_updated_at'] == WHEN
    assert result['diff']['after'] == {'audience': ['vault.acme.example'], 'ttl': '1h'}


def test_claims_as_asked_send_only_reads(run, transport):
    script_org(transport, org_claims(['vault', 'sts.amazonaws.com'], '1h'))
    result = run('oidc_claims', dict(owner='gh/acme', audience=['sts.amazonaws.com', 'vault'], ttl='60m'))
    assert result['changed'] is False and transport.writes() == [] and result['api_requests'] == 2
    assert result['unchanged'] == ['audience', 'ttl'] and result['oidc_claims']['ttl'] == '1h'


def test_a_circleci_owner_needs_no_lookup(run, transport):
    claims = '%s/org/%s/oidc-custom-claims' % (V2, CLOUD)
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD}))
    transport.on('PATCH', r'oidc-custom-claims$', answer(body={'org_id': CLOUD, 'ttl': '2h', 'ttl_updated_at': LATER}))
    result = run('oidc_claims', dict(owner='circleci/74hDwQgJ7BDtfqPpy7htUY', ttl='2h'))
    assert transport.requests() == [('GET', claims), ('PATCH', claims)] and result['added'] == ['ttl']
    assert result['oidc_claims']['org_id'] == CLOUD and result['oidc_claims']['audience'] is None


def test_a_project_is_located_by_its_slug_and_patched_by_uuids(run, transport):
    transport.on('GET', r'/project/github/acme/api$', answer(body=project_view()))
    transport.on('GET', r'oidc-custom-claims$', answer(body=org_claims(project_id=API_ID)))
    transport.on('PATCH', r'oidc-custom-claims$', answer(body=org_claims(audience=['api.acme.example'], when=LATER, project_id=API_ID)))
    result = run('oidc_claims', dict(project='gh/acme/api', audience=['api.acme.example']))
    assert transport.requests() == [('GET', V2 + '/project/github/acme/api'), ('GET', API_CLAIMS), ('PATCH', API_CLAIMS)]
    assert result['oidc_claims']['project_id'] == API_ID and result['added'] == ['audience']


def test_a_standalone_project_is_named_by_ids(run, transport):
    slug = 'circleci/%s/%s' % (CLOUD, LEDGER)
    transport.on('GET', r'/project/circleci/', answer(body=project_view('circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc', LEDGER, CLOUD)))
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD, 'project_id': LEDGER, 'ttl': '1h', 'ttl_updated_at': WHEN}))
    result = run('oidc_claims', dict(project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc', owner='circleci/' + CLOUD, ttl='1h'))
    assert result['changed'] is False and transport.requests()[0] == ('GET', '%s/project/%s' % (V2, slug))
    assert transport.requests()[1] == ('GET', '%s/org/%s/project/%s/oidc-custom-claims' % (V2, CLOUD, LEDGER))


def test_a_circleci_owner_that_is_not_the_projects_organization_fails_before_any_write(run, transport):
    transport.on('GET', r'/project/github/acme/api$', answer(body=project_view()))
    result = run('oidc_claims', dict(project='gh/acme/api', owner='circleci/' + CLOUD, ttl='1h'))
    assert result['failed'] is True and 'is in the organization circleci/%s, not circleci/%s' % (ORG, CLOUD) in result['msg']
    assert len(transport.sent) == 1


def test_absent_deletes_only_the_claims_set(run, transport):
    script_org(transport, org_claims(['sts.amazonaws.com']), org_claims())
    result = run('oidc_claims', dict(owner='gh/acme', state='absent'), diff=True)
    assert transport.writes() == [('DELETE', ORG_CLAIMS + '?claims=audience')]
    assert result['deleted'] == ['audience'] and result['unchanged'] == ['ttl'] and result['oidc_claims']['audience'] is None
    assert result['diff'] == {'before': {'audience': ['sts.amazonaws.com'], 'ttl': None}, 'after': {'audience': None, 'ttl': None}}


def test_absent_names_the_claims_to_reset(run, transport):
    script_org(transport, org_claims(['sts.amazonaws.com'], '1h'), org_claims(['sts.amazonaws.com']))
    result = run('oidc_claims', dict(owner='gh/acme', state='absent', claims=['ttl']))
    assert transport.writes() == [('DELETE', ORG_CLAIMS + '?claims=ttl')] and result['deleted'] == ['ttl']
    assert result['oidc_claims']['audience'] == ['sts.amazonaws.com']


def test_absent_with_nothing_set_sends_no_write(run, transport):
    script_org(transport, org_claims())
    result = run('oidc_claims', dict(owner='gh/acme', state='absent'))
    assert result['changed'] is False and transport.writes() == [] and result['unchanged'] == ['audience', 'ttl']


# -- failures ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('args', [
    dict(owner='gh/acme', ttl='1 hour'),
    dict(owner='gh/acme', audience=[]),
    dict(owner='gh/acme'),
    dict(ttl='1h'),
    dict(owner='gh/acme', state='absent', ttl='1h'),
    dict(owner='acme', ttl='1h'),
    dict(owner='gh/other', project='gh/acme/api', ttl='1h'),
])
def test_bad_input_fails_before_any_request(run, transport, args):
    result = run('oidc_claims', args)
    assert result['failed'] is True and transport.sent == []


def test_an_owner_the_user_is_not_in_is_named(run, transport):
    transport.on('GET', r'/me/collaborations$', answer(body=COLLABORATIONS))
    result = run('oidc_claims', dict(owner='gh/other-co', ttl='1h'))
    assert result['failed'] is True and 'not among the organizations of the token\'s user' in result['msg'] and len(transport.sent) == 1


@pytest.mark.parametrize('method', ['GET', 'PATCH'])
def test_a_403_says_why_the_claim_routes_answer_403(run, transport, method):
    transport.on('GET', r'oidc-custom-claims$', FORBIDDEN if method == 'GET' else answer(body={'org_id': CLOUD}))
    transport.on('PATCH', r'oidc-custom-claims$', FORBIDDEN)
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, ttl='1h'))
    assert result['failed'] is True and result['changed'] is False
    assert '%s /api/v2/org/%s/oidc-custom-claims failed with HTTP 403. CircleCI says: Forbidden.' % (method, CLOUD) in result['msg']
    assert 'never 404' in result['msg'] and 'not a member' in result['msg'] and 'not in that organization' in result['msg']
    assert result['error']['api_message'] == 'Forbidden'


def test_a_400_reads_the_error_key(run, transport):
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD}))
    transport.on('PATCH', r'oidc-custom-claims$', answer(400, body={'error': 'ttl: too long'}))
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, ttl='9w'))
    assert result['failed'] is True and 'HTTP 400. CircleCI says: ttl: too long' in result['msg']


def test_an_unknown_project_fails_naming_it(run, transport):
    transport.on('GET', r'/project/', answer(404, body={'message': 'Project not found'}))
    result = run('oidc_claims', dict(project='gh/acme/nope', ttl='1h'))
    assert result['failed'] is True and 'GET /api/v2/project/github/acme/nope failed with HTTP 404' in result['msg']


def test_claims_of_the_wrong_shape_fail_cleanly(run, transport):
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD, 'audience': 'sts.amazonaws.com'}))
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, ttl='1h'))
    assert result['failed'] is True and "The answer's audience is not a list of strings" in result['msg'] and 'exception' not in result


# -- lost answers --------------------------------------------------------------------------------------------

def test_a_lost_patch_that_landed_is_a_change(run, transport):
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD}), answer(body={'org_id': CLOUD, 'ttl': '2h', 'ttl_updated_at': LATER}))
    transport.on('PATCH', r'oidc-custom-claims$', reset())
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, ttl='2h', retries=0))
    assert result.get('failed') is not True and result['changed'] is True
    assert result['oidc_claims']['ttl'] == '2h' and result['oidc_claims']['ttl_updated_at'] == LATER
    assert [method for method, dummy in transport.requests()] == ['GET', 'PATCH', 'GET']


def test_a_lost_patch_that_did_not_land_fails_unchanged(run, transport):
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD}))
    transport.on('PATCH', r'oidc-custom-claims$', answer(500, body={'error': 'internal server error'}))
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, ttl='2h', retries=0))
    assert result['failed'] is True and result['changed'] is False and result['error']['outcome'] == 'not_applied'
    assert result['oidc_claims']['ttl'] is None and result['added'] == []


def test_a_lost_delete_that_landed_is_a_change(run, transport):
    transport.on('GET', r'oidc-custom-claims$', answer(body={'org_id': CLOUD, 'ttl': '2h', 'ttl_updated_at': WHEN}), answer(body={'org_id': CLOUD}))
    transport.on('DELETE', r'oidc-custom-claims', reset())
    result = run('oidc_claims', dict(owner='circleci/' + CLOUD, state='absent', retries=0))
    assert result.get('failed') is not True and result['changed'] is True and result['deleted'] == ['ttl']
