//! The sender's recorder: sends hand it their attempts and wait for them to be stored; it
//! stores whatever has queued up meanwhile in one transaction. Under load that is one commit
//! for hundreds of attempts; when idle, one attempt is stored at once, as before.

use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Notify};

use super::record::{self, Attempted, Policy};
use crate::db::Db;

/// The most attempts stored in one transaction.
const MAX_BATCH: usize = 500;

pub struct Recording {
    pub attempted: Attempted,
    pub stored: oneshot::Sender<()>,
}

/// Stores an attempt; resolves once it is committed (or could not be).
pub async fn store(queue: &UnboundedSender<Recording>, attempted: Attempted) {
    let (stored, done) = oneshot::channel();
    if queue.send(Recording { attempted, stored }).is_ok() {
        let _ = done.await;
    }
}

/// Runs until every queue handle is gone. `wake` is the poll's: a scheduled retry wakes it.
pub async fn run(db: Db, policy: Policy, mut queue: UnboundedReceiver<Recording>, wake: Arc<Notify>) {
    let policy = Arc::new(policy);
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (items, acks): (Vec<Attempted>, Vec<_>) = batch.into_iter().map(|r| (r.attempted, r.stored)).unzip();
        let items = Arc::new(items);
        let (all, rules) = (items.clone(), policy.clone());
        let written = db.write(move |conn| -> anyhow::Result<_> { record::record_all(conn, &all, &rules) }).await;
        let retries = match written {
            Ok(recorded) => recorded.retries,
            Err(e) => {
                // One bad attempt must not lose the others: store them one by one.
                tracing::warn!(error = ?e, attempts = items.len(), "a batch of attempts failed; storing them one by one");
                let mut retries = false;
                for i in 0..items.len() {
                    let (all, rules) = (items.clone(), policy.clone());
                    let one = db
                        .write(move |conn| -> anyhow::Result<_> {
                            record::record_all(conn, std::slice::from_ref(&all[i]), &rules)
                        })
                        .await;
                    match one {
                        Ok(recorded) => retries |= recorded.retries,
                        Err(e) => {
                            tracing::error!(error = ?e, delivery = items[i].delivery.id, "an attempt could not be recorded")
                        }
                    }
                }
                retries
            }
        };
        for ack in acks {
            let _ = ack.send(());
        }
        if retries {
            wake.notify_one();
        }
    }
}
