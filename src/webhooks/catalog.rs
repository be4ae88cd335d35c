//! The event types subscriptions may ask for. Each domain declares its own with their
//! meaning (`membership::WEBHOOK_EVENTS`, `democracy::WEBHOOK_EVENTS`, …) and `app.rs`
//! gathers them into one [`EventCatalog`]: webhooks itself names no domain.

use crate::error::{ApiError, FieldIssue};
use crate::webhooks::dto::EventType;

/// One event type: its name on the wire and what it means (shown in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventDef {
    pub name: &'static str,
    pub doc: &'static str,
}

/// The event types webhooks itself sends.
pub const WEBHOOK_EVENTS: &[EventDef] =
    &[EventDef { name: "webhook.ping", doc: "A test delivery sent by `POST /webhooks/{id}/ping`." }];

/// Every registered event type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCatalog {
    events: Vec<EventDef>,
}

impl EventCatalog {
    pub fn new(groups: &[&[EventDef]]) -> Self {
        EventCatalog { events: groups.iter().flat_map(|g| g.iter().copied()).collect() }
    }

    pub fn events(&self) -> &[EventDef] {
        &self.events
    }

    pub fn contains(&self, name: &str) -> bool {
        self.events.iter().any(|e| e.name == name)
    }

    /// Refuses unknown types, naming each one's position (`event_types[2]`).
    pub fn check(&self, types: &[EventType]) -> Result<(), ApiError> {
        let issues: Vec<FieldIssue> = types
            .iter()
            .enumerate()
            .filter(|(_, t)| !self.contains(t.as_str()))
            .map(|(i, _)| {
                let names: Vec<&str> = self.events.iter().map(|e| e.name).collect();
                FieldIssue::new(format!("event_types[{i}]"), "invalid_choice").with("choices", names.join(", "))
            })
            .collect();
        if issues.is_empty() { Ok(()) } else { Err(ApiError::Validation(issues)) }
    }

    /// Fills the `EventType` schema of `spec` with the registered names and their meaning.
    pub fn document(&self, spec: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::{RefOr, schema::SchemaType};
        let Some(components) = spec.components.as_mut() else { return };
        let lines: Vec<String> = self.events.iter().map(|e| format!("- `{}`: {}", e.name, e.doc)).collect();
        let schema = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(self.events.iter().map(|e| e.name)))
            .description(Some(format!("An event type, registered by its domain:\n{}", lines.join("\n"))))
            .build();
        components.schemas.insert("EventType".to_owned(), RefOr::T(Schema::Object(schema)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_types_are_named_by_position() {
        let catalog = EventCatalog::new(&[WEBHOOK_EVENTS, &[EventDef { name: "member.left", doc: "" }]]);
        assert!(catalog.contains("member.left"));
        let types = vec![EventType("member.left".into()), EventType("member.deleted".into())];
        match catalog.check(&types) {
            Err(ApiError::Validation(issues)) => assert_eq!(issues[0].field, "event_types[1]"),
            other => panic!("{other:?}"),
        }
    }
}
