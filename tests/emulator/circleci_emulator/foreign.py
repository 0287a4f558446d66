"""The foreign listener: another origin that ``redirect`` faults point to.

A client that follows a cross-origin redirect with its CircleCI token (or a secret in the body) hands it to a host it
never meant to talk to. This listener answers 200 ``{"message": "foreign host"}`` so that such a client believes it
succeeded, and records what it received without keeping any secret: header names, whether a token or a registered
canary was present, and the body's length and SHA-256 (so tests can prove which bytes were or were not sent).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from urllib.parse import parse_qs, quote, quote_plus, unquote_plus, urlsplit

from .server import BaseHandler

REDACTED = '<redacted>'
MIN_CANARY = 4


def _forms(secret: str):
    """The ways a secret string can appear on the wire: as is, JSON-escaped, URL-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe=''), quote_plus(secret)}


def _basic_user_pass(value: str) -> str:
    """The decoded 'user:password' of a Basic Authorization value, or ''."""
    if not value.lower().startswith('basic '):
        return ''
    try:
        return base64.b64decode(value[6:].strip()).decode('utf-8', 'replace')
    except ValueError:
        return ''


def find_tokens(headers, query, body: bytes, tokens: dict):
    """Where known CircleCI tokens appear: [{"where", "header"|"param", "token_kind"}], values never included."""
    found = []
    for name, value in headers.items():
        for val in (value, _basic_user_pass(value)):
            found.extend({'where': 'header', 'header': name, 'token_kind': kind}
                         for tok, kind in tokens.items() if tok and tok in val)
    for name, values in query.items():
        found.extend({'where': 'query', 'param': name, 'token_kind': kind}
                     for val in values for tok, kind in tokens.items() if tok and tok in val)
    found.extend({'where': 'body', 'token_kind': kind} for tok, kind in tokens.items() if tok and tok.encode() in body)
    return found


class ForeignLog:
    """What the foreign listener saw, and the canary strings to look for; thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._canaries = set()
        self._seq = 0

    def add_canaries(self, values) -> int:
        """Register secret strings to look for; returns how many are registered."""
        if not isinstance(values, list) or not all(isinstance(v, str) and len(v) >= MIN_CANARY for v in values):
            raise ValueError('canaries: expected {"values": [strings of at least %d characters]}' % MIN_CANARY)
        with self._lock:
            self._canaries.update(values)
            return len(self._canaries)

    def clear_canaries(self):
        """Forget every canary."""
        with self._lock:
            self._canaries = set()

    def canary_count(self) -> int:
        """How many canaries are registered (their values are never shown)."""
        with self._lock:
            return len(self._canaries)

    def secrets(self, tokens):
        """Every string that must not be stored: tokens and canaries."""
        with self._lock:
            return [t for t in tokens if t] + sorted(self._canaries)

    def canary_in(self, haystacks) -> bool:
        """True if any canary (in any wire form) is in any of the strings/bytes given."""
        with self._lock:
            forms = [f for c in self._canaries for f in _forms(c)]
        for hay in haystacks:
            for form in forms:
                if (form.encode('utf-8') if isinstance(hay, bytes) else form) in hay:
                    return True
        return False

    def record(self, entry):
        """Append an entry (already free of secrets)."""
        with self._lock:
            self._seq += 1
            entry['seq'] = self._seq
            self._entries.append(entry)

    def entries(self):
        """Copy of the log."""
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self):
        """Empty the log (canaries stay)."""
        with self._lock:
            self._entries = []


def _scrub(text: str, secrets) -> str:
    for secret in secrets:
        for form in _forms(secret):
            text = text.replace(form, REDACTED)
    return text


def scrubbed_query(query, secrets):
    """Query dict for the log: circle-token, and any value holding a token or canary, become <redacted>."""
    out = {}
    for key, values in query.items():
        shown = [REDACTED if key.lower() == 'circle-token' or _scrub(v, secrets) != v else v for v in values]
        out[_scrub(key, secrets)] = shown[-1] if len(shown) == 1 else shown
    return out


class ForeignHandler(BaseHandler):
    """Answers everything with 200 {"message": "foreign host"} and logs it without secrets."""

    def dispatch(self):
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.emu.foreign_log.record(self.inspect(split, query, body))
        self.send_json(200, {'message': 'foreign host'})

    def inspect(self, split, query, body):
        """The log entry for this request: names, flags, length and hash only."""
        log = self.emu.foreign_log
        tokens = self.emu.known_tokens()
        secrets = log.secrets(tokens)
        found = find_tokens(self.headers, query, body, tokens)
        header_text = list(self.headers.values()) + [_basic_user_pass(v) for v in self.headers.values()]
        return {
            'method': self.command,
            'path': _scrub(split.path, secrets),
            'query': scrubbed_query(query, secrets),
            'headers': list(self.headers.keys()),
            'token_present': bool(found),
            'token_found': found,
            'body_length': len(body),
            'body_sha256': hashlib.sha256(body).hexdigest(),
            'canary_found': log.canary_in([body, unquote_plus(split.path), unquote_plus(split.query)] + header_text),
        }
