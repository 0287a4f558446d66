# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Outbound webhooks of a project (API v2): the options, their rules, the plan, and the converge routine.

For internal collection use only: names and behaviour may change without notice.

Facts of CircleCI API v2 this relies on (``../shared/reference/v2``):

- A webhook's scope is a project, named by the project's id (a UUID): ``GET /project/{slug}`` gives it, and a
  ``circleci/<organization id>/<project id>`` slug holds it already (as a UUID or base58), so no request is needed.
- ``GET /webhook?scope-id=<project id>&scope-type=project`` lists the project's webhooks, paged by
  ``next_page_token``. Webhook names are not unique for CircleCI; this module names a webhook by its name.
- ``POST /webhook`` creates one (201) and needs all six fields: ``name``, ``events`` (``workflow-completed``,
  ``job-completed``), ``url`` (https only), ``verify-tls``, ``signing-secret``, ``scope {id, type: project}``.
  It is never repeated once it may have reached CircleCI (a repetition would create a second webhook).
- ``PUT /webhook/{id}`` is a partial update despite its method (the SDK's live test sends a partial body); the
  scope cannot change. ``DELETE /webhook/{id}`` deletes one.
- ``signing-secret`` is write-only: answers show it masked (``xxxx`` and the last four characters). So it cannot be
  compared with the configured one: it is written on creation, and on every run with ``update_secret=always``.
- Timestamps: the spec spells them ``created-at``/``updated-at``, the SDK, Terraform and the live API
  ``created_at``/``updated_at``; both are read.
"""

from __future__ import annotations

import re

from ansible_collections.community.circleci.plugins.module_utils._env_vars import mask
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    InputError,
    InvalidResponseError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import canonical_id

EVENTS = ('workflow-completed', 'job-completed')
UPDATE_SECRET_CHOICES = ('always', 'on_create')
PROJECT_PATH = 'project/{}'
LIST_PATH = 'webhook'
ITEM_PATH = 'webhook/{}'
SECRET_SET = '(set)'              # the diff's stand-in for a secret CircleCI holds
SECRET_WRITTEN = '(new value)'    # ... and for one this task writes
# The fields compared and written, in the module's spelling and the API's.
FIELDS = (('url', 'url'), ('events', 'events'), ('verify_tls', 'verify-tls'))
_HTTPS_URL = re.compile(r'https://[^/\s?#@]+(?:[/?#]\S*)?')

# The options of one webhook: the webhook module's, and each item of a project's webhooks in project_settings.
SPEC = dict(
    name=dict(type='str', required=True),
    url=dict(type='str'),
    events=dict(type='list', elements='str', choices=list(EVENTS)),
    verify_tls=dict(type='bool', default=True),
    signing_secret=dict(type='str', no_log=True),
    update_secret=dict(type='str', choices=list(UPDATE_SECRET_CHOICES), default='on_create'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)
RULES = dict(required_if=[('state', 'present', ('url', 'events', 'signing_secret'))])


def check_options(hook):
    """The rules AnsibleModule cannot state; InputError before any request."""
    name = hook.get('name')
    if not isinstance(name, str) or not name.strip():
        raise InputError('name must be a non-empty string')
    if name != name.strip():
        raise InputError('name %r starts or ends with white space: remove it' % name)
    if hook.get('state', 'present') == 'absent':
        given = [option for option in ('url', 'events', 'signing_secret') if hook.get(option) is not None]
        if given:
            raise InputError('%s only used with state=present: a webhook to delete is named by name alone'
                             % ('%s is' % given[0] if len(given) == 1 else '%s are' % ', '.join(given)))
        return
    missing = [option for option in ('url', 'events', 'signing_secret') if hook.get(option) is None]
    if missing:
        raise InputError('state is present but %s missing' % ', '.join(missing))
    url = hook['url']
    if not isinstance(url, str) or not _HTTPS_URL.fullmatch(url):
        raise InputError('url must be an https URL such as https://hooks.example.com/circleci (CircleCI only calls https '
                         'webhooks), got %r' % (url,))
    events = hook['events']
    if not events:
        raise InputError('events must name at least one of %s' % ', '.join(EVENTS))
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise InputError('events: unknown %s; use %s' % (', '.join(map(str, unknown)), ', '.join(EVENTS)))
    if len(set(events)) != len(events):
        raise InputError('events lists an event twice: list each of %s once' % ', '.join(EVENTS))
    if not isinstance(hook['signing_secret'], str) or not hook['signing_secret']:
        raise InputError('signing_secret must be a non-empty string')
    if hook.get('update_secret', 'on_create') not in UPDATE_SECRET_CHOICES:
        raise InputError('update_secret must be one of %s' % ', '.join(UPDATE_SECRET_CHOICES))


# -- reading -------------------------------------------------------------------------------------------------


def project_id(client, project):
    """The id (UUID) of ``project``, the scope of its webhooks: in the slug of a circleci/ project, else one GET per run."""
    if project.vcs_type == 'circleci':
        return project.name  # parse_project made it the canonical UUID
    cache = client.cache.setdefault('project_ids', {})
    if project.slug not in cache:
        answer = client.v2.get(PROJECT_PATH, project, expect=dict)
        found = canonical_id(answer.get('id'))
        if found is None:
            raise InvalidResponseError('GET', '/api/v2/project/' + '/'.join(project.segments), 200,
                                       detail='The project has no id (a UUID)')
        cache[project.slug] = found
    return cache[project.slug]


def timestamp(item, name):
    """``created_at`` or ``updated_at`` of an answer, in either spelling (the spec's hyphen, the live API's underscore)."""
    value = item.get(name)
    return value if value is not None else item.get(name.replace('_', '-'))


def describe(hook, project):
    """A webhook as the modules return it: the secret masked (whatever the answer shows), timestamps in either spelling."""
    events = hook.get('events')
    scope = hook.get('scope') if isinstance(hook.get('scope'), dict) else {}
    secret = hook.get('signing-secret')
    return {
        'id': hook.get('id'),
        'name': hook.get('name'),
        'url': hook.get('url'),
        'events': [str(event) for event in events] if isinstance(events, list) else [],
        'verify_tls': hook.get('verify-tls'),
        'signing_secret': mask(secret) if secret else None,
        'scope': {'id': scope.get('id'), 'type': scope.get('type')},
        'project': project.slug,
        'created_at': timestamp(hook, 'created_at'),
        'updated_at': timestamp(hook, 'updated_at'),
    }


def read_webhooks(client, project, scope_id=None):
    """The project's webhooks, described: the project's id (see project_id), then the list, page after page."""
    scope_id = scope_id or project_id(client, project)
    items = client.v2.items(LIST_PATH, params={'scope-id': scope_id, 'scope-type': 'project'})
    return [describe(hook, project) for hook in items if isinstance(hook, dict)]


def read_webhook(client, project, hook_id):
    """One webhook, described (GET /webhook/{id})."""
    return describe(client.v2.get(ITEM_PATH, hook_id, expect=dict), project)


# -- planning --------------------------------------------------------------------------------------------------


def _same(field, current, desired):
    if field == 'events':
        return sorted(current or []) == sorted(desired or [])
    return current == desired


def _summary(hook, secret=None):
    """A webhook for the diff: its fields, and whether a secret is set (never the secret, nor its masked form)."""
    if hook is None:
        return {}
    return {'name': hook['name'], 'url': hook['url'], 'events': sorted(hook['events']), 'verify_tls': hook['verify_tls'],
            'signing_secret': secret or (SECRET_SET if hook.get('signing_secret') else None)}


def plan(current, desired):
    """What to do so the project has the webhook as ``desired`` says (its options); pure.

    ``current`` is the project's webhooks, described. Returns a dict: ``action`` (``create``, ``update``,
    ``delete`` or None), ``hook`` (the webhook found, or None), ``delete`` (webhooks to delete: every one of
    that name), ``fields`` (the options whose value differs, in the module's spelling, ``signing_secret`` when
    ``update_secret`` is ``always``) and ``after`` (the webhook as it will be; None when absent).
    Raises InputError when more than one webhook has the name and state is present: which one to keep is the
    user's choice.
    """
    name = desired['name']
    matches = [hook for hook in current if hook['name'] == name]
    steps = {'action': None, 'hook': matches[0] if matches else None, 'delete': [], 'fields': [], 'after': None}
    if desired.get('state', 'present') == 'absent':
        if matches:
            steps.update(action='delete', delete=matches)
        return steps
    if len(matches) > 1:
        ids = ', '.join(str(hook['id']) for hook in matches)
        raise InputError('%d webhooks of %s are named %s (ids %s): delete the extra ones first (state=absent deletes every '
                         'webhook of that name), or rename them' % (len(matches), matches[0]['project'], name, ids))
    wanted = {'name': name, 'url': desired['url'], 'events': list(desired['events']), 'verify_tls': desired['verify_tls']}
    if not matches:
        after = dict(wanted, id=None, signing_secret=mask(desired['signing_secret']), scope=None, project=None,
                     created_at=None, updated_at=None)
        steps.update(action='create', fields=[field for field, dummy in FIELDS] + ['signing_secret'], after=after)
        return steps
    hook = matches[0]
    fields = [field for field, dummy in FIELDS if not _same(field, hook[field], wanted[field])]
    if desired.get('update_secret') == 'always':
        fields.append('signing_secret')
    after = dict(hook, **{field: wanted[field] for field in fields if field != 'signing_secret'})
    if 'signing_secret' in fields:
        after['signing_secret'] = mask(desired['signing_secret'])
    steps.update(action='update' if fields else None, fields=fields, after=after)
    return steps


def body_of(desired, fields, scope_id=None):
    """The request body: the ``fields`` of ``desired`` in the API's spelling (and, to create, the name and the scope)."""
    names = dict(FIELDS, signing_secret='signing-secret')
    body = {names[field]: desired[field] for field in fields}
    if 'events' in body:
        body['events'] = list(body['events'])
    if scope_id is not None:  # creating: the name and the scope too
        body.update(name=desired['name'], scope={'id': scope_id, 'type': 'project'})
    return body


# -- converging ------------------------------------------------------------------------------------------------


def converge(client, project, desired, check_mode=False, current=None, scope_id=None):
    """Read the project's webhooks, plan, and apply unless ``check_mode``: the module result.

    ``desired`` holds the options of one webhook (SPEC). ``current`` (the webhooks, described) and ``scope_id``
    (the project's id) may be given by a caller that read them already (many webhooks of one project).
    Requests: the project's id (one GET for a GitHub OAuth or Bitbucket project, none for a circleci/ one, once per
    run) and one GET of the list per page; plus one POST to create, or one PUT with the differing fields only, or one
    DELETE per webhook of the name; when the answer to a write is lost, one read more to learn what happened.
    """
    check_options(desired)
    if current is None:
        scope_id = scope_id or project_id(client, project)
        current = read_webhooks(client, project, scope_id)
    steps = plan(current, desired)
    action, name = steps['action'], desired['name']
    written = SECRET_WRITTEN if 'signing_secret' in steps['fields'] else None
    result = {
        'changed': action is not None,
        'project': project.slug,
        'webhook': steps['after'],
        'changed_fields': list(steps['fields']) if action in ('create', 'update') else [],
        'added': [name] if action == 'create' else [],
        'updated': [name] if action == 'update' else [],
        'deleted': [name] * len(steps['delete']),
        'unchanged': [name] if action is None else [],
        'diff': {'before': _summary(steps['hook']), 'after': _summary(steps['after'], written)},
    }
    if action == 'create':
        result['webhook'].update(project=project.slug, scope={'id': scope_id, 'type': 'project'} if scope_id else None)
    if check_mode or action is None:
        return result
    if action == 'delete':
        return _delete_all(client, project, steps['delete'], result)
    unchanged = dict(result, changed=False, webhook=steps['hook'], changed_fields=[], added=[], updated=[],
                     diff={'before': result['diff']['before'], 'after': result['diff']['before']})
    if action == 'create':
        scope_id = scope_id or project_id(client, project)
        hook = _create(client, project, body_of(desired, steps['fields'], scope_id), current, unchanged)
    else:
        hook = _update(client, project, steps['hook'], body_of(desired, steps['fields']), steps['fields'], desired, unchanged)
    result['webhook'] = hook
    result['diff']['after'] = _summary(hook, written)
    return result


def _delete_all(client, project, hooks, result):
    """DELETE each webhook of the name (repeatable; gone already is fine); a lost answer is settled by listing again."""
    deleted = []
    for hook in hooks:
        try:
            try:
                client.v2.delete(ITEM_PATH, hook['id'], missing_ok=True)
            except RequestError as error:
                confirm(error, lambda: hook['id'] not in {other['id'] for other in read_webhooks(client, project)})
        except RequestError as error:
            left = [other for other in hooks if other not in deleted]
            raise error.with_result(dict(result, changed=bool(deleted), deleted=[other['name'] for other in deleted],
                                         webhook=left[0], diff=dict(result['diff'], after=_summary(left[0]))))
        deleted.append(hook)
    return result


def _create(client, project, body, before, partial):
    """POST the new webhook (never repeated); when its answer is lost, the list read again tells whether it was made."""
    known = {hook['id'] for hook in before}
    found = []

    def read_back():
        found.extend(hook for hook in read_webhooks(client, project, body['scope']['id'])
                     if hook['name'] == body['name'] and hook['id'] not in known)
        return bool(found)

    try:
        answer = client.v2.post(LIST_PATH, body=body, repeatable=False, expect=dict)
    except RequestError as error:
        confirm(error.with_result(partial), read_back)
        return found[-1]
    return describe(answer, project)


def _update(client, project, hook, body, fields, desired, partial):
    """PUT the differing fields (an overwrite: the client may repeat it); a lost answer is settled by reading the webhook.

    When only the secret was sent, the webhook read again cannot show it: its ``updated_at`` moving tells.
    """
    def read_back():
        now = read_webhook(client, project, hook['id'])
        shown = [field for field in fields if field != 'signing_secret']
        if shown:
            return all(_same(field, now[field], desired[field]) for field in shown)
        if hook['updated_at'] is None or now['updated_at'] is None:
            return None
        return now['updated_at'] != hook['updated_at']

    try:
        answer = client.v2.put(ITEM_PATH, hook['id'], body=body, expect=dict)
    except RequestError as error:
        confirm(error.with_result(partial), read_back)
        after = dict(hook, **{field: desired[field] for field in fields if field != 'signing_secret'})
        if 'signing_secret' in fields:
            after['signing_secret'] = mask(desired['signing_secret'])
        return after
    return describe(answer, project)
