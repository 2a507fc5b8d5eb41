//! The catalog of what keyhook sends: every event type with the plan it needs, its payload's
//! JSON Schema (the same DTO schemas the API answers with) and a sample. Read at
//! `GET /api/v1/event-types` (no key: nothing in it is secret), written into the OpenAPI
//! document's `webhooks` section, and shown on the event catalog page.

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::{sample_payload, EventType};

/// What a receiver gets for one event type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeDto {
    /// `NEW_TIME_ENTRY`, as webhooks name it.
    pub name: &'static str,
    pub description: String,
    /// The least plan whose workspaces receive it.
    pub plan_needed: &'static str,
    /// `keyhook` when a change in keyhook fires it; `published` when it comes from
    /// `POST /events` (a module keyhook does not implement).
    pub source: &'static str,
    /// The payload's JSON Schema (a reference into `/api/openapi.json`).
    #[schema(value_type = Object)]
    pub payload_schema: Value,
    /// A payload as keyhook sends it (Test sends this one).
    #[schema(value_type = Object)]
    pub sample: Value,
}

/// The DTO schema of the payload, when keyhook fires the event itself.
fn component(event: EventType) -> Option<&'static str> {
    use EventType as E;
    Some(match event {
        E::NewTimerStarted | E::TimerStopped | E::NewTimeEntry | E::TimeEntryUpdated | E::TimeEntryDeleted => {
            "TimeEntryDto"
        }
        E::NewTag | E::TagUpdated | E::TagDeleted => "TagDto",
        E::NewClient | E::ClientUpdated | E::ClientDeleted => "ClientDto",
        E::NewProject | E::ProjectUpdated | E::ProjectDeleted => "ProjectDto",
        E::NewTask | E::TaskUpdated | E::TaskDeleted => "TaskDto",
        E::UserJoinedWorkspace
        | E::UserDeletedFromWorkspace
        | E::UserActivatedOnWorkspace
        | E::UserDeactivatedOnWorkspace
        | E::UserUpdated => "UserDto",
        _ => return None,
    })
}

/// The payload's schema, `$ref`s pointing at `prefix` + the component's name.
fn schema(event: EventType, prefix: &str) -> Value {
    match (event, component(event)) {
        (_, Some(name)) => json!({"$ref": format!("{prefix}{name}")}),
        (EventType::UsersInvitedToWorkspace, None) => json!({
            "type": "array",
            "items": {
                "type": "object",
                "required": ["email", "workspaceId", "role", "status"],
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "workspaceId": {"type": "string"},
                    "role": {"type": "string", "enum": ["ADMIN", "MANAGER", "REGULAR"]},
                    "status": {"type": "string", "enum": ["PENDING"]},
                },
            },
        }),
        _ => json!({"type": "object", "description": "The payload as published with POST /events."}),
    }
}

/// "NEW_TIME_ENTRY" as words a person reads: "New time entry".
fn description(event: EventType) -> String {
    let words = event.as_str().to_lowercase().replace('_', " ");
    let mut chars = words.chars();
    let sentence = chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect());
    match component(event).or((event == EventType::UsersInvitedToWorkspace).then_some("")) {
        Some(_) => format!("{sentence}: fired by keyhook when it happens in the workspace."),
        None => format!("{sentence}: delivered when a module publishes it with POST /events."),
    }
}

/// Every event type, in catalog order; schemas refer to `prefix` (`#/components/schemas/`
/// inside the document, `/api/openapi.json#/components/schemas/` from outside).
pub fn catalog(prefix: &str) -> Vec<EventTypeDto> {
    EventType::ALL
        .iter()
        .map(|&event| EventTypeDto {
            name: event.as_str(),
            description: description(event),
            plan_needed: event.required_plan().as_str(),
            source: if component(event).is_some() || event == EventType::UsersInvitedToWorkspace {
                "keyhook"
            } else {
                "published"
            },
            payload_schema: schema(event, prefix),
            sample: sample_payload(event, "5b715448b0798751107918ab"),
        })
        .collect()
}

/// The OpenAPI 3.1 `webhooks` section: one entry per event type, with its payload and the
/// headers every delivery carries.
pub fn webhooks_section() -> Value {
    let header = |name: &str, description: &str, example: &str| {
        json!({"name": name, "in": "header", "required": true, "description": description,
               "schema": {"type": "string"}, "example": example})
    };
    let headers = json!([
        header("webhook-id", "The delivery's id: the same on every retry and resend (receivers dedupe on it).", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
        header("webhook-timestamp", "Unix seconds of this attempt.", "1733050000"),
        header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, one per valid signing secret (Standard Webhooks).", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
        header("Clockify-Webhook-Event-Type", "The event type.", "NEW_TIME_ENTRY"),
        header("Clockify-Signature", "The webhook's static token (Clockify's check).", "hGbZ3z0Xn2iWJw8cmxyxJp4YiK3ql2kK"),
    ]);
    let entries: serde_json::Map<String, Value> = catalog("#/components/schemas/")
        .into_iter()
        .map(|event| {
            let operation = json!({
                "post": {
                    "operationId": format!("on{}", camel(event.name)),
                    "summary": event.description,
                    "description": format!("Sent to webhooks subscribed to {}. Needs the {} plan.", event.name, event.plan_needed),
                    "tags": ["webhook events"],
                    "parameters": headers,
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": event.payload_schema, "example": event.sample}},
                    },
                    "responses": {
                        "200": {"description": "Any 2xx answer accepts the delivery."},
                        "410": {"description": "Gone: keyhook disables the webhook at once."},
                        "default": {"description": "Anything else (or no answer within the timeout) is retried on the schedule."},
                    },
                },
            });
            (event.name.to_owned(), operation)
        })
        .collect();
    let mut entries = entries;
    for event in crate::domain::SystemEvent::ALL {
        let name = event.as_str();
        let operation = json!({
            "post": {
                "operationId": format!("onSystem{}", name.split('.').map(|w| {
                    let mut chars = w.chars();
                    chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
                }).collect::<String>()),
                "summary": event.description(),
                "description": "Sent to the workspace's system endpoint (Workspace settings > System endpoint), signed and retried like every delivery; never about the system endpoint itself.",
                "tags": ["system events"],
                "parameters": headers,
                "requestBody": {
                    "required": true,
                    "content": {"application/json": {"schema": event.schema(), "example": event.sample("5f1e6a2b3c4d5e6f7a8b9c0d")}},
                },
                "responses": {
                    "200": {"description": "Any 2xx answer accepts the delivery."},
                    "default": {"description": "Anything else (or no answer within the timeout) is retried on the schedule."},
                },
            },
        });
        entries.insert(name.to_owned(), operation);
    }
    Value::Object(entries)
}

/// `NEW_TIME_ENTRY` as `NewTimeEntry`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        })
        .collect()
}

/// Every event type keyhook sends, with its plan, payload schema and a sample.
#[utoipa::path(get, operation_id = "listEventTypes", path = "/api/v1/event-types", tag = "webhook events",
    responses((status = 200, body = [EventTypeDto])))]
pub async fn list() -> HttpResponse {
    HttpResponse::Ok().json(catalog("/api/openapi.json#/components/schemas/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_an_entry_with_a_schema_and_a_sample() {
        let section = webhooks_section();
        let system = crate::domain::SystemEvent::ALL.len();
        assert_eq!(section.as_object().map(|m| m.len()), Some(EventType::ALL.len() + system));
        assert_eq!(section["delivery.failed"]["post"]["operationId"], "onSystemDeliveryFailed");
        assert_eq!(EventType::ALL.len(), 51);
        let entry = &section["NEW_TIME_ENTRY"]["post"];
        assert_eq!(entry["operationId"], "onNewTimeEntry");
        assert_eq!(
            entry["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/TimeEntryDto"
        );
        assert_eq!(entry["parameters"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            description(EventType::NewTimeEntry),
            "New time entry: fired by keyhook when it happens in the workspace."
        );
        assert!(description(EventType::ExpenseCreated).contains("POST /events"));
    }
}
