"""--tls covers every listener with one throw-away CA, and ships an unrelated CA to prove refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from cryptography import x509

from circleci_emulator import start_emulator

P = '/project/github/acme/api'
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USER = {'Circle-Token': 'demo-user-token', 'Accept': 'application/json'}


@pytest.fixture(scope='module')
def tls_emulator():
    """One HTTPS emulator for this module."""
    with start_emulator(tls=True) as handle:
        yield handle


def _urls(handle):
    return {'api': handle.api_url + '/me', 'artifact': handle.artifact_url + '/x/0/y', 'storage': handle.storage_url + '/nope',
            'foreign': handle.foreign_url + '/anything'}


def test_every_listener_is_https(tls_emulator):
    """API, artifacts, storage and foreign all answer HTTPS verified with ca_path."""
    for name, url in _urls(tls_emulator).items():
        assert url.startswith('https://'), name
        assert requests.get(url, headers=USER, verify=tls_emulator.ca_path, timeout=10).status_code in (200, 401, 404), name


def test_artifact_download_over_https(tls_emulator):
    """Artifact URL (https) → 302 to https storage → bytes, all verified with the same CA."""
    ca_path = tls_emulator.ca_path
    arts = requests.get(tls_emulator.api_url + P + '/300/artifacts', headers=USER, verify=ca_path, timeout=10).json()
    url = [a['url'] for a in arts if a['path'].endswith('report/index.html')][0]
    assert url.startswith(tls_emulator.artifact_url + '/')
    first = requests.get(url, headers=USER, allow_redirects=False, verify=ca_path, timeout=10)
    assert first.status_code == 302 and first.headers['Location'].startswith(tls_emulator.storage_url + '/')
    assert b'Report for build 300' in requests.get(first.headers['Location'], verify=ca_path, timeout=10).content


def test_other_ca_is_a_real_ca_that_did_not_sign(tls_emulator):
    """other_ca_path: next to ca_path, a CA certificate, different from the emulator's; every listener refuses it."""
    other = tls_emulator.other_ca_path
    assert os.path.dirname(other) == os.path.dirname(tls_emulator.ca_path) and other != tls_emulator.ca_path
    with open(other, 'rb') as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    with open(tls_emulator.ca_path, 'rb') as handle:
        ours = x509.load_pem_x509_certificate(handle.read())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.public_key() != ours.public_key() and cert.subject != ours.subject
    for name, url in _urls(tls_emulator).items():
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, verify=other, timeout=10)
        assert name


def test_explicit_ca_path_wins_over_requests_ca_bundle(tls_emulator, monkeypatch):
    """REQUESTS_CA_BUNDLE at a bundle without our CA: default verification fails, an explicit CA path still works."""
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', tls_emulator.other_ca_path)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_emulator.api_url + '/me', headers=USER, timeout=10)
    assert requests.get(tls_emulator.api_url + '/me', headers=USER, verify=tls_emulator.ca_path, timeout=10).status_code == 200


def test_requests_session_verify_loses_to_requests_ca_bundle(tls_emulator, monkeypatch):
    """The trap the unrelated CA exposes: requests lets REQUESTS_CA_BUNDLE override Session.verify (not a per-request
    verify=), so a client that only sets session.verify = ca_path fails when the environment names another bundle."""
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', tls_emulator.other_ca_path)
    session = requests.Session()
    session.verify = tls_emulator.ca_path
    with pytest.raises(requests.exceptions.SSLError):
        session.get(tls_emulator.api_url + '/me', headers=USER, timeout=10)
    assert session.get(tls_emulator.api_url + '/me', headers=USER, verify=tls_emulator.ca_path, timeout=10).status_code == 200


def test_ready_info_paths(tls_emulator):
    """The ready JSON carries ca_path, other_ca_path and foreign_url; without TLS the CA paths are null."""
    info = tls_emulator.ready_info()
    assert info['ca_path'] == tls_emulator.ca_path and info['other_ca_path'] == tls_emulator.other_ca_path
    assert info['foreign_url'] == tls_emulator.foreign_url and info['artifact_url'].startswith('https://')
    with start_emulator() as plain:
        assert plain.ready_info()['other_ca_path'] is None and plain.foreign_url.startswith('http://')


def test_ensure_tls_output(tmp_path):
    """ensure --tls prints both CA paths (next to the state file) and https URLs for every listener."""
    env = dict(os.environ)
    env['PYTHONPATH'] = HERE + os.pathsep + env.get('PYTHONPATH', '')
    state = str(tmp_path / 'emu.json')
    cmd = [sys.executable, '-m', 'circleci_emulator.ensure', '--state-file', state]
    info = json.loads(subprocess.run(cmd + ['--tls'], capture_output=True, text=True, check=True, env=env).stdout)
    try:
        assert info['ca_path'] == state + '.ca.pem' and info['other_ca_path'] == state + '.ca.other.pem'
        assert os.path.exists(info['other_ca_path'])
        for key in ('api_url', 'artifact_url', 'storage_url', 'foreign_url'):
            assert info[key].startswith('https://'), key
        assert requests.get(info['foreign_url'] + '/x', verify=info['ca_path'], timeout=10).json() == {'message': 'foreign host'}
    finally:
        subprocess.run(cmd + ['--stop'], capture_output=True, text=True, check=True, env=env)
