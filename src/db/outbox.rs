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

use crate::clock::Clock;
use crate::db::deliveries::Delivery;
use crate::db::webhooks::Webhook;

/// Handed-off deliveries waiting in this process, in all, per webhook and in bytes: beyond
/// these, new deliveries go to the database's queue (a slow endpoint cannot fill memory).
const MAX_WAITING: usize = 20_000;
const MAX_WAITING_PER_WEBHOOK: usize = 2_000;
pub const MAX_WAITING_BYTES: usize = 64 * 1024 * 1024;
/// What a job holds besides its payload (the webhook's row, the delivery), counted with it.
const JOB_OVERHEAD_BYTES: usize = 1024;

/// The bytes a job with this payload is counted for. A payload shared by a fan-out is counted
/// once per job: the bound errs on the side of memory.
pub fn job_bytes(payload_len: usize) -> usize {
    payload_len + JOB_OVERHEAD_BYTES
}

/// What is waiting (or reserved for a transaction about to commit): jobs per webhook, in all,
/// and their bytes.
#[derive(Debug, Default)]
struct Waiting {
    per_webhook: HashMap<i64, usize>,
    jobs: usize,
    bytes: usize,
}

impl Waiting {
    fn release(&mut self, webhook_id: i64, bytes: usize) {
        if let Some(n) = self.per_webhook.get_mut(&webhook_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_webhook.remove(&webhook_id);
            }
        }
        self.jobs = self.jobs.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(bytes);
    }
}

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
    /// The attached sender's clock: a lease is its time, which a test may have moved ahead.
    clock: Mutex<Clock>,
    queue: Mutex<Option<UnboundedSender<Job>>>,
    waiting: Mutex<Waiting>,
    /// Webhooks the sender would not send to now (their circuit is open): their new
    /// deliveries stay in the database, unleased, instead of being handed off only to be given
    /// back, a write each.
    held_back: Mutex<std::collections::HashSet<i64>>,
}

impl Inbox {
    /// Attaches this process's sender: from now on new deliveries are handed to it.
    pub fn attach(&self, lease_ms: i64, clock: Clock) -> UnboundedReceiver<Job> {
        let (tx, rx) = unbounded_channel();
        *self.clock.lock().unwrap_or_else(|p| p.into_inner()) = clock;
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        self.lease_ms.store(lease_ms, Ordering::SeqCst);
        rx
    }

    /// The sender is stopping: hand nothing more to it.
    pub fn detach(&self) {
        self.lease_ms.store(0, Ordering::SeqCst);
        *self.queue.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Whether new deliveries of the webhook are handed off (`false` while its circuit is open).
    pub fn hand_off_to(&self, webhook_id: i64, yes: bool) {
        let mut held_back = self.held_back.lock().unwrap_or_else(|p| p.into_inner());
        if yes {
            held_back.remove(&webhook_id);
        } else {
            held_back.insert(webhook_id);
        }
    }

    fn holds_back(&self, webhook_id: i64) -> bool {
        self.held_back.lock().unwrap_or_else(|p| p.into_inner()).contains(&webhook_id)
    }

    /// Until when a new delivery of `webhook_id`, of `bytes` (see [`job_bytes`]), is leased to
    /// this process's sender, if it can take one now. The place is reserved at once, so
    /// simultaneous transactions cannot together pass the bounds; it is given back if the
    /// transaction rolls back, or when the job is done.
    fn lease_for(&self, webhook_id: i64, bytes: usize, now: i64) -> Option<i64> {
        let lease_ms = self.lease_ms.load(Ordering::SeqCst);
        if lease_ms == 0 || self.holds_back(webhook_id) {
            return None;
        }
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let mine = waiting.per_webhook.get(&webhook_id).copied().unwrap_or(0);
        let fits = waiting.jobs < MAX_WAITING
            && mine < MAX_WAITING_PER_WEBHOOK
            && waiting.bytes.saturating_add(bytes) <= MAX_WAITING_BYTES;
        if !fits {
            return None;
        }
        *waiting.per_webhook.entry(webhook_id).or_default() += 1;
        waiting.jobs += 1;
        waiting.bytes += bytes;
        Some(now + self.clock.lock().unwrap_or_else(|p| p.into_inner()).ahead_ms() + lease_ms)
    }

    /// Passes committed jobs on. If the sender is gone they stay leased in the database and
    /// are claimed once the lease expires; their places are given back.
    fn deliver(&self, jobs: Vec<Job>) {
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        for job in jobs {
            let (webhook_id, bytes) = (job.webhook.id, job.bytes());
            let sent = queue.as_ref().is_some_and(|q| q.send(job).is_ok());
            if !sent {
                self.done(webhook_id, bytes);
            }
        }
    }

    /// A handed-off job was sent (or dropped), or a reservation was not used: its place is free.
    pub fn done(&self, webhook_id: i64, bytes: usize) {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner()).release(webhook_id, bytes);
    }

    /// Jobs waiting or reserved now, and their bytes (`/metrics`).
    pub fn waiting(&self) -> (usize, usize) {
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        (waiting.jobs, waiting.bytes)
    }
}

impl Job {
    /// What this job is counted for against [`MAX_WAITING_BYTES`].
    pub fn bytes(&self) -> usize {
        job_bytes(self.payload.len())
    }
}

/// What the transaction running on this thread has queued.
#[derive(Default)]
struct Pending {
    inbox: Option<Arc<Inbox>>,
    /// Deliveries were inserted without a hand-off: wake the sender's poll.
    enqueued: bool,
    /// Places reserved in the inbox (webhook, bytes), given back on a rollback.
    reserved: Vec<(i64, usize)>,
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
    let mut pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let Some(inbox) = pending.inbox.take() else { return committed && pending.enqueued };
    let jobs = if committed { std::mem::take(&mut pending.jobs) } else { Vec::new() };
    // Each job keeps its reservation; a reservation no job took is given back.
    for job in &jobs {
        let taken = (job.webhook.id, job.bytes());
        if let Some(at) = pending.reserved.iter().position(|r| *r == taken) {
            pending.reserved.swap_remove(at);
        }
    }
    for (webhook_id, bytes) in pending.reserved {
        inbox.done(webhook_id, bytes);
    }
    if !jobs.is_empty() {
        inbox.deliver(jobs);
    }
    committed && pending.enqueued
}

/// Inside a transaction: until when a new delivery of this webhook, with a payload of
/// `payload_len` bytes, is leased to this process's sender (then queue its [`Job`] with
/// [`hand_off`]), or `None`: the delivery is the poll's, which is woken at commit, unless the
/// webhook is held back (its circuit is open: there is nothing to claim until its probe, and
/// waking the poll for each such delivery cost a full poll per event).
pub fn lease_for(webhook_id: i64, payload_len: usize, now: i64) -> Option<i64> {
    PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        let bytes = job_bytes(payload_len);
        let lease = pending.inbox.as_ref().and_then(|inbox| inbox.lease_for(webhook_id, bytes, now));
        if lease.is_some() {
            pending.reserved.push((webhook_id, bytes));
        } else if !pending.inbox.as_ref().is_some_and(|inbox| inbox.holds_back(webhook_id)) {
            pending.enqueued = true;
        }
        lease
    })
}

pub fn hand_off(job: Job) {
    PENDING.with(|p| p.borrow_mut().jobs.push(job));
}

/// Inside a transaction that inserted deliveries for the poll to find.
pub fn mark_enqueued() {
    PENDING.with(|p| p.borrow_mut().enqueued = true);
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB_250: usize = 250 * 1024;

    #[test]
    fn waiting_jobs_are_bounded_by_bytes() {
        let inbox = Inbox::default();
        let _rx = inbox.attach(30_000, Clock::real());
        let bytes = job_bytes(KIB_250);
        let mut leased = 0;
        while inbox.lease_for(leased % 7, bytes, 0).is_some() {
            leased += 1;
            assert!(leased < 10_000, "unbounded");
        }
        assert_eq!(leased, (MAX_WAITING_BYTES / bytes) as i64, "64 MiB of 250 KiB payloads");
        assert!(inbox.waiting().1 <= MAX_WAITING_BYTES);
        assert!(inbox.lease_for(99, job_bytes(10), 0).is_some(), "a small one still fits");
        inbox.done(0, bytes);
        assert!(inbox.lease_for(0, bytes, 0).is_some(), "a place given back is taken again");
    }

    #[test]
    fn a_rollback_gives_its_reservations_back() {
        let inbox = Arc::new(Inbox::default());
        let _rx = inbox.attach(30_000, Clock::real());
        begin(&inbox);
        assert!(lease_for(1, KIB_250, 0).is_some());
        assert!(inbox.waiting().1 > KIB_250, "reserved while the transaction runs");
        assert!(!finish(false));
        assert_eq!(inbox.waiting().1, 0);
    }

    #[test]
    fn a_held_back_webhook_is_not_handed_off() {
        let inbox = Arc::new(Inbox::default());
        let _rx = inbox.attach(30_000, Clock::real());
        inbox.hand_off_to(7, false);
        assert_eq!(inbox.lease_for(7, KIB_250, 0), None, "its circuit is open: the poll takes it later");
        assert!(inbox.lease_for(8, KIB_250, 0).is_some(), "other webhooks go on");
        inbox.hand_off_to(7, true);
        assert!(inbox.lease_for(7, KIB_250, 0).is_some());
    }

    #[test]
    fn the_poll_is_woken_for_what_it_can_claim_only() {
        let inbox = Arc::new(Inbox::default());
        inbox.hand_off_to(7, false);
        begin(&inbox);
        assert_eq!(lease_for(7, KIB_250, 0), None);
        assert!(!finish(true), "a held-back webhook's delivery waits for its probe: no poll");
        begin(&inbox);
        assert_eq!(lease_for(8, KIB_250, 0), None, "no sender attached");
        assert!(finish(true), "the poll takes it");
    }
}
