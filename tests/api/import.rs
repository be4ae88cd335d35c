//! `POST /members/import`: CSV (UTF-8 and GBK) and XLSX rosters, row-level errors with
//! spreadsheet row numbers, dry runs, all-or-nothing writes, scope, limits and roles.

use crate::common;

use common::fixtures::{self, id_card};
use common::{Res, TestApp, TestUser};
use gonghui::auth::permissions::Role;
use serde_json::{Value, json};

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const HEADER: &str = "工号,姓名,性别,出生日期,所属工会,用工类型,入会日期,手机号,身份证号";

/// One roster line; the ID card is generated to match birth date and gender.
#[derive(Clone)]
struct Line {
    staff_no: String,
    name: String,
    female: bool,
    birth: String,
    unit: String,
    employment: String,
    joined: String,
    phone: String,
    id_card: String,
}

impl Line {
    fn new(staff_no: &str, name: &str, female: bool, birth: &str, unit: &str) -> Line {
        let seq = staff_no.bytes().map(u32::from).sum::<u32>() % 400;
        Line {
            staff_no: staff_no.into(),
            name: name.into(),
            female,
            birth: birth.into(),
            unit: unit.into(),
            employment: "在编".into(),
            joined: "2012-09-01".into(),
            phone: String::new(),
            id_card: id_card(birth, female, seq),
        }
    }

    fn csv(&self) -> String {
        let gender = if self.female { "女" } else { "男" };
        [
            self.staff_no.as_str(),
            &self.name,
            gender,
            &self.birth,
            &self.unit,
            &self.employment,
            &self.joined,
            &self.phone,
            &self.id_card,
        ]
        .join(",")
    }
}

fn csv_of(lines: &[Line]) -> String {
    let mut text = String::from(HEADER);
    for l in lines {
        text.push('\n');
        text.push_str(&l.csv());
    }
    text.push('\n');
    text
}

/// Three valid lines: unit A by code, A by name, A's group by code (lower case).
fn clean_lines() -> Vec<Line> {
    let mut one = Line::new("T001", "孙一", false, "1985-03-15", "A");
    one.phone = "13811112222".into();
    let mut two = Line::new("T002", "周二", true, "1990-01-02", "机电工程学院工会");
    two.employment = "非编".into();
    two.joined = "2015-07-01".into();
    let mut three = Line::new("T003", "吴三", false, "1978-12-31", "a1");
    three.employment = "退休".into();
    three.joined = "2000-01-01".into();
    vec![one, two, three]
}

/// The same file with a wrong check digit on data row 3 (spreadsheet row 4).
fn lines_with_bad_id_card() -> Vec<Line> {
    let mut lines = clean_lines();
    let card = &mut lines[2].id_card;
    let last = card.pop().unwrap();
    card.push(if last == '0' { '1' } else { '0' });
    lines
}

async fn import(app: &TestApp, user: &TestUser, dry_run: bool, content_type: &str, body: impl Into<Vec<u8>>) -> Res {
    let path = if dry_run { "/members/import?dry_run=true" } else { "/members/import" };
    app.post(path).token(&user.token).raw(content_type, body.into()).send().await
}

/// (members, member_history rows, audit rows).
async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.scalar("SELECT count(*) AS id FROM members").await,
        app.scalar("SELECT count(*) AS id FROM member_history").await,
        app.scalar("SELECT count(*) AS id FROM audit_log").await,
    )
}

async fn member_id(app: &TestApp, staff_no: &str) -> i64 {
    app.scalar(&format!("SELECT id FROM members WHERE staff_no = '{staff_no}'")).await
}

/// `(row, field, code)` of every error.
fn errors(body: &Value) -> Vec<(u64, String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
        .collect()
}

fn triple(row: u64, field: &str, code: &str) -> (u64, String, String) {
    (row, field.into(), code.into())
}

#[actix_web::test]
async fn clean_csv_creates_every_row_with_history_and_audit() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let file = csv_of(&clean_lines());

    // A dry run reports and writes nothing.
    let before = counts(&app).await;
    let report = import(&app, &admin, true, CSV, file.clone()).await.assert_ok(200);
    assert_eq!(report, json!({"dry_run": true, "total_rows": 3, "valid_rows": 3, "created": 0, "errors": []}));
    assert_eq!(counts(&app).await, before);

    let report = import(&app, &admin, false, "text/csv; charset=utf-8", file).await.assert_ok(200);
    assert_eq!(report, json!({"dry_run": false, "total_rows": 3, "valid_rows": 3, "created": 3, "errors": []}));
    assert_eq!(counts(&app).await, (before.0 + 3, before.1 + 3, before.2 + 3));

    let lines = clean_lines();
    let expected_units = [org.a, org.a, org.a_group];
    let expected_types = ["established", "contract", "retired"];
    for ((line, unit), employment) in lines.iter().zip(expected_units).zip(expected_types) {
        let id = member_id(&app, &line.staff_no).await;
        let m = app.get(&format!("/members/{id}")).token(&admin.token).send().await.assert_ok(200);
        assert_eq!(m["name"], line.name.as_str());
        assert_eq!(m["unit_id"], unit);
        assert_eq!(m["birth_date"], line.birth.as_str());
        assert_eq!(m["joined_on"], line.joined.as_str());
        assert_eq!(m["gender"], if line.female { "female" } else { "male" });
        assert_eq!(m["employment_type"], employment);
        assert_eq!(m["status"], "active");
        // Union admins see the stored (encrypted) ID card in full.
        assert_eq!(m["id_card"], line.id_card.as_str());

        let history = app.get(&format!("/members/{id}/history")).token(&admin.token).send().await.assert_ok(200);
        assert_eq!(history["total"], 1);
        assert_eq!(history["items"][0]["event"], "joined");
        assert_eq!(history["items"][0]["to_unit_id"], unit);
        assert_eq!(history["items"][0]["effective_on"], line.joined.as_str());
        assert_eq!(history["items"][0]["actor_user_id"], admin.id);

        let audits = app
            .scalar(&format!(
                "SELECT count(*) AS id FROM audit_log WHERE action = 'member.import' AND entity = 'member' \
                 AND entity_id = '{id}' AND actor_user_id = {} AND after->>'source' = 'import'",
                admin.id
            ))
            .await;
        assert_eq!(audits, 1, "one audit row for {}", line.staff_no);
    }
    assert_eq!(
        app.get(&format!("/members/{}", member_id(&app, "T001").await)).token(&admin.token).send().await.json()["phone"],
        "13811112222"
    );
    assert_eq!(
        app.get(&format!("/members/{}", member_id(&app, "T002").await)).token(&admin.token).send().await.json()["phone"],
        Value::Null
    );
}

#[actix_web::test]
async fn one_bad_row_is_reported_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let file = csv_of(&lines_with_bad_id_card());
    let before = counts(&app).await;

    let report = import(&app, &admin, true, CSV, file.clone()).await.assert_ok(200);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["total_rows"], 3);
    assert_eq!(report["valid_rows"], 2);
    assert_eq!(report["created"], 0);
    assert_eq!(
        report["errors"],
        json!([{"row": 4, "field": "id_card", "code": "invalid_id_card", "message": "身份证号格式或校验位错误"}])
    );

    let en = app
        .post("/members/import?dry_run=true")
        .token(&admin.token)
        .header("accept-language", "en")
        .raw(CSV, file.clone())
        .send()
        .await
        .assert_ok(200);
    assert_eq!(
        en["errors"],
        json!([{"row": 4, "field": "id_card", "code": "invalid_id_card",
                "message": "is not a valid ID-card number (format or check digit)"}])
    );

    let res = import(&app, &admin, false, CSV, file).await;
    let problem = res.assert_problem(422, "import_rejected");
    assert_eq!(problem["detail"], "导入文件有错误，未写入任何数据。");
    assert_eq!(
        problem["errors"],
        json!([{"row": 4, "field": "id_card", "code": "invalid_id_card", "message": "身份证号格式或校验位错误"}])
    );
    assert_eq!(counts(&app).await, before, "nothing written");
    for line in clean_lines() {
        let n = app.scalar(&format!("SELECT count(*) AS id FROM members WHERE staff_no = '{}'", line.staff_no)).await;
        assert_eq!(n, 0);
    }
}

#[actix_web::test]
async fn duplicates_taken_values_unknown_units_and_bad_dates() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let admin = app.union_admin().await;

    // First an import that puts T050 (with its ID card) in the database.
    let existing = Line::new("T050", "郑五十", false, "1970-06-06", "B");
    import(&app, &admin, false, CSV, csv_of(std::slice::from_ref(&existing))).await.assert_ok(200);

    let mut lines = vec![
        Line::new("T101", "甲", false, "1981-01-01", "A"), // row 2: fine
        Line::new("T101", "乙", false, "1982-02-02", "A"), // row 3: staff_no of row 2
        Line::new("A001", "丙", false, "1983-03-03", "A"), // row 4: staff_no of 张三 (fixtures)
        Line::new("T104", "丁", true, "1984-04-04", "Z"),  // row 5: unknown unit
        Line::new("T105", "戊", false, "1985-05-05", "A"), // row 6: bad dates
        Line::new("T106", "己", false, "1970-06-06", "A"), // row 7: ID card of T050
        Line::new("T107", "庚", true, "1987-07-07", "A"),  // row 8: ID card of row 2
    ];
    lines[4].birth = "1985-02-30".into();
    lines[4].id_card = String::new();
    lines[4].joined = "去年".into();
    lines[5].id_card = existing.id_card.clone();
    lines[6].id_card = lines[0].id_card.clone();
    lines[6].female = false;
    lines[6].birth = "1981-01-01".into();
    let file = csv_of(&lines);
    let before = counts(&app).await;

    let report = import(&app, &admin, true, CSV, file.clone()).await.assert_ok(200);
    assert_eq!(
        errors(&report),
        [
            triple(3, "staff_no", "duplicate_in_file"),
            triple(4, "staff_no", "staff_no_taken"),
            triple(5, "unit", "unknown_unit"),
            triple(6, "birth_date", "invalid_date"),
            triple(6, "joined_on", "invalid_date"),
            triple(7, "id_card", "id_card_taken"),
            triple(8, "id_card", "duplicate_in_file"),
        ]
    );
    assert_eq!(report["total_rows"], 7);
    assert_eq!(report["valid_rows"], 1);
    let messages: Vec<&str> =
        report["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(messages[0], "与第 2 行重复");
    assert_eq!(messages[1], "工号已存在");
    assert_eq!(messages[2], "组织不存在：Z");
    assert_eq!(messages[3], "日期无效，应为 YYYY-MM-DD");
    assert_eq!(messages[5], "身份证号已被其他会员使用");
    assert_eq!(messages[6], "与第 2 行重复");

    let problem = import(&app, &admin, false, CSV, file).await.assert_problem(422, "import_rejected");
    assert_eq!(problem["errors"], report["errors"]);
    assert!(problem["errors"].as_array().unwrap().iter().all(|e| e["row"].is_u64()));
    assert_eq!(counts(&app).await, before);
}

#[actix_web::test]
async fn missing_required_column_is_reported_on_row_1() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let file = "工号,姓名,出生日期,所属工会,用工类型,手机号\nT001,孙一,1985-03-15,A,在编,13811112222\nT002,周二,1990-01-02,A,在编,\n";
    let report = import(&app, &admin, true, CSV, file).await.assert_ok(200);
    assert_eq!(
        report["errors"],
        json!([
            {"row": 1, "field": "header", "code": "missing_column", "message": "缺少列：gender"},
            {"row": 1, "field": "header", "code": "missing_column", "message": "缺少列：joined_on"},
        ])
    );
    assert_eq!(report["total_rows"], 2);
    assert_eq!(report["valid_rows"], 0, "no row is valid without the columns");
    let problem = import(&app, &admin, false, CSV, file).await.assert_problem(422, "import_rejected");
    assert_eq!(errors(&problem), [triple(1, "header", "missing_column"), triple(1, "header", "missing_column")]);
}

#[actix_web::test]
async fn unit_admin_imports_only_into_its_subtree() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let unit_admin = app.unit_admin(org.a).await;
    let lines = vec![
        Line::new("T201", "甲", false, "1981-01-01", "A"),
        Line::new("T202", "乙", true, "1982-02-02", "A1"),
        Line::new("T203", "丙", false, "1983-03-03", "B"),
        Line::new("T204", "丁", false, "1984-04-04", "外国语学院工会"),
        Line::new("T205", "戊", false, "1985-05-05", "ROOT"),
    ];
    let report = import(&app, &unit_admin, true, CSV, csv_of(&lines)).await.assert_ok(200);
    assert_eq!(
        errors(&report),
        [triple(4, "unit", "unknown_unit"), triple(5, "unit", "unknown_unit"), triple(6, "unit", "unknown_unit")]
    );
    let before = counts(&app).await;
    import(&app, &unit_admin, false, CSV, csv_of(&lines)).await.assert_problem(422, "import_rejected");
    assert_eq!(counts(&app).await, before);

    // Without the outside rows the same admin imports into A and its group.
    let report = import(&app, &unit_admin, false, CSV, csv_of(&lines[..2])).await.assert_ok(200);
    assert_eq!(report["created"], 2);
    let unit_of = |staff_no: &'static str| {
        let app = &app;
        async move { app.scalar(&format!("SELECT unit_id AS id FROM members WHERE staff_no = '{staff_no}'")).await }
    };
    assert_eq!(unit_of("T201").await, org.a);
    assert_eq!(unit_of("T202").await, org.a_group);
    let actor = app.scalar("SELECT actor_user_id AS id FROM audit_log WHERE action = 'member.import' LIMIT 1").await;
    assert_eq!(actor, unit_admin.id);
}

#[actix_web::test]
async fn a_unit_name_shared_by_two_units_is_ambiguous() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    // Every secondary union may have a group called 第一小组.
    let mut group_ids = Vec::new();
    for (parent, code) in [(org.a, "A-G1"), (org.b, "B-G1")] {
        let body = json!({"name": "第一小组", "code": code, "kind": "group", "parent_id": parent});
        group_ids.push(
            app.post("/units").token(&admin.token).json(&body).send().await.assert_ok(201)["id"].as_i64().unwrap(),
        );
    }
    let lines = [
        Line::new("T301", "甲", false, "1981-01-01", "第一小组"),
        Line::new("T302", "乙", false, "1982-02-02", "b-g1"),
    ];
    let report = import(&app, &admin, true, CSV, csv_of(&lines)).await.assert_ok(200);
    assert_eq!(
        report["errors"],
        json!([{"row": 2, "field": "unit", "code": "ambiguous_unit", "message": "有多个组织名为 第一小组，请填写组织代码"}])
    );
    assert_eq!(report["valid_rows"], 1);

    // A unit admin of A sees only A's 第一小组: the name is unique in its scope.
    let unit_admin = app.unit_admin(org.a).await;
    let report = import(&app, &unit_admin, false, CSV, csv_of(&lines[..1])).await.assert_ok(200);
    assert_eq!(report["created"], 1);
    let unit = app.scalar("SELECT unit_id AS id FROM members WHERE staff_no = 'T301'").await;
    assert_eq!(unit, group_ids[0]);
}

#[actix_web::test]
async fn excel_style_csv_with_bom_crlf_quotes_and_lower_case_x() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    // A card whose check character is X, written in lower case.
    let card = (0..200).map(|seq| id_card("1986-07-08", true, seq)).find(|c| c.ends_with('X')).unwrap();
    let lower = card.to_lowercase();
    let text = format!(
        "\u{feff}工号*,姓名*,性别,出生日期,所属工会,用工类型,入会日期,手机号,身份证号\r\n\
         \"E001\",\"司马,相如\",女,1986/7/8,\"机电一组\",聘用,2010年9月1日,+86 138-0013-8000,{lower}\r\n\
         \r\n\
         E002,\"多行\r\n姓名\",男,1970-01-01,B,在编,1995-01-01,,\r\n\
         E003,\"响\u{7}铃\",男,1971-01-01,B,在编,1995-01-01,,\r\n\
         E004,\"空\u{0}字节\",男,1972-01-01,B,在编,1995-01-01,,\r\n"
    );
    // Spreadsheet rows: header 1, E001 2, blank 3, E002 4 (one cell spans two lines), E003 5, E004 6.
    let report = import(&app, &admin, true, CSV, text.clone()).await.assert_ok(200);
    assert_eq!(report["total_rows"], 4);
    assert_eq!(errors(&report), [triple(5, "name", "control_characters"), triple(6, "name", "control_characters")]);
    assert_eq!(report["errors"][0]["message"], "不能包含控制字符");
    // Never a 500: the rejected import writes nothing.
    import(&app, &admin, false, CSV, text.clone()).await.assert_problem(422, "import_rejected");

    let valid: String = text.split("\r\n").take(5).map(|l| format!("{l}\r\n")).collect();
    let report = import(&app, &admin, false, CSV, valid).await.assert_ok(200);
    assert_eq!(report["created"], 2);
    let m =
        app.get(&format!("/members/{}", member_id(&app, "E002").await)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(m["name"], "多行\r\n姓名");
    let m =
        app.get(&format!("/members/{}", member_id(&app, "E001").await)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(m["name"], "司马,相如");
    assert_eq!(m["unit_id"], org.a_group);
    assert_eq!(m["birth_date"], "1986-07-08");
    assert_eq!(m["joined_on"], "2010-09-01");
    assert_eq!(m["employment_type"], "contract");
    assert_eq!(m["phone"], "13800138000");
    assert_eq!(m["id_card"], card.as_str(), "stored normalised");

    // The same card in upper case is recognised as taken.
    let mut again = Line::new("E003", "司马迁", true, "1986-07-08", "A");
    again.id_card = card.clone();
    let report = import(&app, &admin, true, CSV, csv_of(&[again])).await.assert_ok(200);
    assert_eq!(errors(&report), [triple(2, "id_card", "id_card_taken")]);
}

#[actix_web::test]
async fn gbk_encoded_csv_is_read() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let text = csv_of(&[Line::new("G001", "欧阳娜娜", true, "1992-08-08", "外国语学院工会")]);
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(&text);
    assert!(!had_errors);
    assert!(std::str::from_utf8(&bytes).is_err(), "really GBK, not UTF-8");
    let report = import(&app, &admin, false, "text/csv; charset=gbk", bytes.into_owned()).await.assert_ok(200);
    assert_eq!(report["created"], 1);
    let id = member_id(&app, "G001").await;
    let m = app.get(&format!("/members/{id}")).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(m["name"], "欧阳娜娜");
    assert_eq!(m["unit_id"], org.b);
    assert_eq!(m["gender"], "female");
    // Pinyin search keys were computed from the decoded name.
    let found = app.get("/members?q=ouyang").token(&admin.token).send().await.assert_ok(200);
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["staff_no"], "G001");
}

#[actix_web::test]
async fn xlsx_built_in_the_test_is_imported() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let admin = app.union_admin().await;

    let card = id_card("1988-04-09", false, 7);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Row 2: dates as real date cells, phone and staff number as numbers.
    sheet.write_number(1, 0, 900_001.0).unwrap();
    sheet.write_string(1, 1, "冯八").unwrap();
    sheet.write_string(1, 2, "男").unwrap();
    sheet.write_datetime_with_format(1, 3, ExcelDateTime::from_ymd(1988, 4, 9).unwrap(), &date).unwrap();
    sheet.write_string(1, 4, "B").unwrap();
    sheet.write_string(1, 5, "在编").unwrap();
    sheet.write_datetime_with_format(1, 6, ExcelDateTime::from_ymd(2011, 3, 1).unwrap(), &date).unwrap();
    sheet.write_number(1, 7, 13755556666.0).unwrap();
    sheet.write_string(1, 8, &card).unwrap();
    // Row 3 blank; row 4: text dates, unit by name.
    for (col, value) in ["X-4", "陈九", "女", "1993/5/6", "机电一组", "非编", "2020年9月1日", "", ""].iter().enumerate()
    {
        sheet.write_string(3, col as u16, *value).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();

    let report = import(&app, &admin, true, XLSX, bytes.clone()).await.assert_ok(200);
    assert_eq!(report, json!({"dry_run": true, "total_rows": 2, "valid_rows": 2, "created": 0, "errors": []}));
    let report = import(&app, &admin, false, XLSX, bytes).await.assert_ok(200);
    assert_eq!(report["created"], 2);

    let m = app
        .get(&format!("/members/{}", member_id(&app, "900001").await))
        .token(&admin.token)
        .send()
        .await
        .assert_ok(200);
    assert_eq!(m["name"], "冯八");
    assert_eq!(m["unit_id"], org.b);
    assert_eq!(m["birth_date"], "1988-04-09");
    assert_eq!(m["joined_on"], "2011-03-01");
    assert_eq!(m["phone"], "13755556666");
    assert_eq!(m["id_card"], card.as_str());
    let m =
        app.get(&format!("/members/{}", member_id(&app, "X-4").await)).token(&admin.token).send().await.assert_ok(200);
    assert_eq!(m["unit_id"], org.a_group);
    assert_eq!(m["birth_date"], "1993-05-06");
    assert_eq!(m["joined_on"], "2020-09-01");
    assert_eq!(m["employment_type"], "contract");

    // An XLSX error row is numbered as the spreadsheet shows it.
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for (col, value) in ["X-5", "褚十", "男", "1980-01-01", "A", "临时工", "2005-01-01"].iter().enumerate() {
        sheet.write_string(4, col as u16, *value).unwrap();
    }
    let report = import(&app, &admin, true, XLSX, workbook.save_to_buffer().unwrap()).await.assert_ok(200);
    assert_eq!(errors(&report), [triple(5, "employment_type", "invalid_choice")]);
}

#[actix_web::test]
async fn unsupported_empty_and_unreadable_files() {
    let app = TestApp::spawn().await;
    fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let file = csv_of(&clean_lines());

    for ct in ["text/plain", "application/json", "application/vnd.ms-excel", "multipart/form-data; boundary=x"] {
        import(&app, &admin, true, ct, file.clone()).await.assert_problem(415, "unsupported_media_type");
    }
    let res = app.post("/members/import").token(&admin.token).send().await;
    res.assert_problem(415, "unsupported_media_type");

    let before = counts(&app).await;
    for empty in [&b""[..], b"\xEF\xBB\xBF", HEADER.as_bytes(), b"\n\n,,,\n"] {
        let res = import(&app, &admin, false, CSV, empty.to_vec()).await;
        let problem = res.assert_problem(422, "validation_failed");
        assert_eq!(problem["errors"], json!([{"field": "file", "code": "empty_file", "message": "文件没有数据行"}]));
    }
    let header_only_xlsx = {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet().write_string(0, 0, "工号").unwrap();
        workbook.save_to_buffer().unwrap()
    };
    let problem = import(&app, &admin, false, XLSX, header_only_xlsx).await.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "file");
    assert_eq!(problem["errors"][0]["code"], "empty_file");

    import(&app, &admin, true, XLSX, b"PK not really a zip".to_vec()).await.assert_problem(400, "malformed_upload");
    // A CSV body sent as XLSX is not a workbook either.
    import(&app, &admin, false, XLSX, file).await.assert_problem(400, "malformed_upload");
    assert_eq!(counts(&app).await, before);
}

#[actix_web::test]
async fn files_over_the_import_limit_are_413() {
    let app = TestApp::spawn_with(&[("GONGHUI_IMPORT_LIMIT_BYTES", "2048")]).await;
    fixtures::org(&app).await;
    let admin = app.union_admin().await;
    let small = csv_of(&clean_lines());
    assert!(small.len() < 2048);

    let before = counts(&app).await;
    let big = format!("{small}{}", "x,".repeat(1500));
    assert!(big.len() > 2048);
    import(&app, &admin, false, CSV, big.clone()).await.assert_problem(413, "payload_too_large");
    import(&app, &admin, true, CSV, big).await.assert_problem(413, "payload_too_large");
    assert_eq!(counts(&app).await, before);
    // Exactly at the limit is still read.
    let padded = format!("{small}{}", "\n".repeat(2048 - small.len()));
    assert_eq!(padded.len(), 2048);
    assert_eq!(import(&app, &admin, false, CSV, padded).await.assert_ok(200)["created"], 3);
}

#[actix_web::test]
async fn too_many_rows_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.union_admin().await;
    let max = gonghui::membership::MAX_IMPORT_ROWS;
    let mut file = String::from("工号\n");
    for i in 0..=max {
        file.push_str(&format!("N{i}\n"));
    }
    let problem = import(&app, &admin, true, CSV, file).await.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "file");
    assert_eq!(problem["errors"][0]["code"], "too_many_rows");
    assert_eq!(problem["errors"][0]["message"], format!("行数超过上限 {max}"));
}

#[actix_web::test]
async fn only_importing_roles_may_import() {
    let app = TestApp::spawn().await;
    let org = fixtures::org(&app).await;
    let file = csv_of(&clean_lines());

    let res = app.post("/members/import?dry_run=true").raw(CSV, file.clone()).send().await;
    res.assert_problem(401, "missing_token");
    assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer"));
    app.post("/members/import")
        .token("not-a-jwt")
        .raw(CSV, file.clone())
        .send()
        .await
        .assert_problem(401, "invalid_token");

    for role in [Role::Member, Role::Auditor, Role::SystemAdmin, Role::FinanceOfficer, Role::Judge] {
        let user = app.with_role(role).await;
        let res = import(&app, &user, true, CSV, file.clone()).await;
        res.assert_problem(403, "forbidden");
    }
    // The role is checked before the file is even read.
    let member = app.with_role(Role::Member).await;
    import(&app, &member, true, "text/plain", "x").await.assert_problem(403, "forbidden");

    let unit_admin = app.unit_admin(org.a).await;
    assert_eq!(import(&app, &unit_admin, true, CSV, file.clone()).await.assert_ok(200)["valid_rows"], 3);
    let admin = app.union_admin().await;
    assert_eq!(import(&app, &admin, true, CSV, file).await.assert_ok(200)["valid_rows"], 3);
}
