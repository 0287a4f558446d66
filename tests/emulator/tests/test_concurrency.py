"""Concurrency observability: in_flight / max_in_flight, and latency served in parallel."""

from __future__ import annotations

import threading
import time

import requests

P = '/project/github/acme/api'


def _parallel(handle, count, path='/me'):
    """Fire `count` GETs at once (one connection each); return (statuses, seconds from release to last answer)."""
    barrier = threading.Barrier(count + 1)
    statuses = [None] * count

    def worker(index):
        session = requests.Session()
        barrier.wait()
        statuses[index] = session.get(handle.api_url + path, timeout=30,
                                      headers={'Circle-Token': handle.tokens['user'], 'Accept': 'application/json'}).status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.monotonic()
    for thread in threads:
        thread.join()
    return statuses, time.monotonic() - start


def test_latency_is_served_concurrently(circleci_emulator, emulator_admin):
    """8 requests with 200 ms latency each overlap: well under 8 x 200 ms, and max_in_flight sees all 8."""
    emulator_admin.wait_idle()
    emulator_admin.clear_requests()
    emulator_admin.latency(200)
    statuses, elapsed = _parallel(circleci_emulator, 8)
    assert statuses == [200] * 8
    assert elapsed < 0.8, elapsed
    counters = emulator_admin.counters()
    assert counters['max_in_flight'] == 8 and counters['in_flight'] == 0 and counters['total'] == 8


def test_sequential_requests_have_max_in_flight_one(api, emulator_admin):
    """One request at a time is a high-water mark of 1; admin calls are not counted."""
    emulator_admin.wait_idle()
    emulator_admin.clear_requests()
    for dummy in range(3):
        assert api.get('/me').status_code == 200
    counters = emulator_admin.counters()
    assert counters['max_in_flight'] == 1 and counters['in_flight'] == 0


def test_in_flight_counts_a_held_request(api, emulator_admin):
    """A request held by a slow fault is in flight until it is answered, even after the client gave up."""
    emulator_admin.wait_idle()
    emulator_admin.add_faults({'kind': 'slow', 'delay': 0.6})
    try:
        api.get('/me', timeout=0.2)
    except requests.exceptions.ReadTimeout:
        pass
    assert emulator_admin.counters()['in_flight'] == 1
    assert emulator_admin.wait_idle()['in_flight'] == 0
    assert emulator_admin.counters()['max_in_flight'] == 1


def test_max_in_flight_reset_by_clear_and_reset(circleci_emulator, emulator_admin):
    """DELETE /_emulator/requests and POST /_emulator/reset both restart the high-water mark."""
    emulator_admin.wait_idle()
    emulator_admin.latency(100)
    _parallel(circleci_emulator, 3)
    assert emulator_admin.counters()['max_in_flight'] == 3
    emulator_admin.clear_requests()
    assert emulator_admin.counters()['max_in_flight'] == 0
    _parallel(circleci_emulator, 2)
    assert emulator_admin.counters()['max_in_flight'] == 2
    emulator_admin.reset()
    assert emulator_admin.counters()['max_in_flight'] == 0
