"""Per-token token-bucket rate limiter, so clients' backoff and adaptive concurrency meet a real limit.

Every /api/ request (any API version) takes one token from the bucket of the CircleCI token it carries (requests without
a token share one bucket). An empty bucket means 429 at once: the limiter never sleeps, it only computes how long the
client should wait.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time


def parse(value):
    """(rps, burst) from 'RPS[:BURST]', a number, a (rps, burst) pair, a {"rps","burst"} dict, or None (off)."""
    if value is None or value == '':
        return 0.0, None
    if isinstance(value, dict):
        return validate(value.get('rps', 0), value.get('burst'))
    if isinstance(value, (tuple, list)):
        return validate(*value)
    if isinstance(value, str):
        rps, dummy, burst = value.partition(':')
        return validate(rps, burst or None)
    return validate(value, None)


def validate(rps, burst=None):
    """Check and normalise: rps >= 0 (0 is off); burst >= 1, default max(rps, 1) so a slow rate still lets one through."""
    try:
        rps = float(rps)
        burst = float(burst) if burst is not None else None
    except (TypeError, ValueError) as exc:
        raise ValueError('rate limit: rps and burst must be numbers') from exc
    if rps < 0 or math.isnan(rps) or math.isinf(rps):
        raise ValueError('rate limit: rps must be a finite number >= 0 (0 turns it off)')
    if burst is not None and (burst < 1 or math.isnan(burst) or math.isinf(burst)):
        raise ValueError('rate limit: burst must be a finite number >= 1')
    if rps == 0:
        return 0.0, None
    return rps, burst if burst is not None else max(rps, 1.0)


def _number(value):
    """Show 10.0 as 10 in the admin view."""
    return int(value) if value is not None and float(value).is_integer() else value


class RateLimiter:
    """Token buckets keyed by a hash of the token value (so no token is kept in clear), under one lock."""

    def __init__(self, rps=0.0, burst=None, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.rps, self.burst = validate(rps, burst)
        self._buckets = {}

    def configure(self, rps, burst=None):
        """Set the limit (0 turns it off); every bucket starts full again."""
        rps, burst = validate(rps, burst)
        with self._lock:
            self.rps, self.burst = rps, burst
            self._buckets = {}

    @staticmethod
    def _key(token):
        return hashlib.sha256(token.encode('utf-8')).hexdigest() if token else ''

    def take(self, token):
        """Take one token for this request: None if allowed, else the Retry-After in whole seconds (>= 1)."""
        with self._lock:
            if not self.rps:
                return None
            now = self._clock()
            key = self._key(token)
            level, last = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - last) * self.rps)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return None
            self._buckets[key] = (level, now)
            return max(1, math.ceil((1 - level) / self.rps))

    def view(self):
        """Admin view: the limit and how many buckets exist."""
        with self._lock:
            return {'enabled': bool(self.rps), 'rps': _number(self.rps), 'burst': _number(self.burst),
                    'buckets': len(self._buckets)}
