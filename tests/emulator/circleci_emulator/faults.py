"""Fault rules: parse, match, and count."""

from __future__ import annotations

import random
import re
import threading

KINDS = ('429', '500', '502', '503', '504', 'reset', 'slow', 'truncated', 'malformed', 'timeout', 'redirect')
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
REDIRECT_TARGETS = ('foreign', 'same')
# Added to the query of a same-origin redirect; redirect rules ignore requests that carry it, so a rule without a
# `times` limit cannot send the client round in circles.
REDIRECT_MARK = '_emulator_redirected'


def parse_cli_rule(text: str) -> dict:
    """Parse the CLI form ``kind=429,path=/envvar,nth=3,retry_after=date`` into a rule dict."""
    rule = {}
    for part in text.split(','):
        if not part.strip():
            continue
        key, dummy, value = part.partition('=')
        key = key.strip()
        value = value.strip()
        if key in ('nth', 'times', 'status'):
            rule[key] = int(value)
        elif key in ('share', 'delay', 'seed'):
            rule[key] = float(value) if key != 'seed' else int(value)
        elif key == 'after':
            rule[key] = value.lower() in ('1', 'true', 'yes')
        elif key == 'retry_after' and value.isdigit():
            rule[key] = int(value)
        else:
            rule[key] = value
    return rule


class FaultRule:
    """One rule with its counters."""

    def __init__(self, spec: dict):
        if not isinstance(spec, dict):
            raise ValueError('a fault rule must be an object')
        self.spec = dict(spec)
        self.kind = str(spec.get('kind', ''))
        if self.kind not in KINDS:
            raise ValueError('unknown fault kind %r (one of %s)' % (self.kind, ', '.join(KINDS)))
        self.method = spec.get('method')
        self.api = spec.get('api')  # optional: only requests to this API version (v1.1 or v2)
        if self.api not in (None, 'v1.1', 'v2'):
            raise ValueError("fault api must be 'v1.1' or 'v2'")
        self.path = re.compile(spec['path']) if spec.get('path') else None
        self.nth = int(spec['nth']) if spec.get('nth') is not None else None
        self.share = float(spec['share']) if spec.get('share') is not None else None
        times = spec.get('times')
        if times is None:
            times = None if (self.share is not None or self.nth is not None) else 1
        self.times = int(times) if times is not None else None
        self.rng = random.Random(spec.get('seed', 0))
        self.seen = 0
        self.fired = 0
        self._check_kind_options()

    def _check_kind_options(self):
        """Refuse options that cannot work, at POST time rather than as a surprise mid-test."""
        spec = self.spec
        if spec.get('delay') is not None and float(spec['delay']) < 0:
            raise ValueError('delay must be >= 0')
        if self.kind != 'redirect':
            return
        if int(spec.get('status', 307)) not in REDIRECT_STATUSES:
            raise ValueError('redirect status must be one of %s' % ', '.join(map(str, REDIRECT_STATUSES)))
        if spec.get('to', 'foreign') not in REDIRECT_TARGETS:
            raise ValueError("redirect 'to' must be 'foreign' or 'same'")
        if spec.get('after'):
            raise ValueError('a redirect answers before the request takes effect; after: true is not possible')

    def matches(self, method: str, path: str, marked: bool = False, api=None) -> bool:
        """Count a matching request and say whether the fault fires for it (path: after the version prefix).

        marked: the request follows one of our same-origin redirects (redirect rules skip it).
        """
        if self.method and self.method.upper() != method.upper():
            return False
        if marked and self.kind == 'redirect':
            return False
        if self.api and self.api != api:
            return False
        if self.path and not self.path.search(path):
            return False
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None and self.seen != self.nth:
            return False
        if self.share is not None and self.rng.random() >= self.share:
            return False
        self.fired += 1
        return True

    def view(self) -> dict:
        """Rule plus counters."""
        return dict(self.spec, seen=self.seen, fired=self.fired)


class FaultSet:
    """Thread-safe list of rules."""

    def __init__(self):
        self._lock = threading.Lock()
        self.rules = []

    def add(self, specs, replace=False):
        """Append (or replace with) new rules; raises ValueError on a bad rule."""
        new = [FaultRule(s) for s in specs]
        with self._lock:
            if replace:
                self.rules = []
            self.rules.extend(new)

    def clear(self):
        """Remove all rules."""
        with self._lock:
            self.rules = []

    def pick(self, method, path, marked=False, api=None):
        """The first rule that fires for this request, or None. Every rule counts the request.

        marked: the request follows one of our same-origin redirects (redirect rules skip it).
        """
        chosen = None
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path, marked, api) and chosen is None:
                    chosen = rule
        return chosen

    def view(self):
        """All rules with counters."""
        with self._lock:
            return [r.view() for r in self.rules]
