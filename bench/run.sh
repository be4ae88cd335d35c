#!/usr/bin/env bash
# bench/run.sh — load benchmark of the release build against the demo union.
#
#   bench/run.sh [duration_seconds]      (default 10 per scenario)
#
# Starts PostgreSQL (scripts/pg.sh), builds the release binary, loads the demo data into
# database `gonghui_bench`, starts the server on 127.0.0.1:18080 and drives it with wrk
# (2 threads, 32 connections). Every scenario is reported as requests/s, p50/p99 latency,
# and its ratio to the /healthz baseline measured in the same run on the same machine, so
# numbers from different machines compare by ratio, not by absolute value. Also records
# start-up time and resident memory idle and after load. Results: bench/results/<date>.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration="${1:-10}"
port=18080
if ! command -v wrk >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y wrk >/dev/null
    else
        echo "bench: wrk is missing; install it with: sudo apt-get install -y wrk" >&2
        exit 1
    fi
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
ensure_postgres
pg_create_db gonghui_bench
export GONGHUI_DATABASE_URL
GONGHUI_DATABASE_URL="$(pg_url_with_db "$GONGHUI_PG_ADMIN_URL" gonghui_bench)"
export GONGHUI_DEV=1 GONGHUI_BIND="127.0.0.1:$port" GONGHUI_LOG=warn
# Login throttling would refuse the benchmark's single login only after failures; keep defaults.

cargo build --release --bin gonghui >&2
bin="${CARGO_TARGET_DIR:-target}/release/gonghui"
seed_out=$("$bin" seed-demo)
password=$(awk '/^administrator/ {print $NF}' <<<"$seed_out")

start_ns=$(date +%s%N)
"$bin" serve &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
idle_rss=$(rss_kb)

token=$(curl -sf "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
member_id=$(curl -sf "http://127.0.0.1:$port/api/v1/members?per_page=1" -H "authorization: Bearer $token" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["items"][0]["id"])')

mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "# gonghui benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk -t2 -c32 -d${duration}s; release build; demo data (5,120 members)."
    echo "Start-up to first /healthz: ${startup_ms} ms. Idle RSS: $((idle_rss / 1024)) MiB."
    echo
    echo "| scenario | req/s | p50 ms | p99 ms | ratio to /healthz |"
    echo "|---|---:|---:|---:|---:|"
} >"$out"

baseline=""
scenario() {
    local name="$1" path="$2" auth="${3:-}"
    local args=(-t2 -c32 "-d${duration}s" --latency)
    [[ -n "$auth" ]] && args+=(-H "Authorization: Bearer $token")
    local report rps p50 p99
    report=$(wrk "${args[@]}" "http://127.0.0.1:$port$path")
    if grep -q "Non-2xx" <<<"$report"; then
        echo "bench: $name answered non-2xx responses:" >&2
        echo "$report" >&2
        exit 1
    fi
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
    [[ -z "$baseline" ]] && baseline="$rps"
    ratio=$(awk -v a="$rps" -v b="$baseline" 'BEGIN { printf "%.3f", a / b }')
    echo "| $name | $rps | $p50 | $p99 | $ratio |" >>"$out"
    echo "bench: $name: $rps req/s (ratio $ratio)" >&2
}

scenario "GET /healthz (baseline: no auth, no db)" "/healthz"
scenario "GET /readyz (one db round trip)" "/readyz"
scenario "GET /api/v1/me (token + principal load)" "/api/v1/me" auth
scenario "GET /api/v1/members?per_page=20" "/api/v1/members?per_page=20" auth
scenario "GET /api/v1/members?gender=female&unit_id=2" "/api/v1/members?gender=female&unit_id=2" auth
scenario "GET /api/v1/members?q=zs (pinyin initials)" "/api/v1/members?q=zs" auth
scenario "GET /api/v1/members/{id}" "/api/v1/members/$member_id" auth
scenario "GET /api/v1/units/tree" "/api/v1/units/tree" auth
scenario "GET /api/v1/proposals?per_page=20 (visibility filter)" "/api/v1/proposals?per_page=20" auth
scenario "GET /api/v1/proposals/public" "/api/v1/proposals/public" auth
scenario "GET /api/v1/reports/democracy?year=2023" "/api/v1/reports/democracy?year=2023" auth

echo >>"$out"
echo "RSS after load: $(( $(rss_kb) / 1024 )) MiB." >>"$out"
cat "$out"
