#!/usr/bin/env bash
# Install the Debian/Ubuntu packages given as arguments, but only those that are missing: when all
# are present this takes a few milliseconds and touches nothing (no apt-get update).
#
#   scripts/ensure-system-packages.sh [--best-effort] PACKAGE...
#
# --best-effort: a package apt cannot find (chromium on Ubuntu, where it is a snap) or a failed
# install is a warning instead of an error. `make demo` uses it; `make test` does not, because
# the suite cannot pass without them.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

best_effort=false
if [ "${1:-}" = "--best-effort" ]; then
    best_effort=true
    shift
fi
[ "$#" -gt 0 ] || exit 0

fail() {
    if $best_effort; then
        warn "$*"
        exit 0
    fi
    die "$*"
}

if [ -n "${SKIP_SYSTEM_PACKAGES:-}" ]; then
    log "SKIP_SYSTEM_PACKAGES is set: not checking $*"
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    warn "not a Debian/Ubuntu system: make sure these (or their equivalents) are installed: $*"
    exit 0
fi

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for package in "$@"; do
    is_installed "$package" || missing+=("$package")
done
[ "${#missing[@]}" -gt 0 ] || exit 0

log "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -q -o DPkg::Lock::Timeout=300)
if ! as_root "${apt[@]}" update; then
    fail "apt-get update failed; install these packages yourself: ${missing[*]}"
fi

available=()
unavailable=()
for package in "${missing[@]}"; do
    # A package with no installation candidate is known to apt but cannot be installed (a
    # transitional snap package, or a name this release does not have).
    candidate=$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
        available+=("$package")
    else
        unavailable+=("$package")
    fi
done

if [ "${#available[@]}" -gt 0 ]; then
    if ! as_root "${apt[@]}" install -y --no-install-recommends "${available[@]}"; then
        fail "apt-get install failed for: ${available[*]}"
    fi
fi
if [ "${#unavailable[@]}" -gt 0 ]; then
    hint=""
    case " ${unavailable[*]} " in
    *" chromium "*)
        hint=" For chromium (a snap on Ubuntu), install Chromium or Chrome another way and set RAPPORT_CHROMIUM and BROWSER_PATH to its path."
        ;;
    esac
    fail "apt has no installable version of: ${unavailable[*]}.${hint}"
fi
