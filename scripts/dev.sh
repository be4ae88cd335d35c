#!/usr/bin/env bash
# scripts/dev.sh — run the gonghui service locally with demo data.
#
#   scripts/dev.sh [extra args for `gonghui serve`]
#
# 1. Finds or starts PostgreSQL (scripts/pg.sh).
# 2. Unless GONGHUI_DATABASE_URL is set, uses database `gonghui_dev` on that
#    server (created if missing).
# 3. Builds the binary, runs migrations, loads demo data (seed-demo prints the
#    admin credentials), then replaces itself with `gonghui serve`.
#
# Environment (all optional):
#   GONGHUI_DATABASE_URL  database to use (default: <admin server>/gonghui_dev)
#   GONGHUI_DEV           default 1: the binary generates dev signing/encryption
#                         keys when none are configured. Never use in production.
#   GONGHUI_PORT          port to listen on (default 8080)
#   GONGHUI_BIND          listen address (default 127.0.0.1:$GONGHUI_PORT)
#   CARGO_TARGET_DIR      cargo's target dir (default target)
#   GONGHUI_PG_MODE, GONGHUI_PG_PORT — see scripts/pg.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
ensure_postgres

if [[ -z "${GONGHUI_DATABASE_URL:-}" ]]; then
    GONGHUI_DATABASE_URL="$(pg_url_with_db "$GONGHUI_PG_ADMIN_URL" gonghui_dev)"
    pg_create_db gonghui_dev
fi
export GONGHUI_DATABASE_URL
export GONGHUI_DEV="${GONGHUI_DEV:-1}"
export GONGHUI_BIND="${GONGHUI_BIND:-127.0.0.1:${GONGHUI_PORT:-8080}}"

# cargo itself honours CARGO_TARGET_DIR; we only need it to find the binary.
cargo build --bin gonghui
bin="${CARGO_TARGET_DIR:-target}/debug/gonghui"

"$bin" migrate
"$bin" seed-demo

# Docs URL: the port comes from GONGHUI_BIND (which defaults to GONGHUI_PORT).
port="${GONGHUI_BIND##*:}"
echo "dev.sh: API docs at http://127.0.0.1:${port}/docs/" >&2

exec "$bin" serve "$@"
