# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fixtures every unit test shares, all on the one fake of ``fakes.py`` (a scripted HTTP transport).

- ``transport``: every requests.Session of the test goes through one ScriptedTransport; script it with
  ``transport.then(*steps)`` (answered in order) or ``transport.on(METHOD, path_regex, *steps)`` (by route),
  and read what was sent with ``transport.requests()``, ``writes()`` and ``bodies()``.
- ``clock``: the FakeClock of the test's retry policies and build polling (nothing sleeps for real).
- ``client(script=None, retries=5, ...)``: a real CircleCIClient on that transport and clock (1 worker unless told).
- ``run(module, args, check_mode=False, diff=False, workers=1)``: runs the module's real ``main()`` (a module
  object or its name) against the transport and returns its result (``failed: True`` when it failed).
  ``workers`` is the client's pool size: 1 answers requests in a predictable order; modules use 4.
"""

from __future__ import annotations

import functools
import importlib

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _builds, _client, _module
from ansible_collections.community.circleci.tests.unit.fakes import API, TOKEN, FakeClock, install, run_module

MODULES = 'ansible_collections.community.circleci.plugins.modules.'


@pytest.fixture
def transport(monkeypatch):
    """The ScriptedTransport every requests.Session of the test sends through (an empty script to start with)."""
    return install(monkeypatch)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(transport, clock):
    """A factory of real clients on the scripted transport, with a retry policy that never sleeps."""

    def make(script=None, retries=5, read_only=False, deadline=300.0, max_concurrency=1, api_url=API, **options):
        if script is not None:
            transport.load(script)
        return _client.CircleCIClient(api_url, TOKEN, retries=retries, read_only=read_only, max_concurrency=max_concurrency,
                                      policy=clock.policy(retries, deadline), **options)

    return make


@pytest.fixture
def run(monkeypatch, transport, clock):
    """Run a module's real main() against the scripted transport; its result dict."""

    def run_(module, args, check_mode=False, diff=False, workers=1):
        if isinstance(module, str):
            module = importlib.import_module(MODULES + module)

        def make_client(**kwargs):
            kwargs['max_concurrency'] = workers
            kwargs['policy'] = clock.policy(kwargs['retries'])
            return _client.CircleCIClient(**kwargs)

        monkeypatch.setattr(_module, 'CircleCIClient', make_client)
        if hasattr(module, 'wait_for_build'):  # build polls: on the fake clock too
            monkeypatch.setattr(module, 'wait_for_build', functools.partial(_builds.wait_for_build, clock=clock.clock, sleep=clock.sleep))
        return run_module(monkeypatch, module, args, check_mode=check_mode, diff=diff)

    return run_
