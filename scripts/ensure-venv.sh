#!/usr/bin/env bash
# Create .venv (Python 3.11, or 3.12) and install requirements.lock into it, once per version of
# the lock file: a stamp .venv/.installed-<hash of requirements.lock> records a finished install,
# so the next run returns at once. An existing .venv (made by hand, or by an older lock) is kept
# and brought up to date rather than rebuilt.
#
# Environment: VENV (default .venv), PYTHON (the interpreter to build it with).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
source "$here/common.sh"
cd "$here/.."

venv=${VENV:-.venv}
lock=requirements.lock
[ -f "$lock" ] || die "$lock not found in $(pwd)."

lock_hash=$(sha256sum "$lock" | cut -c1-16)
stamp="$venv/.installed-$lock_hash"

supported() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null
}

if [ -f "$stamp" ] && supported "$venv/bin/python"; then
    exit 0
fi

find_python() {
    if [ -n "${PYTHON:-}" ]; then
        supported "$PYTHON" || die "PYTHON=$PYTHON is not Python 3.11 or 3.12."
        echo "$PYTHON"
        return
    fi
    local candidate
    for candidate in python3.11 python3 python3.12; do
        if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then
            echo "$candidate"
            return
        fi
    done
    die "Rapport needs Python 3.11 (or 3.12): install python3.11, or set PYTHON=/path/to/python3.11."
}

if [ -e "$venv" ] && ! supported "$venv/bin/python"; then
    log "$venv is broken or not Python 3.11/3.12: rebuilding it."
    rm -rf "$venv"
fi

if [ ! -e "$venv" ]; then
    python=$(find_python)
    log "Creating $venv with $python ($("$python" --version 2>&1))"
    errors=$(mktemp)
    if ! "$python" -m venv "$venv" 2>"$errors"; then
        rm -rf "$venv"
        if grep -q ensurepip "$errors"; then
            # Debian and Ubuntu ship venv's ensurepip separately, as python3.X-venv.
            version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
            "$here/ensure-system-packages.sh" "python$version-venv"
            "$python" -m venv "$venv"
        else
            cat "$errors" >&2
            rm -f "$errors"
            die "could not create $venv with $python."
        fi
    fi
    rm -f "$errors"
fi

log "Installing the pinned dependencies ($lock) into $venv"
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$lock"
rm -f "$venv"/.installed-*
touch "$stamp"
