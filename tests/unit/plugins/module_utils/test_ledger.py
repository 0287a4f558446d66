# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger: keyed digests, timestamps, the file's mode, atomic writes, and writers that share one file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import stat
import threading

import pytest

from ansible_collections.community.circleci.plugins.module_utils import _ledger
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._ledger import Ledger, LedgerError, entry_key, same_time

OWNER = 'b0de2883-ba52-4530-abc0-d74091c72852'
CONTEXT = '9957d515-7682-4f4b-825d-8249e0d6d320'
KEY = entry_key(OWNER, CONTEXT, 'AWS_SECRET_ACCESS_KEY')


def read(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def test_a_missing_file_is_an_empty_ledger_and_nothing_is_written_until_saved(tmp_path):
    path = tmp_path / 'ledger.json'
    ledger = Ledger.load(str(path))
    assert not ledger.exists and ledger.lookup(KEY) is None and not ledger.matches(KEY, 'x')
    ledger.save()  # nothing recorded: nothing written
    assert not path.exists()


def test_the_digest_is_an_hmac_sha256_under_the_ledgers_own_key_bound_to_the_variable(tmp_path):
    path = tmp_path / 'ledger.json'
    ledger = Ledger.load(str(path))
    ledger.record(KEY, '2024-06-01T12:00:00.000Z', 'emulator/secret/key/0001')
    ledger.save()
    document = read(path)
    key = base64.b64decode(document['key'])
    assert len(key) == 32
    expected = hmac.new(key, ('%s\0%s' % (KEY, 'emulator/secret/key/0001')).encode(), hashlib.sha256).hexdigest()
    assert document['variables'][KEY] == {'updated_at': '2024-06-01T12:00:00.000Z', 'digest': 'hmac-sha256:' + expected}
    # The same value under another variable has another digest; neither is a plain hash of the value.
    other = entry_key(OWNER, CONTEXT, 'OTHER')
    assert ledger.digest(other, 'emulator/secret/key/0001') != ledger.digest(KEY, 'emulator/secret/key/0001')
    assert hashlib.sha256(b'emulator/secret/key/0001').hexdigest() not in json.dumps(document)
    assert 'emulator/secret/key/0001' not in path.read_text()


def test_a_second_run_proves_the_value_with_the_recorded_key(tmp_path):
    path = str(tmp_path / 'ledger.json')
    first = Ledger.load(path)
    first.record(KEY, '2024-06-01T12:00:00.000Z', 'value-one')
    first.save()
    second = Ledger.load(path)
    assert second.matches(KEY, 'value-one') and not second.matches(KEY, 'value-two')
    assert second.lookup(KEY)['updated_at'] == '2024-06-01T12:00:00.000Z'
    keys = {read(path)['key']}
    second.record(KEY, '2024-06-02T12:00:00.000Z', 'value-two')
    second.save()
    keys.add(read(path)['key'])
    assert len(keys) == 1, 'the key is made once and kept'
    assert Ledger.load(path).matches(KEY, 'value-two')


@pytest.mark.parametrize('first, second, same', [
    ('2024-06-01T12:00:00.000Z', '2024-06-01T12:00:00.000Z', True),
    ('2024-06-01T12:00:00.000Z', '2024-06-01T12:00:00Z', True),
    ('2024-06-01T12:00:00.000Z', '2024-06-01T14:00:00.000+02:00', True),
    ('2024-06-01T12:00:00.000Z', '2024-06-01T12:00:00.001Z', False),
    ('2024-06-01T12:00:00.000Z', None, False),
    ('not a time', 'not a time', True),
    ('not a time', 'another', False),
])
def test_timestamps_compare_as_instants(first, second, same):
    assert same_time(first, second) is same


def test_the_file_is_mode_0600_even_when_the_umask_is_open(tmp_path):
    path = tmp_path / 'ledger.json'
    old = os.umask(0)
    try:
        ledger = Ledger.load(str(path))
        ledger.record(KEY, '2024-06-01T12:00:00.000Z', 'v')
        ledger.save()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(path) + '.lock').st_mode) == 0o600


def test_an_open_mode_is_warned_about_and_tightened_by_the_next_save(tmp_path):
    path = tmp_path / 'ledger.json'
    ledger = Ledger.load(str(path))
    ledger.record(KEY, 't1', 'v')
    ledger.save()
    os.chmod(path, 0o644)
    again = Ledger.load(str(path))
    assert 'mode 0644' in again.loose_permissions()
    again.record(KEY, 't2', 'v')
    again.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Ledger.load(str(path)).loose_permissions() is None


def test_the_write_is_atomic_a_failed_rename_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / 'ledger.json'
    ledger = Ledger.load(str(path))
    ledger.record(KEY, 't1', 'old')
    ledger.save()
    before = path.read_bytes()

    def broken_replace(source, target):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(_ledger.os, 'replace', broken_replace)
    ledger.record(KEY, 't2', 'new')
    with pytest.raises(LedgerError, match='could not be saved .No space left on device.*writes those variables once more'):
        ledger.save()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ['ledger.json', 'ledger.json.lock']


def test_the_temporary_file_is_renamed_over_the_ledger(tmp_path, monkeypatch):
    path = tmp_path / 'ledger.json'
    renames = []
    real = os.replace

    def spy(source, target):
        renames.append((os.path.dirname(source), os.path.basename(source), target))
        return real(source, target)

    monkeypatch.setattr(_ledger.os, 'replace', spy)
    ledger = Ledger.load(str(path))
    ledger.record(KEY, 't1', 'v')
    ledger.save()
    assert len(renames) == 1
    directory, name, target = renames[0]
    assert directory == str(tmp_path) and name.startswith('.ledger.json.') and name.endswith('.tmp') and target == str(path)


def test_forgetting_removes_a_record(tmp_path):
    path = str(tmp_path / 'ledger.json')
    ledger = Ledger.load(path)
    ledger.record(KEY, 't1', 'v')
    ledger.record(entry_key(OWNER, CONTEXT, 'KEEP'), 't1', 'w')
    ledger.save()
    again = Ledger.load(path)
    again.forget(KEY)
    again.save()
    assert list(read(path)['variables']) == [entry_key(OWNER, CONTEXT, 'KEEP')]


@pytest.mark.parametrize('content, says', [
    ('{not json', 'is not JSON'),
    ('[]', 'not a ledger this collection wrote'),
    ('{"format": "community.circleci.ledger", "version": 9, "key": "", "variables": {}}', 'version 9'),
    ('{"format": "community.circleci.ledger", "version": 1, "key": "c2hvcnQ=", "variables": {}}', 'key is missing or too short'),
    ('{"format": "community.circleci.ledger", "version": 1, "key": "%s", "variables": {"a": 1}}'
     % base64.b64encode(b'k' * 32).decode(), 'not records'),
])
def test_a_file_that_is_not_a_ledger_fails_before_anything_else(tmp_path, content, says):
    path = tmp_path / 'ledger.json'
    path.write_text(content)
    with pytest.raises(InputError, match=says):
        Ledger.load(str(path))
    assert path.read_text() == content


def test_a_missing_directory_fails_before_anything_else(tmp_path):
    with pytest.raises(InputError, match='does not exist: create it first'):
        Ledger.load(str(tmp_path / 'nowhere' / 'ledger.json'))
    with pytest.raises(InputError, match='is a directory'):
        Ledger.load(str(tmp_path))


def test_a_writer_that_created_the_file_meanwhile_keeps_its_key_and_records(tmp_path):
    path = str(tmp_path / 'ledger.json')
    late = Ledger.load(path)            # read before the file exists: a key of its own
    early = Ledger.load(path)
    early.record(entry_key(OWNER, CONTEXT, 'A'), 't1', 'a-value')
    early.save()
    late.record(entry_key(OWNER, CONTEXT, 'B'), 't2', 'b-value')
    late.save()
    final = Ledger.load(path)
    assert final.matches(entry_key(OWNER, CONTEXT, 'A'), 'a-value')
    assert final.matches(entry_key(OWNER, CONTEXT, 'B'), 'b-value'), 'digests are made under the key of the file as found'


def test_threads_saving_to_one_ledger_lose_no_record(tmp_path):
    path = str(tmp_path / 'ledger.json')
    ledgers = [Ledger.load(path) for dummy in range(8)]
    for index, ledger in enumerate(ledgers):
        for number in range(5):
            ledger.record(entry_key(OWNER, CONTEXT, 'V%d_%d' % (index, number)), 't', 'value-%d-%d' % (index, number))
    threads = [threading.Thread(target=ledger.save) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = Ledger.load(path)
    assert len(final.records) == 40
    assert all(final.matches(entry_key(OWNER, CONTEXT, 'V%d_%d' % (i, n)), 'value-%d-%d' % (i, n)) for i in range(8) for n in range(5))


def _save_many(path, index, rounds):
    for number in range(rounds):
        ledger = Ledger.load(path)
        ledger.record(entry_key(OWNER, CONTEXT, 'P%d_%d' % (index, number)), 't', 'value-%d-%d' % (index, number))
        ledger.save()


def test_processes_saving_to_one_ledger_lose_no_record_and_never_leave_it_half_written(tmp_path):
    path = str(tmp_path / 'ledger.json')
    context = multiprocessing.get_context('fork')
    workers = [context.Process(target=_save_many, args=(path, index, 10)) for index in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    final = Ledger.load(path)
    assert len(final.records) == 40
    assert all(final.matches(entry_key(OWNER, CONTEXT, 'P%d_%d' % (i, n)), 'value-%d-%d' % (i, n)) for i in range(4) for n in range(10))
    assert sorted(os.listdir(tmp_path)) == ['ledger.json', 'ledger.json.lock']


def test_a_lock_held_too_long_fails_the_save_with_a_message(tmp_path):
    path = str(tmp_path / 'ledger.json')
    ticks = iter(range(1000))
    holder = _ledger._Lock(path + '.lock')
    with holder:
        lock = _ledger._Lock(path + '.lock', timeout=3, clock=lambda: next(ticks), sleep=lambda seconds: None)
        with pytest.raises(OSError, match='held its lock'):
            lock.__enter__()


@pytest.mark.skipif(os.geteuid() == 0, reason='root may write anywhere')
def test_a_directory_that_cannot_be_written_fails_before_anything_is_sent(tmp_path):
    directory = tmp_path / 'locked'
    directory.mkdir()
    os.chmod(directory, 0o500)
    try:
        ledger = Ledger.load(str(directory / 'ledger.json'))
        with pytest.raises(InputError, match='is not writable by this user; nothing was sent'):
            ledger.check_writable()
    finally:
        os.chmod(directory, 0o700)


def test_check_writable_uses_the_directory_access(tmp_path, monkeypatch):
    ledger = Ledger.load(str(tmp_path / 'ledger.json'))
    ledger.check_writable()
    monkeypatch.setattr(_ledger.os, 'access', lambda path, mode: False)
    with pytest.raises(InputError, match='not writable'):
        ledger.check_writable()
