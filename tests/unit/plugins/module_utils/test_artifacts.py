# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Artifact listing, selection, path mapping and safety, and the download plan (no network)."""

from __future__ import annotations

import ast
import hashlib
import os
import re

import pytest

from ansible_collections.community.circleci.plugins.module_utils._artifacts import (
    ArtifactPathError,
    after_download,
    check_artifact_url,
    describe_problems,
    file_sha256,
    filesystem_problems,
    glob_matches,
    list_artifacts,
    local_relpath,
    local_size,
    map_destinations,
    needs_remote_size,
    normalize_artifact_path,
    normalize_artifacts,
    plan_downloads,
    result_entry,
    select_artifacts,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import InvalidResponseError, NotFoundError, ServerError
from ansible_collections.community.circleci.plugins.module_utils._slug import Project
from ansible_collections.community.circleci.tests.unit.answers import not_found
from ansible_collections.community.circleci.tests.unit.fakes import answer

PROJECT = Project('github', 'acme', 'api')
ART = 'https://300-42-gh.circle-artifacts.com'


def artifact(path, node_index=0, url=None):
    return dict(path=path, pretty_path=path, node_index=node_index, url=url or '%s/%d/%s' % (ART, node_index, path.lstrip('/')))


BUILD_300 = [
    artifact('/tmp/circle-artifacts.abc123/report/index.html'),
    artifact('/tmp/circle-junit.vCFLHp7/rspec/junit.xml'),
    artifact('/tmp/circle-artifacts.abc123/node1.log', 1),
]


# -- path normalisation ---------------------------------------------------------------------------

@pytest.mark.parametrize('path, segments', [
    ('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', ['tmp', 'circle-junit.vCFLHp7', 'rspec', 'junit.xml']),
    ('report/index.html', ['report', 'index.html']),
    ('//tmp//./a/./b', ['tmp', 'a', 'b']),
    ('a/../b', ['b']),
    ('a/b/../../c', ['c']),
    ('/tmp/x/../y/z', ['tmp', 'y', 'z']),
    ('a/', ['a']),
    ('...', ['...']),
    ('..hidden/.x', ['..hidden', '.x']),
    # Backslashes are ordinary characters, never separators.
    ('a\\..\\..\\b', ['a\\..\\..\\b']),
    ('..\\escape.txt', ['..\\escape.txt']),
    ('C:\\Windows\\win.ini', ['C:\\Windows\\win.ini']),
    ('dir\\sub/file', ['dir\\sub', 'file']),
    ('na\u00efve/\u65e5\u672c.txt', ['na\u00efve', '\u65e5\u672c.txt']),
])
def test_paths_are_resolved_lexically(path, segments):
    assert normalize_artifact_path(path) == segments


@pytest.mark.parametrize('path, reason', [
    ('../../escape.txt', 'climbs out of the destination'),
    ('..', 'climbs out of the destination'),
    ('../x', 'climbs out of the destination'),
    ('a/../../b', 'climbs out of the destination'),
    ('/../etc/passwd', 'climbs out of the destination'),
    ('/tmp/../../etc/passwd', 'climbs out of the destination'),
    ('./a/./../..', 'climbs out of the destination'),
    ('', 'is empty'),
    ('/', 'names no file'),
    ('.', 'names no file'),
    ('a/..', 'names no file'),
    ('a/b/../..', 'names no file'),
    ('a\x00b', 'NUL'),
])
def test_paths_that_escape_or_name_nothing_are_refused(path, reason):
    with pytest.raises(ArtifactPathError) as caught:
        normalize_artifact_path(path)
    assert reason in caught.value.reason
    assert caught.value.path == path


def test_a_non_string_path_is_refused():
    with pytest.raises(ArtifactPathError):
        normalize_artifact_path(None)


def test_normalisation_never_touches_the_file_system(tmp_path, monkeypatch):
    # A symlink named like a segment must not change the result: nothing is resolved on disk.
    os.symlink('/etc', str(tmp_path / 'tmp'))
    monkeypatch.chdir(tmp_path)
    assert normalize_artifact_path('tmp/../passwd') == ['passwd']


@pytest.mark.parametrize('path, strip, relpath', [
    ('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', 0, 'tmp/circle-junit.vCFLHp7/rspec/junit.xml'),
    ('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', 1, 'circle-junit.vCFLHp7/rspec/junit.xml'),
    ('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', 2, 'rspec/junit.xml'),
    ('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', 3, 'junit.xml'),
    ('/tmp/./x/../y/z', 1, 'y/z'),
    ('big/large.bin', 0, 'big/large.bin'),
])
def test_local_relpath_drops_the_leading_slash_and_strips_components(path, strip, relpath):
    assert local_relpath(path, strip) == relpath


def test_stripping_every_segment_is_refused():
    with pytest.raises(ArtifactPathError) as caught:
        local_relpath('/tmp/circle-junit.vCFLHp7/rspec/junit.xml', 4)
    assert 'has 4 segments, so strip_components=4 would leave no file name' in caught.value.reason
    with pytest.raises(ArtifactPathError) as caught:
        local_relpath('small.txt', 1)
    assert 'has 1 segment,' in caught.value.reason


def test_stripping_does_not_hide_an_escape():
    with pytest.raises(ArtifactPathError):
        local_relpath('a/../../etc/passwd', 1)


# -- selection ---------------------------------------------------------------------------------------

def paths(artifacts):
    return [item['path'] for item in artifacts]


def test_no_selection_keeps_everything_in_order():
    assert select_artifacts(BUILD_300) == BUILD_300
    assert select_artifacts(BUILD_300, [], [], []) == BUILD_300


def test_include_star_matches_across_slashes():
    assert paths(select_artifacts(BUILD_300, include=['*.xml'])) == ['/tmp/circle-junit.vCFLHp7/rspec/junit.xml']


def test_patterns_match_with_or_without_the_leading_slash():
    assert paths(select_artifacts(BUILD_300, include=['tmp/circle-artifacts.*'])) == [
        '/tmp/circle-artifacts.abc123/report/index.html', '/tmp/circle-artifacts.abc123/node1.log']
    assert paths(select_artifacts(BUILD_300, include=['/tmp/circle-junit.*/rspec/*'])) == ['/tmp/circle-junit.vCFLHp7/rspec/junit.xml']


def test_exclude_applies_after_include():
    assert paths(select_artifacts(BUILD_300, include=['/tmp/circle-artifacts.*'], exclude=['*.log'])) == [
        '/tmp/circle-artifacts.abc123/report/index.html']


def test_node_index_selects_nodes():
    assert paths(select_artifacts(BUILD_300, node_indexes=[1])) == ['/tmp/circle-artifacts.abc123/node1.log']
    assert len(select_artifacts(BUILD_300, node_indexes=[0, 1])) == 3
    assert select_artifacts(BUILD_300, node_indexes=[7]) == []


def test_matching_is_case_sensitive_and_brackets_are_classes():
    assert not glob_matches('/tmp/REPORT.HTML', ['*.html'])
    assert glob_matches('logs/node1.log', ['logs/node[0-9].log'])
    assert not glob_matches('logs/nodeA.log', ['logs/node[0-9].log'])
    assert glob_matches('../../escape.txt', ['../../escape.txt'])
    assert glob_matches('../../escape.txt', ['*escape.txt'])


# -- mapping under dest ------------------------------------------------------------------------------

def test_absolute_paths_land_under_dest():
    entries, problems = map_destinations(BUILD_300, '/srv/ci')
    assert problems == []
    assert [entry['dest'] for entry in entries] == [
        '/srv/ci/tmp/circle-artifacts.abc123/report/index.html',
        '/srv/ci/tmp/circle-junit.vCFLHp7/rspec/junit.xml',
        '/srv/ci/tmp/circle-artifacts.abc123/node1.log',
    ]
    assert entries[1]['relpath'] == 'tmp/circle-junit.vCFLHp7/rspec/junit.xml'
    assert entries[1]['url'] == BUILD_300[1]['url']


def test_strip_components_applies_to_every_artifact():
    entries, problems = map_destinations(BUILD_300, '/srv/ci', strip_components=2)
    assert problems == []
    assert [entry['relpath'] for entry in entries] == ['report/index.html', 'rspec/junit.xml', 'node1.log']


def test_an_escaping_path_is_a_problem_naming_it_and_is_not_placed():
    hostile = [artifact('../../escape.txt'), artifact('notes/readme.txt')]
    entries, problems = map_destinations(hostile, '/srv/ci')
    assert [entry['path'] for entry in entries] == ['notes/readme.txt']
    assert problems == ["artifact '../../escape.txt' (node 0) climbs out of the destination with \"..\""]


def test_two_artifacts_on_one_file_are_a_problem():
    same = [artifact('/tmp/a/junit.xml', 0), artifact('/tmp/a/junit.xml', 1)]
    entries, problems = map_destinations(same, '/srv/ci')
    assert len(entries) == 1
    assert problems == ["artifact '/tmp/a/junit.xml' (node 1) and artifact '/tmp/a/junit.xml' (node 0) would both land on tmp/a/junit.xml"]
    # Different paths that strip to the same file, too.
    entries, problems = map_destinations([artifact('/tmp/x1/r.xml'), artifact('/tmp/x2/r.xml')], '/d', strip_components=2)
    assert len(problems) == 1 and 'would both land on r.xml' in problems[0]


def test_a_file_another_artifact_needs_as_a_directory_is_a_problem():
    entries, problems = map_destinations([artifact('logs'), artifact('logs/a.txt')], '/d')
    assert problems == ["artifact 'logs' (node 0) lands on logs, which artifact 'logs/a.txt' (node 0) needs as a directory"]


def test_artifact_urls_the_token_may_not_go_to_are_problems():
    https_api = 'https://circleci.com/api/v1.1'
    assert check_artifact_url(https_api, 'https://1-2-gh.circle-artifacts.com/0/a') is None
    assert 'plain http' in check_artifact_url(https_api, 'http://1-2-gh.circle-artifacts.com/0/a')
    assert check_artifact_url('http://127.0.0.1:8765/api/v1.1', 'http://127.0.0.1:8766/1-2-gh/0/a') is None
    assert 'unusable URL' in check_artifact_url(https_api, 'file:///etc/passwd')
    assert 'unusable URL' in check_artifact_url(https_api, 'https:///nohost')
    entries, problems = map_destinations([artifact('a.txt', url='http://x.example/0/a.txt')], '/d', api_url=https_api)
    assert entries == [] and 'plain http' in problems[0]


def test_describe_problems_names_paths_and_suggests_exclude():
    message = describe_problems(["artifact '../../escape.txt' (node 0) climbs out of the destination"], ['../../escape.txt', 'odd[1].txt'])
    assert message.startswith('Refusing to download anything: ')
    assert '../../escape.txt' in message
    assert "exclude: ['../../escape.txt', 'odd[[]1].txt']" in message
    assert 'exclude' not in describe_problems(['x is a directory'], [])


def test_suggested_exclude_patterns_really_exclude_the_path():
    odd = ['../../escape.txt', 'odd[1].txt', 'what?*.txt']
    message = describe_problems(['p'], odd)
    patterns = ast.literal_eval(re.search(r'exclude: (\[.*?\])\)', message).group(1))
    for path in odd:
        assert glob_matches(path, patterns)
    assert not glob_matches('odd1.txt', patterns)


# -- the file system before downloading ---------------------------------------------------------------

def place(tmp_path, items, strip=0):
    entries, problems = map_destinations(items, str(tmp_path), strip)
    assert problems == []
    return entries


def test_filesystem_problems_none_in_an_empty_or_missing_dest(tmp_path):
    assert filesystem_problems(place(tmp_path, BUILD_300), str(tmp_path)) == []
    missing = tmp_path / 'not' / 'yet'
    assert filesystem_problems(place(missing, BUILD_300), str(missing)) == []


def test_a_directory_where_a_file_goes_is_a_problem(tmp_path):
    (tmp_path / 'report' / 'index.html').mkdir(parents=True)
    problems = filesystem_problems(place(tmp_path, [artifact('report/index.html')]), str(tmp_path))
    assert problems == ['%s is a directory, so artifact %r cannot be saved there' % (tmp_path / 'report' / 'index.html', 'report/index.html')]


def test_a_file_where_a_directory_goes_is_a_problem(tmp_path):
    (tmp_path / 'report').write_text('x')
    problems = filesystem_problems(place(tmp_path, [artifact('report/index.html')]), str(tmp_path))
    assert len(problems) == 1 and 'is not a directory' in problems[0]


def test_a_symlink_leading_out_of_dest_is_a_problem(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    dest = tmp_path / 'dest'
    dest.mkdir()
    os.symlink(str(outside), str(dest / 'tmp'))
    problems = filesystem_problems(place(dest, BUILD_300), str(dest))
    assert len(problems) == 3 and all('through a symbolic link' in problem for problem in problems)
    os.symlink(str(outside / 'passwd'), str(dest / 'passwd'))
    assert 'through a symbolic link' in filesystem_problems(place(dest, [artifact('passwd')]), str(dest))[0]


def test_a_symlink_inside_dest_is_fine(tmp_path):
    (tmp_path / 'real').mkdir()
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'tmp'))
    assert filesystem_problems(place(tmp_path, BUILD_300), str(tmp_path)) == []


def test_local_size_and_sha256(tmp_path):
    data = os.urandom(3 * 1024 + 17)
    (tmp_path / 'f').write_bytes(data)
    assert local_size(str(tmp_path / 'f')) == len(data)
    assert local_size(str(tmp_path / 'missing')) is None
    assert local_size(str(tmp_path)) is None
    assert file_sha256(str(tmp_path / 'f'), chunk_size=1000) == hashlib.sha256(data).hexdigest()


# -- the plan ----------------------------------------------------------------------------------------

def test_plan_downloads_decides_per_file():
    entries, dummy = map_destinations([artifact(name) for name in ('a', 'b', 'c', 'd')], '/d')
    local = {'/d/a': None, '/d/b': 10, '/d/c': 10, '/d/d': 10}
    remote = {'/d/b': 10, '/d/c': 12}
    plan = plan_downloads(entries, local, remote)
    assert [(entry['relpath'], action, reason) for entry, action, reason in plan] == [
        ('a', 'download', 'missing'),
        ('b', 'skip', 'same size'),
        ('c', 'download', 'size differs (local 10 bytes, remote 12)'),
        ('d', 'download', 'remote size unknown'),
    ]
    forced = plan_downloads(entries, local, remote, force=True)
    assert [(action, reason) for dummy, action, reason in forced] == [
        ('download', 'missing'), ('download', 'force'), ('download', 'force'), ('download', 'force')]


def test_a_zero_byte_file_is_a_file():
    entries, dummy = map_destinations([artifact('empty')], '/d')
    assert plan_downloads(entries, {'/d/empty': 0}, {'/d/empty': 0})[0][1] == 'skip'
    assert plan_downloads(entries, {}, {'/d/empty': 0})[0][1] == 'download'


def test_remote_sizes_are_needed_only_to_compare():
    entries, dummy = map_destinations([artifact('a'), artifact('b')], '/d')
    local = {'/d/a': 5, '/d/b': None}
    assert [needs_remote_size(entry, local, False) for entry in entries] == [True, False]
    assert [needs_remote_size(entry, local, True) for entry in entries] == [False, False]


def test_after_download_keeps_identical_files():
    assert after_download('ab' * 32, 'ab' * 32) == 'skip'
    assert after_download('ab' * 32, 'cd' * 32) == 'move'
    assert after_download(None, 'cd' * 32) == 'move'


def test_result_entry_keys():
    entries, dummy = map_destinations([artifact('/tmp/x/a.txt', 1)], '/d')
    assert result_entry(entries[0], 3, 'f' * 64, 'missing') == dict(
        path='/tmp/x/a.txt', node_index=1, url=ART + '/1/tmp/x/a.txt', dest='/d/tmp/x/a.txt', size=3, sha256='f' * 64, reason='missing')


# -- listing -----------------------------------------------------------------------------------------

BUILDS = '/api/v1.1/project/github/acme/api'


def test_list_artifacts_of_a_build(client, transport):
    api = client([answer(body=BUILD_300)])
    assert list_artifacts(api, PROJECT, 300) == (BUILD_300, True)
    assert transport.requests() == [('GET', BUILDS + '/300/artifacts')]


def test_a_build_without_artifacts_is_an_empty_list(client):
    assert list_artifacts(client([answer(body=[])]), PROJECT, 297) == ([], True)


def test_an_unknown_build_fails(client):
    with pytest.raises(NotFoundError, match='Build not found'):
        list_artifacts(client([not_found('Build not found')]), PROJECT, 9999)


def test_latest_artifacts_pass_branch_and_filter(client, transport):
    api = client([answer(body=BUILD_300[:1])])
    assert list_artifacts(api, PROJECT, None, 'feature/login', 'successful') == (BUILD_300[:1], True)
    assert transport.requests() == [('GET', BUILDS + '/latest/artifacts?branch=feature%2Flogin&filter=successful')]


def test_latest_artifacts_without_branch_or_filter(client, transport):
    list_artifacts(client([answer(body=[])]), PROJECT)
    assert transport.requests() == [('GET', BUILDS + '/latest/artifacts')]


def test_no_latest_build_in_a_known_project_is_an_empty_list(client, transport):
    api = client([not_found('Build not found'), answer(body=[{'build_num': 300}])])
    assert list_artifacts(api, PROJECT, None, 'always-fails', 'successful') == ([], False)
    assert transport.requests()[1] == ('GET', BUILDS + '?limit=1&shallow=true')


def test_no_latest_build_in_an_unknown_project_fails(client):
    api = client([not_found('Project not found'), not_found('Project not found')])
    with pytest.raises(NotFoundError) as caught:
        list_artifacts(api, Project('github', 'acme', 'nope'))
    assert caught.value.path == '/project/github/acme/nope'


def test_other_errors_on_latest_are_not_swallowed(client, transport):
    api = client([answer(500, body={'message': 'boom'})], retries=0)
    with pytest.raises(ServerError):
        list_artifacts(api, PROJECT)
    assert len(transport.requests()) == 1


def test_normalize_artifacts_checks_each_item():
    assert normalize_artifacts([{'path': 'a', 'url': 'https://h/0/a'}]) == [
        {'path': 'a', 'url': 'https://h/0/a', 'node_index': 0, 'pretty_path': 'a'}]
    assert normalize_artifacts([{'path': 'a', 'url': 'u', 'node_index': '2', 'pretty_path': 'p'}])[0]['node_index'] == 2
    for bad in ([{'url': 'u'}], [{'path': 'a', 'url': 'u', 'node_index': 'x'}], ['a']):
        with pytest.raises(InvalidResponseError):
            normalize_artifacts(bad, '/project/github/acme/api/1/artifacts')
