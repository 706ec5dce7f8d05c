#!/usr/bin/env bash
# `manage.py collectstatic`, skipped when nothing it collects from has changed since last time.
# Compressing plotly.js and the admin's files takes ~10 s on every run otherwise.
#
# Environment: PYTHON_BIN (default $VENV/bin/python), RAPPORT_DATA_DIR (as config/settings.py:
# static files go to $RAPPORT_DATA_DIR/staticfiles, default var/staticfiles).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
source "$here/common.sh"
cd "$here/.."

venv=${VENV:-.venv}
python=${PYTHON_BIN:-$venv/bin/python}
data_dir=${RAPPORT_DATA_DIR:-var}

# The sources: static/ and every app's static/ (names, sizes, times), plus the pinned packages,
# which bring the admin's files and plotly.js.
fingerprint=$(
    {
        sha256sum requirements.lock
        find . -mindepth 1 -maxdepth 2 -type d -name static -not -path "./$venv/*" -print0 |
            sort -z | xargs -0 -r -I{} find {} -type f -printf '%p %s %T@\n'
    } | sha256sum | cut -c1-16
)
stamp=$data_dir/.static-collected-$fingerprint

if [ -f "$stamp" ] && [ -f "$data_dir/staticfiles/staticfiles.json" ]; then
    exit 0
fi
log "Collecting static files into $data_dir/staticfiles"
"$python" manage.py collectstatic --noinput --verbosity 0
rm -f "$data_dir"/.static-collected-*
touch "$stamp"
