//! Add-ons: the manifest an Owner or Admin installs from, and the installation token an
//! add-on calls the API with.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{random_token, EndpointUrl, EventType};
use crate::outbound::network_policy::NetworkPolicy;

/// The most webhooks one manifest may declare.
pub const MAX_MANIFEST_WEBHOOKS: usize = 50;
/// The largest manifest read (it is stored as sent).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
/// Where the `INSTALLED` lifecycle request goes when the manifest names no path for it.
pub const DEFAULT_INSTALLED_PATH: &str = "/lifecycle/installed";

/// A manifest that passed every check that needs no network (its host is resolved and vetted
/// separately, as a webhook endpoint's is).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub key: String,
    pub name: String,
    pub base_url: EndpointUrl,
    pub webhooks: Vec<ManifestWebhook>,
    /// Where the add-on is told it was installed, and (if it asks) uninstalled.
    pub installed_url: EndpointUrl,
    pub deleted_url: Option<EndpointUrl>,
}

#[derive(Debug, Clone)]
pub struct ManifestWebhook {
    pub event: EventType,
    pub path: String,
    /// The base URL and the path together: where the webhook delivers.
    pub url: EndpointUrl,
}

/// What is wrong with a manifest, and where: `field` is a JSON path like `webhooks[1].event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn wrong(field: impl Into<String>, message: impl Into<String>) -> ManifestError {
    ManifestError { field: field.into(), message: message.into() }
}

/// The manifest as sent; every field optional so that a missing one is named, not a parse error.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    key: Option<String>,
    name: Option<String>,
    base_url: Option<String>,
    webhooks: Option<Vec<RawWebhook>>,
    lifecycle: Option<Vec<RawLifecycle>>,
}

#[derive(Deserialize)]
struct RawWebhook {
    event: Option<String>,
    path: Option<String>,
}

#[derive(Deserialize)]
struct RawLifecycle {
    #[serde(rename = "type")]
    kind: Option<String>,
    path: Option<String>,
}

impl Manifest {
    /// Reads and checks a manifest: `key` (1–100 of `A-Z a-z 0-9 . _ -`), `name` (2–100
    /// characters), an absolute `baseUrl` where webhooks may go, and `webhooks` (at most 50,
    /// each a catalog event once, with a path below the base URL). Optional `lifecycle`
    /// entries (`INSTALLED`, `DELETED`) name where those requests go.
    pub fn parse(text: &str, network: &NetworkPolicy) -> Result<Self, ManifestError> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(wrong("manifest", format!("use at most {} KiB", MAX_MANIFEST_BYTES / 1024)));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| wrong("manifest", format!("not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(wrong("manifest", "use a JSON object: {\"key\", \"name\", \"baseUrl\", \"webhooks\"}"));
        }
        let raw: RawManifest = serde_path_to_error::deserialize(value)
            .map_err(|e| wrong(e.path().to_string(), e.into_inner().to_string()))?;
        let key = raw.key.as_deref().map(str::trim).unwrap_or_default();
        if !(1..=100).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b)) {
            return Err(wrong("key", "use 1 to 100 letters, digits, dots, dashes or underscores"));
        }
        let sent = raw.name.as_deref().unwrap_or_default();
        let name = sent.trim();
        if name.chars().count() < 2 || sent.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(wrong("name", "use 2 to 100 characters"));
        }
        let base_text = raw.base_url.as_deref().map(str::trim).unwrap_or_default();
        let base_url = base(base_text, network)?;
        let hooks = raw.webhooks.unwrap_or_default();
        if hooks.len() > MAX_MANIFEST_WEBHOOKS {
            return Err(wrong("webhooks", format!("declare at most {MAX_MANIFEST_WEBHOOKS} webhooks")));
        }
        let mut webhooks: Vec<ManifestWebhook> = Vec::with_capacity(hooks.len());
        for (i, hook) in hooks.into_iter().enumerate() {
            let event = EventType::parse(hook.event.as_deref().unwrap_or_default())
                .map_err(|m| wrong(format!("webhooks[{i}].event"), m))?;
            if webhooks.iter().any(|w| w.event == event) {
                return Err(wrong(
                    format!("webhooks[{i}].event"),
                    format!("{} is declared twice; declare each event once", event.as_str()),
                ));
            }
            let path = hook.path.unwrap_or_default();
            let url = below(&base_url, &path, network).map_err(|m| wrong(format!("webhooks[{i}].path"), m))?;
            webhooks.push(ManifestWebhook { event, path: path.trim().to_owned(), url });
        }
        let (mut installed_url, mut deleted_url) = (None, None);
        for (i, entry) in raw.lifecycle.unwrap_or_default().into_iter().enumerate() {
            let path = entry.path.unwrap_or_default();
            let url = below(&base_url, &path, network).map_err(|m| wrong(format!("lifecycle[{i}].path"), m))?;
            match entry.kind.as_deref().map(str::trim) {
                Some("INSTALLED") => installed_url = Some(url),
                Some("DELETED") => deleted_url = Some(url),
                // Clockify's other lifecycle requests; keyhook has nothing to send for them.
                Some("SETTINGS_UPDATED" | "STATUS_CHANGED") => {}
                _ => return Err(wrong(format!("lifecycle[{i}].type"), "use INSTALLED or DELETED")),
            }
        }
        let installed_url = match installed_url {
            Some(url) => url,
            None => below(&base_url, DEFAULT_INSTALLED_PATH, network).map_err(|m| wrong("baseUrl", m))?,
        };
        Ok(Self { key: key.to_owned(), name: name.to_owned(), base_url, webhooks, installed_url, deleted_url })
    }
}

fn base(text: &str, network: &NetworkPolicy) -> Result<EndpointUrl, ManifestError> {
    if text.is_empty() {
        return Err(wrong("baseUrl", "enter the add-on's absolute base URL, like https://addon.example.com"));
    }
    let Ok(parsed) = reqwest::Url::parse(text) else {
        return Err(wrong(
            "baseUrl",
            format!("{text:?} is not an absolute URL; use one like https://addon.example.com (with its host)"),
        ));
    };
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(wrong("baseUrl", "leave the query and fragment out of the base URL"));
    }
    let url = EndpointUrl::parse(text, network).map_err(|m| wrong("baseUrl", m))?;
    Ok(url)
}

/// `path` appended to the base URL; it must stay on the base URL's host.
fn below(base: &EndpointUrl, path: &str, network: &NetworkPolicy) -> Result<EndpointUrl, String> {
    let path = path.trim();
    if !path.starts_with('/') || path.starts_with("//") {
        return Err("use a path that starts with / (it is appended to baseUrl)".into());
    }
    if path.len() > 1000 || path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("use at most 1,000 characters, without spaces".into());
    }
    let joined = format!("{}{path}", base.as_str().trim_end_matches('/'));
    let url = EndpointUrl::parse(&joined, network)?;
    if !url.same_origin(base) {
        return Err("the path must stay on the base URL's host".into());
    }
    Ok(url)
}

/// An add-on's installation token: `kha_` and 43 base64url characters. Shown once to the
/// installer and sent to the add-on; only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AddonToken(String);

const TOKEN_PREFIX: &str = "kha_";
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;

impl AddonToken {
    pub fn generate() -> Self {
        Self(format!("{TOKEN_PREFIX}{}", random_token()))
    }

    /// A presented token of the right shape (checked before any lookup).
    pub fn parse(input: &str) -> Option<Self> {
        let body = input.strip_prefix(TOKEN_PREFIX)?;
        (input.len() == TOKEN_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(input.to_owned()))
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AddonToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AddonToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> NetworkPolicy {
        NetworkPolicy::parse("127.0.0.0/8").expect("policy")
    }

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, &local())
    }

    #[test]
    fn a_manifest_joins_paths_to_its_base_url() {
        let m = parse(
            r#"{"key":"time-bot","name":"Time bot","baseUrl":"http://127.0.0.1:9/bot/",
                "webhooks":[{"event":"NEW_PROJECT","path":"/hooks/project"},{"event":"NEW_TAG","path":"/hooks/tag"}],
                "lifecycle":[{"type":"DELETED","path":"/gone"}]}"#,
        )
        .expect("valid");
        assert_eq!(m.webhooks[0].url.as_str(), "http://127.0.0.1:9/bot/hooks/project");
        assert_eq!(m.installed_url.as_str(), "http://127.0.0.1:9/bot/lifecycle/installed");
        assert_eq!(m.deleted_url.map(|u| u.as_str().to_owned()).as_deref(), Some("http://127.0.0.1:9/bot/gone"));
    }

    #[test]
    fn bad_manifests_name_the_field() {
        let field = |text: &str| parse(text).expect_err("refused").field;
        assert_eq!(field("[1]"), "manifest");
        assert_eq!(field(r#"{"key":"a b","name":"Bot","baseUrl":"http://127.0.0.1:9"}"#), "key");
        assert_eq!(field(r#"{"key":"bot","name":"B","baseUrl":"http://127.0.0.1:9"}"#), "name");
        assert_eq!(field(r#"{"key":"bot","name":"Bot","baseUrl":"/bot"}"#), "baseUrl");
        assert_eq!(field(r#"{"key":"bot","name":"Bot","baseUrl":"http://10.0.0.1"}"#), "baseUrl");
        assert_eq!(field(r#"{"key":"bot","name":"Bot","baseUrl":"http://127.0.0.1:9","webhooks":"x"}"#), "webhooks");
        let hooks = |hooks: &str| {
            field(&format!(r#"{{"key":"bot","name":"Bot","baseUrl":"http://127.0.0.1:9","webhooks":{hooks}}}"#))
        };
        assert_eq!(hooks(r#"[{"event":"NOPE","path":"/a"}]"#), "webhooks[0].event");
        assert_eq!(hooks(r#"[{"event":"NEW_TAG","path":"/a"},{"event":"NEW_TAG","path":"/b"}]"#), "webhooks[1].event");
        assert_eq!(hooks(r#"[{"event":"NEW_TAG","path":"a"}]"#), "webhooks[0].path");
        assert_eq!(hooks(r#"[{"event":"NEW_TAG","path":"//evil.example/a"}]"#), "webhooks[0].path");
    }

    #[test]
    fn tokens_round_trip_and_hide() {
        let token = AddonToken::generate();
        assert_eq!(AddonToken::parse(token.expose()).map(|t| t.hash()), Some(token.hash()));
        assert!(AddonToken::parse("kha_short").is_none());
        assert!(AddonToken::parse(&token.expose().replace("kha_", "kh_x")).is_none());
        assert!(!format!("{token:?}").contains(&token.expose()[4..]));
    }
}
