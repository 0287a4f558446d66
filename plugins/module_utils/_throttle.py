# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How many requests go out, and how fast: bounded, and adapted to CircleCI's rate limit.

For internal collection use only: names and behaviour may change without notice.

CircleCI does not publish its rate limits; it answers 429, usually with ``Retry-After``. So the
client learns the limit from those answers:

- At most ``max_concurrency`` requests are in flight, across every pool of the module.
- A 429 with ``Retry-After`` holds every request, not only the one refused, until that time: the
  server asked the client to wait.
- From the second 429 on, the start rate is capped just below the rate that succeeded between the
  two (pauses included), which is what the server lets through over time; a further 429 measures it
  again. Each second without a 429 raises the cap a little, so the rate climbs back when the limit
  rises, and the next 429 corrects it. 429s that arrive together (requests already in flight when
  the limit was reached) count as one.
"""

from __future__ import annotations

import threading
import time

MARGIN = 0.95         # the cap sits this far below the measured rate
INCREASE = 0.02       # share of the cap added per second without a 429
MIN_INCREASE = 0.2    # requests per second added per quiet second, at the least
MIN_RATE = 0.2        # requests per second: never slower than one every five seconds
SAME_BURST = 0.5      # seconds: 429s closer than this to the previous one belong to the same burst


class Throttle:
    """The gate every request passes: ``with throttle.slot(): send()``, then ``throttle.answered(status, retry_after)``."""

    def __init__(self, max_concurrency, clock=time.monotonic, sleep=time.sleep):
        self.max_concurrency = max(1, int(max_concurrency))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Condition()
        self._in_flight = 0
        self._rate = None             # the learnt cap in requests per second; None: not capped
        self._next_start = 0.0        # when the next request may start under the cap
        self._paused_until = 0.0      # the newest Retry-After
        self._last_429 = None         # when the newest burst of 429s began
        self._successes_since = 0     # answers other than 429 since then
        self._last_raise = clock()
        self.peak_in_flight = 0
        self.throttled = 0            # 429 answers seen

    @property
    def rate(self):
        """The learnt cap in requests per second, or None while uncapped."""
        return self._rate

    def slot(self):
        return _Slot(self)

    def acquire(self):
        with self._lock:
            while True:
                now = self._clock()
                wait = max(self._paused_until, self._next_start if self._rate else 0.0) - now
                if wait > 0:
                    self._lock.release()  # sleep outside the lock, on the client's clock (tests fake it)
                    try:
                        self._sleep(wait)
                    finally:
                        self._lock.acquire()
                    continue
                if self._in_flight < self.max_concurrency:
                    break
                self._lock.wait()
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            if self._rate:
                self._next_start = max(now, self._next_start) + 1.0 / self._rate

    def release(self):
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def answered(self, status, retry_after=None):
        """Learn from an answer: a 429 pauses everyone and measures the rate; other answers may raise the cap."""
        with self._lock:
            now = self._clock()
            if status == 429:
                self.throttled += 1
                if retry_after is not None:
                    self._paused_until = max(self._paused_until, now + retry_after)
                if self._last_429 is None or now - self._last_429 > SAME_BURST:
                    if self._last_429 is not None:
                        measured = self._successes_since / (now - self._last_429)
                        self._rate = max(MIN_RATE, MARGIN * measured)
                        self._last_raise = now
                    self._last_429 = now
                    self._successes_since = 0
                return
            self._successes_since += 1
            quiet = now - self._last_raise
            if self._rate is not None and quiet >= 1.0:
                self._rate += max(MIN_INCREASE, self._rate * INCREASE) * quiet
                self._last_raise = now
            self._lock.notify_all()


class _Slot:
    def __init__(self, throttle):
        self.throttle = throttle

    def __enter__(self):
        self.throttle.acquire()
        return self

    def __exit__(self, *exc_info):
        self.throttle.release()
        return False
