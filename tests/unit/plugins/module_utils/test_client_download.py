# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's artifact download and size probe: where the token goes across redirects, streaming, retries (no network)."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ProtocolError

from ansible_collections.community.circleci.plugins.module_utils._client import CircleCIClient, RetryPolicy
from ansible_collections.community.circleci.plugins.module_utils._errors import PermissionDeniedError, TransportError

API = 'https://circleci.example.com/api/v1.1'
TOKEN = 'secret-token-0123456789'
ARTIFACT = 'https://300-42-gh.circle-artifacts.example/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml'
STORAGE = 'https://storage.example.net/blob123/junit.xml?X-Amz-Signature=abc'


class CutOffRaw:
    """A response body that delivers some bytes, then loses the connection."""

    def __init__(self, data):
        self.data = data

    def stream(self, chunk_size, decode_content=True):  # pylint: disable=unused-argument
        yield self.data
        raise ProtocolError('Connection broken: IncompleteRead')

    def close(self):
        pass


class FakeTransport(BaseAdapter):
    """Answers from a script of (status, headers, body bytes or raw) and records method, URL and headers sent."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.sent = []

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        self.sent.append((request.method, request.url, dict(request.headers)))
        status, headers, body = self.script.pop(0)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = body if isinstance(body, CutOffRaw) else io.BytesIO(b'' if request.method == 'HEAD' else body)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def make_client(script, api=API):
    sleeps = []
    policy = RetryPolicy(retries=3, sleep=sleeps.append, clock=lambda: 0.0, rand=lambda: 0.5)
    client = CircleCIClient(api, TOKEN, policy=policy, max_workers=1)
    transport = FakeTransport(script)
    client.session.mount('https://', transport)
    client.session.mount('http://', transport)
    return client, transport


def redirect(location, status=302):
    return (status, {'Location': location}, b'')


def ok(body, **headers):
    return (200, dict({'Content-Length': str(len(body))}, **headers), body)


def tokens_sent(transport):
    """For each request: (method, URL, whether it carried the token anywhere)."""
    return [(method, url, TOKEN in url or TOKEN in json.dumps(headers)) for method, url, headers in transport.sent]


def test_token_goes_to_the_artifact_host_but_not_to_the_storage_it_redirects_to(tmp_path):
    client, transport = make_client([redirect(STORAGE), ok(b'<testsuite/>')])
    size, digest = client.download(ARTIFACT, str(tmp_path / 'junit.xml'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', STORAGE, False)]
    assert transport.sent[0][2]['Circle-Token'] == TOKEN
    assert 'Authorization' not in transport.sent[1][2]
    assert (size, digest) == (12, hashlib.sha256(b'<testsuite/>').hexdigest())
    assert (tmp_path / 'junit.xml').read_bytes() == b'<testsuite/>'


def test_another_port_on_the_same_host_is_another_host(tmp_path):
    # The emulator's layout: API, artifact and storage listeners on one address, three ports.
    api = 'http://127.0.0.1:8765/api/v1.1'
    artifact = 'http://127.0.0.1:8766/300-1-gh/0/small.txt'
    storage = 'http://127.0.0.1:8767/blob/small.txt?X-Amz-Signature=abc'
    client, transport = make_client([redirect(storage), ok(b'x')], api=api)
    client.download(artifact, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', artifact, True), ('GET', storage, False)]


def test_a_scheme_change_on_the_same_host_drops_the_token(tmp_path):
    plain = ARTIFACT.replace('https://', 'http://')
    client, transport = make_client([redirect(plain), ok(b'x')])
    client.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', plain, False)]


def test_a_chain_of_redirects_only_carries_the_token_to_trusted_hosts(tmp_path):
    cdn = 'https://cdn.example.org/x'
    back = 'https://300-42-gh.circle-artifacts.example/0/moved.xml'
    client, transport = make_client([redirect(STORAGE, 307), redirect(cdn, 301), redirect(back, 303), ok(b'data')])
    client.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport) == [('GET', ARTIFACT, True), ('GET', STORAGE, False), ('GET', cdn, False), ('GET', back, True)]


def test_a_relative_redirect_stays_on_the_artifact_host(tmp_path):
    client, transport = make_client([redirect('/0/elsewhere.xml'), ok(b'data')])
    client.download(ARTIFACT, str(tmp_path / 'f'))
    assert tokens_sent(transport)[1] == ('GET', 'https://300-42-gh.circle-artifacts.example/0/elsewhere.xml', True)


def test_a_retried_storage_answer_rewrites_the_file_and_still_carries_no_token(tmp_path):
    target = tmp_path / 'f'
    target.write_bytes(b'stale content that is longer than the artifact')
    client, transport = make_client([redirect(STORAGE), (503, {}, b'busy'), redirect(STORAGE), ok(b'fresh')])
    assert client.download(ARTIFACT, str(target))[0] == 5
    assert target.read_bytes() == b'fresh'
    assert [sent[2] for sent in tokens_sent(transport)] == [True, False, True, False]
    assert client.retry_count == 1


def test_a_large_body_is_streamed_in_chunks(tmp_path):
    body = bytes(range(256)) * 4096 * 3  # 3 MiB
    client, dummy = make_client([redirect(STORAGE), ok(body)])
    size, digest = client.download(ARTIFACT, str(tmp_path / 'big'), chunk_size=64 * 1024)
    assert size == len(body)
    assert digest == hashlib.sha256(body).hexdigest()
    assert (tmp_path / 'big').stat().st_size == len(body)


def test_a_storage_refusal_is_an_error_without_the_signed_query(tmp_path):
    client, dummy = make_client([redirect(STORAGE), (403, {'Content-Type': 'application/xml'}, b'<Error><Code>AccessDenied</Code></Error>')])
    with pytest.raises(PermissionDeniedError) as caught:
        client.download(ARTIFACT, str(tmp_path / 'f'))
    assert 'X-Amz-Signature' not in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert '/0/tmp/circle-junit.vCFLHp7/rspec/junit.xml' in str(caught.value)


def test_a_cut_off_download_is_a_transport_error(tmp_path):
    client, dummy = make_client([redirect(STORAGE), (200, {'Content-Length': '100'}, CutOffRaw(b'0123456789'))])
    with pytest.raises(TransportError) as caught:
        client.download(ARTIFACT, str(tmp_path / 'f'))
    assert 'cut off after 10 bytes' in str(caught.value)


def test_head_size_follows_redirects_as_head_with_the_same_token_rule():
    client, transport = make_client([redirect(STORAGE), (200, {'Content-Length': '50331648'}, b'')])
    assert client.head_size(ARTIFACT) == 50331648
    assert tokens_sent(transport) == [('HEAD', ARTIFACT, True), ('HEAD', STORAGE, False)]


@pytest.mark.parametrize('headers', [{}, {'Content-Length': 'abc'}, {'Content-Length': '12', 'Content-Encoding': 'gzip'}])
def test_head_size_is_none_without_a_usable_length(headers):
    client, dummy = make_client([(200, headers, b'')])
    assert client.head_size(ARTIFACT) is None


def test_head_size_errors_raise():
    client, dummy = make_client([redirect(STORAGE), (403, {}, b'')])
    with pytest.raises(PermissionDeniedError):
        client.head_size(ARTIFACT)
