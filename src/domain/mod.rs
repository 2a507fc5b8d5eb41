//! Parse-don't-validate types: input becomes one of these at the edge (forms, JSON, CLI), and
//! nothing past the edge checks it again. Each parse error is a message fit to show next to
//! the field that caused it.

mod addon;
mod api_key;
pub mod circuit;
mod curl;
mod delivery;
mod email;
mod entity;
mod event_type;
mod failure;
mod health;
mod ids;
mod key_lifetimes;
mod name;
pub mod pace;
mod password;
mod plan;
mod preferences;
mod role;
mod samples;
mod signing;
mod system_event;
mod webhook;

pub use addon::{
    AddonToken, Manifest, ManifestError, ManifestWebhook, DEFAULT_INSTALLED_PATH, MAX_MANIFEST_BYTES,
    MAX_MANIFEST_WEBHOOKS,
};
pub use api_key::{ApiKeySecret, MalformedKey, KEY_LEN};
pub use curl::curl_command;
pub use delivery::{DeliveryState, DeliveryStatus, PayloadSearch, StatusMatch, Trigger};
pub use email::Email;
pub use entity::{long_text, Color, EntityName, IsoDuration, TaskStatus, PROJECT_NOTE_CHARS, TEXT_CHARS};
pub use event_type::EventType;
pub use failure::FailureReason;
pub use health::{Health, HealthRules, Vitals, FAILURES_IN_A_ROW};
pub use ids::{is_public_id, new_message_id, new_public_id, random_token};
pub use key_lifetimes::{GracePeriod, KeyExpiry};
pub use name::Name;
pub use password::Password;
pub use plan::Plan;
pub use preferences::{DateFormat, DisplayPrefs, TimeFormat, TimeZoneName};
pub use role::Role;
pub use samples::sample_payload;
pub use signing::{new_auth_token, signature_header, SigningSecret};
pub use system_event::SystemEvent;
pub use webhook::{attempt_status, DisabledReason, EndpointUrl, TriggerSourceType, WebhookName};
