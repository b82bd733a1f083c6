#!/usr/bin/env bash
# The kazasu-postgres store suite against a throw-away PostgreSQL cluster:
#   scripts/test-postgres.sh [extra cargo test args]
# Starts a cluster (scripts/pg-cluster.sh) in a temporary directory, runs
# `cargo test -p kazasu-postgres --features postgres-tests` with KAZASU_TEST_PG_URL set, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
# The first free port from 55432 (other developers may run a cluster too), unless told.
PORT=${KAZASU_TEST_PG_PORT:-}
if [ -z "$PORT" ]; then
    for p in $(seq 55432 55531); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
    done
fi
[ -n "$PORT" ] || { echo "no free port for PostgreSQL" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-pg.XXXXXX")
trap 'scripts/pg-cluster.sh stop "$DIR/cluster"; rm -rf "$DIR"' EXIT
KAZASU_TEST_PG_URL=$(scripts/pg-cluster.sh start "$DIR/cluster" "$PORT")
export KAZASU_TEST_PG_URL
echo "PostgreSQL at $KAZASU_TEST_PG_URL" >&2
cargo test -p kazasu-postgres --features postgres-tests --locked "$@"
