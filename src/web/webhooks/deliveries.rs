//! The deliveries list of Details: one row per event sent (or to be sent) to the webhook, with
//! its state in words ("Retrying: attempt 2 of 8 in 4 min 32 s"), filters and a payload
//! search in a plain GET form, keyset pages, and each delivery's attempts when expanded. Its
//! htmx fragment refreshes itself while a test or resend is about to go. Opening a delivery
//! reads its payload and attempts (`delivery.rs`): a page of the list reads no bodies.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::{from_htmx, hook_url};
use crate::clock::now_ms;
use crate::db::deliveries::Delivery;
use crate::domain::{DeliveryStatus, DisplayPrefs, PayloadSearch, StatusMatch};
use crate::error::AppError;
use crate::services::webhooks::{self as service, Deliveries, DeliveryFilter};
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::render;
use crate::web::session::Page;

/// Deliveries per page.
const PAGE_SIZE: i64 = 25;

/// The filter form's fields, as typed (echoed back into the form).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DeliveriesQuery {
    pub state: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub before: String,
}

impl DeliveriesQuery {
    /// The filter, and a message for each field that did not parse (that field is left out).
    pub fn filter(&self, prefs: &DisplayPrefs) -> (DeliveryFilter, FieldErrors) {
        let mut errors = FieldErrors::default();
        let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
        let state = optional(&self.state).and_then(|s| errors.check("state", DeliveryStatus::parse(&s)));
        let status = optional(&self.status).and_then(|s| errors.check("status", StatusMatch::parse(&s)));
        let from = optional(&self.from).and_then(|s| errors.check("from", prefs.parse_local(&s)));
        let to = optional(&self.to).and_then(|s| errors.check("to", prefs.parse_local(&s)));
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.add("to", "Choose a time after the start.");
            }
        }
        let search = errors.check("q", PayloadSearch::parse(&self.q)).flatten();
        let before = super::cursor(&self.before);
        let filter = DeliveryFilter { state, event: None, status, from, to, search, before, limit: PAGE_SIZE };
        (filter, errors)
    }

    /// Whether any filter field was filled in.
    fn asks_for_a_filter(&self) -> bool {
        [&self.state, &self.status, &self.from, &self.to, &self.q].iter().any(|f| !f.trim().is_empty())
    }

    /// The query string of this filter (without the page), for links that keep it.
    fn filters_only(&self) -> String {
        let kept = Self { before: String::new(), ..self.clone() };
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    }
}

/// A delivery as a row of the list.
pub struct DeliveryRow {
    pub id: i64,
    pub time: String,
    pub state: &'static str,
    /// `delivered`, `pending` or `failed`: the state's colour.
    pub tone: &'static str,
    /// What the state means now: "after 3 attempts", "attempt 2 of 8 in 4 min 32 s".
    pub detail: String,
    pub status: String,
    pub trigger: String,
    pub event: String,
    /// Attempts kept (their bodies are read when the delivery is opened).
    pub attempts: usize,
    /// The delivery's own page, and its payload and attempts for htmx.
    pub url: String,
}

/// A delivery's state in words: its name, its colour, and what it means now.
pub struct StateWords {
    pub state: &'static str,
    pub tone: &'static str,
    pub detail: String,
}

impl StateWords {
    /// `last_attempt_at`: when the latest kept attempt was made.
    pub fn of(
        status: DeliveryStatus,
        d: &Delivery,
        last_attempt_at: Option<i64>,
        max_attempts: usize,
        prefs: &DisplayPrefs,
    ) -> Self {
        let (state, tone) = state_words(status);
        let tries = |n: i32| if n == 1 { "1 attempt".to_owned() } else { format!("{n} attempts") };
        let detail = match status {
            DeliveryStatus::Delivered => match last_attempt_at {
                Some(at) => format!("at {} after {}", prefs.format_instant(at), tries(d.attempts)),
                None => format!("after {}", tries(d.attempts)),
            },
            DeliveryStatus::Retrying => {
                let now = now_ms();
                let next = d.next_attempt_at.unwrap_or(now);
                let of = if d.retries { format!(" of {max_attempts}") } else { String::new() };
                format!("attempt {}{of} in {}", d.attempts + 1, duration_words(next - now))
            }
            DeliveryStatus::Queued => "to be sent now".into(),
            DeliveryStatus::Waiting => "the endpoint's circuit is open: it goes after the next probe".into(),
            DeliveryStatus::Failed => format!("for good, after {}", tries(d.attempts)),
            DeliveryStatus::Cancelled => "dropped unsent: the webhook was disabled or deleted".into(),
            DeliveryStatus::Missed => "while the webhook was disabled by failures".into(),
        };
        Self { state, tone, detail }
    }
}

/// "4 min 32 s", "3 h 5 min", "12 s".
fn duration_words(ms: i64) -> String {
    let secs = (ms.max(0) + 999) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

fn state_words(status: DeliveryStatus) -> (&'static str, &'static str) {
    match status {
        DeliveryStatus::Queued => ("Queued", "pending"),
        DeliveryStatus::Retrying => ("Retrying", "pending"),
        DeliveryStatus::Waiting => ("Waiting", "pending"),
        DeliveryStatus::Delivered => ("Delivered", "delivered"),
        DeliveryStatus::Failed => ("Failed", "failed"),
        DeliveryStatus::Cancelled => ("Cancelled", "failed"),
        DeliveryStatus::Missed => ("Missed", "failed"),
    }
}

/// The deliveries list as the template shows it.
pub struct DeliveriesView {
    pub ws: String,
    pub hook: String,
    pub rows: Vec<DeliveryRow>,
    pub form: DeliveriesQuery,
    pub errors: FieldErrors,
    pub filtered: bool,
    /// Refresh until the queued delivery's attempt shows (first page only).
    pub polling: bool,
    pub first: bool,
    /// With a filter: the time the page's scan reached without filling the page.
    pub searched_to: Option<String>,
    older: Option<String>,
}

impl DeliveriesView {
    pub fn new(
        ws: &str,
        form: &DeliveriesQuery,
        errors: FieldErrors,
        found: &Deliveries,
        max_attempts: usize,
        prefs: &DisplayPrefs,
    ) -> Self {
        let hook = &found.webhook;
        let hook_url = hook_url(ws, &hook.public_id);
        let rows = found
            .page
            .rows
            .iter()
            .map(|row| {
                let d = &row.delivery;
                let attempts = found.attempts.get(&d.id).map(Vec::as_slice).unwrap_or_default();
                let last_at = attempts.last().map(|a| a.attempted_at);
                let words = StateWords::of(found.status_of(d), d, last_at, max_attempts, prefs);
                DeliveryRow {
                    id: d.id,
                    time: prefs.format_instant(d.created_at),
                    state: words.state,
                    tone: words.tone,
                    detail: words.detail,
                    status: d.last_status.clone().unwrap_or_else(|| "—".into()),
                    trigger: d.trigger.to_lowercase(),
                    event: row.event_type.clone(),
                    attempts: attempts.len(),
                    url: format!("{hook_url}/deliveries/{}", d.id),
                }
            })
            .collect();
        let first = form.before.is_empty();
        Self {
            ws: ws.to_owned(),
            hook: hook.public_id.clone(),
            rows,
            form: form.clone(),
            filtered: form.asks_for_a_filter(),
            errors,
            polling: first && found.sending_soon,
            first,
            searched_to: found.page.searched_to.map(|at| prefs.format_instant(at)),
            older: found.page.next.map(|(at, id)| format!("{at}.{id}")),
        }
    }

    pub fn page_url(&self) -> String {
        hook_url(&self.ws, &self.hook)
    }

    pub fn newest_url(&self) -> Option<String> {
        (!self.first).then(|| format!("{}?{}", self.page_url(), self.form.filters_only()))
    }

    pub fn older_url(&self) -> Option<String> {
        self.older.as_ref().map(|c| format!("{}?{}&before={c}", self.page_url(), self.form.filters_only()))
    }

    pub fn fragment_url(&self) -> String {
        format!("{}/deliveries?{}", self.page_url(), self.form.filters_only())
    }

    /// The State dropdown: value, label, selected.
    pub fn state_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        let chosen = self.form.state.trim().to_ascii_uppercase();
        std::iter::once(("", "All states", chosen.is_empty()))
            .chain(DeliveryStatus::ALL.into_iter().map(|s| (s.as_str(), state_words(s).0, chosen == s.as_str())))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "webhooks/deliveries.html")]
struct Fragment {
    deliveries: DeliveriesView,
    toast: Option<String>,
}

/// Reads a page of the webhook's deliveries as the query asks; a field that did not parse is
/// left out of the filter and reported next to itself.
pub(super) async fn load(
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &DeliveriesQuery,
    prefs: &DisplayPrefs,
) -> Result<DeliveriesView, AppError> {
    Ok(load_with(state, access, id, query, prefs, |_, _| Ok(())).await?.0)
}

/// [`load`], with `also` read in the same transaction (what else the page shows of the webhook).
pub(super) async fn load_with<T: Send + 'static>(
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &DeliveriesQuery,
    prefs: &DisplayPrefs,
    also: impl FnOnce(&mut crate::db::DbConnection, &Deliveries) -> crate::services::ServiceResult<T> + Send + 'static,
) -> Result<(DeliveriesView, Deliveries, T), AppError> {
    let (filter, errors) = query.filter(prefs);
    let target = access.clone();
    let open = state.circuits.blocked(now_ms());
    let (found, extra) = state
        .db
        .read(move |conn| {
            let found = service::deliveries(conn, &target, &id, &filter, &open)?;
            let extra = also(conn, &found)?;
            Ok::<_, crate::services::ServiceError>((found, extra))
        })
        .await?;
    let ws = access.workspace.public_id.clone();
    let view = DeliveriesView::new(&ws, query, errors, &found, state.max_attempts, prefs);
    Ok((view, found, extra))
}

pub(super) async fn fragment_answer(
    page: &Page,
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    query: &DeliveriesQuery,
    toast: Option<String>,
) -> Result<HttpResponse, AppError> {
    let deliveries = load(state, access, id, query, &page.prefs()).await?;
    let status = if deliveries.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &Fragment { deliveries, toast })
}

/// The deliveries list alone, for htmx (refreshing after a Test). A plain visit gets the page.
pub async fn fragment(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    if !from_htmx(&req) {
        return Ok(crate::web::see_other(&format!("{}?{}", hook_url(&ws, &id), query.filters_only())));
    }
    fragment_answer(&page, &state, &access, id, &query, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_the_largest_units_that_fit() {
        assert_eq!(duration_words(0), "0 s");
        assert_eq!(duration_words(11_200), "12 s");
        assert_eq!(duration_words(272_000), "4 min 32 s");
        assert_eq!(duration_words(3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
    }
}
