//! `seed-demo`: a union the size of the one in the 2023 report, with generated people
//! (no real person's data): the school union, 24 secondary unions, 5,120 members (2,001
//! women, 1,050 contract staff, 300 retirees), the 2023 honors, and administrators.
//! Deterministic and idempotent: re-running adds nothing and resets the demo passwords.

pub mod democracy;
pub mod democracy_plan;
pub mod membership;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::audit::{self, Actor};
use crate::auth::users::store as users_store;
use crate::auth::{password, permissions::Role};
use crate::config::Config;
use crate::db;
use crate::schema::{members, role_grants};
use crate::seed::membership::{SECONDARY_UNIONS, Seeded};

pub async fn run(config: &Config) -> anyhow::Result<()> {
    db::run_migrations(&config.database_url).await?;
    let pool = db::build_pool(config)?;
    let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("database: {e}"))?;
    let key = config.encryption_key.clone();
    let actor = Actor::system("seed-demo");
    let (unit_ids, members_added, honors_added) = conn
        .transaction::<_, crate::error::ApiError, _>(async |conn| {
            let Seeded { unit_ids, members_added, honors_added } = membership::seed(conn, &key).await?;
            let summary = serde_json::json!({ "units": unit_ids.len() + 1, "members_added": members_added, "honors_added": honors_added });
            audit::record(conn, &actor, "seed.demo", "database", "demo", audit::NONE, Some(&summary)).await?;
            Ok((unit_ids, members_added, honors_added))
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let admin_password = password::generate_password();
    let unit_password = password::generate_password();
    let admin_hash = password::hash_password(&admin_password)?;
    let unit_hash = password::hash_password(&unit_password)?;
    users_store::ensure_admin(
        &mut conn,
        "admin",
        "校工会管理员",
        &admin_hash,
        &[Role::SystemAdmin, Role::UnionAdmin],
        &actor,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let unit_admin = users_store::ensure_admin(&mut conn, "unit01", "机电工程学院工会管理员", &unit_hash, &[], &actor)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    diesel::insert_into(role_grants::table)
        .values((
            role_grants::user_id.eq(unit_admin),
            role_grants::role.eq("unit_admin"),
            role_grants::unit_id.eq(unit_ids[0]),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;

    let democracy =
        crate::seed::democracy::seed_demo(&mut conn, &unit_ids, &actor).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // Thousands of rows just arrived: give the planner fresh statistics.
    diesel::sql_query("ANALYZE").execute(&mut conn).await?;
    let total: i64 = members::table.count().get_result(&mut conn).await?;
    println!(
        "demo union ready: 1 school union, {} secondary unions, {total} members ({members_added} added), {honors_added} honors added",
        unit_ids.len()
    );
    println!("administrator (system_admin + union_admin): admin / {admin_password}");
    println!("unit administrator of {}: unit01 / {unit_password}", SECONDARY_UNIONS[0]);
    println!("{democracy}");
    Ok(())
}
