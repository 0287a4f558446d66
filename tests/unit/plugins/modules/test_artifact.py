# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The artifact module end to end against a fake client: idempotence, check mode, failures and temporary files."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.community.circleci.plugins.module_utils import _module
from ansible_collections.community.circleci.plugins.module_utils._client import Outcome
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, NotFoundError, TransportError
from ansible_collections.community.circleci.plugins.modules import artifact as artifact_module

API = 'https://circleci.example.com/api/v1.1'
HOST = 'https://300-42-gh.circle-artifacts.example'


def item(path, node_index=0):
    return dict(path=path, pretty_path=path, node_index=node_index, url='%s/%d/%s' % (HOST, node_index, path.lstrip('/')))


class FakeClient:
    """Stands for CircleCIClient: artifact lists, HEAD sizes and downloads from dicts; records every call."""

    artifacts = {}       # build_num -> list of artifacts
    blobs = {}           # url -> bytes
    heads_unknown = set()
    failures = {}        # url -> exception raised after writing half of the bytes
    last = None

    def __init__(self, api_url, token, **kwargs):  # pylint: disable=unused-argument
        self.api_url = api_url.rstrip('/')
        self.request_count = 0
        self.retry_count = 0
        self.calls = []
        FakeClient.last = self

    def get(self, template, *args, params=None):  # pylint: disable=unused-argument
        self.calls.append(('GET', template, args[1:]))
        self.request_count += 1
        if args[1] not in self.artifacts:
            raise NotFoundError('GET', '/project/github/acme/api/%s/artifacts' % args[1], 404, 'Build not found')
        return self.artifacts[args[1]]

    def head_size(self, url):
        self.calls.append(('HEAD', url))
        self.request_count += 2
        return None if url in self.heads_unknown else len(self.blobs[url])

    def download(self, url, path):
        self.calls.append(('DOWNLOAD', url, path))
        self.request_count += 2
        data = self.blobs[url]
        with open(path, 'wb') as handle:
            if url in self.failures:
                handle.write(data[:len(data) // 2])
                raise self.failures[url]
            handle.write(data)
        return len(data), hashlib.sha256(data).hexdigest()

    @staticmethod
    def map_concurrent(func, items):
        outcomes = []
        for one in items:
            try:
                outcomes.append(Outcome(one, func(one), None))
            except CircleCIError as error:
                outcomes.append(Outcome(one, None, error))
        return outcomes

    def kinds(self):
        return [call[0] for call in self.calls]


BUILD_300 = [item('/tmp/circle-artifacts.abc123/report/index.html'), item('/tmp/circle-junit.vCFLHp7/rspec/junit.xml'),
             item('/tmp/circle-artifacts.abc123/node1.log', 1)]
CONTENT = {BUILD_300[0]['url']: b'<html>report</html>\n', BUILD_300[1]['url']: b'<testsuite/>\n', BUILD_300[2]['url']: b'node 1 log\n'}


@pytest.fixture
def fake(monkeypatch):
    class Client(FakeClient):
        artifacts = {300: BUILD_300, 297: [], 299: [item('../../escape.txt'), item('notes/readme.txt')],
                     301: [item('/tmp/a/junit.xml', 0), item('/tmp/a/junit.xml', 1)]}
        blobs = dict(CONTENT, **{item('notes/readme.txt')['url']: b'notes\n'})
        heads_unknown = set()
        failures = {}

    FakeClient.last = None
    monkeypatch.setattr(_module, 'CircleCIClient', Client)
    return Client


def run(capsys, check_mode=False, **args):
    """Run the module; its JSON result."""
    module_args = dict(api_url=API, api_token='secret-token-0123', project='gh/acme/api', **args)
    if check_mode:
        module_args['_ansible_check_mode'] = True
    with patch_module_args(module_args):
        with pytest.raises(SystemExit):
            artifact_module.main()
    return json.loads(capsys.readouterr().out)


def all_files(directory):
    return sorted(os.path.relpath(os.path.join(root, name), directory) for root, dummy, names in os.walk(directory) for name in names)


def test_download_then_skip_without_transfer(fake, capsys, tmp_path):
    dest = str(tmp_path / 'd')
    first = run(capsys, build_num=300, dest=dest)
    assert first['changed'] is True
    assert [entry['dest'] for entry in first['downloaded']] == [os.path.join(dest, 'tmp', 'circle-artifacts.abc123', 'report', 'index.html'),
                                                                os.path.join(dest, 'tmp', 'circle-junit.vCFLHp7', 'rspec', 'junit.xml'),
                                                                os.path.join(dest, 'tmp', 'circle-artifacts.abc123', 'node1.log')]
    assert all_files(dest) == ['tmp/circle-artifacts.abc123/node1.log', 'tmp/circle-artifacts.abc123/report/index.html',
                               'tmp/circle-junit.vCFLHp7/rspec/junit.xml']
    assert first['downloaded'][1]['sha256'] == hashlib.sha256(b'<testsuite/>\n').hexdigest()
    assert first['bytes_downloaded'] == sum(len(data) for data in CONTENT.values())
    assert fake.last.kinds() == ['GET', 'DOWNLOAD', 'DOWNLOAD', 'DOWNLOAD']  # nothing there: no HEAD needed
    # Each temporary file was next to its final place, inside dest.
    for call in fake.last.calls[1:]:
        assert call[2].startswith(dest + os.sep) and call[2].endswith('.part')

    second = run(capsys, build_num=300, dest=dest)
    assert second['changed'] is False
    assert second['downloaded'] == []
    assert second['bytes_downloaded'] == 0
    assert [entry['reason'] for entry in second['skipped_files']] == ['same size'] * 3
    assert [entry['sha256'] for entry in second['skipped_files']] == [entry['sha256'] for entry in first['downloaded']]
    assert fake.last.kinds() == ['GET', 'HEAD', 'HEAD', 'HEAD']


def test_check_mode_writes_nothing(fake, capsys, tmp_path):
    dest = str(tmp_path / 'd')
    result = run(capsys, check_mode=True, build_num=300, dest=dest, _ansible_diff=True)
    assert result['changed'] is True
    assert len(result['downloaded']) == 3
    assert {entry['sha256'] for entry in result['downloaded']} == {None}
    assert not os.path.exists(dest)
    assert 'DOWNLOAD' not in fake.last.kinds()
    assert result['diff']['before'] == ''
    assert 'tmp/circle-junit.vCFLHp7/rspec/junit.xml (size unknown)' in result['diff']['after']


def test_a_failed_download_keeps_the_others_and_leaves_no_temporary_file(fake, capsys, tmp_path):
    dest = str(tmp_path / 'd')
    fake.failures = {BUILD_300[1]['url']: TransportError('GET', '/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml',
                                                         detail='the download was cut off after 6 bytes (ChunkedEncodingError)')}
    result = run(capsys, build_num=300, dest=dest)
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['msg'].startswith('1 of 3 artifact downloads failed: ')
    assert 'cut off after 6 bytes' in result['msg']
    assert [entry['path'] for entry in result['failed_downloads']] == ['/tmp/circle-junit.vCFLHp7/rspec/junit.xml']
    assert [entry['path'] for entry in result['downloaded']] == ['/tmp/circle-artifacts.abc123/report/index.html',
                                                                 '/tmp/circle-artifacts.abc123/node1.log']
    assert all_files(dest) == ['tmp/circle-artifacts.abc123/node1.log', 'tmp/circle-artifacts.abc123/report/index.html']
    assert 'secret-token-0123' not in json.dumps(result)


def test_a_local_write_error_is_reported_and_cleaned_up(fake, capsys, tmp_path):
    dest = str(tmp_path / 'd')
    fake.failures = {BUILD_300[0]['url']: OSError(28, 'No space left on device')}
    result = run(capsys, build_num=300, dest=dest)
    assert result['failed'] is True
    assert 'No space left on device' in result['failed_downloads'][0]['msg']
    assert not any(name.endswith('.part') for name in all_files(dest))


def test_an_unexpected_error_still_removes_temporary_files(fake, capsys, tmp_path):
    dest = str(tmp_path / 'd')
    fake.failures = {BUILD_300[2]['url']: RuntimeError('bug')}
    with pytest.raises(RuntimeError):
        run(capsys, build_num=300, dest=dest)
    assert not any(name.endswith('.part') for name in all_files(dest))


def test_a_hostile_path_fails_before_any_transfer_or_write(fake, capsys, tmp_path):
    dest = str(tmp_path / 'deep' / 'd')
    result = run(capsys, build_num=299, dest=dest)
    assert result['failed'] is True
    assert "'../../escape.txt'" in result['msg'] and 'exclude' in result['msg']
    assert fake.last.kinds() == ['GET']
    assert not os.path.exists(str(tmp_path / 'deep'))
    excluded = run(capsys, build_num=299, dest=dest, exclude=['../*'])
    assert [entry['path'] for entry in excluded['downloaded']] == ['notes/readme.txt']
    assert all_files(str(tmp_path)) == ['deep/d/notes/readme.txt']


def test_two_nodes_with_the_same_path_fail_unless_one_is_chosen(fake, capsys, tmp_path):
    fake.blobs.update({item('/tmp/a/junit.xml', 0)['url']: b'zero', item('/tmp/a/junit.xml', 1)['url']: b'one'})
    result = run(capsys, build_num=301, dest=str(tmp_path))
    assert result['failed'] is True and 'would both land on tmp/a/junit.xml' in result['msg']
    assert fake.last.kinds() == ['GET']
    chosen = run(capsys, build_num=301, dest=str(tmp_path), node_index=[1])
    assert (tmp_path / 'tmp' / 'a' / 'junit.xml').read_bytes() == b'one'
    assert chosen['changed'] is True


def test_force_replaces_only_files_whose_content_differs(fake, capsys, tmp_path):
    dest = str(tmp_path)
    run(capsys, build_num=300, dest=dest)
    report = tmp_path / 'tmp' / 'circle-artifacts.abc123' / 'report' / 'index.html'
    junit = tmp_path / 'tmp' / 'circle-junit.vCFLHp7' / 'rspec' / 'junit.xml'
    report.write_bytes(b'X' * len(CONTENT[BUILD_300[0]['url']]))  # same size, other bytes
    junit_inode = junit.stat().st_ino
    unforced = run(capsys, build_num=300, dest=dest)
    assert unforced['changed'] is False  # the documented limit of a size comparison
    forced = run(capsys, build_num=300, dest=dest, force=True)
    assert forced['changed'] is True
    assert [entry['dest'] for entry in forced['downloaded']] == [str(report)]
    assert [entry['reason'] for entry in forced['skipped_files']] == ['same content', 'same content']
    assert report.read_bytes() == CONTENT[BUILD_300[0]['url']]
    assert junit.stat().st_ino == junit_inode  # identical file untouched
    assert 'HEAD' not in fake.last.kinds()


def test_an_unknown_remote_size_downloads_and_compares(fake, capsys, tmp_path):
    run(capsys, build_num=300, dest=str(tmp_path))
    fake.heads_unknown = {artifact['url'] for artifact in BUILD_300}
    result = run(capsys, build_num=300, dest=str(tmp_path))
    assert result['changed'] is False
    assert [entry['reason'] for entry in result['skipped_files']] == ['same content'] * 3
    assert fake.last.kinds().count('DOWNLOAD') == 3


def test_mode_applies_to_downloaded_and_skipped_files(fake, capsys, tmp_path):
    run(capsys, build_num=300, dest=str(tmp_path), include=['*.log'], mode='0640')
    log = tmp_path / 'tmp' / 'circle-artifacts.abc123' / 'node1.log'
    assert oct(log.stat().st_mode & 0o777) == '0o640'
    check = run(capsys, check_mode=True, build_num=300, dest=str(tmp_path), include=['*.log'], mode='0600')
    assert check['changed'] is True and oct(log.stat().st_mode & 0o777) == '0o640'
    real = run(capsys, build_num=300, dest=str(tmp_path), include=['*.log'], mode='0600')
    assert real['changed'] is True and real['downloaded'] == []
    assert oct(log.stat().st_mode & 0o777) == '0o600'
    assert run(capsys, build_num=300, dest=str(tmp_path), include=['*.log'], mode='0600')['changed'] is False


def test_a_build_without_artifacts_creates_nothing(fake, capsys, tmp_path):
    result = run(capsys, build_num=297, dest=str(tmp_path / 'd'))
    assert result['changed'] is False and result['downloaded'] == [] and result['skipped_files'] == []
    assert not os.path.exists(str(tmp_path / 'd'))


def test_bad_input_fails_before_any_request(fake, capsys, tmp_path):
    (tmp_path / 'file').write_text('x')
    result = run(capsys, build_num=300, dest=str(tmp_path / 'file'))
    assert result['failed'] is True and 'is not a directory' in result['msg']
    assert fake.last is None or fake.last.calls == []
    result = run(capsys, build_num=300, dest=str(tmp_path), strip_components=-1)
    assert result['failed'] is True and 'strip_components must be at least 0' in result['msg']
