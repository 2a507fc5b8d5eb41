//! The Webhooks screens of a workspace, for its Owner and Admins (other members get 404):
//! the list with Create and Delete, Details with the attempts, Test, Resend and Recover, and
//! Edit with the signing secret. Every action calls the same services as the REST API.
//!
//! With JavaScript, forms open in `<dialog>`s, Test and Resend swap the attempts list in
//! place with a toast, and the rest are boosted posts that redirect; without it, each form has
//! a page of its own and every action redirects with a flash message.

mod attempts;
mod deliveries;
mod delivery;
mod details;
mod edit;
mod form_page;
mod health_banner;
mod list;
pub(super) mod view;

use actix_web::HttpRequest;
use serde::Deserialize;

use super::forms::FieldErrors;
use crate::domain::{EventType, TriggerSourceType, WebhookName};
use crate::services::webhooks::{self as service, WebhookInput};
use crate::state::AppState;

pub use attempts::{fragment, resend, test};
pub use deliveries::fragment as deliveries_fragment;
pub use delivery::delivery;
pub use details::{details, enable, recover};
pub use edit::{edit_form, reset_form, reset_secret, reveal, save};
pub use list::{create, delete, delete_form, list, new_form};

/// The fields of Create and Edit (Edit adds the Enabled switch; Create its one-time token).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookForm {
    name: String,
    url: String,
    event: String,
    enabled: Option<String>,
    form_token: String,
}

impl WebhookForm {
    /// Parses every field at once, so the form shows all its errors together. The endpoint's
    /// host is resolved and vetted by the same rule as the API's.
    async fn parse(&self, state: &AppState) -> Result<WebhookInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", WebhookName::parse(&self.name));
        let url = if self.url.trim().is_empty() {
            errors.add("url", "Enter the endpoint's URL, like https://example.com/hooks.");
            None
        } else {
            errors.check("url", service::endpoint(&self.url, &state.network).await)
        };
        let event = if self.event.trim().is_empty() {
            errors.add("event", "Choose the event that triggers the webhook.");
            None
        } else {
            errors.check("event", EventType::parse(&self.event))
        };
        match (name, url, event) {
            (Some(name), Some(url), Some(event)) => {
                Ok(WebhookInput { name, url, event, trigger: TriggerSourceType::Workspace, trigger_ids: Vec::new() })
            }
            _ => Err(errors),
        }
    }
}

/// How long the old signing secret keeps signing after a reset, as the Reset dialog offers.
pub const SECRET_GRACES: [(&str, &str, i64); 3] =
    [("none", "No: stop at once", 0), ("24h", "For 24 hours", 86_400_000), ("7d", "For 7 days", 604_800_000)];

fn grace_ms(value: &str) -> Option<(&'static str, i64)> {
    SECRET_GRACES.iter().find(|(v, _, _)| *v == value).map(|(_, label, ms)| (*label, *ms))
}

/// Whether htmx asked (it then gets a fragment, not a page).
/// A keyset cursor, `time.id` of a row.
fn cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

fn from_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

fn hooks_url(ws: &str) -> String {
    format!("/workspaces/{ws}/webhooks")
}

fn hook_url(ws: &str, id: &str) -> String {
    format!("/workspaces/{ws}/webhooks/{id}")
}

/// A service's refusal as the form shows it: a field's mistake next to the field, a limit
/// (Forbidden) at the top of the form; anything else is answered as an error page.
fn form_errors(error: crate::services::ServiceError) -> Result<FieldErrors, crate::error::AppError> {
    match error {
        crate::services::ServiceError::Forbidden(message) => {
            let mut errors = FieldErrors::default();
            errors.add("form", message);
            Ok(errors)
        }
        other => Ok(FieldErrors::absorb(other)?),
    }
}
