# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only callback: wall time of each task, and a few facts of each task's result, as JSON.

Enabled by the benchmark harness with ANSIBLE_CALLBACK_PLUGINS pointing here and
ANSIBLE_CALLBACKS_ENABLED=bench_timer; it writes to the file named by BENCH_TIMER_OUT when the
play ends. It stands in for ansible.posix.profile_tasks, which is not installed with ansible-core.
Nothing secret is written: only counters, booleans and sizes.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: bench_timer
type: aggregate
short_description: Per-task wall time and result counters for the benchmark harness
description:
  - Writes JSON to the file named by the BENCH_TIMER_OUT environment variable.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=bench_timer
'''

# Result keys copied as they are (counters the modules return).
FACTS = ('changed', 'failed', 'api_requests', 'api_retries', 'concurrency', 'max_workers', 'max_in_flight', 'in_sync')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._tasks = []
        self._current = None
        self._sizes = os.environ.get('BENCH_RESULT_SIZE') == '1'

    def _close(self):
        if self._current is not None and 'seconds' not in self._current:
            self._current['seconds'] = round(time.monotonic() - self._current.pop('_start'), 4)

    def _start(self, task):
        self._close()
        self._current = dict(name=task.get_name(), action=task.action, _start=time.monotonic(), results=[])
        self._tasks.append(self._current)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _record(self, result, status):
        if self._current is None:
            return
        data = result._result  # pylint: disable=protected-access
        facts = dict(status=status)
        for key in FACTS:
            if key in data and isinstance(data[key], (bool, int, float)):
                facts[key] = data[key]
        if isinstance(data.get('results'), list):
            items = [item for item in data['results'] if isinstance(item, dict)]
            facts['loop_items'] = len(data['results'])
            facts['loop_changed'] = sum(1 for item in items if item.get('changed'))
            facts['loop_failed'] = sum(1 for item in items if item.get('failed'))
            facts['loop_api_requests'] = sum(item.get('api_requests') or 0 for item in items)
            if any('in_sync' in item for item in items):
                facts['loop_not_in_sync'] = sum(1 for item in items if item.get('in_sync') is False)
        if self._sizes:
            try:
                facts['result_bytes'] = len(json.dumps(data, default=str))
            except (TypeError, ValueError):
                pass
        self._current['results'].append(facts)

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get('BENCH_TIMER_OUT')
        if not path:
            return
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(dict(seconds=round(time.monotonic() - self._started, 4), tasks=self._tasks), handle, indent=1)
