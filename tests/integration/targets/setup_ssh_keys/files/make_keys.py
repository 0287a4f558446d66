# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make throw-away test keys in DIR and print them as JSON (private text, public line, fingerprints).

Fingerprints are computed here the textbook way (hashlib over the base64 blob), independently of the
collection's code, so the tests can check the modules against them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def fingerprints(public_line):
    blob = base64.b64decode(public_line.split()[1])
    md5 = hashlib.md5(blob).hexdigest()
    return ':'.join(md5[i:i + 2] for i in range(0, 32, 2)), 'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip('=')


def main():
    directory = sys.argv[1]
    made = {}
    specs = {
        'rsa_pkcs1': (rsa.generate_private_key(public_exponent=65537, key_size=2048), serialization.PrivateFormat.TraditionalOpenSSL),
        'ed25519_openssh': (ed25519.Ed25519PrivateKey.generate(), serialization.PrivateFormat.OpenSSH),
        'ecdsa_pkcs8': (ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8),
    }
    for name, (key, fmt) in specs.items():
        private = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode('ascii')
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode('ascii')
        md5, sha256 = fingerprints(public)
        path = os.path.join(directory, name)
        with open(path, 'w', encoding='ascii') as handle:
            handle.write(private)
        os.chmod(path, 0o600)
        made[name] = {'private': private, 'public': public, 'md5': md5, 'sha256': sha256, 'path': path}
    passphrase = serialization.BestAvailableEncryption(b'test passphrase')
    encrypted = specs['rsa_pkcs1'][0].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, passphrase).decode('ascii')
    made['encrypted'] = {'private': encrypted}
    print(json.dumps(made))


if __name__ == '__main__':
    main()
