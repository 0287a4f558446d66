# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CircleCIModule: AnsibleModule with the shared connection (and project) options and one client.

For internal collection use only: names and behaviour may change without notice.
"""

from __future__ import annotations

import copy
import inspect
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.community.circleci.plugins.module_utils._client import (
    DEFAULT_API_URL,
    DEFAULT_CONCURRENCY,
    HAS_REQUESTS,
    USER_AGENT,
    CircleCIClient,
    check_connection,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    CircleCIError,
    InputError,
    UnexpectedAnswerError,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, parse_project

# Kept in step with doc_fragments/connection.py.
CONNECTION_SPEC = dict(
    api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['CIRCLECI_TOKEN', 'CIRCLE_TOKEN'])),
    api_url=dict(type='str', fallback=(env_fallback, ['CIRCLECI_API_URL']), default=DEFAULT_API_URL),
    api_v2_url=dict(type='str', fallback=(env_fallback, ['CIRCLECI_API_V2_URL'])),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=30),
    retries=dict(type='int', default=5),
    max_concurrency=dict(type='int', default=DEFAULT_CONCURRENCY, fallback=(env_fallback, ['CIRCLECI_MAX_CONCURRENCY'])),
)

# Kept in step with doc_fragments/project.py.
PROJECT_SPEC = dict(
    project=dict(type='str', required=True),
    vcs_type=dict(type='str', choices=['github', 'gh', 'bitbucket', 'bb']),
    username=dict(type='str', aliases=['organization', 'org']),
)

# What a wrongly shaped answer raises in code that reads it (a field missing, or of another type).
SHAPE_ERRORS = (AttributeError, KeyError, TypeError, IndexError, ValueError)
# Ansible masks every no_log value in every string of the result (the echo of the options included),
# which costs (strings x no_log values): past this many secrets, long lists are not echoed back.
ECHO_NO_LOG_LIMIT = 200
ECHO_LIST_LIMIT = 10


def unexpected_answer(client, error):
    """The UnexpectedAnswerError for a shape error met while reading the answer to this thread's newest request.

    A write that got that far was answered with a 2xx: it was applied.
    """
    method, path = (client.last_request if client is not None and client.last_request else ('(no request)', ''))
    return UnexpectedAnswerError(method, path, outcome=APPLIED,
                                 detail='Reading the answer failed with %s: %s' % (type(error).__name__, error))


def calling_module():
    """``community.circleci.<name>`` of the module whose ``main()`` is running (found on the stack), or None."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            spec = frame.f_globals.get('__spec__')  # a module run as __main__ (AnsiballZ) keeps its real name here
            name = getattr(spec, 'name', None) or frame.f_globals.get('__name__') or ''
            if '.plugins.modules.' in name:
                return 'community.circleci.' + name.rsplit('.', 1)[1]
            frame = frame.f_back
    finally:
        del frame
    return None


class CircleCIModule(AnsibleModule):
    """An AnsibleModule with the shared options, one client, and one way to end: ``run``.

    ``project_spec`` adds the project identity options (``project``, ``vcs_type``, ``username``)
    and parses them into ``self.project`` before any request is made.
    ``token_optional`` is for the modules that read a project's public data (its builds, artifacts and
    test metadata): CircleCI answers those without a token for F/OSS projects, so none is required (no
    ``Circle-Token`` header is then sent); such a module calls ``require_token()`` for whatever else it reads.
    Every other module requires a token before any request.
    """

    def __init__(self, argument_spec, project_spec=True, required_by=None, circleci_projects=False, token_optional=False, **kwargs):
        spec = copy.deepcopy(CONNECTION_SPEC)
        required_by = dict(required_by or {})
        if project_spec:
            spec.update(copy.deepcopy(PROJECT_SPEC))
            required_by.setdefault('vcs_type', ('username',))
        spec.update(copy.deepcopy(argument_spec))
        self._client = None
        self.module_name = calling_module()
        # Whether the module serves circleci/<org id>/<project id> projects (through API v2); else they
        # are refused before any request, as API v1.1 does not know them.
        self.circleci_projects = circleci_projects
        super().__init__(argument_spec=spec, required_by=required_by, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'))
        try:
            check_connection(self.params['api_url'], self.params['api_token'], self.params['ca_path'], self.params['api_v2_url'],
                             token_optional=token_optional)
            self.require_at_least('timeout', 0.001)
            self.require_at_least('retries', 0)
            self.require_at_least('max_concurrency', 1)
            self.project = self.parse_project(self.params['project']) if project_spec else None
        except InputError as error:
            self.fail_json(msg=str(error))

    def require_at_least(self, name, minimum):
        """Raise InputError when option ``name`` is set below ``minimum``."""
        if self.params.get(name) is not None and self.params[name] < minimum:
            raise InputError('%s must be at least %s, got %s' % (name, minimum, self.params[name]))

    def require_token(self, what):
        """InputError before any request when no token is set: ``what`` (a phrase such as "listing the recent builds") needs one."""
        if not self.params['api_token']:
            raise InputError('api_token is required for %s (CircleCI answers without a token only for the builds, artifact lists '
                             'and test metadata of F/OSS projects): set it, or the CIRCLECI_TOKEN (or CIRCLE_TOKEN) '
                             'environment variable' % what)

    def parse_project(self, project):
        """A Project from a slug (using vcs_type/username for a bare name); InputError before any request."""
        try:
            parsed = parse_project(project, self.params.get('vcs_type'), self.params.get('username'))
            if not self.circleci_projects:
                parsed.require_v1(self.module_name or 'this module')
        except ProjectError as error:
            raise InputError(str(error))
        return parsed

    @property
    def client(self):
        """The shared client; in check mode it refuses writes, so a module bug cannot change anything."""
        if self._client is None:
            self._client = CircleCIClient(
                api_url=self.params['api_url'],
                api_v2_url=self.params['api_v2_url'],
                token=self.params['api_token'] or None,
                validate_certs=self.params['validate_certs'],
                ca_path=self.params['ca_path'],
                timeout=self.params['timeout'],
                retries=self.params['retries'],
                max_concurrency=self.params['max_concurrency'],
                read_only=self.check_mode,
                warn=self.warn,
                user_agent='%s ansible-core/%s' % (USER_AGENT, self.ansible_version),
            )
        return self._client

    def run(self, action, partial=None):
        """The one way a module ends: ``action()`` returns the result, which is exited with.

        Any CircleCIError becomes the one fail_json, with the partial result it carries (else
        ``partial()``, the action's result so far); an answer of the wrong shape met while reading it
        becomes a clean failure naming the request.
        """
        try:
            result = action()
        except CircleCIError as error:
            if error.result is None and partial is not None:
                error.result = partial()
            self._fail_with(error)
        except SHAPE_ERRORS as error:
            failure = unexpected_answer(self._client, error)
            failure.result = partial() if partial is not None else None
            self._fail_with(failure, trace=traceback.format_exc())
        self.exit_json(**result)

    def _fail_with(self, error, trace=None):
        """fail_json for a CircleCIError: its message, what was applied, and the failed request's facts.

        ``changed`` is true when something was applied before the failure, or when the failed write
        may have been applied (its message says so): never a failure that hides a change.
        """
        result = dict(error.result or {})
        facts = error.to_result()
        if facts:
            result.setdefault('error', facts)
        result['changed'] = bool(result.get('changed')) or error.may_have_applied
        if trace and self._verbosity >= 3:
            result['exception'] = trace
        self.fail_json(msg=str(error), **result)

    def _finish(self, result):
        """Add the request counters, and drop ``diff`` unless Ansible runs in diff mode."""
        client = getattr(self, '_client', None)  # fail_json may run before __init__ ends
        if client is not None:
            result.setdefault('api_requests', client.request_count)
            result.setdefault('api_retries', client.retry_count)
        if not self._diff:
            result.pop('diff', None)
        if 'invocation' not in result and len(self.no_log_values) > ECHO_NO_LOG_LIMIT:
            result['invocation'] = {'module_args': {
                name: ('(%d items, not echoed: masking the secrets of a list this long would cost more than the task)' % len(value)
                       if isinstance(value, list) and len(value) > ECHO_LIST_LIMIT else value)
                for name, value in self.params.items()}}
        return result

    def exit_json(self, **result):
        super().exit_json(**self._finish(result))

    def fail_json(self, msg, **result):
        super().fail_json(msg=msg, **self._finish(result))
