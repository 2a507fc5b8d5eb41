//! A real SMTP server for the mail tests: Debian's aiosmtpd on 127.0.0.1, writing each mail it
//! receives into a maildir that the test reads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

/// A received mail: its envelope recipients, subject and body.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        Self::start_on(port).await
    }

    /// Starts a server on `port` (one that was down, to see what waited for it).
    pub async fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("a maildir");
        let mut server = Self { port, dir, child: None };
        server.up().await;
        server
    }

    /// A port nothing listens on yet, for a server started later with [`SmtpServer::start_on`].
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
    }

    async fn up(&mut self) {
        let child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .arg(self.maildir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts (Debian's python3-aiosmtpd, installed by .ci/run)");
        self.child = Some(child);
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "aiosmtpd did not start listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail received so far.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.maildir().join("new")) else { return Vec::new() };
        let mut mails: Vec<(std::time::SystemTime, Received)> = entries
            .flatten()
            .filter_map(|entry| {
                let modified = entry.metadata().ok()?.modified().ok()?;
                let text = std::fs::read_to_string(entry.path()).ok()?;
                Some((modified, parse(&text)))
            })
            .collect();
        mails.sort_by_key(|(at, _)| *at);
        mails.into_iter().map(|(_, m)| m).collect()
    }

    /// Waits (at most `within`) for `n` mails; answers what came.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let mails = self.received();
            if mails.len() >= n || started.elapsed() > within {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Headers (unfolded) and the body of a mail as the maildir holds it.
fn parse(text: &str) -> Received {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| {
        unfolded
            .lines()
            .find_map(|l| {
                l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let subject = decode_words(&header("Subject"));
    let body = if header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable") {
        quoted_printable(body)
    } else if header("Content-Transfer-Encoding").eq_ignore_ascii_case("base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(joined).unwrap_or_default())
            .into_owned()
    } else {
        body.to_owned()
    };
    Received { to: header("X-RcptTo"), subject, body }
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`): decoded, with the space
/// between two encoded words dropped (as the RFC says) and every other kept.
fn decode_words(text: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut previous_encoded = false;
    for (i, word) in text.split_whitespace().enumerate() {
        let inner = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?="));
        let decoded = inner.map(|inner| {
            let mut parts = inner.splitn(3, '?');
            let (_, encoding, data) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            match encoding.to_ascii_lowercase().as_str() {
                "b" => {
                    String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default())
                        .into_owned()
                }
                _ => quoted_printable(&data.replace('_', " ")),
            }
        });
        if i > 0 && !(previous_encoded && decoded.is_some()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
    }
    out
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
