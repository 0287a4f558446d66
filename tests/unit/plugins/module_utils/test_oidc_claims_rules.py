# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OIDC custom claims: the TTL format, the option rules, and the pure plan."""

from __future__ import annotations

import pytest

from ansible_collections.community.circleci.plugins.module_utils._errors import InputError
from ansible_collections.community.circleci.plugins.module_utils._oidc_claims import check_options, plan, same, ttl_milliseconds

ORG = 'b0de2883-ba52-4530-abc0-d74091c72852'
CLOUD = '311ada03-9e36-4e03-893b-c0f0d7ac28c9'
LEDGER = '9c966ef9-d584-44b5-98aa-126e97fcb2e3'


def claims(audience=None, ttl=None):
    return {'org_id': ORG, 'project_id': None, 'audience': audience, 'audience_updated_at': '2024-05-02T12:00:00.000Z' if audience else None,
            'ttl': ttl, 'ttl_updated_at': '2024-05-02T12:00:00.000Z' if ttl else None}


def params(**given):
    base = dict(owner='gh/acme', project=None, state='present', audience=None, ttl=None, claims=None)
    base.update(given)
    return base


# -- TTL -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('ttl, milliseconds', [
    ('1h', 3600000), ('30m', 1800000), ('1h30m', 5400000), ('90s', 90000), ('250ms', 250), ('1d', 86400000),
    ('2w', 1209600000), ('1h1h', 7200000), ('0s', 0), ('1w1d1h1m1s1ms1h', 694861001 + 3600000),
])
def test_ttls_of_the_reference_pattern_are_durations(ttl, milliseconds):
    assert ttl_milliseconds(ttl) == milliseconds


@pytest.mark.parametrize('ttl', ['', '1', 'h', '1H', '1 h', '1.5h', '-1h', '1y', '1hour', ' 1h', '1h ', '1s1s1s1s1s1s1s1s', 'PT1H'])
def test_other_ttls_are_refused_before_any_request(ttl):
    assert ttl_milliseconds(ttl) is None
    with pytest.raises(InputError, match='is not a duration CircleCI accepts'):
        check_options(params(ttl=ttl))


def test_ttls_compare_as_durations_and_audiences_as_sets():
    assert same('ttl', '1h', '60m') and same('ttl', '1h', '3600s') and not same('ttl', '1h', '61m')
    assert same('audience', ['a', 'b'], ['b', 'a']) and not same('audience', ['a'], ['a', 'b'])
    assert not same('ttl', None, '1h') and same('ttl', None, None)


# -- options -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('given, words', [
    (dict(audience=[]), 'audience must not be empty'),
    (dict(audience=['sts.amazonaws.com', '']), 'non-empty'),
    (dict(audience=[' sts.amazonaws.com']), 'white space'),
    (dict(audience=['a', 'b', 'a']), 'lists a more than once'),
    (dict(state='absent', ttl='1h'), 'ttl is only used with state=present'),
    (dict(state='absent', audience=['a'], ttl='1h'), 'audience and ttl are only used with state=present'),
    (dict(claims=['ttl'], ttl='1h'), 'claims is only used with state=absent'),
    (dict(state='absent', claims=[]), 'claims must name audience, ttl or both'),
    (dict(owner='acme', ttl='1h'), 'must look like gh/acme'),
    (dict(owner='circleci/acme-cloud', ttl='1h'), 'organization id'),
    (dict(owner=None, project='acme/api', ttl='1h'), 'must look like vcs/organisation/name'),
    (dict(owner=None, project='circleci/acme-cloud/ledger', ttl='1h'), 'circleci/<organization id>/<project id>'),
    (dict(owner='gh/acme', project='gh/other/api', ttl='1h'), 'not in the organization gh/acme'),
    (dict(owner='bb/acme', project='gh/acme/api', ttl='1h'), 'not in the organization bb/acme'),
    (dict(owner='gh/acme', project='circleci/%s/%s' % (CLOUD, LEDGER), ttl='1h'), 'not in the organization gh/acme'),
])
def test_bad_options_are_refused(given, words):
    with pytest.raises(InputError, match=words):
        check_options(params(**given))


def test_good_options_are_parsed():
    owner, project = check_options(params(owner='GitHub/Acme', project='gh/acme/api', audience=['a'], ttl='1h'))
    assert owner.slug == 'gh/Acme' and project.slug == 'gh/acme/api'
    owner, project = check_options(params(owner=None, project='circleci/74hDwQgJ7BDtfqPpy7htUY/LLVfkQk1e9RmCZVWHpHrFc', ttl='1h'))
    assert owner is None and project.segments == ('circleci', CLOUD, LEDGER)
    owner, project = check_options(params(owner='circleci/74hDwQgJ7BDtfqPpy7htUY', state='absent'))
    assert owner.name == CLOUD and project is None


# -- the plan ------------------------------------------------------------------------------------------------

def test_present_patches_only_what_differs():
    steps = plan(claims(['sts.amazonaws.com'], '1h'), 'present', audience=['sts.amazonaws.com', 'vault'], ttl='60m')
    assert steps['patch'] == {'audience': ['sts.amazonaws.com', 'vault']}
    assert (steps['added'], steps['updated'], steps['deleted'], steps['unchanged']) == ([], ['audience'], [], ['ttl'])
    assert steps['after']['audience'] == ['sts.amazonaws.com', 'vault'] and steps['after']['audience_updated_at'] is None
    assert steps['after']['ttl'] == '1h' and steps['after']['ttl_updated_at'] == '2024-05-02T12:00:00.000Z'
    assert steps['delete'] == []


def test_present_adds_a_claim_not_set_and_leaves_the_other_alone():
    steps = plan(claims(['sts.amazonaws.com']), 'present', ttl='30m')
    assert steps['patch'] == {'ttl': '30m'} and steps['added'] == ['ttl'] and steps['unchanged'] == []
    assert steps['after']['audience'] == ['sts.amazonaws.com']


def test_present_as_it_is_changes_nothing():
    steps = plan(claims(['b', 'a'], '1h'), 'present', audience=['a', 'b'], ttl='1h')
    assert steps['patch'] is None and steps['unchanged'] == ['audience', 'ttl'] and steps['after'] == claims(['b', 'a'], '1h')


def test_absent_deletes_only_the_claims_set_among_those_named():
    steps = plan(claims(['a'], None), 'absent')
    assert steps['delete'] == ['audience'] and steps['deleted'] == ['audience'] and steps['unchanged'] == ['ttl']
    assert steps['after']['audience'] is None and steps['patch'] is None
    steps = plan(claims(['a'], '1h'), 'absent', claims=['ttl'])
    assert steps['delete'] == ['ttl'] and steps['unchanged'] == [] and steps['after']['audience'] == ['a']
    assert plan(claims(), 'absent')['delete'] == []
