//! How webhooks and their attempts read on the pages: state labels, status labels, the outcome
//! bar of the latest attempts, pretty payloads, and the event dropdown's options.

use crate::db::attempts::{Attempt, LogRow, RecentAttempt};
use crate::db::webhooks::Webhook;
use crate::domain::{DisplayPrefs, EventType, Plan};

/// An event in the Event dropdown; `needs` names the plan when the workspace's lacks it.
pub struct EventOption {
    pub value: &'static str,
    pub label: String,
    pub needs: Option<&'static str>,
}

/// Every event, alphabetically, each marked with the plan it needs when `plan` lacks it.
pub fn event_options(plan: Plan) -> Vec<EventOption> {
    EventType::sorted()
        .into_iter()
        .map(|event| EventOption {
            value: event.as_str(),
            label: event_label(event.as_str()),
            needs: (!event.allowed_on(plan)).then(|| event.required_plan().as_str()),
        })
        .collect()
}

/// `NEW_TIME_ENTRY` as people say it: "New time entry".
pub fn event_label(event: &str) -> String {
    let words = event.to_lowercase().replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Whether the webhook is delivered to, and if not, why, in the list's and Details' words.
pub fn state_label(webhook: &Webhook) -> String {
    if webhook.enabled && webhook.plan_enabled {
        return "Enabled".into();
    }
    let reason = match webhook.disabled_reason.as_deref() {
        Some("PLAN") => match EventType::parse(&webhook.event_type) {
            Ok(event) if event.required_plan() > Plan::Free => {
                format!("by plan: needs {} or higher, or over the plan's limit", event.required_plan().as_str())
            }
            _ => "by plan: over the plan's webhook limit".into(),
        },
        Some("FAILING") => "by failures: every delivery failed for days".into(),
        Some("GONE") => "by 410: the endpoint answered 410 Gone".into(),
        _ => "by a user".into(),
    };
    format!("Disabled {reason}")
}

/// An attempt's status: its HTTP code, or the class of error when there was no answer.
pub fn status_label(status_code: Option<i32>, error_class: Option<&str>) -> String {
    match (status_code, error_class) {
        (Some(code), _) => code.to_string(),
        (None, Some(class)) => class.to_owned(),
        (None, None) => "—".into(),
    }
}

/// One mark of the outcome bar: where it sits and what its tooltip says.
pub struct Tick {
    pub x: usize,
    pub succeeded: bool,
    pub title: String,
}

/// A webhook as a row of the list.
pub struct WebhookRow {
    pub id: String,
    pub name: String,
    pub event: String,
    pub url: String,
    pub enabled: bool,
    pub state: String,
    pub last_status: Option<String>,
    /// The latest attempts, oldest on the left, for the server-drawn SVG bar.
    pub ticks: Vec<Tick>,
}

/// Width of one mark of the outcome bar, gap included (SVG user units).
pub const TICK_STEP: usize = 6;

impl WebhookRow {
    /// `recent` holds this webhook's latest attempts, newest first.
    pub fn new(webhook: &Webhook, recent: &[&RecentAttempt], prefs: &DisplayPrefs) -> Self {
        let ticks = recent
            .iter()
            .rev()
            .enumerate()
            .map(|(i, a)| Tick {
                x: i * TICK_STEP,
                succeeded: a.succeeded,
                title: format!(
                    "{} · {}",
                    prefs.format_instant(a.attempted_at),
                    status_label(a.status_code, a.error_class.as_deref())
                ),
            })
            .collect();
        Self {
            id: webhook.public_id.clone(),
            name: webhook.name.clone(),
            event: webhook.event_type.clone(),
            url: webhook.url.clone(),
            enabled: webhook.enabled && webhook.plan_enabled,
            state: state_label(webhook),
            last_status: recent.first().map(|a| status_label(a.status_code, a.error_class.as_deref())),
            ticks,
        }
    }

    /// The SVG's width: one step per mark, at least one so an empty bar is still valid.
    pub fn bar_width(&self) -> usize {
        (self.ticks.len() * TICK_STEP).max(1)
    }
}

/// An attempt as a row of the attempts list, with what it expands to.
pub struct AttemptRow {
    pub id: String,
    pub time: String,
    pub succeeded: bool,
    pub status: String,
    pub trigger: String,
    pub event: String,
    pub duration: String,
    pub payload: String,
    pub headers: Vec<(String, String)>,
    pub response: String,
    pub error: Option<String>,
}

impl AttemptRow {
    pub fn new(row: &LogRow, prefs: &DisplayPrefs) -> Self {
        let a: &Attempt = &row.attempt;
        // Headers were recorded with the Clockify token already redacted.
        let headers = serde_json::from_str::<std::collections::BTreeMap<String, String>>(&a.request_headers)
            .map(|h| h.into_iter().collect())
            .unwrap_or_default();
        let response = match (&a.response_body, a.response_body_base64) {
            (None, _) => String::new(),
            (Some(_), true) => "(binary body, not shown)".into(),
            (Some(body), false) => pretty(body),
        };
        Self {
            id: a.public_id.clone(),
            time: prefs.format_instant(a.attempted_at),
            succeeded: a.succeeded,
            status: status_label(a.status_code, a.error_class.as_deref()),
            trigger: a.trigger.to_lowercase(),
            event: row.event_type.clone(),
            duration: format!("{} ms", a.duration_ms),
            payload: pretty(&a.request_body),
            headers,
            response,
            error: a.error_detail.clone(),
        }
    }
}

/// JSON pretty-printed for reading; anything else as it came.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_words_and_name_the_plan_they_need() {
        assert_eq!(event_label("NEW_TIME_ENTRY"), "New time entry");
        let options = event_options(Plan::Free);
        assert_eq!(options.len(), EventType::ALL.len());
        assert!(options.windows(2).all(|w| w[0].value < w[1].value), "sorted alphabetically");
        let expense = options.iter().find(|o| o.value == "EXPENSE_CREATED").expect("listed");
        assert_eq!(expense.needs, Some("PRO"));
        assert!(options.iter().find(|o| o.value == "NEW_PROJECT").is_some_and(|o| o.needs.is_none()));
        assert!(event_options(Plan::Enterprise).iter().all(|o| o.needs.is_none()));
    }

    #[test]
    fn statuses_show_the_code_or_the_error_class() {
        assert_eq!(status_label(Some(200), None), "200");
        assert_eq!(status_label(None, Some("timeout")), "timeout");
        assert_eq!(pretty("{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json"), "not json");
    }
}
