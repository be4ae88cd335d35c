//! `PUT /integration/roster`: the HR roster from the integrated information system.

use actix_web::{HttpRequest, HttpResponse, http::header, put, web};

use crate::audit::Actor;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::context::RequestContext;
use crate::http::extract::{ValidQuery, read_body};
use crate::integrations::roster::store as roster_store;
use crate::integrations::roster::{self, RosterQuery, RosterReport, RosterRowInput};
use crate::state::AppState;

/// Upserts members by staff number from the HR roster (API clients with scope
/// `roster:write` only; no user role carries this permission).
///
/// The body is a JSON array of rows (`application/json`, at most 20,000) or a CSV file
/// (`text/csv`, UTF-8 or GBK) with the headers of `POST /members/import`; `unit` is a unit
/// code. Unlike the import, the sync is not all or nothing: every valid row is applied (in
/// batches of 1,000 rows, one transaction each) and every invalid one is reported in
/// `rejected` with its row (CSV: spreadsheet row, header = 1; JSON: position in the array,
/// from 1), field and code. New staff numbers are created (history `joined`), changed rows
/// updated (a unit change is a transfer, a member who had left is rejoined, both with
/// history), identical rows left untouched (no write, no audit, no version bump), so
/// re-sending a roster changes nothing. `phone` and `id_card` left out keep the stored
/// values. With `full=true` the active members the roster does not name are reported in
/// `missing` — never deleted — and, with `mark_missing_left=true` as well, marked as left.
#[utoipa::path(
    tag = "integration",
    params(RosterQuery),
    request_body(description = "The roster", content(
        (Vec<RosterRowInput> = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "Applied: counts, rejected rows with reasons, missing members", body = RosterReport),
        (status = 400, description = "malformed_json / malformed_upload", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not an API client with scope roster:write", body = Problem),
        (status = 413, description = "Over GONGHUI_IMPORT_LIMIT_BYTES", body = Problem),
        (status = 415, body = Problem),
        (status = 422, description = "Not a roster: empty, over 20,000 rows, a required CSV column missing, \
            mark_missing_left without full", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/integration/roster")]
pub async fn sync_roster(
    state: web::Data<AppState>,
    principal: Principal,
    ctx: RequestContext,
    req: HttpRequest,
    payload: web::Payload,
    ValidQuery(query): ValidQuery<RosterQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Permission::RosterWrite)?;
    roster::check_query(&query)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let kind = roster::body_kind(content_type)?;
    let bytes = read_body(&req, &mut payload.into_inner(), state.config.import_limit_bytes).await?;
    let parsed = roster::read(kind, &bytes)?;
    let (rows, mut rejected) = roster::validate(&parsed, crate::kernel::calendar::today_shanghai())?;

    let actor = Actor::new(&principal, &ctx);
    let key = &state.config.encryption_key;
    let mut conn = state.pool.get().await?;
    let units = roster_store::load_units(&mut conn).await?;
    let applied = roster_store::apply(&mut conn, &rows, &units, key, &actor).await?;
    rejected.extend(applied.rejected);
    rejected.sort_by_key(|i| i.row.unwrap_or(0));

    let (missing, marked_left) = if query.full {
        let missing = roster_store::missing(&mut conn, &parsed.staff_nos).await?;
        let marked = if query.mark_missing_left {
            let ids: Vec<i64> = missing.iter().map(|(id, _)| *id).collect();
            roster_store::mark_left(&mut conn, &ids, &actor).await?
        } else {
            0
        };
        (Some(missing.into_iter().map(|(_, staff_no)| staff_no).collect()), marked)
    } else {
        (None, 0)
    };

    let rejected_rows = rejected.iter().filter_map(|i| i.row).collect::<std::collections::HashSet<_>>().len();
    tracing::info!(
        total = parsed.total_rows,
        created = applied.created,
        updated = applied.updated,
        unchanged = applied.unchanged,
        rejected_rows,
        marked_left,
        "roster synced"
    );
    Ok(HttpResponse::Ok().json(RosterReport {
        total_rows: parsed.total_rows,
        created: applied.created,
        updated: applied.updated,
        transferred: applied.transferred,
        rejoined: applied.rejoined,
        unchanged: applied.unchanged,
        rejected_rows,
        rejected: rejected.iter().map(|i| i.render(ctx.lang)).collect(),
        missing,
        marked_left,
    }))
}
