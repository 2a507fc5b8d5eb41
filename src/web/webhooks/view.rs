//! How webhooks and their attempts read on the pages: state labels, status labels, the outcome
//! bar of the latest attempts, pretty payloads, and the event dropdown's options.

use crate::db::attempts::{Attempt, LogRow};
use crate::db::webhooks::Webhook;
use crate::domain::{attempt_status, curl_command, DisplayPrefs, EventType, Health, Plan};

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

/// A webhook as a row of the list.
pub struct WebhookRow {
    pub id: String,
    pub name: String,
    pub event: String,
    pub url: String,
    pub enabled: bool,
    pub state: String,
    pub health: Health,
    /// The latest attempt's status and time.
    pub last_status: Option<(String, String)>,
    /// The latest attempts' outcomes, oldest first (`S` or `F`), drawn as an SVG bar.
    pub outcomes: String,
}

/// Width of one mark of the outcome bar, gap included (SVG user units).
pub const TICK_STEP: usize = 6;

impl WebhookRow {
    pub fn new(webhook: &Webhook, prefs: &DisplayPrefs) -> Self {
        Self {
            id: webhook.public_id.clone(),
            name: webhook.name.clone(),
            event: webhook.event_type.clone(),
            url: webhook.url.clone(),
            enabled: webhook.enabled && webhook.plan_enabled,
            state: state_label(webhook),
            health: Health::of_stored(&webhook.health),
            last_status: webhook.last_status.clone().zip(webhook.last_attempt_at.map(|at| prefs.format_instant(at))),
            outcomes: webhook.recent_outcomes.clone(),
        }
    }

    /// The bar's text alternative.
    pub fn bar_title(&self) -> String {
        let failed = self.outcomes.chars().filter(|o| *o == 'F').count();
        match self.outcomes.len() {
            0 => "No attempts yet".into(),
            1 => format!("Latest attempt: {}", if failed == 0 { "succeeded" } else { "failed" }),
            n => format!("Latest {n} attempts: {failed} failed"),
        }
    }

    /// The bar's width: one step per attempt, at least one so an empty bar is still valid.
    pub fn bar_width(&self) -> usize {
        (self.outcomes.len() * TICK_STEP).max(1)
    }

    /// The SVG path of the marks for one outcome: a 4×14 rectangle per attempt. One path per
    /// colour keeps a row's bar a few hundred bytes (a list has up to 100 of them).
    pub fn bar_path(&self, succeeded: bool) -> String {
        let wanted = if succeeded { 'S' } else { 'F' };
        self.outcomes
            .chars()
            .enumerate()
            .filter(|(_, o)| *o == wanted)
            .map(|(i, _)| format!("M{} 0h4v14h-4z", i * TICK_STEP))
            .collect()
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
    /// The failure's named reason and what to do about it.
    pub reason: Option<(String, &'static str)>,
    /// The transport's own words, when they add to the reason.
    pub error: Option<String>,
    /// The request as a shell command (Copy as curl).
    pub curl: String,
}

impl AttemptRow {
    pub fn of_log(row: &LogRow, webhook_url: &str, prefs: &DisplayPrefs) -> Self {
        Self::new(&row.attempt, &row.event_type, webhook_url, prefs)
    }

    /// `webhook_url` stands in for the URL of attempts recorded before attempts kept theirs.
    pub fn new(a: &Attempt, event: &str, webhook_url: &str, prefs: &DisplayPrefs) -> Self {
        // Headers were recorded with the Clockify token already redacted.
        let headers: Vec<(String, String)> =
            serde_json::from_str::<std::collections::BTreeMap<String, String>>(&a.request_headers)
                .map(|h| h.into_iter().collect())
                .unwrap_or_default();
        let url = a.url.as_deref().unwrap_or(webhook_url);
        let curl = curl_command(url, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), &a.request_body);
        let reason = a.failure().map(|r| (r.to_string(), r.hint()));
        let response = match (&a.response_body, a.response_body_base64) {
            (None, _) => String::new(),
            (Some(_), true) => "(binary body, not shown)".into(),
            (Some(body), false) => pretty(body),
        };
        Self {
            id: a.public_id.clone(),
            time: prefs.format_instant(a.attempted_at),
            succeeded: a.succeeded,
            status: attempt_status(a.status_code, a.error_class.as_deref()),
            trigger: a.trigger.to_lowercase(),
            event: event.to_owned(),
            duration: format!("{} ms", a.duration_ms),
            payload: pretty(&a.request_body),
            headers,
            response,
            // The reason names an HTTP answer fully; a transport failure keeps its detail.
            error: a.error_detail.clone().filter(|_| a.status_code.is_none()),
            reason,
            curl,
        }
    }
}

/// JSON pretty-printed for reading; anything else as it came.
pub fn pretty(body: &str) -> String {
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
    fn the_bar_draws_one_mark_per_attempt_in_its_colour() {
        let row = WebhookRow {
            id: String::new(),
            name: String::new(),
            event: String::new(),
            url: String::new(),
            enabled: true,
            state: String::new(),
            health: Health::Healthy,
            last_status: None,
            outcomes: "SSF".into(),
        };
        assert_eq!(row.bar_path(true), "M0 0h4v14h-4zM6 0h4v14h-4z");
        assert_eq!(row.bar_path(false), "M12 0h4v14h-4z");
        assert_eq!((row.bar_title().as_str(), row.bar_width()), ("Latest 3 attempts: 1 failed", 18));
    }

    #[test]
    fn payloads_are_pretty_printed_when_they_are_json() {
        assert_eq!(pretty("{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json"), "not json");
    }
}
