# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converge many projects in one module run: follow state, env vars, checkout keys, SSH keys.

For internal collection use only: names and behaviour may change without notice.

Each resource's options, rules and logic are the single-project modules' own (``_project``,
``_env_vars``, ``_checkout_keys``, ``_ssh_keys``); this file only states one project's entry from
them, checks every entry before any request, runs the projects concurrently on the client's
bounded pool, and gathers the results. A project that fails does not stop the others.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils import _checkout_keys, _env_vars, _ssh_keys
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError
from ansible_collections.community.circleci.plugins.module_utils._module import SHAPE_ERRORS, unexpected_answer
from ansible_collections.community.circleci.plugins.module_utils._project import converge_follow, read_config
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, parse_project

# One project's entry in project_settings' projects (and the role's project_settings_projects).
ENTRY_SPEC = dict(
    project=dict(type='str', required=True),
    followed=dict(type='bool'),
    env_vars=dict(type='list', elements='dict', options=_env_vars.ITEM_SPEC),
    purge_env_vars=dict(type='bool', default=False),
    checkout_keys=dict(type='list', elements='dict', options=_checkout_keys.SPEC, no_log=False, **_checkout_keys.RULES),
    ssh_keys=dict(type='list', elements='dict', options=_ssh_keys.SPEC, no_log=False, **_ssh_keys.RULES),
)


def prepare(entries):
    """Every project's input, checked and read (private key files) before any request.

    Raises one InputError naming each problem by its place in the data, e.g. ``projects[1].env_vars: ...``.
    """
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
        prepared.append(dict(entry, project=project, env_vars=env_vars if entry.get('env_vars') is not None else None,
                             ssh_keys=ssh_keys, checkout_keys=entry.get('checkout_keys') or []))
    if errors:
        raise InputError('Invalid project settings, nothing was sent: %s' % '; '.join(errors))
    return prepared


# What each step's result keeps without ``details``: what changed, not the whole state (see converge_project).
SUMMARY_KEYS = {
    'follow': ('changed', 'followed', 'first_build'),
    'env_var': ('changed', 'added', 'updated', 'deleted', 'failures', 'not_attempted'),
    'checkout_key': ('changed', 'added', 'deleted'),
    'ssh_key': ('changed', 'added', 'deleted'),
}


class ProjectFailure(CircleCIError):
    """One project could not be converged; ``result`` holds what it applied, ``cause`` the error behind it."""

    def __init__(self, project, cause, result):
        super().__init__('%s: %s' % (project.slug, cause), result=result)
        self.cause = cause

    @property
    def may_have_applied(self):
        return self.cause.may_have_applied


def converge_project(client, entry, update_value, check_mode, details=False):
    """Converge one project; its result, or ProjectFailure with what was applied.

    Without ``details`` each step's result keeps only what changed (SUMMARY_KEYS): Ansible masks
    every secret of the task in every string of the result, so the whole state of hundreds of
    projects (every variable name, every plan step) would cost more time than the API calls.
    """
    project = entry['project']
    # Each step's result sits under the name of the module that returns it alone (follow: project).
    result = dict(project=project.slug, changed=False, diff=[], checkout_key=[], ssh_key=[])

    def record(kind, step):
        result['changed'] = result['changed'] or bool(step.get('changed'))
        diff = step.pop('diff', None)
        if diff and step.get('changed'):
            header = '%s %s' % (project.slug, kind)
            result['diff'].append(dict(before_header=header, after_header=header, before=diff['before'], after=diff['after']))
        if not details:
            step = {key: step[key] for key in SUMMARY_KEYS[kind] if key in step}
        if kind in ('checkout_key', 'ssh_key'):
            result[kind].append(step)
        else:
            result[kind] = step

    last_ssh_keys = []  # the SSH keys each SSH key step left, for the next one

    def run(kind, call):
        try:
            step = call()
            if kind == 'ssh_key':
                last_ssh_keys.append(step['ssh_keys'])
            record(kind, step)
        except SHAPE_ERRORS as error:  # this project's answer was not usable: fail it alone, as run() would the task
            failure = unexpected_answer(client, error)
            result['changed'] = True
            raise ProjectFailure(project, failure, result)
        except CircleCIError as error:
            if error.result:
                record(kind, dict(error.result))
            result['changed'] = result['changed'] or error.may_have_applied
            raise ProjectFailure(project, error, result)

    config = None
    if entry.get('followed') is not None or entry['ssh_keys']:
        try:
            config = read_config(client, project)  # one read serves the follow state and the SSH keys
        except CircleCIError as error:
            raise ProjectFailure(project, error, result)
    if entry.get('followed') is not None:
        state = 'present' if entry['followed'] else 'absent'
        run('follow', lambda: converge_follow(client, project, state, check_mode=check_mode, config=config))
    if entry.get('env_vars') is not None or entry.get('purge_env_vars'):
        run('env_var', lambda: _env_vars.converge_env_vars(client, project, entry.get('env_vars') or [], purge=entry.get('purge_env_vars'),
                                                           update_value=update_value, check_mode=check_mode))
    for key in entry['checkout_keys']:
        run('checkout_key', lambda: _checkout_keys.converge(client, project, key['type'], key['state'], key['preferred'],
                                                            key.get('fingerprint'), check_mode))
    for key in entry['ssh_keys']:
        run('ssh_key', lambda: _ssh_keys.converge(client, project, key, check_mode, config=config))
        config = dict(config, ssh_keys=[dict(other, fingerprint=other['fingerprint_md5']) for other in last_ssh_keys[-1]])
    return result


def converge_projects(client, entries, update_value='when_masked_differs', check_mode=False, details=False):
    """Converge every project concurrently: the module result; a CircleCIError carrying it when some failed."""
    results, failures = [], []
    for outcome in client.map_concurrent(lambda entry: converge_project(client, entry, update_value, check_mode, details), entries):
        if outcome.error is None:
            results.append(outcome.value)
            continue
        failure = outcome.error
        result = dict(failure.result or {}, failure=str(failure))
        results.append(result)
        cause = getattr(failure, 'cause', failure)
        failures.append(dict(project=outcome.item['project'].slug, reason=str(failure), error=cause.to_result()))
    diff = [entry for result in results for entry in result.pop('diff', [])]
    # Without details, projects left as they were are counted, not listed: each string of the result costs
    # Ansible one pass over every secret of the task, so hundreds of "no change" entries would cost seconds.
    shown = results if details else [result for result in results if result.get('changed') or result.get('failure')]
    outcome = dict(changed=any(result.get('changed') for result in results), projects=shown, diff=diff,
                   projects_total=len(results), projects_changed=sum(1 for result in results if result.get('changed')))
    if failures:
        raise CircleCIError('%d of %d projects could not be converged (the others were): %s' % (
            len(failures), len(results), ' | '.join(failure['reason'] for failure in failures)), result=dict(outcome, failed_projects=failures))
    return outcome
