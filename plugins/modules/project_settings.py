#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: project_settings
short_description: Converge the settings of many CircleCI projects, and contexts, in one task
version_added: 0.1.0
description:
  - Converges, for each project listed, its follow state, environment variables (with purge), checkout keys, additional
    SSH keys, advanced settings, webhooks and scheduled pipelines, with the same logic as M(community.circleci.project),
    M(community.circleci.env_var), M(community.circleci.checkout_key), M(community.circleci.ssh_key),
    M(community.circleci.webhook) and M(community.circleci.schedule); and for each context listed, the context and its
    restrictions, and its variables (optionally with a ledger), as M(community.circleci.context) and
    M(community.circleci.context_env_var) do.
  - One module run for any number of projects and contexts; they are worked through concurrently (at most 4 requests in
    flight), contexts first. Nothing of a project depends on a context or the reverse (this module creates no project),
    so the order only matters for reporting, which follows the order given.
  - Each item takes the options, and follows the rules, of the single-resource module it stands for.
  - "Requests per project: one GET of the environment variables when O(projects[].env_vars) or O(projects[].purge_env_vars)
    is set, one GET of the v1.1 settings when O(projects[].followed) or O(projects[].ssh_keys) is set, one GET of the
    checkout keys per O(projects[].checkout_keys) entry, one GET of the advanced settings when O(projects[].settings) is set,
    one GET of the webhooks per page when O(projects[].webhooks) is set (plus one GET of the project for its id, for a
    GitHub OAuth or Bitbucket project), one GET of the schedules per page when O(projects[].schedules) is set, and one request
    per change. A project whose variables are already right costs one GET."
  - "Requests for contexts: one C(GET /me/collaborations) per run, one GET of the contexts of each organization named in
    O(contexts[].owner) (per page), then per context one GET of its restrictions when O(contexts[].restrictions) is set
    (and one C(GET /project/:slug) per project restriction given by a GitHub or Bitbucket slug), one GET of its variables
    when O(contexts[].variables) or O(contexts[].purge) is set, and one request per change."
  - Every input is checked before the first request, and every problem is named by its place in the data
    (C(projects[1].webhooks[0]), C(contexts[0].variables)). This includes what CircleCI cannot do for a
    GitHub App, GitLab or standalone project (C(circleci/<organization id>/<project id>)) - following it, its additional
    SSH keys (both API v1.1 only) and its scheduled pipelines, refused before any request.
  - A project or context that fails does not stop the others; the task then fails, naming each failed project
    (RV(failed_projects)) and context (RV(failed_contexts)) and what each had applied.
  - This module is what the role C(community.circleci.project_settings) runs.
  - The invocation is not logged to syslog or journald (other modules log it with their secrets masked), because with
    hundreds of projects the masking would cost more time than the task.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  projects:
    description:
      - The projects and the settings they should have. Settings left out are left alone.
      - At least one of O(projects) and O(contexts) is required.
    type: list
    elements: dict
    suboptions:
      project:
        description:
          - The project, as V(vcs/organisation/name), for example V(gh/acme/api), or V(circleci/<organization id>/<project id>)
            for a GitHub App, GitLab or standalone project (each id a UUID or its base58 form).
        type: str
        required: true
      followed:
        description:
          - Whether the token's user follows the project. Left alone when not set.
          - API v1.1 only, so refused before any request for a V(circleci/) project.
        type: bool
      env_vars:
        description:
          - Environment variables, as for O(community.circleci.env_var#module:variables).
        type: list
        elements: dict
        suboptions:
          name:
            description: The variable's name.
            type: str
            required: true
          value:
            description:
              - The value, a string (numbers and booleans are refused, so quote them). Required when the variable is present.
            type: raw
          state:
            description: Whether the variable should exist; V(present) when not set.
            type: str
            choices: [present, absent]
      purge_env_vars:
        description:
          - Delete every variable of the project not listed in O(projects[].env_vars).
        type: bool
        default: false
      checkout_keys:
        description:
          - Checkout keys, as for M(community.circleci.checkout_key).
        type: list
        elements: dict
        suboptions:
          type:
            description: The key type. Required with O(projects[].checkout_keys[].state=present).
            type: str
            choices: [deploy-key, github-user-key]
          state:
            description:
              - V(present) creates a key of this type when none exists; V(absent) deletes the keys of this type, or the one
                with O(projects[].checkout_keys[].fingerprint).
            type: str
            choices: [present, absent]
            default: present
          preferred:
            description: Require the preferred key to be of this type.
            type: bool
            default: false
          fingerprint:
            description: With V(absent), delete only the key with this fingerprint (MD5 or SHA256 form); only with V(absent).
            type: str
      ssh_keys:
        description:
          - Additional SSH keys, as for M(community.circleci.ssh_key).
          - API v1.1 only, so refused before any request for a V(circleci/) project.
        type: list
        elements: dict
        suboptions:
          hostname:
            description: The host the key is for; empty for all hosts.
            type: str
            default: ''
          private_key:
            description:
              - The unencrypted private key. One of O(projects[].ssh_keys[].private_key), O(projects[].ssh_keys[].private_key_path)
                and (with V(absent)) O(projects[].ssh_keys[].fingerprint) is needed.
            type: str
          private_key_path:
            description: A file holding the private key.
            type: path
          fingerprint:
            description: With V(absent), the fingerprint of the key to remove instead of the private key (MD5 or SHA256 form).
            type: str
          state:
            description: Whether the key should be there.
            type: str
            choices: [present, absent]
            default: present
          exclusive:
            description: Remove the hostname's other keys; only with V(present).
            type: bool
            default: false
          remove_duplicates:
            description: Remove extra copies of the key; only with V(present).
            type: bool
            default: false
      settings:
        description:
          - The project's advanced settings (API v2), as for O(community.circleci.project#module:settings). Only the settings
            given are managed; the others are left as they are. Their types are checked before any request.
          - One GET, then one C(PATCH) naming only the settings whose value differs; a setting CircleCI accepted but did not
            apply (V(oss) on a private repository) fails the project.
        type: dict
        suboptions:
          autocancel_builds:
            description: Cancel the running builds of a branch when a newer commit is pushed to it (not on the default branch).
            type: bool
          build_fork_prs:
            description: Build pull requests from forks.
            type: bool
          build_prs_only:
            description: Build only pull requests (and the default branch, and the branches of O(projects[].settings.pr_only_branch_overrides)).
            type: bool
          disable_ssh:
            description: Refuse reruns of jobs with SSH.
            type: bool
          forks_receive_secret_env_vars:
            description: Pass the project's secrets (variables, keys) to builds of pull requests from forks.
            type: bool
          oss:
            description: Free and open source; CircleCI lets it stick only on a public repository.
            type: bool
          set_github_status:
            description: Report each build's status to GitHub.
            type: bool
          setup_workflows:
            description: Enable dynamic configuration (setup workflows).
            type: bool
          write_settings_requires_admin:
            description: Only organization administrators may change the project's settings.
            type: bool
          pr_only_branch_overrides:
            description:
              - With O(projects[].settings.build_prs_only), branches that are built on every push anyway. The whole list is
                replaced; it is compared without regard to order. At most 100 branches, each listed once.
            type: list
            elements: str
      webhooks:
        description:
          - Outbound webhooks of the project, as for M(community.circleci.webhook), each named by its name (listed once per
            project). Webhooks not listed are left alone.
          - The project's webhooks are read once for all the items.
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - The webhook's name, unique within the project for this module (CircleCI itself allows duplicates; with
                V(present) the project then fails before any change to that webhook, naming their ids).
            type: str
            required: true
          url:
            description: The https URL CircleCI calls. Required with V(present).
            type: str
          events:
            description: The events that trigger a call. Required with V(present); compared as a set.
            type: list
            elements: str
            choices: [workflow-completed, job-completed]
          verify_tls:
            description: Whether CircleCI verifies the TLS certificate of the URL when it calls it.
            type: bool
            default: true
          signing_secret:
            description:
              - The secret CircleCI signs every call with. Required with V(present). Write-only, see
                O(projects[].webhooks[].update_secret). Never logged nor returned.
            type: str
          update_secret:
            description:
              - When to send the signing secret for a webhook that exists. V(on_create) only when it is created; V(always) on
                every run (the task then always reports a change; use it to rotate the secret).
            type: str
            choices: [always, on_create]
            default: on_create
          state:
            description: V(present) creates or updates the webhook; V(absent) deletes every webhook of this name in the project.
            type: str
            choices: [present, absent]
            default: present
      schedules:
        description:
          - Scheduled pipelines of the project, as for M(community.circleci.schedule), each named by its name (listed once per
            project). Schedules not listed are left alone.
          - The project's schedules are read once for all the items.
          - Not for a V(circleci/) project (CircleCI's schedule API does not serve them), so refused before any request.
        type: list
        elements: dict
        suboptions:
          name:
            description:
              - The schedule's name, unique within the project for this module (CircleCI itself allows duplicates; with
                V(present) the project then fails before any change to that schedule, naming their ids).
            type: str
            required: true
          description:
            description: A description of the schedule. Left as it is when not set; V("") removes it.
            type: str
          timetable:
            description:
              - When the pipeline runs, in UTC. Required with V(present). Lists are compared as sets; no months means every month.
            type: dict
            suboptions:
              per_hour:
                description: How many times the pipeline runs in each of the hours, 1 to 60.
                type: int
                required: true
              hours_of_day:
                description: The hours (UTC) the pipeline runs in, 0 to 23, each once.
                type: list
                elements: int
                required: true
              days_of_week:
                description:
                  - The days of the week, among V(MON), V(TUE), V(WED), V(THU), V(FRI), V(SAT) and V(SUN).
                  - Exactly one of O(projects[].schedules[].timetable.days_of_week) and
                    O(projects[].schedules[].timetable.days_of_month) is required.
                type: list
                elements: str
              days_of_month:
                description: The days of the month, 1 to 31.
                type: list
                elements: int
              months:
                description: The months, among V(JAN) to V(DEC); every month when not set.
                type: list
                elements: str
          branch:
            description:
              - The branch the pipelines run on. With V(present), exactly one of O(projects[].schedules[].branch) and
                O(projects[].schedules[].tag) is required.
            type: str
          tag:
            description: The tag the pipelines run on.
            type: str
          parameters:
            description:
              - Other pipeline parameters, name to value (strings, integers or booleans); CircleCI replaces the whole map on a
                change, so the parameters are exactly these (with the branch or tag).
            type: dict
          attribution_actor:
            description: Whom the scheduled pipelines run as, the token's user (V(current)) or CircleCI's system actor (V(system)).
            type: str
            choices: [current, system]
            default: current
          state:
            description: V(present) creates or updates the schedule; V(absent) deletes every schedule of this name in the project.
            type: str
            choices: [present, absent]
            default: present
  contexts:
    description:
      - Contexts of organizations, their restrictions and their variables (API v2). A context that does not exist is
        created; this module never deletes one (use M(community.circleci.context)). Contexts not listed are left alone.
      - At least one of O(projects) and O(contexts) is required.
    type: list
    elements: dict
    suboptions:
      name:
        description: The context's name, unique within its organization (and listed once).
        type: str
        required: true
      owner:
        description:
          - The organization that owns the context, as V(gh/acme), V(bb/acme) or V(circleci/<organization id>), as for
            O(community.circleci.context#module:owner).
        type: str
        required: true
      restrictions:
        description:
          - Restrictions the context must carry, as for O(community.circleci.context#module:restrictions). Those it has and
            that are not listed are kept, unless O(contexts[].purge_restrictions=true). Not given, they are neither read nor changed.
        type: list
        elements: dict
        suboptions:
          type:
            description: V(project) lets only that project use the context; V(expression) lets only the pipelines that match it.
            type: str
            required: true
            choices: [project, expression]
          value:
            description:
              - For V(project), the project's id (a UUID) or its slug (V(gh/acme/api), V(circleci/<organization id>/<project id>));
                for V(expression), the expression, compared as written.
            type: str
            required: true
      purge_restrictions:
        description:
          - Delete every restriction not listed in O(contexts[].restrictions) (needs it; an empty list removes them all).
            New restrictions are added before any is deleted.
        type: bool
        default: false
      variables:
        description:
          - The context's variables, as for O(community.circleci.context_env_var#module:variables). Not given (and
            O(contexts[].purge) false), the variables are neither read nor changed.
        type: list
        elements: dict
        suboptions:
          name:
            description: The variable's name.
            type: str
            required: true
          value:
            description:
              - The value, a string. Required when the variable is present. Never logged nor returned, not even masked.
            type: raw
          state:
            description: Whether the variable should exist; V(present) when not set.
            type: str
            choices: [present, absent]
      purge:
        description:
          - Delete every variable of the context not listed in O(contexts[].variables). Deletions are sent after every write.
        type: bool
        default: false
      update_value:
        description:
          - When to write the value of a context variable that exists, as for O(community.circleci.context_env_var#module:update_value)
            (CircleCI never returns a context variable's value, so it cannot be compared).
          - V(on_create) never writes an existing variable (it is named in RV(contexts[].context_env_var_result) C(unverified)
            with O(details=true)); the default without O(ledger).
          - V(always) writes every listed variable on every run (use it to rotate a secret).
          - V(when_changed) writes a variable only when the ledger shows its value changed, or that it was rewritten outside
            the playbook; needs O(ledger), and is the default with it.
        type: str
        choices: [always, on_create, when_changed]
  ledger:
    description:
      - The ledger file of the context variables, as for O(community.circleci.context_env_var#module:ledger), which records a
        keyed digest of each value written and CircleCI's C(updated_at), never a value. One ledger serves every context of
        the task (and of other tasks). Read and checked before any request; written after the writes (never in check mode).
      - Only used for O(contexts[].variables).
    type: path
  details:
    description:
      - Return each step's whole result, as the single-resource module returns it (all variable names, plan steps,
        keys, settings, webhooks, schedules, the context and its restrictions). By default each step's result holds only what
        changed (C(changed), C(added), C(updated), C(deleted), and C(failures), C(not_attempted), C(followed), C(first_build),
        C(changed_fields), C(restrictions_added), C(restrictions_deleted), C(rewritten) where they apply).
      - Without it, projects and contexts that needed no change are counted (RV(projects_total), RV(projects_changed),
        RV(contexts_total), RV(contexts_changed)) rather than listed in RV(projects) and RV(contexts).
      - Ansible masks every secret of the task in every string of the result, which takes time proportional to both;
        with hundreds of projects the whole state costs more than the API calls, hence the summary by default.
    type: bool
    default: false
  update_value:
    description:
      - When to write the value of a project variable that exists, as for O(community.circleci.env_var#module:update_value).
      - Context variables have their own, O(contexts[].update_value).
    type: str
    choices: [always, on_create, when_masked_differs]
    default: when_masked_differs
notes:
  - The advanced settings, webhooks, schedules and contexts use CircleCI API v2, which needs a personal API token (project
    tokens are refused).
  - A project's id (C(GET /project/:slug)) is read at most once per run, shared by its webhooks and the context
    restrictions that name it by slug.
'''

EXAMPLES = r'''
- name: Converge two projects (the connection comes from module_defaults or the CIRCLECI_* environment variables)
  community.circleci.project_settings:
    projects:
      - project: gh/acme/api
        followed: true
        purge_env_vars: false
        env_vars:
          - name: LOG_LEVEL
            value: info
          - name: FEATURE_FLAGS
            value: "search,checkout"
        checkout_keys:
          - type: deploy-key
      - project: gh/acme/web
        env_vars:
          - name: NODE_ENV
            value: production
  register: converged

- name: Rotate one secret across many projects (one module run, projects worked through concurrently)
  community.circleci.project_settings:
    update_value: always
    projects: "{{ rotation_entries }}"
  vars:
    rotation_entries:
      - project: gh/acme/api
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
      - project: gh/acme/web
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
      - project: gh/acme/worker
        env_vars: [{name: SHARED_SECRET, value: "{{ new_secret }}"}]
    new_secret: s3cr3t-rotated-value

- name: Advanced settings, webhooks and scheduled pipelines; and a standalone project's settings and variables (API v2)
  community.circleci.project_settings:
    projects:
      - project: gh/acme/api
        settings:
          autocancel_builds: true
          build_prs_only: true
          pr_only_branch_overrides: [main, release]
        webhooks:
          - name: slack-notify
            url: https://hooks.acme.example/circleci
            events: [workflow-completed, job-completed]
            signing_secret: "{{ vault_webhook_secret | default('whsec-example-0001') }}"
        schedules:
          - name: nightly
            description: Nightly build of main
            branch: main
            timetable:
              per_hour: 1
              hours_of_day: [2]
              days_of_week: [MON, TUE, WED, THU, FRI]
          - name: weekly-cleanup
            branch: main
            parameters: {cleanup: true}
            attribution_actor: system
            timetable: {per_hour: 1, hours_of_day: [5], days_of_week: [SUN]}
      # The twin of gh/acme/api in the acme-cloud organization: circleci/<organization id>/<project id>.
      - project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/5f0c6a61-2f1e-4c8e-9d33-6d1b6a0e7a01
        settings:
          autocancel_builds: true
        env_vars:
          - name: LOG_LEVEL
            value: info
  register: v2_settings

- name: Show what changed, project by project
  ansible.builtin.debug:
    msg: "{{ item.project }}: settings {{ item.settings_result.updated | default([]) }},
          webhooks {{ item.webhook_results | default([]) | map(attribute='changed_fields') | list }}"
  loop: "{{ v2_settings.projects }}"

- name: Contexts with their restrictions and variables, with a ledger that proves the values unchanged since written
  community.circleci.project_settings:
    ledger: ~/.circleci-contexts.ledger.json
    contexts:
      - name: deploy-prod
        owner: gh/acme
        restrictions:
          - type: expression
            value: pipeline.git.branch == "main"
          - type: project
            value: gh/acme/api
        variables:
          - name: DEPLOY_TOKEN
            value: "{{ vault_deploy_token | default('deploy-token-5678') }}"
          - name: DEPLOY_REGION
            value: eu-west-1
      - name: cloud-shared
        owner: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9
        variables:
          - name: LEDGER_API_TOKEN
            value: "{{ vault_ledger_token | default('ledger-token-9999') }}"
        purge: true
  register: contexts_converged

- name: Report the context variables rewritten outside the playbook (written back)
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.context_env_var_result.rewritten }}"
  loop: "{{ contexts_converged.contexts }}"
  when: item.context_env_var_result.rewritten | default([]) | length > 0
'''

RETURN = r'''
projects:
  description:
    - One result per project that changed (in check mode, would change) or failed, in the order given; with O(details=true),
      one per project.
  returned: always
  type: list
  elements: dict
  contains:
    project:
      description: The project slug.
      type: str
      sample: gh/acme/api
    changed:
      description: Whether anything of this project changed (or would, in check mode).
      type: bool
    follow:
      description:
        - The follow result, present when O(projects[].followed) was set, C(changed), C(followed) and C(first_build), or with
          O(details=true) as M(community.circleci.project) returns it.
      type: dict
    env_var:
      description:
        - The environment variable result, present when O(projects[].env_vars) or O(projects[].purge_env_vars) was set
          (masked values only).
        - C(changed), C(added), C(updated), C(deleted), C(failures) and C(not_attempted), or with O(details=true) the
          whole result as M(community.circleci.env_var) returns it.
      type: dict
    checkout_key:
      description:
        - One result per O(projects[].checkout_keys) entry, C(changed), C(added) and C(deleted), or with O(details=true)
          as M(community.circleci.checkout_key) returns it.
      type: list
      elements: dict
    ssh_key:
      description:
        - One result per O(projects[].ssh_keys) entry, C(changed), C(added) and C(deleted), or with O(details=true) as
          M(community.circleci.ssh_key) returns it (fingerprints and public keys only).
      type: list
      elements: dict
    settings_result:
      description:
        - The advanced settings result, present when O(projects[].settings) was set, C(changed) and C(updated) (the names of
          the settings changed), or with O(details=true) also C(settings) (every setting after the task) and C(unchanged).
        - Not named C(settings), which is the dictionary of setting values in M(community.circleci.project) and
          M(community.circleci.project_info).
      type: dict
      sample: {"changed": true, "updated": ["autocancel_builds"]}
    webhook_results:
      description:
        - One result per O(projects[].webhooks) entry, in the order given, present when O(projects[].webhooks) was set;
          C(changed), C(added), C(updated), C(deleted) (the webhook's name) and C(changed_fields), or with O(details=true) as
          M(community.circleci.webhook) returns it (the secret masked).
      type: list
      elements: dict
      sample: [{"changed": true, "added": [], "updated": ["slack-notify"], "deleted": [], "changed_fields": ["events"]}]
    schedule_results:
      description:
        - One result per O(projects[].schedules) entry, in the order given, present when O(projects[].schedules) was set;
          C(changed), C(added), C(updated), C(deleted) (the schedule's name) and C(changed_fields), or with O(details=true) as
          M(community.circleci.schedule) returns it.
      type: list
      elements: dict
      sample: [{"changed": true, "added": ["weekly-cleanup"], "updated": [], "deleted": [],
                "changed_fields": ["description", "timetable", "parameters", "attribution_actor"]}]
    failure:
      description: Why this project could not be converged; what it applied before is in its other keys.
      type: str
      returned: when the project failed
projects_total:
  description: How many projects were converged (or checked, in check mode).
  returned: always
  type: int
  sample: 20
projects_changed:
  description: How many of them changed (in check mode, would change).
  returned: always
  type: int
  sample: 1
contexts:
  description:
    - One result per context that changed (in check mode, would change) or failed, in the order given; with O(details=true),
      one per context. Empty without O(contexts).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The context's name.
      type: str
      sample: deploy-prod
    owner:
      description: Its organization, as given in O(contexts[].owner).
      type: str
      sample: gh/acme
    changed:
      description: Whether anything of this context changed (or would, in check mode).
      type: bool
    context_result:
      description:
        - The context's result, C(changed), C(added) (the context's name when it was created), C(updated) (its name when
          restrictions changed), C(restrictions_added) and C(restrictions_deleted), or with O(details=true) as
          M(community.circleci.context) returns it (the context itself, its restrictions).
      type: dict
      sample: {"changed": true, "added": [], "updated": ["deploy-prod"], "restrictions_added": ["expression:pipeline.git.branch == \"main\""],
               "restrictions_deleted": []}
    context_env_var_result:
      description:
        - The variables' result, present when O(contexts[].variables) or O(contexts[].purge) was set, C(changed), C(added),
          C(updated), C(deleted), C(rewritten), C(failures) and C(not_attempted), or with O(details=true) as
          M(community.circleci.context_env_var) returns it (names and timestamps, never a value).
      type: dict
      sample: {"changed": true, "added": ["DEPLOY_REGION"], "updated": [], "deleted": [], "rewritten": [], "failures": [],
               "not_attempted": []}
    failure:
      description: Why this context could not be converged; what it applied before is in its other keys.
      type: str
      returned: when the context failed
contexts_total:
  description: How many contexts were converged (or checked, in check mode).
  returned: always
  type: int
  sample: 2
contexts_changed:
  description: How many of them changed (in check mode, would change).
  returned: always
  type: int
  sample: 1
failed_projects:
  description: The projects that could not be converged (what each applied before is in RV(projects)).
  returned: failure
  type: list
  elements: dict
  contains:
    project:
      description: The project's short slug.
      type: str
    reason:
      description: Why (the failed step's message).
      type: str
    error:
      description: Method, path, status and CircleCI's message of the failed request, when a request failed.
      type: dict
failed_contexts:
  description:
    - The contexts that could not be converged (what each applied before is in RV(contexts)), as RV(failed_projects) for
      projects. A context is named by C(name) and C(owner), as in O(contexts).
  returned: failure
  type: list
  elements: dict
  contains:
    name:
      description: The context's name.
      type: str
    owner:
      description: Its organization, as given.
      type: str
    reason:
      description: Why (the failed step's message).
      type: str
    error:
      description: Method, path, status and CircleCI's message of the failed request, when a request failed.
      type: dict
diff:
  description: One before/after entry per project or context and step that changed (names, masked values, fingerprints and
    timestamps only).
  returned: diff mode
  type: list
  elements: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

from ansible_collections.community.circleci.plugins.module_utils._env_vars import UPDATE_VALUE_SPEC
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._project_settings import (
    CONTEXT_RULES,
    CONTEXT_SPEC,
    ENTRY_SPEC,
    converge_projects,
    prepare_run,
)


def main():
    module = CircleCIModule(
        argument_spec=dict(
            projects=dict(type='list', elements='dict', options=ENTRY_SPEC),
            contexts=dict(type='list', elements='dict', options=CONTEXT_SPEC, **CONTEXT_RULES),
            ledger=dict(type='path'),
            update_value=UPDATE_VALUE_SPEC,
            details=dict(type='bool', default=False),
        ),
        project_spec=False,
        required_one_of=[('projects', 'contexts')],
        supports_check_mode=True,
        # Not logging the invocation to syslog/journald: masking the secrets of hundreds of projects in its text
        # would cost more than the task (time grows with projects x secrets), and it would hold no value anyway.
        no_log=True,
    )

    def converge():
        params = module.params
        prepared = prepare_run(params['projects'], params['contexts'], params['ledger'], module.check_mode)
        for warning in prepared['warnings']:
            module.warn(warning)
        return converge_projects(module.client, prepared['projects'], params['update_value'], module.check_mode,
                                 params['details'], contexts=prepared['contexts'])

    module.run(converge)


if __name__ == '__main__':
    main()
