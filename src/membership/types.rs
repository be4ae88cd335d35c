//! Enumerations shared by the membership domain (会员管理).
//!
//! Declared with `kernel::wire::wire_enum!` (its doc gives the conventions).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::kernel::wire::wire_enum;

wire_enum! {
    /// Gender (性别).
    Gender {
        /// 男 — male.
        Male = "male", "男", ["m", "男性"];
        /// 女 — female.
        Female = "female", "女", ["f", "女性"];
    }
}

wire_enum! {
    /// Employment type (用工类型 / 人员类别).
    EmploymentType {
        /// 在编 — established post (编制内).
        Established = "established", "在编", ["编制内", "事业编制"];
        /// 非编 — contract staff outside the establishment (聘用、合同制、编外).
        Contract = "contract", "非编", ["聘用", "合同", "合同制", "编外", "人事代理"];
        /// 退休 — retired staff who remain members.
        Retired = "retired", "退休", ["退休人员"];
    }
}

wire_enum! {
    /// Membership status (会籍状态).
    MemberStatus {
        /// 在会 — active member.
        Active = "active", "在会", [];
        /// 离会 — has left the union (transfer out, resignation, death…).
        Left = "left", "离会", [];
    }
}

wire_enum! {
    /// Kind of union organisation (组织层级).
    UnitKind {
        /// 校工会 — the university-level union (the root).
        School = "school", "校工会", [];
        /// 二级工会 — a secondary union of a school/department.
        Secondary = "secondary", "二级工会", [];
        /// 工会小组 — a union group inside a secondary union.
        Group = "group", "工会小组", [];
    }
}

wire_enum! {
    /// Level of an honour (荣誉级别).
    HonorLevel {
        /// 国家级 — national (全国).
        National = "national", "国家级", ["全国"];
        /// 省级 — provincial or ministerial (省部级).
        Provincial = "provincial", "省级", ["省部级"];
        /// 市级 — city level.
        City = "city", "市级", [];
        /// 校级 — university level.
        School = "school", "校级", [];
    }
}

wire_enum! {
    /// Category of an honour (荣誉类别).
    HonorCategory {
        /// 劳动模范 — model worker (劳模).
        ModelWorker = "model_worker", "劳动模范", ["劳模"];
        /// 先进工作者 — advanced worker.
        AdvancedWorker = "advanced_worker", "先进工作者", [];
        /// 五一劳动奖章 — May Day Labour Medal.
        MayDayMedal = "may_day_medal", "五一劳动奖章", [];
        /// 师德标兵 — model of teaching ethics (师德模范).
        EthicsModel = "ethics_model", "师德标兵", ["师德模范", "师德先进个人"];
        /// 优秀女职工 — outstanding woman staff member (巾帼建功标兵、三八红旗手).
        ExcellentWoman = "excellent_woman", "优秀女职工", ["巾帼建功标兵", "三八红旗手"];
        /// 优秀工会干部 — outstanding union cadre.
        UnionCadre = "union_cadre", "优秀工会干部", [];
        /// 优秀工会积极分子 — outstanding union activist (工会积极分子).
        UnionActivist = "union_activist", "优秀工会积极分子", ["工会积极分子"];
        /// 其他 — any other honour.
        Other = "other", "其他", [];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's name must be the same string as `as_str`, or the database and JSON diverge.
    fn assert_serde_matches<T>(all: &[T], as_str: impl Fn(&T) -> &'static str)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        for v in all {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", as_str(v)));
            let back: T = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, v);
        }
    }

    #[test]
    fn serde_names_equal_as_str() {
        assert_serde_matches(Gender::all(), |v| v.as_str());
        assert_serde_matches(EmploymentType::all(), |v| v.as_str());
        assert_serde_matches(MemberStatus::all(), |v| v.as_str());
        assert_serde_matches(UnitKind::all(), |v| v.as_str());
        assert_serde_matches(HonorLevel::all(), |v| v.as_str());
        assert_serde_matches(HonorCategory::all(), |v| v.as_str());
    }

    #[test]
    fn wire_values() {
        assert_eq!(Gender::Female.as_str(), "female");
        assert_eq!(EmploymentType::Established.as_str(), "established");
        assert_eq!(UnitKind::Secondary.as_str(), "secondary");
        assert_eq!(HonorCategory::MayDayMedal.as_str(), "may_day_medal");
        assert_eq!(HonorCategory::UnionActivist.as_str(), "union_activist");
        assert_eq!(HonorLevel::all().len(), 4);
        assert_eq!(HonorCategory::all().len(), 8);
        assert_eq!(HonorCategory::all()[7], HonorCategory::Other);
    }

    #[test]
    fn parse_round_trips_every_wire_value_and_label() {
        for &v in Gender::all() {
            assert_eq!(Gender::parse(v.as_str()), Some(v));
            assert_eq!(Gender::parse(v.label()), Some(v));
        }
        for &v in EmploymentType::all() {
            assert_eq!(EmploymentType::parse(v.as_str()), Some(v));
            assert_eq!(EmploymentType::parse(v.label()), Some(v));
        }
        for &v in HonorCategory::all() {
            assert_eq!(HonorCategory::parse(v.as_str()), Some(v));
            assert_eq!(HonorCategory::parse(v.label()), Some(v));
        }
    }

    #[test]
    fn gender_spellings() {
        assert_eq!(Gender::parse("男"), Some(Gender::Male));
        assert_eq!(Gender::parse(" 女 "), Some(Gender::Female));
        assert_eq!(Gender::parse("M"), Some(Gender::Male));
        assert_eq!(Gender::parse("f"), Some(Gender::Female));
        assert_eq!(Gender::parse("FEMALE"), Some(Gender::Female));
        assert_eq!(Gender::parse("男女"), None);
        assert_eq!(Gender::parse(""), None);
    }

    #[test]
    fn employment_type_spellings() {
        for s in ["established", "在编", "编制内", "Established"] {
            assert_eq!(EmploymentType::parse(s), Some(EmploymentType::Established), "{s}");
        }
        for s in ["contract", "非编", "聘用", "合同", "合同制", "编外"] {
            assert_eq!(EmploymentType::parse(s), Some(EmploymentType::Contract), "{s}");
        }
        for s in ["retired", "退休", "RETIRED"] {
            assert_eq!(EmploymentType::parse(s), Some(EmploymentType::Retired), "{s}");
        }
        assert_eq!(EmploymentType::parse("临时"), None);
    }

    #[test]
    fn status_unit_and_level_spellings() {
        assert_eq!(MemberStatus::parse("在会"), Some(MemberStatus::Active));
        assert_eq!(MemberStatus::parse("Left"), Some(MemberStatus::Left));
        assert_eq!(MemberStatus::parse("离会"), Some(MemberStatus::Left));
        assert_eq!(UnitKind::parse("校工会"), Some(UnitKind::School));
        assert_eq!(UnitKind::parse("二级工会"), Some(UnitKind::Secondary));
        assert_eq!(UnitKind::parse("工会小组"), Some(UnitKind::Group));
        assert_eq!(HonorLevel::parse("全国"), Some(HonorLevel::National));
        assert_eq!(HonorLevel::parse("国家级"), Some(HonorLevel::National));
        assert_eq!(HonorLevel::parse("省部级"), Some(HonorLevel::Provincial));
        assert_eq!(HonorLevel::parse("市级"), Some(HonorLevel::City));
        assert_eq!(HonorLevel::parse("校级"), Some(HonorLevel::School));
        assert_eq!(HonorCategory::parse("劳模"), Some(HonorCategory::ModelWorker));
        assert_eq!(HonorCategory::parse("county"), None);
    }
}
