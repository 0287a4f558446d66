# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schedules: timetable validation, the option rules and the plan (pure), and schedule / schedule_info against scripted
API v2 answers."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _schedules
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._slug import parse_project
from ansible_collections.community.circleci.tests.unit.answers import SLUG
from ansible_collections.community.circleci.tests.unit.fakes import answer, cut, read_timeout, reset

PROJECT = parse_project(SLUG)
SCHEDULE_ID = 'cd724574-9aaf-4179-9bc1-c141d61d3922'
NEW_ID = '26b79122-c287-4a9b-8d91-67e57a9970fb'
LIST = r'^/api/v2/project/github/acme/api/schedule'
ITEM = r'^/api/v2/schedule/' + SCHEDULE_ID + '$'
WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI']
USER = {'id': '59019cd3-9c3e-5993-9bf9-0404000681df', 'login': 'acme-bot', 'name': 'Acme Bot'}
SYSTEM = {'id': 'd9b3fcaa-6032-405a-8c13-5d2d3f0afe3e', 'login': 'system-actor', 'name': 'Scheduled'}
TIMETABLE = dict(per_hour=1, hours_of_day=[2], days_of_week=WEEKDAYS)


def schedule(schedule_id=SCHEDULE_ID, name='nightly', description='Nightly build of main', timetable=None, parameters=None,
             actor=None, updated='2024-05-02T12:00:00.000Z'):
    """A schedule as API v2 answers it (hyphenated keys)."""
    return {'id': schedule_id, 'name': name, 'description': description, 'project-slug': SLUG,
            'timetable': timetable or {'per-hour': 1, 'hours-of-day': [2], 'days-of-week': list(WEEKDAYS)},
            'parameters': parameters or {'branch': 'main'}, 'actor': actor or dict(USER),
            'created-at': '2024-05-02T12:00:00.000Z', 'updated-at': updated}


def page(*items, token=None):
    return answer(body={'items': list(items), 'next_page_token': token})


def args(**extra):
    """Module arguments; an option given as None is left out (as omit does in a playbook)."""
    base = dict(project=SLUG, name='nightly', timetable=dict(TIMETABLE), branch='main')
    base.update(extra)
    return {key: value for key, value in base.items() if value is not None}


def desired(**extra):
    return dict(dict(description=None, tag=None, parameters=None, attribution_actor='current', state='present', branch='main',
                     name='nightly', timetable=dict(TIMETABLE, days_of_month=None, months=None)), **extra)


def described(**extra):
    return _schedules.describe(schedule(**extra), PROJECT)


# -- timetable validation (before any request, as CircleCI checks it) -----------------------------------------------


@pytest.mark.parametrize('timetable, words', [
    (dict(TIMETABLE, per_hour=0), 'per_hour must be an integer from 1 to 60'),
    (dict(TIMETABLE, per_hour=61), 'per_hour must be an integer from 1 to 60'),
    (dict(TIMETABLE, per_hour=True), 'per_hour must be an integer'),
    (dict(TIMETABLE, hours_of_day=[]), 'hours_of_day must be a non-empty list'),
    (dict(TIMETABLE, hours_of_day=[24]), 'hours_of_day must hold integers from 0 to 23, not 24'),
    (dict(TIMETABLE, hours_of_day=[-1, 3]), 'not -1'),
    (dict(TIMETABLE, hours_of_day=[1, 1]), 'hours_of_day lists a value twice'),
    (dict(TIMETABLE, days_of_week=None), 'exactly one of days_of_week and days_of_month, not neither'),
    (dict(TIMETABLE, days_of_month=[1]), 'exactly one of days_of_week and days_of_month, not both'),
    (dict(TIMETABLE, days_of_week=['MONDAY']), 'days_of_week: unknown MONDAY'),
    (dict(TIMETABLE, days_of_week=['MON', 'MON']), 'days_of_week lists a value twice'),
    (dict(per_hour=1, hours_of_day=[1], days_of_month=[0]), 'days_of_month must hold integers from 1 to 31, not 0'),
    (dict(per_hour=1, hours_of_day=[1], days_of_month=[32]), 'not 32'),
    (dict(TIMETABLE, months=['JANUARY']), 'months: unknown JANUARY'),
    (dict(TIMETABLE, months=[]), 'months must be a non-empty list'),
    (dict(TIMETABLE, minutes=[5]), 'timetable.minutes is not a timetable field'),
    ('daily', 'timetable must be a dictionary'),
])
def test_timetable_problems_are_found_before_any_request(timetable, words):
    with pytest.raises(InputError, match=words):
        _schedules.check_timetable(timetable)


def test_every_problem_is_named_at_once():
    problems = _schedules.timetable_problems(dict(per_hour=0, hours_of_day=[30], days_of_month=[0]))
    assert len(problems) == 3


@pytest.mark.parametrize('timetable', [
    TIMETABLE, dict(per_hour=60, hours_of_day=list(range(24)), days_of_month=list(range(1, 32)), months=['DEC', 'JAN']),
])
def test_good_timetables_pass(timetable):
    _schedules.check_timetable(timetable)


# -- other option rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize('change, words', [
    (dict(branch=None), 'give the branch or the tag .* not neither'),
    (dict(tag='v1'), 'not both'),
    (dict(branch=' '), 'branch must be a non-empty string'),
    (dict(parameters={'branch': 'x'}), 'parameters.branch: give the branch with the branch option'),
    (dict(parameters={'ratio': 1.5}), 'parameters.ratio must be a string, an integer or a boolean .* not a number with a fraction'),
    (dict(parameters={'list': [1]}), 'not a list'),
    (dict(parameters={'none': None}), 'not null'),
    (dict(timetable=None), 'timetable is missing'),
    (dict(state='absent'), 'timetable, branch are only used with state=present'),
])
def test_check_options_refuses(change, words):
    with pytest.raises(InputError, match=words):
        _schedules.check_options(desired(**change))


def test_circleci_projects_are_refused_with_the_reason():
    with pytest.raises(InputError, match='does not serve such projects yet.*triggers'):
        _schedules.check_project(parse_project('circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc'))


# -- reading and the plan (pure) -------------------------------------------------------------------------------------


def test_describe_uses_the_options_spelling_and_tells_the_actor_kind():
    one = described(timetable={'per-hour': 2, 'hours-of-day': [14, 2], 'days-of-month': [15, 1], 'months': list(_schedules.MONTHS)},
                    actor=SYSTEM, parameters={'tag': 'v1', 'deploy': True})
    assert one['timetable'] == {'per_hour': 2, 'hours_of_day': [2, 14], 'days_of_week': None, 'days_of_month': [1, 15],
                                'months': None}  # every month listed is the same as none
    assert one['attribution_actor'] == 'system' and one['tag'] == 'v1' and one['branch'] is None
    assert one['created_at'] == '2024-05-02T12:00:00.000Z' and one['project_slug'] == SLUG


def test_plan_nothing_to_do_whatever_the_order_and_when_description_is_not_managed():
    current = [described(timetable={'per-hour': 1, 'hours-of-day': [2], 'days-of-week': ['FRI', 'MON', 'TUE', 'WED', 'THU']})]
    steps = _schedules.plan(current, desired())
    assert steps['action'] is None and steps['fields'] == []


def test_plan_creates_with_every_field():
    steps = _schedules.plan([], desired(description='', parameters={'deploy': False}))
    assert steps['action'] == 'create' and steps['fields'] == ['description', 'timetable', 'parameters', 'attribution_actor']
    wanted = _schedules.wanted_of(desired(description='', parameters={'deploy': False}))
    assert _schedules.body_of(wanted, steps['fields'], create=True) == {
        'name': 'nightly', 'description': None, 'attribution-actor': 'current', 'parameters': {'deploy': False, 'branch': 'main'},
        'timetable': {'per-hour': 1, 'hours-of-day': [2], 'days-of-week': WEEKDAYS}}


@pytest.mark.parametrize('change, fields', [
    (dict(description='Other'), ['description']),
    (dict(description=''), ['description']),
    (dict(attribution_actor='system'), ['attribution_actor']),
    (dict(tag='v1', branch=None), ['parameters']),
    (dict(parameters={'deploy': 1}), ['parameters']),
    (dict(timetable=dict(TIMETABLE, per_hour=2, days_of_month=None, months=None)), ['timetable']),
    (dict(timetable=dict(TIMETABLE, days_of_month=None, months=['JAN'])), ['timetable']),
])
def test_plan_updates_only_the_differing_fields(change, fields):
    steps = _schedules.plan([described()], desired(**change))
    assert steps['action'] == 'update' and steps['fields'] == fields


def test_parameters_compare_with_their_types():
    current = [described(parameters={'branch': 'main', 'deploy': 1})]
    assert _schedules.plan(current, desired(parameters={'deploy': 1}))['action'] is None
    assert _schedules.plan(current, desired(parameters={'deploy': True}))['fields'] == ['parameters']
    assert _schedules.plan(current, desired(parameters={'deploy': '1'}))['fields'] == ['parameters']


def test_a_user_actor_satisfies_current_whoever_it_is():
    other = {'id': '00000000-0000-4000-8000-000000000001', 'login': 'someone-else', 'name': 'Someone'}
    assert _schedules.plan([described(actor=other)], desired())['action'] is None
    assert _schedules.plan([described(actor=SYSTEM)], desired())['fields'] == ['attribution_actor']


def test_a_timetable_without_months_clears_stored_months_by_listing_every_month():
    current = [described(timetable={'per-hour': 1, 'hours-of-day': [2], 'days-of-week': WEEKDAYS, 'months': ['JAN']})]
    steps = _schedules.plan(current, desired())
    assert steps['fields'] == ['timetable']
    body = _schedules.body_of(_schedules.wanted_of(desired()), steps['fields'], current[0]['timetable'])
    assert body == {'timetable': {'per-hour': 1, 'hours-of-day': [2], 'days-of-week': WEEKDAYS, 'months': list(_schedules.MONTHS)}}


def test_plan_refuses_to_guess_between_schedules_of_the_same_name():
    with pytest.raises(InputError, match='2 schedules of gh/acme/api are named nightly'):
        _schedules.plan([described(), described(schedule_id=NEW_ID)], desired())


# -- the modules against scripted answers ----------------------------------------------------------------------------


def test_a_schedule_that_is_right_costs_one_get(run, transport):
    transport.on('GET', LIST, page(schedule()))
    result = run('schedule', args(), diff=True)
    assert result['changed'] is False and result['unchanged'] == ['nightly'] and result['api_requests'] == 1
    assert result['diff']['before'] == result['diff']['after']


def test_create_once_with_one_post(run, transport):
    created = schedule(schedule_id=NEW_ID, name='weekly', description=None,
                       timetable={'per-hour': 1, 'hours-of-day': [5], 'days-of-week': ['SUN']}, parameters={'tag': 'v1'}, actor=SYSTEM)
    transport.on('GET', LIST, page(schedule())).on('POST', LIST + '$', answer(201, body=created))
    result = run('schedule', args(name='weekly', timetable=dict(per_hour=1, hours_of_day=[5], days_of_week=['SUN']),
                                  branch=None, tag='v1', attribution_actor='system'), diff=True)
    assert result['changed'] is True and result['added'] == ['weekly'] and result['api_requests'] == 2
    assert transport.bodies('POST') == [{'name': 'weekly', 'description': None, 'attribution-actor': 'system',
                                         'parameters': {'tag': 'v1'},
                                         'timetable': {'per-hour': 1, 'hours-of-day': [5], 'days-of-week': ['SUN']}}]
    assert result['schedule']['id'] == NEW_ID and result['diff']['before'] == {}


def test_check_mode_sends_no_write(run, transport):
    transport.on('GET', LIST, page())
    result = run('schedule', args(), check_mode=True, diff=True)
    assert result['changed'] is True and transport.writes() == [] and result['schedule']['id'] is None
    assert result['diff']['after']['timetable']['hours_of_day'] == [2]


def test_update_sends_one_patch_with_the_differing_fields_only(run, transport):
    transport.on('GET', LIST, page(schedule()))
    patched = schedule(actor=SYSTEM, timetable={'per-hour': 1, 'hours-of-day': [3], 'days-of-week': WEEKDAYS})
    transport.on('PATCH', ITEM, answer(body=patched))
    result = run('schedule', args(timetable=dict(TIMETABLE, hours_of_day=[3]), attribution_actor='system'), diff=True)
    assert result['changed'] is True and result['updated'] == ['nightly'] and result['api_requests'] == 2
    assert transport.bodies('PATCH') == [{'timetable': {'per-hour': 1, 'hours-of-day': [3], 'days-of-week': WEEKDAYS},
                                          'attribution-actor': 'system'}]
    assert result['changed_fields'] == ['timetable', 'attribution_actor']
    assert result['diff']['before']['attribution_actor'] == 'current' and result['diff']['after']['attribution_actor'] == 'system'


def test_delete_and_delete_again(run, transport):
    transport.on('GET', LIST, page(schedule()), page())
    transport.on('DELETE', ITEM, answer(body={'message': 'Schedule deleted.'}))
    first = run('schedule', dict(project=SLUG, name='nightly', state='absent'))
    second = run('schedule', dict(project=SLUG, name='nightly', state='absent'))
    assert first['changed'] is True and first['deleted'] == ['nightly'] and first['api_requests'] == 2
    assert second['changed'] is False and second['api_requests'] == 1


@pytest.mark.parametrize('loss', [reset, read_timeout, lambda: answer(502, text='<html>Bad Gateway</html>'), lambda: cut(201)])
def test_a_lost_create_answer_is_read_back_and_never_sent_twice(run, transport, loss):
    transport.on('GET', LIST, page(), page(schedule()))
    transport.on('POST', LIST + '$', loss())
    result = run('schedule', args())
    assert result.get('failed') is None and result['changed'] is True and result['schedule']['id'] == SCHEDULE_ID
    assert len(transport.requests('POST')) == 1 and result['api_requests'] == 3


def test_a_lost_patch_is_settled_by_reading_the_schedule(run, transport):
    transport.on('GET', LIST, page(schedule())).on('PATCH', ITEM, reset())
    transport.on('GET', ITEM, answer(body=schedule(description='Changed')))
    result = run('schedule', dict(args(description='Changed'), retries=0))
    assert result.get('failed') is None and result['changed'] is True and result['schedule']['description'] == 'Changed'


def test_circleci_projects_fail_before_any_request(run, transport):
    for module, extra in (('schedule', args()), ('schedule_info', {})):
        result = run(module, dict(extra, project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc'))
        assert result['failed'] is True and 'triggers' in result['msg']
    assert transport.requests() == []


def test_bad_timetable_fails_before_any_request(run, transport):
    result = run('schedule', args(timetable=dict(TIMETABLE, hours_of_day=[25])))
    assert result['failed'] is True and 'hours_of_day must hold integers from 0 to 23' in result['msg']
    assert transport.requests() == []


def test_schedule_info_pages_and_filters(run, transport):
    transport.on('GET', LIST + r'.*page-token=p2', page(schedule(schedule_id=NEW_ID, name='weekly')))
    transport.on('GET', LIST, page(schedule(), token='p2'))
    result = run('schedule_info', dict(project=SLUG, name='weekly'))
    assert [one['id'] for one in result['schedules']] == [NEW_ID] and result['api_requests'] == 2


def test_a_schedule_read_by_schedule_info_can_be_given_back(run, transport):
    transport.on('GET', LIST, page(schedule()))
    read = run('schedule_info', dict(project=SLUG))['schedules'][0]
    result = run('schedule', dict(project=SLUG, name=read['name'], timetable=read['timetable'], branch=read['branch'],
                                  tag=read['tag'], parameters={}, attribution_actor=read['attribution_actor']))
    assert result.get('failed') is None and result['changed'] is False
