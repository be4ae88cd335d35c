//! `GET /reports/democracy` and its flat export table.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::DemocracyReport;
use super::dto::DemocracyReportQuery;
use super::store::democracy_report;
use crate::auth::permissions::{Permission, authorize};
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::http::export::{self, Format, FormatParam, Table, XlsxSheet};
use crate::http::extract::ValidQuery;
use crate::state::AppState;

/// The figures of democratic management: proposals, delegates, participation, motions,
/// suggestions, unit congresses, by delegation. `format=csv|xlsx` gives them as one flat
/// table (分类, 指标, 代表团, 数值).
#[utoipa::path(
    tag = "reports",
    params(DemocracyReportQuery, FormatParam),
    responses(
        (status = 200, description = "The figures, or with `format=csv|xlsx` (or `Accept: text/csv`) a flat table of them", body = DemocracyReport,
            content((DemocracyReport = "application/json"), (String = "text/csv"), (XlsxSheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "congress_id or unit_id unknown or outside your scope", body = Problem),
        (status = 422, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/reports/democracy")]
pub async fn get_democracy_report(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(q): ValidQuery<DemocracyReportQuery>,
    ValidQuery(format): ValidQuery<FormatParam>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let auth = authorize(&principal, Permission::ReportsRead)?;
    let mut conn = state.pool.get().await?;
    let report = democracy_report(&mut conn, &auth, &q).await?;
    match export::requested(&req, format.format) {
        Format::Json => Ok(HttpResponse::Ok().json(report)),
        other => export::respond(report_table(&report), other, "democracy").await,
    }
}

/// The report as one flat table: section, figure, delegation (blank for totals), value.
pub fn report_table(r: &DemocracyReport) -> Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut put = |section: &str, item: &str, unit: &str, value: String| {
        rows.push(vec![section.to_owned(), item.to_owned(), unit.to_owned(), value]);
    };
    put("会议", "统计会议数", "", r.congresses.to_string());
    let d = &r.delegates;
    put("代表", "正式代表", "", d.formal.to_string());
    put("代表", "列席代表", "", d.observer.to_string());
    put("代表", "教师代表（正式）", "", d.teachers.to_string());
    put("代表", "教师代表占比", "", d.teacher_share_bp.to_string());
    put("参会", "出席正式代表", "", r.participation.present.to_string());
    put("参会", "代表参会率", "", r.participation.rate_bp.to_string());
    for k in &r.motions.by_kind {
        put("表决", &format!("{}表决", k.label), "", k.voted.to_string());
        put("表决", &format!("{}通过", k.label), "", k.passed.to_string());
    }
    let p = &r.proposals;
    for (item, value) in [
        ("提交", p.filed),
        ("立案", p.accepted),
        ("不予立案", p.declined),
        ("转为意见建议", p.converted),
        ("其中逾期提交", p.converted_late),
        ("并案", p.merged),
        ("撤回", p.withdrawn),
        ("已答复", p.replied),
        ("按期答复", p.replied_on_time),
    ] {
        put("提案", item, "", value.to_string());
    }
    put("提案", "按期答复率", "", p.on_time_rate_bp.to_string());
    let s = &p.satisfaction;
    for (item, value) in
        [("满意", s.satisfied), ("基本满意", s.basically_satisfied), ("不满意", s.unsatisfied), ("未反馈", s.none)]
    {
        put("提案满意度", item, "", value.to_string());
    }
    put("提案满意度", "满意率", "", s.rate_bp.to_string());
    let c = &p.result_codes;
    for (item, value) in [("A 已解决", c.a), ("B 正在解决", c.b), ("C 列入计划", c.c), ("D 留作参考", c.d)]
    {
        put("办理结果", item, "", value.to_string());
    }
    put("意见建议", "总数", "", r.suggestions.total.to_string());
    put("意见建议", "已答复", "", r.suggestions.responded.to_string());
    for cat in &r.suggestions.by_category {
        put("意见建议", &cat.name, "", cat.count.to_string());
    }
    let uc = &r.unit_congresses;
    put("二级教代会", "已召开", "", uc.held.to_string());
    put("二级教代会", "二级工会数", "", uc.secondary_units.to_string());
    put("二级教代会", "建制率", "", uc.rate_bp.to_string());
    for u in &r.by_unit {
        put("代表团", "正式代表", &u.unit_name, u.formal.to_string());
        put("代表团", "列席代表", &u.unit_name, u.observer.to_string());
        put("代表团", "出席正式代表", &u.unit_name, u.present.to_string());
        put("代表团", "参会率", &u.unit_name, u.participation_bp.to_string());
        put("代表团", "提案", &u.unit_name, u.proposals.to_string());
        put("代表团", "立案", &u.unit_name, u.accepted.to_string());
    }
    Table { headers: vec!["分类", "指标", "代表团", "数值"], rows }
}
