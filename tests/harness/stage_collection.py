"""Sync the collection to .build/ansible_collections/community/circleci for ansible-test.

ansible-test only runs from a path ending in ansible_collections/<namespace>/<name>, and it
resolves symbolic links, so the collection is copied. The files copied are the ones git knows
about or would commit (tracked and untracked, minus .gitignore), so local clutter stays out.
The copy gets a git index of its own: ansible-test lists a collection's files with git, and the
copy sits inside the work tree's ignored .build/ folder, where the outer repository sees nothing.
The sync is incremental and leaves tests/output/ alone, so a run in progress is not disturbed.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys

KEEP = ('.git', 'tests/output')


def wanted_files(source: str) -> set[str]:
    listing = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
        cwd=source, check=True, capture_output=True,
    ).stdout.decode('utf-8')
    return {path for path in listing.split('\0') if path and os.path.lexists(os.path.join(source, path))}


def existing_files(target: str) -> set[str]:
    found = set()
    for directory, subdirectories, files in os.walk(target):
        relative_directory = os.path.relpath(directory, target)
        subdirectories[:] = [name for name in subdirectories
                             if os.path.normpath(os.path.join(relative_directory, name)) not in KEEP]
        found.update(os.path.normpath(os.path.join(relative_directory, name)) for name in files)
    return found


def main(source: str, target: str) -> None:
    wanted = wanted_files(source)
    for stale in existing_files(target) - wanted:
        os.remove(os.path.join(target, stale))
    for directory, subdirectories, files in os.walk(target, topdown=False):
        relative = os.path.relpath(directory, target)
        if not subdirectories and not files and not relative.startswith(KEEP):
            os.rmdir(directory)
    for relative in wanted:
        origin, destination = os.path.join(source, relative), os.path.join(target, relative)
        if os.path.exists(destination) and filecmp.cmp(origin, destination, shallow=False):
            continue
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(origin, destination, follow_symlinks=False)
    if not os.path.isdir(os.path.join(target, '.git')):
        subprocess.run(['git', 'init', '--quiet', target], check=True)
    subprocess.run(['git', 'add', '--all'], cwd=target, check=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
