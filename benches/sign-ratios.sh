#!/usr/bin/env bash
# CAdES verification, kazasu against OpenSSL on the same file in one run: a 4 KiB document signed
# B-T by the virtual My Number Card (`kazasu sign --tsa-local`), verified RUNS times, one process
# each, by
#   kazasu verify-signature sig.p7s --content doc --trust sign-root-2023.pem --tsa-trust tsa-root.pem --crl sign-crl.pem
#   openssl cms -verify -binary -inform DER -in sig.p7s -content doc -CAfile sign-root-2023.pem -purpose any
# (OpenSSL checks the signer path and the signature; kazasu also the timestamp token, its TSA path,
# signingCertificateV2 and the CRL.) Prints the mean wall time per process (µs) and the ratio, then
# the in-process figure of `cargo bench --bench sign` for the same kind of signature.
# Usage: benches/sign-ratios.sh [RUNS (default 200)]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
for tool in openssl cargo date; do
    command -v "$tool" >/dev/null || { echo "sign-ratios: $tool is missing" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-sign-ratios.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
echo "== building (release)"
cargo build --quiet --release -p kazasu-cli --bin kazasu
KAZASU="$TARGET_DIR/release/kazasu"
"$KAZASU" virtual-card export "$WORK/pki" >/dev/null
head -c 4096 /dev/urandom >"$WORK/doc"
echo ABC123 | "$KAZASU" sign --pin-stdin --in "$WORK/doc" --out "$WORK/sig.p7s" --tsa-local 2>/dev/null
P="$WORK/pki"
kz() { "$KAZASU" verify-signature "$WORK/sig.p7s" --content "$WORK/doc" --trust "$P/sign-root-2023.pem" \
    --tsa-trust "$P/tsa-root.pem" --crl "$P/sign-crl.pem" >/dev/null; }
os() { openssl cms -verify -binary -inform DER -in "$WORK/sig.p7s" -content "$WORK/doc" \
    -CAfile "$P/sign-root-2023.pem" -purpose any -out /dev/null 2>/dev/null; }
kz || { echo "sign-ratios: kazasu refuses the signature" >&2; exit 1; }
os || { echo "sign-ratios: openssl refuses the signature" >&2; exit 1; }
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version)"
per_run() { # mean µs per run of $1
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$RUNS"); do "$1"; done
    end=$(date +%s%N)
    echo $(( (end - start) / RUNS / 1000 ))
}
KZ_US=$(per_run kz)
OS_US=$(per_run os)
echo "kazasu verify-signature: ${KZ_US} µs/process; openssl cms -verify: ${OS_US} µs/process"
awk -v k="$KZ_US" -v o="$OS_US" 'BEGIN {printf "ratio kazasu/openssl (per process): %.2f\n", k / o}'
echo "== in process (cargo bench --bench sign)"
cargo bench --quiet --bench sign -- --warm-up-time 1 --measurement-time 3 2>/dev/null |
    grep -E "APDUs|time:|^CAdES" || true
