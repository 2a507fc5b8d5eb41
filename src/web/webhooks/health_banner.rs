//! The health banner of Details: a webhook that is not Healthy says since when, its last
//! error, its failure rate over a day, and what happens next and when.

use crate::db::webhooks::Webhook;
use crate::domain::{DisplayPrefs, Health, HealthRules};
use crate::services::health::HealthFacts;

pub struct HealthBanner {
    pub health: Health,
    pub since: String,
    /// What the state means for this webhook.
    pub what: String,
    pub last_error: Option<String>,
    /// "37 % (120 of 324 attempts)".
    pub rate: Option<String>,
    pub next: Option<String>,
    /// Disabled by failures or 410: how many deliveries enabling it may send again.
    pub missed: Option<i64>,
}

impl HealthBanner {
    /// The banner, or `None` for a Healthy webhook.
    pub fn of(hook: &Webhook, facts: &HealthFacts, rules: &HealthRules, prefs: &DisplayPrefs) -> Option<Self> {
        let health = Health::of_stored(&hook.health);
        if health == Health::Healthy {
            return None;
        }
        let at = |ms: i64| prefs.format_instant(ms);
        let what = match health {
            Health::Degraded => "Many of its deliveries fail, or its endpoint failed five times in a row.".to_owned(),
            Health::Failing => match hook.failing_since {
                Some(since) => format!("No delivery has succeeded since {}.", at(since)),
                None => "No delivery has succeeded for a long while.".to_owned(),
            },
            _ => super::view::state_label(hook) + ".",
        };
        let next = match (health, hook.failing_since) {
            (Health::Degraded, Some(since)) => Some(format!(
                "Each delivery is retried on its schedule. If none succeeds, the webhook becomes Failing at {} and is disabled at {}.",
                at(since + rules.failing_after_ms),
                at(since + rules.disable_after_ms)
            )),
            (Health::Degraded, None) => Some("Each delivery is retried on its schedule.".to_owned()),
            (Health::Failing, Some(since)) => Some(format!(
                "It is disabled at {} unless a delivery succeeds before; what it misses then can be sent when it is enabled again.",
                at(since + rules.disable_after_ms)
            )),
            _ => None,
        };
        let (attempts, failures) = facts.day;
        Some(Self {
            health,
            since: hook.health_since.map_or_else(|| at(hook.created_at), at),
            what,
            last_error: facts
                .last_failure
                .as_ref()
                .and_then(|a| a.failure().map(|reason| format!("{reason} ({})", at(a.attempted_at)))),
            rate: (attempts > 0).then(|| {
                let percent = failures * 100 / attempts;
                format!("{percent} % ({failures} of {attempts} attempts)")
            }),
            next,
            missed: hook.misses_deliveries().then_some(facts.missed),
        })
    }
}
