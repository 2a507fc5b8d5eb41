//! Settings, from `KEYHOOK_*` environment variables or the matching flags.
//!
//! Secrets (the session key and the key that encrypts webhook secrets at rest) come from the
//! environment or, when absent, from a key file created once with mode 0600. They are held
//! in [`SecretKey`], whose `Debug` never prints them.

use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rand::RngCore;

use crate::db::DatabaseUrl;

#[derive(Debug, Parser)]
#[command(name = "keyhook", version, about = "API keys and webhooks for a time-tracking workspace")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the REST API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts from scripts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Also create this workspace with the new user as its Owner.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Set a new password for an account (a locked-out Owner's way back); the password is
    /// read from standard input (one line). Signs the user out everywhere.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Every setting of the server. Each flag has a `KEYHOOK_*` variable of the same name.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB.
    #[arg(
        long,
        env = "KEYHOOK_DATABASE_URL",
        default_value = "sqlite://keyhook.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "KEYHOOK_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// Session cookie key: base64 of at least 64 random bytes. Default: from the key file.
    #[arg(long, env = "KEYHOOK_SESSION_KEY", global = true, hide_env_values = true)]
    pub session_key: Option<SecretKey>,

    /// Key that encrypts webhook secrets at rest: base64 of 32 random bytes. Default: from the key file.
    #[arg(long, env = "KEYHOOK_ENCRYPTION_KEY", global = true, hide_env_values = true)]
    pub encryption_key: Option<SecretKey>,

    /// Where keys missing from the environment are kept (created once, mode 0600).
    /// Default: beside the SQLite database (keyhook.keys), or ./keyhook.keys on PostgreSQL.
    #[arg(long, env = "KEYHOOK_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,

    /// Bearer token `/metrics` requires (`Authorization: Bearer TOKEN`); without it `/metrics`
    /// is off. At least 16 characters.
    #[arg(long, env = "KEYHOOK_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<SecretText>,

    /// Where users reach keyhook (`https://keyhook.example.com`): the base of links it builds
    /// (invitation links, the add-ons' `apiUrl`). Without it, the listen address is used, never
    /// a request's `Host` or `X-Forwarded-Host`.
    #[arg(long, env = "KEYHOOK_PUBLIC_URL", global = true)]
    pub public_url: Option<PublicUrl>,

    /// Mark cookies Secure (set this when serving over https).
    #[arg(long, env = "KEYHOOK_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,

    /// Add a `Server-Timing` header (time spent in keyhook) to every answer: for browsers'
    /// developer tools and the benchmarks. Off by default.
    #[arg(long, env = "KEYHOOK_SERVER_TIMING", global = true)]
    pub server_timing: bool,

    /// Log lines as human-readable text or JSON.
    #[arg(long, env = "KEYHOOK_LOG_FORMAT", value_enum, default_value = "human", global = true)]
    pub log_format: LogFormat,

    /// Log filter: a level (error, warn, info, debug) or per-module directives; `debug`
    /// adds one line per request.
    #[arg(long, env = "KEYHOOK_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Database connections per process.
    #[arg(long, env = "KEYHOOK_DB_POOL_SIZE", default_value_t = 8, global = true)]
    pub db_pool_size: u32,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "KEYHOOK_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Failed logins allowed per account before a lockout.
    #[arg(long, env = "KEYHOOK_LOGIN_MAX_FAILURES", default_value_t = 5, global = true)]
    pub login_max_failures: u32,

    /// Failed logins allowed per client address before a lockout.
    #[arg(long, env = "KEYHOOK_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 5, global = true)]
    pub login_max_failures_per_address: u32,

    /// REST API requests per second per key (token bucket; bursts up to the same); 0 turns it off.
    #[arg(long, env = "KEYHOOK_API_RATE_LIMIT", default_value_t = 50, global = true)]
    pub api_rate_limit: u32,

    /// Networks webhooks may reach although private (CIDRs, comma separated), e.g. 127.0.0.0/8,::1/128 for local development.
    #[arg(long, env = "KEYHOOK_ALLOW_PRIVATE_NETWORKS", default_value = "", global = true)]
    pub allow_private_networks: String,

    /// Send only to the networks of KEYHOOK_ALLOW_PRIVATE_NETWORKS, refusing public addresses
    /// too: for a keyhook inside a closed network (and for tests, which must not leave loopback).
    #[arg(long, env = "KEYHOOK_ONLY_ALLOWED_NETWORKS", global = true)]
    pub only_allowed_networks: bool,

    /// A PEM file of certificate authorities webhook endpoints' certificates may be signed by,
    /// besides the system's (a company's internal CA). Read at start.
    #[arg(long, env = "KEYHOOK_EXTRA_CA_FILE", value_parser = crate::outbound::trust::ExtraRoots::load, global = true)]
    pub extra_ca_file: Option<crate::outbound::trust::ExtraRoots>,

    /// Time limit of one webhook request.
    #[arg(long, env = "KEYHOOK_SEND_TIMEOUT", default_value = "15s", global = true)]
    pub send_timeout: HumanDuration,

    /// Waits before each retry of a failed delivery (jitter adds up to 10 %).
    #[arg(long, env = "KEYHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", global = true)]
    pub retry_schedule: RetrySchedule,

    /// A webhook whose deliveries all fail for this long is disabled.
    #[arg(long, env = "KEYHOOK_AUTO_DISABLE_AFTER", default_value = "5d", global = true)]
    pub auto_disable_after: HumanDuration,

    /// The SMTP server for alert, invitation and password mails: `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host:465`. Unset: no mail.
    #[arg(long, env = "KEYHOOK_SMTP_URL", global = true)]
    pub smtp_url: Option<crate::outbound::mail::SmtpSetting>,

    /// The sender of keyhook's mails, like `keyhook <alerts@example.com>` (needed with KEYHOOK_SMTP_URL).
    #[arg(long, env = "KEYHOOK_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// A webhook Degraded for this long is mailed about (Failing and disabled ones at once).
    #[arg(long, env = "KEYHOOK_DEGRADED_ALERT_AFTER", default_value = "15m", global = true)]
    pub degraded_alert_after: HumanDuration,

    /// A webhook with no success for this long is Failing (the warning before auto-disable).
    #[arg(long, env = "KEYHOOK_FAILING_AFTER", default_value = "24h", global = true)]
    pub failing_after: HumanDuration,

    /// A webhook is Degraded when more than this percentage of its last hour's attempts failed.
    #[arg(long, env = "KEYHOOK_DEGRADED_PERCENT", default_value_t = 20, value_parser = clap::value_parser!(u8).range(1..=99), global = true)]
    pub degraded_percent: u8,

    /// How often every webhook's health is judged again (failures recorded make it sooner).
    #[arg(long, env = "KEYHOOK_HEALTH_CHECK_EVERY", default_value = "10s", global = true)]
    pub health_check_every: HumanDuration,

    /// Webhook requests in flight at once, in all.
    #[arg(long, env = "KEYHOOK_SENDER_CONCURRENCY", default_value_t = 64, global = true)]
    pub sender_concurrency: usize,

    /// Webhook requests in flight at once to one webhook.
    #[arg(long, env = "KEYHOOK_SENDER_PER_WEBHOOK", default_value_t = 8, global = true)]
    pub sender_per_webhook: usize,

    /// Tests only, never a flag: no sender thread; the caller runs the sender's steps
    /// (`Application::driven_sender`).
    #[arg(skip)]
    pub sender_driven: bool,

    /// How long the old signing secret keeps signing after a rotation (unless ?grace= says otherwise).
    #[arg(long, env = "KEYHOOK_SIGNING_GRACE", default_value = "24h", global = true)]
    pub signing_grace: HumanDuration,

    /// Attempts older than this are deleted.
    #[arg(long, env = "KEYHOOK_ATTEMPT_RETENTION", default_value = "30d", global = true)]
    pub attempt_retention: HumanDuration,

    /// How long a lockout lasts, in seconds.
    #[arg(long, env = "KEYHOOK_LOGIN_LOCKOUT_SECS", default_value_t = 300, global = true)]
    pub login_lockout_secs: u64,
}

impl Settings {
    /// The health ladder's thresholds.
    pub fn health_rules(&self) -> crate::domain::HealthRules {
        let ms = |d: &HumanDuration| i64::try_from(d.0.as_millis()).unwrap_or(i64::MAX);
        crate::domain::HealthRules {
            degraded_percent: self.degraded_percent,
            failing_after_ms: ms(&self.failing_after),
            disable_after_ms: ms(&self.auto_disable_after),
            ..Default::default()
        }
    }

    /// Settings with every default, as `keyhook` with no flags and no environment would have.
    pub fn defaults() -> Self {
        Self::parse_from(["keyhook"])
    }

    fn parse_from<I: IntoIterator<Item = &'static str>>(args: I) -> Self {
        // Parsing our own defaults cannot fail; the fallback is unreachable.
        Cli::try_parse_from(args).map(|cli| cli.settings).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.database_url)
    }

    /// Resolves both keys: the environment's, else the key file's (creating it once).
    pub fn keys(&self) -> anyhow::Result<Keys> {
        if let (Some(session), Some(encryption)) = (&self.session_key, &self.encryption_key) {
            return Keys::checked(session.clone(), encryption.clone());
        }
        let path = self.key_file_path()?;
        let from_file = KeyFile::load_or_create(&path)?;
        Keys::checked(
            self.session_key.clone().unwrap_or(from_file.session),
            self.encryption_key.clone().unwrap_or(from_file.encryption),
        )
    }

    fn key_file_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.key_file {
            return Ok(path.clone());
        }
        Ok(match self.database()?.sqlite_path() {
            Some(db) => Path::new(db).with_extension("keys"),
            None => {
                tracing::warn!(
                    "no KEYHOOK_SESSION_KEY/KEYHOOK_ENCRYPTION_KEY: using ./keyhook.keys; \
                     instances that share a database must share these keys"
                );
                PathBuf::from("keyhook.keys")
            }
        })
    }
}

/// A duration written as a number and a unit: `250ms`, `5s`, `5m`, `2h`, `5d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub std::time::Duration);

impl std::str::FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: u64 = number.parse().map_err(|_| format!("{s:?} is not a duration like 5s or 2h"))?;
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("{s:?}: use ms, s, m, h or d")),
        };
        // Past what an instant in Unix milliseconds can hold, a duration means nothing.
        let millis = n.checked_mul(unit_ms).filter(|ms| i64::try_from(*ms).is_ok());
        let millis = millis.ok_or_else(|| format!("{s:?} is longer than any duration keyhook keeps"))?;
        Ok(Self(std::time::Duration::from_millis(millis)))
    }
}

/// The waits before each retry, comma separated (`5s,5m,30m`). Empty means no retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<std::time::Duration>);

impl std::str::FromStr for RetrySchedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<HumanDuration>().map(|d| d.0))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// Raw key bytes. Parsed from base64; never printed.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    fn random(len: usize) -> Self {
        let mut bytes = vec![0u8; len];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }
}

impl std::str::FromStr for SecretKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        BASE64.decode(s.trim()).map(SecretKey).map_err(|_| "not valid base64".to_owned())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({} bytes)", self.0.len())
    }
}

/// A secret given as text (the metrics token); never printed.
#[derive(Clone)]
pub struct SecretText(String);

impl SecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for SecretText {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.len() < 16 || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("use at least 16 printable characters".into());
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(..)")
    }
}

/// The public base URL: `http(s)://host[:port]`, with no path, query or trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base URL of the listen address, when no public URL is configured (an unspecified
    /// address such as 0.0.0.0 is named as localhost).
    pub fn of_bind(bind: SocketAddr, https: bool) -> Self {
        let scheme = if https { "https" } else { "http" };
        let host = match bind.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        Self(format!("{scheme}://{host}:{}", bind.port()))
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let trimmed = s.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or("use http:// or https:// followed by the host")?;
        let plain = rest.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        if rest.is_empty() || !plain {
            return Err("use a scheme and a host only, like https://keyhook.example.com".into());
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// The two keys the server needs, checked for length.
#[derive(Debug, Clone)]
pub struct Keys {
    pub session: SecretKey,
    pub encryption: SecretKey,
}

impl Keys {
    pub const SESSION_LEN: usize = 64;
    pub const ENCRYPTION_LEN: usize = 32;

    fn checked(session: SecretKey, encryption: SecretKey) -> anyhow::Result<Self> {
        if session.0.len() < Self::SESSION_LEN {
            bail!("the session key must be at least {} bytes (base64)", Self::SESSION_LEN);
        }
        if encryption.0.len() != Self::ENCRYPTION_LEN {
            bail!("the encryption key must be exactly {} bytes (base64)", Self::ENCRYPTION_LEN);
        }
        Ok(Self { session, encryption })
    }
}

/// `KEY=base64` lines in a file only its owner can read.
struct KeyFile {
    session: SecretKey,
    encryption: SecretKey,
}

impl KeyFile {
    const SESSION: &'static str = "KEYHOOK_SESSION_KEY";
    const ENCRYPTION: &'static str = "KEYHOOK_ENCRYPTION_KEY";

    fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let fresh =
            Self { session: SecretKey::random(Keys::SESSION_LEN), encryption: SecretKey::random(Keys::ENCRYPTION_LEN) };
        // `create_new` makes two processes starting at once agree on one file: the loser
        // reads what the winner wrote.
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                let text = format!(
                    "# keyhook's keys: losing them logs everyone out and makes webhook secrets unreadable.\n{}={}\n{}={}\n",
                    Self::SESSION,
                    BASE64.encode(fresh.session.expose()),
                    Self::ENCRYPTION,
                    BASE64.encode(fresh.encryption.expose()),
                );
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("cannot write the key file {}", path.display()))?;
                tracing::info!(path = %path.display(), "created the key file");
                Ok(fresh)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(e).with_context(|| format!("cannot create the key file {}", path.display())),
        }
    }

    fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
        let find = |name: &str| -> anyhow::Result<SecretKey> {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
                .ok_or_else(|| anyhow!("the key file {} has no {name}", path.display()))?;
            line.parse().map_err(|e| anyhow!("{name} in {}: {e}", path.display()))
        };
        Ok(Self { session: find(Self::SESSION)?, encryption: find(Self::ENCRYPTION)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn an_extra_ca_file_without_certificates_stops_the_start_naming_the_setting() {
        let error = Cli::try_parse_from(["keyhook", "--extra-ca-file", "/nonexistent/ca.pem"]).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("--extra-ca-file") && message.contains("cannot read /nonexistent/ca.pem"),
            "{message}"
        );
    }

    #[test]
    fn key_file_is_created_once_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("keyhook-keys-{}", crate::domain::new_public_id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut settings = Settings::defaults();
        settings.database_url = format!("sqlite://{}", dir.join("k.db").display());
        let first = settings.keys().expect("created");
        let path = dir.join("k.keys");
        let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = settings.keys().expect("reused");
        assert_eq!(first.session.expose(), second.session.expose());
        assert_eq!(first.encryption.expose(), second.encryption.expose());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn durations_and_schedules_parse() {
        use std::time::Duration;
        assert_eq!("250ms".parse::<HumanDuration>(), Ok(HumanDuration(Duration::from_millis(250))));
        assert_eq!("5d".parse::<HumanDuration>(), Ok(HumanDuration(Duration::from_secs(5 * 86_400))));
        assert!("5 days".parse::<HumanDuration>().is_err());
        assert!("18446744073709551615d".parse::<HumanDuration>().is_err(), "overflow is refused");
        assert!("9223372036854775808ms".parse::<HumanDuration>().is_err(), "past an i64 of milliseconds");
        let schedule: RetrySchedule = "5s,5m,30m,2h,5h,10h,10h".parse().expect("valid");
        let total: Duration = schedule.0.iter().sum();
        assert_eq!(schedule.0.len(), 7);
        assert_eq!(total.as_secs(), 5 + 300 + 1800 + 7200 + 18000 + 36000 + 36000, "about 27.6 hours");
        assert_eq!("".parse::<RetrySchedule>(), Ok(RetrySchedule(vec![])));
    }

    #[test]
    fn public_urls_are_a_scheme_and_a_host() {
        assert_eq!(
            "https://keyhook.example.com/".parse::<PublicUrl>().map(|u| u.0),
            Ok("https://keyhook.example.com".into())
        );
        assert!("http://[::1]:8080".parse::<PublicUrl>().is_ok());
        for bad in ["keyhook.example.com", "https://", "https://evil.example/path", "https://a b", "javascript:x"] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
        let bound = |a: &str| PublicUrl::of_bind(a.parse().expect("address"), false).0;
        assert_eq!(bound("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(bound("0.0.0.0:80"), "http://localhost:80");
        assert_eq!(bound("[::1]:9"), "http://[::1]:9");
        assert!(!format!("{:?}", "a-metrics-token-long".parse::<SecretText>()).contains("a-metrics"));
    }

    #[test]
    fn short_keys_are_refused_and_never_printed() {
        let short: SecretKey = BASE64.encode([7u8; 16]).parse().expect("base64");
        assert!(Keys::checked(short.clone(), short.clone()).is_err());
        assert_eq!(format!("{short:?}"), "SecretKey(16 bytes)");
    }
}
