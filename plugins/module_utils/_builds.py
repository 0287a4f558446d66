# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builds: listing, triggering, waiting, outcomes and test summaries.

For internal collection use only: names and behaviour may change without notice.

Most of this is pure (build dictionaries in, decisions out) so the modules stay thin and the rules
can be unit-tested without a network: which request triggers what, when a build is over, whether
its outcome fails the task, and what a test run amounts to.
"""

from __future__ import annotations

import time

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._env_vars import value_problem
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError

# What CircleCI v1.1 reports (see the build summaries of the API reference).
LIFECYCLES_DONE = frozenset(('finished', 'not_run'))
OUTCOMES = ('success', 'failed', 'canceled', 'infrastructure_fail', 'timedout', 'no_tests', 'not_run')
# Statuses that no longer change. ``retried`` and ``fixed`` are finished builds too.
TERMINAL_STATUSES = frozenset(('success', 'fixed', 'failed', 'canceled', 'infrastructure_fail', 'timedout',
                               'no_tests', 'not_run', 'retried'))
DEFAULT_FAIL_ON_OUTCOME = tuple(outcome for outcome in OUTCOMES if outcome != 'success')
FILTERS = ('completed', 'successful', 'failed', 'running')
# Test results that count as failures in test metadata.
FAILED_TEST_RESULTS = frozenset(('failure', 'failed', 'error'))
MASK = '********'


# -- Build state ---------------------------------------------------------------------------------

def is_terminal(build):
    """True when the build will not change any more (finished, not run, or with an outcome).

    A canceled build can still read ``lifecycle: queued`` right after the cancel, while its
    ``outcome`` and ``status`` already say ``canceled``, so all three fields are consulted.
    """
    if not isinstance(build, dict):
        return False
    return (build.get('lifecycle') in LIFECYCLES_DONE
            or build.get('outcome') is not None
            or build.get('status') in TERMINAL_STATUSES)


def outcome_of(build):
    """The outcome of a finished build (``success``, ``failed``, ``canceled``, ...), or None while it runs."""
    if not isinstance(build, dict):
        return None
    if build.get('outcome'):
        return build['outcome']
    if build.get('lifecycle') == 'not_run' or build.get('status') == 'not_run':
        return 'not_run'
    status = build.get('status')
    if status == 'fixed':
        return 'success'
    if status in TERMINAL_STATUSES and status != 'retried':
        return status
    return None


def outcome_failure(build, fail_on_outcome):
    """The failure message when the build's outcome is one of ``fail_on_outcome``, else None."""
    outcome = outcome_of(build)
    if outcome is None or outcome not in fail_on_outcome:
        return None
    return 'Build %s of %s finished with outcome %s (status %s): %s' % (
        build.get('build_num'), describe_project(build), outcome, build.get('status'), build.get('build_url') or 'no build URL')


def describe_project(build):
    """``username/reponame`` of a build summary, for messages."""
    return '%s/%s' % (build.get('username'), build.get('reponame'))


def cancel_plan(build):
    """Whether a cancel would change anything: (changed, reason)."""
    if is_terminal(build):
        return False, 'build %s is already over (status %s)' % (build.get('build_num'), build.get('status'))
    return True, 'build %s is %s' % (build.get('build_num'), build.get('status') or build.get('lifecycle'))


def build_brief(build):
    """The few fields that identify a build and its state (for diffs and messages)."""
    if not isinstance(build, dict):
        return {}
    keys = ('build_num', 'build_url', 'branch', 'vcs_revision', 'vcs_tag', 'lifecycle', 'status', 'outcome')
    return {key: build.get(key) for key in keys}


# -- Triggering ----------------------------------------------------------------------------------

def trigger_request(project, branch=None, tag=None, revision=None, parallel=None, build_parameters=None, pipeline=False):
    """The request that triggers a build: ``(template, args, body)`` for ``client.post``.

    - ``pipeline``: the build-processing endpoint ``POST project/:p/build`` (branch, revision or
      tag; runs workflows as a push would; no build parameters, no parallelism, no build number).
    - ``branch``: ``POST project/:p/tree/:branch`` (optionally at ``revision``).
    - ``tag`` or ``revision`` alone, or nothing (the default branch): ``POST project/:p``.
    Raises InputError for combinations CircleCI rejects.
    """
    if tag and revision:
        raise InputError('tag and revision cannot be used together: CircleCI builds either a tag or a revision')
    if tag and branch:
        raise InputError('tag and branch cannot be used together: a tag build is not a branch build')
    if parallel is not None and parallel < 1:
        raise InputError('parallel must be at least 1, got %s' % parallel)
    if build_parameters is not None and not isinstance(build_parameters, dict):
        raise InputError('build_parameters must be a dictionary of names to values')
    problems = ['build_parameters.%s: %s' % (name, value_problem(value)) for name, value in (build_parameters or {}).items()
                if value_problem(value)]
    if problems:
        raise InputError('; '.join(problems))
    if pipeline:
        if build_parameters or parallel is not None:
            raise InputError('the build-processing endpoint (pipeline=true) takes neither build_parameters nor parallel')
        body = {key: value for key, value in (('branch', branch), ('revision', revision), ('tag', tag)) if value}
        return 'project/{}/build', (project,), body
    body = {}
    if branch:
        template, args = 'project/{}/tree/{}', (project, branch)
        if revision:
            body['revision'] = revision
    else:
        template, args = 'project/{}', (project,)
        if tag:
            body['tag'] = tag
        if revision:
            body['revision'] = revision
    if parallel is not None:
        body['parallel'] = parallel
    if build_parameters:
        body['build_parameters'] = {str(name): value for name, value in build_parameters.items()}
    return template, args, body


def mask_build_parameters(build):
    """The build with its build parameter values hidden (secrets are often passed that way); names stay."""
    if isinstance(build, dict) and isinstance(build.get('build_parameters'), dict) and build['build_parameters']:
        build = dict(build, build_parameters={name: MASK for name in build['build_parameters']})
    return build


def describe_request(method, template, args, body=None):
    """A secret-free description of a request (build parameter values masked), for results and check mode."""
    described = {'method': method, 'path': '/' + encode_path(template, *args)}
    if body:
        body = dict(body)
        if body.get('build_parameters'):
            body['build_parameters'] = {name: MASK for name in body['build_parameters']}
        described['body'] = body
    return described


def check_build_created(answer):
    """The build-processing endpoint answers ``{"status": 200, "body": "Build created"}``: its own status must be 200.

    Returns ``(created, message)``: CircleCI's message, or why the answer shows no build was created.
    """
    if not isinstance(answer, dict) or 'status' not in answer:
        return False, 'CircleCI gave no status for the triggered build (answer: %s)' % _short(answer)
    try:
        status = int(answer['status'])
    except (TypeError, ValueError):
        status = None
    if status != 200:
        return False, 'CircleCI did not create the build: its answer carries status %s (%s)' % (
            answer.get('status'), _short(answer.get('body') or answer.get('message')))
    return True, answer.get('body') or 'Build created'


def _short(value, limit=200):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + '...'


# -- Waiting -------------------------------------------------------------------------------------

class WaitTimeout(CircleCIError):
    """The build did not finish in time; ``build`` is the last state read."""

    def __init__(self, build, waited):
        self.build = build
        self.waited = waited
        super().__init__('Build %s of %s did not finish within %.0f s (last status %s): %s' % (
            build.get('build_num'), describe_project(build), waited, build.get('status') or build.get('lifecycle'),
            build.get('build_url') or 'no build URL'))


def wait_for_build(client, project, build_num, timeout, interval, build=None, clock=time.monotonic, sleep=time.sleep, seen=None):
    """Poll ``GET project/:p/:build_num`` until the build is over; returns the final build.

    ``build`` is a state already known (for example the trigger's answer): if it is terminal no
    request is made. ``seen(build)`` is called with each state read. Raises WaitTimeout when
    ``timeout`` seconds pass first.
    """
    started = clock()
    while True:
        if build is not None and seen is not None:
            seen(build)
        if build is not None and is_terminal(build):
            return build
        waited = clock() - started
        if build is not None and waited >= timeout:
            raise WaitTimeout(build, waited)
        if build is not None:
            sleep(max(0.0, min(interval, timeout - waited)))
        build = client.get('project/{}/{}', project, build_num)
        if not isinstance(build, dict):
            build = {'build_num': build_num}


# -- Listing -------------------------------------------------------------------------------------

def list_builds(client, project=None, branch=None, limit=30, offset=0, build_filter=None, shallow=False):
    """Builds newest first: of every followed project, of one project, or of one of its branches.

    ``limit`` may exceed the API's 100 per page: ``client.paginate`` fetches the pages (concurrently,
    as their offsets are known) and merges them in order.
    """
    params = {}
    if build_filter:
        params['filter'] = build_filter
    if shallow:
        params['shallow'] = 'true'
    if project is None:
        template, args = 'recent-builds', ()
    elif branch:
        template, args = 'project/{}/tree/{}', (project, branch)
    else:
        template, args = 'project/{}', (project,)
    return client.paginate(template, *args, params=params, limit=limit, offset=offset)


# -- Test metadata -------------------------------------------------------------------------------

def summarize_tests(tests, slowest=10):
    """Counts by result, the failures, and the ``slowest`` tests (longest run time first)."""
    tests = [test for test in tests or [] if isinstance(test, dict)]
    counts = {}
    for test in tests:
        result = test.get('result') or 'unknown'
        counts[result] = counts.get(result, 0) + 1
    failures = [_test_brief(test) for test in tests if test.get('result') in FAILED_TEST_RESULTS]
    timed = [test for test in tests if isinstance(test.get('run_time'), (int, float))]
    timed.sort(key=lambda test: -test['run_time'])  # stable: equal times keep CircleCI's order
    return {
        'total': len(tests),
        'counts': counts,
        'failed': len(failures),
        'failures': failures,
        'slowest': [_test_brief(test) for test in timed[:max(0, slowest)]],
        'run_time': round(sum(test['run_time'] for test in timed), 6),
    }


def _test_brief(test):
    return {key: test.get(key) for key in ('classname', 'name', 'file', 'result', 'run_time', 'message')}
