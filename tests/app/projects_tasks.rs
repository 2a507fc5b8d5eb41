//! Projects and their tasks through the REST API as a script would use them, the events their
//! changes fire (checked at a real receiver, signed), trigger-source filtering, and bad input,
//! on both backends.

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

async fn projects_and_tasks_are_managed_and_delivered(app: TestApp) {
    let s = Script::new(&app).await;
    s.upgrade().await;
    let receiver = Receiver::start().await;
    let mut secrets = std::collections::HashMap::new();
    for event in ["NEW_PROJECT", "PROJECT_UPDATED", "PROJECT_DELETED", "NEW_TASK", "TASK_UPDATED", "TASK_DELETED"] {
        let hook = s.subscribe(&receiver, event, None).await;
        secrets.insert(event, hook["signingSecret"].as_str().expect("secret").to_owned());
    }
    let (_, client) = s.call("POST", "clients", Some(json!({"name": "Acme"}))).await;

    let body = json!({"name": "Website", "clientId": id(&client), "color": "#8bc34a", "billable": null,
        "isPublic": true, "note": null, "estimate": {"estimate": "PT10H", "type": "MANUAL"}});
    let (status, project) = s.call("POST", "projects", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["name"], "Website");
    assert_eq!(project["clientId"], id(&client).as_str());
    assert_eq!(project["clientName"], "Acme");
    assert_eq!(project["color"], "#8BC34A");
    assert_eq!((project["billable"].as_bool(), project["public"].as_bool()), (Some(true), Some(true)));
    assert_eq!(project["archived"], false);
    let project_id = id(&project);
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits[0].header("clockify-webhook-event-type"), "NEW_PROJECT");
    assert!(verifies(&secrets["NEW_PROJECT"], &hits[0]));
    assert_eq!(body_of(&hits[0]), project, "the payload is the project's API JSON");
    let (status, fetched) = s.call("GET", &format!("projects/{project_id}"), None).await;
    assert_eq!((status, &fetched), (StatusCode::OK, &project));

    // Tasks under it.
    let tasks = format!("projects/{project_id}/tasks");
    let body = json!({"name": "Design", "estimate": "PT1H30M", "assigneeIds": null});
    let (status, task) = s.call("POST", &tasks, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    assert_eq!((task["status"].as_str(), task["estimate"].as_str()), (Some("ACTIVE"), Some("PT1H30M")));
    assert_eq!(task["projectId"], project_id.as_str());
    let task_id = id(&task);
    let hits = receiver.wait_for(2, WAIT).await;
    assert_eq!(hits[1].header("clockify-webhook-event-type"), "NEW_TASK");
    assert_eq!(body_of(&hits[1]), task);
    let (_, listed) = s.call("GET", &tasks, None).await;
    assert_eq!(listed, json!([task]));

    // An active task cannot be deleted; a DONE one can.
    let (status, refused) = s.call("DELETE", &format!("{tasks}/{task_id}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["message"].as_str().unwrap_or("").contains("Cannot delete an active task"), "{refused}");
    let (status, done) = s.call("PUT", &format!("{tasks}/{task_id}"), Some(json!({"status": "DONE"}))).await;
    assert_eq!(
        (status, done["status"].as_str(), done["name"].as_str()),
        (StatusCode::OK, Some("DONE"), Some("Design"))
    );
    assert_eq!(s.call("DELETE", &format!("{tasks}/{task_id}"), None).await.0, StatusCode::OK);
    assert_eq!(s.call("GET", &format!("{tasks}/{task_id}"), None).await.0, StatusCode::NOT_FOUND);

    // An active project cannot be deleted; archived, it can.
    let (status, refused) = s.call("DELETE", &format!("projects/{project_id}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["message"].as_str().unwrap_or("").contains("Cannot delete an active project"), "{refused}");
    let (status, archived) =
        s.call("PUT", &format!("projects/{project_id}"), Some(json!({"archived": true, "clientId": null}))).await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert_eq!((archived["archived"].as_bool(), archived["clientId"].is_null()), (Some(true), true));
    assert_eq!(archived["color"], "#8BC34A", "left out: kept");
    let (_, only_archived) = s.call("GET", "projects?archived=true", None).await;
    assert_eq!(only_archived.as_array().map(Vec::len), Some(1));
    let (status, deleted) = s.call("DELETE", &format!("projects/{project_id}"), None).await;
    assert_eq!((status, id(&deleted)), (StatusCode::OK, project_id.clone()));

    let hits = receiver.wait_for(6, WAIT).await;
    // Each webhook is its own queue, so deliveries to different webhooks may pass each other.
    let mut kinds: Vec<&str> = hits.iter().map(|h| h.header("clockify-webhook-event-type")).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["NEW_PROJECT", "NEW_TASK", "PROJECT_DELETED", "PROJECT_UPDATED", "TASK_DELETED", "TASK_UPDATED"],
        "each change once"
    );
    for hit in &hits {
        assert!(verifies(&secrets[hit.header("clockify-webhook-event-type")], hit));
    }
}

async fn bad_project_and_task_input_is_refused(app: TestApp) {
    let s = Script::new(&app).await;
    let second = s.owner.create_workspace("Second").await;
    let (_, foreign_client) = s
        .owner
        .api("POST", &format!("/api/v1/workspaces/{second}/clients"), &s.key, Some(json!({"name": "Theirs"})))
        .await;
    for (body, field) in [
        (json!({"name": "x"}), "name"),
        (json!({"name": "p".repeat(251)}), "name"),
        (json!({"color": "#03A9F4"}), "name"),
        (json!({"name": "Ok", "color": "red"}), "color"),
        (json!({"name": "Ok", "color": "#12345"}), "color"),
        (json!({"name": "Ok", "billable": "yes"}), "billable"),
        (json!({"name": "Ok", "clientId": id(&foreign_client)}), "clientId"),
        (json!({"name": "Ok", "clientId": 7}), "clientId"),
    ] {
        let (status, answer) = s.call("POST", "projects", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{body}: {answer}");
    }
    assert_eq!(s.call("GET", "projects", None).await.1, json!([]), "nothing stored");

    let (_, project) = s.call("POST", "projects", Some(json!({"name": "Mobile"}))).await;
    let (status, duplicate) = s.call("POST", "projects", Some(json!({"name": "Mobile"}))).await;
    assert_eq!(
        (status, duplicate["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name: Project with this name already exists"))
    );
    let tasks = format!("projects/{}/tasks", id(&project));
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "t".repeat(1001)}), "name"),
        (json!({"name": "Ok", "status": "ALL"}), "status"),
        (json!({"name": "Ok", "estimate": "90 minutes"}), "estimate"),
        (json!({"name": "Ok", "assigneeIds": ["0123456789abcdef01234567"]}), "assigneeIds"),
    ] {
        let (status, answer) = s.call("POST", &tasks, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{body}: {answer}");
    }

    // Unknown and foreign ids are 404.
    let (_, theirs) = s
        .owner
        .api("POST", &format!("/api/v1/workspaces/{second}/projects"), &s.key, Some(json!({"name": "Theirs"})))
        .await;
    for rest in [
        "projects/0123456789abcdef01234567".to_owned(),
        format!("projects/{}", id(&theirs)),
        format!("projects/{}/tasks", id(&theirs)),
        "projects/0123456789abcdef01234567/tasks".to_owned(),
        format!("{tasks}/0123456789abcdef01234567"),
    ] {
        let (status, answer) = s.call("GET", &rest, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{rest}: {answer}");
    }
    let (_, other) = s.call("POST", "projects", Some(json!({"name": "Other"}))).await;
    let (_, task) = s.call("POST", &format!("projects/{}/tasks", id(&other)), Some(json!({"name": "T"}))).await;
    assert_eq!(
        s.call("GET", &format!("{tasks}/{}", id(&task)), None).await.0,
        StatusCode::NOT_FOUND,
        "another project's task"
    );

    // A Regular member reads but may not change.
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let key = member.generate_key("rita", "never").await.secret;
    assert_eq!(member.api("GET", &s.url("projects"), &key, None).await.0, StatusCode::OK);
    assert_eq!(
        member.api("POST", &s.url("projects"), &key, Some(json!({"name": "Mine"}))).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(member.api("POST", &s.url(&tasks), &key, Some(json!({"name": "Mine"}))).await.0, StatusCode::FORBIDDEN);
}

async fn project_and_task_trigger_sources_filter_events(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    let (_, watched) = s.call("POST", "projects", Some(json!({"name": "Watched"}))).await;
    let (_, other) = s.call("POST", "projects", Some(json!({"name": "Other"}))).await;
    let (_, task) =
        s.call("POST", &format!("projects/{}/tasks", id(&watched)), Some(json!({"name": "Watched task"}))).await;
    let (_, other_task) =
        s.call("POST", &format!("projects/{}/tasks", id(&watched)), Some(json!({"name": "Other task"}))).await;
    let (watched_id, task_id) = (id(&watched), id(&task));
    s.subscribe(&receiver, "PROJECT_UPDATED", Some(("PROJECT_ID", vec![watched_id.as_str()]))).await;
    s.subscribe(&receiver, "TASK_UPDATED", Some(("TASK_ID", vec![task_id.as_str()]))).await;
    s.call("PUT", &format!("projects/{}", id(&other)), Some(json!({"note": "not watched"}))).await;
    s.call("PUT", &format!("projects/{watched_id}"), Some(json!({"note": "watched"}))).await;
    s.call("PUT", &format!("projects/{watched_id}/tasks/{}", id(&other_task)), Some(json!({"billable": false}))).await;
    s.call("PUT", &format!("projects/{watched_id}/tasks/{task_id}"), Some(json!({"billable": false}))).await;
    let hits = receiver.wait_for(3, Duration::from_millis(800)).await;
    let mut ids: Vec<String> = hits.iter().map(|h| body_of(h)["id"].as_str().unwrap_or("").to_owned()).collect();
    ids.sort_unstable();
    let mut expected = [watched_id.clone(), task_id.clone()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "only the watched project's and task's events (two webhooks: any order)");

    for (kind, event) in [("PROJECT_ID", "PROJECT_UPDATED"), ("TASK_ID", "TASK_UPDATED")] {
        let body = json!({"name": "bad", "url": receiver.url, "webhookEvent": event,
            "triggerSourceType": kind, "triggerSource": ["0123456789abcdef01234567"]});
        let (status, answer) = s.call("POST", "webhooks", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["message"].as_str().unwrap_or("").contains("of this workspace"), "{answer}");
    }
}

crate::on_both_backends!(with local:
    projects_and_tasks_are_managed_and_delivered,
    bad_project_and_task_input_is_refused,
    project_and_task_trigger_sources_filter_events,
);
