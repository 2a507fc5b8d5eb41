//! What a webhook is made of: a name, an endpoint, a trigger source.

use std::net::IpAddr;

use reqwest::Url;

use crate::outbound::network_policy::NetworkPolicy;

/// A webhook's name: 2 to 30 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookName(String);

impl WebhookName {
    pub const CHARS: (usize, usize) = (2, 30);

    pub fn parse(input: &str) -> Result<Self, String> {
        // At least the minimum once trimmed, at most the maximum as sent (as `EntityName`).
        let name = input.trim();
        if name.chars().count() < Self::CHARS.0 || input.chars().count() > Self::CHARS.1 {
            return Err("Use 2 to 30 characters.".into());
        }
        if name.chars().any(char::is_control) {
            return Err("Remove the control characters.".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An endpoint URL that passed every check that needs no network: absolute, `https` (or
/// `http` to an allowed private network), at most 2,048 characters, no credentials, and not an
/// IP literal the SSRF guard refuses. Names are resolved and vetted separately (that is I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    pub const MAX_CHARS: usize = 2048;

    pub fn parse(input: &str, policy: &NetworkPolicy) -> Result<Self, String> {
        let input = input.trim();
        if input.chars().count() > Self::MAX_CHARS {
            return Err(format!("Use at most {} characters.", Self::MAX_CHARS));
        }
        let url = Url::parse(input).map_err(|_| "Enter an absolute URL, like https://example.com/hooks.".to_owned())?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("Leave credentials out of the URL: the signing secret authenticates keyhook.".into());
        }
        let host = url.host_str().ok_or("The URL needs a host.")?;
        let ip = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
        let local = ip.is_some_and(|ip| policy.is_allowed_private(ip));
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            "http" => return Err("Use https (plain http only reaches allowed local networks).".into()),
            other => return Err(format!("Use an https URL ({other}: cannot receive webhooks).")),
        }
        if let Some(ip) = ip {
            if !policy.permits(ip) {
                return Err(format!("{ip} is {}; keyhook does not send there.", policy.why_refused(ip)));
            }
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host name to resolve and vet, when the host is not an IP literal.
    pub fn host_name(&self) -> Option<&str> {
        let host = self.0.host_str()?;
        host.trim_matches(['[', ']']).parse::<IpAddr>().is_err().then_some(host)
    }

    /// Whether both reach the same scheme, host and port.
    pub fn same_origin(&self, other: &Self) -> bool {
        self.0.origin() == other.0.origin()
    }

    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }
}

/// Which entities an event must be about for the webhook to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerSourceType {
    Workspace,
    User,
    Project,
    Tag,
    Task,
    Assignment,
    Expense,
}

impl TriggerSourceType {
    pub const ALL: [TriggerSourceType; 7] =
        [Self::Workspace, Self::User, Self::Project, Self::Tag, Self::Task, Self::Assignment, Self::Expense];

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == input.trim())
            .ok_or_else(|| "triggerSourceType must be one of WORKSPACE_ID, PROJECT_ID, USER_ID, TAG_ID, TASK_ID, ASSIGNMENT_ID, EXPENSE_ID.".to_owned())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workspace => "WORKSPACE_ID",
            Self::User => "USER_ID",
            Self::Project => "PROJECT_ID",
            Self::Tag => "TAG_ID",
            Self::Task => "TASK_ID",
            Self::Assignment => "ASSIGNMENT_ID",
            Self::Expense => "EXPENSE_ID",
        }
    }

    /// The payload field that carries the id this source filters on.
    pub fn payload_fields(self) -> &'static [&'static str] {
        match self {
            Self::Workspace => &[],
            Self::User => &["userId", "id"],
            Self::Project => &["projectId", "id"],
            Self::Tag => &["tagIds", "id"],
            Self::Task => &["taskId", "id"],
            Self::Assignment => &["assignmentId", "id"],
            Self::Expense => &["expenseId", "id"],
        }
    }
}

/// An attempt's status as people read it: the HTTP code, or the class of error when there
/// was no answer (`timeout`, `connect`, `dns`...).
pub fn attempt_status(status_code: Option<i32>, error_class: Option<&str>) -> String {
    match (status_code, error_class) {
        (Some(code), _) => code.to_string(),
        (None, Some(class)) => class.to_owned(),
        (None, None) => "—".into(),
    }
}

/// Why a webhook is not delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledReason {
    /// The workspace's plan lacks the event's feature, or it is past the plan's limit.
    Plan,
    /// Every delivery failed for the configured period (5 days by default).
    Failing,
    /// The endpoint answered 410 Gone.
    Gone,
    /// Someone turned it off.
    User,
}

impl DisabledReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "PLAN",
            Self::Failing => "FAILING",
            Self::Gone => "GONE",
            Self::User => "USER",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_two_to_thirty_characters() {
        assert!(WebhookName::parse("a").is_err());
        assert!(WebhookName::parse("ab").is_ok());
        assert!(WebhookName::parse(&"n".repeat(30)).is_ok());
        assert!(WebhookName::parse(&"n".repeat(31)).is_err());
        assert!(WebhookName::parse("  a ").is_err());
    }

    #[test]
    fn endpoints_must_be_absolute_https_public_and_without_credentials() {
        let strict = NetworkPolicy::default();
        assert!(EndpointUrl::parse("https://hooks.example.com/in", &strict).is_ok());
        for bad in [
            "/relative/path",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "https://user:pass@example.com/",
            "http://example.com/plain-http",
            "https://10.0.0.1/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "http://2130706433/",
            "https://169.254.169.254/latest/meta-data",
        ] {
            assert!(EndpointUrl::parse(bad, &strict).is_err(), "{bad} was accepted");
        }
        let long = format!("https://example.com/{}", "a".repeat(2040));
        assert!(EndpointUrl::parse(&long, &strict).is_err());
        let local = NetworkPolicy::parse("127.0.0.0/8").expect("valid");
        assert!(EndpointUrl::parse("http://127.0.0.1:9000/hook", &local).is_ok(), "local development");
        assert!(EndpointUrl::parse("http://10.0.0.1/", &local).is_err());
        let named = EndpointUrl::parse("https://hooks.example.com:8443/in", &strict).expect("valid");
        assert_eq!((named.host_name(), named.port()), (Some("hooks.example.com"), 8443));
    }
}
