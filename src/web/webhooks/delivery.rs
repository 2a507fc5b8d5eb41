//! `/workspaces/{ws}/webhooks/{id}/deliveries/{delivery}`: one delivery opened, its payload and
//! each attempt in full (named reason, headers, response, Copy as curl, Resend). htmx asks for
//! it as a delivery of the list opens; without JavaScript, and as a link to share, it is a page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::deliveries::StateWords;
use super::view::{pretty, AttemptRow};
use super::{from_htmx, hook_url};
use crate::domain::DisplayPrefs;
use crate::error::AppError;
use crate::services::webhooks::{self as service, OpenedDelivery};
use crate::state::AppState;
use crate::web::render;
use crate::web::session::{Frame, Page};

/// What an opened delivery shows.
pub struct DeliveryDetail {
    pub hook_url: String,
    pub csrf: String,
    pub payload: String,
    pub attempts: Vec<AttemptRow>,
    /// Add-on webhooks have no Resend.
    pub resendable: bool,
    /// Shown inside the deliveries list, whose Resend refreshes the list in place.
    pub in_list: bool,
}

impl DeliveryDetail {
    fn new(ws: &str, csrf: &str, opened: &OpenedDelivery, in_list: bool, prefs: &DisplayPrefs) -> Self {
        let hook = &opened.webhook;
        Self {
            hook_url: hook_url(ws, &hook.public_id),
            csrf: csrf.to_owned(),
            payload: pretty(&opened.payload),
            attempts: opened
                .attempts
                .iter()
                .map(|a| AttemptRow::new(a, &opened.event_type, &hook.url, prefs))
                .collect(),
            resendable: !hook.is_addon(),
            in_list,
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/delivery_detail.html")]
struct Fragment {
    detail: DeliveryDetail,
}

#[derive(Template)]
#[template(path = "webhooks/delivery.html")]
struct DeliveryPage {
    frame: Frame,
    ws: String,
    hook_name: String,
    event: String,
    message_id: String,
    trigger: String,
    time: String,
    state: &'static str,
    tone: &'static str,
    state_detail: String,
    detail: DeliveryDetail,
}

pub async fn delivery(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id, delivery) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    // Not a number: no such delivery.
    let delivery: i64 = delivery.parse().map_err(|_| AppError::NotFound)?;
    let open = state.circuits.blocked(crate::clock::now_ms());
    let opened = state.db.read(move |conn| service::delivery(conn, &access, &id, delivery, &open)).await?;
    let prefs = page.prefs();
    let in_list = from_htmx(&req);
    let detail = DeliveryDetail::new(&ws, &page.frame.csrf, &opened, in_list, &prefs);
    if in_list {
        return render(StatusCode::OK, &Fragment { detail });
    }
    let d = &opened.delivery;
    let words =
        StateWords::of(opened.status(), d, opened.attempts.last().map(|a| a.attempted_at), state.max_attempts, &prefs);
    render(
        StatusCode::OK,
        &DeliveryPage {
            frame: page.frame,
            ws,
            hook_name: opened.webhook.name.clone(),
            event: opened.event_type.clone(),
            message_id: d.message_id.clone(),
            trigger: d.trigger.to_lowercase(),
            time: prefs.format_instant(d.created_at),
            state: words.state,
            tone: words.tone,
            state_detail: words.detail,
            detail,
        },
    )
}
