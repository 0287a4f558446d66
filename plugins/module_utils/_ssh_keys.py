# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Additional SSH keys of a project: the options, their rules, key parsing, the plan and the converge routine.

For internal collection use only: names and behaviour may change without notice.

Facts of the CircleCI API v1.1 this relies on (see the recorded interactions): there is no SSH key
list; ``GET project/{}/settings`` shows ``ssh_keys`` (hostname, public key, MD5 fingerprint).
``POST project/{}/ssh-key`` answers 200 with an empty body and stores the same key again if posted
twice; ``DELETE project/{}/ssh-key`` takes ``{"fingerprint", "hostname"}`` in a JSON body.
"""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError, RequestError, confirm
from ansible_collections.community.circleci.plugins.module_utils._fingerprints import (
    KeyFormatError,
    fingerprints,
    known_fingerprints,
    normalize_fingerprint,
)
from ansible_collections.community.circleci.plugins.module_utils._project import read_config

KEY_PATH = 'project/{}/ssh-key'

# The options of one SSH key: the ssh_key module's, and each item of project_settings' ssh_keys.
SPEC = dict(
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    hostname=dict(type='str', default=''),
    private_key=dict(type='str', no_log=True),
    private_key_path=dict(type='path'),
    fingerprint=dict(type='str'),
    remove_duplicates=dict(type='bool', default=False),
    exclusive=dict(type='bool', default=False),
)
RULES = dict(
    mutually_exclusive=[('private_key', 'private_key_path', 'fingerprint')],
    required_if=[('state', 'present', ('private_key', 'private_key_path'), True),
                 ('state', 'absent', ('private_key', 'private_key_path', 'fingerprint'), True)],
)


def prepare(key):
    """Check one key's options and read its private key, before any request.

    Returns ``{hostname, state, private_key (text or None), public_key, prints, remove_duplicates,
    exclusive}``; raises InputError (KeyFormatError) naming the option at fault, never the key.
    """
    if key['state'] == 'absent' and (key.get('remove_duplicates') or key.get('exclusive')):
        raise InputError('remove_duplicates and exclusive are only used with state=present')
    text, public_key = key.get('private_key'), None
    if key.get('private_key_path'):
        try:
            text = read_key_file(key['private_key_path'])
        except (OSError, UnicodeError) as error:
            raise InputError('private_key_path: cannot read %s (%s)' % (key['private_key_path'], getattr(error, 'strerror', None) or error))
    if text is not None:
        try:
            public_key, prints = load_private_key(text)
        except KeyFormatError as error:
            raise KeyFormatError('%s: %s' % ('private_key_path' if key.get('private_key_path') else 'private_key', error))
    else:
        try:
            digest, canonical = normalize_fingerprint(key.get('fingerprint'))
        except KeyFormatError as error:
            raise KeyFormatError('fingerprint: %s' % error)
        prints = {'md5': None, 'sha256': None}
        prints[digest] = canonical
    return dict(hostname=key.get('hostname') or '', state=key['state'], private_key=text, public_key=public_key, prints=prints,
                remove_duplicates=bool(key.get('remove_duplicates')), exclusive=bool(key.get('exclusive')))


def read_key_file(path):
    """The text of a private key file; raises OSError or UnicodeError for the caller to report."""
    with open(path, 'rb') as handle:
        return to_text(handle.read(), errors='surrogate_or_strict')


def load_private_key(text):
    """Parse an unencrypted private key; return (OpenSSH public key line, fingerprints).

    Accepts RSA, ECDSA and Ed25519 keys as PEM (PKCS#1, SEC1, PKCS#8) or in the OpenSSH format.
    ``cryptography`` is imported here, so only tasks that parse a private key need it. Raises
    KeyFormatError with a message that never quotes the key.
    """
    try:
        from cryptography.exceptions import UnsupportedAlgorithm  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise KeyFormatError('the Python library cryptography is needed to read private keys (it comes with ansible-core)')
    if not isinstance(text, str) or not text.strip():
        raise KeyFormatError('the private key is empty')
    data = text.replace('\r\n', '\n').strip().encode('utf-8') + b'\n'
    if b'-----BEGIN ' not in data or b'PRIVATE KEY-----' not in data:
        if data.startswith((b'ssh-', b'ecdsa-', b'sk-')):
            raise KeyFormatError('this is a public key; CircleCI needs the private key (-----BEGIN ... PRIVATE KEY-----)')
        raise KeyFormatError('not a PEM or OpenSSH private key (no -----BEGIN ... PRIVATE KEY----- line)')
    if b'ENCRYPTED' in data.split(b'\n\n')[0] and b'OPENSSH PRIVATE KEY' not in data:
        raise _encrypted()
    loader = serialization.load_ssh_private_key if b'OPENSSH PRIVATE KEY' in data else serialization.load_pem_private_key
    try:
        key = loader(data, password=None)
    except TypeError as error:  # cryptography: "Password was not given but private key is encrypted"
        if 'encrypt' in str(error).lower() or 'password' in str(error).lower():
            raise _encrypted()
        raise KeyFormatError('the private key could not be read (%s)' % type(error).__name__)
    except UnsupportedAlgorithm:
        raise KeyFormatError('the private key uses an algorithm that is not supported')
    except ValueError:
        raise KeyFormatError('the private key could not be read: it is damaged, truncated or not a private key')
    if isinstance(key, dsa.DSAPrivateKey):
        raise KeyFormatError('DSA keys are not supported (OpenSSH has deprecated them); use an Ed25519, ECDSA or RSA key')
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        raise KeyFormatError('unsupported private key type %s; use an Ed25519, ECDSA or RSA key' % type(key).__name__)
    public_line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode('ascii')
    return public_line, fingerprints(public_line)


def _encrypted():
    return KeyFormatError('the private key is encrypted with a passphrase; CircleCI needs an unencrypted key '
                          '(remove the passphrase from a copy, for example with ssh-keygen -p -N "" -f COPY)')


def describe(key):
    """An SSH key of the project configuration: hostname, both fingerprints (computed locally), public key."""
    public_key = (key.get('public_key') or '').strip()
    prints = known_fingerprints(public_key, key.get('fingerprint'))
    return {'hostname': key.get('hostname') or '', 'public_key': public_key,
            'fingerprint_md5': prints['md5'], 'fingerprint_sha256': prints['sha256']}


def keys_of(config):
    """The described SSH keys of a ``GET project/{}/settings`` answer, in its order."""
    keys = config.get('ssh_keys') if isinstance(config, dict) else None
    return [describe(key) for key in keys or [] if isinstance(key, dict)]


def identity(key):
    """How results name a key: its SHA256 fingerprint (MD5 when only that is known)."""
    return key['fingerprint_sha256'] or key['fingerprint_md5']


def _marker(key):
    return (key['hostname'], key['fingerprint_md5'])


def _summary(key):
    return {name: key[name] for name in ('hostname', 'fingerprint_md5', 'fingerprint_sha256')}


def find_duplicates(keys):
    """The keys stored more than once for the same hostname, once each with their ``copies``, in first-seen order."""
    counts, order = {}, []
    for key in keys:
        if _marker(key) not in counts:
            counts[_marker(key)] = 0
            order.append(key)
        counts[_marker(key)] += 1
    return [dict(_summary(key), copies=counts[_marker(key)]) for key in order if counts[_marker(key)] > 1]


def plan(current, hostname, prints, state, remove_duplicates=False, exclusive=False, public_key=None):
    """What to do so the project's SSH keys for ``hostname`` are as asked; pure.

    ``current``: described keys, in the configuration's order. ``prints``: the desired key's
    ``{"md5", "sha256"}``. Returns ``delete`` (``{hostname, fingerprint_md5, fingerprint_sha256, copies,
    reason}`` per distinct key, each removed with one DELETE), ``add`` (whether to POST the key),
    ``readd`` (the add puts back the one copy of a duplicated key that the delete removed), ``copies``
    (how many copies of the desired key exist) and ``after`` (the keys expected).
    """
    hostname = hostname or ''

    def is_desired(key):
        if key['hostname'] != hostname:
            return False
        if prints.get('md5'):
            return key['fingerprint_md5'] == prints['md5']
        return key['fingerprint_sha256'] == prints['sha256']

    copies = sum(1 for key in current if is_desired(key))
    deletes, seen = [], set()

    def delete(key, reason):
        if _marker(key) not in seen:
            seen.add(_marker(key))
            deletes.append(dict(_summary(key), reason=reason, copies=sum(1 for other in current if _marker(other) == _marker(key))))

    add = readd = False
    if state == 'absent':
        for key in current:
            if is_desired(key):
                delete(key, 'absent')
    else:
        if copies == 0:
            add = True
        elif copies > 1 and remove_duplicates:
            delete(next(key for key in current if is_desired(key)), 'duplicate')
            add = readd = True
        if exclusive:
            for key in current:
                if key['hostname'] == hostname and not is_desired(key):
                    delete(key, 'exclusive')
    gone = {_marker(entry) for entry in deletes}
    after = [key for key in current if _marker(key) not in gone]
    if add:
        after.append({'hostname': hostname, 'public_key': public_key, 'fingerprint_md5': prints['md5'], 'fingerprint_sha256': prints['sha256']})
    return {'delete': deletes, 'add': add, 'readd': readd, 'copies': copies, 'after': after}


def _count(keys, marker):
    return sum(1 for key in keys if _marker(key) == marker)


def converge(client, project, key, check_mode=False, config=None):
    """Read the project's SSH keys (unless ``config`` is given), plan, and apply unless ``check_mode``.

    ``key`` is what ``prepare`` returned. Returns the module result; a failed write raises its
    RequestError carrying what was applied.

    Requests: one GET of the configuration (none when ``config`` is given); one POST to add; one DELETE
    per distinct key to remove. CircleCI keeps every copy of a key posted twice, and its DELETE removes
    every copy with that fingerprint and hostname, so removing duplicates is: DELETE, one GET to see how
    many copies are left, then one POST to put the key back (or, should the API remove one copy per
    DELETE, more DELETEs down to one copy).
    """
    hostname, prints = key['hostname'], dict(key['prints'])
    current = keys_of(config if config is not None else read_config(client, project))
    if prints['md5'] is None:  # named by SHA256 only: take its MD5 from the current keys, if there
        match = next((other for other in current if other['fingerprint_sha256'] == prints['sha256']), None)
        prints['md5'] = match['fingerprint_md5'] if match else None
    steps = plan(current, hostname, prints, key['state'], key['remove_duplicates'], key['exclusive'], key['public_key'])
    desired = {'hostname': hostname, 'fingerprint_md5': prints['md5'], 'fingerprint_sha256': prints['sha256'], 'public_key': key['public_key']}
    result = {
        'changed': bool(steps['add'] or steps['delete']),
        'key': desired,
        'copies': steps['copies'],
        'added': [identity(desired)] if steps['add'] else [],
        'deleted': [identity(entry) for entry in steps['delete']],
        'ssh_keys': [_public(other) for other in steps['after']],
        'diff': {'before': {'ssh_keys': [_summary(other) for other in current]},
                 'after': {'ssh_keys': [_summary(other) for other in steps['after']]}},
    }
    if check_mode or not result['changed']:
        return result

    applied = {'deleted': [], 'added': False}

    def fail(error, doing):
        gone = {_marker(entry) for entry in applied['deleted']}
        now = [other for other in current if _marker(other) not in gone]
        partial = dict(result, changed=bool(applied['deleted']), added=[], deleted=[identity(entry) for entry in applied['deleted']],
                       ssh_keys=[_public(other) for other in now],
                       diff=dict(result['diff'], after={'ssh_keys': [_summary(other) for other in now]}))
        if doing == 'readd':
            lost = 'the duplicated key for %s was deleted and could not be added back: run again to add it' % (hostname or 'all hosts')
            error.detail = '; '.join(part for part in (error.detail, lost) if part)
        return error.with_result(partial)

    def read_keys():
        return keys_of(read_config(client, project))

    def delete_once(entry):
        try:
            client.delete(KEY_PATH, project, body={'fingerprint': entry['fingerprint_md5'], 'hostname': entry['hostname']})
        except RequestError as error:
            confirm(error, lambda: _count(read_keys(), _marker(entry)) == 0)

    for entry in steps['delete']:
        try:
            delete_once(entry)
        except RequestError as error:
            raise fail(error, 'delete')
        applied['deleted'].append(entry)

    add = steps['add']
    if any(entry['copies'] > 1 for entry in steps['delete']):
        # Check how many copies the DELETE left (CircleCI removes all of them; be safe should it remove one).
        try:
            left = read_keys()
            for entry in steps['delete']:
                keep = 1 if entry['reason'] == 'duplicate' else 0
                remaining = _count(left, _marker(entry))
                for dummy in range(max(0, remaining - keep)):
                    delete_once(entry)
                if entry['reason'] == 'duplicate' and remaining >= 1:
                    add = False  # one copy is still there: nothing to put back
        except RequestError as error:
            raise fail(error, 'verify')

    if add:
        marker = (hostname, prints['md5'])
        before = _count([other for other in current if _marker(other) not in {_marker(entry) for entry in applied['deleted']}], marker)
        try:
            client.post(KEY_PATH, project, body={'hostname': hostname, 'private_key': key['private_key']}, repeatable=False, expect=None)
        except RequestError as error:
            try:
                confirm(error, lambda: _count(read_keys(), marker) > before)
            except RequestError:
                raise fail(error, 'readd' if steps['readd'] else 'add')
        applied['added'] = True
    result['added'] = [identity(desired)] if applied['added'] else []
    return result


def _public(key):
    return {name: key[name] for name in ('hostname', 'fingerprint_md5', 'fingerprint_sha256', 'public_key')}
