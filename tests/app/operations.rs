//! What operators' tools call: the health checks, on both databases.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, serde_json::Value) {
    let response = reqwest::get(format!("{}{path}", app.address)).await.expect("GET");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn health_and_readiness_answer_without_credentials(app: TestApp) {
    let (status, health) = get_json(&app, "/healthz").await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, ready) = get_json(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready, serde_json::json!({"status": "ready", "database": "ok", "sender": "running"}));

    // A migration this build expects, missing from the database: not ready, and why.
    let latest = "DELETE FROM __diesel_schema_migrations WHERE version = '20261201000010'";
    app.db()
        .write(move |conn| -> anyhow::Result<()> {
            match conn {
                keyhook::db::DbConnection::Sqlite(c) => c.batch_execute(latest)?,
                keyhook::db::DbConnection::Postgresql(c) => c.batch_execute(latest)?,
            }
            Ok(())
        })
        .await
        .expect("delete the migration's row");
    let (status, ready) = get_json(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["database"], "migrations pending");
    assert_eq!(get_json(&app, "/healthz").await.0, StatusCode::OK, "the process still serves");
}

crate::on_both_backends!(health_and_readiness_answer_without_credentials);

/// The database going away makes the instance not ready (PostgreSQL: its database dropped).
#[tokio::test]
async fn an_unreachable_database_is_not_ready() {
    let Some(app) = crate::helpers::spawn_postgres_app(|_| {}).await else { return };
    assert_eq!(get_json(&app, "/readyz").await.0, StatusCode::OK);
    let admin = std::env::var("KEYHOOK_TEST_DATABASE_URL").expect("set");
    let name = app.database_url.rsplit('/').next().expect("a database name").to_owned();
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin).expect("admin");
    conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).expect("drop");
    let (status, ready) = get_json(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["database"], "unreachable");
}

/// Every answer carries a request id (the caller's plain one, or a new one), and in JSON mode
/// each request line at info carries it too; health checks stay out of the info log.
#[tokio::test]
async fn requests_carry_an_id_into_the_json_log() {
    use std::io::Read;
    keyhook::tls::install_crypto_provider();
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyhook"))
        .env("KEYHOOK_DATABASE_URL", format!("sqlite://{}", dir.path().join("log.db").display()))
        .env("KEYHOOK_KEY_FILE", dir.path().join("keys"))
        .env("KEYHOOK_BIND", format!("127.0.0.1:{port}"))
        .env("KEYHOOK_LOG_FORMAT", "json")
        .env("KEYHOOK_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("keyhook starts");
    let address = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let started = std::time::Instant::now();
    while http.get(format!("{address}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let given = http.get(format!("{address}/login")).header("x-request-id", "lb-42.a").send().await.expect("GET");
    assert_eq!(given.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("lb-42.a"));
    let made =
        http.get(format!("{address}/login")).header("x-request-id", "no spaces allowed").send().await.expect("GET");
    let made_id = made.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("an id").to_owned();
    assert_eq!(made_id.len(), 16, "{made_id}");
    let _ = child.kill();
    let mut log = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut log).expect("the log");
    let _ = child.wait();
    let lines: Vec<serde_json::Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let request_lines: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["fields"]["message"] == "request" && l["level"] == "INFO").collect();
    for id in ["lb-42.a", made_id.as_str()] {
        assert!(
            request_lines.iter().any(|l| l["fields"]["request_id"] == id && l["fields"]["path"] == "/login"),
            "no request line with id {id}:\n{log}"
        );
    }
    assert!(request_lines.iter().all(|l| l["fields"]["path"] != "/healthz"), "health checks stay at debug");
}

/// The binary carries its own SQLite, libpq and OpenSSL: a machine without libpq-dev,
/// libsqlite3-dev or libssl runs it (nothing of them is linked dynamically).
#[test]
fn the_binary_needs_no_database_libraries() {
    let output = std::process::Command::new("ldd").arg(env!("CARGO_BIN_EXE_keyhook")).output();
    let Ok(output) = output else {
        assert!(std::env::var("KEYHOOK_REQUIRE_TOOLS").is_err(), "ldd cannot run");
        eprintln!("SKIPPED: ldd is not installed");
        return;
    };
    let linked = String::from_utf8_lossy(&output.stdout);
    for library in ["libpq", "libsqlite3", "libssl", "libcrypto"] {
        assert!(!linked.contains(library), "the binary links {library} dynamically:\n{linked}");
    }
}
