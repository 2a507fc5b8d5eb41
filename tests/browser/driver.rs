//! Starting ChromeDriver and a headless Chromium session for one test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The real binary: /usr/bin/chromium is a wrapper script that ChromeDriver cannot drive.
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

pub struct Browser {
    pub client: Client,
    label: &'static str,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser with a window of the given size, or `None` (said loudly) when the machine has
    /// no Chromium; with KEYHOOK_REQUIRE_BROWSER=1 a missing browser fails the test instead.
    pub async fn start(label: &'static str, width: u32, height: u32) -> Option<Self> {
        let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM].into_iter().filter(|p| !Path::new(p).exists()).collect();
        if !missing.is_empty() {
            let message = format!("browser tests need {missing:?} (apt-get install chromium chromium-driver)");
            assert!(std::env::var("KEYHOOK_REQUIRE_BROWSER").as_deref() != Ok("1"), "{message}");
            eprintln!("\n*** SKIPPED browser test: {message} ***\n");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&url).await;
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object literal") };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a WebDriver session");
        client.set_window_size(width, height).await.expect("window size");
        Some(Self { client, label, _driver: driver, _profile: profile })
    }

    /// A screenshot of the page once it has loaded: a navigation still finishing (a redirect
    /// after the one `goto` waited for) aborts a screenshot, so it is taken again, twice at most.
    async fn settled_screenshot(&self) -> Vec<u8> {
        let mut tries = 0;
        loop {
            for _ in 0..50 {
                let state = self.client.execute("return document.readyState;", vec![]).await;
                if state.is_ok_and(|s| s == "complete") {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            match self.client.screenshot().await {
                Ok(png) => return png,
                Err(e) if tries < 2 => {
                    eprintln!("screenshot taken again: {e}");
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("screenshot: {e:?}"),
            }
        }
    }

    /// Saves the page as `target/screenshots/<label>-<name>.png`, and scans it with axe-core:
    /// every page a test shows must be free of serious and critical findings, and show where
    /// keyboard focus is on every control.
    pub async fn screenshot(&self, name: &str) {
        let png = self.settled_screenshot().await;
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("screenshots directory");
        std::fs::write(dir.join(format!("{}-{name}.png", self.label)), png).expect("write screenshot");
        let findings = super::axe::findings(&self.client).await;
        eprintln!(
            "axe {}-{name}: {} serious or critical, {} moderate or minor {:?}",
            self.label,
            findings.blocking.len(),
            findings.minor.len(),
            findings.minor
        );
        assert!(
            findings.blocking.is_empty(),
            "{}-{name}: accessibility findings:\n{}",
            self.label,
            findings.blocking.join("\n")
        );
        let unfocused = super::focus::invisible(&self.client).await;
        assert!(unfocused.is_empty(), "{}-{name}: focus not visible:\n{}", self.label, unfocused.join("\n"));
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots")
}

async fn wait_until_ready(url: &str) {
    keyhook::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(response) = http.get(format!("{url}/status")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {url} within 10 s");
}
