#!/usr/bin/env bash
# Entry point of the Rapport image. The first argument picks the role:
#   web          wait for the database, migrate, upsert periodic schedules, refresh static files,
#                then serve with gunicorn on port 8000 (WEB_CONCURRENCY workers, default 2)
#   worker       wait for the database, then a Celery worker
#   beat         wait for the database, then Celery beat (run exactly one)
#   healthcheck  exit 0 when /healthz on this container answers 200 (Docker HEALTHCHECK)
#   manage …     a manage.py command, e.g. `docker compose run --rm web manage createsuperuser`
# Anything else is run as a command. Extra arguments go to gunicorn, celery or manage.py.
set -euo pipefail
cd /app

role=${1:-web}
if [ "$#" -gt 0 ]; then shift; fi

wait_for_database() {
    python - <<'PY'
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection
from django.db.utils import OperationalError

timeout = int(os.environ.get("RAPPORT_DB_WAIT_SECONDS", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"The database did not answer within {timeout}s: {exc}")
        print("Waiting for the database...", file=sys.stderr, flush=True)
        time.sleep(2)
PY
}

healthcheck() {
    python - <<'PY'
import os
import sys
import urllib.request
from pathlib import Path

# Ask with a Host header Django accepts: the first concrete name in ALLOWED_HOSTS.
raw = os.environ.get("ALLOWED_HOSTS", "")
if os.environ.get("ALLOWED_HOSTS_FILE"):
    raw = Path(os.environ["ALLOWED_HOSTS_FILE"]).read_text()
names = [name.strip().lstrip(".") for name in raw.split(",") if name.strip()]
host = next((name for name in names if "*" not in name), "localhost")
request = urllib.request.Request("http://127.0.0.1:8000/healthz", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    sys.exit(f"/healthz: {exc}")
PY
}

case "$role" in
web)
    if [ -z "${SECRET_KEY:-}${SECRET_KEY_FILE:-}" ]; then
        echo "warning: SECRET_KEY is not set; using ${RAPPORT_DATA_DIR:-/data}/secret_key," \
            "generated once. It also encrypts platform credentials: back it up with the volume," \
            "or set SECRET_KEY in .env (README.md, Configuration)." >&2
    fi
    wait_for_database
    python manage.py migrate --noinput
    python manage.py setup_periodic_tasks
    PYTHON_BIN=python scripts/collectstatic.sh
    exec gunicorn -c config/gunicorn.py config.wsgi --bind 0.0.0.0:8000 --workers "${WEB_CONCURRENCY:-2}" \
        --timeout 120 --access-logfile - --error-logfile - --no-control-socket "$@"
    ;;
worker)
    wait_for_database
    exec celery -A config worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
beat)
    wait_for_database
    exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
healthcheck)
    healthcheck
    ;;
manage)
    exec python manage.py "$@"
    ;;
*)
    exec "$role" "$@"
    ;;
esac
