"""`make compat`: the docs tests and the smoke playbook under each ansible-core of the matrix.

Usage: python tests/compat/run.py --venvs DIR VERSION...

For each VERSION, runs tests/harness/doc_playbooks.py --compat with DIR/VERSION/bin/ansible-playbook (the virtual
environment `make compat-venvs` built), its output in .build/compat/VERSION.log, printed only when it fails. Ends
with one line per version (ansible-core, Python, PASS or FAIL, time) and exits non-zero if any failed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--venvs', required=True)
    parser.add_argument('versions', nargs='+')
    args = parser.parse_args(argv)
    rows, failed = [], []
    for version in args.versions:
        bin_dir = os.path.join(args.venvs, version, 'bin')
        log_path = os.path.join(ROOT, '.build', 'compat', version + '.log')
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        try:
            core = subprocess.run([os.path.join(bin_dir, 'ansible-playbook'), '--version'], capture_output=True,
                                  text=True, check=True).stdout.split('\n')[0]
            python = subprocess.run([os.path.join(bin_dir, 'python'), '-c', 'import platform; print(platform.python_version())'],
                                    capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as error:
            rows.append((version, '?', '?', 'FAIL', 0.0))
            failed.append(version)
            print('compat %s: no usable virtual environment in %s (%s); run make compat-venvs' % (version, bin_dir, error))
            continue
        print('compat %s: %s, Python %s ...' % (version, core, python), flush=True)
        started = time.monotonic()
        with open(log_path, 'w', encoding='utf-8') as log:
            status = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'harness', 'doc_playbooks.py'), '--compat',
                                     '--ansible-bin', bin_dir, '--workdir', os.path.join(ROOT, '.build', 'compat', version)],
                                    stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        took = time.monotonic() - started
        with open(log_path, encoding='utf-8') as log:
            output = log.read()
        verdict = 'PASS' if status == 0 else 'FAIL'
        rows.append((version, core.replace('ansible-playbook ', ''), python, verdict, took))
        if status != 0:
            failed.append(version)
            print(output)
        else:
            print(output.rstrip('\n').split('\n')[-1])
    print('\ncompat: ansible-core matrix')
    print('%-8s %-18s %-8s %-6s %s' % ('version', 'ansible-core', 'Python', 'result', 'time'))
    for version, core, python, verdict, took in rows:
        print('%-8s %-18s %-8s %-6s %.0fs' % (version, core, python, verdict, took))
    print('%d passed, %d failed' % (len(rows) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
