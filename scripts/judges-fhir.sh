#!/usr/bin/env bash
# An independent FHIR R4 model judges the Consent resources `kazasu consent export` writes.
#
# Usage: scripts/judges-fhir.sh [path/to/kazasu]
#
# The model: the `fhir.resources` package from PyPI, version 6.1.0, whose top-level modules are
# FHIR 4.0.1 (R4; later versions moved the top level to R4B 4.3.0 and then R5), on pydantic 1.10.
# It is installed into a throw-away virtualenv in a temporary directory. A test network ledger gets
# consents signed with the virtual card (a listed set, all members, one withdrawn, a representative
# for a child); every exported resource must validate as an R4 `Consent`, and deliberately broken
# copies (no scope, a provision actor without its role) must be refused.
set -euo pipefail
cd "$(dirname "$0")/.."
KAZASU=${1:-}
if [ -z "$KAZASU" ]; then
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    cargo build -q --locked -p kazasu-cli --bin kazasu
    KAZASU="$TARGET_DIR/debug/kazasu"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kazasu-judges-fhir.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "judges-fhir: FAIL: $*" >&2; exit 1; }

echo "judges: FHIR R4 Consent with fhir.resources 6.1.0 (FHIR 4.0.1)"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "fhir.resources==6.1.0" "pydantic==1.10.27" >"$WORK/pip.log" 2>&1 ||
    { cat "$WORK/pip.log"; fail "cannot install fhir.resources"; }

L="$WORK/ledger.db"
AT=2026-11-26T10:00:00+09:00
LATER=2026-11-26T11:00:00+09:00
grant() { echo ABC123 | "$KAZASU" consent grant --ledger "$L" --pin-stdin --at "$AT" "$@" >>"$WORK/cli.log" 2>&1 ||
    { cat "$WORK/cli.log"; fail "kazasu consent grant $*"; }; }
grant --patient p1 --id listed-1 --pattern listed --facility 1310000019 --clinician hpki-dr-1 --network net-kinki
grant --patient p1 --id all-1 --pattern all-members --class medication,check-ups,images --purpose TREAT,ETREAT
grant --patient p1 --id withdrawn-1 --pattern per-facility --facility 1311111111
echo ABC123 | "$KAZASU" consent withdraw --ledger "$L" --pin-stdin --at "$LATER" --patient p1 --id withdrawn-1 \
    >>"$WORK/cli.log" 2>&1 || { cat "$WORK/cli.log"; fail "kazasu consent withdraw"; }
grant --patient child-1 --id child-1 --pattern listed --facility 1310000019 \
    --for-child-born 2015-04-01 --child-jpki 0a1b2c:0123 --relationship PRN
"$KAZASU" consent export --ledger "$L" --at "$LATER" --patient p1 --out-dir "$WORK/fhir/p1" >/dev/null
"$KAZASU" consent export --ledger "$L" --at "$LATER" --patient child-1 --out-dir "$WORK/fhir/child" >/dev/null
"$KAZASU" consent audit --ledger "$L" --at "$LATER" >/dev/null || fail "the ledger does not audit clean"

"$WORK/venv/bin/python" - "$WORK/fhir" <<'PY' || fail "fhir.resources refuses a Consent kazasu exported (or accepts a broken one)"
import copy, json, pathlib, sys
import fhir.resources
from fhir.resources.consent import Consent

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.json"))
assert len(files) == 4, files
statuses = set()
for f in files:
    data = json.loads(f.read_text())
    consent = Consent.parse_obj(data)
    assert consent.scope.coding[0].code == "patient-privacy"
    assert consent.sourceAttachment.data, f
    statuses.add(consent.status)
    print(f"judges-fhir: {f.name} valid R4 Consent ({consent.status})")
assert statuses == {"active", "inactive"}, statuses

def refused(data, what):
    try:
        Consent.parse_obj(data)
    except Exception:
        print(f"judges-fhir: a Consent {what} is refused")
        return
    raise SystemExit(f"a Consent {what} was accepted")

sample = json.loads(files[0].read_text())
broken = copy.deepcopy(sample); del broken["scope"]
refused(broken, "without scope")
broken = copy.deepcopy(sample)
broken["provision"]["actor"] = [{"reference": {"display": "someone"}}]
refused(broken, "whose provision actor has no role")
broken = copy.deepcopy(sample); broken["dateTime"] = "26/11/2026"
refused(broken, "with a malformed dateTime")
PY
echo "judges-fhir: passed"
