"""Admin endpoints added for the robustness tests (rate limit, ...), kept out of server.py's admin chain.

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


ROUTES = {
    ('/rate-limit', 'GET'): rate_limit_get,
    ('/rate-limit', 'POST'): rate_limit_set,
    ('/rate-limit', 'DELETE'): rate_limit_off,
}
