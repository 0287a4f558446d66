#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: schedule
short_description: Create, update or delete a scheduled pipeline of a CircleCI project
version_added: 0.2.0
description:
  - Manages one scheduled pipeline of a project (CircleCI API v2 schedules), named by O(name) within the project - when it
    runs (O(timetable)), on which branch or tag, with which pipeline O(parameters), and as whom (O(attribution_actor)).
  - Idempotent by name. With O(state=present), creates the schedule when the project has none of that name, or sends
    the fields that differ (O(description), O(timetable), the parameters, O(attribution_actor)) in one
    C(PATCH /schedule/{id}). With O(state=absent), deletes every schedule of that name.
  - B(Requests.) C(GET /project/{slug}/schedule), one request per page; a schedule that is already right costs that
    and nothing else. Creating, updating or deleting it costs one request more.
  - The timetable and the parameters are checked before any request, as CircleCI checks them.
  - The request that creates a schedule is never repeated once it may have reached CircleCI (a repetition would create a
    second schedule). When its answer is lost, the schedules are listed again to learn whether it was created.
  - B(Schedules, not triggers.) The CircleCI API v2 spec this collection is built on schedules pipelines with
    C(/project/{slug}/schedule) and C(/schedule/{id}), and that is what this module uses. CircleCI's Terraform provider
    and Go SDK use a newer trigger API (C(/projects/{id}/pipeline-definitions/{id}/triggers)) that the spec does not
    contain yet, so its fields and behaviour cannot be relied on; it is left out until it is in the spec.
  - B(GitHub App, GitLab and standalone projects) (C(circleci/...) slugs) are refused before any request, as CircleCI's
    schedule API does not serve them yet (creating a schedule there fails); their pipelines are scheduled with triggers.
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
      - The schedule's name, unique within the project for this module (CircleCI itself allows duplicates; with
        O(state=present) the module then fails before any change, naming their ids).
    type: str
    required: true
  description:
    description:
      - A description of the schedule. Left as it is when not set; V("") removes it.
    type: str
  timetable:
    description:
      - When the pipeline runs, in UTC. Required with O(state=present).
      - Lists are compared as sets (order does not matter); no O(timetable.months) means every month.
    type: dict
    suboptions:
      per_hour:
        description:
          - How many times the pipeline runs in each of the hours, 1 to 60.
        type: int
        required: true
      hours_of_day:
        description:
          - The hours (UTC) the pipeline runs in, 0 to 23, each once.
        type: list
        elements: int
        required: true
      days_of_week:
        description:
          - The days of the week the pipeline runs on, among V(MON), V(TUE), V(WED), V(THU), V(FRI), V(SAT) and V(SUN).
          - Exactly one of O(timetable.days_of_week) and O(timetable.days_of_month) is required (V(null) counts as not set).
        type: list
        elements: str
      days_of_month:
        description:
          - The days of the month the pipeline runs on, 1 to 31.
        type: list
        elements: int
      months:
        description:
          - The months the pipeline runs in, among V(JAN), V(FEB), V(MAR), V(APR), V(MAY), V(JUN), V(JUL), V(AUG), V(SEP),
            V(OCT), V(NOV) and V(DEC); every month when not set.
        type: list
        elements: str
  branch:
    description:
      - The branch the pipelines run on. With O(state=present), exactly one of O(branch) and O(tag) is required
        (V(null) counts as not set, so the RV(schedule.branch) and RV(schedule.tag) that are read can be given back).
    type: str
  tag:
    description:
      - The tag the pipelines run on.
    type: str
  parameters:
    description:
      - Other pipeline parameters, name to value; values are strings, integers or booleans (CircleCI keeps the type, so
        V(1) and V("1") differ). The branch and the tag are given with O(branch) and O(tag), not here.
      - CircleCI replaces the whole map on a change, so the parameters are exactly these (with the branch or tag).
    type: dict
  attribution_actor:
    description:
      - Whom the scheduled pipelines run as. V(current) is the user of the API token at creation (or at the change to
        V(current)); V(system) is CircleCI's neutral system actor.
      - A schedule that runs as any user satisfies V(current), so running the task with another user's token does not
        move it to that user.
    type: str
    choices: [current, system]
    default: current
  state:
    description:
      - V(present) creates or updates the schedule; V(absent) deletes every schedule of O(name) in the project.
    type: str
    choices: [present, absent]
    default: present
notes:
  - A read-only API token gets HTTP 403 on the first write; project API tokens are not accepted by API v2 (HTTP 401).
  - A changed timetable is sent whole (the API reference does not say whether a partial one is merged).
seealso:
  - module: community.circleci.schedule_info
'''

EXAMPLES = r'''
- name: Build main of gh/acme/web at 02:00 and 14:00 UTC on weekdays
  community.circleci.schedule:
    project: gh/acme/web
    name: twice-daily
    description: Main, twice a day
    timetable:
      per_hour: 1
      hours_of_day: [2, 14]
      days_of_week: [MON, TUE, WED, THU, FRI]
    branch: main
    parameters:
      deploy: false
  register: twice_daily

- name: Show the new schedule's id
  ansible.builtin.debug:
    msg: "{{ twice_daily.schedule.id }} runs as {{ twice_daily.schedule.actor.login }}"

- name: Run it on the 1st and the 15th of January and July only, as the system actor (one PATCH)
  community.circleci.schedule:
    project: gh/acme/web
    name: twice-daily
    timetable:
      per_hour: 1
      hours_of_day: [2, 14]
      days_of_month: [1, 15]
      months: [JAN, JUL]
    branch: main
    parameters:
      deploy: false
    attribution_actor: system

- name: Drift check of the seeded nightly schedule of gh/acme/api - fail if it would change
  community.circleci.schedule:
    project: gh/acme/api
    name: nightly
    timetable:
      per_hour: 1
      hours_of_day: [2]
      days_of_week: [MON, TUE, WED, THU, FRI]
    branch: main
  check_mode: true
  diff: true
  register: drift
  failed_when: drift is failed or drift is changed

- name: Delete the schedule
  community.circleci.schedule:
    project: gh/acme/web
    name: twice-daily
    state: absent
'''

RETURN = r'''
project:
  description: The project's short slug.
  returned: success or partial failure
  type: str
  sample: gh/acme/web
schedule:
  description:
    - The schedule after the task (in check mode, as it would be); V(null) with O(state=absent).
    - In check mode, a schedule still to be created has no RV(schedule.id), actor or timestamps.
  returned: success or partial failure
  type: dict
  contains:
    id:
      description: The schedule's id.
      type: str
      sample: cd724574-9aaf-4179-9bc1-c141d61d3922
    name:
      description: The schedule's name.
      type: str
      sample: twice-daily
    description:
      description: Its description, or V(null).
      type: str
      sample: Main, twice a day
    project:
      description: The project's short slug, as given.
      type: str
      sample: gh/acme/web
    project_slug:
      description: The project's slug as CircleCI returns it.
      type: str
      sample: gh/acme/web
    timetable:
      description:
        - When it runs, with the options' keys (C(per_hour), C(hours_of_day), C(days_of_week), C(days_of_month),
          C(months)), each list sorted; a key that is not set is V(null) (C(months) V(null) means every month).
      type: dict
      sample: {"per_hour": 1, "hours_of_day": [2, 14], "days_of_week": ["MON", "TUE", "WED", "THU", "FRI"],
               "days_of_month": null, "months": null}
    parameters:
      description: The pipeline parameters, the branch or tag included.
      type: dict
      sample: {"branch": "main", "deploy": false}
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
      sample: '2024-06-01T12:00:00.000Z'
    updated_at:
      description: When the schedule was last changed (ISO 8601).
      type: str
      sample: '2024-06-01T12:00:00.000Z'
changed_fields:
  description:
    - The fields written (in check mode, that would be) - V(description), V(timetable), V(parameters),
      V(attribution_actor); every one of them on creation. Empty when nothing was written.
  returned: success or partial failure
  type: list
  elements: str
  sample: [timetable, attribution_actor]
added:
  description: The name of the schedule created (in check mode, that would be); empty when none was.
  returned: success or partial failure
  type: list
  elements: str
  sample: [twice-daily]
updated:
  description: The name of the schedule updated (in check mode, that would be); empty when none was.
  returned: success or partial failure
  type: list
  elements: str
  sample: []
deleted:
  description: The name of the schedules deleted, once per schedule (in check mode, that would be).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
unchanged:
  description: The name of the schedule left alone (right already, or absent already).
  returned: success or partial failure
  type: list
  elements: str
  sample: []
diff:
  description: With C(--diff), the schedule before and after as name, description, timetable, parameters and attribution_actor.
  returned: diff mode
  type: dict
error:
  description: The facts of a failed request (method, path, status, CircleCI's message, outcome of a write).
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

from ansible_collections.community.circleci.plugins.module_utils import _schedules
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def main():
    module = CircleCIModule(argument_spec=_schedules.SPEC, circleci_projects=True, supports_check_mode=True, **_schedules.RULES)
    module.run(lambda: _schedules.converge(module.client, module.project, module.params, module.check_mode))


if __name__ == '__main__':
    main()
