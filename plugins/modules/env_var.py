#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: env_var
short_description: Manage the environment variables of a CircleCI project, one or many at once
version_added: 0.1.0
description:
  - Sets, updates and deletes a project's environment variables, one (O(name), O(value), O(state)) or many (O(variables)),
    and with O(purge=true) deletes every variable not listed.
  - Reads the project's variables with one request (C(GET /project/:slug/envvar)), then sends one request per change only.
    Converging variables that are already right costs exactly one request; k changes cost 1 + k.
  - A value is written with a single C(POST /project/:slug/envvar), which overwrites a variable of the same name; a variable is
    never deleted and created again. Writes are sent concurrently (at most 4 at a time); deletions are sent last,
    and only once every write succeeded.
  - If a request fails, no new request is started; the task fails and says what was applied (RV(added), RV(updated),
    RV(deleted)), what failed and why (RV(failures)) and what was not attempted (RV(not_attempted)). Nothing applied is undone,
    and running the task again converges the rest.
  - GitHub App, GitLab and standalone projects (O(project=circleci/<organization id>/<project id>)), which only API v2 knows,
    are served through API v2 with the same plan, results and guarantees, and the same requests in the same order -
    C(GET /api/v2/project/:slug/envvar) (one request per page of the list; CircleCI does not document the page size),
    C(POST /api/v2/project/:slug/envvar) and C(DELETE /api/v2/project/:slug/envvar/:name). GitHub OAuth and Bitbucket projects
    keep using API v1.1.
  - Names and values are checked before any request is sent (names match C([A-Za-z_][A-Za-z0-9_]*) in full and are listed once;
    every present variable has a value, which is a string).
  - When the answer to a write is lost (a timeout or a cut-off answer after retries), the variables are read once more to learn
    whether it was applied; a write whose outcome stays unknown is reported in RV(failures) with C(outcome=unknown), and the task
    reports C(changed). Through API v2 the read also shows each variable's C(created-at), which moves when a variable is
    written, so a lost write whose value has the same masked form as before can be settled too.
  - B(What the comparison can and cannot prove.) CircleCI never returns a value, only C(xxxx) followed by its last four characters
    (just C(xxxx) for a value shorter than four characters). With O(update_value=when_masked_differs) a stored value is replaced
    when that masked form differs from the desired value's, which proves the values differ. When the masked forms match, the
    values end with the same four characters (or are both shorter than four characters) but may still differ; such variables are
    left alone and named in RV(unverified). Use O(update_value=always) to write values regardless, for example after rotating a
    secret whose last four characters did not change.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  name:
    description:
      - The name of one variable to manage.
      - Mutually exclusive with O(variables); one of them is required.
    type: str
  value:
    description:
      - The value of the variable named O(name). Required when O(state=present).
      - A string. YAML turns unquoted V(true) into a boolean and V(1.10) into the number 1.1, which cannot be turned
        back into what was written, so anything but a string is refused before any request. Quote such values
        (V("1.10")), or add C(| string) to a template.
      - Never logged nor returned; results and diffs show only the masked form CircleCI shows.
    type: raw
  state:
    description:
      - V(present) sets the variable named O(name), V(absent) deletes it.
      - With O(variables), the state of the items that do not set their own.
    type: str
    choices: [present, absent]
    default: present
  variables:
    description:
      - Many variables at once. Each name may appear once.
      - Mutually exclusive with O(name); one of them is required. With O(purge=true), an empty list deletes every variable.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The variable's name.
        type: str
        required: true
      value:
        description:
          - The variable's value, a string (see O(value)). Required when the item's state is V(present).
          - Never logged nor returned.
        type: raw
      state:
        description:
          - V(present) to set the variable, V(absent) to delete it.
          - Defaults to O(state).
        type: str
        choices: [present, absent]
  purge:
    description:
      - Delete every variable of the project that is not named in O(variables) (or is not O(name)).
      - Deletions are sent after every write succeeded.
    type: bool
    default: false
  update_value:
    description:
      - When to write the value of a variable that exists already (a missing one is always created).
      - V(when_masked_differs) writes it when the masked form of the desired value (C(xxxx) and its last four characters)
        differs from the one CircleCI shows; matching ones are reported in RV(unverified).
      - V(always) writes every present variable on every run, so the task always reports a change.
      - V(on_create) never writes an existing variable.
    type: str
    choices: [always, on_create, when_masked_differs]
    default: when_masked_differs
notes:
  - A read-only API token gets HTTP 403 on the first write; an unknown project (or one a project token is not scoped to) gets HTTP 404.
    API v2 does not accept project API tokens (HTTP 401), so use a personal token for circleci/ projects.
  - Ansible hides every occurrence of a C(no_log) value in the task's output. So a masked form that contains a whole value
    (a value of exactly four characters, such as C(info) shown as C(xxxxinfo)) is shown as C(xxxx********), and a very short value
    (such as C(8)) also hides every unrelated occurrence of it (names, counters) in the result.
seealso:
  - module: community.circleci.env_var_info
'''

EXAMPLES = r'''
- name: Set one variable
  community.circleci.env_var:
    project: gh/acme/api
    name: DEPLOY_ENV
    value: staging

- name: Set several variables and delete one, in one task (one GET, then one request per change)
  community.circleci.env_var:
    project: gh/acme/web
    variables:
      - name: NODE_ENV
        value: production
      - name: SENTRY_DSN
        value: https://key@sentry.example/1
      - name: FEATURE_FLAGS
        value: search,checkout
      - name: OLD_TOKEN
        state: absent
  register: web_vars

- name: Report what could only be checked by the last four characters
  ansible.builtin.debug:
    msg: "Not verified beyond the masked form: {{ web_vars.unverified | join(', ') }}"

- name: Make the worker's variables exactly these (purge the others); check mode reports the drift without changing anything
  community.circleci.env_var:
    project: gh/acme/worker
    variables:
      - name: QUEUE_URL
        value: amqp://mq.internal/jobs
    purge: true
  check_mode: true
  diff: true
  register: worker_drift

- name: Rotate a secret even if its last four characters did not change
  community.circleci.env_var:
    project: gh/acme/api
    name: API_KEY
    value: "{{ new_api_key | default('sk_live_rotated_0123456789') }}"
    update_value: always

- name: Delete a variable
  community.circleci.env_var:
    project: gh/acme/api
    name: LOG_LEVEL
    state: absent

- name: Set a variable of a standalone project (through API v2; the ids may also be given in base58)
  community.circleci.env_var:
    project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/9c966ef9-d584-44b5-98aa-126e97fcb2e3
    name: LEDGER_REGION
    value: eu-central-1
'''

RETURN = r'''
project:
  description: The project's short slug.
  returned: success or partial failure
  type: str
  sample: gh/acme/web
added:
  description: Names of the variables created (in check mode, that would be created).
  returned: success or partial failure
  type: list
  elements: str
  sample: [FEATURE_FLAGS]
updated:
  description: Names of the existing variables whose value was written (in check mode, would be written).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the variables deleted (in check mode, that would be deleted).
  returned: success or partial failure
  type: list
  elements: str
  sample: [OLD_TOKEN]
unchanged:
  description: Names listed that needed no request (present and left alone, or absent already).
  returned: success or partial failure
  type: list
  elements: str
  sample: [NODE_ENV, SENTRY_DSN]
unverified:
  description:
    - Names of the variables left alone because the masked forms match, which proves only that the last four characters
      are equal (or that both values are shorter than four characters); the rest of the value may differ.
  returned: success or partial failure
  type: list
  elements: str
  sample: [NODE_ENV, SENTRY_DSN]
failures:
  description:
    - The requests that failed, with CircleCI's reason. Empty on success.
    - Named C(failures) because Ansible reserves C(failed) for the task's status.
  returned: success or partial failure
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    action:
      description: V(add), V(update) or V(delete).
      type: str
    reason:
      description: The error message (method, path, HTTP status, CircleCI's message).
      type: str
    status:
      description: The HTTP status, or V(null) if there was no answer.
      type: int
    outcome:
      description:
        - V(not_applied) when CircleCI did not make the change; V(unknown) when the answer was lost and reading the variables
          again could not tell whether it was made (the task then reports C(changed)).
      type: str
  sample: [{"name": "FEATURE_FLAGS", "action": "add", "status": 400, "outcome": "not_applied",
            "reason": "POST /project/github/acme/web/envvar failed with HTTP 400."}]
not_attempted:
  description: Names of the variables whose change was not attempted because an earlier request failed. Empty on success.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
plan:
  description: Every listed or purged variable with the step taken (V(add), V(update), V(delete) or V(none)) and why; never a value.
  returned: success or partial failure
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    action:
      description: V(add), V(update), V(delete) or V(none).
      type: str
    reason:
      description: Why, in words.
      type: str
    verified:
      description: False when the value was compared by its masked form only (see RV(unverified)).
      type: bool
  sample: [{"name": "FEATURE_FLAGS", "action": "add", "reason": "not set", "verified": true}]
env_vars:
  description: The project's variables after the task (in check mode, as they would be), masked as CircleCI shows them, sorted by name.
  returned: success or partial failure
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    value:
      description: The masked value, C(xxxx) and the last four characters.
      type: str
  sample: [{"name": "FEATURE_FLAGS", "value": "xxxxkout"}, {"name": "NODE_ENV", "value": "xxxxtion"}]
diff:
  description: The variables before and after, as name to masked value; never a clear value.
  returned: diff mode
  type: dict
  contains:
    before:
      description: Name to masked value, as read.
      type: dict
    after:
      description: Name to masked value, as left (or as it would be, in check mode).
      type: dict
  sample: {"before": {"NODE_ENV": "xxxxtion"}, "after": {"NODE_ENV": "xxxxtion", "FEATURE_FLAGS": "xxxxkout"}}
error:
  description: The facts of a failed request (method, path, status, CircleCI's message) when the task failed on one.
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
    ITEM_SPEC,
    STATES,
    UPDATE_VALUE_SPEC,
    converge_env_vars,
    desired_variables,
)
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(
        argument_spec=dict(
            name=dict(type='str'),
            value=ITEM_SPEC['value'],
            state=dict(type='str', choices=list(STATES), default='present'),
            variables=dict(type='list', elements='dict', options=ITEM_SPEC),
            purge=dict(type='bool', default=False),
            update_value=UPDATE_VALUE_SPEC,
        ),
        mutually_exclusive=[('name', 'variables'), ('value', 'variables')],
        required_one_of=[('name', 'variables')],
        supports_check_mode=True,
        circleci_projects=True,
    )
    params = module.params
    module.run(lambda: converge_env_vars(module.client, module.project, desired_variables(params), purge=params['purge'],
                                         update_value=params['update_value'], check_mode=module.check_mode))


if __name__ == '__main__':
    main()
