//! Storage: one connection type over SQLite and PostgreSQL, its pool, and the migrations.
//!
//! Every query runs on a blocking thread through [`Db::read`] or [`Db::write`]; a pooled
//! connection is never held across an `.await`.

pub mod addons;
pub mod api_key_revocations;
pub mod api_keys;
pub mod attempts;
pub mod audit_log;
pub mod clients;
pub mod deliveries;
pub mod delivery_log;
pub mod events;
pub mod failed_query;
pub mod group_commit;
pub mod idempotency_keys;
pub mod invitations;
pub mod listing;
pub mod mail_outbox;
pub mod memberships;
pub mod outbox;
pub mod projects;
pub mod schema;
pub mod sessions;
pub mod system_events;
pub mod tags;
pub mod tasks;
pub mod time_entries;
pub mod users;
pub mod webhook_stats;
pub mod webhooks;
pub mod workspaces;

use std::sync::Arc;
use std::time::{Duration, Instant};

use self::outbox::Inbox;
use anyhow::{anyhow, Context};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, QueryResult, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a database URL names. Chosen from the scheme ourselves, because
/// `establish` on the multi connection would let SQLite accept any string as a file name
/// and hide a PostgreSQL connection error behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| anyhow!("the database URL must start with sqlite:// or postgres:// (got {url:?})"))?;
        if path.is_empty() {
            return Err(anyhow!("the SQLite database URL names no file"));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    /// The SQLite file, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }
}

/// A pooled connection, and when it last answered: one that worked within the last second is
/// handed out without the `SELECT 1` round trip that checks the others.
pub struct Pooled {
    conn: DbConnection,
    answered: Option<Instant>,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Pooled {
    /// Notes how the last use went: a failure (perhaps a lost connection) has it checked again.
    fn used(&mut self, worked: bool) {
        self.answered = worked.then(Instant::now);
    }
}

/// Runs a multi-row statement over `rows` in chunks of `size` and answers its results in order:
/// a PostgreSQL statement takes at most 65,535 parameters, and a batch of publications fanned
/// out to many webhooks has more rows than one statement can take.
fn in_chunks<T, R>(rows: &[T], size: usize, mut f: impl FnMut(&[T]) -> QueryResult<Vec<R>>) -> QueryResult<Vec<R>> {
    let mut all = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(size) {
        all.extend(f(chunk)?);
    }
    Ok(all)
}

/// Group-commit writer threads on PostgreSQL.
const GROUP_WRITERS: usize = 2;

/// How long a connection that answered is trusted without a check.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// Opens connections of the one backend the URL names.
struct Manager {
    url: DatabaseUrl,
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let conn = match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgresql),
            DatabaseUrl::Sqlite(path) => SqliteConnection::establish(path).map(DbConnection::Sqlite),
        };
        let conn = conn.map(|mut conn| {
            conn.set_instrumentation(failed_query::watch());
            conn
        });
        conn.map(|conn| Pooled { conn, answered: None }).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Self::Error> {
        if pooled.answered.is_some_and(|at| at.elapsed() < TRUSTED_FOR) {
            return Ok(());
        }
        pooled.conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)?;
        pooled.used(true);
        Ok(())
    }

    fn has_broken(&self, _conn: &mut Pooled) -> bool {
        false
    }
}

/// Settings that hold per connection, applied as each one opens.
#[derive(Debug)]
struct SessionSettings;

impl CustomizeConnection<Pooled, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut Pooled) -> Result<(), diesel::r2d2::Error> {
        let settings = match &conn.conn {
            // busy_timeout first: the others may wait for a connection opening beside them.
            // No automatic checkpoints: one would run inside whichever request commits past
            // the threshold (tens of ms); the sender's loop checkpoints instead (`checkpoint`).
            DbConnection::Sqlite(_) => {
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;"
            }
            // Plan each prepared statement once, as SQLite's QPSG does (`.cargo/config.toml`).
            // PostgreSQL otherwise plans a statement with each run's values until a generic
            // plan looks as cheap, and for the deliveries list's per-state read it never did:
            // planning took 0.17 ms of each 0.2 ms run, five times a Details page (pages bench,
            // PostgreSQL Details newest: 615 -> 1,235 requests/s, p50 18.3 -> 8.6 ms). Statements
            // that need a partial index state its condition as a literal (`deliveries::IsPending`).
            DbConnection::Postgresql(_) => "SET plan_cache_mode = force_generic_plan",
        };
        conn.conn.batch_execute(settings).map_err(diesel::r2d2::Error::QueryError)
    }
}

type ConnPool = Pool<Manager>;

/// The application's database handle: cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: ConnPool,
    /// SQLite allows one writer; a transaction that reads and then writes would fail with
    /// `SQLITE_BUSY` instead of waiting if another writer slipped in between. Writers in this
    /// process queue here instead (SQLite is one process by design), first come first served:
    /// with an unfair lock some requests waited behind many others (the entries bench's API
    /// p99 was 20 ms, fair it is 8 ms). `None` on PostgreSQL.
    sqlite_writer: Option<Arc<parking_lot::FairMutex<()>>>,
    /// Woken after a commit that enqueued deliveries for the sender's poll.
    sender: Arc<tokio::sync::Notify>,
    /// Takes the deliveries handed to this process's sender as they commit ([`outbox`]).
    inbox: Arc<Inbox>,
    /// How long each request waited for a pooled connection (seconds), for `/metrics`.
    pool_wait: prometheus_client::metrics::histogram::Histogram,
    /// What the writer threads of a group-commit queue share ([`Db::group_queue`]); its
    /// metrics are the committed batches' sizes and the batches split by a failure.
    group_writer: group_commit::Writer,
}

impl Db {
    /// Opens a pool of `size` connections to `url`.
    pub fn connect(url: &DatabaseUrl, size: u32) -> anyhow::Result<Self> {
        let is_sqlite = matches!(url, DatabaseUrl::Sqlite(_));
        if let Some(path) = url.sqlite_path() {
            owner_only(std::path::Path::new(path))?;
        }
        let pool = Pool::builder()
            .max_size(size)
            // Open connections as they are needed: a quick start, and no burst of SQLite opens.
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(SessionSettings))
            .build(Manager { url: url.clone() })
            .with_context(|| format!("cannot open the database ({})", redacted(url)))?;
        let sqlite_writer = is_sqlite.then(|| Arc::new(parking_lot::FairMutex::new(())));
        let (sender, inbox) = (Arc::new(tokio::sync::Notify::new()), Arc::<Inbox>::default());
        let group_writer = group_commit::Writer {
            pool: pool.clone(),
            sqlite_writer: sqlite_writer.clone(),
            sender: sender.clone(),
            inbox: inbox.clone(),
            batch_sizes: group_commit::batch_size_histogram(),
            splits: prometheus_client::metrics::counter::Counter::default(),
        };
        Ok(Self {
            pool,
            sqlite_writer,
            sender,
            inbox,
            group_writer,
            pool_wait: prometheus_client::metrics::histogram::Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.0001, 4.0, 10),
            ),
        })
    }

    /// Applies every pending migration of the backend in use.
    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get().context("no database connection for migrations")?;
        let applied = match &mut **conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(|e| anyhow!("migrations failed: {e}"))?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(())
    }

    /// Runs `f` with a connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let (pool, wait) = (self.pool.clone(), self.pool_wait.clone());
        actix_web::web::block(move || {
            let asked = Instant::now();
            let mut pooled = pool.get().context("no database connection")?;
            wait.observe(asked.elapsed().as_secs_f64());
            let result = f(&mut pooled);
            pooled.used(result.is_ok());
            result
        })
        .await
        .map_err(|e| E::from(anyhow!("database task failed: {e}")))?
    }

    /// Runs `f` inside one transaction on a blocking thread; an `Err` rolls it back.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + From<diesel::result::Error> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(f))
            .await
            .map_err(|e| E::from(anyhow!("database task failed: {e}")))?
    }

    /// A queue of writes of one kind that share transactions and their commits (see
    /// `group_commit`): for the hot API writes, whose cost was mostly the commit and the
    /// statements' round trips. SQLite has one writer thread; on PostgreSQL two let one batch
    /// run while the next gathers.
    pub fn group_queue<B: group_commit::Batch>(&self, batch: B) -> group_commit::Queue<B> {
        let threads = if self.sqlite_writer.is_some() { 1 } else { GROUP_WRITERS };
        group_commit::Queue::start(self.group_writer.clone(), batch, threads)
    }

    /// [`Db::write`] for callers already on a blocking thread (the CLI, the sender).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<anyhow::Error> + From<diesel::result::Error>,
    {
        let _writer = self.sqlite_writer.as_ref().map(|lock| lock.lock());
        let asked = Instant::now();
        let mut pooled = self.pool.get().context("no database connection")?;
        self.pool_wait.observe(asked.elapsed().as_secs_f64());
        let conn: &mut DbConnection = &mut pooled;
        outbox::begin(&self.inbox);
        let result = conn.transaction(f);
        if outbox::finish(result.is_ok()) {
            self.sender.notify_one();
        }
        pooled.used(result.is_ok());
        result
    }
}

/// Why the database is not ready to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    Unreachable,
    MigrationsPending,
}

impl Db {
    /// Whether the database answers with every migration of this build applied (`/readyz`).
    pub async fn readiness(&self) -> Result<(), NotReady> {
        let checked = self
            .read(|conn| -> anyhow::Result<bool> {
                let pending = match conn {
                    DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
                    DbConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
                };
                pending.map_err(|e| anyhow!("cannot read the migrations: {e}"))
            })
            .await;
        match checked {
            Ok(false) => Ok(()),
            Ok(true) => Err(NotReady::MigrationsPending),
            Err(e) => {
                tracing::warn!(error = ?e, "readiness: the database does not answer");
                Err(NotReady::Unreachable)
            }
        }
    }

    /// What the sender waits on between batches.
    pub fn sender_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.sender.clone()
    }

    /// Copies SQLite's write-ahead log back into the database (without blocking readers or
    /// writers), as automatic checkpoints are off; nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if self.sqlite_writer.is_none() {
            return Ok(());
        }
        self.read(|conn| -> anyhow::Result<()> {
            if let DbConnection::Sqlite(conn) = conn {
                conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")?;
            }
            Ok(())
        })
        .await
    }

    /// The grouped writes' committed batch sizes, and how many batches a failure split.
    pub fn group_commits(
        &self,
    ) -> (prometheus_client::metrics::histogram::Histogram, prometheus_client::metrics::counter::Counter) {
        (self.group_writer.batch_sizes.clone(), self.group_writer.splits.clone())
    }

    /// The histogram of waits for a pooled connection.
    pub fn pool_wait(&self) -> prometheus_client::metrics::histogram::Histogram {
        self.pool_wait.clone()
    }

    /// This process's connections: in use, and idle.
    pub fn pool_connections(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections.saturating_sub(state.idle_connections), state.idle_connections)
    }

    /// Where committed deliveries are handed to this process's sender.
    pub fn inbox(&self) -> Arc<Inbox> {
        self.inbox.clone()
    }
}

/// Makes the SQLite database readable by its owner only (0600), like the key file: created so
/// if it is new, and set so if it exists. SQLite gives its `-wal` and `-shm` files the mode of
/// the database; existing ones are set too.
fn owner_only(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = std::path::PathBuf::from(file);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private", file.display()))?;
        }
    }
    Ok(())
}

/// Serialises transactions that check for absence and then insert (first-run setup): on
/// PostgreSQL a transaction-scoped advisory lock, so two racing setups cannot both see an
/// empty table; SQLite writers are already one at a time (see [`Db::write`]).
pub fn lock_for_setup(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    if let DbConnection::Postgresql(pg) = conn {
        // An arbitrary constant naming this lock: "kh" + "setup".
        diesel::sql_query("SELECT pg_advisory_xact_lock(6_948_000_001)").execute(pg)?;
    }
    Ok(())
}

/// The URL with any password removed, fit for an error message or a log line.
fn redacted(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
        DatabaseUrl::Postgres(url) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_chooses_the_backend() {
        assert_eq!(DatabaseUrl::parse("sqlite://keyhook.db").ok(), Some(DatabaseUrl::Sqlite("keyhook.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgresql://u:p@localhost/k"), Ok(DatabaseUrl::Postgres(_))));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::Postgres("postgres://keyhook:s3cret@db:5432/k".into());
        assert_eq!(redacted(&url), "postgres://***@db:5432/k");
    }
}
