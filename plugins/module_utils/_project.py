# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project resource: its v1.1 configuration, and following it (read once, write only when needed).

For internal collection use only: names and behaviour may change without notice.

``GET project/:slug/settings`` answers the project's configuration (called ``config`` here, to keep
"settings" for the v2 advanced settings): whether the token's user follows the project
(``followed``), also for a project nobody follows yet, and its SSH keys; an unknown project answers
404. ``POST .../follow`` answers ``{"first_build": ..., "followed": true}`` (``first_build`` is the
build that following started, or null) and ``POST .../unfollow`` answers ``{"followed": false}``.
Both are idempotent, so they are retried like overwrites.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.community.circleci.plugins.module_utils import _advanced_settings
from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    CircleCIError,
    InputError,
    InvalidResponseError,
    NotFoundError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._orgs import resolve_owner
from ansible_collections.community.circleci.plugins.module_utils._slug import Project, ProjectError, canonical_id, parse_owner

CONFIG_PATH = 'project/{}/settings'
FOLLOW_PATH = 'project/{}/follow'
UNFOLLOW_PATH = 'project/{}/unfollow'


def read_config(client, project):
    """The project's v1.1 configuration (follow state, SSH keys, feature flags...), with one GET."""
    return client.get(CONFIG_PATH, project, expect=dict)


def followed_in(config, project):
    """Whether the configuration says the token's user follows the project."""
    if not isinstance(config.get('followed'), bool):
        raise InvalidResponseError('GET', '/' + encode_path(CONFIG_PATH, project), 200,
                                   detail='The project configuration does not say whether the project is followed')
    return config['followed']


def plan_follow(followed, state):
    """``(changed, action)``: action is ``follow``, ``unfollow`` or None."""
    want = state == 'present'
    if followed == want:
        return False, None
    return True, 'follow' if want else 'unfollow'


def converge_follow(client, project, state, check_mode=False, config=None):
    """Follow (state present) or unfollow (absent): one GET (none when ``config`` is given), plus one POST when it changes.

    Returns ``changed``, ``project`` (slug), ``followed`` (after), ``first_build`` (the build a
    follow started, else None) and ``diff`` (``{followed: bool}`` before and after).
    """
    before = followed_in(config if config is not None else read_config(client, project), project)
    changed, action = plan_follow(before, state)
    after = before if not changed else action == 'follow'
    result = {'changed': changed, 'project': project.slug, 'followed': after, 'first_build': None,
              'diff': {'before': {'followed': before}, 'after': {'followed': after}}}
    if not changed or check_mode:
        return result
    try:
        answer = client.post(FOLLOW_PATH if action == 'follow' else UNFOLLOW_PATH, project, repeatable=True)
    except RequestError as error:
        partial = dict(result, changed=False, followed=before, diff={'before': {'followed': before}, 'after': {'followed': before}})
        confirm(error.with_result(partial), lambda: followed_in(read_config(client, project), project) == after)
        answer = None  # applied; its answer was lost
    if isinstance(answer, dict):
        if isinstance(answer.get('followed'), bool):
            result['followed'] = answer['followed']
        if action == 'follow' and isinstance(answer.get('first_build'), dict):
            result['first_build'] = answer['first_build']
    return result


# -- the project module: identity, creation, following and advanced settings -------------------------------------------
#
# API v2 facts (../shared/reference/v2): GET /project/{slug} answers the project (404 when unknown, not set up, or
# hidden). POST /project/{provider}/{organization}/{project} (no body) sets up an existing GitHub OAuth or Bitbucket
# repository and answers its advanced settings (201; 405 for circleci, 404 "Branch not found." without a main branch
# and a config, 404 "Project not found." for an unknown repository). POST /organization/{org-id}/project {"name"}
# (not in the pinned spec; CircleCI's SDK and Terraform provider use it) creates a project of a circleci organization
# and answers it as GET /project does; a second one of the same name is refused (409 "Project already exists.", status
# undocumented). API v2 cannot list an organization's projects or find one by name, and following is API v1.1 only.

PROJECT_PATH = 'project/{}'            # v2 GET /project/{slug}; also POST /project/{provider}/{organization}/{project}
ORG_PROJECT_PATH = 'organization/{}/project'
CONFLICT = 409

# The project module's own options (the project identity options are stated here too: O(project) is optional,
# as O(owner) and O(name) may name a project to create instead).
SPEC = dict(
    project=dict(type='str'),
    vcs_type=dict(type='str', choices=['github', 'gh', 'bitbucket', 'bb']),
    username=dict(type='str', aliases=['organization', 'org']),
    owner=dict(type='str'),
    name=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    follow=dict(type='bool'),
    settings=dict(type='dict', options=_advanced_settings.SPEC),
)
RULES = dict(
    mutually_exclusive=[('project', 'name'), ('project', 'owner'), ('owner', 'vcs_type'), ('owner', 'username')],
    required_one_of=[('project', 'name')],
    required_together=[('owner', 'name')],
    required_by={'vcs_type': ('username',)},
)


class Target(namedtuple('Target', ['project', 'create', 'org_id', 'name'])):
    """What the options name: ``project`` (a Project, or None for a project of a circleci organization named by
    ``name`` only), ``create`` (whether it may be created: named by owner and name), ``org_id`` and ``name`` (for
    a circleci organization)."""

    __slots__ = ()

    @property
    def circleci(self):
        """Whether only API v2 knows this project (GitHub App, GitLab, standalone)."""
        return self.project is None or not self.project.in_v1

    @property
    def label(self):
        return self.project.slug if self.project is not None else '%s in organization circleci/%s' % (self.name, self.org_id)


def target_of(params, parse):
    """The Target the options name (``parse`` turns a slug into a Project); InputError before any request."""
    if params.get('project') is not None:
        return Target(parse(params['project']), False, None, None)
    name = params['name']
    if not isinstance(name, str) or not name.strip() or name != name.strip() or '/' in name:
        raise InputError('name %r must be the project\'s name alone (no "/", no surrounding white space)' % (name,))
    try:
        owner = parse_owner(params['owner'])
    except ProjectError as error:
        raise InputError(str(error))
    if owner.vcs_type == 'circleci':
        return Target(None, True, owner.name, name)
    return Target(parse('%s/%s/%s' % (owner.vcs_type, owner.name, name)), True, None, None)


def check_options(params, target):
    """The rules AnsibleModule cannot state; InputError before any request."""
    _advanced_settings.check_settings(params.get('settings'))
    state, follow, settings = params['state'], params.get('follow'), _advanced_settings.managed(params.get('settings'))
    if target.circleci:
        if follow is not None:
            raise InputError('follow works through CircleCI API v1.1, which does not know %s (a GitHub App, GitLab or standalone '
                             'project): leave follow out' % target.label)
        if state == 'absent':
            raise InputError('state=absent unfollows a project, which works through CircleCI API v1.1 only, and it does not know %s '
                             '(a GitHub App, GitLab or standalone project); this module does not delete projects' % target.label)
    if state == 'absent':
        if follow:
            raise InputError('state=absent unfollows the project: follow=true contradicts it')
        if settings:
            raise InputError('settings are managed with state=present (state=absent only unfollows the project)')
    if target.project is None and settings:
        raise InputError(
            'settings of a project named by owner and name in a circleci organization cannot be managed: API v2 cannot find '
            'such a project by name once it exists. Create it with owner and name, then manage its settings with '
            'project=circleci/<organization id>/<project id> (the module returns it when it creates the project)')


def _empty_result(target):
    return {'changed': False, 'project': target.project.slug if target.project is not None else None, 'created': False,
            'followed': None, 'first_build': None, 'settings': None, 'updated': [], 'unchanged': [],
            'diff': {'before': {}, 'after': {}}}


def _merge(result, part, key):
    """Fold a sub-result (follow or settings) into the module result."""
    result['changed'] = result['changed'] or part['changed']
    if key == 'followed':
        result['followed'], result['first_build'] = part['followed'], part['first_build']
    else:
        result.update(settings=part['settings'], updated=part['updated'], unchanged=part['unchanged'])
    for side in ('before', 'after'):
        result['diff'][side].update(part['diff'][side] if key == 'followed' else {'settings': part['diff'][side]})
    return result


def converge_project(client, target, state='present', follow=None, settings=None, check_mode=False, warn=None):
    """The project module: the project exists (created when named by owner and name), is followed or not, and has the
    managed advanced settings. See the module's documentation for the requests each case costs.

    Returns ``changed``, ``project`` (short slug; None for a project of a circleci organization named by name that
    existed already), ``created``, ``followed`` (None when not managed), ``first_build``, ``settings`` (None unless
    managed), ``updated``/``unchanged`` (managed settings' names) and ``diff``. A failure after a change carries
    what was applied.
    """
    result = _empty_result(target)
    if target.project is None:
        return _create_in_circleci_org(client, target, result, check_mode, warn)
    project = target.project
    follow_wanted = None if target.circleci else (follow if follow is not None else state == 'present')
    current = _ensure_classic(client, project, result, check_mode) if target.create and state == 'present' else None
    if result['created']:
        if follow_wanted:  # a project just set up is not followed yet (CircleCI's SDK follows it next, too)
            _step(result, 'followed', lambda: _follow_new(client, project, check_mode))
        elif follow_wanted is False:
            result['followed'] = False
    elif follow_wanted is not None:
        _step(result, 'followed', lambda: converge_follow(client, project, 'present' if follow_wanted else 'absent', check_mode))
    elif not _advanced_settings.managed(settings) and not target.create:
        client.v2.get(PROJECT_PATH, project, expect=dict)  # a circleci/ project: that it exists is all there is to check
    if _advanced_settings.managed(settings):
        if current is None and result['created'] and check_mode:
            current = dict(_advanced_settings.NEW_PROJECT)
        _step(result, 'settings', lambda: _advanced_settings.converge_settings(client, project, settings, check_mode, current=current))
    return result


def _step(result, key, run):
    """Run one step (``followed`` or ``settings``) and fold its result in; a failure carries what every step applied."""
    try:
        part = run()
    except CircleCIError as error:
        if isinstance(error.result, dict):
            _merge(result, error.result, key)
        raise error.with_result(result)
    return _merge(result, part, key)


def _ensure_classic(client, project, result, check_mode):
    """Read the settings of a GitHub OAuth or Bitbucket project named by owner and name (the read that tells whether it
    exists), and set it up when it does not: ``POST /project/{provider}/{organization}/{project}``, which answers its
    settings. Returns the project's settings (None in check mode for a project to create)."""
    try:
        current = _advanced_settings.read_settings(client, project)
    except NotFoundError:
        current = None
    result['diff']['before']['exists'] = current is not None
    result['diff']['after']['exists'] = True
    if current is not None:
        return current
    result['changed'] = result['created'] = True
    if check_mode:
        return None
    try:
        answer = client.v2.post(PROJECT_PATH, project, expect=dict)
    except RequestError as error:
        if error.status == CONFLICT:  # set up meanwhile by someone else: it exists, which is what was asked
            result['changed'] = result['created'] = False
            return _advanced_settings.read_settings(client, project)
        read_back = []

        def landed():
            try:
                read_back.append(_advanced_settings.read_settings(client, project))
            except NotFoundError:
                return False
            return True

        confirm(error.with_result(dict(result, changed=False, created=False)), landed)
        return read_back[-1]
    return _advanced_settings.advanced_of(answer, 'POST', project)


def _follow_new(client, project, check_mode):
    """Follow a project this run set up (so not followed yet): one POST, no read."""
    part = {'changed': True, 'followed': True, 'first_build': None,
            'diff': {'before': {'followed': False}, 'after': {'followed': True}}}
    if check_mode:
        return part
    try:
        answer = client.post(FOLLOW_PATH, project, repeatable=True)
    except RequestError as error:
        confirm(error.with_result(dict(part, changed=False, followed=False)),
                lambda: followed_in(read_config(client, project), project))
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get('first_build'), dict):
        part['first_build'] = answer['first_build']
    return part


def _create_in_circleci_org(client, target, result, check_mode, warn):
    """Create project ``target.name`` in a circleci organization unless it exists: one GET (the organization, among
    the token user's) and one POST, whose refusal of a duplicate (409) is how an existing project shows, as no read
    can find a project by name. Check mode cannot tell, and reports the creation it would attempt."""
    org = resolve_owner(client, 'circleci/%s' % target.org_id)
    result['diff'] = {'before': {'exists': None}, 'after': {'exists': True}}
    if check_mode:
        if warn is not None:
            warn('Check mode cannot tell whether organization %s already has a project named %s: API v2 has no read that '
                 'finds a project by name, so the creation it would attempt is reported as a change' % (org['slug'], target.name))
        return dict(result, changed=True, created=True)
    try:
        answer = client.v2.post(ORG_PROJECT_PATH, org['id'], body={'name': target.name}, expect=dict)
    except RequestError as error:
        if error.status != CONFLICT:
            raise error.with_result(result)
        result['diff']['before']['exists'] = True
        return result
    result.update(changed=True, created=True)
    result['diff']['before']['exists'] = False
    project_id = canonical_id(answer.get('id'))
    if project_id is None:
        raise InvalidResponseError('POST', '/api/v2/' + encode_path(ORG_PROJECT_PATH, org['id']), 200, outcome=APPLIED,
                                   detail='The answer does not give the new project\'s id').with_result(result)
    result['project'] = Project('circleci', canonical_id(answer.get('organization_id')) or org['id'], project_id).slug
    return result
