//! What every request handler shares.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::sync::Arc;

use crate::api::ApiState;
use crate::config::{PublicUrl, SecretText, Settings};
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::outbound::network_policy::NetworkPolicy;
use crate::services::accounts;
use crate::services::addons::Reach;
use crate::services::login_throttle::LoginThrottle;
use crate::services::ServiceError;
use crate::web::session::Sessions;

pub struct AppState {
    pub db: Db,
    pub throttle: LoginThrottle,
    /// Verified sessions of the pages (a short cache, ended at once on this instance).
    pub sessions: Sessions,
    pub api: ApiState,
    /// Seals and opens webhook secrets.
    pub secrets: SecretBox,
    /// Where webhooks may point (the SSRF guard).
    pub network: Arc<NetworkPolicy>,
    /// Reaches add-ons (lifecycle requests) through the SSRF guard, as the sender reaches webhooks.
    pub outbound: reqwest::Client,
    /// Mail is configured: this wakes the mail sender after a service queued a mail (`None`:
    /// no mail; pages say so).
    pub mail: Option<Arc<tokio::sync::Notify>>,
    /// Asks for password links per client address.
    pub reset_throttle: crate::services::password_resets::AddressThrottle,
    /// Wakes the health check (a webhook was enabled or disabled by hand: its health follows at once).
    pub health_check: Arc<tokio::sync::Notify>,
    /// The health ladder's thresholds (the Details banner says what comes next and when).
    pub health_rules: crate::domain::HealthRules,
    /// Attempts an event's delivery gets at most (the first and each retry of the schedule).
    pub max_attempts: usize,
    /// `outbound`'s time limit.
    pub outbound_timeout: Duration,
    /// The sender's sign of life, read by `/readyz`.
    pub pulse: Arc<crate::health::Pulse>,
    /// Attempt counters the sender keeps; read by `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Each webhook's circuit breaker on this instance: the sender moves them, pages show them.
    pub circuits: Arc<crate::circuits::Circuits>,
    /// Where users reach keyhook: the base of every link it builds.
    pub public_url: PublicUrl,
    /// What `/metrics` requires, if it is on.
    pub metrics_token: Option<SecretText>,
    /// How long a rotated-out signing secret keeps signing, unless the request says otherwise.
    pub signing_grace_ms: i64,
    /// Set once an account exists; from then on nobody is sent to `/setup` again, and the
    /// question is never asked of the database again.
    set_up: AtomicBool,
}

impl AppState {
    pub fn new(
        db: Db,
        settings: &Settings,
        secrets: SecretBox,
        network: Arc<NetworkPolicy>,
        metrics: Arc<Metrics>,
        bound: std::net::SocketAddr,
        pulse: Arc<crate::health::Pulse>,
    ) -> anyhow::Result<Self> {
        let signing_grace_ms = i64::try_from(settings.signing_grace.0.as_millis()).unwrap_or(i64::MAX);
        if signing_grace_ms > crate::services::webhooks::MAX_SIGNING_GRACE_MS {
            anyhow::bail!("KEYHOOK_SIGNING_GRACE: use at most 30d");
        }
        Ok(Self {
            outbound: crate::outbound::http::client(
                network.clone(),
                settings.send_timeout.0,
                settings.extra_ca_file.as_ref(),
            )?,
            outbound_timeout: settings.send_timeout.0,
            max_attempts: settings.retry_schedule.0.len() + 1,
            health_rules: settings.health_rules(),
            mail: None,
            health_check: Arc::default(),
            reset_throttle: Default::default(),
            metrics,
            circuits: Arc::new(crate::circuits::Circuits::new(settings.sender_per_webhook)),
            pulse,
            secrets,
            network,
            signing_grace_ms,
            public_url: settings
                .public_url
                .clone()
                .unwrap_or_else(|| PublicUrl::of_bind(bound, settings.secure_cookies)),
            metrics_token: settings.metrics_token.clone(),
            api: ApiState::new(settings.api_rate_limit, &db),
            db,
            throttle: LoginThrottle::new(
                settings.login_max_failures,
                settings.login_max_failures_per_address,
                Duration::from_secs(settings.login_lockout_secs),
            ),
            sessions: Sessions::new(),
            set_up: AtomicBool::new(false),
        })
    }

    /// What installing and uninstalling add-ons needs.
    pub fn reach(&self) -> Reach<'_> {
        Reach {
            db: &self.db,
            secrets: &self.secrets,
            network: &self.network,
            client: &self.outbound,
            timeout: self.outbound_timeout,
        }
    }

    /// Whether keyhook still waits for its first account.
    pub async fn needs_setup(&self) -> Result<bool, ServiceError> {
        if self.set_up.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let set_up = self.db.read(accounts::is_set_up).await?;
        if set_up {
            self.mark_set_up();
        }
        Ok(!set_up)
    }

    /// Runs a small write off the request's path (a "last used" time): a failure is logged,
    /// never answered.
    pub fn write_later<F>(state: &actix_web::web::Data<Self>, what: &'static str, f: F)
    where
        F: FnOnce(&mut crate::db::DbConnection) -> Result<(), ServiceError> + Send + 'static,
    {
        let state = state.clone();
        actix_web::rt::spawn(async move {
            if let Err(e) = state.db.write(f).await {
                tracing::warn!(error = %e, "cannot record {what}");
            }
        });
    }

    pub fn mark_set_up(&self) {
        self.set_up.store(true, Ordering::Relaxed);
    }
}
