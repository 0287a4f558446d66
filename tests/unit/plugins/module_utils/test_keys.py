# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fingerprints, private key parsing, the key plans and the converge routines of _keys (no network)."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from ansible_collections.community.circleci.plugins.module_utils import _keys as keys
from ansible_collections.community.circleci.plugins.module_utils._errors import (
    CheckModeWriteError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from ansible_collections.community.circleci.plugins.module_utils._slug import Project

SSH_KEYGEN = shutil.which('ssh-keygen')
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason='ssh-keygen is not installed')

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


def hand_fingerprints(public_line):
    """The fingerprints computed the textbook way, independently of the module's parser."""
    blob = base64.b64decode(public_line.split()[1])
    md5 = hashlib.md5(blob).hexdigest()
    return (':'.join(md5[i:i + 2] for i in range(0, 32, 2)),
            'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip('='))


def ssh_keygen_fingerprints(path):
    """(md5, sha256) as ssh-keygen prints them for a public or private key file."""
    md5 = subprocess.run([SSH_KEYGEN, '-l', '-E', 'md5', '-f', path], check=True, capture_output=True, text=True).stdout.split()[1]
    sha = subprocess.run([SSH_KEYGEN, '-l', '-E', 'sha256', '-f', path], check=True, capture_output=True, text=True).stdout.split()[1]
    assert md5.startswith('MD5:')
    return md5[4:], sha


def private_pem(key, fmt, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode('ascii')


RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ECDSA = ec.generate_private_key(ec.SECP256R1())
ECDSA384 = ec.generate_private_key(ec.SECP384R1())
ED25519 = ed25519.Ed25519PrivateKey.generate()
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL
PKCS8 = serialization.PrivateFormat.PKCS8
OPENSSH = serialization.PrivateFormat.OpenSSH

KEY_FORMATS = {
    'rsa-pkcs1': (RSA, TRADITIONAL, '-----BEGIN RSA PRIVATE KEY-----', 'ssh-rsa '),
    'rsa-pkcs8': (RSA, PKCS8, '-----BEGIN PRIVATE KEY-----', 'ssh-rsa '),
    'rsa-openssh': (RSA, OPENSSH, '-----BEGIN OPENSSH PRIVATE KEY-----', 'ssh-rsa '),
    'ecdsa-sec1': (ECDSA, TRADITIONAL, '-----BEGIN EC PRIVATE KEY-----', 'ecdsa-sha2-nistp256 '),
    'ecdsa-pkcs8': (ECDSA, PKCS8, '-----BEGIN PRIVATE KEY-----', 'ecdsa-sha2-nistp256 '),
    'ecdsa384-openssh': (ECDSA384, OPENSSH, '-----BEGIN OPENSSH PRIVATE KEY-----', 'ecdsa-sha2-nistp384 '),
    'ed25519-pkcs8': (ED25519, PKCS8, '-----BEGIN PRIVATE KEY-----', 'ssh-ed25519 '),
    'ed25519-openssh': (ED25519, OPENSSH, '-----BEGIN OPENSSH PRIVATE KEY-----', 'ssh-ed25519 '),
}


# -- fingerprints ------------------------------------------------------------------------------------


@pytest.mark.parametrize('public_line, md5, sha256', RECORDED_VECTORS)
def test_fingerprints_match_circleci_and_ssh_keygen(public_line, md5, sha256):
    assert keys.fingerprints(public_line) == {'md5': md5, 'sha256': sha256}


@pytest.mark.parametrize('public_line, md5, sha256', RECORDED_VECTORS)
def test_fingerprints_match_the_textbook_computation(public_line, md5, sha256):
    assert hand_fingerprints(public_line) == (md5, sha256)


def test_fingerprints_ignore_comment_and_whitespace():
    line = RECORDED_VECTORS[1][0]
    assert keys.fingerprints('  %s  user@host  \n' % line)['md5'] == RECORDED_VECTORS[1][1]


@needs_ssh_keygen
@pytest.mark.parametrize('kind, bits', [('rsa', '2048'), ('ecdsa', '256'), ('ecdsa', '521'), ('ed25519', None)])
def test_fingerprints_of_ssh_keygen_keys(tmp_path, kind, bits):
    path = str(tmp_path / 'key')
    command = [SSH_KEYGEN, '-q', '-t', kind, '-N', '', '-C', 'unit-test', '-f', path]
    if bits:
        command += ['-b', bits]
    subprocess.run(command, check=True)
    with open(path + '.pub') as handle:
        public_line = handle.read()
    md5, sha256 = ssh_keygen_fingerprints(path + '.pub')
    assert keys.fingerprints(public_line) == {'md5': md5, 'sha256': sha256}
    with open(path) as handle:
        loaded_line, prints = keys.load_private_key(handle.read())
    assert loaded_line == ' '.join(public_line.split()[:2])
    assert prints == {'md5': md5, 'sha256': sha256}


@pytest.mark.parametrize('bad', ['', '   ', 'ssh-rsa', 'AAAAB3NzaC1yc2E', 'ssh-rsa !!notbase64!!',
                                 'ssh-ed25519 ' + RECORDED_VECTORS[1][0].split()[1],  # blob says ssh-rsa
                                 'ssh-foo AAAA', None])
def test_fingerprints_reject_what_is_not_a_public_key(bad):
    with pytest.raises(keys.KeyFormatError):
        keys.fingerprints(bad)


# -- normalize_fingerprint -----------------------------------------------------------------------------


@pytest.mark.parametrize('given, expected', [
    ('10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('MD5:10:1E:A8:74:C9:32:9F:1E:94:33:4A:AD:64:C0:4E:82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('101ea874c9329f1e94334aad64c04e82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
    ('SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc=', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
    ('sha256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
])
def test_normalize_fingerprint(given, expected):
    assert keys.normalize_fingerprint(given) == expected


@pytest.mark.parametrize('bad', ['', 'asdf-bogus', '10:1e:a8', 'zz:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82',
                                 'SHA256:tooshort', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGN!'])
def test_normalize_fingerprint_rejects(bad):
    with pytest.raises(keys.KeyFormatError):
        keys.normalize_fingerprint(bad)


def test_fingerprint_matches_either_form_but_not_another_key():
    prints = keys.fingerprints(RECORDED_VECTORS[0][0])
    assert keys.fingerprint_matches('MD5:10:1E:A8:74:C9:32:9F:1E:94:33:4A:AD:64:C0:4E:82', prints)
    assert keys.fingerprint_matches(RECORDED_VECTORS[0][2], prints)
    assert not keys.fingerprint_matches(RECORDED_VECTORS[1][1], prints)
    assert not keys.fingerprint_matches(RECORDED_VECTORS[1][2], prints)


# -- load_private_key -------------------------------------------------------------------------------------


@pytest.mark.parametrize('name', sorted(KEY_FORMATS))
def test_load_private_key_every_format(name):
    key, fmt, header, prefix = KEY_FORMATS[name]
    text = private_pem(key, fmt)
    assert text.startswith(header)
    expected_line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    public_line, prints = keys.load_private_key(text)
    assert public_line == expected_line
    assert public_line.startswith(prefix)
    md5, sha256 = hand_fingerprints(expected_line)
    assert prints == {'md5': md5, 'sha256': sha256}


@needs_ssh_keygen
@pytest.mark.parametrize('name', sorted(set(KEY_FORMATS) - {'ed25519-pkcs8'}))  # ssh-keygen cannot read Ed25519 PKCS#8
def test_load_private_key_agrees_with_ssh_keygen(tmp_path, name):
    key, fmt, dummy, dummy2 = KEY_FORMATS[name]
    path = tmp_path / 'key'
    path.write_text(private_pem(key, fmt))
    os.chmod(str(path), 0o600)
    public = subprocess.run([SSH_KEYGEN, '-y', '-f', str(path)], check=True, capture_output=True, text=True).stdout
    pub_path = tmp_path / 'key.pub'
    pub_path.write_text(public)
    md5, sha256 = ssh_keygen_fingerprints(str(pub_path))
    public_line, prints = keys.load_private_key(path.read_text())
    assert public_line == ' '.join(public.split()[:2])
    assert prints == {'md5': md5, 'sha256': sha256}


def test_load_private_key_tolerates_crlf_and_surrounding_whitespace():
    text = private_pem(RSA, TRADITIONAL)
    public_line, dummy = keys.load_private_key('\n  ' + text.replace('\n', '\r\n') + '\n\n')
    assert public_line == keys.load_private_key(text)[0]


@pytest.mark.parametrize('fmt', [TRADITIONAL, PKCS8])
def test_load_private_key_encrypted_pem(fmt):
    with pytest.raises(keys.KeyFormatError, match='encrypted with a passphrase; CircleCI needs an unencrypted key'):
        keys.load_private_key(private_pem(RSA, fmt, password=b'correct horse'))


@needs_ssh_keygen
def test_load_private_key_encrypted_openssh(tmp_path):
    path = str(tmp_path / 'key')
    subprocess.run([SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', 'correct horse', '-f', path], check=True)
    with open(path) as handle:
        text = handle.read()
    with pytest.raises(keys.KeyFormatError, match='CircleCI needs an unencrypted key') as caught:
        keys.load_private_key(text)
    assert 'correct horse' not in str(caught.value)


def test_load_private_key_rejects_dsa():
    key = dsa.generate_private_key(key_size=1024)
    with pytest.raises(keys.KeyFormatError, match='DSA keys are not supported'):
        keys.load_private_key(private_pem(key, PKCS8))


@pytest.mark.parametrize('bad, message', [
    ('', 'empty'),
    (None, 'empty'),
    ('RSA Private Key', 'not a PEM or OpenSSH private key'),  # what the recorded 400 was caused by
    (RECORDED_VECTORS[1][0], 'this is a public key'),
    ('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwwuwmtxV5vZw\n-----END RSA PRIVATE KEY-----\n', 'damaged, truncated'),
    ('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n', 'damaged, truncated'),
])
def test_load_private_key_rejects_garbage_without_quoting_it(bad, message):
    with pytest.raises(keys.KeyFormatError, match=message) as caught:
        keys.load_private_key(bad)
    assert 'MIIEowIBAAKCAQEA' not in str(caught.value)


def test_load_private_key_truncated_real_key():
    text = private_pem(RSA, TRADITIONAL)
    lines = text.splitlines()
    truncated = '\n'.join(lines[:5] + lines[-1:])
    with pytest.raises(keys.KeyFormatError):
        keys.load_private_key(truncated)


# -- masks -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('shown, value, expected', [
    ('xxxx1a2b', '0000-1a2b', True),
    ('xxxxxxxxxxxx1a2b', '0000-1a2b', True),  # a longer mask: only the last four characters count
    ('xxxx1a2b', '0000-1a2c', False),
    (None, '0000-1a2b', False),
    ('', '0000-1a2b', False),
    ('xxxx', 'abc', True),  # shorter than four characters: CircleCI shows xxxx only
    ('xxxx', 'abcd', False),
])
def test_masked_matches(shown, value, expected):
    assert keys.masked_matches(shown, value) is expected


def test_mask_secret():
    assert keys.mask_secret('sk_live_0123456789') == 'xxxx6789'
    assert keys.mask_secret('abc') == 'xxxx'


# -- checkout key plans ------------------------------------------------------------------------------------


def ck(key_type, n, preferred=False, time='2020-01-0%dT00:00:00.000Z'):
    public_line = RECORDED_VECTORS[n % 2][0] if n < 2 else private_line(n)
    return keys.describe_checkout_key({'type': key_type, 'public_key': public_line, 'preferred': preferred,
                                       'time': time % (n + 1), 'login': None})


_EXTRA = {}


def private_line(n):
    if n not in _EXTRA:
        _EXTRA[n] = keys.load_private_key(private_pem(ed25519.Ed25519PrivateKey.generate(), OPENSSH))[0]
    return _EXTRA[n]


def test_describe_checkout_key_computes_both_fingerprints():
    described = keys.describe_checkout_key({'type': 'deploy-key', 'public_key': RECORDED_VECTORS[0][0], 'preferred': True,
                                            'time': 't', 'fingerprint': 'ignored', 'login': None})
    assert described == {'type': 'deploy-key', 'public_key': RECORDED_VECTORS[0][0].strip(), 'fingerprint_md5': RECORDED_VECTORS[0][1],
                         'fingerprint_sha256': RECORDED_VECTORS[0][2], 'preferred': True, 'time': 't', 'login': None}


def test_plan_checkout_present_exists():
    current = [ck('deploy-key', 0, preferred=True)]
    plan = keys.plan_checkout_key(current, 'deploy-key', 'present')
    assert plan['create'] is None and plan['delete'] == []
    assert plan['key'] is current[0]
    assert plan['after'] == current


def test_plan_checkout_present_missing_creates_one():
    current = [ck('deploy-key', 0, preferred=True)]
    plan = keys.plan_checkout_key(current, 'github-user-key', 'present', preferred=True)
    assert plan['create'] == 'github-user-key'
    assert plan['key'] is None
    assert [(key['type'], key['preferred']) for key in plan['after']] == [('deploy-key', False), ('github-user-key', True)]
    assert plan['after'][1]['fingerprint_md5'] == keys.NEW_KEY


def test_plan_checkout_present_in_empty_project():
    plan = keys.plan_checkout_key([], 'deploy-key', 'present', preferred=True)
    assert plan['create'] == 'deploy-key'
    assert plan['after'][0]['preferred'] is True


def test_plan_checkout_several_of_the_type_picks_the_preferred_then_the_newest():
    current = [ck('deploy-key', 0), ck('deploy-key', 1), ck('github-user-key', 2, preferred=True)]
    assert keys.plan_checkout_key(current, 'deploy-key', 'present')['key'] is current[1]
    current[0]['preferred'], current[2]['preferred'] = True, False
    assert keys.plan_checkout_key(current, 'deploy-key', 'present')['key'] is current[0]


def test_plan_checkout_preferred_deploy_key_blocked_by_user_key():
    current = [ck('deploy-key', 0), ck('github-user-key', 1, preferred=True)]
    with pytest.raises(keys.KeyPlanError, match='CircleCI prefers the github-user-key') as caught:
        keys.plan_checkout_key(current, 'deploy-key', 'present', preferred=True)
    assert current[1]['fingerprint_md5'] in str(caught.value)
    # without preferred, the existing deploy key is enough
    assert keys.plan_checkout_key(current, 'deploy-key', 'present')['create'] is None


def test_plan_checkout_preferred_deploy_key_missing_and_user_key_present():
    current = [ck('github-user-key', 1, preferred=True)]
    with pytest.raises(keys.KeyPlanError, match='a new one would not be preferred'):
        keys.plan_checkout_key(current, 'deploy-key', 'present', preferred=True)
    assert keys.plan_checkout_key(current, 'deploy-key', 'present')['create'] == 'deploy-key'


def test_plan_checkout_absent_by_md5_sha256_and_type():
    current = [ck('deploy-key', 0, preferred=True), ck('github-user-key', 1), ck('deploy-key', 2)]
    by_md5 = keys.plan_checkout_key(current, None, 'absent', fingerprint='MD5:' + RECORDED_VECTORS[1][1].upper())
    assert by_md5['delete'] == [current[1]]
    by_sha = keys.plan_checkout_key(current, None, 'absent', fingerprint=RECORDED_VECTORS[0][2])
    assert by_sha['delete'] == [current[0]]
    assert [key['fingerprint_md5'] for key in by_sha['after']] == [current[1]['fingerprint_md5'], current[2]['fingerprint_md5']]
    assert by_sha['after'][0]['preferred'] is True  # the user key becomes preferred
    by_type = keys.plan_checkout_key(current, 'deploy-key', 'absent')
    assert by_type['delete'] == [current[0], current[2]]
    both = keys.plan_checkout_key(current, 'deploy-key', 'absent', fingerprint=RECORDED_VECTORS[1][1])
    assert both['delete'] == []  # that fingerprint is a user key
    missing = keys.plan_checkout_key(current, None, 'absent', fingerprint='00' * 16)
    assert missing['delete'] == [] and missing['after'] == current


# -- SSH key plans ----------------------------------------------------------------------------------------


def sk(hostname, n):
    line = RECORDED_VECTORS[n][0] if n < 2 else private_line(n)
    return keys.describe_ssh_key({'hostname': hostname, 'public_key': line, 'fingerprint': keys.fingerprints(line)['md5']})


def prints_of(n):
    return keys.fingerprints(RECORDED_VECTORS[n][0] if n < 2 else private_line(n))


def test_plan_ssh_present_exists_and_missing():
    current = [sk('deploy.example.com', 0), sk('other.example.com', 1)]
    exists = keys.plan_ssh_key(current, 'deploy.example.com', prints_of(0), 'present')
    assert (exists['add'], exists['delete'], exists['copies']) == (False, [], 1)
    # same key, other hostname: missing for this hostname
    missing = keys.plan_ssh_key(current, 'deploy.example.com', prints_of(1), 'present')
    assert missing['add'] is True and missing['delete'] == []
    assert missing['after'][-1]['hostname'] == 'deploy.example.com'
    assert missing['after'][-1]['fingerprint_sha256'] == RECORDED_VECTORS[1][2]


def test_plan_ssh_empty_hostname_means_all_hosts():
    current = [keys.describe_ssh_key({'hostname': None, 'public_key': RECORDED_VECTORS[0][0]})]
    assert current[0]['hostname'] == ''
    assert keys.plan_ssh_key(current, '', prints_of(0), 'present')['add'] is False
    assert keys.plan_ssh_key(current, None, prints_of(0), 'present')['add'] is False


def test_plan_ssh_duplicates():
    current = [sk('h', 0), sk('h', 0), sk('h', 0), sk('h', 1)]
    left_alone = keys.plan_ssh_key(current, 'h', prints_of(0), 'present')
    assert (left_alone['add'], left_alone['delete'], left_alone['copies']) == (False, [], 3)
    cleaned = keys.plan_ssh_key(current, 'h', prints_of(0), 'present', remove_duplicates=True)
    assert cleaned['add'] is True and cleaned['readd'] is True
    assert [(entry['fingerprint_md5'], entry['copies'], entry['reason']) for entry in cleaned['delete']] == [
        (RECORDED_VECTORS[0][1], 3, 'duplicate')]
    assert [key['fingerprint_md5'] for key in cleaned['after']] == [RECORDED_VECTORS[1][1], RECORDED_VECTORS[0][1]]
    # duplicates of another key are not this task's business without exclusive
    other = keys.plan_ssh_key([sk('h', 1), sk('h', 1), sk('h', 0)], 'h', prints_of(0), 'present', remove_duplicates=True)
    assert other['delete'] == [] and other['add'] is False


def test_plan_ssh_exclusive_removes_the_hostnames_other_keys_only():
    current = [sk('h', 0), sk('h', 1), sk('h', 1), sk('h', 2), sk('elsewhere', 1)]
    plan = keys.plan_ssh_key(current, 'h', prints_of(0), 'present', exclusive=True)
    assert plan['add'] is False
    assert [(entry['hostname'], entry['fingerprint_md5'], entry['copies'], entry['reason']) for entry in plan['delete']] == [
        ('h', RECORDED_VECTORS[1][1], 2, 'exclusive'), ('h', prints_of(2)['md5'], 1, 'exclusive')]
    assert [(key['hostname'], key['fingerprint_md5']) for key in plan['after']] == [('h', RECORDED_VECTORS[0][1]), ('elsewhere', RECORDED_VECTORS[1][1])]
    # exclusive and missing: delete the others, add this one
    plan = keys.plan_ssh_key([sk('h', 1)], 'h', prints_of(0), 'present', exclusive=True)
    assert plan['add'] is True and [entry['reason'] for entry in plan['delete']] == ['exclusive']


def test_plan_ssh_absent():
    current = [sk('h', 0), sk('h', 0), sk('other', 0)]
    plan = keys.plan_ssh_key(current, 'h', prints_of(0), 'absent')
    assert [(entry['hostname'], entry['copies']) for entry in plan['delete']] == [('h', 2)]
    assert plan['add'] is False and plan['after'] == [current[2]]
    assert keys.plan_ssh_key(current, 'nowhere', prints_of(0), 'absent')['delete'] == []
    by_sha = keys.plan_ssh_key(current, 'other', {'md5': None, 'sha256': RECORDED_VECTORS[0][2]}, 'absent')
    assert [entry['hostname'] for entry in by_sha['delete']] == ['other']


def test_find_duplicates():
    current = [sk('h', 0), sk('h', 1), sk('h', 0), sk('other', 0)]
    assert keys.find_duplicates(current) == [{'hostname': 'h', 'fingerprint_md5': RECORDED_VECTORS[0][1],
                                              'fingerprint_sha256': RECORDED_VECTORS[0][2], 'copies': 2}]


# -- Heroku plan -----------------------------------------------------------------------------------------------


def test_plan_heroku_key():
    assert keys.plan_heroku_key(None, '0000-1a2b') == {'write': True, 'unverified': False, 'before': None, 'after': 'xxxx1a2b'}
    assert keys.plan_heroku_key('xxxx1a2b', '9999-1a2b') == {'write': False, 'unverified': True, 'before': 'xxxx1a2b', 'after': 'xxxx1a2b'}
    assert keys.plan_heroku_key('xxxx1a2b', '9999-1a2b', force=True)['write'] is True
    assert keys.plan_heroku_key('xxxx1a2b', '9999-1a2b', force=True)['unverified'] is False
    assert keys.plan_heroku_key('xxxx9z8y', '0000-1a2b')['write'] is True


# -- converge routines against a fake client ------------------------------------------------------------------


class FakeClient:
    """Records requests; answers from a script of (method, path) -> answer or exception."""

    def __init__(self, answers, read_only=False):
        self.answers = answers
        self.calls = []
        self.read_only = read_only

    def _answer(self, method, path, body=None):
        self.calls.append((method, path, body))
        if self.read_only and method != 'GET':
            raise CheckModeWriteError(method, path)
        answer = self.answers[(method, path)]
        if isinstance(answer, list) and answer and callable(answer[0]):
            answer = answer.pop(0)
        if callable(answer):
            answer = answer(body)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @staticmethod
    def _path(template, *args):
        return template.format(*[arg.slug if isinstance(arg, Project) else arg for arg in args])

    def get(self, template, *args, params=None):
        return self._answer('GET', self._path(template, *args))

    def post(self, template, *args, body=None, params=None, repeatable=False):
        assert repeatable is False
        return self._answer('POST', self._path(template, *args), body)

    def delete(self, template, *args, body=None, params=None):
        return self._answer('DELETE', self._path(template, *args), body)

    def writes(self):
        return [call for call in self.calls if call[0] != 'GET']


PROJECT = Project('github', 'acme', 'api')


def api_checkout_key(key_type, n, preferred):
    line = RECORDED_VECTORS[n][0] if n < 2 else private_line(n)
    return {'public_key': line + ' \n', 'type': key_type, 'fingerprint': keys.fingerprints(line)['md5'], 'preferred': preferred,
            'time': '2020-01-03T23:09:45.932Z', 'login': None}


def test_converge_checkout_key_exists_costs_one_get():
    client = FakeClient({('GET', 'project/gh/acme/api/checkout-key'): [api_checkout_key('deploy-key', 0, True)]})
    result = keys.converge_checkout_key(client, PROJECT, 'deploy-key', 'present', True, None, False)
    assert result['changed'] is False
    assert result['key']['fingerprint_sha256'] == RECORDED_VECTORS[0][2]
    assert len(client.calls) == 1


def test_converge_checkout_key_creates_once_and_check_mode_writes_nothing():
    answers = {('GET', 'project/gh/acme/api/checkout-key'): [],
               ('POST', 'project/gh/acme/api/checkout-key'): api_checkout_key('deploy-key', 1, True)}
    check = FakeClient(answers, read_only=True)
    predicted = keys.converge_checkout_key(check, PROJECT, 'deploy-key', 'present', False, None, True)
    assert predicted['changed'] is True and predicted['key'] is None and check.writes() == []
    client = FakeClient(answers)
    result = keys.converge_checkout_key(client, PROJECT, 'deploy-key', 'present', False, None, False)
    assert client.writes() == [('POST', 'project/gh/acme/api/checkout-key', {'type': 'deploy-key'})]
    assert result['changed'] is True
    assert result['created']['fingerprint_md5'] == RECORDED_VECTORS[1][1]
    assert result['key'] == result['created'] and result['keys'] == [result['created']]
    assert result['diff']['after']['checkout_keys'][0]['fingerprint_sha256'] == RECORDED_VECTORS[1][2]


def test_converge_checkout_key_project_token_gets_a_clear_message():
    denied = PermissionDeniedError('POST', '/project/gh/acme/api/checkout-key', 403, 'Permission denied')
    answers = {('GET', 'project/gh/acme/api/checkout-key'): [], ('POST', 'project/gh/acme/api/checkout-key'): denied}
    with pytest.raises(PermissionDeniedError) as caught:
        keys.converge_checkout_key(FakeClient(answers), PROJECT, 'deploy-key', 'present', False, None, False)
    assert 'needs a personal API token' in str(caught.value)
    assert 'project API token' in str(caught.value)
    assert caught.value.status == 403


def test_converge_checkout_key_not_made_preferred_fails_after_creating():
    answers = {('GET', 'project/gh/acme/api/checkout-key'): [],
               ('POST', 'project/gh/acme/api/checkout-key'): api_checkout_key('deploy-key', 1, False)}
    with pytest.raises(keys.PartialFailure, match='did not make it the preferred key') as caught:
        keys.converge_checkout_key(FakeClient(answers), PROJECT, 'deploy-key', 'present', True, None, False)
    assert caught.value.result['created']['fingerprint_md5'] == RECORDED_VECTORS[1][1]


def test_converge_checkout_key_absent_deletes_by_md5_and_tolerates_404():
    answers = {('GET', 'project/gh/acme/api/checkout-key'): [api_checkout_key('deploy-key', 0, True), api_checkout_key('deploy-key', 1, False)],
               ('DELETE', 'project/gh/acme/api/checkout-key/' + RECORDED_VECTORS[0][1]): {'message': 'ok'},
               ('DELETE', 'project/gh/acme/api/checkout-key/' + RECORDED_VECTORS[1][1]): NotFoundError('DELETE', '/x', 404, 'checkout key not found')}
    client = FakeClient(answers)
    result = keys.converge_checkout_key(client, PROJECT, 'deploy-key', 'absent', False, None, False)
    assert result['changed'] is True and result['keys'] == []
    assert [entry['fingerprint_md5'] for entry in result['deleted']] == [RECORDED_VECTORS[0][1], RECORDED_VECTORS[1][1]]
    client = FakeClient(answers)
    result = keys.converge_checkout_key(client, PROJECT, None, 'absent', False, RECORDED_VECTORS[0][2], False)
    assert client.writes() == [('DELETE', 'project/gh/acme/api/checkout-key/' + RECORDED_VECTORS[0][1], None)]


def test_converge_checkout_key_partial_failure_reports_what_was_deleted():
    answers = {('GET', 'project/gh/acme/api/checkout-key'): [api_checkout_key('deploy-key', 0, True), api_checkout_key('deploy-key', 1, False)],
               ('DELETE', 'project/gh/acme/api/checkout-key/' + RECORDED_VECTORS[0][1]): {'message': 'ok'},
               ('DELETE', 'project/gh/acme/api/checkout-key/' + RECORDED_VECTORS[1][1]): ServerError('DELETE', '/x', 500)}
    with pytest.raises(keys.PartialFailure) as caught:
        keys.converge_checkout_key(FakeClient(answers), PROJECT, 'deploy-key', 'absent', False, None, False)
    assert [entry['fingerprint_md5'] for entry in caught.value.result['deleted']] == [RECORDED_VECTORS[0][1]]
    assert [key['fingerprint_md5'] for key in caught.value.result['keys']] == [RECORDED_VECTORS[1][1]]
    assert isinstance(caught.value.error, ServerError)


def test_converge_checkout_key_bad_fingerprint_fails_before_any_request():
    client = FakeClient({})
    with pytest.raises(keys.KeyFormatError):
        keys.converge_checkout_key(client, PROJECT, None, 'absent', False, 'asdf-bogus', False)
    assert client.calls == []


class SshKeyStore:
    """A tiny model of CircleCI's SSH keys: duplicates kept, DELETE removes every copy (as the emulator does)."""

    def __init__(self, entries, delete_removes_one=False):
        self.entries = list(entries)
        self.delete_removes_one = delete_removes_one

    def settings(self, body=None):
        return {'ssh_keys': [{'hostname': host, 'public_key': line, 'fingerprint': keys.fingerprints(line)['md5']}
                             for host, line in self.entries]}

    def add(self, body):
        self.entries.append((body['hostname'], keys.load_private_key(body['private_key'])[0]))
        return None

    def delete(self, body):
        matching = [entry for entry in self.entries
                    if entry[0] == body['hostname'] and keys.fingerprints(entry[1])['md5'] == body['fingerprint']]
        for entry in matching[:1] if self.delete_removes_one else matching:
            self.entries.remove(entry)
        return None

    def answers(self):
        return {('GET', 'project/gh/acme/api/settings'): self.settings,
                ('POST', 'project/gh/acme/api/ssh-key'): self.add,
                ('DELETE', 'project/gh/acme/api/ssh-key'): self.delete}


PRIVATE = private_pem(ed25519.Ed25519PrivateKey.generate(), OPENSSH)
PUBLIC = keys.load_private_key(PRIVATE)[0]


def test_converge_ssh_key_present_missing_then_idempotent():
    store = SshKeyStore([('deploy.example.com', RECORDED_VECTORS[0][0])])
    check = FakeClient(store.answers(), read_only=True)
    predicted = keys.converge_ssh_key(check, PROJECT, 'deploy.example.com', PRIVATE, 'present', False, False, True)
    assert predicted['changed'] is True and predicted['added'] is True and check.writes() == []
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'deploy.example.com', PRIVATE, 'present', False, False, False)
    assert result['changed'] is True and result['added'] is True
    assert [call[:2] for call in client.calls] == [('GET', 'project/gh/acme/api/settings'), ('POST', 'project/gh/acme/api/ssh-key')]
    assert client.calls[1][2] == {'hostname': 'deploy.example.com', 'private_key': PRIVATE}
    assert store.entries[-1] == ('deploy.example.com', PUBLIC)
    assert PRIVATE not in repr(result)
    again = FakeClient(store.answers())
    result = keys.converge_ssh_key(again, PROJECT, 'deploy.example.com', PRIVATE, 'present', False, False, False)
    assert result['changed'] is False and len(again.calls) == 1


def test_converge_ssh_key_given_settings_costs_no_read():
    store = SshKeyStore([('h', PUBLIC)])
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'h', PRIVATE, 'present', False, False, False, settings=store.settings())
    assert result['changed'] is False and client.calls == []


@pytest.mark.parametrize('delete_removes_one', [False, True])
def test_converge_ssh_key_remove_duplicates_leaves_one_copy(delete_removes_one):
    store = SshKeyStore([('h', PUBLIC), ('h', PUBLIC), ('h', PUBLIC), ('other', PUBLIC)], delete_removes_one)
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'h', PRIVATE, 'present', True, False, False)
    assert result['changed'] is True
    assert sorted(store.entries) == [('h', PUBLIC), ('other', PUBLIC)]
    methods = [call[0] for call in client.calls]
    if delete_removes_one:
        assert methods == ['GET', 'DELETE', 'GET', 'DELETE'] and result['added'] is False
    else:
        assert methods == ['GET', 'DELETE', 'GET', 'POST'] and result['added'] is True
    assert result['deleted'][0]['copies'] == 3
    again = FakeClient(store.answers())
    assert keys.converge_ssh_key(again, PROJECT, 'h', PRIVATE, 'present', True, False, False)['changed'] is False


def test_converge_ssh_key_readd_failure_says_the_key_is_gone():
    store = SshKeyStore([('h', PUBLIC), ('h', PUBLIC)])
    answers = dict(store.answers())
    answers[('POST', 'project/gh/acme/api/ssh-key')] = ServerError('POST', '/project/gh/acme/api/ssh-key', 502)
    with pytest.raises(keys.PartialFailure, match='was deleted and could not be added back') as caught:
        keys.converge_ssh_key(FakeClient(answers), PROJECT, 'h', PRIVATE, 'present', True, False, False)
    assert caught.value.result['added'] is False
    assert caught.value.result['ssh_keys'] == []  # what is really left, not the plan
    assert caught.value.result['deleted'][0]['reason'] == 'duplicate'
    assert store.entries == []


def test_converge_ssh_key_exclusive_and_absent():
    store = SshKeyStore([('h', RECORDED_VECTORS[0][0]), ('h', PUBLIC), ('h', RECORDED_VECTORS[1][0]), ('other', RECORDED_VECTORS[0][0])])
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'h', PRIVATE, 'present', False, True, False)
    assert result['changed'] is True and result['added'] is False
    assert store.entries == [('h', PUBLIC), ('other', RECORDED_VECTORS[0][0])]
    assert [call[2] for call in client.writes()] == [{'fingerprint': RECORDED_VECTORS[0][1], 'hostname': 'h'},
                                                     {'fingerprint': RECORDED_VECTORS[1][1], 'hostname': 'h'}]
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'h', PRIVATE, 'absent', False, False, False)
    assert result['changed'] is True and store.entries == [('other', RECORDED_VECTORS[0][0])]
    assert [call[0] for call in client.calls] == ['GET', 'DELETE']
    client = FakeClient(store.answers())
    result = keys.converge_ssh_key(client, PROJECT, 'other', None, 'absent', False, False, False, fingerprint=RECORDED_VECTORS[0][2])
    assert result['changed'] is True and store.entries == []
    assert result['key']['fingerprint_md5'] == RECORDED_VECTORS[0][1]
    assert client.writes()[0][2] == {'fingerprint': RECORDED_VECTORS[0][1], 'hostname': 'other'}


def test_converge_ssh_key_bad_key_fails_before_any_request():
    client = FakeClient({})
    with pytest.raises(keys.KeyFormatError):
        keys.converge_ssh_key(client, PROJECT, 'h', 'RSA Private Key', 'present', False, False, False)
    assert client.calls == []
