#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: context_info
short_description: Read the contexts of a CircleCI organization, their variables and restrictions, and check one for drift
version_added: 0.2.0
description:
  - Lists the contexts of an organization (O(owner)), all of them or the one named O(name), each with its variables (names
    and when they were created and last written; CircleCI never returns a value, not even masked) and its restrictions.
  - B(Requests.) One C(GET /me/collaborations) for the owner's id, one C(GET /context?owner-id=) per page of contexts, then for
    each context listed one C(GET .../environment-variable) and one C(GET .../restrictions) (per page), several contexts at
    a time. One context costs 4 requests, however many variables it has.
  - With O(expected) or O(expected_names) (and O(name)), compares the context's variables with the expected names and returns
    a drift report shaped as M(community.circleci.env_var_info)'s; with O(fail_on_drift=true) drift fails the task.
  - B(What the comparison can and cannot prove.) Without a ledger, only names can be compared; a name expected with a value
    is listed in RV(drift.unverified), and RV(drift.masked_mismatch) is always empty (no value is shown, not even masked).
    With the ledger that M(community.circleci.context_env_var) keeps (O(ledger)), an expected value is compared with the
    keyed digest of the value last written (RV(drift.digest_mismatch)), and every variable whose C(updated_at) differs from
    the one recorded at that write is listed in RV(drift.rewritten), as rewritten outside the playbook since. Both count
    as drift. The ledger is only read; see M(community.circleci.context_env_var) for its threat model.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  owner:
    description:
      - The organization, as V(gh/acme), V(bb/acme) or V(circleci/<organization id>) (see M(community.circleci.context)).
    type: str
    required: true
  name:
    description:
      - Only the context of this name. Without it, every context of the organization is listed.
      - A name that no context has gives an empty RV(contexts) (and, with O(expected), every expected name as missing).
    type: str
  expected:
    description:
      - The variables the context O(name) should have, to return a drift report, as a dictionary of name to value
        (V(null) or an empty string checks the name only).
      - Values can only be compared through O(ledger) (see the description). They are never logged nor returned.
      - Every variable not named here or in O(expected_names) is reported as unexpected.
    type: dict
  expected_names:
    description:
      - Names the context O(name) should have, whatever their values. May be combined with O(expected).
    type: list
    elements: str
  ledger:
    description:
      - The ledger file M(community.circleci.context_env_var) writes (O(community.circleci.context_env_var#module:ledger)),
        to prove values unchanged since written and to detect outside rewrites. Only read; a missing file is an empty ledger.
      - Adds to each variable of RV(contexts) its RV(contexts[].variables[].ledger_status).
    type: path
  fail_on_drift:
    description:
      - Fail the task when the context drifted (a variable missing, unexpected, rewritten outside the playbook, or with another
        value than recorded). Needs O(expected) or O(expected_names).
    type: bool
    default: false
  allow_unexpected:
    description:
      - Do not count variables missing from O(expected) as drift; they are still listed in RV(drift.unexpected).
    type: bool
    default: false
  restrictions:
    description:
      - Read each context's restrictions (one request per context). V(false) leaves them out
        (RV(contexts[].restrictions) is V(null)), which spares that request in a drift audit of variables.
    type: bool
    default: true
notes:
  - Uses CircleCI API v2 (O(api_v2_url)), which needs a personal API token; project tokens are refused.
seealso:
  - module: community.circleci.context
  - module: community.circleci.context_env_var
'''

EXAMPLES = r'''
- name: List every context of an organization, with variable names and restrictions
  community.circleci.context_info:
    owner: gh/acme
  register: acme_contexts

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.variables | map(attribute='name') | join(', ') }}"
  loop: "{{ acme_contexts.contexts }}"
  loop_control:
    label: "{{ item.name }}"

- name: Check that deploy-prod holds exactly these names
  community.circleci.context_info:
    owner: gh/acme
    name: deploy-prod
    expected_names: [DEPLOY_TOKEN]
  register: audit

- name: Report
  ansible.builtin.debug:
    msg: "in sync: {{ audit.in_sync }}, missing: {{ audit.drift.missing }}, unexpected: {{ audit.drift.unexpected }}"

- name: With the ledger, prove the values unchanged since the playbook wrote them, and fail on any drift
  community.circleci.context_info:
    owner: gh/acme
    name: org-global
    expected:
      AWS_ACCESS_KEY_ID: AKIAEMULATOR00000001
      AWS_SECRET_ACCESS_KEY: "{{ vault_aws_secret | default('emulator/secret/key/0001') }}"
    ledger: ~/.circleci-contexts.ledger.json
  register: proven
'''

RETURN = r'''
contexts:
  description: The contexts listed (all of the organization's, or the one named O(name)), in CircleCI's order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The context's id.
      type: str
    name:
      description: The context's name.
      type: str
    created_at:
      description: When it was created (ISO 8601).
      type: str
    owner_id:
      description: The id of the organization that owns it.
      type: str
    owner_slug:
      description: That organization's slug.
      type: str
    variables:
      description: Its variables, sorted by name; never a value.
      type: list
      elements: dict
      contains:
        name:
          description: The variable's name.
          type: str
        created_at:
          description: When it was created.
          type: str
        updated_at:
          description: When it was last written.
          type: str
        ledger_status:
          description:
            - With O(ledger), V(unchanged) (CircleCI shows the C(updated_at) recorded at the playbook's last write),
              V(rewritten) (it differs, so it was written outside the playbook since) or V(unrecorded); V(null) without a ledger.
          type: str
    restrictions:
      description: Its restrictions; V(null) with O(restrictions=false).
      type: list
      elements: dict
      contains:
        id:
          description: The restriction's id.
          type: str
        type:
          description: V(project) or V(expression).
          type: str
        value:
          description: The project's id, or the expression.
          type: str
        name:
          description: The project's name for a project restriction, else V(null).
          type: str
  sample: [{"id": "f3e9363b-e6e3-44de-8de1-542479a869b1", "name": "deploy-prod", "created_at": "2024-05-02T12:00:02.000Z",
            "owner_id": "b0de2883-ba52-4530-abc0-d74091c72852", "owner_slug": "gh/acme",
            "variables": [{"name": "DEPLOY_TOKEN", "created_at": "2024-05-02T12:00:02.000Z", "updated_at": "2024-05-02T12:00:02.000Z",
                           "ledger_status": null}],
            "restrictions": [{"id": "7c802694-4ada-4369-9249-30a829de14d4", "type": "expression",
                              "value": "pipeline.git.branch == \"main\"", "name": null}]}]
context:
  description: With O(name), that context (as an item of RV(contexts)), or V(null) when it does not exist.
  returned: with O(name)
  type: dict
drift:
  description: With O(expected) or O(expected_names), the drift report of the context O(name), in the words of M(community.circleci.env_var_info).
  returned: with O(expected) or O(expected_names)
  type: dict
  contains:
    missing:
      description: Expected names the context does not have (all of them when it does not exist), in the order expected.
      type: list
      elements: str
    unexpected:
      description: Names the context has that are not expected.
      type: list
      elements: str
    masked_mismatch:
      description: Always empty, kept for the shape of M(community.circleci.env_var_info)'s report; CircleCI shows no context value, not even masked.
      type: list
      elements: str
    unverified:
      description: Names expected with a value that nothing can vouch for (no ledger, or no record of it); not counted as drift.
      type: list
      elements: str
    rewritten:
      description: With O(ledger), variables whose C(updated_at) differs from the one recorded when the playbook wrote them (rewritten outside it since).
      type: list
      elements: str
    digest_mismatch:
      description: With O(ledger), names whose expected value differs from the value recorded as last written.
      type: list
      elements: str
    in_sync:
      description: True when nothing is missing, rewritten, mismatching or (unless O(allow_unexpected)) unexpected.
      type: bool
  sample: {"missing": [], "unexpected": [], "masked_mismatch": [], "unverified": [], "rewritten": ["AWS_SECRET_ACCESS_KEY"],
           "digest_mismatch": [], "in_sync": false}
in_sync:
  description: With O(expected) or O(expected_names), whether the context is in sync.
  returned: with O(expected) or O(expected_names)
  type: bool
  sample: true
error:
  description: The facts of the failed request (method, path, status, CircleCI's message) when reading failed.
  returned: failure
  type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 4
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils import _contexts
from ansible_collections.community.circleci.plugins.module_utils._context_env_vars import (
    LedgerView,
    drift_report,
    ledger_status,
)
from ansible_collections.community.circleci.plugins.module_utils._env_vars import expected_of
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError
from ansible_collections.community.circleci.plugins.module_utils._ledger import Ledger
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def describe_drift(name, report):
    parts = ['%s: %s' % (label, ', '.join(report[key])) for key, label in (
        ('missing', 'missing'), ('unexpected', 'unexpected'), ('rewritten', 'rewritten outside the playbook'),
        ('digest_mismatch', 'value differs from the one written')) if report[key]]
    return 'Context %s drifted from expected: %s.' % (name, '; '.join(parts))


def audit(module):
    params = module.params
    if params['name'] is not None:
        _contexts.check_name(params['name'])
    _contexts.check_owner(params['owner'])
    expected = expected_of(params)
    ledger = Ledger.load(params['ledger']) if params['ledger'] else None
    if ledger is not None and ledger.loose_permissions():
        module.warn(ledger.loose_permissions())

    client = module.client
    owner = _contexts.owner_of(client, params['owner'])
    listed = _contexts.read_contexts(client, owner['id'])
    if params['name'] is not None:
        listed = [context for context in listed if context.get('name') == params['name']]

    readers = {'variables': _contexts.read_variables}
    if params['restrictions']:
        readers['restrictions'] = _contexts.read_restrictions
    pairs = [(context, kind) for context in listed for kind in readers]
    answers = {}
    for outcome in client.map_concurrent(lambda pair: readers[pair[1]](client, pair[0]['id']), pairs):
        if outcome.error is not None:
            raise outcome.error
        answers[(outcome.item[0]['id'], outcome.item[1])] = outcome.value

    contexts, found = [], {}
    for context in listed:
        variables = answers[(context['id'], 'variables')]
        view = LedgerView(ledger, owner, context)
        entry = _contexts.context_view(context, owner)
        entry['variables'] = [dict(item, ledger_status=ledger_status(view, item['name'], variables[item['name']]))
                              for item in _contexts.variable_list(variables)]
        entry['restrictions'] = answers.get((context['id'], 'restrictions'))
        contexts.append(entry)
        found[context['id']] = (variables, view)
    result = {'changed': False, 'contexts': contexts}
    if params['name'] is not None:
        result['context'] = contexts[0] if contexts else None
    if expected is not None:
        if listed:
            variables, view = found[listed[0]['id']]
        else:
            variables, view = {}, None
        result['drift'] = drift_report(variables, expected, ledger=view, allow_unexpected=params['allow_unexpected'])
        result['in_sync'] = result['drift']['in_sync']
        if params['fail_on_drift'] and not result['in_sync']:
            raise CircleCIError(describe_drift(params['name'], result['drift']), result=result)
    return result


def main():
    module = CircleCIModule(
        argument_spec=dict(
            owner=dict(_contexts.OWNER_SPEC, required=True),
            name=dict(type='str'),
            expected=dict(type='dict', no_log=True),
            expected_names=dict(type='list', elements='str'),
            ledger=dict(type='path'),
            fail_on_drift=dict(type='bool', default=False),
            allow_unexpected=dict(type='bool', default=False),
            restrictions=dict(type='bool', default=True),
        ),
        project_spec=False,
        required_by={'expected': ('name',), 'expected_names': ('name',)},
        supports_check_mode=True,
    )
    module.run(lambda: audit(module))


if __name__ == '__main__':
    main()
