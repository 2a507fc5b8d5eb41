//! The sender run by its caller, step by step, instead of by the worker's thread: tests set
//! `Settings::sender_driven` and say when it sends, so they assert what a step did (what was
//! attempted, what waits) instead of sleeping and hoping the thread got there. A step does what
//! one turn of the worker's loop does: it takes the deliveries handed off by committed
//! transactions, claims those due in the database, and returns once every send it started is
//! recorded. The same `Sender` does the sending, so the pace, the gates and the circuits are the
//! real ones; only the timer and the thread are the caller's. The sender's clock is adjustable
//! (`Clock::adjustable`): [`Driven::advance`] moves it to the next retry or probe instead of
//! sleeping until then. (The worker's thread stays the default, and most delivery tests still
//! run it end to end.)

use anyhow::bail;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::Mutex;

use super::step::{Sender, CLAIM_AHEAD_MS};
use crate::db::outbox::Job;
use crate::health::Pulse;

/// More steps than any test's backlog needs: [`Driven::settle`] refuses to spin for ever.
const MAX_STEPS: usize = 1_000;

pub struct Driven {
    sender: Arc<Sender>,
    jobs: Mutex<UnboundedReceiver<Job>>,
    pulse: Arc<Pulse>,
}

impl Driven {
    /// Takes over `sender` on the caller's runtime: its recorder runs there, and what commits
    /// from now on is handed off to [`Driven::step`].
    pub fn start(sender: Sender, pulse: Arc<Pulse>) -> Self {
        let sender = Arc::new(sender);
        if let Some(recorder) = sender.recorder() {
            tokio::spawn(recorder);
        }
        pulse.beat();
        Self { jobs: Mutex::new(sender.attach()), sender, pulse }
    }

    /// One turn: sends what was handed off and what is due now (or within the claim-ahead
    /// margin) and waits until each send is recorded or given back. Answers how many
    /// deliveries it took; a delivery held back (its circuit open, its webhook at its bound)
    /// counts as taken but was not attempted.
    pub async fn step(&self) -> anyhow::Result<usize> {
        self.pulse.beat();
        let mut taken = 0;
        {
            let mut jobs = self.jobs.lock().await;
            while let Ok(job) = jobs.try_recv() {
                self.sender.dispatch(job, true);
                taken += 1;
            }
        }
        let batch = self.sender.deliver_due().await?;
        self.sender.idle().await;
        Ok(taken + batch.claimed)
    }

    /// Steps until a step takes nothing: everything due now is sent and recorded (what falls
    /// due later, a retry or an open circuit's probe, is left for [`Driven::advance`]).
    pub async fn settle(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        for _ in 0..MAX_STEPS {
            match self.step().await? {
                0 => return Ok(total),
                taken => total += taken,
            }
        }
        bail!("the sender was still taking deliveries after {MAX_STEPS} steps")
    }

    /// Settles, then moves the sender's clock to what the worker's timer would wake for next
    /// (the earliest retry due, or an open circuit's next probe) and settles again: answers
    /// how many deliveries that took, or `None` when nothing is scheduled.
    pub async fn advance(&self) -> anyhow::Result<Option<usize>> {
        // Nothing may be in flight when the clock jumps: a lease would expire under it.
        self.settle().await?;
        let clock = &self.sender.config.clock;
        match self.sender.next_wake(clock.now_ms()).await? {
            Some(at) => {
                clock.advance_to(at + CLAIM_AHEAD_MS);
                Ok(Some(self.settle().await?))
            }
            None => Ok(None),
        }
    }
}
