//! `GET /healthz` (the process serves) and `GET /readyz` (the database answers with every
//! migration applied, and the sender's loop is turning): JSON, cheap, without credentials,
//! for load balancers and orchestrators. Neither says more than ok or what is not.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::clock::now_ms;
use crate::state::AppState;

/// How long the sender's loop may go without turning before the instance is not ready: its
/// waits are at most a second; a batch under load takes longer, never this long.
const SENDER_STALL_MS: i64 = 30_000;

/// The sender's sign of life: when its loop last turned, and whether its thread has ended.
#[derive(Debug, Default)]
pub struct Pulse {
    beat_ms: AtomicI64,
    ended: AtomicBool,
}

impl Pulse {
    /// The loop turned.
    pub fn beat(&self) {
        self.beat_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// The thread ended (stopped, or panicked).
    pub fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    pub fn running(&self, now: i64) -> bool {
        !self.ended.load(Ordering::Relaxed) && now - self.beat_ms.load(Ordering::Relaxed) <= SENDER_STALL_MS
    }
}

/// Ends the pulse when dropped: at the end of the sender's thread, however it ends.
pub struct EndsPulse(pub std::sync::Arc<Pulse>);

impl Drop for EndsPulse {
    fn drop(&mut self) {
        self.0.end();
    }
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.readiness().await;
    let sender = state.pulse.running(now_ms());
    let ready = database.is_ok() && sender;
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": match &database {
            Ok(()) => "ok",
            Err(crate::db::NotReady::Unreachable) => "unreachable",
            Err(crate::db::NotReady::MigrationsPending) => "migrations pending",
        },
        "sender": if sender { "running" } else { "stopped" },
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_that_stalls_or_ends_is_not_running() {
        let pulse = Pulse::default();
        pulse.beat();
        let now = now_ms();
        assert!(pulse.running(now));
        assert!(!pulse.running(now + SENDER_STALL_MS + 1), "a loop that stopped turning");
        let pulse = std::sync::Arc::new(pulse);
        drop(EndsPulse(pulse.clone()));
        assert!(!pulse.running(now), "the thread's end, however it ends, ends the pulse");
    }
}
