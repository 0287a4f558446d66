#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.circleci contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: artifact
short_description: Download the artifacts of a CircleCI build into a directory
version_added: 0.1.0
description:
  - Downloads the artifacts of one build, or of the latest build of the project or of a branch, into the directory O(dest).
  - Each file is streamed to a temporary file next to its final place and renamed into place, so memory use does not grow
    with the file size and a reader never sees half a file. Temporary files are removed when a download fails.
  - Idempotent. A file already in place with the size the artifact host reports is skipped (nothing is transferred); with
    O(force=true), or when the host does not report a size, the file is downloaded again and replaced only if its content
    differs (like M(ansible.builtin.get_url)).
  - Downloads run concurrently (a few at a time).
  - The token is sent to the CircleCI API and to the artifact host the API names, in the C(Circle-Token) header; never to the
    storage host an artifact host redirects to, and never in a URL. An artifact URL with plain C(http) while O(api_url) is
    C(https) is refused.
  - Where a file lands. The artifact path (which CircleCI often gives as an absolute path such as
    C(/tmp/circle-junit.vCFLHp7/rspec/junit.xml)) is placed under O(dest) without its leading C(/), after dropping
    O(strip_components) leading segments. Paths are resolved without looking at the file system, and only C(/) separates
    segments (a backslash is part of a file name). A path whose C(..) would climb above O(dest), two artifacts landing on
    the same file, an existing directory where a file must go, or an existing symbolic link leading out of O(dest) make the
    task fail before anything is downloaded, naming the paths; O(exclude) leaves such artifacts out.
author:
  - community.circleci contributors (@ansible-collections)
extends_documentation_fragment:
  - community.circleci.connection
  - community.circleci.project
  - ansible.builtin.files
  - community.circleci.attributes
  - community.circleci.attributes.ACTIONABLE
options:
  build_num:
    description:
      - The build whose artifacts to download.
      - If not set, the latest build is used, chosen with O(branch) and O(filter); if no build matches, nothing is downloaded.
    type: int
  branch:
    description:
      - With no O(build_num), the branch whose latest build to use. If not set, the latest build of the whole project.
    type: str
  filter:
    description:
      - With no O(build_num), which builds count as "latest". If not set, CircleCI's default (V(completed)).
    type: str
    choices: [completed, successful, failed]
  dest:
    description:
      - The directory to download into.
      - Created, with its parents, when there is something to download; the directories below it that artifact paths
        need are created too (with the default permissions, O(mode) applies to the files only).
      - Must not be an existing file.
    type: path
    required: true
  include:
    description:
      - Only artifacts whose path matches one of these shell-style patterns (C(fnmatch), case-sensitive; C(*) also matches
        C(/)). A pattern is tried on the path as CircleCI gives it and on the path without its leading C(/).
      - If not set, every artifact (of the selected nodes).
    type: list
    elements: str
  exclude:
    description:
      - Leave out artifacts whose path matches one of these patterns (same matching as O(include)). Applied after O(include).
    type: list
    elements: str
  node_index:
    description:
      - Only artifacts stored by these parallel nodes (V(0) is the first). If not set, every node's.
    type: list
    elements: int
  strip_components:
    description:
      - How many leading path segments to drop, after the leading C(/) and after resolving C(.) and C(..), like C(tar --strip-components).
      - For example V(2) saves C(/tmp/circle-junit.vCFLHp7/rspec/junit.xml) as C(rspec/junit.xml) under O(dest), whatever the random
        directory name of each build.
      - An artifact with no more segments than this fails the task (before anything is downloaded).
    type: int
    default: 0
  force:
    description:
      - Download every selected artifact, even when a file of the same size is already in place. A file whose content turns
        out identical is left untouched (and not reported as changed).
      - In check mode, V(true) reports every existing file as one that would be downloaded.
    type: bool
    default: false
attributes:
  safe_file_operations:
    description: Uses Ansible's strict file operation functions to ensure proper permissions and avoid data corruption.
    support: full
notes:
  - Lists the artifacts without O(api_token) for F/OSS projects (open-source projects whose advanced setting C(oss) is on),
    as CircleCI answers their read-only build endpoints without a token; no C(Circle-Token) header is sent then. For any
    other project, the listing fails with a message saying that a token is needed.
  - Downloading the files needs a token, F/OSS projects included (CircleCI's reference gives artifact downloads as token
    authenticated requests). Without one the module still tries, and a download the artifact host refuses fails with a
    message saying that a token is needed (set O(api_token) or E(CIRCLECI_TOKEN)). Check mode downloads nothing, so it
    works without a token as long as no file is in place yet (a file in place is compared by a C(HEAD) request to the host).
  - Memory use stays constant whatever the artifact size (files are streamed in chunks of 1 MiB).
  - The size comparison needs one C(HEAD) request per file already in place (to the artifact host, then to storage); no
    content is transferred for files that are skipped.
  - When the artifact host gives no size for that C(HEAD) request (some object stores refuse a C(HEAD) on a URL signed for
    C(GET)), files already in place are downloaded again and compared by content; check mode then reports them as files that
    would be downloaded.
seealso:
  - module: community.circleci.artifact_info
  - module: ansible.builtin.get_url
'''

EXAMPLES = r'''
- name: Download every artifact of build 300 (absolute paths land under dest without their leading /)
  community.circleci.artifact:
    project: gh/acme/api
    build_num: 300
    dest: "{{ playbook_dir }}/artifacts/api/300"
  register: fetched

- name: Download only the JUnit reports of node 0, dropping the random /tmp/circle-junit.XXXX prefix
  community.circleci.artifact:
    project: gh/acme/api
    build_num: 300
    dest: "{{ playbook_dir }}/artifacts/api/reports"
    include: ['*.xml']
    node_index: [0]
    strip_components: 2
    mode: '0644'

- name: Drift check - would the latest main build's artifacts change anything here? (check mode downloads nothing)
  community.circleci.artifact:
    project: gh/acme/api
    branch: main
    dest: "{{ playbook_dir }}/artifacts/api/latest-main"
  check_mode: true
  register: drift

- name: Report the drift
  ansible.builtin.debug:
    msg: "{{ drift.downloaded | map(attribute='dest') | list }}"

- name: Leave out an artifact whose path climbs out of dest (the task fails naming it otherwise)
  community.circleci.artifact:
    project: gh/acme/api
    build_num: 299
    dest: "{{ playbook_dir }}/artifacts/api/299"
    exclude: ['../../escape.txt']
'''

RETURN = r'''
downloaded:
  description:
    - The artifacts whose files were created or replaced (in check mode, that would be), in CircleCI's order.
  returned: success, and on a failed download (those done so far)
  type: list
  elements: dict
  contains:
    path:
      description: The artifact path, as CircleCI gives it.
      type: str
      sample: /tmp/circle-junit.vCFLHp7/rspec/junit.xml
    node_index:
      description: The parallel node that stored it.
      type: int
      sample: 0
    url:
      description: The artifact URL it was downloaded from.
      type: str
    dest:
      description: The local file.
      type: str
      sample: /srv/ci/api/300/tmp/circle-junit.vCFLHp7/rspec/junit.xml
    size:
      description: Its size in bytes. In check mode, the size the artifact host reports, or V(null) when not known.
      type: int
      sample: 1984
    sha256:
      description: The SHA-256 digest of the file. V(null) in check mode.
      type: str
      sample: 9b1f0a8c2d1f0f0e6a0b7c5d6e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f
    reason:
      description: Why it was downloaded, for example V(missing), V(force), V(remote size unknown) or V(size differs (local 10 bytes, remote 12)).
      type: str
      sample: missing
skipped_files:
  description:
    - The selected artifacts whose files were already in place and were left untouched.
    - Not called C(skipped), which would make Ansible show the whole task as skipped.
  returned: success, and on a failed download
  type: list
  elements: dict
  contains:
    path:
      description: The artifact path, as CircleCI gives it.
      type: str
      sample: /tmp/circle-artifacts.abc123/report/index.html
    node_index:
      description: The parallel node that stored it.
      type: int
      sample: 0
    url:
      description: The artifact URL.
      type: str
    dest:
      description: The local file.
      type: str
      sample: /srv/ci/api/300/tmp/circle-artifacts.abc123/report/index.html
    size:
      description: The size of the local file in bytes.
      type: int
      sample: 57
    sha256:
      description: The SHA-256 digest of the local file, computed locally (in check mode too).
      type: str
      sample: 4f2c3c6f0b2c1a9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d
    reason:
      description:
        - V(same size) when the host reported the size of the file in place (nothing was transferred).
        - V(same content) when the file was downloaded again (O(force), or no size from the host) and turned out identical.
      type: str
      sample: same size
bytes_downloaded:
  description: How many bytes were transferred from the artifact storage (V(0) in check mode).
  returned: success
  type: int
  sample: 50331648
build_found:
  description: Whether a build was found; V(false) only when O(build_num) is not set and no build matched O(branch) and O(filter).
  returned: success
  type: bool
failed_downloads:
  description: The artifacts whose download failed, with the reason. The task fails when there is any.
  returned: failure
  type: list
  elements: dict
  contains:
    path:
      description: The artifact path.
      type: str
    node_index:
      description: The parallel node that stored it.
      type: int
    msg:
      description: What went wrong.
      type: str
diff:
  description: The selected files before and after (relative path and size), in diff mode.
  returned: diff mode
  type: dict
api_requests:
  description: How many HTTP requests the module sent (API, artifact host and storage, redirects included).
  returned: always
  type: int
api_retries:
  description: How many of those were retries.
  returned: always
  type: int
'''

import contextlib
import os
import tempfile

from ansible_collections.community.circleci.plugins.module_utils._artifacts import (
    LATEST_FILTERS,
    check_selection,
    describe_problems,
    file_sha256,
    filesystem_problems,
    list_artifacts,
    local_size,
    map_destinations,
    needs_remote_size,
    plan_downloads,
    result_entry,
    select_artifacts,
)
from ansible_collections.community.circleci.plugins.module_utils._errors import CircleCIError, InputError
from ansible_collections.community.circleci.plugins.module_utils._module import CircleCIModule


def diff_text(entries, sizes):
    lines = ['%s (%s)' % (entry['relpath'], '%d bytes' % sizes[entry['dest']] if isinstance(sizes.get(entry['dest']), int) else 'size unknown')
             for entry in entries if entry['dest'] in sizes]
    return ''.join(line + '\n' for line in sorted(lines))


class ArtifactDownload:
    """One run of the module: list, select, place, plan, then (unless check mode) download and move into place."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client
        self.dest = os.path.abspath(self.params['dest'])
        self.temp_files = []

    def check(self):
        """Every option checked before any request."""
        params = self.params
        check_selection(self.module)
        self.module.require_at_least('strip_components', 0)
        if any(index < 0 for index in params['node_index'] or []):
            raise InputError('node_index values must be 0 or more, got %s' % params['node_index'])
        if os.path.lexists(self.dest) and not os.path.isdir(self.dest):
            raise InputError('dest %s exists and is not a directory: dest is the directory the artifacts are saved in' % params['dest'])

    def run(self):
        self.check()
        params = self.params
        artifacts, found = list_artifacts(self.client, self.module.project, params['build_num'], params['branch'], params['filter'])
        selected = select_artifacts(artifacts, params['include'], params['exclude'], params['node_index'])
        entries, problems = map_destinations(selected, self.dest, params['strip_components'], api_url=self.client.api_url)
        if problems:
            placed = {entry['path'] for entry in entries}
            raise InputError(describe_problems(problems, sorted({artifact['path'] for artifact in selected if artifact['path'] not in placed})))
        problems = filesystem_problems(entries, self.dest)
        if problems:
            raise InputError(describe_problems(problems, []))

        local_sizes = {entry['dest']: local_size(entry['dest']) for entry in entries}
        probes = [entry for entry in entries if needs_remote_size(entry, local_sizes, params['force'])]
        remote_sizes = {outcome.item['dest']: outcome.value
                        for outcome in self.client.map_concurrent(lambda entry: self.client.head_size(entry['url']), probes)}
        plan = plan_downloads(entries, local_sizes, remote_sizes, params['force'])

        skipped = [result_entry(entry, local_sizes[entry['dest']], file_sha256(entry['dest']), reason)
                   for entry, action, reason in plan if action == 'skip']
        wanted = [(entry, reason) for entry, action, reason in plan if action == 'download']
        result = dict(build_found=found, skipped_files=skipped, bytes_downloaded=0)
        after_sizes = dict((key, value) for key, value in local_sizes.items() if value is not None)

        if self.module.check_mode:
            result['downloaded'] = [result_entry(entry, remote_sizes.get(entry['dest']), None, reason) for entry, reason in wanted]
            for entry, dummy in wanted:
                after_sizes[entry['dest']] = remote_sizes.get(entry['dest'])
            changed = bool(wanted)
        else:
            result['downloaded'], failures = self.download(wanted, local_sizes, skipped, result)
            for item in result['downloaded']:
                after_sizes[item['dest']] = item['size']
            changed = bool(result['downloaded'])
            if failures:
                changed = self.apply_attributes(result['downloaded'] + skipped) or changed
                raise CircleCIError('%d of %d artifact downloads failed: %s. Files downloaded before the failure were kept; run again to fetch the rest.' % (
                    len(failures), len(wanted), '; '.join('%r: %s' % (item['path'], item['msg'].rstrip('.')) for item in failures)),
                    result=dict(result, changed=changed, failed_downloads=failures))

        # In check mode the files to download are not there yet: their attributes will be set when they are.
        changed = self.apply_attributes(skipped if self.module.check_mode else result['downloaded'] + skipped) or changed
        result['diff'] = dict(before=diff_text(entries, {key: value for key, value in local_sizes.items() if value is not None}),
                              after=diff_text(entries, after_sizes))
        return dict(result, changed=changed)

    def apply_attributes(self, items):
        changed = False
        for item in items:
            file_args = self.module.load_file_common_arguments(self.params, path=item['dest'])
            changed = self.module.set_fs_attributes_if_different(file_args, False) or changed
        return changed

    def fetch(self, entry):
        """Download one artifact into a new temporary file next to its destination: (temp path, size, sha256) or an OSError text."""
        directory = os.path.dirname(entry['dest'])
        temp_path = None
        try:  # a local file that cannot be written fails this artifact only, as a failed download does
            os.makedirs(directory, exist_ok=True)
            handle, temp_path = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(entry['dest'])[:64], suffix='.part')
            os.close(handle)
            self.temp_files.append(temp_path)
            size, digest = self.client.download(entry['url'], temp_path)
        except OSError as error:
            return temp_path, None, None, 'cannot write %s: %s' % (temp_path or 'in %s' % directory, error.strerror or error)
        return temp_path, size, digest, None

    def download(self, wanted, local_sizes, skipped, result):
        downloaded, failures = [], []
        try:
            outcomes = self.client.map_concurrent(lambda item: self.fetch(item[0]), wanted)
            for outcome in outcomes:
                entry, reason = outcome.item
                if outcome.error is not None:
                    failures.append(dict(path=entry['path'], node_index=entry['node_index'], msg=str(outcome.error)))
                    continue
                temp_path, size, digest, problem = outcome.value
                if problem:
                    failures.append(dict(path=entry['path'], node_index=entry['node_index'], msg=problem))
                    continue
                result['bytes_downloaded'] += size
                existing = local_sizes.get(entry['dest'])
                if existing == size and file_sha256(entry['dest']) == digest:
                    os.remove(temp_path)
                    skipped.append(result_entry(entry, size, digest, 'same content'))
                    continue
                self.module.atomic_move(temp_path, entry['dest'], unsafe_writes=self.params['unsafe_writes'])
                downloaded.append(result_entry(entry, size, digest, reason))
        finally:
            for temp_path in self.temp_files:
                if os.path.lexists(temp_path):
                    with contextlib.suppress(OSError):  # best effort: a leftover temporary file is not a failure
                        os.remove(temp_path)
        return downloaded, failures


def main():
    module = CircleCIModule(
        argument_spec=dict(
            build_num=dict(type='int'),
            branch=dict(type='str'),
            filter=dict(type='str', choices=list(LATEST_FILTERS)),
            dest=dict(type='path', required=True),
            include=dict(type='list', elements='str'),
            exclude=dict(type='list', elements='str'),
            node_index=dict(type='list', elements='int'),
            strip_components=dict(type='int', default=0),
            force=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('build_num', 'branch'), ('build_num', 'filter')],
        add_file_common_args=True,
        supports_check_mode=True,
        token_optional=True,  # F/OSS projects answer without a token
    )
    module.run(ArtifactDownload(module).run)


if __name__ == '__main__':
    main()
