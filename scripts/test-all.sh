#!/usr/bin/env bash
# The whole test suite, as CI runs it: ./scripts/test-all.sh
# Installs what it needs (Debian packages, cargo-deny, cargo-fuzz), starts and stops its own pcscd.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-5}

stage() { printf '\n=== %s ===\n' "$*"; }

need_pkgs=()
for p in pcscd libpcsclite-dev vsmartcard-vpcd opensc pkgconf openssl libxml2-utils curl; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
    stage "installing ${need_pkgs[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
command -v cargo-deny >/dev/null || { stage "installing cargo-deny"; cargo install --locked cargo-deny; }
command -v cargo-fuzz >/dev/null || { stage "installing cargo-fuzz"; cargo install --locked cargo-fuzz; }

stage "rustfmt"
cargo fmt --all --check

stage "clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

stage "rustdoc (every crate, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked -q

stage "tests (workspace, all features)"
# kazasu-pcsc's integration tests talk to a real pcscd; only scripts/pcsc-e2e.sh runs them (below),
# with pcscd up and its vpcd readers free. Its unit tests and doctests need no pcscd and run here.
# kazasu-postgres's feature postgres-tests needs a live PostgreSQL: scripts/test-postgres.sh starts a
# throw-away cluster and runs that crate's tests (SQLite and PostgreSQL) against it.
cargo test --workspace --all-features --locked --exclude kazasu-pcsc --exclude kazasu-postgres
scripts/test-postgres.sh
cargo test -p kazasu-pcsc --all-features --locked --lib
cargo test -p kazasu-pcsc --all-features --locked --doc

stage "the facade's default features pull neither the virtual card nor SQLite"
if cargo tree -p kazasu -e normal --prefix none --locked | grep -E '^(kazasu-virtual-card|libsqlite3-sys|rusqlite) '; then
    echo "kazasu's default features pull a test double or a bundled database"; exit 1
fi

stage "a downstream crate's first hour (examples/downstream): one dependency, three jobs"
deps=$(cargo tree -p kazasu-downstream-example -e normal --depth 1 --prefix none --locked | tail -n +2 | sort -u)
[ "$deps" = "kazasu v0.1.0 ($ROOT)" ] || { echo "examples/downstream needs more than kazasu: $deps"; exit 1; }
cargo run -q -p kazasu-downstream-example --locked

stage "benches build"
cargo bench --workspace --all-features --locked --no-run

if [ -x scripts/pcsc-e2e.sh ]; then
    stage "PC/SC end to end (pcscd + vpcd)"
    scripts/pcsc-e2e.sh
fi

stage "kazasu serve end to end: SQLite; two instances on a throw-away PostgreSQL, one killed mid-load; load figures"
scripts/serve-e2e.sh

stage "independent judges (openssl on the HPKI chain, xmllint on the オン資 files)"
scripts/judges.sh

stage "fuzz (${FUZZ_SECONDS}s per target)"
export RUSTC_BOOTSTRAP=1
(cd fuzz && cargo fuzz build -O >/dev/null 2>&1 || cargo fuzz build -O)
for t in $(cd fuzz && cargo fuzz list); do
    mkdir -p "fuzz/corpus/$t"
    if [ -d "fuzz/seeds/$t" ]; then cp -n fuzz/seeds/"$t"/* "fuzz/corpus/$t/" 2>/dev/null || true; fi
    (cd fuzz && cargo fuzz run -O "$t" -- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 2>&1 | tail -n 2)
done
unset RUSTC_BOOTSTRAP

stage "cargo package (every crate, verified against its packaged dependencies)"
# Packaging verifies through a temporary registry whose unpacked crates cargo caches by version:
# drop earlier copies of ours so the check sees today's sources.
# Registry-sourced builds count as immutable, so an earlier run's artifacts of the same version would
# be reused: clean ours first.
rm -rf "${CARGO_TARGET_DIR:-target}/package"
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/kazasu-*
for c in kazasu-types kazasu-apdu kazasu-cvc kazasu-virtual-card kazasu-card kazasu-pki kazasu-auth kazasu-sign kazasu-health kazasu-consent kazasu-postgres kazasu-onshi kazasu-pcsc kazasu-serve kazasu-cli; do
    cargo clean -q -p "$c" 2>/dev/null || true
done
cargo package --workspace --locked --allow-dirty >/dev/null 2>"${TMPDIR:-/tmp}/kazasu-package.log" || { cat "${TMPDIR:-/tmp}/kazasu-package.log"; exit 1; }

stage "cargo deny"
cargo deny check licenses bans sources

stage "all stages passed"
