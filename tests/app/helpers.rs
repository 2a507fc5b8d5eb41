//! The harness: a real server on port 0 with its own fresh database (SQLite in a temporary
//! directory, or a fresh PostgreSQL database when KEYHOOK_TEST_DATABASE_URL is set), and
//! cookie-keeping HTTP clients that act as browsers without JavaScript.

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use keyhook::config::Settings;
use keyhook::db::{DatabaseUrl, Db};
use keyhook::startup::Application;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use scraper::{Html, Selector};

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const OWNER_PASSWORD: &str = "owner-password-1";

pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    handle: actix_web::dev::ServerHandle,
    /// The sender, when the test drives it (`Settings::sender_driven`).
    driven: Option<std::sync::Arc<keyhook::startup::DrivenSender>>,
    health: std::sync::Arc<keyhook::services::health::HealthCheck>,
    /// The directory of the key file and the SQLite database; a second instance shares it.
    dir: std::sync::Arc<tempfile::TempDir>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // The test's runtime is ending with it, so the server is stopped from a thread with a
        // runtime of its own; its workers then drop their database pools.
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }
}

/// Runs the rest of a test on PostgreSQL, or says loudly why not.
pub async fn spawn_postgres_app(customise: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    match std::env::var("KEYHOOK_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(spawn_app_with(Backend::Postgres(url), customise).await),
        _ => {
            assert!(
                std::env::var("KEYHOOK_REQUIRE_POSTGRES").is_err(),
                "KEYHOOK_REQUIRE_POSTGRES is set but KEYHOOK_TEST_DATABASE_URL is not"
            );
            eprintln!("SKIPPED on PostgreSQL: set KEYHOOK_TEST_DATABASE_URL to run this test there too");
            None
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, customise: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("temporary directory"));
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("keyhook.db").display()),
        Backend::Postgres(admin_url) => fresh_postgres_database(&admin_url),
    };
    start(dir, database_url, customise).await
}

async fn start(
    dir: std::sync::Arc<tempfile::TempDir>,
    database_url: String,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::defaults();
    settings.database_url = database_url.clone();
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.key_file = Some(dir.path().join("keyhook.keys"));
    settings.workers = Some(1);
    settings.db_pool_size = 4;
    // Tests send to their own receivers on loopback and nowhere else, whatever URL they use.
    settings.only_allowed_networks = true;
    customise(&mut settings);
    let app = Application::build(settings).await.expect("the server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let driven = app.driven_sender();
    let health = app.health_check();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, database_url, handle, driven, health, dir }
}

/// A new database on the PostgreSQL server for one test, named with its creation time. Once
/// per process, leftovers of runs more than an hour old are dropped (never those of a test
/// process running beside this one).
pub fn fresh_postgres_database(admin_url: &str) -> String {
    static CLEANED: OnceLock<()> = OnceLock::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut admin = PgConnection::establish(admin_url).expect("connect to KEYHOOK_TEST_DATABASE_URL");
    CLEANED.get_or_init(|| {
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        use diesel::RunQueryDsl;
        let stale: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'kh_test_%'")
            .load(&mut admin)
            .expect("list databases");
        for db in stale {
            let created = db.datname.split('_').nth(2).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
            if now.saturating_sub(created) > 3600 {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.datname));
            }
        }
    });
    let name = format!("kh_test_{now}_{}", keyhook::domain::new_public_id());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create a test database");
    let (base, _) = admin_url.rsplit_once('/').expect("the URL names a database");
    format!("{base}/{name}")
}

impl TestApp {
    /// Another instance on the same database with the same keys, as behind a load balancer.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {}).await
    }

    /// [`TestApp::second_instance`] with settings of its own (as the first was customised).
    pub async fn second_instance_with(&self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        start(self.dir.clone(), self.database_url.clone(), customise).await
    }

    /// The sender this test drives: its settings set `sender_driven`, so nothing is sent until
    /// the test steps it (`step`, `settle`, `advance`).
    pub fn sender(&self) -> &keyhook::startup::DrivenSender {
        self.driven.as_deref().expect("the test's settings set sender_driven")
    }

    /// The health check, to run a round of it now (`run_once`).
    pub fn health(&self) -> &keyhook::services::health::HealthCheck {
        &self.health
    }

    /// A new browser-like client with its own cookies.
    pub fn client(&self) -> Client {
        Client::of(&self.address)
    }

    /// Opens the app's database directly, to check what the pages cannot show.
    pub fn db(&self) -> Db {
        Db::connect(&DatabaseUrl::parse(&self.database_url).expect("url"), 1).expect("db")
    }

    /// Completes first-run setup and answers the signed-in Owner.
    pub async fn setup_owner(&self) -> Client {
        let owner = self.client();
        owner.complete_setup().await;
        owner
    }

    /// Invites `email` with `role` into the workspace and has them accept; answers their client.
    pub async fn add_member(&self, admin: &Client, workspace: &str, email: &str, role: &str) -> Client {
        let link = admin.invite(workspace, email, role).await;
        let member = self.client();
        let response = member
            .post_form(&link, &link, &[("name", &format!("Member {email}")), ("password", "member-password-1")])
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "accepting failed: {}", response.body);
        member
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub address: String,
}

impl Client {
    /// Completes first-run setup as the Owner (this client is then signed in).
    pub async fn complete_setup(&self) {
        let fields = [
            ("name", "Olivia Owner"),
            ("email", OWNER_EMAIL),
            ("password", OWNER_PASSWORD),
            ("workspace_name", "Acme"),
        ];
        let response = self.post_form("/setup", "/setup", &fields).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "setup failed: {}", response.body);
    }

    /// A browser-like client of the server at `address`.
    pub fn of(address: &str) -> Client {
        keyhook::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // The server closes a keep-alive connection idle for 5 s; a client reusing it at that
            // moment gets "IncompleteMessage" (seen once in a browser test whose client waited
            // while the browser worked). Letting idle connections go first avoids the race.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("client");
        Client { http, address: address.to_owned() }
    }
}

/// An answer with its body read.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of the first element matching `selector`, trimmed.
    pub fn text(&self, selector: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html().select(&selector).next().map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// An attribute of the first element matching `selector`.
    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html().select(&selector).next().and_then(|e| e.value().attr(name).map(str::to_owned))
    }

    /// The message shown next to the field `id`.
    pub fn field_error(&self, id: &str) -> Option<String> {
        self.text(&format!("#{id}-error"))
    }
}

impl Client {
    pub async fn get(&self, path: &str) -> Answer {
        let response = self.http.get(format!("{}{path}", self.address)).send().await.expect("GET");
        read(response).await
    }

    /// A GET as htmx sends it (`HX-Request`): the fragment a page swaps in.
    pub async fn get_htmx(&self, path: &str) -> Answer {
        let response =
            self.http.get(format!("{}{path}", self.address)).header("HX-Request", "true").send().await.expect("GET");
        read(response).await
    }

    /// The CSRF token the page at `page` carries.
    pub async fn csrf(&self, page: &str) -> String {
        let answer = self.get(page).await;
        answer
            .attr("input[name=csrf_token]", "value")
            .unwrap_or_else(|| panic!("no CSRF token on {page} ({}): {}", answer.status, answer.body))
    }

    /// Posts a form as the browser would after loading `page`: with that page's CSRF token.
    pub async fn post_form(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.csrf(page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    /// Posts a form exactly as given (no CSRF token unless the fields carry one).
    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> Answer {
        let response = self.http.post(format!("{}{action}", self.address)).form(fields).send().await.expect("POST");
        read(response).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.post_form("/login", "/login", &[("email", email), ("password", password)]).await
    }

    /// The active workspace's public id, from the top bar's dropdown.
    pub async fn active_workspace(&self) -> String {
        self.get("/preferences")
            .await
            .attr("#workspace-select option[selected]", "value")
            .expect("a selected workspace")
    }

    /// Invites and answers the invitation path shown once in the flash message.
    pub async fn invite(&self, workspace: &str, email: &str, role: &str) -> String {
        let members = format!("/workspaces/{workspace}/settings/members");
        let answer = self
            .post_form(
                &members,
                &format!("/workspaces/{workspace}/members/invite"),
                &[("email", email), ("role", role)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "invite failed: {}", answer.body);
        let page = self.get(&members).await;
        let link = page.text("#flash-secret").expect("the invitation link is shown");
        let path = link.strip_prefix(&self.address).unwrap_or_else(|| panic!("an absolute link: {link}"));
        assert!(path.starts_with("/invitations/"), "{link}");
        path.to_owned()
    }

    /// Creates a workspace and answers its public id.
    pub async fn create_workspace(&self, name: &str) -> String {
        let answer = self.post_form("/workspaces/new", "/workspaces/new", &[("workspace_name", name)]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer
            .location()
            .strip_prefix("/workspaces/")
            .and_then(|rest| rest.strip_suffix("/settings"))
            .expect("redirect to the new workspace's settings")
            .to_owned()
    }

    /// The active workspace and `count - 1` new ones, each on the PRO plan with `hooks`
    /// webhooks on NEW_CLIENT (`{base_url}/{workspace}/{n}`): answers the workspaces' ids.
    pub async fn paid_workspaces_with_webhooks(
        &self,
        key: &str,
        count: usize,
        hooks: usize,
        base_url: &str,
    ) -> Vec<String> {
        let mut workspaces = vec![self.active_workspace().await];
        for i in 1..count {
            workspaces.push(self.create_workspace(&format!("Team {i:03}")).await);
        }
        for ws in &workspaces {
            self.post_form("/preferences", &format!("/workspaces/{ws}/settings/plan"), &[("plan", "PRO")]).await;
            for h in 0..hooks {
                let body = serde_json::json!({"name": format!("Hook {h}"), "url": format!("{base_url}/{ws}/{h}"), "webhookEvent": "NEW_CLIENT"});
                let (status, answer) =
                    self.api("POST", &format!("/api/v1/workspaces/{ws}/webhooks"), key, Some(body)).await;
                assert_eq!(status, StatusCode::CREATED, "{answer}");
            }
        }
        workspaces
    }
}

/// An API key as generated on the Manage API keys page.
pub struct IssuedKey {
    pub secret: String,
    pub id: String,
}

impl Client {
    /// Generates a key on the page and reads the secret from the one-time reveal.
    pub async fn generate_key(&self, name: &str, expires: &str) -> IssuedKey {
        let answer = self.post_form("/api-keys", "/api-keys", &[("name", name), ("expires", expires)]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "generate failed: {}", answer.body);
        let page = self.get("/api-keys").await;
        let secret = page.text("#flash-secret").expect("the new key is shown once");
        let id = page
            .attr("tr[id^=key-]", "id")
            .and_then(|id| id.strip_prefix("key-").map(str::to_owned))
            .expect("the newest key is the first row");
        IssuedKey { secret, id }
    }

    /// GET on the REST API with an API key.
    pub async fn api_get(&self, path: &str, key: &str) -> Answer {
        let response =
            self.http.get(format!("{}{path}", self.address)).header("X-Api-Key", key).send().await.expect("GET");
        read(response).await
    }

    /// A JSON request on the REST API with an API key; answers the status and the JSON body.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        self.api_as(("X-Api-Key", key), method, path, body).await
    }

    /// [`Client::api`] with another credential header (an add-on's `X-Addon-Token`).
    pub async fn api_as(
        &self,
        (header, credential): (&str, &str),
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.address)).header(header, credential);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// The JSON body of an answer.
    pub fn json(answer: &Answer) -> serde_json::Value {
        serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", answer.body))
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Answer { status, headers, body }
}

/// Declares each named async test function `fn(TestApp)` twice: on SQLite and on PostgreSQL,
/// optionally with settings changed by a `fn(&mut Settings)` (`on_both_backends!(with f: a, b)`).
#[macro_export]
macro_rules! on_both_backends {
    (with $customise:ident: $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, super::$customise).await;
                super::$name(app).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_postgres_app(super::$customise).await {
                    super::$name(app).await
                }
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_postgres_app(|_| {}).await {
                    super::$name(app).await
                }
            }
        }
    )*};
}
