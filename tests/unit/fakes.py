# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one fake of the unit tests: a scripted HTTP transport under a real requests.Session.

The client's own code (headers, redirects, retries, decoding, errors) runs unchanged; only the
socket is replaced. ``run_module`` runs a module's real ``main()`` against it and returns its result.
``FakeClock`` stands for time in retry policies and build polling: sleeps are recorded, never waited.
The fixtures built on these (``transport``, ``client``, ``run``, ``clock``) are in ``tests/unit/conftest.py``.
"""

from __future__ import annotations

import io
import json
import re
import threading

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProtocolError

from ansible.module_utils import basic

from ansible_collections.community.circleci.plugins.module_utils._client import RetryPolicy

API = 'https://circleci.example.com/api/v1.1'
TOKEN = 'secret-token-0123456789'
WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')


def answer(status=200, body=None, headers=None, text=None):
    """A scripted answer: status, JSON body (or raw ``text``, str or bytes) and headers."""
    return dict(status=status, body=body, headers=headers or {}, text=text, cut=False)


def cut(status=200, text='{"name": "FOO", "val'):
    """An answer whose body stops half-way (the connection closes before Content-Length is reached)."""
    return dict(status=status, body=None, headers={'Content-Type': 'application/json'}, text=text, cut=True)


def refused():
    return requests.exceptions.ConnectionError(MaxRetryError(None, '/x', NewConnectionError(None, 'Connection refused')))


def connect_timeout():
    return requests.exceptions.ConnectTimeout(MaxRetryError(None, '/x', ConnectTimeoutError(None, 'timed out')))


def reset():
    return requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


def read_timeout():
    return requests.exceptions.ReadTimeout('HTTPSConnectionPool: Read timed out. (read timeout=30)')


class CutOffRaw:
    """A raw body that yields what it has, then fails as urllib3 does when the server closes early."""

    def __init__(self, data):
        self.data = data

    def stream(self, chunk_size, decode_content=True):  # pylint: disable=unused-argument
        yield self.data
        raise ProtocolError('Connection broken: IncompleteRead(%d bytes read, 100 more expected)' % len(self.data))

    def read(self, *args, **kwargs):  # pylint: disable=unused-argument
        raise ProtocolError('Connection broken: IncompleteRead')

    def close(self):
        pass


class ScriptedTransport(BaseAdapter):
    """Answers requests from a script and records what was sent.

    A script is a list of steps used in order, or a dict of ``(METHOD, path regex)`` to a list of
    steps used in order for matching requests (the last step repeats; the first matching route
    answers). A step is an ``answer()``, a ``cut()``, an exception to raise, or a function of the
    prepared request returning one of those. Safe to use from the client's thread pool.
    """

    def __init__(self, script=None):
        super().__init__()
        self._lock = threading.Lock()
        self.sent = []
        self.last_kwargs = None
        self.load(script)

    # -- scripting ----------------------------------------------------------------------------

    def load(self, script):
        """Replace the script (a list of steps, or a dict of routes); returns the transport."""
        self.script = script if isinstance(script, dict) else list(script or [])
        return self

    def then(self, *steps):
        """Append steps to a list script, answered in order."""
        if isinstance(self.script, dict):
            raise AssertionError('this transport answers by route: use on()')
        self.script.extend(steps)
        return self

    def on(self, method, pattern, *steps):
        """Answer ``method`` requests whose path (with query) matches ``pattern`` with ``steps`` in turn (the last repeats)."""
        if isinstance(self.script, list):
            if self.script:
                raise AssertionError('this transport answers in order: use then()')
            self.script = {}
        self.script[(method, pattern)] = list(steps)
        return self

    # -- the adapter ----------------------------------------------------------------------------

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        with self._lock:
            self.sent.append(request)
            self.last_kwargs = kwargs
            step = self._next(request)
        if callable(step):
            step = step(request)
        if isinstance(step, BaseException):
            raise step
        response = requests.Response()
        response.status_code = step['status']
        response.headers.update(step['headers'])
        if step['text'] is not None:
            content = step['text']
        elif step['body'] is not None:
            content = json.dumps(step['body'])
            response.headers.setdefault('Content-Type', 'application/json')
        else:
            content = ''
        data = content.encode('utf-8') if isinstance(content, str) else content
        response.raw = CutOffRaw(data) if step['cut'] else io.BytesIO(data)
        response.url = request.url
        response.request = request
        response.reason = 'scripted'
        return response

    def _next(self, request):
        if isinstance(self.script, list):
            if not self.script:
                raise AssertionError('unexpected request %s %s' % (request.method, request.url))
            return self.script.pop(0)
        path = request.path_url
        for (method, pattern), steps in self.script.items():
            if method == request.method and re.search(pattern, path):
                return steps.pop(0) if len(steps) > 1 else steps[0]
        raise AssertionError('no scripted answer for %s %s' % (request.method, path))

    def close(self):
        pass

    # -- what was sent --------------------------------------------------------------------------

    def requests(self, method=None):
        """``(METHOD, path)`` of what was sent, optionally of one method."""
        return [(sent.method, sent.path_url) for sent in self.sent if method is None or sent.method == method]

    def writes(self):
        """``(METHOD, path)`` of the writes sent (POST, PUT, PATCH, DELETE)."""
        return [(sent.method, sent.path_url) for sent in self.sent if sent.method in WRITE_METHODS]

    def bodies(self, method=None):
        """The JSON bodies sent (None for a request without one), optionally of one method."""
        return [json.loads(sent.body) if sent.body else None for sent in self.sent if method is None or sent.method == method]

    def urls(self):
        return [sent.url for sent in self.sent]


def install(monkeypatch, script=None):
    """Route every requests.Session through a new ScriptedTransport; return it."""
    transport = ScriptedTransport(script)
    monkeypatch.setattr(requests.Session, 'get_adapter', lambda self, url: transport)
    return transport


class FakeClock:
    """Time for retry policies and build polling: it passes only when slept, and sleeps are recorded, never waited."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now

    def policy(self, retries=5, deadline=300.0):
        """A RetryPolicy on this clock; jitter is fixed at one half."""
        return RetryPolicy(retries=retries, deadline=deadline, sleep=self.sleep, clock=self.clock, rand=lambda: 0.5)


class ModuleExit(Exception):
    """What exit_json/fail_json produced."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


def run_module(monkeypatch, module, args, check_mode=False, diff=False):
    """Run ``module.main()`` with ``args`` (connection added) and return its result dict.

    The result carries ``failed`` when the module failed. Anything but a clean exit (a traceback)
    propagates to the test.
    """
    args = dict({'api_url': API, 'api_token': TOKEN, '_ansible_check_mode': check_mode, '_ansible_diff': diff}, **args)

    def leave(self, **result):
        raise ModuleExit(result)

    def fail(self, msg, **result):
        raise ModuleExit(dict(result, failed=True, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', leave)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail)
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
    except ImportError:
        patch_module_args = None
    try:
        if patch_module_args is not None:
            with patch_module_args(args):
                module.main()
        else:
            monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode())
            module.main()
    except ModuleExit as done:
        return done.result
    raise AssertionError('%s.main() returned without exit_json or fail_json' % module.__name__)
