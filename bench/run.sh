#!/usr/bin/env bash
# bench/run.sh — load benchmark of the release build against the demo union, and against the
# stack's floor measured in the same run.
#
#   bench/run.sh [duration_seconds]      (default 10 per scenario)
#
# Starts PostgreSQL (scripts/pg.sh), builds the release binary and the bare baseline
# (bench/baseline: actix-web + diesel-async + deadpool, same versions, no middleware, no auth),
# loads the demo data into database `gonghui_bench`, starts gonghui on 127.0.0.1:18080 and the
# baseline on 127.0.0.1:18081 against the same database, and measures:
#   1. closed loop (wrk -t2 -c32): every gonghui scenario as req/s and p50/p99, its ratio to
#      gonghui's /healthz, and — for the member reads — its ratio to the bare route serving the
#      same SQL, measured right after it;
#   2. the database alone: pgbench -c16 -j2 -M prepared with the same SQL (bench/pgbench/*.sql);
#   3. open loop (oha -q RATE --latency-correction): GET /api/v1/members/{id} (authenticated)
#      and the bare /members/{id}, offered at 50% of the bare route's closed-loop peak;
#   4. start-up time and resident memory (idle and after load).
# Ratios compare across machines and runs; absolute numbers do not. Results:
# bench/results/<timestamp>.md (git-ignored).
#
# Environment:
#   GONGHUI_BIN   a prebuilt gonghui binary to measure (skips `cargo build --release`)
#   BASELINE_BIN  a prebuilt baseline binary (skips its build; default target dir
#                 target/bench-baseline)
#   CARGO_BUILD_JOBS, CARGO_TARGET_DIR  honoured by the builds as usual
# Tools: wrk (apt-get when missing), oha (`cargo install oha --locked` when missing; slow,
# once), pgbench (comes with PostgreSQL).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration="${1:-10}"
port=18080
bare_port=18081
wrk_args=(-t2 -c32 "-d${duration}s" --latency)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { echo "bench: $*" >&2; }

if ! command -v wrk >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y wrk >/dev/null
    else
        log "wrk is missing; install it with: sudo apt-get install -y wrk"
        exit 1
    fi
fi
if ! command -v oha >/dev/null; then
    log "oha is missing; installing it with cargo install oha --locked (a few minutes, once)"
    cargo install oha --locked >&2 || log "oha did not install: the open-loop measurement is skipped"
fi
pgbench=$(command -v pgbench || find /usr/lib/postgresql -path '*/bin/pgbench' 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n "$pgbench" ]] || log "pgbench not found: the database-only column is skipped"

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
ensure_postgres
pg_create_db gonghui_bench
export GONGHUI_DATABASE_URL
GONGHUI_DATABASE_URL="$(pg_url_with_db "$GONGHUI_PG_ADMIN_URL" gonghui_bench)"
export GONGHUI_DEV=1 GONGHUI_BIND="127.0.0.1:$port" GONGHUI_LOG=warn
# Login throttling would refuse the benchmark's single login only after failures; keep defaults.

if [[ -n "${GONGHUI_BIN:-}" ]]; then
    bin="$GONGHUI_BIN"
    log "measuring the prebuilt $bin"
else
    cargo build --release --bin gonghui >&2
    bin="${CARGO_TARGET_DIR:-target}/release/gonghui"
fi
if [[ -n "${BASELINE_BIN:-}" ]]; then
    bare_bin="$BASELINE_BIN"
else
    # Its own target dir (under the ignored target/): its dependency set differs from gonghui's.
    CARGO_TARGET_DIR=target/bench-baseline cargo build --release --manifest-path bench/baseline/Cargo.toml >&2
    bare_bin=target/bench-baseline/release/gonghui-bench-baseline
fi
for p in $port $bare_port; do
    if curl -s -o /dev/null "http://127.0.0.1:$p/"; then
        log "port $p is already taken by another server; stop it first"
        exit 1
    fi
done
seed_out=$("$bin" seed-demo)
password=$(awk '/^administrator/ {print $NF}' <<<"$seed_out")

start_ns=$(date +%s%N)
"$bin" serve &
server=$!
BASELINE_DATABASE_URL="$GONGHUI_DATABASE_URL" BASELINE_BIND="127.0.0.1:$bare_port" "$bare_bin" &
bare=$!
trap 'kill $server $bare 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
until curl -sf "http://127.0.0.1:$bare_port/healthz" >/dev/null; do sleep 0.05; done
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
sleep 1 # let both settle before the idle reading
idle_rss=$(rss_kb $server)
bare_idle_rss=$(rss_kb $bare)

token=$(curl -sf "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
member_id=$(curl -sf "http://127.0.0.1:$port/api/v1/members?per_page=1" -H "authorization: Bearer $token" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["items"][0]["id"])')
read -r min_id max_id < <("$(_gonghui_psql)" -X -w -At -F ' ' "$GONGHUI_DATABASE_URL" -c 'SELECT min(id), max(id) FROM members')
# The bare routes must answer what gonghui answers (same rows), or the ratio means nothing.
check_same() {
    local ours="$1" bare="$2"
    local a b
    a=$(curl -sf "http://127.0.0.1:$port$ours" -H "authorization: Bearer $token" | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d.get("total"), [m["id"] for m in d.get("items", [d])])')
    b=$(curl -sf "http://127.0.0.1:$bare_port$bare" | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d.get("total"), [m["id"] for m in d.get("items", [d])])')
    if [[ "$a" != "$b" ]]; then
        log "$ours and the bare $bare disagree: $a vs $b"
        exit 1
    fi
}
check_same "/api/v1/members/$member_id" "/members/$member_id"
check_same "/api/v1/members?per_page=20" "/members?page=1&per_page=20"
check_same "/api/v1/members?q=zs" "/members?q=zs"

# wrk_run URL [auth] — sets rps, p50, p99.
rps="" p50="" p99=""
wrk_run() {
    local url="$1" auth="${2:-}" report args=("${wrk_args[@]}")
    [[ -n "$auth" ]] && args+=(-H "Authorization: Bearer $token")
    report=$(wrk "${args[@]}" "$url")
    if grep -q "Non-2xx" <<<"$report"; then
        log "$url answered non-2xx responses:"
        echo "$report" >&2
        exit 1
    fi
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$report")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$report")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$report")
}

# pgbench_run SCRIPT [-D var=value ...] — prints transactions/s (one transaction = one request's SQL).
pgbench_run() {
    local script="$1"
    shift
    [[ -n "$pgbench" ]] || { echo "—"; return; }
    "$pgbench" -n -M prepared -c 16 -j 2 -T "$duration" "$@" -f "bench/pgbench/$script" "$GONGHUI_DATABASE_URL" 2>/dev/null \
        | awk '/^tps = / {printf "%.0f", $3}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.3f", a / b; else print "—" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "—") print "—"; else if (r + 0 >= t) printf "≥ %s: met", t; else printf "≥ %s: **missed**", t }'; }

healthz_rps=""
rows=()      # closed-loop rows of gonghui
floor_rows=() # the bare routes and pgbench
declare -A bare_rps_of=()

# scenario NAME PATH [auth] [BARE_PATH BARE_KEY TARGET PGBENCH_SCRIPT PGBENCH_ARGS...]
# Runs gonghui's route, then (when given) the bare route right after it, then pgbench.
scenario() {
    local name="$1" path="$2" auth="${3:-}" bare_path="${4:-}" bare_key="${5:-}" target="${6:-}" script="${7:-}"
    shift $(( $# < 7 ? $# : 7 ))
    wrk_run "http://127.0.0.1:$port$path" "$auth"
    local g_rps="$rps" g_p50="$p50" g_p99="$p99"
    [[ -z "$healthz_rps" ]] && healthz_rps="$g_rps"
    local to_healthz to_bare="—" check="—"
    to_healthz=$(ratio "$g_rps" "$healthz_rps")
    if [[ -n "$bare_path" ]]; then
        if [[ -z "${bare_rps_of[$bare_key]:-}" ]]; then
            wrk_run "http://127.0.0.1:$bare_port$bare_path"
            bare_rps_of[$bare_key]="$rps"
            local tps="—"
            [[ -n "$script" ]] && tps=$(pgbench_run "$script" "$@")
            floor_rows+=("| bare $bare_path | $rps | $p50 | $p99 | ${tps:-—} | $(ratio "$rps" "${tps:-0}") |")
            log "bare $bare_path: $rps req/s${script:+; pgbench $script: ${tps:-—} tps}"
        fi
        to_bare=$(ratio "$g_rps" "${bare_rps_of[$bare_key]}")
        [[ -n "$target" ]] && check=$(verdict "$to_bare" "$target")
    fi
    rows+=("| $name | $g_rps | $g_p50 | $g_p99 | $to_healthz | $to_bare | $check |")
    log "$name: $g_rps req/s (ratio to /healthz $to_healthz, to bare $to_bare)"
}

scenario "GET /healthz (baseline: no auth, no db)" "/healthz" "" "/healthz" healthz ""
scenario "GET /readyz (one db round trip)" "/readyz"
scenario "GET /api/v1/me (token + principal load)" "/api/v1/me" auth
scenario "GET /api/v1/members/{id}" "/api/v1/members/$member_id" auth \
    "/members/$member_id" member 0.8 member.sql -D "min_id=$min_id" -D "max_id=$max_id"
scenario "GET /api/v1/members?per_page=20" "/api/v1/members?per_page=20" auth \
    "/members?page=1&per_page=20" page 0.5 members_page.sql
scenario "GET /api/v1/members?gender=female&unit_id=2 (vs the bare unfiltered page)" "/api/v1/members?gender=female&unit_id=2" auth \
    "/members?page=1&per_page=20" page 0.5
scenario "GET /api/v1/members?q=zs (pinyin initials)" "/api/v1/members?q=zs" auth \
    "/members?q=zs" search 0.5 members_search.sql -D "prefix=zs%" -D "contains=%zs%"
scenario "GET /api/v1/units/tree" "/api/v1/units/tree" auth
scenario "GET /api/v1/proposals?per_page=20 (visibility filter)" "/api/v1/proposals?per_page=20" auth
scenario "GET /api/v1/proposals/public" "/api/v1/proposals/public" auth
scenario "GET /api/v1/reports/democracy?year=2023" "/api/v1/reports/democracy?year=2023" auth

# Open loop: a fixed offered rate, latency measured from when each request was due
# (coordinated-omission correction), at half the bare route's closed-loop peak.
open_rows=()
open_rate=$(awk -v r="${bare_rps_of[member]}" 'BEGIN { printf "%d", r / 2 }')
open_loop() {
    local name="$1" url="$2" auth="${3:-}" args json
    args=(-z "${duration}s" -q "$open_rate" -c 32 --latency-correction --no-tui --output-format json)
    [[ -n "$auth" ]] && args+=(-H "Authorization: Bearer $token")
    if ! json=$(oha "${args[@]}" "$url" 2>/dev/null); then
        log "oha failed on $url"
        open_rows+=("| $name | $open_rate | failed | | | |")
        return
    fi
    open_rows+=("$(python3 -c '
import json, sys
d = json.loads(sys.argv[1]); name, rate = sys.argv[2], sys.argv[3]
s = d["summary"]; p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
# Requests still in flight when -z ends are "aborted due to deadline": not failures.
errors = {e: n for e, n in d.get("errorDistribution", {}).items() if e != "aborted due to deadline"}
bad = sum(n for c, n in codes.items() if not c.startswith("2")) + sum(errors.values())
p99 = p["p99"] * 1000
print("| %s | %s | %.0f | %.2f | %.2f | %s | %s |" % (name, rate, s["requestsPerSec"], p["p50"] * 1000, p99, bad,
      "met" if p99 < 20 and bad == 0 else "**missed**"))
' "$json" "$name" "$open_rate")")
    log "open loop $name at $open_rate/s: ${open_rows[-1]}"
}
if command -v oha >/dev/null && [[ "$open_rate" -gt 0 ]]; then
    open_loop "GET /api/v1/members/{id} (authenticated)" "http://127.0.0.1:$port/api/v1/members/$member_id" auth
    open_loop "bare GET /members/{id}" "http://127.0.0.1:$bare_port/members/$member_id"
fi

after_rss=$(rss_kb $server)
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB (%.0f MB)", k / 1024, k * 1.024 / 1000 }'; }
{
    echo "# gonghui benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk -t2 -c32 -d${duration}s; release builds; demo data (5,120 members); load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo "Start-up to first /healthz: ${startup_ms} ms. Idle RSS: $(mib "$idle_rss") — target < 50 MB: $(awk -v k="$idle_rss" 'BEGIN { print (k * 1.024 < 50000) ? "met" : "**missed**" }'). After the load: $(mib "$after_rss"). Bare baseline idle: $(mib "$bare_idle_rss")."
    echo
    echo "## Closed loop: gonghui, with its ratio to its own /healthz and to the bare route of the same SQL"
    echo
    echo "| scenario | req/s | p50 | p99 | ratio to /healthz | ratio to bare | target |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "## The floor: bare routes (same stack, no middleware, no auth) and pgbench with the same SQL"
    echo
    echo "pgbench -n -M prepared -c 16 -j 2 -T ${duration}; one transaction = the SQL of one request (bench/pgbench/); member ids at random."
    echo
    echo "| bare route | req/s | p50 | p99 | pgbench tps (same SQL) | bare / pgbench |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${floor_rows[@]}"
    echo
    echo "## Open loop: oha -q ${open_rate} (50% of the bare /members/{id} peak) -c 32 --latency-correction -z ${duration}s"
    echo
    if ((${#open_rows[@]})); then
        echo "| route | offered req/s | achieved req/s | p50 ms | p99 ms | non-2xx or errors | p99 < 20 ms |"
        echo "|---|---:|---:|---:|---:|---:|---|"
        printf '%s\n' "${open_rows[@]}"
    else
        echo "Skipped: oha is not installed."
    fi
} >"$out"
cat "$out"
