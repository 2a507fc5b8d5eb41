//! `/metrics` read as Prometheus reads it: scraped with the token and parsed by the official
//! OpenMetrics parser (`prometheus_client` from PyPI, through `tests/tools/parse_metrics.py`),
//! never by matching lines. CI installs the parser; elsewhere a missing one is said and the
//! checks skipped, unless KEYHOOK_REQUIRE_TOOLS asks for it.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

pub struct Metrics(Vec<Value>);

impl Metrics {
    pub async fn scrape(address: &str, token: &str) -> Option<Self> {
        let response = reqwest::Client::new()
            .get(format!("{address}/metrics"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
        let body = response.text().await.expect("body");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/parse_metrics.py");
        let child = Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => return skipped(&format!("python3 cannot run: {e}")),
        };
        child.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("write the exposition");
        let output = child.wait_with_output().expect("the parser ends");
        let errors = String::from_utf8_lossy(&output.stderr);
        if errors.contains("No module named 'prometheus_client'") {
            return skipped("the parser needs `pip install prometheus_client`");
        }
        assert!(output.status.success(), "the official parser refused /metrics: {errors}\n{body}");
        let samples = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON sample"))
            .collect();
        Some(Self(samples))
    }

    /// The value of the sample `name` whose labels include `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .iter()
            .filter(|s| s["name"] == name)
            .find(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .and_then(|s| s["value"].as_f64())
    }

    /// The sum of every sample named `name`, whatever its labels.
    pub fn sum(&self, name: &str) -> f64 {
        self.0.iter().filter(|s| s["name"] == name).filter_map(|s| s["value"].as_f64()).sum()
    }

    /// Every sample's name and labels, for a failure's message.
    pub fn labels(&self) -> Vec<String> {
        self.0.iter().map(|s| format!("{}{}", s["name"].as_str().unwrap_or("?"), s["labels"])).collect()
    }
}

fn skipped(why: &str) -> Option<Metrics> {
    assert!(std::env::var("KEYHOOK_REQUIRE_TOOLS").is_err(), "/metrics cannot be parsed: {why}");
    eprintln!("SKIPPED the /metrics checks: {why}");
    None
}
