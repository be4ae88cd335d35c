//! Writing a roster: batches of [`BATCH_SIZE`] rows, one transaction each. Per batch, one
//! query loads the stored members of its staff numbers (locked), one finds the holders of its
//! ID cards, the comparison runs in Rust, new members are inserted with one multi-row INSERT
//! (their `joined` history and audit rows likewise), and each changed member is one UPDATE.
//! Unchanged rows write nothing. Webhook events go to the outbox in the same transaction:
//! `members.imported` per batch with new members, `member.updated` / `member.transferred` /
//! `member.rejoined` / `member.left` per changed member. Batches of roster syncs are serialised by an advisory lock,
//! so two syncs running at once cannot create the same staff number twice.
//!
//! A batch that fails rolls back alone: earlier batches stay applied (re-sending the roster
//! is safe, since applied rows are then unchanged).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::audit::Actor;
use crate::crypto::SecretKey;
use crate::error::{ApiError, FieldIssue};
use crate::integrations::roster::{self, BATCH_SIZE, Change, Incoming, Movement, Outcome, Stored, UnitIndex};
use crate::membership::id_card_columns;
use crate::membership::idcard;
use crate::membership::names;
use crate::membership::parse::ImportRow;
use crate::membership::types::{EmploymentType, Gender, MemberStatus};
use crate::schema::{audit_log, member_history, members, units};

/// Serialises roster batches (and mark-left batches) across requests and instances.
const LOCK_KEY: i64 = 726_100_301;
/// `member_history.reason` of roster changes.
const REASON_SYNC: &str = "人事名册同步";
const REASON_MISSING: &str = "人事名册同步：名册中已无此人";

/// What the batches did.
#[derive(Debug, Default)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub transferred: usize,
    pub rejoined: usize,
    pub unchanged: usize,
    /// Rows refused against the database (unknown unit, ID card of another member, …).
    pub rejected: Vec<FieldIssue>,
}

impl Applied {
    fn add(&mut self, other: Applied) {
        self.created += other.created;
        self.updated += other.updated;
        self.transferred += other.transferred;
        self.rejoined += other.rejoined;
        self.unchanged += other.unchanged;
        self.rejected.extend(other.rejected);
    }
}

/// Every unit, for resolving the roster's `unit` cells (API clients act on all units).
pub async fn load_units(conn: &mut AsyncPgConnection) -> Result<UnitIndex, ApiError> {
    let rows: Vec<(i64, String, Option<String>)> =
        units::table.select((units::id, units::name, units::code)).load(conn).await?;
    Ok(UnitIndex::new(rows))
}

/// Applies valid rows, batch by batch.
pub async fn apply(
    conn: &mut AsyncPgConnection,
    rows: &[ImportRow],
    units: &UnitIndex,
    key: &SecretKey,
    actor: &Actor,
) -> Result<Applied, ApiError> {
    let mut applied = Applied::default();
    for batch in rows.chunks(BATCH_SIZE) {
        let done =
            conn.transaction::<_, ApiError, _>(async |conn| apply_batch(conn, batch, units, key, actor).await).await?;
        applied.add(done);
    }
    Ok(applied)
}

type StoredRow = (
    (i64, String, String, Gender, NaiveDate, i64, EmploymentType, NaiveDate, MemberStatus),
    (Option<String>, Option<Vec<u8>>, Option<Vec<u8>>, i32),
);

fn to_stored(row: StoredRow) -> (Stored, Option<Vec<u8>>) {
    let ((id, staff_no, name, gender, birth_date, unit_id, employment_type, joined_on, status), rest) = row;
    let (phone, id_card_hash, id_card_cipher, version) = rest;
    let stored = Stored {
        id,
        staff_no,
        name,
        gender,
        birth_date,
        unit_id,
        employment_type,
        joined_on,
        status,
        phone,
        id_card_hash,
        version,
    };
    (stored, id_card_cipher)
}

/// Full pinyin and initials of a name.
type PinyinKeys = (String, String);
/// Ciphertext, lookup hash and last-6 hash of an ID card.
type CardColumns = (Vec<u8>, Vec<u8>, Vec<u8>);

/// One audit row to write.
struct AuditRow {
    action: &'static str,
    entity_id: String,
    before: Option<Value>,
    after: Option<Value>,
}

/// One history row to write.
struct HistoryRow {
    member_id: i64,
    event: &'static str,
    from_unit: Option<i64>,
    to_unit: Option<i64>,
    effective_on: NaiveDate,
    reason: &'static str,
}

async fn lock(conn: &mut AsyncPgConnection) -> Result<(), ApiError> {
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK_KEY})")).execute(conn).await?;
    Ok(())
}

async fn apply_batch(
    conn: &mut AsyncPgConnection,
    batch: &[ImportRow],
    units: &UnitIndex,
    key: &SecretKey,
    actor: &Actor,
) -> Result<Applied, ApiError> {
    lock(conn).await?;
    let today = crate::kernel::calendar::today_shanghai();
    let mut applied = Applied::default();

    let mut incoming = Vec::with_capacity(batch.len());
    for row in batch {
        match units.find(&row.unit) {
            Ok(unit_id) => {
                let id_card_hash = row.id_card.as_ref().map(|c| key.lookup_hash("id_card", &c.number));
                incoming.push(Incoming { row, unit_id, id_card_hash });
            }
            Err(issue) => applied.rejected.push(issue.at_row(row.row)),
        }
    }

    // The stored members of these staff numbers, locked until the batch commits.
    let staff_nos: Vec<&str> = incoming.iter().map(|n| n.row.staff_no.as_str()).collect();
    let rows: Vec<StoredRow> = members::table
        .filter(members::staff_no.eq_any(&staff_nos))
        .select((
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
            ),
            (members::phone, members::id_card_hash, members::id_card_cipher, members::version),
        ))
        .for_update()
        .load(conn)
        .await?;
    let mut stored: HashMap<String, (Stored, Option<Vec<u8>>)> = HashMap::with_capacity(rows.len());
    for row in rows {
        let (s, cipher) = to_stored(row);
        stored.insert(s.staff_no.clone(), (s, cipher));
    }

    // Who holds the ID cards of this batch.
    let hashes: Vec<&Vec<u8>> = incoming.iter().filter_map(|n| n.id_card_hash.as_ref()).collect();
    let holders: HashMap<Vec<u8>, String> = if hashes.is_empty() {
        HashMap::new()
    } else {
        let found: Vec<(Option<Vec<u8>>, String)> = members::table
            .filter(members::id_card_hash.eq_any(hashes))
            .select((members::id_card_hash, members::staff_no))
            .load(conn)
            .await?;
        found.into_iter().filter_map(|(h, s)| Some((h?, s))).collect()
    };

    let mut creates: Vec<&Incoming<'_>> = Vec::new();
    let mut updates: Vec<(&Incoming<'_>, &Stored, Change)> = Vec::new();
    for new in &incoming {
        let r = new.row;
        if let Some(holder) = new.id_card_hash.as_ref().and_then(|h| holders.get(h))
            && *holder != r.staff_no
        {
            applied.rejected.push(FieldIssue::new("id_card", "id_card_taken").at_row(r.row));
            continue;
        }
        let found = stored.get(&r.staff_no);
        match (roster::compare(found.map(|(s, _)| s), new), found) {
            (Outcome::Unchanged, _) => applied.unchanged += 1,
            (Outcome::Create, _) => creates.push(new),
            (Outcome::Update(change), Some((s, cipher))) => {
                let identity_changed = change.fields.iter().any(|f| matches!(*f, "birth_date" | "gender"));
                if r.id_card.is_none() && identity_changed {
                    let card =
                        cipher.as_ref().and_then(|c| key.decrypt(c)).and_then(|n| idcard::parse_id_card(&n).ok());
                    let mismatches = card.map(|c| roster::stored_card_mismatches(&c, r)).unwrap_or_default();
                    if !mismatches.is_empty() {
                        applied.rejected.extend(mismatches);
                        continue;
                    }
                }
                updates.push((new, s, change));
            }
            (Outcome::Update(_), None) => creates.push(new),
        }
    }

    let mut history = Vec::new();
    let mut audit = Vec::new();
    create_members(conn, &creates, key, &mut applied, &mut history, &mut audit).await?;
    // Webhook events, in this transaction (outbox): one `members.imported` for the batch's new
    // members (as the import does), one member event per changed member.
    if applied.created > 0 {
        let units: Vec<i64> = history.iter().filter_map(|h| h.to_unit).collect();
        crate::webhooks::emit(conn, "members.imported", crate::membership::members_imported(applied.created, &units))
            .await?;
    }

    for (new, s, change) in updates {
        let r = new.row;
        let (pinyin, initials) = names::pinyin_keys(&r.name);
        let card = r.id_card.as_ref().filter(|_| change.fields.contains(&"id_card")).map(|c| id_card_columns(key, c));
        diesel::update(members::table.filter(members::id.eq(s.id)))
            .set((
                members::name.eq(&r.name),
                members::name_pinyin.eq(pinyin),
                members::name_initials.eq(initials),
                members::gender.eq(r.gender.as_str()),
                members::birth_date.eq(r.birth_date),
                members::unit_id.eq(new.unit_id),
                members::employment_type.eq(r.employment_type.as_str()),
                members::joined_on.eq(r.joined_on),
                members::status.eq(MemberStatus::Active.as_str()),
                members::left_on.eq(None::<NaiveDate>),
                r.phone.as_deref().map(|p| members::phone.eq(p)),
                card.as_ref().map(|c| members::id_card_cipher.eq(&c.0)),
                card.as_ref().map(|c| members::id_card_hash.eq(&c.1)),
                card.as_ref().map(|c| members::id_card_last6_hash.eq(&c.2)),
                members::version.eq(s.version + 1),
                members::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        applied.updated += 1;
        let action = match change.movement {
            Some(Movement::Rejoin { from, to }) => {
                applied.rejoined += 1;
                history.push(HistoryRow {
                    member_id: s.id,
                    event: "rejoined",
                    from_unit: Some(from),
                    to_unit: Some(to),
                    effective_on: today,
                    reason: REASON_SYNC,
                });
                "member.rejoin"
            }
            Some(Movement::Transfer { from, to }) => {
                applied.transferred += 1;
                history.push(HistoryRow {
                    member_id: s.id,
                    event: "transferred",
                    from_unit: Some(from),
                    to_unit: Some(to),
                    effective_on: today,
                    reason: REASON_SYNC,
                });
                "member.transfer"
            }
            None => "member.update",
        };
        let mut event = json!({
            "member_id": s.id, "staff_no": r.staff_no, "unit_id": new.unit_id, "status": MemberStatus::Active,
            "version": s.version + 1,
        });
        if s.unit_id != new.unit_id {
            event["from_unit_id"] = json!(s.unit_id);
        }
        let event_type = match action {
            "member.rejoin" => "member.rejoined",
            "member.transfer" => "member.transferred",
            _ => "member.updated",
        };
        crate::webhooks::emit(conn, event_type, event).await?;
        let before = serde_json::to_value(roster::snapshot_of_stored(s)).ok();
        let after = roster::snapshot_of_incoming(new, s.phone.as_deref(), Some(&change.fields));
        audit.push(AuditRow {
            action,
            entity_id: s.id.to_string(),
            before,
            after: serde_json::to_value(after).ok().map(|mut v| {
                v["version"] = json!(s.version + 1);
                v
            }),
        });
    }

    write_history(conn, &history, actor).await?;
    write_audit(conn, &audit, actor).await?;
    Ok(applied)
}

/// Inserts new members with one statement; rows that lost a race to another writer (a staff
/// number or ID card taken meanwhile) are reported as rejected.
async fn create_members(
    conn: &mut AsyncPgConnection,
    creates: &[&Incoming<'_>],
    key: &SecretKey,
    applied: &mut Applied,
    history: &mut Vec<HistoryRow>,
    audit: &mut Vec<AuditRow>,
) -> Result<(), ApiError> {
    if creates.is_empty() {
        return Ok(());
    }
    let prepared: Vec<(PinyinKeys, Option<CardColumns>)> = creates
        .iter()
        .map(|n| (names::pinyin_keys(&n.row.name), n.row.id_card.as_ref().map(|c| id_card_columns(key, c))))
        .collect();
    let values: Vec<_> = creates
        .iter()
        .zip(&prepared)
        .map(|(n, ((pinyin, initials), card))| {
            let r = n.row;
            (
                members::staff_no.eq(r.staff_no.as_str()),
                members::name.eq(r.name.as_str()),
                members::name_pinyin.eq(pinyin.as_str()),
                members::name_initials.eq(initials.as_str()),
                members::gender.eq(r.gender.as_str()),
                members::birth_date.eq(r.birth_date),
                members::unit_id.eq(n.unit_id),
                members::employment_type.eq(r.employment_type.as_str()),
                members::joined_on.eq(r.joined_on),
                members::phone.eq(r.phone.as_deref()),
                members::id_card_cipher.eq(card.as_ref().map(|c| c.0.as_slice())),
                members::id_card_hash.eq(card.as_ref().map(|c| c.1.as_slice())),
                members::id_card_last6_hash.eq(card.as_ref().map(|c| c.2.as_slice())),
            )
        })
        .collect();
    let inserted: Vec<(i64, String)> = diesel::insert_into(members::table)
        .values(values)
        .on_conflict_do_nothing()
        .returning((members::id, members::staff_no))
        .get_results(conn)
        .await?;
    let ids: HashMap<String, i64> = inserted.into_iter().map(|(id, s)| (s, id)).collect();
    let mut lost = Vec::new();
    for n in creates {
        let Some(&id) = ids.get(&n.row.staff_no) else {
            lost.push(*n);
            continue;
        };
        applied.created += 1;
        history.push(HistoryRow {
            member_id: id,
            event: "joined",
            from_unit: None,
            to_unit: Some(n.unit_id),
            effective_on: n.row.joined_on,
            reason: REASON_SYNC,
        });
        let mut after = serde_json::to_value(roster::snapshot_of_incoming(n, None, None)).ok();
        if let Some(v) = after.as_mut() {
            v["version"] = json!(1);
        }
        audit.push(AuditRow { action: "member.create", entity_id: id.to_string(), before: None, after });
    }
    if !lost.is_empty() {
        let staff_nos: Vec<&str> = lost.iter().map(|n| n.row.staff_no.as_str()).collect();
        let taken: HashSet<String> = members::table
            .filter(members::staff_no.eq_any(&staff_nos))
            .select(members::staff_no)
            .load::<String>(conn)
            .await?
            .into_iter()
            .collect();
        for n in lost {
            let issue = if taken.contains(&n.row.staff_no) {
                FieldIssue::new("staff_no", "staff_no_taken")
            } else {
                FieldIssue::new("id_card", "id_card_taken")
            };
            applied.rejected.push(issue.at_row(n.row.row));
        }
    }
    Ok(())
}

async fn write_history(conn: &mut AsyncPgConnection, rows: &[HistoryRow], actor: &Actor) -> Result<(), ApiError> {
    for chunk in rows.chunks(BATCH_SIZE) {
        let values: Vec<_> = chunk
            .iter()
            .map(|h| {
                (
                    member_history::member_id.eq(h.member_id),
                    member_history::event.eq(h.event),
                    member_history::from_unit_id.eq(h.from_unit),
                    member_history::to_unit_id.eq(h.to_unit),
                    member_history::effective_on.eq(h.effective_on),
                    member_history::reason.eq(Some(h.reason)),
                    member_history::actor_user_id.eq(actor.user_id),
                )
            })
            .collect();
        diesel::insert_into(member_history::table).values(values).execute(conn).await?;
    }
    Ok(())
}

/// The audit rows of a batch in one statement (the columns `audit::record` writes).
async fn write_audit(conn: &mut AsyncPgConnection, rows: &[AuditRow], actor: &Actor) -> Result<(), ApiError> {
    for chunk in rows.chunks(BATCH_SIZE) {
        let values: Vec<_> = chunk
            .iter()
            .map(|a| {
                (
                    audit_log::actor_user_id.eq(actor.user_id),
                    audit_log::actor_client_id.eq(actor.client_id),
                    audit_log::actor_label.eq(actor.label.as_str()),
                    audit_log::action.eq(a.action),
                    audit_log::entity.eq("member"),
                    audit_log::entity_id.eq(a.entity_id.as_str()),
                    audit_log::before.eq(a.before.as_ref()),
                    audit_log::after.eq(a.after.as_ref()),
                    audit_log::request_id.eq(actor.request_id.as_deref()),
                )
            })
            .collect();
        diesel::insert_into(audit_log::table).values(values).execute(conn).await?;
    }
    Ok(())
}

/// Active members whose staff number the roster does not name, by staff number.
pub async fn missing(conn: &mut AsyncPgConnection, named: &HashSet<String>) -> Result<Vec<(i64, String)>, ApiError> {
    let active: Vec<(i64, String)> = members::table
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .order(members::staff_no.asc())
        .select((members::id, members::staff_no))
        .load(conn)
        .await?;
    Ok(active.into_iter().filter(|(_, staff_no)| !named.contains(staff_no)).collect())
}

/// Marks these members as left today (those still active), with history and audit rows;
/// returns how many were marked.
pub async fn mark_left(conn: &mut AsyncPgConnection, ids: &[i64], actor: &Actor) -> Result<usize, ApiError> {
    let mut marked = 0;
    for chunk in ids.chunks(BATCH_SIZE) {
        marked += conn
            .transaction::<_, ApiError, _>(async |conn| {
                lock(conn).await?;
                let today = crate::kernel::calendar::today_shanghai();
                let rows: Vec<(i64, String, i64, i32)> = diesel::update(
                    members::table
                        .filter(members::id.eq_any(chunk))
                        .filter(members::status.eq(MemberStatus::Active.as_str())),
                )
                .set((
                    members::status.eq(MemberStatus::Left.as_str()),
                    members::left_on.eq(today),
                    members::version.eq(members::version + 1),
                    members::updated_at.eq(Utc::now()),
                ))
                .returning((members::id, members::staff_no, members::unit_id, members::version))
                .get_results(conn)
                .await?;
                let history: Vec<HistoryRow> = rows
                    .iter()
                    .map(|(id, _, unit, _)| HistoryRow {
                        member_id: *id,
                        event: "left",
                        from_unit: Some(*unit),
                        to_unit: Some(*unit),
                        effective_on: today,
                        reason: REASON_MISSING,
                    })
                    .collect();
                let audit: Vec<AuditRow> = rows
                    .iter()
                    .map(|(id, staff_no, unit, version)| AuditRow {
                        action: "member.leave",
                        entity_id: id.to_string(),
                        before: Some(
                            json!({"staff_no": staff_no, "unit_id": unit, "status": "active", "version": version - 1}),
                        ),
                        after: Some(json!({
                            "source": "roster", "staff_no": staff_no, "unit_id": unit, "status": "left",
                            "left_on": today, "reason": REASON_MISSING, "version": version,
                        })),
                    })
                    .collect();
                write_history(conn, &history, actor).await?;
                write_audit(conn, &audit, actor).await?;
                for (id, staff_no, unit, version) in &rows {
                    let event = json!({
                        "member_id": id, "staff_no": staff_no, "unit_id": unit, "status": MemberStatus::Left,
                        "version": version, "left_on": today,
                    });
                    crate::webhooks::emit(conn, "member.left", event).await?;
                }
                Ok(rows.len())
            })
            .await?;
    }
    Ok(marked)
}
