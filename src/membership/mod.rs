//! Membership: the unit tree (校工会 → 二级工会 → 工会小组), members, honors and dues.
//!
//! Rules: staff numbers are unique; members are never deleted (leaving is a status change
//! with a history row, and a trigger refuses DELETE); a unit's parent chain never has a
//! cycle; unit admins see and change only their unit and the units below it, and anything
//! outside is "not found"; lists mask phone and ID-card numbers; ID-card numbers are stored
//! encrypted with keyed hashes for lookup.

mod dues;
pub mod error;
mod honors;
mod imports;
mod members;
pub mod types;
mod units;

use crate::webhooks::EventDef;
use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`. Fixed paths (`/units/tree`, `/members/import`) come before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(units::api::list_units)
        .service(units::api::unit_tree)
        .service(units::api::get_unit)
        .service(units::api::create_unit)
        .service(units::api::update_unit)
        .service(members::api::list_unit_members)
        .service(imports::api::import_members)
        .service(members::api::list_members)
        .service(members::api::get_member)
        .service(members::api::create_member)
        .service(members::api::update_member)
        .service(members::api::transfer_member)
        .service(members::api::leave_member)
        .service(members::api::rejoin_member)
        .service(members::api::member_history)
        .service(honors::api::list_honors)
        .service(honors::api::get_honor)
        .service(honors::api::create_honor)
        .service(honors::api::delete_honor)
        .service(dues::api::list_dues)
        .service(dues::api::create_dues);
}

/// The webhook events membership sends.
pub const WEBHOOK_EVENTS: &[EventDef] = &[
    EventDef { name: "member.created", doc: "A member was created (by hand)." },
    EventDef { name: "member.updated", doc: "A member's details changed." },
    EventDef { name: "member.transferred", doc: "A member moved to another unit." },
    EventDef { name: "member.left", doc: "A member left the union." },
    EventDef { name: "member.rejoined", doc: "A member who had left rejoined." },
    EventDef { name: "members.imported", doc: "A file or roster of members was imported (counts and units)." },
    EventDef {
        name: "members.birthday_list",
        doc: "The monthly birthday list (active, non-retired members, by unit).",
    },
];

/// The domain's jobs: the monthly birthday list.
pub fn jobs(registry: &mut crate::jobs::Registry) {
    members::birthdays::register(registry);
}

// The public face: what other modules may use. Resource modules are private, so a store
// function of this domain cannot be imported from elsewhere; what is re-exported here takes
// a proof (or is a pure helper, a type or a constant).
pub use dues::dto::CreateDues;
pub use imports::api::MAX_ROWS as MAX_IMPORT_ROWS;
/// The member file parser (pure), shared with the HR roster sync.
pub use imports::parse;
pub use members::birthdays::BIRTHDAY_LIST;
pub use members::dto::{CreateMember, MemberProfile};
pub use members::events::members_imported;
pub use members::store::{create as create_member, id_card_columns, member_profile};
/// ID-card numbers (GB 11643) and names (pinyin keys): pure helpers.
pub use members::{idcard, names};
pub use units::dto::CreateUnit;
pub use units::store::{boxed_in_scope, create as create_unit, find_in_scope};
