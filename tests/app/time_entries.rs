//! The end-to-end script: with only an API key and Clockify's documented endpoints, a
//! script creates a client, a project and a tag, starts and stops a timer, adds, updates and
//! deletes an entry; a receiver subscribed to each event gets each one, signed (checked with
//! the Standard Webhooks library), with the entity's API JSON. Then the timer rules, the lists
//! and bad input, on both backends.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::clients_tags::{body_of, local, verifies, Script};
use crate::helpers::TestApp;
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

async fn me(s: &Script) -> String {
    let (_, user) = s.owner.api("GET", "/api/v1/user", &s.key, None).await;
    id(&user)
}

async fn a_script_tracks_time_and_receives_every_event(app: TestApp) {
    let s = Script::new(&app).await;
    s.upgrade().await;
    let receiver = Receiver::start().await;
    let events = [
        "NEW_CLIENT",
        "NEW_PROJECT",
        "NEW_TAG",
        "NEW_TIMER_STARTED",
        "TIMER_STOPPED",
        "NEW_TIME_ENTRY",
        "TIME_ENTRY_UPDATED",
        "TIME_ENTRY_DELETED",
    ];
    let mut secrets = HashMap::new();
    for event in events {
        let hook = s.subscribe(&receiver, event, None).await;
        secrets.insert(event, hook["signingSecret"].as_str().expect("secret").to_owned());
    }
    let user = me(&s).await;

    let (_, client) = s.call("POST", "clients", Some(json!({"name": "Acme"}))).await;
    let (_, project) =
        s.call("POST", "projects", Some(json!({"name": "Website", "clientId": id(&client), "color": "#FF5722"}))).await;
    let (_, tag) = s.call("POST", "tags", Some(json!({"name": "deep work"}))).await;

    // Start a timer: no end.
    let body = json!({"start": "2026-11-28T09:00:00Z", "description": "Homepage", "projectId": id(&project),
        "tagIds": [id(&tag)], "billable": null, "customFields": []});
    let (status, running) = s.call("POST", "time-entries", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{running}");
    assert_eq!(running["timeInterval"], json!({"start": "2026-11-28T09:00:00Z", "end": null, "duration": null}));
    assert_eq!(running["userId"], user.as_str());
    assert_eq!(running["project"]["name"], "Website");
    assert_eq!(running["project"]["clientName"], "Acme");
    assert_eq!(running["tags"][0]["name"], "deep work");
    assert_eq!(running["tagIds"], json!([id(&tag)]));
    assert_eq!(running["billable"], true, "the project's billable by default");
    assert_eq!(running["user"]["id"], user.as_str());
    let (status, in_progress) = s.call("GET", "time-entries/status/in-progress", None).await;
    assert_eq!((status, in_progress), (StatusCode::OK, json!([running.clone()])));

    // Stop it.
    let (status, stopped) =
        s.call("PATCH", &format!("user/{user}/time-entries"), Some(json!({"end": "2026-11-28T10:30:00Z"}))).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["timeInterval"]["duration"], "PT1H30M");
    assert_eq!(stopped["id"], running["id"]);

    // A finished entry, updated, deleted.
    let body = json!({"start": "2026-11-28T11:00:00Z", "end": "2026-11-28T11:45:30Z", "description": "Review"});
    let (status, entry) = s.call("POST", "time-entries", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["timeInterval"]["duration"], "PT45M30S");
    assert!(entry["projectId"].is_null() && entry["project"].is_null());
    let entry_id = id(&entry);
    let (status, updated) = s
        .call(
            "PUT",
            &format!("time-entries/{entry_id}"),
            Some(json!({"start": "2026-11-28T11:00:00Z", "projectId": id(&project), "description": "Code review"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["description"].as_str(), updated["projectId"].as_str()),
        (Some("Code review"), Some(id(&project).as_str()))
    );
    assert_eq!(updated["timeInterval"]["end"], "2026-11-28T11:45:30Z", "left out: kept");
    let (status, fetched) = s.call("GET", &format!("time-entries/{entry_id}"), None).await;
    assert_eq!((status, &fetched), (StatusCode::OK, &updated));
    let deleted = s
        .owner
        .http
        .delete(format!("{}{}", s.owner.address, s.url(&format!("time-entries/{entry_id}"))))
        .header("X-Api-Key", &s.key)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.call("GET", &format!("time-entries/{entry_id}"), None).await.0, StatusCode::NOT_FOUND);

    // Every event arrived once, signed by its webhook's secret, with the entity's JSON.
    let hits = receiver.wait_for(events.len(), WAIT).await;
    assert_eq!(hits.len(), events.len());
    let by_event: HashMap<&str, &crate::receiver::Hit> =
        hits.iter().map(|h| (h.header("clockify-webhook-event-type"), h)).collect();
    for event in events {
        let hit = by_event.get(event).unwrap_or_else(|| panic!("no {event}"));
        assert!(verifies(&secrets[event], hit), "{event} verifies with its webhook's secret");
        assert!(hit.header("webhook-id").starts_with("msg_"));
    }
    assert_eq!(body_of(by_event["NEW_CLIENT"]), client);
    assert_eq!(body_of(by_event["NEW_PROJECT"]), project);
    assert_eq!(body_of(by_event["NEW_TAG"]), tag);
    assert_eq!(body_of(by_event["NEW_TIMER_STARTED"]), running);
    assert_eq!(body_of(by_event["TIMER_STOPPED"]), stopped);
    assert_eq!(body_of(by_event["NEW_TIME_ENTRY"]), entry);
    assert_eq!(body_of(by_event["TIME_ENTRY_UPDATED"]), updated);
    assert_eq!(body_of(by_event["TIME_ENTRY_DELETED"]), updated);
    let payload = body_of(by_event["NEW_TIMER_STARTED"]);
    for field in ["project", "task", "user", "tags", "timeInterval", "projectId", "tagIds", "userId", "workspaceId"] {
        assert!(payload.get(field).is_some(), "the time entry payload has {field}");
    }
}

async fn timers_lists_and_bad_input(app: TestApp) {
    let s = Script::new(&app).await;
    let user = me(&s).await;
    let (_, project) = s.call("POST", "projects", Some(json!({"name": "Ops"}))).await;
    let (_, task) = s.call("POST", &format!("projects/{}/tasks", id(&project)), Some(json!({"name": "On call"}))).await;

    // Nothing runs: stopping is 404, as Clockify.
    let stop = format!("user/{user}/time-entries");
    let (status, answer) = s.call("PATCH", &stop, Some(json!({"end": "2026-11-28T10:00:00Z"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");

    // Starting a second timer stops the first at the second's start.
    let (_, first) = s.call("POST", "time-entries", Some(json!({"start": "2026-11-28T08:00:00Z"}))).await;
    let (_, second) = s
        .call(
            "POST",
            "time-entries",
            Some(json!({"start": "2026-11-28T09:00:00Z", "projectId": id(&project), "taskId": id(&task)})),
        )
        .await;
    assert_eq!(second["task"]["name"], "On call");
    let (_, first_now) = s.call("GET", &format!("time-entries/{}", id(&first)), None).await;
    assert_eq!(first_now["timeInterval"]["end"], "2026-11-28T09:00:00Z");
    let (_, running) = s.call("GET", &format!("{stop}?in-progress=true"), None).await;
    assert_eq!(running.as_array().map(|a| a.iter().map(id).collect::<Vec<_>>()), Some(vec![id(&second)]));

    // An end before the start is refused; nothing changes.
    let (status, answer) = s.call("PATCH", &stop, Some(json!({"end": "2026-11-28T08:59:00Z"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["message"].as_str().unwrap_or("").starts_with("end"), "{answer}");
    let (status, _) = s.call("PATCH", &stop, Some(json!({"end": "2026-11-28T09:10:00Z"}))).await;
    assert_eq!(status, StatusCode::OK);

    // Lists: newest first, filtered by start, paged with Last-Page.
    let (_, all) = s.call("GET", &stop, None).await;
    assert_eq!(all.as_array().map(|a| a.iter().map(id).collect::<Vec<_>>()), Some(vec![id(&second), id(&first)]));
    let (_, later) = s.call("GET", &format!("{stop}?start=2026-11-28T08:30:00Z"), None).await;
    assert_eq!(later.as_array().map(Vec::len), Some(1));
    let page = s.owner.api_get(&s.url(&format!("{stop}?page-size=1")), &s.key).await;
    assert_eq!(page.headers["last-page"], "false");

    let second_ws = s.owner.create_workspace("Second").await;
    let (_, foreign) = s
        .owner
        .api("POST", &format!("/api/v1/workspaces/{second_ws}/projects"), &s.key, Some(json!({"name": "Theirs"})))
        .await;
    let (_, other) = s.call("POST", "projects", Some(json!({"name": "Other"}))).await;
    for (body, field) in [
        (json!({"start": "2026-11-28T10:00:00Z", "end": "2026-11-28T09:00:00Z"}), "end"),
        (json!({"start": "yesterday"}), "start"),
        (json!({"start": "2026-11-28T10:00:00Z", "projectId": id(&foreign)}), "projectId"),
        (json!({"start": "2026-11-28T10:00:00Z", "projectId": id(&other), "taskId": id(&task)}), "taskId"),
        (json!({"start": "2026-11-28T10:00:00Z", "taskId": id(&task)}), "taskId"),
        (json!({"start": "2026-11-28T10:00:00Z", "tagIds": ["0123456789abcdef01234567"]}), "tagIds"),
        (json!({"start": "2026-11-28T10:00:00Z", "billable": "yes"}), "billable"),
        (json!({"start": "2026-11-28T10:00:00Z", "description": "d".repeat(3001)}), "description"),
    ] {
        let (status, answer) = s.call("POST", "time-entries", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{body}: {answer}");
    }
    assert_eq!(s.call("GET", "time-entries/0123456789abcdef01234567", None).await.0, StatusCode::NOT_FOUND);

    // A tag deleted since is left out of the entries that had it.
    let (_, tag) = s.call("POST", "tags", Some(json!({"name": "temporary"}))).await;
    let body = json!({"start": "2026-11-28T13:00:00Z", "end": "2026-11-28T13:05:00Z", "tagIds": [id(&tag)]});
    let (_, tagged) = s.call("POST", "time-entries", Some(body)).await;
    assert_eq!(tagged["tags"][0]["name"], "temporary");
    s.call("DELETE", &format!("tags/{}", id(&tag)), None).await;
    let (_, now) = s.call("GET", &format!("time-entries/{}", id(&tagged)), None).await;
    assert_eq!((now["tags"].clone(), now["tagIds"].clone()), (json!([]), json!([])));
    assert_eq!(s.call("GET", "user/0123456789abcdef01234567/time-entries", None).await.0, StatusCode::NOT_FOUND);

    // Timers started at once: each answers 201 or 400 ("retry"), never a 500, and one runs.
    let url = format!("{}{}", s.owner.address, s.url("time-entries"));
    let starts: Vec<_> = (0..8)
        .map(|i| {
            let request = s.owner.http.post(&url).header("X-Api-Key", &s.key);
            let body = json!({"start": format!("2026-11-28T14:0{i}:00Z")});
            tokio::spawn(async move {
                let answer = request.json(&body).send().await.expect("POST");
                (answer.status(), answer.text().await.unwrap_or_default())
            })
        })
        .collect();
    for start in starts {
        let (status, answer) = start.await.expect("request");
        assert!(status == StatusCode::CREATED || status == StatusCode::BAD_REQUEST, "{status}: {answer}");
    }
    let (_, running) = s.call("GET", &format!("{stop}?in-progress=true"), None).await;
    assert_eq!(running.as_array().map(Vec::len), Some(1), "one running timer");
    s.call("PATCH", &stop, Some(json!({"end": "2026-11-28T15:00:00Z"}))).await;

    // A Regular member tracks their own time; the Owner's is not theirs to see.
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let key = member.generate_key("rita", "never").await.secret;
    let (status, mine) =
        member.api("POST", &s.url("time-entries"), &key, Some(json!({"start": "2026-11-28T12:00:00Z"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let owners = s.url(&format!("time-entries/{}", id(&second)));
    assert_eq!(member.api("GET", &owners, &key, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(member.api("GET", &s.url(&stop), &key, None).await.0, StatusCode::FORBIDDEN);
    let (_, theirs) = member.api("GET", &s.url("time-entries/status/in-progress"), &key, None).await;
    assert_eq!(
        theirs.as_array().map(|a| a.iter().map(id).collect::<Vec<_>>()),
        Some(vec![id(&mine)]),
        "their own only"
    );
    let (_, everyone) = s.call("GET", "time-entries/status/in-progress", None).await;
    assert_eq!(everyone.as_array().map(Vec::len), Some(1), "the Owner sees the member's running timer");
}

crate::on_both_backends!(with local:
    a_script_tracks_time_and_receives_every_event,
    timers_lists_and_bad_input,
);
