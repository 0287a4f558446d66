# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared machinery of the robustness suites (fault matrix, canary): emulator, fault proxy, module runner.

Each emulator runs in a child process of its own (``serve_emulator``) together with two small fault-injecting
proxies in front of its artifact and storage listeners: the emulator's own fault rules apply to ``/api/``
requests only, and artifact downloads need faults too. The proxies are transparent until armed.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, '.build')
COLLECTION = os.path.join(BUILD, 'ansible_collections', 'community', 'circleci')
MODULES_DIR = os.path.join(COLLECTION, 'plugins', 'modules')
OUTPUT = os.path.join(ROOT, 'tests', 'output', 'robustness')
PYTHON = sys.executable

HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers',
                        'transfer-encoding', 'upgrade'))
STATUS_KINDS = ('429', '500', '502', '503', '504')
REASONS = {429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
           504: 'Gateway Time-out'}


def require_collection():
    """Fail early, with the command to run, when the staged collection or the emulator is missing."""
    if not os.path.isdir(MODULES_DIR):
        sys.exit('The staged collection is missing (%s): run `make collection` first.' % MODULES_DIR)
    try:
        import circleci_emulator  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        sys.exit('The emulator package is not importable: run with the project venv (`make venv`, then .venv/bin/python).')


def module_names():
    """Every module of the collection, by file name."""
    return sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith('.py') and not name.startswith('_'))


# -- The fault proxy ------------------------------------------------------------------------------------


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients that gave up (timeouts) are expected
        return


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    def _dispatch(self):
        proxy = self.server.proxy
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        if self.path.startswith('/_proxy/'):
            return self._control(proxy, body)
        rule = proxy.pick(self.command)
        entry = {'method': self.command, 'path': urlsplit(self.path).path, 'listener': proxy.name}
        kind = rule['kind'] if rule else None
        if kind:
            entry['fault'] = kind
        if kind == 'slow':
            time.sleep(float(rule.get('delay', 3)))
        if kind in STATUS_KINDS and not rule.get('after'):
            return self._status_fault(proxy, entry, int(kind))
        if kind == 'reset' and not rule.get('after'):
            return self._reset(proxy, entry)
        try:
            status, headers, payload = proxy.forward(self.command, self.path, self.headers, body)
        except OSError:
            entry['status'] = 0
            proxy.record(entry)
            return self._reset(None, None)
        if kind in STATUS_KINDS:
            return self._status_fault(proxy, entry, int(kind))
        if kind == 'reset':
            return self._reset(proxy, entry)
        entry['status'] = status
        proxy.record(entry)
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command == 'HEAD' or not payload:
                return None
            if kind == 'truncated':
                self.wfile.write(payload[:len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True
        return None

    def _control(self, proxy, body):
        """``POST /_proxy/arm {"rules": [...]}``, ``POST /_proxy/clear``, ``GET /_proxy/status`` (fired, log)."""
        if self.path == '/_proxy/arm':
            proxy.arm(json.loads(body or b'{}').get('rules') or [])
        elif self.path == '/_proxy/clear':
            proxy.clear()
        answer = json.dumps(proxy.status()).encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _status_fault(self, proxy, entry, code):
        entry['status'] = code
        proxy.record(entry)
        if code == 429:
            body, ctype, headers = b'Rate limited.', 'text/plain; charset=utf-8', {'Retry-After': '1'}
        elif code in (502, 504):
            body = ('<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n'
                    '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n' % (code, REASONS[code], code, REASONS[code])).encode()
            ctype, headers = 'text/html', {}
        else:
            body, ctype, headers = json.dumps({'message': REASONS[code]}).encode(), 'application/json', {}
        try:
            self.send_response(code)
            self.send_header('Content-Type', ctype)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _reset(self, proxy, entry):
        if proxy is not None:
            entry['status'] = 0
            proxy.record(entry)
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    do_GET = do_HEAD = do_POST = do_DELETE = do_PUT = do_PATCH = _dispatch  # noqa: N815


class FaultProxy:
    """A reverse proxy to ``target`` (an http base URL) that fires armed faults on matching requests.

    A rule is ``{"kind", "method"?, "nth"?, "delay"?, "after"?}`` with the emulator's kinds (429, 500, 502,
    503, 504, reset, slow, truncated); ``nth`` (default 1) counts the requests the rule matches. It is
    controlled over HTTP under ``/_proxy/`` (see ``_ProxyHandler._control``).
    """

    def __init__(self, name, target):
        self.name = name
        self.target = urlsplit(target)
        self.server = _QuietServer(('127.0.0.1', 0), _ProxyHandler)
        self.server.proxy = self
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self._lock = threading.Lock()
        self.rules = []
        self.log = []
        threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True,
                         name='fault-proxy-%s' % name).start()

    def arm(self, rules):
        with self._lock:
            self.rules = [dict(rule, seen=0, fired=0) for rule in rules]

    def clear(self):
        with self._lock:
            self.rules = []
            self.log = []

    def pick(self, method):
        with self._lock:
            chosen = None
            for rule in self.rules:
                if rule.get('method') and rule['method'] != method:
                    continue
                rule['seen'] += 1
                if chosen is None and rule['seen'] == rule.get('nth', 1):
                    rule['fired'] += 1
                    chosen = rule
            return chosen

    def status(self):
        with self._lock:
            return {'fired': sum(rule['fired'] for rule in self.rules), 'log': list(self.log)}

    def record(self, entry):
        with self._lock:
            self.log.append(entry)

    def forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            outgoing = {name: value for name, value in headers.items() if name.lower() not in HOP_BY_HOP and name.lower() != 'host'}
            connection.request(method, path, body=body, headers=outgoing)
            response = connection.getresponse()
            payload = response.read()
            out_headers = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
            if method != 'HEAD' and not any(name.lower() == 'content-length' for name, dummy in out_headers):
                out_headers.append(('Content-Length', str(len(payload))))
            return response.status, out_headers, payload
        finally:
            connection.close()


def serve_emulator(seed='default'):
    """In this process: the emulator, with fault proxies in front of its artifact and storage listeners.

    Prints one JSON line (the URLs and tokens) and serves until stdin closes. Run by ``Emulator`` below in a
    process of its own, so that busy emulators and the harness do not share one interpreter lock.
    """
    from circleci_emulator import start_emulator  # pylint: disable=import-outside-toplevel
    handle = start_emulator(seed=seed)
    emulator = handle.emulator
    artifact_proxy = FaultProxy('artifacts', emulator.artifact_url)
    storage_proxy = FaultProxy('storage', emulator.storage_url)
    # Artifact URLs and the artifact host's redirects are built from these two attributes, re-read on reset.
    emulator.artifact_url = artifact_proxy.url
    emulator.storage_url = storage_proxy.url
    emulator.reset()
    print(json.dumps({'api_url': handle.api_url, 'admin_url': handle.admin_url, 'tokens': emulator.tokens,
                      'artifact_proxy': artifact_proxy.url, 'storage_proxy': storage_proxy.url}), flush=True)
    sys.stdin.read()
    handle.stop()


# -- The emulator, from the harness ----------------------------------------------------------------------


class Emulator:
    """A client of one emulator (and its two fault proxies) running in a child process."""

    def __init__(self, seed='default'):
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [PYTHON, '-c', 'import sys; sys.path.insert(0, %r); import _harness; _harness.serve_emulator(%r)' % (HERE, seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError('the emulator did not start (exit code %s)' % self.process.wait())
        info = json.loads(line)
        self.api_url = info['api_url']
        self.admin_url = info['admin_url']
        self.tokens = info['tokens']
        self.proxies = {'artifacts': info['artifact_proxy'], 'storage': info['storage_proxy']}
        self.session = requests.Session()

    def admin(self, method, path, payload=None, data=None, ok=(200,)):
        response = self.session.request(method, self.admin_url + path, json=payload, data=data, timeout=30)
        if response.status_code not in ok:
            raise RuntimeError('emulator admin %s %s: HTTP %s %s' % (method, path, response.status_code, response.text[:300]))
        return response

    def proxy(self, name, action, rules=None):
        """``action`` is arm, clear or status; returns the proxy's ``{"fired", "log"}``."""
        url = '%s/_proxy/%s' % (self.proxies[name], action)
        if action == 'status':
            response = self.session.get(url, timeout=30)
        else:
            response = self.session.post(url, json={'rules': rules or []}, timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self):
        for name in self.proxies:
            self.proxy(name, 'clear')
        self.admin('POST', '/reset')

    def seed(self, seed_dict):
        self.admin('POST', '/seed', data=json.dumps(seed_dict).encode('utf-8'))

    def state(self):
        return self.admin('GET', '/state').json()

    def requests(self):
        return self.admin('GET', '/requests').json()['requests']

    def clear_requests(self):
        self.admin('DELETE', '/requests')

    def faults(self):
        return self.admin('GET', '/faults').json()['rules']

    def arm(self, rules):
        self.admin('POST', '/faults', {'rules': rules, 'replace': True})

    def clock(self, **values):
        self.admin('POST', '/clock', values)

    def leaks(self):
        return self.admin('GET', '/leaks').json()['leaks']

    def api(self, method, path, token=None, body=None):
        """A plain API call, for scenario set-up (before the module runs and the log is cleared)."""
        headers = {'Accept': 'application/json', 'Circle-Token': token or self.tokens['user']}
        response = self.session.request(method, self.api_url + '/' + path.lstrip('/'), json=body, headers=headers, timeout=30)
        response.raise_for_status()
        return response.json() if response.text.strip() not in ('', '""') else None

    def stop(self):
        self.session.close()
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


# -- Running a module as Ansible does --------------------------------------------------------------------


def internal_args(name, tmpdir, check_mode=False, diff=False):
    """The ``_ansible_*`` arguments the controller adds to every module invocation (ansible-core 2.19)."""
    return {
        '_ansible_check_mode': check_mode, '_ansible_no_log': False, '_ansible_debug': False, '_ansible_diff': diff,
        '_ansible_verbosity': 0, '_ansible_version': '2.19', '_ansible_module_name': 'community.circleci.' + name,
        '_ansible_syslog_facility': 'LOG_USER', '_ansible_selinux_special_fs': ['fuse', 'nfs', 'vboxsf', 'ramfs', '9p', 'vfat'],
        '_ansible_shell_executable': '/bin/sh', '_ansible_keep_remote_files': False, '_ansible_tmpdir': tmpdir,
        '_ansible_remote_tmp': tmpdir, '_ansible_ignore_unknown_opts': False, '_ansible_target_log_info': None,
        '_ansible_tracebacks_for': [],
    }


def module_env(home):
    """A clean environment: no CIRCLECI_* fallbacks from the caller, the staged collection importable."""
    return {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': home, 'LANG': 'C.UTF-8', 'PYTHONPATH': BUILD,
            'PYTHONDONTWRITEBYTECODE': '1'}


def write_args(name, args, workdir, check_mode=False, diff=False):
    """Write ``{"ANSIBLE_MODULE_ARGS": ...}`` (with the controller's internal arguments) to workdir/args.json."""
    tmpdir = os.path.join(workdir, 'tmp')
    os.makedirs(tmpdir, exist_ok=True)
    args_path = os.path.join(workdir, 'args.json')
    with open(args_path, 'w', encoding='utf-8') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': dict(args, **internal_args(name, tmpdir, check_mode, diff))}, handle)
    return args_path


def run_module(name, args, workdir, check_mode=False, diff=False, timeout=120):
    """Run plugins/modules/<name>.py once in a fresh interpreter with ``{"ANSIBLE_MODULE_ARGS": ...}`` in argv[1].

    AnsibleModule reads its arguments from that file when the module runs as a script (ansible-core 2.19:
    ``ansible.module_utils._internal._debugging.load_params``). Returns a dict with rc, stdout, stderr, seconds
    and ``hung`` when the harness had to kill it.
    """
    args_path = write_args(name, args, workdir, check_mode, diff)
    started = time.monotonic()
    try:
        done = subprocess.run([PYTHON, os.path.join(MODULES_DIR, name + '.py'), args_path], cwd=workdir, env=module_env(workdir),
                              capture_output=True, text=True, timeout=timeout, check=False)
        return {'rc': done.returncode, 'stdout': done.stdout, 'stderr': done.stderr, 'seconds': time.monotonic() - started, 'hung': False}
    except subprocess.TimeoutExpired as expired:
        return {'rc': None, 'stdout': expired.stdout or '', 'stderr': expired.stderr or '', 'seconds': time.monotonic() - started,
                'hung': True}


PRELOAD = (
    'ansible.module_utils.basic', 'requests', 'urllib3', 'cryptography.hazmat.primitives.serialization',
    'cryptography.hazmat.primitives.asymmetric.ed25519', 'cryptography.hazmat.primitives.asymmetric.rsa',
    'ansible_collections.community.circleci.plugins.module_utils._module',
)


def serve_forked_modules():
    """A module launcher: imports what every module imports once, then forks one child per module run.

    Reads one JSON request a line on stdin (``module``, ``args``, ``cwd``, ``stdout``, ``stderr``, ``timeout``) and
    answers one JSON line (``rc``, ``hung``). The child is a new process that executes the module file as
    ``__main__`` with the arguments file in argv[1], exactly as ``python <module>.py args.json`` would, only
    without paying for the imports again. It must be started with ``module_env()`` and be single-threaded.
    """
    import atexit  # pylint: disable=import-outside-toplevel
    import importlib  # pylint: disable=import-outside-toplevel
    import runpy  # pylint: disable=import-outside-toplevel
    import traceback  # pylint: disable=import-outside-toplevel
    for name in PRELOAD:
        importlib.import_module(name)
    reply = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: becomes the module run
            code = 1
            try:
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.close(devnull)
                for fd, path in ((1, request['stdout']), (2, request['stderr'])):
                    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.dup2(target, fd)
                    os.close(target)
                os.chdir(request['cwd'])
                sys.argv = [request['module'], request['args']]
                sys.path[:] = [os.path.dirname(request['module'])] + [entry for entry in sys.path if entry not in ('', HERE)]
                runpy.run_path(request['module'], run_name='__main__')
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except BaseException:  # pylint: disable=broad-except
                traceback.print_exc()
            finally:
                try:
                    atexit._run_exitfuncs()  # pylint: disable=protected-access
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)  # pylint: disable=protected-access
        deadline = time.monotonic() + request['timeout']
        hung = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                done, status = os.waitpid(pid, 0)
                hung = True
                break
            time.sleep(0.01)
        reply.write(json.dumps({'rc': None if hung else os.waitstatus_to_exitcode(status), 'hung': hung}) + '\n')
        reply.flush()


class ForkedModules:
    """Runs modules through ``serve_forked_modules`` in a child process (one per harness worker)."""

    def __init__(self, home):
        code = 'import sys; sys.path.insert(0, %r); import _harness; _harness.serve_forked_modules()' % HERE
        self.process = subprocess.Popen([PYTHON, '-c', code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,  # pylint: disable=consider-using-with
                                        env=module_env(home), cwd=home)

    def run(self, name, args, workdir, check_mode=False, diff=False, timeout=120):
        """Like ``run_module``, in a forked child of the preloaded launcher."""
        args_path = write_args(name, args, workdir, check_mode, diff)
        out, err = os.path.join(workdir, 'stdout'), os.path.join(workdir, 'stderr')
        started = time.monotonic()
        self.process.stdin.write(json.dumps({'module': os.path.join(MODULES_DIR, name + '.py'), 'args': args_path, 'cwd': workdir,
                                             'stdout': out, 'stderr': err, 'timeout': timeout}) + '\n')
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        with open(out, encoding='utf-8', errors='replace') as handle:
            stdout = handle.read()
        with open(err, encoding='utf-8', errors='replace') as handle:
            stderr = handle.read()
        return dict(answer, stdout=stdout, stderr=stderr, seconds=time.monotonic() - started)

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def parse_result(run):
    """The module's JSON result, or None when stdout is not exactly one JSON object."""
    text = run['stdout'] if isinstance(run['stdout'], str) else run['stdout'].decode('utf-8', 'replace')
    try:
        result = json.loads(text.strip())
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def new_private_key():
    """A fresh unencrypted Ed25519 private key in PKCS#8 PEM (its body holds no public key, only the seed)."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ed25519  # pylint: disable=import-outside-toplevel
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode('ascii')


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def scratch_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
