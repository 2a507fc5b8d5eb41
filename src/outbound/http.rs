//! One HTTP attempt: build the signed request, send it through the SSRF-guarded client
//! without following redirects, and classify what happened.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};
use reqwest::Url;

use super::network_policy::{GuardedResolver, NetworkPolicy, Refused, Unresolved};
use super::trust::ExtraRoots;
use crate::domain::{signature_header, FailureReason, SigningSecret};

/// Response bodies are kept up to this size.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// The client every attempt uses: no redirects, no proxy, guarded DNS, a time limit, the
/// system's certificate authorities and any extra ones.
pub fn client(
    policy: Arc<NetworkPolicy>,
    timeout: Duration,
    extra_roots: Option<&ExtraRoots>,
) -> anyhow::Result<reqwest::Client> {
    crate::tls::install_crypto_provider();
    Ok(reqwest::Client::builder()
        .tls_certs_merge(extra_roots.into_iter().flat_map(ExtraRoots::certificates))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        // Below the 5 s keep-alive of Node's and actix's servers: a connection idle for 5 s was
        // reused just as its server closed it, and the request failed ("connection closed
        // before message completed"). Retries 5 s after a failure met that race: 2 of 1,000 in
        // `retry_spread`.
        .pool_idle_timeout(Duration::from_secs(4))
        .dns_resolver(GuardedResolver { policy })
        .build()?)
}

/// What to send.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub message_id: &'a str,
    pub event_type: &'a str,
    pub body: &'a str,
    pub secrets: &'a [SigningSecret],
    /// Clockify's static `Clockify-Signature` token (webhook deliveries have one; lifecycle requests do not).
    pub auth_token: Option<&'a str>,
    pub timestamp: i64,
    /// The client's time limit (the reason of a timeout names it).
    pub timeout: Duration,
}

/// What happened.
#[derive(Debug)]
pub struct Outcome {
    pub duration: Duration,
    pub status: Option<u16>,
    /// `None` on a 2xx; else `http`, `dns`, `connect`, `timeout`, `tls` or `ssrf`.
    pub error_class: Option<&'static str>,
    pub error_detail: Option<String>,
    /// The failure, named (`None` on a 2xx).
    pub reason: Option<FailureReason>,
    /// The request's headers as sent, with the static token redacted.
    pub request_headers: BTreeMap<String, String>,
    pub response_headers: Option<BTreeMap<String, String>>,
    pub response_body: Option<String>,
    pub response_body_base64: bool,
    pub retry_after: Option<Duration>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error_class.is_none()
    }
}

fn headers(out: &Outgoing) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put("webhook-id", out.message_id);
    put("webhook-timestamp", &out.timestamp.to_string());
    put("webhook-signature", &signature_header(out.secrets, out.message_id, out.timestamp, out.body));
    put("clockify-webhook-event-type", out.event_type);
    if let Some(token) = out.auth_token {
        put("clockify-signature", token);
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(concat!("keyhook/", env!("CARGO_PKG_VERSION"))));
    headers
}

fn recorded(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if name.as_str() == "clockify-signature" {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// Sends one attempt. Never panics; every failure becomes a classified outcome.
pub async fn send(client: &reqwest::Client, policy: &NetworkPolicy, out: &Outgoing<'_>) -> Outcome {
    let headers = headers(out);
    let mut outcome = Outcome {
        duration: Duration::ZERO,
        status: None,
        error_class: None,
        error_detail: None,
        reason: None,
        request_headers: recorded(&headers),
        response_headers: None,
        response_body: None,
        response_body_base64: false,
        retry_after: None,
    };
    // IP literals never reach the resolver, so they are vetted here.
    let literal = Url::parse(out.url)
        .ok()
        .and_then(|u| u.host_str().and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok()));
    if let Some(ip) = literal.filter(|ip| !policy.permits(*ip)) {
        outcome.error_class = Some("ssrf");
        outcome.error_detail = Some(Refused(ip.to_string()).to_string());
        outcome.reason = Some(FailureReason::Blocked { address: ip.to_string() });
        return outcome;
    }
    let started = Instant::now();
    let sent = client.post(out.url).headers(headers).body(out.body.to_owned()).send().await;
    match sent {
        Ok(mut response) => {
            let status = response.status();
            outcome.status = Some(status.as_u16());
            outcome.response_headers = Some(
                response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect(),
            );
            outcome.retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let mut body = Vec::new();
            while body.len() < MAX_RESPONSE_BODY {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => {
                        outcome.error_detail = Some(format!("response body cut short: {e}"));
                        break;
                    }
                }
            }
            body.truncate(MAX_RESPONSE_BODY);
            match String::from_utf8(body) {
                Ok(text) => outcome.response_body = Some(text),
                Err(raw) => {
                    outcome.response_body = Some(BASE64.encode(raw.as_bytes()));
                    outcome.response_body_base64 = true;
                }
            }
            if !status.is_success() {
                outcome.error_class = Some("http");
                outcome.reason = Some(FailureReason::of_status(status.as_u16()));
            }
        }
        Err(error) => {
            let (class, detail, reason) = classify(&error, out);
            outcome.error_class = Some(class);
            outcome.error_detail = Some(detail);
            outcome.reason = Some(reason);
        }
    }
    outcome.duration = started.elapsed();
    outcome
}

/// Names a transport failure by what is in its cause chain: its class (the metrics' label),
/// the innermost cause's text, and the reason the logs show.
fn classify(error: &reqwest::Error, out: &Outgoing) -> (&'static str, String, FailureReason) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut timed_out = error.is_timeout();
    let (mut tls, mut io_kind) = (None, None);
    let mut detail = error.to_string();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return ("ssrf", cause.to_string(), FailureReason::Blocked { address: refused.0.clone() });
        }
        if let Some(unresolved) = cause.downcast_ref::<Unresolved>() {
            return ("dns", cause.to_string(), FailureReason::Unresolved { host: unresolved.0.clone() });
        }
        if let Some(e) = cause.downcast_ref::<rustls::Error>() {
            tls = Some(tls_reason(e));
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            // An io::Error's `source()` skips the error it wraps, and rustls' certificate
            // verdict arrives wrapped in two of them: unwrapped here.
            let mut inner = io.get_ref();
            while let Some(wrapped) = inner {
                if let Some(e) = wrapped.downcast_ref::<rustls::Error>() {
                    tls = Some(tls_reason(e));
                }
                inner = wrapped.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref);
            }
            io_kind = Some(io.kind());
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        detail = cause.to_string();
        source = cause.source();
    }
    let timeout_ms = u64::try_from(out.timeout.as_millis()).unwrap_or(u64::MAX);
    if timed_out {
        return ("timeout", detail, FailureReason::Timeout { after_ms: timeout_ms });
    }
    if let Some(reason) = tls {
        return ("tls", detail, reason);
    }
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionRefused, ConnectionReset, UnexpectedEof};
    let reason = match io_kind {
        Some(ConnectionRefused) => FailureReason::Refused { at: host_port(out.url) },
        Some(ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof) => FailureReason::Closed,
        // hyper says "connection closed before message completed" without an io error.
        _ if error.is_request() && !error.is_connect() => FailureReason::Closed,
        _ => FailureReason::Other { detail: detail.clone() },
    };
    ("connect", detail, reason)
}

/// The certificate problems people can fix, named; any other TLS error as rustls says it.
fn tls_reason(error: &rustls::Error) -> FailureReason {
    use rustls::CertificateError as Cert;
    let rustls::Error::InvalidCertificate(cert) = error else {
        return FailureReason::Tls { detail: error.to_string() };
    };
    match cert {
        Cert::Expired => FailureReason::CertificateExpired { on: None },
        Cert::ExpiredContext { not_after, .. } => FailureReason::CertificateExpired {
            on: i64::try_from(not_after.as_secs())
                .ok()
                .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
                .map(|t| t.strftime("%Y-%m-%d").to_string()),
        },
        Cert::NotValidForName => FailureReason::CertificateName { presented: Vec::new() },
        Cert::NotValidForNameContext { presented, .. } => {
            FailureReason::CertificateName { presented: presented.iter().map(|name| bare_name(name)).collect() }
        }
        Cert::UnknownIssuer | Cert::BadSignature => FailureReason::CertificateUntrusted,
        other => FailureReason::Tls { detail: other.to_string() },
    }
}

/// A name the certificate presents as a person reads it: rustls writes `DnsName("a.example")`.
fn bare_name(presented: &str) -> String {
    match presented.split_once("(\"") {
        Some((_, rest)) if rest.ends_with("\")") => rest.trim_end_matches("\")").to_owned(),
        _ => presented.to_owned(),
    }
}

/// `host:port` of a URL, the port filled in from the scheme.
fn host_port(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(443)),
        Err(_) => url.to_owned(),
    }
}
