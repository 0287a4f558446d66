# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger: proof that a write-only value is unchanged since this collection wrote it, without keeping the value.

For internal collection use only: names and behaviour may change without notice.

CircleCI never returns a context variable's value, not even masked; it returns ``updated_at``, which
moves on every write. After each write the ledger records, per variable (keyed by owner id, context
id and name), the ``updated_at`` CircleCI gave for it and an HMAC-SHA256 of the value written, under
a random key kept in the ledger itself. On the next run:

- the desired value's HMAC equals the recorded one and CircleCI still shows the recorded
  ``updated_at``: the stored value is the desired one (nobody wrote it since);
- the HMACs differ: the playbook's value changed since it was written;
- ``updated_at`` differs: somebody rewrote the variable outside the playbook.

Threat model. The file holds no value, but whoever reads it (its key included) can test guesses of a
value offline: a low-entropy secret (a short password, a PIN) can be brute-forced from its digest.
Keep the file with the same care as the vault password. The digest is bound to the variable (owner,
context, name), so equal values of two variables do not show as equal digests. Losing the file costs
one rewrite of each variable, nothing else.

The file: JSON, mode 0600, written atomically (a temporary file in the same directory, then a
rename) under an exclusive lock on ``<ledger>.lock``, re-reading the file under the lock and merging
only this run's records into it, so tasks that share a ledger never lose each other's records. Check
mode never writes it.
"""

from __future__ import annotations

import base64
import datetime
import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # not POSIX: the lock is a no-op (see _Lock)
    fcntl = None

from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError

FORMAT = 'community.circleci.ledger'
VERSION = 1
KEY_BYTES = 32
DIGEST_PREFIX = 'hmac-sha256:'
LOCK_TIMEOUT = 30.0


class LedgerError(CircleCIError):
    """The ledger file could not be written (after the changes it records were made)."""


def entry_key(owner_id, context_id, name):
    """The ledger key of one variable: ``<owner id>/<context id>/<name>``."""
    return '%s/%s/%s' % (owner_id, context_id, name)


def same_time(first, second):
    """Whether two timestamps CircleCI gave name the same instant (ISO 8601; compared as text if unreadable)."""
    if first == second:
        return True
    parsed = [_parse_time(value) for value in (first, second)]
    return None not in parsed and parsed[0] == parsed[1]


def _parse_time(value):
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


class Ledger:
    """One ledger file: read once at the start of a run, changed in memory, saved once (never in check mode).

    ``record()`` and ``forget()`` change this run's view; ``save()`` merges exactly those changes into
    the file as it is at that moment, under the lock.
    """

    def __init__(self, path, key, records, exists):
        self.path = path
        self._key = key
        self.records = records          # {entry key: {'updated_at', 'digest'}}
        self.exists = exists
        self._pending = {}              # {entry key: (updated_at, value)}: to record at save
        self._forgotten = set()

    @classmethod
    def load(cls, path):
        """Read the ledger at ``path`` (a missing file is an empty ledger); InputError for a file that is not one."""
        path = os.path.abspath(os.path.expanduser(path))
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise InputError('ledger %s: the directory %s does not exist: create it first' % (path, directory))
        if os.path.isdir(path):
            raise InputError('ledger %s is a directory: give the path of a file' % path)
        document = _read(path)
        if document is None:
            return cls(path, secrets.token_bytes(KEY_BYTES), {}, exists=False)
        key, records = _parse(path, document)
        return cls(path, key, records, exists=True)

    def check_writable(self):
        """InputError, before any request, when the ledger could not be saved after the writes it should record."""
        directory = os.path.dirname(self.path)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise InputError('ledger %s cannot be written: the directory %s is not writable by this user; nothing was sent'
                             % (self.path, directory))

    def loose_permissions(self):
        """A warning when the file may be read by other users, else None."""
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return None
        if mode & 0o077:
            return ('ledger %s has mode %04o: other users may read it and test guesses of the values against its digests; '
                    'it is rewritten with mode 0600 on the next change (or run chmod 600)' % (self.path, mode))
        return None

    def digest(self, key, value, hmac_key=None):
        """The keyed digest of ``value`` for the variable ``key``: bound to the variable, never the value itself."""
        message = ('%s\0%s' % (key, value)).encode('utf-8')
        return DIGEST_PREFIX + hmac.new(hmac_key or self._key, message, hashlib.sha256).hexdigest()

    def lookup(self, key):
        """``{'updated_at', 'digest'}`` recorded for the variable, or None."""
        return self.records.get(key)

    def matches(self, key, value):
        """Whether ``value`` is the value recorded as written for the variable (False when nothing is recorded)."""
        record = self.records.get(key)
        return record is not None and hmac.compare_digest(str(record.get('digest')), self.digest(key, value))

    def record(self, key, updated_at, value):
        """Remember that ``value`` was written to the variable and CircleCI stamped it ``updated_at``."""
        self._forgotten.discard(key)
        self._pending[key] = (updated_at, value)
        self.records[key] = {'updated_at': updated_at, 'digest': self.digest(key, value)}

    def forget(self, key):
        """Drop the variable's record (it was deleted, or whether a write landed is unknown)."""
        self._pending.pop(key, None)
        self._forgotten.add(key)
        self.records.pop(key, None)

    @property
    def dirty(self):
        return bool(self._pending or self._forgotten)

    def save(self):
        """Merge this run's records into the file, atomically and under the lock; LedgerError when that fails."""
        if not self.dirty:
            return
        try:
            with _Lock(self.path + '.lock'):
                document = _read(self.path)
                if document is None:
                    key, records = self._key, {}
                else:
                    key, records = _parse(self.path, document)
                for name in self._forgotten:
                    records.pop(name, None)
                for name, (updated_at, value) in self._pending.items():
                    # Digests under the file's key: another task may have created the file since this run read it.
                    records[name] = {'updated_at': updated_at, 'digest': self.digest(name, value, hmac_key=key)}
                _write(self.path, {'format': FORMAT, 'version': VERSION,
                                   'key': base64.b64encode(key).decode('ascii'),
                                   'variables': dict(sorted(records.items()))})
        except (OSError, InputError) as error:
            raise LedgerError('The ledger %s could not be saved (%s): the changes were made on CircleCI, and the next run '
                              'with this ledger writes those variables once more to record them' % (self.path, _reason(error)))
        self._pending, self._forgotten = {}, set()
        self.exists = True


def _reason(error):
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return str(error)


def _read(path):
    """The ledger document, or None when the file does not exist; InputError when it cannot be read as JSON."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as error:
        if error.errno == errno.ENOENT:
            return None
        raise InputError('ledger %s cannot be read: %s' % (path, error.strerror or error))
    try:
        return json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise InputError('ledger %s is not JSON: it is not a ledger this collection wrote. Give another path, or remove the '
                         'file (losing a ledger only costs one rewrite of each variable)' % path)


def _parse(path, document):
    """``(key bytes, records)`` of a ledger document; InputError for anything else."""
    problem = None
    if not isinstance(document, dict) or document.get('format') != FORMAT:
        problem = 'it is not a ledger this collection wrote'
    elif document.get('version') != VERSION:
        problem = 'its version %r is not %d' % (document.get('version'), VERSION)
    else:
        try:
            key = base64.b64decode(str(document.get('key')), validate=True)
        except ValueError:
            key = b''
        records = document.get('variables')
        if len(key) < 16:
            problem = 'its key is missing or too short'
        elif not isinstance(records, dict) or not all(
                isinstance(record, dict) and isinstance(record.get('digest'), str) for record in records.values()):
            problem = 'its variables are not records of updated_at and digest'
        else:
            return key, {name: dict(record) for name, record in records.items()}
    raise InputError('ledger %s cannot be used: %s. Give another path, or remove the file (losing a ledger only costs one '
                     'rewrite of each variable)' % (path, problem))


def _write(path, document):
    """Write ``document`` to ``path`` atomically with mode 0600: a temporary file in the same directory, then a rename."""
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as target:
            os.fchmod(target.fileno(), 0o600)
            json.dump(document, target, indent=1, sort_keys=False)
            target.write('\n')
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        directory_handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory_handle)
    except OSError:
        pass
    finally:
        os.close(directory_handle)


class _Lock:
    """An exclusive lock on ``path`` (created with mode 0600), waited for at most LOCK_TIMEOUT seconds."""

    def __init__(self, path, timeout=LOCK_TIMEOUT, clock=time.monotonic, sleep=time.sleep):
        self.path = path
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep
        self.handle = None

    def __enter__(self):
        self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return self
        deadline = self.clock() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK) or self.clock() >= deadline:
                    os.close(self.handle)
                    self.handle = None
                    if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise OSError(errno.ETIMEDOUT, 'another task held its lock %s for more than %d s' % (self.path, self.timeout))
                    raise
            self.sleep(0.02)

    def __exit__(self, *exc):
        if self.handle is not None:
            if fcntl is not None:
                fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
            self.handle = None
        return False
