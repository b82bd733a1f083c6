#!/usr/bin/env bash
# HPKI qualification verification, kazasu against OpenSSL on the same chain in one run: the virtual
# card's HPKI test chain (root → signature CA → a Medical Doctor's certificate, the CA's CRL and the
# root's SARL and RARL) verified RUNS times, one process each, by
#   kazasu hpki verify holder.pem --trust root.pem --intermediate ca.pem --crl ca-crl.pem --crl sarl.pem --crl rarl.pem --role medical-doctor
#   openssl verify -crl_check_all -CAfile root.pem -untrusted ca.pem -CRLfile ca-crl.pem -CRLfile sarl.pem -CRLfile rarl.pem holder.pem
# (OpenSSL also checks the root against the RARL; kazasu trusts its anchor as configured.)
# and prints the mean wall time per process (µs) and the ratio. `cargo bench --bench hpki` gives the
# in-process figures (hcRole parse, qualification verification).
# Usage: benches/hpki-ratios.sh [RUNS (default 200)]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
for tool in openssl cargo date; do
    command -v "$tool" >/dev/null || { echo "hpki-ratios: $tool is missing" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-hpki-ratios.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
echo "== building (release)"
cargo build --quiet --release --example hpki_measure
cargo build --quiet --release -p kazasu-cli --bin kazasu
"$TARGET_DIR/release/examples/hpki_measure" "$WORK"
KAZASU="$TARGET_DIR/release/kazasu"
AT=2026-06-01T00:00:00Z
ATSEC=$(date -d "$AT" +%s)
kz() { "$KAZASU" hpki verify "$WORK/holder.pem" --trust "$WORK/root.pem" --intermediate "$WORK/ca.pem" \
    --crl "$WORK/ca-crl.pem" --crl "$WORK/sarl.pem" --crl "$WORK/rarl.pem" --role medical-doctor --at "$AT" >/dev/null; }
os() { openssl verify -attime "$ATSEC" -crl_check_all -CAfile "$WORK/root.pem" -untrusted "$WORK/ca.pem" \
    -CRLfile "$WORK/ca-crl.pem" -CRLfile "$WORK/sarl.pem" -CRLfile "$WORK/rarl.pem" "$WORK/holder.pem" >/dev/null; }
kz || { echo "hpki-ratios: kazasu rejects the chain" >&2; exit 1; }
os || { echo "hpki-ratios: openssl rejects the chain" >&2; exit 1; }
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
echo "kazasu hpki verify: ${KZ_US} µs/process; openssl verify -crl_check_all: ${OS_US} µs/process"
awk -v k="$KZ_US" -v o="$OS_US" 'BEGIN {printf "ratio kazasu/openssl: %.2f\n", k / o}'
