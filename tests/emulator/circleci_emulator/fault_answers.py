"""How each fault kind answers, and whether the request takes effect first.

The rules (parsed and matched in faults.py) pick a request; this module decides its fate. The table in
docs/emulator.md ("Does the request take effect?") is the contract; ``takes_effect`` is its code.
"""

from __future__ import annotations

import email.utils
import io
import json
import re
import socket
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from .faults import REDIRECT_MARK

NGINX_PAGE = '<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n' \
             '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'
REASONS = {500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out'}
READS = ('GET', 'HEAD')
# A write that is not applied has no real answer to cut or garble, so truncated/malformed send this stand-in.
STAND_IN = json.dumps({'message': 'ok', 'padding': 'x' * 32}).encode('utf-8')
GARBLE = b'#garbled#'
CONTENT_LENGTH = re.compile(rb'(?im)^content-length:[ \t]*\d+')


def takes_effect(kind: str, spec: dict, method: str) -> bool:
    """Whether the real request runs (and a write is applied) before the fault answers."""
    if kind == 'redirect':
        return False
    if kind == 'slow' or spec.get('after'):
        return True
    return kind in ('truncated', 'malformed') and method in READS


def answer(handler, rule, entry, run_real):
    """Answer the request with the fault of `rule`; run_real() runs the request for real and returns its Response."""
    spec = rule.spec
    real = None
    if takes_effect(rule.kind, spec, handler.command):
        if rule.kind == 'slow':
            handler.emu.stop_event.wait(float(spec.get('delay', 30)))
        real = run_real()
    entry['fault'] = rule.kind
    try:
        SENDERS[rule.kind](handler, spec, entry, real)
    except OSError:  # the client gave up first
        handler.close_connection = True


def _record(handler, entry, status):
    entry['status'] = status
    handler.emu.record(entry, api=True)


def _close(handler):
    """Finish the connection politely (FIN): the client sees the end of the stream, not a reset."""
    handler.close_connection = True
    try:
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def rendered(handler, resp):
    """What send_api would put on the wire for resp, as (head incl. the blank line, body): the REAL answer, in the
    format the client asked for (JSON, EDN, HTML), with its real status and headers."""
    saved = handler.wfile
    handler.wfile = io.BytesIO()
    try:
        handler.send_api(resp)
        data = handler.wfile.getvalue()
    finally:
        handler.wfile = saved
    head, sep, body = data.partition(b'\r\n\r\n')
    return head + sep, body


def _with_length(head: bytes, length: int) -> bytes:
    return CONTENT_LENGTH.sub(b'Content-Length: %d' % length, head, count=1)


def _stand_in_head(handler, status, length):
    """Head of the stand-in answer (a write that was not applied)."""
    handler.send_response(status)
    handler.send_header('Content-Type', 'application/json; charset=utf-8')
    handler.send_header('Content-Length', str(length))
    handler.end_headers()


def send_slow(handler, spec, entry, real):  # pylint: disable=unused-argument
    """slow: the real answer, late (the wait happened before the request ran)."""
    _record(handler, entry, real.status)
    handler.send_api(real)


def send_reset(handler, spec, entry, real):  # pylint: disable=unused-argument
    """reset: abort the TCP connection (RST), no answer."""
    _record(handler, entry, 0)
    handler.reset_connection()


def send_timeout(handler, spec, entry, real):  # pylint: disable=unused-argument
    """timeout: say nothing for `delay` seconds (default 60), then close without an answer."""
    _record(handler, entry, 0)
    handler.emu.stop_event.wait(float(spec.get('delay', 60)))
    _close(handler)


def send_429(handler, spec, entry, real):  # pylint: disable=unused-argument
    """429 as recorded: plain-text body, Retry-After in seconds, as an HTTP date, or absent."""
    _record(handler, entry, 429)
    headers = {}
    retry_after = spec.get('retry_after', 2)
    if retry_after == 'date':
        headers['Retry-After'] = email.utils.formatdate(time.time() + 2, usegmt=True)
    elif retry_after not in ('none', None, ''):
        headers['Retry-After'] = str(int(retry_after))
    handler.send_bytes(429, b'Rate limited.', 'text/plain; charset=utf-8', headers)


def send_5xx(handler, spec, entry, real):  # pylint: disable=unused-argument
    """500/502/503/504 with a JSON message or nginx's HTML page."""
    code = int(spec['kind'])
    _record(handler, entry, code)
    body_kind = spec.get('body') or ('json' if code in (500, 503) else 'html')
    if body_kind == 'html':
        handler.send_bytes(code, NGINX_PAGE.format(code=code, reason=REASONS[code]).encode('utf-8'), 'text/html', {})
    else:
        handler.send_json(code, {'message': REASONS[code]})


def send_truncated(handler, spec, entry, real):  # pylint: disable=unused-argument
    """truncated: announce the full Content-Length, send half the body, close. An empty body is announced as 2 bytes."""
    if real is None:
        _record(handler, entry, 200)
        _stand_in_head(handler, 200, len(STAND_IN))
        handler.wfile.write(STAND_IN[:len(STAND_IN) // 2])
    else:
        _record(handler, entry, real.status)
        head, body = rendered(handler, real)
        if len(body) < 2:
            head = _with_length(head, 2)
        handler.wfile.write(head + body[:len(body) // 2])
    _close(handler)


def send_malformed(handler, spec, entry, real):  # pylint: disable=unused-argument
    """malformed: the real status and headers, but the body cut in half and followed by '#garbled#' (never JSON)."""
    if real is None:
        _record(handler, entry, 200)
        handler.send_bytes(200, b'{"message": "ok", "value": [1, 2,', 'application/json; charset=utf-8')
        return
    _record(handler, entry, real.status)
    head, body = rendered(handler, real)
    garbled = body[:len(body) // 2] + GARBLE
    handler.wfile.write(_with_length(head, len(garbled)) + garbled)


def redirect_location(handler, spec):
    """Where a redirect points: the same path on the foreign listener (without circle-token, so any token that arrives
    there was sent by the client), or on the API listener with a mark that stops the rule from firing again."""
    split = urlsplit(handler.path)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    if spec.get('to', 'foreign') == 'same':
        base = handler.emu.base_url
        pairs.append((REDIRECT_MARK, '1'))
    else:
        base = handler.emu.foreign_url
        pairs = [(k, v) for k, v in pairs if k.lower() != 'circle-token']
    return base + split.path + ('?' + urlencode(pairs) if pairs else '')


def send_redirect(handler, spec, entry, real):  # pylint: disable=unused-argument
    """redirect: 3xx with Location, before the request takes effect; the client decides whether to follow."""
    entry['redirect_to'] = spec.get('to', 'foreign')
    status = int(spec.get('status', 307))
    _record(handler, entry, status)
    handler.send_bytes(status, b'', None, {'Location': redirect_location(handler, spec)})


SENDERS = {
    '429': send_429, '500': send_5xx, '502': send_5xx, '503': send_5xx, '504': send_5xx,
    'reset': send_reset, 'slow': send_slow, 'timeout': send_timeout,
    'truncated': send_truncated, 'malformed': send_malformed, 'redirect': send_redirect,
}
