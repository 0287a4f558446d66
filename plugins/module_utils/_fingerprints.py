# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH key fingerprints from public keys, with the standard library only.

For internal collection use only: names and behaviour may change without notice.

Fingerprints are computed here from the public key: MD5 as ``aa:bb:...`` (what ``ssh-keygen -E md5``
shows, without its ``MD5:`` prefix, as CircleCI shows it) and SHA-256 as ``SHA256:`` + unpadded
base64 (what ``ssh-keygen -l`` shows), so both forms are known without asking CircleCI twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError

PUBLIC_KEY_TYPES = ('ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-dss',
                    'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com')


class KeyFormatError(InputError):
    """A key or fingerprint that cannot be used; the message says why, and never contains a private key."""


def _public_key_blob(public_key):
    """The decoded key blob of an OpenSSH public key line (``type base64 [comment]``), checked."""
    if not isinstance(public_key, str) or not public_key.strip():
        raise KeyFormatError('the public key is empty')
    parts = public_key.split()
    if len(parts) < 2 or parts[0] not in PUBLIC_KEY_TYPES:
        raise KeyFormatError('not an OpenSSH public key line ("ssh-rsa AAAA...", "ssh-ed25519 AAAA...", "ecdsa-sha2-nistp256 AAAA...")')
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError('the public key is not valid base64')
    if len(blob) < 4:
        raise KeyFormatError('the public key blob is too short')
    (length,) = struct.unpack('>I', blob[:4])
    if blob[4:4 + length] != parts[0].encode('ascii'):
        raise KeyFormatError('the public key blob does not start with its type %s' % parts[0])
    return blob


def fingerprints(public_key):
    """Both fingerprints of an OpenSSH public key line: ``{"md5": "aa:bb:...", "sha256": "SHA256:..."}``."""
    blob = _public_key_blob(public_key)
    md5 = hashlib.md5(blob).hexdigest()  # nosec - the SSH fingerprint format, not a security use
    return {
        'md5': ':'.join(md5[index:index + 2] for index in range(0, len(md5), 2)),
        'sha256': 'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode('ascii').rstrip('='),
    }


def fingerprints_or_none(public_key):
    """Both fingerprints, or None for each when the public key cannot be read (an answer CircleCI sent)."""
    try:
        return fingerprints(public_key)
    except KeyFormatError:
        return {'md5': None, 'sha256': None}


def normalize_fingerprint(fingerprint):
    """(digest, canonical form) of a fingerprint as a user or CircleCI writes it.

    MD5: 32 hex digits with or without colons, optionally ``MD5:``-prefixed, any case -> ``('md5', 'aa:bb:..')``.
    SHA-256: ``SHA256:`` + base64 (padding optional) -> ``('sha256', 'SHA256:...')`` (base64 is case-sensitive).
    Raises KeyFormatError for anything else.
    """
    text = fingerprint.strip() if isinstance(fingerprint, str) else ''
    if text[:7].upper() == 'SHA256:':
        body = text[7:].rstrip('=')
        try:
            raw = base64.b64decode(body + '=' * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            raw = b''
        if len(raw) != 32:
            raise KeyFormatError('%r is not a SHA256 fingerprint (SHA256: followed by 43 base64 characters)' % (fingerprint,))
        return 'sha256', 'SHA256:' + body
    if text[:4].upper() == 'MD5:':
        text = text[4:]
    hexdigits = text.replace(':', '').lower()
    if len(hexdigits) != 32 or any(char not in '0123456789abcdef' for char in hexdigits):
        raise KeyFormatError('%r is not an MD5 fingerprint (aa:bb:... 16 hex pairs) or a SHA256 fingerprint (SHA256:...)' % (fingerprint,))
    return 'md5', ':'.join(hexdigits[index:index + 2] for index in range(0, 32, 2))


def fingerprint_matches(fingerprint, key_fingerprints):
    """Whether a user's fingerprint (any accepted form) names a key with these ``{"md5", "sha256"}`` fingerprints."""
    digest, canonical = normalize_fingerprint(fingerprint)
    return key_fingerprints.get(digest) == canonical


def known_fingerprints(public_key, shown=None):
    """``{"md5", "sha256"}`` of a key CircleCI listed: computed from its public key, else what CircleCI showed."""
    prints = fingerprints_or_none((public_key or '').strip())
    if prints['md5'] is None and shown:
        try:
            digest, canonical = normalize_fingerprint(shown)
        except KeyFormatError:
            return prints
        prints[digest] = canonical
    return prints
