//! How many webhooks a workspace may have on its plan, and the refusal that names the limit.

use crate::db::webhooks::Webhook;
use crate::db::DbConnection;
use crate::domain::Plan;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::ServiceResult;

/// Webhooks a FREE workspace may have.
pub const FREE_PER_WORKSPACE: i64 = 3;
/// Webhooks a paid workspace may have, in all and per user.
pub const PAID_PER_WORKSPACE: i64 = 100;
pub const PAID_PER_USER: i64 = 10;

/// How many webhooks the workspace and the caller have, against what the plan allows: the
/// Webhooks page's counter and the limit [`create`] enforces.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub plan: Plan,
    pub in_workspace: i64,
    pub workspace_limit: i64,
    pub by_caller: i64,
    /// Paid plans also limit each user.
    pub caller_limit: Option<i64>,
}

impl Allowance {
    pub fn of(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Self> {
        let in_workspace = Webhook::count_in(conn, access.workspace.id)?;
        let by_caller = Webhook::count_by_user(conn, access.workspace.id, access.user_id)?;
        Ok(Self::new(access, in_workspace, by_caller))
    }

    /// The same, counted from the workspace's webhooks already read (the list has them all).
    /// Add-ons' webhooks come with their add-on and do not count.
    pub fn among(access: &WorkspaceAccess, webhooks: &[Webhook]) -> Self {
        let users: Vec<&Webhook> = webhooks.iter().filter(|w| !w.is_addon()).collect();
        let by_caller = users.iter().filter(|w| w.user_id == Some(access.user_id)).count();
        Self::new(access, users.len() as i64, by_caller as i64)
    }

    fn new(access: &WorkspaceAccess, in_workspace: i64, by_caller: i64) -> Self {
        let plan = access.plan();
        let (workspace_limit, caller_limit) =
            if plan == Plan::Free { (FREE_PER_WORKSPACE, None) } else { (PAID_PER_WORKSPACE, Some(PAID_PER_USER)) };
        Self { plan, in_workspace, workspace_limit, by_caller, caller_limit }
    }

    /// Why one more webhook is refused, naming the limit and what raises it; `None` if it fits.
    pub fn refusal(&self) -> Option<String> {
        if self.in_workspace >= self.workspace_limit {
            return Some(if self.plan == Plan::Free {
                format!(
                    "The FREE plan allows {FREE_PER_WORKSPACE} webhooks per workspace. Upgrade to BASIC or higher \
                     for up to {PAID_PER_WORKSPACE}, or delete one first."
                )
            } else {
                format!("A workspace can have at most {PAID_PER_WORKSPACE} webhooks. Delete one first.")
            });
        }
        self.caller_limit.filter(|limit| self.by_caller >= *limit).map(|limit| {
            format!("Each user can create at most {limit} webhooks per workspace. Delete one of yours first.")
        })
    }
}
