#!/usr/bin/env bash
# End to end through a real pcscd: the virtual card in a vpcd reader, driven by OpenSC, by `kazasu readers`
# and by kazasu-pcsc's tests; then, with pcscd stopped, the "pcscd is not running" answers.
# Installs pcscd / vpcd / OpenSC when missing. Starts pcscd (unless one already runs) and
# `kazasu virtual-card serve`, and stops exactly what it started (by recorded pid).
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)

need_pkgs=()
for p in pcscd libpcsclite-dev vsmartcard-vpcd opensc pkgconf openssl; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    echo "pcsc-e2e: installing ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

WORK=$(mktemp -d)
PCSCD_PID=""
CARD_PID=""
stop_card() {
    if [ -n "$CARD_PID" ]; then
        kill "$CARD_PID" 2>/dev/null || true
        wait "$CARD_PID" 2>/dev/null || true
        CARD_PID=""
    fi
}
stop_pcscd() {
    if [ -n "$PCSCD_PID" ]; then
        kill "$PCSCD_PID" 2>/dev/null || true
        wait "$PCSCD_PID" 2>/dev/null || true
        PCSCD_PID=""
    fi
}
cleanup() {
    stop_card
    stop_pcscd
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "pcsc-e2e: FAIL: $*" >&2; exit 1; }

# Build everything first, so pcscd only runs while something uses it.
cargo build --locked -q -p kazasu-cli --features pcsc
# A copy of this build: the shared target/debug/kazasu may be rebuilt with other features meanwhile.
cp "${CARGO_TARGET_DIR:-target}/debug/kazasu" "$WORK/kazasu"
KAZASU=$WORK/kazasu
cargo test --locked -q -p kazasu-pcsc --all-features --test pcscd --test card --test hpki --test no_pcscd --no-run

# A pcscd that runs (an exited one waiting to be reaped does not count).
running_pcscd() {
    local pid
    for pid in $(pgrep -x pcscd); do
        case "$(ps -o stat= -p "$pid" 2>/dev/null)" in
            "" | Z*) ;;
            *) echo "$pid"; return 0 ;;
        esac
    done
    return 1
}

if OTHER_PCSCD=$(running_pcscd); then
    echo "pcsc-e2e: using the pcscd already running (pid $OTHER_PCSCD)"
else
    mkdir -p /run/pcscd
    pcscd --foreground >"$WORK/pcscd.log" 2>&1 &
    PCSCD_PID=$!
    for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
    echo "pcsc-e2e: started pcscd (pid $PCSCD_PID)"
fi

# The My Number Card in slot 0 (Virtual PCD 00 00), the HPKI card in slot 1 (Virtual PCD 00 01).
"$KAZASU" virtual-card serve --vpcd 127.0.0.1:35963 --hpki --hpki-name "山田 花子" --export-pki "$WORK/pki" >"$WORK/card.log" 2>&1 &
CARD_PID=$!

# Wait until the reader reports a card.
for _ in $(seq 100); do
    if opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD 00 00" &&
       opensc-tool --list-readers 2>/dev/null | grep "Virtual PCD 00 00" | grep -q Yes; then
        break
    fi
    sleep 0.2
done
opensc-tool --list-readers | grep "Virtual PCD 00 00" | grep -q Yes || { cat "$WORK/card.log"; fail "no card in Virtual PCD 00 00"; }
READER_INDEX=$(opensc-tool --list-readers | awk '/Virtual PCD 00 00/ {print $1; exit}')
export OPENSC_DRIVER=jpki

echo "pcsc-e2e: pkcs15-tool -D"
pkcs15-tool --reader "$READER_INDEX" -D >"$WORK/dump.txt" 2>&1 || { cat "$WORK/dump.txt"; fail "pkcs15-tool -D"; }
grep -E "^(X.509|PIN|Private)|Tries left|Path  " "$WORK/dump.txt" | head -40 || true
for want in "User Authentication Certificate" "Digital Signature Certificate" \
            "User Authentication PIN" "Digital Signature PIN"; do
    grep -q "$want" "$WORK/dump.txt" || { cat "$WORK/dump.txt"; fail "pkcs15-tool -D does not list '$want'"; }
done

echo "pcsc-e2e: pkcs15-tool --read-certificate 01"
pkcs15-tool --reader "$READER_INDEX" --read-certificate 01 -o "$WORK/read.pem" >/dev/null 2>&1 ||
    pkcs15-tool --reader "$READER_INDEX" --read-certificate 01 >"$WORK/read.pem"
openssl x509 -in "$WORK/read.pem" -outform DER -out "$WORK/read.der"
cmp -s "$WORK/read.der" "$WORK/pki/auth.der" || fail "the certificate OpenSC read differs from the card's auth certificate"

echo "pcsc-e2e: pkcs11-tool --sign with the authentication key, verified by openssl"
MODULE=$(dpkg -L opensc-pkcs11 | grep '/opensc-pkcs11.so$' | head -1)
printf 'kazasu challenge %s' "$(date +%s%N)" >"$WORK/data"
pkcs11-tool --module "$MODULE" --slot-index 0 --login --pin 1234 --sign --id 01 -m SHA256-RSA-PKCS \
    -i "$WORK/data" -o "$WORK/sig" >"$WORK/sign.log" 2>&1 || { cat "$WORK/sign.log"; fail "pkcs11-tool --sign"; }
openssl x509 -in "$WORK/pki/auth.pem" -pubkey -noout >"$WORK/pub.pem"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/data" || fail "openssl rejects the signature"

echo "pcsc-e2e: OpenSC interop passed"

echo "pcsc-e2e: kazasu readers"
"$KAZASU" readers | tee "$WORK/readers.txt"
grep -E "^Virtual PCD 00 00 +card +ATR 3BE000FF8131FE4514$" "$WORK/readers.txt" >/dev/null ||
    fail "kazasu readers does not show the card in Virtual PCD 00 00"
grep -E "^Virtual PCD 00 01 +card +ATR [0-9A-F]+$" "$WORK/readers.txt" >/dev/null ||
    fail "kazasu readers does not show the HPKI card in Virtual PCD 00 01"
"$KAZASU" readers --json >"$WORK/readers.json"
grep -q '"name":"Virtual PCD 00 00"' "$WORK/readers.json" && grep -q '"has_card":true' "$WORK/readers.json" &&
    grep -q '"atr":"3BE000FF8131FE4514"' "$WORK/readers.json" || { cat "$WORK/readers.json"; fail "kazasu readers --json"; }

echo "pcsc-e2e: kazasu card … and kazasu demo through the reader"
R="Virtual PCD 00 00"
"$KAZASU" card status --reader "$R" --json >"$WORK/status.json" || fail "kazasu card status --reader"
grep -q '"token":"My Number Card"' "$WORK/status.json" && grep -q '"tries_left":3' "$WORK/status.json" ||
    { cat "$WORK/status.json"; fail "kazasu card status through pcscd"; }
"$KAZASU" card cert auth --reader "$R" --out "$WORK/card-auth.der" || fail "kazasu card cert auth --reader"
cmp -s "$WORK/card-auth.der" "$WORK/pki/auth.der" || fail "kazasu card cert auth differs from the card's certificate"
echo 1234 | "$KAZASU" card sign auth --reader "$R" --in "$WORK/data" --out "$WORK/card.sig" --pin-stdin ||
    fail "kazasu card sign auth --reader"
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/card.sig" "$WORK/data" >/dev/null ||
    fail "openssl rejects the signature kazasu made through pcscd"
echo abc123 | "$KAZASU" card cert sign --reader "$R" --pin-stdin --out "$WORK/card-sign.der" || fail "kazasu card cert sign"
cmp -s "$WORK/card-sign.der" "$WORK/pki/sign.der" || fail "signature certificate differs"
echo 1234 | "$KAZASU" card text --reader "$R" --pin-stdin --json >"$WORK/text.json" || fail "kazasu card text --reader"
grep -q '山田 花子' "$WORK/text.json" || { cat "$WORK/text.json"; fail "kazasu card text through pcscd"; }
set +e
echo 0000 | "$KAZASU" card text --reader "$R" --pin-stdin 2>"$WORK/wrong.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "2 tries left" "$WORK/wrong.err" || { cat "$WORK/wrong.err"; fail "a wrong PIN through pcscd exited $rc"; }
"$KAZASU" demo --reader "$R" >"$WORK/demo.txt" || { cat "$WORK/demo.txt"; fail "kazasu demo --reader"; }
grep -Eq "^([0-9]+) of \1 steps behaved as expected" "$WORK/demo.txt" || { cat "$WORK/demo.txt"; fail "kazasu demo --reader"; }
# Chip genuineness through the reader, with the CA keys the served card exported (a test card).
echo 600412 | "$KAZASU" card genuine --reader "$R" --birth-date-stdin --allow-test-hierarchy \
    --cvc-ca "$WORK/pki/cvc-cas.txt" --json >"$WORK/genuine.json" || { cat "$WORK/genuine.json"; fail "kazasu card genuine --reader"; }
grep -q '"genuine":true' "$WORK/genuine.json" || { cat "$WORK/genuine.json"; fail "kazasu card genuine through pcscd"; }
set +e
echo 600412 | "$KAZASU" card genuine --reader "$R" --birth-date-stdin --cvc-ca "$WORK/pki/cvc-cas.txt" >/dev/null 2>"$WORK/genuine-test.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$WORK/genuine-test.err"; fail "a test card without --allow-test-hierarchy exited $rc"; }

echo "pcsc-e2e: kazasu card hpki … through the reader (the HPKI card in Virtual PCD 00 01)"
H="Virtual PCD 00 01"
for _ in $(seq 100); do
    opensc-tool --list-readers 2>/dev/null | grep "$H" | grep -q Yes && break
    sleep 0.2
done
"$KAZASU" card hpki status --reader "$H" --json >"$WORK/hpki-status.json" || fail "kazasu card hpki status --reader"
grep -q '"card":"HPKI card"' "$WORK/hpki-status.json" && grep -q '"sign_pin":{[^}]*"tries_left"' "$WORK/hpki-status.json" ||
    { cat "$WORK/hpki-status.json"; fail "kazasu card hpki status through pcscd"; }
for which in sign auth; do
    "$KAZASU" card hpki cert "$which" --reader "$H" --out "$WORK/card-hpki-$which.der" || fail "kazasu card hpki cert $which --reader"
    cmp -s "$WORK/card-hpki-$which.der" "$WORK/pki/hpki-$which.der" || fail "kazasu card hpki cert $which differs from the card's certificate"
done
echo 1234 | "$KAZASU" card hpki sign --reader "$H" --in "$WORK/data" --out "$WORK/hpki.sig" --pin-stdin ||
    fail "kazasu card hpki sign --reader"
openssl x509 -inform DER -in "$WORK/pki/hpki-sign.der" -pubkey -noout >"$WORK/hpki-pub.pem"
openssl dgst -sha256 -verify "$WORK/hpki-pub.pem" -signature "$WORK/hpki.sig" "$WORK/data" >/dev/null ||
    fail "openssl rejects the HPKI signature kazasu made through pcscd"
set +e
"$KAZASU" card hpki status --reader "$R" 2>"$WORK/hpki-wrong-card.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "My Number Card, not an HPKI card" "$WORK/hpki-wrong-card.err" ||
    { cat "$WORK/hpki-wrong-card.err"; fail "kazasu card hpki on the My Number Card exited $rc"; }

echo "pcsc-e2e: kazasu sign through the readers (My Number Card signature key, HPKI card), openssl and kazasu verify"
printf '紹介状 (pcscd)\n' >"$WORK/letter.txt"
echo ABC123 | "$KAZASU" sign --reader "$R" --pin-stdin --in "$WORK/letter.txt" --out "$WORK/letter-jpki.p7s" --tsa-local ||
    fail "kazasu sign --reader (JPKI)"
echo 1234 | "$KAZASU" sign --card hpki --reader "$H" --pin-stdin --in "$WORK/letter.txt" --out "$WORK/letter-hpki.p7s" --tsa-local ||
    fail "kazasu sign --card hpki --reader"
openssl cms -verify -binary -inform DER -in "$WORK/letter-jpki.p7s" -content "$WORK/letter.txt" \
    -CAfile "$WORK/pki/sign-root-2023.pem" -purpose any -out /dev/null 2>/dev/null ||
    fail "openssl refuses the CAdES signature made through pcscd (JPKI)"
# The HPKI card holds no CA certificate: openssl gets the signature CA next to the root.
cat "$WORK/pki/hpki-root.pem" "$WORK/pki/hpki-sign-ca.pem" >"$WORK/hpki-cas.pem"
openssl cms -verify -binary -inform DER -in "$WORK/letter-hpki.p7s" -content "$WORK/letter.txt" \
    -CAfile "$WORK/hpki-cas.pem" -purpose any -out /dev/null 2>/dev/null ||
    fail "openssl refuses the CAdES signature made through pcscd (HPKI)"
"$KAZASU" verify-signature "$WORK/letter-jpki.p7s" --content "$WORK/letter.txt" --trust "$WORK/pki/sign-root-2023.pem" \
    --tsa-trust "$WORK/pki/tsa-root.pem" --crl "$WORK/pki/sign-crl.pem" >"$WORK/verify-jpki.txt" ||
    { cat "$WORK/verify-jpki.txt"; fail "kazasu verify-signature (JPKI, through pcscd)"; }
"$KAZASU" verify-signature "$WORK/letter-hpki.p7s" --content "$WORK/letter.txt" --trust "$WORK/pki/hpki-root.pem" \
    --intermediate "$WORK/pki/hpki-sign-ca.pem" --tsa-trust "$WORK/pki/tsa-root.pem" --crl "$WORK/pki/hpki-sign-ca-crl.pem" --crl "$WORK/pki/hpki-sarl.pem" \
    --crl "$WORK/pki/hpki-rarl.pem" >"$WORK/verify-hpki.txt" ||
    { cat "$WORK/verify-hpki.txt"; fail "kazasu verify-signature (HPKI, through pcscd)"; }
grep -q "Medical Doctor" "$WORK/verify-hpki.txt" || { cat "$WORK/verify-hpki.txt"; fail "no hcRole for the HPKI signer"; }

echo "pcsc-e2e: HPKI ↔ JPKI linkage with both cards (My Number Card in 00 00, HPKI card in 00 01)"
DB=$WORK/links.sqlite
echo ABC123 | "$KAZASU" hpki apply --db "$DB" --reader "$R" --pin-stdin --name "山田 花子" \
    --birth-date 1985-04-12 --sex female --profession medical-doctor --registration-number 100001 \
    >"$WORK/apply.json" || { cat "$WORK/apply.json"; fail "kazasu hpki apply --reader"; }
ID=$(sed -n 's/.*"id":"\(L[0-9a-f]\{16\}\)".*/\1/p' "$WORK/apply.json")
[ -n "$ID" ] || { cat "$WORK/apply.json"; fail "kazasu hpki apply printed no linkage id"; }
"$KAZASU" hpki issue --db "$DB" --linkage "$ID" --hpki-reader "$H" >"$WORK/issue.json" ||
    { cat "$WORK/issue.json"; fail "kazasu hpki issue --hpki-reader"; }
printf '1234\n1234\n' | "$KAZASU" hpki sign-in --db "$DB" --reader "$R" --hpki-reader "$H" \
    --pin-stdin >"$WORK/signin.json" || { cat "$WORK/signin.json"; fail "kazasu hpki sign-in with both readers"; }
grep -q '"Medical Doctor"' "$WORK/signin.json" || { cat "$WORK/signin.json"; fail "sign-in roles"; }
"$KAZASU" hpki check-linkage --db "$DB" --sandbox-revoke death >"$WORK/check.json" || fail "kazasu hpki check-linkage"
grep -q '"cause":"death"' "$WORK/check.json" || { cat "$WORK/check.json"; fail "death not told apart"; }
set +e
printf '1234\n1234\n' | "$KAZASU" hpki sign-in --db "$DB" --reader "$R" --hpki-reader "$H" \
    --pin-stdin >/dev/null 2>"$WORK/signin-suspended.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q K4023 "$WORK/signin-suspended.err" ||
    { cat "$WORK/signin-suspended.err"; fail "a suspended linkage's sign-in exited $rc"; }

# The オンライン資格確認 terminal double: a clinic system registers a 照会番号 by file (serve), then the
# patient touches the card in the reader (touch); the face result carries the qualification and the 照会番号.
echo "pcsc-e2e: kazasu onshi serve, then touch through the reader"
ONSHI_START=$(date +%s%N)
ONSHI=$WORK/onshi
mkdir -p "$ONSHI/req"
cat >"$ONSHI/req/.OQSsiimm01req_e2e.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1310000019</MedicalInstitutionCode>
<ArbitraryFileIdentifier>e2e</ArbitraryFileIdentifier></MessageHeader>
<MessageBody><InsurerNumber>06139992</InsurerNumber><InsuredCardSymbol>12</InsuredCardSymbol>
<InsuredIdentificationNumber>3456</InsuredIdentificationNumber><InsuredBranchNumber>00</InsuredBranchNumber>
<Birthdate>19850412</Birthdate><ReferenceNumber>E2E-0001</ReferenceNumber></MessageBody></XmlMsg>
XML
mv "$ONSHI/req/.OQSsiimm01req_e2e.xml" "$ONSHI/req/OQSsiimm01req_e2e.xml"
"$KAZASU" onshi serve --dir "$ONSHI" --store "$ONSHI/store.sqlite" --once >"$WORK/serve.txt" 2>&1 ||
    { cat "$WORK/serve.txt"; fail "kazasu onshi serve --once"; }
"$KAZASU" onshi parse --json "$ONSHI/res/OQSsiimm01res_e2e.xml" >"$WORK/registered.json" || fail "no answer to the registration"
grep -q '"ProcessingResultStatus":"1"' "$WORK/registered.json" || { cat "$WORK/registered.json"; fail "the registration was refused"; }
echo 1234 | "$KAZASU" onshi touch --dir "$ONSHI" --store "$ONSHI/store.sqlite" --reader "$R" --pin-stdin >"$WORK/touch.txt" 2>&1 ||
    { cat "$WORK/touch.txt"; fail "kazasu onshi touch --reader"; }
FACE=$(find "$ONSHI/face" -name 'OQSsifce01res_*.xml')
[ "$(echo "$FACE" | grep -c .)" = 1 ] || { ls -la "$ONSHI/face"; fail "kazasu onshi touch did not leave one face result"; }
"$KAZASU" onshi parse --json "$FACE" >"$WORK/face.json" || fail "the face result does not parse"
for want in '"ReferenceClassification":"1"' '"QualificationValidity":"1"' '"Name":"山田　花子"' '"ReferenceNumber":"E2E-0001"'; do
    grep -q "$want" "$WORK/face.json" || { cat "$WORK/face.json"; fail "the face result lacks $want"; }
done
echo "pcsc-e2e: onshi serve/touch passed in $(( ($(date +%s%N) - ONSHI_START) / 1000000 )) ms"

echo "pcsc-e2e: kazasu auth … through the reader (bound assertions, login and gates over HTTP)"
"$KAZASU" auth demo --reader "$R" --json >"$WORK/auth-demo.json" || { cat "$WORK/auth-demo.json"; fail "kazasu auth demo --reader"; }
grep -q '"ok":true' "$WORK/auth-demo.json" && grep -q '"token":"My Number Card"' "$WORK/auth-demo.json" ||
    { cat "$WORK/auth-demo.json"; fail "kazasu auth demo through pcscd"; }
"$KAZASU" auth serve --listen 127.0.0.1:0 --port-file "$WORK/auth.port" 2>"$WORK/auth-serve.log" &
AUTH_PID=$!
for _ in $(seq 100); do [ -s "$WORK/auth.port" ] && break; sleep 0.1; done
[ -s "$WORK/auth.port" ] || { cat "$WORK/auth-serve.log"; fail "kazasu auth serve did not start"; }
U="http://127.0.0.1:$(cat "$WORK/auth.port")"
printf '1234\nABC123\n' | "$KAZASU" login --server "$U" --enrol --reader "$R" --pin-stdin >"$WORK/enrol.json" ||
    { cat "$WORK/enrol.json"; fail "kazasu login --enrol --reader"; }
echo 1234 | "$KAZASU" login --server "$U" --reader "$R" --pin-stdin >"$WORK/login.json" ||
    { cat "$WORK/login.json"; fail "kazasu login --reader"; }
grep -q '"name":"山田 花子"' "$WORK/login.json" || { cat "$WORK/login.json"; fail "kazasu login through pcscd"; }
echo 1234 | "$KAZASU" gate --server "$U" --buy --reader "$R" --pin-stdin >"$WORK/buy.json" ||
    { cat "$WORK/buy.json"; fail "kazasu gate --buy --reader"; }
echo 1234 | "$KAZASU" gate --server "$U" --gate east-1 --reader "$R" --pin-stdin >"$WORK/gate.json" ||
    { cat "$WORK/gate.json"; fail "kazasu gate --gate east-1 --reader"; }
set +e
echo 1234 | "$KAZASU" gate --server "$U" --gate west-1 --reader "$R" --pin-stdin >"$WORK/gate2.json" 2>/dev/null
rc=$?
set -e
[ "$rc" = 1 ] && grep -q '"code":"already_admitted"' "$WORK/gate2.json" ||
    { cat "$WORK/gate2.json"; fail "a second gate touch through pcscd exited $rc"; }
"$KAZASU" auth load --server "$U" --touches 500 --clients 4 >"$WORK/load.json" || { cat "$WORK/load.json"; fail "kazasu auth load"; }
echo "pcsc-e2e: gate load on loopback (debug build): $(cat "$WORK/load.json")"
kill "$AUTH_PID"; wait "$AUTH_PID" 2>/dev/null || true

echo "pcsc-e2e: smartphone tokens in Virtual PCD 00 00"
for token in android iphone; do
    case $token in
        android) want="Android smartphone certificate" ;;
        iphone) want="iPhone smartphone certificate" ;;
    esac
    stop_card
    for _ in $(seq 50); do opensc-tool --list-readers 2>/dev/null | grep "Virtual PCD 00 00" | grep -q Yes || break; sleep 0.1; done
    "$KAZASU" virtual-card serve --vpcd 127.0.0.1:35963 --token "$token" --export-pki "$WORK/pki-$token" >"$WORK/card-$token.log" 2>&1 &
    CARD_PID=$!
    for _ in $(seq 100); do opensc-tool --list-readers 2>/dev/null | grep "Virtual PCD 00 00" | grep -q Yes && break; sleep 0.2; done
    "$KAZASU" card status --reader "$R" --json >"$WORK/status-$token.json" ||
        { cat "$WORK/card-$token.log"; fail "kazasu card status --reader ($token)"; }
    grep -q "\"token\":\"$want\"" "$WORK/status-$token.json" || { cat "$WORK/status-$token.json"; fail "the $token token is not named"; }
    echo 1234 | "$KAZASU" card cert auth --reader "$R" --pin-stdin --out "$WORK/auth-$token.der" ||
        fail "kazasu card cert auth --reader ($token: PIN first)"
    cmp -s "$WORK/auth-$token.der" "$WORK/pki-$token/auth.der" || fail "the $token token's certificate differs"
    "$KAZASU" auth demo --reader "$R" --json >"$WORK/auth-demo-$token.json" ||
        { cat "$WORK/auth-demo-$token.json"; fail "kazasu auth demo --reader ($token)"; }
    grep -q '"ok":true' "$WORK/auth-demo-$token.json" && grep -q "\"token\":\"$want\"" "$WORK/auth-demo-$token.json" ||
        { cat "$WORK/auth-demo-$token.json"; fail "kazasu auth demo through pcscd ($token)"; }
done

# The tests put their own cards into the vpcd readers: take the CLI's card out first.
stop_card
echo "pcsc-e2e: kazasu-pcsc tests through pcscd (the transport; every kazasu-card operation; the HPKI card)"
cargo test --locked -q -p kazasu-pcsc --all-features --test pcscd --test card --test hpki -- --test-threads=1

if [ -n "$PCSCD_PID" ]; then
    stop_pcscd
    for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] || break; sleep 0.1; done
    echo "pcsc-e2e: pcscd stopped; the 'not running' answers"
    cargo test --locked -q -p kazasu-pcsc --all-features --test no_pcscd
    set +e
    "$KAZASU" readers >"$WORK/no-pcscd.out" 2>"$WORK/no-pcscd.err"
    rc=$?
    set -e
    cat "$WORK/no-pcscd.err"
    [ "$rc" = 2 ] || fail "kazasu readers without pcscd exited $rc, not 2"
    grep -q "pcscd is not running: start it with \`pcscd\` (or \`systemctl start pcscd\`)" "$WORK/no-pcscd.err" ||
        fail "kazasu readers without pcscd does not say how to start it"
else
    echo "pcsc-e2e: note: skipping the 'pcscd not running' checks: this script did not start the running pcscd, so it leaves it alone"
fi

echo "pcsc-e2e: passed in $(( $(date +%s) - START ))s"
