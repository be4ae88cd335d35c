//! Rules between the fields of a request type that its validator checks and its fields alone
//! cannot state (one of two fields, a field required for some kinds): JSON Schema keywords
//! (`oneOf`, `anyOf`, `if`/`then`/`else`) merged into the type's component. The type says
//! them next to its validator (`impl SchemaRules`); `app::openapi` lists the types.

use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{OpenApi, RefOr};

pub trait SchemaRules: utoipa::ToSchema {
    /// JSON Schema keywords added to the type's schema (an object).
    fn schema_rules() -> serde_json::Value;
}

/// Merges `T`'s rules into its component. `additionalProperties` and `propertyNames` go to
/// their fields; any other keyword is written as an extension of the schema, at most one per
/// type (extensions are a hash map: two would come out in a different order in every process,
/// and the checked-in spec would never be current). Returns false when the component is not
/// in the document, is not an object, already has one of the keywords, or has two extensions
/// (the spec test then fails).
pub fn apply<T: SchemaRules>(spec: &mut OpenApi) -> bool {
    let name = T::name();
    let Some(RefOr::T(Schema::Object(object))) =
        spec.components.as_mut().and_then(|c| c.schemas.get_mut(name.as_ref()))
    else {
        return false;
    };
    let serde_json::Value::Object(rules) = T::schema_rules() else { return false };
    let Ok(serde_json::Value::Object(existing)) = serde_json::to_value(&*object) else { return false };
    if rules.keys().any(|k| existing.contains_key(k)) {
        return false;
    }
    let mut extensions = Vec::new();
    for (keyword, value) in rules {
        match keyword.as_str() {
            "additionalProperties" => match serde_json::from_value(value) {
                Ok(schema) => object.additional_properties = Some(Box::new(AdditionalProperties::RefOr(schema))),
                Err(_) => return false,
            },
            "propertyNames" => match serde_json::from_value(value) {
                Ok(schema) => object.property_names = Some(Box::new(schema)),
                Err(_) => return false,
            },
            _ => extensions.push((keyword, value)),
        }
    }
    if extensions.len() > 1 {
        return false;
    }
    object.extensions.get_or_insert_with(Default::default).extend(extensions);
    true
}
