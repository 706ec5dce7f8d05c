# shellcheck shell=bash
# Helpers shared by the scripts in this directory (sourced, not run).

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when we are root, through sudo otherwise. Without a terminal
# (CI, a pipe) sudo must not sit waiting for a password nobody will type, so it is told to fail.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
    else
        die "'$*' needs root, and sudo is not installed. Run it as root, or install sudo."
    fi
}

# Run a command as another system user (postgres, usually).
as_user() {
    local user=$1
    shift
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$user" -- "$@"
        else
            su "$user" -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo -u "$user" "$@"; else sudo -n -u "$user" "$@"; fi
    else
        die "'$*' must run as $user, and sudo is not installed."
    fi
}

# True once systemd manages this machine (not in most containers, where services are started by
# hand instead).
has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

is_local_host() {
    case "$1" in
    "" | localhost | 127.0.0.1 | ::1 | "[::1]" | /*) return 0 ;;
    *) return 1 ;;
    esac
}

# Is something listening on host:port? Uses bash's /dev/tcp, so it needs no client tool.
tcp_open() {
    local host=$1 port=$2
    [ "$host" = "[::1]" ] && host=::1
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND twice a second until it succeeds.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            warn "$what did not answer within ${seconds}s."
            return 1
        fi
        sleep 0.5
    done
}
