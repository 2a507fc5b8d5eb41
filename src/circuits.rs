//! Each webhook's circuit breaker and pace as this instance has them: moved by the sender,
//! shown by the API and the pages. They live in memory, per instance (see `domain::circuit`
//! and `domain::pace`); a deleted webhook's entry goes when the sender next prunes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::domain::circuit::Circuit;
use crate::domain::pace::{Answer, Pace};

/// One webhook's endpoint, as this instance has seen it.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Endpoint {
    pub circuit: Circuit,
    pub pace: Pace,
}

#[derive(Debug)]
pub struct Circuits {
    endpoints: Mutex<HashMap<i64, Endpoint>>,
    /// The configured bound on one webhook's requests in flight (the pace's ceiling).
    per_webhook: usize,
}

impl Circuits {
    pub fn new(per_webhook: usize) -> Self {
        Self { endpoints: Mutex::default(), per_webhook: per_webhook.max(1) }
    }

    /// How many requests the webhook may have in flight now.
    pub fn limit(&self, webhook_id: i64) -> usize {
        self.endpoint(webhook_id).pace.limit(self.per_webhook)
    }

    /// How many of the webhook's due deliveries this instance's sender may hold at once.
    pub fn claim_cap(&self, webhook_id: i64) -> usize {
        self.endpoint(webhook_id).pace.claim_cap(self.per_webhook)
    }

    /// The configured bound on one webhook's requests in flight.
    pub fn per_webhook(&self) -> usize {
        self.per_webhook
    }

    /// The webhook's circuit (closed when this instance has not sent to it).
    pub fn get(&self, webhook_id: i64) -> Circuit {
        self.endpoint(webhook_id).circuit
    }

    /// The webhook's circuit and pace.
    pub fn endpoint(&self, webhook_id: i64) -> Endpoint {
        self.lock().get(&webhook_id).copied().unwrap_or_default()
    }

    /// Runs `change` on the webhook's circuit.
    pub fn update<T>(&self, webhook_id: i64, change: impl FnOnce(&mut Circuit) -> T) -> T {
        change(&mut self.lock().entry(webhook_id).or_default().circuit)
    }

    /// Counts how the webhook's endpoint answered in its pace.
    pub fn answered(&self, webhook_id: i64, answer: Answer) {
        self.lock().entry(webhook_id).or_default().pace.record(answer, self.per_webhook);
    }

    /// The webhooks whose deliveries the poll leaves alone at `now`.
    pub fn blocked(&self, now: i64) -> Vec<i64> {
        self.lock().iter().filter(|(_, e)| !e.circuit.claimable(now)).map(|(id, _)| *id).collect()
    }

    /// When the earliest probe of an open circuit may start: the sender's timer wakes for it.
    pub fn next_probe(&self) -> Option<i64> {
        self.lock().values().filter_map(|e| e.circuit.probe_due()).min()
    }

    /// Forgets the webhooks not in `live` (deleted since): answers how many went.
    pub fn keep_only(&self, live: &std::collections::HashSet<i64>) -> usize {
        let mut endpoints = self.lock();
        let before = endpoints.len();
        endpoints.retain(|id, _| live.contains(id));
        before - endpoints.len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Endpoint>> {
        // Only counters live here; a panic elsewhere cannot make them wrong.
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner())
    }
}
