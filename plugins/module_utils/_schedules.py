# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scheduled pipelines of a project (API v2 schedules): the options, their rules, the plan, and the converge routine.

For internal collection use only: names and behaviour may change without notice.

Why schedules and not triggers: the API v2 spec the collection is built on (pinned in ``../shared/reference/v2``)
schedules pipelines with ``/project/{slug}/schedule`` and ``/schedule/{id}``. CircleCI's SDK and Terraform provider
also use a newer trigger API (``/projects/{project_id}/pipeline-definitions/{id}/triggers``) that the pinned spec does
not contain: nothing about it (fields, statuses, paging) can be stated from the spec, so it is left out until it is.

Facts this relies on:

- ``GET /project/{slug}/schedule`` lists (paged by ``next_page_token``); ``POST`` creates (201) and needs ``name``,
  ``timetable``, ``attribution-actor`` (``current`` | ``system``) and ``parameters`` (with ``branch`` or ``tag``; values
  strings, integers or booleans). A creating POST is never repeated once it may have reached CircleCI.
- ``PATCH /schedule/{id}``: every field optional, fields left out keep their value, ``parameters`` replaces the map.
  The reference is silent on whether ``timetable`` is replaced or merged, so a changed timetable is always sent whole,
  with ``months`` listing every month when the desired timetable has none and the stored one has some.
- Timetable: ``per-hour`` 1-60, ``hours-of-day`` 0-23 (UTC), exactly one of ``days-of-week`` (MON..SUN) and
  ``days-of-month`` (1-31), ``months`` (JAN..DEC) optional; no months means every month.
- Answers spell ``created-at``, ``updated-at``, ``project-slug``, and show ``actor`` (who the pipelines run as), not
  ``attribution-actor``; the system actor is ``system-actor`` (id ``d9b3fcaa-6032-405a-8c13-5d2d3f0afe3e``).
- Not available for GitHub App, GitLab and standalone projects (``circleci/...``): refused before any request.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError, RequestError, confirm

WEEKDAYS = ('MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN')
MONTHS = ('JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC')
ACTORS = ('current', 'system')
SYSTEM_ACTOR_ID = 'd9b3fcaa-6032-405a-8c13-5d2d3f0afe3e'
SYSTEM_ACTOR_LOGIN = 'system-actor'
LIST_PATH = 'project/{}/schedule'
ITEM_PATH = 'schedule/{}'
# Timetable keys: the module's spelling and the API's.
TIMETABLE_KEYS = (('per_hour', 'per-hour'), ('hours_of_day', 'hours-of-day'), ('days_of_week', 'days-of-week'),
                  ('days_of_month', 'days-of-month'), ('months', 'months'))
# The fields compared and written (module spelling, API spelling), in the order the diff shows them.
FIELDS = (('description', 'description'), ('timetable', 'timetable'), ('parameters', 'parameters'),
          ('attribution_actor', 'attribution-actor'))

TIMETABLE_SPEC = dict(
    per_hour=dict(type='int', required=True),
    hours_of_day=dict(type='list', elements='int', required=True),
    days_of_week=dict(type='list', elements='str'),
    days_of_month=dict(type='list', elements='int'),
    months=dict(type='list', elements='str'),
)
# No choices for days_of_week and months: AnsibleModule refuses null against choices inside a dictionary, and null
# (not set) is what schedule_info returns for them; check_timetable checks the names.
# The options of one schedule: the schedule module's, and each item of a project's schedules in project_settings.
SPEC = dict(
    name=dict(type='str', required=True),
    description=dict(type='str'),
    timetable=dict(type='dict', options=TIMETABLE_SPEC),
    branch=dict(type='str'),
    tag=dict(type='str'),
    parameters=dict(type='dict'),
    attribution_actor=dict(type='str', choices=list(ACTORS), default='current'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)
# Which of branch/tag and days_of_week/days_of_month is set is checked by check_options, where an option set to null
# counts as not set: so a schedule read by schedule_info (every key present, null when not set) can be given back.
RULES = dict(required_if=[('state', 'present', ('timetable',)), ('state', 'present', ('branch', 'tag'), True)])


# -- rules --------------------------------------------------------------------------------------------------------


def check_project(project):
    """InputError before any request for a project the schedule API does not serve (circleci/...)."""
    if project.vcs_type == 'circleci':
        raise InputError(
            'Scheduled pipelines of %s cannot be managed: it is a GitHub App, GitLab or standalone project, and the schedule '
            'API of CircleCI API v2 (/project/{slug}/schedule, the one this collection uses) does not serve such projects '
            'yet. CircleCI schedules their pipelines with triggers, a newer API this collection does not support yet'
            % project.slug)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(value, low, high, label):
    if not isinstance(value, list) or not value or not all(_is_int(item) for item in value):
        return ['timetable.%s must be a non-empty list of integers from %d to %d' % (label, low, high)]
    problems = []
    outside = [item for item in value if not low <= item <= high]
    if outside:
        problems.append('timetable.%s must hold integers from %d to %d, not %s' % (label, low, high, ', '.join(map(str, outside))))
    if len(set(value)) != len(value):
        problems.append('timetable.%s lists a value twice: list each once' % label)
    return problems


def _name_list(value, allowed, label):
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        return ['timetable.%s must be a non-empty list of %s' % (label, ', '.join(allowed))]
    problems = []
    unknown = [item for item in value if item not in allowed]
    if unknown:
        problems.append('timetable.%s: unknown %s; use %s' % (label, ', '.join(unknown), ', '.join(allowed)))
    if len(set(value)) != len(value):
        problems.append('timetable.%s lists a value twice: list each once' % label)
    return problems


def timetable_problems(timetable):
    """Every problem with a desired timetable (module spelling), as messages; empty when CircleCI will take it."""
    if not isinstance(timetable, dict):
        return ['timetable must be a dictionary with per_hour, hours_of_day, and days_of_week or days_of_month']
    known = [key for key, dummy in TIMETABLE_KEYS]
    problems = ['timetable.%s is not a timetable field; use %s' % (key, ', '.join(known))
                for key in timetable if key not in known]
    per_hour = timetable.get('per_hour')
    if not _is_int(per_hour) or not 1 <= per_hour <= 60:
        problems.append('timetable.per_hour must be an integer from 1 to 60 (how many times an hour the pipeline runs), got %r'
                        % (per_hour,))
    problems.extend(_int_list(timetable.get('hours_of_day'), 0, 23, 'hours_of_day'))
    week, month = timetable.get('days_of_week'), timetable.get('days_of_month')
    if (week is None) == (month is None):
        problems.append('timetable needs exactly one of days_of_week and days_of_month, not %s'
                        % ('both' if week is not None else 'neither'))
    if week is not None:
        problems.extend(_name_list(week, WEEKDAYS, 'days_of_week'))
    if month is not None:
        problems.extend(_int_list(month, 1, 31, 'days_of_month'))
    if timetable.get('months') is not None:
        problems.extend(_name_list(timetable['months'], MONTHS, 'months'))
    return problems


def check_timetable(timetable):
    """InputError naming every problem with a desired timetable, before any request."""
    problems = timetable_problems(timetable)
    if problems:
        raise InputError('Invalid timetable, nothing was sent: %s' % '; '.join(problems))


def _parameter_problem(name, value):
    if isinstance(value, (str, bool)) or _is_int(value):
        return None
    kind = {float: 'a number with a fraction', dict: 'a dictionary', list: 'a list', type(None): 'null'}.get(type(value), type(value).__name__)
    return 'parameters.%s must be a string, an integer or a boolean (what CircleCI takes), not %s' % (name, kind)


def check_options(schedule):
    """The rules AnsibleModule cannot state; InputError before any request."""
    name = schedule.get('name')
    if not isinstance(name, str) or not name.strip():
        raise InputError('name must be a non-empty string')
    if name != name.strip():
        raise InputError('name %r starts or ends with white space: remove it' % name)
    if schedule.get('state', 'present') == 'absent':
        given = [option for option in ('description', 'timetable', 'branch', 'tag', 'parameters') if schedule.get(option) is not None]
        if given:
            raise InputError('%s only used with state=present: a schedule to delete is named by name alone'
                             % ('%s is' % given[0] if len(given) == 1 else '%s are' % ', '.join(given)))
        return
    if schedule.get('timetable') is None:
        raise InputError('state is present but timetable is missing')
    check_timetable(schedule['timetable'])
    refs = [option for option in ('branch', 'tag') if schedule.get(option) is not None]
    if len(refs) != 1:
        raise InputError('state is present: give the branch or the tag the pipelines run on (one of them, not %s)'
                         % ('both' if refs else 'neither'))
    if not isinstance(schedule[refs[0]], str) or not schedule[refs[0]].strip():
        raise InputError('%s must be a non-empty string' % refs[0])
    parameters = schedule.get('parameters') or {}
    if not isinstance(parameters, dict):
        raise InputError('parameters must be a dictionary of pipeline parameter names to values')
    problems = []
    for key in ('branch', 'tag'):
        if key in parameters:
            problems.append('parameters.%s: give the %s with the %s option' % (key, key, key))
    problems.extend(filter(None, (_parameter_problem(key, value) for key, value in parameters.items())))
    if problems:
        raise InputError('Invalid parameters, nothing was sent: %s' % '; '.join(problems))
    if schedule.get('attribution_actor', 'current') not in ACTORS:
        raise InputError('attribution_actor must be one of %s' % ', '.join(ACTORS))


# -- reading ------------------------------------------------------------------------------------------------------


def normalize_timetable(timetable, spelling='api'):
    """A timetable in the module's spelling, sorted, every key present (None when absent); months None means every month.

    ``spelling`` says how ``timetable`` is keyed: ``api`` (``per-hour``) or ``module`` (``per_hour``).
    """
    timetable = timetable if isinstance(timetable, dict) else {}
    out = {}
    for ours, theirs in TIMETABLE_KEYS:
        value = timetable.get(theirs if spelling == 'api' else ours)
        if isinstance(value, list):
            order = {'days_of_week': WEEKDAYS, 'months': MONTHS}.get(ours)
            value = sorted(value, key=order.index if order and all(item in order for item in value) else None)
        out[ours] = value
    if out['months'] is not None and sorted(out['months'], key=MONTHS.index) == list(MONTHS):
        out['months'] = None
    return out


def actor_kind(actor):
    """``system`` when the pipelines run as CircleCI's system actor, else ``current`` (a user)."""
    actor = actor if isinstance(actor, dict) else {}
    return 'system' if actor.get('id') == SYSTEM_ACTOR_ID or actor.get('login') == SYSTEM_ACTOR_LOGIN else 'current'


def describe(schedule, project):
    """A schedule as the modules return it, in the module's spelling."""
    parameters = schedule.get('parameters') if isinstance(schedule.get('parameters'), dict) else {}
    actor = schedule.get('actor') if isinstance(schedule.get('actor'), dict) else {}
    return {
        'id': schedule.get('id'),
        'name': schedule.get('name'),
        'description': schedule.get('description'),
        'project': project.slug,
        'project_slug': schedule.get('project-slug'),
        'timetable': normalize_timetable(schedule.get('timetable')),
        'parameters': dict(parameters),
        'branch': parameters.get('branch'),
        'tag': parameters.get('tag'),
        'attribution_actor': actor_kind(actor),
        'actor': {'id': actor.get('id'), 'login': actor.get('login'), 'name': actor.get('name')},
        'created_at': schedule.get('created-at', schedule.get('created_at')),
        'updated_at': schedule.get('updated-at', schedule.get('updated_at')),
    }


def read_schedules(client, project):
    """The project's schedules, described, page after page."""
    return [describe(item, project) for item in client.v2.items(LIST_PATH, project) if isinstance(item, dict)]


def read_schedule(client, project, schedule_id):
    """One schedule, described (GET /schedule/{id})."""
    return describe(client.v2.get(ITEM_PATH, schedule_id, expect=dict), project)


# -- planning -----------------------------------------------------------------------------------------------------


def wanted_of(desired):
    """The desired fields in the module's spelling (description None: not managed)."""
    parameters = dict(desired.get('parameters') or {})
    if desired.get('branch') is not None:
        parameters['branch'] = desired['branch']
    else:
        parameters['tag'] = desired['tag']
    description = desired.get('description')
    return {'name': desired['name'], 'description': description,
            'timetable': normalize_timetable(desired['timetable'], spelling='module'),
            'parameters': parameters, 'attribution_actor': desired.get('attribution_actor') or 'current'}


def _typed(parameters):
    """Parameters compared with their types: 1, '1' and true are three different values."""
    return {key: (type(value).__name__, value) for key, value in (parameters or {}).items()}


def same(field, current, wanted):
    """Whether the stored value of ``field`` is the wanted one."""
    if field == 'description':
        return wanted is None or (current or '') == wanted
    if field == 'parameters':
        return _typed(current) == _typed(wanted)
    return current == wanted


def _summary(schedule):
    if schedule is None:
        return {}
    return {'name': schedule['name'], 'description': schedule['description'], 'timetable': schedule['timetable'],
            'parameters': schedule['parameters'], 'attribution_actor': schedule['attribution_actor']}


def plan(current, desired):
    """What to do so the project has the schedule ``desired`` describes (its options); pure.

    Returns ``action`` (``create``, ``update``, ``delete`` or None), ``schedule`` (the one found), ``delete`` (every
    schedule of the name), ``fields`` (the differing fields, module spelling) and ``after`` (the schedule as it will be).
    Raises InputError when more than one schedule has the name and state is present.
    """
    name = desired['name']
    matches = [item for item in current if item['name'] == name]
    steps = {'action': None, 'schedule': matches[0] if matches else None, 'delete': [], 'fields': [], 'after': None}
    if desired.get('state', 'present') == 'absent':
        if matches:
            steps.update(action='delete', delete=matches)
        return steps
    if len(matches) > 1:
        ids = ', '.join(str(item['id']) for item in matches)
        raise InputError('%d schedules of %s are named %s (ids %s): delete the extra ones first (state=absent deletes every '
                         'schedule of that name), or rename them' % (len(matches), matches[0]['project'], name, ids))
    wanted = wanted_of(desired)
    if not matches:
        after = dict(wanted, id=None, description=wanted['description'] or None, project=None, project_slug=None,
                     branch=wanted['parameters'].get('branch'), tag=wanted['parameters'].get('tag'),
                     actor=None, created_at=None, updated_at=None)
        steps.update(action='create', fields=[field for field, dummy in FIELDS], after=after)
        return steps
    found = matches[0]
    fields = [field for field, dummy in FIELDS if not same(field, found[field], wanted[field])]
    after = dict(found, **{field: wanted[field] for field in fields})
    if 'description' in fields and not wanted['description']:
        after['description'] = None
    after.update(branch=after['parameters'].get('branch'), tag=after['parameters'].get('tag'))
    steps.update(action='update' if fields else None, fields=fields, after=after)
    return steps


def api_timetable(timetable, stored=None):
    """A timetable (module spelling, normalized) in the API's spelling; every month listed when ``stored`` restricts months
    and the desired timetable does not (a PATCH might merge timetables, so leaving months out might keep the old ones)."""
    body = {theirs: list(timetable[ours]) if isinstance(timetable[ours], list) else timetable[ours]
            for ours, theirs in TIMETABLE_KEYS if timetable[ours] is not None}
    if timetable['months'] is None and stored is not None and stored.get('months') is not None:
        body['months'] = list(MONTHS)
    return body


def body_of(wanted, fields, stored=None, create=False):
    """The request body: the ``fields`` of ``wanted`` in the API's spelling (``stored``: the schedule's timetable now),
    and the name to create."""
    body = {}
    for field, theirs in FIELDS:
        if field not in fields:
            continue
        value = wanted[field]
        if field == 'timetable':
            value = api_timetable(value, stored)
        elif field == 'parameters':
            value = dict(value)
        elif field == 'description':
            value = value or None
        body[theirs] = value
    if create:
        body['name'] = wanted['name']
    return body


# -- converging ---------------------------------------------------------------------------------------------------


def converge(client, project, desired, check_mode=False, current=None):
    """Read the project's schedules, plan, and apply unless ``check_mode``: the module result.

    Requests: one GET of the list per page (none when ``current`` is given); plus one POST to create, or one PATCH
    with the differing fields only, or one DELETE per schedule of the name; when the answer to a write is lost, one
    read more to learn what happened. circleci/ projects and bad input fail before any request.
    """
    check_project(project)
    check_options(desired)
    if current is None:
        current = read_schedules(client, project)
    steps = plan(current, desired)
    action, name = steps['action'], desired['name']
    result = {
        'changed': action is not None,
        'project': project.slug,
        'schedule': steps['after'],
        'changed_fields': list(steps['fields']) if action in ('create', 'update') else [],
        'added': [name] if action == 'create' else [],
        'updated': [name] if action == 'update' else [],
        'deleted': [name] * len(steps['delete']),
        'unchanged': [name] if action is None else [],
        'diff': {'before': _summary(steps['schedule']), 'after': _summary(steps['after'])},
    }
    if action == 'create':
        result['schedule']['project'] = project.slug
    if check_mode or action is None:
        return result
    if action == 'delete':
        return _delete_all(client, project, steps['delete'], result)
    unchanged = dict(result, changed=False, schedule=steps['schedule'], changed_fields=[], added=[], updated=[],
                     diff={'before': result['diff']['before'], 'after': result['diff']['before']})
    wanted = wanted_of(desired)
    if action == 'create':
        schedule = _create(client, project, body_of(wanted, steps['fields'], create=True), current, unchanged)
    else:
        stored = steps['schedule']
        schedule = _update(client, project, stored, body_of(wanted, steps['fields'], stored['timetable']), steps['fields'],
                           wanted, steps['after'], unchanged)
    result['schedule'] = schedule
    result['diff']['after'] = _summary(schedule)
    return result


def _delete_all(client, project, schedules, result):
    """DELETE each schedule of the name (repeatable; gone already is fine); a lost answer is settled by listing again."""
    deleted = []
    for schedule in schedules:
        try:
            try:
                client.v2.delete(ITEM_PATH, schedule['id'], missing_ok=True)
            except RequestError as error:
                confirm(error, lambda: schedule['id'] not in {other['id'] for other in read_schedules(client, project)})
        except RequestError as error:
            left = [other for other in schedules if other not in deleted]
            raise error.with_result(dict(result, changed=bool(deleted), deleted=[other['name'] for other in deleted],
                                         schedule=left[0], diff=dict(result['diff'], after=_summary(left[0]))))
        deleted.append(schedule)
    return result


def _create(client, project, body, before, partial):
    """POST the new schedule (never repeated); when its answer is lost, the list read again tells whether it was made."""
    known = {item['id'] for item in before}
    found = []

    def read_back():
        found.extend(item for item in read_schedules(client, project) if item['name'] == body['name'] and item['id'] not in known)
        return bool(found)

    try:
        answer = client.v2.post(LIST_PATH, project, body=body, repeatable=False, expect=dict)
    except RequestError as error:
        confirm(error.with_result(partial), read_back)
        return found[-1]
    return describe(answer, project)


def _update(client, project, stored, body, fields, wanted, after, partial):
    """PATCH the differing fields (an overwrite: the client may repeat it); a lost answer is settled by reading the schedule."""
    def read_back():
        now = read_schedule(client, project, stored['id'])
        return all(same(field, now[field], wanted[field]) for field in fields)

    try:
        answer = client.v2.patch(ITEM_PATH, stored['id'], body=body, expect=dict)
    except RequestError as error:
        confirm(error.with_result(partial), read_back)
        return after
    return describe(answer, project)
