"""SSH key helpers: parse private keys, generate key pairs, compute OpenSSH-style fingerprints."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


class InvalidKey(ValueError):
    """Raised when a private key cannot be parsed."""


def _public_line(private_key) -> str:
    """Return the OpenSSH public key line ("ssh-rsa AAAA...") of a private key, without comment."""
    return private_key.public_key().public_bytes(
        encoding=serialization.Encoding.OpenSSH,
        format=serialization.PublicFormat.OpenSSH,
    ).decode('ascii')


def blob_of(public_line: str) -> bytes:
    """Decode the base64 key blob of an OpenSSH public key line."""
    parts = public_line.strip().split()
    if len(parts) < 2:
        raise InvalidKey('not an OpenSSH public key')
    return base64.b64decode(parts[1])


def md5_fingerprint(public_line: str) -> str:
    """MD5 of the key blob as colon-separated hex, like ``ssh-keygen -l -E md5`` (without the ``MD5:`` prefix)."""
    digest = hashlib.md5(blob_of(public_line)).hexdigest()  # nosec - fingerprint format, not security
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def sha256_fingerprint(public_line: str) -> str:
    """SHA256 of the key blob, base64 without padding, prefixed ``SHA256:`` like OpenSSH."""
    digest = hashlib.sha256(blob_of(public_line)).digest()
    return 'SHA256:' + base64.b64encode(digest).decode('ascii').rstrip('=')


def parse_private_key(text) -> str:
    """Parse a PEM or OpenSSH private key (RSA, ECDSA, Ed25519) and return its public key line.

    Raises InvalidKey for anything else (including encrypted keys).
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidKey('empty key')
    data = text.strip().encode('utf-8') + b'\n'
    key = None
    loaders = (serialization.load_ssh_private_key, serialization.load_pem_private_key)
    if b'OPENSSH PRIVATE KEY' not in data:
        loaders = (serialization.load_pem_private_key, serialization.load_ssh_private_key)
    for loader in loaders:
        try:
            key = loader(data, password=None)
            break
        except (ValueError, TypeError, NotImplementedError):
            continue
        except Exception:  # pylint: disable=broad-except
            # cryptography may raise UnsupportedAlgorithm and friends for exotic input
            continue
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        raise InvalidKey('unsupported or invalid key')
    return _public_line(key)


def generate_key(kind: str = 'rsa') -> tuple[str, str]:
    """Generate a key pair. Returns (private key in PEM/OpenSSH text, public key line)."""
    if kind == 'ed25519':
        key = ed25519.Ed25519PrivateKey.generate()
        fmt = serialization.PrivateFormat.OpenSSH
    elif kind == 'ecdsa':
        key = ec.generate_private_key(ec.SECP256R1())
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode('ascii')
    return pem, _public_line(key)
