# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's artifact download and size probe: where the token goes across redirects, streaming, retries (no network)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.community.circleci.plugins.module_utils._errors import PermissionDeniedError, TransportError
from ansible_collections.community.circleci.tests.unit.fakes import TOKEN, answer, cut

ARTIFACT = 'https://300-42-gh.circle-artifacts.example/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml'
STORAGE = 'https://storage.example.net/blob123/junit.xml?X-Amz-Signature=abc'


def redirect(location, status=302):
    return answer(status, headers={'Location': location})


def ok(body, **headers):
    return answer(200, text=body, headers=dict({'Content-Length': str(len(body))}, **headers))


def tokens_sent(transport):
    """For each request: (method, URL, whether it carried the token anywhere)."""
    return [(sent.method, sent.url, TOKEN in sent.url or TOKEN in json.dumps(dict(sent.headers))) for sent in transport.sent]


def test_token_goes_to_the_artifact_host_but_not_to_the_storage_it_redirects_to(client, transport, tmp_path):
    api = client([redirect(STORAGE), ok(b'<testsuite/>')])
    size, digest = api.download(ARTIFACT, str(tmp_path / 'junit.xml'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', STORAGE, False)]
    assert transport.sent[0].headers['Circle-Token'] == TOKEN
    assert 'Authorization' not in transport.sent[1].headers
    assert (size, digest) == (12, hashlib.sha256(b'<testsuite/>').hexdigest())
    assert (tmp_path / 'junit.xml').read_bytes() == b'<testsuite/>'


def test_another_port_on_the_same_host_is_another_host(client, transport, tmp_path):
    # The emulator's layout: API, artifact and storage listeners on one address, three ports.
    artifact = 'http://127.0.0.1:8766/300-1-gh/0/small.txt'
    storage = 'http://127.0.0.1:8767/blob/small.txt?X-Amz-Signature=abc'
    api = client([redirect(storage), ok(b'x')], api_url='http://127.0.0.1:8765/api/v1.1')
    api.download(artifact, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', artifact, True), ('GET', storage, False)]


def test_a_scheme_change_on_the_same_host_drops_the_token(client, transport, tmp_path):
    plain = ARTIFACT.replace('https://', 'http://')
    api = client([redirect(plain), ok(b'x')])
    api.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', plain, False)]


def test_a_chain_of_redirects_only_carries_the_token_to_trusted_hosts(client, transport, tmp_path):
    cdn = 'https://cdn.example.org/x'
    back = 'https://300-42-gh.circle-artifacts.example/0/moved.xml'
    api = client([redirect(STORAGE, 307), redirect(cdn, 301), redirect(back, 303), ok(b'data')])
    api.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', STORAGE, False), ('GET', cdn, False), ('GET', back, True)]


def test_a_relative_redirect_stays_on_the_artifact_host(client, transport, tmp_path):
    api = client([redirect('/0/elsewhere.xml'), ok(b'data')])
    api.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport)[1] == ('GET', 'https://300-42-gh.circle-artifacts.example/0/elsewhere.xml', True)


def test_a_retried_storage_answer_rewrites_the_file_and_still_carries_no_token(client, transport, tmp_path):
    target = tmp_path / 'f'
    target.write_bytes(b'stale content that is longer than the artifact')
    api = client([redirect(STORAGE), answer(503, text='busy'), redirect(STORAGE), ok(b'fresh')])
    assert api.download(ARTIFACT, str(target))[0] == 5
    assert target.read_bytes() == b'fresh'
    assert [sent[2] for sent in tokens_sent(transport)] == [True, False, True, False]
    assert api.retry_count == 1


def test_a_large_body_is_streamed_in_chunks(client, tmp_path):
    body = bytes(range(256)) * 4096 * 3  # 3 MiB
    api = client([redirect(STORAGE), ok(body)])
    size, digest = api.download(ARTIFACT, str(tmp_path / 'big'), chunk_size=64 * 1024)
    assert size == len(body)
    assert digest == hashlib.sha256(body).hexdigest()
    assert (tmp_path / 'big').stat().st_size == len(body)


def test_a_storage_refusal_is_an_error_without_the_signed_query(client, tmp_path):
    api = client([redirect(STORAGE), answer(403, text='<Error><Code>AccessDenied</Code></Error>', headers={'Content-Type': 'application/xml'})])
    with pytest.raises(PermissionDeniedError) as caught:
        api.download(ARTIFACT, str(tmp_path / 'f'))
    assert 'X-Amz-Signature' not in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert '/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml' in str(caught.value)


def test_a_cut_off_download_is_a_transport_error(client, tmp_path):
    api = client([redirect(STORAGE), cut(200, text='0123456789')])
    with pytest.raises(TransportError) as caught:
        api.download(ARTIFACT, str(tmp_path / 'f'))
    assert 'cut off after 10 bytes' in str(caught.value)


def test_head_size_follows_redirects_as_head_with_the_same_token_rule(client, transport):
    api = client([redirect(STORAGE), answer(200, headers={'Content-Length': '50331648'})])
    assert api.head_size(ARTIFACT) == 50331648
    assert tokens_sent(transport) == [('HEAD', ARTIFACT, True), ('HEAD', STORAGE, False)]


@pytest.mark.parametrize('headers', [{}, {'Content-Length': 'abc'}, {'Content-Length': '12', 'Content-Encoding': 'gzip'}])
def test_head_size_is_none_without_a_usable_length(client, headers):
    api = client([answer(200, headers=headers)])
    assert api.head_size(ARTIFACT) is None


def test_head_size_errors_raise(client):
    api = client([redirect(STORAGE), answer(403)])
    with pytest.raises(PermissionDeniedError):
        api.head_size(ARTIFACT)
