#!/usr/bin/env bash
# Independent judges for CMS/CAdES signatures and RFC 3161 timestamps (called by judges.sh with the
# kazasu binary and a work directory):
#   - `openssl cms -verify` accepts what `kazasu sign` makes with the virtual My Number Card and the
#     virtual HPKI card (B-B, B-T, B-LT; detached and attached), and refuses it after a byte of the
#     document changes — as kazasu does;
#   - kazasu verifies CAdES made by `openssl cms -sign -cades` with the test signature key, and
#     refuses it over other content;
#   - `openssl ts -verify` accepts the test TSA's answers to `openssl ts -query`, and kazasu verifies
#     answers that `openssl ts -reply` made (with fractional-second genTime), and refuses one over
#     other data.
set -euo pipefail
KAZASU=$1
WORK=$2
fail() { echo "judges-cms: FAIL: $*" >&2; exit 1; }
expect_exit() { # expected-code command...
    local want=$1; shift
    set +e; "$@" >"$WORK/out.txt" 2>&1; local rc=$?; set -e
    [ "$rc" = "$want" ] || { cat "$WORK/out.txt"; fail "exit $rc, expected $want: $*"; }
}
cd "$WORK"
"$KAZASU" virtual-card export --hpki --test-keys pki >/dev/null
P=pki
printf '紹介状\n患者: 山田 花子 様\n貴院での精査をお願いいたします。\n' >letter.txt
cp letter.txt letter-changed.txt
printf 'x' >>letter-changed.txt

echo "judges-cms: openssl cms -verify on kazasu's signatures"
for variant in "" "--tsa-local" "--tsa-local --embed-validation" "--attached --tsa-local"; do
    # shellcheck disable=SC2086
    echo ABC123 | "$KAZASU" sign --pin-stdin --in letter.txt --out jpki.p7s $variant 2>/dev/null ||
        fail "kazasu sign $variant"
    # shellcheck disable=SC2086
    echo 1234 | "$KAZASU" sign --card hpki --pin-stdin --in letter.txt --out hpki.p7s $variant 2>/dev/null ||
        fail "kazasu sign --card hpki $variant"
    for who in jpki hpki; do
        root=$P/sign-root-2023.pem
        [ "$who" = hpki ] && root=$P/hpki-root.pem
        openssl cms -verify -binary -inform DER -in $who.p7s -content letter.txt -CAfile "$root" \
            -purpose any -out /dev/null 2>"$WORK/openssl.txt" ||
            { cat "$WORK/openssl.txt"; fail "openssl refuses kazasu's $who signature ($variant)"; }
        if openssl cms -verify -binary -inform DER -in $who.p7s -content letter-changed.txt -CAfile "$root" \
            -purpose any -out /dev/null 2>/dev/null; then
            case "$variant" in *--attached*) ;; *) fail "openssl accepts $who ($variant) over changed content" ;; esac
        fi
        crls=(--crl $P/sign-crl.pem)
        [ "$who" = hpki ] && crls=(--crl $P/hpki-sign-ca-crl.pem --crl $P/hpki-sarl.pem --crl $P/hpki-rarl.pem)
        expect_exit 0 "$KAZASU" verify-signature $who.p7s --content letter.txt --trust "$root" \
            --tsa-trust $P/tsa-root.pem "${crls[@]}"
        case "$variant" in *--attached*) ;; *)
            expect_exit 1 "$KAZASU" verify-signature $who.p7s --content letter-changed.txt --trust "$root" \
                --tsa-trust $P/tsa-root.pem "${crls[@]}"
            grep -q "digest: *INVALID" "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "digest not INVALID"; } ;;
        esac
    done
done
# The HPKI signer's role is in the report.
"$KAZASU" verify-signature hpki.p7s --trust $P/hpki-root.pem --tsa-trust $P/tsa-root.pem \
    --crl $P/hpki-sign-ca-crl.pem --crl $P/hpki-sarl.pem --crl $P/hpki-rarl.pem --json >report.json
grep -q '"Medical Doctor"' report.json || { cat report.json; fail "no hcRole in the report"; }

echo "judges-cms: B-LT with an OCSP answer (kazasu ocsp serve), verified offline by kazasu and by openssl"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$KAZASU" ocsp serve --port "$PORT" --pki jpki >ocsp.out 2>ocsp.err &
OCSP_PID=$!
trap 'kill $OCSP_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
done
echo ABC123 | "$KAZASU" sign --pin-stdin --in letter.txt --out lt-ocsp.p7s --tsa-local --embed-validation \
    --ocsp "http://127.0.0.1:$PORT/" 2>/dev/null || fail "kazasu sign --embed-validation --ocsp"
kill $OCSP_PID 2>/dev/null || true
wait $OCSP_PID 2>/dev/null || true
# No CRL given and the responder gone: the embedded answers decide.
expect_exit 0 "$KAZASU" verify-signature lt-ocsp.p7s --content letter.txt --trust $P/sign-root-2023.pem \
    --tsa-trust $P/tsa-root.pem --json
grep -q '"level": "B-LT"' "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "not reported B-LT"; }
openssl cms -verify -binary -inform DER -in lt-ocsp.p7s -content letter.txt -CAfile $P/sign-root-2023.pem \
    -purpose any -out /dev/null 2>/dev/null || fail "openssl refuses the B-LT signature"

echo "judges-cms: kazasu on openssl cms -sign -cades"
openssl cms -sign -binary -cades -md sha256 -in letter.txt -signer $P/sign.pem -inkey $P/sign-key.pem \
    -outform DER -out openssl.p7s
expect_exit 0 "$KAZASU" verify-signature openssl.p7s --content letter.txt --trust $P/sign-root-2023.pem --crl $P/sign-crl.pem
expect_exit 1 "$KAZASU" verify-signature openssl.p7s --content letter-changed.txt --trust $P/sign-root-2023.pem --crl $P/sign-crl.pem
openssl cms -sign -binary -cades -md sha256 -nodetach -in letter.txt -signer $P/hpki-sign.pem \
    -inkey $P/hpki-sign-key.pem -certfile $P/hpki-sign-ca.pem -outform DER -out openssl-hpki.p7s
expect_exit 0 "$KAZASU" verify-signature openssl-hpki.p7s --trust $P/hpki-root.pem \
    --crl $P/hpki-sign-ca-crl.pem --crl $P/hpki-sarl.pem --crl $P/hpki-rarl.pem
# Without signingCertificateV2 (plain CMS) the signer is not bound: refused.
openssl cms -sign -binary -md sha256 -in letter.txt -signer $P/sign.pem -inkey $P/sign-key.pem \
    -outform DER -out plain.p7s
expect_exit 1 "$KAZASU" verify-signature plain.p7s --content letter.txt --trust $P/sign-root-2023.pem --crl $P/sign-crl.pem
grep -q "signingCertificateV2" "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "the missing attribute is not named"; }

echo "judges-cms: openssl ts and kazasu's test TSA, both ways"
openssl ts -query -data letter.txt -sha256 -cert -out q.tsq 2>/dev/null
"$KAZASU" tsa reply --query q.tsq --out kazasu.tsr
openssl ts -verify -queryfile q.tsq -in kazasu.tsr -CAfile $P/tsa-root.pem >/dev/null 2>&1 ||
    fail "openssl ts -verify refuses the test TSA's answer"
openssl ts -verify -data letter.txt -in kazasu.tsr -CAfile $P/tsa-root.pem >/dev/null 2>&1 ||
    fail "openssl ts -verify -data refuses the test TSA's answer"
cat >tsa.cnf <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = $WORK/tsaserial
crypto_device = builtin
signer_cert = $WORK/$P/tsa.pem
signer_key = $WORK/$P/tsa-key.pem
certs = $WORK/$P/tsa.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256, sha384
accuracy = secs:1, millisecs:500
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_alg = sha256
ess_cert_id_chain = no
CNF
echo 01 >tsaserial
openssl ts -reply -config tsa.cnf -queryfile q.tsq -out openssl.tsr 2>/dev/null
expect_exit 0 "$KAZASU" tsa verify --in openssl.tsr --data letter.txt --tsa-trust $P/tsa-root.pem
expect_exit 1 "$KAZASU" tsa verify --in openssl.tsr --data letter-changed.txt --tsa-trust $P/tsa-root.pem
grep -q "imprint" "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "the imprint mismatch is not named"; }
# Trusting another root: not VALID.
expect_exit 1 "$KAZASU" tsa verify --in openssl.tsr --data letter.txt --tsa-trust $P/hpki-root.pem
echo "judges-cms: passed"
