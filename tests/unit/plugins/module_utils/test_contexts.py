# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contexts: the options' rules, the pure plan, and the context module's requests against a stateful stand-in."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._contexts import (
    check_options,
    desired_restrictions,
    plan_context,
    restriction_identity,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.tests.unit.contexts_fake import ORG_CLOUD, PROJECT_API, FakeContexts
from ansible_collections.community.circleci.tests.unit.fakes import answer, read_timeout

EXPR = 'pipeline.git.branch == "main"'


def params(**options):
    base = dict(name='deploy-prod', owner='gh/acme', state='present', restrictions=None, purge_restrictions=False, force=False)
    base.update(options)
    return base


# -- rules and plan ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('options, says', [
    (dict(name=' padded'), 'white space'),
    (dict(name=''), 'non-empty context name'),
    (dict(owner='acme'), 'must look like gh/acme'),
    (dict(owner='circleci/not-an-id'), 'circleci/ takes the organization id'),
    (dict(state='absent', restrictions=[]), 'only used with state=present'),
    (dict(force=True), 'force is only used with state=absent'),
    (dict(restrictions=[dict(type='project', value='acme/api')]), 'names a project by its UUID or its slug'),
    (dict(restrictions=[dict(type='expression', value='  ')]), 'value must be a non-empty string'),
    (dict(restrictions=[dict(type='expression', value=EXPR), dict(type='expression', value=EXPR)]), 'repeats item 1'),
    (dict(restrictions=[dict(type='project', value=PROJECT_API), dict(type='project', value=PROJECT_API.upper())]), 'repeats item 1'),
])
def test_bad_options_are_refused_before_any_request(options, says):
    with pytest.raises(InputError, match=says):
        check_options(params(**options))


def test_project_restrictions_take_a_uuid_a_classic_slug_or_a_circleci_slug():
    wanted = desired_restrictions([
        dict(type='project', value=PROJECT_API.upper()),
        dict(type='project', value='gh/acme/web'),
        dict(type='project', value='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc'),
        dict(type='expression', value=EXPR),
    ])
    assert wanted[0] == {'type': 'project', 'value': PROJECT_API, 'project': None}
    assert wanted[1]['value'] is None and wanted[1]['project'] == Project('github', 'acme', 'web')
    assert wanted[2]['value'] == '9c966ef9-d584-44b5-98aa-126e97fcb2e3' and wanted[2]['project'] is None
    assert wanted[3] == {'type': 'expression', 'value': EXPR, 'project': None}


def restriction(kind, value, rid='r1'):
    return {'id': rid, 'type': kind, 'value': value, 'name': None}


def test_the_plan_adds_missing_restrictions_and_purges_only_when_asked():
    current = [restriction('project', PROJECT_API, 'r1'), restriction('expression', 'old == 1', 'r2')]
    wanted = [{'type': 'expression', 'value': EXPR, 'project': None}, {'type': 'project', 'value': PROJECT_API, 'project': None}]
    kept = plan_context({'id': 'c'}, current, {}, 'present', wanted, purge=False, force=False)
    assert kept['add'] == [{'type': 'expression', 'value': EXPR}] and kept['remove'] == [] and not kept['create']
    purged = plan_context({'id': 'c'}, current, {}, 'present', wanted, purge=True, force=False)
    assert [restriction_identity(item) for item in purged['remove']] == ['expression:old == 1']
    assert plan_context(None, [], {}, 'present', None, False, False)['create'] is True
    untouched = plan_context({'id': 'c'}, current, {}, 'present', None, purge=False, force=False)
    assert untouched['add'] == untouched['remove'] == [] and untouched['keep'] == current


def test_deleting_a_context_with_variables_needs_force_and_names_them():
    with pytest.raises(InputError, match=r'still holds 2 variables \(A, B\).*force=true.*nothing was changed'):
        plan_context({'id': 'c', 'name': 'ctx'}, [], {'B': {}, 'A': {}}, 'absent', None, False, force=False)
    assert plan_context({'id': 'c', 'name': 'ctx'}, [], {'A': {}}, 'absent', None, False, force=True)['delete'] is True
    assert plan_context({'id': 'c', 'name': 'ctx'}, [], {}, 'absent', None, False, force=False)['delete'] is True
    assert plan_context(None, [], {}, 'absent', None, False, force=False)['delete'] is False


# -- the module --------------------------------------------------------------------------------------------

@pytest.fixture
def fake(transport):
    contexts = FakeContexts().install(transport)
    contexts.add_context('org-global', variables={'AWS_ACCESS_KEY_ID': 'AKIA0001'}, restrictions=[('project', PROJECT_API)])
    contexts.add_context('deploy-prod', variables={'DEPLOY_TOKEN': 'deploy-token-5678'}, restrictions=[('expression', EXPR)])
    return contexts


def test_create_with_restrictions_then_nothing_to_do(run, transport, fake):
    args = dict(name='deploy-staging', owner='gh/acme', restrictions=[dict(type='project', value='gh/acme/api'),
                                                                      dict(type='expression', value=EXPR)])
    check = run('context', args, check_mode=True, diff=True)
    assert check['changed'] and check['added'] == ['deploy-staging'] and check['context']['id'] is None
    assert check['restrictions_added'] == ['project:%s' % PROJECT_API, 'expression:%s' % EXPR]
    assert check['diff'] == {'before': {}, 'after': {'name': 'deploy-staging',
                                                     'restrictions': ['project:%s' % PROJECT_API, 'expression:%s' % EXPR]}}
    assert transport.writes() == []
    assert check['api_requests'] == 3  # collaborations, contexts, project id (a new context has no restrictions to read)

    del transport.sent[:]
    real = run('context', args)
    assert real['changed'] and real['added'] == ['deploy-staging'] and real['context']['id']
    assert [method for method, dummy in transport.writes()] == ['POST', 'POST', 'POST']
    owner = {'id': fake.contexts[real['context']['id']]['org'], 'type': 'organization'}
    assert transport.bodies('POST')[0] == {'name': 'deploy-staging', 'owner': owner}
    assert transport.bodies('POST')[1] == {'restriction_type': 'project', 'restriction_value': PROJECT_API}

    del transport.sent[:]
    again = run('context', args)
    assert not again['changed'] and again['unchanged'] == ['deploy-staging'] and again['api_requests'] == 4
    assert transport.writes() == []
    assert {item['type'] for item in again['restrictions']} == {'project', 'expression'}


def test_purge_adds_before_it_deletes(run, transport, fake):
    result = run('context', dict(name='org-global', owner='gh/acme', restrictions=[dict(type='expression', value=EXPR)],
                                 purge_restrictions=True))
    assert result['updated'] == ['org-global'] and result['restrictions_deleted'] == ['project:%s' % PROJECT_API]
    assert [method for method, dummy in transport.writes()] == ['POST', 'DELETE']
    assert [item['type'] for item in result['restrictions']] == ['expression']


def test_deleting_a_context_with_variables_fails_before_any_write_without_force(run, transport, fake):
    refused = run('context', dict(name='deploy-prod', owner='gh/acme', state='absent'))
    assert refused['failed'] and 'DEPLOY_TOKEN' in refused['msg'] and 'force=true' in refused['msg']
    assert refused['changed'] is False and transport.writes() == []
    forced = run('context', dict(name='deploy-prod', owner='gh/acme', state='absent', force=True), diff=True)
    assert forced['changed'] and forced['deleted'] == ['deploy-prod'] and forced['context'] is None
    assert forced['diff']['before']['variables'] == ['DEPLOY_TOKEN'] and forced['diff']['after'] == {}
    gone = run('context', dict(name='deploy-prod', owner='gh/acme', state='absent'))
    assert not gone['changed'] and gone['unchanged'] == ['deploy-prod'] and gone['api_requests'] == 2


def test_a_lost_answer_to_the_creation_is_settled_by_listing_the_contexts(run, transport, fake):
    def created_then_lost(request):
        fake.serve(request)
        return read_timeout()

    fake.fail('POST', r'/context$', created_then_lost)
    result = run('context', dict(name='new-one', owner='gh/acme', retries=0))
    assert result.get('failed') is None and result['changed'] and result['added'] == ['new-one']
    assert [c['name'] for c in fake.contexts.values()].count('new-one') == 1
    assert [method for method, dummy in transport.writes()] == ['POST'], 'the creating POST is never sent twice'


def test_a_lost_creation_that_did_not_land_fails_as_not_applied(run, transport, fake):
    fake.fail('POST', r'/context$', answer(502, text='<html>bad gateway</html>'))
    result = run('context', dict(name='new-one', owner='gh/acme', retries=0))
    assert result['failed'] and result['changed'] is False and result['error']['outcome'] == 'not_applied'
    assert 'POST /api/v2/context failed with HTTP 502' in result['msg']


def test_a_refused_restriction_reports_the_context_created_before_it(run, transport, fake):
    fake.projects['github/acme/web'] = {'id': '11111111-1111-4111-8111-111111111111', 'name': 'web', 'org': 'x'}
    fake.fail('POST', r'/restrictions$', answer(400, body={'message': 'This restriction cannot be applied to this context.'}))
    result = run('context', dict(name='new-one', owner='gh/acme', restrictions=[dict(type='project', value='gh/acme/web')]))
    assert result['failed'] and result['changed'] is True and result['added'] == ['new-one']
    assert result['restrictions_added'] == [] and 'cannot be applied' in result['msg']


def test_a_circleci_owner_by_id(run, transport, fake):
    fake.add_context('cloud-shared', org=ORG_CLOUD)
    result = run('context', dict(name='cloud-shared', owner='circleci/' + ORG_CLOUD))
    assert not result['changed'] and result['context']['owner_id'] == ORG_CLOUD
    assert ('GET', '/api/v2/context?owner-id=' + ORG_CLOUD) in transport.requests()


def test_contexts_are_found_beyond_the_first_page(run, transport, fake):
    fake.page_size = 1
    result = run('context', dict(name='deploy-prod', owner='gh/acme'))
    assert not result['changed'] and result['api_requests'] == 3  # collaborations, 2 pages of contexts
    assert 'restrictions' not in result, 'not managed, so not read'
