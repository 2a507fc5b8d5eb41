//! Waking the sender right after a commit that enqueued deliveries. `events::emit` marks the
//! current transaction's thread; `Db::write` notifies once the transaction has committed (a
//! rolled-back event must not wake anyone, and never does harm if it did).

use std::cell::Cell;

thread_local! {
    static ENQUEUED: Cell<bool> = const { Cell::new(false) };
}

/// Called inside a transaction that inserted deliveries.
pub fn mark_enqueued() {
    ENQUEUED.with(|e| e.set(true));
}

/// Whether the transaction that just ran on this thread enqueued anything; clears the mark.
pub fn take_enqueued() -> bool {
    ENQUEUED.with(|e| e.replace(false))
}
