//! One webhook's way in: its sends start in the order they were dispatched ([`Turns`]), each
//! once the webhook has fewer requests in flight than its pace allows ([`Gate`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// A webhook's sends start in the order they were dispatched (its due order): tokio wakes the
/// tasks waiting for the webhook's bound in no set order, so each takes a ticket when
/// dispatched and waits for its turn to wait for the bound.
#[derive(Default)]
pub struct Turns {
    next: AtomicU64,
    serving: AtomicU64,
    turn: Notify,
}

impl Turns {
    pub fn ticket(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    pub async fn wait(&self, ticket: u64) {
        loop {
            let notified = self.turn.notified();
            tokio::pin!(notified);
            // Registered before the check, so a turn passed in between is not missed.
            notified.as_mut().enable();
            if self.serving.load(Ordering::SeqCst) == ticket {
                return;
            }
            notified.await;
        }
    }

    pub fn pass(&self) {
        self.serving.fetch_add(1, Ordering::SeqCst);
        self.turn.notify_waiters();
    }
}

/// A webhook's requests in flight, against a limit that changes as its endpoint answers (the
/// pace): a semaphore's fixed count could not shrink while its permits are out.
#[derive(Default)]
pub struct Gate {
    in_flight: AtomicUsize,
    freed: Notify,
}

/// One request in flight; dropping it lets the next in.
pub struct Pass(Arc<Gate>);

impl Drop for Pass {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.freed.notify_one();
    }
}

impl Gate {
    /// Waits until fewer than `limit()` requests are in flight, then counts this one. Only the
    /// task whose turn it is waits here (see [`Turns`]), so one wake-up serves.
    pub async fn enter(self: &Arc<Self>, limit: impl Fn() -> usize) -> Pass {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let now = self.in_flight.load(Ordering::SeqCst);
            if now < limit()
                && self.in_flight.compare_exchange(now, now + 1, Ordering::SeqCst, Ordering::SeqCst).is_ok()
            {
                return Pass(self.clone());
            }
            freed.await;
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_gate_holds_its_limit_and_opens_as_requests_end() {
        let gate = Arc::new(Gate::default());
        let first = gate.enter(|| 2).await;
        let _second = gate.enter(|| 2).await;
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter(|| 2).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a third waits while two are in flight");
        drop(first);
        let _third = tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("let in").expect("task");
        assert_eq!(gate.in_flight(), 2);
    }

    #[tokio::test]
    async fn a_lowered_limit_lets_none_in_until_enough_have_ended() {
        let gate = Arc::new(Gate::default());
        let (a, b, c) = (gate.enter(|| 4).await, gate.enter(|| 4).await, gate.enter(|| 4).await);
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter(|| 1).await }
        });
        drop(a);
        drop(b);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one is still in flight, and the limit is now one");
        drop(c);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("let in").expect("task");
    }
}
