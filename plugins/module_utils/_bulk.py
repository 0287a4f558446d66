# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carrying out a bulk change of named items: project variables (``_env_vars``) and context variables (``_context_env_vars``).

For internal collection use only: names and behaviour may change without notice.

A change has a ``name`` and an ``action`` (``add``, ``update`` or ``delete``). Changes go in phases (writes, then
deletions), each sent concurrently; no new request starts after the first failure, and nothing applied is undone.
A request whose answer was lost is handed to the caller's ``settle``, which reads the items once to learn whether
it landed.
"""

from __future__ import annotations

import threading

from ansible_collections.community.circleci.plugins.module_utils._errors import NOT_APPLIED, CircleCIError, RequestError

APPLIED_KEY = {'add': 'added', 'update': 'updated', 'delete': 'deleted'}
_SKIPPED = object()


class ChangePlan:
    """What a bulk change takes, and why: lists of changes in a stable order; the clear values stay inside them.

    ``unverified`` names the unchanged items whose values could not be proved equal. A resource's plan adds its
    ``before``, ``after`` and ``diff``.
    """

    def __init__(self, add, update, delete, unchanged, unverified):
        self.add = add
        self.update = update
        self.delete = delete
        self.unchanged = unchanged
        self.unverified = unverified

    @property
    def writes(self):
        return self.add + self.update

    @property
    def changed(self):
        return bool(self.add or self.update or self.delete)

    def steps(self):
        """Every planned step (add, update, delete, none) with its reason, without values."""
        return [{'name': change.name, 'action': change.action, 'reason': change.reason, 'verified': change.name not in self.unverified}
                for change in self.add + self.update + self.delete + self.unchanged]

    def names_result(self):
        """The result keys every bulk change returns, as if applied (check mode): names and reasons only."""
        return {
            'changed': self.changed,
            'added': [change.name for change in self.add],
            'updated': [change.name for change in self.update],
            'deleted': [change.name for change in self.delete],
            'unchanged': [change.name for change in self.unchanged],
            'unverified': list(self.unverified),
            'failures': [],
            'not_attempted': [],
            'plan': self.steps(),
        }


def new_outcome(**extra):
    """The outcome a bulk change fills: names ``added``, ``updated``, ``deleted``, ``failures``, ``not_attempted``."""
    outcome = {'added': [], 'updated': [], 'deleted': [], 'failures': [], 'not_attempted': []}
    outcome.update(extra)
    return outcome


def apply_phases(client, phases, settle, outcome):
    """Send each phase's changes (``[(changes, send)]``) in turn; return ``outcome``.

    ``settle(uncertain, outcome)`` gets the ``(change, error)`` pairs whose answer was lost and files each as
    applied or as a failure. When it found them all applied, the changes held back go in the next batch.
    After a failure, the changes not sent are named in ``not_attempted``.
    """
    for index, (changes, send) in enumerate(phases):
        pending = list(changes)
        while pending and not outcome['failures']:
            pending, uncertain = _run_batch(client, pending, send, outcome)
            if uncertain:
                settle(uncertain, outcome)
        if outcome['failures']:
            later = [change for changes_after, dummy in phases[index + 1:] for change in changes_after]
            outcome['not_attempted'].extend(change.name for change in pending + later)
            break
    return outcome


def _run_batch(client, changes, send, outcome):
    """Send ``changes`` concurrently, no new one after a failure; ``(skipped, uncertain)``."""
    stop = threading.Event()

    def run(change):
        if stop.is_set():
            return _SKIPPED
        try:
            send(change)
        except CircleCIError:
            stop.set()
            raise
        return change.name

    skipped, uncertain = [], []
    for result in client.map_concurrent(run, changes):
        change = result.item
        if isinstance(result.error, RequestError) and result.error.may_have_applied:
            uncertain.append((change, result.error))
        elif result.error is not None:
            outcome['failures'].append(failure_entry(change, result.error))
        elif result.value is _SKIPPED:
            skipped.append(change)
        else:
            outcome[APPLIED_KEY[change.action]].append(change.name)
    return skipped, uncertain


def failure_entry(change, error):
    """A ``failures`` item: ``{name, action, reason, status, outcome}``."""
    return {'name': change.name, 'action': change.action, 'reason': str(error), 'status': getattr(error, 'status', None),
            'outcome': getattr(error, 'outcome', NOT_APPLIED)}
