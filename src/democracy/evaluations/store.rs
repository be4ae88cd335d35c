//! Queries on evaluation campaigns, their anonymous sheets and results.
//!
//! Secrecy: a sheet is written in the same transaction as the receipt naming the delegate,
//! but the sheet row carries only a random id and the campaign, and its scores hang on that
//! id. Nothing returned, audited or logged names the sheet of a delegate; results are sums
//! and means over all sheets.

use crate::democracy::error::DemocracyError;
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sum};
use diesel::pg::Pg;
use diesel::sql_types::{Array, BigInt, SmallInt};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Caller};
use crate::democracy::access;
use crate::democracy::evaluations::dto::{
    CampaignQuery, CampaignResults, CampaignSummary, CampaignView, CreateCampaign, CriterionInput, CriterionResult,
    CriterionView, MyCampaign, SheetReceipt, SubmitSheet, TargetInput, TargetResult, TargetView, UpdateCampaign,
};
use crate::democracy::evaluations::rules::{self as rules, CampaignAction, Criterion, PairSum, ScoreIn};
use crate::democracy::types::{CampaignStatus, TargetKind};
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::PageParams;
use crate::schema::{
    delegates, departments, evaluation_campaigns as ec, evaluation_criteria as crit, evaluation_receipts,
    evaluation_scores, evaluation_sheets, evaluation_targets as tgt,
};

/// An evaluation campaign row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = ec, check_for_backend(Pg))]
struct CampaignRow {
    id: i64,
    congress_id: i64,
    title: String,
    description: Option<String>,
    status: CampaignStatus,
    opened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

async fn targets_of(conn: &mut AsyncPgConnection, id: i64) -> Result<Vec<TargetView>, ApiError> {
    let rows: Vec<(i64, TargetKind, String, Option<i64>, i32)> = tgt::table
        .filter(tgt::campaign_id.eq(id))
        .order((tgt::sort_order.asc(), tgt::id.asc()))
        .select((tgt::id, tgt::kind, tgt::name, tgt::department_id, tgt::sort_order))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, name, department_id, sort_order)| TargetView { id, kind, name, department_id, sort_order })
        .collect())
}

async fn criteria_of(conn: &mut AsyncPgConnection, id: i64) -> Result<Vec<CriterionView>, ApiError> {
    let rows: Vec<(i64, String, i16, i32)> = crit::table
        .filter(crit::campaign_id.eq(id))
        .order((crit::sort_order.asc(), crit::id.asc()))
        .select((crit::id, crit::name, crit::max_score, crit::sort_order))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, max_score, sort_order)| CriterionView { id, name, max_score, sort_order })
        .collect())
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(conn: &mut AsyncPgConnection, _me: &Caller, id: i64) -> Result<CampaignView, ApiError> {
    read(conn, id).await
}

async fn read(conn: &mut AsyncPgConnection, id: i64) -> Result<CampaignView, ApiError> {
    let r: CampaignRow = ec::table.filter(ec::id.eq(id)).select(CampaignRow::as_select()).first(conn).await?;
    Ok(CampaignView {
        id: r.id,
        congress_id: r.congress_id,
        title: r.title,
        description: r.description,
        status: r.status,
        opened_at: r.opened_at,
        closed_at: r.closed_at,
        targets: targets_of(conn, id).await?,
        criteria: criteria_of(conn, id).await?,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Targets and criteria per campaign, for lists.
async fn counts(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<(Vec<(i64, i64)>, Vec<(i64, i64)>), ApiError> {
    let t: Vec<(i64, i64)> = tgt::table
        .filter(tgt::campaign_id.eq_any(ids))
        .group_by(tgt::campaign_id)
        .select((tgt::campaign_id, count_star()))
        .load(conn)
        .await?;
    let c: Vec<(i64, i64)> = crit::table
        .filter(crit::campaign_id.eq_any(ids))
        .group_by(crit::campaign_id)
        .select((crit::campaign_id, count_star()))
        .load(conn)
        .await?;
    Ok((t, c))
}

fn count_for(counts: &[(i64, i64)], id: i64) -> i64 {
    counts.iter().find(|(c, _)| *c == id).map_or(0, |(_, n)| *n)
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    _me: &Caller,
    f: &CampaignQuery,
    page: &PageParams,
) -> Result<(Vec<CampaignSummary>, i64), ApiError> {
    let query = || {
        let mut q = ec::table.into_boxed();
        if let Some(c) = f.congress_id {
            q = q.filter(ec::congress_id.eq(c));
        }
        if let Some(s) = f.status {
            q = q.filter(ec::status.eq(s.as_str()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<CampaignRow> = query()
        .order((ec::created_at.desc(), ec::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select(CampaignRow::as_select())
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let (t, c) = counts(conn, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r| CampaignSummary {
            id: r.id,
            congress_id: r.congress_id,
            title: r.title,
            status: r.status,
            opened_at: r.opened_at,
            closed_at: r.closed_at,
            target_count: count_for(&t, r.id),
            criterion_count: count_for(&c, r.id),
            version: r.version,
            created_at: r.created_at,
        })
        .collect();
    Ok((items, total))
}

/// 422 for repeated names and unknown departments among targets and criteria.
async fn check_sheet_design(
    conn: &mut AsyncPgConnection,
    targets: Option<&[TargetInput]>,
    criteria: Option<&[CriterionInput]>,
) -> Result<(), ApiError> {
    let mut issues: Vec<FieldIssue> = Vec::new();
    if let Some(targets) = targets {
        issues.extend(rules::duplicate_names("targets", targets.iter().map(|t| t.name.as_str())));
        for (i, t) in targets.iter().enumerate() {
            if let Some(d) = t.department_id {
                let found: Option<i64> = departments::table
                    .filter(departments::id.eq(d))
                    .select(departments::id)
                    .first(conn)
                    .await
                    .optional()?;
                if found.is_none() {
                    issues.push(
                        FieldIssue::new(format!("targets[{i}].department_id"), "unknown_department").with("value", d),
                    );
                }
            }
        }
    }
    if let Some(criteria) = criteria {
        issues.extend(rules::duplicate_names("criteria", criteria.iter().map(|c| c.name.as_str())));
    }
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

async fn replace_targets(conn: &mut AsyncPgConnection, id: i64, targets: &[TargetInput]) -> Result<(), ApiError> {
    diesel::delete(tgt::table.filter(tgt::campaign_id.eq(id))).execute(conn).await?;
    let rows: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                tgt::campaign_id.eq(id),
                tgt::kind.eq(t.kind.as_str()),
                tgt::name.eq(t.name.trim()),
                tgt::department_id.eq(t.department_id),
                tgt::sort_order.eq(i as i32),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(tgt::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

async fn replace_criteria(conn: &mut AsyncPgConnection, id: i64, criteria: &[CriterionInput]) -> Result<(), ApiError> {
    diesel::delete(crit::table.filter(crit::campaign_id.eq(id))).execute(conn).await?;
    let rows: Vec<_> = criteria
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                crit::campaign_id.eq(id),
                crit::name.eq(c.name.trim()),
                crit::max_score.eq(c.max_score),
                crit::sort_order.eq(i as i32),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(crit::table).values(rows).execute(conn).await?;
    }
    Ok(())
}

/// Creates a draft campaign of a congress that has not closed (422 `congress_id`
/// `unknown_congress`, 409 `congress_closed`).
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    input: &CreateCampaign,
    actor: &Actor,
) -> Result<CampaignView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let congress = access::congress(conn, input.congress_id).await.map_err(|e| match e {
            ApiError::NotFound => ApiError::Validation(vec![
                FieldIssue::new("congress_id", "unknown_congress").with("value", input.congress_id),
            ]),
            other => other,
        })?;
        check_sheet_design(conn, Some(&input.targets), Some(&input.criteria)).await?;
        congress.ensure_not_closed()?;
        let id: i64 = diesel::insert_into(ec::table)
            .values((
                ec::congress_id.eq(input.congress_id),
                ec::title.eq(&input.title),
                ec::description.eq(&input.description),
            ))
            .returning(ec::id)
            .get_result(conn)
            .await?;
        replace_targets(conn, id, &input.targets).await?;
        replace_criteria(conn, id, &input.criteria).await?;
        let after = read(conn, id).await?;
        audit::record(conn, actor, "evaluation.create", "evaluation_campaign", id, audit::NONE, Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Locks the campaign row and reads it.
async fn lock(conn: &mut AsyncPgConnection, id: i64) -> Result<CampaignView, ApiError> {
    ec::table.filter(ec::id.eq(id)).select(ec::id).for_update().first::<i64>(conn).await?;
    read(conn, id).await
}

/// Changes a draft (409 `campaign_not_draft` once opened).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    input: &UpdateCampaign,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<CampaignView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = lock(conn, id).await?;
        if_match.check(before.version)?;
        if before.status != CampaignStatus::Draft {
            return Err(DemocracyError::CampaignNotDraft.into());
        }
        check_sheet_design(conn, input.targets.as_deref(), input.criteria.as_deref()).await?;
        diesel::update(ec::table.filter(ec::id.eq(id)))
            .set((
                input.title.as_ref().map(|t| ec::title.eq(t)),
                input.description.as_ref().map(|d| ec::description.eq(d)),
                ec::version.eq(before.version + 1),
                ec::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        if let Some(targets) = &input.targets {
            replace_targets(conn, id, targets).await?;
        }
        if let Some(criteria) = &input.criteria {
            replace_criteria(conn, id, criteria).await?;
        }
        let after = read(conn, id).await?;
        audit::record(conn, actor, "evaluation.update", "evaluation_campaign", id, Some(&before), Some(&after)).await?;
        Ok(after)
    })
    .await
}

/// Sheets submitted and formal delegates of the congress.
async fn turnout(conn: &mut AsyncPgConnection, id: i64, congress_id: i64) -> Result<(i64, i64), ApiError> {
    let sheets: i64 =
        evaluation_sheets::table.filter(evaluation_sheets::campaign_id.eq(id)).count().get_result(conn).await?;
    let formal: i64 = delegates::table
        .filter(delegates::congress_id.eq(congress_id))
        .filter(delegates::kind.eq("formal"))
        .count()
        .get_result(conn)
        .await?;
    Ok((sheets, formal))
}

/// Opens (draft → open; needs targets and criteria) or closes (open → closed, publishing
/// the results with `evaluation.published`) a campaign.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn transition(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    id: i64,
    action: CampaignAction,
    if_match: IfMatch,
    actor: &Actor,
) -> Result<CampaignView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = lock(conn, id).await?;
        if_match.check(before.version)?;
        let to = rules::campaign_transition(before.status, action)?;
        let now = Utc::now();
        if action == CampaignAction::Close {
            // New sheet ids in random order: nothing on disk follows the order of submission.
            diesel::sql_query("SELECT reshuffle_sheets($1)")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(conn)
                .await?;
        }
        if action == CampaignAction::Open {
            rules::ready_to_open(before.targets.len(), before.criteria.len())?;
            access::congress(conn, before.congress_id).await?.ensure_not_closed()?;
        }
        diesel::update(ec::table.filter(ec::id.eq(id)))
            .set((
                ec::status.eq(to.as_str()),
                (action == CampaignAction::Open).then_some(ec::opened_at.eq(now)),
                (action == CampaignAction::Close).then_some(ec::closed_at.eq(now)),
                ec::version.eq(before.version + 1),
                ec::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        let after = read(conn, id).await?;
        let verb = if action == CampaignAction::Open { "evaluation.open" } else { "evaluation.close" };
        audit::record(conn, actor, verb, "evaluation_campaign", id, Some(&before), Some(&after)).await?;
        if action == CampaignAction::Close {
            let (sheets, formal) = turnout(conn, id, after.congress_id).await?;
            let event = json!({
                "campaign_id": id,
                "congress_id": after.congress_id,
                "sheets": sheets,
                "formal_delegates": formal,
                "turnout_bp": crate::kernel::money::Bp::rate(sheets, formal),
                "closed_at": after.closed_at,
            });
            crate::webhooks::emit(conn, "evaluation.published", event).await?;
        }
        Ok(after)
    })
    .await
}

/// Stores a formal delegate's anonymous sheet: the receipt (who) first, then the sheet and
/// its scores (what) under a random id, in one transaction.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn submit_sheet(
    conn: &mut AsyncPgConnection,
    id: i64,
    me: &Caller,
    input: &SubmitSheet,
    actor: &Actor,
) -> Result<SheetReceipt, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Shared lock: sheets go in concurrently, but never past a close.
        let (congress_id, status): (i64, CampaignStatus) =
            ec::table.filter(ec::id.eq(id)).select((ec::congress_id, ec::status)).for_share().first(conn).await?;
        let delegate = access::formal_delegate(conn, me, congress_id).await?;
        if status != CampaignStatus::Open {
            return Err(DemocracyError::CampaignNotOpen.into());
        }
        let targets: Vec<i64> = tgt::table.filter(tgt::campaign_id.eq(id)).select(tgt::id).load(conn).await?;
        let criteria: Vec<Criterion> = crit::table
            .filter(crit::campaign_id.eq(id))
            .select((crit::id, crit::max_score))
            .load::<(i64, i16)>(conn)
            .await?
            .into_iter()
            .map(|(id, max)| Criterion { id, max_score: i64::from(max) })
            .collect();
        let scores: Vec<ScoreIn> = input
            .scores
            .iter()
            .map(|s| ScoreIn { target_id: s.target_id, criterion_id: s.criterion_id, score: i64::from(s.score) })
            .collect();
        let triples = rules::check_sheet(&targets, &criteria, &scores).map_err(ApiError::Validation)?;
        diesel::insert_into(evaluation_receipts::table)
            .values((evaluation_receipts::campaign_id.eq(id), evaluation_receipts::delegate_id.eq(delegate.id)))
            .execute(conn)
            .await?;
        let (t, rest): (Vec<i64>, Vec<(i64, i16)>) = triples.into_iter().map(|(t, c, s)| (t, (c, s))).unzip();
        let (c, s): (Vec<i64>, Vec<i16>) = rest.into_iter().unzip();
        // The sheet's id never leaves the database: it is generated and used in one statement.
        diesel::sql_query(
            "WITH sheet AS (INSERT INTO evaluation_sheets (campaign_id) VALUES ($1) RETURNING id) \
             INSERT INTO evaluation_scores (sheet_id, target_id, criterion_id, score) \
             SELECT sheet.id, x.t, x.c, x.s FROM sheet, unnest($2::bigint[], $3::bigint[], $4::smallint[]) AS x(t, c, s)",
        )
        .bind::<BigInt, _>(id)
        .bind::<Array<BigInt>, _>(t)
        .bind::<Array<BigInt>, _>(c)
        .bind::<Array<SmallInt>, _>(s)
        .execute(conn)
        .await?;
        // The audit row says that the caller evaluated (as the receipt does), never what.
        let after = json!({ "campaign_id": id, "submitted": true });
        audit::record(conn, actor, "evaluation.sheet_submit", "evaluation_campaign", id, audit::NONE, Some(&after))
            .await?;
        Ok(SheetReceipt { campaign_id: id, submitted: true })
    })
    .await
}

/// The published results (409 `results_not_published` until the campaign closes).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn results(conn: &mut AsyncPgConnection, _me: &Caller, id: i64) -> Result<CampaignResults, ApiError> {
    let campaign = read(conn, id).await?;
    if campaign.status != CampaignStatus::Closed {
        return Err(DemocracyError::ResultsNotPublished.into());
    }
    let rows: Vec<(i64, i64, Option<i64>, i64)> = evaluation_scores::table
        .inner_join(tgt::table)
        .filter(tgt::campaign_id.eq(id))
        .group_by((evaluation_scores::target_id, evaluation_scores::criterion_id))
        .select((
            evaluation_scores::target_id,
            evaluation_scores::criterion_id,
            sum(evaluation_scores::score),
            count_star(),
        ))
        .load(conn)
        .await?;
    let sums: Vec<PairSum> = rows
        .into_iter()
        .map(|(target_id, criterion_id, sum, count)| PairSum { target_id, criterion_id, sum: sum.unwrap_or(0), count })
        .collect();
    let criteria: Vec<Criterion> =
        campaign.criteria.iter().map(|c| Criterion { id: c.id, max_score: i64::from(c.max_score) }).collect();
    let target_ids: Vec<i64> = campaign.targets.iter().map(|t| t.id).collect();
    let aggregates = rules::aggregate(&target_ids, &criteria, &sums);
    let mut targets: Vec<TargetResult> = campaign
        .targets
        .iter()
        .zip(aggregates)
        .map(|(t, a)| TargetResult {
            target_id: t.id,
            kind: t.kind,
            name: t.name.clone(),
            department_id: t.department_id,
            rank: a.rank,
            sheets: a.sheets,
            total_mean_x100: a.total_mean_x100,
            max_total: a.max_total,
            score_rate_bp: a.score_rate_bp,
            criteria: campaign
                .criteria
                .iter()
                .zip(a.criteria)
                .map(|(c, (_, mean))| CriterionResult {
                    criterion_id: c.id,
                    name: c.name.clone(),
                    max_score: c.max_score,
                    mean_x100: mean,
                })
                .collect(),
        })
        .collect();
    targets.sort_by_key(|t| t.rank);
    let (sheets, formal) = turnout(conn, id, campaign.congress_id).await?;
    Ok(CampaignResults {
        campaign_id: id,
        congress_id: campaign.congress_id,
        title: campaign.title,
        closed_at: campaign.closed_at,
        sheets,
        formal_delegates: formal,
        turnout_bp: crate::kernel::money::Bp::rate(sheets, formal),
        targets,
    })
}

/// Open campaigns of the congresses where the member is a formal delegate, with whether
/// their sheet is in.
#[tracing::instrument(skip_all)]
pub async fn mine(
    conn: &mut AsyncPgConnection,
    me: &Caller,
    page: &PageParams,
) -> Result<(Vec<MyCampaign>, i64), ApiError> {
    let Some(member_id) = me.member_id() else { return Ok((Vec::new(), 0)) };
    let formal: Vec<(i64, i64)> = delegates::table
        .filter(delegates::member_id.eq(member_id))
        .filter(delegates::kind.eq("formal"))
        .select((delegates::congress_id, delegates::id))
        .load(conn)
        .await?;
    let congress_ids: Vec<i64> = formal.iter().map(|(c, _)| *c).collect();
    let query =
        || ec::table.filter(ec::congress_id.eq_any(congress_ids.clone())).filter(ec::status.eq("open")).into_boxed();
    let total: i64 = query().count().get_result(conn).await?;
    let rows: Vec<(i64, i64, String, Option<DateTime<Utc>>)> = query()
        .order((ec::opened_at.desc(), ec::id.desc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((ec::id, ec::congress_id, ec::title, ec::opened_at))
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let delegate_ids: Vec<i64> = formal.iter().map(|(_, d)| *d).collect();
    let submitted: Vec<i64> = evaluation_receipts::table
        .filter(evaluation_receipts::campaign_id.eq_any(&ids))
        .filter(evaluation_receipts::delegate_id.eq_any(&delegate_ids))
        .select(evaluation_receipts::campaign_id)
        .load(conn)
        .await?;
    let (t, c) = counts(conn, &ids).await?;
    let items = rows
        .into_iter()
        .map(|(id, congress_id, title, opened_at)| MyCampaign {
            id,
            congress_id,
            title,
            opened_at,
            target_count: count_for(&t, id),
            criterion_count: count_for(&c, id),
            submitted: submitted.contains(&id),
        })
        .collect();
    Ok((items, total))
}
