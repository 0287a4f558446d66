"""Benchmark: converge and audit many projects x variables against the CircleCI emulator.

One run measures, for each project count (20 and 100; 500 too with BENCH_FULL=1 or --full), at
--vars variables per project and --latency-ms of injected latency on every API answer:

  floor                       a playbook with one ping task (Ansible's own start-up and teardown)
  uri baseline, no-op         tests/benchmarks/uri_baseline.yml: what a user writes without this collection
  project_settings role, no-op
  project_settings module, no-op (one task)
  first converge (role)       from projects with no variables
  env_drift audit (role)
  env_var_info alone (one task)

then two scenarios of API v2 resources, already converged (--contexts, --settings-projects):

  contexts                    20 contexts x 30 variables in one organisation, with a ledger: the
                              project_settings module's `contexts` in one task, no-op; context_env_var,
                              one module run per context (a loop), no-op; context_info per context
                              with the expected names and the ledger (audit)
  settings                    20 projects with advanced settings, one webhook and one schedule each:
                              the project_settings module in one task, no-op
  (one seed for both, not re-seeded between runs; a write in a no-op or an audit out of sync fails
  the benchmark, exit 1, docs not written; `--rows scenarios` (or contexts, settings) runs them alone)

plus a converge of 100 projects under the emulator's rate limiter (10 requests/s), and the
artifact download (peak memory of the module process, throughput against a plain streamed
`requests` download of the same 48 MiB file).

Every measurement records os.getloadavg(); wall times are medians of several runs, interleaved
(run 1 of every row, then run 2, ...) so that load from other users of the machine spreads evenly.
The collection measured is the one under --collection-root (a directory holding
ansible_collections/community/circleci), so an older commit can be staged and measured the same way.

Prints a Markdown table, writes .build/bench/results-<label>.json, and with --write-docs the
generated block of docs/performance.md and docs/performance.png.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, '.build', 'bench')
TOKEN = 'bench-user-token'
MIB = 1024 * 1024
LARGE_SIZE = 50331648  # emulator default seed: gh/acme/api build 298, big/large.bin

# Runs per row at each project count (medians of these); more projects, fewer runs.
DEFAULT_RUNS = {20: 3, 100: 3, 500: 1}
# Fewer runs of the rows that cost most (one module process per project for the uri baseline;
# 3000 writes for a first converge of 100 projects), to keep 20 and 100 projects under ~10 minutes.
# The uri baseline is left out at 500 projects (about 1 s per project on this machine) unless asked for.
ROW_RUNS = {'uri_noop': {20: 3, 100: 1, 500: 0}, 'uri_first': {20: 1}, 'first_converge': {100: 2, 500: 1}}
# How often the in-flight gauge of the emulator is sampled during a run.
SAMPLE_SECONDS = 0.05


# --------------------------------------------------------------------------- emulator

class Emulator:
    """The emulator started with its `ensure` launcher from --emulator-dir, driven through its admin API."""

    def __init__(self, emulator_dir, state_file):
        self.emulator_dir = emulator_dir
        self.state_file = state_file
        self.facts = None

    def _ensure(self, *args):
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(part for part in (self.emulator_dir, env.get('PYTHONPATH')) if part)
        command = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', self.state_file] + list(args)
        return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout

    def start(self):
        self.stop()
        self.facts = json.loads(self._ensure())
        return self

    def stop(self):
        try:
            self._ensure('--stop')
        except subprocess.CalledProcessError:
            pass

    def admin(self, path, body=None, method=None, raw=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.facts['admin_url'] + path, data=data,
                                         method=method or ('POST' if data is not None else 'GET'),
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=60) as answer:  # nosec: loopback admin API of our own emulator
            text = answer.read().decode()
        return json.loads(text) if text.strip() else None

    def seed(self, data):
        self.admin('/seed', raw=(data if isinstance(data, str) else json.dumps(data)).encode())

    def latency(self, ms):
        self.admin('/latency', {'ms': ms})

    def rate_limit(self, rps, burst=None):
        """Turn the limiter on (rps > 0) or off; False when this emulator has no limiter."""
        try:
            if rps:
                self.admin('/rate-limit', {'rps': rps, 'burst': burst or rps})
            else:
                self.admin('/rate-limit', method='DELETE')
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        return True

    def clear(self):
        self.admin('/requests', method='DELETE')

    def counters(self):
        return self.admin('/counters')

    def requests(self):
        return self.admin('/requests')['requests']

    def state(self):
        return self.admin('/state')


class InFlightSampler(threading.Thread):
    """Samples the emulator's in_flight gauge while a playbook runs.

    max_in_flight is a high-water mark: a server thread that has written its answer but not yet
    decremented the gauge (the client already sent its next request) counts twice for a moment, so
    on a busy machine it can read 5 or 6 for a client that holds 4. The 90th percentile of the
    samples taken while requests were in flight is the concurrency the run actually kept.
    """

    def __init__(self, emulator):
        super().__init__(daemon=True)
        self.emulator = emulator
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(SAMPLE_SECONDS):
            try:
                value = self.emulator.counters().get('in_flight')
            except (OSError, ValueError):
                continue
            if value is None:
                return
            self.samples.append(value)

    def busy_p90(self):
        busy = sorted(value for value in self.samples if value > 0)
        return busy[min(len(busy) - 1, int(0.9 * len(busy)))] if busy else None


# --------------------------------------------------------------------------- data

def slug(number):
    return 'gh/bench/svc-%03d' % number


def variables(project_number, count):
    """A project's desired variables: the first half shared by every project (config), the rest its own (secrets)."""
    shared = count // 2
    result = []
    for index in range(1, count + 1):
        if index <= shared:
            value = 'shared-config-value-%02d' % index
        else:
            value = 'secret-svc-%03d-var-%02d' % (project_number, index)
        result.append({'name': 'VAR_%02d' % index, 'value': value})
    return result


def desired(projects, count):
    return [{'project': slug(number), 'env_vars': variables(number, count)} for number in range(1, projects + 1)]


def expected(count):
    """What the audit expects: the shared variables by value (masked compare), the per-project ones by name."""
    shared = count // 2
    return {'VAR_%02d' % index: ('shared-config-value-%02d' % index if index <= shared else None) for index in range(1, count + 1)}


def seed(projects, count, state):
    """Emulator seed: 'empty' (no variables), 'converged' (every variable right) or 'drifted:K' (K per project wrong)."""
    drifted = int(state.split(':')[1]) if state.startswith('drifted:') else 0
    entries = []
    for number in range(1, projects + 1):
        env_vars = []
        if state != 'empty':
            for index, variable in enumerate(variables(number, count)):
                value = variable['value'] + ('-old' if index < drifted else '')
                env_vars.append({'name': variable['name'], 'value': value})
        entries.append({'slug': 'github/bench/svc-%03d' % number, 'followed': True, 'env_vars': env_vars})
    return {
        'user': {'login': 'bench-bot', 'name': 'Bench Bot'},
        'tokens': {'user': TOKEN, 'read_only': 'bench-readonly-token',
                   'project': {'token': 'bench-project-token', 'project': 'github/bench/svc-001'}},
        'projects': entries,
    }


# --------------------------------------------------------------------------- data: contexts and project settings

SCENARIO_OWNER = 'gh/bench'
BENCH_SETTINGS = {'autocancel_builds': True, 'build_fork_prs': False, 'disable_ssh': True, 'set_github_status': True}
BENCH_TIMETABLE = {'per_hour': 1, 'hours_of_day': [3], 'days_of_week': ['MON', 'TUE', 'WED', 'THU', 'FRI']}


def context_name(number):
    return 'bench-ctx-%02d' % number


def context_variables(number, count):
    return [{'name': 'CTX_VAR_%02d' % index, 'value': 'ctx-%02d-secret-value-%02d' % (number, index)} for index in range(1, count + 1)]


def settings_slug(number):
    return 'gh/bench/cfg-%03d' % number


def settings_desired(projects):
    """Each project: a few advanced settings, one webhook, one schedule (as the seed holds them)."""
    return [{'project': settings_slug(number), 'settings': dict(BENCH_SETTINGS),
             'webhooks': [{'name': 'bench-notify', 'url': 'https://hooks.bench.example/cfg-%03d' % number,
                           'events': ['workflow-completed', 'job-completed'], 'signing_secret': 'whsec-bench-%03d' % number}],
             'schedules': [{'name': 'nightly', 'timetable': dict(BENCH_TIMETABLE), 'branch': 'main'}]}
            for number in range(1, projects + 1)]


def scenario_seed(contexts, projects):
    """The seed of both scenarios: the settings projects already converged, the contexts without variables.

    The contexts' variables are written by one real converge (the set-up), which also writes the ledger:
    a no-op needs the ledger to match the variables' updated_at, which only a write gives.
    """
    entries, webhooks, schedules = [], [], []
    for number in range(1, projects + 1):
        slug = 'github/bench/cfg-%03d' % number
        entries.append({'slug': slug, 'followed': True, 'env_vars': [], 'settings': dict(BENCH_SETTINGS)})
        webhooks.append({'name': 'bench-notify', 'project': slug, 'url': 'https://hooks.bench.example/cfg-%03d' % number,
                         'events': ['workflow-completed', 'job-completed'], 'verify_tls': True,
                         'signing_secret': 'whsec-bench-%03d' % number})
        schedules.append({'name': 'nightly', 'project': slug, 'parameters': {'branch': 'main'}, 'attribution_actor': 'current',
                          'timetable': {'per-hour': BENCH_TIMETABLE['per_hour'], 'hours-of-day': BENCH_TIMETABLE['hours_of_day'],
                                        'days-of-week': BENCH_TIMETABLE['days_of_week']}})
    if not entries:  # the organisation of the contexts comes from its projects
        entries.append({'slug': 'github/bench/cfg-000', 'followed': True, 'env_vars': []})
    return {
        'user': {'login': 'bench-bot', 'name': 'Bench Bot'},
        'tokens': {'user': TOKEN, 'read_only': 'bench-readonly-token'},
        'projects': entries,
        'contexts': [{'name': context_name(number), 'owner': SCENARIO_OWNER} for number in range(1, contexts + 1)],
        'webhooks': webhooks,
        'schedules': schedules,
    }


def check_contexts(emulator, contexts, count):
    """How many context variables are missing or wrong (0 after the set-up converge)."""
    have = {context['name']: {variable['name']: variable.get('value') for variable in context.get('variables', [])}
            for context in emulator.state().get('contexts', [])}
    return sum(1 for number in range(1, contexts + 1) for variable in context_variables(number, count)
               if have.get(context_name(number), {}).get(variable['name']) != variable['value'])


def request_kinds(log):
    """The API requests of a run by kind: method and path, ids and project slugs replaced."""
    kinds = {}
    for entry in log:
        path = re.sub(r'/(gh|github)/bench/[a-z]+-\d+', '/{slug}', entry.get('path') or '')
        path = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '{id}', path)
        query = entry.get('query') or ''
        keys = sorted({part.split('=', 1)[0] for part in (query.split('&') if isinstance(query, str) else query) if part})
        kind = '%s %s%s' % (entry.get('method'), path, ('?' + '&'.join(keys)) if keys else '')
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items()))


# --------------------------------------------------------------------------- playbooks

def play(name, tasks=None, roles=None, vars_files=True):
    entry = {'name': name, 'hosts': 'localhost', 'gather_facts': False}
    if vars_files:
        entry['vars_files'] = ['{{ bench_vars_file }}']
    if roles is not None:
        entry['roles'] = roles
    entry['tasks'] = tasks or []
    return [entry]


PLAYBOOKS = {
    'floor': play('floor', [{'name': 'ping', 'ansible.builtin.ping': {}}], vars_files=False),
    'role_settings': play('project_settings role', roles=[{
        'role': 'community.circleci.project_settings', 'vars': {'project_settings_projects': '{{ bench_projects }}'}}]),
    'module_settings': play('project_settings module', [{
        'name': 'project_settings', 'community.circleci.project_settings': {'projects': '{{ bench_projects }}'},
        'register': 'bench_result'}]),
    'role_drift': play('env_drift role', roles=[{
        'role': 'community.circleci.env_drift',
        'vars': {'env_drift_projects': '{{ bench_slugs }}', 'env_drift_expected': '{{ bench_expected }}',
                 'env_drift_report_dir': '{{ bench_report_dir }}'}}]),
    'ctx_module': play('project_settings module, contexts', [{
        'name': 'project_settings', 'community.circleci.project_settings': {'contexts': '{{ bench_contexts }}', 'ledger': '{{ bench_ledger }}'},
        'register': 'bench_result'}]),
    'ctx_tasks': play('context_env_var, one module run per context', [{
        'name': 'context_env_var', 'community.circleci.context_env_var': {
            'context': '{{ item.name }}', 'owner': '{{ item.owner }}', 'variables': '{{ item.variables }}', 'ledger': '{{ bench_ledger }}'},
        'loop': '{{ bench_contexts }}', 'loop_control': {'label': '{{ item.name }}'}, 'register': 'bench_result'}]),
    'ctx_audit': play('context_info per context, expected names and ledger', [{
        'name': 'context_info', 'community.circleci.context_info': {
            'owner': '{{ item.owner }}', 'name': '{{ item.name }}', 'expected_names': '{{ item.names }}', 'ledger': '{{ bench_ledger }}'},
        'loop': '{{ bench_context_audit }}', 'loop_control': {'label': '{{ item.name }}'}, 'register': 'bench_result'}]),
    'settings_module': play('project_settings module, settings, webhooks, schedules', [{
        'name': 'project_settings', 'community.circleci.project_settings': {'projects': '{{ bench_settings_projects }}'},
        'register': 'bench_result'}]),
    'module_info': play('env_var_info module', [{
        'name': 'env_var_info', 'community.circleci.env_var_info': {'projects': '{{ bench_slugs }}', 'expected': '{{ bench_expected }}'},
        'register': 'bench_result'}]),
}

# What each row runs. state: the emulator's state before each run; writes: what the run must write
# ('none', or 'drift' = every variable that is not right); module: the task whose result gives the counters.
ROWS = [
    dict(key='floor', label='floor (one ping task)', playbook='floor', state='converged', writes='none'),
    dict(key='uri_noop', label='uri baseline, no-op', playbook='uri', state='converged', writes='none', uri=True),
    dict(key='role_noop', label='project_settings role, no-op', playbook='role_settings', state='converged', writes='none',
         module='community.circleci.project_settings'),
    dict(key='module_noop', label='project_settings module (one task), no-op', playbook='module_settings', state='converged',
         writes='none', module='community.circleci.project_settings'),
    dict(key='first_converge', label='first converge (role)', playbook='role_settings', state='empty', writes='drift',
         module='community.circleci.project_settings'),
    dict(key='audit_role', label='env_drift audit (role)', playbook='role_drift', state='converged', writes='none',
         module='community.circleci.env_var_info'),
    dict(key='audit_module', label='env_var_info alone (one task)', playbook='module_info', state='converged', writes='none',
         module='community.circleci.env_var_info'),
]
URI_FIRST = dict(key='uri_first', label='uri baseline, first converge', playbook='uri', state='empty', writes='drift', uri=True)
# Rows compared with the uri baseline: the same reads and compare (no-op), or the same writes (first converge).
URI_REFERENCE = {'role_noop': 'uri_noop', 'module_noop': 'uri_noop', 'audit_role': 'uri_noop', 'audit_module': 'uri_noop',
                 'first_converge': 'uri_first'}


# The scenarios of API v2 resources, measured on one seed (no re-seed between runs: the contexts' ledger must
# match what the set-up converge wrote, and a no-op leaves the state as it was, which each run checks).
SCENARIO_ROWS = [
    dict(key='floor', label='floor (one ping task)', playbook='floor', writes='none'),
    dict(key='ctx_module_noop', label='project_settings module, contexts (one task), no-op', playbook='ctx_module', writes='none',
         module='community.circleci.project_settings', scenario='contexts'),
    dict(key='ctx_tasks_noop', label='context_env_var, one run per context (loop), no-op', playbook='ctx_tasks', writes='none',
         module='community.circleci.context_env_var', scenario='contexts'),
    dict(key='ctx_audit', label='context_info per context (loop), expected names + ledger', playbook='ctx_audit', writes='none',
         module='community.circleci.context_info', scenario='contexts', audit=True),
    dict(key='settings_noop', label='project_settings module, settings + webhook + schedule (one task), no-op',
         playbook='settings_module', writes='none', module='community.circleci.project_settings', scenario='settings'),
]
SCENARIO_KEYS = {row['key'] for row in SCENARIO_ROWS if row['key'] != 'floor'}
# The loops cost one module process per context: fewer runs of them by default.
SCENARIO_ROW_RUNS = {'ctx_tasks_noop': 2, 'ctx_audit': 2}


def write_playbooks(directory):
    paths = {'uri': os.path.join(HERE, 'uri_baseline.yml')}
    for name, content in PLAYBOOKS.items():
        paths[name] = os.path.join(directory, name + '.yml')
        with open(paths[name], 'w', encoding='utf-8') as handle:
            json.dump(content, handle, indent=1)
    return paths


def write_vars(directory, projects, count):
    path = os.path.join(directory, 'vars-%d.json' % projects)
    data = dict(bench_projects=desired(projects, count), bench_slugs=[slug(number) for number in range(1, projects + 1)],
                bench_expected=expected(count), bench_report_dir=os.path.join(directory, 'report'))
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle)
    return path


def write_scenario_vars(directory, contexts, count, projects):
    path = os.path.join(directory, 'vars-scenarios.json')
    bench_contexts = [{'name': context_name(number), 'owner': SCENARIO_OWNER, 'variables': context_variables(number, count)}
                      for number in range(1, contexts + 1)]
    data = dict(bench_contexts=bench_contexts, bench_ledger=os.path.join(directory, 'contexts.ledger.json'),
                bench_context_audit=[{'name': context['name'], 'owner': context['owner'],
                                      'names': [variable['name'] for variable in context['variables']]} for context in bench_contexts],
                bench_settings_projects=settings_desired(projects))
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle)
    return path


def playbook_env(emulator, collection_root, timer_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith('ANSIBLE_')}
    env.update(CIRCLECI_API_URL=emulator.facts['api_url'], CIRCLECI_TOKEN=TOKEN,
               ANSIBLE_COLLECTIONS_PATH=collection_root, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='bench_timer', BENCH_TIMER_OUT=timer_path, ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    return env


def run_playbook(path, vars_path, env, cwd, log_path):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path,
               '-e', json.dumps({'ansible_python_interpreter': sys.executable}),
               '-e', json.dumps({'bench_vars_file': vars_path})]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log_path, 'w', encoding='utf-8') as log:
        rc = subprocess.run(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of ansible-playbook, its workers and the module processes (all reaped): what the run costs
    # whatever else the machine is doing, unlike the wall time.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, rc, cpu


# --------------------------------------------------------------------------- one measurement

def check_state(emulator, projects, count):
    """The number of variables that are not what the converge should have left."""
    state = emulator.state()
    wrong = 0
    by_slug = {entry.get('slug'): entry for entry in state.get('projects', [])} if isinstance(state.get('projects'), list) \
        else {key: dict(value, slug=key) for key, value in state.get('projects', {}).items()}
    for number in range(1, projects + 1):
        entry = by_slug.get('github/bench/svc-%03d' % number, {})
        have = entry.get('env_vars', [])
        have = {item['name']: item.get('value') for item in have} if isinstance(have, list) else \
            {name: (item.get('value') if isinstance(item, dict) else item) for name, item in have.items()}
        wrong += sum(1 for variable in variables(number, count) if have.get(variable['name']) != variable['value'])
    return wrong


def measure(emulator, row, projects, count, options, paths, vars_path, workdir, collection, rate=None):
    if row.get('state') is not None:  # scenario rows run on the state they found (no-ops, checked)
        emulator.seed(seed(projects, count, row['state']))
    emulator.latency(options.latency_ms)
    if rate is not None:
        emulator.rate_limit(rate)
    emulator.clear()
    timer_path = os.path.join(workdir, 'timer.json')
    if os.path.exists(timer_path):
        os.unlink(timer_path)
    log_path = os.path.join(OUT, 'logs', '%s-%s-%s.log' % (collection['safe_label'], row['key'], projects))
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    load = os.getloadavg()
    sampler = InFlightSampler(emulator)
    sampler.start()
    try:
        seconds, rc, cpu = run_playbook(paths[row['playbook']], vars_path,
                                        playbook_env(emulator, collection['root'], timer_path), workdir, log_path)
    finally:
        sampler.done.set()
        sampler.join()
    counters = emulator.counters()
    if rate is not None:
        emulator.rate_limit(0)
    timer = {}
    if os.path.exists(timer_path):
        with open(timer_path, encoding='utf-8') as handle:
            timer = json.load(handle)
    result = dict(seconds=round(seconds, 3), cpu_seconds=round(cpu, 3), rc=rc, load=[round(value, 2) for value in load],
                  requests=counters.get('total'), writes=counters.get('writes'), reads=counters.get('reads'),
                  max_in_flight=counters.get('max_in_flight'), rate_limited=counters.get('rate_limited'),
                  in_flight_p90=sampler.busy_p90(),
                  tasks=[dict(name=task['name'], seconds=task.get('seconds')) for task in timer.get('tasks', [])])
    # The concurrency the collection reports, when its result says so.
    for task in timer.get('tasks', []):
        if row.get('module') and task.get('action') in (row['module'], row['module'].rsplit('.', 1)[-1]):
            for facts in task.get('results', []):
                for key in ('concurrency', 'max_workers'):
                    if key in facts:
                        result['reported_concurrency'] = facts[key]
                if 'api_requests' in facts:
                    result['module_api_requests'] = facts['api_requests']
                result['changed'] = facts.get('changed')
                for key in ('in_sync', 'loop_items', 'loop_changed', 'loop_failed', 'loop_not_in_sync'):
                    if key in facts:
                        result[key] = facts[key]
                if 'loop_api_requests' in facts:
                    result['module_api_requests'] = facts['loop_api_requests']
    problems = []
    if rc != 0:
        problems.append('ansible-playbook exited %d (log: %s)' % (rc, os.path.relpath(log_path, ROOT)))
    if row['writes'] == 'none' and counters.get('writes'):
        problems.append('%d writes in a no-op' % counters['writes'])
    if row['writes'] == 'drift':
        wrong = check_state(emulator, projects, count)
        result['wrong_after'] = wrong
        if wrong:
            problems.append('%d variables not converged' % wrong)
    if row.get('scenario'):
        result['request_kinds'] = request_kinds(emulator.requests())
        if row['writes'] == 'none' and (result.get('changed') or result.get('loop_changed')):
            problems.append('the module reported a change in a no-op')
    if row.get('audit'):
        # A loop: every item must say in_sync true; one task: its in_sync. No in_sync at all is a failure too.
        in_sync = (result.get('loop_items', 0) > 0 and result.get('loop_not_in_sync') == 0) if 'loop_items' in result else \
            result.get('in_sync') is True
        if not in_sync:
            problems.append('audit not in sync (%s of %s items out of sync)' % (result.get('loop_not_in_sync'), result.get('loop_items')))
    if rate is not None:
        log = emulator.requests()
        failed = [entry for entry in log if entry.get('fault') != 'rate-limit' and not 200 <= (entry.get('status') or 0) < 300]
        result['failed_requests'] = len(failed)
        result['passed_requests'] = sum(1 for entry in log if entry.get('fault') != 'rate-limit')
        if failed:
            problems.append('%d requests failed (other than 429)' % len(failed))
    result['problems'] = problems
    return result


def summarise(runs):
    ok = [run for run in runs if not run['problems']] or runs
    seconds = [run['seconds'] for run in ok]
    summary = dict(runs=len(runs), seconds=round(statistics.median(seconds), 3), seconds_all=[run['seconds'] for run in runs],
                   load_1min=[run['load'][0] for run in runs],
                   problems=sorted({problem for run in runs for problem in run['problems']}))
    for key in ('cpu_seconds', 'requests', 'writes', 'reads', 'max_in_flight', 'in_flight_p90', 'rate_limited', 'reported_concurrency', 'module_api_requests',
                'failed_requests', 'passed_requests', 'wrong_after', 'loop_items', 'loop_not_in_sync'):
        values = [run[key] for run in ok if run.get(key) is not None]
        if values:
            summary[key] = max(values) if key in ('max_in_flight', 'in_flight_p90') else statistics.median(values)
    kinds = [run['request_kinds'] for run in ok if run.get('request_kinds') is not None]
    if kinds:
        summary['request_kinds'] = kinds[0]
        summary['request_kinds_vary'] = any(other != kinds[0] for other in kinds[1:])
    # Per task: the median over runs, for the profile (which task of a role took the time).
    names = []
    for run in ok:
        for task in run['tasks']:
            if task['name'] not in names:
                names.append(task['name'])
    summary['tasks'] = {name: statistics.median([task['seconds'] for run in ok for task in run['tasks']
                                                 if task['name'] == name and task['seconds'] is not None] or [0])
                        for name in names}
    return summary


# --------------------------------------------------------------------------- artifact download

def measure_artifact(emulator, options, runs, collection_root):
    """Peak RSS and time of the artifact module, and of a plain streamed requests download, each in a child process."""
    emulator.seed('default')
    emulator.latency(options.latency_ms)
    token = emulator.facts['tokens']['user'] if isinstance(emulator.facts.get('tokens'), dict) else 'demo-user-token'
    samples = {key: [] for key in ('module_small', 'module_big', 'requests_small', 'requests_big')}
    base = tempfile.mkdtemp(prefix='artifact-', dir=OUT)
    try:
        for number in range(runs):
            for key, mode, include in (('module_small', 'module', 'small.txt'), ('module_big', 'module', 'big/*'),
                                       ('requests_small', 'requests', 'small.txt'), ('requests_big', 'requests', 'big/large.bin')):
                dest = os.path.join(base, '%s-%d' % (key, number))
                args = dict(api_url=emulator.facts['api_url'], project='gh/acme/api', build_num=298, dest=dest)
                if mode == 'module':
                    args['include'] = [include]
                else:
                    args['path'] = include
                load = os.getloadavg()
                command = [sys.executable, os.path.join(HERE, 'peak_rss.py'), '--collection-root', collection_root,
                           mode, 'artifact', json.dumps(args)]
                env = dict(os.environ, CIRCLECI_TOKEN=token)
                answer = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout)
                size = sum(os.path.getsize(os.path.join(folder, name)) for folder, dummy, names in os.walk(dest) for name in names)
                samples[key].append(dict(seconds=answer['seconds'], max_rss_kib=answer['max_rss_kib'], rc=answer['rc'],
                                         bytes=size, load=round(load[0], 2), stderr=answer.get('stderr', '')[-300:]))
                shutil.rmtree(dest, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    summary = {}
    for key, values in samples.items():
        good = [value for value in values if value['rc'] == 0] or values
        summary[key] = dict(seconds=round(statistics.median(value['seconds'] for value in good), 3),
                            max_rss_kib=int(statistics.median(value['max_rss_kib'] for value in good)),
                            bytes=good[0]['bytes'], rc=[value['rc'] for value in values],
                            load_1min=[value['load'] for value in values])
        if any(value['rc'] for value in values):
            summary[key]['stderr'] = next(value['stderr'] for value in values if value['rc'])
    for who in ('module', 'requests'):
        big, small = summary[who + '_big'], summary[who + '_small']
        transfer = big['seconds'] - small['seconds']
        summary[who] = dict(rss_growth_kib=big['max_rss_kib'] - small['max_rss_kib'],
                            mib_per_s_total=round(LARGE_SIZE / MIB / big['seconds'], 1),
                            mib_per_s_transfer=round(LARGE_SIZE / MIB / transfer, 1) if transfer > 0 else None,
                            complete=big['bytes'] == LARGE_SIZE)
    return dict(runs=runs, samples=samples, summary=summary)


# --------------------------------------------------------------------------- report

def fmt(value, pattern='%.2f'):
    return '—' if value is None else pattern % value


def table(results):
    lines = ['| projects | run | wall s (median) | CPU s | runs | API requests | writes | in flight: max / p90 | limit s | × limit | × uri | load (1 min) |',
             '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    for block in results['counts']:
        for key, row in block['rows'].items():
            load = row['load_1min']
            lines.append('| %d | %s%s | %s | %s | %d | %s | %s | %s / %s | %s | %s | %s | %s |' % (
                block['projects'], row['label'], ' ⚠ ' + '; '.join(row['problems']) if row['problems'] else '',
                fmt(row['seconds']), fmt(row.get('cpu_seconds'), '%.1f'), row['runs'], fmt(row.get('requests'), '%d'), fmt(row.get('writes'), '%d'),
                fmt(row.get('max_in_flight'), '%d'), fmt(row.get('in_flight_p90'), '%d'), fmt(row.get('limit')), fmt(row.get('x_limit'), '%.1f'),
                fmt(row.get('x_uri'), '%.2f'), '%.1f (%.1f–%.1f)' % (statistics.median(load), min(load), max(load))))
    return '\n'.join(lines)


def scenario_table(results):
    block = results['scenarios']
    what = {'contexts': '%d contexts × %d variables' % (block['contexts'], block['context_vars']),
            'settings': '%d projects: settings, webhook, schedule' % block['settings_projects']}
    lines = ['| scenario | run | wall s (median) | CPU s | runs | API requests | writes | in flight: max / p90 | limit s | × limit | load (1 min) |',
             '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    for key, row in block['rows'].items():
        load = row['load_1min']
        lines.append('| %s | %s%s | %s | %s | %d | %s | %s | %s / %s | %s | %s | %s |' % (
            what.get(row.get('scenario'), '—'), row['label'], ' ⚠ ' + '; '.join(row['problems']) if row['problems'] else '',
            fmt(row['seconds']), fmt(row.get('cpu_seconds'), '%.1f'), row['runs'], fmt(row.get('requests'), '%d'), fmt(row.get('writes'), '%d'),
            fmt(row.get('max_in_flight'), '%d'), fmt(row.get('in_flight_p90'), '%d'), fmt(row.get('limit')), fmt(row.get('x_limit'), '%.1f'),
            '%.1f (%.1f–%.1f)' % (statistics.median(load), min(load), max(load))))
    return '\n'.join(lines)


def scenario_requests(results):
    """The requests of each scenario row by kind (ids and slugs replaced), from its first run."""
    lines = []
    for key, row in results['scenarios']['rows'].items():
        if row.get('request_kinds'):
            lines.append('- %s: %s%s' % (row['label'], ', '.join('%s × %d' % (kind, number) for kind, number in row['request_kinds'].items()),
                                         ' (varied between runs)' if row.get('request_kinds_vary') else ''))
    return '\n'.join(lines)


def rate_table(results):
    lines = ['| projects | run | wall s | API requests that passed | 429s seen | failed requests | requests / 10 s | wall ÷ (requests / 10 s) | load (1 min) |',
             '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |']
    for row in results.get('rate_limited', []):
        if row.get('unsupported'):
            lines.append('| %d | %s | (the emulator in use has no rate limiter) | | | | | | |' % (row['projects'], row['label']))
            continue
        passed = row.get('passed_requests') or 0
        floor = passed / results['rate_limit_rps']
        lines.append('| %d | %s%s | %s | %d | %d | %d | %.1f | %.2f | %s |' % (
            row['projects'], row['label'], ' ⚠ ' + '; '.join(row['problems']) if row['problems'] else '', fmt(row['seconds']),
            passed, row.get('rate_limited') or 0, row.get('failed_requests') or 0, floor, row['seconds'] / floor if floor else 0,
            ', '.join('%.1f' % value for value in row['load_1min'])))
    return '\n'.join(lines)


def artifact_table(artifact):
    summary = artifact['summary']
    lines = ['| download of gh/acme/api build 298, one child process | wall s | peak RSS MiB | RSS growth for the 48 MiB file | '
             'extra s for 48 MiB (big − small) | MiB/s (whole process) | × baseline time |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    baseline = summary['requests_big']['seconds']
    for who, label in (('module', 'community.circleci.artifact'), ('requests', 'plain `requests`, streamed (baseline)')):
        big, small, facts = summary[who + '_big'], summary[who + '_small'], summary[who]
        lines.append('| %s, small.txt | %.2f | %.1f | | | | |' % (label, small['seconds'], small['max_rss_kib'] / 1024.0))
        lines.append('| %s, big/large.bin (48 MiB)%s | %.2f | %.1f | %+.1f MiB | %.2f | %.0f | %.2f |' % (
            label, '' if facts['complete'] else ' ⚠ incomplete', big['seconds'], big['max_rss_kib'] / 1024.0,
            facts['rss_growth_kib'] / 1024.0, big['seconds'] - small['seconds'], facts['mib_per_s_total'], big['seconds'] / baseline))
    return '\n'.join(lines)


def derive(results):
    """Limits and ratios: limit = floor + requests x RTT / concurrency (the concurrency used by that row)."""
    rtt = results['latency_ms'] / 1000.0
    blocks = list(results['counts']) + ([results['scenarios']] if results.get('scenarios') else [])
    for block in blocks:
        rows = block['rows']
        if 'floor' not in rows:
            continue
        floor = rows['floor']['seconds']
        for key, row in rows.items():
            if key == 'floor' or row.get('requests') is None:
                continue
            concurrency = row.get('reported_concurrency') or row.get('in_flight_p90') or row.get('max_in_flight')
            if not concurrency:  # an emulator without the in-flight gauge, and a module that does not say
                continue
            row['concurrency'] = concurrency
            row['concurrency_from'] = ('the module result' if row.get('reported_concurrency') else
                                       'the emulator in_flight gauge, 90th percentile while busy' if row.get('in_flight_p90') else
                                       'the emulator max_in_flight')
            row['limit'] = round(floor + row['requests'] * rtt / concurrency, 3)
            row['x_limit'] = round(row['seconds'] / row['limit'], 2)
            reference = rows.get(URI_REFERENCE.get(key, ''))
            if reference:
                row['x_uri'] = round(row['seconds'] / reference['seconds'], 3)
        # The plot's limit line: the collection's no-op at its concurrency.
        noop = rows.get('role_noop')
        if noop and noop.get('limit'):
            block['limit_noop'] = noop['limit']


def collection_source(collection_root):
    """The git commit of the tree the staged collection came from (best effort), e.g. .../wt/x/.build -> .../wt/x."""
    source = os.path.dirname(os.path.abspath(collection_root))
    try:
        commit = subprocess.run(['git', '-C', source, 'rev-parse', '--short', 'HEAD'], check=True, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(['git', '-C', source, 'status', '--porcelain', '--', 'plugins', 'roles'], check=True,
                               capture_output=True, text=True).stdout.strip()
        return commit + (' (plugins/roles modified)' if dirty else '')
    except (subprocess.CalledProcessError, OSError):
        return None


def machine():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            model = next((line.split(':', 1)[1].strip() for line in handle if line.startswith('model name')), platform.processor())
    except OSError:
        model = platform.processor()
    try:
        import ansible  # pylint: disable=import-outside-toplevel
        ansible_version = ansible.__version__ if hasattr(ansible, '__version__') else None
        if ansible_version is None:
            from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        ansible_version = None
    return dict(cpu=model, cores=os.cpu_count(), python=platform.python_version(), system=platform.platform(),
                ansible_core=ansible_version)


def write_docs(results, text, plot_python, compare=()):
    """Replace the generated block of docs/performance.md; draw docs/performance.png."""
    doc = os.path.join(ROOT, 'docs', 'performance.md')
    begin, end = '<!-- bench:begin (generated by make bench; edit outside this block) -->', '<!-- bench:end -->'
    with open(doc, encoding='utf-8') as handle:
        content = handle.read()
    if begin not in content or end not in content:
        raise SystemExit('docs/performance.md has no generated block (%s ... %s)' % (begin, end))
    head, rest = content.split(begin, 1)
    dummy, tail = rest.split(end, 1)
    with open(doc, 'w', encoding='utf-8') as handle:
        handle.write(head + begin + '\n' + text + '\n' + end + tail)
    if plot_python and results['counts']:  # the plot is of the project counts; a run of the scenarios alone has none
        command = [plot_python, os.path.join(HERE, 'plot.py'), results['path'], os.path.join(ROOT, 'docs', 'performance.png')]
        for other in compare:
            command += ['--compare', other]
        subprocess.run(command, check=True)


def report(results):
    parts = ['### %s: collection %s, %d variables per project, %d ms per API answer' % (
        results['label'], results['collection_commit'] or results['collection_root'], results['vars'], results['latency_ms']),
        '',
        'Measured %s on %s (%d cores, shared), Python %s, ansible-core %s; load average (1 min) from %.1f to %.1f during the run. '
        'Concurrency for the limit: %s.' % (
            results['date'], results['machine']['cpu'], results['machine']['cores'], results['machine']['python'],
            results['machine']['ansible_core'], results['load_min'], results['load_max'], results['concurrency_note'])]
    if results['counts']:
        parts += ['', table(results)]
    if results.get('measured_with'):
        parts[2] += ' Measured interleaved with %s (same emulator, same load; the floor and uri rows are shared).' % (
            ', '.join(results['measured_with']))
    if results.get('scenarios'):
        block = results['scenarios']
        heading = 'API v2 resources, already converged (one seed):'
        if block.get('setup'):
            setup = block['setup']
            heading = ('API v2 resources, already converged (one seed; the contexts\' variables and ledger written by one '
                       'converge before the runs: %.1f s, %d requests, %d writes):'
                       % (setup['seconds'], setup['requests'] or 0, setup['writes'] or 0))
        parts += ['', heading, '', scenario_table(results), '', 'Requests by kind (first run of each row):', '',
                  scenario_requests(results)]
    if results.get('rate_limited'):
        parts += ['', 'Under the emulator\'s rate limiter (%g requests/s, burst %d):' % (results['rate_limit_rps'], results['rate_limit_burst']),
                  '', rate_table(results)]
    if results.get('artifact'):
        parts += ['', 'Artifact download (median of %d runs each; peak RSS of the child process from wait4):' % results['artifact']['runs'],
                  '', artifact_table(results['artifact'])]
    return '\n'.join(parts)


# --------------------------------------------------------------------------- scenarios: contexts, project settings

def measure_scenarios(emulator, options, paths, workdir, collections, all_results, wanted, scenario_runs, context_vars, say):
    """Seed once, write the contexts' variables and ledger with one real converge, then the no-op and audit rows.

    Returns the problems that fail the benchmark (a write in a no-op, an audit out of sync, a failed run or set-up).
    """
    rows = [row for row in SCENARIO_ROWS if row['key'] == 'floor' or not wanted or row['key'] in wanted]
    rows = [row for row in rows if scenario_runs.get(row['key'], 0) > 0 and not (
        (row.get('scenario') == 'contexts' and options.contexts <= 0) or (row.get('scenario') == 'settings' and options.settings_projects <= 0))]
    if not any(row.get('scenario') for row in rows):
        return []
    problems = []
    vars_path = write_scenario_vars(workdir, max(options.contexts, 0), context_vars, max(options.settings_projects, 0))
    emulator.seed(scenario_seed(max(options.contexts, 0), max(options.settings_projects, 0)))
    emulator.latency(options.latency_ms)
    setup = None
    if any(row.get('scenario') == 'contexts' for row in rows):
        emulator.clear()
        timer_path = os.path.join(workdir, 'timer.json')
        log_path = os.path.join(OUT, 'logs', '%s-ctx_setup.log' % collections[0]['safe_label'])
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        seconds, rc, dummy = run_playbook(paths['ctx_module'], vars_path, playbook_env(emulator, collections[0]['root'], timer_path),
                                          workdir, log_path)
        counters = emulator.counters()
        wrong = check_contexts(emulator, options.contexts, context_vars)
        setup = dict(seconds=round(seconds, 3), requests=counters.get('total'), writes=counters.get('writes'), rc=rc, wrong_after=wrong)
        say(None, 'scenarios: set-up converge of %d contexts x %d variables: %.2f s, %s requests, %s writes, rc %d, %d wrong after' % (
            options.contexts, context_vars, seconds, setup['requests'], setup['writes'], rc, wrong))
        if rc != 0 or wrong:
            problems.append('the contexts set-up converge failed (rc %d, %d variables wrong; log: %s)' % (rc, wrong, os.path.relpath(log_path, ROOT)))
            rows = [row for row in rows if row.get('scenario') != 'contexts']
    samples = {(row['key'], collection['label']): [] for row in rows for collection in collections}
    for number in range(max(scenario_runs[row['key']] for row in rows)):
        for row in rows:
            if number >= scenario_runs[row['key']]:
                continue
            for collection in (collections[:1] if row['key'] == 'floor' else collections):
                sample = measure(emulator, row, 'scenarios', context_vars, options, paths, vars_path, workdir, collection)
                samples[(row['key'], collection['label'])].append(sample)
                say(collection if row['key'] != 'floor' else None,
                    'scenarios, %-62s run %d: %7.2f s, %s requests, %s writes, in flight max %s p90 %s, load %.1f%s' % (
                        row['label'], number + 1, sample['seconds'], sample['requests'], sample['writes'], sample['max_in_flight'],
                        sample['in_flight_p90'], sample['load'][0], (' PROBLEM: ' + '; '.join(sample['problems'])) if sample['problems'] else ''))
                if number == 0 and sample.get('request_kinds'):
                    say(None, '    requests: ' + ', '.join('%s x %d' % item for item in sample['request_kinds'].items()))
                problems += ['%s: %s' % (row['key'], problem) for problem in sample['problems']]
    for collection, results in zip(collections, all_results):
        block = dict(contexts=options.contexts, context_vars=context_vars, settings_projects=options.settings_projects, setup=setup, rows={})
        for row in rows:
            own = samples[(row['key'], (collections[0] if row['key'] == 'floor' else collection)['label'])]
            block['rows'][row['key']] = dict(summarise(own), label=row['label'], scenario=row.get('scenario'))
        results['scenarios'] = block
    return sorted(set(problems))


# --------------------------------------------------------------------------- main

def parse_runs(text, default):
    runs = dict(default)
    for part in (text or '').split(','):
        if part.strip():
            count, number = part.split(':')
            runs[int(count)] = int(number)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--projects', default=None, help='comma-separated project counts (default 20,100; 20,100,500 with --full)')
    parser.add_argument('--vars', type=int, default=30)
    parser.add_argument('--latency-ms', type=int, default=50)
    parser.add_argument('--runs', default='', help='runs per count, e.g. 20:5,100:3,500:1')
    parser.add_argument('--row-runs', default='', help='runs of one row per count, e.g. uri_noop:100:2,uri_noop:500:1 (0 skips it); '
                        'of a scenario row without count, e.g. ctx_audit:3')
    parser.add_argument('--full', action='store_true', default=os.environ.get('BENCH_FULL') == '1',
                        help='also 500 projects, the uri first converge at 20, the full first converge under the rate limit '
                             '(default from BENCH_FULL=1)')
    parser.add_argument('--rows', default='', help='only these row keys (comma-separated), e.g. floor,module_noop; the scenario rows '
                        '(%s) also by group: contexts, settings, scenarios' % ','.join(sorted(SCENARIO_KEYS)))
    parser.add_argument('--contexts', type=int, default=20, help='contexts of the contexts scenario (0: skip it)')
    parser.add_argument('--context-vars', type=int, default=None, help='variables per context (default: --vars)')
    parser.add_argument('--settings-projects', type=int, default=20, help='projects of the settings scenario (0: skip it)')
    parser.add_argument('--scenario-runs', type=int, default=3, help='runs per scenario row (the loops: %s)' % ', '.join(
        '%s %d' % item for item in sorted(SCENARIO_ROW_RUNS.items())))
    parser.add_argument('--rate-limit', type=float, default=10.0, help='requests/s of the rate-limited run (0: skip it)')
    parser.add_argument('--rate-projects', type=int, default=100)
    parser.add_argument('--rate-drift', type=int, default=3, help='variables per project to fix in the rate-limited converge')
    parser.add_argument('--no-artifact', action='store_true')
    parser.add_argument('--artifact-runs', type=int, default=5)
    parser.add_argument('--collection-root', action='append', default=None,
                        help='[LABEL=]DIR holding ansible_collections/community/circleci (default: this tree\'s .build); give it '
                             'more than once to measure several collections interleaved, under the same load')
    parser.add_argument('--emulator-dir', default=os.path.join(ROOT, 'tests', 'emulator'),
                        help='directory holding the circleci_emulator package')
    parser.add_argument('--label', default='this tree')
    parser.add_argument('--write-docs', action='store_true', help='update docs/performance.md (generated block) and docs/performance.png')
    parser.add_argument('--plot-python', default=None, help='a Python with matplotlib, to draw the plot')
    parser.add_argument('--compare', action='append', default=[], help='another results JSON whose role no-op the plot shows too')
    options = parser.parse_args()
    collections = []
    for spec in options.collection_root or [os.path.join(ROOT, '.build')]:
        label, dummy, root = spec.rpartition('=') if '=' in spec else ('', '', spec)
        root = os.path.abspath(root)
        if not os.path.isdir(os.path.join(root, 'ansible_collections', 'community', 'circleci')):
            raise SystemExit('no ansible_collections/community/circleci under %s (run make collection)' % root)
        label = label or (options.label if len(options.collection_root or []) <= 1 else collection_source(root) or root)
        collections.append(dict(label=label, root=root, commit=collection_source(root),
                                safe_label=''.join(char if char.isalnum() or char in '-_.' else '-' for char in label)))
    counts = [int(part) for part in (options.projects or ('20,100,500' if options.full else '20,100')).split(',')]
    runs = parse_runs(options.runs, DEFAULT_RUNS)
    row_runs = {key: dict(value) for key, value in ROW_RUNS.items()}
    scenario_runs = {row['key']: SCENARIO_ROW_RUNS.get(row['key'], options.scenario_runs) for row in SCENARIO_ROWS}
    for part in filter(None, options.row_runs.split(',')):
        if part.count(':') == 1:  # a scenario row: key:runs
            key, number = part.split(':')
            scenario_runs[key] = int(number)
            continue
        key, count, number = part.split(':')
        row_runs.setdefault(key, {})[int(count)] = int(number)
    wanted = set()
    groups = {'contexts': {row['key'] for row in SCENARIO_ROWS if row.get('scenario') == 'contexts'},
              'settings': {row['key'] for row in SCENARIO_ROWS if row.get('scenario') == 'settings'}, 'scenarios': SCENARIO_KEYS}
    for part in filter(None, options.rows.split(',')):
        wanted |= groups.get(part, {part})
    count_keys = {row['key'] for row in ROWS} | {URI_FIRST['key']}
    # Count rows run unless only scenario rows (and the floor, which they measure themselves) are asked for.
    run_counts = not wanted or bool(wanted & (count_keys - {'floor'})) or ('floor' in wanted and not wanted & SCENARIO_KEYS)
    context_vars = options.context_vars or options.vars
    os.makedirs(OUT, exist_ok=True)
    emulator = Emulator(os.path.abspath(options.emulator_dir), os.path.join(OUT, 'emulator-%s.json' % collections[0]['safe_label']))
    started = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    all_results = [dict(label=collection['label'], collection_root=collection['root'], collection_commit=collection['commit'],
                        emulator_dir=options.emulator_dir, vars=options.vars, latency_ms=options.latency_ms, machine=machine(),
                        date=date, counts=[], scenarios=None, rate_limited=[], rate_limit_rps=options.rate_limit,
                        rate_limit_burst=max(1, int(options.rate_limit)),
                        measured_with=[other['label'] for other in collections if other is not collection])
                   for collection in collections]

    def say(collection, text):
        label = ('%s: ' % collection['label']) if len(collections) > 1 and collection else ''
        print('[%6.0f s] %s%s' % (time.monotonic() - started, label, text), flush=True)

    emulator.start()
    workdir = tempfile.mkdtemp(prefix='work-', dir=OUT)
    try:
        paths = write_playbooks(workdir)
        for projects in (counts if run_counts else []):
            vars_path = write_vars(workdir, projects, options.vars)
            rows = [row for row in ROWS if not wanted or row['key'] in wanted]
            if options.full and projects == min(counts) and (not wanted or URI_FIRST['key'] in wanted):
                rows.append(URI_FIRST)
            counts_of = {row['key']: row_runs.get(row['key'], {}).get(projects, runs.get(projects, 1)) for row in rows}
            rows = [row for row in rows if counts_of[row['key']] > 0]
            # The floor and the uri baseline do not use the collection: measured once, shared by every collection.
            samples = {(row['key'], collection['label']): [] for row in rows for collection in collections}
            for number in range(max([counts_of[row['key']] for row in rows] or [0])):
                for row in rows:
                    if number >= counts_of[row['key']]:
                        continue
                    for collection in (collections[:1] if row['key'] == 'floor' or row.get('uri') else collections):
                        sample = measure(emulator, row, projects, options.vars, options, paths, vars_path, workdir, collection)
                        samples[(row['key'], collection['label'])].append(sample)
                        say(collection if not (row['key'] == 'floor' or row.get('uri')) else None,
                            '%3d projects, %-45s run %d: %7.2f s, %s requests, %s writes, in flight max %s p90 %s, load %.1f%s' % (
                                projects, row['label'], number + 1, sample['seconds'], sample['requests'], sample['writes'],
                                sample['max_in_flight'], sample['in_flight_p90'], sample['load'][0],
                                (' PROBLEM: ' + '; '.join(sample['problems'])) if sample['problems'] else ''))
            for collection, results in zip(collections, all_results):
                block = dict(projects=projects, rows={})
                for row in rows:
                    shared = row['key'] == 'floor' or row.get('uri')
                    block['rows'][row['key']] = dict(summarise(samples[(row['key'], (collections[0] if shared else collection)['label'])]),
                                                     label=row['label'])
                results['counts'].append(block)
        scenario_problems = measure_scenarios(emulator, options, paths, workdir, collections, all_results, wanted, scenario_runs,
                                              context_vars, say)
        if options.rate_limit and (not wanted or 'rate' in wanted):
            scenarios = [('drifted:%d' % options.rate_drift, 'converge, %d of %d variables per project to fix' % (options.rate_drift, options.vars))]
            if options.full:
                scenarios.append(('empty', 'first converge'))
            vars_path = write_vars(workdir, options.rate_projects, options.vars)
            for state, label in scenarios:
                for collection, results in zip(collections, all_results):
                    row = dict(key='rate-' + state.replace(':', '-'), label=label, playbook='role_settings', state=state, writes='drift',
                               module='community.circleci.project_settings')
                    if not emulator.rate_limit(0):
                        results['rate_limited'].append(dict(projects=options.rate_projects, label=label, unsupported=True))
                        continue
                    sample = measure(emulator, row, options.rate_projects, options.vars, options, paths, vars_path, workdir, collection,
                                     rate=options.rate_limit)
                    say(collection, '%3d projects under %g req/s, %s: %.2f s, %s requests (%s were 429), load %.1f%s' % (
                        options.rate_projects, options.rate_limit, label, sample['seconds'], sample['requests'], sample['rate_limited'],
                        sample['load'][0], (' PROBLEM: ' + '; '.join(sample['problems'])) if sample['problems'] else ''))
                    results['rate_limited'].append(dict(summarise([sample]), projects=options.rate_projects, label=label))
        if not options.no_artifact and (not wanted or 'artifact' in wanted):
            for collection, results in zip(collections, all_results):
                results['artifact'] = measure_artifact(emulator, options, options.artifact_runs, collection['root'])
                say(collection, 'artifact download measured')
    finally:
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    texts = []
    for collection, results in zip(collections, all_results):
        derive(results)
        loads = [load for block in results['counts'] for row in block['rows'].values() for load in row['load_1min']]
        loads += [load for row in results['rate_limited'] for load in row.get('load_1min', [])]
        loads += [load for row in (results['scenarios'] or {}).get('rows', {}).values() for load in row['load_1min']]
        results['load_min'], results['load_max'] = (min(loads), max(loads)) if loads else (0, 0)
        blocks = list(results['counts']) + ([results['scenarios']] if results.get('scenarios') else [])
        sources = {row.get('concurrency_from') for block in blocks for row in block['rows'].values() if row.get('concurrency_from')}
        concurrencies = sorted({row.get('concurrency') for block in blocks for key, row in block['rows'].items()
                                if row.get('concurrency') and not key.startswith('uri')})
        results['concurrency_note'] = 'collection rows %s (from %s); uri rows 1 request at a time' % (
            '/'.join(str(value) for value in concurrencies) or '—', ' and '.join(sorted(sources)) or '—')
        results['seconds_total'] = round(time.monotonic() - started, 1)
        results['path'] = os.path.join(OUT, 'results-%s.json' % collection['safe_label'])
        with open(results['path'], 'w', encoding='utf-8') as handle:
            json.dump(results, handle, indent=1)
        texts.append(report(results))
        print('\n' + texts[-1] + '\n\n(results in %s)' % os.path.relpath(results['path'], ROOT))
    print('\n%.0f s in all' % (time.monotonic() - started))
    if scenario_problems:
        raise SystemExit('FAILED (docs not written): ' + '; '.join(scenario_problems))
    if options.write_docs:
        write_docs(all_results[0], '\n\n'.join(texts), options.plot_python,
                   list(options.compare) + [results['path'] for results in all_results[1:]])


if __name__ == '__main__':
    main()
