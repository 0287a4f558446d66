"""`make demo`: start the emulator with its seed, run the collection's demo playbook, stop the emulator.

Exits non-zero if any step fails.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
STATE_FILE = os.path.join(ROOT, '.build', 'demo', 'emulator.json')
REPORT_DIR = os.path.join(ROOT, '.build', 'demo', 'report')


def emulator(*args):
    command = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', STATE_FILE] + list(args)
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main():
    os.makedirs(REPORT_DIR, exist_ok=True)
    emulator('--stop')  # a left-over from an interrupted demo
    facts = json.loads(emulator('--time-scale', '4'))
    print('CircleCI emulator running at %s' % facts['api_url'], flush=True)
    environment = dict(os.environ, CIRCLECI_API_URL=facts['api_url'], CIRCLECI_TOKEN=facts['tokens']['user'],
                       ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build'), ANSIBLE_STDOUT_CALLBACK='default',
                       ANSIBLE_CALLBACK_RESULT_FORMAT='yaml', ANSIBLE_DISPLAY_SKIPPED_HOSTS='false',
                       ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    command = [os.path.join(VENV_BIN, 'ansible-playbook'), 'community.circleci.demo',
               '-e', json.dumps({'circleci_admin_url': facts['admin_url'], 'demo_report_dir': REPORT_DIR,
                                 'ansible_python_interpreter': sys.executable})]
    try:
        status = subprocess.run(command, env=environment, check=False).returncode
    finally:
        emulator('--stop')
        print('CircleCI emulator stopped', flush=True)
    if status == 0:
        print('\nDemo finished. Drift report: %s' % os.path.join(REPORT_DIR, 'drift-report.md'))
    else:
        print('\nDemo FAILED (ansible-playbook exited %d)' % status, file=sys.stderr)
    sys.exit(status)


if __name__ == '__main__':
    main()
