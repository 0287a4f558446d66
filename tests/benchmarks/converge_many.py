"""Benchmark: converge and audit N projects x M env vars through the roles, against the emulator.

Measures wall time and API requests for the project_settings role's first run and its no-op
re-run, and for the env_drift role's audit. The emulator adds a fixed latency to every API answer
to stand for an internet round trip. Run with `make bench` (BENCH_ARGS='--projects 20 --vars 30
--latency-ms 50' by default); prints a Markdown table and writes .build/bench/results.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, '.build', 'bench')
STATE_FILE = os.path.join(OUT, 'emulator.json')


def admin(facts, path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(facts['admin_url'] + path, data=data, method=method or ('POST' if data else 'GET'),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as answer:  # nosec: loopback admin API of our own emulator
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None


def emulator(*args):
    command = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', STATE_FILE] + list(args)
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def projects(count):
    return ['gh/bench/svc-%02d' % number for number in range(1, count + 1)]


def seed(count):
    return {
        'user': {'login': 'bench-bot', 'name': 'Bench Bot'},
        'tokens': {'user': 'bench-user-token', 'read_only': 'bench-readonly-token',
                   'project': {'token': 'bench-project-token', 'project': 'github/bench/svc-01'}},
        'projects': [{'slug': 'github/bench/svc-%02d' % number, 'followed': True} for number in range(1, count + 1)],
    }


def playbook(directory, count, variables):
    data = [{'project': slug, 'env_vars': [{'name': 'VAR_%02d' % index, 'value': 'value-%s-%02d' % (slug[-2:], index)}
                                           for index in range(1, variables + 1)]} for slug in projects(count)]
    expected = {'VAR_%02d' % index: None for index in range(1, variables + 1)}
    plays = [
        {'name': 'converge', 'hosts': 'localhost', 'gather_facts': False, 'tags': ['converge'],
         'tasks': [{'name': 'Converge', 'ansible.builtin.include_role': {'name': 'community.circleci.project_settings'},
                    'vars': {'project_settings_projects': data}}]},
        {'name': 'audit', 'hosts': 'localhost', 'gather_facts': False, 'tags': ['audit'],
         'tasks': [{'name': 'Audit', 'ansible.builtin.include_role': {'name': 'community.circleci.env_drift'},
                    'vars': {'env_drift_projects': projects(count), 'env_drift_expected': expected,
                             'env_drift_report_dir': os.path.join(directory, 'report')}}]},
    ]
    path = os.path.join(directory, 'bench.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(plays, handle)
    return path


def run(facts, path, tag):
    admin(facts, '/requests', method='DELETE')
    environment = dict(os.environ, CIRCLECI_API_URL=facts['api_url'], CIRCLECI_TOKEN='bench-user-token',
                       ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build'), ANSIBLE_LOCALHOST_WARNING='false',
                       ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path, '--tags', tag,
               '-e', json.dumps({'ansible_python_interpreter': sys.executable})]
    started = time.monotonic()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    counters = admin(facts, '/counters')
    return {'seconds': round(elapsed, 2), 'requests': counters['total'], 'writes': counters['writes']}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--projects', type=int, default=20)
    parser.add_argument('--vars', type=int, default=30)
    parser.add_argument('--latency-ms', type=int, default=50)
    options = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    emulator('--stop')
    facts = json.loads(emulator())
    try:
        admin(facts, '/seed', seed(options.projects))
        admin(facts, '/latency', {'ms': options.latency_ms})
        with tempfile.TemporaryDirectory() as directory:
            path = playbook(directory, options.projects, options.vars)
            results = {
                'first converge': run(facts, path, 'converge'),
                'no-op converge': run(facts, path, 'converge'),
                'drift audit': run(facts, path, 'audit'),
            }
    finally:
        emulator('--stop')
    with open(os.path.join(OUT, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(dict(options=vars(options), results=results), handle, indent=2)
    print('%d projects x %d variables, %d ms per API answer:\n' % (options.projects, options.vars, options.latency_ms))
    print('| run | wall time (s) | API requests | writes |')
    print('| --- | --- | --- | --- |')
    for name, result in results.items():
        print('| %s | %.1f | %d | %d |' % (name, result['seconds'], result['requests'], result['writes']))


if __name__ == '__main__':
    main()
