# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""project_settings and the API v2 resources: advanced settings, webhooks, schedules, contexts and their variables.

One read per resource per project (and per organization for contexts), every new refusal before any request, check
mode without a write, the compact result and the details, failures isolated per project and per context.
"""

from __future__ import annotations

import json

from ansible_collections.community.circleci.tests.unit.answers import PRIVATE, SLUG
from ansible_collections.community.circleci.tests.unit.contexts_fake import PROJECT_API, FakeContexts
from ansible_collections.community.circleci.tests.unit.fakes import answer

CLOUD_ORG = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
CLOUD_ID = '5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01'
CLOUD = 'circleci/%s/%s' % (CLOUD_ORG, CLOUD_ID)
HOOK_ID = 'f07623af-b373-4b3a-a8a2-964f04322549'
NEW_HOOK_ID = '47d18005-c108-4d08-9bce-cd321c7e0b27'
SCHEDULE_ID = 'cd724574-9aaf-4179-9bc1-c141d61d3922'
NEW_SCHEDULE_ID = '26b79122-c287-4a9b-8d91-67e57a9970fb'
SECRET = 'whsec-unit-test-secret-4242'
VALUE = 'context-value-unit-9876'
WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI']
ADVANCED = dict(autocancel_builds=False, build_fork_prs=False, build_prs_only=False, disable_ssh=False,
                forks_receive_secret_env_vars=False, oss=False, set_github_status=True, setup_workflows=False,
                write_settings_requires_admin=False, pr_only_branch_overrides=[])

SETTINGS = r'^/api/v2/project/github/acme/api/settings$'
PROJECT_GET = r'^/api/v2/project/github/acme/api$'
HOOKS = r'^/api/v2/webhook\?'
SCHEDULES = r'^/api/v2/project/github/acme/api/schedule'
V2_API = '/api/v2/project/github/acme/api'


# -- answers and options ---------------------------------------------------------------------------------------

def page(*items):
    return answer(body={'items': list(items), 'next_page_token': None})


def hook(hook_id=HOOK_ID, name='slack-notify', events=('workflow-completed',)):
    return {'id': hook_id, 'name': name, 'url': 'https://hooks.acme.example/circleci', 'events': list(events), 'verify-tls': True,
            'signing-secret': 'xxxx4242', 'scope': {'id': PROJECT_API, 'type': 'project'},
            'created_at': '2024-05-02T12:00:00.000Z', 'updated_at': '2024-05-02T12:00:00.000Z'}


def schedule(schedule_id=SCHEDULE_ID, name='nightly', hours=(2,)):
    return {'id': schedule_id, 'name': name, 'description': 'Nightly build of main', 'project-slug': SLUG,
            'timetable': {'per-hour': 1, 'hours-of-day': list(hours), 'days-of-week': list(WEEKDAYS)},
            'parameters': {'branch': 'main'}, 'actor': {'id': '59019cd3-9c3e-5993-9bf9-0404000681df', 'login': 'acme-bot'},
            'created-at': '2024-05-02T12:00:00.000Z', 'updated-at': '2024-05-02T12:00:00.000Z'}


def hook_options(**extra):
    return dict(dict(name='slack-notify', url='https://hooks.acme.example/circleci', events=['workflow-completed'],
                     signing_secret=SECRET), **extra)


def schedule_options(**extra):
    return dict(dict(name='nightly', description='Nightly build of main', branch='main',
                     timetable=dict(per_hour=1, hours_of_day=[2], days_of_week=list(WEEKDAYS))), **extra)


def api_project(transport, advanced=None, hooks=(), schedules=()):
    """Script gh/acme/api's v2 resources: its settings (PATCH answers them changed), id, webhooks and schedules."""
    current = dict(ADVANCED, **(advanced or {}))
    transport.on('GET', SETTINGS, answer(body={'advanced': current}))
    transport.on('PATCH', SETTINGS, lambda request: answer(body={'advanced': dict(current, **json.loads(request.body)['advanced'])}))
    transport.on('GET', PROJECT_GET, answer(body={'id': PROJECT_API, 'slug': SLUG, 'name': 'api'}))
    transport.on('GET', HOOKS, page(*hooks))
    transport.on('POST', r'^/api/v2/webhook$', answer(201, body=hook(NEW_HOOK_ID, 'deploy-notify')))
    transport.on('PUT', r'^/api/v2/webhook/' + HOOK_ID, answer(body=hook(events=('job-completed', 'workflow-completed'))))
    transport.on('GET', SCHEDULES, page(*schedules))
    transport.on('POST', SCHEDULES, answer(201, body=schedule(NEW_SCHEDULE_ID, 'weekly', hours=(5,))))


def no_secret(result):
    """Neither the webhook's signing secret nor a context variable's value (in clear or cut short) is in the result."""
    text = json.dumps(result)
    assert SECRET[:-4] not in text and VALUE[:-4] not in text


# -- every new refusal, before any request ------------------------------------------------------------------------

def test_every_new_refusal_is_named_by_its_place_before_any_request(run, transport):
    result = run('project_settings', dict(
        projects=[
            dict(project=CLOUD, followed=True, ssh_keys=[dict(hostname='h', private_key=PRIVATE)], schedules=[schedule_options()]),
            dict(project=SLUG, settings=dict(pr_only_branch_overrides=['main', 'main']),
                 webhooks=[hook_options(url='http://hooks.acme.example/circleci'), hook_options(), hook_options()],
                 schedules=[schedule_options(timetable=dict(per_hour=0, hours_of_day=[2], days_of_week=['MON'])),
                            schedule_options(), schedule_options()]),
        ],
        contexts=[
            dict(name='deploy-prod', owner='acme'),
            dict(name='deploy-prod', owner='gh/acme', restrictions=[dict(type='project', value='acme/api')],
                 update_value='when_changed', variables=[dict(name='BAD-NAME', value='x')]),
            dict(name='deploy-prod', owner='github/acme'),
        ]))
    assert result['failed'] is True and transport.requests() == []
    assert result['msg'].startswith('Invalid project settings, nothing was sent: ')
    for where in (
        'projects[0].followed: following a project works through CircleCI API v1.1, which knows GitHub OAuth and Bitbucket projects '
        'only, not %s' % CLOUD,
        'projects[0].ssh_keys: managing additional SSH keys works through CircleCI API v1.1',
        'projects[0].schedules: Scheduled pipelines of %s cannot be managed' % CLOUD,
        'projects[1].settings: pr_only_branch_overrides lists main more than once',
        'projects[1].webhooks[0]: url must be an https URL',
        'projects[1].webhooks[2]: slack-notify is listed twice (also item 1)',
        'projects[1].schedules[0]: timetable.per_hour must be an integer from 1 to 60',
        'projects[1].schedules[2]: nightly is listed twice (also item 1)',
        "contexts[0].owner: owner 'acme' must look like gh/acme",
        'contexts[1].restrictions: restrictions item 1: a project restriction names a project by its UUID or its slug',
        'contexts[1].variables: variable BAD-NAME: the name is not valid',
        'contexts[1].update_value: when_changed needs the ledger option',
        'contexts[2]: context deploy-prod of gh/acme is listed twice (also contexts[1])',
    ):
        assert where in result['msg']
    assert 'nothing was sent: pr_only' not in result['msg']  # the resource's own opening is not repeated


def test_a_ledger_that_cannot_be_used_is_refused_before_any_request(run, transport, tmp_path):
    broken = tmp_path / 'broken.json'
    broken.write_text('not json')
    for path, says in ((tmp_path / 'missing' / 'ledger.json', 'does not exist: create it first'), (broken, 'is not JSON')):
        context = dict(name='deploy-prod', owner='gh/acme', variables=[dict(name='A', value=VALUE)])
        result = run('project_settings', dict(ledger=str(path), contexts=[context]))
        assert result['failed'] is True and transport.requests() == []
        assert 'ledger: ledger %s' % path in result['msg'] and says in result['msg']


def test_projects_or_contexts_are_needed(run, transport):
    result = run('project_settings', dict(details=True))
    assert result['failed'] is True and 'one of the following is required: projects, contexts' in result['msg']
    assert transport.requests() == []


def test_a_circleci_project_is_served_through_api_v2_for_its_settings_variables_and_webhooks(run, transport):
    transport.on('GET', r'/project/%s/settings$' % CLOUD, answer(body={'advanced': ADVANCED}))
    transport.on('GET', r'/project/%s/envvar' % CLOUD, page({'name': 'LOG_LEVEL', 'value': 'xxxxinfo'}))
    transport.on('GET', HOOKS, page())
    result = run('project_settings', dict(projects=[dict(project=CLOUD, settings=dict(oss=False), webhooks=[dict(name='old-hook', state='absent')],
                                                         env_vars=[dict(name='LOG_LEVEL', value='info')])]))
    assert result['changed'] is False and result['api_requests'] == 3
    assert all(path.startswith('/api/v2/') for dummy, path in transport.requests())
    assert '/api/v2/webhook?scope-id=%s&scope-type=project' % CLOUD_ID in [path for dummy, path in transport.requests()]


# -- one read per resource -----------------------------------------------------------------------------------------

def test_a_project_already_right_costs_one_read_per_resource(run, transport):
    api_project(transport, hooks=[hook()], schedules=[schedule()])
    result = run('project_settings', dict(projects=[dict(project=SLUG, settings=dict(autocancel_builds=False, set_github_status=True),
                                                         webhooks=[hook_options()], schedules=[schedule_options()])]))
    assert result['changed'] is False and result['projects'] == [] and result['projects_total'] == 1
    assert transport.requests() == [('GET', V2_API + '/settings'), ('GET', V2_API),
                                    ('GET', '/api/v2/webhook?scope-id=%s&scope-type=project' % PROJECT_API),
                                    ('GET', V2_API + '/schedule')]
    assert result['api_requests'] == 4 and result['contexts'] == [] and result['contexts_total'] == 0


def test_many_webhooks_and_schedules_share_one_read_and_the_result_is_compact(run, transport):
    api_project(transport, hooks=[hook()], schedules=[schedule()])
    weekly = schedule_options(name='weekly', description=None, timetable=dict(per_hour=1, hours_of_day=[5], days_of_week=['SUN']))
    result = run('project_settings', dict(projects=[dict(
        project=SLUG, settings=dict(autocancel_builds=True),
        webhooks=[hook_options(events=['job-completed', 'workflow-completed']), hook_options(name='deploy-notify')],
        schedules=[schedule_options(), weekly])]), diff=True)
    assert result['changed'] is True
    assert [method for method, dummy in transport.requests()].count('GET') == 4
    assert transport.writes() == [('PATCH', V2_API + '/settings'), ('PUT', '/api/v2/webhook/' + HOOK_ID), ('POST', '/api/v2/webhook'),
                                  ('POST', V2_API + '/schedule')]
    assert transport.bodies('PATCH') == [{'advanced': {'autocancel_builds': True}}]
    entry = result['projects'][0]
    assert entry['settings_result'] == {'changed': True, 'updated': ['autocancel_builds']}
    assert entry['webhook_results'] == [
        {'changed': True, 'added': [], 'updated': ['slack-notify'], 'deleted': [], 'changed_fields': ['events']},
        {'changed': True, 'added': ['deploy-notify'], 'updated': [], 'deleted': [],
         'changed_fields': ['url', 'events', 'verify_tls', 'signing_secret']}]
    assert [step['changed'] for step in entry['schedule_results']] == [False, True]
    assert entry['schedule_results'][1]['added'] == ['weekly']
    assert [diff['before_header'] for diff in result['diff']] == [
        'gh/acme/api settings', 'gh/acme/api webhook slack-notify', 'gh/acme/api webhook deploy-notify', 'gh/acme/api schedule weekly']
    no_secret(result)


def test_details_give_each_step_as_its_module_returns_it(run, transport):
    api_project(transport, hooks=[hook()], schedules=[schedule()])
    result = run('project_settings', dict(details=True, projects=[dict(project=SLUG, settings=dict(oss=False),
                                                                       webhooks=[hook_options()], schedules=[schedule_options()])]))
    entry = result['projects'][0]
    assert entry['changed'] is False and result['projects_changed'] == 0
    assert entry['settings_result']['settings'] == ADVANCED and entry['settings_result']['unchanged'] == ['oss']
    assert entry['webhook_results'][0]['webhook']['id'] == HOOK_ID and entry['webhook_results'][0]['unchanged'] == ['slack-notify']
    assert entry['schedule_results'][0]['schedule']['id'] == SCHEDULE_ID


def test_a_failing_webhook_read_fails_its_project_alone(run, transport):
    api_project(transport)
    transport.on('GET', HOOKS, answer(404, body={'message': 'Project not found.'}))
    transport.on('GET', r'/project/%s/settings$' % CLOUD, answer(body={'advanced': ADVANCED}))
    transport.on('PATCH', r'/project/%s/settings$' % CLOUD, answer(body={'advanced': dict(ADVANCED, autocancel_builds=True)}))
    result = run('project_settings', dict(projects=[dict(project=SLUG, settings=dict(autocancel_builds=True), webhooks=[hook_options()]),
                                                    dict(project=CLOUD, settings=dict(autocancel_builds=True))]))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('1 of 2 projects could not be converged (the others were): gh/acme/api: GET /api/v2/webhook')
    assert [entry['project'] for entry in result['projects']] == [SLUG, CLOUD]
    assert result['projects'][0]['settings_result']['updated'] == ['autocancel_builds']  # applied before the read failed
    assert [(failed['project'], failed['error']['status']) for failed in result['failed_projects']] == [(SLUG, 404)]
    assert 'failed_contexts' not in result


# -- contexts ---------------------------------------------------------------------------------------------------------

def contexts_fake(transport):
    fake = FakeContexts().install(transport)
    fake.deploy = fake.add_context('deploy-prod', variables={'DEPLOY_TOKEN': 'deploy-token-5678'},
                                   restrictions=[('expression', 'pipeline.git.branch == "main"')])
    fake.global_ = fake.add_context('org-global', variables={'AWS_REGION': 'eu-west-1'}, restrictions=[('project', PROJECT_API)])
    return fake


def test_check_mode_sends_no_write_for_projects_and_contexts(run, transport):
    api_project(transport)
    fake = contexts_fake(transport)
    result = run('project_settings', dict(
        projects=[dict(project=SLUG, settings=dict(autocancel_builds=True), webhooks=[hook_options()], schedules=[schedule_options()])],
        contexts=[dict(name='ps-staging', owner='gh/acme', restrictions=[dict(type='expression', value='pipeline.git.branch == "staging"')],
                       variables=[dict(name='STAGING_TOKEN', value=VALUE)]),
                  dict(name='deploy-prod', owner='gh/acme', variables=[dict(name='DEPLOY_REGION', value=VALUE)])]),
                 check_mode=True, diff=True)
    assert result['changed'] is True and transport.writes() == []
    assert (result['projects_changed'], result['contexts_changed'], result['contexts_total']) == (1, 2, 2)
    staging, deploy = result['contexts']
    assert staging['name'] == 'ps-staging' and staging['owner'] == 'gh/acme'
    assert staging['context_result'] == {'changed': True, 'added': ['ps-staging'], 'updated': [],
                                         'restrictions_added': ['expression:pipeline.git.branch == "staging"'], 'restrictions_deleted': []}
    assert staging['context_env_var_result']['added'] == ['STAGING_TOKEN']
    assert deploy['context_env_var_result']['added'] == ['DEPLOY_REGION'] and deploy['context_result']['changed'] is False
    assert set(deploy['context_env_var_result']) == {'changed', 'added', 'updated', 'deleted', 'rewritten', 'failures', 'not_attempted'}
    headers = [diff['before_header'] for diff in result['diff']]
    assert headers[:3] == ['ps-staging (gh/acme) context', 'ps-staging (gh/acme) context_env_var', 'deploy-prod (gh/acme) context_env_var']
    assert len(fake.contexts) == 2
    no_secret(result)


def test_contexts_of_one_organization_read_it_once_and_a_project_id_is_read_once(run, transport):
    api_project(transport, hooks=[hook()])
    fake = contexts_fake(transport)
    result = run('project_settings', dict(
        projects=[dict(project=SLUG, webhooks=[hook_options()])],
        contexts=[dict(name='deploy-prod', owner='gh/acme', variables=[dict(name='DEPLOY_TOKEN', value='deploy-token-5678')],
                       update_value='on_create'),
                  dict(name='org-global', owner='github/acme', restrictions=[dict(type='project', value='gh/acme/api')]),
                  dict(name='ps-staging', owner='gh/acme', restrictions=[dict(type='project', value='gh/acme/api')],
                       variables=[dict(name='STAGING_TOKEN', value=VALUE)])]), workers=4)
    paths = [path.split('?')[0] for method, path in transport.requests() if method == 'GET']
    assert paths.count('/api/v2/me/collaborations') == 1 and paths.count('/api/v2/context') == 1
    assert paths.count(V2_API) == 1  # the webhooks' scope and two restrictions by slug
    created = [cid for cid, context in fake.contexts.items() if context['name'] == 'ps-staging']
    assert len(created) == 1 and fake.values(created[0]) == {'STAGING_TOKEN': VALUE}
    assert [item['restriction_value'] for item in fake.contexts[created[0]]['restrictions']] == [PROJECT_API]
    assert [entry['name'] for entry in result['contexts']] == ['ps-staging']  # the others needed no change
    assert (result['contexts_total'], result['contexts_changed'], result['projects_total']) == (3, 1, 1)
    assert fake.values(fake.deploy) == {'DEPLOY_TOKEN': 'deploy-token-5678'}


def test_failures_are_isolated_per_project_and_per_context(run, transport):
    api_project(transport)
    fake = contexts_fake(transport)
    fake.fail('GET', '/context/%s/restrictions' % fake.global_, answer(403, body={'message': 'Permission denied.'}))
    result = run('project_settings', dict(
        projects=[dict(project=SLUG, settings=dict(autocancel_builds=True))],
        contexts=[dict(name='org-global', owner='gh/acme', restrictions=[]),
                  dict(name='deploy-prod', owner='gh/acme', variables=[dict(name='NEW_ONE', value=VALUE)]),
                  dict(name='labs', owner='gh/acme-labs')]))
    assert result['failed'] is True and result['changed'] is True
    assert '2 of 3 contexts could not be converged (the others were): context org-global (gh/acme): GET /api/v2/context/' in result['msg']
    assert 'context labs (gh/acme-labs): organization gh/acme-labs is not among the organizations' in result['msg']
    assert 'projects could not be converged' not in result['msg'] and 'failed_projects' not in result
    assert [(failed['name'], failed['owner'], (failed['error'] or {}).get('status')) for failed in result['failed_contexts']] == [
        ('org-global', 'gh/acme', 403), ('labs', 'gh/acme-labs', None)]
    assert set(result['failed_contexts'][0]) == {'name', 'owner', 'reason', 'error'}
    listed = [(entry['name'], bool(entry.get('failure'))) for entry in result['contexts']]
    assert listed == [('org-global', True), ('deploy-prod', False), ('labs', True)]
    assert fake.values(fake.deploy)['NEW_ONE'] == VALUE
    assert result['projects'][0]['settings_result']['updated'] == ['autocancel_builds']


def test_the_ledger_vouches_for_the_values_so_the_second_run_only_reads(run, transport, tmp_path):
    fake = contexts_fake(transport)
    options = dict(ledger=str(tmp_path / 'contexts.ledger.json'),
                   contexts=[dict(name='deploy-prod', owner='gh/acme', variables=[dict(name='DEPLOY_TOKEN', value=VALUE)])])
    first = run('project_settings', options)
    assert first['changed'] is True and first['contexts'][0]['context_env_var_result']['updated'] == ['DEPLOY_TOKEN']
    assert fake.values(fake.deploy) == {'DEPLOY_TOKEN': VALUE}
    assert VALUE not in (tmp_path / 'contexts.ledger.json').read_text()
    transport.sent.clear()
    second = run('project_settings', options)
    assert second['changed'] is False and second['contexts'] == [] and second['api_requests'] == 3
    assert transport.writes() == []
    fake.set_var(fake.deploy, 'DEPLOY_TOKEN', 'rewritten-behind-the-back')
    third = run('project_settings', dict(options, details=True))
    assert third['contexts'][0]['context_env_var_result']['rewritten'] == ['DEPLOY_TOKEN']
    assert fake.values(fake.deploy) == {'DEPLOY_TOKEN': VALUE}
    no_secret(third)
