"""A stand-in for the two GitHub REST endpoints the bootstrap scenario uses, for the docs tests.

GET and POST /repos/<owner>/<repo>/keys (a repository's deploy keys), with a bearer token. It keeps the keys
in memory, refuses a key that is already there with 422 as GitHub does, and listens on 127.0.0.1 only.

    with GitHubStub(token='t') as stub:
        stub.url        # http://127.0.0.1:PORT, the api_url of GitHub (https://api.github.com)
        stub.keys       # {'owner/repo': [{'id', 'title', 'key', 'read_only'}]}
        stub.requests   # [(method, path, authorised)]
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEYS_PATH = re.compile(r'^/repos/([^/]+)/([^/]+)/keys$')


class GitHubStub:
    def __init__(self, token: str):
        self.token = token
        self.keys: dict[str, list[dict]] = {}
        self.requests: list[tuple[str, str, bool]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status, body):
                data = json.dumps(body).encode('utf-8')
                self.send_response(status)
                self.send_header('Content-Type', 'application/json; charset=utf-8')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method):
                authorised = self.headers.get('Authorization', '') in ('Bearer ' + stub.token, 'token ' + stub.token)
                stub.requests.append((method, self.path, authorised))
                match = KEYS_PATH.match(self.path.split('?')[0])
                if not match:
                    return self._answer(404, {'message': 'Not Found'})
                if not authorised:
                    return self._answer(401, {'message': 'Bad credentials'})
                keys = stub.keys.setdefault('%s/%s' % match.groups(), [])
                if method == 'GET':
                    return self._answer(200, keys)
                length = int(self.headers.get('Content-Length') or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b'{}')
                except ValueError:
                    return self._answer(400, {'message': 'Problems parsing JSON'})
                key = ' '.join(str(body.get('key', '')).split()[:2])
                if not key.startswith('ssh-'):
                    return self._answer(422, {'message': 'Validation Failed', 'errors': [{'field': 'key', 'code': 'custom'}]})
                if any(existing['key'] == key for existing in keys):
                    return self._answer(422, {'message': 'Validation Failed', 'errors': [{'message': 'key is already in use'}]})
                entry = dict(id=len(keys) + 1, title=body.get('title', ''), key=key, read_only=bool(body.get('read_only', True)))
                keys.append(entry)
                return self._answer(201, entry)

            def do_GET(self):  # noqa: N802
                self._route('GET')

            def do_POST(self):  # noqa: N802
                self._route('POST')

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def reset(self):
        self.keys.clear()
        self.requests.clear()
