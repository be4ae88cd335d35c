//! Wire enums: one stable snake_case value per variant, shared by JSON, SQL and code.
//!
//! Rules:
//! - `as_str` returns the wire/database value, which serde uses too (`rename_all = "snake_case"`).
//! - `parse` is for human input (HR spreadsheets, query strings): it trims the text and accepts
//!   the wire value, the Chinese label and the other common spellings listed per variant. ASCII
//!   is compared case-insensitively ("Male", "F"); Chinese text must match exactly.
//! - `label` is the Chinese display name, used for error messages such as the list of choices.
//! - `all` lists the variants in declaration order (the order shown to users).
//! - A value read from the database goes through `from_db`: a value that does not parse is
//!   corruption, reported as an internal error, never replaced by a default. Wire enums are
//!   diesel `Text` types, so row tuples and structs declare the enum itself and diesel calls
//!   `from_db` while reading the row; `as_str` is what is written.

/// Declares a wire enum: the type, its variants with their wire value, Chinese label and
/// accepted aliases, and the `as_str` / `label` / `parse` / `all` methods.
///
/// A macro keeps the six enums from drifting apart: the serde name, `as_str` and `parse`
/// are generated from one table, and a unit test checks serde against `as_str`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal, $label:literal, [$($alias:literal),* $(,)?];
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        /// Read from a `text` column through [`Self::from_db`]: a value that is not a variant
        /// fails the query (an internal error), never becomes a default.
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                Ok(Self::from_db(&text)?)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl $name {
            /// The snake_case value stored in the database and sent on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// The Chinese display label.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }

            /// Parses the wire value, the Chinese label or a common alias (trimmed; ASCII
            /// case-insensitive). `None` when nothing matches.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                $(
                    if [$wire, $label $(, $alias)*].iter().any(|c| s.eq_ignore_ascii_case(c)) {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// Parses a value read from the database: exactly the wire value. Anything else is
            /// corruption and an error (logged once as internal), never a default.
            pub fn from_db(s: &str) -> Result<Self, $crate::kernel::wire::CorruptValue> {
                match s {
                    $( $wire => Ok($name::$variant), )+
                    _ => Err($crate::kernel::wire::CorruptValue::new(stringify!($name), s)),
                }
            }

            /// Every variant, in declaration order.
            pub fn all() -> &'static [Self] {
                &[$( $name::$variant, )+]
            }
        }
    };
}

/// Every domain declares its wire enums with this macro.
pub(crate) use wire_enum;

/// The same database rule for an enum that keeps its own `as_str` and `parse` (roles and API
/// client scopes, whose wire values are not snake_case words): stored as diesel `Text`, and a
/// stored value that `parse` does not know fails the query. The enum derives
/// `AsExpression`/`FromSqlRow` with `#[diesel(sql_type = Text)]` itself.
macro_rules! text_column {
    ($name:ident) => {
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                $name::parse(&text)
                    .ok_or_else(|| $crate::kernel::wire::CorruptValue::new(stringify!($name), &text).into())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }
    };
}

pub(crate) use text_column;

/// A database value that is not a variant of its enum: the row was written by something that
/// does not follow the schema's rules. An internal error, never a silent default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt {type_name} value in the database: {value:?}")]
pub struct CorruptValue {
    pub type_name: &'static str,
    pub value: String,
}

impl CorruptValue {
    pub fn new(type_name: &'static str, value: &str) -> Self {
        // Bounded: the value is logged, and a corrupt row could hold anything.
        CorruptValue { type_name, value: value.chars().take(40).collect() }
    }
}
