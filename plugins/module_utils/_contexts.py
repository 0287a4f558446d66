# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contexts (API v2): the options, their rules, reading, the plan for a context and its restrictions, and converging.

For internal collection use only: names and behaviour may change without notice.

Facts of CircleCI API v2 this relies on (``../shared/reference/v2``):

- ``GET /context?owner-id=`` lists an organization's contexts (``{id, name, created_at}``, paged);
  ``POST /context {"name", "owner": {"id", "type"}}`` creates one (200; a duplicate name is refused, so a
  replay cannot create two, but it is still never replayed blindly: the list read again tells);
  ``DELETE /context/{id}`` deletes it with its variables and restrictions. There is no rename.
- ``GET /context/{id}/environment-variable`` lists the variables' names and ``created_at``/``updated_at``,
  never a value.
- ``GET|POST /context/{id}/restrictions`` and ``DELETE .../restrictions/{restriction id}`` (experimental):
  types ``project`` (the value is a project UUID of the context's organization) and ``expression``; the
  spec's enum has no other type. Restrictions cannot be edited: a change is a creation and a deletion.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CircleCIError,
    InputError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._orgs import resolve_owner
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, canonical_id, parse_owner, parse_project

LIST_PATH = 'context'
ITEM_PATH = 'context/{}'
VARIABLES_PATH = 'context/{}/environment-variable'
VARIABLE_PATH = 'context/{}/environment-variable/{}'
RESTRICTIONS_PATH = 'context/{}/restrictions'
RESTRICTION_PATH = 'context/{}/restrictions/{}'
PROJECT_PATH = 'project/{}'
RESTRICTION_TYPES = ('project', 'expression')
STATES = ('present', 'absent')

RESTRICTION_SPEC = dict(
    type=dict(type='str', required=True, choices=list(RESTRICTION_TYPES)),
    value=dict(type='str', required=True),
)
# The owner as users name it; shared by context, context_env_var and context_info.
OWNER_SPEC = dict(type='str')

# The context module's options.
SPEC = dict(
    name=dict(type='str', required=True),
    owner=dict(OWNER_SPEC, required=True),
    state=dict(type='str', choices=list(STATES), default='present'),
    restrictions=dict(type='list', elements='dict', options=RESTRICTION_SPEC),
    purge_restrictions=dict(type='bool', default=False),
    force=dict(type='bool', default=False),
)
RULES = dict(required_if=[('purge_restrictions', True, ('restrictions',))])


def check_name(name, option='name'):
    """InputError for a context name CircleCI cannot have or that would not be found as written."""
    if not isinstance(name, str) or not name.strip():
        raise InputError('%s must be a non-empty context name' % option)
    if name != name.strip():
        raise InputError('%s %r starts or ends with white space: remove it' % (option, name))


def check_owner(owner):
    """InputError for an owner that is not ``gh/acme``, ``bb/acme`` or ``circleci/<organization id>``, before any request."""
    try:
        parse_owner(owner)
    except ProjectError as error:
        raise InputError(str(error))


def check_options(params):
    """The context module's rules that AnsibleModule cannot state; InputError before any request."""
    check_name(params['name'])
    check_owner(params['owner'])
    if params['state'] == 'absent':
        if params.get('restrictions') is not None or params.get('purge_restrictions'):
            raise InputError('restrictions and purge_restrictions are only used with state=present')
    elif params.get('force'):
        raise InputError('force is only used with state=absent (to delete a context that still holds variables)')
    desired_restrictions(params.get('restrictions'))


def desired_restrictions(items):
    """``[{type, value, project}]`` from the option (None when not managed); InputError for unusable items.

    A project is given by its UUID or by its slug (``gh/acme/api``, ``circleci/<org id>/<project id>``);
    ``project`` keeps the parsed slug when the UUID has to be looked up.
    """
    if items is None:
        return None
    wanted, errors, seen = [], [], {}
    for index, item in enumerate(items, start=1):
        kind, value = item.get('type'), item.get('value')
        if not isinstance(value, str) or not value.strip():
            errors.append('restrictions item %d: value must be a non-empty string' % index)
            continue
        entry = {'type': kind, 'value': value, 'project': None}
        if kind == 'project':
            project_id = canonical_id(value)
            if project_id is not None and '/' not in value:
                entry['value'] = project_id
            else:
                try:
                    project = parse_project(value)
                except ProjectError as error:
                    errors.append('restrictions item %d: a project restriction names a project by its UUID or its slug: %s'
                                  % (index, error))
                    continue
                if project.vcs_type == 'circleci':
                    entry['value'] = project.name  # circleci/<org id>/<project id> holds the id
                else:
                    entry['value'], entry['project'] = None, project
        label = '%s %s' % (kind, entry['project'] or entry['value'])
        if label in seen:
            errors.append('restrictions item %d repeats item %d (%s)' % (index, seen[label], label))
            continue
        seen[label] = index
        wanted.append(entry)
    if errors:
        raise InputError('Invalid restrictions, nothing was sent: %s' % '; '.join(errors))
    return wanted


# -- reading -----------------------------------------------------------------------------------------------

def owner_of(client, owner):
    """``{id, slug, name, vcs_type}`` of the organization ``owner`` names (one read per run, shared)."""
    return resolve_owner(client, owner)


def read_contexts(client, owner_id):
    """Every context of the organization, ``[{id, name, created_at}]``, following pages."""
    return [item for item in client.v2.items(LIST_PATH, params={'owner-id': owner_id}) if isinstance(item, dict)]


def find_context(client, owner_id, name):
    """The context named ``name`` of the organization, or None (names are unique per organization)."""
    return next((item for item in read_contexts(client, owner_id) if item.get('name') == name), None)


def read_variables(client, context_id):
    """``{name: {created_at, updated_at}}`` of a context's variables (never a value), in the API's order."""
    found = {}
    for item in client.v2.items(VARIABLES_PATH, context_id):
        if isinstance(item, dict) and isinstance(item.get('variable'), str):
            found[item['variable']] = {'created_at': item.get('created_at'), 'updated_at': item.get('updated_at')}
    return found


def variable_list(variables):
    """``[{name, created_at, updated_at}]`` sorted by name, from ``{name: {created_at, updated_at}}``."""
    return [{'name': name, 'created_at': times.get('created_at'), 'updated_at': times.get('updated_at')}
            for name, times in sorted(variables.items())]


def describe_restriction(item):
    """A restriction as the modules return it: ``{id, type, value, name}`` (``name``: the project's name, or null)."""
    kind = item.get('restriction_type') or ('project' if item.get('project_id') else None)
    value = item.get('restriction_value')
    if value is None and kind == 'project':
        value = item.get('project_id')
    if kind == 'project':
        value = canonical_id(value) or value
    return {'id': item.get('id'), 'type': kind, 'value': value, 'name': item.get('name')}


def restriction_identity(restriction):
    """How results name a restriction: ``project:<project id>`` or ``expression:<expression>``."""
    return '%s:%s' % (restriction['type'], restriction['value'])


def read_restrictions(client, context_id):
    """The context's restrictions, described, following pages."""
    return [describe_restriction(item) for item in client.v2.items(RESTRICTIONS_PATH, context_id) if isinstance(item, dict)]


def resolve_projects(client, wanted):
    """Fill in the UUID of each project restriction given by a GitHub or Bitbucket slug: one GET /project/{slug} each.

    The ids are kept per run in the cache webhooks use for the same read (``_webhooks.project_id``).
    """
    cache = client.cache.setdefault('project_ids', {})
    for entry in wanted or []:
        project = entry['project']
        if project is None:
            continue
        if project.slug not in cache:
            answer = client.v2.get(PROJECT_PATH, project, expect=dict)
            project_id = canonical_id(answer.get('id'))
            if project_id is None:
                raise InputError('project %s: CircleCI did not give its id (GET /api/v2/project/%s answered no UUID)'
                                 % (project.slug, '/'.join(project.segments)))
            cache[project.slug] = project_id
        entry['value'] = cache[project.slug]
    return wanted


# -- the plan -------------------------------------------------------------------------------------------

def plan_context(context, restrictions, variables, state, wanted, purge, force):
    """What to do to the context; pure.

    ``context`` is the context as listed (None when absent), ``restrictions`` its described restrictions,
    ``variables`` its ``{name: times}`` (read only for a deletion), ``wanted`` the desired restrictions
    with project ids resolved (None: not managed). Returns ``{create, delete, add, remove, keep}``
    (``add``: desired restrictions to create, ``remove``: described restrictions to delete). Raises
    InputError when a context that holds variables would be deleted without ``force``.
    """
    steps = {'create': False, 'delete': False, 'add': [], 'remove': [], 'keep': []}
    if state == 'absent':
        if context is not None:
            if variables and not force:
                count = len(variables)
                raise InputError('Context %s still holds %d variable%s (%s): deleting it deletes them too. Set force=true to '
                                 'delete it anyway; nothing was changed'
                                 % (context.get('name'), count, '' if count == 1 else 's', ', '.join(sorted(variables))))
            steps['delete'] = True
        return steps
    steps['create'] = context is None
    current = list(restrictions or [])
    if wanted is None:
        steps['keep'] = current
        return steps
    desired = {restriction_identity(entry): entry for entry in wanted}
    present = {restriction_identity(item) for item in current}
    steps['add'] = [{'type': entry['type'], 'value': entry['value']} for key, entry in desired.items() if key not in present]
    for item in current:
        if restriction_identity(item) in desired or not purge:
            steps['keep'].append(item)
        else:
            steps['remove'].append(item)
    return steps


def _summary(context, restrictions=None, variables=None):
    """The diff form of a context: its name, and the restriction identities and variable names read; ``{}`` when absent."""
    if context is None:
        return {}
    summary = {'name': context.get('name')}
    if restrictions is not None:
        summary['restrictions'] = [restriction_identity(item) for item in restrictions]
    if variables is not None:
        summary['variables'] = sorted(variables)
    return summary


def context_view(context, owner):
    """The context as results return it."""
    if context is None:
        return None
    return {'id': context.get('id'), 'name': context.get('name'), 'created_at': context.get('created_at'),
            'owner_id': owner['id'], 'owner_slug': owner['slug']}


# -- converging -----------------------------------------------------------------------------------------

def converge_context(client, params, check_mode=False, listed=None):
    """Read the context (and what the change needs), plan, and apply unless ``check_mode``: the module result.

    Requests: one GET for the owner (``/me/collaborations``), the context list (one GET per page; none when
    ``listed``, the organization's contexts as read_contexts gives them, is passed by a caller that converges
    many contexts of one organization), and for an
    existing context its restrictions (when managed) or its variables (state absent): one GET (per page). A
    project restriction given by a GitHub or Bitbucket slug costs one GET for its id. Then one request per
    change: POST the context, POST each new restriction, DELETE each purged one (after the new ones, so the
    context is never less restricted than asked on the way), or DELETE the context.
    """
    check_options(params)
    name, state = params['name'], params['state']
    wanted = desired_restrictions(params.get('restrictions'))
    owner = owner_of(client, params['owner'])
    if listed is None:
        context = find_context(client, owner['id'], name)
    else:
        context = next((item for item in listed if item.get('name') == name), None)
    managed = state == 'present' and wanted is not None
    restrictions = read_restrictions(client, context['id']) if context is not None and managed else None
    variables = read_variables(client, context['id']) if context is not None and state == 'absent' else None
    resolve_projects(client, wanted)
    steps = plan_context(context, restrictions or [], variables, state, wanted, params.get('purge_restrictions'), params.get('force'))

    before = _summary(context, restrictions, variables)
    after_restrictions = steps['keep'] + [dict(item, id=None, name=None) for item in steps['add']] if managed else None
    changed = bool(steps['create'] or steps['delete'] or steps['add'] or steps['remove'])
    result = {
        'changed': changed,
        'context': None if steps['delete'] else context_view(context or {'name': name}, owner),
        'added': [name] if steps['create'] else [],
        'updated': [name] if context is not None and (steps['add'] or steps['remove']) else [],
        'deleted': [name] if steps['delete'] else [],
        'unchanged': [] if changed else [name],
        'restrictions_added': [restriction_identity(item) for item in steps['add']],
        'restrictions_deleted': [restriction_identity(item) for item in steps['remove']],
    }
    if managed:
        result['restrictions'] = after_restrictions
    result['diff'] = {'before': before, 'after': {} if steps['delete'] else _summary(context or {'name': name}, after_restrictions)}
    if check_mode or not changed:
        return result
    return _apply(client, owner, name, context, steps, result)


def _apply(client, owner, name, context, steps, result):
    """Carry out the steps; a failure raises carrying what was applied (``changed`` true when anything was)."""
    if steps['delete']:
        _delete_context(client, owner, context, result)
        return result
    done = {'context': context, 'add': [], 'remove': []}
    try:
        if steps['create']:
            done['context'] = _create_context(client, owner, name)
        for item in steps['add']:
            done['add'].append(_add_restriction(client, done['context']['id'], item))
        for item in steps['remove']:
            _remove_restriction(client, done['context']['id'], item)
            done['remove'].append(item)
    except CircleCIError as error:
        raise error.with_result(_applied_result(result, owner, name, context, steps, done))
    return _applied_result(result, owner, name, context, steps, done)


def _applied_result(result, owner, name, context, steps, done):
    """The module result once ``done`` (the context, the restrictions added and removed) was applied."""
    applied = dict(result)
    created = context is None and done['context'] is not None
    changed_restrictions = bool(done['add'] or done['remove'])
    restrictions = None
    if 'restrictions' in result:
        restrictions = [item for item in steps['keep'] + steps['remove'] if item not in done['remove']] + done['add']
        applied['restrictions'] = restrictions
    applied.update({
        'changed': created or changed_restrictions,
        'context': context_view(done['context'], owner) if done['context'] is not None else None,
        'added': [name] if created else [],
        'updated': [name] if context is not None and changed_restrictions else [],
        'unchanged': [],
        'restrictions_added': [restriction_identity(item) for item in done['add']],
        'restrictions_deleted': [restriction_identity(item) for item in done['remove']],
    })
    after = _summary(done['context'], restrictions) if done['context'] is not None else {}
    applied['diff'] = dict(result['diff'], after=after)
    return applied


def _create_context(client, owner, name):
    """POST the context (never replayed); when its answer is lost, the list read again tells whether it was made."""
    found = []

    def read_back():
        found.append(find_context(client, owner['id'], name))
        return found[-1] is not None

    try:
        answer = client.v2.post(LIST_PATH, body={'name': name, 'owner': {'id': owner['id'], 'type': 'organization'}},
                                repeatable=False, expect=dict)
    except RequestError as error:
        confirm(error, read_back)
        return found[-1]
    if not answer.get('id'):
        answer = find_context(client, owner['id'], name) or answer
    return answer


def _add_restriction(client, context_id, item):
    """POST one restriction (never replayed); a lost answer is settled by reading the restrictions again."""
    found = []

    def read_back():
        key = restriction_identity(item)
        found.extend(other for other in read_restrictions(client, context_id) if restriction_identity(other) == key)
        return bool(found)

    try:
        answer = client.v2.post(RESTRICTIONS_PATH, context_id, body={'restriction_type': item['type'],
                                                                     'restriction_value': item['value']},
                                repeatable=False, expect=dict)
    except RequestError as error:
        confirm(error, read_back)
        return found[0]
    described = describe_restriction(answer)
    described['type'] = described['type'] or item['type']
    described['value'] = described['value'] or item['value']
    return described


def _remove_restriction(client, context_id, item):
    """DELETE one restriction (repeatable; gone already is fine); a lost answer is settled by reading them again."""
    try:
        client.v2.delete(RESTRICTION_PATH, context_id, item['id'], missing_ok=True)
    except RequestError as error:
        confirm(error, lambda: item['id'] not in {other['id'] for other in read_restrictions(client, context_id)})


def _delete_context(client, owner, context, result):
    """DELETE the context (repeatable; gone already is fine); a lost answer is settled by listing the contexts."""
    try:
        client.v2.delete(ITEM_PATH, context['id'], missing_ok=True)
    except RequestError as error:
        partial = dict(result, changed=False, deleted=[], context=context_view(context, owner), diff=dict(result['diff'], after=result['diff']['before']))
        confirm(error.with_result(partial),
                lambda: context['id'] not in {item.get('id') for item in read_contexts(client, owner['id'])})
