//! The OpenAPI 3 document, generated from the handlers' annotations and the DTOs, served at
//! `/api/openapi.json` without a key.

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod refusals;
mod rules;

use crate::dto::{
    AddonDto, ClientDto, EntryUserDto, ErrorDto, EstimateDto, LogDto, MembershipDto, ProjectDto, RateDto, TagDto,
    TaskDto, TimeEntryDto, TimeIntervalDto, UserDto, UserSettingsDto, WebhookDto, WebhookListDto, WorkspaceDto,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "keyhook REST API", description = "A Clockify-compatible API authenticated with X-Api-Key. \
        Every error is JSON `{message, code}` (`ErrorDto`); a path the API does not have answers 404 with code 3000 \
        (\"No such endpoint: GET /api/v1/...\"), a method a path does not take 405 with `Allow`."),
    paths(
        super::users::current_user,
        super::workspaces::list,
        super::workspaces::users,
        super::clients::list,
        super::clients::create,
        super::clients::get,
        super::clients::update,
        super::clients::delete,
        super::projects::list,
        super::projects::create,
        super::projects::get,
        super::projects::update,
        super::projects::delete,
        super::tasks::list,
        super::tasks::create,
        super::tasks::get,
        super::tasks::update,
        super::tasks::delete,
        super::time_entries::create,
        super::time_entries::get,
        super::time_entries::update,
        super::time_entries::delete,
        super::time_entries::in_progress,
        super::time_entries::of_user,
        super::time_entries::stop,
        super::events::publish,
        super::addons::install,
        super::addons::list,
        super::addons::get,
        super::addons::webhooks,
        super::addons::uninstall,
        super::tags::list,
        super::tags::create,
        super::tags::get,
        super::tags::update,
        super::tags::delete,
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::get,
        super::webhooks::replace,
        super::webhooks::delete,
        super::webhooks::set_enabled,
        super::webhooks::rotate,
        super::webhooks::logs_get,
        super::deliveries::list,
        super::webhooks::logs_post,
        super::webhooks::test,
        super::webhooks::resend,
        super::webhooks::recover,
        super::event_types::list,
    ),
    components(schemas(
        UserDto,
        UserSettingsDto,
        MembershipDto,
        WorkspaceDto,
        RateDto,
        ErrorDto,
        WebhookDto,
        crate::dto::CircuitDto,
        WebhookListDto,
        AddonDto,
        LogDto,
        crate::dto::FailureDto,
        crate::dto::DeliveryDto,
        crate::dto::DeliveryAttemptDto,
        crate::dto::DeliveryListDto,
        ClientDto,
        TagDto,
        super::clients::ClientBody,
        super::tags::TagBody,
        ProjectDto,
        EstimateDto,
        TaskDto,
        super::projects::ProjectBody,
        super::tasks::TaskBody,
        TimeEntryDto,
        TimeIntervalDto,
        EntryUserDto,
        super::time_entries::EntryBody,
        super::time_entries::StopBody,
        super::events::PublishBody,
        super::webhooks::WebhookBody,
        super::webhooks::EnabledBody,
        super::webhooks::LogsBody,
        super::webhooks::RecoverBody,
        super::event_types::EventTypeDto,
    )),
    modifiers(&ApiKeyHeader)
)]
pub struct ApiDoc;

struct ApiKeyHeader;

impl Modify for ApiKeyHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("ApiKeyAuth", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
        components.add_security_scheme(
            "AddonKeyAuth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Addon-Token"))),
        );
    }
}

/// The document, with the OpenAPI 3.1 `webhooks` section (what keyhook sends) added to what
/// utoipa generates from the handlers.
/// Built once: it depends only on this build, and every request for it (or for the event
/// catalog page) would otherwise build it again.
pub fn full() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        rules::add(&mut doc);
        refusals::add(&mut doc);
        doc["webhooks"] = super::event_types::webhooks_section();
        doc
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(full())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the server registers under `/api/v1` is described, with its method.
    #[test]
    fn every_route_is_in_the_document() {
        let doc = full();
        for (method, path) in super::super::ROUTES.iter().chain(&[("get", "/v1/event-types")]) {
            let described = &doc["paths"][format!("/api{path}")][method.to_lowercase()];
            assert!(described.is_object(), "{method} /api{path} is missing from the OpenAPI document");
        }
        let described: usize = doc["paths"]
            .as_object()
            .map_or(0, |paths| paths.values().map(|p| p.as_object().map_or(0, |m| m.len())).sum());
        assert_eq!(described, super::super::ROUTES.len() + 1, "the document has operations the server lacks");
    }
}
