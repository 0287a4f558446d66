# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Converge many projects' settings in one module run: follow state, env vars, checkout keys, SSH keys.

For internal collection use only: names and behaviour may change without notice.

The per-resource logic is the single-project modules' own (``_follow``, ``_env_vars``, ``_keys``);
this file only prepares the input, runs the projects concurrently on the client's bounded pool,
and gathers the results. A project that fails does not stop the others.
"""

from __future__ import annotations

from ansible_collections.community.circleci.plugins.module_utils._env_vars import (
    EnvVarError,
    converge_env_vars,
    failure_message,
    validate_variables,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError
from ansible_collections.community.circleci.plugins.module_utils._follow import SETTINGS_PATH, converge_follow
from ansible_collections.community.circleci.plugins.module_utils._keys import (
    KeyFormatError,
    KeyPlanError,
    PartialFailure,
    converge_checkout_key,
    converge_ssh_key,
    load_private_key,
    read_key_file,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, parse_project


class ProjectStepFailed(Exception):
    """One step of one project failed; ``result`` holds what that project had applied."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def prepare(entries):
    """Check every project's input before any request: ``(prepared entries, error messages)``.

    Private key files are read here. Errors name the path in the data, e.g.
    ``projects[1].env_vars: ...``.
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
        env_vars = entry.get('env_vars')
        if env_vars is not None:
            errors.extend('%s.env_vars: %s' % (where, message) for message in validate_variables(env_vars))
        ssh_keys = []
        for key_index, key in enumerate(entry.get('ssh_keys') or []):
            label = '%s.ssh_keys[%d]' % (where, key_index)
            text = key.get('private_key')
            if key.get('private_key_path'):
                try:
                    text = read_key_file(key['private_key_path'])
                except (OSError, UnicodeError) as error:
                    errors.append('%s.private_key_path: cannot read %s: %s' % (label, key['private_key_path'], getattr(error, 'strerror', None) or error))
                    continue
            if not text:
                errors.append('%s: private_key or private_key_path is required' % label)
                continue
            try:
                load_private_key(text)
            except KeyFormatError as error:
                errors.append('%s: %s' % (label, error))
                continue
            ssh_keys.append(dict(key, private_key=text))
        prepared.append(dict(entry, project=project, ssh_keys=ssh_keys, checkout_keys=entry.get('checkout_keys') or []))
    return prepared, errors


def converge_project(client, entry, update_value, check_mode):
    """Converge one project; its result, or ProjectStepFailed with what was applied."""
    project = entry['project']
    result = dict(project=project.slug, changed=False, diff=[], checkout_keys=[], ssh_keys=[])

    def record(kind, step):
        result['changed'] = result['changed'] or bool(step.get('changed'))
        diff = step.pop('diff', None)
        if diff and step.get('changed'):
            header = '%s %s' % (project.slug, kind)
            result['diff'].append(dict(before_header=header, after_header=header, before=diff['before'], after=diff['after']))
        return step

    def failed(message):
        return ProjectStepFailed('%s: %s' % (project.slug, message), result)

    try:
        settings = None
        if entry.get('followed') is not None or entry['ssh_keys']:
            settings = client.get(SETTINGS_PATH, project)  # one read serves the follow state and the SSH keys
        if entry.get('followed') is not None:
            state = 'present' if entry['followed'] else 'absent'
            result['follow'] = record('follow', converge_follow(client, project, state, check_mode=check_mode, followed=settings.get('followed')))
        if entry.get('env_vars') is not None or entry.get('purge_env_vars'):
            result['env_vars'] = record('env_vars', converge_env_vars(
                client, project, entry.get('env_vars') or [], purge=entry.get('purge_env_vars', False),
                update_value=update_value, check_mode=check_mode))
            if result['env_vars'].get('failures'):
                raise failed(failure_message(result['env_vars']))
        for key in entry['checkout_keys']:
            result['checkout_keys'].append(record('checkout_keys', converge_checkout_key(
                client, project, key['type'], key.get('state', 'present'), key.get('preferred', False), key.get('fingerprint'), check_mode)))
        for key in entry['ssh_keys']:
            step = converge_ssh_key(client, project, key.get('hostname') or '', key['private_key'], key.get('state', 'present'),
                                    key.get('remove_duplicates', False), key.get('exclusive', False), check_mode, settings=settings)
            settings = dict(settings, ssh_keys=step['ssh_keys'])  # the keys as this step left them, for the next one
            result['ssh_keys'].append(record('ssh_keys', step))
    except PartialFailure as failure:  # a key step failed half-way: keep what it applied
        kind = 'checkout_keys' if 'keys' in failure.result else 'ssh_keys'
        result[kind].append(record(kind, dict(failure.result)))
        raise failed(failure.msg) from failure
    except (CircleCIError, EnvVarError, KeyPlanError, KeyFormatError) as error:
        raise failed(str(error)) from error
    return result


def converge_projects(client, entries, update_value='when_masked_differs', check_mode=False):
    """Converge every project concurrently: ``(results in input order, failure messages)``."""
    results, failures = [], []
    for outcome in client.map_concurrent(lambda entry: _run(client, entry, update_value, check_mode), entries):
        result, message = outcome.value
        results.append(result)
        if message:
            failures.append(message)
    return results, failures


def _run(client, entry, update_value, check_mode):
    try:
        return converge_project(client, entry, update_value, check_mode), None
    except ProjectStepFailed as failure:
        failure.result['failure'] = str(failure)
        return failure.result, str(failure)
