//! The `webhooks` table. Secrets and tokens are stored sealed (see `crypto`).

use diesel::prelude::*;

use super::schema::{attempts, deliveries, webhooks};
use super::DbConnection;
use crate::domain::{DeliveryState, DisabledReason, Health};

/// The reasons a webhook keeps what it misses (see [`Webhook::misses_deliveries`]).
const MISSING_REASONS: [&str; 2] = [DisabledReason::Failing.as_str(), DisabledReason::Gone.as_str()];
// `Webhook::receiving` compares with each reason by index.
const _: () = assert!(MISSING_REASONS.len() == 2);

/// The kind of a webhook a user made; an add-on's are [`ADDON`].
pub const USER_CREATED: &str = "USER_CREATED";
pub const ADDON: &str = "ADDON";
/// A workspace's system endpoint: receives events about keyhook itself (`db::system_events`).
pub const SYSTEM: &str = "SYSTEM";

type Live = diesel::dsl::Filter<webhooks::table, diesel::dsl::IsNull<webhooks::deleted_at>>;

/// The webhooks that are not deleted (a deleted one is kept only for its attempts). Not boxed:
/// a statically typed query is prepared once per connection and cached.
fn live() -> Live {
    webhooks::table.filter(webhooks::deleted_at.is_null())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub url: String,
    pub event_type: String,
    pub trigger_source_type: String,
    pub trigger_source: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub auth_token_sealed: String,
    pub enabled: bool,
    pub plan_enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub create_token: Option<String>,
    /// The last 20 attempts' outcomes, oldest first: `S` succeeded, `F` failed.
    pub recent_outcomes: String,
    pub last_status: Option<String>,
    pub last_attempt_at: Option<i64>,
    /// The add-on installation that made it (kind `ADDON`).
    pub addon_id: Option<i64>,
    /// The stored health state (see `domain::health`) and since when it holds.
    pub health: String,
    pub health_since: Option<i64>,
    /// Whether the current unhealthy spell was mailed about (its recovery is mailed then too).
    pub health_alerted: bool,
}

impl Webhook {
    pub fn is_addon(&self) -> bool {
        self.kind == ADDON
    }

    pub fn is_system(&self) -> bool {
        self.kind == SYSTEM
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub url: &'a str,
    pub event_type: &'a str,
    pub trigger_source_type: &'a str,
    pub trigger_source: &'a str,
    pub secret_sealed: &'a str,
    pub auth_token_sealed: &'a str,
    pub enabled: bool,
    pub plan_enabled: bool,
    pub disabled_reason: Option<&'a str>,
    pub disabled_at: Option<i64>,
    pub kind: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub create_token: Option<&'a str>,
    pub addon_id: Option<i64>,
}

/// The fields a PUT replaces.
#[derive(AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookEdit<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub event_type: &'a str,
    pub trigger_source_type: &'a str,
    pub trigger_source: &'a str,
    pub updated_at: i64,
}

/// Whether a webhook is delivered to, and why not.
#[derive(AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
pub struct WebhookState<'a> {
    pub enabled: bool,
    pub plan_enabled: bool,
    pub disabled_reason: Option<&'a str>,
    pub disabled_at: Option<i64>,
    pub failing_since: Option<i64>,
}

/// A new secret and token; the old secret keeps signing until `previous_secret_until`.
#[derive(AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
pub struct SecretRotation<'a> {
    pub secret_sealed: &'a str,
    pub previous_secret_sealed: Option<&'a str>,
    pub previous_secret_until: Option<i64>,
    pub auth_token_sealed: &'a str,
    pub updated_at: i64,
}

impl Webhook {
    pub fn insert(conn: &mut DbConnection, new: &NewWebhook) -> QueryResult<Webhook> {
        diesel::insert_into(webhooks::table).values(new).returning(webhooks::all_columns).get_result(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Webhook>> {
        webhooks::table.find(id).select(Webhook::as_select()).first(conn).optional()
    }

    /// The webhooks with these ids, deleted ones included (the sender records their attempts).
    pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Webhook>> {
        webhooks::table.filter(webhooks::id.eq_any(ids)).select(Webhook::as_select()).load(conn)
    }

    /// A webhook of the workspace by public id; another workspace's is not found.
    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<Webhook>> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::public_id.eq(public_id))
            .select(Webhook::as_select())
            .first(conn)
            .optional()
    }

    /// The workspace's webhooks, by event then name (as the Webhooks page lists them); its
    /// system endpoint is not one of them (Workspace settings has it).
    pub fn of_workspace(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<Webhook>> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::kind.ne(SYSTEM))
            .order((webhooks::event_type.asc(), webhooks::name.asc(), webhooks::id.asc()))
            .select(Webhook::as_select())
            .load(conn)
    }

    /// The webhooks that receive `event_type` in the workspace now, and those that miss it
    /// while disabled by failures (their deliveries wait as MISSED for a replay).
    pub fn receiving(conn: &mut DbConnection, workspace_id: i64, event_type: &str) -> QueryResult<Vec<Webhook>> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::event_type.eq(event_type))
            .filter(webhooks::plan_enabled.eq(true))
            // Two comparisons, not `eq_any`: SQLite prepares an `IN (...)` list again on every
            // run (diesel does not cache it), and this runs for every event (harness on SQLite:
            // a tenth of the server's CPU went to preparing it).
            .filter(
                webhooks::enabled
                    .eq(true)
                    .or(webhooks::disabled_reason.eq(MISSING_REASONS[0]))
                    .or(webhooks::disabled_reason.eq(MISSING_REASONS[1])),
            )
            .select(Webhook::as_select())
            .load(conn)
    }

    /// Whether it is off because its endpoint failed (by failures or 410): what it misses then
    /// is kept to be replayed.
    pub fn misses_deliveries(&self) -> bool {
        !self.enabled
            && self.plan_enabled
            && self.disabled_reason.as_deref().is_some_and(|r| MISSING_REASONS.contains(&r))
    }

    /// The webhooks of these add-on installations, by event.
    pub fn of_addons(conn: &mut DbConnection, addon_ids: &[i64]) -> QueryResult<Vec<Webhook>> {
        live()
            .filter(webhooks::addon_id.eq_any(addon_ids))
            .order((webhooks::event_type.asc(), webhooks::id.asc()))
            .select(Webhook::as_select())
            .load(conn)
    }

    /// Webhooks users created in the workspace (add-ons' do not count against the plan's limits).
    pub fn count_in(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<i64> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::kind.eq(USER_CREATED))
            .count()
            .get_result(conn)
    }

    /// Live webhooks of every workspace by state (`/metrics`): `enabled`, or the reason they
    /// are off (`disabled_plan`, `disabled_failing`, `disabled_gone`, `disabled_user`).
    pub fn count_by_state(conn: &mut DbConnection) -> QueryResult<Vec<(&'static str, i64)>> {
        let rows: Vec<(bool, bool, Option<String>, i64)> = live()
            .group_by((webhooks::enabled, webhooks::plan_enabled, webhooks::disabled_reason))
            .select((webhooks::enabled, webhooks::plan_enabled, webhooks::disabled_reason, diesel::dsl::count_star()))
            .load(conn)?;
        let mut counts: Vec<(&'static str, i64)> =
            ["enabled", "disabled_plan", "disabled_failing", "disabled_gone", "disabled_user"]
                .into_iter()
                .map(|state| (state, 0))
                .collect();
        for (enabled, plan_enabled, reason, n) in rows {
            let state = match (enabled && plan_enabled, reason.as_deref()) {
                (true, _) => "enabled",
                (false, Some("PLAN")) => "disabled_plan",
                (false, Some("FAILING")) => "disabled_failing",
                (false, Some("GONE")) => "disabled_gone",
                (false, _) => "disabled_user",
            };
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 += n;
            }
        }
        Ok(counts)
    }

    /// Live webhooks of every workspace by stored health (`/metrics`), lowercase, each health
    /// named even when none has it.
    pub fn count_by_health(conn: &mut DbConnection) -> QueryResult<Vec<(&'static str, i64)>> {
        let rows: Vec<(String, i64)> =
            live().group_by(webhooks::health).select((webhooks::health, diesel::dsl::count_star())).load(conn)?;
        Ok(Health::ALL
            .into_iter()
            .map(|health| {
                let n = rows.iter().filter(|(h, _)| Health::of_stored(h) == health).map(|(_, n)| n).sum();
                (health.label_lowercase(), n)
            })
            .collect())
    }

    /// Every live webhook of the workspace, users' and add-ons' alike.
    pub fn count_all_in(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<i64> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::kind.ne(SYSTEM))
            .count()
            .get_result(conn)
    }

    pub fn count_by_user(conn: &mut DbConnection, workspace_id: i64, user_id: i64) -> QueryResult<i64> {
        live()
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::kind.eq(USER_CREATED))
            .filter(webhooks::user_id.eq(user_id))
            .count()
            .get_result(conn)
    }

    pub fn edit(conn: &mut DbConnection, id: i64, edit: &WebhookEdit) -> QueryResult<()> {
        diesel::update(webhooks::table.find(id)).set(edit).execute(conn).map(drop)
    }

    pub fn set_state(conn: &mut DbConnection, id: i64, state: &WebhookState) -> QueryResult<()> {
        diesel::update(webhooks::table.find(id)).set(state).execute(conn).map(drop)
    }

    pub fn rotate(conn: &mut DbConnection, id: i64, rotation: &SecretRotation) -> QueryResult<()> {
        diesel::update(webhooks::table.find(id)).set(rotation).execute(conn).map(drop)
    }

    /// Notes an attempt for the list: its outcome joins the last 20, and it becomes the latest.
    /// Appends these outcomes (`S`/`F`, oldest first) to the webhook's last 20 and keeps the
    /// latest status and time.
    pub fn note_attempts(conn: &mut DbConnection, id: i64, outcomes: &str, status: &str, at: i64) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Text};
        // Keep the last 20 characters: `right` on PostgreSQL, a negative start on SQLite.
        let kept = match conn {
            DbConnection::Postgresql(_) => "right(recent_outcomes || $1, 20)",
            DbConnection::Sqlite(_) => "substr(recent_outcomes || $1, -20)",
        };
        // Placeholders appear in numeric order: SQLite numbers `$N` by first appearance.
        diesel::sql_query(format!(
            "UPDATE webhooks SET recent_outcomes = {kept}, last_status = $2, last_attempt_at = $3 WHERE id = $4"
        ))
        .bind::<Text, _>(outcomes)
        .bind::<Text, _>(status)
        .bind::<BigInt, _>(at)
        .bind::<BigInt, _>(id)
        .execute(conn)
        .map(drop)
    }

    /// The webhook made by the create form with this one-time token, if it was posted before.
    pub fn created_by_form(conn: &mut DbConnection, workspace_id: i64, token: &str) -> QueryResult<Option<Webhook>> {
        webhooks::table
            .filter(webhooks::workspace_id.eq(workspace_id))
            .filter(webhooks::create_token.eq(token))
            .select(Webhook::as_select())
            .first(conn)
            .optional()
    }

    /// Deletes a webhook: it stops at once and its pending deliveries are cancelled, but the
    /// row stays (hidden) while attempts refer to it, for the audit; see [`Webhook::purge`].
    pub fn delete(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<()> {
        diesel::update(webhooks::table.find(id))
            .set((webhooks::deleted_at.eq(now), webhooks::enabled.eq(false)))
            .execute(conn)?;
        diesel::update(
            deliveries::table
                .filter(deliveries::webhook_id.eq(id))
                .filter(deliveries::state.eq(DeliveryState::Pending.as_str())),
        )
        .set((deliveries::state.eq(DeliveryState::Cancelled.as_str()), deliveries::next_attempt_at.eq(None::<i64>)))
        .execute(conn)
        .map(drop)
    }

    /// The ids of every webhook not deleted.
    pub fn live_ids(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
        webhooks::table.filter(webhooks::deleted_at.is_null()).select(webhooks::id).load(conn)
    }

    /// Removes deleted webhooks (with their deliveries) once retention has taken their last attempt.
    pub fn purge(conn: &mut DbConnection) -> QueryResult<usize> {
        let has_attempts = attempts::table.filter(attempts::webhook_id.eq(webhooks::id)).select(attempts::id);
        diesel::delete(
            webhooks::table
                .filter(webhooks::deleted_at.is_not_null())
                .filter(diesel::dsl::not(diesel::dsl::exists(has_attempts))),
        )
        .execute(conn)
    }
}
