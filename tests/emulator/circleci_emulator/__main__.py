"""Command line: python -m circleci_emulator [--host] [--port] [--seed] [--tls] [--ready-file] ..."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from . import faults as faults_mod, ratelimit
from .server import Emulator, ListenError


def _rate_limit(text):
    """argparse type for --rate-limit: a bad value is a usage error, not a traceback."""
    try:
        return ratelimit.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(prog='python -m circleci_emulator', description='CircleCI API v1.1 emulator')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=int(os.environ.get('EMULATOR_PORT') or 8765))
    parser.add_argument('--artifact-port', type=int, default=0)
    parser.add_argument('--storage-port', type=int, default=0)
    parser.add_argument('--foreign-port', type=int, default=0, help='port of the listener that redirect faults point to')
    parser.add_argument('--seed', default='default', help='default, or a YAML/JSON seed file')
    parser.add_argument('--tls', action='store_true', help='serve HTTPS on the API port with a throw-away CA')
    parser.add_argument('--ca-file', default=None, help='where to write the CA certificate (with --tls)')
    parser.add_argument('--ready-file', default=None, help='write the ready JSON here once listening')
    parser.add_argument('--time-scale', type=float, default=1.0, help='build clock speed factor')
    parser.add_argument('--latency-ms', type=float, default=0.0, help='added latency per API request')
    parser.add_argument('--rate-limit', default=None, type=_rate_limit, metavar='RPS[:BURST]',
                        help='per-token token bucket: RPS refill rate, BURST bucket size (default RPS)')
    parser.add_argument('--fault', action='append', default=[], help="fault rule, e.g. 'kind=429,path=/envvar,nth=3,retry_after=date'")
    return parser.parse_args(argv)


def write_ready(path, info):
    """Write JSON atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.ready-', dir=directory)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump(info, handle, indent=2)
    os.replace(tmp, path)


def main(argv=None):
    """Run in the foreground until SIGTERM/SIGINT."""
    args = parse_args(argv)
    rules = [faults_mod.parse_cli_rule(r) for r in args.fault]
    try:
        emulator = Emulator(seed=args.seed, host=args.host, port=args.port, tls=args.tls, time_scale=args.time_scale,
                            latency_ms=args.latency_ms, fault_rules=rules, artifact_port=args.artifact_port,
                            storage_port=args.storage_port, ca_file=args.ca_file, rate_limit=args.rate_limit,
                            foreign_port=args.foreign_port)
    except ListenError as exc:
        # one line, no traceback: `make emulator` users only need to know which port and how to pick another
        sys.stderr.write('circleci-emulator: %s\n' % exc)
        return 2
    done = threading.Event()

    def _stop(_signum, _frame):
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    emulator.start()
    if args.ready_file:
        write_ready(args.ready_file, emulator.ready_info())
    sys.stdout.write('CircleCI emulator ready: api_url=%s token=%s admin_url=%s\n'
                     % (emulator.api_url, emulator.tokens.get('user'), emulator.admin_url))
    sys.stdout.flush()
    while not done.wait(0.5):
        pass
    emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
