//! The JSON shapes of the REST API, Clockify's (camelCase, 24-hex ids). Webhook event payloads
//! use the same shapes, so an entity looks the same whether fetched or delivered.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::clients::Client;
use crate::db::memberships::Membership;
use crate::db::projects::Project;
use crate::db::tags::Tag;
use crate::db::tasks::Task;
use crate::db::time_entries::TimeEntry;
use crate::db::users::User;
use crate::db::workspaces::Workspace;
use crate::domain::Role;

/// Money in minor units.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateDto {
    pub amount: i64,
    pub currency: String,
}

/// A user's membership of a workspace.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipDto {
    pub user_id: String,
    pub target_id: String,
    /// Always `WORKSPACE` here.
    pub membership_type: String,
    /// `ACTIVE` or `PENDING`.
    pub membership_status: String,
    pub hourly_rate: Option<RateDto>,
    pub cost_rate: Option<RateDto>,
    /// keyhook's addition: `OWNER`, `ADMIN`, `MANAGER` or `REGULAR`.
    pub role: String,
}

impl MembershipDto {
    pub fn new(user: &User, workspace: &Workspace, membership: &Membership) -> Self {
        Self {
            user_id: user.public_id.clone(),
            target_id: workspace.public_id.clone(),
            membership_type: "WORKSPACE".into(),
            membership_status: membership.status.clone(),
            hourly_rate: None,
            cost_rate: None,
            role: Role::parse(&membership.role).unwrap_or(Role::Regular).as_str().into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSettingsDto {
    /// e.g. `MM/DD/YYYY`
    pub date_format: String,
    /// `HOUR12` or `HOUR24`
    pub time_format: String,
    /// IANA name, e.g. `Europe/Berlin`
    pub time_zone: String,
    pub week_start: String,
}

/// A user, as Clockify's `UserDtoV1`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: String,
    pub profile_picture: String,
    pub active_workspace: Option<String>,
    pub default_workspace: Option<String>,
    pub status: String,
    pub memberships: Vec<MembershipDto>,
    #[schema(value_type = Vec<Object>)]
    pub custom_fields: Vec<serde_json::Value>,
    pub settings: UserSettingsDto,
}

impl UserDto {
    /// `active_workspace` is the public id of the user's active workspace, if any.
    pub fn new(user: &User, active_workspace: Option<String>, memberships: Vec<MembershipDto>) -> Self {
        Self {
            id: user.public_id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            profile_picture: String::new(),
            default_workspace: active_workspace.clone(),
            active_workspace,
            status: "ACTIVE".into(),
            memberships,
            custom_fields: Vec::new(),
            settings: UserSettingsDto {
                date_format: user.date_format.clone(),
                time_format: user.time_format.clone(),
                time_zone: user.time_zone.clone(),
                week_start: "MONDAY".into(),
            },
        }
    }
}

/// A workspace, as Clockify's `WorkspaceDtoV1`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDto {
    pub id: String,
    pub name: String,
    pub image_url: String,
    pub hourly_rate: RateDto,
    pub memberships: Vec<MembershipDto>,
    /// The plan: `FREE`, `BASIC`, `STANDARD`, `PRO` or `ENTERPRISE`.
    pub feature_subscription_type: String,
}

impl WorkspaceDto {
    pub fn new(workspace: &Workspace, memberships: Vec<MembershipDto>) -> Self {
        Self {
            id: workspace.public_id.clone(),
            name: workspace.name.clone(),
            image_url: String::new(),
            hourly_rate: RateDto { amount: 0, currency: "USD".into() },
            memberships,
            feature_subscription_type: workspace.plan.clone(),
        }
    }
}

/// Every error answer: `{"message": "...", "code": N}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDto {
    pub message: String,
    pub code: u32,
}

/// A webhook, as Clockify's `Webhook`, with keyhook's `disabledReason` and `disabledAt`, and
/// the signing secret and token only in the answers that may show them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDto {
    pub id: String,
    pub name: String,
    pub url: String,
    pub user_id: Option<String>,
    pub workspace_id: String,
    pub webhook_event: String,
    pub trigger_source_type: String,
    pub trigger_source: Vec<String>,
    pub enabled: bool,
    pub plan_enabled: bool,
    pub delivery_enabled: bool,
    /// `USER_CREATED` or `ADDON`.
    pub webhook_type: String,
    /// `PLAN`, `FAILING`, `GONE` or `USER` when not delivered to.
    pub disabled_reason: Option<String>,
    /// UTC ISO-8601.
    pub disabled_at: Option<String>,
    /// `HEALTHY`, `DEGRADED` (failing often, or five failures in a row), `FAILING` (no success
    /// for a day: auto-disable follows) or `DISABLED`.
    pub health: &'static str,
    /// UTC ISO-8601: since when it holds.
    pub health_since: String,
    /// The `Clockify-Signature` token (create, get and token answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
    /// `whsec_...` (create, get and token answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// How many missed deliveries enabling it sent again (`PATCH` with `replayMissed` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<usize>,
    /// The circuit breaker on the instance that answers (get only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit: Option<CircuitDto>,
}

/// A webhook's circuit breaker, as the answering instance has it (each instance keeps its own).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CircuitDto {
    /// `CLOSED` (sending as usual), `OPEN` (waiting for the next probe) or `PROBING` (one
    /// request in flight to see whether the endpoint is back).
    pub state: &'static str,
    /// UTC ISO-8601: when the circuit opened (open or probing only).
    pub open_since: Option<String>,
    /// UTC ISO-8601: when the next probe may start (open only).
    pub next_probe_at: Option<String>,
    /// The endpoint's recent time to answer (or to time out), in milliseconds, as this
    /// instance measured it; null before its first attempt here.
    pub recent_latency_ms: Option<u64>,
    /// How many requests this instance lets be in flight to the endpoint at once now: it
    /// starts at two, grows by one per answer up to the configured bound, halves at a timeout.
    pub concurrency: u32,
}

impl CircuitDto {
    /// The circuit and pace of a webhook whose bound on requests in flight is `max`.
    pub fn of(endpoint: crate::circuits::Endpoint, max: usize) -> Self {
        use crate::domain::circuit::Circuit;
        let (state, open_since, next_probe_at) = match endpoint.circuit {
            Circuit::Closed { .. } => ("CLOSED", None, None),
            Circuit::Open { since, probing: true, .. } => ("PROBING", Some(iso(since)), None),
            Circuit::Open { since, probe_at, .. } => ("OPEN", Some(iso(since)), Some(iso(probe_at))),
        };
        Self {
            state,
            open_since,
            next_probe_at,
            recent_latency_ms: endpoint.pace.latency_ms(),
            concurrency: u32::try_from(endpoint.pace.limit(max)).unwrap_or(u32::MAX),
        }
    }
}

/// An installed add-on with its webhooks. The install answer alone carries `authToken` (the
/// `X-Addon-Token`) and the webhooks' secrets.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddonDto {
    pub id: String,
    pub key: String,
    pub name: String,
    pub base_url: String,
    pub workspace_id: String,
    /// UTC ISO-8601.
    pub installed_at: String,
    pub webhooks: Vec<WebhookDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
}

/// `GET /webhooks`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookListDto {
    pub webhooks: Vec<WebhookDto>,
    pub workspace_webhook_count: usize,
}

/// One delivery attempt, as Clockify's `Log` plus keyhook's details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogDto {
    pub id: String,
    pub webhook_id: String,
    /// The Standard Webhooks `webhook-id` (the same on retries and resends).
    pub message_id: String,
    /// `EVENT`, `RETRY`, `TEST` or `RESEND`.
    pub trigger: String,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    /// `http`, `dns`, `connect`, `timeout`, `tls` or `ssrf` when it failed.
    pub error_class: Option<String>,
    pub duration_ms: i64,
    /// The payload sent, as a JSON string.
    pub request_body: String,
    #[schema(value_type = Object)]
    pub request_headers: serde_json::Value,
    pub response_body: Option<String>,
    pub response_body_base64: bool,
    /// UTC ISO-8601.
    pub responded_at: String,
    /// Why it failed, named, with what to do about it; absent when it succeeded.
    pub reason: Option<FailureDto>,
}

/// One delivery of an event to a webhook, with its attempts in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto {
    /// The Standard Webhooks `webhook-id` (a resend is a delivery of its own with the same one).
    pub message_id: String,
    pub webhook_id: String,
    pub event: String,
    /// `EVENT`, `TEST` or `RESEND`.
    pub trigger: String,
    /// `QUEUED`, `RETRYING`, `WAITING` (its circuit is open), `DELIVERED`, `FAILED` (for good),
    /// `CANCELLED` or `MISSED` (while the webhook was disabled by failures).
    pub state: &'static str,
    pub attempt_count: i32,
    /// UTC ISO-8601: when the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<String>,
    /// The latest attempt's HTTP code or error class.
    pub last_status: Option<String>,
    /// The latest attempt's failure, named; absent once it succeeded or before it was tried.
    pub last_error: Option<FailureDto>,
    /// UTC ISO-8601.
    pub created_at: String,
    pub attempts: Vec<DeliveryAttemptDto>,
}

/// An attempt within a delivery (its bodies are in the logs: `GET …/logs`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttemptDto {
    pub id: String,
    /// `EVENT`, `RETRY`, `TEST` or `RESEND`.
    pub trigger: String,
    /// UTC ISO-8601.
    pub attempted_at: String,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    pub error_class: Option<String>,
    pub duration_ms: i64,
    pub reason: Option<FailureDto>,
}

/// `GET …/deliveries`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryListDto {
    pub deliveries: Vec<DeliveryDto>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// UTC ISO-8601: with a filter, how far back this page looked (the next page looks further).
    pub searched_to: Option<String>,
}

/// A failed attempt's reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailureDto {
    /// The kind: `refused`, `closed`, `timeout`, `unresolved`, `blocked`, `cert-expired`,
    /// `cert-name`, `cert-untrusted`, `tls`, `redirect`, `gone`, `status` or `other`.
    pub code: String,
    /// "nothing accepted the connection at 203.0.113.5:443 (connection refused)".
    pub message: String,
    pub hint: String,
}

impl FailureDto {
    pub fn new(reason: &crate::domain::FailureReason) -> Self {
        Self { code: reason.kind(), message: reason.to_string(), hint: reason.hint().to_owned() }
    }
}

/// UTC ISO-8601 (`2022-11-30T02:06:04Z`) for Unix milliseconds.
pub fn iso(unix_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(unix_ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

/// A client, as Clockify's `ClientWithCurrencyDtoV1` (keyhook has no currencies: always USD).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientDto {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub archived: bool,
    pub cc_emails: Vec<String>,
    pub currency_id: String,
    pub currency_code: String,
}

impl ClientDto {
    pub fn new(client: &Client, workspace: &str) -> Self {
        Self {
            id: client.public_id.clone(),
            workspace_id: workspace.to_owned(),
            name: client.name.clone(),
            email: client.email.clone(),
            address: client.address.clone(),
            note: client.note.clone(),
            archived: client.archived,
            cc_emails: Vec::new(),
            currency_id: String::new(),
            currency_code: "USD".into(),
        }
    }
}

/// A tag, as Clockify's `TagDtoV1`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagDto {
    pub id: String,
    pub name: String,
    pub workspace_id: String,
    pub archived: bool,
}

impl TagDto {
    pub fn new(tag: &Tag, workspace: &str) -> Self {
        Self {
            id: tag.public_id.clone(),
            name: tag.name.clone(),
            workspace_id: workspace.to_owned(),
            archived: tag.archived,
        }
    }
}

/// A project's time estimate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EstimateDto {
    pub estimate: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A project, as Clockify's `ProjectDtoImplV1` (rates, memberships and estimates are not kept:
/// they answer as empty; `duration` is the tracked time, none yet).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDto {
    pub id: String,
    pub name: String,
    pub workspace_id: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub color: String,
    pub billable: bool,
    pub archived: bool,
    pub public: bool,
    pub is_public: bool,
    pub template: bool,
    pub note: String,
    pub duration: String,
    pub estimate: EstimateDto,
    pub memberships: Vec<MembershipDto>,
    pub hourly_rate: Option<RateDto>,
    pub cost_rate: Option<RateDto>,
}

impl ProjectDto {
    pub fn new(project: &Project, client: Option<&Client>, workspace: &str) -> Self {
        Self {
            id: project.public_id.clone(),
            name: project.name.clone(),
            workspace_id: workspace.to_owned(),
            client_id: client.map(|c| c.public_id.clone()),
            client_name: client.map(|c| c.name.clone()),
            color: project.color.clone(),
            billable: project.billable,
            archived: project.archived,
            public: project.is_public,
            is_public: project.is_public,
            template: false,
            note: project.note.clone(),
            duration: "PT0S".into(),
            estimate: EstimateDto { estimate: "PT0S".into(), kind: "AUTO".into() },
            memberships: Vec::new(),
            hourly_rate: None,
            cost_rate: None,
        }
    }
}

/// A task, as Clockify's `TaskDtoV1`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDto {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub workspace_id: String,
    /// `ACTIVE` or `DONE`.
    pub status: String,
    pub assignee_ids: Vec<String>,
    pub assignee_id: Option<String>,
    pub user_group_ids: Vec<String>,
    pub estimate: String,
    pub duration: String,
    pub billable: bool,
    pub budget_estimate: i64,
    pub hourly_rate: Option<RateDto>,
    pub cost_rate: Option<RateDto>,
}

impl TaskDto {
    pub fn new(task: &Task, project: &str, workspace: &str) -> Self {
        let assignee_ids: Vec<String> = serde_json::from_str(&task.assignee_ids).unwrap_or_default();
        Self {
            id: task.public_id.clone(),
            name: task.name.clone(),
            project_id: project.to_owned(),
            workspace_id: workspace.to_owned(),
            status: task.status.clone(),
            assignee_id: assignee_ids.first().cloned(),
            assignee_ids,
            user_group_ids: Vec::new(),
            estimate: task.estimate.clone().unwrap_or_else(|| "PT0S".into()),
            duration: "PT0S".into(),
            billable: task.billable,
            budget_estimate: 0,
            hourly_rate: None,
            cost_rate: None,
        }
    }
}

/// Milliseconds as an ISO-8601 duration, as Clockify writes them (`PT1H30M`, `PT0S`).
pub fn iso_duration(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// When an entry ran: `end` and `duration` are `null` while its timer runs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeIntervalDto {
    pub start: String,
    pub end: Option<String>,
    pub duration: Option<String>,
}

/// Who tracked an entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryUserDto {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A time entry as Clockify's `TimeEntryWithRatesDtoV1`, hydrated as its webhooks are: with its
/// `project`, `task`, `user` and `tags` beside their ids.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeEntryDto {
    pub id: String,
    pub description: String,
    pub user_id: String,
    pub workspace_id: String,
    pub project_id: Option<String>,
    pub task_id: Option<String>,
    pub tag_ids: Vec<String>,
    pub billable: bool,
    pub is_locked: bool,
    /// Always `REGULAR`.
    #[serde(rename = "type")]
    pub kind: String,
    pub kiosk_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub custom_field_values: Vec<serde_json::Value>,
    pub time_interval: TimeIntervalDto,
    pub hourly_rate: Option<RateDto>,
    pub cost_rate: Option<RateDto>,
    pub project: Option<ProjectDto>,
    pub task: Option<TaskDto>,
    pub user: EntryUserDto,
    pub tags: Vec<TagDto>,
}

impl TimeEntryDto {
    pub fn new(
        entry: &TimeEntry,
        workspace: &str,
        user: &User,
        project: Option<(&Project, Option<&Client>)>,
        task: Option<&Task>,
        tags: &[Tag],
    ) -> Self {
        let project_dto = project.map(|(p, client)| ProjectDto::new(p, client, workspace));
        Self {
            id: entry.public_id.clone(),
            description: entry.description.clone(),
            user_id: user.public_id.clone(),
            workspace_id: workspace.to_owned(),
            project_id: project_dto.as_ref().map(|p| p.id.clone()),
            task_id: task.map(|t| t.public_id.clone()),
            tag_ids: tags.iter().map(|t| t.public_id.clone()).collect(),
            billable: entry.billable,
            is_locked: false,
            kind: "REGULAR".into(),
            kiosk_id: None,
            custom_field_values: Vec::new(),
            time_interval: TimeIntervalDto {
                start: iso(entry.start_at),
                end: entry.end_at.map(iso),
                duration: entry.end_at.map(|end| iso_duration(end - entry.start_at)),
            },
            hourly_rate: None,
            cost_rate: None,
            task: task.zip(project_dto.as_ref()).map(|(t, p)| TaskDto::new(t, &p.id, workspace)),
            project: project_dto,
            user: EntryUserDto { id: user.public_id.clone(), name: user.name.clone(), email: user.email.clone() },
            tags: tags.iter().map(|t| TagDto::new(t, workspace)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{sample_payload, EventType};

    /// Keys of a JSON object, sorted.
    fn keys(value: &serde_json::Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        keys.sort();
        keys
    }

    fn json<T: Serialize>(dto: &T) -> serde_json::Value {
        serde_json::to_value(dto).expect("JSON")
    }

    /// "Test" sends a sample; it must have the shape the real event will have.
    #[test]
    fn samples_have_the_shape_of_the_real_payloads() {
        let ws = "0123456789abcdef01234567";
        let client = Client {
            id: 1,
            public_id: "c".into(),
            workspace_id: 1,
            name: "C".into(),
            email: None,
            address: None,
            note: None,
            archived: false,
            created_at: 0,
            updated_at: 0,
        };
        let tag = Tag {
            id: 1,
            public_id: "t".into(),
            workspace_id: 1,
            name: "T".into(),
            archived: false,
            created_at: 0,
            updated_at: 0,
        };
        let project = Project {
            id: 1,
            public_id: "p".into(),
            workspace_id: 1,
            client_id: Some(1),
            name: "P".into(),
            note: String::new(),
            color: "#000000".into(),
            billable: true,
            is_public: false,
            archived: false,
            created_at: 0,
            updated_at: 0,
        };
        let task = Task {
            id: 1,
            public_id: "k".into(),
            project_id: 1,
            name: "K".into(),
            status: "ACTIVE".into(),
            estimate: None,
            billable: true,
            assignee_ids: "[]".into(),
            created_at: 0,
            updated_at: 0,
        };
        let user = User {
            id: 1,
            public_id: "u".into(),
            email: "u@example.com".into(),
            name: "U".into(),
            password_hash: String::new(),
            time_zone: "UTC".into(),
            date_format: "MM/DD/YYYY".into(),
            time_format: "HOUR12".into(),
            active_workspace_id: None,
            created_at: 0,
            alert_mails: true,
        };
        let entry = TimeEntry {
            id: 1,
            public_id: "e".into(),
            workspace_id: 1,
            user_id: 1,
            project_id: Some(1),
            task_id: Some(1),
            description: String::new(),
            tag_ids: "[]".into(),
            billable: true,
            start_at: 0,
            end_at: Some(16_000),
            created_at: 0,
            updated_at: 0,
        };
        let time_entry = json(&TimeEntryDto::new(
            &entry,
            ws,
            &user,
            Some((&project, Some(&client))),
            Some(&task),
            std::slice::from_ref(&tag),
        ));
        for (event, real) in [
            (EventType::NewClient, json(&ClientDto::new(&client, ws))),
            (EventType::NewTag, json(&TagDto::new(&tag, ws))),
            (EventType::NewProject, json(&ProjectDto::new(&project, Some(&client), ws))),
            (EventType::NewTask, json(&TaskDto::new(&task, "p", ws))),
            (EventType::NewTimeEntry, time_entry.clone()),
            (EventType::NewTimerStarted, time_entry),
            (EventType::UserJoinedWorkspace, json(&UserDto::new(&user, None, Vec::new()))),
        ] {
            let sample = sample_payload(event, ws);
            assert_eq!(keys(&sample), keys(&real), "{event:?}");
            for nested in ["timeInterval", "project", "task", "user", "settings"] {
                if real[nested].is_object() {
                    assert_eq!(keys(&sample[nested]), keys(&real[nested]), "{event:?}.{nested}");
                }
            }
        }
    }

    #[test]
    fn durations_read_as_clockify_writes_them() {
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(16_000), "PT16S");
        assert_eq!(iso_duration(5_400_000), "PT1H30M");
        assert_eq!(iso_duration(3_723_999), "PT1H2M3S");
        assert_eq!(iso_duration(-5), "PT0S");
    }
}
