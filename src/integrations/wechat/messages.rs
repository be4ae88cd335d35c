//! Subscribe messages (订阅消息): enqueued in the transaction of the change that causes
//! them, sent by the job queue through `subscribeMessage.send`.
//!
//! Rules: a message is queued only when WeChat is configured, the event has a template
//! (`GONGHUI_WECHAT_TEMPLATES=event=template_id,…`) and the member has a binding; its dedupe
//! key (unique) makes a second enqueue of the same occurrence a no-op, so nothing is sent
//! twice. Values are cut to WeChat's limits per field type on character boundaries.
//! Outcomes: errcode 0 → `sent`; 43101 (the member has no remaining consent) → `no_consent`,
//! not an error and not retried; −1, 5xx, timeouts → retried with backoff, `failed` after the
//! last attempt; any other errcode → `failed` with errcode/errmsg, not retried.
//!
//! The domains call [`enqueue_member_message`] with one of the event names below:
//! - [`EVENT_PROPOSAL_REPLIED`] (proposal accepted or replied — democracy),
//! - [`EVENT_CLAIM_APPROVED`] (illness-aid claim approved or paid — aid),
//! - [`EVENT_DISTRIBUTION_READY`] (a welfare distribution ready to collect — welfare),
//! - [`EVENT_ENTRY_CONFIRMED`] (a competition entry confirmed — competitions),
//! - [`EVENT_COSIGN_INVITED`] (invited to co-sign a proposal — democracy),
//! - [`EVENT_PROPOSAL_DUE`] (a reply or feedback deadline is near or passed — democracy),
//! - [`EVENT_SUGGESTION_RESPONDED`] (a member's suggestion was answered — democracy).

use std::sync::Arc;

use chrono::Utc;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::error::ApiError;
use crate::integrations::wechat::client::ERR_NO_CONSENT;
use crate::integrations::wechat::token::{self, CallError, Wechat};
use crate::jobs::queue::ClaimedJob;
use crate::jobs::{JobContext, JobError, NewJob, Registry};
use crate::schema::{wechat_bindings as wb, wechat_messages as wm};

pub const EVENT_PROPOSAL_REPLIED: &str = "proposal_replied";
pub const EVENT_CLAIM_APPROVED: &str = "claim_approved";
pub const EVENT_DISTRIBUTION_READY: &str = "distribution_ready";
pub const EVENT_ENTRY_CONFIRMED: &str = "entry_confirmed";
/// A delegate is invited to co-sign a proposal (democracy).
pub const EVENT_COSIGN_INVITED: &str = "cosign_invited";
/// A proposal deadline is near or passed: the reply (to handlers with a member profile) or
/// the proposer's feedback (democracy reminders).
pub const EVENT_PROPOSAL_DUE: &str = "proposal_due";
/// A member's suggestion was answered (democracy).
pub const EVENT_SUGGESTION_RESPONDED: &str = "suggestion_responded";
/// Every event a template may be configured for.
pub const EVENTS: [&str; 7] = [
    EVENT_PROPOSAL_REPLIED,
    EVENT_CLAIM_APPROVED,
    EVENT_DISTRIBUTION_READY,
    EVENT_ENTRY_CONFIRMED,
    EVENT_COSIGN_INVITED,
    EVENT_PROPOSAL_DUE,
    EVENT_SUGGESTION_RESPONDED,
];

pub const JOB_KIND: &str = "wechat.send_message";
const MAX_ATTEMPTS: i32 = 8;
/// The key of `data` naming the mini-program page the message opens (not a template field).
pub const PAGE_KEY: &str = "page";

/// Registers the sender with the job queue.
pub fn register(r: &mut Registry) {
    r.register(JOB_KIND, send_job);
}

/// The limit (in characters) of a template field, by the type its key starts with
/// (`thing1`, `phrase3`…), and whether a cut value ends with `…`.
fn limit_of(key: &str) -> (usize, bool) {
    let kind: String = key.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '_').collect();
    match kind.as_str() {
        "thing" => (20, true),
        "phrase" => (5, false),
        "name" => (10, false),
        "symbol" => (5, false),
        "car_number" => (8, false),
        "phone_number" => (17, false),
        "number" | "letter" | "character_string" | "amount" => (32, false),
        "time" | "date" => (32, false),
        _ => (20, true),
    }
}

/// Cuts `value` to at most `max` characters (never inside a character); with `ellipsis`, a
/// cut value ends with `…` within the limit.
pub fn truncate_chars(value: &str, max: usize, ellipsis: bool) -> String {
    if value.chars().count() <= max {
        return value.to_owned();
    }
    if ellipsis && max > 1 {
        let mut cut: String = value.chars().take(max - 1).collect();
        cut.push('…');
        cut
    } else {
        value.chars().take(max).collect()
    }
}

/// `{key: "text"}` → `{key: {value: "text"}}` with every value within its type's limit.
/// Non-string values are written as text; the page key is left out.
pub fn template_data(data: &Value) -> Value {
    let mut out = Map::new();
    if let Some(fields) = data.as_object() {
        for (key, value) in fields {
            if key == PAGE_KEY {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Object(o) => o.get("value").and_then(Value::as_str).unwrap_or_default().to_owned(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let (max, ellipsis) = limit_of(key);
            out.insert(key.clone(), json!({ "value": truncate_chars(text.trim(), max, ellipsis) }));
        }
    }
    Value::Object(out)
}

/// Queues a subscribe message for a member, inside the caller's transaction. Does nothing
/// when WeChat is off, the event has no template, the member has no binding, or a message
/// with this dedupe key exists (returns whether one was queued).
pub async fn enqueue_member_message(
    conn: &mut AsyncPgConnection,
    config: &Config,
    member_id: i64,
    event: &str,
    data: Value,
    dedupe_key: &str,
) -> Result<bool, ApiError> {
    let Some(wx) = config.wechat.as_ref() else { return Ok(false) };
    let Some((_, template_id)) = wx.templates.iter().find(|(e, _)| e == event) else { return Ok(false) };
    let bound: Option<i64> =
        wb::table.filter(wb::member_id.eq(member_id)).select(wb::id).first(conn).await.optional()?;
    if bound.is_none() {
        return Ok(false);
    }
    let page = data.get(PAGE_KEY).and_then(Value::as_str).map(|p| p.chars().take(512).collect::<String>());
    let id: Option<i64> = diesel::insert_into(wm::table)
        .values((
            wm::member_id.eq(member_id),
            wm::event.eq(event),
            wm::template_id.eq(template_id),
            wm::page.eq(page),
            wm::data.eq(&data),
            wm::dedupe_key.eq(dedupe_key),
        ))
        .on_conflict(wm::dedupe_key)
        .do_nothing()
        .returning(wm::id)
        .get_result(conn)
        .await
        .optional()?;
    let Some(id) = id else { return Ok(false) };
    let job = NewJob::new(JOB_KIND, json!({ "message_id": id }))
        .dedupe(format!("wechat.message:{dedupe_key}"))
        .max_attempts(MAX_ATTEMPTS);
    crate::jobs::enqueue(conn, job).await?;
    Ok(true)
}

/// How one send ended, for the message row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    NoConsent,
    /// Try again later (busy, transport).
    Retry {
        errcode: Option<i64>,
        errmsg: String,
    },
    Failed {
        errcode: Option<i64>,
        errmsg: String,
    },
}

/// Classifies a send's result.
pub fn outcome_of(result: Result<Value, CallError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Sent,
        Err(CallError::Wechat(e)) if e.errcode() == Some(ERR_NO_CONSENT) => Outcome::NoConsent,
        Err(CallError::Wechat(e)) if e.is_transient() => Outcome::Retry { errcode: e.errcode(), errmsg: e.to_string() },
        Err(CallError::Wechat(e)) => Outcome::Failed { errcode: e.errcode(), errmsg: e.to_string() },
        Err(CallError::Db(e)) => Outcome::Retry { errcode: None, errmsg: e.to_string() },
    }
}

async fn record(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: &str,
    errcode: Option<i64>,
    errmsg: Option<&str>,
) -> Result<(), ApiError> {
    let errmsg = errmsg.map(|m| m.chars().take(500).collect::<String>());
    diesel::update(wm::table.filter(wm::id.eq(id)))
        .set((
            wm::status.eq(status),
            wm::attempts.eq(wm::attempts + 1),
            wm::errcode.eq(errcode.and_then(|c| i32::try_from(c).ok())),
            wm::errmsg.eq(errmsg),
            wm::sent_at.eq((status == "sent").then(Utc::now)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

type MessageRow = (i64, String, Option<String>, Value, String);

/// The job: sends one queued message and records the outcome.
async fn send_job(ctx: Arc<JobContext>, job: ClaimedJob) -> Result<(), JobError> {
    let id = job
        .payload
        .get("message_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| JobError::Permanent("payload without message_id".into()))?;
    let mut conn = ctx.pool.get().await.map_err(ApiError::from)?;
    let row: Option<MessageRow> = wm::table
        .filter(wm::id.eq(id))
        .filter(wm::status.eq("queued"))
        .select((wm::member_id, wm::template_id, wm::page, wm::data, wm::status))
        .first(&mut conn)
        .await
        .optional()
        .map_err(ApiError::from)?;
    // Already sent or settled (a redelivered job): nothing to do.
    let Some((member_id, template_id, page, data, _)) = row else { return Ok(()) };
    let Some(wc) = Wechat::new(&ctx.pool, &ctx.http, &ctx.config) else {
        record(&mut conn, id, "failed", None, Some("wechat not configured")).await?;
        return Err(JobError::Permanent("wechat not configured".into()));
    };
    let openid: Option<String> = wb::table
        .filter(wb::member_id.eq(member_id))
        .select(wb::openid)
        .first(&mut conn)
        .await
        .optional()
        .map_err(ApiError::from)?;
    let Some(openid) = openid else {
        record(&mut conn, id, "failed", None, Some("member has no wechat binding")).await?;
        return Err(JobError::Permanent("member has no wechat binding".into()));
    };
    let mut body = json!({
        "touser": openid,
        "template_id": template_id,
        "data": template_data(&data),
        "lang": "zh_CN",
    });
    if let Some(page) = page {
        body["page"] = Value::String(page);
    }
    drop(conn);
    let outcome = outcome_of(token::post(wc, "/cgi-bin/message/subscribe/send", &body).await);
    let mut conn = ctx.pool.get().await.map_err(ApiError::from)?;
    match outcome {
        Outcome::Sent => {
            record(&mut conn, id, "sent", None, None).await?;
            tracing::info!(message_id = id, member_id, "wechat message sent");
            Ok(())
        }
        Outcome::NoConsent => {
            record(&mut conn, id, "no_consent", Some(ERR_NO_CONSENT), Some("no remaining subscription consent"))
                .await?;
            tracing::info!(message_id = id, member_id, "wechat message not sent: no consent");
            Ok(())
        }
        Outcome::Retry { errcode, errmsg } => {
            let last = job.attempts >= job.max_attempts;
            record(&mut conn, id, if last { "failed" } else { "queued" }, errcode, Some(&errmsg)).await?;
            Err(JobError::Retry(errmsg))
        }
        Outcome::Failed { errcode, errmsg } => {
            record(&mut conn, id, "failed", errcode, Some(&errmsg)).await?;
            Err(JobError::Permanent(errmsg))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::wechat::client::WechatError;

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate_chars("短", 5, false), "短");
        assert_eq!(truncate_chars("已答复待评价", 5, false), "已答复待评");
        let long = "关于改善青年教职工住房条件的建议已由后勤保障处答复";
        let cut = truncate_chars(long, 20, true);
        assert_eq!(cut.chars().count(), 20);
        assert!(cut.ends_with('…') && cut.starts_with("关于改善青年教职工住房条件的建议已由后"));
        assert_eq!(truncate_chars("abc", 0, true), "");
        assert_eq!(truncate_chars("🎉🎉🎉", 2, false), "🎉🎉");
    }

    #[test]
    fn template_values_follow_their_type() {
        let data = json!({
            "thing1": "关于改善青年教职工住房条件的建议已由后勤保障处答复",
            "phrase2": "已答复待评价",
            "name3": "欧阳娜娜欧阳娜娜欧阳娜娜",
            "time4": "2023-11-20 10:00",
            "number5": 42,
            "page": "pages/proposals/detail?id=1",
        });
        let out = template_data(&data);
        assert_eq!(out["thing1"]["value"].as_str().unwrap().chars().count(), 20);
        assert_eq!(out["phrase2"]["value"], "已答复待评");
        assert_eq!(out["name3"]["value"], "欧阳娜娜欧阳娜娜欧阳");
        assert_eq!(out["time4"]["value"], "2023-11-20 10:00");
        assert_eq!(out["number5"]["value"], "42");
        assert!(out.get("page").is_none());
    }

    #[test]
    fn outcomes_by_errcode() {
        let api = |errcode| Err(CallError::Wechat(WechatError::Api { errcode, errmsg: "x".into() }));
        assert_eq!(outcome_of(Ok(json!({"errcode": 0}))), Outcome::Sent);
        assert_eq!(outcome_of(api(43101)), Outcome::NoConsent);
        assert!(matches!(outcome_of(api(-1)), Outcome::Retry { errcode: Some(-1), .. }));
        assert!(matches!(
            outcome_of(Err(CallError::Wechat(WechatError::Transport("HTTP 502".into())))),
            Outcome::Retry { errcode: None, .. }
        ));
        assert!(matches!(outcome_of(api(40003)), Outcome::Failed { errcode: Some(40003), .. }));
    }
}
