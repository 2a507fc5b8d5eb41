//! Clients and tags through the REST API as a script would use it (plain JSON over HTTP), and
//! the webhook events their changes fire, checked at a real receiver, on both backends.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::receiver::{Hit, Receiver};

const WAIT: Duration = Duration::from_secs(5);

pub fn local(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8,::1/128".into();
    settings.retry_schedule = "20ms".parse().expect("schedule");
}

pub struct Script {
    pub owner: Client,
    pub key: String,
    pub ws: String,
}

impl Script {
    pub async fn new(app: &TestApp) -> Self {
        let owner = app.setup_owner().await;
        let ws = owner.active_workspace().await;
        let key = owner.generate_key("script", "never").await.secret;
        Self { owner, key, ws }
    }

    /// A paid plan (the Owner's choice on the settings page): FREE allows three webhooks.
    pub async fn upgrade(&self) {
        let plan = format!("/workspaces/{}/settings/plan", self.ws);
        let answer = self.owner.post_form("/preferences", &plan, &[("plan", "PRO")]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
    }

    pub fn url(&self, rest: &str) -> String {
        format!("/api/v1/workspaces/{}/{rest}", self.ws)
    }

    pub async fn call(&self, method: &str, rest: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.owner.api(method, &self.url(rest), &self.key, body).await
    }

    /// A webhook for `event` to the receiver, with an optional trigger source.
    pub async fn subscribe(&self, receiver: &Receiver, event: &str, trigger: Option<(&str, Vec<&str>)>) -> Value {
        let mut body =
            json!({"name": event.to_lowercase().replace('_', " "), "url": receiver.url, "webhookEvent": event});
        if let Some((kind, ids)) = trigger {
            body["triggerSourceType"] = json!(kind);
            body["triggerSource"] = json!(ids);
        }
        let (status, hook) = self.call("POST", "webhooks", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{hook}");
        hook
    }
}

pub fn verifies(secret: &str, hit: &Hit) -> bool {
    standardwebhooks::Webhook::new(secret).expect("secret").verify(hit.body.as_bytes(), &hit.headers).is_ok()
}

pub fn body_of(hit: &Hit) -> Value {
    serde_json::from_str(&hit.body).expect("a JSON payload")
}

async fn clients_are_managed_and_each_change_is_delivered(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    s.upgrade().await;
    let mut secrets = Vec::new();
    for event in ["NEW_CLIENT", "CLIENT_UPDATED", "CLIENT_DELETED"] {
        let hook = s.subscribe(&receiver, event, None).await;
        secrets.push(hook["signingSecret"].as_str().expect("secret").to_owned());
    }

    // Nulls are taken as absent and unknown fields are ignored, as real clients send them.
    let body = json!({"name": "Acme Corp", "email": null, "address": "1 Main St", "note": null, "unknown": 5});
    let (status, created) = s.call("POST", "clients", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["name"], "Acme Corp");
    assert_eq!(created["address"], "1 Main St");
    assert_eq!(created["workspaceId"], s.ws.as_str());
    assert_eq!(created["archived"], false);
    assert_eq!(created["currencyCode"], "USD");

    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].header("clockify-webhook-event-type"), "NEW_CLIENT");
    assert!(verifies(&secrets[0], &hits[0]), "signed with the NEW_CLIENT webhook's secret");
    assert_eq!(body_of(&hits[0]), created, "the payload is the client's API JSON");

    let (status, fetched) = s.call("GET", &format!("clients/{id}"), None).await;
    assert_eq!((status, &fetched), (StatusCode::OK, &created));

    let (status, updated) =
        s.call("PUT", &format!("clients/{id}"), Some(json!({"name": "Acme Inc", "archived": true}))).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "Acme Inc");
    assert_eq!(updated["address"], "1 Main St", "left out: kept");
    assert_eq!(updated["archived"], true);
    let hits = receiver.wait_for(2, WAIT).await;
    assert_eq!(hits[1].header("clockify-webhook-event-type"), "CLIENT_UPDATED");
    assert_eq!(body_of(&hits[1]), updated);

    // Lists: by name, filtered, in pages with Last-Page.
    for name in ["Beta", "Gamma", "beta max"] {
        let (status, _) = s.call("POST", "clients", Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, all) = s.call("GET", "clients", None).await;
    let names: Vec<&str> = all.as_array().expect("array").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["Acme Inc", "Beta", "beta max", "Gamma"]);
    let (_, betas) = s.call("GET", "clients?name=BETA", None).await;
    assert_eq!(betas.as_array().map(Vec::len), Some(2), "contains, case-insensitively");
    let (_, archived) = s.call("GET", "clients?archived=true", None).await;
    assert_eq!(archived.as_array().map(Vec::len), Some(1));
    let first = s.owner.api_get(&s.url("clients?page=1&page-size=3"), &s.key).await;
    assert_eq!(first.headers["last-page"], "false");
    let second = s.owner.api_get(&s.url("clients?page=2&page-size=3"), &s.key).await;
    assert_eq!(second.headers["last-page"], "true");
    assert_eq!(Client::json(&second).as_array().map(Vec::len), Some(1));

    let (status, deleted) = s.call("DELETE", &format!("clients/{id}"), None).await;
    assert_eq!((status, deleted["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    let hits = receiver.wait_for(3 + 3, WAIT).await;
    let gone = hits.iter().find(|h| h.header("clockify-webhook-event-type") == "CLIENT_DELETED").expect("delivered");
    assert_eq!(body_of(gone)["id"], id.as_str());
    assert_eq!(s.call("GET", &format!("clients/{id}"), None).await.0, StatusCode::NOT_FOUND);
}

async fn bad_client_and_tag_input_is_refused(app: TestApp) {
    let s = Script::new(&app).await;
    for (rest, body, field) in [
        ("clients", json!({"name": "n".repeat(101)}), "name"),
        ("clients", json!({"name": "   "}), "name"),
        ("clients", json!({"email": "x@example.com"}), "name"),
        ("clients", json!({"name": 5}), "name"),
        ("clients", json!({"name": "Ok", "email": "not-an-email"}), "email"),
        ("clients", json!({"name": "Ok", "note": "x".repeat(3001)}), "note"),
        ("clients", json!({"name": "Ok", "archived": "yes"}), "archived"),
        ("tags", json!({"name": "t".repeat(101)}), "name"),
        ("tags", json!({}), "name"),
    ] {
        let (status, answer) = s.call("POST", rest, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{body}: {answer}");
    }
    let (_, list) = s.call("GET", "clients", None).await;
    assert_eq!(list, json!([]), "nothing stored");

    // Names are unique in a workspace.
    assert_eq!(s.call("POST", "tags", Some(json!({"name": "urgent"}))).await.0, StatusCode::CREATED);
    let (status, duplicate) = s.call("POST", "tags", Some(json!({"name": " urgent "}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(duplicate["message"], "name: Tag with this name already exists");
    let (_, other) = s.call("POST", "tags", Some(json!({"name": "later"}))).await;
    let (status, _) =
        s.call("PUT", &format!("tags/{}", other["id"].as_str().unwrap_or("")), Some(json!({"name": "urgent"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The same new name sent eight times at once: one tag; the rest are refused by name
    // (by the check, or by the unique index when they ran at the same moment), never a 500.
    let url = format!("{}{}", s.owner.address, s.url("tags"));
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let request = s.owner.http.post(&url).header("X-Api-Key", &s.key).json(&json!({"name": "burst"}));
            tokio::spawn(async move {
                let answer = request.send().await.expect("POST");
                (answer.status(), answer.text().await.unwrap_or_default())
            })
        })
        .collect();
    let mut created = 0;
    for send in sends {
        let (status, answer) = send.await.expect("request");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::BAD_REQUEST => assert!(answer.contains("Tag with this name already exists"), "{answer}"),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(created, 1);

    // Unknown and foreign ids are 404; bad paging is 400.
    for rest in ["clients/0123456789abcdef01234567", "tags/not-an-id", "clients/"] {
        let (status, answer) = s.call("GET", rest, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{rest}: {answer}");
        assert!(answer["message"].is_string());
    }
    assert_eq!(s.call("GET", "tags?page=0", None).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(s.call("GET", "tags?page-size=abc", None).await.0, StatusCode::BAD_REQUEST);
    let second = s.owner.create_workspace("Second").await;
    let theirs =
        s.owner.api("POST", &format!("/api/v1/workspaces/{second}/tags"), &s.key, Some(json!({"name": "x"}))).await;
    let foreign = format!("tags/{}", theirs.1["id"].as_str().unwrap_or(""));
    assert_eq!(s.call("GET", &foreign, None).await.0, StatusCode::NOT_FOUND, "another workspace's tag");
    assert_eq!(s.call("DELETE", &foreign, None).await.0, StatusCode::NOT_FOUND);

    // A Regular member reads but may not change.
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let their_key = member.generate_key("rita", "never").await.secret;
    let (status, tags) = member.api("GET", &s.url("tags"), &their_key, None).await;
    assert_eq!((status, tags.as_array().map(Vec::len)), (StatusCode::OK, Some(3)), "urgent, later and burst");
    let (status, refused) = member.api("POST", &s.url("tags"), &their_key, Some(json!({"name": "mine"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
}

async fn tag_trigger_sources_filter_events(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    let (_, watched) = s.call("POST", "tags", Some(json!({"name": "watched"}))).await;
    let (_, ignored) = s.call("POST", "tags", Some(json!({"name": "ignored"}))).await;
    let watched_id = watched["id"].as_str().expect("id").to_owned();
    s.subscribe(&receiver, "TAG_UPDATED", Some(("TAG_ID", vec![watched_id.as_str()]))).await;
    let ignored_id = ignored["id"].as_str().expect("id");
    s.call("PUT", &format!("tags/{ignored_id}"), Some(json!({"name": "still ignored"}))).await;
    s.call("PUT", &format!("tags/{watched_id}"), Some(json!({"archived": true}))).await;
    let hits = receiver.wait_for(2, Duration::from_millis(800)).await;
    assert_eq!(hits.len(), 1, "only the watched tag's event");
    assert_eq!(body_of(&hits[0])["id"], watched_id.as_str());
    assert_eq!(body_of(&hits[0])["archived"], true);

    // Trigger ids must be this workspace's tags.
    let body = json!({"name": "bad", "url": receiver.url, "webhookEvent": "TAG_UPDATED",
        "triggerSourceType": "TAG_ID", "triggerSource": ["0123456789abcdef01234567"]});
    let (status, answer) = s.call("POST", "webhooks", Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap_or("").contains("is not a tag of this workspace"), "{answer}");
}

crate::on_both_backends!(with local:
    clients_are_managed_and_each_change_is_delivered,
    bad_client_and_tag_input_is_refused,
    tag_trigger_sources_filter_events,
);
