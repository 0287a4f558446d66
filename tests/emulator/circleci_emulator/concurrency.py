"""In-flight accounting of /api/ requests: how many are being handled now, and the most at once.

Clients that adapt their concurrency (or promise a limit) are tested against ``max_in_flight``, so the count covers the
whole time a request occupies the server, injected latency and slow/timeout faults included.
"""

from __future__ import annotations

import contextlib
import threading


class InFlight:
    """Thread-safe gauge with a high-water mark."""

    def __init__(self):
        self._lock = threading.Lock()
        self.now = 0
        self.high = 0

    @contextlib.contextmanager
    def track(self, path: str):
        """Count the request for the duration of the block if it is an /api/ request (any API version)."""
        if not path.startswith('/api/'):
            yield
            return
        with self._lock:
            self.now += 1
            self.high = max(self.high, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1

    def reset(self):
        """Forget the high-water mark; requests still running keep counting (the mark restarts at their number)."""
        with self._lock:
            self.high = self.now

    def view(self) -> dict:
        """The two counters as they appear in /_emulator/counters."""
        with self._lock:
            return {'in_flight': self.now, 'max_in_flight': self.high}
