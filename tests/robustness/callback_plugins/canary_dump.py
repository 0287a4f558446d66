# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes every task result, as the controller received it, one JSON object a line, for the canary test."""

from __future__ import annotations

DOCUMENTATION = r'''
name: canary_dump
type: aggregate
short_description: Dump every task result to a JSON lines file (test helper of tests/robustness)
description:
  - Writes each task result (ok, changed, failed, skipped, unreachable, and loop items) with its task name,
    unfiltered, to the file named by the environment variable E(CANARY_DUMP_FILE).
requirements:
  - enable in configuration
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'canary_dump'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get('CANARY_DUMP_FILE')

    def _write(self, status, result):
        if not self._path:
            return
        record = {'task': result.task_name, 'status': status, 'result': result.result}
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(record, default=str, ensure_ascii=False, sort_keys=True) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)

    def v2_runner_item_on_ok(self, result):
        self._write('item_ok', result)

    def v2_runner_item_on_failed(self, result):
        self._write('item_failed', result)

    def v2_on_file_diff(self, result):
        self._write('diff', result)
