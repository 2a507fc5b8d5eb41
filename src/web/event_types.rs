//! `/event-types`: what each webhook event sends (its plan, its payload's schema and a
//! sample), the page the Create webhook form's "What does this event send?" opens, scrolled
//! to the chosen event.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::render;
use super::session::{Frame, Page};
use crate::api::event_types::{catalog, EventTypeDto};
use crate::error::AppError;

/// One event as the page shows it: the catalog entry with its schema and sample as text.
struct EventView {
    entry: EventTypeDto,
    schema: String,
    sample: String,
}

#[derive(Template)]
#[template(path = "event_types.html")]
struct EventTypesPage {
    frame: Frame,
    events: Vec<EventView>,
}

pub async fn show(page: Page) -> Result<HttpResponse, AppError> {
    let schemas = &crate::api::openapi::full()["components"]["schemas"];
    let events = catalog("#/components/schemas/")
        .into_iter()
        .map(|entry| {
            // The DTO's own schema, resolved from the document, rather than a bare reference.
            let reference =
                entry.payload_schema["$ref"].as_str().map(|r| r.trim_start_matches("#/components/schemas/"));
            let schema = reference.map_or(&entry.payload_schema, |name| &schemas[name]);
            let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
            EventView { schema: pretty(schema), sample: pretty(&entry.sample), entry }
        })
        .collect();
    render(StatusCode::OK, &EventTypesPage { frame: page.frame, events })
}
