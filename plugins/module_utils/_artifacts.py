# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build artifacts: listing them, choosing some, and where each one lands under a destination directory.

For internal collection use only: names and behaviour may change without notice.

The safety rules users depend on live here:
- an artifact path is resolved lexically (no file system access, no symlink following): a leading ``/``
  is dropped, ``.`` and empty segments vanish, ``..`` removes the previous segment, and a ``..`` with
  nothing left to remove means the path escapes the destination: it is refused, before anything is
  downloaded;
- only ``/`` separates segments: a backslash is an ordinary character of a file name;
- two artifacts may not land on the same file, nor one on a directory another needs;
- every download plan is decided by ``plan_downloads`` from facts gathered beforehand, so check mode
  and the real run share one code path.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
from urllib.parse import urlsplit

from ansible_collections.community.circleci.plugins.module_utils._client import encode_path
from ansible_collections.community.circleci.plugins.module_utils._errors import InputError, InvalidResponseError, NotFoundError

LATEST_FILTERS = ('completed', 'successful', 'failed')
HASH_CHUNK = 1024 * 1024


class ArtifactPathError(ValueError):
    """An artifact path that cannot be placed under the destination; ``reason`` says why."""

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super().__init__('%r %s' % (path, reason))


# -- Listing -----------------------------------------------------------------------------------------

def check_selection(module):
    """The build selection options shared by artifact_info and artifact; InputError before any request."""
    module.require_at_least('build_num', 1)
    if module.params['branch'] is not None and not module.params['branch'].strip():
        raise InputError('branch must not be empty; leave it out for the latest build of the whole project')


def list_artifacts(client, project, build_num=None, branch=None, status_filter=None):
    """The artifacts of build ``build_num``, or of the latest build (on ``branch``, matching ``status_filter``).

    Returns ``(artifacts, build_found)``. For the latest build, a 404 means either "no build matches"
    (an empty list, ``build_found`` False) or "no such project" (a failure): the project's build list is
    read to tell which, only in that case. A 404 for an explicit build number is a failure (no such build).
    """
    if build_num is not None:
        template = 'project/{}/{}/artifacts'
        return normalize_artifacts(client.get(template, project, build_num, expect=list), '/' + encode_path(template, project, build_num)), True
    params = {}
    if branch:
        params['branch'] = branch
    if status_filter:
        params['filter'] = status_filter
    template = 'project/{}/latest/artifacts'
    try:
        answer = client.get(template, project, params=params or None, expect=list)
    except NotFoundError:
        # Raises NotFoundError itself when the project is unknown (or hidden from the token).
        client.get('project/{}', project, params={'limit': 1, 'shallow': 'true'})
        return [], False
    return normalize_artifacts(answer, '/' + encode_path(template, project)), True


def normalize_artifacts(answer, display_path='artifacts'):
    """CircleCI's artifact list, checked: each a dict with ``path``, ``pretty_path``, ``node_index`` (int) and ``url``."""
    artifacts = []
    for item in answer:
        if not isinstance(item, dict) or not isinstance(item.get('path'), str) or not isinstance(item.get('url'), str):
            raise InvalidResponseError('GET', display_path, detail='an artifact without a path or url: %r' % (item,))
        try:
            node_index = int(item.get('node_index') or 0)
        except (TypeError, ValueError):
            raise InvalidResponseError('GET', display_path, detail='an artifact with a non-numeric node_index: %r' % (item,))
        artifacts.append(dict(item, node_index=node_index, pretty_path=item.get('pretty_path', item['path'])))
    return artifacts


# -- Selection ---------------------------------------------------------------------------------------

def glob_matches(path, patterns):
    """True if any fnmatch pattern (case-sensitive; ``*`` also matches ``/``) matches ``path`` or ``path`` without its leading ``/``."""
    candidates = (path, path.lstrip('/'))
    return any(fnmatch.fnmatchcase(candidate, pattern) for pattern in patterns for candidate in candidates)


def select_artifacts(artifacts, include=None, exclude=None, node_indexes=None):
    """The artifacts (in the API's order) matching any ``include`` glob (all when none), no ``exclude`` glob, on one of ``node_indexes``."""
    selected = []
    for artifact in artifacts:
        if node_indexes and artifact['node_index'] not in node_indexes:
            continue
        if include and not glob_matches(artifact['path'], include):
            continue
        if exclude and glob_matches(artifact['path'], exclude):
            continue
        selected.append(artifact)
    return selected


# -- Where files land --------------------------------------------------------------------------------

def normalize_artifact_path(path):
    """The segments of ``path`` resolved lexically, relative to the destination; raises ArtifactPathError.

    ``/tmp/a/./b//c`` gives ``['tmp', 'a', 'b', 'c']``; ``a/../b`` gives ``['b']``; ``../x``, ``a/../../b``
    and ``/../x`` escape and are refused. Backslashes are ordinary characters.
    """
    if not isinstance(path, str) or not path:
        raise ArtifactPathError(path, 'is empty')
    if '\x00' in path:
        raise ArtifactPathError(path, 'contains a NUL character')
    segments = []
    for segment in path.split('/'):
        if segment in ('', '.'):
            continue
        if segment == '..':
            if not segments:
                raise ArtifactPathError(path, 'climbs out of the destination with ".."')
            segments.pop()
            continue
        segments.append(segment)
    if not segments:
        raise ArtifactPathError(path, 'names no file')
    return segments


def local_relpath(path, strip_components=0):
    """Where ``path`` lands relative to the destination, after dropping ``strip_components`` leading segments."""
    segments = normalize_artifact_path(path)
    if strip_components >= len(segments):
        raise ArtifactPathError(path, 'has %d segment%s, so strip_components=%d would leave no file name' % (
            len(segments), '' if len(segments) == 1 else 's', strip_components))
    return '/'.join(segments[strip_components:])


def check_artifact_url(api_url, url):
    """None if the token may be sent to ``url``, else why not (a scheme other than http(s), or plain http when the API is https)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ('http', 'https') or not urlsplit(url).hostname:
        return 'has an unusable URL %r' % url
    if scheme == 'http' and urlsplit(api_url).scheme.lower() == 'https':
        return 'has a plain http URL while api_url is https; the token would travel unencrypted'
    return None


def map_destinations(artifacts, dest, strip_components=0, api_url=None):
    """Place each artifact under ``dest``: ``(entries, problems)``.

    Each entry is the artifact plus ``relpath`` and ``dest`` (``dest`` joined with ``relpath``). ``problems``
    lists, as sentences, every path that escapes or names nothing, every URL the token may not go to, and
    every two artifacts that would land on the same file or where one needs the other's file as a directory.
    Pure: no file system access.
    """
    entries, problems, by_relpath = [], [], {}
    for artifact in artifacts:
        label = 'artifact %r (node %d)' % (artifact['path'], artifact['node_index'])
        try:
            relpath = local_relpath(artifact['path'], strip_components)
        except ArtifactPathError as error:
            problems.append('%s %s' % (label, error.reason))
            continue
        if api_url is not None:
            url_problem = check_artifact_url(api_url, artifact['url'])
            if url_problem:
                problems.append('%s %s' % (label, url_problem))
                continue
        if relpath in by_relpath:
            problems.append('%s and artifact %r (node %d) would both land on %s' % (
                label, by_relpath[relpath]['path'], by_relpath[relpath]['node_index'], relpath))
            continue
        entry = dict(artifact, relpath=relpath, dest=os.path.join(dest, *relpath.split('/')))
        by_relpath[relpath] = entry
        entries.append(entry)
    for relpath, entry in by_relpath.items():
        parts = relpath.split('/')
        for depth in range(1, len(parts)):
            parent = '/'.join(parts[:depth])
            if parent in by_relpath:
                problems.append('artifact %r (node %d) lands on %s, which artifact %r (node %d) needs as a directory' % (
                    by_relpath[parent]['path'], by_relpath[parent]['node_index'], parent, entry['path'], entry['node_index']))
    return entries, problems


def describe_problems(problems, paths):
    """One failure message for ``map_destinations`` problems, suggesting an ``exclude`` for the offending ``paths``."""
    message = 'Refusing to download anything: %s.' % '; '.join(problems)
    if paths:
        message += ' Leave these artifacts out with exclude (for example exclude: %s), or select others with include or node_index.' % (
            [glob.escape(path) for path in paths])
    return message


def filesystem_problems(entries, dest):
    """Problems the existing files under ``dest`` cause (reads the file system, writes nothing).

    A directory where a file must go, a file where a directory must go, or an existing symbolic link
    that would take a file outside ``dest``.
    """
    problems = []
    real_dest = os.path.realpath(dest)
    for entry in entries:
        target = entry['dest']
        if os.path.isdir(target) and not os.path.islink(target):
            problems.append('%s is a directory, so artifact %r cannot be saved there' % (target, entry['path']))
            continue
        real_target = os.path.realpath(target)
        if real_target != real_dest and not real_target.startswith(real_dest.rstrip(os.sep) + os.sep):
            problems.append('%s leads outside %s through a symbolic link, so artifact %r is not saved there' % (target, dest, entry['path']))
            continue
        parts = entry['relpath'].split('/')
        for depth in range(1, len(parts)):
            parent = os.path.join(dest, *parts[:depth])
            if os.path.lexists(parent) and not os.path.isdir(parent):
                problems.append('%s is not a directory, so artifact %r cannot be saved below it' % (parent, entry['path']))
                break
    return problems


def local_size(path):
    """The size of the regular file at ``path`` (following a symbolic link), or None if there is none."""
    try:
        if not os.path.isfile(path):
            return None
        return os.path.getsize(path)
    except OSError:
        return None


def file_sha256(path, chunk_size=HASH_CHUNK):
    """SHA-256 hex digest of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


# -- The plan ----------------------------------------------------------------------------------------

def plan_downloads(entries, local_sizes, remote_sizes, force=False):
    """Decide, per entry, ``download`` or ``skip`` and why: a list of ``(entry, action, reason)``.

    ``local_sizes`` maps an entry's ``dest`` to the size of the file there (absent or None: no file);
    ``remote_sizes`` maps it to the size the artifact host reported (absent or None: unknown).
    A present file of the same size is skipped unless ``force``; an unknown remote size means a
    download, after which the content decides (see ``after_download``).
    """
    plan = []
    for entry in entries:
        local = local_sizes.get(entry['dest'])
        remote = remote_sizes.get(entry['dest'])
        if local is None:
            plan.append((entry, 'download', 'missing'))
        elif force:
            plan.append((entry, 'download', 'force'))
        elif remote is None:
            plan.append((entry, 'download', 'remote size unknown'))
        elif remote == local:
            plan.append((entry, 'skip', 'same size'))
        else:
            plan.append((entry, 'download', 'size differs (local %d bytes, remote %d)' % (local, remote)))
    return plan


def needs_remote_size(entry, local_sizes, force):
    """Whether the plan needs the remote size of ``entry`` (only to compare with a file already there)."""
    return not force and local_sizes.get(entry['dest']) is not None


def after_download(existing_sha256, downloaded_sha256):
    """``'skip'`` when the downloaded bytes equal the file already there (nothing to move), else ``'move'``."""
    return 'skip' if existing_sha256 is not None and existing_sha256 == downloaded_sha256 else 'move'


def result_entry(entry, size=None, sha256=None, reason=None):
    """What the module returns for one artifact."""
    return dict(path=entry['path'], node_index=entry['node_index'], url=entry['url'], dest=entry['dest'],
                size=size, sha256=sha256, reason=reason)
