//! Enumerations of democratic management (民主管理). Wire values are snake_case and equal
//! the database values; see `membership::types` for the conventions of `wire_enum!`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::kernel::wire::wire_enum;

wire_enum! {
    /// Whether a congress is the school's or a secondary union's (二级教代会).
    CongressLevel {
        /// 学校 — the school-level congress, held by the school union.
        School = "school", "学校", [];
        /// 二级单位 — a secondary union's own congress, run by that unit's admin.
        Unit = "unit", "二级单位", [];
    }
}

wire_enum! {
    /// 教代会, 工代会 or both at once (双代会).
    CongressKind {
        /// 教职工代表大会.
        Staff = "staff", "教代会", [];
        /// 会员代表大会.
        Union = "union", "工代会", [];
        /// 双代会: both held together.
        Joint = "joint", "双代会", [];
    }
}

wire_enum! {
    /// Congress status: preparing → in session → closed.
    CongressStatus {
        /// 筹备中.
        Preparing = "preparing", "筹备中", [];
        /// 会期中.
        InSession = "in_session", "会期中", [];
        /// 已闭幕.
        Closed = "closed", "已闭幕", [];
    }
}

wire_enum! {
    /// The denominator of "more than half" when a motion is decided.
    MajorityBase {
        /// All formal delegates (MoE Order No. 32: 全体代表的过半数), the default.
        AllFormal = "all_formal", "全体正式代表", [];
        /// Formal delegates expected at the sitting (all minus those excused).
        Expected = "expected", "应到代表", [];
        /// Formal delegates checked in at the sitting.
        Present = "present", "实到代表", [];
    }
}

wire_enum! {
    /// Formal delegates vote; observers attend without a vote.
    DelegateKind {
        /// 正式代表.
        Formal = "formal", "正式代表", [];
        /// 列席代表.
        Observer = "observer", "列席代表", [];
    }
}

wire_enum! {
    /// A delegate's category (teachers must be at least 60% of delegates).
    DelegateCategory {
        /// 教师.
        Teacher = "teacher", "教师", [];
        /// 管理人员.
        Administrative = "administrative", "管理人员", [];
        /// 教辅/工勤.
        Support = "support", "教辅工勤", [];
        /// 校领导/中层.
        Leader = "leader", "领导干部", [];
        /// 其他.
        Other = "other", "其他", [];
    }
}

wire_enum! {
    /// Attendance at a sitting.
    CheckInStatus {
        /// 出席.
        Present = "present", "出席", [];
        /// 请假.
        Excused = "excused", "请假", [];
    }
}

wire_enum! {
    /// What a motion puts to the vote.
    MotionKind {
        /// 工作报告 (the 2023 session voted 5).
        Report = "report", "报告", [];
        /// 决议.
        Resolution = "resolution", "决议", [];
        /// 选举.
        Election = "election", "选举", [];
        /// 其他事项.
        Other = "other", "其他", [];
    }
}

wire_enum! {
    /// Motion status: draft → voting → closed.
    MotionStatus {
        /// 未表决.
        Draft = "draft", "未表决", [];
        /// 表决中.
        Voting = "voting", "表决中", [];
        /// 已结束.
        Closed = "closed", "已结束", [];
    }
}

wire_enum! {
    /// A ballot's choice.
    Choice {
        /// 赞成.
        For = "for", "赞成", [];
        /// 反对.
        Against = "against", "反对", [];
        /// 弃权.
        Abstain = "abstain", "弃权", [];
    }
}

wire_enum! {
    /// Where a proposal stands (see `rules::proposal_transition`).
    ProposalStatus {
        /// 草稿: private to the proposer.
        Draft = "draft", "草稿", [];
        /// 已提交: waiting for the co-signers' confirmations.
        Submitted = "submitted", "征集附议", [];
        /// 待审查: enough co-signers confirmed; the committee sees it.
        UnderReview = "under_review", "待审查", [];
        /// 已立案, not yet assigned.
        Accepted = "accepted", "已立案", [];
        /// 不予立案.
        Declined = "declined", "不予立案", [];
        /// 转为意见建议.
        Converted = "converted", "转为意见建议", [];
        /// 并案: merged into another proposal.
        Merged = "merged", "已并案", [];
        /// 已撤回.
        Withdrawn = "withdrawn", "已撤回", [];
        /// 已交办: with the lead department.
        Assigned = "assigned", "办理中", [];
        /// 已答复: waiting for the proposer's feedback.
        Replied = "replied", "已答复", [];
        /// 已反馈.
        FeedbackGiven = "feedback_given", "已反馈", [];
        /// 已办结.
        Closed = "closed", "已办结", [];
    }
}

wire_enum! {
    /// The handling result a reply states.
    ResultCode {
        /// A 已解决.
        #[serde(rename = "A")]
        A = "A", "已解决", ["a"];
        /// B 正在解决.
        #[serde(rename = "B")]
        B = "B", "正在解决", ["b"];
        /// C 列入计划解决.
        #[serde(rename = "C")]
        C = "C", "列入计划", ["c"];
        /// D 留作参考.
        #[serde(rename = "D")]
        D = "D", "留作参考", ["d"];
    }
}

wire_enum! {
    /// The proposer's verdict on a reply.
    Feedback {
        /// 满意.
        Satisfied = "satisfied", "满意", [];
        /// 基本满意.
        BasicallySatisfied = "basically_satisfied", "基本满意", [];
        /// 不满意: the proposal is handled once more.
        Unsatisfied = "unsatisfied", "不满意", [];
    }
}

wire_enum! {
    /// A co-signer's answer to an invitation.
    CosignStatus {
        /// 待确认.
        Pending = "pending", "待确认", [];
        /// 同意附议.
        Agreed = "agreed", "同意", [];
        /// 拒绝附议.
        Declined = "declined", "拒绝", [];
    }
}

wire_enum! {
    /// The lead (主办) or a co-handling (协办) department.
    DepartmentRole {
        /// 主办.
        Lead = "lead", "主办", [];
        /// 协办.
        Co = "co", "协办", [];
    }
}

wire_enum! {
    /// An extension of the reply deadline, asked by the lead department.
    ExtensionStatus {
        /// 无.
        None = "none", "无", [];
        /// 待批准.
        Requested = "requested", "待批准", [];
        /// 已批准.
        Approved = "approved", "已批准", [];
        /// 未批准.
        Rejected = "rejected", "未批准", [];
    }
}

wire_enum! {
    /// How a suggestion arrived.
    SuggestionSource {
        /// Made directly.
        Direct = "direct", "直接提出", [];
        /// A proposal submitted after the deadline.
        LateProposal = "late_proposal", "逾期提案", [];
        /// A proposal the committee converted.
        ConvertedProposal = "converted_proposal", "提案转来", [];
    }
}

wire_enum! {
    /// Suggestion status.
    SuggestionStatus {
        /// 待答复.
        Open = "open", "待答复", [];
        /// 已答复.
        Responded = "responded", "已答复", [];
    }
}

wire_enum! {
    /// Evaluation campaign status: draft → open → closed (results published).
    CampaignStatus {
        /// 准备中.
        Draft = "draft", "准备中", [];
        /// 测评中.
        Open = "open", "测评中", [];
        /// 已结束, results published.
        Closed = "closed", "已结束", [];
    }
}

wire_enum! {
    /// What an evaluation target is.
    TargetKind {
        /// 职能部门.
        Department = "department", "部门", [];
        /// 领导干部.
        Leader = "leader", "领导干部", [];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_equal_the_database_values() {
        for s in ProposalStatus::all() {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
            assert_eq!(ProposalStatus::parse(s.as_str()), Some(*s));
        }
        for c in ResultCode::all() {
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
        }
        for f in Feedback::all() {
            assert_eq!(serde_json::to_value(f).unwrap(), serde_json::json!(f.as_str()));
        }
        for m in MajorityBase::all() {
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(m.as_str()));
        }
    }
}

/// Replies counted by result code, every code listed (the same shape in the handling report
/// and in `/reports/democracy`): A solved, B in progress, C planned, D for reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResultCodeCounts {
    #[serde(rename = "A")]
    pub a: i64,
    #[serde(rename = "B")]
    pub b: i64,
    #[serde(rename = "C")]
    pub c: i64,
    #[serde(rename = "D")]
    pub d: i64,
}

impl ResultCodeCounts {
    pub fn add(&mut self, code: ResultCode) {
        *self.slot(code) += 1;
    }

    pub fn get(&self, code: ResultCode) -> i64 {
        match code {
            ResultCode::A => self.a,
            ResultCode::B => self.b,
            ResultCode::C => self.c,
            ResultCode::D => self.d,
        }
    }

    fn slot(&mut self, code: ResultCode) -> &mut i64 {
        match code {
            ResultCode::A => &mut self.a,
            ResultCode::B => &mut self.b,
            ResultCode::C => &mut self.c,
            ResultCode::D => &mut self.d,
        }
    }
}

wire_enum! {
    /// The category of a proposal: the nine of the 2023 report. The `suggestion_categories`
    /// table holds the same codes with their names and order (a test keeps both equal); a new
    /// category is a migration and a variant here.
    ProposalCategory {
        /// 教学科研.
        TeachingResearch = "teaching_research", "教学科研", [];
        /// 人才队伍与人事制度.
        TalentPersonnel = "talent_personnel", "人才队伍与人事制度", [];
        /// 学生培养与管理.
        StudentAffairs = "student_affairs", "学生培养与管理", [];
        /// 校园建设与环境.
        CampusConstruction = "campus_construction", "校园建设与环境", [];
        /// 后勤保障.
        Logistics = "logistics", "后勤保障", [];
        /// 财务与资产.
        FinanceAssets = "finance_assets", "财务与资产", [];
        /// 教职工权益与福利.
        StaffWelfare = "staff_welfare", "教职工权益与福利", [];
        /// 管理服务与制度建设.
        Governance = "governance", "管理服务与制度建设", [];
        /// 其他.
        Other = "other", "其他", [];
    }
}
