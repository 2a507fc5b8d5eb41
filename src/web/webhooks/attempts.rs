//! The attempts list of Details and Edit (filter, keyset pages of 50, rows that expand), its
//! htmx fragment, and the two actions that answer with it: Test and Resend.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::view::AttemptRow;
use super::{cursor, from_htmx, hook_url};
use crate::db::attempts::{LogQuery, Outcome};
use crate::domain::DisplayPrefs;
use crate::error::AppError;
use crate::services::webhooks::{self as service, Details};
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;
use crate::web::session::{set_flash, Page};
use crate::web::{render, see_other};

/// Attempts per page.
const PAGE_SIZE: usize = 50;

/// Which attempts to show, and on which screen (`on=edit` for the Edit page).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AttemptsQuery {
    status: String,
    before: String,
    after: String,
    on: String,
}

impl AttemptsQuery {
    pub fn first_page(on: &str) -> Self {
        Self { on: on.to_owned(), ..Self::default() }
    }

    fn status(&self) -> &'static str {
        match self.status.as_str() {
            "succeeded" => "succeeded",
            "failed" => "failed",
            _ => "",
        }
    }

    /// The page's query: one row more than a page, to know whether another page follows.
    pub fn log_query(&self) -> LogQuery {
        LogQuery {
            webhook_id: 0,
            outcome: match self.status() {
                "succeeded" => Outcome::Succeeded,
                "failed" => Outcome::Failed,
                _ => Outcome::All,
            },
            from: None,
            to: None,
            before: cursor(&self.before),
            after: cursor(&self.after),
            offset: 0,
            newest_first: true,
            limit: PAGE_SIZE as i64 + 1,
        }
    }

    /// This query, for the Edit page's list (its links then stay on Edit).
    pub fn on_edit_page(self) -> Self {
        Self { on: "edit".into(), ..self }
    }

    fn on_edit(&self) -> bool {
        self.on == "edit"
    }
}

/// The attempts list as a template shows it.
pub struct AttemptsView {
    pub ws: String,
    pub hook: String,
    pub csrf: String,
    pub on: String,
    pub page_url: String,
    pub rows: Vec<AttemptRow>,
    /// Add-on webhooks have no Resend.
    pub resendable: bool,
    /// Refresh until the queued delivery's attempt shows (first page only).
    pub polling: bool,
    status: &'static str,
    first: bool,
    older: Option<String>,
    newer: Option<String>,
}

impl AttemptsView {
    pub fn new(ws: &str, csrf: &str, query: &AttemptsQuery, details: &Details, prefs: &DisplayPrefs) -> Self {
        let hook = &details.webhook;
        let mut rows: Vec<_> = details.attempts.iter().collect();
        let more = rows.len() > PAGE_SIZE;
        let going_up = cursor(&query.after).is_some();
        if more {
            // The extra row lies beyond the page: above it when reading upwards ("Previous").
            if going_up {
                rows.remove(0);
            } else {
                rows.pop();
            }
        }
        let first = cursor(&query.before).is_none() && (!going_up || !more);
        let key = |r: &&crate::db::attempts::LogRow| format!("{}.{}", r.attempt.attempted_at, r.attempt.id);
        let older = if going_up || more { rows.last().map(key) } else { None };
        let newer = if first { None } else { rows.first().map(key) };
        let page_url = if query.on_edit() {
            format!("{}/edit", hook_url(ws, &hook.public_id))
        } else {
            hook_url(ws, &hook.public_id)
        };
        Self {
            ws: ws.to_owned(),
            hook: hook.public_id.clone(),
            csrf: csrf.to_owned(),
            on: query.on.clone(),
            page_url,
            rows: rows.into_iter().map(|r| AttemptRow::of_log(r, &hook.url, prefs)).collect(),
            resendable: !hook.is_addon(),
            polling: first && details.sending_soon,
            status: query.status(),
            first,
            older,
            newer,
        }
    }

    pub fn first_page(&self) -> bool {
        self.first
    }

    fn with_status(&self, status: &str) -> String {
        if status.is_empty() {
            self.page_url.clone()
        } else {
            format!("{}?status={status}", self.page_url)
        }
    }

    /// The filter links: label, URL, and whether it is the current one.
    pub fn filters(&self) -> [(&'static str, String, bool); 3] {
        [
            ("All", self.with_status(""), self.status.is_empty()),
            ("Succeeded", self.with_status("succeeded"), self.status == "succeeded"),
            ("Failed", self.with_status("failed"), self.status == "failed"),
        ]
    }

    pub fn older_url(&self) -> Option<String> {
        self.older.as_ref().map(|c| format!("{}?status={}&before={c}", self.page_url, self.status))
    }

    pub fn newer_url(&self) -> Option<String> {
        self.newer.as_ref().map(|c| format!("{}?status={}&after={c}", self.page_url, self.status))
    }

    pub fn fragment_url(&self) -> String {
        format!("{}/attempts?on={}&status={}", hook_url(&self.ws, &self.hook), self.on, self.status)
    }
}

#[derive(Template)]
#[template(path = "webhooks/attempts.html")]
struct Fragment {
    attempts: AttemptsView,
    toast: Option<String>,
}

/// Reads the webhook and a page of its attempts.
pub(super) async fn load(
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &AttemptsQuery,
) -> Result<Details, AppError> {
    let (target, log_query) = (access.clone(), query.log_query());
    Ok(state.db.read(move |conn| service::details(conn, &target, &id, log_query)).await?)
}

async fn fragment_answer(
    page: &Page,
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &AttemptsQuery,
    toast: Option<String>,
) -> Result<HttpResponse, AppError> {
    let details = load(state, access, id, query).await?;
    let attempts = AttemptsView::new(&access.workspace.public_id, &page.frame.csrf, query, &details, &page.prefs());
    render(StatusCode::OK, &Fragment { attempts, toast })
}

/// The attempts list alone, for htmx (refreshing after a Test). A plain visit gets the page.
pub async fn fragment(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<AttemptsQuery>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    if !from_htmx(&req) {
        let screen = if query.on_edit() { "/edit" } else { "" };
        return Ok(see_other(&format!("{}{screen}", hook_url(&ws, &id))));
    }
    fragment_answer(&page, &state, &access, id, &query, None).await
}

/// Answers an action on the attempts list: the refreshed list and a toast for htmx, else a
/// redirect to the screen with a flash message.
async fn after_action(
    req: &HttpRequest,
    page: Page,
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    on: &str,
    message: String,
) -> Result<HttpResponse, AppError> {
    let query = AttemptsQuery::first_page(on);
    if from_htmx(req) {
        if !query.on_edit() {
            // Details lists deliveries; Edit, attempts.
            let first = super::deliveries::DeliveriesQuery::default();
            return super::deliveries::fragment_answer(&page, state, access, id, &first, Some(message)).await;
        }
        return fragment_answer(&page, state, access, id, &query, Some(message)).await;
    }
    set_flash(&page.session, message, None);
    let screen = if query.on_edit() { "/edit" } else { "" };
    Ok(see_other(&format!("{}{screen}", hook_url(&access.workspace.public_id, &id))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OnForm {
    on: String,
}

/// Test: sends the event's sample payload now; the attempt shows at the top, marked test.
pub async fn test(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<OnForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let (target, hook) = (access.clone(), id.clone());
    state.db.write(move |conn| service::test(conn, &target, &hook)).await?;
    let message = "Test sent: its attempt appears in the list in a moment.".to_owned();
    after_action(&req, page, &state, &access, id, &form.on, message).await
}

/// Resend: the attempt's payload again, same `webhook-id`, marked resend.
pub async fn resend(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    form: web::Form<OnForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id, attempt) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let (target, hook) = (access.clone(), id.clone());
    state.db.write(move |conn| service::resend(conn, &target, &hook, &attempt)).await?;
    let message = "Resent: the new attempt appears in the list in a moment.".to_owned();
    after_action(&req, page, &state, &access, id, &form.on, message).await
}
