# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What CircleCI answers, shaped as in the recorded interactions, and the key material the tests use.

The facts (status codes, bodies, masks, fingerprints) come from the recorded v1.1 interactions and
the API reference; fingerprints are computed here the textbook way, independently of the plugins.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.community.circleci.tests.unit.fakes import answer

SLUG = 'gh/acme/api'
PATH = '/api/v1.1/project/github/acme/api'  # the API path prefix of SLUG, as sent
HTML_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Welcome</body></html>'

# Public keys CircleCI returned in recorded interactions, with the MD5 fingerprint CircleCI itself showed for
# them, and the SHA256 fingerprint ssh-keygen -l -E sha256 shows: fingerprints computed elsewhere.
RECORDED_VECTORS = [
    ('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCDNJi8FantoIMiXEfgiR8Dgdi0209KE+KduRNxalg1z9uvlTKXGdj2DfcXZCiZoAgYnbCTTFl9wfXeTiyznH50mbhQF9'
     '3x82da66E4fN3vrpvkeysU/ScUhymOXEQ2xcI3yGT2qdi44fuAJDNc1qbo8TISI9U6REaaEeloRgZrlDJ18qk3r8r8sai2hZhQP+MhQsKWx7oxEyJMWXolAFVcNq7uMr'
     'S8gexxfyGVErtunHbCZYHqtThmieTfkwRFj7AN+T2vT9t5Li82SD4xl3FfdIYUgMBWaivoP3fUQ91YmmmZZgDte8V9/yNfyyh4cDF+cNFEd2lvHtfa5rZjPTJX \n',
     '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc'),
    ('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDDC7Ca3FXm9nAC5kpIQ+uB2a7ShJkj4PvjNJSsI1rmz2Z8eXDMLOEW08qGXBjFWlDtZkGtAw2U8UmaHKPcJ3YM+Ss5'
     'sw0sRURW3pPpqF0JzKvDaNg8UxDLBk8CFxb2YLjjSpM2G5BMY5w38Af/U/8Hhb284lg7sdbtM9rRLlDeYVEx+T/nVOWsH+j3SAICZfpKb7GCz1OCbH2lhEXQqPMin+0U'
     'Yw4ePrB0NvtC/x55fQ+cK1K3jbyVkZIXRw1KZAhUjEGCLu3CYsqkWCpLUsAABv36Vdb7KH9/kWXhUGKsS8LeiVLrJQDFaENDbvBo4rum1ORhgbD72DtBZKON4r6/',
     '83:3d:57:76:98:96:f6:ae:20:57:18:84:a6:4d:58:9d', 'SHA256:4LVQidJAgEda542FiqEgeuPJQ9K/QydScbDjZs/oCG4'),
]
KEY_A, MD5_A, SHA_A = RECORDED_VECTORS[0]
KEY_B, MD5_B, SHA_B = RECORDED_VECTORS[1]


def hand_fingerprints(public_line):
    """(md5, sha256) computed the textbook way, independently of the module's parser."""
    blob = base64.b64decode(public_line.split()[1])
    md5 = hashlib.md5(blob).hexdigest()
    return (':'.join(md5[i:i + 2] for i in range(0, 32, 2)),
            'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip('='))


def private_pem(key, fmt, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode('ascii')


def public_line_of(key):
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode('ascii')


def new_ed25519():
    """(private key text in the OpenSSH format, its public key line, its MD5, its SHA256 fingerprint)."""
    key = ed25519.Ed25519PrivateKey.generate()
    line = public_line_of(key)
    return (private_pem(key, serialization.PrivateFormat.OpenSSH), line) + hand_fingerprints(line)


# The private key the SSH key tests add, and a third public key for checkout keys.
PRIVATE, PUBLIC, MD5_P, SHA_P = new_ed25519()
dummy, KEY_C, MD5_C, SHA_C = new_ed25519()


# -- answers ---------------------------------------------------------------------------------------

def not_found(message):
    """CircleCI's 404, with its JSON message (an unknown project, build, variable or key)."""
    return answer(404, body={'message': message})


def html_200():
    """A web page answered with 200: what a wrong api_url (a sign-in page, a proxy) gives."""
    return answer(200, text=HTML_PAGE, headers={'Content-Type': 'text/html; charset=utf-8'})


def checkout_key(public_line, key_type='deploy-key', preferred=True, time='2020-01-03T23:09:45.932Z', login=None):
    """A checkout key as GET/POST .../checkout-key show it: the public key ends with " \\n", MD5 fingerprint."""
    return {'public_key': public_line.strip() + ' \n', 'type': key_type, 'fingerprint': hand_fingerprints(public_line)[0],
            'preferred': preferred, 'time': time, 'login': login}


def ssh_key(hostname, public_line):
    """An SSH key as GET .../settings lists it under ssh_keys."""
    return {'hostname': hostname, 'public_key': public_line, 'fingerprint': hand_fingerprints(public_line)[0]}


def settings(followed=True, ssh_keys=()):
    """GET .../settings: the project configuration (the telling fields of the recorded answer)."""
    return {'followed': followed, 'vcs-type': 'github', 'username': 'acme', 'reponame': 'api', 'default_branch': 'main',
            'has_usable_key': True, 'feature_flags': {'oss': False}, 'ssh_keys': [dict(key) for key in ssh_keys]}


def env_vars(**masked):
    """GET .../envvar: ``[{name, value}]`` sorted by name, values masked as given."""
    return [{'name': name, 'value': value} for name, value in sorted(masked.items())]


def masked(value):
    """The masked form CircleCI shows (the recorded "xxxxalue" for "testvalue"); computed here, not by the plugin."""
    return 'xxxx' + value[-4:] if len(value) >= 4 else 'xxxx'


def build(num, lifecycle='finished', status='success', outcome='success', **extra):
    """A build summary of acme/api, as the build endpoints show it."""
    summary = dict(build_num=num, lifecycle=lifecycle, status=status, outcome=outcome, username='acme', reponame='api',
                   branch='main', vcs_revision='17689466091d0399bf86751d5a560179f0758a8b', build_parameters=None,
                   build_url='https://circleci.com/gh/acme/api/%d' % num)
    summary.update(extra)
    return summary


def running(num, **extra):
    return build(num, 'running', 'running', None, **extra)


def me(heroku_api_key=None):
    """GET /me."""
    return {'login': 'acme-bot', 'name': 'Acme Bot', 'heroku_api_key': heroku_api_key, 'projects': {}}


# -- keys made by ssh-keygen, to check fingerprints and parsing against OpenSSH itself ------------------

SSH_KEYGEN = shutil.which('ssh-keygen')
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason='ssh-keygen is not installed')
SSH_KEYGEN_KINDS = [('rsa', '2048'), ('ecdsa', '256'), ('ecdsa', '521'), ('ed25519', None)]


def ssh_keygen_fingerprints(path):
    """(md5, sha256) as ssh-keygen prints them for a public or private key file."""
    md5 = subprocess.run([SSH_KEYGEN, '-l', '-E', 'md5', '-f', path], check=True, capture_output=True, text=True).stdout.split()[1]
    sha = subprocess.run([SSH_KEYGEN, '-l', '-E', 'sha256', '-f', path], check=True, capture_output=True, text=True).stdout.split()[1]
    assert md5.startswith('MD5:')
    return md5[4:], sha


def ssh_keygen_key(directory, kind, bits):
    """A new unencrypted key made by ssh-keygen in ``directory``: (private key path, public key line, md5, sha256)."""
    path = str(directory / 'key')
    command = [SSH_KEYGEN, '-q', '-t', kind, '-N', '', '-C', 'unit-test', '-f', path]
    if bits:
        command += ['-b', bits]
    subprocess.run(command, check=True)
    with open(path + '.pub') as handle:
        public_line = handle.read()
    return (path, public_line) + ssh_keygen_fingerprints(path + '.pub')
