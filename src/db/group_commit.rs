//! Group commit: writes that arrive together share one transaction and one commit.
//!
//! A caller of [`super::Db::write_grouped`] queues its work and waits; a writer thread takes
//! everything queued (up to [`MAX_BATCH`]), runs each piece in order inside one transaction and
//! commits once, then answers each caller. A caller is answered only after the commit that
//! holds its work, so an answer still means "committed". On PostgreSQL each commit waits for
//! its WAL flush and costs a round trip of its own; on SQLite each commit writes and checksums
//! WAL frames and hands the one writer lock on: per message, these were most of the cost.
//!
//! One caller's failure is its own: when a piece of work fails (bad input found inside the
//! transaction, a constraint), or the commit does, the batch is rolled back and each piece is
//! run again alone, in a transaction of its own, so the others commit and the failing one gets
//! its own error. The work is therefore `FnMut`: it may run twice, and its effects are only
//! those of the transaction that committed.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use diesel::Connection;

use super::outbox::{self, Inbox};
use super::{ConnPool, DbConnection};

/// The most pieces of work one transaction holds: a bound on what one failure makes run again.
pub const MAX_BATCH: usize = 64;

/// A piece of work with its answer, its types erased so one queue holds every kind.
trait Work: Send {
    /// Runs inside the open transaction; answers whether it succeeded.
    fn run(&mut self, conn: &mut DbConnection) -> bool;
    /// Its transaction ended: sends what the last run answered, or `failed` (a commit that
    /// failed, a lost connection) when given.
    fn answer(self: Box<Self>, failed: Option<anyhow::Error>);
}

struct Typed<T, E, F> {
    work: F,
    result: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Work for Typed<T, E, F>
where
    T: Send,
    E: From<anyhow::Error> + Send,
    F: FnMut(&mut DbConnection) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut DbConnection) -> bool {
        let result = (self.work)(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, failed: Option<anyhow::Error>) {
        let result = match (failed, self.result) {
            (Some(e), _) => Err(E::from(e)),
            (None, Some(result)) => result,
            (None, None) => Err(E::from(anyhow::anyhow!("the write did not run"))),
        };
        // The caller may have gone (its request was cancelled): the work stands either way.
        let _ = self.reply.send(result);
    }
}

/// What the writer threads need: not the queue's sender, so they end with the last `Db`.
#[derive(Clone)]
pub(super) struct Writer {
    pub pool: ConnPool,
    pub sqlite_writer: Option<Arc<parking_lot::FairMutex<()>>>,
    pub sender: Arc<tokio::sync::Notify>,
    pub inbox: Arc<Inbox>,
    /// How many pieces of work each committed transaction held, for `/metrics`.
    pub batch_sizes: prometheus_client::metrics::histogram::Histogram,
    /// Batches rolled back because a piece failed, each piece then run alone.
    pub splits: prometheus_client::metrics::counter::Counter,
}

/// The buckets of [`Writer::batch_sizes`]: 1, 2, 4 ... 64.
pub fn batch_size_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        1.0, 2.0, 7,
    ))
}

/// The queue callers put their work in.
#[derive(Clone)]
pub(super) struct Queue {
    tx: Sender<Box<dyn Work>>,
}

impl Queue {
    /// Starts `threads` writer threads taking from a new queue.
    pub fn start(writer: Writer, threads: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn Work>>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let (writer, rx) = (writer.clone(), rx.clone());
            std::thread::Builder::new()
                .name(format!("group-commit-{i}"))
                .spawn(move || writer.run(&rx))
                .expect("a group-commit thread");
        }
        Self { tx }
    }

    /// Queues `work` and waits for the commit that holds it.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let work: Box<dyn Work> = Box::new(Typed { work, result: None, reply });
        if self.tx.send(work).is_err() {
            return Err(E::from(anyhow::anyhow!("the database's writer has stopped")));
        }
        answer.await.unwrap_or_else(|_| Err(E::from(anyhow::anyhow!("the database's writer stopped"))))
    }
}

impl Writer {
    fn run(&self, rx: &Mutex<Receiver<Box<dyn Work>>>) {
        loop {
            // One thread at a time takes a batch: what waits now, up to the bound.
            let batch = {
                let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                let Ok(first) = rx.recv() else { return };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(work) => batch.push(work),
                        Err(_) => break,
                    }
                }
                batch
            };
            // A piece that panics must not take the writer with it (on SQLite the only one):
            // its batch's callers are answered "stopped" as their replies drop, and the thread
            // goes on with the next batch.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.commit(batch))).is_err() {
                tracing::error!("a grouped write panicked; its batch was not committed");
            }
        }
    }

    /// Runs the batch in one transaction; if any of it fails, each piece alone.
    fn commit(&self, mut batch: Vec<Box<dyn Work>>) {
        match self.transaction(&mut batch) {
            Ok(()) => {
                self.batch_sizes.observe(batch.len() as f64);
                batch.into_iter().for_each(|work| work.answer(None));
            }
            Err(e) if batch.len() == 1 => {
                if let Some(work) = batch.pop() {
                    work.answer(e.failure());
                }
            }
            Err(_) => {
                self.splits.inc();
                for work in batch {
                    let mut one = [work];
                    let result = self.transaction(&mut one);
                    if result.is_ok() {
                        self.batch_sizes.observe(1.0);
                    }
                    let failed = result.err().and_then(Failure::failure);
                    let [work] = one;
                    work.answer(failed);
                }
            }
        }
    }

    /// One transaction over `batch`, the outbox's hand-offs going out only if it commits.
    fn transaction(&self, batch: &mut [Box<dyn Work>]) -> Result<(), Failure> {
        let _writer = self.sqlite_writer.as_ref().map(|lock| lock.lock());
        let mut pooled =
            self.pool.get().map_err(|e| Failure::Database(anyhow::anyhow!("no database connection: {e}")))?;
        outbox::begin(&self.inbox);
        let result = pooled.conn.transaction(|conn| {
            for work in batch.iter_mut() {
                if !work.run(conn) {
                    return Err(Failure::Work);
                }
            }
            Ok(())
        });
        if outbox::finish(result.is_ok()) {
            self.sender.notify_one();
        }
        pooled.used(!matches!(result, Err(Failure::Database(_))));
        result
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
enum Failure {
    /// A piece of work answered an error: its own answer says which.
    Work,
    /// The database did (the commit, the connection).
    Database(anyhow::Error),
}

impl Failure {
    /// What to answer instead of the work's own result.
    fn failure(self) -> Option<anyhow::Error> {
        match self {
            Self::Work => None,
            Self::Database(e) => Some(e),
        }
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e.into())
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{DatabaseUrl, Db};

    #[tokio::test]
    async fn a_write_that_panics_leaves_the_writer_running() {
        let dir = tempfile::tempdir().expect("dir");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("g.db").display())).expect("url");
        let db = Db::connect(&url, 2).expect("db");
        let panicked = db.write_grouped(|_| -> anyhow::Result<()> { panic!("a bug in a write") }).await;
        assert!(panicked.is_err(), "its caller gets an error, not a hang");
        let after = db.write_grouped(|_| -> anyhow::Result<i32> { Ok(7) }).await;
        assert_eq!(after.ok(), Some(7), "the next grouped write still runs");
    }
}
