#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: webhook
short_description: Create, update or delete an outbound webhook of a CircleCI project
version_added: 0.2.0
description:
  - Manages one outbound webhook of a project (CircleCI API v2), named by O(name) within the project. CircleCI calls its
    O(url) when the O(events) happen, signing each call with O(signing_secret).
  - Idempotent by name. With O(state=present), creates the webhook when the project has none of that name, or updates
    the fields that differ (O(url), O(events), O(verify_tls)) with one partial C(PUT /webhook/{id}) that sends only those.
    With O(state=absent), deletes every webhook of that name.
  - B(Requests.) The project's id, the scope of its webhooks (C(GET /project/{slug}), one request; none for a
    C(circleci/) project, whose slug holds the id), then the project's webhooks (C(GET /webhook), one request per page).
    A webhook that is already right costs these two requests and nothing else (one for a C(circleci/) project);
    creating, updating or deleting it costs one request more.
  - B(The signing secret is write-only.) CircleCI never returns it, only a masked form, so it cannot be compared with
    O(signing_secret). It is sent when the webhook is created, and on every run with O(update_secret=always).
    Results show CircleCI's masked form (C(xxxx) and the last four characters); diffs show only whether a secret is set.
  - The request that creates a webhook is never repeated once it may have reached CircleCI (a repetition would create a
    second webhook). When its answer is lost, the webhooks are listed again to learn whether it was created.
  - The scope of a webhook cannot change; a webhook is moved to another project by deleting it there and creating it here.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  project:
    description:
      - The project whose webhook this is, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile)
        (the VCS may be V(gh), V(github), V(bb) or V(bitbucket)), or V(circleci/<organization id>/<project id>) for a
        GitHub App, GitLab or standalone project (each id a UUID or its base58 form, as in CircleCI's own slugs).
      - Or only the repository name, with O(vcs_type) and O(username) set.
      - Checked before any request is made.
    type: str
    required: true
  name:
    description:
      - The webhook's name, unique within the project for this module (CircleCI itself allows duplicates; with
        O(state=present) the module then fails before any change, naming their ids).
    type: str
    required: true
  url:
    description:
      - The https URL CircleCI calls. Required with O(state=present).
    type: str
  events:
    description:
      - The events that trigger a call. Required with O(state=present); compared as a set (order does not matter).
    type: list
    elements: str
    choices: [workflow-completed, job-completed]
  verify_tls:
    description:
      - Whether CircleCI verifies the TLS certificate of O(url) when it calls it.
    type: bool
    default: true
  signing_secret:
    description:
      - The secret CircleCI signs every call with (the C(circleci-signature) header). Required with O(state=present),
        as CircleCI needs it to create a webhook.
      - Write-only, see O(update_secret). Never logged nor returned; results show CircleCI's masked form only.
    type: str
  update_secret:
    description:
      - When to send O(signing_secret) for a webhook that exists.
      - V(on_create) sends it only when the webhook is created; an existing webhook keeps its secret, whatever it is.
      - V(always) sends it on every run (in the same C(PUT) as any other change), so the task always reports a change;
        use it to rotate the secret.
    type: str
    choices: [always, on_create]
    default: on_create
  state:
    description:
      - V(present) creates or updates the webhook; V(absent) deletes every webhook of O(name) in the project.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Departures from the Terraform provider's C(circleci_webhook), which names webhooks by id and keeps the secret in its
    state; here the webhook is found by O(name) in the project, so no state file is needed, and the secret is written
    again only when asked (O(update_secret)).
  - A read-only API token gets HTTP 403 on the first write; project API tokens are not accepted by API v2 (HTTP 401).
seealso:
  - module: community.circleci.webhook_info
'''

EXAMPLES = r'''
- name: Notify a deploy service when the workflows of gh/acme/web complete
  community.circleci.webhook:
    project: gh/acme/web
    name: deploy-notify
    url: https://deploy.acme.example/circleci
    events: [workflow-completed]
    signing_secret: "{{ vault_webhook_secret | default('whsec-deploy-2026-0001') }}"
  register: hook

- name: Show what CircleCI shows (the secret masked)
  ansible.builtin.debug:
    msg: "{{ hook.webhook.id }} {{ hook.webhook.url }} {{ hook.webhook.signing_secret }}"

- name: Also send job events, and rotate the secret (the secret is written on every run with always)
  community.circleci.webhook:
    project: gh/acme/web
    name: deploy-notify
    url: https://deploy.acme.example/circleci
    events: [workflow-completed, job-completed]
    signing_secret: "{{ vault_webhook_secret_new | default('whsec-deploy-2026-0002') }}"
    update_secret: always

- name: Drift check of the seeded Slack webhook of gh/acme/api - fail if it would change
  community.circleci.webhook:
    project: gh/acme/api
    name: slack-notify
    url: https://hooks.acme.example/circleci
    events: [workflow-completed]
    signing_secret: "{{ vault_slack_secret | default('whsec-emulator-0123') }}"
  check_mode: true
  diff: true
  register: drift
  failed_when: drift is failed or drift is changed

- name: Delete the webhook
  community.circleci.webhook:
    project: gh/acme/web
    name: deploy-notify
    state: absent
'''

RETURN = r'''
project:
  description: The project's short slug.
  returned: success or partial failure
  type: str
  sample: gh/acme/web
webhook:
  description:
    - The webhook after the task (in check mode, as it would be); V(null) with O(state=absent).
    - In check mode, a webhook still to be created has no RV(webhook.id) and no timestamps.
  returned: success or partial failure
  type: dict
  contains: &hook
    id:
      description: The webhook's id.
      type: str
      sample: f07623af-b373-4b3a-a8a2-964f04322549
    name:
      description: The webhook's name.
      type: str
      sample: deploy-notify
    url:
      description: The URL CircleCI calls.
      type: str
      sample: https://deploy.acme.example/circleci
    events:
      description: The events that trigger a call.
      type: list
      elements: str
      sample: [workflow-completed]
    verify_tls:
      description: Whether CircleCI verifies the TLS certificate of the URL.
      type: bool
      sample: true
    signing_secret:
      description: The secret as CircleCI shows it, masked (C(xxxx) and the last four characters); never the secret.
      type: str
      sample: xxxx0001
    scope:
      description: What the webhook belongs to, C({id, type}); the id is the project's id, the type V(project).
      type: dict
      sample: {"id": "c4e9a495-4269-502b-9a87-ca59b4264afe", "type": "project"}
    project:
      description: The project's short slug, as given.
      type: str
      sample: gh/acme/web
    created_at:
      description: When the webhook was created (ISO 8601), read from C(created_at) or C(created-at).
      type: str
      sample: '2024-06-01T12:00:00.000Z'
    updated_at:
      description: When the webhook was last changed (ISO 8601), read from C(updated_at) or C(updated-at).
      type: str
      sample: '2024-06-01T12:00:00.000Z'
changed_fields:
  description:
    - The options written (in check mode, that would be) - V(url), V(events), V(verify_tls), V(signing_secret);
      every one of them on creation. Empty when nothing was written.
  returned: success or partial failure
  type: list
  elements: str
  sample: [events, signing_secret]
added:
  description: The name of the webhook created (in check mode, that would be); empty when none was.
  returned: success or partial failure
  type: list
  elements: str
  sample: [deploy-notify]
updated:
  description: The name of the webhook updated (in check mode, that would be); empty when none was.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
deleted:
  description: The name of the webhooks deleted, once per webhook (in check mode, that would be).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
unchanged:
  description: The name of the webhook left alone (right already, or absent already).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
diff:
  description:
    - With C(--diff), the webhook before and after as name, url, events, verify_tls, and signing_secret shown as
      C((set)), C((new value)) when this task writes it, or V(null); never the secret nor its masked form.
  returned: diff mode
  type: dict
  sample: {"before": {}, "after": {"name": "deploy-notify", "url": "https://deploy.acme.example/circleci",
           "events": ["workflow-completed"], "verify_tls": true, "signing_secret": "(new value)"}}
error:
  description: The facts of a failed request (method, path, status, CircleCI's message, outcome of a write).
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

from ansible_collections.community.circleci.plugins.module_utils import _webhooks
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec=_webhooks.SPEC, circleci_projects=True, supports_check_mode=True, **_webhooks.RULES)
    module.run(lambda: _webhooks.converge(module.client, module.project, module.params, module.check_mode))


if __name__ == '__main__':
    main()
