#!/usr/bin/env bash
# Independent judges of kazasu's PAdES signatures (signed PDF referral letters):
#   - pdfsig (poppler) reports PDFs signed by kazasu with a JPKI and an HPKI test certificate (B-B
#     and B-T, classic and cross-reference-stream input, and a second signature on top) as valid
#     with the test CAs trusted in an NSS database, and as not valid after one byte inside the
#     signed range is changed;
#   - qpdf --check finds every signed PDF well formed;
#   - kazasu verifies a PDF that pdfsig signed with the HPKI test key imported into NSS
#     (adbe.pkcs7.detached, BER with indefinite lengths as NSS writes it: poppler 22.12 cannot combine
#     -etsi with -add-signature), and refuses it after a byte is changed.
# Installs poppler-utils, qpdf and libnss3-tools when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)

need_pkgs=()
for p in poppler-utils qpdf libnss3-tools openssl; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    echo "judges-pades: installing ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-judges-pades.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "judges-pades: FAIL: $*" >&2; exit 1; }
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build -q --locked -p kazasu-sign --example pades_judge
J="$TARGET_DIR/debug/examples/pades_judge"

M="$WORK/material"
"$J" material "$M"
NSS="$WORK/nss"
mkdir -p "$NSS"
certutil -N --empty-password -d "sql:$NSS"
for ca in "$M"/jpki-root-*.pem "$M/hpki-root.pem" "$M/tsa-root.pem"; do
    certutil -A -d "sql:$NSS" -n "$(basename "$ca" .pem)" -t "CT,C,C" -a -i "$ca"
done
certutil -A -d "sql:$NSS" -n hpki-ca -t ",," -a -i "$M/hpki-ca.pem"
# With the roots trusted, NSS's only objection to the signers is the critical certificatePolicies.
for s in jpki hpki; do
    certutil -A -d "sql:$NSS" -n "$s-check" -t ",," -a -i "$M/$s-signer.pem"
    v=$(certutil -V -d "sql:$NSS" -n "$s-check" -u S 2>&1) || true
    grep -q 'unknown critical extension' <<<"$v" || fail "certutil: unexpected verdict on the $s signer: $v"
    certutil -D -d "sql:$NSS" -n "$s-check"
done

# pdfsig output for $1; fails unless every signature is valid and the document is fully signed.
expect_valid() {
    local f=$1 n=$2 out
    out=$(pdfsig -nssdir "sql:$NSS" -no-ocsp "$f" 2>&1) || true
    echo "$out" >"$f.pdfsig"
    [ "$(grep -c 'Signature Validation: Signature is Valid.' <<<"$out")" = "$n" ] ||
        { echo "$out"; fail "pdfsig does not report $n valid signature(s) in $(basename "$f")"; }
    # NSS refuses JPKI and HPKI certificates for their critical certificatePolicies (both real
    # profiles mark it critical; see the certutil check below), which pdfsig prints as an unknown
    # issue. What must not appear is an unknown issuer: the test roots are trusted.
    grep -Eq 'Certificate Validation: (Certificate is Trusted.|Unknown issue with Certificate or corrupted data.)' <<<"$out" ||
        { echo "$out"; fail "pdfsig does not find the issuer of the signer of $(basename "$f")"; }
    grep -q 'Total document signed' <<<"$out" ||
        { echo "$out"; fail "pdfsig: the last signature of $(basename "$f") does not cover the whole file"; }
    qpdf --check "$f" >"$f.qpdf" 2>&1 || { cat "$f.qpdf"; fail "qpdf --check refuses $(basename "$f")"; }
    grep -q 'No syntax or stream encoding errors found' "$f.qpdf" || { cat "$f.qpdf"; fail "qpdf warns on $(basename "$f")"; }
}

# Changes one hex digit of the original revision's document /ID (inside the first signed range,
# and the file still parses) and expects pdfsig and kazasu to refuse the signature.
expect_tamper_detected() {
    local f=$1 t="$1.tampered.pdf" out off digit
    cp "$f" "$t"
    off=$(grep -abo '/ID *\[ *<' "$t" | head -1 | cut -d: -f1) || true
    [ -n "$off" ] || fail "no /ID in $(basename "$f")"
    off=$(( off + $(dd if="$t" bs=1 skip="$off" count=16 status=none | grep -abo '<' | head -1 | cut -d: -f1) + 1 ))
    digit=$(dd if="$t" bs=1 skip="$off" count=1 status=none)
    if [ "$digit" = 0 ]; then digit=1; else digit=0; fi
    printf '%s' "$digit" | dd of="$t" bs=1 seek="$off" conv=notrunc status=none
    cmp -s "$f" "$t" && fail "tampering changed nothing"
    out=$(pdfsig -nssdir "sql:$NSS" -no-ocsp "$t" 2>&1) || true
    if grep -q 'Signature Validation: Signature is Valid.' <<<"$out"; then
        echo "$out"; fail "pdfsig accepts $(basename "$t")"
    fi
    grep -Eq 'Signature Validation: (Digest Mismatch|Signature is Invalid|Signature has not yet been verified)' <<<"$out" ||
        { echo "$out"; fail "pdfsig gives no reason for $(basename "$t")"; }
    set +e
    "$J" verify "$t" >"$t.kazasu" 2>&1
    rc=$?
    set -e
    [ "$rc" = 1 ] || { cat "$t.kazasu"; fail "kazasu verify of $(basename "$t") exited $rc"; }
    grep -q 'digest INVALID' "$t.kazasu" || { cat "$t.kazasu"; fail "kazasu does not name the digest"; }
}

echo "judges-pades: pdfsig and qpdf on PDFs kazasu signed"
"$J" sample "$WORK/letter.pdf"
qpdf --object-streams=generate "$WORK/letter.pdf" "$WORK/letter-objstm.pdf"
n=0
for signer in jpki hpki; do
    for input in letter letter-objstm; do
        for tsa in "" --tsa; do
            out="$WORK/$input-$signer${tsa:+-bt}.pdf"
            "$J" sign "$signer" $tsa "$WORK/$input.pdf" "$out"
            expect_valid "$out" 1
            expect_tamper_detected "$out"
            "$J" verify "$out" >"$out.kazasu" || { cat "$out.kazasu"; fail "kazasu refuses its own $(basename "$out")"; }
            n=$((n + 1))
        done
    done
done
# A second signature (HPKI over JPKI): both valid, the first one not covering the whole file.
"$J" sign hpki --tsa "$WORK/letter-jpki.pdf" "$WORK/letter-two.pdf"
expect_valid "$WORK/letter-two.pdf" 2
grep -q 'Not total document signed' "$WORK/letter-two.pdf.pdfsig" ||
    { cat "$WORK/letter-two.pdf.pdfsig"; fail "pdfsig does not see the first signature as partial"; }
"$J" verify "$WORK/letter-two.pdf" >"$WORK/two.kazasu" || { cat "$WORK/two.kazasu"; fail "kazasu refuses two signatures"; }
grep -q 'bytes appended after signing' "$WORK/two.kazasu" || { cat "$WORK/two.kazasu"; fail "kazasu does not report the appended signature"; }

echo "judges-pades: kazasu on a PDF pdfsig signed"
openssl pkcs12 -export -passout pass: -inkey "$M/hpki-signer-key.pem" -in "$M/hpki-signer.pem" \
    -certfile "$M/hpki-ca.pem" -name hpki-signer -out "$WORK/hpki.p12"
pk12util -i "$WORK/hpki.p12" -d "sql:$NSS" -W "" >/dev/null
pdfsig -nssdir "sql:$NSS" -add-signature -nick hpki-signer -new-signature-field-name PopplerSig \
    "$WORK/letter.pdf" "$WORK/letter-poppler.pdf" >/dev/null 2>&1 ||
    fail "pdfsig -add-signature could not sign"
expect_valid "$WORK/letter-poppler.pdf" 1
"$J" verify "$WORK/letter-poppler.pdf" >"$WORK/poppler.kazasu" ||
    { cat "$WORK/poppler.kazasu"; fail "kazasu refuses the PDF pdfsig signed"; }
grep -q 'field PopplerSig' "$WORK/poppler.kazasu" || { cat "$WORK/poppler.kazasu"; fail "kazasu does not name pdfsig's field"; }
grep -q 'hcRole: Medical Doctor' "$WORK/poppler.kazasu" || { cat "$WORK/poppler.kazasu"; fail "kazasu does not report the role"; }
expect_tamper_detected "$WORK/letter-poppler.pdf"

echo "judges-pades: kazasu sign --pdf with the virtual cards (the CLI path), pdfsig and qpdf judge"
cargo build -q --locked -p kazasu-cli --bin kazasu
K="$TARGET_DIR/debug/kazasu"
"$K" sample-pdf --out "$WORK/cli-letter.pdf"
echo ABC123 | "$K" sign --pdf --pin-stdin --in "$WORK/cli-letter.pdf" --out "$WORK/cli-jpki.pdf" --tsa-local 2>/dev/null ||
    fail "kazasu sign --pdf"
echo 1234 | "$K" sign --card hpki --pdf --pin-stdin --in "$WORK/cli-jpki.pdf" --out "$WORK/cli-two.pdf" \
    --tsa-local 2>/dev/null || fail "kazasu sign --card hpki --pdf"
expect_valid "$WORK/cli-two.pdf" 2
qpdf --check "$WORK/cli-two.pdf" >/dev/null || fail "qpdf --check on the CLI-signed PDF"
"$K" virtual-card export --hpki "$WORK/cli-pki" >/dev/null
C="$WORK/cli-pki"
"$K" verify-signature "$WORK/cli-two.pdf" --trust "$C/hpki-root.pem" --trust "$C/sign-root-2023.pem" \
    --tsa-trust "$C/tsa-root.pem" --crl "$C/sign-crl.pem" --crl "$C/hpki-sign-ca-crl.pem" --crl "$C/hpki-sarl.pem" \
    --crl "$C/hpki-rarl.pem" >"$WORK/cli.kazasu" 2>&1 ||
    { cat "$WORK/cli.kazasu"; fail "kazasu verify-signature refuses the CLI-signed PDF"; }
grep -q 'hcRole: Medical Doctor' "$WORK/cli.kazasu" || { cat "$WORK/cli.kazasu"; fail "no hcRole for the CLI-signed PDF"; }

echo "judges-pades: ok ($n kazasu-signed PDFs, 1 two-signature PDF and 1 pdfsig-signed PDF judged; $(($(date +%s) - START)) s)"
