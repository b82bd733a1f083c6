#!/usr/bin/env bash
# `kazasu serve` end to end, as the test command runs it:
#   1. SQLite, one instance: health, metrics, mutual TLS refusals, limits, request ids, logs without
#      personal data, a load run, graceful shutdown under load;
#   2. PostgreSQL (a throw-away cluster, scripts/pg-cluster.sh), two instances on one database: a
#      challenge answered once, gap-free queue numbers, a withdrawal seen at once, one instance
#      killed mid-load (nothing answered twice, nothing committed lost), then load runs with one
#      and two instances.
# Load runs print figures (confirmations/s, p50/p99, ratio to the in-process verification rate);
# they are not asserted as timings. Sizes: PEOPLE (default 1000000), CRL_ENTRIES (1000000),
# REQUESTS per load run (3000).
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${PEOPLE:-1000000}
CRL_ENTRIES=${CRL_ENTRIES:-1000000}
REQUESTS=${REQUESTS:-3000}
PG_PORT=${PG_PORT:-54329}

step() { printf '\n--- %s\n' "$*"; }
die() { echo "serve-e2e: $*" >&2; exit 1; }

step "building kazasu (release, AWS-LC verification: the backend a server should use)"
if pkg-config --exists libpcsclite 2>/dev/null; then
    # Every feature, as `cargo bench --workspace --all-features` (the test command's earlier stage)
    # builds the libraries: their release artifacts are reused, only the binary is new.
    cargo build --release --workspace --all-features --locked -q --bin kazasu
else
    cargo build --release --locked -q -p kazasu-cli --features aws-lc
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
K="$TARGET_DIR/release/kazasu"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-serve-e2e.XXXXXX")
chmod 755 "$WORK"
PIDS=()
PG_DIR=""
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    if [ -n "$PG_DIR" ]; then scripts/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME DIR [kazasu serve args…]: starts an instance; sets API_<NAME>, ADMIN_<NAME>, PID_<NAME>.
start() {
    local name=$1 dir=$2
    shift 2
    rm -f "$WORK/ports-$name"
    "$K" serve --config "$dir/serve.toml" --instance "$name" --port-file "$WORK/ports-$name" "$@" \
        2>"$WORK/log-$name" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 600); do
        [ -s "$WORK/ports-$name" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/log-$name"; die "instance $name did not start"; }
        sleep 0.1
    done
    [ -s "$WORK/ports-$name" ] || die "instance $name did not start in 60 s"
    local api admin
    read -r api admin <"$WORK/ports-$name"
    printf -v "API_$name" '%s' "$api"
    printf -v "ADMIN_$name" '%s' "$admin"
    printf -v "PID_$name" '%s' "$pid"
    echo "instance $name: API 127.0.0.1:$api (mutual TLS), admin 127.0.0.1:$admin"
}

# stop NAME: SIGTERM, then the instance must exit 0 after draining.
stop() {
    local pid_var="PID_$1"
    local pid=${!pid_var}
    kill -TERM "$pid"
    wait "$pid" || die "instance $1 exited $? after SIGTERM"
    grep -q '"stopped"' "$WORK/log-$1" || die "instance $1 did not log a clean stop"
}

curl_tls() { # DIR API PATH [curl args…]: a facility's request
    local dir=$1 api=$2 path=$3
    shift 3
    curl -sS --cacert "$dir/tls/server-ca.pem" --cert "$dir/tls/facility-1310000019.pem" \
        --key "$dir/tls/facility-1310000019.key" "https://localhost:$api$path" "$@"
}

# ------------------------------------------------------------------------------------------------
step "SQLite: serve-init with $PEOPLE people and a $CRL_ENTRIES-entry CRL"
"$K" serve-init --dir "$WORK/sqlite" --people "$PEOPLE" --crl-entries "$CRL_ENTRIES" --cards 64
D="$WORK/sqlite"
start a "$D"

step "SQLite: health, metrics, TLS refusals, limits, request ids"
curl -sS "http://127.0.0.1:$ADMIN_a/health" | grep -q '"status":"ok"' || die "health"
if curl -sS --cacert "$D/tls/server-ca.pem" "https://localhost:$API_a/v1/challenges" -X POST -o /dev/null 2>/dev/null; then
    die "a request without a client certificate was answered"
fi
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=1310000019" -days 1 \
    -keyout "$WORK/rogue.key" -out "$WORK/rogue.pem" 2>/dev/null
if curl -sS --cacert "$D/tls/server-ca.pem" --cert "$WORK/rogue.pem" --key "$WORK/rogue.key" \
    "https://localhost:$API_a/v1/challenges" -X POST -o /dev/null 2>/dev/null; then
    die "a self-made certificate naming a real facility code was accepted"
fi
echo "refused: no client certificate; a self-signed certificate with a facility's code"
code=$(curl_tls "$D" "$API_a" /v1/challenges -X POST -o "$WORK/challenge.json" -w '%{http_code}')
[ "$code" = 200 ] && grep -q '"challenge"' "$WORK/challenge.json" || die "challenge: $code"
head -c 100000 /dev/zero | tr '\0' 'a' >"$WORK/big"
# Expect: 100-continue lets the server refuse on the declared length before the body is sent
# (otherwise the 413 can race the upload and reach curl as a broken pipe).
code=$(curl_tls "$D" "$API_a" /v1/consents/check -X POST -H 'content-type: application/json' \
    -H 'Expect: 100-continue' --data-binary @"$WORK/big" -o /dev/null -w '%{http_code}')
[ "$code" = 413 ] || die "a 100 kB body was answered $code, not 413"
curl_tls "$D" "$API_a" /v1/nothing -X POST -D "$WORK/headers" -o "$WORK/404.json" >/dev/null
grep -qi '^x-request-id: a-' "$WORK/headers" || die "no request id header"
grep -q '"request_id":"a-' "$WORK/404.json" || die "no request id in a refusal"
code=$(curl_tls "$D" "$API_a" /v1/consents/check -X POST -H 'content-type: application/json' \
    --data '{"patient":"x","class":"medication","purpose":"TREAT","facility":"9999999999"}' -o /dev/null -w '%{http_code}')
[ "$code" = 400 ] || die "a body naming another facility was answered $code, not 400"
echo "answered: 413 for a 100 kB body, 404 with x-request-id, 400 for an unknown field (a facility cannot name itself)"

step "SQLite: one instance under load"
"$K" bench-serve --dir "$D" --target "127.0.0.1:$API_a" --requests "$REQUESTS" --label sqlite-1

step "SQLite: SIGHUP reads the CRLs again"
kill -HUP "$PID_a"
for _ in $(seq 100); do grep -q '"CRLs reloaded"' "$WORK/log-a" && break; sleep 0.1; done
grep -q '"CRLs reloaded"' "$WORK/log-a" || die "SIGHUP did not reload the CRLs"
curl -sS "http://127.0.0.1:$ADMIN_a/health" | grep -q '"status":"ok"' || die "health after the reload"
echo "CRLs reloaded on SIGHUP; still healthy"

step "SQLite: the checks (one instance as both ends)"
"$K" serve-check challenge-once --dir "$D" --target "127.0.0.1:$API_a" --target "127.0.0.1:$API_a" --rounds 5
"$K" serve-check queue-numbers --dir "$D" --target "127.0.0.1:$API_a"

step "SQLite: logs and metrics"
grep -q '"request_id":"a-' "$WORK/log-a" || die "no request ids in the log"
name=$(sed -n 's/.*"agency": *"\([^"]*\)".*/\1/p' "$D/cards/0000.json")
card=$(sed -n 's/.*"patient_card": *"\([^"]*\)".*/\1/p' "$D/cards/0000.json")
cert=$(sed -n 's/.*"auth_certificate": *"\([0-9a-f]\{40\}\).*/\1/p' "$D/cards/0000.json")
for secret in "$name" "$card" "$cert"; do
    [ -n "$secret" ] || die "could not read the card file"
    if grep -q "$secret" "$WORK/log-a"; then die "the log carries personal data ($secret)"; fi
done
curl -sS "http://127.0.0.1:$ADMIN_a/metrics" >"$WORK/metrics"
grep -q 'kazasu_requests_total{.*route="/v1/eligibility/confirmations".*status="200"' "$WORK/metrics" || die "metrics"
grep -q 'kazasu_tls_handshake_failures_total{instance="a"} [1-9]' "$WORK/metrics" || die "handshake failures not counted"
echo "logs: JSON lines with request ids, no agency code, patient-card number or certificate; metrics: requests, latency, handshake failures"

step "SQLite: graceful shutdown during load"
"$K" bench-serve --dir "$D" --target "127.0.0.1:$API_a" --requests 100000 --duration 20 --reference 10 \
    --label during-shutdown >"$WORK/bench-shutdown" 2>&1 &
BENCH=$!
for _ in $(seq 300); do
    grep -q 'eligibility/confirmations' "$WORK/log-a" 2>/dev/null && [ "$(grep -c '"request"' "$WORK/log-a")" -gt 300 ] && break
    sleep 0.1
done
started=$(date +%s%N)
stop a
echo "instance a drained and stopped in $(( ($(date +%s%N) - started) / 1000000 )) ms"
wait "$BENCH" || true
grep -q '"draining"' "$WORK/log-a" || die "no draining logged"
if grep -q '"status":5[0-9][0-9]' "$WORK/log-a"; then die "a request was answered 5xx during the shutdown"; fi

# ------------------------------------------------------------------------------------------------
step "PostgreSQL: a throw-away cluster"
PG_DIR="$WORK/pg"
PG_URL=$(scripts/pg-cluster.sh start "$PG_DIR" "$PG_PORT")
echo "cluster at $PG_URL"
psql -q "$PG_URL" -c "CREATE DATABASE kazasu_check"
CHECK_URL="${PG_URL%/*}/kazasu_check"

step "PostgreSQL: two instances on one database — the properties"
"$K" serve-init --dir "$WORK/pgcheck" --database "$CHECK_URL" --people 1000 --crl-entries 100 --cards 32
C="$WORK/pgcheck"
start b1 "$C"
start b2 "$C"
"$K" serve-check challenge-once --dir "$C" --target "127.0.0.1:$API_b1" --target "127.0.0.1:$API_b2"
"$K" serve-check queue-numbers --dir "$C" --target "127.0.0.1:$API_b1" --target "127.0.0.1:$API_b2"
"$K" serve-check consent-withdrawal --dir "$C" --target "127.0.0.1:$API_b1" --target "127.0.0.1:$API_b2"

step "PostgreSQL: kill one instance mid-load"
"$K" serve-check crash --dir "$C" --target "127.0.0.1:$API_b1" --target "127.0.0.1:$API_b2" --requests 1500 \
    >"$WORK/crash.out" 2>&1 &
CRASH=$!
for _ in $(seq 1200); do grep -q RUNNING "$WORK/crash.out" && break; sleep 0.1; done
grep -q RUNNING "$WORK/crash.out" || { cat "$WORK/crash.out"; die "the crash run did not start"; }
sleep 0.5
kill -9 "$PID_b2"
wait "$PID_b2" 2>/dev/null || true
echo "instance b2 killed (SIGKILL) mid-load"
wait "$CRASH" || { cat "$WORK/crash.out"; die "crash run failed"; }
grep serve-check "$WORK/crash.out"
read -r n max distinct < <(psql -qtA -F' ' "$CHECK_URL" -c \
    "SELECT count(*), coalesce(max(queue_number), 0), count(DISTINCT queue_number) FROM checkins WHERE facility = '1310000019'")
[ "$n" = "$max" ] && [ "$n" = "$distinct" ] || die "queue numbers after the crash: $n rows, max $max, $distinct distinct"
echo "after the crash: $n check-ins at facility 1310000019, numbers 1..$max without gap or duplicate"
stop b1

step "PostgreSQL: serve-init with $PEOPLE people and a $CRL_ENTRIES-entry CRL"
"$K" serve-init --dir "$WORK/pgload" --database "$PG_URL" --people "$PEOPLE" --crl-entries "$CRL_ENTRIES" --cards 64
L="$WORK/pgload"
start p1 "$L"
"$K" bench-serve --dir "$L" --target "127.0.0.1:$API_p1" --requests "$REQUESTS" --label postgres-1
start p2 "$L"
"$K" bench-serve --dir "$L" --target "127.0.0.1:$API_p1" --target "127.0.0.1:$API_p2" --requests "$REQUESTS" --label postgres-2
stop p1
stop p2
echo "serve-e2e: passed"
