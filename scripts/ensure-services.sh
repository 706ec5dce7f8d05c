#!/usr/bin/env bash
# Make the Postgres and Redis the test suite uses answer, and give it a Postgres role that can
# create databases. Anything already running is left alone; only servers on this machine are ever
# installed or started (a remote TEST_DATABASE_URL is just checked).
#
# Environment: TEST_DATABASE_URL, RAPPORT_TEST_REDIS_URL (defaults below), VENV (default .venv,
# whose Python with psycopg2 checks the connection). Run after scripts/ensure-venv.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
source "$here/common.sh"
cd "$here/.."

database_url=${TEST_DATABASE_URL:-postgres://rapport:rapport@127.0.0.1:5432/rapport}
redis_url=${RAPPORT_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
python=${VENV:-.venv}/bin/python
[ -x "$python" ] || die "$python not found: run scripts/ensure-venv.sh first."
wait_seconds=${SERVICE_WAIT_SECONDS:-60}

# host, port, user, password, database name of a URL, one per line (URL-decoded).
url_parts() {
    "$python" - "$1" "$2" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

url = urlsplit(sys.argv[1])
print(url.hostname or "127.0.0.1")
print(url.port or int(sys.argv[2]))
print(unquote(url.username or ""))
print(unquote(url.password or ""))
print(unquote(url.path.lstrip("/")))
PY
}

# --- Postgres ------------------------------------------------------------------------------------

mapfile -t pg < <(url_parts "$database_url" 5432)
pg_host=${pg[0]} pg_port=${pg[1]} pg_user=${pg[2]} pg_password=${pg[3]} pg_db=${pg[4]}

pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$pg_host" -p "$pg_port" -t 2
    else
        tcp_open "$pg_host" "$pg_port"
    fi
}

pg_start() {
    if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        "$here/ensure-system-packages.sh" postgresql
    fi
    if has_systemd; then
        as_root systemctl start postgresql
        return
    fi
    # No systemd (a container, most CI): start the clusters directly.
    local clusters version name status
    clusters=$(pg_lsclusters --no-header 2>/dev/null || true)
    if [ -z "$clusters" ]; then
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -1)
        log "Creating a PostgreSQL $version cluster"
        as_root pg_createcluster "$version" main --port "$pg_port"
        clusters=$(pg_lsclusters --no-header)
    fi
    while read -r version name _ status _; do
        if [ "$status" != "online" ]; then
            log "Starting PostgreSQL cluster $version/$name"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
        fi
    done <<<"$clusters"
}

if ! pg_answers; then
    is_local_host "$pg_host" || die "PostgreSQL at $pg_host:$pg_port does not answer."
    pg_start
    wait_until "$wait_seconds" "PostgreSQL at $pg_host:$pg_port" pg_answers || exit 1
fi

# 0: connected, and the role may create the test database; 1: cannot connect; 2: connected but
# the role lacks CREATEDB.
pg_check() {
    "$python" - "$database_url" <<'PY'
import sys

import psycopg2

try:
    connection = psycopg2.connect(sys.argv[1], connect_timeout=5)
except psycopg2.Error as exc:
    print(str(exc).strip().splitlines()[0], file=sys.stderr)
    sys.exit(1)
with connection, connection.cursor() as cursor:
    cursor.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
    sys.exit(0 if cursor.fetchone()[0] else 2)
PY
}

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
sql_identifier() { printf '"%s"' "${1//\"/\"\"}"; }

pg_provision() {
    if [ -z "$pg_user" ] || [ -z "$pg_db" ]; then
        die "TEST_DATABASE_URL needs a user and a database name."
    fi
    log "Creating the PostgreSQL role $pg_user (CREATEDB) and database $pg_db"
    local role db
    role=$(sql_identifier "$pg_user")
    db=$(sql_identifier "$pg_db")
    # Peer authentication as the postgres system user, through the local socket: the one way in
    # that a stock Debian install allows without a password.
    (
        cd /
        as_user postgres psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres
    ) <<SQL
SELECT format('CREATE ROLE %s', $(sql_literal "$role"))
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $(sql_literal "$pg_user")) \gexec
ALTER ROLE $role WITH LOGIN CREATEDB PASSWORD $(sql_literal "$pg_password");
SELECT format('CREATE DATABASE %s OWNER %s', $(sql_literal "$db"), $(sql_literal "$role"))
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = $(sql_literal "$pg_db")) \gexec
SQL
}

status=0
pg_check 2>/dev/null || status=$?
if [ "$status" -ne 0 ]; then
    is_local_host "$pg_host" || { pg_check || true; die "cannot use $database_url (see above)."; }
    pg_provision
    status=0
    pg_check || status=$?
    case $status in
    0) ;;
    2) die "the role $pg_user cannot create databases." ;;
    *) die "still cannot connect to $database_url: check pg_hba.conf allows password logins from $pg_host." ;;
    esac
fi

# --- Redis ---------------------------------------------------------------------------------------

mapfile -t rd < <(url_parts "$redis_url" 6379)
redis_host=${rd[0]} redis_port=${rd[1]}

redis_answers() {
    if command -v redis-cli >/dev/null 2>&1; then
        # NOAUTH still means a Redis is there; the URL's password is the tests' business.
        timeout 3 redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -qE 'PONG|NOAUTH'
    else
        tcp_open "$redis_host" "$redis_port"
    fi
}

redis_start() {
    command -v redis-server >/dev/null 2>&1 || "$here/ensure-system-packages.sh" redis-server
    if has_systemd && [ "$redis_port" = 6379 ]; then
        as_root systemctl start redis-server
        return
    fi
    local dir logfile
    if is_root; then
        dir=/var/lib/redis
        logfile=/var/log/redis/ci.log
    else
        dir=$(pwd)/var/redis
        logfile=$dir/redis.log
    fi
    mkdir -p "$dir" "$(dirname "$logfile")"
    log "Starting redis-server on port $redis_port"
    local args=(--daemonize yes --port "$redis_port" --save "" --appendonly no --dir "$dir"
        --logfile "$logfile")
    # "-::1" (bind IPv6 only if the machine has it) needs Redis 7; older ones get IPv4 only.
    redis-server "${args[@]}" --bind 127.0.0.1 -::1 2>/dev/null ||
        redis-server "${args[@]}" --bind 127.0.0.1
}

if ! redis_answers; then
    is_local_host "$redis_host" || die "Redis at $redis_host:$redis_port does not answer."
    redis_start
    wait_until "$wait_seconds" "Redis at $redis_host:$redis_port" redis_answers || exit 1
fi

log "PostgreSQL ($pg_host:$pg_port) and Redis ($redis_host:$redis_port) are ready."
