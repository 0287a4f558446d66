# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module returns the same key with the same type (docs/docsite/rst/result_conventions.rst).

The ``RETURN`` documentation of every module is walked, nested keys (``contains``) included, and each key
name must have one ``type`` (and ``elements``) wherever it appears.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import pytest
import yaml

from ansible_collections.community.circleci.plugins import modules as modules_package

# Keys whose type legitimately differs between modules, with the reason. Keep this short.
DIFFERENT_ON_PURPOSE = {
    'diff': 'project_settings returns one before/after entry per project and step (Ansible accepts a list of diffs); '
            'every other module returns one before/after dict',
    'status': "build.status and build_info builds[].status are CircleCI's own build status (a word such as success); "
              "env_var failures[].status is the HTTP status of the failed request (an int, as in error.status)",
}
# Differences that are plugin bugs: each has its own failing test below, so the main test stays useful.
KNOWN_BUGS = {}
ITEM_LISTS = ('added', 'updated', 'deleted', 'unchanged', 'unverified')


def module_returns():
    """``{module name: RETURN as data}`` for every module of the collection."""
    returns = {}
    for dummy, name, is_package in pkgutil.iter_modules(modules_package.__path__):
        if not is_package:
            module = importlib.import_module('%s.%s' % (modules_package.__name__, name))
            returns[name] = yaml.safe_load(module.RETURN) or {}
    return returns


def walk(tree, where):
    """``(name, where, spec)`` of every documented key, at any depth."""
    for name, spec in (tree or {}).items():
        if isinstance(spec, dict):
            yield name, '%s%s' % (where, name), spec
            yield from walk(spec.get('contains'), '%s%s.' % (where, name))


def signatures():
    """``{key name: {(type, elements): [module:path, ...]}}``."""
    found = defaultdict(lambda: defaultdict(list))
    for module, returned in sorted(module_returns().items()):
        for name, where, spec in walk(returned, module + ':'):
            found[name][(spec.get('type'), spec.get('elements'))].append(where)
    return found


def conflicts():
    return {name: {'%s/%s' % kind: places for kind, places in kinds.items()} for name, kinds in signatures().items() if len(kinds) > 1}


def test_every_module_documents_what_it_returns():
    returns = module_returns()
    assert len(returns) >= 17
    assert all(returned for returned in returns.values())


def test_a_return_key_has_one_type_in_every_module():
    unexpected = {name: kinds for name, kinds in conflicts().items() if name not in DIFFERENT_ON_PURPOSE and name not in KNOWN_BUGS}
    assert unexpected == {}


@pytest.mark.parametrize('name', sorted(DIFFERENT_ON_PURPOSE))
def test_each_listed_exception_is_still_needed(name):
    assert name in conflicts(), '%s no longer differs between modules: take it off DIFFERENT_ON_PURPOSE' % name


@pytest.mark.parametrize('name', ITEM_LISTS)
def test_item_lists_are_lists_of_strings_wherever_they_appear(name):
    kinds = signatures().get(name, {})
    assert kinds, '%s is documented nowhere' % name
    assert list(kinds) == [('list', 'str')], kinds
