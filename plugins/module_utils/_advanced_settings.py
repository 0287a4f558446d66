# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A project's advanced settings (API v2): the options, their rules, the plan, and the converge routine.

For internal collection use only: names and behaviour may change without notice.

Facts of API v2 this relies on (``../shared/reference/v2``): ``GET /project/{provider}/{organization}/{project}/settings``
answers ``{"advanced": {...}}`` with nine booleans and ``pr_only_branch_overrides`` (a list of branch
names), for every kind of project (``circleci`` ones too); an unknown project is ``404 Project not
found.``. ``PATCH`` of the same path takes ``{"advanced": {<only the settings to change>}}``, leaves the
others alone, answers the full settings (200 even when nothing changed) and refuses, applying
nothing, an unknown setting, a value of the wrong type, or more than 100 branch overrides. ``oss``
only sticks on a public repository (a 400, or silently not set), so what the answer shows is checked.
API v1.1 only shows six of these (``feature_flags``) and cannot change them.

Only the settings given are managed: one GET, then one PATCH naming only those that differ.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    NOT_APPLIED,
    CircleCIError,
    InputError,
    InvalidResponseError,
    RequestError,
    confirm,
)

SETTINGS_PATH = 'project/{}/settings'  # below api_v2_url; a Project fills provider, organization and project

# The names and types API v2 uses, as its reference lists them.
BOOLEAN_SETTINGS = ('autocancel_builds', 'build_fork_prs', 'build_prs_only', 'disable_ssh', 'forks_receive_secret_env_vars',
                    'oss', 'set_github_status', 'setup_workflows', 'write_settings_requires_admin')
LIST_SETTINGS = ('pr_only_branch_overrides',)
NAMES = BOOLEAN_SETTINGS + LIST_SETTINGS
MAX_BRANCH_OVERRIDES = 100
# What the reference shows a new project answering (its example of the creation answer): a prediction for
# check mode when the project is still to be created, never trusted over what CircleCI answers.
NEW_PROJECT = dict({name: False for name in BOOLEAN_SETTINGS}, set_github_status=True, pr_only_branch_overrides=[])

# The suboptions of a ``settings`` option: a setting left out (None) is not managed.
SPEC = dict({name: dict(type='bool') for name in BOOLEAN_SETTINGS},
            pr_only_branch_overrides=dict(type='list', elements='str'))


def managed(settings):
    """``{name: value}`` of the settings asked for (None means "leave it alone"), in the reference's order."""
    settings = settings or {}
    return {name: settings[name] for name in NAMES if settings.get(name) is not None}


def check_settings(settings):
    """InputError, before any request, for settings the API would refuse or that cannot be meant.

    Unknown names and values of another type (a string "true" is not a boolean), more than 100 branch
    overrides, and empty or repeated branch names. ``settings`` maps names to values; None is "not managed".
    """
    if settings is None:
        return
    if not isinstance(settings, dict):
        raise InputError('settings must be a dictionary of advanced settings, such as {autocancel_builds: true}')
    errors = []
    unknown = sorted(str(name) for name in settings if name not in NAMES)
    if unknown:
        errors.append('unknown setting%s %s (the settings are %s)' % (
            '' if len(unknown) == 1 else 's', ', '.join(unknown), ', '.join(NAMES)))
    for name in BOOLEAN_SETTINGS:
        value = settings.get(name)
        if value is not None and not isinstance(value, bool):
            errors.append('%s must be true or false, not %r' % (name, value))
    branches = settings.get('pr_only_branch_overrides')
    if branches is not None:
        if not isinstance(branches, list) or not all(isinstance(branch, str) for branch in branches):
            errors.append('pr_only_branch_overrides must be a list of branch names')
        else:
            if len(branches) > MAX_BRANCH_OVERRIDES:
                errors.append('pr_only_branch_overrides holds %d branches; CircleCI takes at most %d' % (len(branches), MAX_BRANCH_OVERRIDES))
            if any(not branch.strip() or branch != branch.strip() for branch in branches):
                errors.append('pr_only_branch_overrides: a branch name is empty or starts or ends with white space')
            repeated = sorted({branch for branch in branches if branches.count(branch) > 1})
            if repeated:
                errors.append('pr_only_branch_overrides lists %s more than once' % ', '.join(repeated))
    if errors:
        raise InputError('Invalid settings, nothing was sent: %s' % '; '.join(errors))


def same(name, current, wanted):
    """Whether a setting already has the wanted value (branch overrides compare as a set: their order means nothing)."""
    if name in LIST_SETTINGS:
        return isinstance(current, list) and sorted(current) == sorted(wanted)
    return current is wanted


def advanced_of(answer, method, project):
    """The ``advanced`` object of a settings answer (GET, PATCH, or the classic creation POST); else an InvalidResponseError."""
    advanced = answer.get('advanced') if isinstance(answer, dict) else None
    if not isinstance(advanced, dict):
        raise InvalidResponseError(method, '/api/v2/' + encode_path(SETTINGS_PATH if method != 'POST' else 'project/{}', project),
                                   200, outcome=APPLIED if method != 'GET' else NOT_APPLIED,
                                   detail='The answer has no advanced settings object')
    return advanced


def read_settings(client, project):
    """Every advanced setting of ``project`` (``{name: value}``), with one GET."""
    return advanced_of(client.v2.get(SETTINGS_PATH, project, expect=dict), 'GET', project)


def plan(current, desired):
    """``{name: value}`` of the managed settings whose value differs from ``current`` (pure)."""
    return {name: value for name, value in managed(desired).items() if not same(name, current.get(name), value)}


def _result(current, wanted, changes, applied=None):
    """The settings part of a result: all settings after, the managed ones' names, and their before/after."""
    after = dict(current, **(changes if applied is None else applied))
    return {
        'changed': bool(changes),
        'settings': after,
        'updated': [name for name in wanted if name in changes],
        'unchanged': [name for name in wanted if name not in changes],
        'diff': {'before': {name: current.get(name) for name in wanted}, 'after': {name: after.get(name) for name in wanted}},
    }


def converge_settings(client, project, desired, check_mode=False, current=None):
    """Make the managed settings of ``project`` as ``desired``: one GET (none when ``current`` is given), one PATCH if needed.

    Returns ``changed``, ``settings`` (every setting after the task; in check mode, as it would be), ``updated``
    and ``unchanged`` (names of the managed settings), and ``diff`` (before and after of the managed settings).
    The PATCH names only the settings that differ. Its answer (the full settings) is checked: a setting
    CircleCI accepted but did not apply fails the task, which says so. A PATCH whose answer is lost is
    settled by reading the settings again.
    """
    check_settings(desired)
    wanted = managed(desired)
    if current is None:
        current = read_settings(client, project)
    changes = plan(current, desired)
    result = _result(current, wanted, changes)
    if check_mode or not changes:
        return result
    read_back = []

    def landed():
        read_back.append(read_settings(client, project))
        return all(same(name, read_back[-1].get(name), value) for name, value in changes.items())

    try:
        answer = client.v2.patch(SETTINGS_PATH, project, body={'advanced': changes}, expect=dict)
        applied = advanced_of(answer, 'PATCH', project)
    except RequestError as error:
        confirm(error.with_result(_result(current, wanted, {})), landed)
        applied = read_back[-1]
    result = _result(current, wanted, changes, applied={name: applied.get(name) for name in NAMES if name in applied})
    missed = [name for name, value in changes.items() if not same(name, applied.get(name), value)]
    if missed:
        result['updated'] = [name for name in result['updated'] if name not in missed]
        result['changed'] = bool(result['updated'])
        reasons = ['%s: asked %s, CircleCI says %s' % (name, _text(changes[name]), _text(applied.get(name))) for name in missed]
        raise CircleCIError('CircleCI accepted the settings of %s but did not apply %s (%s)%s. %s.' % (
            project.slug, ', '.join(missed), '; '.join(reasons), ': oss only sticks on a public repository' if 'oss' in missed else '',
            'Applied: %s' % ', '.join(result['updated']) if result['updated'] else 'Nothing was applied'), result=result)
    return result


def _text(value):
    """A setting's value as YAML writes it, for messages."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return '[%s]' % ', '.join(value) if isinstance(value, list) else repr(value)
