#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests.
#   scripts/pg-cluster.sh start DIR [PORT]   initdb in DIR, start on 127.0.0.1:PORT (default 55432),
#                                             print the connection URL on stdout
#   scripts/pg-cluster.sh stop DIR            stop it and remove DIR
# Installs PostgreSQL from Debian when initdb/pg_ctl are missing. When run as root the cluster runs as
# the unprivileged `postgres` user (or `nobody`). Trust authentication on loopback only: never use
# this for anything but tests.
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

find_bin() {
    local name=$1 found
    if found=$(command -v "$name" 2>/dev/null); then echo "$found"; return 0; fi
    found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] && { echo "$found"; return 0; }
    return 1
}

ensure_postgres() {
    if find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null; then return; fi
    log "installing PostgreSQL from Debian"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    find_bin initdb >/dev/null || { log "initdb not found after installing postgresql"; exit 1; }
}

# Runs a command as the cluster's user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null; then runuser -u "$OWNER" -- "$@"
        else setpriv --reuid="$OWNER" --regid="$(id -g "$OWNER")" --init-groups -- "$@"; fi
    else
        "$@"
    fi
}

pick_owner() {
    if [ "$(id -u)" != 0 ]; then OWNER=$(id -un); return; fi
    if id postgres >/dev/null 2>&1; then OWNER=postgres; else OWNER=nobody; fi
}

start() {
    local dir=${1:?usage: pg-cluster.sh start DIR [PORT]} port=${2:-55432}
    ensure_postgres
    pick_owner
    local initdb pg_ctl psql
    initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
    # The psql beside initdb (Debian's /usr/bin/psql is a wrapper that wants a cluster registry).
    psql="$(dirname "$initdb")/psql"; [ -x "$psql" ] || psql=$(find_bin psql)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    mkdir -p "$dir/data" "$dir/socket"
    [ "$(id -u)" = 0 ] && chown -R "$OWNER" "$dir"
    chmod 700 "$dir/data"
    # The owner must be able to reach DIR through its parents (mktemp dirs are 0700 root).
    [ "$(id -u)" = 0 ] && chmod o+x "$(dirname "$dir")" 2>/dev/null || true
    as_owner "$initdb" -D "$dir/data" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || as_owner "$initdb" -D "$dir/data" -U postgres -A trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 100
shared_buffers = 128MB
max_wal_size = 1GB
max_worker_processes = 4
max_parallel_workers = 2
CONF
    cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
    as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$psql" -q -h "$dir/socket" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE kazasu LOGIN CREATEDB" -c "CREATE DATABASE kazasu OWNER kazasu" >&2
    echo "$OWNER" >"$dir/owner"
    echo "postgres://kazasu@127.0.0.1:$port/kazasu"
}

stop() {
    local dir=${1:?usage: pg-cluster.sh stop DIR}
    [ -d "$dir" ] || return 0
    OWNER=$(cat "$dir/owner" 2>/dev/null || true)
    [ -n "$OWNER" ] || pick_owner
    local pg_ctl
    if [ -f "$dir/data/postmaster.pid" ] && pg_ctl=$(find_bin pg_ctl); then
        as_owner "$pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) log "usage: $0 start DIR [PORT] | stop DIR"; exit 2 ;;
esac
