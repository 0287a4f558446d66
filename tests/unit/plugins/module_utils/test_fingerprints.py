# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH key fingerprints, against CircleCI's recorded ones and ssh-keygen (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._fingerprints import (
    KeyFormatError,
    fingerprint_matches,
    fingerprints,
    fingerprints_or_none,
    known_fingerprints,
    normalize_fingerprint,
)
from ansible_collections.community.circleci.tests.unit.answers import (
    KEY_A,
    KEY_B,
    MD5_A,
    MD5_B,
    RECORDED_VECTORS,
    SHA_A,
    SHA_B,
    SSH_KEYGEN_KINDS,
    hand_fingerprints,
    needs_ssh_keygen,
    ssh_keygen_key,
)

# -- fingerprints ------------------------------------------------------------------------------------


@pytest.mark.parametrize('public_line, md5, sha256', RECORDED_VECTORS)
def test_fingerprints_match_circleci_and_ssh_keygen(public_line, md5, sha256):
    assert fingerprints(public_line) == {'md5': md5, 'sha256': sha256}


@pytest.mark.parametrize('public_line, md5, sha256', RECORDED_VECTORS)
def test_fingerprints_match_the_textbook_computation(public_line, md5, sha256):
    assert hand_fingerprints(public_line) == (md5, sha256)


def test_fingerprints_ignore_comment_and_whitespace():
    assert fingerprints('  %s  user@host  \n' % KEY_B)['md5'] == MD5_B


@needs_ssh_keygen
@pytest.mark.parametrize('kind, bits', SSH_KEYGEN_KINDS)
def test_fingerprints_of_ssh_keygen_keys(tmp_path, kind, bits):
    dummy, public_line, md5, sha256 = ssh_keygen_key(tmp_path, kind, bits)
    assert fingerprints(public_line) == {'md5': md5, 'sha256': sha256}


@pytest.mark.parametrize('bad', ['', '   ', 'ssh-rsa', 'AAAAB3NzaC1yc2E', 'ssh-rsa !!notbase64!!',
                                 'ssh-ed25519 ' + KEY_B.split()[1],  # blob says ssh-rsa
                                 'ssh-foo AAAA', None])
def test_fingerprints_reject_what_is_not_a_public_key(bad):
    with pytest.raises(KeyFormatError):
        fingerprints(bad)


def test_fingerprints_or_none_for_an_unreadable_key_circleci_sent():
    assert fingerprints_or_none('ssh-rsa !!notbase64!!') == {'md5': None, 'sha256': None}
    assert fingerprints_or_none(KEY_A) == {'md5': MD5_A, 'sha256': SHA_A}


def test_known_fingerprints_prefer_the_public_key_then_what_circleci_showed():
    assert known_fingerprints(KEY_A, shown='00' * 16) == {'md5': MD5_A, 'sha256': SHA_A}
    assert known_fingerprints(None, shown=MD5_B.upper()) == {'md5': MD5_B, 'sha256': None}
    assert known_fingerprints('', shown=SHA_B) == {'md5': None, 'sha256': SHA_B}
    assert known_fingerprints(None, shown='asdf-bogus') == {'md5': None, 'sha256': None}


# -- normalize_fingerprint -----------------------------------------------------------------------------


@pytest.mark.parametrize('given, expected', [
    ('10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('MD5:10:1E:A8:74:C9:32:9F:1E:94:33:4A:AD:64:C0:4E:82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('101ea874c9329f1e94334aad64c04e82', ('md5', '10:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82')),
    ('SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
    ('SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc=', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
    ('sha256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc', ('sha256', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGNc')),
])
def test_normalize_fingerprint(given, expected):
    assert normalize_fingerprint(given) == expected


@pytest.mark.parametrize('bad', ['', 'asdf-bogus', '10:1e:a8', 'zz:1e:a8:74:c9:32:9f:1e:94:33:4a:ad:64:c0:4e:82',
                                 'SHA256:tooshort', 'SHA256:6DslKS/5oIjLl7vJXlbICEwwXzgcvpESaNIKYFlqGN!', None])
def test_normalize_fingerprint_rejects(bad):
    with pytest.raises(KeyFormatError):
        normalize_fingerprint(bad)


def test_fingerprint_matches_either_form_but_not_another_key():
    prints = fingerprints(KEY_A)
    assert fingerprint_matches('MD5:10:1E:A8:74:C9:32:9F:1E:94:33:4A:AD:64:C0:4E:82', prints)
    assert fingerprint_matches(SHA_A, prints)
    assert not fingerprint_matches(MD5_B, prints)
    assert not fingerprint_matches(SHA_B, prints)
