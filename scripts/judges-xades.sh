#!/usr/bin/env bash
# Independent judges of kazasu's XAdES e-prescriptions (電子処方箋):
#   - xmlsec1 (libxmlsec1, Debian `xmlsec1`) verifies the XML-DSig core of the prescriptions and
#     dispensing records kazasu signs (BES and ES-A), with the HPKI test root and CA;
#   - a prescription signed by xmlsec1 (a template with the XAdES signed properties, the test
#     doctor's fixture key) verifies with kazasu;
#   - signxml (PyPI, in a throwaway venv) verifies kazasu's signatures too;
#   - the negatives through the CLI: changed data, a moved element, a duplicated Id, a pharmacist
#     signing a prescription give exit 1 and the named part INVALID, and xmlsec1 agrees where it
#     checks the same thing.
# Installs xmlsec1 when missing. Usage: scripts/judges-xades.sh (from anywhere).
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)

need_pkgs=()
for p in xmlsec1 python3-venv python3-pip; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    echo "judges-xades: installing ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-xades.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail() { echo "judges-xades: FAIL: $*" >&2; exit 1; }
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build -q --locked -p kazasu-cli --bin kazasu
KAZASU="$TARGET_DIR/debug/kazasu"

DS=http://www.w3.org/2000/09/xmldsig#
XADES=http://uri.etsi.org/01903/v1.3.2#
EXC=http://www.w3.org/2001/10/xml-exc-c14n#
SHA256=http://www.w3.org/2001/04/xmlenc#sha256
AT=2026-06-01T00:00:00Z
T="$WORK/trust"
# XAdES and e-prescription Ids are plain attributes (no DTD): xmlsec1 is told which they are.
IDS=(--id-attr:Id PrescriptionDocument --id-attr:Id DispensingDocument --id-attr:Id ReferencePrescription
    --id-attr:Id "$DS:KeyInfo" --id-attr:Id "$DS:Signature" --id-attr:Id "$XADES:SignedProperties")
xmlsec_verify() { # FILE [SIGNATURE-ID]
    local node=()
    [ -n "${2:-}" ] && node=(--node-id "$2")
    xmlsec1 --verify --trusted-pem "$T/hpki-root.pem" --untrusted-pem "$T/hpki-ca.pem" "${IDS[@]}" \
        --verification-time "2026-06-01 00:00:00" "${node[@]}" "$1"
}
kverify() { # FILE [args…]
    local f=$1; shift
    "$KAZASU" verify-eprescription "$f" --trust "$T/hpki-root.pem" --tsa-trust "$T/tsa-root.pem" \
        --crl "$T/crl-0.der" --crl "$T/crl-2.der" --crl "$T/crl-3.der" --at "$AT" "$@"
}

printf '1,1,13,1234567,医療 太郎,20260601\n201,1,ロキソプロフェン錠60mg,3,錠\n' >"$WORK/rx.csv"
printf '1,1,13,7654321,薬剤 次郎,20260601\n' >"$WORK/dx.csv"

echo "judges-xades: kazasu signs (virtual HPKI card), xmlsec1 verifies"
echo 1234 | "$KAZASU" sign-eprescription --in "$WORK/rx.csv" --out "$WORK/bes.xml" --pin-stdin --at "$AT" \
    --export-trust "$T" 2>/dev/null || fail "sign-eprescription (BES)"
echo 1234 | "$KAZASU" sign-eprescription --in "$WORK/rx.csv" --out "$WORK/a.xml" --pin-stdin --at "$AT" \
    --tsa-local --xl --archive 2>/dev/null || fail "sign-eprescription (ES-A)"
echo 1234 | "$KAZASU" sign-eprescription --in "$WORK/dx.csv" --dispense "$WORK/a.xml" --out "$WORK/dispense.xml" \
    --pin-stdin --at "$AT" --tsa-local 2>/dev/null || fail "sign-eprescription --dispense"
for f in bes a; do
    xmlsec_verify "$WORK/$f.xml" >"$WORK/xmlsec.out" 2>&1 || { cat "$WORK/xmlsec.out"; fail "xmlsec1 refuses $f.xml"; }
    grep -q "SignedInfo References (ok/all): 3/3" "$WORK/xmlsec.out" || { cat "$WORK/xmlsec.out"; fail "xmlsec1: $f.xml references"; }
    kverify "$WORK/$f.xml" >/dev/null || fail "kazasu refuses its own $f.xml"
done
for id in PrescriptionSign DispensingSign; do
    xmlsec_verify "$WORK/dispense.xml" "$id" >"$WORK/xmlsec.out" 2>&1 ||
        { cat "$WORK/xmlsec.out"; fail "xmlsec1 refuses the dispensing record's $id"; }
done
kverify "$WORK/dispense.xml" --json >"$WORK/dispense.json" || { cat "$WORK/dispense.json"; fail "kazasu refuses the dispensing record"; }
grep -q '"Pharmacist"' "$WORK/dispense.json" || fail "the dispensing report names no pharmacist"
kverify "$WORK/a.xml" --json | grep -q '"level": "A"' || fail "kazasu does not report ES-A"

echo "judges-xades: xmlsec1 signs (template, test doctor's key), kazasu verifies"
b64() { grep -v -- ----- "$1" | tr -d '\n'; }
ref() { echo "<ds:Reference ${2:-}URI=\"#$1\"><ds:Transforms><ds:Transform Algorithm=\"$EXC\"/></ds:Transforms><ds:DigestMethod Algorithm=\"$SHA256\"/><ds:DigestValue></ds:DigestValue></ds:Reference>"; }
CERT_DIGEST=$(openssl x509 -in "$T/signer.pem" -outform DER | openssl dgst -sha256 -binary | base64 -w0)
cat >"$WORK/template.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Document><Prescription><PrescriptionManagement><Version>EPS1.0</Version></PrescriptionManagement><PrescriptionDocument Id="PrescriptionDocument">$(base64 -w0 "$WORK/rx.csv")</PrescriptionDocument><PrescriptionSign><ds:Signature xmlns:ds="$DS" Id="PrescriptionSign"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="$EXC"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>$(ref PrescriptionDocument)$(ref keyInfo-PrescriptionSign)$(ref PrescriptionSign-SignedProperties 'Type="http://uri.etsi.org/01903#SignedProperties" ')</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo Id="keyInfo-PrescriptionSign"><ds:X509Data><ds:X509Certificate>$(b64 "$T/signer.pem")</ds:X509Certificate><ds:X509Certificate>$(b64 "$T/hpki-ca.pem")</ds:X509Certificate></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties xmlns:xades="$XADES" Target="#PrescriptionSign"><xades:SignedProperties Id="PrescriptionSign-SignedProperties"><xades:SignedSignatureProperties><xades:SigningTime>$AT</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="$SHA256"/><ds:DigestValue>$CERT_DIGEST</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object></ds:Signature></PrescriptionSign></Prescription></Document>
EOF
# The virtual card's doctor (seed 0) holds fixture key 39 in its signature application.
xmlsec1 --sign --privkey-pem crates/kazasu-virtual-card/fixtures/keys/key39.pem "${IDS[@]}" \
    --output "$WORK/xmlsec-signed.xml" "$WORK/template.xml" >"$WORK/xmlsec.out" 2>&1 ||
    { cat "$WORK/xmlsec.out"; fail "xmlsec1 --sign"; }
xmlsec_verify "$WORK/xmlsec-signed.xml" >/dev/null 2>&1 || fail "xmlsec1 refuses its own signature"
kverify "$WORK/xmlsec-signed.xml" --json >"$WORK/xs.json" || { cat "$WORK/xs.json"; fail "kazasu refuses xmlsec1's signature"; }
grep -q '"level": "BES"' "$WORK/xs.json" || fail "kazasu: xmlsec1's signature is not ES-BES"

echo "judges-xades: negatives through the CLI (exit 1, the named part INVALID) and xmlsec1 agreeing"
expect_invalid() { # NAME FILE PATTERN [xmlsec]
    set +e
    kverify "$2" --json >"$WORK/neg.json" 2>/dev/null
    local rc=$?
    set -e
    [ "$rc" = 1 ] || fail "$1: kazasu exited $rc"
    grep -q "$3" "$WORK/neg.json" || { cat "$WORK/neg.json"; fail "$1: the report does not name $3"; }
    if [ "${4:-}" = xmlsec ] && xmlsec_verify "$2" >/dev/null 2>&1; then
        fail "$1: xmlsec1 accepts it"
    fi
}
DATA=$(base64 -w0 "$WORK/rx.csv")
sed "s|>$DATA<|>$(printf 'forged' | base64 -w0)<|" "$WORK/bes.xml" >"$WORK/changed.xml"
expect_invalid "changed data" "$WORK/changed.xml" 'differs from DigestValue' xmlsec
sed "s|<PrescriptionDocument Id=\"PrescriptionDocument\">$DATA</PrescriptionDocument>|<Extra><PrescriptionDocument Id=\"PrescriptionDocument\">$DATA</PrescriptionDocument></Extra><PrescriptionDocument>ZXZpbA==</PrescriptionDocument>|" \
    "$WORK/bes.xml" >"$WORK/moved.xml"
expect_invalid "moved element" "$WORK/moved.xml" 'moved or wrapped'
# xmlsec1 accepts the moved element (it only checks digests): kazasu's placement check is its own.
xmlsec_verify "$WORK/moved.xml" >/dev/null 2>&1 || fail "xmlsec1 was expected to accept the moved element"
sed "s|<PrescriptionManagement>|<Extra><PrescriptionDocument Id=\"PrescriptionDocument\">ZXZpbA==</PrescriptionDocument></Extra><PrescriptionManagement>|" \
    "$WORK/bes.xml" >"$WORK/wrapped.xml"
expect_invalid "duplicated Id" "$WORK/wrapped.xml" 'resolves to 2 elements' xmlsec
sed "s|$SHA256|http://example.invalid/md7|" "$WORK/bes.xml" >"$WORK/digest-method.xml"
expect_invalid "unknown DigestMethod" "$WORK/digest-method.xml" 'unknown DigestMethod' xmlsec
# A pharmacist's key and certificate on a prescription: the XML-DSig core is fine (xmlsec1 accepts),
# the role is not.
echo 1234 | "$KAZASU" sign-eprescription --in "$WORK/dx.csv" --dispense "$WORK/bes.xml" --out "$WORK/d2.xml" \
    --pin-stdin --at "$AT" 2>/dev/null || fail "sign-eprescription --dispense (BES)"
PHARM=$(awk -v RS='<DispensingSign>' 'NR == 2' "$WORK/d2.xml" | grep -o '<ds:X509Certificate>[^<]*' | head -1 |
    sed 's|<ds:X509Certificate>||')
[ -n "$PHARM" ] || fail "no pharmacist certificate in the dispensing record"
printf -- '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' "$(echo "$PHARM" | fold -w 64)" >"$WORK/pharmacist.pem"
PHARM_DIGEST=$(openssl x509 -in "$WORK/pharmacist.pem" -outform DER | openssl dgst -sha256 -binary | base64 -w0)
sed -e "s|$(b64 "$T/signer.pem")|$PHARM|" -e "s|$CERT_DIGEST|$PHARM_DIGEST|" "$WORK/template.xml" >"$WORK/template-pharm.xml"
# The pharmacist (seed 2, slot 2) holds fixture key 43.
xmlsec1 --sign --privkey-pem crates/kazasu-virtual-card/fixtures/keys/key43.pem "${IDS[@]}" \
    --output "$WORK/pharm-rx.xml" "$WORK/template-pharm.xml" >/dev/null 2>&1 || fail "xmlsec1 --sign (pharmacist)"
xmlsec_verify "$WORK/pharm-rx.xml" >/dev/null 2>&1 || fail "xmlsec1 refuses the pharmacist's XML-DSig core"
expect_invalid "role not allowed" "$WORK/pharm-rx.xml" 'role_not_allowed'
printf '<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Document>&b;</Document>' >"$WORK/laughs.xml"
set +e
kverify "$WORK/laughs.xml" >/dev/null 2>"$WORK/laughs.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "DTD" "$WORK/laughs.err" || fail "an entity-expanding document: exit $rc"

python3 -m venv "$WORK/venv" || fail "python3 -m venv"
"$WORK/venv/bin/pip" install -q signxml >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; fail "pip install signxml (PyPI)"; }
{
    echo "judges-xades: signxml verifies kazasu's signatures"
    cat >"$WORK/signxml_verify.py" <<'EOF'
import sys
from lxml import etree
from signxml import XMLVerifier
# signxml verifies the first ds:Signature of the document, resolving #Id references in it.
doc = etree.parse(sys.argv[1]).getroot()
cert = open(sys.argv[2]).read()
results = XMLVerifier().verify(doc, x509_cert=cert, id_attribute="Id", expect_references=int(sys.argv[3]))
print(len(results), "references verified")
EOF
    "$WORK/venv/bin/python" "$WORK/signxml_verify.py" "$WORK/bes.xml" "$T/signer.pem" 3 \
        >"$WORK/signxml.out" 2>&1 || { cat "$WORK/signxml.out"; fail "signxml refuses kazasu's prescription"; }
    "$WORK/venv/bin/python" "$WORK/signxml_verify.py" "$WORK/changed.xml" "$T/signer.pem" 3 \
        >/dev/null 2>&1 && fail "signxml accepts changed data"
}

echo "judges-xades: passed in $(($(date +%s) - START))s"
