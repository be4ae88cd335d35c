//! `POST /members/import`: a roster file (CSV or XLSX) becomes new members, all or nothing.
//!
//! Every row is checked (fields, ID-card checksum, duplicates inside the file and against
//! the database, units inside the caller's scope) and every problem is reported with its
//! spreadsheet row and column. `dry_run=true` only reports. Without it, a file with any
//! error writes nothing (422 `import_rejected` with the same report); a clean file creates
//! every member in one transaction.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, dev::Payload, http::header, post, web};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Permission, authorize};
use crate::auth::principal::Principal;
use crate::crypto::SecretKey;
use crate::error::{ApiError, FieldIssue, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::{ValidQuery, read_body};
use crate::membership::error::ImportRejected;
use crate::membership::imports::dto::{CsvFile, ImportQuery, ImportReport, XlsxFile};
use crate::membership::imports::parse as import_parse;
use crate::membership::imports::parse::{ImportFileError, ImportRow, RawTable};
use crate::membership::members::store as members_store;
use crate::membership::members::store::NewMember;
use crate::membership::units::store as units_store;
use crate::schema::{members, units};
use crate::state::AppState;

pub const MAX_ROWS: usize = 20_000;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// What a 415 of the import names.
const UPLOAD_TYPES: &str = "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Parses the upload on the blocking pool: unzipping and reading a 10 MB workbook is CPU
/// work that would otherwise stall every other connection of this worker.
async fn read_table(content_type: &str, bytes: web::Bytes) -> Result<RawTable, ApiError> {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let reader: fn(&[u8], usize) -> Result<RawTable, ImportFileError> = match essence.as_str() {
        "text/csv" | "application/csv" => import_parse::read_csv,
        XLSX => import_parse::read_xlsx,
        _ => return Err(ApiError::UnsupportedMediaType(UPLOAD_TYPES)),
    };
    let table = web::block(move || reader(&bytes, MAX_ROWS))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("import parsing: {e}")))?;
    table.map_err(|e| match e {
        ImportFileError::Unreadable(why) => ApiError::BadRequest("malformed_upload", why),
        ImportFileError::Empty => ApiError::Validation(vec![FieldIssue::new("file", "empty_file")]),
        ImportFileError::TooManyRows(_) => {
            ApiError::Validation(vec![FieldIssue::new("file", "too_many_rows").with("max", MAX_ROWS)])
        }
    })
}

/// Units inside the caller's scope by code (case-insensitive) and by name. Names are unique
/// only under one parent (every secondary union may have a "第一小组"), so a name shared by
/// several units in scope is ambiguous rather than silently resolved to one of them.
struct UnitLookup {
    by_code: HashMap<String, Option<i64>>,
    by_name: HashMap<String, Option<i64>>,
}

impl UnitLookup {
    async fn load(conn: &mut AsyncPgConnection, auth: &Authorized) -> Result<UnitLookup, ApiError> {
        let scope = auth.scope();
        let rows: Vec<(i64, String, Option<String>)> =
            units_store::boxed_in_scope(scope).select((units::id, units::name, units::code)).load(conn).await?;
        // `None` marks a key held by more than one unit.
        let add = |map: &mut HashMap<String, Option<i64>>, key: String, id: i64| {
            map.entry(key).and_modify(|v| *v = None).or_insert(Some(id));
        };
        let mut lookup = UnitLookup { by_code: HashMap::new(), by_name: HashMap::new() };
        for (id, name, code) in rows {
            if let Some(code) = code {
                add(&mut lookup.by_code, code.to_lowercase(), id);
            }
            add(&mut lookup.by_name, name, id);
        }
        Ok(lookup)
    }

    /// The unit a cell names, or the issue code: `unknown_unit` or `ambiguous_unit`.
    fn find(&self, cell: &str) -> Result<i64, &'static str> {
        match self.by_code.get(&cell.to_lowercase()).or_else(|| self.by_name.get(cell)) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err("ambiguous_unit"),
            None => Err("unknown_unit"),
        }
    }
}

/// Database checks: units by code or name inside scope, staff numbers and ID cards already taken.
async fn check_against_database(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    rows: &[ImportRow],
    key: &SecretKey,
) -> Result<(Vec<i64>, Vec<FieldIssue>), ApiError> {
    let units = UnitLookup::load(conn, auth).await?;
    let staff_nos: Vec<&str> = rows.iter().map(|r| r.staff_no.as_str()).collect();
    let taken: Vec<String> =
        members::table.filter(members::staff_no.eq_any(&staff_nos)).select(members::staff_no).load(conn).await?;
    let hashes: HashMap<Vec<u8>, u32> =
        rows.iter().filter_map(|r| Some((key.lookup_hash("id_card", &r.id_card.as_ref()?.number), r.row))).collect();
    let hash_list: Vec<&Vec<u8>> = hashes.keys().collect();
    let taken_cards: Vec<Option<Vec<u8>>> =
        members::table.filter(members::id_card_hash.eq_any(hash_list)).select(members::id_card_hash).load(conn).await?;
    let taken_card_rows: Vec<u32> = taken_cards.into_iter().flatten().filter_map(|h| hashes.get(&h).copied()).collect();

    let mut unit_ids = Vec::with_capacity(rows.len());
    let mut issues = Vec::new();
    for r in rows {
        match units.find(&r.unit) {
            Ok(id) => unit_ids.push(id),
            Err(code) => {
                unit_ids.push(0);
                issues.push(FieldIssue::new("unit", code).with("value", &r.unit).at_row(r.row));
            }
        }
        if taken.contains(&r.staff_no) {
            issues.push(FieldIssue::new("staff_no", "staff_no_taken").at_row(r.row));
        }
        if taken_card_rows.contains(&r.row) {
            issues.push(FieldIssue::new("id_card", "id_card_taken").at_row(r.row));
        }
    }
    Ok((unit_ids, issues))
}

/// Imports members from a CSV (`text/csv`, UTF-8 or GBK) or XLSX body. Columns (Chinese or
/// English headers): 工号/staff_no, 姓名/name, 性别/gender, 出生日期/birth_date,
/// 所属工会/unit (code or name), 用工类型/employment_type, 入会日期/joined_on,
/// optional 手机号/phone and 身份证号/id_card.
#[utoipa::path(
    tag = "members",
    params(ImportQuery),
    request_body(description = "The roster file", content(
        (CsvFile = "text/csv"),
        (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 200, description = "Dry run report, or every row created", body = ImportReport),
        (status = 400, description = "The file cannot be read", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, description = "import_rejected: row errors (each with `row` and `field`), nothing written", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/members/import")]
pub async fn import_members(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    req: HttpRequest,
    payload: web::Payload,
    ValidQuery(query): ValidQuery<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::MembersImport)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut raw: Payload = payload.into_inner();
    let bytes = read_body(&req, &mut raw, state.config.import_limit_bytes).await?;
    let table = read_table(&content_type, bytes).await?;
    let (rows, mut issues) = import_parse::validate_rows(&table, crate::kernel::calendar::today_shanghai());
    let key = &state.config.encryption_key;
    let mut conn = state.pool.get().await?;
    let (unit_ids, db_issues) = check_against_database(&mut conn, &auth, &rows, key).await?;
    issues.extend(db_issues);
    issues.sort_by_key(|i| i.row.unwrap_or(0));
    let total_rows = table.rows.len();
    // Rows that passed the file checks and have no database issue either. (Counting the rows
    // with issues would treat a header issue on row 1 as one bad data row.)
    let bad_rows: std::collections::HashSet<u32> = issues.iter().filter_map(|i| i.row).collect();
    let valid_rows = rows.iter().filter(|r| !bad_rows.contains(&r.row)).count();
    let report = |created: usize, issues: &[FieldIssue]| ImportReport {
        dry_run: query.dry_run,
        total_rows,
        valid_rows,
        created,
        errors: issues.iter().map(|i| i.render(ctx.lang)).collect(),
    };
    if query.dry_run {
        return Ok(HttpResponse::Ok().json(report(0, &issues)));
    }
    if !issues.is_empty() {
        return Err(ImportRejected(issues).into());
    }
    let actor = Actor::new(&principal, &ctx);
    let created = conn
        .transaction::<_, ApiError, _>(async |conn| {
            for (row, unit_id) in rows.iter().zip(&unit_ids) {
                let new = NewMember {
                    staff_no: &row.staff_no,
                    name: &row.name,
                    gender: row.gender,
                    birth_date: row.birth_date,
                    unit_id: *unit_id,
                    employment_type: row.employment_type,
                    joined_on: row.joined_on,
                    phone: row.phone.as_deref(),
                    id_card: row.id_card.as_ref(),
                };
                let id = members_store::insert(conn, &auth, &new, key, &actor).await?;
                let snapshot = serde_json::json!({ "staff_no": row.staff_no, "unit_id": unit_id, "source": "import", "row": row.row });
                audit::record(conn, &actor, "member.import", "member", id, audit::NONE, Some(&snapshot)).await?;
            }
            crate::webhooks::emit(conn, "members.imported", crate::membership::members::events::members_imported(rows.len(), &unit_ids))
                .await?;
            Ok(rows.len())
        })
        .await?;
    tracing::info!(created, "members imported");
    Ok(HttpResponse::Ok().json(report(created, &[])))
}
