//! The accessibility scan every page of the browser tests passes: axe-core (the npm package,
//! installed by `.ci/run` into `target/axe`, or wherever KEYHOOK_AXE_JS points) is injected
//! into the page as it is, and any serious or critical finding fails the test, with the rule,
//! the element and axe's figures (for contrast: the colours and the ratio).

use std::sync::OnceLock;

use fantoccini::Client;

/// axe-core's source, or `None` (said once) when it is not installed; with
/// KEYHOOK_REQUIRE_TOOLS set, a missing axe fails instead.
fn source() -> Option<&'static str> {
    static SOURCE: OnceLock<Option<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let default = concat!(env!("CARGO_MANIFEST_DIR"), "/target/axe/node_modules/axe-core/axe.min.js");
            let path = std::env::var("KEYHOOK_AXE_JS").unwrap_or_else(|_| default.to_owned());
            match std::fs::read_to_string(&path) {
                Ok(source) => Some(source),
                Err(e) => {
                    let message = format!("the accessibility scan needs axe-core at {path} ({e}): npm install --prefix target/axe axe-core@4");
                    assert!(std::env::var("KEYHOOK_REQUIRE_TOOLS").is_err(), "{message}");
                    eprintln!("\n*** SKIPPED accessibility scan: {message} ***\n");
                    None
                }
            }
        })
        .as_deref()
}

const RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((result) => done(result.violations
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(" "),
        data: n.any.concat(n.all, n.none).map((c) => c.data).filter((d) => d !== null && d !== undefined),
      })),
    }))))
  .catch((e) => done([{ rule: "axe-failed", impact: "critical", help: String(e), nodes: [] }]));
"#;

/// What axe found on a page: the serious and critical findings, one line each (they fail the
/// test), and the rules of the moderate and minor ones (reported, not failed on).
#[derive(Default)]
pub struct Findings {
    pub blocking: Vec<String>,
    pub minor: Vec<String>,
}

/// The findings on the page now (none when axe is not installed and not required).
pub async fn findings(client: &Client) -> Findings {
    let Some(source) = source() else { return Findings::default() };
    let loaded = client.execute("return typeof window.axe !== 'undefined';", vec![]).await.expect("execute");
    if loaded != serde_json::Value::Bool(true) {
        client.execute(source, vec![]).await.expect("inject axe-core");
    }
    let result = client.execute_async(RUN, vec![]).await.expect("axe runs");
    let mut found = Findings::default();
    for violation in result.as_array().into_iter().flatten() {
        if !matches!(violation["impact"].as_str(), Some("serious" | "critical")) {
            found.minor.push(format!("{} ({})", violation["rule"].as_str().unwrap_or("?"), violation["impact"]));
            continue;
        }
        let lines = &mut found.blocking;
        for node in violation["nodes"].as_array().into_iter().flatten() {
            lines.push(format!(
                "{} ({}): {} at `{}` {}",
                violation["rule"].as_str().unwrap_or("?"),
                violation["impact"].as_str().unwrap_or("?"),
                violation["help"].as_str().unwrap_or(""),
                node["target"].as_str().unwrap_or("?"),
                node["data"]
            ));
        }
        if violation["nodes"].as_array().is_none_or(Vec::is_empty) {
            lines.push(format!("{}: {}", violation["rule"], violation["help"]));
        }
    }
    found
}
