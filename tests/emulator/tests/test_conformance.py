"""Conformance: every recorded real interaction (endpoint + status) answered with the same status and JSON shape."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from circleci_emulator import keys

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'conformance.yml')
with open(FIXTURE, encoding='utf-8') as _handle:
    ROWS = yaml.safe_load(_handle)['rows']

TYPES = {'str': str, 'int': int, 'float': float, 'bool': bool, 'null': type(None), 'dict': dict, 'list': list}


def _check_shape(data, shape):
    assert isinstance(data, dict), data
    for key, tname in shape.items():
        assert key in data, 'missing key %s' % key
        allowed = tuple(TYPES[t] for t in tname.split('|'))
        value = data[key]
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        assert ok, '%s: %r is not %s' % (key, value, tname)


def _fill(value, subst):
    if isinstance(value, str):
        for key, rep in subst.items():
            value = value.replace('{%s}' % key, rep)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, subst) for k, v in value.items()}
    return value


@pytest.fixture(scope='module')
def rsa_private_key():
    """A fresh RSA key."""
    return keys.generate_key('rsa')[0]


@pytest.mark.parametrize('row', ROWS, ids=['%s %s %d' % (r['method'], r['path'], r['status']) for r in ROWS])
def test_recorded_interaction(api, emulator_admin, rsa_private_key, row):  # pylint: disable=redefined-outer-name
    """Same status, same JSON shape (keys and value types), same messages."""
    subst = {'checkout_fp': emulator_admin.project('github/acme/api')['checkout_keys'][0]['fingerprint'],
             'rsa_private_key': rsa_private_key}
    kwargs = {}
    if 'body' in row:
        kwargs['json'] = _fill(row['body'], subst)
    resp = api.call(row['method'], _fill(row['path'], subst), token=row.get('token', 'user'), **kwargs)
    assert resp.status_code == row['status'], resp.text[:300]
    if row.get('html'):
        assert resp.headers['Content-Type'].startswith('text/html')
        with pytest.raises(ValueError):
            json.loads(resp.text)
        return
    if 'location' in row:
        assert resp.headers['Location'].endswith(row['location'])
        assert resp.content == b''
        return
    assert resp.headers['Content-Type'].startswith('application/json')
    data = resp.json()
    if row.get('empty_json'):
        assert data == ''
    if 'message' in row:
        assert data == {'message': row['message']}
    if 'equals' in row:
        assert data == row['equals']
    if 'header' in row:
        assert row['header'] in resp.headers
    if 'shape' in row:
        if isinstance(data, list):
            assert data, 'expected a non-empty list'
            if 'length' in row:
                assert len(data) == row['length']
            data = data[0]
        _check_shape(data, row['shape'])
