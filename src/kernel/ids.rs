//! Ids of the records that cross module boundaries, as types: a function that wants a member
//! cannot be handed a user's id (both are `bigint` in the database and were both `i64` in the
//! principal, the audit actor and the proofs). On the wire and in the database each is the
//! plain integer (`serde(transparent)`, diesel `BigInt`), so the spec and the schema do not
//! change (DTOs keep `i64` fields: the spec documents plain integers). Construction from a raw integer is explicit (`MemberId(id)`), which is where a
//! reviewer checks that the integer really is that kind of id.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, for SQL built by hand and for logs.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::from_sql(bytes).map($name)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::to_sql(&self.0, out)
            }
        }
    };
}

id_type!(
    /// An administrative or member account (`users.id`).
    UserId
);
id_type!(
    /// A union member (`members.id`).
    MemberId
);
id_type!(
    /// A union organisation: the school union, a secondary union, a group (`units.id`).
    UnitId
);
id_type!(
    /// An API client (`api_clients.id`; not its public `client_id` string).
    ClientId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_integers_on_the_wire() {
        assert_eq!(serde_json::to_string(&MemberId(517)).unwrap(), "517");
        assert_eq!(serde_json::from_str::<UserId>("42").unwrap(), UserId(42));
        assert_eq!(UnitId(7).to_string(), "7");
    }
}
