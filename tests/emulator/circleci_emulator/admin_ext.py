"""Admin endpoints added for the robustness tests (rate limit, foreign listener, canaries), kept out of server.py's admin chain.

Each route takes (emulator, parsed JSON body) and returns the JSON answer; ValueError becomes a 400 in server.py.
"""

from __future__ import annotations


def rate_limit_get(emu, data):  # pylint: disable=unused-argument
    """GET /_emulator/rate-limit."""
    return emu.rate_limiter.view()


def rate_limit_set(emu, data):
    """POST /_emulator/rate-limit {"rps": 10, "burst": 10}; {"rps": 0} turns it off."""
    if not isinstance(data, dict) or 'rps' not in data:
        raise ValueError('expected {"rps": N, "burst": M}')
    emu.rate_limiter.configure(data['rps'], data.get('burst'))
    return emu.rate_limiter.view()


def rate_limit_off(emu, data):  # pylint: disable=unused-argument
    """DELETE /_emulator/rate-limit."""
    emu.rate_limiter.configure(0)
    return emu.rate_limiter.view()


def foreign_get(emu, data):  # pylint: disable=unused-argument
    """GET /_emulator/foreign: what the foreign listener received (no secrets)."""
    return {'requests': emu.foreign_log.entries()}


def foreign_clear(emu, data):  # pylint: disable=unused-argument
    """DELETE /_emulator/foreign."""
    emu.foreign_log.clear()
    return {'requests': []}


def canaries_add(emu, data):
    """POST /_emulator/canaries {"values": [...]}: secrets whose presence at the foreign listener is flagged."""
    if not isinstance(data, dict):
        raise ValueError('expected {"values": [...]}')
    return {'canaries': emu.foreign_log.add_canaries(data.get('values'))}


def canaries_count(emu, data):  # pylint: disable=unused-argument
    """GET /_emulator/canaries: how many (values are never shown)."""
    return {'canaries': emu.foreign_log.canary_count()}


def canaries_clear(emu, data):  # pylint: disable=unused-argument
    """DELETE /_emulator/canaries."""
    emu.foreign_log.clear_canaries()
    return {'canaries': 0}


ROUTES = {
    ('/rate-limit', 'GET'): rate_limit_get,
    ('/rate-limit', 'POST'): rate_limit_set,
    ('/rate-limit', 'DELETE'): rate_limit_off,
    ('/foreign', 'GET'): foreign_get,
    ('/foreign', 'DELETE'): foreign_clear,
    ('/canaries', 'GET'): canaries_count,
    ('/canaries', 'POST'): canaries_add,
    ('/canaries', 'DELETE'): canaries_clear,
}
