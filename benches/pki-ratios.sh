#!/usr/bin/env bash
# kazasu-pki against OpenSSL on this machine, in one run:
#   - authentication-assertion verifications/s (parse the certificate bytes, validate the path to the
#     root at t with a 1,000,000-entry CRL, verify the card's signature, use the challenge up) against
#     half of `openssl speed rsa2048` verify/s (a first-time assertion costs two RSA-2048
#     verifications); for the default pure-Rust `rsa` backend and for the `aws-lc` feature:
#       first time      cards never seen before: 64 distinct certificates in turn, path cache of one
#                       entry (every assertion misses, and pays for the cache's hashing and insertion)
#       first, no cache the same cards, no path cache
#       repeat card     one card again and again, path cache on (one RSA verification per assertion);
#                       its bound is openssl's verify/s itself
#   - parsing and indexing a 1,000,000-entry CRL (wall time and peak RSS of the whole process under
#     /usr/bin/time -v) against `openssl crl -inform DER -noout` on the same file.
# Usage: benches/pki-ratios.sh [ENTRIES (default 1000000)] [SECONDS per rate (default 3)]
# Also runs the criterion benches when PKI_CRITERION=1 (cargo bench --bench pki, both backends).
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES=${1:-1000000}
SECONDS_PER_RATE=${2:-3}
RUNS=3

for tool in openssl /usr/bin/time cargo; do
    command -v "$tool" >/dev/null || {
        echo "pki-ratios: $tool is missing (Debian: apt-get install openssl time)" >&2
        exit 2
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-pki-ratios.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

build() { # $1 = name for the copy, rest = cargo features args
    local name=$1
    shift
    cargo build --quiet --release --example pki_measure "$@"
    cp "$TARGET_DIR/release/examples/pki_measure" "$WORK/$name"
}
echo "== building (release): pure-Rust rsa backend, then aws-lc backend"
build measure-rsa
build measure-aws-lc --features pki-aws-lc

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version)"

CRL="$WORK/crl-$ENTRIES.der"
"$WORK/measure-rsa" gen-crl "$ENTRIES" "$CRL"

# --- RSA verify rate -----------------------------------------------------------------------------
# Measured before and after kazasu's rates; the higher of the two is the bound (the machine is
# shared: this way a load that comes and goes favours OpenSSL, never kazasu). `openssl speed`
# divides by user CPU time.
openssl_verify() {
    openssl speed -seconds "$SECONDS_PER_RATE" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $NF}'
}
echo "== openssl speed -seconds $SECONDS_PER_RATE rsa2048"
OPENSSL_BEFORE=$(openssl_verify)
[ -n "$OPENSSL_BEFORE" ] || { echo "pki-ratios: could not read openssl's verify/s" >&2; exit 1; }
echo "openssl rsa2048 verify/s (before): $OPENSSL_BEFORE"

# Every mode of one backend on one setup: lines "backend=… mode=… per_second=…".
echo "== kazasu assertions, $SECONDS_PER_RATE s per mode, CRL of $ENTRIES entries"
"$WORK/measure-rsa" assertions "$SECONDS_PER_RATE" "$ENTRIES" all | tee "$WORK/rates"
"$WORK/measure-aws-lc" assertions "$SECONDS_PER_RATE" "$ENTRIES" all | tee -a "$WORK/rates"
# Rates per second of user CPU time, the divisor `openssl speed` uses: on a machine shared with
# other builds the comparison stays fair (the wall-clock rates are printed above too).
rate() { # $1 = backend, $2 = mode
    sed -n "s/^backend=$1 mode=$2 .*per_cpu_second=\([0-9.]*\).*/\1/p" "$WORK/rates"
}
RATE_RSA=$(rate rsa first)
RATE_AWS=$(rate aws-lc first)
RATE_RSA_NC=$(rate rsa first-nocache)
RATE_AWS_NC=$(rate aws-lc first-nocache)
RATE_RSA_REP=$(rate rsa repeat)
RATE_AWS_REP=$(rate aws-lc repeat)
OPENSSL_AFTER=$(openssl_verify)
echo "openssl rsa2048 verify/s (after): $OPENSSL_AFTER"
OPENSSL_VERIFY=$(awk -v a="$OPENSSL_BEFORE" -v b="$OPENSSL_AFTER" 'BEGIN {print (b > a ? b : a)}')
echo "load after the rates: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- CRL parse: wall time and peak memory -------------------------------------------------------
measure() { # prints "seconds kbytes" of the best (lowest wall time) of $RUNS runs
    local best_t="" best_m=""
    for _ in $(seq "$RUNS"); do
        local out t m
        out=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 )
        t=$(printf '%s\n' "$out" | awk -F': ' '/Elapsed \(wall clock\)/ {
                n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
        m=$(printf '%s\n' "$out" | awk -F': ' '/Maximum resident set size/ {print $2}')
        if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN {exit !(a < b)}'; then
            best_t=$t
            best_m=$m
        fi
    done
    echo "$best_t $best_m"
}
echo "== CRL of $ENTRIES entries ($(stat -c %s "$CRL") bytes), best of $RUNS runs under /usr/bin/time -v"
read -r OSSL_T OSSL_M < <(measure openssl crl -inform DER -noout -in "$CRL")
read -r OURS_T OURS_M < <(measure "$WORK/measure-rsa" parse-crl "$CRL")
printf 'openssl crl -noout:    %6.2fs, max RSS %8d KB\n' "$OSSL_T" "$OSSL_M"
printf 'kazasu parse + index:  %6.2fs, max RSS %8d KB  (in process: %s)\n' "$OURS_T" "$OURS_M" \
    "$("$WORK/measure-rsa" parse-crl "$CRL")"

# --- ratios -------------------------------------------------------------------------------------
echo
echo "== ratios"
awk -v rsa="$RATE_RSA" -v aws="$RATE_AWS" -v rsanc="$RATE_RSA_NC" -v awsnc="$RATE_AWS_NC" \
    -v rsarep="$RATE_RSA_REP" -v awsrep="$RATE_AWS_REP" -v o="$OPENSSL_VERIFY" \
    -v ot="$OSSL_T" -v om="$OSSL_M" -v kt="$OURS_T" -v km="$OURS_M" 'BEGIN {
    bound = o / 2
    printf "openssl rsa2048 verify/s %.1f, half %.1f\n", o, bound
    printf "first-time assertions per CPU second vs openssl rsa2048 verify/s / 2 (target >= 0.9 with aws-lc):\n"
    printf "  rsa backend     %9.1f / %9.1f = %.2f\n", rsa, bound, rsa / bound
    printf "  aws-lc backend  %9.1f / %9.1f = %.2f\n", aws, bound, aws / bound
    printf "the same without a path cache:\n"
    printf "  rsa backend     %9.1f / %9.1f = %.2f\n", rsanc, bound, rsanc / bound
    printf "  aws-lc backend  %9.1f / %9.1f = %.2f\n", awsnc, bound, awsnc / bound
    printf "repeat-card assertions/s (path cache hit: one RSA verification) vs openssl rsa2048 verify/s:\n"
    printf "  rsa backend     %9.1f / %9.1f = %.2f\n", rsarep, o, rsarep / o
    printf "  aws-lc backend  %9.1f / %9.1f = %.2f\n", awsrep, o, awsrep / o
    printf "CRL parse+index vs openssl crl -noout (target <= 1.0):\n"
    printf "  wall time       %9.2fs / %9.2fs = %.3f\n", kt, ot, (ot > 0 ? kt / ot : 0)
    printf "  peak memory     %8d KB / %8d KB = %.3f\n", km, om, km / om
}'

if [ "${PKI_CRITERION:-0}" = 1 ]; then
    echo
    echo "== criterion (cargo bench --bench pki), rsa then aws-lc"
    cargo bench --bench pki
    cargo bench --bench pki --features pki-aws-lc
fi
