#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: schedule_info
short_description: List the scheduled pipelines of a CircleCI project
version_added: 0.2.0
description:
  - Lists the scheduled pipelines of one project (CircleCI API v2 schedules), or only those named O(name).
  - B(Requests.) C(GET /project/{slug}/schedule), one request per page.
  - Timetables are returned with the keys of the M(community.circleci.schedule) options, so a schedule read here can be
    given back to that module.
  - GitHub App, GitLab and standalone projects (C(circleci/...) slugs) are refused before any request, as CircleCI's
    schedule API does not serve them yet (see M(community.circleci.schedule) for why triggers are not supported).
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - community.circleci.attributes
  - community.circleci.attributes.INFO_MODULE
options:
  name:
    description:
      - Return only the schedules of this name (none when the project has none of that name, which is not an error).
    type: str
seealso:
  - module: community.circleci.schedule
'''

EXAMPLES = r'''
- name: List the schedules of gh/acme/api
  community.circleci.schedule_info:
    project: gh/acme/api
  register: schedules

- name: Show when each runs
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.timetable.hours_of_day }} UTC on {{ item.timetable.days_of_week or item.timetable.days_of_month }}"
  loop: "{{ schedules.schedules }}"
  loop_control:
    label: "{{ item.name }}"

- name: Read the nightly schedule, and fail if it does not run as a user
  community.circleci.schedule_info:
    project: gh/acme/api
    name: nightly
  register: nightly
  failed_when: nightly.schedules | map(attribute='attribution_actor') | list != ['current']
'''

RETURN = r'''
schedules:
  description: The project's schedules (only those named O(name) when it is set), in CircleCI's order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The schedule's id.
      type: str
      sample: cd724574-9aaf-4179-9bc1-c141d61d3922
    name:
      description: The schedule's name.
      type: str
      sample: nightly
    description:
      description: Its description, or V(null).
      type: str
      sample: Nightly build of main
    project:
      description: The project's short slug, as given.
      type: str
      sample: gh/acme/api
    project_slug:
      description: The project's slug as CircleCI returns it.
      type: str
      sample: gh/acme/api
    timetable:
      description:
        - When it runs, with the keys of the M(community.circleci.schedule) options (C(per_hour), C(hours_of_day),
          C(days_of_week), C(days_of_month), C(months)), each list sorted; a key not set is V(null) (C(months) V(null)
          means every month).
      type: dict
      sample: {"per_hour": 1, "hours_of_day": [2], "days_of_week": ["MON", "TUE", "WED", "THU", "FRI"],
               "days_of_month": null, "months": null}
    parameters:
      description: The pipeline parameters, the branch or tag included.
      type: dict
      sample: {"branch": "main"}
    branch:
      description: The branch it runs on, or V(null).
      type: str
      sample: main
    tag:
      description: The tag it runs on, or V(null).
      type: str
      sample: null
    attribution_actor:
      description: V(system) when it runs as CircleCI's system actor, else V(current) (a user).
      type: str
      sample: current
    actor:
      description: Whom the pipelines run as, C({id, login, name}).
      type: dict
      sample: {"id": "59019cd3-9c3e-5993-9bf9-0404000681df", "login": "acme-bot", "name": "Acme Bot"}
    created_at:
      description: When the schedule was created (ISO 8601).
      type: str
      sample: '2024-05-02T12:00:00.000Z'
    updated_at:
      description: When the schedule was last changed (ISO 8601).
      type: str
      sample: '2024-05-02T12:00:00.000Z'
project:
  description: The project's short slug.
  returned: success
  type: str
  sample: gh/acme/api
error:
  description: The facts of the failed request (method, path, status, CircleCI's message).
  returned: failure
  type: dict
api_requests:
  description: How many HTTP requests the module sent.
  returned: always
  type: int
  sample: 1
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
  sample: 0
'''

from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule
from ansible_collections.community.circleci.plugins.module_utils._schedules import check_project, read_schedules


def read(module):
    client = module.client  # made first, so that every result counts the requests (none when the project is refused)
    check_project(module.project)
    schedules = read_schedules(client, module.project)
    name = module.params['name']
    if name is not None:
        schedules = [schedule for schedule in schedules if schedule['name'] == name]
    return dict(changed=False, project=module.project.slug, schedules=schedules)


def main():
    module = CircleCIModule(argument_spec=dict(name=dict(type='str')), circleci_projects=True, supports_check_mode=True)
    module.run(lambda: read(module))


if __name__ == '__main__':
    main()
