#!/usr/bin/env bash
# End to end through a real pcscd: the virtual card in a vpcd reader, driven by OpenSC and by our tests.
# Starts pcscd (unless one already runs) and `kazasu virtual-card serve`, and stops exactly what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(mktemp -d)
PCSCD_PID=""
CARD_PID=""
cleanup() {
    [ -n "$CARD_PID" ] && kill "$CARD_PID" 2>/dev/null && wait "$CARD_PID" 2>/dev/null || true
    [ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null && wait "$PCSCD_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "pcsc-e2e: FAIL: $*" >&2; exit 1; }

cargo build --locked -q -p kazasu-cli
KAZASU=$PWD/target/debug/kazasu

if pgrep -x pcscd >/dev/null; then
    echo "pcsc-e2e: using the pcscd already running (pid $(pgrep -x pcscd | head -1))"
else
    mkdir -p /run/pcscd
    pcscd --foreground >"$WORK/pcscd.log" 2>&1 &
    PCSCD_PID=$!
    for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
    echo "pcsc-e2e: started pcscd (pid $PCSCD_PID)"
fi

"$KAZASU" virtual-card serve --vpcd 127.0.0.1:35963 --export-pki "$WORK/pki" >"$WORK/card.log" 2>&1 &
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
