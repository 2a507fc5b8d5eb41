//! What the server checks in a request, said in JSON Schema on top of what utoipa derives from
//! the Rust types: bounds, patterns, enums, formats and required fields. The limits come from
//! the same constants the checks use, so the document cannot drift from them; a rule that
//! depends on stored data (a name already taken, an active project) stays in the description.

use serde_json::{json, Value};

use crate::api::support::{PageSizes, ENTRIES, LISTS, LOGS, MAX_PAGE, RUNNING_ENTRIES};
use crate::domain::{
    Email, EndpointUrl, EntityName, EventType, TriggerSourceType, WebhookName, MAX_MANIFEST_BYTES,
    MAX_MANIFEST_WEBHOOKS, PROJECT_NOTE_CHARS, TEXT_CHARS,
};

pub fn add(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for (schema, property, rule) in body_fields() {
        merge(&mut schemas[schema]["properties"][property], rule);
    }
    for (schema, fields) in ALWAYS_REQUIRED {
        require(&mut schemas[*schema], fields);
    }
    schemas["AddonManifest"] = manifest();
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|ops| ops.values_mut()) {
        let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
        if let Some(params) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
            for param in params {
                let name = param["name"].as_str().unwrap_or_default().to_owned();
                if let Some(rule) = parameter(&id, &name) {
                    merge(&mut param["schema"], rule);
                }
            }
        }
        if let Some((_, fields)) = REQUIRED_ON_CREATE.iter().find(|(op, _)| *op == id) {
            let body = &mut operation["requestBody"]["content"]["application/json"]["schema"];
            let mut also = json!({});
            require(&mut also, fields);
            *body = json!({"allOf": [body.take(), also]});
        }
        if OPTIONAL_BODIES.contains(&id.as_str()) {
            operation["requestBody"]["required"] = json!(false);
        }
        if id == "installAddon" {
            operation["requestBody"]["content"]["application/json"]["schema"] =
                json!({"$ref": "#/components/schemas/AddonManifest"});
        }
    }
}

/// Fields without which the body is refused, on every operation that takes the schema.
const ALWAYS_REQUIRED: &[(&str, &[&str])] = &[
    ("WebhookBody", &["name", "url", "webhookEvent"]),
    ("EnabledBody", &["enabled"]),
    ("StopBody", &["end"]),
    ("RecoverBody", &["since"]),
    ("PublishBody", &["event", "payload"]),
];

/// Fields a create needs and an update may leave out (to keep what is stored).
const REQUIRED_ON_CREATE: &[(&str, &[&str])] =
    &[("createClient", &["name"]), ("createTag", &["name"]), ("createProject", &["name"]), ("createTask", &["name"])];

/// Operations that take no body as an empty one (Clockify's clients send none).
const OPTIONAL_BODIES: &[&str] = &["searchWebhookLogs"];

/// Present and not `null` (the schema's own type without its `null`).
fn require(schema: &mut Value, fields: &[&str]) {
    schema["required"] = json!(fields);
    for field in fields {
        let property = &mut schema["properties"][*field];
        let kind = match &property["type"] {
            Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(json!("string")),
            Value::Null => json!("string"),
            other => other.clone(),
        };
        property["type"] = kind;
    }
}

fn body_fields() -> Vec<(&'static str, &'static str, Value)> {
    let (text, date_time) = (json!({"maxLength": TEXT_CHARS}), date_time());
    let events = json!({"enum": EventType::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>()});
    vec![
        ("ClientBody", "name", name(EntityName::CLIENT_OR_TAG_CHARS)),
        ("ClientBody", "email", json!({"format": "email", "maxLength": Email::MAX_CHARS})),
        ("ClientBody", "address", text.clone()),
        ("ClientBody", "note", text.clone()),
        ("TagBody", "name", name(EntityName::CLIENT_OR_TAG_CHARS)),
        ("ProjectBody", "name", name(EntityName::PROJECT_CHARS)),
        ("ProjectBody", "color", json!({"pattern": "^#[0-9A-Fa-f]{6}$"})),
        ("ProjectBody", "note", json!({"maxLength": PROJECT_NOTE_CHARS})),
        ("TaskBody", "name", name(EntityName::TASK_CHARS)),
        ("TaskBody", "status", json!({"enum": ["ACTIVE", "DONE", null]})),
        ("TaskBody", "estimate", json!({"pattern": ISO_DURATION})),
        ("EntryBody", "start", date_time.clone()),
        ("EntryBody", "end", date_time.clone()),
        ("EntryBody", "description", text),
        ("StopBody", "end", date_time.clone()),
        ("WebhookBody", "name", name(WebhookName::CHARS)),
        ("WebhookBody", "url", json!({"format": "uri", "maxLength": EndpointUrl::MAX_CHARS})),
        ("WebhookBody", "webhookEvent", events.clone()),
        (
            "WebhookBody",
            "triggerSourceType",
            json!({"enum": TriggerSourceType::ALL.iter().map(|t| Some(t.as_str())).chain([None]).collect::<Vec<_>>()}),
        ),
        ("PublishBody", "event", events),
        ("LogsBody", "status", json!({"enum": ["ALL", "SUCCEEDED", "FAILED", null]})),
        ("LogsBody", "from", date_time.clone()),
        ("LogsBody", "to", date_time.clone()),
        ("RecoverBody", "since", date_time),
    ]
}

/// A query or header parameter's rule, by operation and name.
fn parameter(operation: &str, name: &str) -> Option<Value> {
    let sizes = |sizes: PageSizes| json!({"minimum": 1, "maximum": sizes.max, "default": sizes.default});
    Some(match (operation, name) {
        (_, "page") => json!({"minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        ("listUserTimeEntries", "page-size") => sizes(ENTRIES),
        ("listInProgressTimeEntries", "page-size") => sizes(RUNNING_ENTRIES),
        ("listWebhookLogs" | "searchWebhookLogs" | "listWebhookDeliveries", "page-size") => sizes(LOGS),
        (_, "page-size") => sizes(LISTS),
        (_, "start" | "end" | "from" | "to") => date_time(),
        ("listWebhookLogs", "status") => json!({"enum": ["ALL", "SUCCEEDED", "FAILED"]}),
        ("listWebhooks", "type") => json!({"enum": ["USER_CREATED", "ADDON"]}),
        // The keyset cursor keyhook wrote in `Next-Cursor`: milliseconds, a dot, a row number.
        ("listWebhookLogs" | "listWebhookDeliveries", "before") => json!({"pattern": r"^[0-9]{1,15}\.[0-9]{1,15}$"}),
        ("listWebhookDeliveries", "state") => {
            json!({"enum": crate::domain::DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()})
        }
        ("listWebhookDeliveries", "event") => {
            let workspace = crate::domain::EventType::ALL.iter().map(|e| e.as_str());
            let system = crate::domain::SystemEvent::ALL.iter().map(|e| e.as_str());
            json!({"enum": workspace.chain(system).collect::<Vec<_>>()})
        }
        ("listWebhookDeliveries", "status") => {
            json!({"pattern": "^([1-5][0-9]{2}|[1-5]xx|timeout|connect|dns|tls|ssrf)$"})
        }
        ("listWebhookDeliveries", "q") => {
            json!({"maxLength": crate::domain::PayloadSearch::MAX_CHARS, "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"})
        }
        ("rotateWebhookToken", "grace") => json!({"pattern": GRACE}),
        ("publishEvent", "Idempotency-Key") => {
            json!({"minLength": 1, "maxLength": super::super::events::MAX_KEY_CHARS, "pattern": "^[!-~](?:[ -~]*[!-~])?$"})
        }
        _ => return None,
    })
}

/// A name the server trims, then bounds: spaces around it are allowed, its first and last
/// characters are not blank, it holds no control characters, and it has `min` to `max`.
fn name((min, max): (usize, usize)) -> Value {
    let (edge, inner) = (r"[^\s\x00-\x1f\x7f-\x9f]", r"[^\x00-\x1f\x7f-\x9f]");
    let core = if min <= 1 { format!("{edge}(?:{inner}*{edge})?") } else { format!("{edge}{inner}*{edge}") };
    json!({"minLength": min, "maxLength": max, "pattern": format!(r"^[ \t\n\r]*{core}[ \t\n\r]*$")})
}

/// An RFC 3339 instant. `format` alone is only an annotation in OpenAPI 3.1, so a pattern says
/// it too; it keeps to days 01 to 28 and years 1000 to 8999, which every parser reads the same
/// way (a client's other valid dates are accepted all the same).
fn date_time() -> Value {
    json!({
        "format": "date-time",
        "pattern": r"^[1-8][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$",
    })
}

/// An ISO-8601 duration as Clockify writes estimates: days and/or hours, minutes, seconds.
const ISO_DURATION: &str = r"^P(?:[0-9]{1,4}D(?:T[0-9]{1,4}H)?|T[0-9]{1,5}H(?:[0-9]{1,5}M)?(?:[0-9]{1,5}S)?|T[0-9]{1,5}M(?:[0-9]{1,5}S)?|T[0-9]{1,5}S)$";

/// `0`, or a whole number of days, hours, minutes or seconds up to 30 days.
const GRACE: &str =
    r"^(?:0|(?:30|[12][0-9]|[0-9])d|(?:720|7[01][0-9]|[1-6][0-9]{2}|[1-9]?[0-9])h|[0-9]{1,4}m|[0-9]{1,5}s)$";

/// The add-on manifest `POST …/addons` reads (see `domain::addon::Manifest::parse`).
fn manifest() -> Value {
    let mut manifest_name = name((2, 100));
    manifest_name["type"] = json!("string");
    let path = json!({"type": "string", "maxLength": 1000, "pattern": r"^/(?:[^/\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?$"});
    json!({
        "type": "object",
        "description": format!("At most {} KiB. Each event once; paths are appended to baseUrl and stay on its host.", MAX_MANIFEST_BYTES / 1024),
        "required": ["key", "name", "baseUrl"],
        "properties": {
            "key": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$"},
            "name": manifest_name,
            "baseUrl": {"type": "string", "format": "uri", "maxLength": EndpointUrl::MAX_CHARS},
            "webhooks": {
                "type": ["array", "null"],
                "maxItems": MAX_MANIFEST_WEBHOOKS,
                "items": {
                    "type": "object",
                    "required": ["event", "path"],
                    "properties": {
                        "event": {"enum": EventType::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>()},
                        "path": path.clone(),
                    },
                },
            },
            "lifecycle": {
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "required": ["type", "path"],
                    "properties": {
                        "type": {"enum": ["INSTALLED", "DELETED", "SETTINGS_UPDATED", "STATUS_CHANGED"]},
                        "path": path,
                    },
                },
            },
        },
    })
}

/// Adds `rule`'s keys to `schema` (a `type` in `rule` replaces the derived one).
fn merge(schema: &mut Value, rule: Value) {
    if let (Some(schema), Value::Object(rule)) = (schema.as_object_mut(), rule) {
        schema.extend(rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule naming a field or a schema the document lacks would silently say nothing.
    #[test]
    fn every_rule_lands_on_a_field_of_the_document() {
        let doc = serde_json::to_value(<super::super::ApiDoc as utoipa::OpenApi>::openapi()).expect("a document");
        let schemas = &doc["components"]["schemas"];
        for (schema, property, _) in body_fields() {
            assert!(schemas[schema]["properties"][property].is_object(), "{schema}.{property} is not in the document");
        }
        for (schema, fields) in ALWAYS_REQUIRED {
            for field in *fields {
                assert!(schemas[*schema]["properties"][*field].is_object(), "{schema}.{field} is not in the document");
            }
        }
        let operations: Vec<&Value> = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|p| p.as_object().expect("ops").values())
            .collect();
        for (id, _) in REQUIRED_ON_CREATE {
            assert!(operations.iter().any(|op| op["operationId"] == *id && op["requestBody"].is_object()), "{id}");
        }
    }

    #[test]
    fn a_required_field_is_no_longer_nullable() {
        let mut schema =
            json!({"properties": {"name": {"type": ["string", "null"]}, "n": {"type": ["integer", "null"]}}});
        require(&mut schema, &["name", "n"]);
        assert_eq!(schema["required"], json!(["name", "n"]));
        assert_eq!(
            (schema["properties"]["name"]["type"].as_str(), schema["properties"]["n"]["type"].as_str()),
            (Some("string"), Some("integer"))
        );
    }

    /// The patterns say what the parsers accept: each sample is checked by both.
    #[test]
    fn the_patterns_agree_with_the_parsers() {
        let matches = |pattern: &str, text: &str| regex_lite::Regex::new(pattern).expect("a pattern").is_match(text);
        for (text, ok) in [
            ("PT1H30M", true),
            ("P2D", true),
            ("P1DT2H", true),
            ("PT45S", true),
            ("P", false),
            ("PT", false),
            ("1h", false),
        ] {
            assert_eq!(matches(ISO_DURATION, text), ok, "{text}");
            if ok {
                assert!(crate::domain::IsoDuration::parse(text).is_ok(), "{text}");
            }
        }
        for (text, ok) in [
            ("0", true),
            ("30d", true),
            ("31d", false),
            ("720h", true),
            ("721h", false),
            ("90m", true),
            ("5s", true),
            ("2w", false),
        ] {
            assert_eq!(matches(GRACE, text), ok, "{text}");
            assert_eq!(crate::services::webhooks::signing_grace_ms(text).is_ok(), ok, "{text}");
        }
        let tag = name(EntityName::CLIENT_OR_TAG_CHARS);
        let pattern = tag["pattern"].as_str().expect("a pattern");
        for (text, ok) in
            [("a", true), ("  Acme  ", true), ("   ", false), ("", false), ("a\u{7}b", false), ("\u{85}", false)]
        {
            assert_eq!(matches(pattern, text), ok, "{text:?}");
            assert_eq!(EntityName::client_or_tag(text).is_ok(), ok, "{text:?}");
        }
        let project = name(EntityName::PROJECT_CHARS);
        assert!(!matches(project["pattern"].as_str().expect("a pattern"), " a "));
        assert!(EntityName::project(" a ").is_err());
    }
}
