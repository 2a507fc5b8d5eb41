//! schemathesis (PyPI) against a live server on SQLite with a key: a bounded run (a fixed number
//! of examples per operation, a fixed seed) that fails on any server error, any answer that
//! does not match `/api/openapi.json`, and any status the document does not list. Every URL a
//! generated body carries is pointed at a receiver on 127.0.0.1 (tests/tools/schemathesis_hooks.py).
//! Without schemathesis the test says it was skipped, unless KEYHOOK_REQUIRE_TOOLS asks for it.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, Client};
use crate::receiver::Receiver;

/// Examples per operation and phase: enough to walk every documented bound and enum, and a
/// run of a few minutes on this machine.
const EXAMPLES: &str = "100";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing() {
    if Command::new("schemathesis").arg("--version").output().is_err() {
        assert!(std::env::var("KEYHOOK_REQUIRE_TOOLS").is_err(), "schemathesis cannot run");
        eprintln!("SKIPPED: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let receiver = Receiver::start().await;
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.allow_private_networks = "127.0.0.0/8".into();
        settings.api_rate_limit = 100_000;
        settings.retry_schedule = "10ms".parse().expect("schedule");
    })
    .await;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    owner.post_form("/preferences", &format!("/workspaces/{ws}/settings/plan"), &[("plan", "ENTERPRISE")]).await;
    let key = owner.generate_key("fuzz", "never").await.secret;
    let seeded = seed(&owner, &key, &ws, &receiver.url).await;

    let dir = tempfile::tempdir().expect("a directory");
    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    let output = Command::new("schemathesis")
        .current_dir(dir.path())
        .env("PYTHONPATH", &hooks)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("KH_RECEIVER", &receiver.url)
        .envs(seeded)
        .arg("--config-file")
        .arg(hooks.join("schemathesis.toml"))
        .args(["run", &format!("{}/api/openapi.json", app.address)])
        .args(["--header", &format!("X-Api-Key: {key}")])
        .args(["--checks", "all", "--max-examples", EXAMPLES, "--seed", "3", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing", "--request-timeout", "10"])
        .args(["--no-color", "--output-truncate", "false"])
        .output()
        .expect("schemathesis runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    eprintln!("{report}");
    assert!(output.status.success(), "schemathesis found problems (above)");
}

/// One of each resource, so most generated paths reach a real row; answers the variables the
/// hooks read.
async fn seed(owner: &Client, key: &str, ws: &str, receiver: &str) -> Vec<(&'static str, String)> {
    let base = format!("/api/v1/workspaces/{ws}");
    let create = |path: String, body: Value| async move {
        let (status, created) = owner.api("POST", &path, key, Some(body)).await;
        assert!(status.is_success(), "seeding {path}: {status} {created}");
        created["id"].as_str().expect("an id").to_owned()
    };
    let client = create(format!("{base}/clients"), json!({"name": "Fuzz client"})).await;
    let tag = create(format!("{base}/tags"), json!({"name": "Fuzz tag"})).await;
    let project = create(format!("{base}/projects"), json!({"name": "Fuzz project"})).await;
    let task = create(format!("{base}/projects/{project}/tasks"), json!({"name": "Fuzz task"})).await;
    let entry = create(format!("{base}/time-entries"), json!({"start": "2026-01-01T09:00:00Z"})).await;
    let webhook =
        create(format!("{base}/webhooks"), json!({"name": "Fuzz hook", "url": receiver, "webhookEvent": "NEW_TAG"}))
            .await;
    create(format!("{base}/tags"), json!({"name": "Delivered"})).await;
    let log = wait_for_log(owner, key, &format!("{base}/webhooks/{webhook}/logs")).await;
    let (_, user) = owner.api("GET", "/api/v1/user", key, None).await;
    vec![
        ("KH_WORKSPACE", ws.to_owned()),
        ("KH_USER", user["id"].as_str().expect("a user id").to_owned()),
        ("KH_CLIENT", client),
        ("KH_TAG", tag),
        ("KH_PROJECT", project),
        ("KH_TASK", task),
        ("KH_ENTRY", entry),
        ("KH_WEBHOOK", webhook),
        ("KH_LOG", log),
    ]
}

async fn wait_for_log(owner: &Client, key: &str, logs: &str) -> String {
    for _ in 0..100 {
        let (_, body) = owner.api("GET", logs, key, None).await;
        if let Some(id) = body[0]["id"].as_str() {
            return id.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the seeded webhook recorded no attempt");
}
