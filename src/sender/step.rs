//! The sender's sends: jobs come handed off as their transactions commit (see `db::outbox`) or
//! claimed by the poll (due retries, tests, resends, and whatever was not handed off); each is
//! sent in its own task within the global bound and its webhook's paced one (`gate`), and its
//! attempt is stored by the recorder. A delivery whose webhook is at its bound waits for its
//! turn in memory; the poll claims at most the webhook's claim cap (`Pace::claim_cap`), so a
//! slow endpoint never holds others' deliveries.
//!
//! The global bound counts requests that are working, not requests waiting on their peer: a
//! request still unanswered after [`SLOW_AFTER`] trades its sending slot for a waiting one
//! ([`WAITING_PER_SENDING`] of them per sending slot), so endpoints that hang cannot take the
//! slots healthy deliveries need, and the sockets held stay bounded.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::gate::{Gate, Pass, Turns};
use super::record::{Attempted, Policy};
use super::recorder::{self, Handed, Recording};
use crate::circuits::Circuits;
use crate::clock::{now_ms, Clock};
use crate::crypto::SecretBox;
use crate::db::attempts::Attempt;
use crate::db::deliveries::{AfterAttempt, Delivery};
use crate::db::events::Event;
use crate::db::idempotency_keys::IdempotencyKey;
use crate::db::outbox::{Inbox, Job};
use crate::db::webhooks::Webhook;
use crate::db::Db;
use crate::domain::circuit::{Admission, Circuit, Ended};
use crate::domain::pace::Answer;
use crate::domain::{DeliveryState, SigningSecret, Trigger};
use crate::metrics::Metrics;
use crate::outbound::http::{self, Outgoing};
use crate::outbound::network_policy::NetworkPolicy;
use crate::outbound::trust::ExtraRoots;

/// How long a request may wait for its answer while holding a sending slot.
pub const SLOW_AFTER: Duration = Duration::from_millis(200);
/// Requests waiting on a slow peer, per sending slot: with the default 64 slots, at most 320
/// requests are in flight in all, 64 of them younger than [`SLOW_AFTER`].
pub const WAITING_PER_SENDING: usize = 4;

/// How far ahead of its due time the poll claims a delivery; its task then waits for the due
/// time itself, so the claim's own time (a transaction, and the reads after it) is not added to
/// a retry's lateness.
pub const CLAIM_AHEAD_MS: i64 = 200;

/// How the sender behaves (from the settings).
#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub schedule: Vec<Duration>,
    pub timeout: Duration,
    pub auto_disable_after: Duration,
    pub concurrency: usize,
    pub batch: i64,
    pub poll: Duration,
    pub retention: Duration,
    /// The sender's time (`Clock::real`, except in tests that drive the sender).
    pub clock: Clock,
    /// Nudged when recorded attempts may have moved a webhook's health.
    pub health_check: Arc<tokio::sync::Notify>,
    /// Certificate authorities trusted besides the system's.
    pub extra_roots: Option<ExtraRoots>,
}

pub struct Sender {
    pub db: Db,
    pub secrets: SecretBox,
    pub policy: Arc<NetworkPolicy>,
    pub config: SenderConfig,
    client: reqwest::Client,
    global: Arc<Semaphore>,
    /// Slots for requests past [`SLOW_AFTER`], waiting on their peer.
    waiting: Arc<Semaphore>,
    per_webhook: Mutex<HashMap<i64, Slot>>,
    /// Each webhook's circuit breaker, as this instance has seen its endpoint.
    circuits: Arc<Circuits>,
    /// Woken when a claimed delivery's send finishes, so the poll can claim what it could not take before.
    pub finished: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
    /// Deliveries this sender has taken and not yet recorded.
    held: Mutex<HashSet<i64>>,
    /// Send tasks alive (waiting, sending or recording).
    tasks: AtomicUsize,
    /// Set at shutdown: sends not yet started are not started.
    stopping: AtomicBool,
    inbox: Arc<Inbox>,
    recordings: UnboundedSender<Recording>,
    /// Taken by the worker when it starts the recorder.
    recorder_queue: Mutex<Option<UnboundedReceiver<Recording>>>,
}

/// One webhook's way in (its turns and its paced bound on sends in flight), and how many of
/// its deliveries this sender holds.
#[derive(Clone)]
struct Slot {
    gate: Arc<Gate>,
    claimed: Arc<AtomicUsize>,
    turns: Arc<Turns>,
}

/// The tables the retention job prunes in batches.
#[derive(Debug, Clone, Copy)]
enum Table {
    Attempts,
    Events,
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub claimed: usize,
    /// The instant it claimed what was due by (Unix ms): what falls due later is for the timer.
    pub at: i64,
}

impl Sender {
    pub fn new(
        db: Db,
        secrets: SecretBox,
        policy: NetworkPolicy,
        config: SenderConfig,
        metrics: Arc<Metrics>,
        circuits: Arc<Circuits>,
    ) -> anyhow::Result<Self> {
        let policy = Arc::new(policy);
        let (recordings, queue) = unbounded_channel();
        Ok(Self {
            client: http::client(policy.clone(), config.timeout, config.extra_roots.as_ref())?,
            global: Arc::new(Semaphore::new(config.concurrency.max(1))),
            waiting: Arc::new(Semaphore::new(config.concurrency.max(1) * WAITING_PER_SENDING)),
            per_webhook: Mutex::new(HashMap::new()),
            circuits,
            finished: Arc::new(tokio::sync::Notify::new()),
            metrics,
            held: Mutex::new(HashSet::new()),
            tasks: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            inbox: db.inbox(),
            recordings,
            recorder_queue: Mutex::new(Some(queue)),
            db,
            secrets,
            policy,
            config,
        })
    }

    /// A claimed delivery waits behind at most one round of its webhook's sends before its
    /// own (more only while its endpoint answers quickly, see `Pace::claim_cap`), so a lease of
    /// two send timeouts (and time to record) outlives it; one that waited longer anyway is
    /// given back unsent. An expired lease means its sender is gone.
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.timeout.as_millis()).unwrap_or(15_000) * 2 + 5_000
    }

    /// How long a send may take, recording included: what must be left of a lease to start one.
    fn send_window_ms(&self) -> i64 {
        i64::try_from(self.config.timeout.as_millis()).unwrap_or(15_000) + 5_000
    }

    /// Starts taking handed-off deliveries: answers their queue.
    pub fn attach(&self) -> UnboundedReceiver<Job> {
        self.inbox.attach(self.lease_ms(), self.config.clock.clone())
    }

    /// Stops taking handed-off deliveries (those already queued are still taken).
    pub fn detach(&self) {
        self.inbox.detach();
    }

    /// The recorder's task (once): stores the attempts the sends hand it.
    pub fn recorder(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let queue = self.recorder_queue.lock().unwrap_or_else(|p| p.into_inner()).take()?;
        let policy = Policy {
            schedule: self.config.schedule.clone(),
            auto_disable_after: self.config.auto_disable_after,
            health_check: self.config.health_check.clone(),
        };
        Some(recorder::run(self.db.clone(), policy, queue, self.db.sender_wakeup()))
    }

    /// The webhook's bound on sends in flight, and its count of claimed deliveries here.
    fn slot(&self, webhook_id: i64) -> Slot {
        let mut slots = self.per_webhook.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry(webhook_id)
            .or_insert_with(|| Slot {
                gate: Arc::new(Gate::default()),
                claimed: Arc::new(AtomicUsize::new(0)),
                turns: Arc::new(Turns::default()),
            })
            .clone()
    }

    /// The poll: claims due deliveries webhook by webhook, each up to its claim cap (twice its
    /// bound, more while it answers quickly; the rest wait in the database, unleased, for any
    /// instance), reads their webhooks and events
    /// at once, and starts sending them; returns without waiting for the sends.
    pub async fn deliver_due(self: &Arc<Self>) -> anyhow::Result<Batch> {
        let now = self.config.clock.now_ms() + CLAIM_AHEAD_MS;
        let lease = now + self.lease_ms();
        let room = usize::try_from(self.config.batch).unwrap_or(100);
        // Webhooks whose circuit is open and not due a probe: their deliveries stay in the database.
        let blocked = self.circuits.blocked(now - CLAIM_AHEAD_MS);
        // Which webhooks have due work is read first, outside the write: on SQLite a write
        // holds the one writer's lock, and the look over every webhook held it for each poll
        // (a few a second while open circuits are probed) with the API's commits queued behind.
        // A webhook claimed elsewhere meanwhile only makes its claim take fewer.
        let due = self
            .db
            .read(move |conn| -> anyhow::Result<_> { Ok(Delivery::due_webhooks(conn, now, 64, &blocked)?) })
            .await
            .context("looking for due deliveries")?;
        if due.is_empty() {
            return Ok(Batch { claimed: 0, at: now });
        }
        let sender = self.clone();
        let mut claimed: Vec<Delivery> = self
            .db
            .write(move |conn| -> anyhow::Result<_> {
                let mut takes = Vec::new();
                for webhook in due {
                    let cap = sender.circuits.claim_cap(webhook);
                    let free = cap.saturating_sub(sender.slot(webhook).claimed.load(Ordering::SeqCst));
                    // An open circuit due a probe gets one delivery: the probe.
                    let take = if sender.circuits.get(webhook).is_open() { free.min(1) } else { free };
                    if take > 0 {
                        takes.push((webhook, take as i64));
                    }
                }
                Ok(Delivery::claim_due_each(conn, &takes, now, lease, room as i64)?)
            })
            .await
            .context("claiming deliveries")?;
        // RETURNING answers rows in no set order; they are dispatched (and so sent) in due order.
        claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
        let batch = Batch { claimed: claimed.len(), at: now };
        if claimed.is_empty() {
            return Ok(batch);
        }
        let mut hook_ids: Vec<i64> = claimed.iter().map(|d| d.webhook_id).collect();
        let mut event_ids: Vec<i64> = claimed.iter().map(|d| d.event_id).collect();
        hook_ids.sort_unstable();
        hook_ids.dedup();
        event_ids.sort_unstable();
        event_ids.dedup();
        let (hooks, events) = self
            .db
            .read(move |conn| -> anyhow::Result<_> {
                Ok((Webhook::find_many(conn, &hook_ids)?, Event::find_many(conn, &event_ids)?))
            })
            .await
            .context("reading claimed deliveries")?;
        let hooks: HashMap<i64, Arc<Webhook>> = hooks.into_iter().map(|w| (w.id, Arc::new(w))).collect();
        let events: HashMap<i64, (Arc<str>, Arc<str>)> =
            events.into_iter().map(|e| (e.id, (e.event_type.into(), e.payload.into()))).collect();
        for delivery in claimed {
            // A webhook or event deleted since: its deliveries went with it.
            let (Some(webhook), Some((event_type, payload))) =
                (hooks.get(&delivery.webhook_id), events.get(&delivery.event_id))
            else {
                continue;
            };
            let job =
                Job { delivery, webhook: webhook.clone(), event_type: event_type.clone(), payload: payload.clone() };
            self.dispatch(job, false);
        }
        Ok(batch)
    }

    /// Sends a job in a task of its own, once its webhook's and the global bounds allow.
    pub fn dispatch(self: &Arc<Self>, job: Job, handed_off: bool) {
        let (id, webhook_id) = (job.delivery.id, job.webhook.id);
        self.held.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        self.tasks.fetch_add(1, Ordering::SeqCst);
        let slot = self.slot(webhook_id);
        if !handed_off {
            slot.claimed.fetch_add(1, Ordering::SeqCst);
        }
        let ticket = slot.turns.ticket();
        let due_in = job.delivery.next_attempt_at.map_or(0, |due| due - self.config.clock.now_ms());
        tokio::spawn(self.clone().run_job(job, handed_off, slot, ticket, due_in));
    }

    /// One job's task: its due time, its turn, its webhook's gate and circuit, then the attempt.
    async fn run_job(self: Arc<Self>, job: Job, handed_off: bool, slot: Slot, ticket: u64, due_in: i64) {
        let (id, webhook_id, bytes) = (job.delivery.id, job.webhook.id, job.bytes());
        // Claimed ahead of its due time (at most CLAIM_AHEAD_MS); later tickets are due later.
        if due_in > 0 {
            tokio::time::sleep(Duration::from_millis(due_in.unsigned_abs())).await;
        }
        // Both bounds are waited for here: a slow webhook's deliveries queue behind its own sends only.
        slot.turns.wait(ticket).await;
        let endpoint = slot.gate.enter(|| self.circuits.limit(webhook_id)).await;
        slot.turns.pass();
        match self.admit(webhook_id) {
            // Its circuit is open: the delivery waits in the database, unattempted, until a
            // probe succeeds (the poll then claims it in its turn).
            Admission::Wait => self.give_back(id).await,
            Admission::Send => self.attempt(&job, endpoint, false).await,
            Admission::Probe => {
                self.attempt(&job, endpoint, true).await;
                // A probe whose send counted has closed or re-timed its circuit; one that sent
                // nothing must not keep the circuit waiting for it.
                self.circuits.update(webhook_id, Circuit::probe_over);
            }
        }
        self.finished_task(handed_off, webhook_id, bytes, &slot);
    }

    /// Makes the job's attempt once a sending slot is free, unless the sender is stopping (the
    /// delivery is then given back with the others it holds) or its lease is nearly spent: a
    /// poll may claim it (here or in another instance) while it is being sent, so it is given
    /// back for the poll to claim afresh.
    async fn attempt(&self, job: &Job, endpoint: Pass, probe: bool) {
        let id = job.delivery.id;
        let Ok(permit) = self.global.clone().acquire_owned().await else { return };
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let needed = self.config.clock.now_ms() + self.send_window_ms();
        if job.delivery.lease_until.is_some_and(|until| until <= needed) {
            self.give_back(id).await;
            return;
        }
        if let Err(e) = self.send_one(job, endpoint, permit, probe).await {
            tracing::error!(error = ?e, delivery = id, "a delivery attempt could not be made");
        }
        self.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }

    /// A send task's end: its hand-off or claim is counted off, and the poll may look again.
    fn finished_task(&self, handed_off: bool, webhook_id: i64, bytes: usize, slot: &Slot) {
        if handed_off {
            self.inbox.done(webhook_id, bytes);
        } else {
            slot.claimed.fetch_sub(1, Ordering::SeqCst);
            // Its webhook may have more to claim now, unless its circuit is open (a failed
            // probe: nothing is claimable before the next; a probe that closed it woke the
            // poll already). 150 failing endpoints' probes woke a poll each for nothing.
            if !self.circuits.get(webhook_id).is_open() {
                self.finished.notify_one();
            }
        }
        self.tasks.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether a send to this webhook may start now (an open circuit admits one probe).
    fn admit(&self, webhook_id: i64) -> Admission {
        self.circuits.update(webhook_id, |c| c.admit(self.config.clock.now_ms()))
    }

    /// Counts an attempt's outcome in its webhook's circuit and pace; a circuit that closes
    /// wakes the poll, which then claims the webhook's waiting deliveries.
    fn count(&self, webhook_id: i64, outcome: &http::Outcome, probe: bool) {
        let ms = u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX);
        let (ended, answer) = match outcome.error_class {
            None => (Ended::Success, Answer::After { ms }),
            Some("timeout") => (Ended::Timeout, Answer::TimedOut { ms }),
            Some(_) => (Ended::Failure, Answer::After { ms }),
        };
        self.circuits.answered(webhook_id, answer);
        let (was_open, is_open) = self.circuits.update(webhook_id, |circuit| {
            let was_open = circuit.is_open();
            circuit.record(ended, self.config.clock.now_ms(), probe);
            (was_open, circuit.is_open())
        });
        if probe {
            self.metrics.probe(ended == Ended::Success);
        }
        if was_open != is_open {
            self.metrics.circuit(is_open);
            self.inbox.hand_off_to(webhook_id, !is_open);
        }
        if was_open && !is_open {
            self.finished.notify_one();
        }
    }

    /// Gives one taken delivery back to the database, due as it was, through the recorder (a
    /// circuit that opens gives back all its webhook's waiting deliveries at once: one
    /// transaction for them all). If that fails, its lease expires instead and it is claimed then.
    async fn give_back(&self, id: i64) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        recorder::store(&self.recordings, Handed::GiveBack(id)).await;
    }

    /// Starts no new send from now on (sends in flight go on).
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Gives back every delivery taken here and not sent, so another instance (or the next
    /// start) takes it at once instead of after its lease.
    pub async fn release_held(&self) -> anyhow::Result<usize> {
        let ids: Vec<i64> = self.held.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        if ids.is_empty() {
            return Ok(0);
        }
        self.db.write(move |conn| -> anyhow::Result<_> { Ok(Delivery::release(conn, &ids)?) }).await
    }

    /// Resolves once no send task is alive (all sent and recorded, or given up at shutdown).
    pub async fn idle(&self) {
        while self.tasks.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// When the poll next has something to claim, if it knows: [`CLAIM_AHEAD_MS`] before the
    /// earliest delivery due after the last claim (`claimed_at`; a retry) of a webhook whose
    /// circuit is not open, or the earliest probe of an open circuit (on the probe grid,
    /// `circuit::probe_wake`).
    pub async fn next_wake(&self, claimed_at: i64) -> anyhow::Result<Option<i64>> {
        let blocked = self.circuits.blocked(self.config.clock.now_ms());
        let due = self
            .db
            .read(move |conn| -> anyhow::Result<_> { Ok(Delivery::next_due_after(conn, claimed_at, &blocked)?) })
            .await?;
        let probe = self.circuits.next_probe().map(crate::domain::circuit::probe_wake);
        Ok(due.map(|due| due - CLAIM_AHEAD_MS).into_iter().chain(probe).min())
    }

    /// Sends one delivery, frees its bounds, and has the attempt recorded.
    async fn send_one(
        &self,
        job: &Job,
        endpoint: Pass,
        sending: OwnedSemaphorePermit,
        probe: bool,
    ) -> anyhow::Result<()> {
        let (delivery, webhook) = (&job.delivery, &job.webhook);
        if Trigger::of_delivery(&delivery.trigger) == Trigger::Event && !(webhook.enabled && webhook.plan_enabled) {
            // A disabled webhook's queued events are dropped, or kept as missed when its
            // endpoint's failures disabled it (enabling it again may replay them).
            let settled = if webhook.misses_deliveries() { DeliveryState::Missed } else { DeliveryState::Cancelled };
            let cancel = AfterAttempt {
                state: settled.as_str(),
                attempts: delivery.attempts,
                next_attempt_at: None,
                lease_until: None,
                last_status: delivery.last_status.clone(),
            };
            let id = delivery.id;
            self.db.write(move |conn| -> anyhow::Result<()> { Ok(Delivery::record(conn, id, &cancel)?) }).await?;
            return Ok(());
        }
        // The attempt is dated by the sender's clock (its retry follows from it); the signature
        // by the real one, which receivers check theirs against.
        let (now, signed_at) = (self.config.clock.now_ms(), now_ms());
        let mut secrets =
            vec![SigningSecret::parse(&self.secrets.open(&webhook.secret_sealed)?).map_err(anyhow::Error::msg)?];
        if let (Some(old), Some(until)) = (&webhook.previous_secret_sealed, webhook.previous_secret_until) {
            if until > signed_at {
                secrets.push(SigningSecret::parse(&self.secrets.open(old)?).map_err(anyhow::Error::msg)?);
            }
        }
        let auth_token = self.secrets.open(&webhook.auth_token_sealed)?;
        let in_flight = self.metrics.sending();
        let outgoing = Outgoing {
            url: &webhook.url,
            message_id: &delivery.message_id,
            event_type: &job.event_type,
            body: &job.payload,
            secrets: &secrets,
            auth_token: Some(&auth_token),
            timestamp: signed_at / 1000,
            timeout: self.config.timeout,
        };
        let outcome = self.waiting_gives_way(http::send(&self.client, &self.policy, &outgoing), sending).await;
        self.count(webhook.id, &outcome, probe);
        // The endpoint is free for the next send while this one is recorded.
        drop((endpoint, in_flight));
        self.metrics.attempt(outcome.error_class, outcome.duration);
        let attempted = Attempted {
            delivery: delivery.clone(),
            webhook_id: webhook.id,
            url: webhook.url.clone(),
            event_type: job.event_type.clone(),
            body: job.payload.clone(),
            outcome,
            attempted_at: now,
        };
        recorder::store(&self.recordings, Handed::Attempt(Box::new(attempted))).await;
        Ok(())
    }

    /// Runs a send holding a sending slot until it has waited [`SLOW_AFTER`] for its answer,
    /// then on a waiting slot instead (if one is free; if not, it keeps its sending slot).
    async fn waiting_gives_way(
        &self,
        send: impl std::future::Future<Output = http::Outcome>,
        sending: OwnedSemaphorePermit,
    ) -> http::Outcome {
        tokio::pin!(send);
        tokio::select! {
            outcome = &mut send => return outcome,
            _ = tokio::time::sleep(SLOW_AFTER) => {}
        }
        // A waiting slot taken drops the sending one; none free, the sending one is kept.
        let _slot = self.waiting.clone().try_acquire_owned().unwrap_or(sending);
        send.await
    }

    /// The retention job, a batch at a time (short transactions): attempts older than the
    /// retention; then settled events with their deliveries, once even their latest possible
    /// retry is older than that; deleted webhooks with their last attempt; idempotency keys
    /// after their window; attempt counts older than two days; and what this sender keeps in memory for webhooks that are gone.
    /// Answers how many attempts and events went.
    pub async fn prune(&self) -> anyhow::Result<usize> {
        const BATCH: usize = 1000;
        let retention = i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        let before = self.config.clock.now_ms().saturating_sub(retention);
        // A delivery's attempts end at most the whole schedule (jitter included) after it was made.
        let schedule: Duration = self.config.schedule.iter().sum();
        let settled_before = before.saturating_sub(i64::try_from(schedule.mul_f64(1.1).as_millis()).unwrap_or(0));
        let mut total = 0;
        for table in [Table::Attempts, Table::Events] {
            loop {
                let removed = self
                    .db
                    .write(move |conn| -> anyhow::Result<_> {
                        Ok(match table {
                            Table::Attempts => Attempt::prune(conn, before, BATCH as i64)?,
                            Table::Events => Event::prune_settled(conn, settled_before, BATCH as i64)?,
                        })
                    })
                    .await?;
                total += removed;
                if removed < BATCH {
                    break;
                }
            }
        }
        let keys_before = self.config.clock.now_ms() - IdempotencyKey::WINDOW_MS;
        let stats_before = self.config.clock.now_ms() - 2 * 24 * 3_600_000;
        let live = self
            .db
            .write(move |conn| -> anyhow::Result<_> {
                Webhook::purge(conn)?;
                IdempotencyKey::prune(conn, keys_before)?;
                // The health ladder reads a day of counts at most.
                crate::db::webhook_stats::prune(conn, stats_before)?;
                Ok(Webhook::live_ids(conn)?)
            })
            .await?;
        let live: HashSet<i64> = live.into_iter().collect();
        self.circuits.keep_only(&live);
        // A gone webhook's slot may still have a task in it (sending when it was deleted).
        self.per_webhook.lock().unwrap_or_else(|p| p.into_inner()).retain(|id, slot| {
            live.contains(id) || slot.gate.in_flight() > 0 || slot.claimed.load(Ordering::SeqCst) > 0
        });
        Ok(total)
    }
}
