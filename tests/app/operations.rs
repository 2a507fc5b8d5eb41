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
