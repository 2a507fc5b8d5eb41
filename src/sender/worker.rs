//! The sender's thread: its own async runtime running three things: the intake of deliveries
//! handed off as they commit, the recorder, and the poll, a loop around
//! [`Sender::deliver_due`] that sleeps until the next retry falls due or the next probe of an
//! open circuit may go (at most the poll interval), wakes at once after a commit that enqueued
//! work without handing it off, a scheduled retry, or a claimed send that finished, prunes old
//! rows hourly and checkpoints SQLite's log every second. On
//! shutdown it stops taking and claiming and lets sends in flight finish up to a deadline.
//! Whatever is still unfinished then keeps its lease, which expires, and is claimed again:
//! nothing is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::step::Sender;
use crate::health::{EndsPulse, Pulse};

/// How often SQLite's write-ahead log is checkpointed (see `Db::checkpoint`).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub struct SenderHandle {
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

/// Dropping the handle (an application that ends without `shutdown`) stops the loop too:
/// the thread then exits by itself and releases its database connections.
impl Drop for SenderHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

impl SenderHandle {
    /// Stops claiming, waits up to `deadline` for sends in flight, then returns.
    pub fn shutdown(mut self, deadline: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        // notify_waiters would miss a loop between checks; a stored permit cannot be missed.
        self.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let started = Instant::now();
            while !thread.is_finished() && started.elapsed() < deadline + Duration::from_secs(1) {
                std::thread::sleep(Duration::from_millis(20));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// Starts the sender on a thread of its own; `pulse` shows `/readyz` that its loop is turning.
pub fn spawn(sender: Sender, shutdown_deadline: Duration, pulse: Arc<Pulse>) -> anyhow::Result<SenderHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let wake = sender.db.sender_wakeup();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Two threads, not one: the scheduler shares the cores per thread, and under load the
        // API's threads and the database's processes left a lone sender thread behind (the
        // entries bench's delivery lag p99 on PostgreSQL: 330-710 ms with one, 25-58 ms with two).
        .worker_threads(2)
        .thread_name("keyhook-sender")
        .enable_all()
        .build()?;
    let (stop_flag, wake_up) = (stop.clone(), wake.clone());
    pulse.beat();
    let thread = std::thread::Builder::new().name("keyhook-sender".into()).spawn(move || {
        let _ends = EndsPulse(pulse.clone());
        let sender = Arc::new(sender);
        if let Some(recorder) = sender.recorder() {
            runtime.spawn(recorder);
        }
        let (mut jobs, taker) = (sender.attach(), sender.clone());
        // Taken until the inbox is detached and emptied: jobs taken while stopping are not
        // sent but given back with the others.
        let intake = runtime.spawn(async move {
            while let Some(job) = jobs.recv().await {
                taker.dispatch(job, true);
            }
        });
        runtime.block_on(run(sender.clone(), stop_flag, wake_up, pulse));
        // Let sends in flight finish (and be recorded), up to the deadline.
        runtime.block_on(async {
            sender.begin_stop();
            sender.detach();
            let _ = tokio::time::timeout(Duration::from_secs(1), intake).await;
            let _ = tokio::time::timeout(shutdown_deadline, sender.idle()).await;
            match sender.release_held().await {
                Ok(released) if released > 0 => tracing::info!(released, "gave back unsent deliveries"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "could not give back unsent deliveries; their leases will expire"),
            }
        });
        runtime.shutdown_timeout(Duration::from_millis(100));
    })?;
    Ok(SenderHandle { stop, wake, thread: Some(thread) })
}

async fn run(sender: Arc<Sender>, stop: Arc<AtomicBool>, wake: Arc<Notify>, pulse: Arc<Pulse>) {
    // Prune at start, then hourly.
    let mut last_prune = Instant::now().checked_sub(Duration::from_secs(7200)).unwrap_or_else(Instant::now);
    let mut last_checkpoint = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        pulse.beat();
        if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            last_checkpoint = Instant::now();
            if let Err(e) = sender.db.checkpoint().await {
                tracing::warn!(error = ?e, "could not checkpoint the database's log");
            }
        }
        let claimed_at = match sender.deliver_due().await {
            // Something was claimed: look again at once; more may be claimable.
            Ok(batch) if batch.claimed > 0 => continue,
            Ok(batch) => batch.at,
            Err(e) => {
                tracing::error!(error = ?e, "the sender could not claim deliveries");
                sender.config.clock.now_ms()
            }
        };
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = Instant::now();
            match sender.prune().await {
                Ok(removed) if removed > 0 => tracing::info!(removed, "pruned old attempts and settled events"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "could not prune old attempts"),
            }
        }
        // A timer on the earliest known due time, so a retry leaves at its due time (not at a
        // poll tick with every other retry due by then); the poll interval is only the fallback
        // for what another instance left (an expired lease). Deliveries due already but not
        // claimed wait for a send of their webhook to end (`finished`).
        let wait = match sender.next_wake(claimed_at).await {
            Ok(Some(at)) => Duration::from_millis(u64::try_from(at - sender.config.clock.now_ms()).unwrap_or(0))
                .min(sender.config.poll),
            _ => sender.config.poll,
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = sender.finished.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
