# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Context variables: the plan with and without a ledger, drift, and context_env_var / context_info against a stand-in."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.community.circleci.plugins.module_utils import _ledger
from ansible_collections.community.circleci.plugins.module_utils._context_env_vars import (
    LedgerView,
    check_options,
    drift_report,
    plan_context_vars,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._ledger import Ledger, entry_key
from ansible_collections.community.circleci.tests.unit.contexts_fake import ORG_GH, FakeContexts
from ansible_collections.community.circleci.tests.unit.fakes import answer, cut, read_timeout, reset

T0 = '2024-05-02T12:00:00.000Z'
SEED = {'DEPLOY_TOKEN': 'deploy-token-5678', 'DEPLOY_REGION': 'eu-west-1'}


def current(**times):
    return {name: {'created_at': T0, 'updated_at': value} for name, value in times.items()}


def ledger_with(tmp_path, owner='o', context='c', **records):
    ledger = Ledger.load(str(tmp_path / 'ledger.json'))
    for name, (updated_at, value) in records.items():
        ledger.record(entry_key(owner, context, name), updated_at, value)
    return LedgerView(ledger, {'id': owner}, {'id': context})


def item(name, value=None, state='present'):
    return {'name': name, 'value': value, 'state': state}


# -- the plan ---------------------------------------------------------------------------------------------

def test_without_a_ledger_on_create_leaves_existing_variables_alone_and_says_they_are_unverified():
    plan = plan_context_vars(current(A=T0), [item('A', 'a-value'), item('B', 'b-value'), item('C', state='absent')])
    assert [c.name for c in plan.add] == ['B'] and plan.update == [] and plan.unverified == ['A']
    assert [c.name for c in plan.unchanged] == ['A', 'C'] and plan.rewritten == []
    assert 'never returns the value' in plan.unchanged[0].reason


def test_always_writes_every_present_variable():
    plan = plan_context_vars(current(A=T0), [item('A', 'a-value')], update_value='always')
    assert [c.name for c in plan.update] == ['A'] and plan.unverified == []


def test_when_changed_needs_a_ledger():
    with pytest.raises(InputError, match='needs a ledger'):
        plan_context_vars(current(A=T0), [item('A', 'a')], update_value='when_changed')


def test_when_changed_writes_only_what_the_ledger_cannot_vouch_for(tmp_path):
    view = ledger_with(tmp_path, SAME=(T0, 'same'), ROTATED=(T0, 'old'), OUTSIDE=(T0, 'mine'), GONE=(T0, 'g'))
    now = current(SAME=T0, ROTATED=T0, OUTSIDE='2024-06-09T09:09:09.000Z', NEW_TO_LEDGER=T0)
    plan = plan_context_vars(now, [item('SAME', 'same'), item('ROTATED', 'new'), item('OUTSIDE', 'mine'),
                                   item('NEW_TO_LEDGER', 'x'), item('GONE', 'g')], update_value='when_changed', ledger=view)
    reasons = {c.name: c.reason for c in plan.add + plan.update + plan.unchanged}
    assert [c.name for c in plan.unchanged] == ['SAME'] and plan.unverified == []
    assert [c.name for c in plan.update] == ['ROTATED', 'OUTSIDE', 'NEW_TO_LEDGER'] and [c.name for c in plan.add] == ['GONE']
    assert plan.rewritten == ['OUTSIDE']
    assert 'differs from the one last written' in reasons['ROTATED']
    assert 'rewritten outside this playbook: CircleCI shows updated_at 2024-06-09T09:09:09.000Z' in reasons['OUTSIDE']
    assert 'no record' in reasons['NEW_TO_LEDGER'] and 'deleted outside' in reasons['GONE']
    assert 'unchanged since written' in reasons['SAME']


def test_on_create_with_a_ledger_still_reports_rewrites(tmp_path):
    view = ledger_with(tmp_path, A=(T0, 'a'))
    plan = plan_context_vars(current(A='2024-06-09T09:09:09.000Z'), [item('A', 'a')], update_value='on_create', ledger=view)
    assert plan.rewritten == ['A'] and not plan.changed


def test_purge_deletes_unlisted_variables():
    plan = plan_context_vars(current(A=T0, B=T0), [item('A', 'a')], purge=True)
    assert [c.name for c in plan.delete] == ['B'] and plan.diff()['after'] == {'A': T0}


def test_the_diff_shows_timestamps_never_values():
    plan = plan_context_vars(current(A=T0), [item('A', 'secret-a'), item('B', 'secret-b')], update_value='always')
    assert plan.diff() == {'before': {'A': T0}, 'after': {'A': '(to be written)', 'B': '(to be written)'}}
    assert 'secret' not in json.dumps(plan.to_result())


@pytest.mark.parametrize('options, says', [
    (dict(context='ctx', owner='gh/acme', update_value='when_changed'), 'needs a ledger'),
    (dict(context_id='not-a-uuid'), 'not a context id'),
    (dict(context_id='f3e9363b-e6e3-44de-8de1-542479a869b1', ledger='/tmp/x.json'), 'give owner with context_id'),
    (dict(context=' ctx', owner='gh/acme'), 'white space'),
    (dict(context='ctx', owner='acme'), 'must look like gh/acme'),
    (dict(context='ctx', owner='gh/acme', name='BAD-NAME', value='x'), 'the name is not valid'),
    (dict(context='ctx', owner='gh/acme', name='A', value=True), 'must be a string, not a boolean'),
])
def test_bad_options_are_refused_before_any_request(options, says):
    base = dict(context=None, context_id=None, owner=None, name='A', value='a-value', state='present', variables=None,
                purge=False, update_value=None, ledger=None)
    base.update(options)
    with pytest.raises(InputError, match=says):
        check_options(base)


# -- drift ------------------------------------------------------------------------------------------------

def test_drift_without_a_ledger_compares_names_only():
    report = drift_report(current(A=T0, B=T0), {'A': 'a-value', 'B': None, 'C': None})
    assert report == {'missing': ['C'], 'unexpected': [], 'masked_mismatch': [], 'unverified': ['A'], 'rewritten': [],
                      'digest_mismatch': [], 'in_sync': False}


def test_drift_with_a_ledger_proves_values_and_finds_rewrites(tmp_path):
    view = ledger_with(tmp_path, SAME=(T0, 'same'), OTHER=(T0, 'written'), MOVED=(T0, 'moved'))
    report = drift_report(current(SAME=T0, OTHER=T0, MOVED='2024-06-09T09:09:09.000Z', NEW=T0),
                          {'SAME': 'same', 'OTHER': 'expected', 'MOVED': 'moved', 'NEW': 'new'}, ledger=view)
    assert report['unverified'] == ['NEW'] and report['digest_mismatch'] == ['OTHER'] and report['rewritten'] == ['MOVED']
    assert report['masked_mismatch'] == [] and report['in_sync'] is False
    assert drift_report(current(SAME=T0), {'SAME': 'same'}, ledger=view)['in_sync'] is True


# -- context_env_var ------------------------------------------------------------------------------------------

@pytest.fixture
def fake(transport):
    contexts = FakeContexts().install(transport)
    contexts.cid = contexts.add_context('deploy-prod', variables={'DEPLOY_TOKEN': 'deploy-token-5678'})
    return contexts


def args(**options):
    base = dict(context='deploy-prod', owner='gh/acme')
    base.update(options)
    return base


def variables(**values):
    return [{'name': name, 'value': value} for name, value in values.items()]


def test_quartet_without_a_ledger(run, transport, fake):
    wanted = args(variables=variables(**SEED))
    check = run('context_env_var', wanted, check_mode=True, diff=True)
    assert check['changed'] and check['added'] == ['DEPLOY_REGION'] and check['unverified'] == ['DEPLOY_TOKEN']
    assert check['diff']['after'] == {'DEPLOY_REGION': '(to be written)', 'DEPLOY_TOKEN': T0}
    assert transport.writes() == [] and check['api_requests'] == 3
    real = run('context_env_var', wanted)
    assert real['changed'] and real['added'] == ['DEPLOY_REGION'] and fake.values(fake.cid) == SEED
    assert [(method, path.rsplit('/', 1)[-1]) for method, path in transport.writes()] == [('PUT', 'DEPLOY_REGION')]
    assert transport.bodies('PUT') == [{'value': 'eu-west-1'}]
    del transport.sent[:]
    assert not run('context_env_var', wanted, check_mode=True)['changed']
    again = run('context_env_var', wanted)
    assert not again['changed'] and again['api_requests'] == 3 and transport.writes() == []
    assert again['unverified'] == ['DEPLOY_TOKEN', 'DEPLOY_REGION']  # in the order listed
    assert {entry['name'] for entry in again['variables']} == set(SEED)


def test_always_rewrites_and_never_deletes_first(run, transport, fake):
    result = run('context_env_var', args(name='DEPLOY_TOKEN', value='deploy-token-0002', update_value='always'))
    assert result['updated'] == ['DEPLOY_TOKEN'] and fake.values(fake.cid)['DEPLOY_TOKEN'] == 'deploy-token-0002'
    assert [method for method, dummy in transport.writes()] == ['PUT']


def test_when_changed_without_a_ledger_fails_before_any_request(run, transport, fake):
    result = run('context_env_var', args(name='DEPLOY_TOKEN', value='x-value', update_value='when_changed'))
    assert result['failed'] and 'needs a ledger' in result['msg'] and transport.requests() == []


def test_the_ledger_quartet_rotation_and_an_outside_rewrite(run, transport, fake, tmp_path):
    path = tmp_path / 'ledger.json'
    wanted = args(variables=variables(**SEED), ledger=str(path))
    check = run('context_env_var', wanted, check_mode=True)
    assert check['updated'] == ['DEPLOY_TOKEN'] and check['added'] == ['DEPLOY_REGION'] and not path.exists()
    assert transport.writes() == []
    real = run('context_env_var', wanted)
    assert real['changed'] and sorted(real['added'] + real['updated']) == ['DEPLOY_REGION', 'DEPLOY_TOKEN']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert 'deploy-token-5678' not in text and 'eu-west-1' not in text
    ledger = json.loads(text)['variables']
    assert sorted(key.rsplit('/', 1)[-1] for key in ledger) == ['DEPLOY_REGION', 'DEPLOY_TOKEN']
    assert all(key.startswith('%s/%s/' % (ORG_GH, fake.cid)) for key in ledger)
    stored = {name: var['updated_at'] for name, var in fake.contexts[fake.cid]['variables'].items()}
    assert {key.rsplit('/', 1)[-1]: record['updated_at'] for key, record in ledger.items()} == stored

    del transport.sent[:]
    assert not run('context_env_var', wanted, check_mode=True)['changed']
    again = run('context_env_var', wanted)
    assert not again['changed'] and again['unverified'] == [] and again['rewritten'] == [] and transport.writes() == []
    assert all(step['verified'] for step in again['plan'])

    rotated = run('context_env_var', args(variables=variables(DEPLOY_TOKEN='deploy-token-0002', DEPLOY_REGION='eu-west-1'),
                                          ledger=str(path)))
    assert rotated['updated'] == ['DEPLOY_TOKEN'] and rotated['unchanged'] == ['DEPLOY_REGION']

    fake.set_var(fake.cid, 'DEPLOY_REGION', 'us-east-2')  # behind the playbook's back
    before = path.read_bytes()
    seen = run('context_env_var', wanted, check_mode=True)
    assert seen['rewritten'] == ['DEPLOY_REGION'] and 'DEPLOY_REGION' in seen['updated'] and path.read_bytes() == before
    fixed = run('context_env_var', wanted)
    assert fixed['rewritten'] == ['DEPLOY_REGION'] and sorted(fixed['updated']) == ['DEPLOY_REGION', 'DEPLOY_TOKEN']
    assert fake.values(fake.cid) == SEED
    assert not run('context_env_var', wanted)['changed']


def test_a_no_op_costs_the_same_reads_for_3_or_30_variables(run, transport, fake):
    fake.page_size = 100
    for count in (3, 30):
        cid = fake.add_context('ctx-%d' % count, variables={'V_%02d' % n: 'value-%02d' % n for n in range(count)})
        assert cid
        wanted = variables(**{'V_%02d' % n: 'value-%02d' % n for n in range(count)})
        result = run('context_env_var', args(context='ctx-%d' % count, variables=wanted))
        assert not result['changed'] and result['api_requests'] == 3


def test_context_id_alone_costs_one_read(run, transport, fake):
    result = run('context_env_var', dict(context_id=fake.cid, name='DEPLOY_TOKEN', value='deploy-token-5678'))
    assert not result['changed'] and result['api_requests'] == 1 and result['context']['id'] == fake.cid


def test_an_unknown_context_fails_in_a_real_run_and_is_planned_empty_in_check_mode(run, transport, fake, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, message: warnings.append(message))
    check = run('context_env_var', args(context='not-yet', name='A', value='a-value'), check_mode=True)
    assert check['changed'] and check['added'] == ['A'] and warnings == [
        'context not-yet does not exist in gh/acme (yet): check mode plans its variables as if it were empty']
    real = run('context_env_var', args(context='not-yet', name='A', value='a-value'))
    assert real['failed'] and 'create it first' in real['msg'] and real['changed'] is False and transport.writes() == []
    absent = run('context_env_var', args(context='not-yet', name='A', state='absent'))
    assert not absent['changed'] and absent.get('failed') is None


def test_purge_and_a_missing_variable_on_delete(run, transport, fake):
    fake.fail('DELETE', r'/environment-variable/DEPLOY_TOKEN$', answer(404, body={'message': 'Environment variable not found.'}))
    result = run('context_env_var', args(variables=[], purge=True))
    assert result['deleted'] == ['DEPLOY_TOKEN'] and result.get('failed') is None


def test_a_failed_write_says_what_was_applied_and_a_rerun_converges(run, transport, fake, tmp_path):
    path = str(tmp_path / 'ledger.json')
    wanted = args(variables=variables(A='a-value', B='b-value', C='c-value'), ledger=path, retries=0)
    fake.fail('PUT', r'/B$', answer(500, body={'message': 'Internal server error.'}))
    failed = run('context_env_var', wanted)
    # The 500 may have been applied: the variables read again show it was not.
    assert failed['failed'] and failed['failures'][0]['name'] == 'B' and failed['failures'][0]['outcome'] == 'not_applied'
    assert 'A' in failed['added'] and 'were only partly converged' in failed['msg']
    recorded = {key.rsplit('/', 1)[-1] for key in json.loads(open(path).read())['variables']}
    assert 'A' in recorded and 'B' not in recorded
    rerun = run('context_env_var', dict(wanted, retries=5))
    assert rerun.get('failed') is None and 'B' in rerun['added']
    assert fake.values(fake.cid) == dict(A='a-value', B='b-value', C='c-value', DEPLOY_TOKEN='deploy-token-5678')
    assert not run('context_env_var', dict(wanted, retries=5))['changed']


@pytest.mark.parametrize('fault', ['500-after', 'reset-after', 'cut-after', 'timeout-after'])
def test_a_write_whose_answer_is_lost_is_settled_and_recorded(run, transport, fake, tmp_path, fault):
    def applied_then(request):
        fake.serve(request)
        return {'500-after': answer(500, body={'message': 'Internal server error.'}), 'reset-after': reset(),
                'cut-after': cut(200, '{"variable": "A", "upd'), 'timeout-after': read_timeout()}[fault]

    path = str(tmp_path / 'ledger.json')
    fake.fail('PUT', r'/A$', applied_then)
    result = run('context_env_var', args(name='A', value='a-value', ledger=path, retries=0))
    assert result.get('failed') is None and result['added'] == ['A'] and fake.values(fake.cid)['A'] == 'a-value'
    again = run('context_env_var', args(name='A', value='a-value', ledger=path))
    assert not again['changed'], 'the settled write was recorded with the updated_at CircleCI shows'


def test_retried_writes_are_upserts_and_lose_nothing(run, transport, fake):
    fake.fail('PUT', r'/B$', answer(429, body={'message': 'Rate limit exceeded.'}, headers={'Retry-After': '1'}),
              answer(503, text='<html>503</html>'))
    result = run('context_env_var', args(variables=variables(A='a-value', B='b-value')))
    assert result['added'] == ['A', 'B'] and result['api_retries'] == 2
    assert fake.values(fake.cid)['B'] == 'b-value'


def test_an_unknown_outcome_drops_the_ledger_record(run, transport, fake, tmp_path):
    path = str(tmp_path / 'ledger.json')
    assert run('context_env_var', args(name='DEPLOY_TOKEN', value='deploy-token-5678', ledger=path))['changed']
    fake.fail('PUT', r'/DEPLOY_TOKEN$', read_timeout())
    fake.fail('GET', r'/environment-variable$', fake.serve, reset())  # the plan's read works, the read-back does not
    result = run('context_env_var', args(name='DEPLOY_TOKEN', value='deploy-token-0002', ledger=path, update_value='always', retries=0))
    assert result['failed'] and result['failures'][0]['outcome'] == 'unknown'
    assert json.loads(open(path).read())['variables'] == {}


def test_no_value_or_digest_in_results_or_request_paths(run, transport, fake, tmp_path):
    path = str(tmp_path / 'ledger.json')
    secret = 'S3cr3t-canary-value-9f8e'
    result = run('context_env_var', args(name='CANARY', value=secret, ledger=path), diff=True)
    digests = [record['digest'].split(':', 1)[1] for record in json.loads(open(path).read())['variables'].values()]
    dumped = json.dumps(result)
    assert secret not in dumped and secret[:-4] not in dumped and not any(digest in dumped for digest in digests)
    assert not any(secret in url for url in transport.urls())


# -- context_info ------------------------------------------------------------------------------------------

def test_info_lists_contexts_with_variables_and_restrictions(run, transport, fake):
    fake.add_context('org-global', variables={'A': 'a'}, restrictions=[('expression', 'pipeline.git.branch == "main"')])
    result = run('context_info', dict(owner='gh/acme'))
    assert [c['name'] for c in result['contexts']] == ['deploy-prod', 'org-global']
    assert result['api_requests'] == 2 + 2 * 2 and 'drift' not in result and 'context' not in result
    assert result['contexts'][1]['restrictions'][0]['type'] == 'expression'
    assert result['contexts'][0]['variables'] == [{'name': 'DEPLOY_TOKEN', 'created_at': T0, 'updated_at': T0, 'ledger_status': None}]


def test_info_drift_by_names_and_for_a_missing_context(run, transport, fake):
    result = run('context_info', dict(owner='gh/acme', name='deploy-prod', expected_names=['DEPLOY_TOKEN', 'OTHER']))
    assert result['drift']['missing'] == ['OTHER'] and not result['in_sync'] and result['api_requests'] == 4
    nothing = run('context_info', dict(owner='gh/acme', name='nope', expected={'A': 'a-value'}))
    assert nothing['contexts'] == [] and nothing['context'] is None and nothing['drift']['missing'] == ['A']
    failed = run('context_info', dict(owner='gh/acme', name='deploy-prod', expected_names=['OTHER'], fail_on_drift=True))
    assert failed['failed'] and 'Context deploy-prod drifted from expected: missing: OTHER; unexpected: DEPLOY_TOKEN.' == failed['msg']


def test_info_with_the_ledger_proves_values_and_reports_rewrites(run, transport, fake, tmp_path):
    path = str(tmp_path / 'ledger.json')
    run('context_env_var', args(variables=variables(**SEED), ledger=path))
    writes = len(transport.writes())
    proven = run('context_info', dict(owner='gh/acme', name='deploy-prod', expected=SEED, ledger=path))
    assert proven['in_sync'] and proven['drift']['unverified'] == [] and proven['drift']['rewritten'] == []
    assert {v['ledger_status'] for v in proven['context']['variables']} == {'unchanged'}
    fake.set_var(fake.cid, 'DEPLOY_TOKEN', 'changed-outside')
    drifted = run('context_info', dict(owner='gh/acme', name='deploy-prod', expected=dict(SEED, DEPLOY_REGION='us-west-2'),
                                       ledger=path))
    assert drifted['drift']['rewritten'] == ['DEPLOY_TOKEN'] and drifted['drift']['digest_mismatch'] == ['DEPLOY_REGION']
    assert not drifted['in_sync']
    statuses = {v['name']: v['ledger_status'] for v in drifted['contexts'][0]['variables']}
    assert statuses == {'DEPLOY_REGION': 'unchanged', 'DEPLOY_TOKEN': 'rewritten'}
    assert len(transport.writes()) == writes and 'changed-outside' not in json.dumps(drifted)


def test_info_needs_a_name_for_drift(run, transport, fake):
    result = run('context_info', dict(owner='gh/acme', expected_names=['A']))
    assert result['failed'] and 'expected_names' in result['msg'] and transport.requests() == []


def test_a_ledger_that_cannot_be_saved_fails_before_any_request_but_not_in_check_mode(run, transport, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(_ledger.os, 'access', lambda path, mode: False)
    wanted = args(name='DEPLOY_TOKEN', value='deploy-token-5678', ledger=str(tmp_path / 'ledger.json'))
    refused = run('context_env_var', wanted)
    assert refused['failed'] and 'is not writable' in refused['msg'] and transport.requests() == []
    assert run('context_env_var', wanted, check_mode=True).get('failed') is None


def test_a_ledger_that_fails_to_save_after_the_writes_says_so_and_reports_the_change(run, transport, fake, tmp_path, monkeypatch):
    def broken(source, target):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(_ledger.os, 'replace', broken)
    result = run('context_env_var', args(name='NEW_ONE', value='new-value', ledger=str(tmp_path / 'ledger.json')))
    assert result['failed'] and result['changed'] is True and result['added'] == ['NEW_ONE']
    assert 'could not be saved (No space left on device)' in result['msg'] and fake.values(fake.cid)['NEW_ONE'] == 'new-value'
