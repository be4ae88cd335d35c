#!/usr/bin/env bash
# shellcheck shell=bash
#
# scripts/pg.sh — find or start a PostgreSQL server for development and tests.
#
# Meant to be SOURCED:
#
#     source scripts/pg.sh
#     ensure_postgres              # exports GONGHUI_PG_ADMIN_URL
#     pg_create_db gonghui_dev     # CREATE DATABASE if it does not exist
#
# Executing it directly (scripts/pg.sh) runs ensure_postgres and prints the
# admin URL on stdout, which is handy for `psql "$(scripts/pg.sh)"`.
#
# Because it is sourced, this file does not change the caller's shell options;
# it is written to be safe under `set -euo pipefail` (which the callers use)
# and also works without it. Functions report failure through their return
# status (so a caller running under `set -e` exits 1).
#
# ensure_postgres tries, in order (first success wins):
#   a. $GONGHUI_DATABASE_URL, if set and reachable: admin URL = same URL with
#      the database name replaced by `postgres`.
#   b. postgres://postgres@127.0.0.1:5432/postgres, if it answers without a
#      password (trust auth).
#   c. As root, with Debian's pg_ctlcluster and a cluster in /etc/postgresql:
#      start the newest version's `main` cluster and use 127.0.0.1:5432 as in b.
#   d. A private, throwaway cluster in <repo>/target/pgdata listening on
#      127.0.0.1:${GONGHUI_PG_PORT:-55432} (socket dir <repo>/target/pgsock,
#      log <repo>/target/pg.log), created with initdb on first use and reused
#      afterwards. Installs Debian's `postgresql` package if no server binaries
#      exist and we are root.
#
# Environment:
#   GONGHUI_DATABASE_URL  optional; tried first (step a).
#   GONGHUI_PG_MODE       auto (default) | private (skip a–c, always use d).
#   GONGHUI_PG_PORT       port of the private cluster (default 55432).
#   GONGHUI_PG_ADMIN_URL  OUTPUT: exported by ensure_postgres.

# Repository root, derived from this file's location (scripts/..).
_GONGHUI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_gonghui_pg_log() {
    printf 'pg.sh: %s\n' "$*" >&2
}

# Replace the password in a URL by *** for display.
_gonghui_pg_redact() {
    # scheme://user:password@host...  ->  scheme://user:***@host...
    sed -E 's#^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"
}

# pg_url_with_db URL DBNAME — print URL with its database name replaced,
# keeping scheme, user, password, host, port and ?query untouched.
#   postgres://u:p@h:1/app?sslmode=disable  ->  postgres://u:p@h:1/DBNAME?sslmode=disable
pg_url_with_db() {
    local url="$1" db="$2"
    local re='^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?]*)(/[^?]*)?(\?.*)?$'
    if [[ "$url" =~ $re ]]; then
        printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$db" "${BASH_REMATCH[3]:-}"
    else
        _gonghui_pg_log "cannot parse database URL: $(_gonghui_pg_redact "$url")"
        return 1
    fi
}

# Directory holding initdb and pg_ctl: the highest /usr/lib/postgresql/*/bin
# (Debian layout), else wherever they are on PATH. Prints nothing if absent.
# If $1 is a major version (of an existing data dir), prefer exactly that one.
_gonghui_pg_bindir() {
    local want="${1:-}" dir
    if [[ -n "$want" && -x "/usr/lib/postgresql/$want/bin/initdb" && -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]]; then
        printf '%s\n' "/usr/lib/postgresql/$want/bin"
        return 0
    fi
    # sort -V so that 9.6 < 10 < 15 < 16.
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dir="$(dirname "$(command -v initdb)")"
        # Prefer the real location if initdb is a symlink (e.g. /usr/local/bin).
        if [[ -x "$(dirname "$(readlink -f "$dir/initdb")")/pg_ctl" ]]; then
            dir="$(dirname "$(readlink -f "$dir/initdb")")"
        fi
        printf '%s\n' "$dir"
    fi
}

# Path of a psql binary (PATH first, then the server bin dir). Empty if none.
_gonghui_psql() {
    local p
    if p="$(command -v psql 2>/dev/null)" && [[ -n "$p" ]]; then
        printf '%s\n' "$p"
        return 0
    fi
    p="$(_gonghui_pg_bindir)"
    if [[ -n "$p" && -x "$p/psql" ]]; then
        printf '%s\n' "$p/psql"
    fi
}

# _gonghui_pg_try URL — succeed if `select 1` works on URL within 3 s.
# Never prompts for a password, and ignores libpq-only sources of connection
# settings (PGPASSWORD, ~/.pgpass, PGHOST, ...): the application connects with
# the URL alone, so the URL alone must work.
_gonghui_pg_try() {
    local url="$1" psql
    psql="$(_gonghui_psql)"
    [[ -n "$psql" ]] || return 1
    env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGUSER -u PGDATABASE \
        -u PGPASSWORD -u PGSERVICE -u PGOPTIONS \
        PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=3 \
        "$psql" -X -w -Atq -c 'select 1' "$url" >/dev/null 2>&1
}

_gonghui_is_root() {
    [[ "$(id -u)" -eq 0 ]]
}

# Step a: the configured application database.
_gonghui_pg_from_database_url() {
    local url="${GONGHUI_DATABASE_URL:-}" admin
    [[ -n "$url" ]] || return 1
    if ! _gonghui_pg_try "$url"; then
        _gonghui_pg_log "GONGHUI_DATABASE_URL ($(_gonghui_pg_redact "$url")) is not reachable; trying other servers"
        return 1
    fi
    admin="$(pg_url_with_db "$url" postgres)" || return 1
    if ! _gonghui_pg_try "$admin"; then
        _gonghui_pg_log "GONGHUI_DATABASE_URL works but its 'postgres' database does not; trying other servers"
        return 1
    fi
    GONGHUI_PG_ADMIN_URL="$admin"
    _gonghui_pg_log "using the server of GONGHUI_DATABASE_URL: $(_gonghui_pg_redact "$admin")"
}

# Step b: a server already running on the default port with trust auth.
_gonghui_pg_local_5432() {
    local url='postgres://postgres@127.0.0.1:5432/postgres'
    _gonghui_pg_try "$url" || return 1
    GONGHUI_PG_ADMIN_URL="$url"
    _gonghui_pg_log "using the PostgreSQL server already running at $url"
}

# Step c: start the system (Debian) cluster with pg_ctlcluster.
_gonghui_pg_system_cluster() {
    local url='postgres://postgres@127.0.0.1:5432/postgres' ver i isready bindir
    _gonghui_is_root || return 1
    command -v pg_ctlcluster >/dev/null 2>&1 || return 1
    [[ -d /etc/postgresql ]] || return 1
    ver="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$ver" && -f "/etc/postgresql/$ver/main/postgresql.conf" ]] || return 1

    _gonghui_pg_log "starting system cluster $ver/main with pg_ctlcluster"
    # Exit status is non-zero when the cluster is already running; the
    # readiness loop below is what decides.
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true

    bindir="$(_gonghui_pg_bindir "$ver")"
    isready=""
    if [[ -n "$bindir" && -x "$bindir/pg_isready" ]]; then
        isready="$bindir/pg_isready"
    elif command -v pg_isready >/dev/null 2>&1; then
        isready="$(command -v pg_isready)"
    fi

    for ((i = 0; i < 30; i++)); do
        if _gonghui_pg_try "$url"; then
            GONGHUI_PG_ADMIN_URL="$url"
            _gonghui_pg_log "using system cluster $ver/main at $url"
            return 0
        fi
        # Server is up but refuses us: auth for 127.0.0.1 is not trust.
        if [[ -n "$isready" ]] && "$isready" -q -h 127.0.0.1 -p 5432 -t 2 >/dev/null 2>&1; then
            _gonghui_pg_log "system cluster $ver/main is up but 127.0.0.1 auth is not trust; using a private cluster"
            return 1
        fi
        sleep 1
    done
    _gonghui_pg_log "system cluster $ver/main did not become usable on 127.0.0.1:5432 within 30 s; using a private cluster"
    return 1
}

# Step d: a private throwaway cluster under target/.
_gonghui_pg_private() {
    local port="${GONGHUI_PG_PORT:-55432}"
    local target="$_GONGHUI_ROOT/target"
    local pgdata="$target/pgdata" sockdir="$target/pgsock" logfile="$target/pg.log"
    local url bindir ver="" running_port as=() out locale

    # The unix socket path (<sockdir>/.s.PGSQL.<port>) is limited to ~107
    # bytes; with a deeply nested checkout fall back to a short /tmp path.
    if (( ${#sockdir} + 20 > 100 )); then
        sockdir="${TMPDIR:-/tmp}/gonghui-pgsock-$(id -u)"
        _gonghui_pg_log "repository path too long for a unix socket; using $sockdir"
    fi

    if [[ -f "$pgdata/PG_VERSION" ]]; then
        ver="$(<"$pgdata/PG_VERSION")"
    fi
    bindir="$(_gonghui_pg_bindir "$ver")"

    if [[ -z "$bindir" ]]; then
        if _gonghui_is_root && command -v apt-get >/dev/null 2>&1; then
            _gonghui_pg_log "no PostgreSQL server binaries found; installing Debian's postgresql package"
            apt-get update >&2 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 || {
                _gonghui_pg_log "apt-get install postgresql failed"
                return 1
            }
            bindir="$(_gonghui_pg_bindir "$ver")"
        fi
        if [[ -z "$bindir" ]]; then
            _gonghui_pg_log "no PostgreSQL server binaries (initdb, pg_ctl) found. Run:"
            echo "sudo apt-get install -y postgresql" >&2
            return 1
        fi
    fi
    if [[ -n "$ver" && ! -x "/usr/lib/postgresql/$ver/bin/initdb" ]]; then
        _gonghui_pg_log "note: $pgdata was created by PostgreSQL $ver; using binaries in $bindir"
    fi

    # initdb and pg_ctl refuse to run as root: run them as the `postgres`
    # system user and give it the directories.
    if _gonghui_is_root; then
        if ! id -u postgres >/dev/null 2>&1; then
            _gonghui_pg_log "creating system user postgres"
            useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres || return 1
        fi
        as=(runuser -u postgres --)
        mkdir -p "$pgdata" "$sockdir" || return 1
        touch "$logfile" || return 1
        chown postgres: "$pgdata" "$sockdir" "$logfile" || return 1
        # (the target/ dir itself may be root-owned; postgres only needs to
        # traverse it, which 755 allows)
        if ! "${as[@]}" test -w "$pgdata" -a -x "$pgdata"; then
            _gonghui_pg_log "user postgres cannot access $pgdata (a parent directory is not world-searchable?)"
            return 1
        fi
    else
        mkdir -p "$pgdata" "$sockdir" || return 1
    fi
    chmod 700 "$pgdata" || return 1

    # First use: create the cluster. Trust auth, no password: it only listens
    # on 127.0.0.1 and a private socket dir.
    if [[ ! -f "$pgdata/PG_VERSION" ]]; then
        # (here-string rather than a pipe: grep -q closing early plus
        # pipefail could turn a match into a failure)
        if grep -qixE 'c\.utf-?8' <<<"$(locale -a 2>/dev/null || true)"; then
            locale=C.UTF-8
        else
            locale=C
        fi
        _gonghui_pg_log "initdb $pgdata (locale $locale, $bindir)"
        if ! out="$("${as[@]}" "$bindir/initdb" -D "$pgdata" -A trust -U postgres \
            --encoding=UTF8 --locale="$locale" 2>&1)"; then
            if [[ "$locale" != C ]]; then
                _gonghui_pg_log "initdb with --locale=$locale failed; retrying with --locale=C"
                out="$("${as[@]}" "$bindir/initdb" -D "$pgdata" -A trust -U postgres \
                    --encoding=UTF8 --locale=C 2>&1)" || {
                    printf '%s\n' "$out" >&2
                    _gonghui_pg_log "initdb failed"
                    return 1
                }
            else
                printf '%s\n' "$out" >&2
                _gonghui_pg_log "initdb failed"
                return 1
            fi
        fi
    fi

    # Already running (e.g. from an earlier run)? Reuse it on whatever port
    # it was started with (line 4 of postmaster.pid).
    if "${as[@]}" "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        running_port="$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true)"
        if [[ -n "$running_port" && "$running_port" != "$port" ]]; then
            _gonghui_pg_log "private cluster already runs on port $running_port (not $port); reusing it"
            port="$running_port"
        fi
    else
        # fsync/synchronous_commit/full_page_writes off: this is a throwaway
        # dev/test cluster, so we trade crash safety for speed. Never do this
        # for data you care about.
        _gonghui_pg_log "starting private cluster on 127.0.0.1:$port (log: $logfile)"
        if ! "${as[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$logfile" \
            -o "-p $port -k '$sockdir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            -w -t 60 start >&2; then
            _gonghui_pg_log "pg_ctl start failed; last lines of $logfile:"
            tail -n 20 "$logfile" >&2 || true
            return 1
        fi
    fi

    url="postgres://postgres@127.0.0.1:$port/postgres"
    if ! _gonghui_pg_try "$url"; then
        _gonghui_pg_log "private cluster in $pgdata does not answer at $url (port taken by another server?)"
        return 1
    fi
    GONGHUI_PG_ADMIN_URL="$url"
    _gonghui_pg_log "using private cluster $pgdata at $url"
}

# ensure_postgres — make sure a server is available and export
# GONGHUI_PG_ADMIN_URL (a URL on which CREATE DATABASE is allowed).
ensure_postgres() {
    local mode="${GONGHUI_PG_MODE:-auto}"
    GONGHUI_PG_ADMIN_URL=""
    case "$mode" in
    auto)
        _gonghui_pg_from_database_url ||
            _gonghui_pg_local_5432 ||
            _gonghui_pg_system_cluster ||
            _gonghui_pg_private ||
            return 1
        ;;
    private)
        _gonghui_pg_private || return 1
        ;;
    *)
        _gonghui_pg_log "GONGHUI_PG_MODE must be 'auto' or 'private', not '$mode'"
        return 1
        ;;
    esac
    export GONGHUI_PG_ADMIN_URL
}

# pg_create_db NAME — create database NAME on $GONGHUI_PG_ADMIN_URL unless it
# already exists. Requires ensure_postgres to have run. Exports nothing.
pg_create_db() {
    local name="${1:-}" psql
    if [[ -z "$name" ]]; then
        _gonghui_pg_log "usage: pg_create_db NAME"
        return 2
    fi
    if [[ -z "${GONGHUI_PG_ADMIN_URL:-}" ]]; then
        _gonghui_pg_log "pg_create_db: GONGHUI_PG_ADMIN_URL is not set; call ensure_postgres first"
        return 1
    fi
    psql="$(_gonghui_psql)"
    if [[ -z "$psql" ]]; then
        _gonghui_pg_log "pg_create_db: psql not found"
        return 1
    fi
    # The name is passed as a psql variable and quoted with format('%I'), so
    # any name is safe. \gexec runs the CREATE only when the row exists.
    PGCONNECT_TIMEOUT=10 "$psql" -X -w -q -v ON_ERROR_STOP=1 -v "dbname=$name" \
        "$GONGHUI_PG_ADMIN_URL" >/dev/null <<'SQL'
SELECT format('CREATE DATABASE %I', :'dbname')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname')
\gexec
SQL
}

# Executed rather than sourced: run ensure_postgres and print the admin URL.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    ensure_postgres
    printf '%s\n' "$GONGHUI_PG_ADMIN_URL"
fi
