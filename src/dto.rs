//! The JSON shapes of the REST API, Clockify's (camelCase, 24-hex ids). Webhook event payloads
//! use the same shapes, so an entity looks the same whether fetched or delivered.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::memberships::Membership;
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
