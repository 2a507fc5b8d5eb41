//! The sender's recorder: sends hand it their attempts, and the deliveries they give back
//! unsent (a circuit that opened under them, a lease nearly spent), and wait for them to be
//! stored; it stores whatever has queued up meanwhile in one transaction. Under load that is
//! one commit for hundreds of attempts; when idle, one attempt is stored at once, as before.
//! Give-backs come in bursts (a circuit opening gives back every delivery its webhook had
//! waiting): one write each cost PostgreSQL a transaction per delivery, hundreds at once.

use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Notify};

use super::record::{self, Attempted, Policy};
use crate::db::deliveries::Delivery;
use crate::db::Db;

/// The most items stored in one transaction.
const MAX_BATCH: usize = 500;

/// What a send hands the recorder.
pub enum Handed {
    Attempt(Box<Attempted>),
    /// A delivery taken and not sent: due as it was, for any instance's poll.
    GiveBack(i64),
}

pub struct Recording {
    pub handed: Handed,
    pub stored: oneshot::Sender<()>,
}

/// Hands `handed` to the recorder; resolves once it is committed (or could not be).
pub async fn store(queue: &UnboundedSender<Recording>, handed: Handed) {
    let (stored, done) = oneshot::channel();
    if queue.send(Recording { handed, stored }).is_ok() {
        let _ = done.await;
    }
}

/// Runs until every queue handle is gone. `wake` is the poll's: a scheduled retry wakes it (a
/// delivery given back does not: its send task's end does, see `Sender::finished`).
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
        let (mut items, mut given_back, mut acks) = (Vec::new(), Vec::new(), Vec::with_capacity(batch.len()));
        for recording in batch {
            match recording.handed {
                Handed::Attempt(attempted) => items.push(*attempted),
                Handed::GiveBack(id) => given_back.push(id),
            }
            acks.push(recording.stored);
        }
        let recorded = store_all(&db, &policy, Arc::new(items), Arc::new(given_back)).await;
        for ack in acks {
            let _ = ack.send(());
        }
        if recorded.retries {
            wake.notify_one();
        }
        if recorded.health_moved {
            policy.health_check.notify_one();
        }
    }
}

/// Stores a batch in one transaction; answers what it found (see [`record::Recorded`]).
async fn store_all(
    db: &Db,
    policy: &Arc<Policy>,
    items: Arc<Vec<Attempted>>,
    given_back: Arc<Vec<i64>>,
) -> record::Recorded {
    let (all, rules, ids) = (items.clone(), policy.clone(), given_back.clone());
    let written = db
        .write(move |conn| -> anyhow::Result<_> {
            let recorded = if all.is_empty() { Default::default() } else { record::record_all(conn, &all, &rules)? };
            if !ids.is_empty() {
                Delivery::release(conn, &ids)?;
            }
            Ok(recorded)
        })
        .await;
    match written {
        Ok(recorded) => recorded,
        Err(e) => {
            // One bad attempt must not lose the others: store them one by one.
            tracing::warn!(error = ?e, attempts = items.len(), "a batch of attempts failed; storing them one by one");
            let mut found = record::Recorded::default();
            for i in 0..items.len() {
                let (all, rules) = (items.clone(), policy.clone());
                let one = db
                    .write(move |conn| -> anyhow::Result<_> {
                        record::record_all(conn, std::slice::from_ref(&all[i]), &rules)
                    })
                    .await;
                match one {
                    Ok(recorded) => {
                        found.retries |= recorded.retries;
                        found.health_moved |= recorded.health_moved;
                    }
                    Err(e) => {
                        tracing::error!(error = ?e, delivery = items[i].delivery.id, "an attempt could not be recorded")
                    }
                }
            }
            if !given_back.is_empty() {
                let ids = given_back.clone();
                let released = db.write(move |conn| -> anyhow::Result<_> { Ok(Delivery::release(conn, &ids)?) }).await;
                if let Err(e) = released {
                    tracing::warn!(error = ?e, deliveries = given_back.len(), "could not give deliveries back; their leases will expire");
                }
            }
            found
        }
    }
}
