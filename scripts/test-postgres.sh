#!/usr/bin/env bash
# The kazasu-postgres store suite against a throw-away PostgreSQL cluster:
#   scripts/test-postgres.sh [extra cargo test args]
# Starts a cluster (scripts/pg-cluster.sh) in a temporary directory, runs
# `cargo test -p kazasu-postgres --features postgres-tests` with KAZASU_TEST_PG_URL set, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${KAZASU_TEST_PG_PORT:-55432}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-pg.XXXXXX")
trap 'scripts/pg-cluster.sh stop "$DIR"' EXIT
KAZASU_TEST_PG_URL=$(scripts/pg-cluster.sh start "$DIR/cluster" "$PORT")
export KAZASU_TEST_PG_URL
echo "PostgreSQL at $KAZASU_TEST_PG_URL" >&2
cargo test -p kazasu-postgres --features postgres-tests --locked "$@"
