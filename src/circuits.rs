//! Each webhook's circuit breaker as this instance has it: moved by the sender, shown by the
//! API and the pages. Circuits live in memory, per instance (see `domain::circuit`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::domain::circuit::Circuit;

#[derive(Debug, Default)]
pub struct Circuits(Mutex<HashMap<i64, Circuit>>);

impl Circuits {
    /// The webhook's circuit (closed when this instance has not sent to it).
    pub fn get(&self, webhook_id: i64) -> Circuit {
        self.lock().get(&webhook_id).copied().unwrap_or_default()
    }

    /// Runs `change` on the webhook's circuit.
    pub fn update<T>(&self, webhook_id: i64, change: impl FnOnce(&mut Circuit) -> T) -> T {
        change(self.lock().entry(webhook_id).or_default())
    }

    /// The webhooks whose deliveries the poll leaves alone at `now`.
    pub fn blocked(&self, now: i64) -> Vec<i64> {
        self.lock().iter().filter(|(_, c)| !c.claimable(now)).map(|(id, _)| *id).collect()
    }

    /// When the earliest probe of an open circuit may start: the sender's timer wakes for it.
    pub fn next_probe(&self) -> Option<i64> {
        self.lock().values().filter_map(Circuit::probe_due).min()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Circuit>> {
        // Only counters live here; a panic elsewhere cannot make them wrong.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
