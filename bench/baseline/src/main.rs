//! The bare baseline of bench/run.sh: the stack's floor for gonghui's member reads.
//!
//! Same stack and versions as gonghui (actix-web, diesel + diesel-async, deadpool with
//! `RecyclingMethod::Fast`, 16 connections, 2 workers), no middleware, no auth, no tracing.
//! Each route runs the same SQL as the real store (src/membership/members_store.rs, for a
//! caller whose scope is every unit) with diesel's non-boxed DSL, so diesel caches the
//! statements as prepared statements — the cheapest way this stack can answer:
//!
//! - `GET /healthz` → `{"status":"ok"}`
//! - `GET /members/{id}` → one member joined with its unit, plus the model-worker EXISTS
//!   (the query of `members_store::get`)
//! - `GET /members?page=1&per_page=20[&q=zs]` → `{items,total,page,per_page}`: the count and
//!   the page ordered by id (the queries of `members_store::list`, with its `q=` predicate:
//!   initials, full pinyin and staff-number prefixes, or a name substring)
//!
//! Differences on purpose: ID-card numbers are not decrypted (the baseline has no key; the
//! field is always null), and the single-member response carries no ETag.
//!
//! Environment: `BASELINE_DATABASE_URL` (required), `BASELINE_BIND` (default
//! 127.0.0.1:18081), `BASELINE_WORKERS` (default 2, as gonghui), `BASELINE_POOL_SIZE`
//! (default 16).

use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::exists;
use diesel::{BoolExpressionMethods, ExpressionMethods, JoinOnDsl, QueryDsl, TextExpressionMethods};
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use serde::{Deserialize, Serialize};

diesel::table! {
    members (id) {
        id -> Int8,
        staff_no -> Text,
        name -> Text,
        name_pinyin -> Text,
        name_initials -> Text,
        gender -> Text,
        birth_date -> Date,
        unit_id -> Int8,
        employment_type -> Text,
        joined_on -> Date,
        status -> Text,
        left_on -> Nullable<Date>,
        phone -> Nullable<Text>,
        id_card_cipher -> Nullable<Bytea>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    units (id) {
        id -> Int8,
        name -> Text,
    }
}

diesel::table! {
    honors (id) {
        id -> Int8,
        member_id -> Int8,
        category -> Text,
        level -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(members, units, honors);

type DbPool = Pool<AsyncPgConnection>;

type MemberRow = (
    (i64, String, String, String, NaiveDate, i64, String, NaiveDate, String, Option<NaiveDate>),
    (Option<String>, Option<Vec<u8>>, i32, DateTime<Utc>, DateTime<Utc>),
    String,
    bool,
);

/// The select list of `members_store::member_select!`.
macro_rules! member_select {
    () => {
        (
            (
                members::id,
                members::staff_no,
                members::name,
                members::gender,
                members::birth_date,
                members::unit_id,
                members::employment_type,
                members::joined_on,
                members::status,
                members::left_on,
            ),
            (members::phone, members::id_card_cipher, members::version, members::created_at, members::updated_at),
            units::name,
            exists(
                honors::table
                    .filter(honors::member_id.eq(members::id))
                    .filter(honors::category.eq_any(["model_worker", "advanced_worker"]))
                    .filter(honors::level.eq_any(["national", "provincial"])),
            ),
        )
    };
}

/// The JSON fields of gonghui's `MemberView`.
#[derive(Serialize)]
struct MemberView {
    id: i64,
    staff_no: String,
    name: String,
    gender: String,
    birth_date: NaiveDate,
    unit_id: i64,
    unit_name: String,
    employment_type: String,
    joined_on: NaiveDate,
    status: String,
    left_on: Option<NaiveDate>,
    phone: Option<String>,
    id_card: Option<String>,
    is_model_worker: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<MemberView>,
    total: i64,
    page: i64,
    per_page: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    q: Option<String>,
}

fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n < 11 {
        return "*".repeat(n);
    }
    chars.iter().enumerate().map(|(i, &c)| if i < 3 || i >= n - 4 { c } else { '*' }).collect()
}

fn to_view(row: MemberRow, mask: bool) -> MemberView {
    let ((id, staff_no, name, gender, birth_date, unit_id, employment_type, joined_on, status, left_on), rest, unit_name, is_model_worker) =
        row;
    let (phone, _cipher, version, created_at, updated_at) = rest;
    MemberView {
        id,
        staff_no,
        name,
        gender,
        birth_date,
        unit_id,
        unit_name,
        employment_type,
        joined_on,
        status,
        left_on,
        phone: phone.map(|p| if mask { mask_phone(&p) } else { p }),
        id_card: None,
        is_model_worker,
        version,
        created_at,
        updated_at,
    }
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// gonghui's `names::is_pinyin_query`.
fn is_pinyin_query(q: &str) -> bool {
    (1..=20).contains(&q.len()) && q.bytes().all(|b| b.is_ascii_alphabetic())
}

fn fail(what: &str, e: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::InternalServerError().content_type("text/plain").body(format!("{what}: {e}"))
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[get("/members/{id}")]
async fn get_member(pool: web::Data<DbPool>, id: web::Path<i64>) -> HttpResponse {
    let mut conn = match pool.get().await {
        Ok(c) => c,
        Err(e) => return fail("pool", e),
    };
    let row: Result<MemberRow, _> = members::table
        .inner_join(units::table.on(units::id.eq(members::unit_id)))
        .filter(members::id.eq(id.into_inner()))
        .select(member_select!())
        .first(&mut conn)
        .await;
    match row {
        Ok(row) => HttpResponse::Ok().json(to_view(row, false)),
        Err(diesel::result::Error::NotFound) => HttpResponse::NotFound().finish(),
        Err(e) => fail("query", e),
    }
}

#[get("/members")]
async fn list_members(pool: web::Data<DbPool>, query: web::Query<ListQuery>) -> HttpResponse {
    let page = query.page.unwrap_or(1).max(1);
    let per_page = query.per_page.unwrap_or(20).clamp(1, 100);
    let offset = (page - 1).saturating_mul(per_page);
    let mut conn = match pool.get().await {
        Ok(c) => c,
        Err(e) => return fail("pool", e),
    };
    let joined = || members::table.inner_join(units::table.on(units::id.eq(members::unit_id)));
    let text = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    // One fixed statement shape per case, so each is prepared once per connection.
    let result: Result<(i64, Vec<MemberRow>), diesel::result::Error> = match text {
        None => {
            let total = joined().count().get_result(&mut conn).await;
            match total {
                Ok(total) => joined()
                    .order_by(members::id.asc())
                    .limit(per_page)
                    .offset(offset)
                    .select(member_select!())
                    .load(&mut conn)
                    .await
                    .map(|rows| (total, rows)),
                Err(e) => Err(e),
            }
        }
        Some(text) if is_pinyin_query(text) => {
            let esc = escape_like(text);
            let lower = esc.to_lowercase();
            let predicate = || {
                members::name_initials
                    .like(format!("{lower}%"))
                    .or(members::name_pinyin.like(format!("{lower}%")))
                    .or(members::staff_no.like(format!("{esc}%")))
                    .or(members::name.like(format!("%{esc}%")))
            };
            match joined().filter(predicate()).count().get_result(&mut conn).await {
                Ok(total) => joined()
                    .filter(predicate())
                    .order_by(members::id.asc())
                    .limit(per_page)
                    .offset(offset)
                    .select(member_select!())
                    .load(&mut conn)
                    .await
                    .map(|rows| (total, rows)),
                Err(e) => Err(e),
            }
        }
        Some(text) => {
            let esc = escape_like(text);
            let predicate =
                || members::name.like(format!("%{esc}%")).or(members::staff_no.like(format!("{esc}%")));
            match joined().filter(predicate()).count().get_result(&mut conn).await {
                Ok(total) => joined()
                    .filter(predicate())
                    .order_by(members::id.asc())
                    .limit(per_page)
                    .offset(offset)
                    .select(member_select!())
                    .load(&mut conn)
                    .await
                    .map(|rows| (total, rows)),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok((total, rows)) => HttpResponse::Ok().json(Page {
            items: rows.into_iter().map(|r| to_view(r, true)).collect(),
            total,
            page,
            per_page,
        }),
        Err(e) => fail("query", e),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `--print-sql`: the SQL of each route, to keep bench/pgbench/*.sql in step with it.
fn print_sql() {
    use diesel::pg::Pg;
    let joined = || members::table.inner_join(units::table.on(units::id.eq(members::unit_id)));
    let one = joined().filter(members::id.eq(1_i64)).select(member_select!()).limit(1);
    println!("-- member\n{}\n", diesel::debug_query::<Pg, _>(&one));
    let count = joined().count();
    let page = joined().order_by(members::id.asc()).limit(20).offset(0).select(member_select!());
    println!("-- members page\n{}\n{}\n", diesel::debug_query::<Pg, _>(&count), diesel::debug_query::<Pg, _>(&page));
    let predicate = || {
        members::name_initials
            .like("zs%")
            .or(members::name_pinyin.like("zs%"))
            .or(members::staff_no.like("zs%"))
            .or(members::name.like("%zs%"))
    };
    let count = joined().filter(predicate()).count();
    let page =
        joined().filter(predicate()).order_by(members::id.asc()).limit(20).offset(0).select(member_select!());
    println!("-- members search\n{}\n{}", diesel::debug_query::<Pg, _>(&count), diesel::debug_query::<Pg, _>(&page));
}

fn main() -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--print-sql") {
        print_sql();
        return Ok(());
    }
    let url = std::env::var("BASELINE_DATABASE_URL")
        .map_err(|_| std::io::Error::other("BASELINE_DATABASE_URL is not set"))?;
    let bind = env_or("BASELINE_BIND", "127.0.0.1:18081");
    let workers: usize = env_or("BASELINE_WORKERS", "2").parse().map_err(std::io::Error::other)?;
    let pool_size: usize = env_or("BASELINE_POOL_SIZE", "16").parse().map_err(std::io::Error::other)?;

    let mut manager_config = ManagerConfig::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, manager_config);
    actix_web::rt::System::new().block_on(async move {
        let pool: DbPool = Pool::builder(manager)
            .max_size(pool_size)
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(2)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(std::io::Error::other)?;
        let data = web::Data::new(pool);
        HttpServer::new(move || {
            App::new().app_data(data.clone()).service(healthz).service(get_member).service(list_members)
        })
        .workers(workers)
        .bind(&bind)?
        .run()
        .await
    })
}
