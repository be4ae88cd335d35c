//! Migrations apply to an empty database, revert completely, and apply again to exactly the
//! same schema (up → down → up, compared column by column, index by index).

use crate::common;

use common::TestDb;
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// Objects created by an extension (pg_trgm's functions, …) are not ours: the migrations
/// leave extensions installed on purpose.
const NOT_FROM_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')";

/// The schema of `public` as sorted text: columns, indexes, constraints, triggers, functions.
async fn schema(url: &str) -> String {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let sql = format!(
        "SELECT format('column %s.%s #%s %s %s nullable=%s default=%s identity=%s', table_name, column_name, \
                ordinal_position, data_type, coalesce(character_maximum_length::text, ''), is_nullable, \
                coalesce(column_default, ''), is_identity) AS line
           FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL
         SELECT format('index %s %s', tablename, indexdef) FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT format('constraint %s %s %s %s', c.conrelid::regclass, c.conname, c.contype, pg_get_constraintdef(c.oid))
           FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace
         UNION ALL
         SELECT format('trigger %s %s %s', t.tgrelid::regclass, t.tgname, pg_get_triggerdef(t.oid))
           FROM pg_trigger t WHERE NOT t.tgisinternal
         UNION ALL
         SELECT format('function %s(%s) %s', p.proname, pg_get_function_arguments(p.oid), md5(p.prosrc))
           FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND {NOT_FROM_EXTENSION}
         ORDER BY line"
    );
    let lines: Vec<Line> = diesel::sql_query(sql).load(&mut conn).await.unwrap();
    lines.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n")
}

/// Our tables and functions left in `public` (diesel's bookkeeping table excepted).
async fn leftovers(url: &str) -> Vec<String> {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let sql = format!(
        "SELECT 'table ' || table_name AS line FROM information_schema.tables
           WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
         UNION ALL
         SELECT 'function ' || p.proname FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace AND {NOT_FROM_EXTENSION}
         UNION ALL
         SELECT 'sequence ' || sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'
         ORDER BY line"
    );
    let lines: Vec<Line> = diesel::sql_query(sql).load(&mut conn).await.unwrap();
    lines.into_iter().map(|l| l.line).collect()
}

fn migration_dirs() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("up.sql").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn up_down_up_gives_the_same_schema() {
    let db = TestDb::empty().await;
    assert!(leftovers(&db.url).await.is_empty());

    let applied = gonghui::db::run_migrations(&db.url).await.unwrap();
    let dirs = migration_dirs();
    assert_eq!(applied.len(), dirs.len(), "every migration applied: {applied:?} vs {dirs:?}");
    for (version, dir) in applied.iter().zip(&dirs) {
        assert!(dir.replace('-', "").starts_with(&version.replace('-', "")), "{version} is {dir}");
    }
    let first = schema(&db.url).await;
    for expected in [
        "column members.staff_no #2 text",
        "constraint members members_staff_no_key u UNIQUE (staff_no)",
        "constraint dues dues_one_per_month u UNIQUE (member_id, period)",
        "constraint honors honors_unique u UNIQUE (member_id, title, year)",
        "trigger audit_log audit_log_append_only",
        "trigger members members_never_deleted",
        "index units CREATE UNIQUE INDEX units_single_root",
        "function refuse_change()",
    ] {
        assert!(first.contains(expected), "schema has `{expected}`:\n{first}");
    }
    // Running again is a no-op.
    assert_eq!(gonghui::db::run_migrations(&db.url).await.unwrap(), Vec::<String>::new());
    assert_eq!(schema(&db.url).await, first);

    gonghui::db::revert_all_migrations(&db.url).await.unwrap();
    assert_eq!(leftovers(&db.url).await, Vec::<String>::new(), "down.sql leaves nothing of ours");

    let again = gonghui::db::run_migrations(&db.url).await.unwrap();
    assert_eq!(again, applied);
    let second = schema(&db.url).await;
    if second != first {
        let a: std::collections::BTreeSet<&str> = first.lines().collect();
        let b: std::collections::BTreeSet<&str> = second.lines().collect();
        panic!(
            "schema differs after up → down → up\nonly in the first:\n{}\nonly in the second:\n{}",
            a.difference(&b).copied().collect::<Vec<_>>().join("\n"),
            b.difference(&a).copied().collect::<Vec<_>>().join("\n"),
        );
    }
}

#[tokio::test]
async fn the_migrated_database_refuses_what_the_invariants_forbid() {
    let db = TestDb::empty().await;
    gonghui::db::run_migrations(&db.url).await.unwrap();
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let run = async |conn: &mut AsyncPgConnection, sql: &str| diesel::sql_query(sql).execute(conn).await;

    run(&mut conn, "INSERT INTO units (name, code, kind, path) VALUES ('校工会', 'ROOT', 'school', '/1/')")
        .await
        .unwrap();
    // A second root, a school with a parent, a bad code.
    assert!(run(&mut conn, "INSERT INTO units (name, kind, path) VALUES ('另一个', 'school', '/2/')").await.is_err());
    assert!(run(&mut conn, "INSERT INTO units (name, kind, parent_id) VALUES ('x', 'school', 1)").await.is_err());
    assert!(
        run(&mut conn, "INSERT INTO units (name, code, kind, parent_id) VALUES ('y', 'a b', 'secondary', 1)")
            .await
            .is_err()
    );
    run(
        &mut conn,
        "INSERT INTO members (staff_no, name, gender, birth_date, unit_id, employment_type, joined_on) \
         VALUES ('S1', '甲', 'male', '1980-01-01', 1, 'established', '2000-01-01')",
    )
    .await
    .unwrap();
    // Members are never deleted; staff numbers are unique.
    let err = run(&mut conn, "DELETE FROM members").await.unwrap_err().to_string();
    assert!(err.contains("never deleted"), "{err}");
    assert!(
        run(
            &mut conn,
            "INSERT INTO members (staff_no, name, gender, birth_date, unit_id, employment_type, joined_on) \
             VALUES ('S1', '乙', 'male', '1980-01-01', 1, 'established', '2000-01-01')"
        )
        .await
        .is_err()
    );
    // The audit log is append-only.
    run(&mut conn, "INSERT INTO audit_log (actor_label, action, entity, entity_id) VALUES ('t', 'x', 'y', '1')")
        .await
        .unwrap();
    for sql in ["UPDATE audit_log SET action = 'z'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let err = run(&mut conn, sql).await.unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    // Dues: one per member and month, first of the month, never negative.
    run(
        &mut conn,
        "INSERT INTO dues (member_id, period, amount_fen, paid_on) VALUES (1, '2023-03-01', 100, '2023-03-05')",
    )
    .await
    .unwrap();
    for sql in [
        "INSERT INTO dues (member_id, period, amount_fen, paid_on) VALUES (1, '2023-03-01', 100, '2023-03-05')",
        "INSERT INTO dues (member_id, period, amount_fen, paid_on) VALUES (1, '2023-04-02', 100, '2023-03-05')",
        "INSERT INTO dues (member_id, period, amount_fen, paid_on) VALUES (1, '2023-05-01', -1, '2023-03-05')",
        "INSERT INTO honors (member_id, title, category, level, year, issuer) VALUES (1, 't', 'other', 'school', 1800, 'i')",
    ] {
        assert!(run(&mut conn, sql).await.is_err(), "{sql}");
    }
    let count = |table: &'static str| {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let url = db.url.clone();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result::<N>(&mut conn).await.unwrap().n
        }
    };
    assert_eq!(
        (count("members").await, count("audit_log").await, count("dues").await, count("honors").await),
        (1, 1, 1, 0)
    );
}
