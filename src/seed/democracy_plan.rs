//! The plan of the democracy demo data (see `seed`): what the 2023 congress holds — the
//! departments, motions, proposals and suggestions — and the dates and transitions of each
//! proposal, checked against `rules::proposal_transition`. No I/O; unit-tested below.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::democracy::proposal_rules::{self as rules, ProposalAction};
use crate::democracy::types::{Feedback, MotionKind, ProposalStatus, ResultCode};

pub const CONGRESS_NAME: &str = "第四届教职工代表大会暨第四届工会会员代表大会第三次会议";
pub const CONGRESS_PREFIX: &str = "2023-TA";
pub const YEAR: i32 = 2023;
pub const FORMAL: usize = 289;
pub const OBSERVERS: usize = 31;
pub const SUGGESTIONS: usize = 137;

/// The handling departments (承办单位): name and code. Their handler accounts are
/// `handler01`… in this order.
pub const DEPARTMENTS: [(&str, &str); 15] = [
    ("后勤管理处", "LOG"),
    ("人事处", "HR"),
    ("教务处", "ACA"),
    ("财务处", "FIN"),
    ("资产管理处", "AST"),
    ("基建处", "CON"),
    ("学生工作处", "STU"),
    ("科研处", "RES"),
    ("信息化建设与管理处", "ITC"),
    ("保卫处", "SEC"),
    ("图书馆", "LIB"),
    ("校医院", "HOS"),
    ("国际交流处", "INT"),
    ("研究生院", "GRA"),
    ("工会", "UNI"),
];

/// The motions voted at the closing sitting: kind, title, against, abstain (the rest of the
/// formal delegates voted for).
pub const MOTIONS: [(MotionKind, &str, i32, i32); 6] = [
    (MotionKind::Report, "学校工作报告", 2, 4),
    (MotionKind::Report, "学校财务工作报告", 3, 6),
    (MotionKind::Report, "学校工会工作报告", 1, 3),
    (MotionKind::Report, "学校工会经费审查工作报告", 2, 5),
    (MotionKind::Report, "第四届教代会第二次会议以来提案工作报告", 0, 2),
    (MotionKind::Resolution, "第四届教职工代表大会暨第四届工会会员代表大会第三次会议决议", 1, 3),
];

/// The 33 proposals: title, category, lead department, co-handling department.
pub const PROPOSALS: [(&str, &str, usize, Option<usize>); 33] = [
    ("关于增设校园电动车集中充电设施的提案", "campus_construction", 0, Some(9)),
    ("关于优化教职工子女入园入学服务的提案", "staff_welfare", 14, Some(1)),
    ("关于完善青年教师职称评审政策的提案", "talent_personnel", 1, None),
    ("关于改善教学楼多媒体设备运维的提案", "teaching_research", 2, Some(8)),
    ("关于简化科研经费报销流程的提案", "finance_assets", 3, Some(7)),
    ("关于加强实验室安全管理的提案", "teaching_research", 4, Some(9)),
    ("关于推进老旧宿舍楼改造的提案", "campus_construction", 5, Some(0)),
    ("关于加强学生心理健康教育的提案", "student_affairs", 6, None),
    ("关于提升校园网络服务质量的提案", "governance", 8, None),
    ("关于延长图书馆开放时间的提案", "teaching_research", 10, None),
    ("关于完善教职工年度体检项目的提案", "staff_welfare", 11, Some(14)),
    ("关于拓展教师国际交流渠道的提案", "talent_personnel", 12, None),
    ("关于优化研究生导师遴选机制的提案", "teaching_research", 13, None),
    ("关于改善食堂就餐环境和菜品质量的提案", "logistics", 0, None),
    ("关于增加校园停车位的提案", "campus_construction", 9, Some(5)),
    ("关于建立一站式网上办事大厅的提案", "governance", 8, None),
    ("关于提高非编人员待遇保障的提案", "staff_welfare", 1, Some(14)),
    ("关于加强公用房资源统筹配置的提案", "finance_assets", 4, None),
    ("关于完善本科教学质量评价体系的提案", "teaching_research", 2, None),
    ("关于设立教职工健身活动场所的提案", "staff_welfare", 14, Some(0)),
    ("关于规范大型仪器设备共享使用的提案", "finance_assets", 4, Some(7)),
    ("关于加强校园夜间照明和安防监控的提案", "campus_construction", 9, None),
    ("关于改进科研项目过程管理的提案", "teaching_research", 7, None),
    ("关于完善学生实习实践基地建设的提案", "student_affairs", 2, Some(6)),
    ("关于推进校医院与周边医院医疗协作的提案", "staff_welfare", 11, None),
    ("关于优化校内公交线路和班次的提案", "logistics", 0, None),
    ("关于加快数字图书资源建设的提案", "teaching_research", 10, Some(8)),
    ("关于加强研究生学术道德教育的提案", "student_affairs", 13, None),
    ("关于完善教职工公租房管理办法的提案", "staff_welfare", 0, Some(4)),
    ("关于提高财务信息公开透明度的提案", "finance_assets", 3, None),
    ("关于完善二级单位绩效考核办法的提案", "talent_personnel", 1, None),
    ("关于改善留学生公寓管理服务的提案", "other", 12, None),
    ("关于加强教职工文体协会建设的提案", "staff_welfare", 14, None),
];

/// Suggestions per category (summing to 137), the department that answered them, and the
/// topics they raise.
pub const SUGGESTION_PLAN: [(&str, usize, usize, &[&str]); 9] = [
    (
        "teaching_research",
        22,
        2,
        &[
            "加强课程思政建设",
            "减轻教师非教学事务负担",
            "完善教学工作量计算办法",
            "加大科研平台开放共享",
            "支持跨学科团队建设",
        ],
    ),
    (
        "talent_personnel",
        18,
        1,
        &[
            "优化人才引进配套政策",
            "完善岗位聘用考核办法",
            "加强青年教师培养",
            "关注中年教师职业发展",
            "完善专业技术职务评聘",
        ],
    ),
    ("student_affairs", 12, 6, &["加强学生学风建设", "完善学生资助体系", "加强就业指导服务", "改善学生宿舍条件"]),
    (
        "campus_construction",
        16,
        5,
        &["改善教学楼卫生间设施", "增加校园休闲座椅", "加快体育场馆维修", "优化校园绿化布局", "完善无障碍设施"],
    ),
    (
        "logistics",
        24,
        0,
        &[
            "提高食堂饭菜质量",
            "延长食堂供餐时间",
            "改善班车运行安排",
            "加强物业服务管理",
            "规范快递收发点管理",
            "提升维修响应速度",
        ],
    ),
    ("finance_assets", 9, 3, &["简化报销手续", "推广电子发票", "加强资产清查"]),
    (
        "staff_welfare",
        20,
        14,
        &["提高节日慰问标准", "丰富工会文体活动", "增加教职工体检项目", "关心单身青年教职工", "关爱退休教职工"],
    ),
    ("governance", 11, 8, &["精简会议和文件", "推进校务公开", "提高办事效率", "完善信息系统互通"]),
    ("other", 5, 14, &["加强校史文化宣传", "规范校园标识系统"]),
];

/// `n` split over `parts` as evenly as possible, the first ones getting the remainder.
pub fn quota(n: usize, parts: usize, index: usize) -> usize {
    if parts == 0 {
        return 0;
    }
    n / parts + usize::from(index < n % parts)
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A Beijing-time moment (the business clock) as UTC.
pub fn at(d: NaiveDate, h: u32, min: u32) -> DateTime<Utc> {
    let local = d.and_time(NaiveTime::from_hms_opt(h, min, 0).unwrap_or_default());
    (local - Duration::hours(8)).and_utc()
}

/// One history row to write: action, from, to, when, and who (`Committee`, `Handler`, or the
/// proposer / a co-signer, who have no account in the demo).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: &'static str,
    pub from: Option<ProposalStatus>,
    pub to: ProposalStatus,
    pub at: DateTime<Utc>,
    pub by: By,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Delegate,
    Committee,
    Handler,
}

/// The life of one demo proposal, from submission to closing.
#[derive(Debug, Clone)]
pub struct ProposalPlan {
    pub index: usize,
    pub number: String,
    pub submitted_at: DateTime<Utc>,
    pub cosigned_at: Vec<DateTime<Utc>>,
    pub reviewable_at: DateTime<Utc>,
    pub accepted_on: NaiveDate,
    pub decided_at: DateTime<Utc>,
    pub assigned_at: DateTime<Utc>,
    pub reply_due_on: NaiveDate,
    pub replied_at: DateTime<Utc>,
    pub on_time: bool,
    pub result: ResultCode,
    pub feedback_due_on: NaiveDate,
    pub feedback: Feedback,
    pub feedback_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    pub steps: Vec<Step>,
}

const RESULT_PATTERN: [ResultCode; 11] = [
    ResultCode::A,
    ResultCode::A,
    ResultCode::B,
    ResultCode::A,
    ResultCode::C,
    ResultCode::B,
    ResultCode::A,
    ResultCode::D,
    ResultCode::B,
    ResultCode::A,
    ResultCode::C,
];

/// The dates and transitions of proposal `i` (0-based) with `cosigners` co-signers, checked
/// against the one transition function.
pub fn proposal_plan(
    i: usize,
    cosigners: usize,
    reply_days: u32,
    feedback_working_days: u32,
) -> Result<ProposalPlan, crate::democracy::error::DemocracyError> {
    let n = i as u32;
    let submitted_on = crate::kernel::calendar::add_days(day(YEAR, 3, 1), n % 15);
    let submitted_at = at(submitted_on, 9 + n % 6, (n * 7) % 60);
    let cosigned_at: Vec<_> = (0..cosigners).map(|k| submitted_at + Duration::hours(3 * (k as i64 + 1))).collect();
    // Numbers follow the order of acceptance: 11 a day from 28 March.
    let accepted_on = crate::kernel::calendar::add_days(day(YEAR, 3, 28), n / 11);
    let decided_at = at(accepted_on, 9, (n % 11) * 5);
    let assigned_at = decided_at + Duration::hours(3);
    let reply_due_on = crate::kernel::calendar::add_days(accepted_on, reply_days);
    let replied_on = crate::kernel::calendar::add_days(accepted_on, 30 + (n * 7) % 55);
    let replied_at = at(replied_on, 16, n % 60);
    let feedback_due_on = crate::kernel::calendar::add_working_days(replied_on, feedback_working_days);
    let feedback_at = at(crate::kernel::calendar::add_days(replied_on, 2 + n % 9), 11, 0);
    let closed_at = feedback_at + Duration::days(3);
    let result = RESULT_PATTERN[i % RESULT_PATTERN.len()];
    let feedback = if result == ResultCode::D || (result == ResultCode::C && i.is_multiple_of(2)) || i % 7 == 3 {
        Feedback::BasicallySatisfied
    } else {
        Feedback::Satisfied
    };
    let mut steps = Vec::new();
    let mut status = ProposalStatus::Draft;
    let mut go =
        |action: ProposalAction, at: DateTime<Utc>, by: By| -> Result<(), crate::democracy::error::DemocracyError> {
            let to = rules::proposal_transition(status, action)?;
            steps.push(Step { action: action.name(), from: Some(status), to, at, by });
            status = to;
            Ok(())
        };
    go(ProposalAction::Submit { late: false, cosigned: false }, submitted_at, By::Delegate)?;
    let mut reviewable_at = submitted_at;
    for (k, t) in cosigned_at.iter().enumerate() {
        let threshold_reached = k + 1 >= 2;
        if k + 1 == 2 {
            reviewable_at = *t;
        }
        go(ProposalAction::Cosign { threshold_reached }, *t, By::Delegate)?;
    }
    go(ProposalAction::Accept, decided_at, By::Committee)?;
    go(ProposalAction::Assign, assigned_at, By::Committee)?;
    go(ProposalAction::Reply, replied_at, By::Handler)?;
    go(ProposalAction::Feedback, feedback_at, By::Delegate)?;
    go(ProposalAction::Close { feedback_window_over: false }, closed_at, By::Committee)?;
    Ok(ProposalPlan {
        index: i,
        number: rules::proposal_number(CONGRESS_PREFIX, i as i32 + 1),
        submitted_at,
        cosigned_at,
        reviewable_at,
        accepted_on,
        decided_at,
        assigned_at,
        reply_due_on,
        replied_at,
        on_time: rules::replied_on_time(replied_on, reply_due_on),
        result,
        feedback_due_on,
        feedback,
        feedback_at,
        closed_at,
        steps,
    })
}

/// "关于X的提案" → "X".
pub fn topic_of(title: &str) -> &str {
    title.trim_start_matches("关于").trim_end_matches("的提案")
}

/// The 137 suggestions: category, title, department, made by delegates in turn.
pub fn suggestion_plan() -> Vec<(&'static str, String, usize)> {
    let mut out = Vec::new();
    for (category, count, dept, topics) in SUGGESTION_PLAN {
        for k in 0..count {
            let topic = topics[k % topics.len()];
            out.push((category, topic.to_owned(), dept));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::democracy::motion_rules::{Attendance, Tally, VotingRule};

    #[test]
    fn quotas_add_up() {
        assert_eq!((0..24).map(|i| quota(FORMAL, 24, i)).sum::<usize>(), FORMAL);
        assert_eq!((0..24).map(|i| quota(OBSERVERS, 24, i)).sum::<usize>(), OBSERVERS);
        assert_eq!(quota(FORMAL, 24, 0), 13);
        assert_eq!(quota(FORMAL, 24, 1), 12);
        assert_eq!(quota(5, 0, 0), 0);
    }

    #[test]
    fn every_proposal_follows_the_rules_and_is_replied_on_time() {
        let mut codes = std::collections::HashMap::new();
        for i in 0..PROPOSALS.len() {
            let cosigners = if i % 3 == 0 { 3 } else { 2 };
            let p = proposal_plan(i, cosigners, 90, 15).unwrap();
            assert_eq!(p.number, format!("2023-TA-{:03}", i + 1));
            assert!(p.on_time, "{}", p.number);
            assert_eq!(p.reply_due_on, crate::kernel::calendar::add_days(p.accepted_on, 90));
            assert!(p.submitted_at.date_naive() <= day(YEAR, 3, 17), "before the deadline");
            assert!(p.feedback_at.date_naive() <= p.feedback_due_on);
            assert_eq!(p.steps[0].action, "submit");
            assert_eq!(p.steps[p.steps.len() - 1].to, ProposalStatus::Closed);
            assert_eq!(p.steps.len(), 6 + cosigners);
            // Each step starts where the previous one ended, in time order.
            for w in p.steps.windows(2) {
                assert_eq!(w[1].from, Some(w[0].to));
                assert!(w[1].at > w[0].at, "{:?}", w);
            }
            let actions: Vec<&str> = p.steps.iter().map(|s| s.action).filter(|a| *a != "cosign").collect();
            assert_eq!(actions, ["submit", "accept", "assign", "reply", "feedback", "close"]);
            *codes.entry(p.result).or_insert(0) += 1;
        }
        assert_eq!(codes.len(), 4, "results spread over A–D: {codes:?}");
        // Numbers follow the order of acceptance.
        let decided: Vec<_> = (0..33).map(|i| proposal_plan(i, 2, 90, 15).unwrap().decided_at).collect();
        assert!(decided.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn suggestions_fill_the_nine_categories() {
        let plan = suggestion_plan();
        assert_eq!(plan.len(), SUGGESTIONS);
        let mut cats: Vec<&str> = plan.iter().map(|s| s.0).collect();
        cats.dedup();
        assert_eq!(cats.len(), 9);
        assert!(plan.iter().all(|s| s.2 < DEPARTMENTS.len()));
        assert!(PROPOSALS.iter().all(|p| p.2 < DEPARTMENTS.len() && p.3.is_none_or(|c| c < DEPARTMENTS.len())));
    }

    #[test]
    fn every_motion_passes() {
        let att = Attendance { formal_total: FORMAL as i64, present: FORMAL as i64, excused: 0 };
        for (_, _, against, abstain) in MOTIONS {
            let tally = Tally {
                for_count: (FORMAL as i32 - against - abstain).into(),
                against_count: against.into(),
                abstain_count: abstain.into(),
            };
            assert!(crate::democracy::motion_rules::motion_passes(&VotingRule::default(), &att, &tally));
        }
        assert_eq!(MOTIONS.iter().filter(|m| m.0 == MotionKind::Report).count(), 5);
    }
}
