# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH keys: private key parsing, option checks and the plan (pure), and ssh_key / ssh_key_info against scripted answers."""

from __future__ import annotations

import os
import subprocess

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from ansible_collections.community.circleci.plugins.module_utils import _ssh_keys
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._fingerprints import KeyFormatError
from ansible_collections.community.circleci.tests.unit.answers import (
    KEY_A,
    KEY_B,
    KEY_C,
    MD5_A,
    MD5_B,
    MD5_C,
    MD5_P,
    PATH,
    PRIVATE,
    PUBLIC,
    SHA_A,
    SHA_B,
    SHA_P,
    SLUG,
    SSH_KEYGEN,
    SSH_KEYGEN_KINDS,
    hand_fingerprints,
    needs_ssh_keygen,
    private_pem,
    public_line_of,
    settings,
    ssh_key,
    ssh_keygen_fingerprints,
    ssh_keygen_key,
)
from ansible_collections.community.circleci.tests.unit.fakes import answer

SETTINGS = PATH + '/settings'
KEY = PATH + '/ssh-key'

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


def configured(*keys):
    """GET .../settings answering these (hostname, public key line) SSH keys."""
    return answer(body=settings(ssh_keys=[ssh_key(hostname, line) for hostname, line in keys]))


# -- load_private_key -------------------------------------------------------------------------------------


@pytest.mark.parametrize('name', sorted(KEY_FORMATS))
def test_load_private_key_every_format(name):
    key, fmt, header, prefix = KEY_FORMATS[name]
    text = private_pem(key, fmt)
    assert text.startswith(header)
    expected_line = public_line_of(key)
    public_line, prints = _ssh_keys.load_private_key(text)
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
    public_line, prints = _ssh_keys.load_private_key(path.read_text())
    assert public_line == ' '.join(public.split()[:2])
    assert prints == {'md5': md5, 'sha256': sha256}


@needs_ssh_keygen
@pytest.mark.parametrize('kind, bits', SSH_KEYGEN_KINDS)
def test_load_private_key_of_ssh_keygen_keys(tmp_path, kind, bits):
    path, public_line, md5, sha256 = ssh_keygen_key(tmp_path, kind, bits)
    with open(path) as handle:
        loaded_line, prints = _ssh_keys.load_private_key(handle.read())
    assert loaded_line == ' '.join(public_line.split()[:2])
    assert prints == {'md5': md5, 'sha256': sha256}


def test_load_private_key_tolerates_crlf_and_surrounding_whitespace():
    text = private_pem(RSA, TRADITIONAL)
    public_line, dummy = _ssh_keys.load_private_key('\n  ' + text.replace('\n', '\r\n') + '\n\n')
    assert public_line == _ssh_keys.load_private_key(text)[0]


@pytest.mark.parametrize('fmt', [TRADITIONAL, PKCS8])
def test_load_private_key_encrypted_pem(fmt):
    with pytest.raises(KeyFormatError, match='encrypted with a passphrase; CircleCI needs an unencrypted key'):
        _ssh_keys.load_private_key(private_pem(RSA, fmt, password=b'correct horse'))


@needs_ssh_keygen
def test_load_private_key_encrypted_openssh(tmp_path):
    path = str(tmp_path / 'key')
    subprocess.run([SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', 'correct horse', '-f', path], check=True)
    with open(path) as handle:
        text = handle.read()
    with pytest.raises(KeyFormatError, match='CircleCI needs an unencrypted key') as caught:
        _ssh_keys.load_private_key(text)
    assert 'correct horse' not in str(caught.value)


def test_load_private_key_rejects_dsa():
    key = dsa.generate_private_key(key_size=1024)
    with pytest.raises(KeyFormatError, match='DSA keys are not supported'):
        _ssh_keys.load_private_key(private_pem(key, PKCS8))


@pytest.mark.parametrize('bad, message', [
    ('', 'empty'),
    (None, 'empty'),
    ('RSA Private Key', 'not a PEM or OpenSSH private key'),  # what the recorded 400 was caused by
    (KEY_B, 'this is a public key'),
    ('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwwuwmtxV5vZw\n-----END RSA PRIVATE KEY-----\n', 'damaged, truncated'),
    ('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n', 'damaged, truncated'),
])
def test_load_private_key_rejects_garbage_without_quoting_it(bad, message):
    with pytest.raises(KeyFormatError, match=message) as caught:
        _ssh_keys.load_private_key(bad)
    assert 'MIIEowIBAAKCAQEA' not in str(caught.value)


def test_load_private_key_truncated_real_key():
    lines = private_pem(RSA, TRADITIONAL).splitlines()
    with pytest.raises(KeyFormatError):
        _ssh_keys.load_private_key('\n'.join(lines[:5] + lines[-1:]))


# -- prepare -----------------------------------------------------------------------------------------------


def options(**given):
    return dict(dict(state='present', hostname='', private_key=None, private_key_path=None, fingerprint=None,
                     remove_duplicates=False, exclusive=False), **given)


def test_prepare_reads_the_private_key_and_its_fingerprints():
    prepared = _ssh_keys.prepare(options(hostname='h', private_key=PRIVATE))
    assert prepared['public_key'] == PUBLIC
    assert prepared['prints'] == {'md5': MD5_P, 'sha256': SHA_P}
    assert prepared['hostname'] == 'h' and prepared['private_key'] == PRIVATE


def test_prepare_reads_a_private_key_file(tmp_path):
    (tmp_path / 'id').write_text(PRIVATE)
    assert _ssh_keys.prepare(options(private_key_path=str(tmp_path / 'id')))['prints']['sha256'] == SHA_P


def test_prepare_names_a_key_by_fingerprint_alone():
    prepared = _ssh_keys.prepare(options(state='absent', fingerprint=SHA_A))
    assert prepared['prints'] == {'md5': None, 'sha256': SHA_A} and prepared['private_key'] is None


@pytest.mark.parametrize('given, words', [
    (dict(state='absent', fingerprint=MD5_A, remove_duplicates=True), 'only used with state=present'),
    (dict(private_key='RSA Private Key'), 'private_key: not a PEM or OpenSSH private key'),
    (dict(private_key_path='/nonexistent/id_ed25519'), 'private_key_path: cannot read /nonexistent/id_ed25519'),
    (dict(state='absent', fingerprint='asdf-bogus'), 'fingerprint: '),
])
def test_prepare_refuses_naming_the_option_never_the_key(given, words):
    with pytest.raises(InputError, match=words) as caught:
        _ssh_keys.prepare(options(**given))
    assert PRIVATE not in str(caught.value)


# -- plan --------------------------------------------------------------------------------------------------

LINES = {0: KEY_A, 1: KEY_B, 2: KEY_C}


def sk(hostname, n):
    return _ssh_keys.describe(ssh_key(hostname, LINES[n]))


def prints_of(n):
    return dict(zip(('md5', 'sha256'), hand_fingerprints(LINES[n])))


def test_plan_present_exists_and_missing():
    current = [sk('deploy.example.com', 0), sk('other.example.com', 1)]
    exists = _ssh_keys.plan(current, 'deploy.example.com', prints_of(0), 'present')
    assert (exists['add'], exists['delete'], exists['copies']) == (False, [], 1)
    # same key, other hostname: missing for this hostname
    missing = _ssh_keys.plan(current, 'deploy.example.com', prints_of(1), 'present')
    assert missing['add'] is True and missing['delete'] == []
    assert missing['after'][-1]['hostname'] == 'deploy.example.com'
    assert missing['after'][-1]['fingerprint_sha256'] == SHA_B


def test_plan_empty_hostname_means_all_hosts():
    current = [_ssh_keys.describe({'hostname': None, 'public_key': KEY_A})]
    assert current[0]['hostname'] == ''
    assert _ssh_keys.plan(current, '', prints_of(0), 'present')['add'] is False
    assert _ssh_keys.plan(current, None, prints_of(0), 'present')['add'] is False


def test_plan_duplicates():
    current = [sk('h', 0), sk('h', 0), sk('h', 0), sk('h', 1)]
    left_alone = _ssh_keys.plan(current, 'h', prints_of(0), 'present')
    assert (left_alone['add'], left_alone['delete'], left_alone['copies']) == (False, [], 3)
    cleaned = _ssh_keys.plan(current, 'h', prints_of(0), 'present', remove_duplicates=True)
    assert cleaned['add'] is True and cleaned['readd'] is True
    assert [(entry['fingerprint_md5'], entry['copies'], entry['reason']) for entry in cleaned['delete']] == [(MD5_A, 3, 'duplicate')]
    assert [key['fingerprint_md5'] for key in cleaned['after']] == [MD5_B, MD5_A]
    # duplicates of another key are not this task's business without exclusive
    other = _ssh_keys.plan([sk('h', 1), sk('h', 1), sk('h', 0)], 'h', prints_of(0), 'present', remove_duplicates=True)
    assert other['delete'] == [] and other['add'] is False


def test_plan_exclusive_removes_the_hostnames_other_keys_only():
    current = [sk('h', 0), sk('h', 1), sk('h', 1), sk('h', 2), sk('elsewhere', 1)]
    plan = _ssh_keys.plan(current, 'h', prints_of(0), 'present', exclusive=True)
    assert plan['add'] is False
    assert [(entry['hostname'], entry['fingerprint_md5'], entry['copies'], entry['reason']) for entry in plan['delete']] == [
        ('h', MD5_B, 2, 'exclusive'), ('h', MD5_C, 1, 'exclusive')]
    assert [(key['hostname'], key['fingerprint_md5']) for key in plan['after']] == [('h', MD5_A), ('elsewhere', MD5_B)]
    # exclusive and missing: delete the others, add this one
    plan = _ssh_keys.plan([sk('h', 1)], 'h', prints_of(0), 'present', exclusive=True)
    assert plan['add'] is True and [entry['reason'] for entry in plan['delete']] == ['exclusive']


def test_plan_absent():
    current = [sk('h', 0), sk('h', 0), sk('other', 0)]
    plan = _ssh_keys.plan(current, 'h', prints_of(0), 'absent')
    assert [(entry['hostname'], entry['copies']) for entry in plan['delete']] == [('h', 2)]
    assert plan['add'] is False and plan['after'] == [current[2]]
    assert _ssh_keys.plan(current, 'nowhere', prints_of(0), 'absent')['delete'] == []
    by_sha = _ssh_keys.plan(current, 'other', {'md5': None, 'sha256': SHA_A}, 'absent')
    assert [entry['hostname'] for entry in by_sha['delete']] == ['other']


def test_find_duplicates():
    current = [sk('h', 0), sk('h', 1), sk('h', 0), sk('other', 0)]
    assert _ssh_keys.find_duplicates(current) == [{'hostname': 'h', 'fingerprint_md5': MD5_A, 'fingerprint_sha256': SHA_A, 'copies': 2}]


# -- ssh_key -----------------------------------------------------------------------------------------------


def test_check_mode_predicts_the_add_and_writes_nothing(run, transport):
    transport.then(configured(('deploy.example.com', KEY_A)))
    result = run('ssh_key', dict(project=SLUG, hostname='deploy.example.com', private_key=PRIVATE), check_mode=True)
    assert result['changed'] is True and result['added'] == [SHA_P]
    assert transport.writes() == []


def test_a_missing_key_is_added_with_one_post_and_never_returned(run, transport):
    transport.then(configured(('deploy.example.com', KEY_A)), answer(200, text=''))
    result = run('ssh_key', dict(project=SLUG, hostname='deploy.example.com', private_key=PRIVATE))
    assert result['changed'] is True and result['added'] == [SHA_P] and result['deleted'] == []
    assert transport.requests() == [('GET', SETTINGS), ('POST', KEY)]
    assert transport.bodies('POST') == [{'hostname': 'deploy.example.com', 'private_key': PRIVATE}]
    assert result['ssh_keys'][-1]['public_key'] == PUBLIC
    assert PRIVATE not in repr(result)


def test_a_key_in_place_costs_one_get(run, transport):
    transport.then(configured(('deploy.example.com', KEY_A), ('deploy.example.com', PUBLIC)))
    result = run('ssh_key', dict(project=SLUG, hostname='deploy.example.com', private_key=PRIVATE))
    assert result['changed'] is False and result['added'] == [] and result['copies'] == 1
    assert transport.requests() == [('GET', SETTINGS)]


def test_remove_duplicates_deletes_every_copy_then_adds_one_back(run, transport):
    # CircleCI's DELETE removes every copy of the key for the hostname.
    transport.then(configured(('h', PUBLIC), ('h', PUBLIC), ('h', PUBLIC), ('other', PUBLIC)),
                   answer(200, text='""'), configured(('other', PUBLIC)), answer(200, text=''))
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, remove_duplicates=True))
    assert result['changed'] is True
    assert [method for method, dummy in transport.requests()] == ['GET', 'DELETE', 'GET', 'POST']
    assert transport.bodies('DELETE') == [{'fingerprint': MD5_P, 'hostname': 'h'}]
    assert (result['deleted'], result['added'], result['copies']) == ([SHA_P], [SHA_P], 3)


def test_remove_duplicates_when_a_delete_removes_one_copy_deletes_down_to_one(run, transport):
    transport.then(configured(('h', PUBLIC), ('h', PUBLIC), ('h', PUBLIC), ('other', PUBLIC)),
                   answer(200, text='""'), configured(('h', PUBLIC), ('h', PUBLIC), ('other', PUBLIC)), answer(200, text='""'))
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, remove_duplicates=True))
    assert result['changed'] is True
    assert [method for method, dummy in transport.requests()] == ['GET', 'DELETE', 'GET', 'DELETE']
    assert (result['deleted'], result['added']) == ([SHA_P], [])


def test_a_failed_add_back_says_the_duplicated_key_is_gone(run, transport):
    transport.then(configured(('h', PUBLIC), ('h', PUBLIC)), answer(200, text=''), configured(),
                   answer(502, text='<html>Bad Gateway</html>'), configured())
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, remove_duplicates=True))
    assert result['failed'] is True and result['changed'] is True
    assert 'was deleted and could not be added back' in result['msg']
    assert (result['deleted'], result['added'], result['ssh_keys']) == ([SHA_P], [], [])
    assert len(transport.requests('POST')) == 1


def test_exclusive_deletes_the_hostnames_other_keys(run, transport):
    transport.then(configured(('h', KEY_A), ('h', PUBLIC), ('h', KEY_B), ('other', KEY_A)), answer(200, text=''), answer(200, text=''))
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, exclusive=True))
    assert result['changed'] is True and result['added'] == []
    assert result['deleted'] == [SHA_A, SHA_B]
    assert transport.bodies('DELETE') == [{'fingerprint': MD5_A, 'hostname': 'h'}, {'fingerprint': MD5_B, 'hostname': 'h'}]
    assert [(key['hostname'], key['fingerprint_md5']) for key in result['ssh_keys']] == [('h', MD5_P), ('other', MD5_A)]


def test_absent_deletes_the_key_with_one_delete(run, transport):
    transport.then(configured(('h', PUBLIC), ('other', KEY_A)), answer(200, text=''))
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key=PRIVATE, state='absent'))
    assert result['changed'] is True and result['deleted'] == [SHA_P]
    assert [method for method, dummy in transport.requests()] == ['GET', 'DELETE']


def test_absent_by_sha256_fingerprint_deletes_by_its_md5(run, transport):
    transport.then(configured(('other', KEY_A)), answer(200, text=''))
    result = run('ssh_key', dict(project=SLUG, hostname='other', fingerprint=SHA_A, state='absent'))
    assert result['changed'] is True and result['deleted'] == [SHA_A]
    assert result['key']['fingerprint_md5'] == MD5_A
    assert transport.bodies('DELETE') == [{'fingerprint': MD5_A, 'hostname': 'other'}]


def test_absent_of_a_missing_key_changes_nothing(run, transport):
    transport.then(configured(('other', KEY_A)))
    result = run('ssh_key', dict(project=SLUG, hostname='h', fingerprint=SHA_A, state='absent'))
    assert result['changed'] is False and result['deleted'] == []


def test_a_bad_private_key_fails_before_any_request_without_quoting_it(run, transport):
    result = run('ssh_key', dict(project=SLUG, hostname='h', private_key='RSA Private Key'))
    assert result['failed'] is True and 'private_key: not a PEM or OpenSSH private key' in result['msg']
    assert transport.requests() == []


# -- ssh_key_info ------------------------------------------------------------------------------------------


def test_info_lists_every_stored_copy_and_the_duplicates(run, transport):
    transport.then(configured(('h', PUBLIC), ('h', PUBLIC), ('other', KEY_A)))
    result = run('ssh_key_info', dict(project=SLUG))
    assert [(key['hostname'], key['fingerprint_sha256']) for key in result['ssh_keys']] == [('h', SHA_P), ('h', SHA_P), ('other', SHA_A)]
    assert result['duplicates'] == [{'hostname': 'h', 'fingerprint_md5': MD5_P, 'fingerprint_sha256': SHA_P, 'copies': 2}]


def test_info_of_one_hostname(run, transport):
    transport.then(configured(('h', PUBLIC), ('other', KEY_A)))
    result = run('ssh_key_info', dict(project=SLUG, hostname='other'))
    assert [key['fingerprint_md5'] for key in result['ssh_keys']] == [MD5_A]
    assert result['duplicates'] == []
