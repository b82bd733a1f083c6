#!/usr/bin/env bash
# The cost of verifying a typical ES-XL e-prescription, kazasu against xmlsec1 --verify, on the same
# document in the same run. Both are timed as whole processes over N runs (kazasu checks every XAdES
# part — references, SignatureValue, SigningCertificateV2, the HPKI path and role with the embedded
# CRLs, the signature timestamp —; xmlsec1 the XML-DSig core and the certificate chain), then the
# in-process figure from the criterion bench. Prints ms per document and the ratio kazasu / xmlsec1.
# Usage: scripts/xades-ratio.sh [N]   (N defaults to 50)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
command -v xmlsec1 >/dev/null || { echo "xades-ratio: xmlsec1 is not installed (apt-get install xmlsec1)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-xades-ratio.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build -q --release --locked -p kazasu-cli --bin kazasu
KAZASU="$TARGET_DIR/release/kazasu"
AT=2026-06-01T00:00:00Z
for i in $(seq 12); do echo "201,$i,ロキソプロフェンナトリウム錠60mg,3,錠,1日3回毎食後,7日分"; done >"$WORK/rx.csv"
echo 1234 | "$KAZASU" sign-eprescription --in "$WORK/rx.csv" --out "$WORK/xl.xml" --pin-stdin --at "$AT" \
    --tsa-local --xl --export-trust "$WORK/t" 2>/dev/null
DS=http://www.w3.org/2000/09/xmldsig#
XMLSEC=(xmlsec1 --verify --trusted-pem "$WORK/t/hpki-root.pem" --untrusted-pem "$WORK/t/hpki-ca.pem"
    --id-attr:Id PrescriptionDocument --id-attr:Id "$DS:KeyInfo"
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"
    --verification-time "2026-06-01 00:00:00" "$WORK/xl.xml")
KZ=("$KAZASU" verify-eprescription "$WORK/xl.xml" --trust "$WORK/t/hpki-root.pem" --tsa-trust "$WORK/t/tsa-root.pem")
"${XMLSEC[@]}" >/dev/null 2>&1 || { echo "xades-ratio: xmlsec1 refuses the document" >&2; exit 1; }
"${KZ[@]}" >/dev/null || { echo "xades-ratio: kazasu refuses the document" >&2; exit 1; }
time_n() { # command… → nanoseconds for N runs
    local s e
    s=$(date +%s%N)
    for _ in $(seq "$N"); do "$@" >/dev/null 2>&1; done
    e=$(date +%s%N)
    echo $((e - s))
}
x=$(time_n "${XMLSEC[@]}")
k=$(time_n "${KZ[@]}")
echo "document: $(wc -c <"$WORK/xl.xml") bytes, ES-XL, $N runs each (whole processes)"
awk -v x="$x" -v k="$k" -v n="$N" 'BEGIN {
    printf "xmlsec1 --verify:              %.2f ms/document\n", x / n / 1e6
    printf "kazasu verify-eprescription:   %.2f ms/document\n", k / n / 1e6
    printf "ratio kazasu / xmlsec1:        %.2f\n", k / x
}'
echo "in-process (criterion, kazasu-sign bench xades):"
cargo bench -q -p kazasu-sign --bench xades -- --warm-up-time 1 --measurement-time 3 2>/dev/null |
    grep -E "^xades/|time:|thrpt:" | sed 's/^/  /'
