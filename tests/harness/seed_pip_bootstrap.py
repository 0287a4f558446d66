"""Make ansible-test work without its pip download host.

ansible-test bootstraps pip into the virtual environments it creates with a ``get-pip.py`` script that it
downloads from a host our machines cannot reach. Its documented way out (printed when the download fails) is to
save the script to ``~/.ansible/test/cache/get_pip_<version>.py``. This writes an offline stand-in there: it
installs pip from the standard library's ``ensurepip`` and then the exact pip version ansible-test asked for from
the package index.

The pip version is pinned here, beside the ansible-core pin of tests/requirements.txt, rather than imported from
ansible-test's private modules. When an ansible-core update changes it, this script fails naming both versions.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import sys

# The pip version that ansible-test (of the ansible-core pinned in tests/requirements.txt) bootstraps.
PIP_BOOTSTRAP_VERSION = '24.2'

STAND_IN = '''"""Offline stand-in for get-pip.py, written by community.circleci's test harness."""
import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + ARGS)
'''


def bootstrapped_pip_versions() -> set[str]:
    """The pip versions named in ansible-test's sources (read as text, never imported)."""
    spec = importlib.util.find_spec('ansible_test')
    if spec is None or not spec.submodule_search_locations:
        return set()
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    source = root / '_internal' / 'python_requirements.py'
    if not source.is_file():
        return set()
    return set(re.findall(r"\bpip\s*=\s*'([0-9][0-9.]*)'", source.read_text(encoding='utf-8')))


def main() -> int:
    found = bootstrapped_pip_versions()
    if found and PIP_BOOTSTRAP_VERSION not in found:
        print('seed_pip_bootstrap: ansible-test bootstraps pip %s but this harness seeds pip %s: update '
              'PIP_BOOTSTRAP_VERSION in %s' % (', '.join(sorted(found)), PIP_BOOTSTRAP_VERSION, __file__),
              file=sys.stderr)
        return 1
    if not found:
        print('seed_pip_bootstrap: warning: could not read which pip ansible-test bootstraps; seeding pip %s. '
              'If ansible-test then fails to download get-pip, update PIP_BOOTSTRAP_VERSION.' % PIP_BOOTSTRAP_VERSION,
              file=sys.stderr)
    cache_dir = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, 'get_pip_%s.py' % PIP_BOOTSTRAP_VERSION.replace('.', '_'))
    with open(path, 'w', encoding='utf-8') as script:
        script.write(STAND_IN)
    print('ansible-test pip bootstrap (offline): %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
