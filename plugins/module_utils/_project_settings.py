# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converge many projects and contexts in one module run.

For internal collection use only: names and behaviour may change without notice.

Per project: follow state, env vars, checkout keys, SSH keys, advanced settings, webhooks and schedules; per
context of an organization: the context and its restrictions, and its variables (with the ledger). Each resource's
options, rules and logic are the single-resource modules' own (``_project``, ``_env_vars``, ``_checkout_keys``,
``_ssh_keys``, ``_advanced_settings``, ``_webhooks``, ``_schedules``, ``_contexts``, ``_context_env_vars``); this file
only states an entry from them, checks every entry before any request, runs the contexts and the projects
concurrently on the client's bounded pool, and gathers the results. One that fails does not stop the others.

Contexts and projects run in the same pool, contexts first in the queue: nothing in one depends on the other (this
module creates no project, so a project restriction names a project that exists already or fails on its own; context
variables are not project variables), so the order only matters for reporting, which follows the order given.
"""

from __future__ import annotations

import re
import threading

from ansible_collections.community.circleci.plugins.module_utils import (
    _advanced_settings,
    _checkout_keys,
    _context_env_vars,
    _contexts,
    _env_vars,
    _schedules,
    _ssh_keys,
    _webhooks,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError
from ansible_collections.community.circleci.plugins.module_utils._ledger import Ledger
from ansible_collections.community.circleci.plugins.module_utils._module import SHAPE_ERRORS, unexpected_answer
from ansible_collections.community.circleci.plugins.module_utils._orgs import collaborations
from ansible_collections.community.circleci.plugins.module_utils._project import converge_follow, read_config
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, parse_owner, parse_project

# One project's entry in project_settings' projects (and the role's project_settings_projects).
ENTRY_SPEC = dict(
    project=dict(type='str', required=True),
    followed=dict(type='bool'),
    env_vars=dict(type='list', elements='dict', options=_env_vars.ITEM_SPEC),
    purge_env_vars=dict(type='bool', default=False),
    checkout_keys=dict(type='list', elements='dict', options=_checkout_keys.SPEC, no_log=False, **_checkout_keys.RULES),
    ssh_keys=dict(type='list', elements='dict', options=_ssh_keys.SPEC, no_log=False, **_ssh_keys.RULES),
    settings=dict(type='dict', options=_advanced_settings.SPEC),
    webhooks=dict(type='list', elements='dict', options=_webhooks.SPEC, **_webhooks.RULES),
    schedules=dict(type='list', elements='dict', options=_schedules.SPEC, **_schedules.RULES),
)

# One context's entry in project_settings' contexts: the context module's options (no state: this module creates
# contexts and never deletes one, so force has nothing to do) and context_env_var's variables, purge and update_value.
CONTEXT_SPEC = dict(
    name=dict(type='str', required=True),
    owner=dict(_contexts.OWNER_SPEC, required=True),
    restrictions=dict(type='list', elements='dict', options=_contexts.RESTRICTION_SPEC),
    purge_restrictions=dict(type='bool', default=False),
    variables=dict(type='list', elements='dict', options=_env_vars.ITEM_SPEC),
    purge=dict(type='bool', default=False),
    update_value=dict(type='str', choices=list(_context_env_vars.UPDATE_VALUE_CHOICES)),
)
CONTEXT_RULES = _contexts.RULES

# A resource's own "Invalid ..., nothing was sent: " opening, dropped when its message is placed in the list of problems.
_OPENING = re.compile(r'^Invalid [a-z ]+, nothing was sent: ')


def _problem(error):
    return _OPENING.sub('', str(error))


def prepare(entries):
    """Every project's input, checked and read (private key files) before any request.

    Raises one InputError naming each problem by its place in the data, e.g. ``projects[1].env_vars: ...``.
    """
    return prepare_run(entries)['projects']


def prepare_run(entries, contexts=None, ledger=None, check_mode=False):
    """Every project's and context's input, and the ledger, checked before any request.

    Returns ``{projects, contexts, warnings}``; raises one InputError naming each problem by its place in the data
    (``projects[1].env_vars: ...``, ``contexts[0].restrictions: ...``, ``ledger: ...``).
    """
    projects, errors = _check_projects(entries or [])
    prepared_contexts, context_errors = _check_contexts(contexts or [], ledger)
    errors.extend(context_errors)
    warnings = []
    if ledger:
        try:
            loaded = Ledger.load(ledger)
            if not check_mode:
                loaded.check_writable()
            if loaded.loose_permissions():
                warnings.append(loaded.loose_permissions())
        except InputError as error:
            errors.append('ledger: %s' % error)
    if errors:
        raise InputError('Invalid project settings, nothing was sent: %s' % '; '.join(errors))
    return {'projects': projects, 'contexts': prepared_contexts, 'warnings': warnings}


def _check_projects(entries):
    prepared, errors, seen = [], [], set()
    for index, entry in enumerate(entries):
        where = 'projects[%d]' % index
        try:
            project = parse_project(entry['project'])
        except ProjectError as error:
            errors.append('%s.project: %s' % (where, error))
            continue
        if project in seen:
            errors.append('%s.project: %s is listed twice' % (where, project.slug))
        seen.add(project)
        # API v1.1 alone follows projects and holds their additional SSH keys; it answers 404 for circleci/ projects.
        v11_only = [('followed', 'following a project')] if entry.get('followed') is not None else []
        v11_only += [('ssh_keys', 'managing additional SSH keys')] if entry.get('ssh_keys') else []
        for option, what in v11_only:
            try:
                project.require_v1(what)
            except ProjectError as error:
                errors.append('%s.%s: %s: leave %s out' % (where, option, error, option))
        env_vars = [dict(item, state=item.get('state') or 'present') for item in entry.get('env_vars') or []]
        errors.extend('%s.env_vars: %s' % (where, message) for message in _env_vars.validate_variables(env_vars))
        for key_index, key in enumerate(entry.get('checkout_keys') or []):
            try:
                _checkout_keys.check_options(key)
            except InputError as error:
                errors.append('%s.checkout_keys[%d]: %s' % (where, key_index, error))
        ssh_keys = []
        for key_index, key in enumerate(entry.get('ssh_keys') or []):
            try:
                ssh_keys.append(_ssh_keys.prepare(key))
            except InputError as error:
                errors.append('%s.ssh_keys[%d]: %s' % (where, key_index, error))
        try:
            _advanced_settings.check_settings(entry.get('settings'))
        except InputError as error:
            errors.append('%s.settings: %s' % (where, _problem(error)))
        if entry.get('schedules'):
            try:
                _schedules.check_project(project)
            except InputError as error:
                errors.append('%s.schedules: %s' % (where, error))
        for option, resource in (('webhooks', _webhooks), ('schedules', _schedules)):
            errors.extend(_check_named_items(entry.get(option) or [], resource.check_options, '%s.%s' % (where, option)))
        prepared.append(dict(entry, project=project, env_vars=env_vars if entry.get('env_vars') is not None else None,
                             ssh_keys=ssh_keys, checkout_keys=entry.get('checkout_keys') or [],
                             settings=_advanced_settings.managed(entry.get('settings')) or None,
                             webhooks=entry.get('webhooks') or [], schedules=entry.get('schedules') or []))
    return prepared, errors


def _check_named_items(items, check, where):
    """Problems of a list of webhooks or schedules: each item's own rules, and each name listed once."""
    errors, names = [], {}
    for index, item in enumerate(items):
        try:
            check(item)
        except InputError as error:
            errors.append('%s[%d]: %s' % (where, index, _problem(error)))
            continue
        if item['name'] in names:
            errors.append('%s[%d]: %s is listed twice (also item %d): list each name once' % (where, index, item['name'], names[item['name']]))
        names.setdefault(item['name'], index)
    return errors


def _check_contexts(contexts, ledger):
    prepared, errors, seen = [], [], {}
    for index, item in enumerate(contexts):
        where = 'contexts[%d]' % index
        usable = True
        try:
            _contexts.check_name(item.get('name'))
        except InputError as error:
            errors.append('%s.name: %s' % (where, error))
            usable = False
        try:
            owner = parse_owner(item.get('owner'))
        except ProjectError as error:
            errors.append('%s.owner: %s' % (where, error))
            owner, usable = None, False
        if usable:
            key = (owner, item['name'])
            if key in seen:
                errors.append('%s: context %s of %s is listed twice (also contexts[%d])' % (where, item['name'], owner.slug, seen[key]))
            seen.setdefault(key, index)
        try:
            _contexts.desired_restrictions(item.get('restrictions'))
        except InputError as error:
            errors.append('%s.restrictions: %s' % (where, _problem(error)))
        if item.get('purge_restrictions') and item.get('restrictions') is None:
            errors.append('%s.purge_restrictions: needs restrictions (an empty list removes them all)' % where)
        variables = None
        if item.get('variables') is not None or item.get('purge'):
            variables = [dict(variable, state=variable.get('state') or 'present') for variable in item.get('variables') or []]
            errors.extend('%s.variables: %s' % (where, message) for message in _env_vars.validate_variables(variables))
        update_value = item.get('update_value') or ('when_changed' if ledger else 'on_create')
        if update_value == 'when_changed' and not ledger:
            errors.append('%s.update_value: when_changed needs the ledger option: CircleCI never returns a context variable\'s '
                          'value, so only a ledger of what was written can tell whether it changed. Set ledger, or use '
                          'on_create or always' % where)
        prepared.append(dict(item, variables=variables, update_value=update_value, ledger=ledger,
                             owner_slug=owner.slug if owner is not None else None))
    return prepared, errors


# What each step's result keeps without ``details``: what changed, not the whole state (see converge_project).
SUMMARY_KEYS = {
    'follow': ('changed', 'followed', 'first_build'),
    'env_var': ('changed', 'added', 'updated', 'deleted', 'failures', 'not_attempted'),
    'checkout_key': ('changed', 'added', 'deleted'),
    'ssh_key': ('changed', 'added', 'deleted'),
    'settings': ('changed', 'updated'),
    'webhook': ('changed', 'added', 'updated', 'deleted', 'changed_fields'),
    'schedule': ('changed', 'added', 'updated', 'deleted', 'changed_fields'),
    'context': ('changed', 'added', 'updated', 'restrictions_added', 'restrictions_deleted'),
    'context_env_var': ('changed', 'added', 'updated', 'deleted', 'rewritten', 'failures', 'not_attempted'),
}
# Where each step's result goes in the entry. follow, env_var, checkout_key and ssh_key are named after the module
# that does the step alone. The newer steps are not: webhook and schedule (dicts) and webhooks and schedules (lists)
# are those modules' own return keys for the webhook and the schedule themselves, settings is the project module's
# dict of setting values and context the context itself: a step result under one of those names would give a
# return key two meanings (or two types, which the result-conventions test refuses). So: <name>_result(s).
RESULT_KEYS = {
    'follow': 'follow', 'env_var': 'env_var', 'checkout_key': 'checkout_key', 'ssh_key': 'ssh_key',
    'settings': 'settings_result', 'webhook': 'webhook_results', 'schedule': 'schedule_results',
    'context': 'context_result', 'context_env_var': 'context_env_var_result',
}
LIST_STEPS = ('checkout_key', 'ssh_key', 'webhook', 'schedule')


class ProjectFailure(CircleCIError):
    """One project (or context) could not be converged; ``result`` holds what it applied, ``cause`` the error behind it."""

    def __init__(self, label, cause, result):
        super().__init__('%s: %s' % (label, cause), result=result)
        self.cause = cause

    @property
    def may_have_applied(self):
        return self.cause.may_have_applied


class _Once:
    """Each key's value computed once across the pool's threads (a failure too, raised to every caller)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._locks = {}
        self._values = {}

    def get(self, key, compute):
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                try:
                    self._values[key] = (compute(), None)
                except CircleCIError as error:
                    self._values[key] = (None, error)
            value, error = self._values[key]
        if error is not None:
            raise error
        return value


class _Steps:
    """One entry's result (a project's or a context's) and the running of its steps, each recorded as it ends.

    Without ``details`` each step's result keeps only what changed (SUMMARY_KEYS): Ansible masks every secret of
    the task in every string of the result, so the whole state of hundreds of projects (every variable name, every
    plan step) would cost more time than the API calls.
    """

    def __init__(self, client, label, result, details, diff_label=None):
        self.client = client
        self.label = label  # names the entry in failure messages
        self.diff_label = diff_label or label  # ... and, followed by the step's kind, in diff headers
        self.result = dict(result, changed=False, diff=[])
        self.details = details

    def record(self, kind, step, name=None):
        result = self.result
        result['changed'] = result['changed'] or bool(step.get('changed'))
        diff = step.pop('diff', None)
        if diff and step.get('changed'):
            header = '%s %s%s' % (self.diff_label, kind, ' %s' % name if name else '')
            result['diff'].append(dict(before_header=header, after_header=header, before=diff['before'], after=diff['after']))
        if not self.details:
            step = {key: step[key] for key in SUMMARY_KEYS[kind] if key in step}
        if kind in LIST_STEPS:
            result.setdefault(RESULT_KEYS[kind], []).append(step)
        else:
            result[RESULT_KEYS[kind]] = step

    def run(self, kind, call, name=None):
        """The step's whole result (before it is cut down to its summary); ProjectFailure when it fails."""
        try:
            step = call()
        except SHAPE_ERRORS as error:  # this entry's answer was not usable: fail it alone, as run() would the task
            failure = unexpected_answer(self.client, error)
            self.result['changed'] = True
            raise ProjectFailure(self.label, failure, self.result)
        except CircleCIError as error:
            if error.result:
                self.record(kind, dict(error.result), name)
            self.result['changed'] = self.result['changed'] or error.may_have_applied
            raise ProjectFailure(self.label, error, self.result)
        whole = dict(step)
        self.record(kind, step, name)
        return whole

    def read(self, call):
        """A read that serves several steps; ProjectFailure when it fails."""
        try:
            return call()
        except SHAPE_ERRORS as error:
            raise ProjectFailure(self.label, unexpected_answer(self.client, error), self.result)
        except CircleCIError as error:
            raise ProjectFailure(self.label, error, self.result)


def project_id(client, project, once):
    """The project's id (UUID), read at most once per run (``GET /project/{slug}``; none for a circleci/ project).

    Shared by a project's webhooks and the context restrictions that name it by slug, which keep it in the same cache.
    """
    return once.get(('project_id', project.slug), lambda: _webhooks.project_id(client, project))


def converge_project(client, entry, update_value, check_mode, details=False, once=None):
    """Converge one project; its result, or ProjectFailure with what was applied.

    Steps, each at most one read of its resource: follow and SSH keys (one read of the v1.1 configuration),
    env vars, checkout keys (one read each), advanced settings, webhooks (the list read once for all), schedules
    (the same).
    """
    project = entry['project']
    # Each step's result sits under the name of the module that returns it alone (follow: project), see RESULT_KEYS.
    steps = _Steps(client, project.slug, dict(project=project.slug), details)
    steps.result.update(checkout_key=[], ssh_key=[])

    config = None
    if entry.get('followed') is not None or entry['ssh_keys']:
        config = steps.read(lambda: read_config(client, project))  # one read serves the follow state and the SSH keys
    if entry.get('followed') is not None:
        state = 'present' if entry['followed'] else 'absent'
        steps.run('follow', lambda: converge_follow(client, project, state, check_mode=check_mode, config=config))
    if entry.get('env_vars') is not None or entry.get('purge_env_vars'):
        steps.run('env_var', lambda: _env_vars.converge_env_vars(client, project, entry.get('env_vars') or [],
                                                                 purge=entry.get('purge_env_vars'), update_value=update_value,
                                                                 check_mode=check_mode))
    for key in entry['checkout_keys']:
        steps.run('checkout_key', lambda: _checkout_keys.converge(client, project, key['type'], key['state'], key['preferred'],
                                                                  key.get('fingerprint'), check_mode))
    for key in entry['ssh_keys']:
        step = steps.run('ssh_key', lambda: _ssh_keys.converge(client, project, key, check_mode, config=config))
        # the SSH keys this step left, for the next one
        config = dict(config, ssh_keys=[dict(other, fingerprint=other['fingerprint_md5']) for other in step['ssh_keys']])
    if entry.get('settings'):
        steps.run('settings', lambda: _advanced_settings.converge_settings(client, project, entry['settings'], check_mode))
    if entry['webhooks']:
        scope_id = steps.read(lambda: project_id(client, project, once or _Once()))
        current = steps.read(lambda: _webhooks.read_webhooks(client, project, scope_id))
        steps.result['webhook_results'] = []
        for hook in entry['webhooks']:
            steps.run('webhook', lambda: _webhooks.converge(client, project, hook, check_mode, current=current, scope_id=scope_id),
                      name=hook['name'])
    if entry['schedules']:
        current = steps.read(lambda: _schedules.read_schedules(client, project))
        steps.result['schedule_results'] = []
        for schedule in entry['schedules']:
            steps.run('schedule', lambda: _schedules.converge(client, project, schedule, check_mode, current=current),
                      name=schedule['name'])
    return steps.result


def converge_context(client, item, check_mode, details=False, once=None):
    """Converge one context and, when managed, its variables; its result, or ProjectFailure with what was applied.

    The owner (``/me/collaborations``) and the organization's context list are read once per run, whatever the
    number of contexts (``once``); then the context module's converge (its restrictions: one read when managed) and
    context_env_var's (its variables: one read).
    """
    once = once or _Once()
    where = '%s (%s)' % (item['name'], item['owner'])
    steps = _Steps(client, 'context ' + where, dict(name=item['name'], owner=item['owner']), details, diff_label=where)

    def owner_and_contexts():
        once.get('collaborations', lambda: collaborations(client))
        owner = _contexts.owner_of(client, item['owner'])
        return owner, _contexts.read_contexts(client, owner['id'])

    owner, listed = steps.read(lambda: once.get(('contexts', item['owner_slug']), owner_and_contexts))
    for restriction in _contexts.desired_restrictions(item.get('restrictions')) or []:
        if restriction['project'] is not None:  # named by slug: its id, read once per run
            steps.read(lambda: project_id(client, restriction['project'], once))
    params = dict(name=item['name'], owner=item['owner'], state='present', restrictions=item.get('restrictions'),
                  purge_restrictions=item.get('purge_restrictions'), force=False)
    step = steps.run('context', lambda: _contexts.converge_context(client, params, check_mode, listed=listed))
    if item['variables'] is None:
        return steps.result
    found = step['context']
    context = {'id': found['id'], 'name': found['name'], 'created_at': found['created_at']}
    params = dict(context=item['name'], context_id=None, owner=item['owner'], name=None, value=None, state='present',
                  variables=item['variables'], purge=item.get('purge'), update_value=item['update_value'], ledger=item['ledger'])
    steps.run('context_env_var', lambda: _context_env_vars.converge_context_vars(client, params, check_mode, ref=(context, owner)))
    return steps.result


def converge_projects(client, entries, update_value='when_masked_differs', check_mode=False, details=False, contexts=()):
    """Converge every context and project concurrently: the module result; a CircleCIError carrying it when some failed."""
    once = _Once()
    work = [('context', item) for item in contexts] + [('project', entry) for entry in entries]

    def converge(job):
        kind, item = job
        if kind == 'context':
            return converge_context(client, item, check_mode, details, once)
        return converge_project(client, item, update_value, check_mode, details, once)

    gathered = {'context': ([], []), 'project': ([], [])}
    for outcome in client.map_concurrent(converge, work):
        kind, item = outcome.item
        results, failures = gathered[kind]
        if outcome.error is None:
            results.append(outcome.value)
            continue
        failure = outcome.error
        results.append(dict(failure.result or {}, failure=str(failure)))
        cause = getattr(failure, 'cause', failure)
        identity = dict(project=item['project'].slug) if kind == 'project' else dict(name=item['name'], owner=item['owner'])
        failures.append(dict(identity, reason=str(failure), error=cause.to_result()))
    context_results, context_failures = gathered['context']
    project_results, project_failures = gathered['project']
    diff = [entry for result in context_results + project_results for entry in result.pop('diff', [])]
    outcome = dict(changed=any(result.get('changed') for result in context_results + project_results), diff=diff)
    # Without details, entries left as they were are counted, not listed: each string of the result costs Ansible one
    # pass over every secret of the task, so hundreds of "no change" entries would cost seconds.
    for name, results in (('projects', project_results), ('contexts', context_results)):
        outcome[name] = results if details else [result for result in results if result.get('changed') or result.get('failure')]
        outcome[name + '_total'] = len(results)
        outcome[name + '_changed'] = sum(1 for result in results if result.get('changed'))
    if project_failures or context_failures:
        messages = []
        for name, results, failures in (('projects', project_results, project_failures), ('contexts', context_results, context_failures)):
            if failures:
                messages.append('%d of %d %s could not be converged (the others were): %s' % (
                    len(failures), len(results), name, ' | '.join(failure['reason'] for failure in failures)))
        if project_failures:
            outcome['failed_projects'] = project_failures
        if context_failures:
            outcome['failed_contexts'] = context_failures
        raise CircleCIError('; '.join(messages), result=outcome)
    return outcome
