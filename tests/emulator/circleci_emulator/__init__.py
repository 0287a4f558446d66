"""CircleCI API v1.1 emulator for the community.circleci collection's tests (see docs/emulator.md)."""
# pylint: disable=too-many-arguments

from __future__ import annotations

from .server import Emulator

__all__ = ['EmulatorHandle', 'start_emulator', 'Emulator']


class EmulatorHandle:
    """A running in-process emulator: URLs, tokens, admin shortcuts, stop(); a context manager."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.base_url = emulator.base_url
        self.api_url = emulator.api_url
        self.api_v2_url = emulator.api_v2_url
        self.admin_url = emulator.admin_url
        self.artifact_url = emulator.artifact_url
        self.storage_url = emulator.storage_url
        self.foreign_url = emulator.foreign_url
        self.ca_path = emulator.ca_path
        self.other_ca_path = emulator.other_ca_path
        self.tokens = emulator.tokens
        self.port = emulator.port

    def reset(self):
        """Back to the seed (same as POST /_emulator/reset)."""
        self.emulator.reset()

    def load_seed(self, seed):
        """Replace the state with another seed (dict, YAML/JSON text or path)."""
        self.emulator.load_seed(seed)

    def ready_info(self):
        """The ready-file JSON."""
        return self.emulator.ready_info()

    def stop(self):
        """Stop the listeners."""
        self.emulator.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def start_emulator(seed='default', tls=False, time_scale=1.0, port=0, host='127.0.0.1', latency_ms=0, faults=None,
                   ca_file=None, rate_limit=None) -> EmulatorHandle:
    """Start the emulator in background threads of this process and return its handle.

    rate_limit: 'RPS[:BURST]', a number or (rps, burst); kept across resets like the CLI's --rate-limit.
    """
    emulator = Emulator(seed=seed, host=host, port=port, tls=tls, time_scale=time_scale, latency_ms=latency_ms,
                        fault_rules=faults, ca_file=ca_file, rate_limit=rate_limit)
    emulator.start()
    return EmulatorHandle(emulator)
