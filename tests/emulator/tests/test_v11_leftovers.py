"""v1.1 leftovers: /me user_key_fingerprint set by POST /user/ssh-key."""

from __future__ import annotations


def test_user_key_fingerprint(api):
    """/me shows null until POST /user/ssh-key, then the MD5 fingerprint of a real key (kept on a second call)."""
    assert api.get('/me').json()['user_key_fingerprint'] is None
    assert api.post('/user/ssh-key').status_code == 200
    fpr = api.get('/me').json()['user_key_fingerprint']
    assert len(fpr.split(':')) == 16
    api.post('/user/ssh-key')
    assert api.get('/me').json()['user_key_fingerprint'] == fpr
    assert api.post('/user/ssh-key', token='read_only').status_code == 403
