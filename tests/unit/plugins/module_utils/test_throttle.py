# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adaptive throttle: bounded in flight, Retry-After honoured by every request, a rate learnt from 429s."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.community.circleci.plugins.module_utils._throttle import MARGIN, MIN_RATE, Throttle


class Clock:
    """A clock that moves only when slept on."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def throttle_on(clock, max_concurrency=8):
    return Throttle(max_concurrency, clock=clock, sleep=clock.sleep)


def succeed(throttle, clock, count, every):
    for dummy in range(count):
        with throttle.slot():
            clock.now += every
        throttle.answered(200)


def test_no_cap_and_no_wait_without_429s():
    clock = Clock()
    throttle = throttle_on(clock)
    succeed(throttle, clock, 50, 0.01)
    assert throttle.rate is None
    assert clock.sleeps == []


def test_retry_after_holds_every_request_until_it_has_passed():
    clock = Clock()
    throttle = throttle_on(clock)
    throttle.answered(429, retry_after=2)
    with throttle.slot():
        pass
    assert clock.sleeps == [2]
    assert throttle.rate is None  # one 429 alone measures nothing


def test_a_second_429_caps_the_rate_just_below_what_got_through_between_them():
    clock = Clock()
    throttle = throttle_on(clock)
    throttle.answered(429, retry_after=1)
    succeed(throttle, clock, 10, 0.05)  # after the one-second pause, ten got through in half a second
    throttle.answered(429, retry_after=1)
    assert throttle.rate == pytest.approx(MARGIN * 10 / 1.5)
    assert throttle.throttled == 2


def test_429s_that_arrive_together_count_once():
    clock = Clock()
    throttle = throttle_on(clock)
    throttle.answered(429, retry_after=1)
    for dummy in range(7):  # the other requests that were in flight
        throttle.answered(429, retry_after=1)
    assert throttle.rate is None


def test_a_capped_rate_spaces_the_starts():
    clock = Clock()
    throttle = throttle_on(clock)
    throttle.answered(429, retry_after=0)
    clock.now += 1.0
    throttle.answered(429, retry_after=0)  # nothing got through in a second: the floor
    assert throttle.rate == MIN_RATE
    starts = []
    for dummy in range(3):
        with throttle.slot():
            starts.append(clock.now)
    assert starts[1] - starts[0] == pytest.approx(1 / MIN_RATE)


def test_quiet_seconds_raise_the_cap():
    clock = Clock()
    throttle = throttle_on(clock)
    throttle.answered(429, retry_after=0)
    succeed(throttle, clock, 10, 0.1)
    throttle.answered(429, retry_after=0)
    capped = throttle.rate
    succeed(throttle, clock, 30, 0.2)
    assert throttle.rate > capped


def test_at_most_max_concurrency_in_flight():
    throttle = Throttle(3)
    state = {'now': 0, 'peak': 0}
    lock = threading.Lock()

    def work():
        with throttle.slot():
            with lock:
                state['now'] += 1
                state['peak'] = max(state['peak'], state['now'])
            time.sleep(0.02)
            with lock:
                state['now'] -= 1

    threads = [threading.Thread(target=work) for dummy in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state['peak'] == 3 == throttle.peak_in_flight
