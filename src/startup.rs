//! Building the server: database, keys, middleware and routes. Tests call
//! [`Application::build`] with `bind` on port 0 and get the real thing.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::outbound::mail::Mailer;
use crate::outbound::network_policy::NetworkPolicy;
use crate::request_log::{log_request, RequestLog};
use crate::sender::driven::Driven;
use crate::sender::step::{Sender, SenderConfig};
use crate::sender::worker::{self, SenderHandle};
use crate::services::alerts::AlertSettings;
use crate::services::health::HealthCheck;
use crate::services::mail::MailSender;
use crate::state::AppState;
use crate::{api, web as pages};

/// The sender as tests drive it (see `Settings::sender_driven`).
pub type DrivenSender = Driven;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "keyhook_session";

pub struct Application {
    port: u16,
    server: Server,
    sender: Option<SenderHandle>,
    driven: Option<Arc<Driven>>,
    health: Arc<HealthCheck>,
}

/// How long in-flight webhook sends may finish after the server is told to stop.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

impl Application {
    /// Opens and migrates the database, resolves the keys, binds, and prepares the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let db = Db::connect(&settings.database()?, settings.db_pool_size)?;
        let migrate = db.clone();
        web::block(move || migrate.migrate()).await.context("migration task failed")??;
        let keys = settings.keys()?;
        let secrets = SecretBox::new(keys.encryption.expose())?;
        let network = Arc::new(
            NetworkPolicy::parse(&settings.allow_private_networks)
                .map_err(|e| anyhow::anyhow!("KEYHOOK_ALLOW_PRIVATE_NETWORKS: {e}"))?
                .closed(settings.only_allowed_networks),
        );
        let metrics = Arc::new(Metrics::new(&db));
        let pulse = Arc::new(crate::health::Pulse::default());
        let listener =
            TcpListener::bind(settings.bind).with_context(|| format!("cannot listen on {}", settings.bind))?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        let state = AppState::new(
            db.clone(),
            &settings,
            secrets.clone(),
            network.clone(),
            metrics.clone(),
            bound,
            pulse.clone(),
        )?;
        let clock = if settings.sender_driven { Clock::adjustable() } else { Clock::real() };
        let mail = Mailer::configured(settings.smtp_url.as_ref(), settings.mail_from.as_deref())?
            .map(|mailer| Arc::new(MailSender::new(db.clone(), mailer)));
        let alerts = AlertSettings {
            base_url: state.public_url.as_str().to_owned(),
            mail: mail.is_some(),
            degraded_after_ms: i64::try_from(settings.degraded_alert_after.0.as_millis()).unwrap_or(i64::MAX),
        };
        let mail_nudge = mail.as_ref().map(|m| m.nudge.clone());
        let health =
            Arc::new(HealthCheck::new(db.clone(), settings.health_rules(), clock.clone(), alerts, mail_nudge.clone()));
        if let Some(mail) = mail {
            mail.spawn();
        }
        let mut state = state;
        state.mail = mail_nudge;
        state.health_check = health.nudge.clone();
        let config = sender_config(&settings, clock, health.nudge.clone());
        let sender = Sender::new(db, secrets, (*network).clone(), config, metrics, state.circuits.clone())?;
        let (sender, driven) = if settings.sender_driven {
            (None, Some(Arc::new(Driven::start(sender, pulse))))
        } else {
            health.clone().spawn(settings.health_check_every.0);
            (Some(worker::spawn(sender, SHUTDOWN_DEADLINE, pulse)?), None)
        };
        let state = web::Data::new(state);
        let session_key = Key::from(keys.session.expose());
        let secure_cookies = settings.secure_cookies;
        let request_log = RequestLog {
            server_timing: settings.server_timing,
            info_lines: settings.log_format == crate::config::LogFormat::Json,
        };
        let workers = settings.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));

        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                .cookie_name(SESSION_COOKIE.into())
                .cookie_secure(secure_cookies)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Private)
                .build();
            // `wrap` nests outward: the session must exist before the CSRF check reads it.
            App::new()
                .app_data(state.clone())
                .app_data(form_config())
                .app_data(query_config())
                .wrap(from_fn(pages::csrf::require_token))
                .wrap(sessions)
                .wrap(from_fn(pages::security_headers))
                .wrap(from_fn(log_request))
                .app_data(web::Data::new(request_log))
                .route("/metrics", web::get().to(crate::metrics::endpoint))
                .route("/healthz", web::get().to(crate::health::healthz))
                .route("/readyz", web::get().to(crate::health::readyz))
                .configure(api::routes)
                .configure(pages::routes)
                .default_service(web::to(pages::not_found))
        })
        .workers(workers)
        // Database work runs on each worker's blocking threads; more of them than pooled
        // connections only queue on the pool and thrash the scheduler.
        .worker_max_blocking_threads((settings.db_pool_size as usize / workers).max(2))
        .listen(listener)?
        .run();
        Ok(Self { port, server, sender, driven, health })
    }

    /// The sender, when `Settings::sender_driven` left it to the caller.
    pub fn driven_sender(&self) -> Option<Arc<DrivenSender>> {
        self.driven.clone()
    }

    /// The health check (with a driven sender, it runs only when the caller says).
    pub fn health_check(&self) -> Arc<HealthCheck> {
        self.health.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (tests use it; `serve` stops on SIGINT or SIGTERM).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM, or the handle), then stops the sender: it claims
    /// nothing more and lets sends in flight finish up to a deadline.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(sender) = self.sender.take() {
            let _ = actix_web::web::block(move || sender.shutdown(SHUTDOWN_DEADLINE)).await;
        }
        served
    }
}

fn sender_config(settings: &Settings, clock: Clock, health_check: Arc<tokio::sync::Notify>) -> SenderConfig {
    SenderConfig {
        schedule: settings.retry_schedule.0.clone(),
        timeout: settings.send_timeout.0,
        auto_disable_after: settings.auto_disable_after.0,
        concurrency: settings.sender_concurrency,
        batch: 100,
        poll: Duration::from_secs(1),
        retention: settings.attempt_retention.0,
        clock,
        health_check,
        extra_roots: settings.extra_ca_file.clone(),
    }
}

/// A malformed form is a user's mistake, answered as one (never a bare 400 from the framework).
fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| AppError::BadRequest(format!("The form could not be read: {e}")).into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| AppError::BadRequest(format!("The address is malformed: {e}")).into())
}
