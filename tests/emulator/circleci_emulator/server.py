"""HTTP listeners (API + admin, artifacts, storage), routing, faults, request log, and the Emulator object."""
# pylint: disable=too-many-arguments

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

from . import admin_ext, concurrency, edn, fault_answers, faults, keys, ratelimit, state as state_mod, v2
from .state import ApiError

API_PREFIX = '/api/v1.1'
API_V2_PREFIX = '/api/v2'
WRITE_METHODS = ('POST', 'PUT', 'DELETE', 'PATCH')
HTML_404 = (
    '<!DOCTYPE html>\n<html><head><title>Continuous Integration and Deployment</title>'
    '<meta content="text/html; charset=utf-8" http-equiv="Content-Type"></head>'
    '<body><div id="app"><h1>404</h1><p>The page you are looking for was not found.</p></div></body></html>\n'
)
BLOCK = 65536


class Response:  # pylint: disable=too-few-public-methods,too-many-arguments
    """A handler answer: kind is 'json' (payload is data), 'html404', 'empty', 'raw' (payload bytes).

    json_always: JSON whatever the Accept header says (API v2); otherwise v1.1's JSON-or-EDN rule applies."""

    def __init__(self, status, payload=None, kind='json', headers=None, content_type=None, json_always=False):
        self.status = status
        self.payload = payload
        self.kind = kind
        self.headers = headers or {}
        self.content_type = content_type
        self.json_always = json_always


def wants_json(accept: str | None) -> bool:
    """True if the Accept header names application/json (or a +json type)."""
    if not accept:
        return False
    for part in accept.split(','):
        media = part.split(';')[0].strip().lower()
        if media == 'application/json' or (media.startswith('application/') and media.endswith('+json')):
            return True
    return False


def extract_token(headers, query):
    """Return (token, way) from Circle-Token header, Basic auth, or circle-token query parameter."""
    tok = headers.get('Circle-Token')
    if tok:
        return tok.strip(), 'header'
    auth = headers.get('Authorization') or ''
    if auth.lower().startswith('basic '):
        try:
            user = base64.b64decode(auth[6:].strip()).decode('utf-8').split(':', 1)[0]
        except (ValueError, UnicodeDecodeError):
            user = ''
        if user:
            return user, 'basic'
    if query.get('circle-token'):
        return query['circle-token'][-1], 'query'
    return None, 'none'


def split_version(path):
    """('v1.1' | 'v2' | None, the path after the version prefix): fault rules match their path regex on the second part
    and their optional api matcher on the first, so both API versions go through the same fault code."""
    for version, prefix in (('v1.1', API_PREFIX), ('v2', API_V2_PREFIX)):
        if path == prefix or path.startswith(prefix + '/'):
            return version, path[len(prefix):]
    return None, path


def redact_query(query):
    """Query dict for the log, token values redacted."""
    out = {}
    for key, values in query.items():
        value = values[-1] if len(values) == 1 else list(values)
        if key.lower() == 'circle-token':
            value = '<redacted>'
        out[key] = value
    return out


def body_keys(raw):
    """The key paths of a JSON object body for the log (``advanced``, ``advanced.oss``: two levels), never a value.

    None when the body is empty, not JSON or not an object. Lets a test see which fields a write sent
    (a settings PATCH naming only the settings that differ) without logging what they hold.
    """
    try:
        body = json.loads(raw.decode('utf-8')) if raw and raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    paths = []
    for key in sorted(body, key=str):
        paths.append(str(key))
        if isinstance(body[key], dict):
            paths.extend('%s.%s' % (key, inner) for inner in sorted(body[key], key=str))
    return paths


class Server(ThreadingHTTPServer):
    """Threaded HTTP server with daemon threads; optionally TLS (handshake in the worker thread)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, emulator, listener, ssl_context=None):
        self.emulator = emulator
        self.listener = listener
        self.ssl_context = ssl_context
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):  # quiet: clients hang up, TLS handshakes fail, faults reset
        return


class ListenError(OSError):
    """A listener could not bind. Carries the option that picks another port, so the CLI can say it in one line."""

    def __init__(self, host, port, reason, option):
        super().__init__('cannot listen on %s:%d: %s; pick another with %s' % (host, port, reason, option))
        self.option = option


def listen(addr, handler, emulator, listener, ssl_context=None, option='--port'):
    """Bind a Server, turning a busy or forbidden port into a ListenError instead of a bare socket error."""
    try:
        return Server(addr, handler, emulator, listener, ssl_context)
    except OSError as exc:
        reason = (os.strerror(exc.errno) if exc.errno else str(exc)).lower()
        raise ListenError(addr[0], addr[1], reason, option) from exc


class BaseHandler(BaseHTTPRequestHandler):
    """Common plumbing."""

    protocol_version = 'HTTP/1.1'
    server_version = 'nginx'

    def version_string(self):
        return 'nginx'

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    @property
    def emu(self):
        """The Emulator."""
        return self.server.emulator

    def read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked)."""
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b';')[0] or b'0', 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b''.join(chunks)
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def send_bytes(self, status, body: bytes, content_type=None, headers=None):
        """Send a full answer with Content-Length."""
        self.send_response(status)
        if content_type:
            self.send_header('Content-Type', content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)

    def send_json(self, status, data, headers=None):
        """Send JSON."""
        self.send_bytes(status, json.dumps(data).encode('utf-8'), 'application/json; charset=utf-8', headers)

    def reset_connection(self):
        """Abort the TCP connection (RST) without an answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self.dispatch()

    def do_HEAD(self):  # pylint: disable=invalid-name
        """HEAD."""
        self.dispatch()

    def do_POST(self):  # pylint: disable=invalid-name
        """POST."""
        self.dispatch()

    def do_PUT(self):  # pylint: disable=invalid-name
        """PUT."""
        self.dispatch()

    def do_PATCH(self):  # pylint: disable=invalid-name
        """PATCH."""
        self.dispatch()

    def do_DELETE(self):  # pylint: disable=invalid-name
        """DELETE."""
        self.dispatch()

    def dispatch(self):
        """Handle the request."""
        raise NotImplementedError


class ApiHandler(BaseHandler):
    """API (/api/v1.1) and admin (/_emulator) listener."""

    def dispatch(self):
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        if path == '/_emulator' or path.startswith('/_emulator/'):
            self.admin(path[len('/_emulator'):], raw)
            return
        with self.emu.in_flight.track(path):
            self.serve(split, path, query, raw)

    def serve(self, split, path, query, raw):
        """Answer one non-admin request: latency, rate limit, faults, then the router."""
        token, way = extract_token(self.headers, query)
        kind, info = self.emu.state_token_info(token)
        api_version, versioned_path = split_version(path)
        entry = {'method': self.command, 'path': path, 'query': redact_query(query), 'auth': way, 'token_kind': kind,
                 'write': self.command in WRITE_METHODS, 'listener': 'api', 'api': api_version}
        keys_sent = body_keys(raw)
        if keys_sent is not None:
            entry['body_keys'] = keys_sent
        is_api = path.startswith('/api/')
        if is_api and self.emu.latency_ms > 0:
            self.emu.stop_event.wait(self.emu.latency_ms / 1000.0)
        if is_api and self.over_rate_limit(token, entry):
            return
        rule = self.emu.faults.pick(self.command, versioned_path, faults.REDIRECT_MARK in query, api_version) if is_api else None
        if rule is not None:
            self.apply_fault(rule, entry, path, split.query, query, raw, info, kind)
            return
        resp = self.api_response(path, split.query, query, raw, info, kind)
        entry['status'] = resp.status
        self.emu.record(entry, api=is_api)
        self.send_api(resp)

    def over_rate_limit(self, token, entry):
        """Answer 429 at once if the token's bucket is empty; the request then has no effect and meets no fault rule."""
        retry_after = self.emu.rate_limiter.take(token)
        if retry_after is None:
            return False
        entry.update(status=429, fault='rate-limit')
        self.emu.record(entry, api=True, rate_limited=True)
        self.send_json(429, {'message': 'Rate limit exceeded.'}, {'Retry-After': str(retry_after)})
        return True

    def api_response(self, path, raw_query, query, raw, info, kind):  # pylint: disable=too-many-arguments
        """Run the router, turning errors into answers (never a traceback)."""
        try:
            with self.emu.lock:
                return route(self.emu, self.command, path, raw_query, query, raw, self.headers, info, kind)
        except ApiError as exc:
            if exc.body is None:
                return Response(exc.status, kind='html404')
            return Response(exc.status, exc.body)
        except Exception:  # pylint: disable=broad-except
            return Response(500, {'message': 'Internal Server Error'})

    def send_api(self, resp: Response):
        """Render a Response according to the Accept header."""
        headers = dict(resp.headers)
        if resp.kind == 'html404':
            self.send_bytes(resp.status, HTML_404.encode('utf-8'), 'text/html; charset=utf-8', headers)
        elif resp.kind == 'empty':
            self.send_bytes(resp.status, b'', resp.content_type, headers)
        elif resp.kind == 'raw':
            self.send_bytes(resp.status, resp.payload, resp.content_type, headers)
        elif resp.json_always or wants_json(self.headers.get('Accept')):
            self.send_bytes(resp.status, json.dumps(resp.payload, separators=(',', ':')).encode('utf-8'),
                            'application/json; charset=utf-8', headers)
        else:
            self.send_bytes(resp.status, edn.to_edn(resp.payload).encode('utf-8'), 'application/edn; charset=utf-8', headers)

    def apply_fault(self, rule, entry, path, raw_query, query, raw, info, kind):  # pylint: disable=too-many-arguments
        """Answer with the fault instead of (or after) the real handler (see fault_answers)."""
        fault_answers.answer(self, rule, entry, lambda: self.api_response(path, raw_query, query, raw, info, kind))

    # ------------------------------------------------------------------ admin
    def admin(self, sub, raw):
        """/_emulator/* admin API (never logged, never counted, no auth)."""
        emu = self.emu
        method = self.command
        try:
            data = {}
            if raw.strip():
                if sub == '/seed':
                    data = yaml.safe_load(raw.decode('utf-8'))
                else:
                    data = json.loads(raw.decode('utf-8'))
            if sub in ('', '/', '/health') and method == 'GET':
                self.send_json(200, {'ok': True, 'api_url': emu.api_url, 'pid': os.getpid()})
            elif sub == '/reset' and method == 'POST':
                emu.reset()
                self.send_json(200, {'status': 'reset'})
            elif sub == '/seed' and method == 'POST':
                emu.load_seed(data)
                self.send_json(200, {'status': 'seeded', 'projects': sorted(emu.state.projects)})
            elif sub == '/requests' and method == 'GET':
                self.send_json(200, {'requests': emu.requests()})
            elif sub == '/requests' and method == 'DELETE':
                emu.clear_log()
                self.send_json(200, {'status': 'cleared'})
            elif sub == '/counters' and method == 'GET':
                self.send_json(200, emu.counters())
            elif sub == '/state' and method == 'GET':
                with emu.lock:
                    self.send_json(200, emu.state.dump())
            elif sub == '/leaks' and method == 'GET':
                self.send_json(200, {'leaks': emu.leaks()})
            elif sub == '/faults' and method == 'GET':
                self.send_json(200, {'rules': emu.faults.view()})
            elif sub == '/faults' and method == 'POST':
                rules = data.get('rules') if isinstance(data, dict) else None
                if rules is None and isinstance(data, dict) and data.get('kind'):
                    rules = [data]
                emu.faults.add(rules or [], replace=bool(isinstance(data, dict) and data.get('replace')))
                self.send_json(200, {'rules': emu.faults.view()})
            elif sub == '/faults' and method == 'DELETE':
                emu.faults.clear()
                self.send_json(200, {'rules': []})
            elif sub == '/latency' and method == 'POST':
                emu.latency_ms = max(0.0, float(data.get('ms', 0)))
                self.send_json(200, {'ms': emu.latency_ms})
            elif sub == '/clock' and method in ('POST', 'GET'):
                if data.get('scale') is not None:
                    emu.clock.set_scale(float(data['scale']))
                if data.get('advance') is not None:
                    emu.clock.advance(float(data['advance']))
                self.send_json(200, {'now': state_mod.iso(emu.clock.now()), 'scale': emu.clock.scale})
            elif (sub, method) in admin_ext.ROUTES:
                self.send_json(200, admin_ext.ROUTES[(sub, method)](emu, data))
            elif sub.startswith('/v2/'):
                with emu.lock:
                    self.send_json(*v2.admin(emu, method, sub[len('/v2'):], data))
            elif sub.startswith('/projects/') and sub.endswith('/envvar') and method == 'POST':
                parts = sub.split('/')
                if len(parts) != 6:
                    raise ValueError('expected /_emulator/projects/<vcs>/<user>/<name>/envvar')
                with emu.lock:
                    if parts[2] == 'circleci':  # a standalone project: circleci/<org id>/<project id> (UUID or base58)
                        found = emu.state.v2.find_project(parts[2:5])
                        if found is None:
                            raise ApiError(404, 'Project not found')
                        proj = found[0]
                    else:
                        proj = emu.state.project(parts[2], parts[3], parts[4])
                    if data.get('delete'):
                        proj['env_vars'].pop(data.get('name'), None)
                        self.send_json(200, {'deleted': data.get('name')})
                    else:
                        self.send_json(200, emu.state.env_set(proj, data))
            else:
                self.send_json(404, {'message': 'unknown admin endpoint %s %s' % (method, sub)})
        except ApiError as exc:
            self.send_json(exc.status, exc.body or {'message': 'not found'})
        except (ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as exc:
            self.send_json(400, {'message': 'bad admin request: %s' % exc})


class ArtifactHandler(BaseHandler):
    """Stands for *.circle-artifacts.com: needs the token, redirects to storage."""

    def dispatch(self):
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        self.read_body()
        token, way = extract_token(self.headers, query)
        kind, info = self.emu.state_token_info(token)
        entry = {'method': self.command, 'path': split.path, 'query': redact_query(query), 'auth': way, 'token_kind': kind,
                 'write': self.command in WRITE_METHODS, 'listener': 'artifacts'}
        parts = split.path.lstrip('/').split('/', 2)
        status = 404
        try:
            if kind not in ('user', 'read_only', 'project'):
                status = 401
                self.send_json(401, {'message': 'You must log in first.'})
                return
            found = None
            if len(parts) == 3 and parts[1].isdigit():
                with self.emu.lock:
                    found = self.emu.state.resolve_artifact(parts[0], int(parts[1]), unquote(parts[2]))
            if found is None or (kind == 'project' and info.get('project') != found[0]['slug']):
                self.send_json(404, {'message': 'Artifact not found'})
                return
            art = found[2]
            sig = hmac.new(b'emulator', art['blob'].encode(), hashlib.sha256).hexdigest()
            location = '%s/%s/%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=%s' % (
                self.emu.storage_url, art['blob'], quote(os.path.basename(art['path']) or 'file'), sig)
            status = 302
            self.send_bytes(302, b'', None, {'Location': location})
        finally:
            entry['status'] = status
            self.emu.record(entry, api=False)


class StorageHandler(BaseHandler):
    """Stands for object storage: serves bytes without auth, records token leaks."""

    def dispatch(self):
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        self.read_body()
        token, way = extract_token(self.headers, query)
        kind = self.emu.state_token_info(token)[0]
        entry = {'method': self.command, 'path': split.path, 'query': redact_query(query), 'auth': way, 'token_kind': kind,
                 'write': self.command in WRITE_METHODS, 'listener': 'storage'}
        self.check_leak(split.path, query)
        blob_id = split.path.lstrip('/').split('/', 1)[0]
        with self.emu.lock:
            blob = self.emu.state.blobs.get(blob_id)
        if blob is None:
            entry['status'] = 404
            self.emu.record(entry, api=False)
            self.send_bytes(404, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code></Error>', 'application/xml')
            return
        entry['status'] = 200
        self.emu.record(entry, api=False)
        ctype = 'text/html' if blob['name'].endswith('.html') else (
            'application/xml' if blob['name'].endswith('.xml') else ('text/plain' if blob['name'].endswith('.txt') else 'application/octet-stream'))
        if blob.get('content') is not None:
            self.send_bytes(200, blob['content'], ctype)
            return
        size = blob['size']
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(size))
        self.end_headers()
        if self.command == 'HEAD':
            return
        try:
            for block in large_blocks(blob_id, size):
                self.wfile.write(block)
        except OSError:
            self.close_connection = True

    def check_leak(self, path, query):
        """Record any request carrying a CircleCI token (any header, query or Basic auth)."""
        tokens = self.emu.known_tokens()
        found = []
        for name, value in self.headers.items():
            values = [value]
            if name.lower() == 'authorization' and value.lower().startswith('basic '):
                try:
                    values.append(base64.b64decode(value[6:].strip()).decode('utf-8', 'replace'))
                except ValueError:
                    pass
            for val in values:
                for tok, tkind in tokens.items():
                    if tok and tok in val:
                        found.append({'where': 'header', 'header': name, 'token_kind': tkind})
        for name, values in query.items():
            for val in values:
                for tok, tkind in tokens.items():
                    if tok and tok in val:
                        found.append({'where': 'query', 'param': name, 'token_kind': tkind})
        if found:
            self.emu.add_leak({'method': self.command, 'path': path, 'query': redact_query(query), 'found': found})


def large_blocks(blob_id: str, size: int):
    """Deterministic pseudo-random content, generated block by block (never held in memory)."""
    index = 0
    sent = 0
    seed = blob_id.encode()
    while sent < size:
        block = hashlib.sha256(seed + str(index).encode()).digest() * (BLOCK // 32)
        block = block[:size - sent]
        sent += len(block)
        index += 1
        yield block


def large_sha256(blob_id: str, size: int) -> str:
    """SHA-256 of a generated large artifact (for tests)."""
    digest = hashlib.sha256()
    for block in large_blocks(blob_id, size):
        digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------- routing
def _int_param(query, name, default, low, high, message):  # pylint: disable=too-many-arguments
    if name not in query or query[name][-1] == '':
        return default
    try:
        value = int(query[name][-1])
    except ValueError as exc:
        raise ApiError(400, message) from exc
    if value < low or value > high:
        raise ApiError(400, message)
    return value


def _json_body(raw, headers):
    if not raw.strip():
        return {}
    ctype = (headers.get('Content-Type') or '').lower()
    text = raw.decode('utf-8', 'replace')
    if 'application/x-www-form-urlencoded' in ctype:
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(400, 'Could not parse request body as JSON') from exc


def route(emu, method, path, raw_query, query, raw, headers, info, kind):  # pylint: disable=too-many-arguments
    """Route an /api/ request; raises ApiError for error answers."""
    st = emu.state
    if v2.handles(path):
        status, payload = v2.route(emu, method, path, query, raw, headers, info, kind, extract_token(headers, query))
        return Response(status, payload, json_always=True)
    if not path.startswith(API_PREFIX + '/'):
        raise ApiError(404)
    rest = path[len(API_PREFIX):]
    if len(rest) > 1 and rest.endswith('/'):
        loc = '%s%s' % (emu.base_url, path.rstrip('/'))
        if raw_query:
            loc += '?' + raw_query
        return Response(302, kind='empty', headers={'Location': loc})
    segs = [unquote(s) for s in rest.split('/')[1:]]
    raw_segs = rest.split('/')[1:]
    if any(s == '' for s in raw_segs):
        raise ApiError(404)
    write = method in WRITE_METHODS
    handler = _match(method, segs)
    if handler is None:
        raise ApiError(404)
    # F/OSS: with the project's oss setting on, its read-only build endpoints answer without a token
    oss_public = (kind == 'none' and handler.__name__ in OSS_PUBLIC_HANDLERS and st.v2.is_oss_slug(*segs[1:4]))

    def need_auth(user_only=False):
        if kind not in ('user', 'read_only', 'project') and not (oss_public and not user_only):
            raise ApiError(401, 'You must log in first.')
        if write and kind == 'read_only':
            raise ApiError(403, 'Permission denied')
        if user_only and kind == 'project':
            raise ApiError(403, 'Permission denied')

    return handler(emu, st, method, segs, query, raw, headers, info, kind, need_auth)


OSS_PUBLIC_HANDLERS = frozenset(('ep_project_builds', 'ep_tree_builds', 'ep_build', 'ep_artifacts', 'ep_latest_artifacts',
                                 'ep_tests'))


def _match(method, segs):
    """Pick the endpoint function for the path segments (None: malformed path)."""
    # pylint: disable=too-many-return-statements,too-many-branches
    if segs == ['me'] and method in ('GET', 'HEAD'):
        return ep_me
    if segs == ['projects'] and method in ('GET', 'HEAD'):
        return ep_projects
    if segs == ['recent-builds'] and method in ('GET', 'HEAD'):
        return ep_recent
    if segs == ['user', 'heroku-key'] and method == 'POST':
        return ep_heroku
    if segs == ['user', 'ssh-key'] and method == 'POST':
        return ep_user_ssh_key
    if len(segs) < 4 or segs[0] != 'project' or (segs[1] not in state_mod.VCS_ALIASES and segs[1] != 'circleci'):
        return None  # circleci/<org>/<project> (v2-only projects) gets v1.1's "Project not found", like any unknown project
    tail = segs[4:]
    table = {
        (): {'GET': ep_project_builds, 'HEAD': ep_project_builds, 'POST': ep_trigger_project},
        ('follow',): {'POST': ep_follow},
        ('unfollow',): {'POST': ep_unfollow},
        ('enable',): {'POST': ep_enable, 'DELETE': ep_enable},
        ('settings',): {'GET': ep_settings, 'HEAD': ep_settings},
        ('envvar',): {'GET': ep_env_list, 'HEAD': ep_env_list, 'POST': ep_env_set},
        ('checkout-key',): {'GET': ep_ck_list, 'HEAD': ep_ck_list, 'POST': ep_ck_create},
        ('ssh-key',): {'POST': ep_ssh_add, 'DELETE': ep_ssh_delete},
        ('build',): {'POST': ep_trigger_build},
        ('build-cache',): {'DELETE': ep_build_cache},
        ('latest', 'artifacts'): {'GET': ep_latest_artifacts, 'HEAD': ep_latest_artifacts},
    }
    if tuple(tail) in table:
        return table[tuple(tail)].get(method)
    if len(tail) == 2 and tail[0] == 'envvar':
        return {'GET': ep_env_get, 'HEAD': ep_env_get, 'DELETE': ep_env_delete}.get(method)
    if len(tail) == 2 and tail[0] == 'checkout-key':
        return {'GET': ep_ck_get, 'HEAD': ep_ck_get, 'DELETE': ep_ck_delete}.get(method)
    if len(tail) >= 2 and tail[0] == 'tree':
        return {'GET': ep_tree_builds, 'HEAD': ep_tree_builds, 'POST': ep_trigger_tree}.get(method)
    if tail and tail[0].isdigit():
        if len(tail) == 1:
            return ep_build if method in ('GET', 'HEAD') else None
        if len(tail) == 2:
            return {('artifacts', 'GET'): ep_artifacts, ('artifacts', 'HEAD'): ep_artifacts, ('tests', 'GET'): ep_tests,
                    ('tests', 'HEAD'): ep_tests, ('retry', 'POST'): ep_retry, ('ssh', 'POST'): ep_retry_ssh,
                    ('cancel', 'POST'): ep_cancel, ('ssh-users', 'POST'): ep_ssh_users}.get((tail[1], method))
    return None


# pylint: disable=unused-argument,too-many-arguments
def _proj(st, segs, info):
    return st.project(segs[1], segs[2], segs[3], info)


def _list_params(query):
    limit = _int_param(query, 'limit', 30, 0, 100, 'limit must be an integer between 0 and 100')
    offset = _int_param(query, 'offset', 0, 0, 10 ** 9, 'offset must be a non-negative integer')
    filt = (query.get('filter') or [''])[-1] or None
    if filt not in (None, 'completed', 'successful', 'failed', 'running'):
        raise ApiError(400, 'filter must be one of completed, successful, failed, running')
    shallow = (query.get('shallow') or [''])[-1].lower() == 'true'
    return limit, offset, filt, shallow


def ep_me(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET /me."""
    need_auth(user_only=True)
    return Response(200, st.me())


def ep_projects(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET /projects: followed projects."""
    need_auth(user_only=True)
    return Response(200, [st.project_entry(p) for p in st.projects.values() if p['followed']])


def ep_recent(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET /recent-builds."""
    need_auth(user_only=True)
    limit, offset, filt, shallow = _list_params(query)
    return Response(200, st.list_builds(list(st.projects.values()), limit, offset, filt, shallow))


def ep_heroku(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST /user/heroku-key: 200 with the body "" (as recorded)."""
    need_auth(user_only=True)
    body = _json_body(raw, headers)
    key = body.get('apikey') if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        raise ApiError(400, 'apikey is required')
    st.user['heroku_api_key'] = key
    return Response(200, '')


def ep_user_ssh_key(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST /user/ssh-key: adds a CircleCI key to the VCS user account; /me then shows its fingerprint."""
    need_auth(user_only=True)
    if not st.user.get('user_key_fingerprint'):
        st.user['user_key_fingerprint'] = keys.md5_fingerprint(st._cached_key(('user-key',), 'rsa')[1])  # pylint: disable=protected-access
    return Response(200, '')


def ep_project_builds(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET /project/:vcs/:user/:proj."""
    need_auth()
    proj = _proj(st, segs, info)
    limit, offset, filt, shallow = _list_params(query)
    return Response(200, st.list_builds([proj], limit, offset, filt, shallow))


def ep_tree_builds(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET /project/:vcs/:user/:proj/tree/:branch."""
    need_auth()
    proj = _proj(st, segs, info)
    limit, offset, filt, shallow = _list_params(query)
    return Response(200, st.list_builds([proj], limit, offset, filt, shallow, branch='/'.join(segs[5:])))


def _trigger_args(raw, headers, query):
    body = _json_body(raw, headers)
    if not isinstance(body, dict):
        raise ApiError(400, 'Request body must be a JSON object')
    args = {k: (query[k][-1] if k in query else None) for k in ('branch', 'revision', 'tag', 'parallel')}
    for key in ('branch', 'revision', 'tag', 'parallel', 'build_parameters'):
        if body.get(key) is not None:
            args[key] = body[key]
    if args.get('tag') and args.get('revision'):
        raise ApiError(400, 'Cannot specify both tag and revision')
    if args.get('tag') and args.get('branch'):
        raise ApiError(400, 'Cannot specify both tag and branch')
    for key in ('branch', 'revision', 'tag'):
        if args.get(key) is not None and not isinstance(args[key], str):
            raise ApiError(400, '%s must be a string' % key)
    if args.get('build_parameters') is not None and not isinstance(args['build_parameters'], dict):
        raise ApiError(400, 'build_parameters must be a map')
    if isinstance(args.get('parallel'), str):
        args['parallel'] = int(args['parallel']) if args['parallel'].isdigit() else None
    return args


def _created(emu, proj, build):
    loc = '%s/project/%s/%s/%s/%d' % (emu.api_url, proj['vcs'], proj['username'], proj['reponame'], build['build_num'])
    return Response(201, emu.state.render_build(proj, build), headers={'Location': loc})


def ep_trigger_project(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST /project/:vcs/:user/:proj (branch, revision or tag) → 201 build summary."""
    need_auth()
    proj = _proj(st, segs, info)
    args = _trigger_args(raw, headers, query)
    return _created(emu, proj, st.trigger(proj, **args))


def ep_trigger_tree(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../tree/:branch → 201 build summary."""
    need_auth()
    proj = _proj(st, segs, info)
    args = _trigger_args(raw, headers, query)
    args['branch'] = '/'.join(segs[5:])
    args['tag'] = None
    return _created(emu, proj, st.trigger(proj, **args))


def ep_trigger_build(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../build → 200 {"status": 200, "body": "Build created"}."""
    need_auth()
    proj = _proj(st, segs, info)
    args = _trigger_args(raw, headers, query)
    st.trigger(proj, **args)
    return Response(200, {'status': 200, 'body': 'Build created'})


def ep_follow(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../follow (a VCS repository that is no project yet gets set up, as v2 project creation does)."""
    need_auth()
    if kind != 'project':
        st.v2.setup_for_follow(segs[1], segs[2], segs[3])
    proj = _proj(st, segs, info)
    first = None
    was = proj['followed']
    proj['followed'] = True
    if not was and not proj['builds']:
        build = st.trigger(proj, why='first-build')
        build['user_login'] = st.user['login']
        first = st.render_build(proj, build)
    return Response(200, {'first_build': first, 'followed': True})


def ep_unfollow(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../unfollow."""
    need_auth()
    proj = _proj(st, segs, info)
    proj['followed'] = False
    return Response(200, {'followed': False})


def ep_enable(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST/DELETE .../enable: answers the settings."""
    need_auth()
    proj = _proj(st, segs, info)
    proj['has_usable_key'] = method == 'POST'
    return Response(200, st.settings(proj))


def ep_settings(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../settings."""
    need_auth()
    return Response(200, st.settings(_proj(st, segs, info)))


def ep_env_list(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../envvar."""
    need_auth()
    try:
        proj = _proj(st, segs, info)
    except ApiError as exc:
        # as recorded: GitHub's own error, escaped inside message
        raise ApiError(404, json.dumps({'message': 'Not Found', 'documentation_url': 'https://developer.github.com/v3'},
                                       separators=(',', ':'))) from exc
    return Response(200, st.env_list(proj))


def ep_env_set(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../envvar → 201 masked."""
    need_auth()
    proj = _proj(st, segs, info)
    result = st.env_set(proj, _json_body(raw, headers))
    loc = '%s/project/%s/%s/%s/envvar/%s' % (emu.api_url, proj['vcs'], proj['username'], proj['reponame'], result['name'])
    return Response(201, result, headers={'Location': loc})


def ep_env_get(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../envvar/:name."""
    need_auth()
    proj = _proj(st, segs, info)
    name = segs[5]
    if name not in proj['env_vars']:
        raise ApiError(404, 'env var not found')
    return Response(200, {'name': name, 'value': state_mod.mask(proj['env_vars'][name])})


def ep_env_delete(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """DELETE .../envvar/:name."""
    need_auth()
    proj = _proj(st, segs, info)
    if segs[5] not in proj['env_vars']:
        raise ApiError(404, 'env var not found')
    del proj['env_vars'][segs[5]]
    return Response(200, {'message': 'ok'})


def _digest(query):
    digest = (query.get('digest') or ['md5'])[-1] or 'md5'
    if digest not in ('md5', 'sha256'):
        raise ApiError(400, "digest must be 'md5' or 'sha256'")
    return digest


def ep_ck_list(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../checkout-key[?digest=sha256]."""
    need_auth()
    proj = _proj(st, segs, info)
    digest = _digest(query)
    return Response(200, [st.checkout_key_view(proj, i, digest) for i in range(len(proj['checkout_keys']))])


def ep_ck_create(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../checkout-key → 201 + Location (user token only)."""
    need_auth(user_only=True)
    proj = _proj(st, segs, info)
    idx = st.create_checkout_key(proj, _json_body(raw, headers))
    view = st.checkout_key_view(proj, idx)
    loc = '%s/project/%s/%s/%s/checkout-key/%s' % (emu.api_url, proj['vcs'], proj['username'], proj['reponame'], view['fingerprint'])
    return Response(201, view, headers={'Location': loc})


def ep_ck_get(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../checkout-key/:fingerprint (md5 or sha256)."""
    need_auth()
    proj = _proj(st, segs, info)
    idx = st.find_checkout_key(proj, segs[5])
    return Response(200, st.checkout_key_view(proj, idx, 'sha256' if segs[5].startswith('SHA256:') else 'md5'))


def ep_ck_delete(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """DELETE .../checkout-key/:fingerprint."""
    need_auth()
    proj = _proj(st, segs, info)
    idx = st.find_checkout_key(proj, segs[5])
    del proj['checkout_keys'][idx]
    return Response(200, {'message': 'ok'})


def ep_ssh_add(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../ssh-key → 200 "" ; invalid key → 400 recorded message."""
    need_auth()
    proj = _proj(st, segs, info)
    try:
        body = _json_body(raw, headers)
    except ApiError as exc:
        raise ApiError(400, 'it looks like private key is invalid key.  Double check') from exc
    st.add_ssh_key(proj, body)
    return Response(200, '')


def ep_ssh_delete(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """DELETE .../ssh-key with JSON body {fingerprint, hostname}."""
    need_auth()
    proj = _proj(st, segs, info)
    st.delete_ssh_key(proj, _json_body(raw, headers))
    return Response(200, '')


def ep_build_cache(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """DELETE .../build-cache."""
    need_auth()
    proj = _proj(st, segs, info)
    proj['cache_clears'] += 1
    return Response(200, {'status': 'build dependency caches deleted'})


def ep_build(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../:build_num (full details with steps)."""
    need_auth()
    proj = _proj(st, segs, info)
    build = st.get_build(proj, int(segs[4]))
    return Response(200, st.render_build(proj, build, full=True))


def ep_artifacts(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../:build_num/artifacts."""
    need_auth()
    proj = _proj(st, segs, info)
    return Response(200, st.artifacts(proj, st.get_build(proj, int(segs[4]))))


def ep_latest_artifacts(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../latest/artifacts?branch=&filter=."""
    need_auth()
    proj = _proj(st, segs, info)
    filt = (query.get('filter') or [''])[-1] or 'completed'
    if filt not in ('completed', 'successful', 'failed'):
        raise ApiError(400, 'filter must be one of completed, successful, failed')
    build = st.latest_build(proj, (query.get('branch') or [''])[-1] or None, filt)
    return Response(200, st.artifacts(proj, build))


def ep_tests(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """GET .../:build_num/tests."""
    need_auth()
    proj = _proj(st, segs, info)
    build = st.get_build(proj, int(segs[4]))
    finished = st.build_status(build)['lifecycle'] == 'finished'
    return Response(200, {'tests': list(build['tests']) if finished else [], 'exceptions': []})


def ep_retry(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../:build_num/retry → 200 new build."""
    need_auth()
    proj = _proj(st, segs, info)
    return Response(200, st.render_build(proj, st.retry(proj, int(segs[4]))))


def ep_retry_ssh(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../:build_num/ssh → 200 new build with SSH enabled."""
    need_auth(user_only=True)
    proj = _proj(st, segs, info)
    return Response(200, st.render_build(proj, st.retry(proj, int(segs[4]), ssh=True)))


def ep_cancel(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../:build_num/cancel."""
    need_auth()
    proj = _proj(st, segs, info)
    return Response(200, st.render_build(proj, st.cancel(proj, int(segs[4]))))


def ep_ssh_users(emu, st, method, segs, query, raw, headers, info, kind, need_auth):
    """POST .../:build_num/ssh-users (user token only)."""
    need_auth(user_only=True)
    proj = _proj(st, segs, info)
    build = st.get_build(proj, int(segs[4]))
    return Response(200, st.render_build(proj, build))
# pylint: enable=unused-argument


# ---------------------------------------------------------------------- Emulator
def fresh_counts():
    """Zeroed /_emulator/counters (in_flight and max_in_flight are added from the gauge)."""
    return {'reads': 0, 'writes': 0, 'total': 0, 'by_method': {}, 'rate_limited': 0}


class Emulator:  # pylint: disable=too-many-instance-attributes
    """Three listeners plus state; start() runs them in daemon threads."""

    def __init__(self, seed='default', host='127.0.0.1', port=0, tls=False, time_scale=1.0, latency_ms=0.0,
                 fault_rules=None, artifact_port=0, storage_port=0, ca_file=None,
                 rate_limit=None, foreign_port=0):  # pylint: disable=too-many-arguments
        self.host = host
        self.seed_source = seed
        self.seed_data = state_mod.load_seed(seed)
        self.clock = state_mod.Clock(time_scale)
        self.key_cache = {}
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.stop_event = threading.Event()
        self.initial_latency = float(latency_ms or 0)
        self.latency_ms = self.initial_latency
        self.initial_faults = list(fault_rules or [])
        self.faults = faults.FaultSet()
        self.faults.add(self.initial_faults)
        self._log = []
        self._leaks = []
        self._seq = 0
        self._counts = fresh_counts()
        self.in_flight = concurrency.InFlight()
        self.initial_rate_limit = ratelimit.parse(rate_limit)
        self.rate_limiter = ratelimit.RateLimiter(*self.initial_rate_limit)
        self.state = state_mod.State(self.seed_data, self.clock, self.key_cache)
        self.ca_path = None
        self.other_ca_path = None
        self._tmpdir = None
        ssl_context = None
        if tls:
            from . import tlsutil  # pylint: disable=import-outside-toplevel
            self._tmpdir = tempfile.mkdtemp(prefix='circleci-emulator-tls-')
            self.ca_path, cert, key = tlsutil.make_certs(self._tmpdir, ca_file)
            self.other_ca_path = tlsutil.write_unrelated_ca(self.ca_path)
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.load_cert_chain(cert, key)
        self._servers = []
        self.api_server = self._listen((host, port), ApiHandler, 'api', ssl_context, '--port or EMULATOR_PORT')
        self.artifact_server = self._listen((host, artifact_port), ArtifactHandler, 'artifacts', ssl_context, '--artifact-port')
        self.storage_server = self._listen((host, storage_port), StorageHandler, 'storage', ssl_context, '--storage-port')
        # imported here: foreign.py builds on this module's BaseHandler
        from . import foreign  # pylint: disable=import-outside-toplevel
        self.foreign_log = foreign.ForeignLog()
        self.foreign_server = self._listen((host, foreign_port), foreign.ForeignHandler, 'foreign', ssl_context,
                                           '--foreign-port')
        scheme = 'https' if tls else 'http'
        self.port = self.api_server.server_address[1]
        self.base_url = '%s://%s:%d' % (scheme, host, self.port)
        self.api_url = self.base_url + API_PREFIX
        self.api_v2_url = self.base_url + API_V2_PREFIX
        self.admin_url = self.base_url + '/_emulator'
        self.artifact_url = '%s://%s:%d' % (scheme, host, self.artifact_server.server_address[1])
        self.storage_url = '%s://%s:%d' % (scheme, host, self.storage_server.server_address[1])
        self.foreign_url = '%s://%s:%d' % (scheme, host, self.foreign_server.server_address[1])
        self._wire_state()
        self._threads = []

    def _listen(self, addr, handler, listener, ssl_context, option):
        """Bind one listener; if it fails, close those already bound so a failed start leaks no socket."""
        try:
            server = listen(addr, handler, self, listener, ssl_context, option)
        except ListenError:
            for bound in self._servers:
                bound.server_close()
            raise
        self._servers.append(server)
        return server

    @property
    def tokens(self):
        """Token strings by kind."""
        return dict(self.state.token_names)

    def _wire_state(self):
        self.state.artifact_base = self.artifact_url
        self.state.storage_base = self.storage_url

    def start(self):
        """Serve in background daemon threads."""
        for srv in self._servers:
            thread = threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True,
                                      name='circleci-emulator-%s' % srv.listener)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        """Stop all listeners."""
        self.stop_event.set()
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()

    def ready_info(self):
        """The ready-file JSON."""
        return {'api_url': self.api_url, 'api_v2_url': self.api_v2_url, 'admin_url': self.admin_url, 'artifact_url': self.artifact_url,
                'storage_url': self.storage_url, 'pid': os.getpid(), 'tokens': self.tokens, 'ca_path': self.ca_path,
                'foreign_url': self.foreign_url, 'other_ca_path': self.other_ca_path}

    # state control
    def state_token_info(self, token):
        """(kind, info) of a token under the state lock."""
        with self.lock:
            return self.state.token_info(token)

    def known_tokens(self):
        """token → kind."""
        with self.lock:
            return {t: i['kind'] for t, i in self.state.tokens.items()}

    def load_seed(self, seed):
        """Replace the state with a new seed (the seed in use for later resets)."""
        data = state_mod.load_seed(seed)
        new_state = state_mod.State(data, self.clock, self.key_cache)
        with self.lock:
            self.seed_data = data
            self.state = new_state
            self._wire_state()

    def reset(self):
        """Back to the seed in use: state, log, counters, faults, latency, clock."""
        self.clock.reset()
        new_state = state_mod.State(self.seed_data, self.clock, self.key_cache)
        with self.lock:
            self.state = new_state
            self._wire_state()
        self.faults.clear()
        self.faults.add(self.initial_faults)
        self.latency_ms = self.initial_latency
        self.rate_limiter.configure(*self.initial_rate_limit)
        self.foreign_log.clear_canaries()
        self.clear_log()

    # log
    def record(self, entry, api, rate_limited=False):
        """Append to the request log; count /api/ requests (and the limiter's 429s)."""
        with self.log_lock:
            self._counts['rate_limited'] += int(rate_limited)
            self._seq += 1
            entry['seq'] = self._seq
            self._log.append(entry)
            if api:
                self._counts['total'] += 1
                self._counts['writes' if entry['write'] else 'reads'] += 1
                self._counts['by_method'][entry['method']] = self._counts['by_method'].get(entry['method'], 0) + 1

    def add_leak(self, leak):
        """Record a token leak to storage."""
        with self.log_lock:
            leak['seq'] = self._seq + 1
            self._leaks.append(leak)

    def requests(self):
        """Copy of the log."""
        with self.log_lock:
            return [dict(e) for e in self._log]

    def leaks(self):
        """Copy of the leaks."""
        with self.log_lock:
            return [dict(e) for e in self._leaks]

    def counters(self):
        """Counters."""
        with self.log_lock:
            counts = json.loads(json.dumps(self._counts))
        counts.update(self.in_flight.view())
        return counts

    def clear_log(self):
        """Clear log, counters, leaks and the foreign listener's log."""
        self.foreign_log.clear()
        with self.log_lock:
            self._log = []
            self._leaks = []
            self._counts = fresh_counts()
        self.in_flight.reset()
