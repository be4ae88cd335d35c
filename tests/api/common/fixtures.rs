//! A small organisation for tests: the school union, two secondary unions (A with a group
//! below it, and B), and five members with valid (generated) ID cards.

use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use gonghui::audit::Actor;
use gonghui::auth::permissions::{Authorized, Permission};
use gonghui::membership::CreateMember;
use gonghui::membership::CreateUnit;
use gonghui::membership::types::{EmploymentType, Gender, UnitKind};

use super::TestApp;

pub struct Org {
    pub root: i64,
    pub a: i64,
    pub a_group: i64,
    pub b: i64,
    /// 张三 (A, male, established, born 1980-05-12).
    pub zhang_san: i64,
    /// 李四 (A, female, contract, born 1990-11-03).
    pub li_si: i64,
    /// 王五 (A's group, male, established, born 1975-05-20).
    pub wang_wu: i64,
    /// 赵六 (B, female, established, born 1985-02-14).
    pub zhao_liu: i64,
    /// 钱七 (B, male, retired, born 1958-08-08).
    pub qian_qi: i64,
}

/// A checksum-valid ID-card number (region 420111) for a birth date and gender.
pub fn id_card(birth: &str, female: bool, seq: u32) -> String {
    let order = seq * 2 + if female { 0 } else { 1 };
    let body = format!("420111{}{:03}", birth.replace('-', ""), order % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn unit(conn: &mut AsyncPgConnection, name: &str, code: &str, kind: UnitKind, parent: Option<i64>) -> i64 {
    let input = CreateUnit { name: name.into(), code: Some(code.into()), kind, parent_id: parent, sort_order: 0 };
    gonghui::membership::create_unit(conn, &Authorized::system(Permission::UnitsWrite), &input, &Actor::system("test"))
        .await
        .unwrap()
        .id
}

pub struct M<'a> {
    pub staff_no: &'a str,
    pub name: &'a str,
    pub female: bool,
    pub birth: &'a str,
    pub unit_id: i64,
    pub employment: EmploymentType,
    pub phone: &'a str,
}

pub async fn member(app: &TestApp, m: M<'_>) -> i64 {
    let mut conn = app.conn().await;
    let input = CreateMember {
        staff_no: m.staff_no.into(),
        name: m.name.into(),
        gender: if m.female { Gender::Female } else { Gender::Male },
        birth_date: d(m.birth),
        unit_id: m.unit_id,
        employment_type: m.employment,
        joined_on: d(m.birth) + chrono::Duration::days(365 * 24),
        phone: Some(m.phone.into()),
        id_card: Some(id_card(
            m.birth,
            m.female,
            m.staff_no.len() as u32 + m.staff_no.bytes().map(u32::from).sum::<u32>() % 400,
        )),
    };
    let key = &app.state.config.encryption_key;
    gonghui::membership::create_member(
        &mut conn,
        &Authorized::system(Permission::MembersWrite),
        &input,
        key,
        &Actor::system("test"),
    )
    .await
    .unwrap()
    .id
}

pub async fn org(app: &TestApp) -> Org {
    let mut conn = app.conn().await;
    let (root, a, a_group, b) = conn
        .transaction::<_, gonghui::error::ApiError, _>(async |conn| {
            let root = unit(conn, "校工会", "ROOT", UnitKind::School, None).await;
            let a = unit(conn, "机电工程学院工会", "A", UnitKind::Secondary, Some(root)).await;
            let a_group = unit(conn, "机电一组", "A1", UnitKind::Group, Some(a)).await;
            let b = unit(conn, "外国语学院工会", "B", UnitKind::Secondary, Some(root)).await;
            Ok((root, a, a_group, b))
        })
        .await
        .unwrap();
    use EmploymentType::*;
    let zhang_san = member(
        app,
        M {
            staff_no: "A001",
            name: "张三",
            female: false,
            birth: "1980-05-12",
            unit_id: a,
            employment: Established,
            phone: "13812341234",
        },
    )
    .await;
    let li_si = member(
        app,
        M {
            staff_no: "A002",
            name: "李四",
            female: true,
            birth: "1990-11-03",
            unit_id: a,
            employment: Contract,
            phone: "13912345678",
        },
    )
    .await;
    let wang_wu = member(
        app,
        M {
            staff_no: "A101",
            name: "王五",
            female: false,
            birth: "1975-05-20",
            unit_id: a_group,
            employment: Established,
            phone: "13700000001",
        },
    )
    .await;
    let zhao_liu = member(
        app,
        M {
            staff_no: "B001",
            name: "赵六",
            female: true,
            birth: "1985-02-14",
            unit_id: b,
            employment: Established,
            phone: "13600000002",
        },
    )
    .await;
    let qian_qi = member(
        app,
        M {
            staff_no: "B002",
            name: "钱七",
            female: false,
            birth: "1958-08-08",
            unit_id: b,
            employment: Retired,
            phone: "13500000003",
        },
    )
    .await;
    Org { root, a, a_group, b, zhang_san, li_si, wang_wu, zhao_liu, qian_qi }
}
