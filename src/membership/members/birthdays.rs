//! The monthly birthday list: on the first day of each month (job
//! `membership.birthday_list`, payload `{"month": "YYYY-MM"}`) the active, non-retired
//! members born in that month, grouped by unit, are sent as one `members.birthday_list`
//! webhook event (member id, staff number, name, birth date; no phone or ID-card number).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::auth::permissions::{Authorized, Permission};
use crate::error::ApiError;
use crate::jobs::queue::ClaimedJob;
use crate::jobs::{JobContext, JobError, Registry};
use crate::schema::{members, units, webhook_events};

pub const EVENT: &str = "members.birthday_list";

/// The job kind, run on the first of each month at 08:00 Asia/Shanghai (00:00 UTC).
pub const BIRTHDAY_LIST: &str = "membership.birthday_list";

pub fn register(r: &mut Registry) {
    r.schedule(crate::jobs::Schedule::monthly(BIRTHDAY_LIST, 0));
    r.register(BIRTHDAY_LIST, |ctx: Arc<JobContext>, job: ClaimedJob| async move {
        let month = job.payload.get("month").and_then(Value::as_str).and_then(parse_month);
        let Some((year, month)) = month else {
            return Err(JobError::Permanent(format!("bad month in payload {}", job.payload)));
        };
        let mut conn = ctx.pool.get().await.map_err(|e| JobError::Retry(e.to_string()))?;
        send(&mut conn, &Authorized::system(Permission::MembersRead), year, month).await?;
        Ok(())
    });
}

/// `"2026-12"` → (2026, 12).
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let (year, month) = (y.parse().ok()?, m.parse().ok()?);
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month)).then_some((year, month))
}

/// One member on the list.
pub struct Birthday {
    pub member_id: i64,
    pub staff_no: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub unit_id: i64,
    pub unit_name: String,
}

/// The event payload: members grouped by unit (units by id, members by day then staff number).
pub fn payload(period: &str, mut list: Vec<Birthday>) -> Value {
    list.sort_by(|a, b| {
        (a.unit_id, a.birth_date.day(), &a.staff_no).cmp(&(b.unit_id, b.birth_date.day(), &b.staff_no))
    });
    let total = list.len();
    let mut units: Vec<Value> = Vec::new();
    for b in list {
        let member = json!({
            "member_id": b.member_id, "staff_no": b.staff_no, "name": b.name, "birth_date": b.birth_date,
        });
        match units.last_mut() {
            Some(u) if u["unit_id"] == json!(b.unit_id) => {
                if let Some(m) = u["members"].as_array_mut() {
                    m.push(member);
                }
            }
            _ => units.push(json!({ "unit_id": b.unit_id, "unit_name": b.unit_name, "members": [member] })),
        }
    }
    json!({ "month": period, "total": total, "units": units })
}

/// Emits the list for the month once (a retried or repeated job finds the event and stops).
#[tracing::instrument(skip_all)]
pub async fn send(conn: &mut AsyncPgConnection, _auth: &Authorized, year: i32, month: u32) -> Result<(), ApiError> {
    let period = format!("{year:04}-{month:02}");
    conn.transaction::<_, ApiError, _>(async |conn| {
        // One list per month, even if two jobs for it ever ran.
        diesel::sql_query("SELECT pg_advisory_xact_lock(726100301, $1)")
            .bind::<diesel::sql_types::Integer, _>(year * 100 + month as i32)
            .execute(conn)
            .await?;
        let sent: Option<i64> = webhook_events::table
            .filter(webhook_events::event_type.eq(EVENT))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("data->>'month' = ")
                    .bind::<diesel::sql_types::Text, _>(&period),
            )
            .select(webhook_events::id)
            .first(conn)
            .await
            .optional()?;
        if sent.is_some() {
            return Ok(());
        }
        let rows: Vec<(i64, String, String, NaiveDate, i64, String)> = members::table
            .inner_join(units::table.on(units::id.eq(members::unit_id)))
            .filter(members::status.eq("active"))
            .filter(members::employment_type.ne("retired"))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("extract(month from members.birth_date) = ")
                    .bind::<diesel::sql_types::Integer, _>(month as i32),
            )
            .select((members::id, members::staff_no, members::name, members::birth_date, units::id, units::name))
            .load(conn)
            .await?;
        let list = rows
            .into_iter()
            .map(|(member_id, staff_no, name, birth_date, unit_id, unit_name)| Birthday {
                member_id,
                staff_no,
                name,
                birth_date,
                unit_id,
                unit_name,
            })
            .collect();
        crate::webhooks::emit(conn, EVENT, payload(&period, list)).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(id: i64, staff: &str, day: u32, unit: i64) -> Birthday {
        Birthday {
            member_id: id,
            staff_no: staff.into(),
            name: format!("n{id}"),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, day).unwrap(),
            unit_id: unit,
            unit_name: format!("u{unit}"),
        }
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2026-05"), Some((2026, 5)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-5"), None);
        assert_eq!(parse_month("May"), None);
    }

    #[test]
    fn grouped_by_unit_and_ordered_by_day() {
        let p = payload("2026-05", vec![b(1, "S1", 20, 7), b(2, "S2", 3, 9), b(3, "S3", 12, 7)]);
        assert_eq!(p["total"], 3);
        assert_eq!(p["units"][0]["unit_id"], 7);
        let ids: Vec<i64> =
            p["units"][0]["members"].as_array().unwrap().iter().map(|m| m["member_id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [3, 1]);
        assert_eq!(p["units"][1]["members"][0]["staff_no"], "S2");
        assert_eq!(p["units"][1]["members"][0]["birth_date"], "1980-05-03");
        assert_eq!(payload("2026-06", vec![])["units"], json!([]));
    }
}
