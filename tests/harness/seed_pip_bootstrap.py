"""Make ansible-test work without its pip download host.

ansible-test bootstraps pip into the virtual environments it creates with a ``get-pip.py`` script
that it downloads from a host our machines cannot reach, caching it under
``~/.ansible/test/cache/get_pip_<version>.py``. This writes an offline stand-in to that cache:
it installs pip from the standard library's ``ensurepip`` and then the exact pip version
ansible-test asked for from the package index.
"""
from __future__ import annotations

import os

from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-error


STAND_IN = '''"""Offline stand-in for get-pip.py, written by community.circleci's test harness."""
import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + ARGS)
'''


class _Python:  # the minimum of ansible-test's PythonConfig that get_venv_packages reads
    version = '3.11'


def main() -> None:
    pip_version = get_venv_packages(_Python())['pip']
    cache_dir = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, 'get_pip_%s.py' % pip_version.replace('.', '_'))
    with open(path, 'w', encoding='utf-8') as script:
        script.write(STAND_IN)
    print('ansible-test pip bootstrap (offline): %s' % path)


if __name__ == '__main__':
    main()
