"""Launcher for other processes: start the emulator detached if needed, print its ready JSON; or stop it.

python -m circleci_emulator.ensure --state-file PATH [--seed default|FILE] [--tls] [--time-scale X] [--port N]
                                   [--rate-limit RPS[:BURST]]
python -m circleci_emulator.ensure --state-file PATH --stop
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


def _answers(info):
    url = info.get('admin_url', '') + '/health'
    ctx = None
    if url.startswith('https') and info.get('ca_path'):
        import ssl  # pylint: disable=import-outside-toplevel
        ctx = ssl.create_default_context(cafile=info['ca_path'])
    try:
        with urllib.request.urlopen(url, timeout=2, context=ctx) as resp:  # nosec - local emulator
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def healthy(info):
    """True if the state file describes a live emulator."""
    return bool(info) and _alive(info.get('pid')) and _answers(info)


def start(state_file, extra_args, timeout=20.0):
    """Start detached and wait for the ready file."""
    if os.path.exists(state_file):
        os.unlink(state_file)
    log_path = state_file + '.log'
    os.makedirs(os.path.dirname(os.path.abspath(state_file)), exist_ok=True)
    env = dict(os.environ)
    env['PYTHONPATH'] = PACKAGE_PARENT + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    log_start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    with open(log_path, 'ab') as log, open(os.devnull, 'rb') as devnull:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, '-m', 'circleci_emulator', '--ready-file', state_file] + extra_args,
            stdin=devnull, stdout=log, stderr=log, env=env, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = _read(state_file)
        if info and info.get('pid') == proc.pid and _answers(info):
            return info
        if proc.poll() is not None:
            raise SystemExit(_failure_line(log_path, log_start) or 'circleci emulator exited with status %s; see %s'
                             % (proc.returncode, log_path))
        time.sleep(0.1)
    raise SystemExit('circleci emulator did not become ready; see %s' % log_path)


def _failure_line(log_path, offset):
    """The emulator's own one-line error (e.g. a busy port) from what it logged in this start, if any."""
    try:
        with open(log_path, 'rb') as handle:
            handle.seek(offset)
            lines = handle.read().decode('utf-8', 'replace').splitlines()
    except OSError:
        return None
    found = [line for line in lines if line.startswith('circleci-emulator: ')]
    return found[-1] if found else None


def stop(state_file, timeout=10.0):
    """SIGTERM the emulator of the state file and remove the file."""
    info = _read(state_file)
    if info and _alive(info.get('pid')):
        os.kill(int(info['pid']), signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(info['pid']):
            time.sleep(0.1)
    if os.path.exists(state_file):
        os.unlink(state_file)
    return info


def main(argv=None):
    """Entry point."""
    parser = argparse.ArgumentParser(prog='python -m circleci_emulator.ensure')
    parser.add_argument('--state-file', required=True)
    parser.add_argument('--stop', action='store_true')
    parser.add_argument('--seed', default=None)
    parser.add_argument('--tls', action='store_true')
    parser.add_argument('--time-scale', default=None)
    parser.add_argument('--port', default='0')
    parser.add_argument('--rate-limit', default=None, metavar='RPS[:BURST]')
    args = parser.parse_args(argv)
    state_file = os.path.abspath(args.state_file)
    if args.stop:
        info = stop(state_file)
        sys.stdout.write(json.dumps({'stopped': bool(info), 'pid': (info or {}).get('pid')}) + '\n')
        return 0
    info = _read(state_file)
    if not healthy(info):
        extra = ['--port', str(args.port)]
        if args.seed:
            extra += ['--seed', args.seed]
        if args.tls:
            extra += ['--tls', '--ca-file', state_file + '.ca.pem']
        if args.time_scale:
            extra += ['--time-scale', str(args.time_scale)]
        if args.rate_limit:
            extra += ['--rate-limit', args.rate_limit]
        info = start(state_file, extra)
    sys.stdout.write(json.dumps(info) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
