//! The handling report of a congress's proposals (提案办理情况报告): the figures and the
//! line-by-line list the next session reviews, as JSON or Markdown. Counted in Rust from one
//! row per proposal (a congress has tens to hundreds), so the arithmetic is unit-tested.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::{ExpressionMethods, JoinOnDsl, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::auth::permissions::Authorized;
use crate::democracy::proposals::dto::{CodeCount, DepartmentLoad, HandlingLine, HandlingReport};
use crate::democracy::proposals::rules;
use crate::democracy::types::{DepartmentRole, Feedback, ProposalStatus, ResultCode, ResultCodeCounts};
use crate::error::ApiError;
use crate::kernel::calendar::today_shanghai;
use crate::schema::{congresses, delegates, departments, members, proposal_departments, proposal_replies, proposals};

/// One proposal as the report counts it.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub category: String,
    pub proposer_name: String,
    pub status: ProposalStatus,
    pub reply_due_on: Option<NaiveDate>,
    pub decision_reason: Option<String>,
    pub feedback: Option<Feedback>,
    /// (department id, name, is lead)
    pub departments: Vec<(i64, String, bool)>,
    /// The latest reply: result code, replied at, on time.
    pub reply: Option<(ResultCode, DateTime<Utc>, bool)>,
}

/// The figures of the report from its lines (pure).
pub fn summarise(
    congress_id: i64,
    congress_name: String,
    year: i32,
    lines: &[Line],
    today: NaiveDate,
) -> HandlingReport {
    use ProposalStatus as S;
    let filed: Vec<&Line> = lines.iter().filter(|l| !matches!(l.status, S::Draft)).collect();
    let count = |pred: &dyn Fn(&Line) -> bool| filed.iter().filter(|l| pred(l)).count() as i64;
    let accepted_like = |s: S| matches!(s, S::Accepted | S::Assigned | S::Replied | S::FeedbackGiven | S::Closed);
    let replied = count(&|l| l.reply.is_some());
    let on_time = count(&|l| l.reply.is_some_and(|r| r.2));
    let satisfied = count(&|l| l.feedback == Some(Feedback::Satisfied));
    let basically = count(&|l| l.feedback == Some(Feedback::BasicallySatisfied));
    let unsatisfied = count(&|l| l.feedback == Some(Feedback::Unsatisfied));
    let mut codes = ResultCodeCounts::default();
    let mut categories: BTreeMap<String, i64> = BTreeMap::new();
    let mut loads: BTreeMap<i64, DepartmentLoad> = BTreeMap::new();
    for l in &filed {
        *categories.entry(l.category.clone()).or_default() += 1;
        if let Some((code, _, _)) = l.reply {
            codes.add(code);
        }
        for (id, name, lead) in &l.departments {
            let load = loads.entry(*id).or_insert_with(|| DepartmentLoad {
                department_id: *id,
                name: name.clone(),
                lead: 0,
                co: 0,
                replied_on_time: 0,
            });
            if *lead {
                load.lead += 1;
                if l.reply.is_some_and(|r| r.2) {
                    load.replied_on_time += 1;
                }
            } else {
                load.co += 1;
            }
        }
    }
    let handling_line = |l: &Line| HandlingLine {
        id: l.id,
        number: l.number.clone(),
        title: l.title.clone(),
        proposer_name: l.proposer_name.clone(),
        status: l.status,
        lead_department: l.departments.iter().find(|d| d.2).map(|d| d.1.clone()),
        result_code: l.reply.map(|r| r.0),
        reply_due_on: l.reply_due_on,
        replied_at: l.reply.map(|r| r.1),
        on_time: l.reply.map(|r| r.2),
        feedback: l.feedback,
        decision_reason: l.decision_reason.clone(),
    };
    let mut accepted_lines: Vec<HandlingLine> =
        filed.iter().filter(|l| accepted_like(l.status)).map(|l| handling_line(l)).collect();
    accepted_lines.sort_by(|a, b| a.number.cmp(&b.number).then(a.id.cmp(&b.id)));
    let not_accepted = filed
        .iter()
        .filter(|l| matches!(l.status, S::Declined | S::Converted | S::Merged))
        .map(|l| handling_line(l))
        .collect();
    HandlingReport {
        congress_id,
        congress_name,
        year,
        filed: filed.len() as i64,
        accepted: count(&|l| accepted_like(l.status)),
        declined: count(&|l| l.status == S::Declined),
        converted: count(&|l| l.status == S::Converted),
        merged: count(&|l| l.status == S::Merged),
        withdrawn: count(&|l| l.status == S::Withdrawn),
        replied,
        replied_on_time: on_time,
        on_time_rate_bp: crate::kernel::money::Bp::rate(on_time, replied),
        overdue: count(&|l| rules::is_overdue(l.status, l.reply_due_on, today)),
        satisfied,
        basically_satisfied: basically,
        unsatisfied,
        satisfaction_rate_bp: crate::kernel::money::Bp::rate(
            satisfied + basically,
            satisfied + basically + unsatisfied,
        ),
        result_codes: codes,
        by_category: categories.into_iter().map(|(code, count)| CodeCount { code, count }).collect(),
        by_department: loads.into_values().collect(),
        accepted_proposals: accepted_lines,
        not_accepted,
    }
}

/// The report as a Markdown document (Chinese, as the congress reads it).
pub fn markdown(r: &HandlingReport) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {} 提案办理情况报告\n", r.congress_name);
    let _ = writeln!(
        md,
        "本次大会共收到提案 {} 件，立案 {} 件，不予立案 {} 件，转为意见建议 {} 件，并案 {} 件，撤回 {} 件。\n",
        r.filed, r.accepted, r.declined, r.converted, r.merged, r.withdrawn
    );
    let _ = writeln!(
        md,
        "已答复 {} 件，其中按期答复 {} 件（按期答复率 {}）；逾期未答复 {} 件。\n",
        r.replied, r.replied_on_time, r.on_time_rate_bp, r.overdue
    );
    let _ = writeln!(
        md,
        "提案人反馈：满意 {} 件，基本满意 {} 件，不满意 {} 件（满意率 {}）。\n",
        r.satisfied, r.basically_satisfied, r.unsatisfied, r.satisfaction_rate_bp
    );
    let _ = writeln!(md, "## 办理结果\n\n| 类别 | 件数 |\n|---|---|");
    for code in ResultCode::all() {
        let _ = writeln!(md, "| {} {} | {} |", code.as_str(), code.label(), r.result_codes.get(*code));
    }
    let _ = writeln!(md, "\n## 承办单位\n\n| 单位 | 主办 | 协办 | 按期答复 |\n|---|---|---|---|");
    for d in &r.by_department {
        let _ = writeln!(md, "| {} | {} | {} | {} |", d.name, d.lead, d.co, d.replied_on_time);
    }
    let _ = writeln!(
        md,
        "\n## 立案提案\n\n| 编号 | 案由 | 提案人 | 主办单位 | 办理结果 | 按期 | 反馈 |\n|---|---|---|---|---|---|---|"
    );
    for l in &r.accepted_proposals {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            l.number.as_deref().unwrap_or("—"),
            l.title.replace('|', "｜"),
            l.proposer_name,
            l.lead_department.as_deref().unwrap_or("—"),
            l.result_code.map(|c| c.as_str()).unwrap_or("—"),
            match l.on_time {
                Some(true) => "是",
                Some(false) => "否",
                None => "—",
            },
            l.feedback.map(|f| f.label()).unwrap_or("—"),
        );
    }
    if !r.not_accepted.is_empty() {
        let _ = writeln!(md, "\n## 未立案提案\n\n| 案由 | 提案人 | 处理 | 理由 |\n|---|---|---|---|");
        for l in &r.not_accepted {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                l.title.replace('|', "｜"),
                l.proposer_name,
                l.status.label(),
                l.decision_reason.as_deref().unwrap_or("").replace('|', "｜").replace('\n', " ")
            );
        }
    }
    md
}

/// A proposal of the report with its proposer's name.
#[derive(Queryable, Selectable)]
#[diesel(table_name = proposals, check_for_backend(Pg))]
struct Row {
    id: i64,
    number: Option<String>,
    title: String,
    category: String,
    #[diesel(select_expression = members::name, select_expression_type = members::name)]
    proposer_name: String,
    status: ProposalStatus,
    reply_due_on: Option<NaiveDate>,
    decision_reason: Option<String>,
    feedback: Option<Feedback>,
}

/// The report of one congress (404 when it does not exist).
#[tracing::instrument(skip_all, fields(congress_id = congress_id))]
pub async fn report(
    conn: &mut AsyncPgConnection,
    _auth: &Authorized,
    congress_id: i64,
) -> Result<HandlingReport, ApiError> {
    let (name, year): (String, i32) =
        congresses::table.find(congress_id).select((congresses::name, congresses::year)).first(conn).await?;
    let rows: Vec<Row> = proposals::table
        .inner_join(delegates::table.on(delegates::id.eq(proposals::proposer_delegate_id)))
        .inner_join(members::table.on(members::id.eq(delegates::member_id)))
        .filter(proposals::congress_id.eq(congress_id))
        .select(Row::as_select())
        .order(proposals::id)
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let depts: Vec<(i64, i64, String, DepartmentRole)> = proposal_departments::table
        .inner_join(departments::table.on(departments::id.eq(proposal_departments::department_id)))
        .filter(proposal_departments::proposal_id.eq_any(&ids))
        .select((proposal_departments::proposal_id, departments::id, departments::name, proposal_departments::role))
        .load(conn)
        .await?;
    let replies: Vec<(i64, ResultCode, DateTime<Utc>, bool)> = proposal_replies::table
        .filter(proposal_replies::proposal_id.eq_any(&ids))
        .order((proposal_replies::proposal_id, proposal_replies::round))
        .select((
            proposal_replies::proposal_id,
            proposal_replies::result_code,
            proposal_replies::replied_at,
            proposal_replies::on_time,
        ))
        .load(conn)
        .await?;
    let mut latest: BTreeMap<i64, (ResultCode, DateTime<Utc>, bool)> = BTreeMap::new();
    for (p, code, at, on_time) in replies {
        latest.insert(p, (code, at, on_time));
    }
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|r| Line {
            departments: depts
                .iter()
                .filter(|d| d.0 == r.id)
                .map(|d| (d.1, d.2.clone(), d.3 == DepartmentRole::Lead))
                .collect(),
            reply: latest.get(&r.id).copied(),
            id: r.id,
            number: r.number,
            title: r.title,
            category: r.category,
            proposer_name: r.proposer_name,
            status: r.status,
            reply_due_on: r.reply_due_on,
            decision_reason: r.decision_reason,
            feedback: r.feedback,
        })
        .collect();
    Ok(summarise(congress_id, name, year, &lines, today_shanghai()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::money::Bp;

    fn line(id: i64, status: ProposalStatus, reply: Option<(ResultCode, bool)>, feedback: Option<Feedback>) -> Line {
        Line {
            id,
            number: Some(format!("2023-TA-{id:03}")),
            title: format!("提案{id}"),
            category: "logistics".into(),
            proposer_name: "张三".into(),
            status,
            reply_due_on: NaiveDate::from_ymd_opt(2023, 6, 18),
            decision_reason: None,
            feedback,
            departments: vec![(1, "后勤管理处".into(), true), (2, "财务处".into(), false)],
            reply: reply.map(|(c, on_time)| (c, Utc::now(), on_time)),
        }
    }

    #[test]
    fn counts_rates_and_overdue() {
        use ProposalStatus as S;
        let lines = vec![
            line(1, S::Closed, Some((ResultCode::A, true)), Some(Feedback::Satisfied)),
            line(2, S::Closed, Some((ResultCode::B, true)), Some(Feedback::BasicallySatisfied)),
            line(3, S::FeedbackGiven, Some((ResultCode::C, false)), Some(Feedback::Unsatisfied)),
            line(4, S::Assigned, None, None),
            line(5, S::Declined, None, None),
            line(6, S::Draft, None, None),
        ];
        let today = NaiveDate::from_ymd_opt(2023, 7, 1).unwrap();
        let r = summarise(9, "四届三次".into(), 2023, &lines, today);
        assert_eq!((r.filed, r.accepted, r.declined), (5, 4, 1), "drafts are not filed");
        assert_eq!((r.replied, r.replied_on_time, r.on_time_rate_bp), (3, 2, Bp(6666)));
        assert_eq!(r.overdue, 1);
        assert_eq!((r.satisfied, r.basically_satisfied, r.unsatisfied, r.satisfaction_rate_bp), (1, 1, 1, Bp(6666)));
        assert_eq!(r.result_codes.get(ResultCode::A), 1);
        assert_eq!(r.result_codes.get(ResultCode::D), 0, "every code listed");
        let lead = r.by_department.iter().find(|d| d.department_id == 1).unwrap();
        assert_eq!((lead.lead, lead.co, lead.replied_on_time), (5, 0, 2));
        assert_eq!(r.accepted_proposals.len(), 4);
        assert_eq!(r.not_accepted.len(), 1);
        let md = markdown(&r);
        assert!(md.contains("共收到提案 5 件，立案 4 件"), "{md}");
        assert!(md.contains("按期答复率 66.66%"), "{md}");
        assert!(md.contains("| 2023-TA-001 | 提案1 | 张三 | 后勤管理处 | A | 是 | 满意 |"), "{md}");
    }

    #[test]
    fn an_empty_congress_reports_zeros() {
        let r = summarise(1, "x".into(), 2023, &[], NaiveDate::from_ymd_opt(2023, 7, 1).unwrap());
        assert_eq!((r.filed, r.on_time_rate_bp, r.satisfaction_rate_bp), (0, Bp(0), Bp(0)));
        assert_eq!(r.result_codes, ResultCodeCounts::default());
    }
}
