#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: context
short_description: Manage a CircleCI context and who may use it (API v2)
version_added: 0.2.0
description:
  - Creates or deletes a context of an organization, and with O(restrictions) makes sure it carries the listed
    restrictions (the projects and the pipeline expressions that may use it); with O(purge_restrictions=true) it also
    deletes every other restriction.
  - Its variables are managed with M(community.circleci.context_env_var) and read with M(community.circleci.context_info).
  - B(Requests.) One C(GET /me/collaborations) to turn O(owner) into the organization's id, one C(GET /context?owner-id=)
    per page of contexts, and for an existing context one C(GET /context/:id/restrictions) (O(state=present)) or one
    C(GET /context/:id/environment-variable) (O(state=absent)); its restrictions are read only when O(restrictions) is given.
    A project restriction given by a GitHub or Bitbucket slug costs one C(GET /project/:slug) for its id. A context already
    as described costs these reads only (2 requests, 3 with O(restrictions));
    each change then costs one request (C(POST /context), C(POST .../restrictions), C(DELETE .../restrictions/:id),
    C(DELETE /context/:id)).
  - New restrictions are added before the ones to purge are deleted, so the context is never less restricted than asked
    on the way. Restrictions cannot be edited; a changed one is a deletion and a creation.
  - Deleting a context deletes its variables with it; a context that still holds variables is deleted only with
    O(force=true), otherwise the task fails before any write, naming the variables.
  - A write whose answer is lost (a timeout, a cut-off answer) is never sent again blindly; the context or its
    restrictions are read again to learn whether it was made.
  - Contexts have no rename; a context with another O(name) is another context.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  name:
    description:
      - The context's name, unique within its organization.
    type: str
    required: true
  owner:
    description:
      - The organization that owns the context, as V(gh/acme) (also V(github/acme)), V(bb/acme) (also V(bitbucket/acme)),
        or V(circleci/<organization id>) for GitHub App, GitLab and standalone organizations (the UUID shown in the
        organization's settings, or its base58 form).
      - It must be among the organizations of the token's user (C(GET /me/collaborations)); checked before any write.
    type: str
    required: true
  state:
    description:
      - V(present) creates the context if it does not exist; V(absent) deletes it (see O(force)).
    type: str
    choices: [present, absent]
    default: present
  restrictions:
    description:
      - Restrictions the context must carry, as the API names them. Those it has and that are not listed are kept,
        unless O(purge_restrictions=true).
      - Not given, the restrictions are neither read nor changed.
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - V(project) lets only that project use the context; V(expression) lets only pipelines whose values match
            the expression use it, for example V(pipeline.git.branch == "main").
          - The API's other kinds (group restrictions) are not in the API's list of restriction types, and CircleCI
            refuses them on contexts; they are not offered.
        type: str
        required: true
        choices: [project, expression]
      value:
        description:
          - For V(project), the project's id (a UUID, as the project's settings show it) or its slug (V(gh/acme/api),
            V(circleci/<organization id>/<project id>)). The project must belong to the context's organization.
          - For V(expression), the expression, compared as written.
        type: str
        required: true
  purge_restrictions:
    description:
      - Delete every restriction of the context that O(restrictions) does not list. V(true) with an empty list removes them all.
      - Needs O(restrictions).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), delete the context even though it holds variables (they are deleted with it).
      - Without it, deleting a context that holds variables fails before any write and names them.
    type: bool
    default: false
notes:
  - Uses CircleCI API v2 (O(api_v2_url)), which needs a personal API token; project tokens are refused.
  - A read-only token can run the module in check mode; its first write fails with HTTP 403.
seealso:
  - module: community.circleci.context_env_var
  - module: community.circleci.context_info
'''

EXAMPLES = r'''
- name: A context for staging deployments, usable by the api project only, and only on main
  community.circleci.context:
    name: deploy-staging
    owner: gh/acme
    restrictions:
      - type: project
        value: gh/acme/api
      - type: expression
        value: pipeline.git.branch == "main"
  register: staging

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ staging.added + staging.updated }} / restrictions added: {{ staging.restrictions_added }}"

- name: Make deploy-prod's restrictions exactly this one (the others are removed)
  community.circleci.context:
    name: deploy-prod
    owner: gh/acme
    restrictions:
      - type: expression
        value: pipeline.git.branch == "main"
    purge_restrictions: true

- name: A context of a standalone (circleci) organization, named by its id
  community.circleci.context:
    name: cloud-staging
    owner: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9

- name: Delete a context, even if it still holds variables
  community.circleci.context:
    name: deploy-staging
    owner: gh/acme
    state: absent
    force: true
'''

RETURN = r'''
context:
  description:
    - The context after the task (in check mode, as it would be); V(null) once deleted.
    - A context still to be created (check mode) has V(null) id and creation time.
  returned: success or partial failure
  type: dict
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
      description: That organization's slug, as CircleCI gives it.
      type: str
  sample: {"id": "f3e9363b-e6e3-44de-8de1-542479a869b1", "name": "deploy-prod", "created_at": "2024-05-02T12:00:02.000Z",
           "owner_id": "b0de2883-ba52-4530-abc0-d74091c72852", "owner_slug": "gh/acme"}
restrictions:
  description:
    - The context's restrictions after the task (in check mode, as they would be). A restriction still to be created has
      V(null) id.
  returned: with O(restrictions), on success or partial failure
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
  sample: [{"id": "7c802694-4ada-4369-9249-30a829de14d4", "type": "expression", "value": "pipeline.git.branch == \"main\"", "name": null}]
added:
  description: The context's name when it was created (in check mode, would be), else empty.
  returned: success or partial failure
  type: list
  elements: str
  sample: [deploy-staging]
updated:
  description: The context's name when restrictions of an existing context were added or deleted, else empty.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
deleted:
  description: The context's name when it was deleted (in check mode, would be), else empty.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
unchanged:
  description: The context's name when nothing was to be done, else empty.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
restrictions_added:
  description: The restrictions created, as V(project:<project id>) or V(expression:<expression>).
  returned: success or partial failure
  type: list
  elements: str
  sample: ["project:a7f0bf1b-1ba3-5830-9a6a-4e502a5352b3", "expression:pipeline.git.branch == \"main\""]
restrictions_deleted:
  description: The restrictions deleted, named as in RV(restrictions_added).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
diff:
  description:
    - The context before and after, as its name, its restrictions (as in RV(restrictions_added)) when O(restrictions) is
      given, and for a deletion its variables' names.
    - Empty when the context does not exist (or no longer does).
  returned: diff mode
  type: dict
  contains:
    before:
      description: The context as read (empty when it did not exist).
      type: dict
    after:
      description: The context as left (or as it would be, in check mode); empty once deleted.
      type: dict
  sample: {"before": {}, "after": {"name": "deploy-staging", "restrictions": ["expression:pipeline.git.branch == \"main\""]}}
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

from ansible_collections.community.circleci.plugins.module_utils import _contexts
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec=_contexts.SPEC, project_spec=False, supports_check_mode=True, **_contexts.RULES)
    module.run(lambda: _contexts.converge_context(module.client, module.params, module.check_mode))


if __name__ == '__main__':
    main()
