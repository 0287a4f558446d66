#!/usr/bin/env bash
# Prints the path of a working Python X.Y interpreter, or fails saying where it looked.
#
# Usage: tests/compat/find_python.sh 3.12
#
# Looks at pythonX.Y on PATH (a pyenv shim there only counts if it really runs), then at
# $PYENV_ROOT/versions/X.Y.*/bin/python (PYENV_ROOT defaults to ~/.pyenv), newest patch first.
set -euo pipefail
want="${1:?usage: find_python.sh X.Y}"

works() {
    local candidate="$1" got
    got=$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
    [[ "$got" == "$want" ]]
}

if candidate=$(command -v "python$want" 2>/dev/null) && works "$candidate"; then
    echo "$candidate"
    exit 0
fi
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
while IFS= read -r candidate; do
    if works "$candidate/bin/python"; then
        echo "$candidate/bin/python"
        exit 0
    fi
done < <(find "$pyenv_root/versions" -mindepth 1 -maxdepth 1 -name "$want.*" 2>/dev/null | sort -t. -k3,3nr)
echo "find_python.sh: no Python $want found: not as python$want on PATH, nor in $pyenv_root/versions/$want.*;" \
     "install it (for example 'pyenv install $want') or put python$want on PATH" >&2
exit 1
