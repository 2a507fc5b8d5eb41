//! Handing deliveries to the sender as the transaction that made them commits, so that a
//! delivery is sent without the sender ever looking for it: `events::emit` leases each new
//! delivery to this process's sender and queues a [`Job`] with everything the send needs (the
//! webhook and the payload); `Db::write` passes the jobs on only once the transaction has
//! committed, and drops them on a rollback.
//!
//! The database stays the record: a handed-off delivery is leased, not sent, so if this process
//! dies before sending it, the lease expires and the sender's poll (here or in another instance)
//! claims it like any other due delivery. Nothing is lost; at worst it is late by a lease.
//! Deliveries that are not handed off (no sender in this process, or too much already waiting)
//! are found by that poll, woken at once by the commit.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::db::deliveries::Delivery;
use crate::db::webhooks::Webhook;

/// Handed-off deliveries waiting in this process, in all and per webhook: beyond these, new
/// deliveries go to the database's queue (a slow endpoint cannot fill memory).
const MAX_WAITING: usize = 20_000;
const MAX_WAITING_PER_WEBHOOK: usize = 2_000;

/// One delivery to send, with what the send needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub delivery: Delivery,
    pub webhook: Arc<Webhook>,
    pub event_type: Arc<str>,
    pub payload: Arc<str>,
}

/// Where committed jobs go: the sender of this process, once attached.
#[derive(Debug, Default)]
pub struct Inbox {
    /// How long a handed-off delivery is leased for (ms); 0 while no sender is attached.
    lease_ms: AtomicI64,
    queue: Mutex<Option<UnboundedSender<Job>>>,
    waiting: Mutex<HashMap<i64, usize>>,
}

impl Inbox {
    /// Attaches this process's sender: from now on new deliveries are handed to it.
    pub fn attach(&self, lease_ms: i64) -> UnboundedReceiver<Job> {
        let (tx, rx) = unbounded_channel();
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        self.lease_ms.store(lease_ms, Ordering::SeqCst);
        rx
    }

    /// The sender is stopping: hand nothing more to it.
    pub fn detach(&self) {
        self.lease_ms.store(0, Ordering::SeqCst);
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Until when a new delivery of `webhook_id` is leased to this process's sender, if it can
    /// take one now.
    fn lease_for(&self, webhook_id: i64, now: i64) -> Option<i64> {
        let lease_ms = self.lease_ms.load(Ordering::SeqCst);
        if lease_ms == 0 {
            return None;
        }
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = waiting.values().sum();
        let mine = waiting.get(&webhook_id).copied().unwrap_or(0);
        (total < MAX_WAITING && mine < MAX_WAITING_PER_WEBHOOK).then_some(now + lease_ms)
    }

    /// Passes committed jobs on. If the sender is gone they stay leased in the database and
    /// are claimed once the lease expires.
    fn deliver(&self, jobs: Vec<Job>) {
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let Some(queue) = queue.as_ref() else { return };
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        for job in jobs {
            let webhook_id = job.webhook.id;
            if queue.send(job).is_ok() {
                *waiting.entry(webhook_id).or_default() += 1;
            }
        }
    }

    /// A handed-off job was sent (or dropped).
    pub fn done(&self, webhook_id: i64) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = waiting.get_mut(&webhook_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                waiting.remove(&webhook_id);
            }
        }
    }
}

/// What the transaction running on this thread has queued.
#[derive(Default)]
struct Pending {
    inbox: Option<Arc<Inbox>>,
    /// Deliveries were inserted without a hand-off: wake the sender's poll.
    enqueued: bool,
    jobs: Vec<Job>,
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::default();
}

/// Called by `Db::write` before a transaction.
pub fn begin(inbox: &Arc<Inbox>) {
    PENDING.with(|p| *p.borrow_mut() = Pending { inbox: Some(inbox.clone()), ..Pending::default() });
}

/// Called by `Db::write` after it: on commit, hands the jobs over and says whether to wake the
/// poll; on rollback, forgets them.
pub fn finish(committed: bool) -> bool {
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if !committed {
        return false;
    }
    if let Some(inbox) = &pending.inbox {
        if !pending.jobs.is_empty() {
            inbox.deliver(pending.jobs);
        }
    }
    pending.enqueued
}

/// Inside a transaction: until when a new delivery of this webhook is leased to this
/// process's sender (then queue its [`Job`] with [`hand_off`]), or `None` (then [`mark_enqueued`]).
pub fn lease_for(webhook_id: i64, now: i64) -> Option<i64> {
    PENDING.with(|p| p.borrow().inbox.as_ref().and_then(|inbox| inbox.lease_for(webhook_id, now)))
}

pub fn hand_off(job: Job) {
    PENDING.with(|p| p.borrow_mut().jobs.push(job));
}

/// Inside a transaction that inserted deliveries for the poll to find.
pub fn mark_enqueued() {
    PENDING.with(|p| p.borrow_mut().enqueued = true);
}
