# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one module of this collection in a child process and report that process's peak resident memory.

Usage: python peak_rss.py MODULE ARGS_JSON

The module runs as ``python -m ansible_collections.community.circleci.plugins.modules.MODULE ARGS_FILE``
(AnsibleModule reads its arguments from that file), so the process measured is the module itself, with
its download threads, and not Ansible. Its peak RSS comes from ``os.wait4`` on that one child
(``ru_maxrss``, KiB on Linux). Secrets go through the environment (CIRCLECI_TOKEN), not ARGS_JSON.
Prints JSON: {"rc": int, "max_rss_kib": int, "result": the module's JSON result, "stderr": str}.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile


def collections_root(start):
    """The directory holding ``ansible_collections`` above ``start``."""
    path = os.path.abspath(start)
    while path != os.path.dirname(path):
        if os.path.basename(path) == 'ansible_collections':
            return os.path.dirname(path)
        path = os.path.dirname(path)
    raise SystemExit('peak_rss.py must live inside an ansible_collections tree')


def main():
    module, module_args = sys.argv[1], json.loads(sys.argv[2])
    root = collections_root(__file__)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(part for part in (root, env.get('PYTHONPATH')) if part)
    with tempfile.TemporaryDirectory() as work:
        args_file = os.path.join(work, 'args.json')
        with open(args_file, 'w', encoding='utf-8') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': module_args}, handle)
        with open(os.path.join(work, 'stdout'), 'w+b') as out, open(os.path.join(work, 'stderr'), 'w+b') as err:
            child = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'ansible_collections.community.circleci.plugins.modules.' + module, args_file],
                stdout=out, stderr=err, env=env, cwd=work)
            dummy, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode('utf-8', 'replace'), err.read().decode('utf-8', 'replace')
    try:
        result = json.loads(stdout)
    except ValueError:
        result = {'unparsable_stdout': stdout[-2000:]}
    print(json.dumps({'rc': child.returncode, 'max_rss_kib': usage.ru_maxrss, 'result': result, 'stderr': stderr[-2000:]}))


if __name__ == '__main__':
    main()
