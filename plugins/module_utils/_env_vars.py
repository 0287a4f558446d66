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
"""

from __future__ import annotations

import re
import threading
from collections import namedtuple

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CircleCIError,
    InvalidResponseError,
    NotFoundError,
)

NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
MASK_PREFIX = 'xxxx'
MASK_VISIBLE = 4
UPDATE_VALUE_CHOICES = ('always', 'on_create', 'when_masked_differs')
STATES = ('present', 'absent')

LIST_PATH = 'project/{}/envvar'
ITEM_PATH = 'project/{}/envvar/{}'


class EnvVarError(ValueError):
    """Desired variables that cannot be used; the message lists every problem."""


def mask(value):
    """The masked form CircleCI shows: ``xxxx`` plus the last four characters.

    A value shorter than four characters (the empty value too) shows as ``xxxx`` alone, as the
    API and the web UI do. Characters are Unicode code points, not bytes.
    """
    value = '' if value is None else str(value)
    if len(value) < MASK_VISIBLE:
        return MASK_PREFIX
    return MASK_PREFIX + value[-MASK_VISIBLE:]


def validate_variables(variables):
    """Every problem with a list of desired variables, as messages (empty when usable).

    Each item is a dict with ``name``, ``value`` and ``state`` (``present`` when None). Names must
    match ``^[A-Za-z_][A-Za-z0-9_]*$``, may be listed once, and a present variable needs a value
    (a string; the empty string is allowed).
    """
    errors = []
    if not isinstance(variables, (list, tuple)):
        return ['variables must be a list of {name, value, state} items']
    seen = {}
    for index, item in enumerate(variables, start=1):
        if not isinstance(item, dict):
            errors.append('variables item %d must be a dict with name, value and state' % index)
            continue
        name = item.get('name')
        if not isinstance(name, str) or not name:
            errors.append('variables item %d has no name' % index)
            continue
        label = 'variable %s' % name
        if not NAME_RE.match(name):
            errors.append('%s: the name is not valid: use letters, digits and "_", not starting with a digit (^[A-Za-z_][A-Za-z0-9_]*$)'
                          % label)
        seen.setdefault(name, []).append(index)
        state = item.get('state') or 'present'
        if state not in STATES:
            errors.append('%s: state must be present or absent, got %r' % (label, state))
            continue
        value = item.get('value')
        if state == 'present':
            if value is None:
                errors.append('%s: a value is required when state is present' % label)
            elif not isinstance(value, str):
                errors.append('%s: the value must be a string' % label)
    for name, indexes in seen.items():
        if len(indexes) > 1:
            errors.append('variable %s is listed %d times (items %s): list each name once'
                          % (name, len(indexes), ', '.join(str(i) for i in indexes)))
    return errors


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


class EnvVarPlan:
    """What converging a project's variables takes, and why; the clear values stay inside.

    ``add``, ``update``, ``delete`` and ``unchanged`` are lists of Change in a stable order;
    ``unverified`` is the subset of ``unchanged`` names whose values matched by the masked form only.
    ``before`` is ``{name: masked}`` as read; ``after`` the same as it will be.
    """

    def __init__(self, before, add, update, delete, unchanged, unverified):
        self.before = before
        self.add = add
        self.update = update
        self.delete = delete
        self.unchanged = unchanged
        self.unverified = unverified

    @property
    def writes(self):
        return self.add + self.update

    @property
    def changed(self):
        return bool(self.add or self.update or self.delete)

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

    def steps(self):
        """Every planned step (add, update, delete, none) with its reason, without values."""
        steps = []
        for change in self.add + self.update + self.delete + self.unchanged:
            steps.append({'name': change.name, 'action': change.action, 'reason': change.reason,
                          'verified': change.name not in self.unverified})
        return steps

    def to_result(self):
        """The result of the plan as if applied (check mode), with names only."""
        return {
            'changed': self.changed,
            'added': [change.name for change in self.add],
            'updated': [change.name for change in self.update],
            'deleted': [change.name for change in self.delete],
            'unchanged': [change.name for change in self.unchanged],
            'unverified': list(self.unverified),
            'failures': [],
            'not_attempted': [],
            'plan': self.steps(),
            'env_vars': env_var_list(self.after),
            'diff': self.diff(),
        }


def env_var_list(masked):
    """``[{name, value}]`` sorted by name, from ``{name: masked}``."""
    return [{'name': name, 'value': value} for name, value in sorted(masked.items())]


def plan_env_vars(current, desired, purge=False, update_value='when_masked_differs'):
    """Plan how to go from ``current`` (API list, masked) to ``desired`` ({name, value, state} items).

    ``update_value``: ``when_masked_differs`` writes an existing variable only when the masked form
    of the desired value differs from the stored one; ``always`` writes every present variable
    (so the plan always changes something); ``on_create`` never writes an existing variable.
    ``purge`` deletes every stored variable that ``desired`` does not name. Raises EnvVarError for
    unusable input.
    """
    if update_value not in UPDATE_VALUE_CHOICES:
        raise EnvVarError('update_value must be one of %s, got %r' % (', '.join(UPDATE_VALUE_CHOICES), update_value))
    errors = validate_variables(desired)
    if errors:
        raise EnvVarError('; '.join(errors))
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
    return EnvVarPlan(before, add, update, delete, unchanged, unverified)


_SKIPPED = object()


def apply_env_var_plan(client, project, plan):
    """Carry out a plan: writes concurrently, then deletions; stop starting new requests at the first failure.

    Returns ``added``, ``updated``, ``deleted`` (names applied), ``failures`` (``{name, action,
    reason, status}``; not ``failed``, which Ansible reserves for the task status) and
    ``not_attempted`` (names). Requests already in flight when a failure happens finish; nothing
    applied is undone, so running the same converge again finishes the job.
    """
    stop = threading.Event()

    def run(step):
        change, send = step
        if stop.is_set():
            return _SKIPPED
        try:
            send(change)
        except CircleCIError:
            stop.set()
            raise
        return change.name

    def write(change):
        client.post(LIST_PATH, project, body={'name': change.name, 'value': change.value}, repeatable=True)

    def remove(change):
        try:
            client.delete(ITEM_PATH, project, change.name)
        except NotFoundError as error:
            # Gone already (deleted by someone else since it was read): the goal is met.
            if 'env var not found' not in str(error.api_message or '').lower():
                raise

    outcome = {'added': [], 'updated': [], 'deleted': [], 'failures': [], 'not_attempted': []}
    applied_key = {'add': 'added', 'update': 'updated', 'delete': 'deleted'}

    def collect(results):
        for result in results:
            change = result.item[0]
            if result.error is not None:
                outcome['failures'].append({'name': change.name, 'action': change.action, 'reason': str(result.error),
                                            'status': result.error.status})
            elif result.value is _SKIPPED:
                outcome['not_attempted'].append(change.name)
            else:
                outcome[applied_key[change.action]].append(change.name)

    collect(client.map_concurrent(run, [(change, write) for change in plan.writes]))
    if outcome['failures'] or outcome['not_attempted']:
        outcome['not_attempted'].extend(change.name for change in plan.delete)
    else:
        collect(client.map_concurrent(run, [(change, remove) for change in plan.delete]))
    return outcome


def read_env_vars(client, project):
    """The project's variables as the API lists them (masked), with one GET."""
    current = client.get(LIST_PATH, project)
    if not isinstance(current, list):
        raise InvalidResponseError('GET', '/' + encode_path(LIST_PATH, project), detail='expected a JSON list of environment variables')
    return current


def converge_env_vars(client, project, desired, purge=False, update_value='when_masked_differs', check_mode=False):
    """Read the variables once, plan, and (unless check_mode) apply: one GET plus one request per change.

    Returns the plan's result (see EnvVarPlan.to_result) with ``project``; after a real run
    ``added``/``updated``/``deleted`` name what was applied, ``failures`` and ``not_attempted`` what
    was not, and ``changed`` is true when anything was applied. Input problems raise EnvVarError
    before any request; a failing GET raises its CircleCIError.
    """
    errors = validate_variables(desired)
    if errors:
        raise EnvVarError('; '.join(errors))
    plan = plan_env_vars(read_env_vars(client, project), desired, purge=purge, update_value=update_value)
    result = plan.to_result()
    result['project'] = project.slug
    if check_mode or not plan.changed:
        return result
    applied = apply_env_var_plan(client, project, plan)
    after = plan.after_applied(applied['added'] + applied['updated'], applied['deleted'])
    result.update(applied)
    result['changed'] = bool(applied['added'] or applied['updated'] or applied['deleted'])
    result['env_vars'] = env_var_list(after)
    result['diff'] = plan.diff(after)
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
    """``{name: value or None}`` from a dict (name -> value, None or '' for name only) or a list of names."""
    if expected is None:
        return {}
    if isinstance(expected, dict):
        return {str(name): (None if value is None or value == '' else str(value)) for name, value in expected.items()}
    if isinstance(expected, (list, tuple)):
        return {str(name): None for name in expected}
    raise EnvVarError('expected must be a dict of name: value (null for name only) or a list of names')


def validate_expected(expected):
    """Messages for names in ``expected`` that no variable can have."""
    return ['expected: the name %r is not valid: use letters, digits and "_", not starting with a digit' % name
            for name in expected if not NAME_RE.match(name)]


def drift_report(current, expected, allow_unexpected=False):
    """Compare the API list ``current`` with ``expected`` ({name: value}; None or '' checks the name only).

    ``missing``: expected names not set; ``unexpected``: set names not expected;
    ``masked_mismatch``: names whose masked form differs from the expected value's (they do differ);
    ``unverified``: names whose masked forms match, which proves only equal last four characters;
    ``in_sync``: no missing, unexpected (unless ``allow_unexpected``) or mismatching name.
    """
    stored = normalize_current(current)
    expected = normalize_expected(expected)
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
