//! `/workspaces/{ws}/webhooks/{id}`: the webhook's settings at a glance, why it is disabled
//! (with Enable), Recover failed, and its attempts.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::deliveries::{load_with, DeliveriesQuery, DeliveriesView};
use super::health_banner::HealthBanner;
use super::hook_url;
use super::view::state_label;
use crate::clock::now_ms;
use crate::db::webhooks::Webhook;
use crate::domain::circuit::Circuit;
use crate::domain::Health;
use crate::error::AppError;
use crate::services::health;
use crate::services::webhooks as service;
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::session::{set_flash, Frame, Page};
use crate::web::{render, see_other};

#[derive(Template)]
#[template(path = "webhooks/details.html")]
struct DetailsPage {
    frame: Frame,
    ws: String,
    hook: Webhook,
    state: String,
    created: String,
    creator: Option<String>,
    disabled_since: Option<String>,
    /// What its circuit breaker is doing, when open.
    circuit: Option<String>,
    /// The endpoint's recent time to answer, as this instance measured it.
    latency: Option<String>,
    editable: bool,
    recover_since: String,
    errors: FieldErrors,
    deliveries: DeliveriesView,
    /// Unless it is Healthy: its health, since when, why, and what comes next.
    health: Option<HealthBanner>,
}

impl DetailsPage {
    /// Deliveries missed while disabled by failures, offered with Enable.
    fn missed(&self) -> i64 {
        self.health.as_ref().and_then(|h| h.missed).unwrap_or(0)
    }
}

/// How far back Recover failed looks by default.
const RECOVER_DEFAULT_MS: i64 = 24 * 60 * 60 * 1000;

async fn show(
    page: Page,
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &DeliveriesQuery,
    form: (String, FieldErrors),
) -> Result<HttpResponse, AppError> {
    let prefs = page.prefs();
    let (deliveries, found, (creator, facts)) = load_with(state, access, id, query, &prefs, |conn, found| {
        let creator = service::creator_name(conn, &found.webhook)?;
        let healthy = Health::of_stored(&found.webhook.health) == Health::Healthy;
        let facts = if healthy { None } else { Some(health::facts(conn, &found.webhook, now_ms())?) };
        Ok((creator, facts))
    })
    .await?;
    let ws = access.workspace.public_id.clone();
    let hook = found.webhook;
    let enabled = hook.enabled && hook.plan_enabled;
    let (recover_since, errors) = form;
    let status = if errors.is_empty() && deliveries.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let health = facts.as_ref().and_then(|facts| HealthBanner::of(&hook, facts, &state.health_rules, &prefs));
    let page = DetailsPage {
        health,
        state: state_label(&hook),
        created: prefs.format_instant(hook.created_at),
        creator,
        disabled_since: (!enabled).then(|| hook.disabled_at.map_or_else(String::new, |at| prefs.format_instant(at))),
        latency: state.circuits.endpoint(hook.id).pace.latency_ms().map(|ms| format!("{ms} ms")),
        circuit: match state.circuits.get(hook.id) {
            Circuit::Closed { .. } => None,
            Circuit::Open { since, probing: true, .. } => Some(format!(
                "Its endpoint kept failing: since {}, keyhook sends it one request at a time. One is on its way now.",
                prefs.format_instant(since)
            )),
            Circuit::Open { since, probe_at, .. } => Some(format!(
                "Its endpoint kept failing: since {}, keyhook sends it one request at a time. The next goes at {}; the other deliveries wait for it, none is lost.",
                prefs.format_instant(since),
                prefs.format_instant(probe_at)
            )),
        },
        editable: !hook.is_addon(),
        recover_since: if recover_since.is_empty() {
            prefs.local_input(now_ms() - RECOVER_DEFAULT_MS)
        } else {
            recover_since
        },
        errors,
        frame: page.frame,
        ws,
        hook,
        deliveries,
    };
    render(status, &page)
}

pub async fn details(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    show(page, &state, &access, id, &query, (String::new(), FieldErrors::default())).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnableForm {
    /// `missed`: send the deliveries missed while disabled by failures too.
    replay: String,
}

/// Enable: turns a webhook disabled by a user, by failures or by 410 back on; with
/// `replay=missed`, the deliveries it missed while disabled by failures are sent too.
pub async fn enable(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<EnableForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let (target, hook) = (access.clone(), id.clone());
    let replay = form.replay == "missed";
    let (enabled, replayed) =
        state.db.write(move |conn| service::enable_replaying(conn, &target, &hook, true, replay)).await?;
    state.health_check.notify_one();
    let message = match replayed {
        0 => format!("Webhook “{}” enabled.", enabled.name),
        1 => format!("Webhook “{}” enabled; its missed delivery is being sent.", enabled.name),
        n => format!("Webhook “{}” enabled; its {n} missed deliveries are being sent.", enabled.name),
    };
    set_flash(&page.session, message, None);
    Ok(see_other(&hook_url(&ws, &id)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecoverForm {
    since: String,
}

/// Recover failed: every delivery that failed for good since a time (in the user's zone) is sent again.
pub async fn recover(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<RecoverForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let mut errors = FieldErrors::default();
    let Some(since) = errors.check("since", page.prefs().parse_local(&form.since)) else {
        let query = DeliveriesQuery::default();
        return show(page, &state, &access, id, &query, (form.since.clone(), errors)).await;
    };
    let (target, hook) = (access.clone(), id.clone());
    let queued = state.db.write(move |conn| service::recover(conn, &target, &hook, since)).await?;
    let message = match queued {
        0 => "No failed deliveries since then: nothing to send again.".to_owned(),
        1 => "1 failed delivery is being sent again.".to_owned(),
        n => format!("{n} failed deliveries are being sent again."),
    };
    set_flash(&page.session, message, None);
    Ok(see_other(&hook_url(&ws, &id)))
}
