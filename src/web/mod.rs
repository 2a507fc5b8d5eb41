//! The browser-facing pages: thin handlers that parse a form, call one service, and render
//! a template or redirect (303) with a flash message. htmx only enhances; every form works
//! without JavaScript.

mod accounts;
mod addons;
mod api_keys;
mod assets;
pub mod csrf;
mod event_types;
mod forms;
mod invitations;
mod login;
mod members;
mod password_reset;
mod preferences;
mod profile;
mod redirects;
mod security_headers;
pub mod session;
mod settings;
mod setup;
mod system_endpoint;
mod webhooks;
mod workspaces;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::AppError;

pub use security_headers::security_headers;

/// Every page route, in one table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/setup", web::get().to(setup::show))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/password/forgot", web::get().to(password_reset::forgot_form))
        .route("/password/forgot", web::post().to(password_reset::forgot))
        .route("/password/reset/{token}", web::get().to(password_reset::reset_form))
        .route("/password/reset/{token}", web::post().to(password_reset::reset))
        .route("/logout", web::post().to(login::logout))
        .route("/event-types", web::get().to(event_types::show))
        .route("/profile", web::get().to(profile::view))
        .route("/profile", web::post().to(profile::save_details))
        .route("/profile/password", web::post().to(profile::change_password))
        .route("/profile/sessions/end-others", web::post().to(profile::end_other_sessions))
        .route("/profile/sessions/{id}/end", web::post().to(profile::end_session))
        .route("/preferences", web::get().to(preferences::show))
        .route("/preferences", web::post().to(preferences::save))
        .route("/preferences/alerts", web::post().to(preferences::save_alerts))
        .route("/preferences/preview", web::get().to(preferences::preview))
        .route("/preferences/advanced", web::get().to(preferences::advanced))
        .route("/api-keys", web::get().to(api_keys::list))
        .route("/api-keys", web::post().to(api_keys::generate))
        .route("/api-keys/new", web::get().to(api_keys::new_form))
        .route("/api-keys/{key}/rename", web::get().to(api_keys::rename_form))
        .route("/api-keys/{key}/rename", web::post().to(api_keys::rename))
        .route("/api-keys/{key}/regenerate", web::get().to(api_keys::regenerate_form))
        .route("/api-keys/{key}/regenerate", web::post().to(api_keys::regenerate))
        .route("/api-keys/{key}/delete", web::get().to(api_keys::delete_form))
        .route("/api-keys/{key}/delete", web::post().to(api_keys::delete))
        .route("/workspaces/new", web::get().to(workspaces::new_form))
        .route("/workspaces/new", web::post().to(workspaces::create))
        .route("/workspaces/switch", web::post().to(workspaces::switch))
        .route("/workspaces/{ws}/settings", web::get().to(settings::general))
        .route("/workspaces/{ws}/settings/name", web::post().to(settings::rename))
        .route("/workspaces/{ws}/settings/plan", web::post().to(settings::set_plan))
        .route("/workspaces/{ws}/settings/members", web::get().to(members::list))
        .route("/workspaces/{ws}/settings/accounts", web::get().to(accounts::list))
        .route("/workspaces/{ws}/api-keys/{key}/revoke", web::post().to(accounts::revoke))
        .route("/workspaces/{ws}/settings/addons", web::get().to(addons::list))
        .route("/workspaces/{ws}/settings/system-endpoint", web::get().to(system_endpoint::tab))
        .route("/workspaces/{ws}/settings/system-endpoint", web::post().to(system_endpoint::save))
        .route("/workspaces/{ws}/settings/system-endpoint/reveal", web::post().to(system_endpoint::reveal))
        .route("/workspaces/{ws}/settings/system-endpoint/remove", web::post().to(system_endpoint::remove))
        .route("/workspaces/{ws}/addons", web::post().to(addons::install))
        .route("/workspaces/{ws}/addons/{id}/uninstall", web::post().to(addons::uninstall))
        .route("/workspaces/{ws}/members/invite", web::post().to(members::invite))
        .route("/workspaces/{ws}/members/{user}/role", web::post().to(members::change_role))
        .route("/workspaces/{ws}/members/{user}/remove", web::post().to(members::remove))
        .route("/workspaces/{ws}/members/{user}/transfer", web::post().to(members::transfer))
        .route("/workspaces/{ws}/members/{user}/active", web::post().to(members::set_active))
        .route("/workspaces/{ws}/invitations/{id}/revoke", web::post().to(members::revoke_invitation))
        .route("/workspaces/{ws}/webhooks", web::get().to(webhooks::list))
        .route("/workspaces/{ws}/webhooks", web::post().to(webhooks::create))
        .route("/workspaces/{ws}/webhooks/new", web::get().to(webhooks::new_form))
        .route("/workspaces/{ws}/webhooks/{id}", web::get().to(webhooks::details))
        .route("/workspaces/{ws}/webhooks/{id}/attempts", web::get().to(webhooks::fragment))
        .route("/workspaces/{ws}/webhooks/{id}/deliveries", web::get().to(webhooks::deliveries_fragment))
        .route("/workspaces/{ws}/webhooks/{id}/deliveries/{delivery}", web::get().to(webhooks::delivery))
        .route("/workspaces/{ws}/webhooks/{id}/attempts/{attempt}/resend", web::post().to(webhooks::resend))
        .route("/workspaces/{ws}/webhooks/{id}/test", web::post().to(webhooks::test))
        .route("/workspaces/{ws}/webhooks/{id}/enable", web::post().to(webhooks::enable))
        .route("/workspaces/{ws}/webhooks/{id}/recover", web::post().to(webhooks::recover))
        .route("/workspaces/{ws}/webhooks/{id}/edit", web::get().to(webhooks::edit_form))
        .route("/workspaces/{ws}/webhooks/{id}/edit", web::post().to(webhooks::save))
        .route("/workspaces/{ws}/webhooks/{id}/secret/reveal", web::post().to(webhooks::reveal))
        .route("/workspaces/{ws}/webhooks/{id}/secret/reset", web::get().to(webhooks::reset_form))
        .route("/workspaces/{ws}/webhooks/{id}/secret/reset", web::post().to(webhooks::reset_secret))
        .route("/workspaces/{ws}/webhooks/{id}/delete", web::get().to(webhooks::delete_form))
        .route("/workspaces/{ws}/webhooks/{id}/delete", web::post().to(webhooks::delete))
        .route("/invitations/{token}", web::get().to(invitations::show))
        .route("/invitations/{token}", web::post().to(invitations::accept));
}

async fn home(_page: session::Page) -> HttpResponse {
    see_other("/preferences")
}

/// Renders a template as a whole HTML page.
pub fn render(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    let html = template.render().map_err(|e| anyhow::anyhow!("template failed: {e}"))?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html))
}

/// The answer to a form that worked: go to `location` (POST-redirect-GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// The 404 page for every unknown path.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
