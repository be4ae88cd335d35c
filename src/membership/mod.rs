//! Membership: the unit tree (校工会 → 二级工会 → 工会小组), members, honors and dues.
//!
//! Rules: staff numbers are unique; members are never deleted (leaving is a status change
//! with a history row, and a trigger refuses DELETE); a unit's parent chain never has a
//! cycle; unit admins see and change only their unit and the units below it, and anything
//! outside is "not found"; lists mask phone and ID-card numbers; ID-card numbers are stored
//! encrypted with keyed hashes for lookup.

pub mod birthdays;
pub mod dto;
pub mod honors_dues_api;
pub mod honors_dues_store;
pub mod idcard;
pub mod import;
pub mod import_parse;
pub mod members_api;
pub mod members_store;
pub mod names;
pub mod rules;
pub mod types;
pub mod units_api;
pub mod units_store;

use diesel::{ExpressionMethods, JoinOnDsl, OptionalExtension, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::schema::{members, units};
use dto::MemberProfile;
use types::{EmploymentType, Gender, MemberStatus};

/// Routes under `/api/v1`. Fixed paths (`/units/tree`, `/members/import`) come before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(units_api::list_units)
        .service(units_api::unit_tree)
        .service(units_api::get_unit)
        .service(units_api::create_unit)
        .service(units_api::update_unit)
        .service(members_api::list_unit_members)
        .service(import::import_members)
        .service(members_api::list_members)
        .service(members_api::get_member)
        .service(members_api::create_member)
        .service(members_api::update_member)
        .service(members_api::transfer_member)
        .service(members_api::leave_member)
        .service(members_api::rejoin_member)
        .service(members_api::member_history)
        .service(honors_dues_api::list_honors)
        .service(honors_dues_api::get_honor)
        .service(honors_dues_api::create_honor)
        .service(honors_dues_api::delete_honor)
        .service(honors_dues_api::list_dues)
        .service(honors_dues_api::create_dues);
}

/// A member's own profile (for `/me`): not masked, since it is the caller's own data.
pub async fn member_profile(conn: &mut AsyncPgConnection, member_id: i64) -> Result<Option<MemberProfile>, ApiError> {
    type Row = (i64, String, String, String, i64, String, String, chrono::NaiveDate, String, Option<String>);
    let row: Option<Row> = members::table
        .inner_join(units::table.on(units::id.eq(members::unit_id)))
        .filter(members::id.eq(member_id))
        .select((
            members::id,
            members::staff_no,
            members::name,
            members::gender,
            members::unit_id,
            units::name,
            members::employment_type,
            members::joined_on,
            members::status,
            members::phone,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(id, staff_no, name, gender, unit_id, unit_name, employment_type, joined_on, status, phone)| {
        MemberProfile {
            id,
            staff_no,
            name,
            gender: Gender::parse(&gender).unwrap_or(Gender::Male),
            unit_id,
            unit_name,
            employment_type: EmploymentType::parse(&employment_type).unwrap_or(EmploymentType::Established),
            joined_on,
            status: MemberStatus::parse(&status).unwrap_or(MemberStatus::Active),
            phone,
        }
    }))
}
