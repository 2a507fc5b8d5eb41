//! Group commit: writes that arrive together share one transaction, one commit, and the
//! statements a batch of them can share.
//!
//! A kind of write is a [`Batch`]: it runs many requests at once (a publication batch inserts
//! all its events in one statement, and checks each caller's access once). A caller of
//! [`Queue::write`] queues its request and waits; a writer thread takes everything queued (up
//! to [`MAX_BATCH`]), runs it in one transaction and commits once, then answers each caller.
//! A caller is answered only after the commit that holds its work, so an answer still means
//! "committed". On PostgreSQL each commit waits for its WAL flush, and each statement costs a
//! round trip and its parsing; on SQLite each commit writes and checksums WAL frames and hands
//! the one writer lock on: per message, these were most of the cost.
//!
//! One caller's failure is its own. A request refused before it wrote anything (bad input, no
//! access) is answered so while the others commit. When a statement fails (a constraint) or
//! the commit does, the batch is rolled back and each request is run again alone, in a
//! transaction of its own, so the others commit and the failing one gets its own error. A
//! request may therefore run twice; its effects are only those of the transaction that
//! committed.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use diesel::Connection;

use super::outbox::{self, Inbox};
use super::{ConnPool, DbConnection};

/// The most requests one transaction holds: a bound on what one failure makes run again.
pub const MAX_BATCH: usize = 64;

/// A kind of write that group commit runs many of in one transaction.
pub trait Batch: Send + Sync + 'static {
    type Request: Send + 'static;
    type Answer: Send + 'static;
    type Error: From<anyhow::Error> + Send + 'static;

    /// Runs `requests` inside the open transaction and answers each, in order. A request's own
    /// `Err` must be a refusal found before it wrote anything: the others still commit. An
    /// `Err` of the whole (a statement failed) rolls the batch back; each request is then run
    /// alone, and one that fails so alone is answered that error.
    #[allow(clippy::type_complexity)]
    fn run(
        &self,
        conn: &mut DbConnection,
        requests: &[Self::Request],
    ) -> Result<Vec<Result<Self::Answer, Self::Error>>, Self::Error>;
}

type Answered<B> = Result<<B as Batch>::Answer, <B as Batch>::Error>;

/// A queued request and where its answer goes.
struct Pending<B: Batch> {
    request: B::Request,
    reply: tokio::sync::oneshot::Sender<Answered<B>>,
}

/// What the writer threads share with the database handle; not the queue's sender, so they
/// end with the last [`Queue`].
#[derive(Clone)]
pub(super) struct Writer {
    pub pool: ConnPool,
    pub sqlite_writer: Option<Arc<parking_lot::FairMutex<()>>>,
    pub sender: Arc<tokio::sync::Notify>,
    pub inbox: Arc<Inbox>,
    /// How many requests each committed transaction held, for `/metrics`.
    pub batch_sizes: prometheus_client::metrics::histogram::Histogram,
    /// Batches rolled back because a statement failed, each request then run alone.
    pub splits: prometheus_client::metrics::counter::Counter,
}

/// The buckets of [`Writer::batch_sizes`]: 1, 2, 4 ... 64.
pub fn batch_size_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        1.0, 2.0, 7,
    ))
}

/// The queue callers put their requests of one kind in (see [`super::Db::group_queue`]).
pub struct Queue<B: Batch> {
    tx: Sender<Pending<B>>,
}

impl<B: Batch> Clone for Queue<B> {
    fn clone(&self) -> Self {
        Self { tx: self.tx.clone() }
    }
}

impl<B: Batch> std::fmt::Debug for Queue<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("group_commit::Queue")
    }
}

impl<B: Batch> Queue<B> {
    /// Starts `threads` writer threads running `batch` on what a new queue takes.
    pub(super) fn start(writer: Writer, batch: B, threads: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Pending<B>>();
        let runner = Arc::new(Runner { writer, batch });
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let (runner, rx) = (runner.clone(), rx.clone());
            std::thread::Builder::new()
                .name(format!("group-commit-{i}"))
                .spawn(move || runner.run(&rx))
                .expect("a group-commit thread");
        }
        Self { tx }
    }

    /// Queues `request` and waits for the commit of the transaction that ran it.
    pub async fn write(&self, request: B::Request) -> Answered<B> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.tx.send(Pending { request, reply }).is_err() {
            return Err(anyhow::anyhow!("the database's writer has stopped").into());
        }
        // Dropped unanswered: its batch panicked (and was rolled back).
        answer.await.unwrap_or_else(|_| Err(anyhow::anyhow!("the database's writer stopped").into()))
    }
}

struct Runner<B> {
    writer: Writer,
    batch: B,
}

impl<B: Batch> Runner<B> {
    /// Takes batches until every queue handle is gone.
    fn run(&self, rx: &Mutex<Receiver<Pending<B>>>) {
        loop {
            let batch = {
                // One thread gathers at a time, so each takes a whole burst rather than both
                // taking halves.
                let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                let Ok(first) = rx.recv() else { return };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(pending) => batch.push(pending),
                        Err(_) => break,
                    }
                }
                batch
            };
            // A bug in a request must not stop the thread (on SQLite the only one): its batch is
            // dropped unanswered, so its callers get an error, and the next batch runs.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.commit(batch))).is_err() {
                tracing::error!("a grouped write panicked; its batch was not committed");
            }
        }
    }

    /// Runs the batch in one transaction; on failure, each request alone. Answers everyone.
    fn commit(&self, batch: Vec<Pending<B>>) {
        let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|p| (p.request, p.reply)).unzip();
        match self.transaction(&requests) {
            Ok(answers) => {
                self.writer.batch_sizes.observe(requests.len() as f64);
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // The caller may have gone (its request was cancelled): the work stands.
                    let _ = reply.send(answer);
                }
            }
            Err(failure) if requests.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(failure.error()));
                }
            }
            Err(_) => {
                self.writer.splits.inc();
                for (request, reply) in requests.iter().zip(replies) {
                    let answer = match self.transaction(std::slice::from_ref(request)) {
                        Ok(mut answers) => {
                            self.writer.batch_sizes.observe(1.0);
                            answers.pop().unwrap_or_else(|| Err(anyhow::anyhow!("the write did not run").into()))
                        }
                        Err(failure) => Err(failure.error()),
                    };
                    let _ = reply.send(answer);
                }
            }
        }
    }

    /// One transaction over `requests`, the outbox's hand-offs going out only if it commits.
    fn transaction(&self, requests: &[B::Request]) -> Result<Vec<Answered<B>>, Failure<B::Error>> {
        let writer = &self.writer;
        let _writer = writer.sqlite_writer.as_ref().map(|lock| lock.lock());
        let mut pooled =
            writer.pool.get().map_err(|e| Failure::Database(anyhow::anyhow!("no database connection: {e}")))?;
        outbox::begin(&writer.inbox);
        let result = pooled.conn.transaction(|conn| {
            let answers = self.batch.run(conn, requests).map_err(Failure::Work)?;
            if answers.len() != requests.len() {
                return Err(Failure::Database(anyhow::anyhow!(
                    "a batch answered {} of {}",
                    answers.len(),
                    requests.len()
                )));
            }
            Ok(answers)
        });
        if outbox::finish(result.is_ok()) {
            writer.sender.notify_one();
        }
        pooled.used(!matches!(result, Err(Failure::Database(_))));
        result
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
enum Failure<E> {
    /// The batch answered an error (a statement of it failed).
    Work(E),
    /// The database did (the commit, the connection).
    Database(anyhow::Error),
}

impl<E: From<anyhow::Error>> Failure<E> {
    /// What a request that ran alone is answered.
    fn error(self) -> E {
        match self {
            Self::Work(e) => e,
            Self::Database(e) => E::from(e),
        }
    }
}

impl<E> From<diesel::result::Error> for Failure<E> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e.into())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::{Batch, Queue};
    use crate::db::{DatabaseUrl, Db, DbConnection};

    /// A request that makes its batch's statement fail.
    const FAILS: i32 = 13;
    /// A request that holds the writer a moment, so the next ones queue up into one batch.
    const SLOW: i32 = 100;

    /// Answers each request with itself, a negative one refused; panics on 666. Notes the size
    /// of every batch it runs.
    struct Judge {
        sizes: Arc<Mutex<Vec<usize>>>,
    }

    impl Batch for Judge {
        type Request = i32;
        type Answer = i32;
        type Error = anyhow::Error;

        fn run(&self, _: &mut DbConnection, requests: &[i32]) -> anyhow::Result<Vec<anyhow::Result<i32>>> {
            assert!(!requests.contains(&666), "a bug in a write");
            self.sizes.lock().expect("sizes").push(requests.len());
            if requests.contains(&SLOW) {
                std::thread::sleep(Duration::from_millis(300));
            }
            anyhow::ensure!(!requests.contains(&FAILS), "a statement failed");
            Ok(requests.iter().map(|&r| if r < 0 { Err(anyhow::anyhow!("refused {r}")) } else { Ok(r) }).collect())
        }
    }

    fn queue() -> (Queue<Judge>, Arc<Mutex<Vec<usize>>>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("dir");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("g.db").display())).expect("url");
        let db = Db::connect(&url, 2).expect("db");
        let sizes = Arc::default();
        (db.group_queue(Judge { sizes: Arc::clone(&sizes) }), sizes, dir)
    }

    /// Sends `SLOW`, then `requests` at once while it runs; answers theirs.
    async fn behind_a_slow_one(queue: &Queue<Judge>, requests: &[i32]) -> Vec<Result<i32, String>> {
        let slow = tokio::spawn({
            let queue = queue.clone();
            async move { queue.write(SLOW).await.map_err(|e| e.to_string()) }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sends: Vec<_> = requests
            .iter()
            .map(|&r| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.write(r).await.map_err(|e| e.to_string()) })
            })
            .collect();
        let mut answers = Vec::new();
        for send in sends {
            answers.push(send.await.expect("send"));
        }
        assert_eq!(slow.await.expect("slow"), Ok(SLOW));
        answers
    }

    #[tokio::test]
    async fn a_refusal_is_answered_in_its_batch_and_a_failure_reruns_each_alone() {
        let (queue, sizes, _dir) = queue();
        let refused = behind_a_slow_one(&queue, &[1, -2, 3]).await;
        assert_eq!(refused, [Ok(1), Err("refused -2".into()), Ok(3)]);
        assert_eq!(*sizes.lock().expect("sizes"), [1, 3], "the refusal did not roll the others back");

        sizes.lock().expect("sizes").clear();
        let failed = behind_a_slow_one(&queue, &[4, FAILS, -5, 6]).await;
        assert_eq!(failed, [Ok(4), Err("a statement failed".into()), Err("refused -5".into()), Ok(6)]);
        assert_eq!(*sizes.lock().expect("sizes"), [1, 4, 1, 1, 1, 1], "rolled back, then each alone");
    }

    #[tokio::test]
    async fn a_write_that_panics_leaves_the_writer_running() {
        let (queue, _sizes, _dir) = queue();
        assert!(queue.write(666).await.is_err(), "its caller gets an error, not a hang");
        assert_eq!(queue.write(7).await.ok(), Some(7), "the next grouped write still runs");
    }
}
