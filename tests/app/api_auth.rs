//! X-Api-Key authentication, its error answers, the rate limit and the read endpoints.

use std::sync::Arc;

use diesel::prelude::*;
use keyhook::db::schema::api_keys;
use keyhook::domain::ApiKeySecret;
use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, spawn_postgres_app, Backend, Client, TestApp};

fn error_of(answer: &crate::helpers::Answer) -> (u64, String) {
    let json = Client::json(answer);
    (json["code"].as_u64().unwrap_or(0), json["message"].as_str().unwrap_or("").to_owned())
}

async fn every_bad_credential_gets_its_own_401(app: TestApp) {
    let owner = app.setup_owner().await;
    let key = owner.generate_key("ci", "never").await;
    let url = format!("{}/api/v1/user", owner.address);
    let http = &owner.http;

    let none = http.get(&url).send().await.expect("GET");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let none: serde_json::Value = none.json().await.expect("JSON");
    assert_eq!(none["code"], 1000);

    let two =
        http.get(&url).header("X-Api-Key", &key.secret).header("X-Api-Key", &key.secret).send().await.expect("GET");
    assert_eq!(two.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(two.json::<serde_json::Value>().await.expect("JSON")["code"], 1000);
    let both = http.get(&url).header("X-Api-Key", &key.secret).header("X-Addon-Token", "t").send().await.expect("GET");
    assert_eq!(both.json::<serde_json::Value>().await.expect("JSON")["code"], 1000);
    let bearer = http.get(&url).header("Authorization", format!("Bearer {}", key.secret)).send().await.expect("GET");
    assert_eq!(bearer.json::<serde_json::Value>().await.expect("JSON")["code"], 1000);

    // One character changed: refused by the checksum, before any lookup.
    let mut typo = key.secret.clone().into_bytes();
    typo[20] = if typo[20] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).expect("ascii");
    for malformed in
        [typo.as_str(), &key.secret[..51], "kh_short", "not a key at all", &format!("{}!", &key.secret[..51])]
    {
        let answer = owner.api_get("/api/v1/user", malformed).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{malformed}");
        let (code, message) = error_of(&answer);
        assert_eq!(code, 4003);
        assert!(message.contains("malformed"), "{message}");
    }

    // Well-formed but never issued.
    let stranger = ApiKeySecret::generate();
    let answer = owner.api_get("/api/v1/user", stranger.expose()).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let (code, message) = error_of(&answer);
    assert_eq!(code, 4003);
    assert!(message.contains("not valid"), "{message}");
    assert!(!answer.body.contains("owner@example.com"), "no hint of whose key it might be");

    // In the address instead of the header.
    let leaked = owner.get(&format!("/api/v1/user?api-key={}", key.secret)).await;
    assert_eq!(leaked.status, StatusCode::BAD_REQUEST);
    assert!(error_of(&leaked).1.contains("X-Api-Key header"));

    // Expired.
    let expiring = owner.generate_key("expiring", "30").await;
    assert_eq!(owner.api_get("/api/v1/user", &expiring.secret).await.status, StatusCode::OK);
    let id = expiring.id.clone();
    app.db()
        .write(move |conn| -> Result<(), anyhow::Error> {
            diesel::update(api_keys::table.filter(api_keys::public_id.eq(&id)))
                .set(api_keys::expires_at.eq(Some(1_000_i64)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("expire it");
    // The cache trusts a row for at most a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let answer = owner.api_get("/api/v1/user", &expiring.secret).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&answer).1.contains("expired"));
}

async fn unknown_routes_and_methods_answer_json(app: TestApp) {
    let owner = app.setup_owner().await;
    let key = owner.generate_key("ci", "never").await;
    let unknown = owner.api_get("/api/v1/no-such-thing", &key.secret).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&unknown).0, 3000);
    let ws = owner.active_workspace().await;
    let deliveries = owner.api_get(&format!("/api/v1/workspaces/{ws}/deliveries"), &key.secret).await;
    assert_eq!(
        error_of(&deliveries),
        (
            3000,
            "No such endpoint: GET /api/v1/workspaces/{id}/deliveries. The endpoints are listed in /api/openapi.json."
                .to_owned()
        )
    );
    let response = owner
        .http
        .post(format!("{}/api/v1/user", owner.address))
        .header("X-Api-Key", &key.secret)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET"));
    assert_eq!(response.json::<serde_json::Value>().await.expect("JSON")["code"], 3000);
    let clients = format!("{}/api/v1/workspaces/{ws}/clients", owner.address);
    let response = owner.http.patch(&clients).header("X-Api-Key", &key.secret).send().await.expect("PATCH");
    assert_eq!(response.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET, POST"));
    let response = owner.http.delete(format!("{}/api/v1/event-types", owner.address)).send().await.expect("DELETE");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "a public path says 405 too");

    // A body that is JSON but not an object is refused, not read as fields in order.
    let (status, body) = owner
        .api("POST", &format!("/api/v1/workspaces/{ws}/tags"), &key.secret, Some(serde_json::json!(["Tag", false])))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("The body must be a JSON object, like {\"name\": \"Acme\"}."))
    );

    let doc = owner.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = Client::json(&doc);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    assert!(doc["paths"]["/api/v1/user"]["get"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["ApiKeyAuth"]["name"], "X-Api-Key");
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("operations").values())
        .map(|op| op["operationId"].as_str().expect("every operation has an operationId"))
        .collect();
    let operations = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), operations, "operationIds are unique: {ids:?}");
    validates(&doc);

    // Every operation that takes a key lists the refusals of the key check and the rate limit,
    // and the document says what the server checks.
    let create_tag = &doc["paths"]["/api/v1/workspaces/{workspaceId}/tags"]["post"];
    for status in ["201", "400", "401", "403", "404", "413", "429"] {
        assert!(create_tag["responses"][status].is_object(), "createTag documents {status}");
    }
    assert_eq!(
        create_tag["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorDto"
    );
    let tag_body = &doc["components"]["schemas"]["TagBody"]["properties"]["name"];
    assert_eq!((tag_body["minLength"].as_u64(), tag_body["maxLength"].as_u64()), (Some(1), Some(100)));
    assert_eq!(
        create_tag["requestBody"]["content"]["application/json"]["schema"]["allOf"][1]["required"],
        serde_json::json!(["name"])
    );
    let webhook = &doc["components"]["schemas"]["WebhookBody"];
    assert_eq!(webhook["properties"]["webhookEvent"]["enum"].as_array().map(Vec::len), Some(51));
    assert_eq!(webhook["required"], serde_json::json!(["name", "url", "webhookEvent"]));
    let paging = doc["paths"]["/api/v1/workspaces/{workspaceId}/clients"]["get"]["parameters"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "page-size"))
        .expect("page-size");
    assert_eq!(paging["schema"]["maximum"], 5000);

    // What keyhook sends: one webhook entry per event type and per system event, each payload a
    // schema.
    let webhooks = doc["webhooks"].as_object().expect("a webhooks section");
    assert_eq!(webhooks.len(), 51 + 5);
    let entry = &doc["webhooks"]["NEW_TIME_ENTRY"]["post"];
    let payload = &entry["requestBody"]["content"]["application/json"];
    let component = payload["schema"]["$ref"].as_str().expect("a $ref").trim_start_matches("#/components/schemas/");
    assert!(doc["components"]["schemas"][component].is_object(), "{component} is in the document");
    assert_eq!(payload["example"]["workspaceId"].as_str().map(str::len), Some(24));
    let headers: Vec<&str> =
        entry["parameters"].as_array().expect("headers").iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(
        headers,
        ["webhook-id", "webhook-timestamp", "webhook-signature", "Clockify-Webhook-Event-Type", "Clockify-Signature"]
    );

    // The same catalog, for clients, without a key.
    let catalog = reqwest::get(format!("{}/api/v1/event-types", owner.address)).await.expect("GET");
    assert_eq!(catalog.status(), StatusCode::OK);
    let catalog: serde_json::Value = catalog.json().await.expect("JSON");
    let events = catalog.as_array().expect("a list");
    assert_eq!(events.len(), 51);
    let expense = events.iter().find(|e| e["name"] == "EXPENSE_CREATED").expect("EXPENSE_CREATED");
    assert_eq!((expense["planNeeded"].as_str(), expense["source"].as_str()), (Some("PRO"), Some("published")));
    let entry = events.iter().find(|e| e["name"] == "NEW_CLIENT").expect("NEW_CLIENT");
    assert_eq!(entry["payloadSchema"]["$ref"], "/api/openapi.json#/components/schemas/ClientDto");
    assert!(entry["sample"]["name"].is_string());
}

/// The document passes `openapi-spec-validator` (PyPI), which CI installs; elsewhere the check
/// says it was skipped, unless KEYHOOK_REQUIRE_TOOLS asks for it.
fn validates(doc: &serde_json::Value) {
    let file = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(file.path(), doc.to_string()).expect("write");
    match std::process::Command::new("openapi-spec-validator").arg(file.path()).output() {
        Ok(output) => assert!(
            output.status.success(),
            "openapi-spec-validator refused the document: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => {
            assert!(std::env::var("KEYHOOK_REQUIRE_TOOLS").is_err(), "openapi-spec-validator cannot run: {e}");
            eprintln!("SKIPPED: openapi-spec-validator is not installed ({e})");
        }
    }
}

async fn a_key_acts_as_its_user_in_each_workspace(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme = owner.active_workspace().await;
    owner.post_form("/preferences", &format!("/workspaces/{acme}/settings/plan"), &[("plan", "PRO")]).await;
    let beta = owner.create_workspace("Beta").await;
    let member = app.add_member(&owner, &acme, "max@example.com", "MANAGER").await;
    let owner_key = owner.generate_key("owner", "never").await;
    let member_key = member.generate_key("member", "never").await;

    let list = Client::json(&owner.api_get("/api/v1/workspaces", &owner_key.secret).await);
    let names: Vec<&str> = list.as_array().expect("array").iter().filter_map(|w| w["name"].as_str()).collect();
    assert_eq!(names, ["Acme", "Beta"]);
    assert_eq!(list[0]["featureSubscriptionType"], "PRO");
    assert_eq!(list[0]["memberships"].as_array().map(Vec::len), Some(2));

    let theirs = Client::json(&member.api_get("/api/v1/workspaces", &member_key.secret).await);
    assert_eq!(theirs.as_array().map(Vec::len), Some(1), "only the member's workspaces");

    let users = member.api_get(&format!("/api/v1/workspaces/{acme}/users"), &member_key.secret).await;
    assert_eq!(users.status, StatusCode::OK);
    assert_eq!(users.headers.get("last-page").and_then(|v| v.to_str().ok()), Some("true"));
    let users = Client::json(&users);
    let emails: Vec<&str> = users.as_array().expect("array").iter().filter_map(|u| u["email"].as_str()).collect();
    assert_eq!(emails.len(), 2);
    assert!(emails.contains(&"max@example.com"));
    let roles: Vec<&str> =
        users.as_array().expect("array").iter().filter_map(|u| u["memberships"][0]["role"].as_str()).collect();
    assert!(roles.contains(&"MANAGER") && roles.contains(&"OWNER"));

    let page = member.api_get(&format!("/api/v1/workspaces/{acme}/users?page=2&page-size=1"), &member_key.secret).await;
    assert_eq!(Client::json(&page).as_array().map(Vec::len), Some(1));
    assert_eq!(page.headers.get("last-page").and_then(|v| v.to_str().ok()), Some("true"));
    let bad = member.api_get(&format!("/api/v1/workspaces/{acme}/users?page-size=0"), &member_key.secret).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&bad).0, 501);
    let junk = member.api_get(&format!("/api/v1/workspaces/{acme}/users?page=abc"), &member_key.secret).await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);

    for path in [format!("/api/v1/workspaces/{beta}/users"), "/api/v1/workspaces/ffffffffffffffffffffffff/users".into()]
    {
        let answer = member.api_get(&path, &member_key.secret).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.headers["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    }
}

async fn ten_thousand_wrong_keys_leave_the_server_healthy(app: TestApp) {
    let owner = app.setup_owner().await;
    let key = owner.generate_key("ci", "never").await;
    let http = Arc::new(owner.http.clone());
    let url = Arc::new(format!("{}/api/v1/user", owner.address));
    let mut tasks = Vec::new();
    for task in 0..16 {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut refused = 0;
            for i in 0..625 {
                // Half malformed, half well-formed but unknown.
                let key = if (task + i) % 2 == 0 {
                    format!("kh_{:049}", i)
                } else {
                    ApiKeySecret::generate().expose().to_owned()
                };
                let response = http.get(url.as_str()).header("X-Api-Key", key).send().await.expect("GET");
                if response.status() == StatusCode::UNAUTHORIZED {
                    refused += 1;
                }
            }
            refused
        }));
    }
    let mut refused = 0;
    for task in tasks {
        refused += task.await.expect("task");
    }
    assert_eq!(refused, 10_000);
    assert_eq!(owner.api_get("/api/v1/user", &key.secret).await.status, StatusCode::OK, "still serving");
    assert_eq!(owner.get("/preferences").await.status, StatusCode::OK);
}

async fn a_revocation_reaches_another_instance_within_two_seconds(app: TestApp) {
    let owner = app.setup_owner().await;
    let key = owner.generate_key("shared", "never").await;
    // A second instance on the same database, as behind a load balancer.
    let url = app.database_url.clone();
    let other = spawn_app_with(Backend::Sqlite, |s| s.database_url = url).await;
    let elsewhere = other.client();
    assert_eq!(elsewhere.api_get("/api/v1/user", &key.secret).await.status, StatusCode::OK, "cached there now");

    let delete = format!("/api-keys/{}/delete", key.id);
    owner.post_form(&delete, &delete, &[]).await;
    assert_eq!(owner.api_get("/api/v1/user", &key.secret).await.status, StatusCode::UNAUTHORIZED, "at once here");
    let started = std::time::Instant::now();
    while elsewhere.api_get("/api/v1/user", &key.secret).await.status == StatusCode::OK {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "still accepted after 2 s on the other instance"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

crate::on_both_backends!(
    a_revocation_reaches_another_instance_within_two_seconds,
    every_bad_credential_gets_its_own_401,
    unknown_routes_and_methods_answer_json,
    a_key_acts_as_its_user_in_each_workspace,
    ten_thousand_wrong_keys_leave_the_server_healthy,
);

async fn over_the_rate_limit_is_429(app: TestApp) {
    let owner = app.setup_owner().await;
    let key = owner.generate_key("busy", "never").await;
    // A burst of 5 is allowed; the bucket refills one request per 200 ms, so on a slow machine a
    // request or two more may pass before the limit bites. Count instead of assuming timing.
    let mut allowed = 0;
    let mut previous_remaining = 5;
    let limited = loop {
        let answer = owner.api_get("/api/v1/user", &key.secret).await;
        if answer.status != StatusCode::OK {
            break answer;
        }
        allowed += 1;
        assert_eq!(answer.headers["x-ratelimit-limit"], "5");
        let remaining: u32 = answer.headers["x-ratelimit-remaining"].to_str().unwrap_or("").parse().expect("a count");
        assert!(remaining < 5 && (allowed > 5 || remaining < previous_remaining), "remaining counts down");
        previous_remaining = remaining;
        assert!(allowed <= 10, "the limit never bit");
    };
    assert!(allowed >= 5, "the burst of 5 passes ({allowed})");
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(&limited).1, "Too many requests");
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");
    let other = owner.generate_key("calm", "never").await;
    assert_eq!(owner.api_get("/api/v1/user", &other.secret).await.status, StatusCode::OK, "per key");
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    assert_eq!(owner.api_get("/api/v1/user", &key.secret).await.status, StatusCode::OK, "refilled");
}

fn five_per_second(settings: &mut keyhook::config::Settings) {
    settings.api_rate_limit = 5;
}

#[tokio::test]
async fn rate_limit_sqlite() {
    over_the_rate_limit_is_429(spawn_app_with(Backend::Sqlite, five_per_second).await).await
}

#[tokio::test]
async fn rate_limit_postgres() {
    if let Some(app) = spawn_postgres_app(five_per_second).await {
        over_the_rate_limit_is_429(app).await
    }
}
