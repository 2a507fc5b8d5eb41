//! How many webhooks and add-ons a workspace may have on its plan, and the refusal that names
//! the limit. Counting locks the workspace (see `Workspace::lock`), so the count and the insert
//! it allows are one step even with simultaneous requests on PostgreSQL.

use crate::db::addons::Addon;
use crate::db::webhooks::Webhook;
use crate::db::workspaces::Workspace;
use crate::db::DbConnection;
use crate::domain::Plan;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::ServiceResult;

/// Webhooks a FREE workspace may have.
pub const FREE_PER_WORKSPACE: i64 = 3;
/// Webhooks a paid workspace may have, in all and per user.
pub const PAID_PER_WORKSPACE: i64 = 100;
pub const PAID_PER_USER: i64 = 10;
/// Add-ons a FREE workspace may install; a paid one.
pub const FREE_ADDONS: i64 = 5;
pub const PAID_ADDONS: i64 = 25;
/// Live webhooks of every kind (users' and add-ons') a workspace may have at most.
pub const WEBHOOK_CEILING: i64 = 300;

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
    /// Counts for one more webhook of the caller's, holding the workspace until the caller's
    /// transaction ends.
    pub fn of(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Self> {
        Workspace::lock(conn, access.workspace.id)?;
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

/// Why installing one more add-on with `webhooks` webhooks is refused, if it is: the plan's
/// number of add-ons, or the ceiling of webhooks of every kind. Holds the workspace until the
/// caller's transaction ends.
pub fn addon_refusal(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    webhooks: usize,
) -> ServiceResult<Option<String>> {
    Workspace::lock(conn, access.workspace.id)?;
    let limit = if access.plan() == Plan::Free { FREE_ADDONS } else { PAID_ADDONS };
    if Addon::count_installed(conn, access.workspace.id)? >= limit {
        let plan = access.plan();
        return Ok(Some(format!(
            "The {} plan allows {limit} add-ons per workspace. Uninstall one first.",
            plan.as_str()
        )));
    }
    let after =
        Webhook::count_all_in(conn, access.workspace.id)?.saturating_add(i64::try_from(webhooks).unwrap_or(i64::MAX));
    if after > WEBHOOK_CEILING {
        return Ok(Some(format!(
            "A workspace can have at most {WEBHOOK_CEILING} webhooks, add-ons' included; this add-on's {webhooks} would pass it."
        )));
    }
    Ok(None)
}
