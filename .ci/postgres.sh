#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server for the store tests, on loopback only.
#
#   eval "$(bash .ci/postgres.sh)"        # start; exports HARNESS_TEST_POSTGRES_URL
#   bash .ci/postgres.sh stop             # stop it and delete its data directory
#
# Idempotent: a server already answering on the port is reused. Uses Debian's `postgresql`
# package (installed when missing and we are root). Runs as the `postgres` user when started
# as root (initdb refuses root). Settings: HARNESS_PG_PORT (default 55432), HARNESS_PG_DIR
# (default /tmp/harness-pg-$PORT). Only the export line goes to stdout; logs go to stderr.
set -euo pipefail

PORT="${HARNESS_PG_PORT:-55432}"
DATA="${HARNESS_PG_DIR:-/tmp/harness-pg-${PORT}}"
USER_NAME="harness"
PASSWORD="harness-test"   # a throwaway cluster bound to 127.0.0.1; not a secret
DB="harness_test"
URL="postgresql+psycopg://${USER_NAME}:${PASSWORD}@127.0.0.1:${PORT}/${DB}"

log() { echo "postgres.sh: $*" >&2; }

pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$dir" && "$(id -u)" == 0 ]]; then
        log "installing Debian's postgresql package"
        (apt-get install -y -q postgresql >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }) >&2
        dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    fi
    [[ -n "$dir" ]] || { log "PostgreSQL is not installed: apt-get install postgresql"; exit 2; }
    echo "$dir"
}

BIN="$(pg_bin)"
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ "${1:-start}" == "stop" ]]; then
    if [[ -f "$DATA/PG_VERSION" ]]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
    fi
    rm -rf "$DATA"
    exit 0
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    log "reusing the server on 127.0.0.1:$PORT"
else
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        rm -rf "$DATA"
        mkdir -p "$DATA"
        pwfile="$(mktemp)"
        printf '%s\n' "$PASSWORD" >"$pwfile"
        if [[ "$(id -u)" == 0 ]]; then chown postgres: "$DATA" "$pwfile"; fi
        chmod 700 "$DATA"
        as_owner "$BIN/initdb" -D "$DATA" -U "$USER_NAME" --pwfile="$pwfile" \
            -A scram-sha-256 -E UTF8 --no-instructions >&2
        rm -f "$pwfile"
    fi
    # Loopback only; the socket lives in the data directory; fsync off: a test cluster.
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off -c max_connections=200" >&2 \
        || { cat "$DATA/server.log" >&2; exit 2; }
fi

if ! PGPASSWORD="$PASSWORD" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres \
        -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    PGPASSWORD="$PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" "$DB" >&2
fi
echo "export HARNESS_TEST_POSTGRES_URL=$URL"
