# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading

import pytest

from ansible_collections.community.circleci.plugins.module_utils._client import CircleCIClient, Outcome
from ansible_collections.community.circleci.plugins.module_utils._env_vars import (
    EnvVarError,
    apply_env_var_plan,
    converge_env_vars,
    describe_drift,
    drift_report,
    failure_message,
    mask,
    normalize_expected,
    plan_env_vars,
    validate_variables,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CircleCIError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project

API = Project('github', 'acme', 'api')
SEED = [
    {'name': 'API_KEY', 'value': 'xxxx6789'},        # sk_live_0123456789
    {'name': 'DATABASE_URL', 'value': 'xxxx/api'},   # postgres://db.internal/api
    {'name': 'SHORT', 'value': 'xxxx'},              # abc
]


def present(name, value):
    return {'name': name, 'value': value, 'state': 'present'}


def absent(name):
    return {'name': name, 'value': None, 'state': 'absent'}


class FakeClient:
    """Records requests; fails the k-th POST (1-based) when asked; map_concurrent runs in order like a pool of one."""

    def __init__(self, current=None, fail_post_at=None, post_error=None, delete_errors=None):
        self.current = [dict(item) for item in (current if current is not None else SEED)]
        self.fail_post_at = fail_post_at
        self.post_error = post_error or ServerError('POST', '/project/github/acme/api/envvar', 500, 'boom')
        self.delete_errors = delete_errors or {}
        self.calls = []
        self.posts = 0
        self._lock = threading.Lock()

    @property
    def writes(self):
        return [call for call in self.calls if call[0] != 'GET']

    def get(self, template, *args, params=None):
        self.calls.append(('GET', template, args))
        return [dict(item) for item in self.current]

    def post(self, template, *args, body=None, params=None, repeatable=False):
        with self._lock:
            self.posts += 1
            number = self.posts
        self.calls.append(('POST', template, args, dict(body), repeatable))
        if number == self.fail_post_at:
            raise self.post_error
        with self._lock:
            self.current = [item for item in self.current if item['name'] != body['name']] + [{'name': body['name'], 'value': mask(body['value'])}]
        return {'name': body['name'], 'value': mask(body['value'])}

    def delete(self, template, *args, body=None, params=None):
        self.calls.append(('DELETE', template, args))
        if args[1] in self.delete_errors:
            raise self.delete_errors[args[1]]
        self.current = [item for item in self.current if item['name'] != args[1]]
        return {'message': 'ok'}

    def map_concurrent(self, func, items):
        outcomes = []
        for item in items:
            try:
                outcomes.append(Outcome(item, func(item), None))
            except CircleCIError as error:
                outcomes.append(Outcome(item, None, error))
        return outcomes


# -- mask -----------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('', 'xxxx'),
    ('a', 'xxxx'),
    ('abc', 'xxxx'),           # shorter than 4: the API shows xxxx alone
    ('abcd', 'xxxxabcd'),      # exactly 4: the whole value shows
    ('testvalue', 'xxxxalue'),  # as recorded against circleci.com
    ('sk_live_0123456789', 'xxxx6789'),
    ('pässwörd', 'xxxxwörd'),   # code points, not bytes
    ('日本語の値です', 'xxxxの値です'),
    ('ab€', 'xxxx'),
    (None, 'xxxx'),
])
def test_mask(value, expected):
    assert mask(value) == expected


# -- validate_variables ---------------------------------------------------------------------

def test_validate_accepts_good_variables():
    assert validate_variables([present('A', 'x'), present('_b9', ''), absent('GONE'), {'name': 'C', 'value': 'v'}]) == []


@pytest.mark.parametrize('name', ['9LIVES', 'HAS-DASH', 'with space', 'DOT.NAME', 'ÜBER', ''])
def test_validate_rejects_bad_names(name):
    errors = validate_variables([present(name, 'v')])
    assert len(errors) == 1
    assert ('not valid' in errors[0]) or ('has no name' in errors[0])


def test_validate_rejects_duplicates_naming_the_items():
    errors = validate_variables([present('A', '1'), present('B', '2'), absent('A')])
    assert errors == ['variable A is listed 2 times (items 1, 3): list each name once']


def test_validate_needs_value_when_present_only():
    errors = validate_variables([present('A', None), absent('B'), {'name': 'C', 'state': 'present', 'value': 5}])
    assert errors == ['variable A: a value is required when state is present', 'variable C: the value must be a string']


def test_validate_rejects_bad_state_and_shapes():
    assert validate_variables('A=1') == ['variables must be a list of {name, value, state} items']
    assert validate_variables(['A']) == ['variables item 1 must be a dict with name, value and state']
    assert "state must be present or absent, got 'gone'" in validate_variables([{'name': 'A', 'state': 'gone'}])[0]


# -- plan_env_vars --------------------------------------------------------------------------

def test_plan_noop_for_the_seed_reports_unverified():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('DATABASE_URL', 'postgres://db.internal/api'),
                                present('SHORT', 'abc')])
    assert not plan.changed
    assert [c.name for c in plan.unchanged] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    assert plan.unverified == ['API_KEY', 'DATABASE_URL', 'SHORT']
    reasons = {c.name: c.reason for c in plan.unchanged}
    assert 'only the last 4 characters' in reasons['API_KEY']
    assert 'shorter than 4' in reasons['SHORT']
    assert plan.diff() == {'before': {'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'},
                           'after': {'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'}}


def test_same_suffix_different_value_is_unverified_and_unchanged():
    plan = plan_env_vars(SEED, [present('API_KEY', 'a-completely-different-secret-6789')])
    assert not plan.changed
    assert plan.unverified == ['API_KEY']
    assert [c.name for c in plan.unchanged] == ['API_KEY']


def test_short_value_versus_short_stored_is_unverified_but_versus_long_is_update():
    plan = plan_env_vars(SEED, [present('SHORT', 'xyz'), present('API_KEY', 'xyz')])
    assert plan.unverified == ['SHORT']
    assert [(c.name, c.action) for c in plan.update] == [('API_KEY', 'update')]
    assert plan.update[0].reason == 'the stored value xxxx6789 differs from the desired xxxx'


def test_exactly_four_characters_against_short_stored_is_update():
    plan = plan_env_vars(SEED, [present('SHORT', 'abcd')])
    assert [c.name for c in plan.update] == ['SHORT']
    assert plan.diff()['after']['SHORT'] == 'xxxxabcd'


def test_add_update_delete_and_absent_of_missing():
    plan = plan_env_vars(SEED, [present('NEW', 'value-1'), present('API_KEY', 'sk_live_9999999990'), absent('SHORT'), absent('NEVER_SET')])
    assert [c.name for c in plan.add] == ['NEW']
    assert [c.name for c in plan.update] == ['API_KEY']
    assert [c.name for c in plan.delete] == ['SHORT']
    assert [(c.name, c.reason) for c in plan.unchanged] == [('NEVER_SET', 'absent already')]
    assert plan.unverified == []
    assert plan.changed
    diff = plan.diff()
    assert diff['after'] == {'API_KEY': 'xxxx9990', 'DATABASE_URL': 'xxxx/api', 'NEW': 'xxxxue-1'}
    assert 'value-1' not in repr(diff) and 'sk_live_9999999990' not in repr(diff)


def test_absent_of_missing_variable_is_no_change():
    plan = plan_env_vars(SEED, [absent('NOT_THERE')])
    assert not plan.changed
    assert plan.to_result()['unchanged'] == ['NOT_THERE']


def test_purge_deletes_unlisted_only():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('NEW', 'n')], purge=True)
    assert [c.name for c in plan.delete] == ['DATABASE_URL', 'SHORT']
    assert all(c.reason == 'not listed, and purge is true' for c in plan.delete)
    assert [c.name for c in plan.add] == ['NEW']
    assert plan.after == {'API_KEY': 'xxxx6789', 'NEW': 'xxxx'}


def test_purge_with_empty_list_deletes_everything():
    plan = plan_env_vars(SEED, [], purge=True)
    assert [c.name for c in plan.delete] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    assert plan.after == {}


def test_without_purge_unlisted_are_kept():
    plan = plan_env_vars(SEED, [present('NEW', 'n')])
    assert plan.delete == []
    assert set(plan.after) == {'API_KEY', 'DATABASE_URL', 'SHORT', 'NEW'}


def test_update_value_always_writes_every_present_variable():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456789'), present('NEW', 'n'), absent('GONE')], update_value='always')
    assert [c.name for c in plan.update] == ['API_KEY']
    assert [c.name for c in plan.add] == ['NEW']
    assert plan.changed
    assert plan.unverified == []


def test_update_value_on_create_never_updates_existing():
    plan = plan_env_vars(SEED, [present('API_KEY', 'totally-different'), present('NEW', 'n')], update_value='on_create')
    assert plan.update == []
    assert [c.name for c in plan.add] == ['NEW']
    assert [c.name for c in plan.unchanged] == ['API_KEY']
    assert plan.unverified == []
    assert 'on_create' in plan.unchanged[0].reason


def test_update_value_when_masked_differs_updates_on_different_suffix():
    plan = plan_env_vars(SEED, [present('API_KEY', 'sk_live_0123456780')])
    assert [c.name for c in plan.update] == ['API_KEY']


def test_plan_rejects_bad_input_and_mode():
    with pytest.raises(EnvVarError, match='listed 2 times'):
        plan_env_vars(SEED, [present('A', '1'), present('A', '2')])
    with pytest.raises(EnvVarError, match='update_value must be one of'):
        plan_env_vars(SEED, [], update_value='sometimes')


def test_result_never_holds_a_clear_value():
    secret = 'super-secret-value-42'
    result = plan_env_vars(SEED, [present('NEW', secret), present('API_KEY', secret)]).to_result()
    assert secret not in repr(result)
    assert result['added'] == ['NEW'] and result['updated'] == ['API_KEY']
    assert {'name': 'NEW', 'value': 'xxxxe-42'} in result['env_vars']
    assert [step['action'] for step in result['plan']] == ['add', 'update']


# -- apply ----------------------------------------------------------------------------------

def test_apply_writes_are_repeatable_posts_and_deletions_come_last():
    client = FakeClient()
    plan = plan_env_vars(SEED, [absent('SHORT'), present('NEW', 'new-value'), present('API_KEY', 'other-value')])
    outcome = apply_env_var_plan(client, API, plan)
    assert outcome == {'added': ['NEW'], 'updated': ['API_KEY'], 'deleted': ['SHORT'], 'failures': [], 'not_attempted': []}
    assert [call[0] for call in client.writes] == ['POST', 'POST', 'DELETE']
    assert client.writes[0] == ('POST', 'project/{}/envvar', (API,), {'name': 'NEW', 'value': 'new-value'}, True)
    assert client.writes[2] == ('DELETE', 'project/{}/envvar/{}', (API, 'SHORT'))


def test_apply_failing_write_stops_and_skips_deletions():
    client = FakeClient(fail_post_at=2)
    desired = [present('N1', 'v1'), present('N2', 'v2'), present('N3', 'v3'), present('N4', 'v4')]
    plan = plan_env_vars(SEED, desired, purge=True)
    outcome = apply_env_var_plan(client, API, plan)
    assert outcome['added'] == ['N1']
    assert [(f['name'], f['action'], f['status']) for f in outcome['failures']] == [('N2', 'add', 500)]
    assert 'HTTP 500' in outcome['failures'][0]['reason']
    assert outcome['not_attempted'] == ['N3', 'N4', 'API_KEY', 'DATABASE_URL', 'SHORT']
    assert outcome['deleted'] == []
    assert not [call for call in client.calls if call[0] == 'DELETE']
    assert client.posts == 2
    # nothing applied was undone
    assert {item['name'] for item in client.current} == {'API_KEY', 'DATABASE_URL', 'SHORT', 'N1'}


class PooledFakeClient(FakeClient):
    """The same fake, but with the real client's bounded thread pool."""

    max_workers = 4

    def map_concurrent(self, func, items):
        return CircleCIClient.map_concurrent(self, func, items)


def test_apply_on_a_real_pool_accounts_for_every_change():
    client = PooledFakeClient(fail_post_at=3)
    desired = [present('N%d' % number, 'value-%d' % number) for number in range(1, 11)] + [absent('SHORT')]
    outcome = apply_env_var_plan(client, API, plan_env_vars(SEED, desired))
    assert len(outcome['failures']) == 1
    assert 'SHORT' in outcome['not_attempted']
    assert outcome['deleted'] == []
    assert not [call for call in client.calls if call[0] == 'DELETE']
    names = outcome['added'] + [item['name'] for item in outcome['failures']] + outcome['not_attempted']
    assert sorted(names) == sorted(['N%d' % number for number in range(1, 11)] + ['SHORT'])
    assert {item['name'] for item in client.current} - {'API_KEY', 'DATABASE_URL', 'SHORT'} == set(outcome['added'])


def test_apply_on_a_real_pool_without_failure_applies_everything():
    client = PooledFakeClient()
    desired = [present('N%d' % number, 'value-%d' % number) for number in range(1, 11)]
    outcome = apply_env_var_plan(client, API, plan_env_vars(SEED, desired, purge=True))
    assert outcome['added'] == ['N%d' % number for number in range(1, 11)]
    assert outcome['deleted'] == ['API_KEY', 'DATABASE_URL', 'SHORT']
    methods = [call[0] for call in client.calls]
    assert methods == ['POST'] * 10 + ['DELETE'] * 3


def test_apply_delete_of_a_variable_gone_meanwhile_counts_as_deleted():
    gone = NotFoundError('DELETE', '/project/github/acme/api/envvar/SHORT', 404, 'env var not found')
    client = FakeClient(delete_errors={'SHORT': gone})
    outcome = apply_env_var_plan(client, API, plan_env_vars(SEED, [absent('SHORT')]))
    assert outcome['deleted'] == ['SHORT'] and outcome['failures'] == []


def test_apply_delete_failure_is_reported():
    denied = PermissionDeniedError('DELETE', '/project/github/acme/api/envvar/SHORT', 403, 'Permission denied')
    client = FakeClient(delete_errors={'SHORT': denied})
    outcome = apply_env_var_plan(client, API, plan_env_vars(SEED, [absent('SHORT'), absent('API_KEY')]))
    assert outcome['failures'][0]['name'] == 'SHORT' and outcome['failures'][0]['status'] == 403
    assert outcome['not_attempted'] == ['API_KEY']
    assert outcome['deleted'] == []


# -- converge -------------------------------------------------------------------------------

def test_converge_noop_is_one_request():
    client = FakeClient()
    result = converge_env_vars(client, API, [present('API_KEY', 'sk_live_0123456789')])
    assert len(client.calls) == 1 and client.calls[0][0] == 'GET'
    assert result['changed'] is False
    assert result['unverified'] == ['API_KEY']
    assert result['project'] == 'gh/acme/api'


def test_converge_k_changes_cost_one_plus_k():
    client = FakeClient()
    result = converge_env_vars(client, API, [present('A', 'aaaa1'), present('B', 'bbbb2'), absent('SHORT')])
    assert len(client.calls) == 4
    assert result['changed'] and result['added'] == ['A', 'B'] and result['deleted'] == ['SHORT']
    assert result['env_vars'] == [{'name': 'A', 'value': 'xxxxaaa1'}, {'name': 'API_KEY', 'value': 'xxxx6789'},
                                  {'name': 'B', 'value': 'xxxxbbb2'}, {'name': 'DATABASE_URL', 'value': 'xxxx/api'}]


def test_converge_check_mode_sends_no_write():
    client = FakeClient()
    result = converge_env_vars(client, API, [present('A', 'a'), absent('SHORT')], purge=True, check_mode=True)
    assert client.writes == []
    assert result['changed'] is True
    assert result['added'] == ['A'] and result['deleted'] == ['SHORT', 'API_KEY', 'DATABASE_URL']


def test_converge_partial_failure_result_and_message():
    client = FakeClient(fail_post_at=2)
    result = converge_env_vars(client, API, [present('A', 'a1234'), present('B', 'b1234'), present('C', 'c1234'), absent('SHORT')])
    assert result['changed'] is True
    assert result['added'] == ['A'] and result['not_attempted'] == ['C', 'SHORT']
    assert result['diff']['after'] == {'A': 'xxxx1234', 'API_KEY': 'xxxx6789', 'DATABASE_URL': 'xxxx/api', 'SHORT': 'xxxx'}
    message = failure_message(result)
    assert message.startswith('Environment variables of gh/acme/api were only partly converged. applied: added A. failed: add B: POST')
    assert 'not attempted: C, SHORT' in message
    assert 'running the task again converges' in message


def test_converge_validates_before_any_request():
    client = FakeClient()
    with pytest.raises(EnvVarError, match='not valid'):
        converge_env_vars(client, API, [present('BAD-NAME', 'x')])
    assert client.calls == []


def test_converge_rejects_a_non_list_answer():
    client = FakeClient()
    client.get = lambda *args, **kwargs: {'message': 'odd'}
    with pytest.raises(InvalidResponseError, match='JSON list'):
        converge_env_vars(client, API, [])


# -- drift ----------------------------------------------------------------------------------

def test_drift_in_sync_with_unverified_values():
    report = drift_report(SEED, {'API_KEY': 'sk_live_0123456789', 'DATABASE_URL': None, 'SHORT': 'xyz'})
    assert report == {'missing': [], 'unexpected': [], 'masked_mismatch': [], 'unverified': ['API_KEY', 'SHORT'], 'in_sync': True}


def test_drift_reports_each_kind():
    report = drift_report(SEED, {'API_KEY': 'wrong-suffix', 'MISSING_ONE': '', 'SHORT': None})
    assert report == {'missing': ['MISSING_ONE'], 'unexpected': ['DATABASE_URL'], 'masked_mismatch': ['API_KEY'],
                      'unverified': [], 'in_sync': False}
    assert describe_drift('gh/acme/api', report) == \
        'gh/acme/api: missing: MISSING_ONE; unexpected: DATABASE_URL; value differs (masked form): API_KEY'
    assert describe_drift('gh/acme/api', drift_report(SEED, ['API_KEY', 'DATABASE_URL', 'SHORT'])) is None


def test_drift_names_only_list():
    report = drift_report(SEED, ['API_KEY', 'OTHER'])
    assert report['missing'] == ['OTHER'] and report['unexpected'] == ['DATABASE_URL', 'SHORT'] and report['unverified'] == []


def test_normalize_expected():
    assert normalize_expected({'A': 'v', 'B': None, 'C': '', 'D': 5}) == {'A': 'v', 'B': None, 'C': None, 'D': '5'}
    assert normalize_expected(['A', 'B']) == {'A': None, 'B': None}
    with pytest.raises(EnvVarError):
        normalize_expected('A')


def test_failure_message_when_nothing_was_applied():
    denied = PermissionDeniedError('POST', '/project/github/acme/api/envvar', 403, 'Permission denied')
    client = FakeClient(fail_post_at=1, post_error=denied)
    result = converge_env_vars(client, API, [present('A', 'a1234')])
    assert result['changed'] is False
    assert result['failures'][0]['status'] == 403
    message = failure_message(result)
    assert message.startswith('Environment variables of gh/acme/api were not converged. applied: nothing. failed: add A: POST')
    assert message.endswith('Running the task again retries every change.')


def test_drift_report_can_allow_unexpected_names():
    current = [{'name': 'A', 'value': 'xxxx1234'}, {'name': 'EXTRA', 'value': 'xxxxabcd'}]
    strict = drift_report(current, {'A': 'value-1234'})
    lenient = drift_report(current, {'A': 'value-1234'}, allow_unexpected=True)
    assert strict['unexpected'] == lenient['unexpected'] == ['EXTRA']
    assert not strict['in_sync']
    assert lenient['in_sync']
    assert not drift_report(current, {'B': None}, allow_unexpected=True)['in_sync']
