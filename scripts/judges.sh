#!/usr/bin/env bash
# Independent implementations judging what kazasu writes and reads, beyond the PC/SC stage (which has
# OpenSC and openssl judge the virtual card):
#   - HPKI: openssl verifies the virtual card's HPKI test chain (root → CA → Medical Doctor, the CA's
#     CRL, the root's SARL and RARL) with every CRL check, and kazasu agrees; a revoked holder is
#     refused by both.
#   - CMS/CAdES signatures and RFC 3161 timestamps: openssl cms and openssl ts, both ways
#     (scripts/judges-cms.sh).
#   - OCSP: openssl ocsp and kazasu answer each other's requests (scripts/judges-ocsp.sh).
#   - オンライン資格確認 files: xmllint (libxml2) checks that the answers `kazasu onshi serve` writes
#     are well-formed XML in the encoding they declare (UTF-8 and Shift_JIS), and that the requests
#     kazasu reads are too.
#   - FHIR R4: fhir.resources (FHIR 4.0.1, in a throw-away venv) validates every Consent
#     `kazasu consent export` writes and refuses broken ones (scripts/judges-fhir.sh).
# Installs libxml2-utils when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)

need_pkgs=()
for p in openssl libxml2-utils; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    echo "judges: installing ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-judges.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "judges: FAIL: $*" >&2; exit 1; }
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build -q --locked --example hpki_measure
cargo build -q --locked -p kazasu-cli --bin kazasu
KAZASU="$TARGET_DIR/debug/kazasu"

echo "judges: openssl and kazasu on the HPKI test chain"
mkdir -p "$WORK/hpki"
"$TARGET_DIR/debug/examples/hpki_measure" "$WORK/hpki" >/dev/null
H="$WORK/hpki"
AT=2026-06-01T00:00:00Z
ATSEC=$(date -d "$AT" +%s)
openssl verify -attime "$ATSEC" -x509_strict -crl_check_all -CAfile "$H/root.pem" -untrusted "$H/ca.pem" \
    -CRLfile "$H/ca-crl.pem" -CRLfile "$H/sarl.pem" -CRLfile "$H/rarl.pem" "$H/holder.pem" >"$WORK/openssl.out" 2>&1 ||
    { cat "$WORK/openssl.out"; fail "openssl refuses the HPKI test chain"; }
"$KAZASU" hpki verify "$H/holder.pem" --trust "$H/root.pem" --intermediate "$H/ca.pem" --crl "$H/ca-crl.pem" \
    --crl "$H/sarl.pem" --crl "$H/rarl.pem" --role medical-doctor --at "$AT" --json >"$WORK/kazasu.json" ||
    { cat "$WORK/kazasu.json"; fail "kazasu refuses the chain openssl accepts"; }
grep -q '"Medical Doctor"' "$WORK/kazasu.json" || { cat "$WORK/kazasu.json"; fail "kazasu did not report the role"; }
if [ -f "$H/holder-revoked.pem" ]; then
    if openssl verify -attime "$ATSEC" -crl_check_all -CAfile "$H/root.pem" -untrusted "$H/ca.pem" \
        -CRLfile "$H/ca-crl.pem" -CRLfile "$H/sarl.pem" -CRLfile "$H/rarl.pem" "$H/holder-revoked.pem" >/dev/null 2>&1; then
        fail "openssl accepts the revoked holder"
    fi
    set +e
    "$KAZASU" hpki verify "$H/holder-revoked.pem" --trust "$H/root.pem" --intermediate "$H/ca.pem" \
        --crl "$H/ca-crl.pem" --crl "$H/sarl.pem" --crl "$H/rarl.pem" --at "$AT" >/dev/null 2>&1
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "kazasu hpki verify of the revoked holder exited $rc"
fi

scripts/judges-ocsp.sh "$KAZASU"

echo "judges: xmllint on the オンライン資格確認 files kazasu reads and writes"
D="$WORK/onshi"
mkdir -p "$D/req"
DATA=crates/kazasu-onshi/tests/data
cp "$DATA/confirmation.xml" "$D/req/OQSsiqcf01req_0001.xml"
cp "$DATA/registration.xml" "$D/req/OQSsiimm01req_0002.xml"
cp "$DATA/bulk_registration.xml" "$D/req/OQSmuimm01req_0003.xml"
# The same confirmation in Shift_JIS, as many clinic systems send it.
sed 's/encoding="UTF-8"/encoding="Shift_JIS"/' "$DATA/confirmation.xml" | iconv -f UTF-8 -t SHIFT_JIS \
    >"$D/req/OQSsiqcf01req_0004.xml"
for f in "$D"/req/*.xml "$DATA/result.xml"; do
    xmllint --noout "$f" || fail "xmllint refuses the request sample $f"
done
"$KAZASU" onshi serve --dir "$D" --once --facility 1312345678 --at 2025-04-01 >"$WORK/serve.out" 2>&1 ||
    { cat "$WORK/serve.out"; fail "kazasu onshi serve"; }
n=0
for f in "$D"/res/*.xml; do
    xmllint --noout "$f" || fail "xmllint refuses kazasu's answer $f"
    n=$((n + 1))
done
[ "$n" = 4 ] || fail "expected 4 answers, found $n"
head -c 200 "$D/res/OQSsiqcf01res_0004.xml" | grep -q 'encoding="Shift_JIS"' ||
    fail "the Shift_JIS request was not answered in Shift_JIS"
# xmllint decodes the Shift_JIS answer and re-encodes it: every byte must be valid Shift_JIS.
xmllint --encode UTF-8 "$D/res/OQSsiqcf01res_0004.xml" >"$WORK/sjis-as-utf8.xml" || fail "xmllint --encode"
for f in "$D"/res/*.xml; do
    "$KAZASU" onshi parse "$f" --json >/dev/null || fail "kazasu cannot read back $f"
done

echo "judges: CMS/CAdES and RFC 3161 with openssl"
mkdir -p "$WORK/cms"
scripts/judges-cms.sh "$KAZASU" "$WORK/cms"

bash scripts/judges-pades.sh
bash scripts/judges-fhir.sh "$KAZASU"

bash scripts/judges-xades.sh

echo "judges: passed in $(($(date +%s) - START))s"
