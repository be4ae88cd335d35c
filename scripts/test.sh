#!/usr/bin/env bash
# scripts/test.sh — run every check: formatting, clippy, the test suite, then schemathesis
# over every operation of the OpenAPI spec (scripts/fuzz.sh).
#
#   scripts/test.sh [extra args for the test runner]
#   e.g. scripts/test.sh members::     (filter: the fuzz step is skipped)
#   FUZZ=0 scripts/test.sh              (no fuzz step)
#
# The tests need PostgreSQL: scripts/pg.sh finds or starts one and the test
# harness creates its template and per-test databases on
# GONGHUI_TEST_DATABASE_URL (an admin URL allowing CREATE DATABASE).
# Uses cargo-nextest when installed, else `cargo test`. Never runs cargo clean.
#
# The fuzz step (about 5 minutes; see scripts/fuzz.sh and notes/fuzz-findings.md) runs the
# debug binary the test build made, creates its Python virtualenv under target/ on first
# use (pip needs PyPI), and fails on any schemathesis failure. It runs when no test filter
# is given and FUZZ is not 0.
#
# Environment: GONGHUI_DATABASE_URL, GONGHUI_PG_MODE, GONGHUI_PG_PORT (see
# scripts/pg.sh); FUZZ=0 skips the fuzz step, FUZZ_* tune it (scripts/fuzz.sh);
# CI=true prints tool versions.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# step NAME CMD... — run CMD, print its elapsed time; abort on failure.
step() {
    local name="$1" start end elapsed status=0
    shift
    echo "==> $name: $*" >&2
    start=$(date +%s.%N)
    "$@" || status=$?
    end=$(date +%s.%N)
    elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    if [[ $status -ne 0 ]]; then
        echo "<== $name FAILED (exit $status) after ${elapsed}s" >&2
        exit "$status"
    fi
    echo "<== $name ok in ${elapsed}s" >&2
}

total_start=$(date +%s.%N)

if [[ "${CI:-}" == "true" ]]; then
    cargo --version
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
step postgres ensure_postgres
export GONGHUI_TEST_DATABASE_URL="$GONGHUI_PG_ADMIN_URL"

step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets -- -D warnings

# No doc tests in this crate, so nextest alone covers everything.
if cargo nextest --version >/dev/null 2>&1; then
    step tests cargo nextest run --no-fail-fast "$@"
else
    step tests cargo test "$@"
fi

# The integration tests made cargo build the binary (target/debug/gonghui) from this source:
# the fuzz step uses it. (`cargo build --bin` would build every dependency again, without the
# features dev-dependencies turn on.)
if [[ "${FUZZ:-1}" == "0" ]]; then
    echo "==> fuzz: skipped (FUZZ=0)" >&2
elif [[ $# -gt 0 ]]; then
    echo "==> fuzz: skipped (a test filter was given: $*)" >&2
else
    bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/gonghui"
    if [[ -x "$bin" ]]; then
        step fuzz env GONGHUI_BIN="$bin" scripts/fuzz.sh
    else
        step fuzz scripts/fuzz.sh
    fi
fi

total_end=$(date +%s.%N)
echo "==> all checks passed in $(awk -v s="$total_start" -v e="$total_end" 'BEGIN { printf "%.1f", e - s }')s" >&2
