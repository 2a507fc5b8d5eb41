//! Tests that measure the real sender thread's timing: retry lateness and fair share.
//!
//! They are a binary of their own because cargo runs test binaries one after another: inside
//! `tests/app`, the rest of the suite ran beside them on these two cores and they measured its
//! load (CI failed with 131 of 1,000 retries 50-113 ms late). Here only they run, one at a time
//! ([`timing_sensitive`]).

#[allow(dead_code)]
#[path = "../app/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../app/receiver.rs"]
mod receiver;

mod fair_share;
mod retry_spread;

/// Held by each test here while it measures, so they do not measure each other's load.
pub async fn timing_sensitive() -> tokio::sync::MutexGuard<'static, ()> {
    static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ALONE.lock().await
}
