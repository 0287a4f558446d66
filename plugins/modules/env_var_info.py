#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: env_var_info
short_description: Read the environment variables of CircleCI projects and check them for drift
version_added: 0.1.0
description:
  - Lists the environment variables of one project (O(project)) or of many (O(projects)), as CircleCI shows them,
    the name and a masked value, C(xxxx) followed by the last four characters (just C(xxxx) for a value shorter than four).
  - Sends one request per project (C(GET /project/:slug/envvar)); several projects are read concurrently (at most 4 at a time).
  - GitHub App, GitLab and standalone projects (V(circleci/<organization id>/<project id>)), which only API v2 knows, are read
    through API v2 (C(GET /api/v2/project/:slug/envvar), one request per page of the list; CircleCI does not document the page
    size), with the same results; GitHub OAuth and Bitbucket projects through API v1.1. Both kinds may be listed together.
  - With O(expected), compares each project's variables with the expected names (and values) and returns a drift report;
    with O(fail_on_drift=true) drift fails the task with a message naming the projects and variables.
  - B(What the comparison can and cannot prove.) A masked form that differs from the expected value's proves the value differs
    (RV(drift.masked_mismatch)). Masked forms that match prove only that the last four characters are equal
    (or that both values are shorter than four characters); such names are listed in RV(drift.unverified) and do not count as drift.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  project:
    description:
      - One project, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile)
        (the VCS may be V(gh), V(github), V(bb) or V(bitbucket)); or only the repository name, with O(vcs_type) and O(username) set;
        or V(circleci/<organization id>/<project id>) for a GitHub App, GitLab or standalone project (read through API v2).
      - Mutually exclusive with O(projects); one of them is required. Checked before any request is made.
    type: str
  projects:
    description:
      - Many projects, each written like O(project). Read concurrently, one request each; a project listed twice is read once.
      - Mutually exclusive with O(project); one of them is required.
    type: list
    elements: str
  vcs_type:
    description:
      - The VCS of the projects given as bare repository names.
    type: str
    choices: [github, gh, bitbucket, bb]
  username:
    description:
      - The organisation or user owning the projects given as bare repository names.
    type: str
    aliases: [organization, org]
  expected:
    description:
      - The variables each project should have, to return a drift report, as a dictionary of name to value
        (V(null) or an empty string checks the name only).
      - Values are strings, compared by their masked form only (see the description). They are never logged nor returned.
      - Every variable not named here or in O(expected_names) is reported as unexpected.
    type: dict
  expected_names:
    description:
      - Names each project should have, whatever their values (names are not secret, so they stay readable in the output).
      - May be combined with O(expected).
    type: list
    elements: str
  fail_on_drift:
    description:
      - Fail the task when a project drifted from O(expected) (a variable missing, unexpected, or with a masked value that differs).
      - Needs O(expected) or O(expected_names).
    type: bool
    default: false
  allow_unexpected:
    description:
      - Do not count variables missing from O(expected) as drift; they are still listed in RV(drift.unexpected).
      - Use it to check that some variables are there (and right) without listing every variable a project has.
    type: bool
    default: false
notes:
  - An unknown project (or one a project API token is not scoped to) fails the task with CircleCI's 404 message, naming the project.
'''

EXAMPLES = r'''
- name: List the variables of one project
  community.circleci.env_var_info:
    project: gh/acme/api
  register: api_vars

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ api_vars.env_vars | map(attribute='name') | list }}"

- name: Check two projects for drift, reading them concurrently (drift is reported, not failed)
  community.circleci.env_var_info:
    projects:
      - gh/acme/api
      - gh/acme/web
    expected:
      DATABASE_URL: postgres://db.internal/api
      NODE_ENV: production
      SENTRY_DSN: null
  register: drift

- name: Show the drift report of each project
  ansible.builtin.debug:
    msg: "{{ item.project }}: missing {{ item.drift.missing }}, unexpected {{ item.drift.unexpected }}"
  loop: "{{ drift.projects }}"

- name: Read a standalone project (through API v2) together with a GitHub one (through API v1.1)
  community.circleci.env_var_info:
    projects:
      - gh/acme/api
      - circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/9c966ef9-d584-44b5-98aa-126e97fcb2e3
    expected_names: [DATABASE_URL, LEDGER_DB_URL]
    allow_unexpected: true

- name: Check that the web project has exactly these names (values not compared)
  community.circleci.env_var_info:
    project: gh/acme/web
    expected_names: [NODE_ENV, SENTRY_DSN]
    fail_on_drift: true
'''

RETURN = r'''
env_vars:
  description: With O(project), the project's variables, masked as CircleCI shows them, sorted by name.
  returned: success, with O(project)
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    value:
      description: The masked value, C(xxxx) and the last four characters.
      type: str
  sample: [{"name": "API_KEY", "value": "xxxx6789"}, {"name": "SHORT", "value": "xxxx"}]
drift:
  description: With O(project) and O(expected) or O(expected_names), that project's drift report.
  returned: with O(project), and O(expected) or O(expected_names)
  type: dict
  contains:
    missing:
      description: Expected names the project does not have, in the order expected.
      type: list
      elements: str
    unexpected:
      description: Names the project has that are not expected.
      type: list
      elements: str
    masked_mismatch:
      description: Names whose masked value differs from the expected value's masked form (so the values differ).
      type: list
      elements: str
    unverified:
      description: Names whose masked forms match, which proves only equal last four characters; not counted as drift.
      type: list
      elements: str
    in_sync:
      description: True when nothing is missing, mismatching or (unless O(allow_unexpected)) unexpected.
      type: bool
  sample: {"missing": [], "unexpected": ["SHORT"], "masked_mismatch": [], "unverified": ["API_KEY"], "in_sync": false}
projects:
  description: With O(projects), one entry per project read, in the order given.
  returned: with O(projects), also when some projects could not be read
  type: list
  elements: dict
  contains:
    project:
      description: The project's short slug.
      type: str
      sample: gh/acme/api
    env_vars:
      description: The project's variables, as RV(env_vars).
      type: list
      elements: dict
      sample: [{"name": "DATABASE_URL", "value": "xxxx/api"}]
    drift:
      description: The project's drift report, as RV(drift).
      type: dict
      returned: when O(expected) or O(expected_names) is set
in_sync:
  description: With O(expected) or O(expected_names), whether every project read is in sync.
  returned: when O(expected) or O(expected_names) is set
  type: bool
  sample: true
failed_projects:
  description: With O(projects), the projects that could not be read; the task fails after reading the others.
  returned: failure
  type: list
  elements: dict
  contains:
    project:
      description: The project's short slug.
      type: str
    reason:
      description: Why it could not be read (method, path, status, CircleCI's message, what to do).
      type: str
    error:
      description: Method, path, status and CircleCI's message.
      type: dict
error:
  description: With O(project), the facts of the failed request (method, path, status, CircleCI's message) when reading it failed.
  returned: failure
  type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 2
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils._env_vars import (
    describe_drift,
    drift_report,
    env_var_list,
    expected_of,
    normalize_current,
    read_env_vars,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError
from ansible_collections.community.circleci.plugins.module_utils._module import PROJECT_SPEC, CircleCIModule


def audit(module):
    params = module.params
    single = params['project'] is not None
    projects = []
    for text in [params['project']] if single else params['projects']:
        project = module.parse_project(text)
        if project not in projects:
            projects.append(project)
    if not projects:
        raise InputError('projects must name at least one project')
    expected = expected_of(params)

    entries, failures = [], []
    for outcome in module.client.map_concurrent(lambda project: read_env_vars(module.client, project), projects):
        if outcome.error is not None:
            failures.append(outcome)
            continue
        entry = dict(project=outcome.item.slug, env_vars=env_var_list(normalize_current(outcome.value)))
        if expected is not None:
            entry['drift'] = drift_report(outcome.value, expected, allow_unexpected=params['allow_unexpected'])
        entries.append(entry)
    if single:
        if failures:
            raise failures[0].error
        result = dict(changed=False, env_vars=entries[0]['env_vars'])
        if expected is not None:
            result['drift'] = entries[0]['drift']
    else:
        result = dict(changed=False, projects=entries)
    if expected is not None:
        result['in_sync'] = all(entry['drift']['in_sync'] for entry in entries)
    if failures:
        result['failed_projects'] = [dict(project=failure.item.slug, reason=str(failure.error), error=failure.error.to_result())
                                     for failure in failures]
        raise CircleCIError('Could not read the environment variables of %d of %d projects: %s' % (
            len(failures), len(projects), ' | '.join('%s: %s' % (failure.item.slug, failure.error) for failure in failures)), result=result)
    if params['fail_on_drift'] and not result['in_sync']:
        drifted = [describe_drift(entry['project'], entry['drift']) for entry in entries if not entry['drift']['in_sync']]
        raise CircleCIError('Environment variables drifted from expected in %d of %d project%s: %s.' % (
            len(drifted), len(entries), '' if len(entries) == 1 else 's', ' | '.join(drifted)), result=result)
    return result


def main():
    module = CircleCIModule(
        argument_spec=dict(
            project=dict(type='str'),
            projects=dict(type='list', elements='str'),
            vcs_type=PROJECT_SPEC['vcs_type'],
            username=PROJECT_SPEC['username'],
            expected=dict(type='dict', no_log=True),
            expected_names=dict(type='list', elements='str'),
            fail_on_drift=dict(type='bool', default=False),
            allow_unexpected=dict(type='bool', default=False),
        ),
        project_spec=False,
        mutually_exclusive=[('project', 'projects')],
        required_one_of=[('project', 'projects')],
        supports_check_mode=True,
        circleci_projects=True,
    )
    module.run(lambda: audit(module))


if __name__ == '__main__':
    main()
