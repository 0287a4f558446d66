# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix: every module x fault x position, each case one fresh module process against a reset emulator.

Run: ``make fault-matrix`` (or ``.venv/bin/python tests/robustness/fault_matrix.py [--only SCENARIO ...]``).
Prints one table and writes tests/output/robustness/fault-matrix.json (every case, with its evidence).
Exits 1 when any case has a traceback, a replayed creating POST or a wrong ``changed``. See README.md here.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import queue
import re
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as h  # noqa: E402  pylint: disable=wrong-import-position

TIMEOUT = 2.0  # the module's timeout option, in seconds (the emulator takes up to ~0.6 s to create an RSA checkout key)
SLOW_DELAY = 4.0  # the slow fault's delay: longer than TIMEOUT, so the module's read times out
RETRIES = 2
FAULTS = {
    '429': {'kind': '429', 'retry_after': 1},
    '500': {'kind': '500', 'body': 'json'},
    '502': {'kind': '502', 'body': 'html'},
    'reset': {'kind': 'reset'},
    'timeout': {'kind': 'slow', 'delay': SLOW_DELAY},
    'truncated': {'kind': 'truncated'},
}
# POSTs that create something: sending one twice creates twice (a replay).
CREATING_POSTS = [re.compile(pattern) for pattern in (
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/checkout-key$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/ssh-key$',
    r'^/api/v1\.1/user/ssh-key$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/tree/.+$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/build$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/\d+/retry$',
    r'^/api/v1\.1/project/[^/]+/[^/]+/[^/]+/\d+/ssh$',
    r'^/api/v2/context$',
    r'^/api/v2/webhook$',
    r'^/api/v2/project/.+/schedule$',
)]
COLUMNS = ('injected', 'recovered', 'clean_failures', 'tracebacks', 'replayed_creating_posts', 'wrong_changed')
MUST_BE_ZERO = ('tracebacks', 'replayed_creating_posts', 'wrong_changed')


class Scenario:
    """One module invocation that is realistic for the default seed.

    ``write`` is ``(method, path regex)`` of the module's first write (the emulator matches the regex against the
    path after /api/v1.1), ``'artifact-download'`` for the first artifact download (faulted by the harness proxy),
    or None for a module that only reads. ``first_is_write`` says the module's first request is that write.
    """

    def __init__(self, name, module, args, write=None, first_is_write=False, setup=None, local_dest=False):
        self.name = name
        self.module = module
        self.args = args
        self.write = write
        self.first_is_write = first_is_write
        self.setup = setup
        self.local_dest = local_dest

    def positions(self):
        if self.write is None:
            return ['first']
        positions = [] if self.first_is_write else ['first']
        positions.append('write')
        if self.write != 'artifact-download':  # a download changes nothing on the server: "applied" means nothing
            positions.append('write+after')
        return positions


def _fast_clock(emulator, context):  # pylint: disable=unused-argument
    emulator.clock(scale=20)  # triggered builds finish in about 0.35 s, so wait=true is quick


def _running_build(emulator, context):
    emulator.clock(scale=0.05)  # the build stays queued for the whole case
    context['running_build'] = emulator.api('POST', 'project/github/acme/api/tree/main', body={})['build_num']


def scenarios(key_one, key_two):
    """The module invocations, each with the seed's projects, builds and artifacts."""
    return [
        Scenario('user_info', 'user_info', lambda c: {}),
        Scenario('project_info', 'project_info', lambda c: {'vcs_type': 'gh', 'username': 'acme'}),
        Scenario(
            'env_var_info', 'env_var_info',
            lambda c: {'projects': ['gh/acme/api', 'gh/acme/web'], 'allow_unexpected': True,
                       'expected': {'DATABASE_URL': 'postgres://db.internal/api', 'NODE_ENV': 'production'}}),
        Scenario('checkout_key_info', 'checkout_key_info', lambda c: {'project': 'gh/acme/api', 'digest': 'sha256'}),
        Scenario('ssh_key_info', 'ssh_key_info', lambda c: {'project': 'gh/acme/api'}),
        Scenario('build_info', 'build_info', lambda c: {'project': 'gh/acme/api', 'limit': 150, 'shallow': True}),
        Scenario('artifact_info', 'artifact_info', lambda c: {'project': 'gh/acme/api', 'branch': 'main'}),
        Scenario('test_metadata_info', 'test_metadata_info', lambda c: {'project': 'gh/acme/api', 'build_num': 300, 'slowest': 3}),
        Scenario('project (follow)', 'project', lambda c: {'project': 'gh/acme/legacy', 'state': 'present'},
                 write=('POST', r'/follow$')),
        Scenario('env_var (add one)', 'env_var', lambda c: {'project': 'gh/acme/worker', 'name': 'QUEUE_URL', 'value': 'amqp://mq.internal/jobs'},
                 write=('POST', r'/envvar$')),
        Scenario(
            'env_var (add, update, delete)', 'env_var',
            lambda c: {'project': 'gh/acme/api',
                       'variables': [{'name': 'RELEASE_CHANNEL', 'value': 'stable-2024'}, {'name': 'LOG_LEVEL', 'value': 'debug'},
                                     {'name': 'SHORT', 'state': 'absent'}]},
            write=('POST', r'/envvar$')),
        Scenario('checkout_key (create)', 'checkout_key', lambda c: {'project': 'gh/acme/web', 'type': 'deploy-key'},
                 write=('POST', r'/checkout-key$')),
        Scenario('ssh_key (add)', 'ssh_key', lambda c: {'project': 'gh/acme/api', 'hostname': 'bastion.example.com',
                                                        'private_key': key_one},
                 write=('POST', r'/ssh-key$')),
        Scenario('heroku_key (set)', 'heroku_key', lambda c: {'api_key': 'c0ffee00-1234-4abc-8def-00000000h3k1'},
                 write=('POST', r'/user/heroku-key$')),
        Scenario('build_cache (clear)', 'build_cache', lambda c: {'project': 'gh/acme/api', 'state': 'absent'},
                 write=('DELETE', r'/build-cache$'), first_is_write=True),
        Scenario(
            'build (trigger branch, wait)', 'build',
            lambda c: {'project': 'gh/acme/api', 'branch': 'feature/login', 'build_parameters': {'DEPLOY_ENV': 'staging'},
                       'wait': True, 'poll_interval': 0.1, 'wait_timeout': 30},
            write=('POST', r'/tree/'), first_is_write=True, setup=_fast_clock),
        Scenario('build (trigger tag)', 'build', lambda c: {'project': 'gh/acme/api', 'tag': 'v1.4.0'},
                 write=('POST', r'^/project/[^/]+/[^/]+/[^/]+$'), first_is_write=True),
        Scenario('build (trigger pipeline)', 'build', lambda c: {'project': 'gh/acme/api', 'branch': 'main', 'pipeline': True},
                 write=('POST', r'/build$'), first_is_write=True),
        Scenario('build (retry)', 'build', lambda c: {'project': 'gh/acme/api', 'action': 'retry', 'build_num': 300},
                 write=('POST', r'/300/retry$'), first_is_write=True),
        Scenario('build (retry with ssh)', 'build', lambda c: {'project': 'gh/acme/api', 'action': 'retry', 'build_num': 299, 'ssh': True},
                 write=('POST', r'/299/ssh$'), first_is_write=True),
        Scenario('build (cancel)', 'build', lambda c: {'project': 'gh/acme/api', 'action': 'cancel', 'build_num': c['running_build']},
                 write=('POST', r'/cancel$'), setup=_running_build),
        Scenario('artifact (download)', 'artifact', lambda c: {'project': 'gh/acme/api', 'build_num': 300, 'dest': c['dest']},
                 write='artifact-download', local_dest=True),
        Scenario('context_info', 'context_info', lambda c: {'owner': 'gh/acme'}),
        Scenario('webhook_info', 'webhook_info', lambda c: {'project': 'gh/acme/api'}),
        Scenario('schedule_info', 'schedule_info', lambda c: {'project': 'gh/acme/api'}),
        Scenario('context (create)', 'context', lambda c: {'name': 'fault-matrix', 'owner': 'gh/acme'},
                 write=('POST', r'^/context$')),
        Scenario('context_env_var (add)', 'context_env_var',
                 lambda c: {'context': 'org-global', 'owner': 'gh/acme', 'name': 'FAULT_MATRIX', 'value': 'fault-matrix-value'},
                 write=('PUT', r'/environment-variable/')),
        Scenario('webhook (create)', 'webhook',
                 lambda c: {'project': 'gh/acme/api', 'name': 'fault-matrix', 'url': 'https://hooks.acme.example/fm',
                            'events': ['workflow-completed'], 'signing_secret': 'fault-matrix-secret'},
                 write=('POST', r'^/webhook$')),
        Scenario('schedule (create)', 'schedule',
                 lambda c: {'project': 'gh/acme/api', 'name': 'fault-matrix', 'branch': 'main',
                            'timetable': {'per_hour': 1, 'hours_of_day': [3], 'days_of_week': ['MON']}},
                 write=('POST', r'/schedule$')),
        Scenario('oidc_claims (set)', 'oidc_claims', lambda c: {'owner': 'gh/acme', 'audience': ['fault-matrix'], 'ttl': '2h'},
                 write=('PATCH', r'/oidc-custom-claims$')),
        Scenario('user_key (add)', 'user_key', lambda c: {}, write=('POST', r'^/user/ssh-key$')),
        Scenario(
            'project_settings (env)', 'project_settings',
            lambda c: {'projects': [{'project': 'gh/acme/worker', 'followed': True,
                                     'env_vars': [{'name': 'QUEUE_URL', 'value': 'amqp://mq.internal/jobs'}]}]},
            write=('POST', r'/envvar$')),
        Scenario(
            'project_settings (keys)', 'project_settings',
            lambda c: {'projects': [{'project': 'gh/acme/web', 'checkout_keys': [{'type': 'deploy-key'}],
                                     'ssh_keys': [{'hostname': 'deploy.example.com', 'private_key': key_two}]}]},
            write=('POST', r'/checkout-key$')),
    ]


def cases(all_scenarios, only=None):
    found = []
    for scenario in all_scenarios:
        if only and not any(word in scenario.name for word in only):
            continue
        for position in scenario.positions():
            for fault in FAULTS:
                if position == 'write+after' and fault == 'timeout':
                    continue  # a slow fault always applies the request: same case as without "after"
                if position == 'write+after' and fault == '429':
                    continue  # a 429 says the request was refused unapplied; "applied, then 429" would fail every correct client
                found.append((scenario, position, fault))
    return found


# -- Observing a case ------------------------------------------------------------------------------------


def normalized_state(state):
    """The emulator state without clocks and build progress; a canceled build stays visible."""
    state = copy.deepcopy(state)
    state.pop('clock', None)
    for project in state.get('projects', []):
        builds = project.get('builds') or {}
        project['builds'] = {
            'count': builds.get('count'), 'latest_build_num': builds.get('latest_build_num'),
            'canceled': (builds.get('by_status') or {}).get('canceled', 0),
            'latest': [{'build_num': build.get('build_num'), 'branch': build.get('branch'), 'why': build.get('why'),
                        'canceled': build.get('status') == 'canceled'} for build in builds.get('latest') or []],
        }
    return state


def local_files(path):
    """``relative path -> sha256`` of every file under ``path`` (the artifact module's destination)."""
    found = {}
    for directory, dummy, files in os.walk(path):
        for name in files:
            full = os.path.join(directory, name)
            with open(full, 'rb') as handle:
                found[os.path.relpath(full, path)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def state_diff(before, after, prefix=''):
    """A few readable differences between two JSON values."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            if before.get(key) != after.get(key):
                out.extend(state_diff(before.get(key), after.get(key), '%s.%s' % (prefix, key) if prefix else str(key)))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for index, (one, two) in enumerate(zip(before, after)):
            out.extend(state_diff(one, two, '%s[%d]' % (prefix, index)))
        return out
    return ['%s: %s -> %s' % (prefix, json.dumps(before)[:120], json.dumps(after)[:120])]


def says_outcome_unknown(value):
    """Whether a module result says, anywhere, that a write's outcome is unknown (error.outcome, failures[].outcome...).

    ``applied`` counts too: it is what a client must conclude from a 2xx whose body was cut off, which the
    emulator's ``truncated`` fault (without ``after``) sends for a write it did not apply; a real server does not.
    """
    if isinstance(value, dict):
        return value.get('outcome') in ('unknown', 'applied') or any(says_outcome_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(says_outcome_unknown(item) for item in value)
    return False


def replayed_creating_posts(log):
    """``path -> times sent`` of the creating POSTs sent again after an attempt that may have reached the server.

    An attempt answered 429 was refused before CircleCI acted on it (the fault is never armed with ``after`` for
    429), so sending it again is the documented rate-limit retry, not a replay.
    """
    sent, replays = {}, {}
    for entry in sorted((entry for entry in log if entry.get('listener') == 'api'), key=lambda entry: entry.get('seq', 0)):
        if entry['method'] != 'POST' or not any(pattern.search(entry['path']) for pattern in CREATING_POSTS):
            continue
        earlier = sent.setdefault(entry['path'], [])
        if any(status != 429 for status in earlier):
            replays[entry['path']] = len(earlier) + 1
        earlier.append(entry.get('status'))
    return replays


def outcome_of(run, result):
    """``(outcome, detail)``: recovered, clean_failure or traceback."""
    stderr = run['stderr'] or ''
    if run['hung']:
        return 'traceback', 'the module did not finish within the harness limit (hung)'
    if result is None:
        tail = (stderr.strip().splitlines() or run['stdout'].strip().splitlines() or ['no output'])[-1]
        return 'traceback', 'no JSON result (rc %s): %s' % (run['rc'], tail[:300])
    if result.get('exception') or 'Traceback (most recent call last)' in stderr:
        text = result.get('exception') or stderr
        text = text if isinstance(text, str) else json.dumps(text)
        return 'traceback', 'exception: %s' % text.strip().splitlines()[-1][:300]
    if result.get('failed'):
        if not result.get('msg'):
            return 'traceback', 'failed without a message'
        return 'clean_failure', str(result['msg'])[:400]
    return 'recovered', None


def spurious_timeout(case):
    """A read timeout although no slow fault was armed: the machine was too busy for the module's timeout."""
    text = ' '.join([case['detail'] or ''] + [str(warning) for warning in (case['result'] or {}).get('warnings') or []])
    return case['fault'] != 'timeout' and 'timed out' in text


def rules_for(scenario, position, fault):
    """``(emulator rules, proxy name or None, proxy rules)`` arming the fault at the position."""
    rule = dict(FAULTS[fault])
    if position == 'first':
        return [dict(rule, nth=1)], None, []
    if position == 'write+after':
        rule['after'] = True
    if scenario.write == 'artifact-download':
        # Statuses, resets and timeouts come from the artifact host; a truncated body from storage (the bytes).
        proxy_rule = dict(rule, method='GET', nth=1)
        if proxy_rule['kind'] == '429':
            proxy_rule.pop('retry_after')
        return [], ('storage' if fault == 'truncated' else 'artifacts'), [proxy_rule]
    method, path = scenario.write
    return [dict(rule, method=method, path=path, nth=1)], None, []


def run_case(emulator, runner, scenario, position, fault, workdir):
    emulator.reset()
    run_dir = h.fresh_dir(os.path.join(workdir, 'run'))
    context = {'dest': os.path.join(run_dir, 'dest')}
    if scenario.setup:
        scenario.setup(emulator, context)
    emulator.clear_requests()
    before = normalized_state(emulator.state())
    local_before = local_files(context['dest']) if scenario.local_dest else {}
    api_rules, proxy_name, proxy_rules = rules_for(scenario, position, fault)
    emulator.arm(api_rules)
    if proxy_name:
        emulator.proxy(proxy_name, 'arm', proxy_rules)
    args = dict(scenario.args(context), api_url=emulator.api_url, api_token=emulator.tokens['user'], timeout=TIMEOUT,
                retries=RETRIES)
    run = runner(scenario.module, args, run_dir, timeout=90)

    # A slow fault answers (and applies the request) after the module gave up: wait until every fired fault is logged.
    deadline = time.monotonic() + SLOW_DELAY + 5
    while True:
        proxy = emulator.proxy(proxy_name, 'status') if proxy_name else {'fired': 0, 'log': []}
        fired = sum(rule.get('fired', 0) for rule in emulator.faults()) + proxy['fired']
        log = emulator.requests() + proxy['log']
        if sum(1 for entry in log if entry.get('fault')) >= fired or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    after = normalized_state(emulator.state())
    local_after = local_files(context['dest']) if scenario.local_dest else {}

    result = h.parse_result(run)
    outcome, detail = outcome_of(run, result)
    changed_state = before != after or local_before != local_after
    reported = bool(result.get('changed')) if result is not None else None
    # A write whose outcome the module could not learn may be reported as a change, when the result says so.
    flagged = reported and not changed_state and says_outcome_unknown(result)
    replays = replayed_creating_posts(log)
    case = {
        'scenario': scenario.name, 'module': scenario.module, 'position': position, 'fault': fault,
        'fired': fired, 'outcome': outcome, 'detail': detail, 'seconds': round(run['seconds'], 2),
        'state_changed': changed_state, 'reported_changed': reported,
        'wrong_changed': fired > 0 and reported is not None and reported != changed_state and not flagged,
        'flagged_unknown': bool(flagged),
        'replayed': replays,
        'requests': ['%s %s -> %s%s' % (entry['method'], entry['path'], entry.get('status'),
                                        ' [%s]' % entry['fault'] if entry.get('fault') else '') for entry in log],
        'state_diff': state_diff({'server': before, 'local': local_before}, {'server': after, 'local': local_after})[:8],
        'result': {key: result.get(key) for key in ('changed', 'failed', 'msg', 'api_requests', 'api_retries', 'warnings')
                   if key in result} if result is not None else None,
    }
    if outcome == 'traceback':
        case['stderr_tail'] = (run['stderr'] or '')[-2000:]
    return case


# -- The table -------------------------------------------------------------------------------------------


def tally(all_cases):
    rows = {}
    for case in all_cases:
        key = (case['scenario'], case['position'])
        row = rows.setdefault(key, dict.fromkeys(COLUMNS, 0) | {'not_fired': 0})
        if not case['fired']:
            row['not_fired'] += 1
            continue
        row['injected'] += 1
        row[{'recovered': 'recovered', 'clean_failure': 'clean_failures', 'traceback': 'tracebacks'}[case['outcome']]] += 1
        row['replayed_creating_posts'] += 1 if case['replayed'] else 0
        row['wrong_changed'] += 1 if case['wrong_changed'] else 0
    totals = dict.fromkeys(COLUMNS, 0) | {'not_fired': 0}
    for row in rows.values():
        for column in totals:
            totals[column] += row[column]
    return rows, totals


def render(rows, totals, order):
    headers = ('module (scenario)', 'position', 'injected', 'recovered', 'clean fail', 'traceback', 'replayed POST', 'wrong changed')
    lines = []
    for key in order:
        if key in rows:
            row = rows[key]
            lines.append((key[0], key[1]) + tuple(str(row[column]) for column in COLUMNS))
    lines.append(('TOTAL', '') + tuple(str(totals[column]) for column in COLUMNS))
    widths = [max(len(str(line[index])) for line in [headers] + lines) for index in range(len(headers))]

    def fmt(line):
        return ' | '.join(str(cell).ljust(widths[index]) if index < 2 else str(cell).rjust(widths[index])
                          for index, cell in enumerate(line))

    rule = '-+-'.join('-' * width for width in widths)
    out = [fmt(headers), rule] + [fmt(line) for line in lines[:-1]] + [rule, fmt(lines[-1])]
    return '\n'.join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', nargs='*', help='run only the scenarios whose name contains one of these words')
    parser.add_argument('--workers', type=int, default=int(os.environ.get('FAULT_MATRIX_WORKERS', '6')),
                        help='cases run at once, each worker with its own emulator (default 6)')
    parser.add_argument('--fresh-interpreter', action='store_true',
                        help='start every module run as `python <module>.py args.json` (slower) instead of forking it from a '
                             'launcher that has the imports done')
    parser.add_argument('--output', default=os.path.join(h.OUTPUT, 'fault-matrix.json'))
    options = parser.parse_args()
    h.require_collection()
    started = time.monotonic()

    all_scenarios = scenarios(h.new_private_key(), h.new_private_key())
    todo = cases(all_scenarios, options.only)
    order = [(scenario.name, position) for scenario in all_scenarios for position in scenario.positions()]
    jobs = queue.Queue()
    for index, item in enumerate(todo):
        jobs.put((index, item))
    done = [None] * len(todo)
    scratch = h.scratch_dir('circleci-fault-matrix-')
    failures = []

    def worker(number):
        emulator = h.Emulator()
        home = h.fresh_dir(os.path.join(scratch, 'w%d' % number, 'home'))
        launcher = None if options.fresh_interpreter else h.ForkedModules(home)
        runner = h.run_module if launcher is None else launcher.run
        try:
            while True:
                try:
                    index, (scenario, position, fault) = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    for attempt in range(1, 4):
                        case = run_case(emulator, runner, scenario, position, fault, os.path.join(scratch, 'w%d' % number))
                        case['attempts'] = attempt
                        if not spurious_timeout(case):
                            break
                    done[index] = case
                except Exception as error:  # pylint: disable=broad-except
                    failures.append('%s / %s / %s: harness error %r' % (scenario.name, position, fault, error))
        finally:
            emulator.stop()
            if launcher is not None:
                launcher.stop()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(max(1, options.workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shutil.rmtree(scratch, ignore_errors=True)

    all_cases = [case for case in done if case is not None]
    rows, totals = tally(all_cases)
    seconds = time.monotonic() - started
    print('Fault matrix: %d cases, module timeout %.0f s, retries %d, slow fault %.0f s, %s, %.0f s wall' % (
        len(all_cases), TIMEOUT, RETRIES, SLOW_DELAY,
        'fresh interpreter per run' if options.fresh_interpreter else 'one forked process per run', seconds))
    print(render(rows, totals, order))

    reruns = sum(case['attempts'] - 1 for case in all_cases)
    if reruns:
        print('  (%d case runs repeated after a timeout the harness did not inject: the machine is busy)' % reruns)
    for case in all_cases:
        if spurious_timeout(case):
            print('  (warning: still a timeout the harness did not inject after 3 runs) %s / %s / %s' % (
                case['scenario'], case['position'], case['fault']))
    problems = [case for case in all_cases if case['fired'] and (
        case['outcome'] == 'traceback' or case['replayed'] or case['wrong_changed'])]
    for case in problems:
        what = []
        if case['outcome'] == 'traceback':
            what.append('TRACEBACK (%s)' % case['detail'])
        if case['replayed']:
            what.append('REPLAYED %s' % ', '.join('%s x%d' % item for item in case['replayed'].items()))
        if case['wrong_changed']:
            what.append('WRONG CHANGED (state %s, result changed=%s; %s)' % (
                'changed' if case['state_changed'] else 'unchanged', case['reported_changed'],
                'failed: ' + str((case['result'] or {}).get('msg', ''))[:160] if case['outcome'] == 'clean_failure' else case['outcome']))
        print('  %s / %s / %s: %s' % (case['scenario'], case['position'], case['fault'], '; '.join(what)))
    not_fired = [case for case in all_cases if not case['fired']]
    for case in not_fired:
        print('  (fault never fired) %s / %s / %s' % (case['scenario'], case['position'], case['fault']))
    for failure in failures:
        print('  HARNESS ERROR %s' % failure)

    os.makedirs(os.path.dirname(options.output), exist_ok=True)
    with open(options.output, 'w', encoding='utf-8') as handle:
        json.dump({'settings': {'timeout': TIMEOUT, 'retries': RETRIES, 'slow_delay': SLOW_DELAY, 'faults': FAULTS},
                   'seconds': round(seconds, 1), 'totals': totals,
                   'rows': [dict(scenario=key[0], position=key[1], **rows[key]) for key in order if key in rows],
                   'cases': all_cases}, handle, indent=1)
    print('Details: %s' % os.path.relpath(options.output, os.getcwd()))
    bad = [column for column in MUST_BE_ZERO if totals[column]]
    if bad or failures or not_fired:
        print('FAIL: %s' % ', '.join(['%s %d' % (column, totals[column]) for column in bad]
                                     + (['%d harness errors' % len(failures)] if failures else [])
                                     + (['%d faults never fired' % len(not_fired)] if not_fired else [])))
        return 1
    print('OK: no traceback, no replayed creating POST, no wrong changed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
