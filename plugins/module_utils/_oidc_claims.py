# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OIDC custom claims of an organization or a project: the audience list and the token TTL.

For internal collection use only: names and behaviour may change without notice.

Facts of CircleCI API v2 this relies on (the project's v2 reference, endpoints.yml):
``GET|PATCH|DELETE /org/{orgID}/oidc-custom-claims`` and ``/org/{orgID}/project/{projectID}/oidc-custom-claims``
take UUIDs, not slugs (a project's ``id`` and ``organization_id`` come from ``GET /project/{slug}``). Every answer,
DELETE's included, is ``{org_id, project_id?, audience?, audience_updated_at?, ttl?, ttl_updated_at?}``: a claim
never set is absent, and CircleCI's default applies (for a project, the organization's claims). PATCH takes
``audience`` (a list of strings) and/or ``ttl`` (``^([0-9]+(ms|s|m|h|d|w)){1,7}$``), and only changes what it is
given; DELETE takes ``?claims=audience,ttl`` (which claims go back to the default). Errors are ``{"error": ...}``,
and the only statuses listed are 400, 403 and 500: an unknown organization, one the user is not in, or a project
outside the organization is a 403, never a 404.
"""

from __future__ import annotations

import re

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    InputError,
    InvalidResponseError,
    PermissionDeniedError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._orgs import resolve_owner
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, canonical_id, parse_owner, parse_project

CLAIMS = ('audience', 'ttl')
ORG_PATH = 'org/{}/oidc-custom-claims'
PROJECT_CLAIMS_PATH = 'org/{}/project/{}/oidc-custom-claims'
PROJECT_PATH = 'project/{}'
TTL_PATTERN = re.compile(r'^([0-9]+(ms|s|m|h|d|w)){1,7}$')
_TTL_PART = re.compile(r'([0-9]+)(ms|s|m|h|d|w)')
_UNIT_MS = {'ms': 1, 's': 1000, 'm': 60 * 1000, 'h': 3600 * 1000, 'd': 24 * 3600 * 1000, 'w': 7 * 24 * 3600 * 1000}

SPEC = dict(
    owner=dict(type='str'),
    project=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    audience=dict(type='list', elements='str'),
    ttl=dict(type='str'),
    claims=dict(type='list', elements='str', choices=list(CLAIMS)),
)
RULES = dict(
    required_one_of=[('owner', 'project')],
    required_if=[('state', 'present', ('audience', 'ttl'), True)],
)


class ClaimsForbiddenError(PermissionDeniedError):
    """A 403 on an OIDC claim route: CircleCI's answer for an organization or project it will not name."""

    hint = ('On the OIDC claim routes CircleCI answers 403, never 404, when the organization does not exist, when the '
            'token\'s user is not a member of it, or when the project is not in that organization; a read-only token also '
            'gets 403 on a change. Check owner and project, and that the token belongs to a member of the organization '
            'with write access')


# -- options ---------------------------------------------------------------------------------------------

def ttl_milliseconds(ttl):
    """The duration a TTL such as ``1h30m`` stands for, in milliseconds; None when it does not match the pattern."""
    if not isinstance(ttl, str) or not TTL_PATTERN.match(ttl):
        return None
    return sum(int(number) * _UNIT_MS[unit] for number, unit in _TTL_PART.findall(ttl))


def check_options(params):
    """The rules AnsibleModule cannot state, before any request: ``(owner, project)`` parsed (either may be None).

    Raises InputError naming what to change.
    """
    if params['state'] == 'absent':
        given = [name for name in CLAIMS if params.get(name) is not None]
        if given:
            raise InputError('%s %s only used with state=present; with state=absent, claims says which claims go back to '
                             'CircleCI\'s default' % (' and '.join(given), 'is' if len(given) == 1 else 'are'))
    elif params.get('claims') is not None:
        raise InputError('claims is only used with state=absent (which claims to reset to the default)')
    if params['state'] == 'absent' and params.get('claims') is not None and not params['claims']:
        raise InputError('claims must name audience, ttl or both; leave it out to reset both')
    audience = params.get('audience')
    if audience is not None:
        if not audience:
            raise InputError('audience must not be empty: CircleCI refuses an empty audience list; use state=absent with '
                             'claims=[audience] to go back to the default audience')
        for value in audience:
            if not value or value != value.strip():
                raise InputError('audience values must be non-empty and without surrounding white space, got %r' % (value,))
        duplicates = sorted({value for value in audience if audience.count(value) > 1})
        if duplicates:
            raise InputError('audience lists %s more than once' % ', '.join(duplicates))
    if params.get('ttl') is not None and ttl_milliseconds(params['ttl']) is None:
        raise InputError('ttl %r is not a duration CircleCI accepts: one to seven parts of a number and a unit, ms, s, m, h, '
                         'd or w, such as 30m, 1h or 1h30m (the pattern ^([0-9]+(ms|s|m|h|d|w)){1,7}$)' % params['ttl'])
    try:
        owner = parse_owner(params['owner']) if params.get('owner') is not None else None
        project = parse_project(params['project']) if params.get('project') is not None else None
    except ProjectError as error:
        raise InputError(str(error))
    if owner is not None and project is not None and owner.vcs_type != 'circleci':
        if project.vcs_type != owner.vcs_type or project.username.lower() != owner.name.lower():
            raise InputError('project %s is not in the organization %s: give the project\'s own organization as owner, or '
                             'leave owner out (the project names it)' % (project.slug, owner.slug))
    return owner, project


# -- reading ---------------------------------------------------------------------------------------------

def locate(client, owner, project):
    """``(org_id, project_id)`` of the claims to manage; project_id None for the organization's.

    With a project, one GET of ``/project/{slug}`` (its ``id`` and ``organization_id``); with an owner only,
    ``gh/``/``bb/`` owners are resolved through ``/me/collaborations`` (one GET) and ``circleci/<id>`` owners
    need no request.
    """
    if project is None:
        if owner.vcs_type == 'circleci':
            return owner.name, None
        return resolve_owner(client, owner.slug)['id'], None
    answer = client.v2.get(PROJECT_PATH, project, expect=dict)
    org_id, project_id = canonical_id(answer.get('organization_id')), canonical_id(answer.get('id'))
    if org_id is None or project_id is None:
        raise InvalidResponseError('GET', '/api/v2/' + encode_path(PROJECT_PATH, project), 200,
                                   detail='The project has no UUID id and organization_id')
    if owner is not None and owner.vcs_type == 'circleci' and owner.name != org_id:
        raise InputError('project %s is in the organization circleci/%s, not %s: give the project\'s own organization as '
                         'owner, or leave owner out (the project names it)' % (project.slug, org_id, owner.slug))
    return org_id, project_id


def claims_path(org_id, project_id):
    """``(template, args)`` of the claims route."""
    return (PROJECT_CLAIMS_PATH, (org_id, project_id)) if project_id else (ORG_PATH, (org_id,))


def describe(answer, org_id, project_id, display_path, method='GET'):
    """The claims as the module returns them: every key present, a claim never set as None; InvalidResponseError on a wrong shape."""
    audience, ttl = answer.get('audience'), answer.get('ttl')
    if audience is not None and (not isinstance(audience, list) or not all(isinstance(value, str) for value in audience)):
        raise InvalidResponseError(method, display_path, 200, detail='The answer\'s audience is not a list of strings')
    if ttl is not None and not isinstance(ttl, str):
        raise InvalidResponseError(method, display_path, 200, detail='The answer\'s ttl is not a string')
    return {
        'org_id': canonical_id(answer.get('org_id')) or org_id,
        'project_id': (canonical_id(answer.get('project_id')) or project_id) if project_id else None,
        'audience': list(audience) if audience is not None else None,
        'audience_updated_at': answer.get('audience_updated_at') if audience is not None else None,
        'ttl': ttl,
        'ttl_updated_at': answer.get('ttl_updated_at') if ttl is not None else None,
    }


def read_claims(client, org_id, project_id):
    """The claims, described, with one GET."""
    template, args = claims_path(org_id, project_id)
    return describe(_forbidden_hint(lambda: client.v2.get(template, *args, expect=dict)), org_id, project_id,
                    '/api/v2/' + template.format(*args))


def _forbidden_hint(call):
    """``call()``, a 403 becoming a ClaimsForbiddenError (which says why the claim routes answer 403)."""
    try:
        return call()
    except PermissionDeniedError as error:
        if isinstance(error, ClaimsForbiddenError):
            raise
        raise ClaimsForbiddenError(error.method, error.path, error.status, error.api_message, detail=error.detail,
                                   retries=error.retries, outcome=error.outcome)


# -- the plan --------------------------------------------------------------------------------------------

def same(name, current, wanted):
    """Whether a claim's current value is the wanted one: an audience as a set, a TTL as a duration (1h = 60m)."""
    if current is None or wanted is None:
        return current is None and wanted is None
    if name == 'audience':
        return sorted(set(current)) == sorted(set(wanted))
    return ttl_milliseconds(current) == ttl_milliseconds(wanted) and ttl_milliseconds(current) is not None


def plan(current, state, audience=None, ttl=None, claims=None):
    """What to send so the claims are as asked; pure.

    ``current`` is the described claims. Returns ``patch`` (the PATCH body: only the claims that differ, or None),
    ``delete`` (the claims to reset with DELETE, those set among ``claims``), ``added``, ``updated``, ``deleted``,
    ``unchanged`` (claim names) and ``after`` (the claims as they will be; a changed claim's ``*_updated_at`` is None
    until CircleCI answers).
    """
    steps = {'patch': None, 'delete': [], 'added': [], 'updated': [], 'deleted': [], 'unchanged': [], 'after': dict(current)}
    if state == 'present':
        wanted = {'audience': audience, 'ttl': ttl}
        patch = {}
        for name in CLAIMS:
            if wanted[name] is None:
                continue
            if same(name, current[name], wanted[name]):
                steps['unchanged'].append(name)
                continue
            steps['added' if current[name] is None else 'updated'].append(name)
            patch[name] = list(wanted[name]) if name == 'audience' else wanted[name]
            steps['after'].update({name: patch[name], name + '_updated_at': None})
        steps['patch'] = patch or None
        return steps
    for name in CLAIMS:
        if claims and name not in claims:
            continue
        if current[name] is None:
            steps['unchanged'].append(name)
        else:
            steps['delete'].append(name)
            steps['after'].update({name: None, name + '_updated_at': None})
    steps['deleted'] = list(steps['delete'])
    return steps


def _shown(claims):
    return {'audience': claims['audience'], 'ttl': claims['ttl']}


# -- converge --------------------------------------------------------------------------------------------

def converge(client, owner, project, state, audience=None, ttl=None, claims=None, check_mode=False):
    """Read the claims, plan, and apply unless ``check_mode``: the module result.

    Requests: locating them (none for a ``circleci/<id>`` owner, one GET for a ``gh/``/``bb/`` owner or a project),
    one GET of the claims, and one PATCH (only the claims that differ) or one DELETE (only the claims set) when
    something changes. A write whose answer is lost is settled by reading the claims again.
    """
    org_id, project_id = locate(client, owner, project)
    current = read_claims(client, org_id, project_id)
    steps = plan(current, state, audience, ttl, claims)
    result = {
        'changed': bool(steps['patch'] or steps['delete']),
        'oidc_claims': steps['after'],
        'added': steps['added'], 'updated': steps['updated'], 'deleted': steps['deleted'], 'unchanged': steps['unchanged'],
        'diff': {'before': _shown(current), 'after': _shown(steps['after'])},
    }
    if check_mode or not result['changed']:
        return result
    template, args = claims_path(org_id, project_id)
    display_path = '/api/v2/' + template.format(*args)
    partial = dict(result, changed=False, oidc_claims=current, added=[], updated=[], deleted=[],
                   unchanged=[name for name in CLAIMS if name in steps['added'] + steps['updated'] + steps['deleted'] + steps['unchanged']],
                   diff={'before': _shown(current), 'after': _shown(current)})
    try:
        if steps['patch']:
            answer = _forbidden_hint(lambda: client.v2.patch(template, *args, body=steps['patch'], expect=dict))
            method = 'PATCH'
        else:
            answer = _forbidden_hint(lambda: client.v2.delete(template, *args, params={'claims': ','.join(steps['delete'])}, expect=dict))
            method = 'DELETE'
        after = describe(answer, org_id, project_id, display_path, method)
    except RequestError as error:
        seen = []

        def read_back():
            seen.append(read_claims(client, org_id, project_id))
            return _landed(seen[0], current, steps)

        confirm(error.with_result(partial), read_back)
        after = seen[0]
    result['oidc_claims'] = after
    result['diff']['after'] = _shown(after)
    return result


def _landed(now, before, steps):
    """Whether the claims read again show the write (True), show it was not made (False), or cannot tell (None)."""
    if steps['patch']:
        if all(same(name, now[name], value) for name, value in steps['patch'].items()):
            return True
    elif all(now[name] is None for name in steps['delete']):
        return True
    return False if _shown(now) == _shown(before) else None
