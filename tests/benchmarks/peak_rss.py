"""Run one download in a child process; report its wall time and peak resident memory as JSON.

    python peak_rss.py --collection-root DIR module MODULE ARGS_JSON
    python peak_rss.py requests artifact ARGS_JSON   (ARGS: api_url, project, build_num, path, dest)

`module` runs the collection's module as `python -m ansible_collections.community.circleci.plugins.modules.MODULE
ARGS_FILE` (as tests/integration/targets/artifact/files/peak_rss.py does), so the process measured is
the module itself with its threads, not Ansible. `requests` is the baseline: a plain streamed
download with `requests`, 1 MiB chunks, the token in Basic auth (which requests drops on the
redirect to storage). Peak RSS is `ru_maxrss` of that one child, from os.wait4 (KiB on Linux).
The token comes from CIRCLECI_TOKEN.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHUNK = 1024 * 1024


def stream(args):
    """The baseline download (runs in the child)."""
    import requests  # pylint: disable=import-outside-toplevel
    token = os.environ['CIRCLECI_TOKEN']
    vcs, org, name = args['project'].split('/')
    vcs = {'gh': 'github', 'bb': 'bitbucket'}.get(vcs, vcs)
    session = requests.Session()
    listing = session.get('%s/project/%s/%s/%s/%d/artifacts' % (args['api_url'], vcs, org, name, args['build_num']),
                          headers={'Circle-Token': token, 'Accept': 'application/json'}, timeout=30)
    listing.raise_for_status()
    item = next(entry for entry in listing.json() if entry['path'] == args['path'])
    target = os.path.join(args['dest'], args['path'])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    written = 0
    with session.get(item['url'], auth=(token, ''), stream=True, timeout=30) as answer:
        answer.raise_for_status()
        with open(target, 'wb') as handle:
            for chunk in answer.iter_content(CHUNK):
                handle.write(chunk)
                written += len(chunk)
    print(json.dumps({'changed': True, 'bytes': written}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--collection-root', default=None)
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('mode', choices=['module', 'requests'])
    parser.add_argument('module')
    parser.add_argument('args')
    options = parser.parse_args()
    args = json.loads(options.args)
    if options.child:
        stream(args)
        return
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as work:
        if options.mode == 'module':
            env['PYTHONPATH'] = os.pathsep.join(part for part in (os.path.abspath(options.collection_root), env.get('PYTHONPATH')) if part)
            args_file = os.path.join(work, 'args.json')
            with open(args_file, 'w', encoding='utf-8') as handle:
                json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
            command = [sys.executable, '-m', 'ansible_collections.community.circleci.plugins.modules.' + options.module, args_file]
        else:
            command = [sys.executable, os.path.abspath(__file__), '--child', 'requests', options.module, options.args]
        with open(os.path.join(work, 'stdout'), 'w+b') as out, open(os.path.join(work, 'stderr'), 'w+b') as err:
            started = time.monotonic()
            child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=work)  # pylint: disable=consider-using-with
            dummy, status, usage = os.wait4(child.pid, 0)
            seconds = time.monotonic() - started
            child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode('utf-8', 'replace'), err.read().decode('utf-8', 'replace')
    try:
        result = json.loads(stdout)
    except ValueError:
        result = {'unparsable_stdout': stdout[-2000:]}
    rc = child.returncode or (1 if result.get('failed') else 0)
    print(json.dumps({'rc': rc, 'seconds': round(seconds, 3), 'max_rss_kib': usage.ru_maxrss,
                      'result': {key: result.get(key) for key in ('changed', 'failed', 'msg', 'bytes', 'api_requests')},
                      'stderr': stderr[-2000:]}))


if __name__ == '__main__':
    main()
