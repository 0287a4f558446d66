# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project environment variables: masking, validation, planning, applying and drift.

For internal collection use only: names and behaviour may change without notice.

CircleCI never returns an env var's value: ``GET project/:slug/envvar`` answers ``xxxx`` plus the
last four characters (just ``xxxx`` for a value shorter than four characters). So a stored value
can be compared with a desired one only through that masked form:

- masked forms that differ prove the values differ;
- masked forms that match prove nothing more than equal last four characters (or, for short
  values, that both are shorter than four characters). Such names are reported as ``unverified``.

Everything here but ``apply_env_var_plan`` and ``converge_env_vars`` is pure: one plan drives
check mode, diff mode and the real run. Writes are single POSTs (the API overwrites a variable
of the same name, so replaying one is harmless and it is never deleted first); deletions run
last, and only after every write succeeded.

GitHub OAuth and Bitbucket projects are served through API v1.1; ``circleci/<org id>/<project id>``
projects (GitHub App, GitLab, standalone), which only API v2 knows, through API v2's
``/project/{slug}/envvar``: the same paths, the same ``{name, value}`` bodies and the same masking,
but lists are paged (``{items, next_page_token}``, followed by ``client.v2.items``), items carry
``created-at`` (ISO 8601, may be null), an unknown name answers 404 ``Environment variable not found.``
and project API tokens are refused (v2 does not support them). ``created-at`` moves when a variable is
written again (an overwrite is a new variable), so after a lost answer it tells whether a write with
the same masked value landed, which the masked form alone cannot.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.community.circleci.plugins.module_utils._bulk import APPLIED_KEY, ChangePlan, apply_phases, failure_entry, new_outcome
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    NOT_APPLIED,
    CircleCIError,
    InputError,
)

NAME_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
MASK_PREFIX = 'xxxx'
MASK_VISIBLE = 4
UPDATE_VALUE_CHOICES = ('always', 'on_create', 'when_masked_differs')
STATES = ('present', 'absent')

LIST_PATH = 'project/{}/envvar'
ITEM_PATH = 'project/{}/envvar/{}'

# One variable: an item of env_var's variables and of project_settings' env_vars. The value is
# 'raw' so that a YAML number or boolean is refused (see value_problem) instead of silently turned into text.
ITEM_SPEC = dict(
    name=dict(type='str', required=True),
    value=dict(type='raw', no_log=True),
    state=dict(type='str', choices=list(STATES)),
)
UPDATE_VALUE_SPEC = dict(type='str', choices=list(UPDATE_VALUE_CHOICES), default='when_masked_differs')


def mask(value):
    """The masked form CircleCI shows: ``xxxx`` plus the last four characters.

    A value shorter than four characters (the empty value too) shows as ``xxxx`` alone, as the
    API and the web UI do. Characters are Unicode code points, not bytes.
    """
    value = '' if value is None else str(value)
    if len(value) < MASK_VISIBLE:
        return MASK_PREFIX
    return MASK_PREFIX + value[-MASK_VISIBLE:]


_YAML_TYPES = {bool: 'a boolean', int: 'a number', float: 'a number', dict: 'a dictionary', list: 'a list'}


def value_problem(value):
    """Why ``value`` cannot be stored as an environment variable's value, or None for a string.

    CircleCI stores text. YAML turns ``true`` into a boolean and ``1.10`` into the number 1.1, and
    turning those back into text cannot give what was written, so anything but a string is refused
    with a hint to quote it. The rule is shared by env_var, project_settings and build parameters.
    """
    if isinstance(value, str):
        return None
    kind = _YAML_TYPES.get(type(value)) or next((label for kind, label in _YAML_TYPES.items() if isinstance(value, kind)), None)
    if kind is None:
        kind = 'a %s' % type(value).__name__
    if isinstance(value, (dict, list)):
        return ('the value must be a string, not %s: quote the text to store, or turn the data into text with a filter '
                '(for example "{{ data | to_json }}")' % kind)
    return ('the value must be a string, not %s: quote it in YAML (value: "%s"), or add "| string" to a template'
            % (kind, 'true' if value is True else 'false' if value is False else value))


def validate_variables(variables):
    """Every problem with a list of desired variables, as messages (empty when usable).

    Each item is a dict with ``name``, ``value`` and ``state`` (``present`` when None). Names must
    match ``[A-Za-z_][A-Za-z0-9_]*`` in full, may be listed once, and a present variable needs a
    value, a string (the empty string is allowed).
    """
    errors = []
    seen = {}
    for index, item in enumerate(variables, start=1):
        name = item.get('name')
        if not isinstance(name, str) or not name:
            errors.append('variables item %d has no name' % index)
            continue
        label = 'variable %s' % name
        if not NAME_RE.fullmatch(name):
            errors.append('%s: the name is not valid: use letters, digits and "_", not starting with a digit' % label)
        seen.setdefault(name, []).append(index)
        state = item.get('state') or 'present'
        value = item.get('value')
        if state == 'present' and value is None:
            errors.append('%s: a value is required when state is present' % label)
        elif value is not None and value_problem(value):
            errors.append('%s: %s' % (label, value_problem(value)))
    for name, indexes in seen.items():
        if len(indexes) > 1:
            errors.append('variable %s is listed %d times (items %s): list each name once'
                          % (name, len(indexes), ', '.join(str(i) for i in indexes)))
    return errors


def check_variables(variables):
    """InputError listing every problem with the desired variables, before any request."""
    errors = validate_variables(variables)
    if errors:
        raise InputError('Invalid variables, nothing was sent: %s' % '; '.join(errors))


def desired_variables(params):
    """The ``{name, value, state}`` items a module's options ask for: ``variables``, or ``name``/``value``.

    Items without a state take the module's ``state``. Shared by env_var and context_env_var.
    """
    if params.get('variables') is not None:
        return [dict(name=item['name'], value=item.get('value'), state=item.get('state') or params['state'])
                for item in params['variables']]
    return [dict(name=params['name'], value=params['value'], state=params['state'])]


def normalize_current(current):
    """``{name: masked value}`` from the API list ``[{"name", "value"}]`` (in its order)."""
    stored = {}
    for item in current or []:
        if isinstance(item, dict) and isinstance(item.get('name'), str):
            stored[item['name']] = '' if item.get('value') is None else str(item['value'])
    return stored


def _same_mask_reason(value):
    if len(value) < MASK_VISIBLE:
        return ('CircleCI shows both values as xxxx (shorter than %d characters): the stored value was not compared, '
                'it may differ' % MASK_VISIBLE)
    return ('the masked forms match (%s): only the last %d characters could be compared, the rest may differ'
            % (mask(value), MASK_VISIBLE))


Change = namedtuple('Change', ['name', 'action', 'reason', 'value'])
Change.__doc__ = """One planned step. ``value`` is the clear value to write (add/update only); never put it in a result."""


class EnvVarPlan(ChangePlan):
    """What converging a project's variables takes, and why; the clear values stay inside.

    ``add``, ``update``, ``delete`` and ``unchanged`` are lists of Change in a stable order;
    ``unverified`` is the subset of ``unchanged`` names whose values matched by the masked form only.
    ``before`` is ``{name: masked}`` as read; ``after`` the same as it will be.
    """

    def __init__(self, before, add, update, delete, unchanged, unverified, created=None):
        super().__init__(add, update, delete, unchanged, unverified)
        self.before = before
        self.created = created or {}  # name -> created-at as read (API v2 lists only)

    @property
    def after(self):
        return self.after_applied([change.name for change in self.writes], [change.name for change in self.delete])

    def after_applied(self, written, deleted):
        """``{name: masked}`` once the named writes and deletions are done (all of them by default)."""
        values = {change.name: change.value for change in self.writes}
        after = dict(self.before)
        for name in written:
            after[name] = mask(values[name])
        for name in deleted:
            after.pop(name, None)
        return after

    def diff(self, after=None):
        """Before/after ``{name: masked value}``; never a clear value."""
        return {'before': dict(sorted(self.before.items())), 'after': dict(sorted((self.after if after is None else after).items()))}

    def to_result(self):
        """The result of the plan as if applied (check mode), with names only."""
        result = self.names_result()
        result.update(env_vars=env_var_list(self.after), diff=self.diff())
        return result


def created_at(current):
    """``{name: created-at}`` from an API v2 list (empty for v1.1 lists, which have no such field)."""
    return {item['name']: item.get('created-at') for item in current or []
            if isinstance(item, dict) and isinstance(item.get('name'), str) and item.get('created-at') is not None}


def env_var_list(masked):
    """``[{name, value}]`` sorted by name, from ``{name: masked}``."""
    return [{'name': name, 'value': value} for name, value in sorted(masked.items())]


def plan_env_vars(current, desired, purge=False, update_value='when_masked_differs'):
    """Plan how to go from ``current`` (API list, masked) to ``desired`` ({name, value, state} items).

    ``update_value``: ``when_masked_differs`` writes an existing variable only when the masked form
    of the desired value differs from the stored one; ``always`` writes every present variable
    (so the plan always changes something); ``on_create`` never writes an existing variable.
    ``purge`` deletes every stored variable that ``desired`` does not name. Raises InputError for
    unusable input.
    """
    check_variables(desired)
    before = normalize_current(current)
    add, update, delete, unchanged, unverified = [], [], [], [], []
    for item in desired:
        name, value, state = item['name'], item.get('value'), item.get('state') or 'present'
        stored = before.get(name)
        if state == 'absent':
            if stored is None:
                unchanged.append(Change(name, 'none', 'absent already', None))
            else:
                delete.append(Change(name, 'delete', 'state is absent', None))
            continue
        if stored is None:
            add.append(Change(name, 'add', 'not set', value))
        elif update_value == 'always':
            update.append(Change(name, 'update', 'update_value is always: the value is written even if it is the same', value))
        elif update_value == 'on_create':
            reason = 'exists; update_value is on_create, so its value is neither compared nor written'
            unchanged.append(Change(name, 'none', reason, None))
        elif mask(value) != stored:
            update.append(Change(name, 'update', 'the stored value %s differs from the desired %s' % (stored, mask(value)), value))
        else:
            unchanged.append(Change(name, 'none', _same_mask_reason(value), None))
            unverified.append(name)
    if purge:
        listed = {item['name'] for item in desired}
        for name in before:
            if name not in listed:
                delete.append(Change(name, 'delete', 'not listed, and purge is true', None))
    return EnvVarPlan(before, add, update, delete, unchanged, unverified, created=created_at(current))


def apply_env_var_plan(client, project, plan):
    """Carry out a plan: writes concurrently, then deletions; stop starting new requests at the first failure.

    Returns ``added``, ``updated``, ``deleted`` (names applied), ``failures`` (``{name, action,
    reason, status, outcome}``; not ``failed``, which Ansible reserves for the task status) and
    ``not_attempted`` (names). Requests already in flight when a failure happens finish; nothing
    applied is undone, so running the same converge again finishes the job. When the answer to a
    write was lost, the variables are read once more to learn which of those writes landed; when
    all did, the work goes on as if nothing had happened.
    """
    api = api_for(client, project)

    def write(change):
        # One overwriting POST: replaying it is harmless, and its answer is not needed.
        api.post(LIST_PATH, project, body={'name': change.name, 'value': change.value}, repeatable=True, expect=None)

    def remove(change):
        api.delete(ITEM_PATH, project, change.name, missing_ok=True)  # gone already meets the goal

    def settle(uncertain, outcome):
        # When the read-back shows every lost answer's write landed, the changes held back go in the next batch.
        _settle(client, project, plan, uncertain, outcome)

    return apply_phases(client, [(plan.writes, write), (plan.delete, remove)], settle, new_outcome())


def _settle(client, project, plan, uncertain, outcome):
    """Read the variables once to learn which writes whose answer was lost were applied."""
    try:
        listed = read_env_vars(client, project)
        stored, created = normalize_current(listed), created_at(listed)
    except CircleCIError:
        stored, created = None, {}
    for change, error in uncertain:
        before, now = plan.before.get(change.name), (stored or {}).get(change.name)
        wanted = None if change.action == 'delete' else mask(change.value)
        # API v2's created-at moves on every write: it shows a write landed even when the masked form stayed the same.
        rewritten = wanted is not None and created.get(change.name) not in (None, plan.created.get(change.name))
        if stored is not None and now == wanted and (before != wanted or rewritten):
            outcome[APPLIED_KEY[change.action]].append(change.name)
            continue
        if stored is not None and now == before and before != wanted and not error.may_still_run:
            error.outcome = NOT_APPLIED
        outcome['failures'].append(failure_entry(change, error))


def api_for(client, project):
    """The API that serves ``project``'s variables: v1.1 for GitHub OAuth and Bitbucket, v2 for circleci/ projects."""
    return client if project.in_v1 else client.v2


def read_env_vars(client, project):
    """The project's variables as the API lists them (masked): one GET (API v2: one per page)."""
    if project.in_v1:
        return client.get(LIST_PATH, project, expect=list)
    return client.v2.items(LIST_PATH, project)


def converge_env_vars(client, project, desired, purge=False, update_value='when_masked_differs', check_mode=False):
    """Read the variables once, plan, and (unless check_mode) apply: one GET plus one request per change.

    Returns the plan's result (see EnvVarPlan.to_result) with ``project``; after a real run
    ``added``/``updated``/``deleted`` name what was applied. Input problems raise InputError before any
    request; a failing GET raises its RequestError; when some writes failed, a CircleCIError carries
    the result, whose ``failures`` and ``not_attempted`` say what was not applied.
    """
    check_variables(desired)
    plan = plan_env_vars(read_env_vars(client, project), desired, purge=purge, update_value=update_value)
    result = plan.to_result()
    result['project'] = project.slug
    if check_mode or not plan.changed:
        return result
    applied = apply_env_var_plan(client, project, plan)
    after = plan.after_applied(applied['added'] + applied['updated'], applied['deleted'])
    result.update(applied)
    result['changed'] = bool(applied['added'] or applied['updated'] or applied['deleted']
                             or any(failure['outcome'] != NOT_APPLIED for failure in applied['failures']))
    result['env_vars'] = env_var_list(after)
    result['diff'] = plan.diff(after)
    if applied['failures']:
        raise CircleCIError(failure_message(result), result=result)
    return result


def failure_message(result):
    """A message for a converge whose writes did not all succeed: what was applied, what failed, what next."""
    applied = []
    for key in ('added', 'updated', 'deleted'):
        if result.get(key):
            applied.append('%s %s' % (key, ', '.join(result[key])))
    failed = ['%s %s: %s' % (item['action'], item['name'], item['reason']) for item in result.get('failures') or []]
    project = result.get('project', 'the project')
    if applied:
        parts = ['Environment variables of %s were only partly converged' % project, 'applied: %s' % '; '.join(applied)]
    else:
        parts = ['Environment variables of %s were not converged' % project, 'applied: nothing']
    parts.append('failed: %s' % ' | '.join(failed))
    if result.get('not_attempted'):
        parts.append('not attempted: %s' % ', '.join(result['not_attempted']))
    if applied:
        parts.append('Nothing applied was undone; running the task again converges the rest')
    else:
        parts.append('Running the task again retries every change')
    return '. '.join(part.rstrip('.') for part in parts) + '.'


def normalize_expected(expected):
    """``{name: value or None}`` from a dict (name -> value, None or '' for name only) or a list of names.

    Raises InputError for names no variable can have and for values that are not strings.
    """
    if isinstance(expected, dict):
        normalized = {str(name): (None if value is None or value == '' else value) for name, value in expected.items()}
    elif isinstance(expected, (list, tuple)):
        normalized = {str(name): None for name in expected}
    else:
        raise InputError('expected must be a dict of name: value (null for name only) or a list of names')
    errors = ['the name %r is not valid: use letters, digits and "_", not starting with a digit' % name
              for name in normalized if not NAME_RE.fullmatch(name)]
    errors.extend('%s: %s' % (name, value_problem(value)) for name, value in normalized.items()
                  if value is not None and value_problem(value))
    if errors:
        raise InputError('expected: %s' % '; '.join(errors))
    return normalized


def expected_of(params):
    """``{name: value or None}`` from the expected and expected_names options of an info module, or None when neither
    is set (env_var_info and context_info state them alike)."""
    if params['expected'] is None and params['expected_names'] is None:
        if params['fail_on_drift']:
            raise InputError('fail_on_drift needs expected or expected_names: the names (and values) to compare with')
        return None
    expected = normalize_expected(params['expected'] or {})
    for name in params['expected_names'] or []:
        expected.setdefault(name, None)
    return normalize_expected(expected)


def drift_report(current, expected, allow_unexpected=False):
    """Compare the API list ``current`` with ``expected`` (normalized: {name: value}; None checks the name only).

    ``missing``: expected names not set; ``unexpected``: set names not expected;
    ``masked_mismatch``: names whose masked form differs from the expected value's (they do differ);
    ``unverified``: names whose masked forms match, which proves only equal last four characters;
    ``in_sync``: no missing, unexpected (unless ``allow_unexpected``) or mismatching name.
    """
    stored = normalize_current(current)
    missing, mismatch, unverified = [], [], []
    for name, value in expected.items():
        if name not in stored:
            missing.append(name)
        elif value is not None:
            if mask(value) != stored[name]:
                mismatch.append(name)
            else:
                unverified.append(name)
    unexpected = [name for name in stored if name not in expected]
    return {
        'missing': missing,
        'unexpected': unexpected,
        'masked_mismatch': mismatch,
        'unverified': unverified,
        'in_sync': not (missing or mismatch or (unexpected and not allow_unexpected)),
    }


def describe_drift(project, report):
    """One readable sentence about a project's drift, or None when in sync."""
    if report['in_sync']:
        return None
    parts = []
    for key, label in (('missing', 'missing'), ('unexpected', 'unexpected'), ('masked_mismatch', 'value differs (masked form)')):
        if report[key]:
            parts.append('%s: %s' % (label, ', '.join(report[key])))
    return '%s: %s' % (project, '; '.join(parts))
