#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: project
short_description: Create a CircleCI project, follow or unfollow it, and manage its advanced settings
version_added: 0.1.0
description:
  - Makes the token's user follow (O(state=present)) or unfollow (O(state=absent)) a GitHub OAuth or Bitbucket project
    (API v1.1, C(GET /project/:slug/settings), then C(POST .../follow) or C(POST .../unfollow) only when needed).
  - Manages the project's advanced settings (O(settings), API v2), for every kind of project, V(circleci/...) ones too.
  - Creates the project when it is named by O(owner) and O(name) and does not exist yet (API v2).
  - B(Requests.) Following only, as before 0.2.0 - one GET, plus one POST when it changes. O(settings) - one more GET
    (C(GET /api/v2/project/:slug/settings)), plus one C(PATCH) naming only the settings that differ. So a run that changes
    nothing costs one GET per part managed. A project named by O(owner) and O(name) in a GitHub or Bitbucket organization is read
    first with C(GET /api/v2/project/:slug/settings) (which also serves O(settings)); when it does not exist,
    C(POST /api/v2/project/:provider/:organization/:project) sets it up and answers its settings, and a C(POST .../follow)
    follows it (no read needed). A V(circleci/...) project given by O(project) without O(settings) costs one GET
    (C(GET /api/v2/project/:slug)), to check that it exists.
  - B(circleci/ organizations.) GitHub App, GitLab and standalone projects are V(circleci/<organization id>/<project id>) and only
    API v2 knows them. The module manages their O(settings) and creates them, but following works through API v1.1 only, so
    O(follow) and O(state=absent) are refused for them before any request. A project is created in such an organization with
    O(owner=circleci/<organization id>) and O(name). API v2 has no read that finds a project by name, so the module reads the
    token user's organizations (C(GET /api/v2/me/collaborations), which checks the organization) and sends
    C(POST /api/v2/organization/:id/project); CircleCI's refusal of a duplicate name (HTTP 409) means the project exists, and
    the task reports no change, but cannot return that project's slug. For the same reason check mode cannot tell whether it
    exists, and reports the creation as a change, with a warning. The route is the one CircleCI's SDK and Terraform provider use;
    it is not in CircleCI's pinned OpenAPI description.
  - A write whose answer is lost is settled by reading again where a read can tell (the follow state, the settings, a GitHub
    or Bitbucket project's existence); not for a project created in a circleci organization, which no read can find by name.
  - Following a project that nobody followed before can start its first build; it is returned as RV(first_build).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  project:
    description:
      - The project, as V(vcs/organisation/name), for example V(gh/acme/api) or V(bitbucket/acme/mobile)
        (the VCS may be V(gh), V(github), V(bb) or V(bitbucket)); or only the repository name, with O(vcs_type) and O(username) set.
      - Or V(circleci/<organization id>/<project id>) for a GitHub App, GitLab or standalone project, each id a UUID or its
        base58 form. CircleCI has no V(gl/) slug.
      - A project given here must exist; it is never created. Mutually exclusive with O(owner) and O(name); one of O(project)
        and O(name) is required. Checked before any request is made.
    type: str
  vcs_type:
    description:
      - The VCS of the project when O(project) is a bare repository name.
    type: str
    choices: [github, gh, bitbucket, bb]
  username:
    description:
      - The organisation or user owning the project when O(project) is a bare repository name.
    type: str
    aliases: [organization, org]
  owner:
    description:
      - The organization of the project named by O(name), which is created when it does not exist (O(state=present)), as
        V(gh/acme), V(bb/acme) (also V(github/), V(bitbucket/)), or V(circleci/<organization id>) (a UUID or its base58 form)
        for a GitHub App, GitLab or standalone organization.
      - A GitHub or Bitbucket project is set up from its existing repository, which needs a C(main) branch and a
        C(.circleci/config.yml); a project of a circleci organization is created by name.
      - Requires O(name).
    type: str
  name:
    description:
      - The name of the project in O(owner) - the repository name for GitHub and Bitbucket, any name CircleCI accepts in a
        circleci organization. Requires O(owner).
    type: str
  state:
    description:
      - V(present) makes sure the project exists (creating it when named by O(owner) and O(name)), and that a GitHub OAuth or
        Bitbucket project is followed, unless O(follow=false).
      - V(absent) unfollows a GitHub OAuth or Bitbucket project; the project itself is kept. Refused for V(circleci/) projects,
        which API v1.1 does not know; this module never deletes a project.
    type: str
    choices: [present, absent]
    default: present
  follow:
    description:
      - Whether the token's user follows the project (API v1.1; CircleCI v1.1 only builds projects someone follows).
      - Defaults to V(true) with O(state=present) and V(false) with O(state=absent), for GitHub OAuth and Bitbucket projects.
      - Not managed for V(circleci/) projects (GitHub App, GitLab, standalone), which API v1.1 does not know; giving it for one
        fails before any request.
    type: bool
  settings:
    description:
      - The project's advanced settings to manage, with the names API v2 uses. Only the settings given are managed; the
        others are left as they are. Their types are checked before any request.
      - One C(GET /api/v2/project/:slug/settings), then one C(PATCH) sending only the settings whose value differs. The
        answer is checked, and a setting CircleCI accepted but did not apply (V(oss) on a private repository) fails the task.
      - Not for a project named by O(owner) and O(name) in a circleci organization (no read finds it by name once it exists), so
        create it, then give its settings with O(project).
    type: dict
    suboptions:
      autocancel_builds:
        description: Cancel the running builds of a branch when a newer commit is pushed to it (not on the default branch).
        type: bool
      build_fork_prs:
        description: Build pull requests from forks.
        type: bool
      build_prs_only:
        description: Build only pull requests (and the default branch, and the branches of O(settings.pr_only_branch_overrides)).
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
          - With O(settings.build_prs_only), branches that are built on every push anyway. The whole list is replaced; it is
            compared without regard to order. At most 100 branches, each listed once.
        type: list
        elements: str
notes:
  - An unknown project, or one the token's user cannot see, fails with CircleCI's 404 message.
  - A read-only API token can read but not change anything (HTTP 403). API v2 does not accept project API tokens (HTTP 401).
  - The advanced settings and project creation are marked experimental in CircleCI's API description.
'''

EXAMPLES = r'''
- name: Follow the legacy project (starts its first build if it never had one)
  community.circleci.project:
    project: gh/acme/legacy
    state: present
  register: legacy

- name: Show the build that following started, if any
  ansible.builtin.debug:
    msg: "{{ legacy.first_build.build_url | default('no first build was started') }}"

- name: Follow several projects in bulk
  community.circleci.project:
    project: "{{ item }}"
  loop:
    - gh/acme/api
    - gh/acme/web
    - gh/acme/worker

- name: Check for drift only (check mode), would following change anything?
  community.circleci.project:
    project: gh/acme/legacy
  check_mode: true
  register: follow_drift

- name: Unfollow a project given by its bare name
  community.circleci.project:
    project: legacy
    vcs_type: github
    username: acme
    state: absent

- name: Cancel redundant builds, build only pull requests (and release branches), no SSH reruns
  community.circleci.project:
    project: gh/acme/api
    settings:
      autocancel_builds: true
      build_prs_only: true
      pr_only_branch_overrides: [main, release]
      disable_ssh: true

- name: Set up a GitHub repository as a project, follow it, and set one setting (idempotent - created once)
  community.circleci.project:
    owner: gh/acme
    name: new-service
    settings:
      set_github_status: true

- name: Manage the settings of a standalone project (no follow there)
  community.circleci.project:
    project: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9/9c966ef9-d584-44b5-98aa-126e97fcb2e3
    settings:
      autocancel_builds: true
      forks_receive_secret_env_vars: false

- name: Create a standalone project in a circleci organization unless one of that name exists
  community.circleci.project:
    owner: circleci/311ada03-9e36-4e03-893b-c0f0d7ac28c9
    name: billing
  register: billing

- name: Its slug, to manage its settings and variables (null when it existed already)
  ansible.builtin.debug:
    msg: "{{ billing.project }}"
'''

RETURN = r'''
project:
  description:
    - The project's short slug (V(circleci/<organization id>/<project id>) for GitHub App, GitLab and standalone projects).
    - V(null) for a project named by O(owner) and O(name) in a circleci organization that existed already, or in check mode, as
      API v2 cannot find such a project by name (the reason).
  returned: success
  type: str
  sample: gh/acme/legacy
created:
  description: Whether the task created the project (in check mode, would create it).
  returned: success
  type: bool
  sample: false
followed:
  description:
    - Whether the token's user follows the project after the task (in check mode, would follow).
    - V(null) when following is not managed (V(circleci/) projects).
  returned: success
  type: bool
  sample: true
first_build:
  description:
    - The build that following the project started, as CircleCI returns it (a build summary), or V(null)
      when the task did not follow the project or following it started no build.
    - Never set in check mode.
  returned: success
  type: dict
  sample: {"build_num": 1, "status": "queued", "branch": "master", "build_url": "https://circleci.com/gh/acme/legacy/1"}
settings:
  description:
    - Every advanced setting of the project after the task (in check mode, as it would be), with the names API v2 uses.
    - V(null) when O(settings) is not given.
  returned: success
  type: dict
  sample: {"autocancel_builds": true, "build_fork_prs": false, "build_prs_only": false, "disable_ssh": false,
           "forks_receive_secret_env_vars": false, "oss": false, "set_github_status": true, "setup_workflows": false,
           "write_settings_requires_admin": false, "pr_only_branch_overrides": []}
updated:
  description: Names of the managed settings the task changed (in check mode, would change).
  returned: success
  type: list
  elements: str
  sample: [autocancel_builds]
unchanged:
  description: Names of the managed settings that already had the wanted value.
  returned: success
  type: list
  elements: str
  sample: [disable_ssh]
diff:
  description:
    - Before and after, of what the task manages only - C(exists) (when O(owner) and O(name) are given; V(null) before when
      it cannot be read), C(followed) (when following is managed) and C(settings) (the managed settings).
  returned: diff mode
  type: dict
  contains:
    before:
      description: As read.
      type: dict
      sample: {"followed": false, "settings": {"autocancel_builds": false}}
    after:
      description: After the task (or as it would be, in check mode).
      type: dict
      sample: {"followed": true, "settings": {"autocancel_builds": true}}
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

from ansible_collections.community.circleci.plugins.module_utils import _project
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def converge(module):
    params = module.params
    target = _project.target_of(params, module.parse_project)
    _project.check_options(params, target)
    return _project.converge_project(module.client, target, params['state'], params['follow'], params['settings'],
                                     check_mode=module.check_mode, warn=module.warn)


def main():
    module = CircleCIModule(argument_spec=_project.SPEC, project_spec=False, supports_check_mode=True, circleci_projects=True,
                            **_project.RULES)
    module.run(lambda: converge(module))


if __name__ == '__main__':
    main()
