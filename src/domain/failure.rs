//! Why an attempt failed, named so that the receiver's owner knows what to fix: each reason
//! has a sentence and a hint. Stored in `attempts.reason` as a short code (`refused
//! 127.0.0.1:9000`, `status 500`...) so that old attempts keep reading the same after the
//! wording changes.

use std::fmt;

/// A failed attempt's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// Nothing accepted the TCP connection at `at` (`host:port`).
    Refused { at: String },
    /// The connection closed (or was reset) before an answer came.
    Closed,
    /// No answer within `after_ms`.
    Timeout { after_ms: u64 },
    /// The host name has no address.
    Unresolved { host: String },
    /// The address is one keyhook does not send to.
    Blocked { address: String },
    /// The certificate expired; `on` is its last valid day (`YYYY-MM-DD`) when known.
    CertificateExpired { on: Option<String> },
    /// The certificate is for other names.
    CertificateName { presented: Vec<String> },
    /// The certificate is not signed by a trusted authority (self-signed, or an unknown CA).
    CertificateUntrusted,
    /// Another TLS failure.
    Tls { detail: String },
    /// A redirect: never followed.
    Redirect { status: u16 },
    /// 410 Gone: the webhook is disabled.
    Gone,
    /// Any other answer outside 2xx.
    Status { status: u16 },
    /// Another transport failure.
    Other { detail: String },
}

impl FailureReason {
    /// The reason an HTTP answer outside 2xx stands for.
    pub fn of_status(status: u16) -> Self {
        match status {
            410 => Self::Gone,
            300..=399 => Self::Redirect { status },
            _ => Self::Status { status },
        }
    }

    /// The stored form: a kind and its argument, separated by one space.
    pub fn code(&self) -> String {
        match self {
            Self::Refused { at } => format!("refused {at}"),
            Self::Closed => "closed".into(),
            Self::Timeout { after_ms } => format!("timeout {after_ms}"),
            Self::Unresolved { host } => format!("unresolved {host}"),
            Self::Blocked { address } => format!("blocked {address}"),
            Self::CertificateExpired { on } => format!("cert-expired {}", on.as_deref().unwrap_or("")),
            Self::CertificateName { presented } => format!("cert-name {}", presented.join(",")),
            Self::CertificateUntrusted => "cert-untrusted".into(),
            Self::Tls { detail } => format!("tls {detail}"),
            Self::Redirect { status } => format!("redirect {status}"),
            Self::Gone => "gone".into(),
            Self::Status { status } => format!("status {status}"),
            Self::Other { detail } => format!("other {detail}"),
        }
    }

    /// Reads a stored code back; `None` for one this version does not know.
    pub fn parse(code: &str) -> Option<Self> {
        let (kind, arg) = code.split_once(' ').unwrap_or((code, ""));
        let text = || arg.to_owned();
        Some(match kind {
            "refused" => Self::Refused { at: text() },
            "closed" => Self::Closed,
            "timeout" => Self::Timeout { after_ms: arg.parse().ok()? },
            "unresolved" => Self::Unresolved { host: text() },
            "blocked" => Self::Blocked { address: text() },
            "cert-expired" => Self::CertificateExpired { on: (!arg.is_empty()).then(text) },
            "cert-name" => Self::CertificateName {
                presented: arg.split(',').filter(|n| !n.is_empty()).map(str::to_owned).collect(),
            },
            "cert-untrusted" => Self::CertificateUntrusted,
            "tls" => Self::Tls { detail: text() },
            "redirect" => Self::Redirect { status: arg.parse().ok()? },
            "gone" => Self::Gone,
            "status" => Self::Status { status: arg.parse().ok()? },
            "other" => Self::Other { detail: text() },
            _ => return None,
        })
    }

    /// The kind alone (`refused`, `status`...): the code's first word.
    pub fn kind(&self) -> String {
        self.code().split(' ').next().unwrap_or_default().to_owned()
    }

    /// `{"code", "message", "hint"}`, as the API and system events carry it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"code": self.kind(), "message": self.to_string(), "hint": self.hint()})
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Refused { .. } => {
                "Check that the receiver is running and listening on that port, and that no firewall stands between it and keyhook."
            }
            Self::Closed => {
                "The receiver (or a proxy in front of it) dropped the connection: look in its logs for a crash or a limit on request size or time."
            }
            Self::Timeout { .. } => {
                "Answer with a 2xx as soon as the delivery is received, and do the work afterwards (a queue, a background job)."
            }
            Self::Unresolved { .. } => "Check the host name in the endpoint URL, and that its DNS record exists.",
            Self::Blocked { .. } => {
                "keyhook does not send to internal networks. Use a public address (a self-hosted server can allow a network with KEYHOOK_ALLOW_PRIVATE_NETWORKS)."
            }
            Self::CertificateExpired { .. } => "Renew the endpoint's certificate (an ACME client such as certbot does it for you).",
            Self::CertificateName { .. } => "Install a certificate that names the endpoint's host, or use the host the certificate was issued for.",
            Self::CertificateUntrusted => {
                "Use a certificate issued by a public authority: self-signed and private CA certificates are not trusted."
            }
            Self::Tls { .. } => "Check the endpoint's TLS setup: keyhook needs TLS 1.2 or 1.3 with a valid certificate chain.",
            Self::Redirect { .. } => "Change the endpoint URL to where it redirects (the Location header in the response below).",
            Self::Gone => "The receiver asked for no more deliveries. Enable the webhook again once its endpoint accepts them.",
            Self::Status { status: 401 | 403 } => {
                "The receiver refused the request: check that it verifies signatures with this webhook's current signing secret."
            }
            Self::Status { status: 400..=499 } => {
                "The receiver refused the delivery: its response below should say why (a signature check, a payload it did not expect)."
            }
            Self::Status { .. } => "The receiver failed while handling the delivery: see its response below and its own logs.",
            Self::Other { .. } => "Check that the endpoint can be reached from this server.",
        }
    }
}

/// The reason as a sentence: "nothing accepted the connection at 203.0.113.5:443 (connection refused)".
impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { at } => write!(f, "nothing accepted the connection at {at} (connection refused)"),
            Self::Closed => f.write_str("the connection closed before an answer came"),
            Self::Timeout { after_ms } => match after_ms % 1000 {
                0 => write!(f, "no answer within {} s", after_ms / 1000),
                _ => write!(f, "no answer within {after_ms} ms"),
            },
            Self::Unresolved { host } => write!(f, "the name {host} did not resolve"),
            Self::Blocked { address } => write!(f, "refused: resolves to {address}, a private address"),
            Self::CertificateExpired { on: Some(on) } => write!(f, "TLS: the certificate expired on {on}"),
            Self::CertificateExpired { on: None } => f.write_str("TLS: the certificate expired"),
            Self::CertificateName { presented } if presented.is_empty() => {
                f.write_str("TLS: the certificate is not for this host")
            }
            Self::CertificateName { presented } => write!(f, "TLS: the certificate is for {}", presented.join(", ")),
            Self::CertificateUntrusted => f.write_str("TLS: the certificate is not signed by a trusted authority"),
            Self::Tls { detail } => write!(f, "TLS: {detail}"),
            Self::Redirect { status } => write!(f, "answered {status}: redirects are not followed"),
            Self::Gone => f.write_str("answered 410: the webhook was disabled"),
            Self::Status { status } => write!(f, "answered {status}"),
            Self::Other { detail } => write!(f, "could not send: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<FailureReason> {
        vec![
            FailureReason::Refused { at: "203.0.113.5:443".into() },
            FailureReason::Closed,
            FailureReason::Timeout { after_ms: 15_000 },
            FailureReason::Unresolved { host: "nowhere.invalid".into() },
            FailureReason::Blocked { address: "10.0.0.4".into() },
            FailureReason::CertificateExpired { on: Some("2026-10-01".into()) },
            FailureReason::CertificateExpired { on: None },
            FailureReason::CertificateName { presented: vec!["other.example".into(), "*.other.example".into()] },
            FailureReason::CertificateUntrusted,
            FailureReason::Tls { detail: "handshake failure".into() },
            FailureReason::Redirect { status: 301 },
            FailureReason::Gone,
            FailureReason::Status { status: 500 },
            FailureReason::Other { detail: "broken pipe".into() },
        ]
    }

    #[test]
    fn codes_read_back_as_the_same_reason() {
        for reason in every_kind() {
            assert_eq!(FailureReason::parse(&reason.code()), Some(reason.clone()), "{}", reason.code());
        }
        assert_eq!(FailureReason::parse("a-future-kind 1"), None);
        assert_eq!(FailureReason::parse("status x"), None);
    }

    #[test]
    fn reasons_read_as_the_receivers_owner_needs_them() {
        let said: Vec<String> = every_kind().iter().map(ToString::to_string).collect();
        assert_eq!(said[0], "nothing accepted the connection at 203.0.113.5:443 (connection refused)");
        assert_eq!(said[2], "no answer within 15 s");
        assert_eq!(FailureReason::Timeout { after_ms: 1500 }.to_string(), "no answer within 1500 ms");
        assert_eq!(said[4], "refused: resolves to 10.0.0.4, a private address");
        assert_eq!(said[5], "TLS: the certificate expired on 2026-10-01");
        assert_eq!(said[7], "TLS: the certificate is for other.example, *.other.example");
        assert_eq!(said[10], "answered 301: redirects are not followed");
        assert_eq!(said[11], "answered 410: the webhook was disabled");
        assert_eq!(said[12], "answered 500");
    }

    #[test]
    fn answers_name_their_kind_and_hints_fit_the_status() {
        assert_eq!(FailureReason::of_status(410), FailureReason::Gone);
        assert_eq!(FailureReason::of_status(308), FailureReason::Redirect { status: 308 });
        assert_eq!(FailureReason::of_status(503), FailureReason::Status { status: 503 });
        assert!(FailureReason::of_status(401).hint().contains("signing secret"));
        assert!(FailureReason::of_status(422).hint().contains("refused the delivery"));
        assert!(FailureReason::of_status(500).hint().contains("failed while handling"));
    }
}
