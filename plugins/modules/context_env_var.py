#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: context_env_var
short_description: Manage the environment variables of a CircleCI context, one or many at once, optionally with a ledger
version_added: 0.2.0
description:
  - Sets and deletes the variables of a context (API v2), one (O(name), O(value), O(state)) or many (O(variables)), and
    with O(purge=true) deletes every variable not listed. The same options, rules and results as
    M(community.circleci.env_var), against a context (O(context) and O(owner), or O(context_id)).
  - B(Requests.) With O(context) and O(owner), one C(GET /me/collaborations) and one C(GET /context?owner-id=) per page of
    contexts find the context; with O(context_id) neither is needed (a ledger needs the owner's id, one C(GET /me/collaborations)).
    Then one C(GET /context/:id/environment-variable) per page of variables, and one request per change only. Converging
    variables that need no write costs those reads, however many variables there are, 3 requests (1 with O(context_id)
    and no ledger); k changes cost k more.
  - A value is written with a single C(PUT /context/:id/environment-variable/:name), which creates or replaces the variable;
    a variable is never deleted and created again, so no running build finds it missing. Writes are sent concurrently;
    deletions are sent last, and only once every write succeeded.
  - If a request fails, no new request is started; the task fails and says what was applied (RV(added), RV(updated),
    RV(deleted)), what failed and why (RV(failures)) and what was not attempted (RV(not_attempted)). Nothing applied is
    undone, and running the task again converges the rest. A write whose answer is lost is settled by reading the
    variables again (a moved C(updated_at) shows that it landed).
  - B(What can and cannot be verified.) CircleCI never returns a context variable's value, not even masked, only its name
    and when it was created and last written (C(updated_at), which moves on every write, even of the same value). So,
    B(without a ledger), a stored value cannot be compared with the desired one at all. O(update_value=on_create) (the
    default without a ledger) creates missing variables and leaves existing ones alone, naming them in RV(unverified);
    O(update_value=always) writes every listed value on every run (use it to rotate a secret).
  - B(With a ledger) (O(ledger)), the module records after each write the C(updated_at) CircleCI gave and a keyed digest
    (HMAC-SHA256) of the value written, never the value. O(update_value=when_changed) (the default with a ledger) then writes
    a variable only when the desired value's digest differs from the recorded one (the playbook's value changed), when
    CircleCI's C(updated_at) differs from the recorded one (somebody rewrote it outside the playbook, reported in
    RV(rewritten), then written back), or when the ledger has no record of it (written once, to record it). A variable
    whose digest and C(updated_at) match is proven unchanged since the playbook wrote it.
  - B(The ledger's threat model.) The file holds no value, but whoever can read it (it holds its own random key) can test
    guesses offline against the digests, so a low-entropy secret (a short password, a PIN) can be brute-forced from it.
    Keep it with the same care as the vault password (it is written with mode 0600). Losing it costs one rewrite of each
    variable on the next run, nothing else. Check mode reads it and never writes it. It is written atomically (a
    temporary file, then a rename) under a lock (C(<ledger>.lock)), merging only the task's own records, so tasks that
    share a ledger do not lose each other's records.
  - Names and values are checked before any request (names match C([A-Za-z_][A-Za-z0-9_]*) in full and are listed once;
    every present variable has a value, which is a string), as in M(community.circleci.env_var).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  context:
    description:
      - The name of the context, in the organization O(owner).
      - Mutually exclusive with O(context_id); one of them is required.
    type: str
  context_id:
    description:
      - The context's id (a UUID), instead of O(context) and O(owner). The context is then not looked up; an unknown id fails
        with CircleCI's 404 on the first read.
      - With O(ledger), O(owner) is needed too, as ledger entries are keyed by owner, context and name.
    type: str
  owner:
    description:
      - The organization that owns the context, as V(gh/acme), V(bb/acme) or V(circleci/<organization id>)
        (see M(community.circleci.context)). Required with O(context).
      - With O(context_id), used only to key the ledger.
    type: str
  name:
    description:
      - The name of one variable to manage.
      - Mutually exclusive with O(variables); one of them is required.
    type: str
  value:
    description:
      - The value of the variable named O(name). Required when O(state=present).
      - A string; anything else (an unquoted V(true), a number) is refused before any request, as in M(community.circleci.env_var).
      - Never logged nor returned, not even masked.
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
          - The variable's value, a string. Required when the item's state is V(present). Never logged nor returned.
        type: raw
      state:
        description:
          - V(present) to set the variable, V(absent) to delete it. Defaults to O(state).
        type: str
        choices: [present, absent]
  purge:
    description:
      - Delete every variable of the context that is not named in O(variables) (or is not O(name)).
      - Deletions are sent after every write succeeded.
    type: bool
    default: false
  update_value:
    description:
      - When to write the value of a variable that exists already (a missing one is always created).
      - V(on_create) never writes an existing variable; its value is not compared (it cannot be) and it is named in
        RV(unverified). The default without O(ledger).
      - V(always) writes every present variable on every run, so the task always reports a change. Use it to rotate a
        secret without a ledger.
      - V(when_changed) needs O(ledger) and is its default; see the description.
    type: str
    choices: [always, on_create, when_changed]
  ledger:
    description:
      - A local JSON file (on the host the module runs on) recording, for each variable written, CircleCI's C(updated_at) and a
        keyed digest of the value; see the description for what it proves and its threat model.
      - Created (mode 0600) on the first write; its directory must exist. A file that is not a ledger fails the task before any request.
      - One ledger may serve many contexts, organizations and tasks.
    type: path
notes:
  - Uses CircleCI API v2 (O(api_v2_url)), which needs a personal API token; project tokens are refused.
  - In check mode, a context that does not exist yet (it would be created by an earlier task) is planned as empty, with a warning.
seealso:
  - module: community.circleci.context
  - module: community.circleci.context_info
  - module: community.circleci.env_var
'''

EXAMPLES = r'''
- name: Fill a context; existing variables are left alone (their values cannot be compared without a ledger)
  community.circleci.context_env_var:
    context: deploy-prod
    owner: gh/acme
    variables:
      - name: DEPLOY_TOKEN
        value: "{{ vault_deploy_token | default('deploy-token-5678') }}"
      - name: DEPLOY_REGION
        value: eu-west-1
  register: filled

- name: Name what could not be verified
  ansible.builtin.debug:
    msg: "Left alone without comparing their values: {{ filled.unverified | join(', ') }}"

- name: Rotate one secret without a ledger (written on every run)
  community.circleci.context_env_var:
    context: deploy-prod
    owner: gh/acme
    name: DEPLOY_TOKEN
    value: "{{ vault_deploy_token | default('deploy-token-rotated-0002') }}"
    update_value: always

- name: Converge with a ledger; later runs write only what changed, and report variables rewritten behind the playbook's back
  community.circleci.context_env_var:
    context: org-global
    owner: gh/acme
    variables:
      - name: AWS_ACCESS_KEY_ID
        value: AKIAEMULATOR00000001
      - name: AWS_SECRET_ACCESS_KEY
        value: "{{ vault_aws_secret | default('emulator/secret/key/0001') }}"
    purge: true
    ledger: ~/.circleci-contexts.ledger.json
  register: org_global

- name: Report outside rewrites
  ansible.builtin.debug:
    msg: "Rewritten outside the playbook, written back: {{ org_global.rewritten }}"
  when: org_global.rewritten | length > 0

- name: A context of a standalone organization, by id; delete a variable
  community.circleci.context_env_var:
    context_id: c8626484-f1e2-45c5-bfed-a179b7eeaa08
    name: OLD_TOKEN
    state: absent
'''

RETURN = r'''
context:
  description: The context, as found (with O(context_id), only its id, and the owner when given).
  returned: success or partial failure
  type: dict
  contains:
    id:
      description: The context's id; V(null) in check mode for a context that does not exist yet.
      type: str
    name:
      description: The context's name (V(null) with O(context_id)).
      type: str
    created_at:
      description: When the context was created (V(null) with O(context_id)).
      type: str
    owner_id:
      description: The id of the organization that owns it (V(null) when not resolved).
      type: str
    owner_slug:
      description: That organization's slug.
      type: str
  sample: {"id": "f3e9363b-e6e3-44de-8de1-542479a869b1", "name": "deploy-prod", "created_at": "2024-05-02T12:00:02.000Z",
           "owner_id": "b0de2883-ba52-4530-abc0-d74091c72852", "owner_slug": "gh/acme"}
added:
  description: Names of the variables created (in check mode, that would be created).
  returned: success or partial failure
  type: list
  elements: str
  sample: [DEPLOY_REGION]
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
  sample: []
unchanged:
  description: Names listed that needed no request (present and left alone, or absent already).
  returned: success or partial failure
  type: list
  elements: str
  sample: [DEPLOY_TOKEN]
unverified:
  description:
    - Names of the variables left alone without their value being compared, as nothing can compare it (O(update_value=on_create)).
      With a ledger and O(update_value=when_changed) this is always empty.
  returned: success or partial failure
  type: list
  elements: str
  sample: [DEPLOY_TOKEN]
rewritten:
  description:
    - With a ledger, names of the variables whose C(updated_at) differs from the one recorded when the playbook wrote them;
      somebody rewrote them since. With O(update_value=when_changed) or V(always) they are written back (in RV(updated)).
    - Always empty without a ledger.
  returned: success or partial failure
  type: list
  elements: str
  sample: [AWS_SECRET_ACCESS_KEY]
failures:
  description:
    - The requests that failed, with CircleCI's reason, as in M(community.circleci.env_var). Empty on success.
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
      description: V(not_applied), or V(unknown) when the answer was lost and reading the variables again could not tell.
      type: str
  sample: []
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
      description: False when the variable was left alone without its value being compared (see RV(unverified)).
      type: bool
  sample: [{"name": "DEPLOY_TOKEN", "action": "none", "verified": true,
            "reason": "unchanged since written: the same value (ledger digest) and updated_at 2024-06-01T12:00:00.000Z"}]
variables:
  description:
    - The context's variables after the task (in check mode, as they would be), sorted by name; never a value.
    - A variable still to be written (check mode) has V(null) timestamps, or only its old C(created_at).
  returned: success or partial failure
  type: list
  elements: dict
  contains:
    name:
      description: The variable's name.
      type: str
    created_at:
      description: When it was created (ISO 8601).
      type: str
    updated_at:
      description: When it was last written (ISO 8601).
      type: str
  sample: [{"name": "DEPLOY_TOKEN", "created_at": "2024-05-02T12:00:02.000Z", "updated_at": "2024-06-01T12:00:00.000Z"}]
diff:
  description:
    - The variables before and after, as name to C(updated_at); a write still to be made shows V((to be written)). Never a value.
  returned: diff mode
  type: dict
  contains:
    before:
      description: Name to C(updated_at), as read.
      type: dict
    after:
      description: Name to C(updated_at), as left (or as it would be, in check mode).
      type: dict
  sample: {"before": {"DEPLOY_TOKEN": "2024-05-02T12:00:02.000Z"}, "after": {"DEPLOY_TOKEN": "2024-06-01T12:00:00.000Z"}}
error:
  description: The facts of a failed request (method, path, status, CircleCI's message) when the task failed on one.
  returned: failure
  type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 3
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils import _context_env_vars
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec=_context_env_vars.SPEC, project_spec=False, supports_check_mode=True,
                            **_context_env_vars.RULES)
    module.run(lambda: _context_env_vars.converge_context_vars(module.client, module.params, module.check_mode, warn=module.warn))


if __name__ == '__main__':
    main()
