//! Health alerts by mail: one mail to each Owner and Admin of the workspace (who has not turned
//! them off in Preferences) when a webhook has been Degraded for a while, becomes Failing, is
//! disabled by its failures, and when it recovers after one of those. One mail per change,
//! never per failure: the health check's compare-and-set gives each change to one instance, and
//! each mail's key (change and recipient) is queued once.

use diesel::prelude::*;

use crate::db::attempts::Attempt;
use crate::db::memberships::Membership;
use crate::db::schema::webhooks as hooks;
use crate::db::system_events;
use crate::db::webhooks::Webhook;
use crate::db::workspaces::Workspace;
use crate::db::DbConnection;
use crate::domain::{Health, Role, SystemEvent};
use crate::services::health::Transition;
use crate::services::mail::{self, Outgoing};
use crate::services::ServiceResult;

/// What alerting needs besides the database.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// Where links in mails point (the public URL).
    pub base_url: String,
    /// Whether mail is configured; without it nothing is queued.
    pub mail: bool,
    /// A Degraded webhook is mailed about once it has been so this long.
    pub degraded_after_ms: i64,
}

/// Why a mail goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alert {
    Degraded,
    Failing,
    Disabled,
    Recovered,
}

impl Alert {
    fn key(self) -> &'static str {
        match self {
            Self::Degraded => "degraded",
            Self::Failing => "failing",
            Self::Disabled => "disabled",
            Self::Recovered => "recovered",
        }
    }

    fn subject(self, name: &str) -> String {
        match self {
            Self::Degraded => format!("Webhook “{name}” is degraded"),
            Self::Failing => format!("Webhook “{name}” is failing"),
            Self::Disabled => format!("Webhook “{name}” was disabled"),
            Self::Recovered => format!("Webhook “{name}” has recovered"),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Degraded => "is degraded: many of its deliveries fail",
            Self::Failing => "is failing: none of its deliveries has succeeded for a day",
            Self::Disabled => "was disabled because its endpoint kept failing",
            Self::Recovered => "has recovered: its deliveries succeed again",
        }
    }

    fn next(self) -> &'static str {
        match self {
            Self::Degraded | Self::Failing => {
                "keyhook keeps retrying each delivery on its schedule; fix the endpoint and they go through. Left failing, the webhook is disabled."
            }
            Self::Disabled => {
                "Nothing is sent to it now; what it misses is kept. Fix the endpoint, then enable it again and choose to send the missed deliveries."
            }
            Self::Recovered => "Nothing to do.",
        }
    }
}

/// Queues the mails the health check's changes call for, and those of webhooks Degraded for
/// long enough; sets each webhook's `health_alerted`. Answers how many mails were queued.
pub fn after_check(
    conn: &mut DbConnection,
    changes: &[Transition],
    settings: &AlertSettings,
    now: i64,
) -> ServiceResult<usize> {
    if !settings.mail {
        return Ok(0);
    }
    let mut queued = 0;
    for change in changes {
        let Some(hook) = Webhook::find(conn, change.webhook_id)? else { continue };
        let alert = match change.to {
            Health::Failing => Some(Alert::Failing),
            // Disabled by a user or the plan: they know.
            Health::Disabled if hook.misses_deliveries() => Some(Alert::Disabled),
            Health::Healthy if hook.health_alerted => Some(Alert::Recovered),
            _ => None,
        };
        if let Some(alert) = alert {
            let alerted = alert != Alert::Recovered;
            diesel::update(hooks::table.find(hook.id)).set(hooks::health_alerted.eq(alerted)).execute(conn)?;
            queued += mail_about(conn, &hook, alert, change.at, settings)?;
        }
    }
    // Degraded for long enough, and not mailed about yet: the update that sets the flag wins it.
    let aged: Vec<Webhook> = hooks::table
        .filter(hooks::deleted_at.is_null())
        .filter(hooks::health.eq(Health::Degraded.as_str()))
        .filter(hooks::health_alerted.eq(false))
        .filter(hooks::health_since.le(now - settings.degraded_after_ms))
        .select(Webhook::as_select())
        .load(conn)?;
    for hook in aged {
        let won = diesel::update(hooks::table.find(hook.id).filter(hooks::health_alerted.eq(false)))
            .set(hooks::health_alerted.eq(true))
            .execute(conn)?;
        if won == 1 {
            queued += mail_about(conn, &hook, Alert::Degraded, hook.health_since.unwrap_or(now), settings)?;
        }
    }
    Ok(queued)
}

/// Tells each changed webhook's workspace system endpoint (`webhook.degraded`, `.failing`,
/// `.disabled`, `.recovered`); nothing about the system endpoint itself. Answers how many.
pub fn announce(conn: &mut DbConnection, changes: &[Transition]) -> ServiceResult<usize> {
    let mut queued = 0;
    for change in changes {
        let Some(hook) = Webhook::find(conn, change.webhook_id)? else { continue };
        let Some(workspace) = Workspace::find(conn, hook.workspace_id)? else { continue };
        let last_error = match change.to {
            Health::Healthy => None,
            _ => Attempt::latest_failure(conn, hook.id)?.and_then(|a| a.failure()).map(|r| r.to_json()),
        };
        let event = SystemEvent::of_health(change.to);
        let data = serde_json::json!({
            "workspaceId": workspace.public_id,
            "webhookId": hook.public_id,
            "webhookName": hook.name,
            "url": hook.url,
            "health": change.to.as_str(),
            "previousHealth": change.from.as_str(),
            "since": crate::dto::iso(change.at),
            "disabledReason": if change.to == Health::Disabled { hook.disabled_reason.clone() } else { None },
            "lastError": last_error,
        });
        let payload = event.payload(&crate::dto::iso(change.at), data);
        queued += usize::from(system_events::queue(conn, hook.workspace_id, hook.id, event, &payload, change.at)?);
    }
    Ok(queued)
}

fn mail_about(
    conn: &mut DbConnection,
    hook: &Webhook,
    alert: Alert,
    since: i64,
    settings: &AlertSettings,
) -> ServiceResult<usize> {
    let Some(workspace) = Workspace::find(conn, hook.workspace_id)? else { return Ok(0) };
    let recipients: Vec<_> = Membership::members_of(conn, hook.workspace_id)?
        .into_iter()
        .filter(|(m, u)| m.is_active() && Role::parse(&m.role).is_ok_and(Role::administers) && u.alert_mails)
        .map(|(_, u)| u)
        .collect();
    let last_error = match alert {
        Alert::Recovered => None,
        _ => Attempt::latest_failure(conn, hook.id)?
            .and_then(|a| a.failure().map(|r| format!("Last error: {r} ({})\n", crate::dto::iso(a.attempted_at)))),
    };
    let link = format!("{}/workspaces/{}/webhooks/{}", settings.base_url, workspace.public_id, hook.public_id);
    let body = format!(
        "The webhook “{name}” of the workspace “{ws}” {what}.\n\n\
         Endpoint: {url}\nEvent: {event}\nSince: {since}\n{last_error}\n{next}\n\n\
         Open it: {link}\n\n\
         You get this mail as an Owner or Admin of “{ws}”. Turn these mails off in Preferences: {base}/preferences\n",
        name = hook.name,
        ws = workspace.name,
        what = alert.what(),
        url = hook.url,
        event = hook.event_type,
        since = crate::dto::iso(since),
        last_error = last_error.unwrap_or_default(),
        next = alert.next(),
        base = settings.base_url,
    );
    let mails = recipients
        .into_iter()
        .map(|user| Outgoing {
            key: format!("alert:{}:{}:{since}:{}", hook.id, alert.key(), user.id),
            to: user.email.clone(),
            subject: alert.subject(&hook.name),
            body: body.clone(),
        })
        .collect();
    mail::queue(conn, mails)
}
