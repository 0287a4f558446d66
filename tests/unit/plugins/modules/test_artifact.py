# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The artifact module end to end against scripted answers: idempotence, check mode, failures and temporary files."""

from __future__ import annotations

import hashlib
import json
import os
import re
from urllib.parse import urlsplit

import pytest

from ansible_collections.community.circleci.tests.unit.answers import SLUG, not_found
from ansible_collections.community.circleci.tests.unit.fakes import TOKEN, answer, cut

HOST = 'https://300-42-gh.circle-artifacts.example'


def item(path, node_index=0):
    return dict(path=path, pretty_path=path, node_index=node_index, url='%s/%d/%s' % (HOST, node_index, path.lstrip('/')))


BUILD_300 = [item('/tmp/circle-artifacts.abc123/report/index.html'), item('/tmp/circle-junit.vCFLHp7/rspec/junit.xml'),
             item('/tmp/circle-artifacts.abc123/node1.log', 1)]
CONTENT = {BUILD_300[0]['url']: b'<html>report</html>\n', BUILD_300[1]['url']: b'<testsuite/>\n', BUILD_300[2]['url']: b'node 1 log\n'}
ARTIFACTS = {300: BUILD_300, 297: [], 299: [item('../../escape.txt'), item('notes/readme.txt')],
             301: [item('/tmp/a/junit.xml', 0), item('/tmp/a/junit.xml', 1)]}
BLOBS = dict(CONTENT, **{item('notes/readme.txt')['url']: b'notes\n', item('/tmp/a/junit.xml', 0)['url']: b'zero',
                         item('/tmp/a/junit.xml', 1)['url']: b'one'})


def script_artifacts(transport, broken=None, no_size=(), parts=None):
    """Answer as CircleCI and its artifact host do: the artifact lists by build number (404 for another build),
    HEAD with each artifact's size, and each artifact's bytes.

    ``broken`` maps an artifact URL to the step its download gets instead; ``no_size`` are URLs whose HEAD gives no
    Content-Length; ``parts``, a ``(dest, list)``, records the temporary files under dest at each download.
    """
    broken = broken or {}

    def listing(request):
        number = int(re.search(r'/(\d+)/artifacts$', request.path_url).group(1))
        return answer(body=ARTIFACTS[number]) if number in ARTIFACTS else not_found('Build not found')

    def head(request):
        return answer(200, headers={} if request.url in no_size else {'Content-Length': str(len(BLOBS[request.url]))})

    def download(request):
        if parts:
            dest, seen = parts
            seen.extend(os.path.join(root, name) for root, dummy, names in os.walk(dest) for name in names if name.endswith('.part'))
        return broken.get(request.url) or answer(200, text=BLOBS[request.url])

    transport.on('GET', r'^/api/v1\.1/project/github/acme/api/\d+/artifacts$', listing)
    transport.on('HEAD', '.', head)
    transport.on('GET', '.', download)


def kinds(transport):
    """What was sent: GET (the API), HEAD (a size probe) or DOWNLOAD (a GET of an artifact)."""
    return ['DOWNLOAD' if sent.method == 'GET' and not urlsplit(sent.url).path.startswith('/api/') else sent.method
            for sent in transport.sent]


def all_files(directory):
    return sorted(os.path.relpath(os.path.join(root, name), directory) for root, dummy, names in os.walk(directory) for name in names)


def test_download_then_skip_without_transfer(run, transport, tmp_path):
    dest = str(tmp_path / 'd')
    parts = []
    script_artifacts(transport, parts=(dest, parts))
    first = run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert first['changed'] is True
    assert [entry['dest'] for entry in first['downloaded']] == [os.path.join(dest, 'tmp', 'circle-artifacts.abc123', 'report', 'index.html'),
                                                                os.path.join(dest, 'tmp', 'circle-junit.vCFLHp7', 'rspec', 'junit.xml'),
                                                                os.path.join(dest, 'tmp', 'circle-artifacts.abc123', 'node1.log')]
    assert all_files(dest) == ['tmp/circle-artifacts.abc123/node1.log', 'tmp/circle-artifacts.abc123/report/index.html',
                               'tmp/circle-junit.vCFLHp7/rspec/junit.xml']
    assert first['downloaded'][1]['sha256'] == hashlib.sha256(b'<testsuite/>\n').hexdigest()
    assert first['bytes_downloaded'] == sum(len(data) for data in CONTENT.values())
    assert kinds(transport) == ['GET', 'DOWNLOAD', 'DOWNLOAD', 'DOWNLOAD']  # nothing there: no HEAD needed
    # Each download went to a temporary file next to its final place, inside dest.
    for entry in first['downloaded']:
        assert any(os.path.dirname(part) == os.path.dirname(entry['dest'])
                   and os.path.basename(part).startswith('.' + os.path.basename(entry['dest'])) for part in parts)

    transport.sent.clear()
    second = run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert second['changed'] is False
    assert second['downloaded'] == []
    assert second['bytes_downloaded'] == 0
    assert [entry['reason'] for entry in second['skipped_files']] == ['same size'] * 3
    assert [entry['sha256'] for entry in second['skipped_files']] == [entry['sha256'] for entry in first['downloaded']]
    assert kinds(transport) == ['GET', 'HEAD', 'HEAD', 'HEAD']


def test_check_mode_writes_nothing(run, transport, tmp_path):
    script_artifacts(transport)
    dest = str(tmp_path / 'd')
    result = run('artifact', dict(project=SLUG, build_num=300, dest=dest), check_mode=True, diff=True)
    assert result['changed'] is True
    assert len(result['downloaded']) == 3
    assert {entry['sha256'] for entry in result['downloaded']} == {None}
    assert not os.path.exists(dest)
    assert 'DOWNLOAD' not in kinds(transport)
    assert result['diff']['before'] == ''
    assert 'tmp/circle-junit.vCFLHp7/rspec/junit.xml (size unknown)' in result['diff']['after']


def test_a_failed_download_keeps_the_others_and_leaves_no_temporary_file(run, transport, tmp_path):
    dest = str(tmp_path / 'd')
    script_artifacts(transport, broken={BUILD_300[1]['url']: cut(200, text='<tests')})
    result = run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['msg'].startswith('1 of 3 artifact downloads failed: ')
    assert 'cut off after 6 bytes' in result['msg']
    assert [entry['path'] for entry in result['failed_downloads']] == ['/tmp/circle-junit.vCFLHp7/rspec/junit.xml']
    assert [entry['path'] for entry in result['downloaded']] == ['/tmp/circle-artifacts.abc123/report/index.html',
                                                                 '/tmp/circle-artifacts.abc123/node1.log']
    assert all_files(dest) == ['tmp/circle-artifacts.abc123/node1.log', 'tmp/circle-artifacts.abc123/report/index.html']
    assert TOKEN not in json.dumps(result)


def test_a_local_write_error_is_reported_and_cleaned_up(run, transport, tmp_path):
    dest = str(tmp_path / 'd')
    script_artifacts(transport, broken={BUILD_300[0]['url']: OSError(28, 'No space left on device')})
    result = run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert result['failed'] is True
    assert 'No space left on device' in result['failed_downloads'][0]['msg']
    assert not any(name.endswith('.part') for name in all_files(dest))


def test_an_unexpected_error_still_removes_temporary_files(run, transport, tmp_path):
    dest = str(tmp_path / 'd')
    script_artifacts(transport, broken={BUILD_300[2]['url']: RuntimeError('bug')})
    with pytest.raises(RuntimeError):
        run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert not any(name.endswith('.part') for name in all_files(dest))


def test_a_hostile_path_fails_before_any_transfer_or_write(run, transport, tmp_path):
    script_artifacts(transport)
    dest = str(tmp_path / 'deep' / 'd')
    result = run('artifact', dict(project=SLUG, build_num=299, dest=dest))
    assert result['failed'] is True
    assert "'../../escape.txt'" in result['msg'] and 'exclude' in result['msg']
    assert kinds(transport) == ['GET']
    assert not os.path.exists(str(tmp_path / 'deep'))
    excluded = run('artifact', dict(project=SLUG, build_num=299, dest=dest, exclude=['../*']))
    assert [entry['path'] for entry in excluded['downloaded']] == ['notes/readme.txt']
    assert all_files(str(tmp_path)) == ['deep/d/notes/readme.txt']


def test_two_nodes_with_the_same_path_fail_unless_one_is_chosen(run, transport, tmp_path):
    script_artifacts(transport)
    result = run('artifact', dict(project=SLUG, build_num=301, dest=str(tmp_path)))
    assert result['failed'] is True and 'would both land on tmp/a/junit.xml' in result['msg']
    assert kinds(transport) == ['GET']
    chosen = run('artifact', dict(project=SLUG, build_num=301, dest=str(tmp_path), node_index=[1]))
    assert (tmp_path / 'tmp' / 'a' / 'junit.xml').read_bytes() == b'one'
    assert chosen['changed'] is True


def test_force_replaces_only_files_whose_content_differs(run, transport, tmp_path):
    script_artifacts(transport)
    dest = str(tmp_path)
    run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    report = tmp_path / 'tmp' / 'circle-artifacts.abc123' / 'report' / 'index.html'
    junit = tmp_path / 'tmp' / 'circle-junit.vCFLHp7' / 'rspec' / 'junit.xml'
    report.write_bytes(b'X' * len(CONTENT[BUILD_300[0]['url']]))  # same size, other bytes
    junit_inode = junit.stat().st_ino
    unforced = run('artifact', dict(project=SLUG, build_num=300, dest=dest))
    assert unforced['changed'] is False  # the documented limit of a size comparison
    transport.sent.clear()
    forced = run('artifact', dict(project=SLUG, build_num=300, dest=dest, force=True))
    assert forced['changed'] is True
    assert [entry['dest'] for entry in forced['downloaded']] == [str(report)]
    assert [entry['reason'] for entry in forced['skipped_files']] == ['same content', 'same content']
    assert report.read_bytes() == CONTENT[BUILD_300[0]['url']]
    assert junit.stat().st_ino == junit_inode  # identical file untouched
    assert 'HEAD' not in kinds(transport)


def test_an_unknown_remote_size_downloads_and_compares(run, transport, tmp_path):
    script_artifacts(transport)
    run('artifact', dict(project=SLUG, build_num=300, dest=str(tmp_path)))
    script_artifacts(transport, no_size={artifact['url'] for artifact in BUILD_300})
    transport.sent.clear()
    result = run('artifact', dict(project=SLUG, build_num=300, dest=str(tmp_path)))
    assert result['changed'] is False
    assert [entry['reason'] for entry in result['skipped_files']] == ['same content'] * 3
    assert kinds(transport).count('DOWNLOAD') == 3


def test_mode_applies_to_downloaded_and_skipped_files(run, transport, tmp_path):
    script_artifacts(transport)
    args = dict(project=SLUG, build_num=300, dest=str(tmp_path), include=['*.log'])
    run('artifact', dict(args, mode='0640'))
    log = tmp_path / 'tmp' / 'circle-artifacts.abc123' / 'node1.log'
    assert oct(log.stat().st_mode & 0o777) == '0o640'
    check = run('artifact', dict(args, mode='0600'), check_mode=True)
    assert check['changed'] is True and oct(log.stat().st_mode & 0o777) == '0o640'
    real = run('artifact', dict(args, mode='0600'))
    assert real['changed'] is True and real['downloaded'] == []
    assert oct(log.stat().st_mode & 0o777) == '0o600'
    assert run('artifact', dict(args, mode='0600'))['changed'] is False


def test_a_build_without_artifacts_creates_nothing(run, transport, tmp_path):
    script_artifacts(transport)
    result = run('artifact', dict(project=SLUG, build_num=297, dest=str(tmp_path / 'd')))
    assert result['changed'] is False and result['downloaded'] == [] and result['skipped_files'] == []
    assert not os.path.exists(str(tmp_path / 'd'))


def test_an_unknown_build_fails_with_circlecis_message(run, transport, tmp_path):
    script_artifacts(transport)
    result = run('artifact', dict(project=SLUG, build_num=9999, dest=str(tmp_path)))
    assert result['failed'] is True and 'CircleCI says: Build not found' in result['msg']


@pytest.mark.parametrize('args, words', [
    (dict(dest='FILE'), 'is not a directory'),
    (dict(strip_components=-1), 'strip_components must be at least 0'),
    (dict(node_index=[-1]), 'node_index values must be 0 or more'),
    (dict(build_num=0), 'build_num must be at least 1'),
])
def test_bad_input_fails_before_any_request(run, transport, tmp_path, args, words):
    (tmp_path / 'file').write_text('x')
    args = dict(dict(project=SLUG, build_num=300, dest=str(tmp_path)), **args)
    if args['dest'] == 'FILE':
        args['dest'] = str(tmp_path / 'file')
    result = run('artifact', args)
    assert result['failed'] is True and words in result['msg']
    assert transport.requests() == []
