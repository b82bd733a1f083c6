#!/usr/bin/env bash
# OCSP (RFC 6960) judged by openssl, both ways, on loopback:
#   (a) `openssl ocsp` as the responder (index with one good and one revoked signature certificate,
#       the test PKI's delegated responder certificate and key) answers `kazasu ocsp check`.
#   (b) `kazasu ocsp serve --revoke-sample` answers `openssl ocsp` requests; openssl verifies every
#       response ("Response verify OK") with the responder certificate and with the root alone.
# Usage: scripts/judges-ocsp.sh [path/to/kazasu]  (built when not given). Needs openssl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
KAZASU=${1:-}
if [ -z "$KAZASU" ]; then
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    cargo build -q --locked -p kazasu-cli --bin kazasu
    KAZASU="$TARGET_DIR/debug/kazasu"
fi
RESPONDER_KEY=crates/kazasu-virtual-card/fixtures/keys/key47.pem

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-judges-ocsp.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "judges-ocsp: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits until something accepts connections on 127.0.0.1:$1 (at most 10 s).
wait_port() {
    for _ in $(seq 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Two holders of the same signature root: seed 0 (good) and seed 1 (revoked in openssl's index).
A="$WORK/seed0"
B="$WORK/seed1"
"$KAZASU" virtual-card export "$A" >/dev/null
"$KAZASU" virtual-card export "$B" --seed 1 >/dev/null
cmp -s "$A/sign-root-2023.der" "$B/sign-root-2023.der" || fail "the two seeds do not share the signature root"

echo "judges-ocsp: (a) openssl ocsp answers kazasu ocsp check"
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
expiry() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ; }
{
    printf 'V\t%s\t\t%s\tunknown\t/CN=good\n' "$(expiry "$A/sign.pem")" "$(serial "$A/sign.pem")"
    printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t/CN=revoked\n' "$(expiry "$B/sign.pem")" 250601000000Z "$(serial "$B/sign.pem")"
} >"$WORK/index.txt"
PORT=$(free_port)
openssl ocsp -index "$WORK/index.txt" -port "$PORT" -rsigner "$A/sign-ocsp-responder.pem" -rkey "$RESPONDER_KEY" \
    -CA "$A/sign-root-2023.pem" -nmin 5 >"$WORK/openssl-responder.log" 2>&1 &
PIDS+=($!)
# openssl's responder serves one connection at a time: a probe connection would hold it up, so
# wait for its log line instead.
for _ in $(seq 100); do
    grep -q "waiting for OCSP client connections" "$WORK/openssl-responder.log" && break
    sleep 0.1
done
grep -q "waiting for OCSP client connections" "$WORK/openssl-responder.log" ||
    { cat "$WORK/openssl-responder.log"; fail "openssl ocsp did not start"; }
URL="http://127.0.0.1:$PORT/"
for hash in "" --sha256; do
    "$KAZASU" ocsp check --cert "$A/sign.pem" --issuer "$A/sign-root-2023.pem" --url "$URL" $hash --json \
        >"$WORK/good.json" || { cat "$WORK/good.json"; fail "kazasu: the good certificate is not good ($hash)"; }
    grep -q '"status":"good"' "$WORK/good.json" || { cat "$WORK/good.json"; fail "no good status"; }
    grep -q '"delegated":true' "$WORK/good.json" || { cat "$WORK/good.json"; fail "not the delegated responder"; }
    set +e
    "$KAZASU" ocsp check --cert "$B/sign.pem" --issuer "$A/sign-root-2023.pem" --url "$URL" $hash --json >"$WORK/revoked.json" 2>"$WORK/revoked.err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || { cat "$WORK/revoked.json"; fail "kazasu ocsp check of the revoked certificate exited $rc"; }
    grep -q '"status":"revoked"' "$WORK/revoked.json" || { cat "$WORK/revoked.json"; fail "not revoked"; }
    grep -q '"reason":"keyCompromise"' "$WORK/revoked.json" || { cat "$WORK/revoked.json"; fail "no reason"; }
    grep -q '"revoked_at":"2025-06-01T00:00:00Z"' "$WORK/revoked.json" || { cat "$WORK/revoked.json"; fail "no time"; }
done
# A certificate of another root: openssl's responder is no authority for it, so kazasu refuses.
set +e
"$KAZASU" ocsp check --cert "$A/auth.pem" --issuer "$A/auth-root-2023.pem" --url "$URL" --json >"$WORK/other.json" 2>"$WORK/other.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$WORK/other.json"; fail "kazasu accepted an answer about another CA's certificate (exit $rc)"; }
grep -q '"status":"invalid"' "$WORK/other.json" || { cat "$WORK/other.json"; fail "not refused as invalid"; }

echo "judges-ocsp: (b) kazasu ocsp serve answers openssl ocsp"
for pki in jpki hpki; do
    PORT=$(free_port)
    "$KAZASU" ocsp serve --port "$PORT" --pki "$pki" --revoke-sample >"$WORK/serve-$pki.out" 2>"$WORK/serve-$pki.err" &
    PIDS+=($!)
    wait_port "$PORT" || { cat "$WORK/serve-$pki.err"; fail "kazasu ocsp serve --pki $pki did not start"; }
    URL=$(head -n 1 "$WORK/serve-$pki.out")
    [ "$URL" = "http://127.0.0.1:$PORT/" ] || fail "kazasu ocsp serve printed \"$URL\""
    if [ "$pki" = jpki ]; then
        good=("$A/auth.pem" "$A/auth-root-2023.pem" "$A/auth-ocsp-responder.pem")
        revoked=("$A/sign.pem" "$A/sign-root-2023.pem" "$A/sign-ocsp-responder.pem")
        roots=("$A/auth-root-2023.pem" "$A/sign-root-2023.pem")
    else
        "$KAZASU" virtual-card export "$WORK/hpki" --hpki >/dev/null
        H="$WORK/hpki"
        cat "$H/hpki-root.pem" "$H/hpki-auth-ca.pem" >"$H/auth-chain.pem"
        cat "$H/hpki-root.pem" "$H/hpki-sign-ca.pem" >"$H/sign-chain.pem"
        good=("$H/hpki-auth.pem" "$H/hpki-auth-ca.pem" "$H/hpki-auth-ocsp-responder.pem")
        revoked=("$H/hpki-sign.pem" "$H/hpki-sign-ca.pem" "$H/hpki-sign-ocsp-responder.pem")
        roots=("$H/auth-chain.pem" "$H/sign-chain.pem")
    fi
    i=0
    for case in good revoked; do
        declare -n c=$case
        for trust in "-VAfile ${c[2]}" "-CAfile ${roots[$i]}"; do
            # shellcheck disable=SC2086
            openssl ocsp -issuer "${c[1]}" -cert "${c[0]}" -url "$URL" $trust >"$WORK/openssl.out" 2>&1 ||
                { cat "$WORK/openssl.out"; fail "openssl ocsp against kazasu ($pki, $case, $trust)"; }
            grep -q "Response verify OK" "$WORK/openssl.out" ||
                { cat "$WORK/openssl.out"; fail "openssl does not verify kazasu's response ($pki, $case, $trust)"; }
            grep -q "${c[0]}: $case" "$WORK/openssl.out" ||
                { cat "$WORK/openssl.out"; fail "openssl did not read \"$case\" ($pki, $trust)"; }
        done
        i=$((i + 1))
    done
    grep -q "Reason: keyCompromise" "$WORK/openssl.out" || { cat "$WORK/openssl.out"; fail "no revocation reason ($pki)"; }
done

echo "judges-ocsp: passed in $(($(date +%s) - START))s"
