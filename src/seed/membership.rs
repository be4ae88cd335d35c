//! The membership part of the demo: the school union, its 24 secondary unions, 5,120
//! generated members (2,001 women, 1,050 contract staff, 300 retirees) and the 2023 honors.
//! Generated people only (no real person's data); deterministic, so re-running adds nothing.

use chrono::NaiveDate;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::crypto::SecretKey;
use crate::error::ApiError;
use crate::membership::{idcard, names};
use crate::schema::{honors, members, units};

pub const SECONDARY_UNIONS: [&str; 24] = [
    "机电工程学院工会",
    "材料科学与工程学院工会",
    "土木工程与建筑学院工会",
    "资源与环境工程学院工会",
    "化学化工与生命科学学院工会",
    "信息工程学院工会",
    "计算机与人工智能学院工会",
    "自动化学院工会",
    "交通与物流工程学院工会",
    "船海与能源动力工程学院工会",
    "汽车工程学院工会",
    "航运学院工会",
    "理学院工会",
    "经济学院工会",
    "管理学院工会",
    "艺术与设计学院工会",
    "外国语学院工会",
    "法学与人文社会学院工会",
    "马克思主义学院工会",
    "体育学院工会",
    "国际教育学院工会",
    "机关工会",
    "后勤保障处工会",
    "图书馆与档案馆工会",
];

pub const MEMBERS: usize = 5_120;
pub const WOMEN: usize = 2_001;
pub const CONTRACT: usize = 1_050;
pub const RETIRED: usize = 300;

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀英华慧建国平刚桂兰文辉玲鹏红波宁斌浩凯琳晨雪婷倩欣佳颖宇航博瑞睿泽轩然思雨嘉怡梓涵子豪俊峰志远海燕晓东亮飞立新春梅丹彤";

/// A member as generated (before encryption).
struct Person {
    staff_no: String,
    name: String,
    gender: &'static str,
    birth_date: NaiveDate,
    unit_index: usize,
    employment_type: &'static str,
    joined_on: NaiveDate,
    phone: String,
    id_card: String,
}

fn pick(rng: &mut StdRng, chars: &str) -> char {
    let list: Vec<char> = chars.chars().collect();
    list[rng.gen_range(0..list.len())]
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A checksum-valid ID number for a generated person (region 420111, 武汉市洪山区);
/// `nth` counts the people born that day, so numbers are unique.
fn id_card_for(birth: NaiveDate, nth: usize, female: bool) -> String {
    let order = nth * 2 + if female { 0 } else { 1 }; // 17th digit: odd = male, even = female
    let body = format!("420111{}{:03}", birth.format("%Y%m%d"), order % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn generate_people() -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(2023);
    let mut born_on: std::collections::HashMap<NaiveDate, usize> = std::collections::HashMap::new();
    let mut contract_so_far = 0;
    (0..MEMBERS)
        .map(|i| {
            // Women, contract staff and retirees are spread over the index range by stride,
            // so every secondary union gets some of each.
            let female = (i * WOMEN) % MEMBERS < WOMEN;
            // Contract staff are spread evenly (a Bresenham count), skipping retirees.
            let employment_type = if i % 16 == 3 && i / 16 < RETIRED {
                "retired"
            } else if contract_so_far * MEMBERS < CONTRACT * (i + 1) {
                contract_so_far += 1;
                "contract"
            } else {
                "established"
            };
            let birth_year =
                if employment_type == "retired" { rng.gen_range(1950..=1963) } else { rng.gen_range(1963..=2000) };
            let birth = date(birth_year, rng.gen_range(1..=12), rng.gen_range(1..=28));
            let join_year = (birth_year + rng.gen_range(23..=30)).min(2023);
            let joined_on = date(join_year, rng.gen_range(1..=12), rng.gen_range(1..=28));
            let nth = born_on.entry(birth).or_default();
            *nth += 1;
            let nth = *nth;
            let given: String = (0..rng.gen_range(1..=2)).map(|_| pick(&mut rng, GIVEN)).collect();
            Person {
                staff_no: format!("{}{:04}", join_year, i),
                name: format!("{}{}", pick(&mut rng, SURNAMES), given),
                gender: if female { "female" } else { "male" },
                birth_date: birth,
                unit_index: i % SECONDARY_UNIONS.len(),
                employment_type,
                joined_on,
                phone: format!("1{}{:09}", [3, 5, 7, 8, 9][i % 5], rng.gen_range(0..1_000_000_000u64)),
                id_card: id_card_for(birth, nth, female),
            }
        })
        .collect()
}

async fn ensure_units(conn: &mut AsyncPgConnection) -> Result<Vec<i64>, crate::error::ApiError> {
    diesel::sql_query(
        "INSERT INTO units (name, code, kind) VALUES ('校工会', 'ROOT', 'school') ON CONFLICT DO NOTHING",
    )
    .execute(conn)
    .await?;
    let root: (i64, String) =
        units::table.filter(units::parent_id.is_null()).select((units::id, units::path)).first(conn).await?;
    if root.1.is_empty() {
        diesel::update(units::table.filter(units::id.eq(root.0)))
            .set(units::path.eq(format!("/{}/", root.0)))
            .execute(conn)
            .await?;
    }
    let root_path = format!("/{}/", root.0);
    let mut ids = Vec::new();
    for (i, name) in SECONDARY_UNIONS.iter().enumerate() {
        let code = format!("S{:02}", i + 1);
        diesel::insert_into(units::table)
            .values((
                units::name.eq(name),
                units::code.eq(&code),
                units::kind.eq("secondary"),
                units::parent_id.eq(root.0),
                units::sort_order.eq(i as i32 + 1),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let id: i64 = units::table.filter(units::code.eq(&code)).select(units::id).first(conn).await?;
        diesel::update(units::table.filter(units::id.eq(id)).filter(units::path.eq("")))
            .set(units::path.eq(format!("{root_path}{id}/")))
            .execute(conn)
            .await?;
        ids.push(id);
    }
    Ok(ids)
}

async fn insert_members(
    conn: &mut AsyncPgConnection,
    people: &[Person],
    unit_ids: &[i64],
    key: &SecretKey,
) -> Result<usize, crate::error::ApiError> {
    let mut inserted = 0;
    for chunk in people.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|p| {
                let (pinyin, initials) = names::pinyin_keys(&p.name);
                let card = idcard::parse_id_card(&p.id_card).ok();
                let cols = card.as_ref().map(|c| crate::membership::id_card_columns(key, c));
                (
                    members::staff_no.eq(p.staff_no.clone()),
                    members::name.eq(p.name.clone()),
                    members::name_pinyin.eq(pinyin),
                    members::name_initials.eq(initials),
                    members::gender.eq(p.gender),
                    members::birth_date.eq(p.birth_date),
                    members::unit_id.eq(unit_ids[p.unit_index]),
                    members::employment_type.eq(p.employment_type),
                    members::joined_on.eq(p.joined_on),
                    members::phone.eq(p.phone.clone()),
                    (
                        members::id_card_cipher.eq(cols.as_ref().map(|c| c.0.clone())),
                        members::id_card_hash.eq(cols.as_ref().map(|c| c.1.clone())),
                        members::id_card_last6_hash.eq(cols.as_ref().map(|c| c.2.clone())),
                    ),
                )
            })
            .collect();
        inserted += diesel::insert_into(members::table).values(rows).on_conflict_do_nothing().execute(conn).await?;
    }
    // Every member has its "joined" history row.
    diesel::sql_query(
        "INSERT INTO member_history (member_id, event, to_unit_id, effective_on, reason) \
         SELECT m.id, 'joined', m.unit_id, m.joined_on, 'seed-demo' FROM members m \
         WHERE NOT EXISTS (SELECT 1 FROM member_history h WHERE h.member_id = m.id)",
    )
    .execute(conn)
    .await?;
    Ok(inserted)
}

/// The 2023 honors of the report, given to generated members.
async fn insert_honors(conn: &mut AsyncPgConnection, people: &[Person]) -> Result<usize, crate::error::ApiError> {
    let women: Vec<&Person> =
        people.iter().filter(|p| p.gender == "female" && p.employment_type != "retired").collect();
    let men: Vec<&Person> =
        people.iter().filter(|p| p.gender == "male" && p.employment_type == "established").collect();
    let mut plan: Vec<(&str, &str, &str, &str, &Person)> = Vec::new();
    plan.push(("湖北省先进工作者", "advanced_worker", "provincial", "湖北省人民政府", men[0]));
    for p in men.iter().skip(1).take(4) {
        plan.push(("湖北省五一劳动奖章", "may_day_medal", "provincial", "湖北省总工会", p));
    }
    plan.push(("湖北师德先进个人", "ethics_model", "provincial", "湖北省教育厅", men[5]));
    for (i, p) in women.iter().take(40).enumerate() {
        let title = if i < 20 { "卓越之花" } else { "优秀女职工" };
        plan.push((title, "excellent_woman", "school", "校工会", p));
    }
    for (i, p) in people.iter().skip(7).step_by(50).take(90).enumerate() {
        let (title, category) =
            if i < 45 { ("优秀工会干部", "union_cadre") } else { ("工会积极分子", "union_activist") };
        plan.push((title, category, "school", "校工会", p));
    }
    let mut inserted = 0;
    for (title, category, level, issuer, person) in plan {
        let member_id: i64 =
            members::table.filter(members::staff_no.eq(&person.staff_no)).select(members::id).first(conn).await?;
        inserted += diesel::insert_into(honors::table)
            .values((
                honors::member_id.eq(member_id),
                honors::title.eq(title),
                honors::category.eq(category),
                honors::level.eq(level),
                honors::year.eq(2023),
                honors::issuer.eq(issuer),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(inserted)
}

/// What the membership seed found or added.
pub struct Seeded {
    /// The secondary unions' ids, in the order of [`SECONDARY_UNIONS`].
    pub unit_ids: Vec<i64>,
    pub members_added: usize,
    pub honors_added: usize,
}

/// Units, members and honors, inside the caller's transaction.
pub async fn seed(conn: &mut AsyncPgConnection, key: &SecretKey) -> Result<Seeded, ApiError> {
    let people = generate_people();
    let unit_ids = ensure_units(conn).await?;
    let members_added = insert_members(conn, &people, &unit_ids, key).await?;
    let honors_added = insert_honors(conn, &people).await?;
    Ok(Seeded { unit_ids, members_added, honors_added })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_union_has_the_report_shape() {
        let people = generate_people();
        assert_eq!(people.len(), MEMBERS);
        assert_eq!(people.iter().filter(|p| p.gender == "female").count(), WOMEN);
        assert_eq!(people.iter().filter(|p| p.employment_type == "contract").count(), CONTRACT);
        assert_eq!(people.iter().filter(|p| p.employment_type == "retired").count(), RETIRED);
        let mut staff: Vec<&str> = people.iter().map(|p| p.staff_no.as_str()).collect();
        staff.sort_unstable();
        staff.dedup();
        assert_eq!(staff.len(), MEMBERS, "staff numbers are unique");
        for p in &people {
            let card = idcard::parse_id_card(&p.id_card).expect("generated ID cards are valid");
            assert_eq!(card.birth_date, p.birth_date);
            assert!(p.joined_on > p.birth_date);
            assert!(idcard::is_valid_phone(&p.phone));
        }
        let mut cards: Vec<&str> = people.iter().map(|p| p.id_card.as_str()).collect();
        cards.sort_unstable();
        cards.dedup();
        assert_eq!(cards.len(), MEMBERS, "ID cards are unique");
    }
}
