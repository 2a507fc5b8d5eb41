//! Events about keyhook itself, sent to a workspace's system endpoint: a webhook's health
//! changing, and a delivery that exhausted its retries. Their payloads follow the Standard
//! Webhooks shape: `{"type", "timestamp", "data"}`.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemEvent {
    WebhookDegraded,
    WebhookFailing,
    WebhookDisabled,
    WebhookRecovered,
    DeliveryFailed,
}

impl SystemEvent {
    pub const ALL: [SystemEvent; 5] = [
        Self::WebhookDegraded,
        Self::WebhookFailing,
        Self::WebhookDisabled,
        Self::WebhookRecovered,
        Self::DeliveryFailed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WebhookDegraded => "webhook.degraded",
            Self::WebhookFailing => "webhook.failing",
            Self::WebhookDisabled => "webhook.disabled",
            Self::WebhookRecovered => "webhook.recovered",
            Self::DeliveryFailed => "delivery.failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }

    pub const fn description(self) -> &'static str {
        match self {
            Self::WebhookDegraded => "A webhook of the workspace is Degraded: five failures in a row, or many of the last hour's deliveries failed.",
            Self::WebhookFailing => "A webhook of the workspace is Failing: no delivery has succeeded for a day; auto-disable follows.",
            Self::WebhookDisabled => "A webhook of the workspace was disabled (by its failures, a 410, its plan or a user).",
            Self::WebhookRecovered => "A webhook of the workspace is Healthy again.",
            Self::DeliveryFailed => "A delivery exhausted its retries: it failed for good.",
        }
    }

    /// The event a webhook's health change is, if any.
    pub fn of_health(to: super::Health) -> Self {
        match to {
            super::Health::Healthy => Self::WebhookRecovered,
            super::Health::Degraded => Self::WebhookDegraded,
            super::Health::Failing => Self::WebhookFailing,
            super::Health::Disabled => Self::WebhookDisabled,
        }
    }

    /// The payload: the type, when (UTC ISO-8601), and the data.
    pub fn payload(self, timestamp: &str, data: Value) -> Value {
        json!({"type": self.as_str(), "timestamp": timestamp, "data": data})
    }

    /// An example payload (test sends and the OpenAPI document).
    pub fn sample(self, workspace: &str) -> Value {
        let error = json!({"code": "status", "message": "answered 500", "hint": "The receiver failed while handling the delivery: see its response below and its own logs."});
        let data = match self {
            Self::DeliveryFailed => json!({
                "workspaceId": workspace, "webhookId": "64c8e6b2f1a2b3c4d5e6f7a8", "webhookName": "Invoices",
                "messageId": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "event": "NEW_TIME_ENTRY", "attempts": 8, "lastError": error,
            }),
            health => json!({
                "workspaceId": workspace, "webhookId": "64c8e6b2f1a2b3c4d5e6f7a8", "webhookName": "Invoices",
                "url": "https://hooks.example.com/in", "health": match health {
                    Self::WebhookRecovered => "HEALTHY", Self::WebhookFailing => "FAILING",
                    Self::WebhookDisabled => "DISABLED", _ => "DEGRADED",
                },
                "previousHealth": "HEALTHY", "since": "2026-12-01T10:00:00Z",
                "disabledReason": if health == Self::WebhookDisabled { json!("FAILING") } else { Value::Null },
                "lastError": if health == Self::WebhookRecovered { Value::Null } else { error },
            }),
        };
        self.payload("2026-12-01T10:00:00Z", data)
    }

    /// The payload's JSON Schema.
    pub fn schema(self) -> Value {
        let text = json!({"type": "string"});
        let error = json!({"type": ["object", "null"], "properties": {"code": text, "message": text, "hint": text}});
        let data = match self {
            Self::DeliveryFailed => json!({"type": "object", "properties": {
                "workspaceId": text, "webhookId": text, "webhookName": text, "messageId": text, "event": text,
                "attempts": {"type": "integer"}, "lastError": error}}),
            _ => json!({"type": "object", "properties": {
                "workspaceId": text, "webhookId": text, "webhookName": text, "url": text,
                "health": {"enum": ["HEALTHY", "DEGRADED", "FAILING", "DISABLED"]},
                "previousHealth": {"enum": ["HEALTHY", "DEGRADED", "FAILING", "DISABLED"]},
                "since": {"type": "string", "format": "date-time"},
                "disabledReason": {"type": ["string", "null"]}, "lastError": error}}),
        };
        json!({"type": "object", "required": ["type", "timestamp", "data"], "properties": {
            "type": {"const": self.as_str()}, "timestamp": {"type": "string", "format": "date-time"}, "data": data}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_samples_carry_their_type() {
        for event in SystemEvent::ALL {
            assert_eq!(SystemEvent::parse(event.as_str()), Some(event));
            assert_eq!(event.sample("ws")["type"], event.as_str());
        }
        assert_eq!(SystemEvent::of_health(crate::domain::Health::Healthy), SystemEvent::WebhookRecovered);
    }
}
