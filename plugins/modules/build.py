#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: build
short_description: Trigger, retry or cancel a CircleCI build, optionally waiting for its outcome
version_added: 0.1.0
description:
  - V(trigger) starts a new build of a branch (C(POST .../tree/:branch), the branch name URL-encoded),
    of a tag or a revision (C(POST /project/:vcs/:org/:name)), or through the build-processing endpoint with O(pipeline=true)
    (C(POST .../build), which runs workflows as a push would and whose answer carries its own status, checked).
  - V(retry) starts a new build from build O(build_num) (C(POST .../:build_num/retry)), with SSH enabled when O(ssh=true) (C(POST .../:build_num/ssh)).
  - V(cancel) cancels build O(build_num) (C(POST .../:build_num/cancel)). It is idempotent, a build that is already over
    (finished, canceled or not run) is left alone and the task reports no change.
  - V(add_ssh_user) adds the token user's SSH key to the containers of the running build O(build_num) (C(POST .../:build_num/ssh-users)).
  - With O(wait=true) the module polls the build until it is over and returns the final build and its outcome;
    O(fail_on_outcome) turns an unwanted outcome into a failed task whose message holds the build URL.
  - A request that creates a build is never repeated by the retry logic once it may have reached CircleCI, since a
    duplicate build costs money; such a failure is reported as it is, for you to check the project's builds.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
attributes:
  check_mode:
    details:
      - V(trigger) makes no request other than reading the project and returns the request it would send in RV(request).
      - V(retry), V(cancel) and V(add_ssh_user) read the build only; V(cancel) predicts from the build's state whether it would change anything.
options:
  action:
    description:
      - What to do.
    type: str
    choices: [trigger, retry, cancel, add_ssh_user]
    default: trigger
  branch:
    description:
      - With O(action=trigger), the branch to build. Names containing V(/) are fine.
      - Without O(branch), O(tag) or O(revision), the project's default branch is built.
      - Cannot be used with O(tag).
    type: str
  tag:
    description:
      - With O(action=trigger), the git tag to build. Cannot be used with O(branch) or O(revision).
    type: str
  revision:
    description:
      - With O(action=trigger), the commit to build (with O(branch), a commit of that branch). Cannot be used with O(tag).
    type: str
  parallel:
    description:
      - With O(action=trigger), the number of containers to run the build on (the project's setting when not set).
    type: int
  build_parameters:
    description:
      - With O(action=trigger), extra environment variables for the build, as a dictionary of names to values.
      - Values are strings, as for M(community.circleci.env_var); a YAML number or boolean is refused before any request (quote it).
      - Values are treated as secrets; they never appear in the module's output (build parameters in the returned builds are masked).
      - Cannot be used with O(pipeline=true).
    type: dict
  pipeline:
    description:
      - With O(action=trigger), use the build-processing endpoint (C(POST .../build)), which runs the project's workflows as a push would.
      - It answers without a build number, so O(wait) cannot be used, and it takes neither O(parallel) nor O(build_parameters).
        It requires a personal API token.
    type: bool
    default: false
  build_num:
    description:
      - The build to retry, cancel or add the SSH user to. Required for those actions.
    type: int
  ssh:
    description:
      - With O(action=retry), rerun the build with SSH enabled.
    type: bool
    default: false
  wait:
    description:
      - With O(action=trigger), O(action=retry) or O(action=cancel), poll the build (C(GET .../:build_num)) until it is over.
    type: bool
    default: false
  wait_timeout:
    description:
      - With O(wait=true), seconds to wait for the build to finish before failing the task (the build keeps running).
    type: float
    default: 1800
  poll_interval:
    description:
      - With O(wait=true), seconds between two reads of the build. At least 0.05.
    type: float
    default: 10
  fail_on_outcome:
    description:
      - With O(wait=true) and O(action=trigger) or O(action=retry), the outcomes that fail the task; the message names the build and its URL.
      - The default fails on every outcome but V(success). Set V([]) to never fail because of the outcome.
      - V(not_run) is reported for builds CircleCI decided not to run (for example, nobody follows the project).
    type: list
    elements: str
    choices: [failed, canceled, infrastructure_fail, timedout, no_tests, not_run]
    default: [failed, canceled, infrastructure_fail, timedout, no_tests, not_run]
'''

EXAMPLES = r'''
- name: Build main and wait for the outcome (fails unless the build succeeds)
  community.circleci.build:
    project: gh/acme/api
    branch: main
    wait: true
    wait_timeout: 600
    poll_interval: 5
  register: main_build

- name: Build a release tag with a parameter (its value never shows in the output)
  community.circleci.build:
    project: gh/acme/api
    tag: v1.4.0
    parallel: 2
    build_parameters:
      DEPLOY_ENV: staging

- name: Run the workflows of a branch through the build-processing endpoint
  community.circleci.build:
    project: gh/acme/api
    branch: feature/login
    pipeline: true

- name: Retry a build with SSH enabled, and let me in
  community.circleci.build:
    project: gh/acme/api
    action: retry
    build_num: 300
    ssh: true
  register: ssh_build

- name: Cancel it (no change if it is already over)
  community.circleci.build:
    project: gh/acme/api
    action: cancel
    build_num: "{{ ssh_build.build_num }}"

- name: Run a flaky branch, tolerating failures, and report the outcome
  community.circleci.build:
    project: gh/acme/api
    branch: always-fails
    wait: true
    poll_interval: 1
    fail_on_outcome: []
  register: flaky

- name: Show it
  ansible.builtin.debug:
    msg: "{{ flaky.build_url }} ended {{ flaky.outcome }}"
'''

RETURN = r'''
build:
  description:
    - The build as CircleCI last returned it. For V(trigger) and V(retry) the new build (its final state with O(wait=true)),
      for V(cancel) the canceled (or already finished) build, for V(add_ssh_user) the build.
    - Values of C(build_parameters) are masked.
    - Not returned in check mode for V(trigger), nor with O(pipeline=true) (CircleCI returns no build).
  returned: success, unless noted otherwise
  type: dict
  contains:
    build_num:
      description: The build number.
      type: int
      sample: 301
    build_url:
      description: The build's page on CircleCI.
      type: str
      sample: https://circleci.com/gh/acme/api/301
    lifecycle:
      description: V(queued), V(not_run), V(not_running), V(running) or V(finished).
      type: str
    status:
      description: The build's status, for example V(running), V(success) or V(canceled).
      type: str
    outcome:
      description: The outcome once the build is over.
      type: str
build_num:
  description: The number of the build (the new one for V(trigger) and V(retry)).
  returned: when a build is known
  type: int
  sample: 301
build_url:
  description: The build's page on CircleCI.
  returned: when a build is known
  type: str
  sample: https://circleci.com/gh/acme/api/301
outcome:
  description:
    - The build's outcome (V(success), V(failed), V(canceled), V(infrastructure_fail), V(timedout), V(no_tests) or V(not_run))
      when the build is over, null while it runs.
  returned: when a build is known
  type: str
  sample: success
request:
  description:
    - The request sent (or, in check mode, that would be sent), with build parameter values masked.
  returned: for V(trigger), V(retry), and V(cancel) or V(add_ssh_user) when they change something
  type: dict
  sample:
    method: POST
    path: /project/github/acme/api/tree/feature%2Flogin
    body: {parallel: 2, build_parameters: {DEPLOY_ENV: '********'}}
message:
  description: CircleCI's answer with O(pipeline=true), or why nothing changed for V(cancel).
  returned: sometimes
  type: str
  sample: Build created
diff:
  description: The build state before and after (build numbers, branch, status; build parameter values masked).
  returned: diff mode
  type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._builds import (
    DEFAULT_FAIL_ON_OUTCOME,
    build_brief,
    cancel_plan,
    check_build_created,
    describe_request,
    is_terminal,
    mask_build_parameters,
    outcome_failure,
    outcome_of,
    trigger_request,
    wait_for_build,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    APPLIED,
    CircleCIError,
    InputError,
    InvalidResponseError,
    RequestError,
    confirm,
)
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule

TRIGGER_ONLY = ('branch', 'tag', 'revision', 'parallel', 'build_parameters')
MIN_POLL_INTERVAL = 0.05
MAY_HAVE_CREATED = ('a build may have been created all the same: look at the project\'s recent builds '
                    '(community.circleci.build_info) before running this again')


class BuildAction:
    """Runs one action and returns its result.

    ``result`` is also the result so far when a request fails (``CircleCIModule.run`` returns it with
    the failure), so ``changed`` becomes true only once a write is known to have been made.
    """

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.project = module.project
        self.client = module.client
        self.result = dict(changed=False)

    # -- results --------------------------------------------------------------------------------

    def record_build(self, build):
        build = mask_build_parameters(build)
        self.result['build'] = build
        if isinstance(build, dict):
            self.result['build_num'] = build.get('build_num')
            self.result['build_url'] = build.get('build_url')
            self.result['outcome'] = outcome_of(build)

    def set_diff(self, before, after):
        self.result['diff'] = dict(before=before, after=after)

    def planned(self, template, args, body=None):
        """Record the write about to be sent (or, in check mode, that would be); check mode counts it as a change."""
        self.result['request'] = describe_request('POST', template, args, body)
        self.result['changed'] = self.module.check_mode

    def post(self, template, args, body=None, repeatable=False, read_back=None):
        """Send the planned write; when its answer is lost, ``read_back`` (if any) tells whether it landed."""
        try:
            answer = self.client.post(template, *args, body=body, repeatable=repeatable)
        except RequestError as error:  # to say what a lost answer means here, and to settle it where a read can
            if error.may_have_applied and not repeatable:
                error.detail = '; '.join(part for part in (error.detail, MAY_HAVE_CREATED) if part)
            confirm(error, read_back or (lambda: None))
            answer = None
        self.result['changed'] = True
        return answer

    def created_build(self, answer, again):
        """The build a trigger or retry answered with; its answer must name it."""
        if not isinstance(answer, dict) or 'build_num' not in answer:
            raise InvalidResponseError('POST', self.result['request']['path'], outcome=APPLIED, detail=(
                'CircleCI answered without a build number: %s' % MAY_HAVE_CREATED.replace('running this again', again)))
        self.record_build(answer)
        return answer

    def wait_and_check(self, build, apply_outcome):
        """Poll until the build is over; fail on timeout or on an unwanted outcome."""
        build = wait_for_build(self.client, self.project, build['build_num'], self.params['wait_timeout'],
                               self.params['poll_interval'], build=build, seen=self.record_build)
        failure = outcome_failure(build, self.params['fail_on_outcome']) if apply_outcome else None
        if failure:
            raise CircleCIError(failure, result=self.result)

    # -- actions --------------------------------------------------------------------------------

    def trigger(self):
        params = self.params
        template, args, body = trigger_request(self.project, branch=params['branch'], tag=params['tag'],
                                               revision=params['revision'], parallel=params['parallel'],
                                               build_parameters=params['build_parameters'], pipeline=params['pipeline'])
        self.planned(template, args, body)
        wanted = dict(self.result['request'].get('body') or {}, project=self.project.slug)
        if self.module.check_mode:
            # Reading the project's newest build shows a wrong project or token before a real run would.
            self.client.get('project/{}', self.project, params=dict(limit=1, shallow='true'))
            self.set_diff({}, dict(wanted, build_num='(new)'))
            return self.result
        answer = self.post(template, args, body)
        if params['pipeline']:
            created, self.result['message'] = check_build_created(answer)
            if not created:
                raise CircleCIError('POST %s: %s' % (self.result['request']['path'], self.result['message']),
                                    result=dict(self.result, changed=False, response=answer))
            self.set_diff({}, wanted)
            return self.result
        answer = self.created_build(answer, 'triggering again')
        self.set_diff({}, dict(wanted, build_num=answer['build_num']))
        if params['wait']:
            self.wait_and_check(answer, apply_outcome=True)
        return self.result

    def read_build(self):
        return self.client.get('project/{}/{}', self.project, self.params['build_num'], expect=dict)

    def retry(self):
        suffix = 'ssh' if self.params['ssh'] else 'retry'
        template, args = 'project/{}/{}/' + suffix, (self.project, self.params['build_num'])
        self.planned(template, args)
        wanted = dict(retry_of=self.params['build_num'], ssh=self.params['ssh'])
        if self.module.check_mode:
            self.set_diff(build_brief(self.read_build()), dict(wanted, build_num='(new)'))
            return self.result
        answer = self.created_build(self.post(template, args), 'retrying again')
        self.set_diff({}, dict(wanted, build_num=answer['build_num']))
        if self.params['wait']:
            self.wait_and_check(answer, apply_outcome=True)
        return self.result

    def cancel(self):
        build = self.read_build()
        changed, reason = cancel_plan(build)
        self.record_build(build)
        if not changed:
            self.result['message'] = reason
            self.set_diff(build_brief(build), build_brief(build))
            return self.result
        template, args = 'project/{}/{}/cancel', (self.project, self.params['build_num'])
        self.planned(template, args)
        if self.module.check_mode:
            self.set_diff(build_brief(build), dict(build_brief(build), status='canceled', outcome='canceled'))
            return self.result
        # Cancelling twice is harmless, so this POST may be repeated; a lost answer is settled by reading the build
        # (a cancel shows at once: a build still running was not cancelled).
        answer = self.post(template, args, repeatable=True, read_back=lambda: is_terminal(self.read_build()))
        after = answer if isinstance(answer, dict) and 'build_num' in answer else self.read_build()
        self.record_build(after)
        self.set_diff(build_brief(build), build_brief(after))
        if self.params['wait'] and not is_terminal(after):
            self.wait_and_check(after, apply_outcome=False)
        return self.result

    def add_ssh_user(self):
        template, args = 'project/{}/{}/ssh-users', (self.project, self.params['build_num'])
        self.planned(template, args)
        if self.module.check_mode:
            build = self.read_build()
            self.record_build(build)
            self.set_diff(build_brief(build), dict(build_brief(build), ssh_user_added=True))
            return self.result
        # Adding the same key again changes nothing, so this POST may be repeated after a reset.
        answer = self.post(template, args, repeatable=True)
        if isinstance(answer, dict):
            self.record_build(answer)
        self.set_diff({}, dict(build_num=self.params['build_num'], ssh_user_added=True))
        return self.result


def check_options(module):
    """Options that do not fit the action, found before any request."""
    params = module.params
    action = params['action']
    if action != 'trigger':
        given = [name for name in TRIGGER_ONLY if params[name] is not None] + (['pipeline'] if params['pipeline'] else [])
        if given:
            raise InputError('%s only appl%s to action=trigger, not to action=%s' % (
                ', '.join(given), 'ies' if len(given) == 1 else 'y', action))
    if params['ssh'] and action != 'retry':
        raise InputError('ssh only applies to action=retry')
    if params['build_num'] is not None and action == 'trigger':
        raise InputError('build_num does not apply to action=trigger (use action=retry to rebuild a build)')
    if params['pipeline'] and params['wait']:
        raise InputError('wait cannot be used with pipeline=true: the build-processing endpoint does not say which build it created')
    module.require_at_least('build_num', 1)
    module.require_at_least('parallel', 1)
    module.require_at_least('wait_timeout', 0)
    module.require_at_least('poll_interval', MIN_POLL_INTERVAL)
    for name in ('branch', 'tag', 'revision'):
        if params[name] is not None and not params[name].strip():
            raise InputError('%s must not be empty' % name)


def run_action(module, action):
    check_options(module)
    return getattr(action, module.params['action'])()


def main():
    module = CircleCIModule(
        argument_spec=dict(
            action=dict(type='str', choices=['trigger', 'retry', 'cancel', 'add_ssh_user'], default='trigger'),
            branch=dict(type='str'),
            tag=dict(type='str'),
            revision=dict(type='str'),
            parallel=dict(type='int'),
            build_parameters=dict(type='dict', no_log=True),
            pipeline=dict(type='bool', default=False),
            build_num=dict(type='int'),
            ssh=dict(type='bool', default=False),
            wait=dict(type='bool', default=False),
            wait_timeout=dict(type='float', default=1800),
            poll_interval=dict(type='float', default=10),
            fail_on_outcome=dict(type='list', elements='str', choices=list(DEFAULT_FAIL_ON_OUTCOME),
                                 default=list(DEFAULT_FAIL_ON_OUTCOME)),
        ),
        required_if=[('action', 'retry', ('build_num',)), ('action', 'cancel', ('build_num',)),
                     ('action', 'add_ssh_user', ('build_num',))],
        mutually_exclusive=[('branch', 'tag'), ('tag', 'revision')],
        supports_check_mode=True,
    )
    action = BuildAction(module)
    module.run(lambda: run_action(module, action), partial=lambda: action.result)


if __name__ == '__main__':
    main()
