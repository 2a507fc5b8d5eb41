//! Add-ons: installed from a manifest through the API and the Add-ons settings tab, told of
//! it by a signed `INSTALLED` request with their tokens, calling the API with `X-Addon-Token`
//! as an Admin of their workspace only, receiving their webhooks, and uninstalled. On both
//! backends, with a real receiver standing in for the add-on.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::clients_tags::{body_of, local, verifies, Script};
use crate::helpers::{Client, TestApp};
use crate::receiver::{Hit, Receiver};

const WAIT: Duration = Duration::from_secs(5);

pub fn manifest(receiver: &Receiver, key: &str, hooks: &[(&str, &str)]) -> Value {
    json!({
        "key": key,
        "name": "Time bot",
        "baseUrl": receiver.base(),
        "webhooks": hooks.iter().map(|(event, path)| json!({"event": event, "path": path})).collect::<Vec<_>>(),
        "lifecycle": [{"type": "DELETED", "path": "/lifecycle/deleted"}],
    })
}

/// A request with the add-on's token (and nothing else), as an add-on would send it.
pub async fn as_addon(
    client: &Client,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    client.api_as(("X-Addon-Token", token), method, path, body).await
}

fn at<'a>(hits: &'a [Hit], path: &str) -> Vec<&'a Hit> {
    hits.iter().filter(|h| h.path == path).collect()
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

async fn an_addon_is_installed_works_as_an_admin_and_is_uninstalled(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    let hooks = [("NEW_PROJECT", "/hooks/project"), ("NEW_TAG", "/hooks/tag"), ("EXPENSE_CREATED", "/hooks/expense")];
    let (status, installed) = s.call("POST", "addons", Some(manifest(&addon_side, "time-bot", &hooks))).await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    let token = str_of(&installed["authToken"]);
    assert!(token.starts_with("kha_"), "{installed}");
    let webhooks = installed["webhooks"].as_array().expect("webhooks").clone();
    assert_eq!(webhooks.len(), 3);
    let project_hook = webhooks.iter().find(|w| w["webhookEvent"] == "NEW_PROJECT").expect("NEW_PROJECT hook");
    assert_eq!(project_hook["webhookType"], "ADDON");
    assert_eq!(project_hook["url"], format!("{}/hooks/project", addon_side.base()));
    let expense = webhooks.iter().find(|w| w["webhookEvent"] == "EXPENSE_CREATED").expect("expense hook");
    assert_eq!(expense["planEnabled"], false, "the FREE plan lacks expenses: created disabled");

    // The add-on was told, before the answer, with every token, signed with its own secret.
    let told = at(&addon_side.hits(), "/lifecycle/installed").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(told.len(), 1, "one INSTALLED request");
    let body = body_of(&told[0]);
    assert_eq!(body["authToken"], token.as_str());
    assert_eq!(body["workspaceId"], s.ws.as_str());
    assert_eq!(body["addonId"], installed["id"]);
    assert!(body["apiUrl"].as_str().is_some_and(|u| u.ends_with("/api")), "{body}");
    assert!(verifies(&str_of(&body["signingSecret"]), &told[0]), "the INSTALLED request is signed");
    let told_hook = body["webhooks"].as_array().expect("hooks").iter().find(|w| w["event"] == "NEW_PROJECT").cloned();
    let told_hook = told_hook.expect("NEW_PROJECT told");
    assert_eq!(told_hook["authToken"], project_hook["authToken"]);
    assert_eq!(told_hook["path"], "/hooks/project");

    // The token acts as an Admin of this workspace: it creates a project, whose event the
    // add-on's webhook delivers, signed with that webhook's secret and token.
    let (status, project) = as_addon(&s.owner, &token, "POST", &s.url("projects"), Some(json!({"name": "Bot"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let hits = addon_side.wait_for(2, WAIT).await;
    let delivered = at(&hits, "/hooks/project");
    assert_eq!(delivered.len(), 1, "NEW_PROJECT reached the add-on's path");
    assert_eq!(body_of(delivered[0])["id"], project["id"]);
    assert!(verifies(&str_of(&told_hook["signingSecret"]), delivered[0]));
    assert_eq!(delivered[0].header("clockify-signature"), str_of(&told_hook["authToken"]));

    // ... and nothing beyond it: no other workspace, no user-level routes, no bad tokens.
    let other = s.owner.create_workspace("Elsewhere").await;
    let (status, answer) =
        as_addon(&s.owner, &token, "GET", &format!("/api/v1/workspaces/{other}/projects"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    for path in ["/api/v1/user", "/api/v1/workspaces"] {
        let (status, answer) = as_addon(&s.owner, &token, "GET", path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
    }
    let forged = format!("kha_{}", "A".repeat(43));
    let (status, answer) = as_addon(&s.owner, &forged, "GET", &s.url("projects"), None).await;
    assert_eq!((status, answer["code"].as_i64()), (StatusCode::UNAUTHORIZED, Some(4017)), "{answer}");
    let both = s
        .owner
        .http
        .get(format!("{}{}", s.owner.address, s.url("projects")))
        .header("X-Api-Key", &s.key)
        .header("X-Addon-Token", &token)
        .send()
        .await
        .expect("request");
    assert_eq!(both.status(), StatusCode::UNAUTHORIZED, "two credentials are refused");

    // Users see the webhooks and their attempts but cannot edit or delete them; they do not
    // count against the FREE plan's three.
    let (_, listed) = s.call("GET", "webhooks?type=ADDON", None).await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(3), "{listed}");
    let hook_id = str_of(&project_hook["id"]);
    let replace = json!({"name": "mine", "url": addon_side.url, "webhookEvent": "NEW_PROJECT"});
    let (status, _) = s.call("PUT", &format!("webhooks/{hook_id}"), Some(replace)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.call("DELETE", &format!("webhooks/{hook_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, logs) = s.call("GET", &format!("webhooks/{hook_id}/logs"), None).await;
    assert_eq!(logs.as_array().map(Vec::len), Some(1), "its attempt is visible: {logs}");
    for event in ["NEW_CLIENT", "NEW_TAG", "TAG_UPDATED"] {
        s.subscribe(&addon_side, event, None).await;
    }
    let (_, addons) = s.call("GET", "addons", None).await;
    assert_eq!(addons.as_array().map(Vec::len), Some(1));
    assert!(addons[0].get("authToken").is_none(), "the token is answered once");
    let id = str_of(&installed["id"]);
    let (status, its_hooks) = s.call("GET", &format!("addons/{id}/webhooks"), None).await;
    assert_eq!((status, its_hooks["webhooks"].as_array().map(Vec::len)), (StatusCode::OK, Some(3)));

    // Once per workspace.
    let (status, again) = s.call("POST", "addons", Some(manifest(&addon_side, "time-bot", &hooks))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(str_of(&again["message"]).starts_with("key: "), "{again}");

    // Uninstalling: 204, the add-on told (it asked for DELETED), the token dead, the webhooks gone.
    let (status, _) = s.call("DELETE", &format!("addons/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deleted = at(&addon_side.hits(), "/lifecycle/deleted").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(deleted.len(), 1, "one DELETED request");
    assert_eq!(body_of(&deleted[0])["addonId"], id.as_str());
    assert!(verifies(&str_of(&body["signingSecret"]), &deleted[0]));
    let (status, answer) = as_addon(&s.owner, &token, "GET", &s.url("projects"), None).await;
    assert_eq!((status, answer["code"].as_i64()), (StatusCode::UNAUTHORIZED, Some(4017)));
    let (_, listed) = s.call("GET", "webhooks?type=ADDON", None).await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(0), "{listed}");
    let (status, _) = s.call("GET", &format!("addons/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let before = at(&addon_side.hits(), "/hooks/project").len();
    let (status, _) = s.call("POST", "projects", Some(json!({"name": "After"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(at(&addon_side.hits(), "/hooks/project").len(), before, "no delivery after uninstalling");

    // And it can be installed again, with a new token.
    let (status, reinstalled) = s.call("POST", "addons", Some(manifest(&addon_side, "time-bot", &hooks))).await;
    assert_eq!(status, StatusCode::CREATED, "{reinstalled}");
    assert_ne!(reinstalled["authToken"], token.as_str());

    // Beside another add-on, each is listed with its own webhooks.
    let (status, _) = s.call("POST", "addons", Some(manifest(&addon_side, "second", &[("NEW_CLIENT", "/c")]))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, addons) = s.call("GET", "addons", None).await;
    let counts: Vec<(String, usize)> = addons
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| (str_of(&a["key"]), a["webhooks"].as_array().map_or(0, Vec::len)))
        .collect();
    assert_eq!(counts, [("time-bot".to_owned(), 3), ("second".to_owned(), 1)], "{addons}");
}

async fn bad_manifests_and_refusing_addons_install_nothing(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    let good = manifest(&addon_side, "bot", &[("NEW_TAG", "/t")]);
    let with = |field: &str, value: Value| {
        let mut m = good.clone();
        m[field] = value;
        m
    };
    let cases = [
        (with("baseUrl", json!("/addon")), "baseUrl: "),
        (with("baseUrl", json!("addon.example.com")), "baseUrl: "),
        (with("baseUrl", json!("https://10.1.2.3")), "baseUrl: 10.1.2.3 is a private or reserved address"),
        (with("baseUrl", json!("https://169.254.169.254")), "baseUrl: 169.254.169.254 is a private"),
        (
            with("webhooks", json!([{"event": "NEW_TAG", "path": "/a"}, {"event": "NEW_TAG", "path": "/b"}])),
            "webhooks[1].event: NEW_TAG is declared twice",
        ),
        (with("webhooks", json!([{"event": "NEW_INVOICE_SENT", "path": "/a"}])), "webhooks[0].event: Unknown event"),
        (with("webhooks", json!([{"event": "NEW_TAG", "path": "hooks"}])), "webhooks[0].path: "),
        (with("webhooks", json!("NEW_TAG")), "webhooks: invalid type"),
        (with("key", json!("")), "key: "),
        (with("name", json!(null)), "name: "),
        (json!([1, 2]), "manifest: "),
    ];
    for (body, expected) in cases {
        let (status, answer) = s.call("POST", "addons", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = str_of(&answer["message"]);
        assert!(message.starts_with(expected), "{body}: {message:?} should start with {expected:?}");
    }
    assert!(addon_side.hits().is_empty(), "a refused manifest never reaches the add-on");

    // An add-on that does not accept its installation leaves nothing behind.
    addon_side.answer(&[500]);
    let (status, answer) = s.call("POST", "addons", Some(good.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let message = str_of(&answer["message"]);
    assert!(message.contains("did not accept the installation") && message.contains("answered 500"), "{message}");
    let (_, addons) = s.call("GET", "addons", None).await;
    assert_eq!(addons, json!([]));
    let (_, listed) = s.call("GET", "webhooks?type=ADDON", None).await;
    assert_eq!(listed["webhooks"], json!([]));
    let told = at(&addon_side.hits(), "/lifecycle/installed").into_iter().cloned().collect::<Vec<_>>();
    let dead_token = str_of(&body_of(&told[0])["authToken"]);
    let (status, _) = as_addon(&s.owner, &dead_token, "GET", &s.url("tags"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the refused installation's token never works");
    let (status, answer) = s.call("POST", "addons", Some(good.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "the same add-on installs once it accepts: {answer}");

    // Only Owners and Admins install.
    let member = app.add_member(&s.owner, &s.ws, "reg@example.com", "REGULAR").await;
    let member_key = member.generate_key("regular", "never").await.secret;
    let other = manifest(&addon_side, "other", &[]);
    let (status, _) = member.api("POST", &s.url("addons"), &member_key, Some(other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = member.api("GET", &s.url("addons"), &member_key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Installs of one add-on sent at once: exactly one is installed, the others are refused by name.
async fn simultaneous_installs_install_once(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    let body = manifest(&addon_side, "burst", &[("NEW_TAG", "/t")]);
    let url = format!("{}{}", s.owner.address, s.url("addons"));
    let sends: Vec<_> = (0..6)
        .map(|_| {
            let request = s.owner.http.post(&url).header("X-Api-Key", &s.key).json(&body);
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
            StatusCode::BAD_REQUEST => assert!(answer.contains("already installed"), "{answer}"),
            other => panic!("{other}: {answer}"),
        }
    }
    assert_eq!(created, 1);
    let (_, listed) = s.call("GET", "webhooks?type=ADDON", None).await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(1));
}

async fn the_addons_tab_installs_shows_the_token_once_and_uninstalls(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    let tab = format!("/workspaces/{}/settings/addons", s.ws);
    let page = s.owner.get(&tab).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("nav.tabs a[aria-current=page]").as_deref(), Some("Add-ons"));
    assert!(page.text(".empty").is_some_and(|t| t.contains("No add-on")), "{}", page.body);

    let action = format!("/workspaces/{}/addons", s.ws);
    let bad = manifest(&addon_side, "bot", &[("NEW_TAG", "/t"), ("NEW_TAG", "/u")]).to_string();
    let refused = s.owner.post_form(&tab, &action, &[("manifest", &bad)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = refused.field_error("manifest").expect("an error next to the manifest");
    assert!(error.starts_with("webhooks[1].event: NEW_TAG is declared twice"), "{error}");
    assert_eq!(refused.text("#manifest").as_deref(), Some(bad.as_str()), "what was typed is kept");

    let good = manifest(&addon_side, "bot", &[("NEW_TAG", "/t")]).to_string();
    let done = s.owner.post_form(&tab, &action, &[("manifest", &good)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = s.owner.get(&tab).await;
    let token = page.text("#flash-secret").expect("the token, shown once");
    assert!(token.starts_with("kha_"));
    assert!(s.owner.get(&tab).await.text("#flash-secret").is_none(), "and only once");
    let told = at(&addon_side.hits(), "/lifecycle/installed").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(body_of(&told[0])["authToken"], token.as_str(), "the add-on got the same token");
    let (status, _) = as_addon(&s.owner, &token, "GET", &s.url("tags"), None).await;
    assert_eq!(status, StatusCode::OK);
    let addon_id =
        page.attr("article.addon", "id").expect("the add-on is listed").trim_start_matches("addon-").to_owned();
    let link = page.attr("article.addon td.webhook-name a", "href").expect("its webhook, linked to its details");
    assert_eq!(s.owner.get(&link).await.status, StatusCode::OK);

    // Regular members see none of it.
    let member = app.add_member(&s.owner, &s.ws, "reg@example.com", "REGULAR").await;
    assert_eq!(member.get(&tab).await.status, StatusCode::FORBIDDEN);
    let uninstall = format!("/workspaces/{}/addons/{addon_id}/uninstall", s.ws);
    let forged = s.owner.post_raw(&uninstall, &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token, no uninstall");

    let gone = s.owner.post_form(&tab, &uninstall, &[]).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let page = s.owner.get(&tab).await;
    assert!(page.text("#toast").is_some_and(|t| t.contains("uninstalled")), "{}", page.body);
    assert!(page.attr("article.addon", "id").is_none());
    let (status, _) = as_addon(&s.owner, &token, "GET", &s.url("tags"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(with local:
    an_addon_is_installed_works_as_an_admin_and_is_uninstalled,
    bad_manifests_and_refusing_addons_install_nothing,
    simultaneous_installs_install_once,
    the_addons_tab_installs_shows_the_token_once_and_uninstalls,
);
