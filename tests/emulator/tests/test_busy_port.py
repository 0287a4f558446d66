"""A busy port gives one clear line and a non-zero exit, never a traceback (CLI, ensure, in-process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from circleci_emulator import start_emulator
from circleci_emulator.server import ListenError

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = HERE + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('EMULATOR_PORT', None)
    return env


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that something is already listening on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def _one_clear_line(stderr, port, option):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert 'Traceback' not in stderr
    assert lines[0] == ('circleci-emulator: cannot listen on 127.0.0.1:%d: address already in use; pick another with %s'
                        % (port, option))


def test_cli_busy_port(busy_port):
    """python -m circleci_emulator --port N (what `make emulator` runs) exits 2 with one line."""
    proc = subprocess.run([sys.executable, '-m', 'circleci_emulator', '--port', str(busy_port)], capture_output=True,
                          text=True, env=_env(), timeout=30, check=False)
    assert proc.returncode == 2 and proc.stdout == ''
    _one_clear_line(proc.stderr, busy_port, '--port or EMULATOR_PORT')


def test_cli_busy_port_from_environment(busy_port):
    """EMULATOR_PORT is the default --port, and the message says so."""
    env = dict(_env(), EMULATOR_PORT=str(busy_port))
    proc = subprocess.run([sys.executable, '-m', 'circleci_emulator'], capture_output=True, text=True, env=env,
                          timeout=30, check=False)
    assert proc.returncode == 2
    _one_clear_line(proc.stderr, busy_port, '--port or EMULATOR_PORT')


def test_cli_busy_artifact_port_names_its_option(busy_port):
    """Each listener names the option that moves it."""
    proc = subprocess.run([sys.executable, '-m', 'circleci_emulator', '--port', '0', '--artifact-port', str(busy_port)],
                          capture_output=True, text=True, env=_env(), timeout=30, check=False)
    assert proc.returncode == 2
    _one_clear_line(proc.stderr, busy_port, '--artifact-port')


def test_ensure_busy_port(tmp_path, busy_port):
    """ensure relays the emulator's one line and exits non-zero; no state file is left behind."""
    state = tmp_path / 'emu.json'
    proc = subprocess.run([sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', str(state), '--port',
                           str(busy_port)], capture_output=True, text=True, env=_env(), timeout=60, check=False)
    assert proc.returncode != 0 and proc.stdout == ''
    _one_clear_line(proc.stderr, busy_port, '--port or EMULATOR_PORT')
    assert not state.exists()


def test_in_process_busy_port_raises_listen_error(busy_port):
    """start_emulator raises ListenError (an OSError) with the same message."""
    with pytest.raises(ListenError) as info:
        start_emulator(port=busy_port)
    assert 'cannot listen on 127.0.0.1:%d: address already in use' % busy_port in str(info.value)
    assert isinstance(info.value, OSError)
