//! Queries on members. Reads and writes are confined to the caller's unit scope; members
//! outside it are "not found". Members are never deleted: leaving is a status change.

use chrono::{NaiveDate, Utc};
use diesel::dsl::{self, exists};
use diesel::pg::Pg;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper, TextExpressionMethods,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::permissions::{Authorized, Caller, UnitScope};
use crate::crypto::SecretKey;
use crate::error::{ApiError, FieldIssue};
use crate::http::etag::IfMatch;
use crate::http::pagination::{PageParams, SortKey};
use crate::kernel::sql::escape_like;
use crate::membership::members::dto::{
    CreateMember, HistoryEvent, MemberHistoryEntry, MemberProfile, MemberQuery, MemberView, UpdateMember,
};
use crate::membership::members::idcard::{self, IdCard};
use crate::membership::members::names;
use crate::membership::types::{EmploymentType, Gender, MemberStatus};
use crate::membership::units::store::{boxed_in_scope, find_in_scope};
use crate::schema::{honors, member_history, members, units};

pub const SORTABLE: &[&str] = &["staff_no", "name", "birth_date", "joined_on", "id"];

/// How much personal data a view may show.
#[derive(Debug, Clone, Copy)]
pub struct Reveal {
    pub phone: bool,
    pub id_card: bool,
}

impl Reveal {
    pub const MASKED: Reveal = Reveal { phone: false, id_card: false };
}

/// A member as the views read them: the row, its unit's name, and whether the member holds
/// a national or provincial model-worker honour (劳模).
#[derive(Queryable, Selectable)]
#[diesel(table_name = members, check_for_backend(Pg))]
struct MemberRow {
    id: i64,
    staff_no: String,
    name: String,
    gender: Gender,
    birth_date: NaiveDate,
    unit_id: i64,
    employment_type: EmploymentType,
    joined_on: NaiveDate,
    status: MemberStatus,
    left_on: Option<NaiveDate>,
    phone: Option<String>,
    id_card_cipher: Option<Vec<u8>>,
    version: i32,
    created_at: chrono::DateTime<Utc>,
    updated_at: chrono::DateTime<Utc>,
    #[diesel(select_expression = units::name, select_expression_type = units::name)]
    unit_name: String,
    #[diesel(select_expression = is_model_worker(), select_expression_type = is_model_worker)]
    is_model_worker: bool,
}

#[dsl::auto_type]
fn is_model_worker() -> _ {
    let categories: [&'static str; 2] = ["model_worker", "advanced_worker"];
    let levels: [&'static str; 2] = ["national", "provincial"];
    exists(
        honors::table
            .filter(honors::member_id.eq(members::id))
            .filter(honors::category.eq_any(categories))
            .filter(honors::level.eq_any(levels)),
    )
}

fn to_view(row: MemberRow, reveal: Reveal, key: &SecretKey) -> MemberView {
    let id_card = row
        .id_card_cipher
        .and_then(|c| key.decrypt(&c))
        .map(|n| if reveal.id_card { n } else { idcard::mask_id_card(&n) });
    MemberView {
        id: row.id,
        staff_no: row.staff_no,
        name: row.name,
        gender: row.gender,
        birth_date: row.birth_date,
        unit_id: row.unit_id,
        unit_name: row.unit_name,
        employment_type: row.employment_type,
        joined_on: row.joined_on,
        status: row.status,
        left_on: row.left_on,
        phone: row.phone.map(|p| if reveal.phone { p } else { idcard::mask_phone(&p) }),
        id_card,
        is_model_worker: row.is_model_worker,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Members joined with their unit, confined to `scope`.
fn scoped(
    scope: &UnitScope,
) -> diesel::helper_types::IntoBoxed<
    'static,
    diesel::helper_types::InnerJoinOn<
        members::table,
        units::table,
        diesel::helper_types::Eq<units::id, members::unit_id>,
    >,
    Pg,
> {
    let mut q = members::table.inner_join(units::table.on(units::id.eq(members::unit_id))).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    q
}

/// One member inside the scope.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    reveal: Reveal,
    key: &SecretKey,
) -> Result<MemberView, ApiError> {
    let scope = auth.scope();
    let row: MemberRow = scoped(scope).filter(members::id.eq(id)).select(MemberRow::as_select()).first(conn).await?;
    Ok(to_view(row, reveal, key))
}

/// One page of members matching `filter` (masked), and the total.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    filter: &MemberQuery,
    sort: &[SortKey],
    page: &PageParams,
    key: &SecretKey,
) -> Result<(Vec<MemberView>, i64), ApiError> {
    list_window(conn, auth, filter, sort, page.per_page(), page.offset(), key).await
}

/// Every member matching `filter` (masked), up to `max`, for exports; and the total.
#[tracing::instrument(skip_all)]
pub async fn list_all(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    filter: &MemberQuery,
    sort: &[SortKey],
    max: i64,
    key: &SecretKey,
) -> Result<(Vec<MemberView>, i64), ApiError> {
    list_window(conn, auth, filter, sort, max, 0, key).await
}

#[allow(clippy::too_many_arguments)]
async fn list_window(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    filter: &MemberQuery,
    sort: &[SortKey],
    limit: i64,
    offset: i64,
    key: &SecretKey,
) -> Result<(Vec<MemberView>, i64), ApiError> {
    let scope = auth.scope();
    let subtree = match filter.unit_id {
        Some(unit_id) => Some(find_in_scope(conn, auth, unit_id).await?.path),
        None => None,
    };
    let query = || {
        let mut q = scoped(scope);
        if let Some(path) = &subtree {
            q = q.filter(units::path.like(format!("{path}%")));
        }
        if let Some(s) = filter.status {
            q = q.filter(members::status.eq(s.as_str()));
        }
        if let Some(t) = filter.employment_type {
            q = q.filter(members::employment_type.eq(t.as_str()));
        }
        if let Some(g) = filter.gender {
            q = q.filter(members::gender.eq(g.as_str()));
        }
        if let Some(month) = filter.birthday_month {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("EXTRACT(MONTH FROM members.birth_date) = ")
                    .bind::<diesel::sql_types::Integer, _>(month as i32),
            );
        }
        if let Some(model) = filter.is_model_worker {
            let holds = exists(
                honors::table
                    .filter(honors::member_id.eq(members::id))
                    .filter(honors::category.eq_any(["model_worker", "advanced_worker"]))
                    .filter(honors::level.eq_any(["national", "provincial"])),
            );
            q = if model { q.filter(holds) } else { q.filter(diesel::dsl::not(holds)) };
        }
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let esc = escape_like(text);
            if names::is_pinyin_query(text) {
                let lower = esc.to_lowercase();
                q = q.filter(
                    members::name_initials
                        .like(format!("{lower}%"))
                        .or(members::name_pinyin.like(format!("{lower}%")))
                        .or(members::staff_no.like(format!("{esc}%")))
                        .or(members::name.like(format!("%{esc}%"))),
                );
            } else {
                q = q.filter(members::name.like(format!("%{esc}%")).or(members::staff_no.like(format!("{esc}%"))));
            }
        }
        q
    };
    let total: i64 = query().count().get_result(conn).await?;
    let mut q = query();
    for key in sort.iter().chain(std::iter::once(&SortKey { field: "id".into(), descending: false })) {
        q = match (key.field.as_str(), key.descending) {
            ("staff_no", false) => q.then_order_by(members::staff_no.asc()),
            ("staff_no", true) => q.then_order_by(members::staff_no.desc()),
            // Chinese names sort by their pinyin, as people expect.
            ("name", false) => q.then_order_by(members::name_pinyin.asc()),
            ("name", true) => q.then_order_by(members::name_pinyin.desc()),
            ("birth_date", false) => q.then_order_by(members::birth_date.asc()),
            ("birth_date", true) => q.then_order_by(members::birth_date.desc()),
            ("joined_on", false) => q.then_order_by(members::joined_on.asc()),
            ("joined_on", true) => q.then_order_by(members::joined_on.desc()),
            (_, true) => q.then_order_by(members::id.desc()),
            _ => q.then_order_by(members::id.asc()),
        };
    }
    let rows: Vec<MemberRow> = q.limit(limit).offset(offset).select(MemberRow::as_select()).load(conn).await?;
    Ok((rows.into_iter().map(|r| to_view(r, Reveal::MASKED, key)).collect(), total))
}

/// Checks that an ID card agrees with the stated birth date and gender.
pub fn check_id_card_matches(card: &IdCard, birth_date: NaiveDate, gender: Gender) -> Result<(), ApiError> {
    let mut issues = Vec::new();
    if card.birth_date != birth_date {
        issues.push(FieldIssue::new("id_card", "id_card_birth_mismatch"));
    }
    if card.gender != gender {
        issues.push(FieldIssue::new("id_card", "id_card_gender_mismatch"));
    }
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

fn check_dates(birth_date: NaiveDate, joined_on: NaiveDate) -> Result<(), ApiError> {
    let today = crate::kernel::calendar::today_shanghai();
    let mut issues = Vec::new();
    if birth_date > today {
        issues.push(FieldIssue::new("birth_date", "date_in_future"));
    }
    if joined_on > today {
        issues.push(FieldIssue::new("joined_on", "date_in_future"));
    }
    if joined_on < birth_date {
        issues.push(FieldIssue::new("joined_on", "date_order").with("other", "birth_date"));
    }
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

/// The three stored forms of an ID card: ciphertext, lookup hash, last-6 hash.
pub fn id_card_columns(key: &SecretKey, card: &IdCard) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        key.encrypt(&card.number),
        key.lookup_hash("id_card", &card.number),
        key.lookup_hash("id_card_last6", &idcard::last6(&card.number)),
    )
}

/// A new member, for `create` and imports (already validated).
pub struct NewMember<'a> {
    pub staff_no: &'a str,
    pub name: &'a str,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub unit_id: i64,
    pub employment_type: EmploymentType,
    pub joined_on: NaiveDate,
    pub phone: Option<&'a str>,
    pub id_card: Option<&'a IdCard>,
}

/// Inserts a member with its `joined` history row (call inside a transaction); returns the id.
#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    m: &NewMember<'_>,
    key: &SecretKey,
    actor: &Actor,
) -> Result<i64, ApiError> {
    let (pinyin, initials) = names::pinyin_keys(m.name);
    let card = m.id_card.map(|c| id_card_columns(key, c));
    let id: i64 = diesel::insert_into(members::table)
        .values((
            members::staff_no.eq(m.staff_no),
            members::name.eq(m.name),
            members::name_pinyin.eq(pinyin),
            members::name_initials.eq(initials),
            members::gender.eq(m.gender.as_str()),
            members::birth_date.eq(m.birth_date),
            members::unit_id.eq(m.unit_id),
            members::employment_type.eq(m.employment_type.as_str()),
            members::joined_on.eq(m.joined_on),
            members::phone.eq(m.phone),
            members::id_card_cipher.eq(card.as_ref().map(|c| c.0.clone())),
            members::id_card_hash.eq(card.as_ref().map(|c| c.1.clone())),
            members::id_card_last6_hash.eq(card.as_ref().map(|c| c.2.clone())),
        ))
        .returning(members::id)
        .get_result(conn)
        .await?;
    write_history(conn, id, HistoryEvent::Joined, None, Some(m.unit_id), m.joined_on, None, actor).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn write_history(
    conn: &mut AsyncPgConnection,
    member_id: i64,
    event: HistoryEvent,
    from_unit: Option<i64>,
    to_unit: Option<i64>,
    effective_on: NaiveDate,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<(), ApiError> {
    let event = match event {
        HistoryEvent::Joined => "joined",
        HistoryEvent::Transferred => "transferred",
        HistoryEvent::Left => "left",
        HistoryEvent::Rejoined => "rejoined",
    };
    diesel::insert_into(member_history::table)
        .values((
            member_history::member_id.eq(member_id),
            member_history::event.eq(event),
            member_history::from_unit_id.eq(from_unit),
            member_history::to_unit_id.eq(to_unit),
            member_history::effective_on.eq(effective_on),
            member_history::reason.eq(reason),
            member_history::actor_user_id.eq(actor.user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

fn unknown_unit(field: &str, id: i64) -> ApiError {
    ApiError::Validation(vec![FieldIssue::new(field, "unknown_unit").with("value", id)])
}

#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    input: &CreateMember,
    key: &SecretKey,
    actor: &Actor,
) -> Result<MemberView, ApiError> {
    let card = input
        .id_card
        .as_deref()
        .map(idcard::parse_id_card)
        .transpose()
        .map_err(|_| ApiError::invalid("id_card", "invalid_id_card"))?;
    if let Some(card) = &card {
        check_id_card_matches(card, input.birth_date, input.gender)?;
    }
    check_dates(input.birth_date, input.joined_on)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        find_in_scope(conn, auth, input.unit_id).await.map_err(|_| unknown_unit("unit_id", input.unit_id))?;
        let new = NewMember {
            staff_no: &input.staff_no,
            name: &input.name,
            gender: input.gender,
            birth_date: input.birth_date,
            unit_id: input.unit_id,
            employment_type: input.employment_type,
            joined_on: input.joined_on,
            phone: input.phone.as_deref(),
            id_card: card.as_ref(),
        };
        let id = insert(conn, auth, &new, key, actor).await?;
        let view = get(conn, auth, id, Reveal::MASKED, key).await?;
        audit::record(conn, actor, "member.create", "member", id, audit::NONE, Some(&view)).await?;
        crate::membership::members::events::emit_member(conn, auth, "member.create", None, &view).await?;
        Ok(view)
    })
    .await
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    input: &UpdateMember,
    if_match: IfMatch,
    key: &SecretKey,
    actor: &Actor,
) -> Result<MemberView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Lock the row so that two updates with the same If-Match cannot both pass the check.
        let stored_cipher: Option<Vec<u8>> =
            members::table.filter(members::id.eq(id)).select(members::id_card_cipher).for_update().first(conn).await?;
        let before = get(conn, auth, id, Reveal::MASKED, key).await?;
        if_match.check(before.version)?;
        let birth_date = input.birth_date.unwrap_or(before.birth_date);
        let gender = input.gender.unwrap_or(before.gender);
        check_dates(birth_date, input.joined_on.unwrap_or(before.joined_on))?;
        let card = input
            .id_card
            .as_deref()
            .map(idcard::parse_id_card)
            .transpose()
            .map_err(|_| ApiError::invalid("id_card", "invalid_id_card"))?;
        if let Some(card) = &card {
            check_id_card_matches(card, birth_date, gender)?;
        } else if input.birth_date.is_some() || input.gender.is_some() {
            // The stored card must keep agreeing with a changed birth date or gender.
            let stored = stored_cipher.and_then(|c| key.decrypt(&c)).and_then(|n| idcard::parse_id_card(&n).ok());
            if let Some(stored) = &stored {
                check_id_card_matches(stored, birth_date, gender)?;
            }
        }
        let keys = input.name.as_deref().map(names::pinyin_keys);
        let card_cols = card.as_ref().map(|c| id_card_columns(key, c));
        diesel::update(members::table.filter(members::id.eq(id)))
            .set((
                input.name.as_ref().map(|n| members::name.eq(n)),
                keys.as_ref().map(|k| members::name_pinyin.eq(&k.0)),
                keys.as_ref().map(|k| members::name_initials.eq(&k.1)),
                input.gender.map(|g| members::gender.eq(g.as_str())),
                input.birth_date.map(|d| members::birth_date.eq(d)),
                input.employment_type.map(|t| members::employment_type.eq(t.as_str())),
                input.joined_on.map(|d| members::joined_on.eq(d)),
                input.phone.as_ref().map(|p| members::phone.eq(p)),
                card_cols.as_ref().map(|c| members::id_card_cipher.eq(&c.0)),
                card_cols.as_ref().map(|c| members::id_card_hash.eq(&c.1)),
                card_cols.as_ref().map(|c| members::id_card_last6_hash.eq(&c.2)),
                members::version.eq(before.version + 1),
                members::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        let after = get(conn, auth, id, Reveal::MASKED, key).await?;
        audit::record(conn, actor, "member.update", "member", id, Some(&before), Some(&after)).await?;
        crate::membership::members::events::emit_member(conn, auth, "member.update", Some(&before), &after).await?;
        Ok(after)
    })
    .await
}

/// A status or unit change with its history row; `change` applies the rule and the update.
pub enum Move<'a> {
    Transfer { to_unit_id: i64, effective_on: NaiveDate, reason: Option<&'a str> },
    Leave { effective_on: NaiveDate, reason: &'a str },
    Rejoin { unit_id: Option<i64>, effective_on: NaiveDate, reason: Option<&'a str> },
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn apply_move(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    change: Move<'_>,
    if_match: IfMatch,
    key: &SecretKey,
    actor: &Actor,
) -> Result<MemberView, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        // Lock the row: two concurrent moves of one member serialise here.
        members::table.filter(members::id.eq(id)).select(members::id).for_update().first::<i64>(conn).await?;
        let before = get(conn, auth, id, Reveal::MASKED, key).await?;
        if_match.check(before.version)?;
        let (action, event, to_unit, effective_on, reason, status, left_on) = match change {
            Move::Transfer { to_unit_id, effective_on, reason } => {
                crate::membership::members::rules::can_transfer(before.status, before.unit_id, to_unit_id)?;
                find_in_scope(conn, auth, to_unit_id).await.map_err(|_| unknown_unit("to_unit_id", to_unit_id))?;
                (
                    "member.transfer",
                    HistoryEvent::Transferred,
                    to_unit_id,
                    effective_on,
                    reason,
                    MemberStatus::Active,
                    None,
                )
            }
            Move::Leave { effective_on, reason } => {
                crate::membership::members::rules::can_leave(before.status)?;
                (
                    "member.leave",
                    HistoryEvent::Left,
                    before.unit_id,
                    effective_on,
                    Some(reason),
                    MemberStatus::Left,
                    Some(effective_on),
                )
            }
            Move::Rejoin { unit_id, effective_on, reason } => {
                crate::membership::members::rules::can_rejoin(before.status)?;
                let unit = unit_id.unwrap_or(before.unit_id);
                find_in_scope(conn, auth, unit).await.map_err(|_| unknown_unit("unit_id", unit))?;
                ("member.rejoin", HistoryEvent::Rejoined, unit, effective_on, reason, MemberStatus::Active, None)
            }
        };
        check_effective_on(effective_on, &before)?;
        diesel::update(members::table.filter(members::id.eq(id)))
            .set((
                members::unit_id.eq(to_unit),
                members::status.eq(status.as_str()),
                members::left_on.eq(left_on),
                members::version.eq(before.version + 1),
                members::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        write_history(conn, id, event, Some(before.unit_id), Some(to_unit), effective_on, reason, actor).await?;
        let after = get(conn, auth, id, Reveal::MASKED, key).await?;
        audit::record(conn, actor, action, "member", id, Some(&before), Some(&after)).await?;
        crate::membership::members::events::emit_member(conn, auth, action, Some(&before), &after).await?;
        Ok(after)
    })
    .await
}

/// A membership event is dated no later than today and no earlier than the member's joining
/// (or, for a rejoin, leaving).
fn check_effective_on(effective_on: NaiveDate, before: &MemberView) -> Result<(), ApiError> {
    let mut issues = Vec::new();
    if effective_on > crate::kernel::calendar::today_shanghai() {
        issues.push(FieldIssue::new("effective_on", "date_in_future"));
    }
    let (earliest, other) = match before.left_on {
        Some(left_on) if left_on > before.joined_on => (left_on, "left_on"),
        _ => (before.joined_on, "joined_on"),
    };
    if effective_on < earliest {
        issues.push(FieldIssue::new("effective_on", "date_order").with("other", other));
    }
    if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn history(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    id: i64,
    page: &PageParams,
    key: &SecretKey,
) -> Result<(Vec<MemberHistoryEntry>, i64), ApiError> {
    get(conn, auth, id, Reveal::MASKED, key).await?;
    let q = || member_history::table.filter(member_history::member_id.eq(id));
    let total: i64 = q().count().get_result(conn).await?;
    type Row = (i64, String, Option<i64>, Option<i64>, NaiveDate, Option<String>, Option<i64>, chrono::DateTime<Utc>);
    let rows: Vec<Row> = q()
        .order((member_history::at.asc(), member_history::id.asc()))
        .limit(page.per_page())
        .offset(page.offset())
        .select((
            member_history::id,
            member_history::event,
            member_history::from_unit_id,
            member_history::to_unit_id,
            member_history::effective_on,
            member_history::reason,
            member_history::actor_user_id,
            member_history::at,
        ))
        .load(conn)
        .await?;
    let items = rows
        .into_iter()
        .map(|(id, event, from_unit_id, to_unit_id, effective_on, reason, actor_user_id, at)| MemberHistoryEntry {
            id,
            event: match event.as_str() {
                "transferred" => HistoryEvent::Transferred,
                "left" => HistoryEvent::Left,
                "rejoined" => HistoryEvent::Rejoined,
                _ => HistoryEvent::Joined,
            },
            from_unit_id,
            to_unit_id,
            effective_on,
            reason,
            actor_user_id,
            at,
        })
        .collect();
    Ok((items, total))
}
/// A member's own profile (for `/me`): not masked, since it is the caller's own data.
#[tracing::instrument(skip_all)]
pub async fn member_profile(conn: &mut AsyncPgConnection, me: &Caller) -> Result<Option<MemberProfile>, ApiError> {
    let Some(member_id) = me.member_id() else { return Ok(None) };
    type Row =
        (i64, String, String, Gender, i64, String, EmploymentType, chrono::NaiveDate, MemberStatus, Option<String>);
    let row: Option<Row> = members::table
        .inner_join(units::table.on(units::id.eq(members::unit_id)))
        .filter(members::id.eq(member_id))
        .select((
            members::id,
            members::staff_no,
            members::name,
            members::gender,
            members::unit_id,
            units::name,
            members::employment_type,
            members::joined_on,
            members::status,
            members::phone,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(id, staff_no, name, gender, unit_id, unit_name, employment_type, joined_on, status, phone)| {
        MemberProfile { id, staff_no, name, gender, unit_id, unit_name, employment_type, joined_on, status, phone }
    }))
}

/// The member's (name, unit id) if the member lies inside `scope`.
pub(crate) async fn member_in_scope(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    member_id: i64,
) -> Result<(String, i64), ApiError> {
    let scope = auth.scope();
    let mut q = members::table.filter(members::id.eq(member_id)).into_boxed();
    if scope.like_patterns().is_some() {
        q = q.filter(members::unit_id.eq_any(boxed_in_scope(scope).select(units::id)));
    }
    // Only "no such row" means an unknown member; a lost connection stays a 503.
    q.select((members::name, members::unit_id)).first(conn).await.map_err(|e| match e {
        diesel::result::Error::NotFound => {
            ApiError::Validation(vec![FieldIssue::new("member_id", "unknown_member").with("value", member_id)])
        }
        other => other.into(),
    })
}
