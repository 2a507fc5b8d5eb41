//! A database seeded for a benchmark: the server's settings (so the bench and the server share
//! the encryption key), a signed-up Owner on a paid plan, and webhooks inserted directly.

use diesel::prelude::*;
use keyhook::crypto::SecretBox;
use keyhook::db::schema::{users, workspaces};
use keyhook::db::webhooks::{NewWebhook, Webhook};
use keyhook::db::{DatabaseUrl, Db};
use keyhook::domain::{new_public_id, EventType, SigningSecret};
use keyhook::services::ServiceError;

use super::{generate_key, sign_in, start_with, Server};

pub struct Bench {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub env: Vec<(&'static str, String)>,
    pub db: Db,
    pub secrets: SecretBox,
    pub workspace_id: i64,
    pub workspace: String,
    pub user_id: i64,
    /// The Owner's API key.
    pub key: String,
}

impl Bench {
    /// Sets up a fresh database at `url` through the server (first run, an API key), then puts
    /// the workspace on ENTERPRISE so no plan limit gets in the way.
    pub async fn new(url: String) -> anyhow::Result<Self> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let encryption = [7u8; 32];
        let env = vec![
            ("KEYHOOK_SESSION_KEY", engine.encode([9u8; 64])),
            ("KEYHOOK_ENCRYPTION_KEY", engine.encode(encryption)),
            ("KEYHOOK_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8".to_owned()),
            ("KEYHOOK_ONLY_ALLOWED_NETWORKS", "true".to_owned()),
            ("KEYHOOK_API_RATE_LIMIT", "0".to_owned()),
            ("KEYHOOK_LOG", "warn".to_owned()),
        ];
        let db = Db::connect(&DatabaseUrl::parse(&url)?, 4)?;
        let dir = tempfile::tempdir()?;
        let mut bench = Bench {
            url,
            dir,
            env,
            db,
            secrets: SecretBox::new(&encryption)?,
            workspace_id: 0,
            workspace: String::new(),
            user_id: 0,
            key: String::new(),
        };
        let server = bench.serve();
        let (owner, workspace) = sign_in(&server).await;
        bench.key = generate_key(&server, &owner, "bench").await;
        drop(server);
        let lookup = workspace.clone();
        let (ws_id, user_id) = bench
            .db
            .write(move |conn| -> Result<_, ServiceError> {
                let ws: i64 =
                    workspaces::table.filter(workspaces::public_id.eq(&lookup)).select(workspaces::id).first(conn)?;
                let user: i64 = users::table.select(users::id).first(conn)?;
                keyhook::db::workspaces::Workspace::set_plan(conn, ws, "ENTERPRISE")?;
                Ok((ws, user))
            })
            .await?;
        bench.workspace_id = ws_id;
        bench.workspace = workspace;
        bench.user_id = user_id;
        Ok(bench)
    }

    pub fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// The server with more settings.
    pub fn serve_with(&self, extra: &[(&str, &str)]) -> Server {
        let mut env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.extend_from_slice(extra);
        start_with(&self.url, self.dir.path(), &env).0
    }

    /// A webhook inserted directly (the API would rightly refuse more than 10 for one user).
    pub fn webhook(&self, name: &str, url: &str, event: EventType) -> anyhow::Result<Webhook> {
        self.webhook_in(self.workspace_id, name, url, event)
    }

    /// Another ENTERPRISE workspace of the Owner's, inserted directly: its id and public id.
    pub fn workspace(&self, name: &str) -> anyhow::Result<(i64, String)> {
        use keyhook::db::memberships::{Membership, NewMembership};
        use keyhook::db::workspaces::{NewWorkspace, Workspace};
        let (user, name, public_id) = (self.user_id, name.to_owned(), new_public_id());
        let now = keyhook::clock::now_ms();
        Ok(self.db.write_blocking(move |conn| -> Result<_, ServiceError> {
            let ws = Workspace::insert(
                conn,
                &NewWorkspace { public_id: &public_id, name: &name, plan: "ENTERPRISE", created_at: now },
            )?;
            Membership::insert(
                conn,
                &NewMembership { workspace_id: ws.id, user_id: user, role: "OWNER", status: "ACTIVE", created_at: now },
            )?;
            Ok((ws.id, public_id))
        })?)
    }

    /// [`Bench::webhook`] in any of the Owner's workspaces.
    pub fn webhook_in(&self, workspace_id: i64, name: &str, url: &str, event: EventType) -> anyhow::Result<Webhook> {
        let secret = self.secrets.seal(SigningSecret::generate().expose())?;
        let token = self.secrets.seal("bench-token")?;
        let now = keyhook::clock::now_ms();
        let (ws, user) = (workspace_id, self.user_id);
        let (name, url, event) = (name.to_owned(), url.to_owned(), event.as_str());
        Ok(self.db.write_blocking(move |conn| -> Result<_, ServiceError> {
            Ok(Webhook::insert(
                conn,
                &NewWebhook {
                    public_id: &new_public_id(),
                    workspace_id: ws,
                    user_id: Some(user),
                    name: &name,
                    url: &url,
                    event_type: event,
                    trigger_source_type: "WORKSPACE_ID",
                    trigger_source: "[]",
                    secret_sealed: &secret,
                    auth_token_sealed: &token,
                    enabled: true,
                    plan_enabled: true,
                    disabled_reason: None,
                    disabled_at: None,
                    kind: "USER_CREATED",
                    created_at: now,
                    updated_at: now,
                    create_token: None,
                    addon_id: None,
                },
            )?)
        })?)
    }

    /// Stores `n` attempts of `webhook` (one delivery of one event), a second apart from
    /// `first_at`, every tenth failed with 500; bodies as large as real ones. One statement.
    pub async fn attempts(&self, webhook: &Webhook, n: u64, first_at: i64) -> anyhow::Result<()> {
        let (ws, hook_id, event) = (self.workspace_id, webhook.id, webhook.event_type.clone());
        let payload = keyhook::domain::sample_payload(
            EventType::parse(&event).map_err(anyhow::Error::msg)?,
            "0123456789abcdef01234567",
        )
        .to_string()
        .replace('\'', "''");
        let headers = r#"{"content-type":"application/json","user-agent":"keyhook/0.1.0","webhook-id":"msg_bench","webhook-timestamp":"1700000000","webhook-signature":"v1,Zm9vYmFyYmF6","clockify-signature":"[redacted]","clockify-webhook-event-type":"NEW_PROJECT"}"#;
        self.db
            .write(move |conn| -> Result<(), ServiceError> {
                let now = keyhook::clock::now_ms();
                let event_row = keyhook::db::events::Event::insert(
                    conn,
                    &keyhook::db::events::NewEvent {
                        public_id: &new_public_id(),
                        workspace_id: ws,
                        event_type: &event,
                        payload: "{}",
                        created_at: now,
                        test: false,
                    },
                )?;
                let message = format!("msg_{}", new_public_id());
                keyhook::db::deliveries::Delivery::insert_all(
                    conn,
                    &[keyhook::db::deliveries::NewDelivery {
                        message_id: &message,
                        event_id: event_row.id,
                        webhook_id: hook_id,
                        trigger: "EVENT",
                        state: "SUCCEEDED",
                        retries: true,
                        next_attempt_at: None,
                        lease_until: None,
                        created_at: now,
                    }],
                )?;
                let delivery: i64 = keyhook::db::schema::deliveries::table
                    .filter(keyhook::db::schema::deliveries::message_id.eq(&message))
                    .select(keyhook::db::schema::deliveries::id)
                    .first(conn)?;
                let sql = format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
                     INSERT INTO attempts (public_id, delivery_id, webhook_id, trigger, attempted_at, duration_ms, \
                       succeeded, status_code, request_headers, request_body, response_body, response_body_base64) \
                     SELECT 'b{hook_id}x' || i, {delivery}, {hook_id}, 'EVENT', {first_at} + i * 1000, 12, i % 10 <> 0, \
                       CASE WHEN i % 10 = 0 THEN 500 ELSE 200 END, '{headers}', '{payload}', '{{\"received\":true}}', FALSE \
                     FROM n"
                );
                diesel::sql_query(sql).execute(conn)?;
                // What the sender keeps for the list as it records attempts (every tenth failed).
                let latest = first_at + i64::try_from(n).unwrap_or(0) * 1000;
                let recent: String = (n.saturating_sub(19)..=n).map(|i| if i % 10 == 0 { 'F' } else { 'S' }).collect();
                diesel::sql_query(format!(
                    "UPDATE webhooks SET recent_outcomes = '{recent}', last_status = '200', last_attempt_at = {latest} \
                     WHERE id = {hook_id}"
                ))
                .execute(conn)?;
                Ok(())
            })
            .await?;
        // What autovacuum would do soon after such growth, done now so that it does not run
        // (and take a core) while the benchmark measures. VACUUM cannot run in a transaction.
        if self.url.starts_with("postgres") {
            use diesel::connection::SimpleConnection;
            let mut conn = diesel::PgConnection::establish(&self.url)?;
            // One statement per call: several in one would make an implicit transaction.
            for table in ["attempts", "deliveries", "webhooks"] {
                conn.batch_execute(&format!("VACUUM (ANALYZE) {table}"))?;
            }
        }
        Ok(())
    }

    /// `n` deliveries of one event each to `webhook`, one attempt each, a second apart from
    /// `first_at`: every tenth failed for good (500), the rest delivered (200). Each event's
    /// payload carries an id and an e-mail address of its own (`user{i}@example.com`) to search.
    pub async fn deliveries(&self, webhook: &Webhook, n: u64, first_at: i64) -> anyhow::Result<()> {
        let (ws, hook, event) = (self.workspace_id, webhook.id, webhook.event_type.clone());
        let headers = r#"{"content-type":"application/json","user-agent":"keyhook/0.1.0","webhook-id":"msg_bench","webhook-timestamp":"1700000000","webhook-signature":"v1,Zm9vYmFyYmF6","clockify-signature":"[redacted]"}"#;
        self.db
            .write(move |conn| -> Result<(), ServiceError> {
                use diesel::sql_types::BigInt;
                #[derive(QueryableByName)]
                struct First {
                    #[diesel(sql_type = BigInt)]
                    id: i64,
                }
                let series = format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})");
                let payload = r#"'{"id":"' || i || '","email":"user' || i || '@example.com","name":"Entry ' || i || '"}'"#;
                diesel::sql_query(format!(
                    "{series} INSERT INTO events (public_id, workspace_id, event_type, payload, created_at, test) \
                     SELECT 'e{hook}x' || i, {ws}, '{event}', {payload}, {first_at} + i * 1000, FALSE FROM n"
                ))
                .execute(conn)?;
                let events: First =
                    diesel::sql_query(format!("SELECT id FROM events WHERE public_id = 'e{hook}x1'")).get_result(conn)?;
                diesel::sql_query(format!(
                    "{series} INSERT INTO deliveries (message_id, event_id, webhook_id, trigger, state, attempts, retries, \
                       created_at, last_status) \
                     SELECT 'msg_b{hook}x' || i, {base} + i - 1, {hook}, 'EVENT', \
                       CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, 1, TRUE, {first_at} + i * 1000, \
                       CASE WHEN i % 10 = 0 THEN '500' ELSE '200' END FROM n",
                    base = events.id
                ))
                .execute(conn)?;
                let deliveries: First =
                    diesel::sql_query(format!("SELECT id FROM deliveries WHERE message_id = 'msg_b{hook}x1'")).get_result(conn)?;
                diesel::sql_query(format!(
                    "{series} INSERT INTO attempts (public_id, delivery_id, webhook_id, trigger, attempted_at, duration_ms, \
                       succeeded, status_code, request_headers, request_body, response_body, response_body_base64, reason, url) \
                     SELECT 'a{hook}x' || i, {base} + i - 1, {hook}, 'EVENT', {first_at} + i * 1000, 12, i % 10 <> 0, \
                       CASE WHEN i % 10 = 0 THEN 500 ELSE 200 END, '{headers}', {payload}, '{{\"received\":true}}', FALSE, \
                       CASE WHEN i % 10 = 0 THEN 'status 500' ELSE NULL END, 'http://127.0.0.1:9/hook' FROM n",
                    base = deliveries.id
                ))
                .execute(conn)?;
                Ok(())
            })
            .await?;
        if self.url.starts_with("postgres") {
            use diesel::connection::SimpleConnection;
            let mut conn = diesel::PgConnection::establish(&self.url)?;
            for table in ["events", "attempts", "deliveries", "webhooks"] {
                conn.batch_execute(&format!("VACUUM (ANALYZE) {table}"))?;
            }
        }
        Ok(())
    }
}
