# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CircleCIModule: AnsibleModule with the shared connection (and project) options and one client.

For internal collection use only: names and behaviour may change without notice.
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.community.circleci.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    CircleCIClient,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError
from ansible_collections.community.circleci.plugins.module_utils._slug import ProjectError, parse_project

# Kept in step with doc_fragments/connection.py.
CONNECTION_SPEC = dict(
    api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['CIRCLECI_TOKEN', 'CIRCLE_TOKEN'])),
    api_url=dict(type='str', fallback=(env_fallback, ['CIRCLECI_API_URL']), default=DEFAULT_API_URL),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=30),
    retries=dict(type='int', default=5),
)

# Kept in step with doc_fragments/project.py.
PROJECT_SPEC = dict(
    project=dict(type='str', required=True),
    vcs_type=dict(type='str', choices=['github', 'gh', 'bitbucket', 'bb']),
    username=dict(type='str', aliases=['organization', 'org']),
)

CONCURRENCY = 4  # requests in flight at once; small, to stay well inside CircleCI's rate limits


class CircleCIModule(AnsibleModule):
    """An AnsibleModule that merges the shared options and turns client errors into one fail_json.

    ``project_spec`` adds the project identity options (``project``, ``vcs_type``, ``username``)
    and parses them into ``self.project`` before any request is made.
    """

    def __init__(self, argument_spec, project_spec=True, required_by=None, **kwargs):
        spec = copy.deepcopy(CONNECTION_SPEC)
        required_by = dict(required_by or {})
        if project_spec:
            spec.update(copy.deepcopy(PROJECT_SPEC))
            required_by.setdefault('vcs_type', ('username',))
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, required_by=required_by, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'))
        if not self.params['api_token']:
            self.fail_json(msg='api_token is required: set it, or the CIRCLECI_TOKEN (or CIRCLE_TOKEN) environment variable')
        self.validate_positive('timeout', minimum=0.001)
        self.validate_positive('retries', minimum=0)
        self.project = self.parse_project(self.params['project']) if project_spec else None
        self._client = None

    def validate_positive(self, name, minimum):
        if self.params.get(name) is not None and self.params[name] < minimum:
            self.fail_json(msg='%s must be at least %s, got %s' % (name, minimum, self.params[name]))

    def parse_project(self, project):
        """A Project from a slug (using vcs_type/username for a bare name), or fail before any request."""
        try:
            return parse_project(project, self.params.get('vcs_type'), self.params.get('username'))
        except ProjectError as error:
            self.fail_json(msg=str(error))

    @property
    def client(self):
        """The shared client; in check mode it refuses writes, so a module bug cannot change anything."""
        if self._client is None:
            self._client = CircleCIClient(
                api_url=self.params['api_url'],
                token=self.params['api_token'],
                validate_certs=self.params['validate_certs'],
                ca_path=self.params['ca_path'],
                timeout=self.params['timeout'],
                retries=self.params['retries'],
                max_workers=CONCURRENCY,
                read_only=self.check_mode,
                warn=self.warn,
            )
        return self._client

    def _finish(self, result):
        """Add the request counters, and drop ``diff`` unless Ansible runs in diff mode."""
        client = getattr(self, '_client', None)  # fail_json may run before __init__ ends
        if client is not None:
            result.setdefault('api_requests', client.request_count)
            result.setdefault('api_retries', client.retry_count)
        if not self._diff:
            result.pop('diff', None)
        return result

    def exit_json(self, **result):
        super().exit_json(**self._finish(result))

    def fail_json(self, msg, **result):
        super().fail_json(msg=msg, **self._finish(result))

    def fail_from_error(self, error, **result):
        """One clear failure for a client error: the message, plus the facts as ``error``."""
        result.setdefault('error', error.to_result())
        self.fail_json(msg=str(error), **result)

    def run(self, action):
        """Call ``action()`` and turn any CircleCIError into fail_json; ``action`` ends with exit_json."""
        try:
            action()
        except CircleCIError as error:
            self.fail_from_error(error)
