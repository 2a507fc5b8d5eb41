//! The health check: every webhook's health judged by `domain::HealthRules` and stored when it
//! changes, with the time it changed. A change is written with a compare-and-set on the stored
//! state, so with several instances on one database exactly one of them makes (and later
//! announces) each change. It runs every few seconds, and at once when the sender records a
//! failure, a disable or a recovery.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use crate::clock::Clock;
use crate::db::attempts::Attempt;
use crate::db::deliveries::Delivery;
use crate::db::schema::webhooks;
use crate::db::webhook_stats;
use crate::db::webhooks::Webhook;
use crate::db::{Db, DbConnection};
use crate::domain::{Health, HealthRules, Vitals};
use crate::services::alerts::AlertSettings;
use crate::services::ServiceResult;

/// A webhook's health changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub webhook_id: i64,
    pub from: Health,
    pub to: Health,
    pub at: i64,
}

const HOUR_MS: i64 = 3_600_000;

/// Judges every live webhook at `now` and stores the changes; answers them.
pub fn refresh(conn: &mut DbConnection, rules: &HealthRules, now: i64) -> ServiceResult<Vec<Transition>> {
    #[allow(clippy::type_complexity)]
    let hooks: Vec<(i64, bool, bool, Option<i64>, String, String)> = webhooks::table
        .filter(webhooks::deleted_at.is_null())
        .select((
            webhooks::id,
            webhooks::enabled,
            webhooks::plan_enabled,
            webhooks::failing_since,
            webhooks::recent_outcomes,
            webhooks::health,
        ))
        .load(conn)?;
    let last_hour = webhook_stats::since(conn, now - HOUR_MS, None)?;
    let mut changes = Vec::new();
    for (id, enabled, plan_enabled, failing_since, outcomes, stored) in hooks {
        let vitals = Vitals {
            delivering: enabled && plan_enabled,
            failing_since,
            recent_outcomes: &outcomes,
            last_hour: last_hour.get(&id).copied().unwrap_or_default(),
        };
        let (from, to) = (Health::of_stored(&stored), rules.judge(&vitals, now));
        if from == to {
            continue;
        }
        // Only the instance whose update finds the state it judged from makes the change.
        let changed = diesel::update(webhooks::table.find(id).filter(webhooks::health.eq(&stored)))
            .set((webhooks::health.eq(to.as_str()), webhooks::health_since.eq(now)))
            .execute(conn)?;
        if changed == 1 {
            tracing::info!(webhook = id, from = from.as_str(), to = to.as_str(), "webhook health changed");
            changes.push(Transition { webhook_id: id, from, to, at: now });
        }
    }
    Ok(changes)
}

/// What a webhook's health banner says besides its state.
pub struct HealthFacts {
    /// The latest failed attempt.
    pub last_failure: Option<Attempt>,
    /// The last day's attempts and failures.
    pub day: (i64, i64),
    /// Deliveries it missed while disabled by failures (offered when it is enabled again).
    pub missed: i64,
}

/// Reads a webhook's [`HealthFacts`] (only worth reading when it is not Healthy).
pub fn facts(conn: &mut DbConnection, webhook: &Webhook, now: i64) -> ServiceResult<HealthFacts> {
    let day = webhook_stats::since(conn, now - 24 * HOUR_MS, Some(&[webhook.id]))?;
    Ok(HealthFacts {
        last_failure: Attempt::latest_failure(conn, webhook.id)?,
        day: day.get(&webhook.id).copied().unwrap_or_default(),
        missed: Delivery::count_missed(conn, webhook.id)?,
    })
}

/// Runs [`refresh`] on a schedule, and sooner when nudged.
pub struct HealthCheck {
    db: Db,
    rules: HealthRules,
    clock: Clock,
    alerts: AlertSettings,
    /// Woken when alerts were queued (the mail sender, when mail is configured).
    mail: Option<Arc<tokio::sync::Notify>>,
    /// The sender nudges this after recording what may move a webhook's health.
    pub nudge: Arc<tokio::sync::Notify>,
}

impl HealthCheck {
    pub fn new(
        db: Db,
        rules: HealthRules,
        clock: Clock,
        alerts: AlertSettings,
        mail: Option<Arc<tokio::sync::Notify>>,
    ) -> Self {
        Self { db, rules, clock, alerts, mail, nudge: Arc::new(tokio::sync::Notify::new()) }
    }

    /// One check of every webhook with the alerts it calls for, in one transaction (what the
    /// loop does each round; tests call it).
    pub async fn run_once(&self) -> ServiceResult<Vec<Transition>> {
        let (rules, alerts, now) = (self.rules, self.alerts.clone(), self.clock.now_ms());
        let (changes, mailed) = self
            .db
            .write(move |conn| -> ServiceResult<_> {
                let changes = refresh(conn, &rules, now)?;
                let mailed = crate::services::alerts::after_check(conn, &changes, &alerts, now)?;
                crate::services::alerts::announce(conn, &changes)?;
                Ok((changes, mailed))
            })
            .await?;
        if let (Some(mail), true) = (&self.mail, mailed > 0) {
            mail.notify_one();
        }
        Ok(changes)
    }

    /// Checks every `every`, and after each nudge (at most every 100 ms, so a storm of
    /// failures costs a few checks, not one per batch).
    pub fn spawn(self: Arc<Self>, every: Duration) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = self.nudge.notified() => {}
                }
                if let Err(e) = self.run_once().await {
                    tracing::warn!(error = ?e, "the health check failed; it runs again at its next round");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }
}
