//! The REST API under `/api/v1`: JSON only, authenticated with `X-Api-Key` (or an add-on's
//! `X-Addon-Token`), Clockify-shaped.
//! Its routes are listed once in [`api_routes!`], which both registers them and lists them for
//! the test that checks the OpenAPI document describes each one.

mod addons;
mod auth;
mod clients;
mod deliveries;
mod error;
pub mod event_types;
mod events;
pub mod openapi;
mod projects;
pub mod publications;
mod rate_limit;
mod support;
mod tags;
mod tasks;
mod time_entries;
mod users;
mod webhooks;
mod workspaces;

use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

pub use auth::{ApiCaller, Credential};
pub use error::ApiError;

/// In-memory state of the API: the key cache, rate limits, last-use batching, and the
/// group commit of publications.
#[derive(Debug)]
pub struct ApiState {
    pub keys: crate::verified_cache::KeyCache,
    pub limiter: rate_limit::RateLimiter,
    pub last_used: crate::services::last_used::LastUsed,
    pub publications: crate::db::group_commit::Queue<publications::Publications>,
}

impl ApiState {
    /// How long a cached key row is trusted: the delay before another instance sees a revocation.
    pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);

    pub fn new(rate_per_second: u32, db: &crate::db::Db) -> Self {
        Self {
            publications: db.group_queue(publications::Publications),
            keys: crate::verified_cache::KeyCache::new(Self::KEY_CACHE_TTL),
            limiter: rate_limit::RateLimiter::new(rate_per_second),
            last_used: crate::services::last_used::LastUsed::default(),
        }
    }

    /// A key was deleted, revoked or regenerated here: stop honouring it on this instance now.
    pub fn forget_key(&self, key_id: i64) {
        self.keys.forget(|grant| grant.key.id == key_id);
        self.limiter.forget(auth::Credential::ApiKey(key_id));
        self.last_used.forget(key_id);
    }
}

macro_rules! api_routes {
    ($($path:literal => { $($method:ident: $handler:path),+ $(,)? }),* $(,)?) => {
        /// Every `/api/v1` route as (method, path below `/api`).
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),*];

        fn register(scope: actix_web::Scope) -> actix_web::Scope {
            scope$(.service(
                web::resource($path)
                    .wrap(from_fn(auth::require_api_key))
                    $(.route(web::$method().to($handler)))+
                    .default_service(web::to(|req: HttpRequest| {
                        not_allowed(req, &[$(stringify!($method)),+])
                    })),
            ))*
        }
    };
}

api_routes! {
    "/v1/user" => { get: users::current_user },
    "/v1/workspaces" => { get: workspaces::list },
    "/v1/workspaces/{workspaceId}/users" => { get: workspaces::users },
    "/v1/workspaces/{workspaceId}/clients" => { get: clients::list, post: clients::create },
    "/v1/workspaces/{workspaceId}/clients/{id}" => { get: clients::get, put: clients::update, delete: clients::delete },
    "/v1/workspaces/{workspaceId}/projects" => { get: projects::list, post: projects::create },
    "/v1/workspaces/{workspaceId}/projects/{projectId}" => {
        get: projects::get,
        put: projects::update,
        delete: projects::delete,
    },
    "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks" => { get: tasks::list, post: tasks::create },
    "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}" => {
        get: tasks::get,
        put: tasks::update,
        delete: tasks::delete,
    },
    "/v1/workspaces/{workspaceId}/time-entries" => { post: time_entries::create },
    "/v1/workspaces/{workspaceId}/time-entries/status/in-progress" => { get: time_entries::in_progress },
    "/v1/workspaces/{workspaceId}/time-entries/{id}" => {
        get: time_entries::get,
        put: time_entries::update,
        delete: time_entries::delete,
    },
    "/v1/workspaces/{workspaceId}/user/{userId}/time-entries" => {
        get: time_entries::of_user,
        patch: time_entries::stop,
    },
    "/v1/workspaces/{workspaceId}/events" => { post: events::publish },
    "/v1/workspaces/{workspaceId}/addons" => { get: addons::list, post: addons::install },
    "/v1/workspaces/{workspaceId}/addons/{addonId}" => { get: addons::get, delete: addons::uninstall },
    "/v1/workspaces/{workspaceId}/addons/{addonId}/webhooks" => { get: addons::webhooks },
    "/v1/workspaces/{workspaceId}/tags" => { get: tags::list, post: tags::create },
    "/v1/workspaces/{workspaceId}/tags/{id}" => { get: tags::get, put: tags::update, delete: tags::delete },
    "/v1/workspaces/{workspaceId}/webhooks" => { get: webhooks::list, post: webhooks::create },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}" => {
        get: webhooks::get,
        put: webhooks::replace,
        delete: webhooks::delete,
        patch: webhooks::set_enabled,
    },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/token" => { patch: webhooks::rotate },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs" => { get: webhooks::logs_get, post: webhooks::logs_post },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/deliveries" => { get: deliveries::list },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/test" => { post: webhooks::test },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs/{logId}/resend" => { post: webhooks::resend },
    "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/recover" => { post: webhooks::recover },
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    let scope = web::scope("/api")
        .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::bad_request(e.to_string()).into()))
        .app_data(web::PayloadConfig::new(support::MAX_BODY_BYTES))
        .app_data(web::JsonConfig::default().error_handler(|e, _| ApiError::bad_request(e.to_string()).into()))
        .service(public("/openapi.json").route(web::get().to(openapi::document)))
        .service(public("/v1/event-types").route(web::get().to(event_types::list)));
    cfg.service(register(scope).default_service(web::to(unknown_route)));
}

/// Where this API is reached (told to add-ons on install): under the public URL, never a
/// request's `Host` or `X-Forwarded-Host`.
pub fn api_url(state: &crate::state::AppState) -> String {
    format!("{}/api", state.public_url.as_str())
}

async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::unknown_route(req.method().as_str(), req.path()))
}

/// A path anyone may read, with GET only.
fn public(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|req: HttpRequest| not_allowed(req, &["get"])))
}

async fn not_allowed(req: HttpRequest, allowed: &'static [&'static str]) -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed(req.method().as_str(), allowed))
}
