"""Copy the collection to .build/ansible_collections/community/circleci for ansible-test.

ansible-test only runs from a path ending in ansible_collections/<namespace>/<name>, and it
resolves symbolic links, so the collection is copied. The files copied are the ones git knows
about or would commit (tracked and untracked, minus .gitignore), so local clutter stays out.
The copy gets a git index of its own: ansible-test lists a collection's files with git, and the
copy sits inside the work tree's ignored .build/ folder, where the outer repository sees nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main(source: str, target: str) -> None:
    listing = subprocess.run(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
        cwd=source, check=True, capture_output=True,
    ).stdout.decode('utf-8')
    if os.path.isdir(target):
        shutil.rmtree(target)
    for relative in filter(None, listing.split('\0')):
        origin = os.path.join(source, relative)
        if not os.path.lexists(origin):  # deleted in the work tree, not yet in git
            continue
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(origin, destination, follow_symlinks=False)
    subprocess.run(['git', 'init', '--quiet', target], check=True)
    subprocess.run(['git', 'add', '--all'], cwd=target, check=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
