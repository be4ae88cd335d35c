#!/usr/bin/env bash
# scripts/fuzz.sh — fuzz every operation of the OpenAPI spec with schemathesis, as a member
# and as the union administrator, against a freshly seeded demo database.
#
#   scripts/fuzz.sh                       # both roles, defaults below
#   FUZZ_ROLES=admin scripts/fuzz.sh      # one role
#   GONGHUI_BIN=/path/to/gonghui scripts/fuzz.sh   # use a prebuilt binary (no cargo build)
#
# 1. A Python >= 3.12 virtualenv under target/st-venv with a pinned schemathesis (created once,
#    reused while the pin matches; the first run needs PyPI). Under Python 3.11 schemathesis' coverage phase can crash
#    (`SystemError: AST constructor recursion depth mismatch`, ../shared/design/PITFALLS.md):
#    with no 3.12+ interpreter the script falls back to 3.9–3.11 and skips that phase, saying so.
# 2. Builds the debug binary unless GONGHUI_BIN names one (scripts/test.sh, which runs this
#    script as its last step, passes the one its test build made), finds or starts PostgreSQL (scripts/pg.sh), recreates database
#    `gonghui_fuzz`, runs `migrate` and `seed-demo`, starts `serve` on a free loopback port
#    (GONGHUI_DEV=1; login-failure limits raised so that /auth/login is fuzzed, not throttled).
# 3. Logs in as the demo administrator (`admin`, password printed by seed-demo) and creates a
#    member account (POST /users with a member_id and no grants: an account bound to a member
#    acts as that member) for a formal delegate of the demo congress, then logs in as it.
#    Both logins happen before any fuzzing. Access tokens live 3600 s here
#    (GONGHUI_ACCESS_TOKEN_TTL_SECS), longer than both runs.
# 4. Runs `schemathesis run` over every operation once per token, member first (the admin run
#    may disable or delete the member's account or mark its member as left), with
#    `--checks all`, a fixed seed and `--continue-on-failure` (every failing case of an
#    operation is reported, not only the first), the settings of scripts/fuzz/schemathesis.toml
#    (412 is an accepted answer; no timing health check) and the hooks of
#    scripts/fuzz/hooks.py (fresh UUIDs for valid Idempotency-Keys; the 422s of rules no JSON
#    Schema can state accepted field by field, each logged to target/fuzz/<role>-accepted.tsv).
#    notes/fuzz-findings.md records the decisions. Reports: target/fuzz/<role>/ (JUnit XML and
#    NDJSON events), target/fuzz/<role>.txt (console output), target/fuzz/<role>-failures.tsv
#    (one line per distinct failure: check, operation, status, problem code and fields) and
#    target/fuzz/summary.txt (cases and failing cases per check); server log:
#    target/fuzz/server.log.
#    After each run GET /api/v1/me must still answer 200 for that token, else the run's
#    results are suspect and the script fails.
# Exit status: non-zero when schemathesis reports any failure (or a step fails).
#
# Environment (all optional):
#   GONGHUI_BIN          prebuilt gonghui binary (skips cargo build)
#   FUZZ_ROLES           comma-separated subset of member,admin (default member,admin)
#   FUZZ_MAX_EXAMPLES    --max-examples per operation (default 15: both runs take about 5 min
#                        on 2 shared cores, ~10,300 cases each; the coverage phase, ~40 s a
#                        run, does not depend on it)
#   FUZZ_TIMEOUT_SECS    a run (one role) that takes longer fails (default 1200)
#   FUZZ_PHASES          --phases (default examples,coverage,fuzzing,stateful; coverage is
#                        dropped under Python < 3.12)
#   FUZZ_WORKERS         --workers (default 2)
#   FUZZ_SEED            --seed (default 20231)
#   FUZZ_EXTRA_ARGS      extra arguments for `schemathesis run` (word-split)
#   FUZZ_DB              database name (default gonghui_fuzz; dropped and recreated)
#   GONGHUI_PG_MODE, GONGHUI_PG_PORT — see scripts/pg.sh
set -euo pipefail

# A relative GONGHUI_BIN is relative to the caller's directory.
if [[ -n "${GONGHUI_BIN:-}" && "$GONGHUI_BIN" != /* ]]; then
    GONGHUI_BIN="$PWD/$GONGHUI_BIN"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

SCHEMATHESIS_VERSION=4.32.5
venv="$root/target/st-venv"
outdir="$root/target/fuzz"
db="${FUZZ_DB:-gonghui_fuzz}"
roles="${FUZZ_ROLES:-member,admin}"
max_examples="${FUZZ_MAX_EXAMPLES:-15}"
workers="${FUZZ_WORKERS:-2}"
seed="${FUZZ_SEED:-20231}"
phases="${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}"
timeout_secs="${FUZZ_TIMEOUT_SECS:-1200}"

log() { printf 'fuzz.sh: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

# ---------------------------------------------------------------------------------------------
# 1. The virtualenv.

# py_minor PYTHON — print the interpreter's minor version (3.x) or fail.
py_minor() {
    "$1" -c 'import sys; assert sys.version_info[0] == 3; print(sys.version_info[1])' 2>/dev/null
}

# find_python MIN_MINOR — print the path of the newest python3.N (N >= MIN_MINOR) found on PATH
# or under pyenv's versions. pyenv shims for versions that are not selected fail when run, so
# every candidate is run once.
find_python() {
    local min="$1" cand best="" best_minor=-1 minor
    local cands=()
    for cand in python3.14 python3.13 python3.12 python3.11 python3.10 python3.9 python3; do
        command -v "$cand" >/dev/null 2>&1 && cands+=("$(command -v "$cand")")
    done
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
        [[ -x "$cand" ]] && cands+=("$cand")
    done
    for cand in "${cands[@]}"; do
        minor="$(py_minor "$cand")" || continue
        if ((minor >= min && minor > best_minor)); then
            best="$cand"
            best_minor="$minor"
        fi
    done
    [[ -n "$best" ]] && printf '%s\n' "$best"
}

venv_ready() {
    [[ -x "$venv/bin/python" && -x "$venv/bin/schemathesis" ]] || return 1
    local have
    have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" || return 1
    [[ "$have" == "$SCHEMATHESIS_VERSION" ]]
}

ensure_venv() {
    local py venv_minor best
    best="$(find_python 12 || true)"
    if venv_ready; then
        venv_minor="$(py_minor "$venv/bin/python")"
        # Rebuild a 3.11 venv once a 3.12+ interpreter is available.
        if ((venv_minor >= 12)) || [[ -z "$best" ]]; then
            log "reusing $venv (Python 3.$venv_minor, schemathesis $SCHEMATHESIS_VERSION)"
            return 0
        fi
        log "rebuilding $venv with $best (it was made with Python 3.$venv_minor)"
    fi
    py="$best"
    if [[ -z "$py" ]]; then
        py="$(find_python 9 || true)"
        [[ -n "$py" ]] || die "no Python 3.9+ found (wanted 3.12+; try: pyenv install 3.12)"
        log "no Python >= 3.12 found; using $py ($("$py" --version 2>&1))"
    fi
    log "creating $venv with $py ($("$py" --version 2>&1)), schemathesis==$SCHEMATHESIS_VERSION"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    venv_ready || die "schemathesis $SCHEMATHESIS_VERSION did not install into $venv"
}

ensure_venv
venv_minor="$(py_minor "$venv/bin/python")"
if ((venv_minor < 12)) && [[ ",$phases," == *,coverage,* ]]; then
    phases="$(tr ',' '\n' <<<"$phases" | grep -vx coverage | paste -sd, -)"
    log "NOTE: Python 3.$venv_minor — skipping schemathesis' coverage phase (it can crash before 3.12: SystemError: AST constructor recursion depth mismatch). Phases: $phases"
fi

# ---------------------------------------------------------------------------------------------
# 2. Binary, database, server.

if [[ -n "${GONGHUI_BIN:-}" ]]; then
    bin="$GONGHUI_BIN"
    [[ -x "$bin" ]] || die "GONGHUI_BIN=$bin is not an executable"
    log "using prebuilt $bin"
else
    log "building the debug binary"
    nice -n 10 cargo build -j1 --bin gonghui >&2
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/gonghui"
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
ensure_postgres
psql_bin="$(_gonghui_psql)"
[[ -n "$psql_bin" ]] || die "psql not found"
# Drop and recreate: every run starts from the same demo data.
PGCONNECT_TIMEOUT=10 "$psql_bin" -X -w -q -v ON_ERROR_STOP=1 -v "dbname=$db" "$GONGHUI_PG_ADMIN_URL" >/dev/null <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'dbname')
\gexec
SQL
pg_create_db "$db"

GONGHUI_DATABASE_URL="$(pg_url_with_db "$GONGHUI_PG_ADMIN_URL" "$db")"
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export GONGHUI_DATABASE_URL GONGHUI_DEV=1 GONGHUI_BIND="127.0.0.1:$port"
export GONGHUI_ACCESS_TOKEN_TTL_SECS=3600 GONGHUI_LOG="${GONGHUI_LOG:-info}"
# The fuzzer sends hundreds of failed logins from one address, for `admin` among others: at
# the default limits (5 per username, 30 per address in 15 min) /auth/login would answer 429
# to nearly every case and its handler would go untested.
export GONGHUI_LOGIN_MAX_FAILURES_PER_USER=1000 GONGHUI_LOGIN_MAX_FAILURES_PER_IP=100000
# A CI machine is shared: while other jobs load PostgreSQL, a connection may take more than
# the default 2 s (acquire) / 3 s (connect), and the 503 that follows (ST101) would be the
# machine's, not the API's (one run of seed 4 hit it on two PATCHes). The 503 path itself is
# tested in tests/api/http_basics.rs.
export GONGHUI_DB_ACQUIRE_TIMEOUT_MS=10000 GONGHUI_DB_CONNECT_TIMEOUT_MS=10000
# A debug build on a loaded CI machine can leave a new connection unread for more than
# actix's default 5 s, which it answers with 408 (CI of 5d4be37): match --request-timeout.
export GONGHUI_CLIENT_REQUEST_TIMEOUT_MS=30000

"$bin" migrate >&2
seed_out="$("$bin" seed-demo)"
admin_password="$(awk '/^administrator/ {print $NF}' <<<"$seed_out")"
[[ -n "$admin_password" ]] || die "seed-demo printed no administrator password"

rm -rf "$outdir"
mkdir -p "$outdir"
"$bin" serve >"$outdir/server.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < 600; i++)); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || die "the server exited; see $outdir/server.log"
    sleep 0.1
done
curl -sf "$base/healthz" >/dev/null || die "the server did not answer /healthz within 60 s"
log "server on $base (log: $outdir/server.log)"

# ---------------------------------------------------------------------------------------------
# 3. Tokens.

# json_get EXPR — evaluate a Python expression on the JSON document `d` read from stdin.
json_get() { "$venv/bin/python" -c "import sys, json; d = json.load(sys.stdin); print($1)"; }

login() {
    curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json_get 'd["access_token"]'
}

admin_token="$(login admin "$admin_password")" || die "admin login failed"
auth=(-H "authorization: Bearer $admin_token")

# A formal delegate of a school congress (the demo's 四届三次), so that the member reaches the
# proposal, ballot and sheet routes; any member when there is none.
member_id="" delegate_of=""
for congress_id in $(curl -sf "$base/api/v1/congresses?per_page=100" "${auth[@]}" |
    json_get '" ".join(str(c["id"]) for c in d["items"] if c.get("level") == "school")'); do
    member_id="$(curl -sf "$base/api/v1/congresses/$congress_id/delegates?kind=formal&per_page=1" "${auth[@]}" |
        json_get 'd["items"][0]["member_id"] if d["items"] else ""')"
    if [[ -n "$member_id" ]]; then
        delegate_of="$congress_id"
        break
    fi
done
if [[ -z "$member_id" ]]; then
    member_id="$(curl -sf "$base/api/v1/members?per_page=1" "${auth[@]}" | json_get 'd["items"][0]["id"]')"
fi
member_password="Fuzz-member-$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(8))')"
curl -sf "$base/api/v1/users" "${auth[@]}" -H 'content-type: application/json' \
    -d "{\"username\":\"fuzz-member\",\"display_name\":\"fuzz member\",\"password\":\"$member_password\",\"member_id\":$member_id}" \
    >/dev/null || die "could not create the member account (member $member_id)"
member_token="$(login fuzz-member "$member_password")" || die "member login failed"
log "tokens: admin, and member $member_id (user fuzz-member${delegate_of:+, formal delegate of congress $delegate_of})"

# ---------------------------------------------------------------------------------------------
# 4. schemathesis.

# Operations left out, per role, because they would destroy the run itself. Nothing else is
# excluded. Deliberately kept:
#   - logout, refresh: they act on the refresh token in the body, which the fuzzer does not
#     know; the bearer access token is not revoked by them.
#   - revoke_api_client, rotate_api_client_secret: the runs use user tokens, not client tokens.
#   - delete_user, update_user: the server refuses to delete or disable the caller's own
#     account (409 cannot_change_own_account); a password change revokes refresh tokens only.
#     They may disable the member's account: that is why the member run goes first.
#   - login: failed logins could lock the `admin` username and the loopback address; the
#     limits are raised above and both tokens are obtained before fuzzing anyway.
admin_excludes=(
    # DELETE /users/{id}/grants/{grant_id}: nothing stops an administrator removing their own
    # grants, and the coverage phase sends id=1, grant_id=1 (the seeded admin's system_admin
    # grant): every later admin request would answer 403.
    --exclude-operation-id remove_grant
)
member_excludes=()

run_role() {
    local role="$1" token excludes=() status=0 start end me
    case "$role" in
    admin)
        token="$admin_token"
        excludes=("${admin_excludes[@]}")
        ;;
    member)
        token="$member_token"
        excludes=("${member_excludes[@]}")
        ;;
    *) die "unknown role $role (FUZZ_ROLES takes member,admin)" ;;
    esac
    local args=(
        --config-file "$root/scripts/fuzz/schemathesis.toml"
        run "$base/api/v1/openapi.json"
        --checks all
        --phases "$phases"
        --max-examples "$max_examples"
        --seed "$seed"
        --workers "$workers"
        --generation-database none
        --request-timeout 30
        --continue-on-failure
        --no-color
        --report junit,ndjson
        --report-dir "$outdir/$role"
        -H "Authorization: Bearer $token"
        "${excludes[@]}"
    )
    # shellcheck disable=SC2206
    [[ -n "${FUZZ_EXTRA_ARGS:-}" ]] && args+=($FUZZ_EXTRA_ARGS)
    log "schemathesis as $role: phases $phases, max-examples $max_examples, seed $seed, workers $workers"
    start=$(date +%s)
    # The token is on the command line of a local process for a throwaway database only.
    SCHEMATHESIS_HOOKS="$root/scripts/fuzz/hooks.py" FUZZ_ACCEPTED_LOG="$outdir/$role-accepted.tsv" \
        timeout "$timeout_secs" nice -n 10 "$venv/bin/schemathesis" "${args[@]}" 2>&1 |
        tee "$outdir/$role.txt" || status=$?
    if ((status == 124)); then
        log "schemathesis as $role: stopped after FUZZ_TIMEOUT_SECS=$timeout_secs s"
    fi
    end=$(date +%s)
    log "schemathesis as $role: exit $status after $((end - start)) s (report: $outdir/$role.txt)"
    me="$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/me" -H "authorization: Bearer $token")"
    if [[ "$me" != 200 ]]; then
        log "the $role token no longer works after its run (GET /me: $me): its results are suspect"
        status=1
    fi
    return "$status"
}

# summarize ROLE — target/fuzz/<role>-failures.tsv: one line per distinct failure (check code,
# check, operation, status, problem code and the fields it names, cases), and the totals.
summarize() {
    local role="$1" events
    events="$(ls "$outdir/$role"/ndjson-*.ndjson 2>/dev/null | head -n 1)"
    [[ -n "$events" ]] || return 0
    "$venv/bin/python" - "$events" "$outdir/$role-failures.tsv" "$role" <<'PY' | tee -a "$outdir/summary.txt"
import base64, collections, json, re, sys

events, out, role = sys.argv[1:4]
cases, by_check, distinct = 0, collections.Counter(), collections.Counter()
for line in open(events, encoding="utf-8"):
    event = json.loads(line).get("ScenarioFinished")
    if not event:
        continue
    recorder = event.get("recorder") or {}
    cases += len(recorder.get("cases", {}))
    for case_id, checks in recorder.get("checks", {}).items():
        for check in checks:
            if check.get("status") != "failure":
                continue
            failure = check["failure_info"]["failure"]
            response = (recorder.get("interactions", {}).get(case_id) or {}).get("response") or {}
            problem = ""
            try:
                body = json.loads(base64.b64decode((response.get("content") or {}).get("$base64", "")))
                problem = body.get("code", "")
                fields = sorted({re.sub(r"\[\d+\]", "[]", str(e.get("field", ""))) + ":" + str(e.get("code")) for e in body.get("errors") or []})
                if fields:
                    problem += " " + ",".join(fields)
            except Exception:
                pass
            # Content-type, header and method failures are the same whatever the problem.
            if failure["code"] in ("ST105", "ST107", "ST204", "ST205"):
                problem = ""
            detail = failure["message"].split("\n")[0] if failure["code"] not in ("ST202", "ST103") else ""
            by_check[(failure["code"], failure["title"])] += 1
            distinct[(failure["code"], check["name"], failure["operation"], str(response.get("status_code", "")), problem, detail[:160])] += 1
with open(out, "w", encoding="utf-8") as f:
    f.write("code\tcheck\toperation\tstatus\tproblem\tmessage\tcases\n")
    for key, n in sorted(distinct.items()):
        f.write("\t".join(re.sub(r"[\t\r\n]", " ", k) for k in key) + f"\t{n}\n")
print(f"{role}: {cases} cases; failing cases per check (distinct failures: {out}):")
for (code, title), n in sorted(by_check.items()):
    print(f"  {code} {title}: {n}")
PY
}

failed=()
IFS=, read -r -a role_list <<<"$roles"
for role in "${role_list[@]}"; do
    run_role "$role" || failed+=("$role")
    summarize "$role" || log "could not summarize the $role run"
done

if ((${#failed[@]})); then
    log "FAILED: ${failed[*]} (see $outdir/)"
    exit 1
fi
log "no failures"
