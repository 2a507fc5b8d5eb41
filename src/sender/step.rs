//! One batch of the sender: claim due deliveries (with a lease), and send each in its own
//! task within the global and per-webhook bounds. A delivery whose webhook is at its bound is
//! given back at once, so a slow endpoint never holds others' deliveries.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Semaphore;

use super::http::{self, Outgoing};
use super::network_policy::NetworkPolicy;
use super::record::{self, Policy};
use crate::crypto::SecretBox;
use crate::db::deliveries::{AfterAttempt, Delivery};
use crate::db::webhooks::Webhook;
use crate::db::Db;
use crate::domain::SigningSecret;
use crate::metrics::Metrics;
use crate::services::{now_ms, webhooks, ServiceError};

/// How the sender behaves (from the settings).
#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub schedule: Vec<Duration>,
    pub timeout: Duration,
    pub auto_disable_after: Duration,
    pub concurrency: usize,
    pub per_webhook: usize,
    pub batch: i64,
    pub poll: Duration,
    pub retention: Duration,
}

pub struct Sender {
    pub db: Db,
    pub secrets: SecretBox,
    pub policy: Arc<NetworkPolicy>,
    pub config: SenderConfig,
    client: reqwest::Client,
    global: Arc<Semaphore>,
    per_webhook: Mutex<HashMap<i64, Slot>>,
    /// Woken when a send finishes, so the loop can claim what it could not take before.
    pub finished: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
    /// Deliveries this sender has claimed and not yet recorded.
    held: Mutex<HashSet<i64>>,
    /// Set at shutdown: sends not yet started are not started.
    stopping: AtomicBool,
}

/// One webhook's bound on sends in flight, and how many of its deliveries this sender holds.
#[derive(Clone)]
struct Slot {
    sending: Arc<Semaphore>,
    claimed: Arc<AtomicUsize>,
}

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub claimed: usize,
}

impl Sender {
    pub fn new(
        db: Db,
        secrets: SecretBox,
        policy: NetworkPolicy,
        config: SenderConfig,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let policy = Arc::new(policy);
        Ok(Self {
            client: http::client(policy.clone(), config.timeout)?,
            global: Arc::new(Semaphore::new(config.concurrency.max(1))),
            per_webhook: Mutex::new(HashMap::new()),
            finished: Arc::new(tokio::sync::Notify::new()),
            metrics,
            held: Mutex::new(HashSet::new()),
            stopping: AtomicBool::new(false),
            db,
            secrets,
            policy,
            config,
        })
    }

    /// A claimed delivery waits behind at most one round of its webhook's sends before its
    /// own, so a lease of two send timeouts (and time to record) outlives it; an expired lease
    /// means its sender is gone.
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.timeout.as_millis()).unwrap_or(15_000) * 2 + 5_000
    }

    /// The webhook's bound on sends in flight, and its count of claimed deliveries here.
    fn slot(&self, webhook_id: i64) -> Slot {
        let mut slots = self.per_webhook.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry(webhook_id)
            .or_insert_with(|| Slot {
                sending: Arc::new(Semaphore::new(self.config.per_webhook.max(1))),
                claimed: Arc::new(AtomicUsize::new(0)),
            })
            .clone()
    }

    /// Claims due deliveries webhook by webhook, each up to twice its bound (the rest wait in
    /// the database, unleased, for any instance), and starts sending them; returns without
    /// waiting for the sends.
    pub async fn deliver_due(self: &Arc<Self>) -> anyhow::Result<Batch> {
        let now = now_ms();
        let lease = now + self.lease_ms();
        let room = usize::try_from(self.config.batch).unwrap_or(100);
        let per_webhook = self.config.per_webhook.max(1) * 2;
        let sender = self.clone();
        let claimed: Vec<Delivery> = self
            .db
            .write(move |conn| -> Result<_, ServiceError> {
                let mut claimed = Vec::new();
                for webhook in Delivery::due_webhooks(conn, now, 64)? {
                    let left = room.saturating_sub(claimed.len());
                    let free = per_webhook.saturating_sub(sender.slot(webhook).claimed.load(Ordering::SeqCst));
                    let take = free.min(left);
                    if take > 0 {
                        claimed.extend(Delivery::claim_due(conn, webhook, now, lease, take as i64)?);
                    }
                }
                Ok(claimed)
            })
            .await
            .context("claiming deliveries")?;
        let batch = Batch { claimed: claimed.len() };
        self.held.lock().unwrap_or_else(|p| p.into_inner()).extend(claimed.iter().map(|d| d.id));
        for delivery in claimed {
            let slot = self.slot(delivery.webhook_id);
            slot.claimed.fetch_add(1, Ordering::SeqCst);
            let sender = self.clone();
            tokio::spawn(async move {
                // Both bounds are waited for here, not while claiming: a slow webhook's
                // deliveries queue behind its own sends only.
                let sending = slot.sending.clone().acquire_owned().await;
                let permit = sender.global.clone().acquire_owned().await;
                if let (Ok(_sending), Ok(_permit)) = (sending, permit) {
                    if !sender.stopping.load(Ordering::SeqCst) {
                        if let Err(e) = sender.send_one(&delivery).await {
                            tracing::error!(error = ?e, delivery = delivery.id, "a delivery attempt could not be recorded");
                        }
                        sender.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&delivery.id);
                    }
                }
                slot.claimed.fetch_sub(1, Ordering::SeqCst);
                sender.finished.notify_one();
            });
        }
        Ok(batch)
    }

    /// Starts no new send from now on (sends in flight go on).
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Gives back every delivery claimed here and not sent, so another instance (or the next
    /// start) takes it at once instead of after its lease.
    pub async fn release_held(&self) -> anyhow::Result<usize> {
        let ids: Vec<i64> = self.held.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(self.db.write(move |conn| -> Result<_, ServiceError> { Ok(Delivery::release(conn, &ids)?) }).await?)
    }

    /// Resolves once no send is in flight (all `permits` are back).
    pub async fn global_idle(&self, permits: u32) {
        let _ = self.global.acquire_many(permits).await;
    }

    /// When the next delivery falls due, if any is waiting.
    pub async fn next_due(&self) -> anyhow::Result<Option<i64>> {
        Ok(self.db.read(|conn| -> Result<_, ServiceError> { Ok(Delivery::next_due(conn)?) }).await?)
    }

    /// Sends one delivery and records the attempt.
    async fn send_one(&self, delivery: &Delivery) -> anyhow::Result<()> {
        let (webhook_id, event_id) = (delivery.webhook_id, delivery.event_id);
        let loaded = self
            .db
            .read(move |conn| -> Result<_, ServiceError> {
                Ok((Webhook::find(conn, webhook_id)?, webhooks::event(conn, event_id)?))
            })
            .await?;
        let (Some(webhook), Some(event)) = loaded else {
            return Ok(()); // deleted since: its deliveries went with it
        };
        let id = delivery.id;
        if delivery.trigger == "EVENT" && !(webhook.enabled && webhook.plan_enabled) {
            // A disabled webhook's queued events are dropped; re-enabling replays nothing.
            let cancel = AfterAttempt {
                state: "CANCELLED",
                attempts: delivery.attempts,
                next_attempt_at: None,
                lease_until: None,
            };
            self.db.write(move |conn| -> Result<(), ServiceError> { Ok(Delivery::record(conn, id, &cancel)?) }).await?;
            return Ok(());
        }
        let now = now_ms();
        let mut secrets =
            vec![SigningSecret::parse(&self.secrets.open(&webhook.secret_sealed)?).map_err(anyhow::Error::msg)?];
        if let (Some(old), Some(until)) = (&webhook.previous_secret_sealed, webhook.previous_secret_until) {
            if until > now {
                secrets.push(SigningSecret::parse(&self.secrets.open(old)?).map_err(anyhow::Error::msg)?);
            }
        }
        let auth_token = self.secrets.open(&webhook.auth_token_sealed)?;
        let outcome = http::send(
            &self.client,
            &self.policy,
            &Outgoing {
                url: &webhook.url,
                message_id: &delivery.message_id,
                event_type: &event.event_type,
                body: &event.payload,
                secrets: &secrets,
                auth_token: Some(&auth_token),
                timestamp: now / 1000,
            },
        )
        .await;
        self.metrics.attempt(outcome.succeeded(), outcome.duration);
        let (delivery, config) = (delivery.clone(), self.config.clone());
        self.db
            .write(move |conn| {
                let policy = Policy { schedule: &config.schedule, auto_disable_after: config.auto_disable_after };
                record::record(conn, &delivery, &webhook, &event.payload, &outcome, now, &policy)
            })
            .await?;
        Ok(())
    }

    /// Deletes attempts older than the retention, a batch at a time (short transactions).
    pub async fn prune(&self) -> anyhow::Result<usize> {
        let before = now_ms() - i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        let mut total = 0;
        loop {
            let removed = self
                .db
                .write(move |conn| -> Result<_, ServiceError> {
                    Ok(crate::db::attempts::Attempt::prune(conn, before, 1000)?)
                })
                .await?;
            total += removed;
            if removed < 1000 {
                // Deleted webhooks go with their last attempt; idempotency keys after their window.
                let keys_before = now_ms() - crate::services::publish::IDEMPOTENCY_WINDOW_MS;
                self.db
                    .write(move |conn| -> Result<_, ServiceError> {
                        Webhook::purge(conn)?;
                        Ok(crate::db::idempotency_keys::IdempotencyKey::prune(conn, keys_before)?)
                    })
                    .await?;
                return Ok(total);
            }
        }
    }
}
