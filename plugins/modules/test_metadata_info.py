#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: test_metadata_info
short_description: Read the test results of a CircleCI build, with a summary
version_added: 0.1.0
description:
  - Reads the test metadata of a build (C(GET .../:build_num/tests)), as collected from its JUnit reports,
    and summarises it - counts by result, the failures, and the slowest tests.
  - A build without test metadata (or still running) gives an empty list, not a failure.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  build_num:
    description:
      - The build.
    type: int
    required: true
  slowest:
    description:
      - How many of the slowest tests to list in RV(summary.slowest). V(0) lists none.
    type: int
    default: 10
notes:
  - Works without O(api_token) for F/OSS projects (open-source projects whose advanced setting C(oss) is on), as CircleCI
    answers their read-only build endpoints without a token; no C(Circle-Token) header is sent then. For any other project,
    a request without a token fails with a message saying that a token is needed (set O(api_token) or E(CIRCLECI_TOKEN)).
'''

EXAMPLES = r'''
- name: Read the tests of build 300
  community.circleci.test_metadata_info:
    project: gh/acme/api
    build_num: 300
    slowest: 5
  register: results

- name: Show the failures
  ansible.builtin.debug:
    msg: "{{ results.summary.failures | map(attribute='name') | list }}"

- name: Drift check - no more than 3 failing tests are tolerated on build 300
  ansible.builtin.assert:
    that:
      - results.summary.failed <= 3
    fail_msg: "{{ results.summary.failed }} failing tests: {{ results.summary.failures | map(attribute='name') | join(', ') }}"
'''

RETURN = r'''
tests:
  description: The tests, as CircleCI returns them.
  returned: success
  type: list
  elements: dict
  contains:
    classname:
      description: The test's class or module.
      type: str
      sample: tests.test_module_0
    name:
      description: The test's name.
      type: str
      sample: test_case_00
    file:
      description: The test's file.
      type: str
    result:
      description: For example V(success), V(failure), V(error) or V(skipped).
      type: str
      sample: success
    run_time:
      description: Seconds the test took.
      type: float
      sample: 0.011
    message:
      description: The failure message, if any.
      type: str
    source:
      description: The tool that reported the test.
      type: str
      sample: pytest
exceptions:
  description: Errors CircleCI met reading the test reports, when it reports any.
  returned: success
  type: list
  elements: raw
summary:
  description: A summary of the tests.
  returned: success
  type: dict
  contains:
    total:
      description: How many tests.
      type: int
      sample: 20
    counts:
      description: How many tests per result.
      type: dict
      sample: {success: 15, failure: 3, skipped: 2}
    failed:
      description: How many tests failed (results V(failure), V(failed) or V(error)).
      type: int
      sample: 3
    failures:
      description: The failed tests (C(classname), C(name), C(file), C(result), C(run_time), C(message)), in CircleCI's order.
      type: list
      elements: dict
    slowest:
      description: The O(slowest) tests with the longest run time, longest first (same keys as RV(summary.failures)).
      type: list
      elements: dict
    run_time:
      description: The sum of the tests' run times, in seconds.
      type: float
      sample: 9.52
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._builds import summarize_tests
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule

TESTS_PATH = 'project/{}/{}/tests'


def read(module):
    module.require_at_least('build_num', 1)
    module.require_at_least('slowest', 0)
    answer = module.client.get(TESTS_PATH, module.project, module.params['build_num'], expect=dict)
    tests = answer.get('tests') or []
    return dict(changed=False, tests=tests, exceptions=answer.get('exceptions') or [],
                summary=summarize_tests(tests, module.params['slowest']))


def main():
    module = CircleCIModule(
        argument_spec=dict(
            build_num=dict(type='int', required=True),
            slowest=dict(type='int', default=10),
        ),
        supports_check_mode=True,
        token_optional=True,  # F/OSS projects answer without a token
    )
    module.run(lambda: read(module))


if __name__ == '__main__':
    main()
